"""The interface every client index implements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from trayapp.domain.client import Client


class IndexStorageError(Exception):
    """The index could not be read or written; the message is Italian, for the user."""


class ClientIndex(Protocol):
    """Clients by id, with whole-record writes.

    Implementations serialise their own access, so callers on several
    threads need no lock of their own.
    """

    def all(self) -> list[Client]: ...

    def get(self, client_id: str) -> Client | None: ...

    def put(self, client: Client) -> None: ...

    def put_many(self, clients: Iterable[Client]) -> None:
        """Insert or replace several clients in one write."""
        ...

    def delete(self, client_ids: Iterable[str]) -> None: ...

    def fold(self) -> None:
        """Write pending saves into the main store; a no-op where there are none."""
        ...

    def close(self) -> None: ...

    @property
    def recovery_notice(self) -> str | None:
        """What opening did to a damaged index, for the user; None when nothing."""
        ...
