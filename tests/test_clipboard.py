"""The resident's clipboard: copy from the tray, clear after the delay and on quit.

The Linux tests use the real CLIPBOARD selection of a virtual X screen,
served by a GLib main loop in this process as the tray process serves it,
and read or write it with xclip like another program would. The Windows
and macOS tests replace the platform calls at their boundary (the user32
and kernel32 libraries, pyobjc's AppKit module) with recording stand-ins.
"""

from __future__ import annotations

import ctypes
import json
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from desktop_env import find_secrets
from trayapp.clipboard import (
    CF_UNICODETEXT,
    MAC_CONCEALED_TYPE,
    MAC_STRING_TYPE,
    MAC_TRANSIENT_TYPE,
    Clipboard,
    GtkClipboard,
    MacClipboard,
    WindowsClipboard,
)
from trayapp.domain.credentials import SecretKind
from trayapp.resident import TrayActions

CLEAR_SECONDS = 2


def xclip_read() -> str:
    """Return the CLIPBOARD text as another program reads it ("" when empty)."""
    reply = subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return reply.stdout if reply.returncode == 0 else ""


def xclip_write(text: str) -> None:
    """Put text on the CLIPBOARD from another program, xclip, through its stdin."""
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-i"],
        input=text,
        text=True,
        check=True,
        timeout=10,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def short_clear_studio(trayapp_home, keyring_daemon):
    """A Studio whose config.json clears the clipboard after 2 seconds."""
    from trayapp.app import open_studio

    config = trayapp_home / "config"
    config.mkdir(parents=True)
    (config / "config.json").write_text(
        json.dumps({"clipboard_clear_seconds": CLEAR_SECONDS}), encoding="utf-8"
    )
    opened = open_studio()
    yield opened
    opened.close()


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Point this process's temporary folder at an empty folder, scanned afterwards."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def tray(short_clear_studio, gtk_main_loop, private_tmp):
    """Return (TrayActions with the GTK clipboard, notices shown, client, password)."""
    if shutil.which("xclip") is None:
        pytest.fail("xclip is not installed: run scripts/test once")
    studio = short_clear_studio
    client = studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "ROSSI",
            "nome": "MARIO",
            "codice_fiscale": "RSSMRA80A01H501U",
        }
    )
    password = "Appunti*" + secrets.token_hex(6)
    studio.set_credentials(client.id, password=password, pin="1234567890")
    notices: list[tuple[str, str]] = []
    clipboard = Clipboard(GtkClipboard(), studio.settings.clipboard_clear_seconds)
    actions = TrayActions(
        studio,
        notify=lambda title, message: notices.append((title, message)),
        open_window=lambda: None,
        clipboard=clipboard,
    )
    yield actions, notices, client, password
    clipboard.close()


def copies_in_audit(studio, client_id: str) -> list[str]:
    entries = studio.audit.entries(client_id)
    return [entry["detail"] for entry in entries if entry["action"] == "copy"]


def test_copy_password_cleared_after_delay(
    tray, short_clear_studio, trayapp_home, tmp_path
):
    actions, notices, client, password = tray
    actions.copy(client.id, "password")

    assert xclip_read() == password
    assert notices == [
        (
            "Copiato negli appunti",
            f"Password di ROSSI MARIO copiata: si cancella tra {CLEAR_SECONDS} secondi",
        )
    ]
    assert copies_in_audit(short_clear_studio, client.id) == ["password"]

    wait_until(lambda: xclip_read() == "", CLEAR_SECONDS + 5, "the clipboard to clear")
    folders = [trayapp_home, Path(tempfile.gettempdir()), tmp_path]
    assert find_secrets(folders, {password}) == []


def test_copy_user_id_and_pin_recorded(tray, short_clear_studio):
    actions, notices, client, _ = tray
    actions.copy(client.id, "user_id")
    assert xclip_read() == "RSSMRA80A01H501U"
    actions.copy(client.id, "pin")
    assert xclip_read() == "1234567890"

    assert copies_in_audit(short_clear_studio, client.id) == ["user_id", "pin"]
    assert [message for _, message in notices] == [
        f"Utente di ROSSI MARIO copiato: si cancella tra {CLEAR_SECONDS} secondi",
        f"PIN di ROSSI MARIO copiato: si cancella tra {CLEAR_SECONDS} secondi",
    ]


def test_copy_keeps_text_copied_later(tray):
    actions, _, client, password = tray
    actions.copy(client.id, "password")
    assert xclip_read() == password

    xclip_write("testo dell'utente")
    time.sleep(CLEAR_SECONDS + 1.5)
    assert xclip_read() == "testo dell'utente"


def test_quit_clears_copied_password(tray):
    actions, _, client, password = tray
    actions.copy(client.id, "password")
    assert xclip_read() == password

    actions.quit()
    assert xclip_read() == ""


def test_copy_missing_pin_notifies(tray, short_clear_studio):
    actions, notices, client, _ = tray
    short_clear_studio.secrets.delete(client.id, SecretKind.PIN)
    xclip_write("prima")
    actions.copy(client.id, "pin")

    assert xclip_read() == "prima"
    assert notices == [("ROSSI MARIO", "ROSSI MARIO: credenziali mancanti (PIN)")]


def test_copy_locked_keyring_notifies(tray):
    from test_keyring_failures import lock_default_collection

    actions, notices, client, password = tray
    xclip_write("prima")
    lock_default_collection()

    actions.copy(client.id, "password")

    assert xclip_read() == "prima"
    assert notices == [
        (
            "ROSSI MARIO",
            "Il portachiavi di sistema è bloccato o lo sblocco è stato annullato: "
            "sbloccalo e riprova. Nulla è stato modificato.",
        )
    ]


# -- platforms that cannot run here: calls replaced at the library boundary --------


class FakeUser32:
    """Records the Win32 clipboard calls; each format's data is read back from memory."""

    def __init__(self, kernel32: FakeKernel32) -> None:
        self.kernel32 = kernel32
        self.calls: list[str] = []
        self.data: dict[int, bytes] = {}
        self.registered: dict[str, int] = {}

    def OpenClipboard(self, owner) -> bool:  # noqa: N802 - Win32 name
        self.calls.append("OpenClipboard")
        return True

    def CloseClipboard(self) -> bool:  # noqa: N802
        self.calls.append("CloseClipboard")
        return True

    def EmptyClipboard(self) -> bool:  # noqa: N802
        self.calls.append("EmptyClipboard")
        self.data.clear()
        return True

    def RegisterClipboardFormatW(self, name: str) -> int:  # noqa: N802
        return self.registered.setdefault(name, 0xC000 + len(self.registered))

    def SetClipboardData(self, format_id: int, handle: int) -> int:  # noqa: N802
        self.calls.append(f"SetClipboardData {format_id}")
        self.data[format_id] = bytes(self.kernel32.blocks[handle])
        return handle

    def IsClipboardFormatAvailable(self, format_id: int) -> bool:  # noqa: N802
        return format_id in self.data

    def GetClipboardData(self, format_id: int) -> int:  # noqa: N802
        return self.kernel32.alloc(self.data[format_id])


class FakeKernel32:
    """Global memory blocks backed by real ctypes buffers, so memmove works."""

    def __init__(self) -> None:
        self.blocks: dict[int, ctypes.Array] = {}

    def alloc(self, data: bytes) -> int:
        handle = self.GlobalAlloc(0, len(data))
        ctypes.memmove(self.blocks[handle], data, len(data))
        return handle

    def GlobalAlloc(self, flags: int, size: int) -> int:  # noqa: N802
        handle = len(self.blocks) + 1
        self.blocks[handle] = ctypes.create_string_buffer(size)
        return handle

    def GlobalLock(self, handle: int) -> int:  # noqa: N802
        return ctypes.addressof(self.blocks[handle])

    def GlobalSize(self, handle: int) -> int:  # noqa: N802
        return len(self.blocks[handle])

    def GlobalUnlock(self, handle: int) -> bool:  # noqa: N802
        return True

    def GlobalFree(self, handle: int) -> None:  # noqa: N802
        self.blocks.pop(handle, None)


def test_windows_secret_sets_private_formats():
    kernel32 = FakeKernel32()
    user32 = FakeUser32(kernel32)
    backend = WindowsClipboard(user32, kernel32)
    backend.write("Segreta*2025", secret=True)

    assert user32.calls[:2] == ["OpenClipboard", "EmptyClipboard"]
    assert user32.calls[-1] == "CloseClipboard"
    assert user32.calls.count("OpenClipboard") == 1
    assert user32.data[CF_UNICODETEXT] == "Segreta*2025\0".encode("utf-16-le")
    assert set(user32.registered) == {
        "ExcludeClipboardContentFromMonitorProcessing",
        "CanIncludeInClipboardHistory",
        "CanUploadToCloudClipboard",
    }
    for format_id in user32.registered.values():
        assert user32.data[format_id] == b"\0\0\0\0"
    assert backend.read() == "Segreta*2025"


def test_windows_user_id_plain_text_only():
    kernel32 = FakeKernel32()
    user32 = FakeUser32(kernel32)
    WindowsClipboard(user32, kernel32).write("RSSMRA80A01H501U", secret=False)

    assert list(user32.data) == [CF_UNICODETEXT]


def test_windows_clear_only_own_value():
    kernel32 = FakeKernel32()
    user32 = FakeUser32(kernel32)
    clipboard = Clipboard(WindowsClipboard(user32, kernel32), 0)
    clipboard.copy("Segreta*2025", secret=True)
    user32.data[CF_UNICODETEXT] = "altro\0".encode("utf-16-le")
    assert clipboard.clear_own() is False
    assert CF_UNICODETEXT in user32.data

    clipboard.copy("Segreta*2025", secret=True)
    assert clipboard.clear_own() is True
    assert user32.data == {}


class FakePasteboard:
    """Records NSPasteboard calls as pyobjc spells them."""

    def __init__(self) -> None:
        self.declared: list[str] = []
        self.strings: dict[str, str] = {}

    def clearContents(self) -> int:  # noqa: N802 - AppKit name
        self.declared = []
        self.strings = {}
        return 1

    def declareTypes_owner_(self, types, owner) -> int:  # noqa: N802
        self.declared = list(types)
        return 1

    def setString_forType_(self, text: str, kind: str) -> bool:  # noqa: N802
        self.strings[kind] = text
        return True

    def stringForType_(self, kind: str) -> str | None:  # noqa: N802
        return self.strings.get(kind)


class FakeAppKit:
    def __init__(self) -> None:
        board = FakePasteboard()
        self.board = board

        class NSPasteboard:
            @staticmethod
            def generalPasteboard() -> FakePasteboard:  # noqa: N802
                return board

        self.NSPasteboard = NSPasteboard


def test_mac_secret_sets_concealed_types():
    appkit = FakeAppKit()
    backend = MacClipboard(appkit)
    backend.write("Segreta*2025", secret=True)

    assert appkit.board.declared == [
        MAC_STRING_TYPE,
        MAC_CONCEALED_TYPE,
        MAC_TRANSIENT_TYPE,
    ]
    assert MAC_CONCEALED_TYPE == "org.nspasteboard.ConcealedType"
    assert MAC_TRANSIENT_TYPE == "org.nspasteboard.TransientType"
    assert appkit.board.strings[MAC_STRING_TYPE] == "Segreta*2025"
    assert backend.read() == "Segreta*2025"

    backend.clear()
    assert backend.read() is None


def test_mac_user_id_plain_text_only():
    appkit = FakeAppKit()
    MacClipboard(appkit).write("RSSMRA80A01H501U", secret=False)

    assert appkit.board.declared == [MAC_STRING_TYPE]
