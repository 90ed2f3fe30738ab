"""A secret store that opens the OS keyring on its first use.

Choosing and opening the keyring imports the keyring library, its backends
and their D-Bus and crypto modules: about 140 ms of the tray's start before
its icon can show (`python -X importtime`, 2-core Linux machine). Most starts need no secret until the
first Login or copy, so the store is opened then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from trayapp.domain.credentials import SecretKind
from trayapp.secretstore.base import SecretStore, SecretStoreError

log = logging.getLogger(__name__)

UNAVAILABLE_DESCRIPTION = "nessun portachiavi"


class DeferredSecretStore:
    """A SecretStore that calls `opener` on first use and forwards every call.

    When `opener` raises SecretStoreError, the call raises it too, and the
    next call tries to open the keyring again, so a keyring started after
    trayapp is found without a restart.
    """

    def __init__(self, opener: Callable[[], SecretStore]) -> None:
        self._opener = opener
        self._store: SecretStore | None = None
        self._lock = threading.Lock()
        self._failed_opens = 0

    def _opened(self) -> SecretStore:
        with self._lock:
            if self._store is None:
                try:
                    self._store = self._opener()
                except SecretStoreError as error:
                    self._failed_opens += 1
                    # Every secret's use tries again: warn once, not each time.
                    level = (
                        logging.WARNING if self._failed_opens == 1 else logging.DEBUG
                    )
                    log.log(
                        level,
                        "no usable keyring (attempt %d), secrets unavailable: %s",
                        self._failed_opens,
                        error,
                    )
                    raise
                log.info("keyring opened: %s", self._store.describe())
            return self._store

    def get(self, client_id: str, kind: SecretKind) -> str | None:
        return self._opened().get(client_id, kind)

    def set(self, client_id: str, kind: SecretKind, value: str) -> None:
        self._opened().set(client_id, kind, value)

    def delete(self, client_id: str, kind: SecretKind) -> None:
        self._opened().delete(client_id, kind)

    def describe(self) -> str:
        try:
            return self._opened().describe()
        except SecretStoreError:
            return UNAVAILABLE_DESCRIPTION

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()
