"""Secrets in the OS keyring through the keyring library.

Every entry lives under the service name "trayapp", with the user name
"<client id>/<kind>", for example "3f2a9c0d11b4/password". On Windows that
is a generic credential in Credential Manager, on macOS a Keychain item, on
Linux a SecretService item (GNOME Keyring, KWallet).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import keyring
import keyring.backend
import keyring.errors

from trayapp.domain.credentials import SecretKind
from trayapp.secretstore.base import (
    NO_KEYRING_MESSAGE,
    NoKeyringError,
    SecretStoreError,
)

if TYPE_CHECKING:
    from trayapp.secretstore.secretservice_store import SecretServiceStore

log = logging.getLogger(__name__)

SERVICE_NAME = "trayapp"

# Windows Credential Manager stores the secret as UTF-16 in at most 2,560
# bytes (WinError 1783 beyond that); the same cap everywhere keeps a secret
# saved on Linux restorable on Windows.
MAX_SECRET_CHARACTERS = 1280

_INSECURE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

LOCKED_MESSAGE = (
    "Il portachiavi di sistema è bloccato o lo sblocco è stato annullato: sbloccalo "
    "e riprova. Nulla è stato modificato."
)


def username_for(client_id: str, kind: SecretKind) -> str:
    return f"{client_id}/{kind.value}"


def too_long_message(kind: SecretKind, length: int) -> str:
    label = "Password" if kind is SecretKind.PASSWORD else "PIN"
    return (
        f"{label} troppo lungo per il portachiavi ({length} caratteri, massimo "
        f"{MAX_SECRET_CHARACTERS}). Nulla è stato modificato."
    )


class KeyringSecretStore:
    """SecretStore backed by the keyring library's active backend."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend or keyring.get_keyring()
        module = type(self._backend).__module__
        if module.startswith(_INSECURE_BACKENDS) or self._backend.priority <= 0:
            log.error("no usable keyring backend: %s", module)
            raise NoKeyringError(NO_KEYRING_MESSAGE)

    def close(self) -> None:
        """Nothing to release: keyring opens what it needs on each call."""

    def describe(self) -> str:
        backend = type(self._backend)
        return f"{backend.__module__}.{backend.__name__}"

    def get(self, client_id: str, kind: SecretKind) -> str | None:
        try:
            return self._backend.get_password(
                SERVICE_NAME, username_for(client_id, kind)
            )
        except keyring.errors.KeyringLocked as error:
            raise SecretStoreError(LOCKED_MESSAGE) from error
        except keyring.errors.KeyringError as error:
            log.error(
                "reading %s of client %s failed: %s",
                kind,
                client_id,
                type(error).__name__,
            )
            raise SecretStoreError(_read_failed(error)) from error

    def set(self, client_id: str, kind: SecretKind, value: str) -> None:
        if len(value) > MAX_SECRET_CHARACTERS:
            raise SecretStoreError(too_long_message(kind, len(value)))
        try:
            self._backend.set_password(
                SERVICE_NAME, username_for(client_id, kind), value
            )
        except keyring.errors.KeyringLocked as error:
            raise SecretStoreError(LOCKED_MESSAGE) from error
        except keyring.errors.KeyringError as error:
            log.error(
                "saving %s of client %s failed: %s",
                kind,
                client_id,
                type(error).__name__,
            )
            raise SecretStoreError(
                "Il portachiavi di sistema non ha salvato il segreto "
                f"({type(error).__name__}). Nulla è stato modificato: riprova, e se "
                "l'errore resta controlla che il portachiavi sia sbloccato."
            ) from error

    def delete(self, client_id: str, kind: SecretKind) -> None:
        try:
            self._backend.delete_password(SERVICE_NAME, username_for(client_id, kind))
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringLocked as error:
            raise SecretStoreError(LOCKED_MESSAGE) from error
        except keyring.errors.KeyringError as error:
            log.error(
                "deleting %s of client %s failed: %s",
                kind,
                client_id,
                type(error).__name__,
            )
            raise SecretStoreError(_read_failed(error)) from error


def _read_failed(error: Exception) -> str:
    return (
        f"Il portachiavi di sistema non ha risposto ({type(error).__name__}): "
        "controlla che sia sbloccato e riprova."
    )


def open_secret_store(
    *, redetect: bool = False
) -> KeyringSecretStore | SecretServiceStore:
    """Return the store for this machine's keyring, as keyring itself chooses it.

    Where keyring picks SecretService (most Linux desktops), the direct
    SecretService store serves the same items faster. The keyring library
    keeps the backend it chose first for the whole process. `redetect`
    makes it choose again, so a keyring daemon started since is found.
    """
    import keyring.core
    from keyring.backends import SecretService

    if redetect:
        # NOTE: keyring 25 also keeps the list of usable backends it found
        # first (get_all_keyring, wrapped by jaraco.functools.once); its
        # reset() clears that list. Without reset, the choice is made anew
        # among the backends found at the first attempt only.
        reset = getattr(keyring.backend.get_all_keyring, "reset", None)
        # reset() raises KeyError when the list was never made: nothing to clear.
        if callable(reset):
            with contextlib.suppress(KeyError):
                reset()
        keyring.core.init_backend()
    backend = keyring.get_keyring()
    if isinstance(backend, SecretService.Keyring):
        from trayapp.secretstore.secretservice_store import SecretServiceStore

        return SecretServiceStore()
    return KeyringSecretStore(backend)
