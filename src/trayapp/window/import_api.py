"""The import calls of the rubrica page, in the window process.

The file dialog opens here; reading, checking and writing the list happen
in the resident process (`trayapp.window.import_jobs`), which the page
polls for progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from trayapp.window.exchange_api import starting_folder

log = logging.getLogger(__name__)

FILE_TYPES = (
    "Elenchi clienti (*.csv;*.txt;*.xlsx)",
    "Tutti i file (*.*)",
)


class ImportApi:
    """js_api methods of the import dialog; mixed into WindowApi."""

    _call: Callable[..., dict[str, Any]]

    def choose_import_file(self) -> dict[str, Any]:
        """Show the open-file dialog; return {"result": path}, with None as the path when cancelled."""
        import webview

        window = webview.active_window() or webview.windows[0]
        chosen = window.create_file_dialog(
            webview.FileDialog.OPEN, directory=starting_folder(), file_types=FILE_TYPES
        )
        if not chosen:
            return {"result": None}
        return {"result": str(chosen[0])}

    def import_inspect(self, path: str) -> dict[str, Any]:
        return self._call("import_inspect", path=path)

    def import_start(
        self, path: str, choices: dict[str, str], dry_run: bool
    ) -> dict[str, Any]:
        return self._call(
            "import_start", path=path, choices=choices, dry_run=bool(dry_run)
        )

    def import_progress(self, job: str) -> dict[str, Any]:
        return self._call("import_progress", job=job)

    def import_cancel(self, job: str) -> dict[str, Any]:
        return self._call("import_cancel", job=job)
