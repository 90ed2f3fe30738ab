"""The interface every secret store implements."""

from __future__ import annotations

from typing import Protocol

from trayapp.domain.credentials import SecretKind


class SecretStoreError(Exception):
    """A secret could not be read, written or deleted.

    The message is Italian, tells what to do, and never contains the secret.
    """


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
