"""The audit log: who touched which client's credentials, when, and how.

One JSON object a line in audit.log in the data folder, appended and
never rewritten; past MAX_BYTES the file is rotated to audit.log.1 and
so on, keeping KEPT_FILES old files. An entry names the action, the OS
user, the client's id and name and the outcome, and never a secret.
"""

from __future__ import annotations

import getpass
import json
import logging
import logging.handlers
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from trayapp.domain.client import Client
from trayapp.logs import restrict_to_owner

log = logging.getLogger(__name__)

AUDIT_FILE = "audit.log"
MAX_BYTES = 2_000_000
KEPT_FILES = 10

ACTION_LABELS = {
    "login": "accesso al portale",
    "reveal": "password o PIN mostrato",
    "copy": "password, PIN o utente copiato",
    "edit": "anagrafica o credenziali modificate",
    "delete": "cliente eliminato",
    "import": "importazione",
    "export": "esportazione",
    "backup": "backup cifrato",
    "restore": "ripristino da backup",
    "unblock": "Login riattivato",
    "new-password": "nuova password salvata",
    "email": "email aperta",
}

# Login outcomes are recorded as the engine's codes; people read these.
OUTCOME_LABELS = {
    "success": "riuscito",
    "invalid_credentials": "credenziali rifiutate dal portale",
    "password_expired": "password scaduta",
    "account_locked": "utenza bloccata",
    "page_changed": "pagina del portale cambiata",
    "portal_unreachable": "portale non raggiungibile",
    "timeout": "tempo scaduto",
    "browser_missing": "browser non trovato",
    "unknown": "esito sconosciuto",
}


def outcome_label(outcome: str) -> str:
    """Return the Italian words for a recorded outcome; other texts as they are."""
    return OUTCOME_LABELS.get(outcome, outcome)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "sconosciuto"


class AuditLog:
    """Append-only JSON-lines audit file with size-based rotation."""

    def __init__(
        self, folder: Path, max_bytes: int = MAX_BYTES, kept: int = KEPT_FILES
    ):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / AUDIT_FILE
        self._lock = threading.Lock()
        self._handler = logging.handlers.RotatingFileHandler(
            self.path, maxBytes=max_bytes, backupCount=kept, encoding="utf-8"
        )
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        restrict_to_owner(self.path)
        self._user = current_user()

    def record(
        self,
        action: str,
        client: Client | None = None,
        *,
        outcome: str = "",
        detail: str = "",
    ) -> None:
        """Append one entry; `detail` must never hold a secret."""
        entry: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "user": self._user,
            "action": action,
            "client_id": client.id if client else "",
            "client_name": client.name if client else "",
            "outcome": outcome,
            "detail": detail,
        }
        record = logging.LogRecord(
            "trayapp.audit",
            logging.INFO,
            __file__,
            0,
            json.dumps(entry, ensure_ascii=False),
            None,
            None,
        )
        with self._lock:
            self._handler.emit(record)
            self._handler.flush()

    def entries(
        self, client_id: str = "", since: date | None = None
    ) -> list[dict[str, Any]]:
        """Return the entries, oldest first, for one client and from a day if given."""
        files = sorted(
            self.path.parent.glob(AUDIT_FILE + ".*"),
            key=lambda path: int(path.suffix[1:]) if path.suffix[1:].isdigit() else 0,
            reverse=True,
        )
        result = []
        for path in [*files, self.path]:
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("unreadable line in %s skipped", path)
                    continue
                if client_id and entry.get("client_id") != client_id:
                    continue
                if since and entry.get("at", "")[:10] < since.isoformat():
                    continue
                result.append(entry)
        return result

    def close(self) -> None:
        self._handler.close()
