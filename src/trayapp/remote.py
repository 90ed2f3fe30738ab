"""Commands that change data, sent to the running resident instance.

While the tray runs it is the only writer of the index and the keyring, so
the command line hands every change to it through the instance channel.
`ResidentCommands` serves those calls in the resident process;
`RemoteStudio` is the command line's side, with the same method names as
the Studio methods it replaces.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayapp.app import Studio
from trayapp.domain.client import Client
from trayapp.domain.credentials import SecretKind
from trayapp.exchange.rpc import ExchangeCommands
from trayapp.exchange.snapshot import RestoreReport
from trayapp.importing.mapping import UnmappedColumns
from trayapp.importing.readers import ImportFileError
from trayapp.importing.service import (
    ImportCancelled,
    ImportProgress,
    ImportReport,
    ProgressCallback,
)
from trayapp.ipc import RpcClient

PROGRESS_POLL_SECONDS = 0.1


# Variables read by the process that runs a login: a login handed to a
# running tray runs with the tray's values.
LOGIN_SETTINGS = ("TRAYAPP_BROWSER", "TRAYAPP_BROWSER_ARGS", "TRAYAPP_PORTAL_ORIGIN")


class ResidentCommands(ExchangeCommands):
    """The command line's calls, served by the resident process."""

    def __init__(self, studio: Studio, login) -> None:
        super().__init__(studio)
        self._login = login

    def rpc_login_settings(self) -> dict[str, str]:
        """Return the tray's own values of the variables a login reads."""
        return {name: os.environ.get(name, "") for name in LOGIN_SETTINGS}

    def rpc_import_file(
        self,
        path: str,
        dry_run: bool = False,
        choices: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        report = self._studio.import_file(Path(path), dry_run=dry_run, choices=choices)
        return report.as_dict()

    def rpc_set_credentials(
        self,
        client_id: str,
        password: str | None = None,
        pin: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        client = self._studio.set_credentials(
            client_id, password=password, pin=pin, user_id=user_id
        )
        return client.to_record()

    def rpc_remove_secrets(self, client_id: str, kinds: list[str]) -> dict[str, Any]:
        removed = [SecretKind(kind) for kind in kinds]
        return self._studio.remove_secrets(client_id, removed).to_record()

    def rpc_unblock(self, client_id: str) -> dict[str, Any]:
        return self._studio.unblock(client_id).to_record()

    def rpc_restore_password(self, client_id: str) -> dict[str, Any]:
        return self._studio.restore_previous_password(client_id).to_record()

    def rpc_cli_login(
        self, client_id: str, target: str | None = None
    ) -> dict[str, Any]:
        result = self._studio.login(client_id, target)
        return {
            "outcome": result.outcome.value,
            "message": result.message,
            "ok": result.ok,
        }

    def rpc_cli_email(self, client_id: str) -> str:
        return self._studio.send_email(client_id).uri


@dataclass(frozen=True)
class RemoteLoginResult:
    outcome: str
    message: str
    ok: bool


class RemoteStudio:
    """The local Studio for reading, with every change sent to the resident process."""

    def __init__(self, local: Studio, channel: RpcClient) -> None:
        self._local = local
        self._channel = channel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._local, name)

    def import_file(
        self,
        path: Path,
        *,
        dry_run: bool = False,
        choices: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Run the import in the resident process, polling it for progress.

        Ctrl-C cancels the resident's import, which undoes what it wrote.
        """
        job = self._channel.call(
            "import_start",
            path=str(path.resolve()),
            choices=dict(choices or {}),
            dry_run=dry_run,
        )
        try:
            while True:
                state = self._channel.call("import_progress", job=job)
                if progress is not None and state["total"]:
                    progress(
                        ImportProgress(state["phase"], state["done"], state["total"])
                    )
                if state["state"] != "running":
                    break
                time.sleep(PROGRESS_POLL_SECONDS)
        except KeyboardInterrupt:
            self._channel.call("import_cancel", job=job)
            raise
        if state["state"] == "done":
            return ImportReport.from_dict(state["report"])
        if state.get("unknown"):
            raise UnmappedColumns(path.name, state["unknown"])
        if state["state"] == "cancelled":
            raise ImportCancelled()
        raise ImportFileError(state["error"])

    def restore_backup(
        self, path: Path, passphrase: str, *, overwrite: bool = False
    ) -> RestoreReport:
        data = self._channel.call(
            "restore_backup",
            path=str(path.resolve()),
            passphrase=passphrase,
            overwrite=overwrite,
        )
        return RestoreReport(**data)

    def import_keepass(
        self, path: Path, master_password: str, *, dry_run: bool = False
    ) -> tuple[ImportReport, dict[int, str]]:
        data = self._channel.call(
            "import_keepass",
            path=str(path.resolve()),
            master_password=master_password,
            dry_run=dry_run,
        )
        return ImportReport.from_dict(data["report"]), data["titles"]

    def set_credentials(self, client_id: str, **values: str | None) -> Client:
        return Client.from_record(
            self._channel.call("set_credentials", client_id=client_id, **values)
        )

    def remove_secrets(self, client_id: str, kinds: Collection[SecretKind]) -> Client:
        record = self._channel.call(
            "remove_secrets", client_id=client_id, kinds=[kind.value for kind in kinds]
        )
        return Client.from_record(record)

    def unblock(self, client_id: str) -> Client:
        return Client.from_record(self._channel.call("unblock", client_id=client_id))

    def renew_password(self, client_id: str, new_password: str) -> Client:
        record = self._channel.call(
            "renew_password", client_id=client_id, password=new_password
        )
        return Client.from_record(record)

    def restore_previous_password(self, client_id: str) -> Client:
        return Client.from_record(
            self._channel.call("restore_password", client_id=client_id)
        )

    def login(self, client_id: str, target: str | None = None) -> RemoteLoginResult:
        data = self._channel.call("cli_login", client_id=client_id, target=target)
        return RemoteLoginResult(**data)

    def send_email(self, client_id: str) -> str:
        return self._channel.call("cli_email", client_id=client_id)

    def wait_for_browser(self) -> None:
        """Return at once: the browser belongs to the resident process and stays open."""

    def close(self) -> None:
        self._channel.close()
        self._local.close()
