"""The interface every secret store implements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from trayapp.domain.credentials import SecretKind

_NO_KEYRING_ADVICE = (
    "Su Linux installa e avvia GNOME Keyring o KWallet; su Windows e macOS il "
    "portachiavi di sistema è sempre presente."
)
NO_KEYRING_MESSAGE = (
    "Nessun portachiavi di sistema disponibile: password e PIN non possono essere "
    f"salvati. {_NO_KEYRING_ADVICE}"
)
NO_KEYRING_READ_MESSAGE = (
    "Nessun portachiavi di sistema disponibile: password e PIN non possono essere "
    f"letti. {_NO_KEYRING_ADVICE}"
)


class SecretStoreError(Exception):
    """A secret could not be read, written or deleted.

    The message is Italian, tells what to do, and never contains the secret.
    """


class NoKeyringError(SecretStoreError):
    """The OS has no usable keyring, so no secret can be read or written.

    The stores raise it with NO_KEYRING_MESSAGE, worded for a save, because
    a save reads the current secrets first. Code that only reads wraps its
    reads in `reading_secrets`.
    """


@contextmanager
def reading_secrets(outcome: str = "") -> Iterator[None]:
    """Re-raise a NoKeyringError from the block worded for a read, then `outcome`."""
    try:
        yield
    except NoKeyringError as error:
        message = f"{NO_KEYRING_READ_MESSAGE} {outcome}".rstrip()
        raise NoKeyringError(message) from error


class SecretStore(Protocol):
    """Secrets by client id and kind; nothing else is kept."""

    def get(self, client_id: str, kind: SecretKind) -> str | None: ...

    def set(self, client_id: str, kind: SecretKind, value: str) -> None: ...

    def delete(self, client_id: str, kind: SecretKind) -> None:
        """Remove the secret; a secret that is not there is not an error."""
        ...

    def describe(self) -> str:
        """Return the backend's name, for `trayapp paths` and the logs."""
        ...

    def close(self) -> None: ...


class UnavailableSecretStore:
    """Stands in when the OS has no usable keyring: every call raises its message.

    The index stays usable (listing, email), while nothing that needs a
    secret can run, and no secret is ever kept anywhere else instead.
    """

    def __init__(self, message: str) -> None:
        self._message = message

    def describe(self) -> str:
        return "nessun portachiavi"

    def get(self, client_id: str, kind: SecretKind) -> str | None:
        raise SecretStoreError(self._message)

    def set(self, client_id: str, kind: SecretKind, value: str) -> None:
        raise SecretStoreError(self._message)

    def delete(self, client_id: str, kind: SecretKind) -> None:
        raise SecretStoreError(self._message)

    def close(self) -> None:
        """Nothing to release."""
