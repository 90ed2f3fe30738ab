"""The client index: one interface, with TinyDB as the local implementation."""

from trayapp.storage.base import ClientIndex, IndexStorageError

__all__ = ["ClientIndex", "IndexStorageError"]
