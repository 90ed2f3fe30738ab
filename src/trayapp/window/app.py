"""The rubrica window: a pywebview page whose calls go to the resident process.

This module runs in the window's own process. It never opens the index or
the keyring: every read and write is an RPC call to the resident process
(`trayapp.window.service`). pywebview and Qt are imported only inside
`run_window`, so importing this module needs no display.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from trayapp.ipc import RpcClient, RpcError
from trayapp.window.exchange_api import ExchangeApi, FileChooser
from trayapp.window.import_api import ImportApi
from trayapp.window.list_channel import make_list_channel, register_list_channel

log = logging.getLogger(__name__)

WINDOW_TITLE = "trayapp – Rubrica clienti"
PAGE_LOCALE = "it-IT"
WINDOW_SIZE = (1100, 720)
WINDOW_MIN_SIZE = (800, 520)
EVENT_WAIT_SECONDS = 20
SECRET_KINDS = ("password", "pin")
COPY_KINDS = ("user_id", *SECRET_KINDS)

# Texts of pywebview's own dialogs, in Italian.
LOCALIZATION = {
    "global.quitConfirmation": (
        "Ci sono modifiche non salvate nella scheda del cliente. "
        "Chiudere la finestra e perderle?"
    ),
    "global.ok": "OK",
    "global.quit": "Chiudi",
    "global.cancel": "Annulla",
    "global.saveFile": "Salva file",
    "linux.openFile": "Apri file",
    "linux.openFiles": "Apri file",
    "linux.openFolder": "Apri cartella",
    "windows.fileFilter.allFiles": "Tutti i file",
    "windows.fileFilter.otherFiles": "Altri tipi di file",
}


class WindowApi(ImportApi, ExchangeApi):
    """The page's js_api: each public method forwards one call to the resident.

    pywebview runs these methods on worker threads. Every result is JSON:
    {"result": value} on success, {"error": message, "field": name} when the
    resident rejects the call or the connection fails.
    """

    def __init__(self, client: RpcClient, chooser: FileChooser | None = None) -> None:
        self._client = client
        self._chooser = chooser
        self._dirty = threading.Event()

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        try:
            return {"result": self._client.call(method, **params)}
        except RpcError as error:
            log.info("resident rejected %s: %s", method, error.message)
            return {"error": error.message, "field": error.field}
        except (EOFError, OSError):
            log.exception("call %s to the resident process failed", method)
            return {
                "error": "trayapp non risponde: riavvia trayapp dall'icona nella tray.",
                "field": None,
            }

    @property
    def is_dirty(self) -> bool:
        return self._dirty.is_set()

    def set_dirty(self, dirty: bool) -> dict[str, Any]:
        """Record whether the open form has unsaved changes."""
        if dirty:
            self._dirty.set()
        else:
            self._dirty.clear()
        return {"result": bool(dirty)}

    def list_clients(self) -> dict[str, Any]:
        return self._call("list_clients")

    def client_list_json(self) -> dict[str, Any]:
        """Return the client list as JSON text, which the page decodes itself."""
        return self._call("client_list_json")

    def get_client(self, client_id: str) -> dict[str, Any]:
        return self._call("get_client", client_id=client_id)

    def check_form(self, data: dict[str, Any]) -> dict[str, Any]:
        return self._call("check_form", data=data)

    def save_client(
        self, data: dict[str, Any], client_id: str | None = None
    ) -> dict[str, Any]:
        return self._call("save_client", data=data, client_id=client_id or None)

    def linked_subjects(self, client_id: str) -> dict[str, Any]:
        return self._call("linked_subjects", client_id=client_id)

    def delete_client(self, client_id: str, linked: str = "") -> dict[str, Any]:
        return self._call("delete_client", client_id=client_id, linked=linked)

    def reveal_secret(self, client_id: str, kind: str) -> dict[str, Any]:
        if kind not in SECRET_KINDS:
            return {"error": f"Tipo di credenziale sconosciuto: {kind}", "field": None}
        return self._call("reveal_secret", client_id=client_id, kind=kind)

    def copy_secret(self, client_id: str, kind: str) -> dict[str, Any]:
        """Have the resident copy a secret to its clipboard, which clears it later.

        The secret reaches neither the page nor this process.
        """
        if kind not in COPY_KINDS:
            return {"error": f"Tipo di credenziale sconosciuto: {kind}", "field": None}
        return self._call("copy_secret", client_id=client_id, kind=kind)

    def generate_password(self) -> dict[str, Any]:
        return self._call("generate_password")

    def renew_password(self, client_id: str, password: str) -> dict[str, Any]:
        return self._call("renew_password", client_id=client_id, password=password)

    def audit_entries(self, client_id: str = "", since: str = "") -> dict[str, Any]:
        return self._call("audit_entries", client_id=client_id, since=since)

    def login(self, client_id: str) -> dict[str, Any]:
        return self._call("login", client_id=client_id)

    def send_email(self, client_id: str) -> dict[str, Any]:
        return self._call("send_email", client_id=client_id)

    def autostart_status(self) -> dict[str, Any]:
        return self._call("autostart_status")

    def set_autostart(self, enabled: bool) -> dict[str, Any]:
        return self._call("set_autostart", enabled=bool(enabled))


def page_path() -> str:
    """Return the file path of the packaged index.html."""
    page = resources.files("trayapp.window").joinpath("web", "index.html")
    if not isinstance(page, Path):
        # pywebview's server reads the page from disk, which a zipped package lacks.
        raise RuntimeError(f"the window page is not a file on disk: {page}")
    return str(page)


def configure_qtwebengine(environ: dict[str, str] | os._Environ[str]) -> None:
    """Set what QtWebEngine needs before it starts in this process."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to run its sandbox as root.
        environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    environ.setdefault("QT_API", "pyqt6")
    # The page speaks Italian whatever the desktop's language, so its date
    # fields and number formats follow Italian conventions too.
    # NOTE: Qt only. WebView2 (Windows) and WKWebView (macOS) take the
    # system's language, and no flag of theirs is set here.
    flags = environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    if not any(flag.startswith("--lang=") for flag in flags):
        environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(
            [*flags, f"--lang={PAGE_LOCALE}"]
        )


class EventLoop:
    """Wait for the resident's events and apply them to the window.

    It uses a connection of its own, because a pending wait_event would
    otherwise hold the page's calls back for up to EVENT_WAIT_SECONDS.
    """

    def __init__(self, client: RpcClient, window: Any) -> None:
        self._client = client
        self._window = window
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="window-events", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                event = self._client.call("wait_event", timeout=EVENT_WAIT_SECONDS)
            except (EOFError, OSError, RpcError):
                if not self._stopped.is_set():
                    log.exception("lost the resident process; closing the window")
                    self._window.destroy()
                return
            if event == "focus":
                self._bring_forward()
            elif event == "changed":
                self._window.evaluate_js("window.trayapp && trayapp.markListChanged()")
            elif event in ("clipboard_cleared", "clipboard_replaced"):
                cleared = "true" if event == "clipboard_cleared" else "false"
                self._window.evaluate_js(
                    f"window.trayapp && trayapp.clipboardTimerEnded({cleared})"
                )
            elif event is not None:
                log.warning("unknown window event %r ignored", event)

    def _bring_forward(self) -> None:
        log.info("bringing the window forward")
        self._window.restore()
        self._window.show()
        self._window.on_top = True
        self._window.on_top = False


def _bypass_eval(window: Any) -> None:
    """Make the window run scripts as they are, without pywebview's eval wrapper.

    The page's Content-Security-Policy forbids eval, which pywebview 6.2.1
    wraps around every evaluate_js, including the one that hands js_api
    results back to the page. Scripts sent through run_js are not eval and
    pass; they return the script's last value but wait for no promise.
    """

    def evaluate_js(script: str, callback: Callable[..., Any] | None = None) -> Any:
        return window.run_js(script)

    window.evaluate_js = evaluate_js


def make_gui_bridge() -> Any:
    """Return a QObject whose `run` signal calls a function on Qt's main thread.

    Call it on the main thread: the object belongs to the thread that
    creates it, and Qt queues signals emitted on other threads to that one.
    """
    from qtpy import QtCore

    class GuiBridge(QtCore.QObject):
        run = QtCore.Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.run.connect(self._call)

        def _call(self, function: Callable[[], None]) -> None:
            try:
                function()
            except Exception:
                log.exception("GUI task %r failed", function)

    return GuiBridge()


def _install_italian_qt_texts() -> None:
    """Load Qt's Italian texts, so dialog buttons read "Sì" and "No"."""
    from qtpy import QtCore
    from qtpy.QtWidgets import QApplication

    translator = QtCore.QTranslator(QApplication.instance())
    folder = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_it", folder):
        QApplication.installTranslator(translator)
    else:
        log.warning("Qt's Italian translations not found in %s", folder)


def run_window(
    address: str,
    authkey: bytes,
    on_started: Callable[[Any], None] | None = None,
) -> None:
    """Show the rubrica window until the user closes it.

    `on_started(window)`, when given, runs on a worker thread once the
    window is shown and receives the pywebview Window.
    """
    configure_qtwebengine(os.environ)
    import webview

    client = RpcClient(address, authkey)
    events_client = RpcClient(address, authkey)
    gui = make_gui_bridge()
    chooser = FileChooser()
    api = WindowApi(client, chooser)
    window = webview.create_window(
        WINDOW_TITLE,
        url=page_path(),
        js_api=api,
        width=WINDOW_SIZE[0],
        height=WINDOW_SIZE[1],
        min_size=WINDOW_MIN_SIZE,
        text_select=True,
    )
    if window is None:
        raise RuntimeError("pywebview did not create the rubrica window")

    def on_closing() -> None:
        # Runs on Qt's main thread inside closeEvent, so it must not call
        # evaluate_js. When confirm_close is set, pywebview shows its own
        # confirmation dialog.
        window.confirm_close = api.is_dirty

    list_channel = make_list_channel(api.client_list_json, gui)

    def before_show() -> None:
        # Runs on Qt's main thread, before the page has loaded.
        register_list_channel(window, list_channel)

    chooser.attach(window)
    _bypass_eval(window)
    window.events.closing += on_closing
    window.events.before_show += before_show
    event_loop = EventLoop(events_client, window)

    def started() -> None:
        gui.run.emit(_install_italian_qt_texts)
        event_loop.start()
        log.info("rubrica window shown")
        if on_started is not None:
            on_started(window)

    try:
        webview.start(
            started,
            gui="qt",
            http_server=True,
            private_mode=True,
            localization=LOCALIZATION,
        )
    finally:
        event_loop.stop()
        client.close()
        events_client.close()
        log.info("rubrica window closed")
