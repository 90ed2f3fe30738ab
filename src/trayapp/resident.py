"""The resident tray process: the studio behind the tray icon's menu."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from trayapp.app import LoginRefused, MissingCredentials, Studio
from trayapp.domain.client import Client

log = logging.getLogger(__name__)


class TrayActions:
    """What the tray menu does, with each outcome told to the user in a notification."""

    def __init__(
        self,
        studio: Studio,
        notify: Callable[[str, str], None],
        open_window: Callable[[], None],
    ) -> None:
        self._studio = studio
        self._notify = notify
        self._open_window = open_window
        self._quit_requested = threading.Event()

    def open_window(self) -> None:
        self._open_window()

    def clients(self) -> list[Client]:
        return self._studio.clients()

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

    def quit(self) -> None:
        self._quit_requested.set()


def user_error_types() -> tuple[type[BaseException], ...]:
    """Return the exceptions whose message is written for the user, in Italian."""
    from trayapp.app import AmbiguousClient, ClientNotFound
    from trayapp.desktop.mailto import MailtoError
    from trayapp.desktop.opener import OpenError
    from trayapp.domain.validation import FieldError
    from trayapp.login.browser import BrowserNotFound
    from trayapp.login.profile import ProfileError
    from trayapp.secretstore.base import SecretStoreError
    from trayapp.storage.base import IndexStorageError

    from trayapp.config import ConfigError

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
    )


def run_tray(studio: Studio, *, open_window: bool = False) -> int:
    """Show the tray icon and serve its menu and the window until "Esci".

    Returns the exit code. The rubrica window runs in a child process and
    reaches the studio only through the local channel served here.
    """
    from trayapp import instance
    from trayapp.artwork import load_icon
    from trayapp.ipc import RpcServer
    from trayapp.tray.icon import TrayApp, TrayUnavailableError
    from trayapp.window.process import WindowProcess
    from trayapp.window.service import WindowService

    holder: dict[str, TrayApp] = {}

    def notify(title: str, message: str) -> None:
        holder["tray"].notify(title, message)

    window_holder: list[WindowProcess] = []

    def show_window() -> None:
        window_holder[0].open()

    actions = TrayActions(studio, notify, show_window)
    service = WindowService(
        studio, login=actions.login_outcome, open_window=show_window
    )
    server = RpcServer(service.handle, user_errors=user_error_types()).start()
    window = WindowProcess(
        server.address, server.authkey, focus=lambda: service.post_event("focus")
    )
    window_holder.append(window)
    studio.add_listener(lambda: service.post_event("changed"))
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
        try:
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
