"""Run the rubrica window for a test and obey commands sent on stdin.

The resident's address comes in TRAYAPP_TEST_RPC_ADDRESS and its key, in
hex, in TRAYAPP_TEST_RPC_AUTHKEY. Each stdin line is a JSON command, and
the driver replies with one stdout line starting with ANSWER_PREFIX:

    {"js": "<script>"}        evaluate the script in the page
    {"modules": ["tinydb"]}   report which of the modules this process imported
    {"clipboard": true}       return the text on the system clipboard
    {"zoom": 1.5}             zoom the page as a 150 % display scaling would
    {"file_dialog": "/path"}  queue the path the next file dialog returns
                              (null: the user closes the dialog)
    {"file_dialogs": true}    return the file dialogs opened so far
    {"close": true}           close the window as the user would

By default pywebview's Window.create_file_dialog is replaced in this
process, so a test need not drive Qt's file dialog: the replacement records
how it was called and returns the queued path, which then goes on to the
resident like a path the user chose. With TRAYAPP_TEST_REAL_FILE_DIALOGS=1
in the environment the driver leaves create_file_dialog alone: the window
opens Qt's own dialog, the test uses it on the screen, and the two file
dialog commands fail.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from trayapp.window.app import configure_qtwebengine, make_gui_bridge, run_window

ANSWER_PREFIX = "@@driver "
REAL_FILE_DIALOGS = "TRAYAPP_TEST_REAL_FILE_DIALOGS"
READY = {"ready": True}


def answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(ANSWER_PREFIX + json.dumps(payload) + "\n")
    sys.stdout.flush()


class GuiThread:
    """Run functions on Qt's main thread for the command thread."""

    def __init__(self) -> None:
        self._bridge = make_gui_bridge()

    def call(self, function: Callable[[], Any], timeout: float = 10) -> Any:
        done = threading.Event()
        results: list[Any] = []

        def task() -> None:
            try:
                results.append(function())
            except Exception as error:
                results.append(error)
            done.set()

        self._bridge.run.emit(task)
        if not done.wait(timeout):
            raise TimeoutError("Qt's main thread did not run the command")
        if isinstance(results[0], Exception):
            raise results[0]
        return results[0]


def read_clipboard(gui: GuiThread) -> str:
    from qtpy.QtWidgets import QApplication

    return gui.call(lambda: QApplication.clipboard().text())


class FileDialogs:
    """Stand-in for the native file dialogs: queued paths and recorded calls."""

    def __init__(self) -> None:
        self.answers: list[str | None] = []
        self.opened: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        import webview

        dialogs = self

        def create_file_dialog(
            window: Any,
            dialog_type: int = webview.FileDialog.OPEN,
            directory: str = "",
            allow_multiple: bool = False,
            save_filename: str = "",
            file_types: tuple[str, ...] = (),
        ) -> tuple[str, ...] | None:
            with dialogs._lock:
                dialogs.opened.append(
                    {
                        "type": webview.FileDialog(dialog_type).name,
                        "directory": directory,
                        "save_filename": save_filename,
                        "file_types": list(file_types),
                    }
                )
                answer = dialogs.answers.pop(0) if dialogs.answers else None
            return None if answer is None else (answer,)

        webview.Window.create_file_dialog = create_file_dialog

    def queue(self, path: str | None) -> None:
        with self._lock:
            self.answers.append(path)


def serve_commands(window: Any, gui: GuiThread, dialogs: FileDialogs | None) -> None:
    answer(READY)
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if "js" in command:
                answer({"result": window.evaluate_js(command["js"])})
            elif "modules" in command:
                loaded = [name for name in command["modules"] if name in sys.modules]
                answer({"result": loaded})
            elif "clipboard" in command:
                answer({"result": read_clipboard(gui)})
            elif "zoom" in command:
                zoom = functools.partial(
                    window.native.webview.setZoomFactor, float(command["zoom"])
                )
                gui.call(zoom)
                answer({"result": True})
            elif "file_dialog" in command or "file_dialogs" in command:
                if dialogs is None:
                    answer({"error": "this window shows Qt's real file dialogs"})
                elif "file_dialog" in command:
                    dialogs.queue(command["file_dialog"])
                    answer({"result": True})
                else:
                    answer({"result": dialogs.opened})
            elif "close" in command:
                answer({"result": True})
                window.destroy()
        except Exception as error:
            answer({"error": f"{type(error).__name__}: {error}"})


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    address = os.environ["TRAYAPP_TEST_RPC_ADDRESS"]
    authkey = bytes.fromhex(os.environ["TRAYAPP_TEST_RPC_AUTHKEY"])
    configure_qtwebengine(os.environ)
    gui = GuiThread()
    dialogs = None
    if os.environ.get(REAL_FILE_DIALOGS) != "1":
        dialogs = FileDialogs()
        dialogs.install()

    def on_started(window: Any) -> None:
        window.events.loaded.wait(30)
        threading.Thread(
            target=serve_commands, args=(window, gui, dialogs), daemon=True
        ).start()

    run_window(address, authkey, on_started=on_started)


if __name__ == "__main__":
    main()
