"""The client index as a TinyDB JSON file in the user's data folder."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from trayapp.domain.client import Client
from trayapp.storage.base import IndexStorageError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CLIENTS_TABLE = "clients"
META_TABLE = "meta"


class AtomicJSONStorage(Storage):
    """TinyDB storage that writes UTF-8 JSON through a temporary file and a rename.

    A write is flushed and fsynced before os.replace swaps it in, so a crash
    leaves either the old file or the new one, never a mix. The last data
    read or written is kept in memory and reused while the file's size and
    modification time are unchanged, so another process's write is still
    seen on the next read.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, Any] | None = None
        self._signature: tuple[int, int] | None = None
        self.generation = 0
        """Counter raised whenever the data may differ from the previous read."""

    def _stat_signature(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def read(self) -> dict[str, Any] | None:
        signature = self._stat_signature()
        if signature is None:
            return None
        if self._cache is not None and signature == self._signature:
            return self._cache
        try:
            text = self._path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise IndexStorageError(
                f"L'indice clienti {self._path} non è un file UTF-8 leggibile: {error}"
            ) from error
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise IndexStorageError(
                f"L'indice clienti {self._path} è danneggiato (JSON non valido alla "
                f"riga {error.lineno}): non è stato modificato"
            ) from error
        self._cache, self._signature = data, signature
        self.generation += 1
        return data

    def write(self, data: dict[str, Any]) -> None:
        self._cache = None
        self.generation += 1
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self._path.name}.", suffix=".tmp", dir=self._path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_folder(self._path.parent)
        self._cache, self._signature = data, self._stat_signature()

    def close(self) -> None:
        self._cache = None


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class TinyDBClientIndex:
    """ClientIndex kept in one TinyDB file; every call holds one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = TinyDB(path, storage=AtomicJSONStorage)
        self._clients_table = self._db.table(CLIENTS_TABLE, cache_size=0)
        self._meta_table = self._db.table(META_TABLE, cache_size=0)
        self._by_id: dict[str, Client] = {}
        self._doc_ids: dict[str, int] = {}
        self._loaded_generation = -1
        with self._lock:
            self._ensure_schema()

    def _ensure_schema(self) -> None:
        meta = self._meta_table.all()
        if not meta:
            self._meta_table.insert({"schema": SCHEMA_VERSION})
            return
        version = meta[0].get("schema")
        if version != SCHEMA_VERSION:
            raise IndexStorageError(
                f"L'indice clienti {self.path} ha la versione {version!r}, "
                f"questa versione di trayapp legge la {SCHEMA_VERSION}"
            )

    def _refresh(self) -> None:
        storage = self._db.storage
        assert isinstance(storage, AtomicJSONStorage)
        data = storage.read() or {}
        if storage.generation == self._loaded_generation:
            return
        by_id: dict[str, Client] = {}
        doc_ids: dict[str, int] = {}
        for doc_id, record in data.get(CLIENTS_TABLE, {}).items():
            client = Client.from_record(record)
            by_id[client.id] = client
            doc_ids[client.id] = int(doc_id)
        self._by_id, self._doc_ids = by_id, doc_ids
        self._loaded_generation = storage.generation

    def all(self) -> list[Client]:
        with self._lock:
            self._refresh()
            return list(self._by_id.values())

    def get(self, client_id: str) -> Client | None:
        with self._lock:
            self._refresh()
            return self._by_id.get(client_id)

    def put(self, client: Client) -> None:
        self.put_many([client])

    def put_many(self, clients: Iterable[Client]) -> None:
        with self._lock:
            self._refresh()
            replacements: dict[str, dict[str, Any]] = {}
            inserts = []
            written = list(clients)
            for client in written:
                doc_id = self._doc_ids.get(client.id)
                if doc_id is None:
                    inserts.append(client.to_record())
                else:
                    replacements[client.id] = client.to_record()

            def replace_document(document: MutableMapping[str, Any]) -> None:
                record = replacements[document["id"]]
                document.clear()
                document.update(record)

            try:
                if replacements:
                    self._clients_table.update(
                        replace_document,
                        doc_ids=[self._doc_ids[i] for i in replacements],
                    )
                new_doc_ids = (
                    self._clients_table.insert_multiple(inserts) if inserts else []
                )
            except OSError as error:
                log.exception("writing the index %s failed", self.path)
                raise IndexStorageError(
                    f"Impossibile scrivere l'indice clienti {self.path}: {error.strerror}"
                ) from error
            self._note_own_write(
                written, new_doc_ids, [record["id"] for record in inserts]
            )

    def delete(self, client_ids: Iterable[str]) -> None:
        client_ids = list(client_ids)
        with self._lock:
            self._refresh()
            doc_ids = [self._doc_ids[i] for i in client_ids if i in self._doc_ids]
            if doc_ids:
                self._clients_table.remove(doc_ids=doc_ids)
            by_id = dict(self._by_id)
            for client_id in client_ids:
                by_id.pop(client_id, None)
                self._doc_ids.pop(client_id, None)
            self._by_id = by_id
            self._mark_loaded()

    def _note_own_write(
        self, written: list[Client], new_doc_ids: list[int], new_ids: list[str]
    ) -> None:
        """Update the in-memory view after this index's own write, without a re-read."""
        by_id = dict(self._by_id)
        for client in written:
            by_id[client.id] = client
        self._doc_ids.update(zip(new_ids, new_doc_ids, strict=True))
        self._by_id = by_id
        self._mark_loaded()

    def _mark_loaded(self) -> None:
        storage = self._db.storage
        assert isinstance(storage, AtomicJSONStorage)
        self._loaded_generation = storage.generation

    def close(self) -> None:
        with self._lock:
            self._db.close()
