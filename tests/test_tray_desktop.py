"""Tray icon on a virtual X screen: real GTK menus clicked with the real pointer.

A real TrayApp runs in a subprocess (tests/tray_recording_app.py) with the
GTK backend of pystray, docked in trayer. The driver in tests/xtray.py opens
the menus with xdotool; the recording facade writes each command to a file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import xtray
from tray_recording_app import CLIENTS
from trayapp.tray.menu import build_menu

pytestmark = pytest.mark.desktop

TESTS_DIR = Path(__file__).parent
SCREENSHOT = TESTS_DIR.parent / "test-output" / "tray-menu.png"
ENTRIES = build_menu(CLIENTS, [], window_available=True)
# Record file -> the tray app process that writes it.
TRAY_PROCESSES: dict[Path, subprocess.Popen] = {}


@pytest.fixture(scope="module")
def session_bus(tmp_path_factory) -> Iterator[str]:
    """Start a private D-Bus session bus, which pystray's GTK backend requires."""
    program = shutil.which("dbus-daemon")
    if program is None:
        pytest.fail("dbus-daemon is not installed: run scripts/test once")
    socket = tmp_path_factory.mktemp("tray-bus") / "bus"
    address = f"unix:path={socket}"
    daemon = subprocess.Popen(
        [program, "--session", "--nofork", f"--address={address}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    xtray.wait_for(socket.exists, 10, "the D-Bus session bus")
    yield address
    daemon.terminate()
    daemon.wait(10)


@pytest.fixture(scope="module")
def tray_process(tray_host, session_bus, tmp_path_factory) -> Iterator[Path]:
    """Run the recording tray app for this module and return its record file."""
    folder = tmp_path_factory.mktemp("tray-app")
    record = folder / "calls.jsonl"
    record.touch()
    log_path = folder / "tray.log"
    env = dict(
        os.environ,
        DISPLAY=tray_host,
        DBUS_SESSION_BUS_ADDRESS=session_bus,
        PYSTRAY_BACKEND="gtk",
    )
    with log_path.open("w") as log_file:
        app = subprocess.Popen(
            [sys.executable, str(TESTS_DIR / "tray_recording_app.py"), str(record)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    TRAY_PROCESSES[record] = app
    try:
        try:
            xtray.find_icon(tray_host, timeout=15)
        except TimeoutError:
            pytest.fail(f"tray icon did not appear; app log:\n{log_path.read_text()}")
        yield record
    finally:
        if app.poll() is None:
            app.terminate()
        app.wait(10)


@pytest.fixture
def display(tray_host, tray_process) -> Iterator[str]:
    """Return the display with no menu open before and after the test."""
    xtray.close_menus(tray_host)
    yield tray_host
    xtray.close_menus(tray_host)


@pytest.fixture(scope="module")
def tray_app_process(tray_process) -> subprocess.Popen:
    """Return the tray app's process, for the test that quits it."""
    return TRAY_PROCESSES[tray_process]


def recorded_calls(record: Path) -> list[dict]:
    lines = record.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def wait_for_call(record: Path, call: str, count_before: int) -> dict:
    """Wait until a new call named `call` is in the record, and return it."""

    def new_call() -> dict | None:
        for entry in recorded_calls(record)[count_before:]:
            if entry["call"] == call:
                return entry
        return None

    return xtray.wait_for(new_call, 10, f"a recorded {call} call")


def test_tray_icon_shown_in_tray_host(display):
    x, y = xtray.find_icon(display)
    assert y > 800 - 32, "the icon is not inside trayer's 32 px panel at the bottom"
    assert x > 640, "the icon is not in the right half, where trayer is docked"


def test_tray_menu_rows_match_model(display):
    popup = xtray.right_click_icon(display)
    rows = xtray.wait_for_rows(display, popup, 5)
    assert rows is not None, "the root menu does not show 5 text rows"
    xtray.screenshot(display, SCREENSHOT)


def test_tray_login_records_client(display, tray_process):
    before = len(recorded_calls(tray_process))
    xtray.open_menu_path(display, ["ROSSI MARIO", "Login cassetto fiscale"], ENTRIES)

    call = wait_for_call(tray_process, "login", before)
    assert call["args"] == ["c-rossi"]
    assert call["thread"].startswith("tray-action"), "login ran on the tray thread"


def test_menu_not_rebuilt_after_click(display, tray_process):
    def builds() -> int:
        return sum(1 for c in recorded_calls(tray_process) if c["call"] == "menu_built")

    before = builds()
    calls_before = len(recorded_calls(tray_process))
    xtray.open_menu_path(display, ["ROSSI MARIO", "Login cassetto fiscale"], ENTRIES)
    wait_for_call(tray_process, "login", calls_before)

    assert before > 0
    assert builds() == before


def test_tray_email_records_client(display, tray_process):
    before = len(recorded_calls(tray_process))
    xtray.open_menu_path(display, ["VERDI & FIGLI SRL", "Invia email"], ENTRIES)

    call = wait_for_call(tray_process, "send_email", before)
    assert call["args"] == ["c-verdi"]
    assert call["thread"].startswith("tray-action"), "email ran on the tray thread"


def test_tray_copy_password_records_client(display, tray_process):
    before = len(recorded_calls(tray_process))
    xtray.open_menu_path(display, ["ROSSI MARIO", "Copia password"], ENTRIES)

    call = wait_for_call(tray_process, "copy", before)
    assert call["args"] == ["c-rossi", "password"]
    assert call["thread"].startswith("tray-action"), "copy ran on the tray thread"


def test_tray_open_window_records_call(display, tray_process):
    before = len(recorded_calls(tray_process))
    xtray.open_menu_path(display, ["Apri rubrica"], ENTRIES)

    call = wait_for_call(tray_process, "open_window", before)
    assert call["args"] == []


def test_tray_disabled_items_inert(display, tray_process):
    bianchi = xtray.find_entry(ENTRIES, "BIANCHI LUCIA")
    items = [child for child in bianchi.children if not child.separator]
    assert [child.text for child in items] == [
        "Login cassetto fiscale — credenziali mancanti",
        "Invia email — email mancante",
        "Copia utente",
        "Copia password",
        "Copia PIN — PIN mancante",
    ]
    assert [child.enabled for child in items] == [False, False, True, True, False]

    before = len(recorded_calls(tray_process))
    popups = xtray.open_menu_path(display, ["BIANCHI LUCIA"], ENTRIES)
    submenu = popups[-1]
    rows = xtray.wait_for_rows(display, submenu, 5)
    assert rows is not None, "the submenu does not show its 5 rows"
    xtray.screenshot(display, SCREENSHOT)

    # A click on a disabled row keeps the menu open and records nothing.
    top, bottom = rows[0]
    xtray.click(display, submenu.x + submenu.width // 3, (top + bottom) // 2)
    assert submenu.id in [window.id for window in xtray.visible_popups(display)]
    assert recorded_calls(tray_process)[before:] == []


def test_tray_disabled_text_on_screen(display):
    """Check that the disabled submenu is drawn in lighter text than enabled rows."""
    popups = xtray.open_menu_path(display, ["BIANCHI LUCIA"], ENTRIES)
    root_menu, submenu = popups
    assert xtray.wait_for_rows(display, submenu, 5) is not None

    image = xtray.screenshot(display, SCREENSHOT).convert("L")
    enabled_ink = darkest(image, root_menu, xtray.text_rows(display, root_menu)[1])
    disabled_ink = darkest(image, submenu, xtray.text_rows(display, submenu)[0])
    assert disabled_ink > enabled_ink + 40, "the disabled row is not greyed out"


def darkest(image, window: xtray.Window, row: tuple[int, int]) -> int:
    """Return the darkest grey level of one text row inside a popup window."""
    box = (window.x + 3, row[0], window.x + window.width - 3, row[1] + 1)
    low, _ = image.crop(box).getextrema()
    return low


def test_tray_keyboard_login_records_client(display, tray_process):
    """Drive the menu with the arrow keys, the driver's fallback to clicks."""
    before = len(recorded_calls(tray_process))
    xtray.right_click_icon(display)
    known = xtray.visible_popups(display)
    rossi = xtray.find_entry(ENTRIES, "ROSSI MARIO")
    xtray.select_with_keys(display, ENTRIES, rossi, first_item_selected=False)
    xtray.wait_for_new_popup(display, known)
    login = xtray.find_entry(rossi.children, "Login cassetto fiscale")
    xtray.select_with_keys(display, rossi.children, login, first_item_selected=True)

    call = wait_for_call(tray_process, "login", before)
    assert call["args"] == ["c-rossi"]


def test_tray_quit_ends_process(display, tray_process, tray_app_process):
    """Click "Esci" and check the app records quit and exits (runs last)."""
    before = len(recorded_calls(tray_process))
    xtray.open_menu_path(display, ["Esci"], ENTRIES)

    call = wait_for_call(tray_process, "quit", before)
    assert call["args"] == []
    assert tray_app_process.wait(10) == 0
    assert xtray.visible_popups(display) == []
