"""The resident tray process: the studio behind the tray icon's menu."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from trayapp.app import LoginRefused, MissingCredentials, Studio
from trayapp.domain.client import Client
from trayapp.domain.credentials import SecretKind
from trayapp.domain.expiry import PasswordStatus

if TYPE_CHECKING:
    from trayapp.clipboard import Clipboard

log = logging.getLogger(__name__)

EXPIRY_NOTICE_FILE = "expiry-notice.txt"
NO_TRAY_HOST_MESSAGE = (
    "trayapp: nessuna area di notifica ha accolto l'icona, quindi il menu non è "
    "visibile. Su GNOME installa l'estensione «AppIndicator and KStatusNotifierItem "
    "Support» (pacchetto gnome-shell-extension-appindicator); intanto la rubrica "
    "si apre con «trayapp rubrica»."
)
RECOVERY_TITLE = "Indice clienti ripristinato"
COPY_TITLE = "Copiato negli appunti"
# What each copy command puts on the clipboard: (Italian noun, its gender).
COPY_WHAT = {
    "user_id": ("Utente", "m"),
    "password": ("Password", "f"),
    "pin": ("PIN", "m"),
}
# The tray checks the expiry dates again this often, so a password that
# crosses a boundary overnight shows without a restart.
EXPIRY_CHECK_SECONDS = 3600


def expiry_text(days_left: int | None) -> str:
    """Return the Italian state of a password from its days left."""
    if days_left is None or days_left < 0:
        return "scaduta"
    if days_left == 0:
        return "scade oggi"
    if days_left == 1:
        return "scade domani"
    return f"scade tra {days_left} giorni"


class TrayActions:
    """Run the tray menu's commands and report each outcome in a notification."""

    def __init__(
        self,
        studio: Studio,
        notify: Callable[[str, str], None],
        open_window: Callable[[], None],
        clipboard: Clipboard | None = None,
    ) -> None:
        self._studio = studio
        self._notify = notify
        self._open_window = open_window
        self._clipboard = clipboard
        self._quit_requested = threading.Event()

    def open_window(self) -> None:
        self._open_window()

    def clients(self) -> list[Client]:
        return self._studio.clients()

    def expiring(self) -> list[tuple[str, str]]:
        """Return (client id, state) of passwords expiring or expired, soonest first."""
        found = []
        for client in self._studio.clients():
            if not client.has_password:
                continue
            status, days_left = self._studio.password_status(client)
            if status in (PasswordStatus.EXPIRING, PasswordStatus.EXPIRED):
                found.append(
                    (days_left if days_left is not None else -(10**6), client.id)
                )
        found.sort()
        return [(client_id, expiry_text(days_left)) for days_left, client_id in found]

    def notify_expiring_once_a_day(self) -> None:
        """Tell the user how many passwords need renewing, at most once a day."""
        count = len(self.expiring())
        if not count:
            return
        marker = self._studio.paths.data_dir / EXPIRY_NOTICE_FILE
        today = self._studio.today().isoformat()
        try:
            if marker.read_text(encoding="utf-8").strip() == today:
                return
        except FileNotFoundError:
            pass
        marker.write_text(today, encoding="utf-8")
        self._notify(
            "Password in scadenza",
            f"{count} password da rinnovare: le trovi nel menu «Password in scadenza».",
        )

    def recent_ids(self) -> list[str]:
        return self._studio.recent_ids()

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._studio.add_listener(callback)

    def login(self, client_id: str) -> None:
        name = self._studio.get(client_id).name
        self._notify(name, self.login_outcome(client_id)["message"])

    def login_outcome(self, client_id: str) -> dict[str, str]:
        """Run the login; return {"outcome", "message"} with the Italian message."""
        from trayapp.login.browser import BrowserNotFound
        from trayapp.login.profile import ProfileError
        from trayapp.secretstore.base import SecretStoreError

        try:
            result = self._studio.login(client_id)
        except (
            LoginRefused,
            MissingCredentials,
            BrowserNotFound,
            ProfileError,
            SecretStoreError,
        ) as error:
            log.warning(
                "login of client %s not started: %s", client_id, type(error).__name__
            )
            return {"outcome": "not_started", "message": str(error)}
        return {"outcome": result.outcome.value, "message": result.message}

    def send_email(self, client_id: str) -> None:
        from trayapp.desktop.mailto import MailtoError
        from trayapp.desktop.opener import OpenError

        name = self._studio.get(client_id).name
        try:
            self._studio.send_email(client_id)
        except (MissingCredentials, MailtoError, OpenError) as error:
            log.warning(
                "email to client %s not opened: %s", client_id, type(error).__name__
            )
            self._notify(name, str(error))

    def copy(self, client_id: str, what: str) -> None:
        """Copy the client's user id, password or PIN and tell the user when it clears."""
        from trayapp.secretstore.base import SecretStoreError

        name = self._studio.get(client_id).name
        try:
            seconds = self.copy_to_clipboard(client_id, what)
        except (MissingCredentials, SecretStoreError) as error:
            log.warning(
                "copy of %s for client %s not done: %s",
                what,
                client_id,
                type(error).__name__,
            )
            self._notify(name, str(error))
            return
        self._notify(COPY_TITLE, copied_message(what, name, seconds))

    def copy_to_clipboard(self, client_id: str, what: str) -> int:
        """Put a client's value on the clipboard; return the seconds until it clears.

        `what` is "user_id", "password" or "pin". Every copy is recorded in
        the audit log by the studio. Returns 0 when it is never cleared.
        """
        if what not in COPY_WHAT:
            raise ValueError(f"unknown value to copy: {what!r}")
        if self._clipboard is None:
            raise RuntimeError("this tray has no clipboard")
        if what == "user_id":
            value = self._studio.copy_user_id(client_id)
        else:
            value = self._studio.reveal_secret(
                client_id, SecretKind(what), purpose="copy"
            )
        self._clipboard.copy(value, secret=what != "user_id")
        log.info("%s of client %s copied to the clipboard", what, client_id)
        return self._clipboard.clear_seconds

    def quit(self) -> None:
        self._quit_requested.set()
        if self._clipboard is not None:
            self._clipboard.close()


def copied_message(what: str, name: str, seconds: int) -> str:
    """Return the Italian notice for a copied value, with its clearing delay."""
    noun, gender = COPY_WHAT[what]
    copied = "copiata" if gender == "f" else "copiato"
    if seconds <= 0:
        return f"{noun} di {name} {copied}"
    return f"{noun} di {name} {copied}: si cancella tra {seconds} secondi"


def user_error_types() -> tuple[type[BaseException], ...]:
    """Return the exceptions whose message is written for the user, in Italian."""
    from trayapp.app import AmbiguousClient, ClientNotFound
    from trayapp.config import ConfigError
    from trayapp.desktop.autostart import AutostartError
    from trayapp.desktop.mailto import MailtoError
    from trayapp.desktop.opener import OpenError
    from trayapp.domain.validation import FieldError
    from trayapp.exchange.files import ExchangeError
    from trayapp.login.browser import BrowserNotFound
    from trayapp.login.profile import ProfileError
    from trayapp.secretstore.base import SecretStoreError
    from trayapp.storage.base import IndexStorageError

    return (
        ConfigError,
        LoginRefused,
        AmbiguousClient,
        ClientNotFound,
        MissingCredentials,
        MailtoError,
        OpenError,
        FieldError,
        BrowserNotFound,
        ProfileError,
        SecretStoreError,
        IndexStorageError,
        AutostartError,
        ExchangeError,
    )


def run_tray(studio: Studio, *, open_window: bool = False) -> int:
    """Show the tray icon and serve its menu and the window until "Esci".

    Returns the exit code. The rubrica window runs in a child process and
    reaches the studio only through the local channel served here.
    """
    from trayapp import instance
    from trayapp.artwork import load_icon
    from trayapp.clipboard import open_clipboard
    from trayapp.ipc import RpcServer
    from trayapp.remote import ResidentCommands
    from trayapp.storage.base import IndexStorageError
    from trayapp.tray.icon import TrayApp, TrayUnavailableError
    from trayapp.window.process import WindowProcess
    from trayapp.window.service import WindowService

    holder: dict[str, TrayApp] = {}

    def notify(title: str, message: str) -> None:
        holder["tray"].notify(title, message)

    window_holder: list[WindowProcess] = []

    def show_window() -> None:
        window_holder[0].open()

    # The tray is the only writer from here on.
    studio.remove_interrupted_secrets()
    clipboard = open_clipboard(studio.settings.clipboard_clear_seconds)
    actions = TrayActions(studio, notify, show_window, clipboard)
    service = WindowService(
        studio,
        login=actions.login_outcome,
        open_window=show_window,
        copy=actions.copy_to_clipboard,
        extra=ResidentCommands(studio, actions.login_outcome),
    )
    server = RpcServer(service.handle, user_errors=user_error_types()).start()
    window = WindowProcess(
        server.address,
        server.authkey,
        focus=lambda: service.post_event("focus"),
        log_file=studio.paths.log_file,
    )
    window_holder.append(window)
    studio.add_listener(lambda: service.post_event("changed"))
    clipboard.add_listener(
        lambda cleared: service.post_event(
            "clipboard_cleared" if cleared else "clipboard_replaced"
        )
    )
    instance.publish(studio.paths.data_dir, server.address, server.authkey)
    try:
        try:
            tray = TrayApp(actions, load_icon(), title="trayapp – clienti dello studio")
        except TrayUnavailableError as error:
            log.error("no tray backend with a menu: %s", error)
            print(f"trayapp: {error}")  # noqa: T201 - the user started us from a terminal
            return 1
        holder["tray"] = tray
        log.info("tray started with %d clients", len(studio.clients()))
        if open_window:
            window.open()
        ticker = threading.Thread(
            target=_expiry_ticker,
            args=(tray, actions, studio.index.recovery_notice),
            name="expiry-check",
            daemon=True,
        )
        ticker.start()
        try:
            with _stop_on_session_end(tray):
                tray.run()
        except TrayUnavailableError as error:
            log.error("no tray backend with a menu: %s", error)
            print(f"trayapp: {error}")  # noqa: T201
            return 1
        log.info("tray stopped")
        return 0
    finally:
        instance.withdraw(studio.paths.data_dir)
        window.close()
        server.close()
        clipboard.close()
        try:
            # Fold the session's saves into the index file, with a backup.
            studio.index.fold()
        except IndexStorageError as error:
            log.warning("folding the index journal at quit failed: %s", error)


# Signals that end the tray as "Esci" does: the session's end (SIGTERM at
# logout, SIGHUP when the terminal closes) and Ctrl+C in a terminal.
# NOTE: a Windows logoff is not handled here. The session's saves then stay
# in the journal, which the next start reads, until a later fold.
STOP_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGHUP", "SIGINT")
    if hasattr(signal, name)
)


@contextlib.contextmanager
def _stop_on_session_end(tray) -> Iterator[None]:
    """Stop the tray cleanly on STOP_SIGNALS while the block runs.

    The cleanup after run_tray's loop then closes the window, withdraws the
    channel and folds the index, which a default SIGTERM would skip.
    """

    def handle(signum: int, frame: object) -> None:
        log.info("signal %s received; stopping the tray", signal.Signals(signum).name)
        # A second signal ends the process at once, should the stop hang.
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        # The handler interrupts the main thread, which may hold the tray's
        # lock. So the stop runs on a thread of its own, which can wait for it.
        threading.Thread(target=tray.stop, name="signal-stop", daemon=True).start()

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _expiry_ticker(tray, actions: TrayActions, recovery_notice: str | None) -> None:
    """Notify once a day about expiring passwords and refresh the menu's section."""
    # Give the icon time to appear before the first notification.
    time.sleep(5)
    if tray.is_embedded() is False:
        print(NO_TRAY_HOST_MESSAGE, file=sys.stderr)  # noqa: T201 - the user's terminal
        log.warning("no tray host embedded the icon")
    if recovery_notice:
        tray.notify(RECOVERY_TITLE, recovery_notice)
    while True:
        try:
            actions.notify_expiring_once_a_day()
            tray.refresh()
        except Exception:
            log.exception("checking password expiry failed")
        time.sleep(EXPIRY_CHECK_SECONDS)
