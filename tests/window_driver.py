"""Run the rubrica window for a test and obey commands sent on stdin.

The resident's address comes in TRAYAPP_TEST_RPC_ADDRESS and its key, in
hex, in TRAYAPP_TEST_RPC_AUTHKEY. Each stdin line is a JSON command, and
the driver replies with one stdout line starting with ANSWER_PREFIX:

    {"js": "<script>"}        evaluate the script in the page
    {"modules": ["tinydb"]}   report which of the modules this process imported
    {"clipboard": true}       return the text on the system clipboard
    {"zoom": 1.5}             zoom the page as a 150 % display scaling would
    {"close": true}           close the window as the user would
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


def serve_commands(window: Any, gui: GuiThread) -> None:
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

    def on_started(window: Any) -> None:
        window.events.loaded.wait(30)
        threading.Thread(target=serve_commands, args=(window, gui), daemon=True).start()

    run_window(address, authkey, on_started=on_started)


if __name__ == "__main__":
    main()
