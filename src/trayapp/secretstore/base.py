"""The interface every secret store implements."""

from __future__ import annotations

from typing import Protocol

from trayapp.domain.credentials import SecretKind


class SecretStoreError(Exception):
    """A secret could not be read, written or deleted.

    The message is Italian, says what to do, and never contains the secret.
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
