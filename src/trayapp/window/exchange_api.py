"""The rubrica page's backup, restore and export calls, in the window process.

The native file dialog runs here, in the window process, and the chosen path
goes to the resident tray, which checks it and later writes or reads the
file. Passphrases typed in the page are forwarded to the tray over the
authenticated local channel and kept nowhere in this process.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# pywebview's file filters accept only letters, digits and spaces in the
# description, and "*.ext" patterns.
# NOTE: pywebview 6.2.1's Qt backend passes no filter to its save dialog, so
# Qt's dialog offers only "all files" and these types are not shown there.
EXPORT_FILE_TYPES = ("CSV (*.csv)", "Excel (*.xlsx)", "KeePass (*.kdbx)")
BACKUP_SUFFIX = ".trayapp-backup"


def starting_folder() -> str:
    """Return the folder file dialogs open in: the user's Documents, else home."""
    import platformdirs

    documents = Path(platformdirs.user_documents_dir())
    return str(documents if documents.is_dir() else Path.home())


class FileChooser:
    """pywebview's native open and save dialogs for the exchange actions."""

    def __init__(self) -> None:
        self._window: Any = None

    def attach(self, window: Any) -> None:
        """Use the dialogs of this pywebview Window; run_window calls it once."""
        self._window = window

    def choose(self, action: str) -> str | None:
        """Show the dialog for "backup", "restore" or "export"; return the path or None."""
        import webview

        if self._window is None:
            raise RuntimeError("the file dialog has no window yet")
        today = date.today().isoformat()
        if action == "restore":
            chosen = self._window.create_file_dialog(
                webview.FileDialog.OPEN, directory=starting_folder()
            )
        elif action == "backup":
            chosen = self._window.create_file_dialog(
                webview.FileDialog.SAVE,
                directory=starting_folder(),
                save_filename=f"studio-{today}{BACKUP_SUFFIX}",
            )
        elif action == "export":
            chosen = self._window.create_file_dialog(
                webview.FileDialog.SAVE,
                directory=starting_folder(),
                save_filename=f"clienti-{today}.csv",
                file_types=EXPORT_FILE_TYPES,
            )
        else:
            raise ValueError(f"unknown exchange action: {action!r}")
        if not chosen:
            return None
        return str(chosen[0])


class ExchangeApi:
    """The js_api methods of backup, restore and export; WindowApi inherits them.

    Every method returns {"result": value} or {"error": message, "field": name}
    like the rest of WindowApi.
    """

    _chooser: FileChooser | None = None

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        raise NotImplementedError

    def choose_exchange_file(self, action: str) -> dict[str, Any]:
        """Show the file dialog, then have the tray check the chosen path.

        The result is None when the user closed the dialog, otherwise what
        the tray's check_exchange_file returns.
        """
        if self._chooser is None:
            return {"error": "La scelta del file non è disponibile.", "field": None}
        try:
            path = self._chooser.choose(action)
        except ValueError:
            return {"error": f"Operazione sconosciuta: {action}", "field": None}
        if path is None:
            log.info("file dialog for %s closed without a choice", action)
            return {"result": None}
        return self._call("check_exchange_file", action=action, path=path)

    def write_backup(
        self, path: str, passphrase: str, confirmation: str
    ) -> dict[str, Any]:
        # The path comes from the save dialog, which has asked before
        # replacing an existing file.
        return self._call(
            "write_backup",
            path=path,
            passphrase=passphrase,
            confirmation=confirmation,
            overwrite=True,
        )

    def restore_backup(
        self, path: str, passphrase: str, overwrite: bool = False
    ) -> dict[str, Any]:
        return self._call(
            "restore_backup",
            path=path,
            passphrase=passphrase,
            overwrite=bool(overwrite),
        )

    def export_clients(
        self, path: str, passphrase: str = "", confirmation: str = ""
    ) -> dict[str, Any]:
        """Export to `path`; the passwords matter only for a KeePass file."""
        return self._call(
            "export_clients",
            path=path,
            passphrase=passphrase or None,
            confirmation=confirmation or None,
            overwrite=True,
        )
