"""The system clipboard as the resident process uses it: copy, then clear.

A copied value is cleared after `clipboard_clear_seconds` and on quit, but
only while the clipboard still contains what trayapp put there. The check
compares salted SHA-256 digests, so no copy of the value stays in memory.

On Linux the clipboard is GTK's (`Gtk.Clipboard`), served by the GLib main
loop that pystray's GTK and AppIndicator backends already run in the tray
process. Qt's QClipboard could set extra targets, but it needs a Qt
application and event loop on the main thread, which GTK owns here.
Windows uses the Win32 clipboard through ctypes and macOS NSPasteboard
through pyobjc.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

GTK_CALL_TIMEOUT_SECONDS = 5.0


class ClipboardError(RuntimeError):
    """The system clipboard could not be read or written."""


class ClipboardBackend(Protocol):
    """One platform's clipboard, reading and writing plain text."""

    def write(self, text: str, secret: bool) -> None: ...

    def read(self) -> str | None: ...

    def clear(self) -> None: ...


class Clipboard:
    """Copies text to the system clipboard and clears it after a delay and on close.

    `clear_seconds` of 0 keeps a copied value until the user replaces it.
    """

    def __init__(
        self,
        backend: ClipboardBackend,
        clear_seconds: int,
        timer: Callable[[float, Callable[[], Any]], Any] = threading.Timer,
    ) -> None:
        self._backend = backend
        self._clear_seconds = clear_seconds
        self._timer_factory = timer
        self._salt = secrets.token_bytes(16)
        self._digest: bytes | None = None
        self._timer: Any = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[bool], None]] = []

    @property
    def clear_seconds(self) -> int:
        return self._clear_seconds

    def add_listener(self, callback: Callable[[bool], None]) -> None:
        """Call `callback(cleared)` each time the clearing timer ends.

        `cleared` is False when the user had replaced the copied value, so
        the clipboard was left alone.
        """
        self._listeners.append(callback)

    def copy(self, text: str, secret: bool) -> None:
        """Put `text` on the clipboard and schedule its clearing."""
        with self._lock:
            self._cancel_timer()
            self._backend.write(text, secret)
            self._digest = self._hash(text)
            if self._clear_seconds > 0:
                self._timer = self._timer_factory(
                    self._clear_seconds, self._timer_ended
                )
                self._timer.daemon = True
                self._timer.start()

    def clear_own(self) -> bool:
        """Empty the clipboard if it still contains the last copied value."""
        with self._lock:
            self._cancel_timer()
            digest, self._digest = self._digest, None
            if digest is None:
                return False
            try:
                current = self._backend.read()
            except ClipboardError:
                log.exception("reading the clipboard failed, so the copied value stays")
                return False
            if current is None or self._hash(current) != digest:
                log.info("clipboard changed since the copy, so it is not cleared")
                return False
            self._backend.clear()
            log.info("copied value cleared from the clipboard")
            return True

    def _timer_ended(self) -> None:
        try:
            cleared = self.clear_own()
        except ClipboardError:
            log.exception("clearing the clipboard after the delay failed")
            cleared = False
        for callback in self._listeners:
            try:
                callback(cleared)
            except Exception:
                log.exception("a clipboard listener failed")

    def close(self) -> None:
        """Clear the last copied value as `clear_own` does, for the end of the process."""
        try:
            self.clear_own()
        except ClipboardError:
            log.exception("clearing the clipboard on quit failed")

    def _hash(self, text: str) -> bytes:
        return hashlib.sha256(self._salt + text.encode("utf-8")).digest()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def open_clipboard(clear_seconds: int, platform: str = sys.platform) -> Clipboard:
    """Build the Clipboard on this platform's backend."""
    backend: ClipboardBackend
    if platform == "win32":
        backend = WindowsClipboard()
    elif platform == "darwin":
        backend = MacClipboard()
    else:
        backend = GtkClipboard()
    return Clipboard(backend, clear_seconds)


# -- Linux and other X11/Wayland desktops: GTK 3 ---------------------------------


class GtkClipboard:
    """The CLIPBOARD selection through Gtk.Clipboard, used on the GLib main loop.

    NOTE: PyGObject cannot call gtk_clipboard_set_with_data, so the KDE
    target x-kde-passwordManagerHint=secret is not offered beside the text.
    """

    def __init__(self) -> None:
        import gi

        gi.require_version("Gtk", "3.0")
        gi.require_version("Gdk", "3.0")
        from gi.repository import Gdk, GLib, Gtk

        self._glib = GLib
        self._gtk = Gtk
        self._selection = Gdk.SELECTION_CLIPBOARD

    def write(self, text: str, secret: bool) -> None:
        def task() -> None:
            clipboard = self._clipboard()
            clipboard.set_text(text, -1)
            clipboard.store()

        self._on_main_loop(task)

    def read(self) -> str | None:
        return self._on_main_loop(lambda: self._clipboard().wait_for_text())

    def clear(self) -> None:
        def task() -> None:
            clipboard = self._clipboard()
            # An empty text replaces the value a clipboard manager stored too.
            clipboard.set_text("", -1)
            clipboard.store()

        self._on_main_loop(task)

    def _clipboard(self) -> Any:
        return self._gtk.Clipboard.get(self._selection)

    def _on_main_loop(self, function: Callable[[], Any]) -> Any:
        """Run `function` where GTK may be used and return its result.

        While a GLib main loop runs the default context (pystray's), the call
        is queued there. When no loop runs, as after the tray stopped, the
        context is free and the call runs on this thread.
        """
        context = self._glib.MainContext.default()
        if context.acquire():
            try:
                return function()
            finally:
                context.release()

        results: list[Any] = []
        errors: list[BaseException] = []
        done = threading.Event()

        def task() -> bool:
            try:
                results.append(function())
            except Exception as error:
                errors.append(error)
            done.set()
            return False

        self._glib.idle_add(task)
        if not done.wait(GTK_CALL_TIMEOUT_SECONDS):
            raise ClipboardError(
                f"clipboard call timed out after {GTK_CALL_TIMEOUT_SECONDS} s: "
                "the GTK main loop is not running"
            )
        if errors:
            raise ClipboardError(f"clipboard call failed: {errors[0]}") from errors[0]
        return results[0]


# -- Windows: Win32 clipboard through ctypes -------------------------------------

CF_UNICODETEXT = 13
GMEM_MOVEABLE = 0x0002
OPEN_ATTEMPTS = 10
OPEN_RETRY_SECONDS = 0.05
# Registered formats that keep a secret out of clipboard history, cloud sync
# and clipboard monitors; Windows reads a DWORD 0 as "not allowed".
WINDOWS_SECRET_FORMATS = (
    "ExcludeClipboardContentFromMonitorProcessing",
    "CanIncludeInClipboardHistory",
    "CanUploadToCloudClipboard",
)
DWORD_ZERO = b"\x00\x00\x00\x00"


class WindowsClipboard:
    """The Win32 clipboard; `user32` and `kernel32` are replaceable for tests."""

    def __init__(self, user32: Any = None, kernel32: Any = None) -> None:
        if user32 is None or kernel32 is None:
            user32, kernel32 = _win32_libraries()
        self._user32 = user32
        self._kernel32 = kernel32

    def write(self, text: str, secret: bool) -> None:
        data = (text + "\0").encode("utf-16-le")
        with self._opened():
            if not self._user32.EmptyClipboard():
                raise ClipboardError("EmptyClipboard failed")
            self._set(CF_UNICODETEXT, data)
            if secret:
                for name in WINDOWS_SECRET_FORMATS:
                    format_id = self._user32.RegisterClipboardFormatW(name)
                    if not format_id:
                        raise ClipboardError(f"RegisterClipboardFormatW({name}) failed")
                    self._set(format_id, DWORD_ZERO)

    def read(self) -> str | None:
        with self._opened():
            if not self._user32.IsClipboardFormatAvailable(CF_UNICODETEXT):
                return None
            handle = self._user32.GetClipboardData(CF_UNICODETEXT)
            if not handle:
                return None
            pointer = self._kernel32.GlobalLock(handle)
            if not pointer:
                raise ClipboardError("GlobalLock of the clipboard text failed")
            try:
                size = self._kernel32.GlobalSize(handle)
                # Decoded as UTF-16 explicitly: wchar_t is 4 bytes outside Windows.
                text = ctypes.string_at(pointer, size).decode("utf-16-le", "replace")
                return text.split("\0", 1)[0]
            finally:
                self._kernel32.GlobalUnlock(handle)

    def clear(self) -> None:
        with self._opened():
            if not self._user32.EmptyClipboard():
                raise ClipboardError("EmptyClipboard failed")

    def _set(self, format_id: int, data: bytes) -> None:
        """Copy `data` into a movable global block and hand it to the clipboard."""
        handle = self._kernel32.GlobalAlloc(GMEM_MOVEABLE, len(data))
        if not handle:
            raise ClipboardError("GlobalAlloc failed")
        pointer = self._kernel32.GlobalLock(handle)
        if not pointer:
            self._kernel32.GlobalFree(handle)
            raise ClipboardError("GlobalLock failed")
        ctypes.memmove(pointer, data, len(data))
        self._kernel32.GlobalUnlock(handle)
        # On success the clipboard owns the block, so it is freed only on failure.
        if not self._user32.SetClipboardData(format_id, handle):
            self._kernel32.GlobalFree(handle)
            raise ClipboardError(f"SetClipboardData({format_id}) failed")

    def _opened(self) -> _OpenWin32Clipboard:
        return _OpenWin32Clipboard(self._user32)


class _OpenWin32Clipboard:
    """Context manager that opens the clipboard, retrying while another program has it."""

    def __init__(self, user32: Any) -> None:
        self._user32 = user32

    def __enter__(self) -> None:
        for _ in range(OPEN_ATTEMPTS):
            if self._user32.OpenClipboard(None):
                return
            time.sleep(OPEN_RETRY_SECONDS)
        raise ClipboardError(
            "OpenClipboard failed: another program holds the clipboard"
        )

    def __exit__(self, *exc_info: object) -> None:
        self._user32.CloseClipboard()


def _win32_libraries() -> tuple[Any, Any]:
    """Load user32 and kernel32 with the argument and result types of the calls used."""
    from ctypes import wintypes

    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    user32.OpenClipboard.argtypes = [wintypes.HWND]
    user32.OpenClipboard.restype = wintypes.BOOL
    user32.CloseClipboard.restype = wintypes.BOOL
    user32.EmptyClipboard.restype = wintypes.BOOL
    user32.IsClipboardFormatAvailable.argtypes = [wintypes.UINT]
    user32.IsClipboardFormatAvailable.restype = wintypes.BOOL
    user32.GetClipboardData.argtypes = [wintypes.UINT]
    user32.GetClipboardData.restype = wintypes.HANDLE
    user32.SetClipboardData.argtypes = [wintypes.UINT, wintypes.HANDLE]
    user32.SetClipboardData.restype = wintypes.HANDLE
    user32.RegisterClipboardFormatW.argtypes = [wintypes.LPCWSTR]
    user32.RegisterClipboardFormatW.restype = wintypes.UINT
    kernel32.GlobalAlloc.argtypes = [wintypes.UINT, ctypes.c_size_t]
    kernel32.GlobalAlloc.restype = wintypes.HGLOBAL
    kernel32.GlobalLock.argtypes = [wintypes.HGLOBAL]
    kernel32.GlobalLock.restype = wintypes.LPVOID
    kernel32.GlobalUnlock.argtypes = [wintypes.HGLOBAL]
    kernel32.GlobalUnlock.restype = wintypes.BOOL
    kernel32.GlobalSize.argtypes = [wintypes.HGLOBAL]
    kernel32.GlobalSize.restype = ctypes.c_size_t
    kernel32.GlobalFree.argtypes = [wintypes.HGLOBAL]
    kernel32.GlobalFree.restype = wintypes.HGLOBAL
    return user32, kernel32


# -- macOS: NSPasteboard through pyobjc --------------------------------------------

# Types from nspasteboard.org that password managers set beside the text:
# clipboard history tools skip a concealed or transient item.
MAC_CONCEALED_TYPE = "org.nspasteboard.ConcealedType"
MAC_TRANSIENT_TYPE = "org.nspasteboard.TransientType"
MAC_STRING_TYPE = "public.utf8-plain-text"


class MacClipboard:
    """The general NSPasteboard; `appkit` is pyobjc's AppKit module or a test stand-in."""

    def __init__(self, appkit: Any = None) -> None:
        if appkit is None:
            try:
                import AppKit as appkit  # type: ignore[import-not-found, no-redef]
            except ImportError as error:
                raise ClipboardError(
                    "pyobjc (AppKit) is not installed, so the clipboard is unavailable"
                ) from error
        self._appkit = appkit

    def write(self, text: str, secret: bool) -> None:
        board = self._board()
        types = [MAC_STRING_TYPE]
        if secret:
            types += [MAC_CONCEALED_TYPE, MAC_TRANSIENT_TYPE]
        board.clearContents()
        board.declareTypes_owner_(types, None)
        if not board.setString_forType_(text, MAC_STRING_TYPE):
            raise ClipboardError("NSPasteboard refused the text")
        for marker in types[1:]:
            board.setString_forType_("", marker)

    def read(self) -> str | None:
        value = self._board().stringForType_(MAC_STRING_TYPE)
        return None if value is None else str(value)

    def clear(self) -> None:
        self._board().clearContents()

    def _board(self) -> Any:
        return self._appkit.NSPasteboard.generalPasteboard()
