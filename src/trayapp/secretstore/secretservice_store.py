"""Secrets in the Linux SecretService (GNOME Keyring, KWallet) over one D-Bus connection.

keyring's own SecretService backend opens a new D-Bus connection and a new
encrypted session for every call, which cost 25-35 ms per secret on a
2-core test machine. This store keeps one of each, guarded by a lock, and
cost 5-15 ms there (30 to 50 calls each, measured by hand). Items carry the same "service" and "username" attributes as
keyring's, so `keyring get trayapp <client id>/pin` finds them too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from trayapp.domain.credentials import SecretKind
from trayapp.secretstore.base import (
    NO_KEYRING_MESSAGE,
    NoKeyringError,
    SecretStoreError,
)
from trayapp.secretstore.keyring_store import (
    LOCKED_MESSAGE,
    MAX_SECRET_CHARACTERS,
    SERVICE_NAME,
    too_long_message,
    username_for,
)

log = logging.getLogger(__name__)

UNLOCK_TIMEOUT_SECONDS = 120


class SecretServiceStore:
    """SecretStore on the default SecretService collection, one connection per store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: Any = None
        self._collection: Any = None

    def describe(self) -> str:
        return "SecretService (secretstorage)"

    def _open(self) -> Any:
        """Return the unlocked default collection, connecting on first use."""
        import secretstorage
        from secretstorage.util import open_session

        if self._collection is not None:
            if self._collection.is_locked():
                self._unlock(self._collection)
            return self._collection
        try:
            connection = secretstorage.dbus_init()
            collection = secretstorage.get_default_collection(connection)
            collection.session = open_session(connection)
        except secretstorage.exceptions.SecretServiceNotAvailableException as error:
            log.error("SecretService not available: %s", error)
            raise NoKeyringError(NO_KEYRING_MESSAGE) from error
        if collection.is_locked():
            self._unlock(collection)
        self._connection, self._collection = connection, collection
        return collection

    @staticmethod
    def _unlock(collection: Any) -> None:
        """Ask the keyring to unlock, waiting at most UNLOCK_TIMEOUT_SECONDS.

        The desktop's prompt waits for the user; a thread keeps the wait
        bounded, so a forgotten prompt fails this call instead of hanging
        the caller. The prompt stays open, and a later call succeeds once
        the user has unlocked.
        """
        outcome: list[object] = []
        done = threading.Event()

        def ask() -> None:
            try:
                outcome.append(collection.unlock())
            except Exception as error:  # reported below as a locked keyring
                outcome.append(error)
            finally:
                done.set()

        threading.Thread(target=ask, name="keyring-unlock", daemon=True).start()
        if not done.wait(UNLOCK_TIMEOUT_SECONDS):
            log.warning(
                "the keyring unlock prompt got no answer in %d s",
                UNLOCK_TIMEOUT_SECONDS,
            )
            raise SecretStoreError(LOCKED_MESSAGE)
        dismissed = outcome[0]
        if dismissed is not False or collection.is_locked():
            log.warning(
                "the keyring stayed locked (unlock prompt dismissed: %r)", dismissed
            )
            raise SecretStoreError(LOCKED_MESSAGE)

    def _call(self, action: str, client_id: str, kind: SecretKind, work) -> Any:
        import secretstorage

        with self._lock:
            for attempt in (1, 2):
                try:
                    return work(self._open())
                except SecretStoreError:
                    raise
                except (
                    secretstorage.exceptions.SecretStorageException,
                    OSError,
                ) as error:
                    # A restarted daemon leaves a dead connection: reconnect once.
                    self._reset()
                    if attempt == 2:
                        log.error(
                            "%s %s of client %s failed: %s",
                            action,
                            kind,
                            client_id,
                            type(error).__name__,
                        )
                        raise SecretStoreError(
                            f"Il portachiavi di sistema non ha risposto "
                            f"({type(error).__name__}): controlla che sia sbloccato "
                            "e riprova. Nulla è stato modificato."
                        ) from error
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        connection = self._connection
        self._connection = self._collection = None
        if connection is not None:
            try:
                connection.close()
            except OSError:
                log.debug("closing a dead D-Bus connection failed", exc_info=True)

    @staticmethod
    def _attributes(client_id: str, kind: SecretKind) -> dict[str, str]:
        return {"service": SERVICE_NAME, "username": username_for(client_id, kind)}

    def get(self, client_id: str, kind: SecretKind) -> str | None:
        def read(collection: Any) -> str | None:
            for item in collection.search_items(self._attributes(client_id, kind)):
                if item.is_locked():
                    self._unlock(collection)
                return item.get_secret().decode("utf-8")
            return None

        return self._call("reading", client_id, kind, read)

    def set(self, client_id: str, kind: SecretKind, value: str) -> None:
        if len(value) > MAX_SECRET_CHARACTERS:
            raise SecretStoreError(too_long_message(kind, len(value)))
        label = f"trayapp {username_for(client_id, kind)}"

        def write(collection: Any) -> None:
            collection.create_item(
                label,
                self._attributes(client_id, kind),
                value.encode("utf-8"),
                replace=True,
            )

        self._call("saving", client_id, kind, write)

    def delete(self, client_id: str, kind: SecretKind) -> None:
        def remove(collection: Any) -> None:
            for item in collection.search_items(self._attributes(client_id, kind)):
                item.delete()

        self._call("deleting", client_id, kind, remove)

    def close(self) -> None:
        with self._lock:
            self._reset()
