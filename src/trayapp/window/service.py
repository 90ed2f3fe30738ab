"""The calls the window process may make, served by the resident process.

This module runs in the resident process and imports no GUI toolkit. Each
method name below is an RPC method; the window never opens the index or
the keyring itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from trayapp.app import Studio
from trayapp.audit import ACTION_LABELS, outcome_label
from trayapp.domain.client import KIND_LABELS, Client
from trayapp.domain.credentials import SecretKind
from trayapp.domain.expiry import STATUS_LABELS, PasswordStatus
from trayapp.domain.passwords import DEFAULT_LENGTH, generate_password
from trayapp.editing import FormErrors, check_form
from trayapp.ipc import RpcError
from trayapp.window.import_jobs import ImportJobs
from trayapp.window.listing import ClientListText

log = logging.getLogger(__name__)

EVENT_WAIT_SECONDS = 25


def client_row(
    client: Client,
    names: dict[str, str],
    password: tuple[PasswordStatus, int | None] = (PasswordStatus.UNKNOWN, None),
) -> dict[str, Any]:
    """Return what the rubrica shows of a client: every field but the secrets.

    `password` is the (status, days left) that `Studio.password_status` returns.
    """
    changed = client.password_changed_on
    status, days_left = password
    return {
        "id": client.id,
        "kind": client.kind.value,
        "kind_label": KIND_LABELS[client.kind],
        "name": client.name,
        "denominazione": client.denominazione,
        "cognome": client.cognome,
        "nome": client.nome,
        "codice_fiscale": client.codice_fiscale,
        "partita_iva": client.partita_iva,
        "comune": client.comune,
        "email": client.email,
        "pec": client.pec,
        "telefono": client.telefono,
        "note": client.note,
        "linked_to": client.linked_to,
        "linked_to_name": names.get(client.linked_to, ""),
        "role": client.role,
        "codice_studio": client.codice_studio,
        "user_id": client.login_user_id,
        "has_password": client.has_password,
        "has_pin": client.has_pin,
        "password_changed_on": changed.isoformat() if changed else "",
        "password_status": status.value,
        "password_days_left": days_left,
        "pin_lapses_on": client.pin_lapses_on.isoformat()
        if client.pin_lapses_on
        else "",
        "password_status_label": STATUS_LABELS[status],
    }


class WindowService:
    """Dispatch window calls to the studio; `login` runs the tray's own login."""

    def __init__(
        self,
        studio: Studio,
        login: Callable[[str], dict[str, str]],
        open_window: Callable[[], None] | None = None,
        extra: object | None = None,
        copy: Callable[[str, str], int] | None = None,
    ) -> None:
        self._studio = studio
        self._login = login
        self._open_window = open_window
        # The tray's clipboard copy: (client id, "user_id"|"password"|"pin") -> seconds.
        self._copy = copy
        # Another object whose rpc_* methods are served too (the command line's).
        self._extra = extra
        self._imports = ImportJobs(studio)
        self._events: list[str] = []
        self._events_changed = threading.Condition()
        self._list_text = ClientListText(self._row, studio.today)

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        function = getattr(self, f"rpc_{method}", None)
        if function is None:
            function = getattr(self._imports, f"rpc_{method}", None)
        if function is None and self._extra is not None:
            function = getattr(self._extra, f"rpc_{method}", None)
        if function is None:
            raise RpcError(f"Comando sconosciuto: {method}")
        return function(**params)

    def post_event(self, event: str) -> None:
        """Queue an event for the window's event poll.

        The events are "focus", "changed", "clipboard_cleared" and
        "clipboard_replaced".
        """
        with self._events_changed:
            self._events.append(event)
            self._events_changed.notify_all()

    def _row(self, client: Client, names: dict[str, str]) -> dict[str, Any]:
        return client_row(client, names, self._studio.password_status(client))

    # -- RPC methods -------------------------------------------------------------

    def rpc_open_window(self) -> None:
        """Show the rubrica; a second `trayapp` start calls this and exits."""
        if self._open_window is None:
            raise RpcError("La finestra della rubrica non è disponibile")
        self._open_window()

    def rpc_wait_event(self, timeout: float = EVENT_WAIT_SECONDS) -> str | None:
        with self._events_changed:
            if not self._events:
                self._events_changed.wait(min(timeout, EVENT_WAIT_SECONDS))
            return self._events.pop(0) if self._events else None

    def rpc_list_clients(self) -> list[dict[str, Any]]:
        clients = self._studio.clients()
        names = {client.id: client.name for client in clients}
        return [self._row(client, names) for client in clients]

    def rpc_client_list_json(self) -> str:
        """Return the rows of rpc_list_clients as compact JSON text for the page."""
        return self._list_text.encode(self._studio.clients())

    def rpc_get_client(self, client_id: str) -> dict[str, Any]:
        client = self._studio.get(client_id)
        names = {c.id: c.name for c in self._studio.clients()}
        return self._row(client, names)

    def rpc_check_form(self, data: dict[str, Any]) -> dict[str, str]:
        """Return field -> Italian reason for every invalid field (empty when valid)."""
        try:
            check_form(data)
        except FormErrors as errors:
            return errors.errors
        return {}

    def rpc_save_client(
        self, data: dict[str, Any], client_id: str | None = None
    ) -> dict[str, Any]:
        """Save the form; return {"client": row} or {"errors": {field: reason}}."""
        try:
            client = self._studio.save_client(data, client_id)
        except FormErrors as errors:
            return {"errors": errors.errors}
        names = {c.id: c.name for c in self._studio.clients()}
        return {"client": self._row(client, names)}

    def rpc_linked_subjects(self, client_id: str) -> list[dict[str, Any]]:
        names = {c.id: c.name for c in self._studio.clients()}
        subjects = self._studio.linked_subjects(client_id)
        return [self._row(subject, names) for subject in subjects]

    def rpc_delete_client(self, client_id: str, linked: str = "") -> dict[str, Any]:
        try:
            removed = self._studio.delete_client(client_id, linked)
        except FormErrors as errors:
            return {"errors": errors.errors}
        return {"removed": removed}

    def rpc_reveal_secret(
        self, client_id: str, kind: str, purpose: str = "reveal"
    ) -> str:
        """Return a password or PIN; `purpose` is "reveal" or "copy", for the audit log."""
        if kind not in (SecretKind.PASSWORD.value, SecretKind.PIN.value):
            raise RpcError(f"Segreto sconosciuto: {kind}")
        if purpose not in ("reveal", "copy"):
            raise RpcError(f"Uso sconosciuto: {purpose}")
        return self._studio.reveal_secret(client_id, SecretKind(kind), purpose)

    def rpc_copy_secret(self, client_id: str, kind: str) -> dict[str, int]:
        """Copy the user id, password or PIN on the resident's clipboard.

        Returns {"clear_seconds"}, the delay before the clipboard is cleared.
        """
        if kind not in ("user_id", SecretKind.PASSWORD.value, SecretKind.PIN.value):
            raise RpcError(f"Segreto sconosciuto: {kind}")
        if self._copy is None:
            raise RpcError("Gli appunti non sono disponibili in questa sessione")
        return {"clear_seconds": self._copy(client_id, kind)}

    def rpc_audit_entries(
        self, client_id: str = "", since: str = ""
    ) -> list[dict[str, Any]]:
        """Return the audit entries, newest first, for one client and from a day."""
        try:
            since_day = date.fromisoformat(since) if since else None
        except ValueError:
            raise RpcError(
                f"Data non valida: «{since}» (usa il formato AAAA-MM-GG)", "since"
            ) from None
        audit = self._studio.audit
        if audit is None:
            return []
        entries = audit.entries(client_id, since_day)
        entries.reverse()
        for entry in entries:
            action = entry.get("action", "")
            entry["action_label"] = ACTION_LABELS.get(action, action)
            entry["outcome_label"] = outcome_label(entry.get("outcome", ""))
        return entries

    def rpc_generate_password(self, length: int = DEFAULT_LENGTH) -> str:
        """Return a new password that meets the portal's rules; nothing is stored."""
        return generate_password(length)

    def rpc_renew_password(self, client_id: str, password: str) -> dict[str, Any]:
        """Store a renewed password, keeping the last 3; the form and the CLI call it."""
        return self._studio.renew_password(client_id, password).to_record()

    def rpc_login(self, client_id: str) -> dict[str, str]:
        return self._login(client_id)

    def rpc_autostart_status(self) -> dict[str, Any]:
        from trayapp.desktop.autostart import current_status

        return current_status()

    def rpc_set_autostart(self, enabled: bool) -> dict[str, Any]:
        """Turn start at login on or off; return the new status."""
        from trayapp.desktop.autostart import set_enabled

        return set_enabled(bool(enabled))

    def rpc_send_email(self, client_id: str) -> dict[str, str]:
        result = self._studio.send_email(client_id)
        return {"uri": result.uri}
