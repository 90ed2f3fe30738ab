"""Outcomes of a portal login and the Italian messages shown for them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from trayapp.domain.client import Client

log = logging.getLogger(__name__)


class LoginOutcome(StrEnum):
    """Outcome of a login: the portal's results first, then the engine's failures."""

    SUCCESS = "success"
    INVALID_CREDENTIALS = "invalid_credentials"
    PASSWORD_EXPIRED = "password_expired"
    ACCOUNT_LOCKED = "account_locked"
    PAGE_CHANGED = "page_changed"
    PORTAL_UNREACHABLE = "portal_unreachable"
    TIMEOUT = "timeout"
    BROWSER_MISSING = "browser_missing"
    UNKNOWN = "unknown"


MESSAGES: dict[LoginOutcome, str] = {
    LoginOutcome.SUCCESS: "Accesso eseguito.",
    LoginOutcome.INVALID_CREDENTIALS: (
        "Credenziali non valide: utente, password o PIN errati. Controlla i dati in "
        "Servizi telematici prima di riprovare: dopo 8 tentativi errati l'utenza "
        "viene bloccata."
    ),
    LoginOutcome.PASSWORD_EXPIRED: (
        "Password scaduta. Scegli una nuova password nella finestra del portale, "
        "poi aggiornala in Servizi telematici."
    ),
    LoginOutcome.ACCOUNT_LOCKED: (
        "Utenza bloccata: il portale non accetta accessi con queste credenziali. "
        "Per sbloccarla segui le indicazioni dell'Agenzia delle Entrate, poi "
        "aggiorna i dati in Servizi telematici."
    ),
    LoginOutcome.PAGE_CHANGED: (
        "La pagina di accesso dell'Agenzia delle Entrate è cambiata e non è stato "
        "trovato {element}. Si può aggiornare il profilo di accesso con il file "
        "login-profile.json nella cartella di configurazione{folder}."
    ),
    LoginOutcome.PORTAL_UNREACHABLE: (
        "Il portale dell'Agenzia delle Entrate non risponde. Controlla la "
        "connessione a Internet e riprova tra qualche minuto."
    ),
    LoginOutcome.TIMEOUT: (
        "Il portale non ha completato l'accesso entro {seconds} secondi. "
        "Controlla la finestra del browser e riprova."
    ),
    LoginOutcome.BROWSER_MISSING: (
        "Impossibile avviare il browser {browser}. Installa Microsoft Edge, Google "
        "Chrome o Chromium, oppure indica il percorso di un browser nella "
        "variabile TRAYAPP_BROWSER."
    ),
    LoginOutcome.UNKNOWN: (
        "Risposta inattesa dal portale ({detail}). Controlla la finestra del "
        "browser: l'accesso potrebbe non essere riuscito."
    ),
}

_PLACEHOLDER_DEFAULTS = {
    "element": "un elemento della pagina",
    "folder": "",
    "seconds": "?",
    "browser": "scelto",
    "detail": "nessun dettaglio",
}


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one login, its message for the user and the page it ended on.

    The message never contains the password or the PIN: it is built only from
    the fixed texts above and from details the engine passes in.
    """

    outcome: LoginOutcome
    message: str
    final_url: str = ""

    @classmethod
    def of(
        cls, outcome: LoginOutcome, final_url: str = "", **details: object
    ) -> LoginResult:
        """Build a result with the standard message of `outcome`, filled in."""
        values = dict(_PLACEHOLDER_DEFAULTS)
        values.update({key: str(value) for key, value in details.items()})
        return cls(outcome, MESSAGES[outcome].format(**values), final_url)

    @property
    def ok(self) -> bool:
        """True when the portal accepted the credentials."""
        return self.outcome is LoginOutcome.SUCCESS


def login_record(client: Client, outcome: str, now: str, today: date) -> dict[str, Any]:
    """Return the client fields a login with `outcome` changes, at `now` (ISO time).

    A success clears the failure count and the portal's marks, a refusal
    for wrong credentials adds one failure, and the other outcomes leave
    the counters as they are.
    """
    changes: dict[str, Any] = {
        "last_login_at": now,
        "last_login_outcome": outcome,
        "last_used_at": now,
    }
    if outcome == LoginOutcome.SUCCESS:
        changes.update(
            login_failures=0,
            account_locked=False,
            password_expired=False,
            last_success_on=today,
        )
    elif outcome == LoginOutcome.INVALID_CREDENTIALS:
        changes["login_failures"] = client.login_failures + 1
    elif outcome == LoginOutcome.PASSWORD_EXPIRED:
        changes["password_expired"] = True
    elif outcome == LoginOutcome.ACCOUNT_LOCKED:
        changes["account_locked"] = True
    else:
        log.info("login outcome %s leaves the client's counters as they are", outcome)
    return changes
