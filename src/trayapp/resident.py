"""The resident tray process: the studio behind the tray icon's menu."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from trayapp.app import MissingCredentials, Studio
from trayapp.domain.client import Client

log = logging.getLogger(__name__)


class TrayActions:
    """What the tray menu does, with each outcome told to the user in a notification."""

    def __init__(self, studio: Studio, notify: Callable[[str, str], None]) -> None:
        self._studio = studio
        self._notify = notify
        self._quit_requested = threading.Event()

    def clients(self) -> list[Client]:
        return self._studio.clients()

    def recent_ids(self) -> list[str]:
        return self._studio.recent_ids()

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._studio.add_listener(callback)

    def login(self, client_id: str) -> None:
        from trayapp.login.browser import BrowserNotFound
        from trayapp.login.profile import ProfileError
        from trayapp.secretstore.base import SecretStoreError

        name = self._studio.get(client_id).name
        try:
            result = self._studio.login(client_id)
        except (
            MissingCredentials,
            BrowserNotFound,
            ProfileError,
            SecretStoreError,
        ) as error:
            log.warning(
                "login of client %s not started: %s", client_id, type(error).__name__
            )
            self._notify(name, str(error))
            return
        self._notify(name, result.message)

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


def run_tray(studio: Studio) -> int:
    """Show the tray icon and serve its menu until "Esci"; return the exit code."""
    from trayapp.artwork import load_icon
    from trayapp.tray.icon import TrayApp, TrayUnavailableError

    holder: dict[str, TrayApp] = {}

    def notify(title: str, message: str) -> None:
        holder["tray"].notify(title, message)

    actions = TrayActions(studio, notify)
    try:
        tray = TrayApp(actions, load_icon(), title="trayapp – clienti dello studio")
    except TrayUnavailableError as error:
        log.error("no tray backend with a menu: %s", error)
        print(f"trayapp: {error}")  # noqa: T201 - the user started us from a terminal
        return 1
    holder["tray"] = tray
    log.info("tray started with %d clients", len(studio.clients()))
    try:
        tray.run()
    except TrayUnavailableError as error:
        log.error("no tray backend with a menu: %s", error)
        print(f"trayapp: {error}")  # noqa: T201
        return 1
    log.info("tray stopped")
    return 0
