"""The tray icon: a pystray icon whose menu lists the studio's clients.

pystray is imported inside functions, because importing it picks a backend
and opens the display, and this module must import on a machine without one.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import ModuleType
from typing import Any, Protocol

from PIL import Image

from trayapp.domain.client import Client
from trayapp.tray.menu import MenuEntry, NameCache, build_menu, menu_text

log = logging.getLogger(__name__)

# Windows copies the tooltip into a 128-character buffer, terminator included.
TOOLTIP_MAX_CHARS = 127
MENU_BACKENDS = ("appindicator", "gtk")
STATUS_NOTIFIER_WATCHER = "org.kde.StatusNotifierWatcher"
WORKER_THREADS = 2
PROGRAM_NAME = "trayapp"

NO_MENU_MESSAGE = (
    "Impossibile mostrare il menu dell'icona nell'area di notifica: "
    "manca il supporto GTK. Installa PyGObject e i pacchetti "
    "gir1.2-gtk-3.0 (e, per i desktop con AppIndicator, "
    "gir1.2-ayatanaappindicator3-0.1), poi riavvia trayapp."
)
NO_DISPLAY_MESSAGE = (
    "Impossibile mostrare l'icona nell'area di notifica: nessuno schermo grafico "
    "disponibile (DISPLAY e WAYLAND_DISPLAY non sono impostate). Avvia trayapp "
    "dalla sessione del desktop; senza schermo funzionano solo i comandi come "
    "«trayapp list»."
)
DISPLAY_NOT_OPENED_MESSAGE = (
    "Impossibile mostrare l'icona nell'area di notifica: lo schermo grafico "
    "{display} (variabile DISPLAY) non si apre. Avvia trayapp dalla sessione del "
    "desktop, oppure imposta DISPLAY sullo schermo giusto."
)
ACTION_FAILED_TITLE = "Operazione non riuscita"
ACTION_FAILED_MESSAGE = "Il comando non è stato eseguito. I dettagli sono nel log."


class TrayUnavailableError(RuntimeError):
    """Raised when no pystray backend that can show a menu is available."""


class TrayActions(Protocol):
    """The application facade as the tray calls it. `open_window` is optional."""

    def clients(self) -> list[Client]: ...

    def recent_ids(self) -> list[str]: ...

    def login(self, client_id: str) -> None: ...

    def send_email(self, client_id: str) -> None: ...

    def copy(self, client_id: str, what: str) -> None: ...

    def quit(self) -> None: ...

    def add_listener(self, callback: Callable[[], None]) -> None: ...


def status_notifier_available() -> bool:
    """Return whether a StatusNotifierWatcher owns its name on the session bus."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        # Without an address GIO would try to autolaunch a bus through X11.
        return False
    try:
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio, GLib
    except (ImportError, ValueError) as error:
        log.info("Cannot query the session bus for a tray watcher: %s", error)
        return False
    try:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        reply = bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            GLib.Variant("(s)", (STATUS_NOTIFIER_WATCHER,)),
            GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE,
            2000,
            None,
        )
    except GLib.Error as error:
        log.info("Session bus query for %s failed: %s", STATUS_NOTIFIER_WATCHER, error)
        return False
    return bool(reply.unpack()[0])


def linux_backend_candidates(environ: Mapping[str, str]) -> list[str]:
    """Return the pystray backends to try on Linux, in order of preference."""
    requested = environ.get("PYSTRAY_BACKEND", "")
    if requested in MENU_BACKENDS:
        return [requested]
    if requested:
        log.warning(
            "PYSTRAY_BACKEND=%s has no menu support; choosing among %s instead",
            requested,
            ", ".join(MENU_BACKENDS),
        )
    if status_notifier_available():
        return ["appindicator", "gtk"]
    return ["gtk"]


def load_pystray() -> ModuleType:
    """Import pystray with a backend that can show a menu, and return the module.

    On Linux this sets PYSTRAY_BACKEND in `os.environ`, because pystray reads
    it once, when it is first imported. Raises `TrayUnavailableError` when
    neither the AppIndicator nor the GTK backend can be loaded.
    """
    if "pystray" in sys.modules:
        return sys.modules["pystray"]
    if not sys.platform.startswith("linux"):
        import pystray

        return pystray

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        # GTK cannot open a display, and its import error would blame GTK.
        raise TrayUnavailableError(NO_DISPLAY_MESSAGE)
    _set_program_name()
    errors = []
    for backend in linux_backend_candidates(os.environ):
        os.environ["PYSTRAY_BACKEND"] = backend
        try:
            import pystray
        except (ImportError, ValueError) as error:
            log.warning("pystray backend %s is not usable: %s", backend, error)
            errors.append(f"{backend}: {error}")
            continue
        log.info("Using pystray backend %s", backend)
        return pystray
    unreachable = x_display_problem(os.environ.get("DISPLAY", ""))
    if unreachable:
        raise TrayUnavailableError(unreachable)
    raise TrayUnavailableError(f"{NO_MENU_MESSAGE} ({'; '.join(errors)})")


def x_display_problem(display: str) -> str | None:
    """Return the Italian message when the X display `display` cannot be opened.

    GTK reports such a display as a failed initialisation, which would read
    as missing packages. None when `display` is empty or opens.
    """
    if not display:
        return None
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
    except ImportError:
        return None
    try:
        xdisplay.Display(display).close()
    except DisplayError as error:
        log.warning("X display %s cannot be opened: %s", display, error)
        return DISPLAY_NOT_OPENED_MESSAGE.format(display=display)
    return None


def _set_program_name() -> None:
    """Name the process "trayapp" for GTK, which makes it the icon window's WM_CLASS.

    GTK otherwise takes the name from argv[0], which is "-m" or
    "__main__.py" when started as `python -m trayapp`.
    """
    try:
        from gi.repository import GLib
    except ImportError:
        return
    GLib.set_prgname(PROGRAM_NAME)
    GLib.set_application_name(PROGRAM_NAME)


def badge_icon(image: Image.Image) -> Image.Image:
    """Return the icon with a red dot in the lower right corner, the expiry mark."""
    from PIL import ImageDraw

    badged = image.convert("RGBA").copy()
    size = min(badged.size)
    radius = size * 0.22
    centre_x, centre_y = (
        badged.width - radius - size * 0.02,
        badged.height - radius - size * 0.02,
    )
    draw = ImageDraw.Draw(badged)
    draw.ellipse(
        [centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius],
        fill=(214, 40, 40, 255),
        outline=(255, 255, 255, 255),
        width=max(1, round(size * 0.03)),
    )
    return badged


def tooltip_text(title: str) -> str:
    """Return `title` cut to 127 characters, the longest tooltip Windows shows."""
    if len(title) <= TOOLTIP_MAX_CHARS:
        return title
    return title[: TOOLTIP_MAX_CHARS - 1] + "…"


class TrayApp:
    """A tray icon whose menu follows the facade's client list.

    Menu callbacks run on the tray's thread. They hand every command to a
    small thread pool owned by this object, so no facade call runs there.
    """

    def __init__(
        self, actions: Any, icon_image: Image.Image, title: str = "trayapp"
    ) -> None:
        self._actions = actions
        self._image = icon_image
        self._badged_image = badge_icon(icon_image)
        self._expiring_count = 0
        self._title = tooltip_text(title)
        self._lock = threading.Lock()
        self._entries: list[MenuEntry] = []
        self._name_cache = NameCache()
        # Raised on every new set of entries; pystray is asked to rebuild its
        # menu only for a generation it has not been given yet.
        self._generation = 0
        self._handed_generation = -1
        # Set when the backend builds submenus on demand (see _icon_class).
        self._lazy_menus = False
        self._icon: Any = None
        self._stopped = False
        self._executor = ThreadPoolExecutor(
            max_workers=WORKER_THREADS, thread_name_prefix="tray-action"
        )
        self._rebuild_entries()
        actions.add_listener(self.refresh)

    def run(self) -> None:
        """Show the icon and block until `stop()`. Call it from the main thread only."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("TrayApp.run() must be called from the main thread")
        pystray = load_pystray()
        with self._lock:
            if self._stopped:
                return
            self._icon = self._icon_class(pystray)(
                "trayapp",
                icon=self._current_image(),
                title=self._title,
                menu=pystray.Menu(self._pystray_items),
            )
        log.info("Tray icon started")
        try:
            self._icon.run()
        except Exception as error:
            # pystray 0.19.5 (GTK backends) hides its last notification while
            # closing and raises when no notification service is on the bus.
            if not self._stopped:
                raise
            log.warning(
                "closing the tray icon after stop() failed, most likely because no "
                "notification service is running: %s",
                error,
            )
        finally:
            self._executor.shutdown(wait=False, cancel_futures=True)
            log.info("Tray icon stopped")

    def _icon_class(self, pystray: ModuleType) -> type:
        """Return the backend's Icon class, rebuilding its menu only after changes.

        pystray rebuilds the whole menu after every click and twice at start.
        With thousands of clients each rebuild takes seconds of the tray's
        main loop, while the entries have usually not changed.
        """
        tray = self

        class TrayIcon(pystray.Icon):  # type: ignore[misc, name-defined]
            def update_menu(self) -> None:
                with tray._lock:
                    if tray._handed_generation == tray._generation:
                        return
                    tray._handed_generation = tray._generation
                super().update_menu()

        if getattr(pystray.Icon, "__module__", "") != "pystray._gtk":
            return TrayIcon
        self._lazy_menus = True

        class LazyGtkIcon(TrayIcon):
            """The XEmbed GTK icon, building each submenu when it is first shown.

            The root menu then costs the same with 20 clients as with 10,000.
            NOTE: AppIndicator mirrors the GTK menu over D-Bus, and whether
            its hosts show a submenu filled only when shown is untried. So
            that backend, like Windows, keeps pystray's whole-menu build.
            """

            def _create_menu(self, descriptors: Any) -> Any:
                # pystray's own version checks each item's submenu for visible
                # items, which would build every submenu; trayapp hides none.
                items = list(descriptors.items) if descriptors else []
                if not items:
                    return None
                from gi.repository import Gtk

                menu = Gtk.Menu.new()
                for descriptor in items:
                    menu.append(self._create_menu_item(descriptor))
                menu.show_all()
                return menu

            def _create_menu_item(self, descriptor: Any) -> Any:
                if descriptor is pystray.Menu.SEPARATOR or descriptor.submenu is None:
                    return super()._create_menu_item(descriptor)
                from gi.repository import Gtk

                item = Gtk.MenuItem.new_with_label(descriptor.text)
                submenu = Gtk.Menu.new()
                submenu.connect("show", self._fill_submenu, descriptor.submenu)
                item.set_submenu(submenu)
                item.set_sensitive(descriptor.enabled)
                return item

            def _fill_submenu(self, submenu: Any, descriptors: Any) -> None:
                if submenu.get_children():
                    return
                for descriptor in descriptors.items:
                    submenu.append(self._create_menu_item(descriptor))
                submenu.show_all()

        return LazyGtkIcon

    def refresh(self) -> None:
        """Rebuild the menu from the facade's data. Any thread may call this."""
        if self._stopped:
            return
        self._rebuild_entries()
        icon = self._icon
        if icon is not None:
            # The GTK backends queue the rebuild on the GTK main loop.
            # NOTE: GTK widgets for every client are rebuilt there, and pystray
            # also rebuilds after each menu click; not timed with 2,000 clients.
            icon.icon = self._current_image()
            icon.update_menu()

    def is_embedded(self, timeout: float = 5.0) -> bool | None:
        """Return whether a tray host shows the icon; None where the backend cannot tell.

        Only pystray's GTK backend (an XEmbed status icon) reports it; the
        question is asked on the GTK main loop, which owns the icon.
        """
        status_icon = getattr(self._icon, "_status_icon", None)
        if status_icon is None:
            return None
        from gi.repository import GLib

        answer: list[bool] = []
        done = threading.Event()

        def ask() -> bool:
            answer.append(bool(status_icon.is_embedded()))
            done.set()
            return False

        GLib.idle_add(ask)
        if not done.wait(timeout):
            return None
        return answer[0]

    def notify(self, title: str, message: str) -> None:
        """Show a desktop notification, where the backend supports it."""
        icon = self._icon
        if icon is None or not getattr(icon, "HAS_NOTIFICATION", False):
            log.info("Notification not shown, no tray icon can show it: %s", title)
            return
        try:
            icon.notify(message, title)
        except Exception:
            # On Linux a desktop without a notification service makes the
            # D-Bus call fail; the outcome stays in the log.
            log.exception("Notification %r could not be shown: %s", title, message)
            return
        # The desktop's notification service may still drop it: pystray
        # reports no failure when none is running.
        log.info("Notification sent: %s: %s", title, message)

    def stop(self) -> None:
        """Remove the icon, end `run()` and close the worker pool, once."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            icon = self._icon
        # Not waiting for running work, because stop() may run on a worker.
        self._executor.shutdown(wait=False, cancel_futures=True)
        if icon is not None:
            icon.stop()

    def _current_image(self) -> Image.Image:
        return self._badged_image if self._expiring_count else self._image

    def _rebuild_entries(self) -> None:
        expiring_source = getattr(self._actions, "expiring", None)
        expiring = list(expiring_source()) if callable(expiring_source) else []
        entries = build_menu(
            self._actions.clients(),
            self._actions.recent_ids(),
            window_available=callable(getattr(self._actions, "open_window", None)),
            expiring=expiring,
            name_cache=self._name_cache,
        )
        with self._lock:
            if entries != self._entries:
                self._entries = entries
                self._generation += 1
            self._expiring_count = len(expiring)

    def _pystray_items(self) -> Sequence[Any]:
        """Return the pystray items for the current entries (called by pystray)."""
        pystray = sys.modules["pystray"]
        with self._lock:
            entries = self._entries
        return [self._pystray_item(pystray, entry) for entry in entries]

    def _pystray_item(self, pystray: ModuleType, entry: MenuEntry) -> Any:
        if entry.separator:
            return pystray.Menu.SEPARATOR
        text = menu_text(entry.text, sys.platform)
        if entry.is_submenu and self._lazy_menus:
            return pystray.MenuItem(
                text, _lazy_submenu(pystray, self, entry), enabled=entry.enabled
            )
        if entry.is_submenu:
            submenu = pystray.Menu(
                *(self._pystray_item(pystray, child) for child in entry.children)
            )
            return pystray.MenuItem(text, submenu, enabled=entry.enabled)
        action = entry.action
        if action is None:
            return pystray.MenuItem(text, None, enabled=False)
        # "Apri rubrica" is the default item: a left click on the icon runs it
        # where the backend has a default action (Windows, GTK).
        return pystray.MenuItem(
            text,
            lambda: self._dispatch(action),
            enabled=entry.enabled,
            default=action == ("open_window",),
        )

    def _dispatch(self, action: tuple[str, ...]) -> None:
        """Hand a menu command, received on the tray's thread, to the worker pool."""
        kind = action[0]
        log.info("Menu command %s %s", kind, " ".join(action[1:]))
        if kind == "login":
            self._submit(action, self._actions.login, action[1])
        elif kind == "email":
            self._submit(action, self._actions.send_email, action[1])
        elif kind == "copy":
            self._submit(action, self._actions.copy, action[1], action[2])
        elif kind == "open_window":
            self._submit(action, self._actions.open_window)
        elif kind == "quit":
            self._submit(action, self._quit)
        else:
            log.error("Unknown menu command %r", action)

    def _submit(
        self, action: tuple[str, ...], function: Callable[..., None], *args: str
    ) -> None:
        try:
            future = self._executor.submit(function, *args)
        except RuntimeError:
            log.warning("Menu command %s ignored, the tray is stopping", action[0])
            return
        future.add_done_callback(lambda done: self._report_failure(action, done))

    def _report_failure(self, action: tuple[str, ...], future: Future[None]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        log.error("Menu command %s failed", " ".join(action), exc_info=error)
        self.notify(ACTION_FAILED_TITLE, ACTION_FAILED_MESSAGE)

    def _quit(self) -> None:
        try:
            self._actions.quit()
        finally:
            self.stop()


def _lazy_submenu(pystray: ModuleType, tray: TrayApp, entry: MenuEntry) -> Any:
    """Return a pystray Menu whose items are made from `entry` only when read.

    It counts as visible without making its items, because `entry` is a
    submenu; otherwise pystray would make the whole tree on every check.
    """

    class LazyMenu(pystray.Menu):  # type: ignore[misc, name-defined]
        def __bool__(self) -> bool:
            return True

    return LazyMenu(
        lambda: [tray._pystray_item(pystray, child) for child in entry.children]
    )
