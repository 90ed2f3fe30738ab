"""Run a real TrayApp over fixed clients, recording each menu command in a file.

Usage: python tests/tray_recording_app.py RECORD_FILE

The desktop tray test starts this script as a subprocess, because pystray and
GTK want the main thread of their process.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from trayapp.domain.client import Client, Kind
from trayapp.tray import TrayApp

CLIENTS = [
    Client(
        id="c-rossi",
        kind=Kind.PERSONA_FISICA,
        codice_fiscale="RSSMRA80A01H501U",
        cognome="ROSSI",
        nome="MARIO",
        email="mario.rossi@example.it",
        has_password=True,
        has_pin=True,
    ),
    Client(
        id="c-bianchi",
        kind=Kind.PERSONA_FISICA,
        codice_fiscale="BNCLCU75B42F205X",
        cognome="BIANCHI",
        nome="LUCIA",
        email="",
        has_password=True,
        has_pin=False,
    ),
    Client(
        id="c-verdi",
        kind=Kind.SOCIETA,
        codice_fiscale="01234567890",
        denominazione="VERDI & FIGLI SRL",
        email="amministrazione@verdi.example.it",
        has_password=True,
        has_pin=True,
    ),
]


class RecordingActions:
    """A stand-in for the application facade that appends each call to a file.

    It covers only what the tray calls. The end-to-end test with the real
    facade lives with the application tests.
    """

    def __init__(self, record_path: Path) -> None:
        self._record_path = record_path
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def clients(self) -> list[Client]:
        return list(CLIENTS)

    def recent_ids(self) -> list[str]:
        return []

    def login(self, client_id: str) -> None:
        self.record("login", client_id)

    def send_email(self, client_id: str) -> None:
        self.record("send_email", client_id)

    def copy(self, client_id: str, what: str) -> None:
        self.record("copy", client_id, what)

    def open_window(self) -> None:
        self.record("open_window")

    def quit(self) -> None:
        self.record("quit")

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def record(self, call: str, *args: str) -> None:
        thread = threading.current_thread().name
        line = json.dumps({"call": call, "args": list(args), "thread": thread})
        with self._lock, self._record_path.open("a", encoding="utf-8") as record:
            record.write(line + "\n")


def draw_icon() -> Image.Image:
    """Draw a plain square icon in solid colours, easy to spot on a screenshot."""
    image = Image.new("RGBA", (64, 64), (20, 90, 160, 255))
    ImageDraw.Draw(image).rectangle((16, 16, 47, 47), fill=(250, 200, 40, 255))
    return image


class RecordingTrayApp(TrayApp):
    """The real TrayApp, recording each time pystray builds its menu."""

    def __init__(self, actions: RecordingActions, *args, **kwargs) -> None:
        self._recorder = actions
        super().__init__(actions, *args, **kwargs)

    def _pystray_items(self):
        self._recorder.record("menu_built")
        return super()._pystray_items()


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    actions = RecordingActions(Path(sys.argv[1]))
    RecordingTrayApp(actions, draw_icon(), title="trayapp (test)").run()


if __name__ == "__main__":
    main()
