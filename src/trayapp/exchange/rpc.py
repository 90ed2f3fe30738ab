"""Backup, restore, export and KeePass import as calls served by the resident tray.

The rubrica window and the command line send these calls through the
authenticated local channel, so the tray stays the only writer of the index
and the keyring. Passphrases arrive as call parameters and are passed on to
the encryption only: they are never logged or stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trayapp.app import Studio
from trayapp.exchange import service
from trayapp.exchange.files import (
    MIN_PASSPHRASE_LENGTH,
    ExchangeError,
    check_new_passphrase,
)

# Window actions that write the chosen file, and those that read it.
WRITTEN_FILE_ACTIONS = ("backup", "export")
READ_FILE_ACTIONS = ("restore",)


def _absolute(path: str) -> Path:
    """Return `path` as an absolute Path, or raise if it is relative or empty."""
    chosen = Path(path)
    if not path or not chosen.is_absolute():
        raise ExchangeError(
            f"«{path}»: serve il percorso completo del file, a partire dalla radice"
        )
    return chosen


def describe_chosen_file(action: str, path: str) -> dict[str, Any]:
    """Check a file chosen for backup, restore or export; return what the page shows.

    Returns {"path", "name", "format", "secrets", "min_passphrase_length"}:
    `format` is "backup", "csv", "xlsx" or "kdbx", and `secrets` is true
    when the file will contain passwords and PINs, so the page can decide
    whether to request a passphrase.
    """
    if action not in (*WRITTEN_FILE_ACTIONS, *READ_FILE_ACTIONS):
        raise ExchangeError(f"Operazione sconosciuta: {action}")
    chosen = _absolute(path)
    if chosen.is_dir():
        raise ExchangeError(f"{chosen} è una cartella: scegli un file")
    if action in READ_FILE_ACTIONS and not chosen.is_file():
        raise ExchangeError(f"Il file {chosen} non esiste")
    if action in WRITTEN_FILE_ACTIONS and not chosen.parent.is_dir():
        raise ExchangeError(f"{chosen}: la cartella {chosen.parent} non esiste")
    file_format = "backup"
    if action == "export":
        file_format = service.export_suffix(chosen).removeprefix(".")
    return {
        "path": str(chosen),
        "name": chosen.name,
        "format": file_format,
        "secrets": file_format in ("backup", "kdbx"),
        "min_passphrase_length": MIN_PASSPHRASE_LENGTH,
    }


class ExchangeCommands:
    """The exchange calls of the window and the command line, run on the tray's studio."""

    def __init__(self, studio: Studio) -> None:
        self._studio = studio

    def rpc_check_exchange_file(self, action: str, path: str) -> dict[str, Any]:
        """Check the path a file dialog returned; see `describe_chosen_file`."""
        return describe_chosen_file(action, path)

    def rpc_write_backup(
        self,
        path: str,
        passphrase: str,
        confirmation: str | None = None,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Write an encrypted backup; return {"path", "count"}.

        An existing file is replaced only with `overwrite`, which the window
        sends after its save dialog confirmed the replacement.
        """
        target = _absolute(path)
        checked = check_new_passphrase(passphrase, confirmation)
        count = service.write_backup(
            self._studio, target, checked, overwrite=bool(overwrite)
        )
        return {"path": str(target), "count": count}

    def rpc_restore_backup(
        self, path: str, passphrase: str, overwrite: bool = False
    ) -> dict[str, int]:
        """Restore a backup; return {"added", "replaced", "skipped"}."""
        report = service.restore_backup(
            self._studio, _absolute(path), passphrase, overwrite=bool(overwrite)
        )
        return report.as_dict()

    def rpc_export_clients(
        self,
        path: str,
        passphrase: str | None = None,
        confirmation: str | None = None,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Export the client list by the file's suffix; return {"path", "count", "secrets"}.

        Only a KeePass export takes the master password, typed twice. An
        existing file is replaced only with `overwrite`, as for a backup.
        """
        target = _absolute(path)
        suffix = service.export_suffix(target)
        checked = None
        if suffix == ".kdbx":
            if not passphrase:
                raise ExchangeError(
                    f"{target.name}: manca la password principale KeePass"
                )
            checked = check_new_passphrase(passphrase, confirmation)
        count = service.export_clients(
            self._studio, target, checked, overwrite=bool(overwrite)
        )
        return {"path": str(target), "count": count, "secrets": checked is not None}

    def rpc_import_keepass(
        self, path: str, master_password: str, dry_run: bool = False
    ) -> dict[str, Any]:
        """Import a KeePass database; return {"report": ImportReport.as_dict(), "titles"}."""
        report, titles = service.import_keepass(
            self._studio, _absolute(path), master_password, dry_run=bool(dry_run)
        )
        return {"report": report.as_dict(), "titles": titles}
