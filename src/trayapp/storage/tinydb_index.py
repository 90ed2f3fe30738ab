"""The client index as a TinyDB database in the user's data folder.

Saves go to a journal beside the TinyDB file (see storage/journal.py), so
an acknowledged save survives a kill or a power cut and costs little at
any size. On open, a damaged file is moved aside untouched and the newest
good backup takes its place. An index of an older schema is migrated, and
the file as it was is kept beside it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from trayapp.domain.client import Client
from trayapp.os_errors import italian_reason
from trayapp.storage.base import IndexStorageError
from trayapp.storage.journal import (
    BACKUP_FOLDER,
    DEFAULT_BACKUPS,
    FOLD_AFTER_ENTRIES,
    JournaledStorage,
    SnapshotDamaged,
    list_backups,
    parse_snapshot,
    stamp,
    write_atomically,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
CLIENTS_TABLE = "clients"
META_TABLE = "meta"
# A write of more clients than this folds the journal before and after it.
# The backup made before is the list as it was before a large import, and
# the one made after keeps the import out of a single journal line.
LARGE_WRITE = 50
# Another process may be writing a temporary file right now; one this old
# was left by a write that never finished.
STALE_TEMPORARY_SECONDS = 600


class UnknownSchema(SnapshotDamaged):
    pass


def schema_of(tables: dict[str, Any]) -> object:
    """Return the schema number in the meta table, or None without one."""
    for document in (tables.get(META_TABLE) or {}).values():
        if isinstance(document, dict):
            return document.get("schema")
    return None


@dataclass(frozen=True)
class Recovery:
    """Report of the repair made on open to an unusable index or journal."""

    message: str
    """Italian, for the user."""
    damaged_file: Path | None
    backup: Path | None


class TinyDBClientIndex:
    """ClientIndex kept in one TinyDB database; every call holds one lock."""

    def __init__(
        self,
        path: Path,
        *,
        backups: int = DEFAULT_BACKUPS,
        fold_after_entries: int = FOLD_AFTER_ENTRIES,
    ) -> None:
        self.path = path
        self.recovery: Recovery | None = None
        self._journal_extends_backup = False
        """Set when opening found a damaged index or journal."""
        self._journal_set_aside: Path | None = None
        self._lock = threading.RLock()
        self._by_id: dict[str, Client] = {}
        self._doc_ids: dict[str, int] = {}
        self._loaded_generation = -1
        self._storage_options: dict[str, Any] = {
            "backups": backups,
            "fold_after_entries": fold_after_entries,
        }
        with self._lock:
            self._remove_leftover_temporaries()
            self._db = self._open_checked()

    @property
    def recovery_notice(self) -> str | None:
        return self.recovery.message if self.recovery else None

    @property
    def storage(self) -> JournaledStorage:
        storage = self._db.storage
        assert isinstance(storage, JournaledStorage)
        return storage

    # -- opening -----------------------------------------------------------

    def _open_checked(self) -> TinyDB:
        try:
            database = self._open_database()
        except SnapshotDamaged as damage:
            self._recover(damage)
            database = self._open_database()
            if self.recovery is not None:
                count = len(self._by_id)
                self.recovery = replace(
                    self.recovery,
                    message=f"{self.recovery.message} L'elenco ora ha {count} clienti.",
                )
        storage = self.storage_of(database)
        if storage.journal_damaged:
            kept = storage.keep_damaged_journal()
            storage.write(storage.read() or {})
            self.recovery = Recovery(
                "Il registro delle modifiche dell'indice clienti ha una riga "
                "danneggiata: le modifiche di quella riga e delle successive non "
                f"sono state applicate. Il registro è conservato, intatto, in {kept}. "
                f"L'elenco ora ha {len(self._by_id)} clienti: controlla gli ultimi "
                "inseriti o modificati e, se mancano, reimporta l'elenco o "
                "ripristina un backup.",
                kept,
                None,
            )
        return database

    @staticmethod
    def storage_of(database: TinyDB) -> JournaledStorage:
        storage = database.storage
        assert isinstance(storage, JournaledStorage)
        return storage

    def _open_database(self) -> TinyDB:
        if not self.path.exists() and list_backups(
            self.path.parent / BACKUP_FOLDER, self.path.stem
        ):
            raise SnapshotDamaged(self.path, "non esiste più")
        if self.path.exists() and not self.path.is_file():
            raise SnapshotDamaged(self.path, "non è un file (è una cartella o altro)")
        database = TinyDB(self.path, storage=JournaledStorage, **self._storage_options)
        try:
            self._check_and_migrate(database)
        except BaseException:
            database.close()
            raise
        self._db = database
        self._loaded_generation = -1
        try:
            self._refresh()
        except (KeyError, TypeError, ValueError) as error:
            database.close()
            log.warning("client record in %s not readable: %r", self.path, error)
            raise SnapshotDamaged(
                self.path,
                "contiene un cliente con dati mancanti o non validi per questa "
                "versione di trayapp",
            ) from None
        return database

    def _check_and_migrate(self, database: TinyDB) -> None:
        storage = self.storage_of(database)
        tables = storage.read()
        if tables is None:
            # No file yet: a new, empty index.
            database.table(META_TABLE).insert({"schema": SCHEMA_VERSION})
            return
        version = schema_of(tables)
        if version == SCHEMA_VERSION:
            return
        if version is None:
            # Every index trayapp writes has its schema number, even an empty one.
            raise UnknownSchema(
                self.path, "non contiene il numero di schema dell'indice"
            )
        if version == 1:
            self._migrate_from_1(storage, tables)
            return
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise UnknownSchema(
                self.path,
                f"è stato scritto da una versione più recente di trayapp (schema "
                f"{version}, questa legge fino alla {SCHEMA_VERSION})",
            )
        raise UnknownSchema(self.path, f"ha uno schema sconosciuto ({version!r})")

    def _migrate_from_1(
        self, storage: JournaledStorage, tables: dict[str, Any]
    ) -> None:
        """Schema 1 had no journal; its records may lack the newer fields."""
        kept = self.path.with_name(f"{self.path.name}.schema1-{stamp()}")
        shutil.copy2(self.path, kept)
        clients = {
            doc_id: Client.from_record(record).to_record()
            for doc_id, record in tables.get(CLIENTS_TABLE, {}).items()
        }
        storage.write(
            {META_TABLE: {"1": {"schema": SCHEMA_VERSION}}, CLIENTS_TABLE: clients}
        )
        log.info("index migrated from schema 1; the old file is kept as %s", kept)

    def _recover(self, damage: SnapshotDamaged) -> None:
        moved: Path | None = None
        message = f"L'indice clienti {damage.reason}. "
        if self.path.exists():
            moved = self.path.with_name(f"{self.path.name}.danneggiato-{stamp()}")
            was_folder = self.path.is_dir()
            os.replace(self.path, moved)
            log.warning("damaged index (%s) moved to %s", damage.reason, moved)
            if was_folder:
                message += f"La cartella è stata spostata, intatta, in {moved}. "
            else:
                message += f"Il file è stato spostato, intatto, in {moved}. "
        else:
            log.warning("index file missing, backups present")
        self._journal_set_aside = None
        backup, clients, skipped = self._restore_newest_backup()
        if skipped:
            folder = self.path.parent / BACKUP_FOLDER
            if skipped == 1:
                message += (
                    "La copia di sicurezza più recente non era leggibile ed è "
                    f"rimasta in {folder}. "
                )
            else:
                message += (
                    f"Le {skipped} copie di sicurezza più recenti non erano "
                    f"leggibili e sono rimaste in {folder}. "
                )
        if backup is None:
            message += (
                "Non c'è una copia di sicurezza utilizzabile: l'elenco riparte vuoto; "
                "il file danneggiato resta a disposizione per un recupero."
            )
        else:
            taken = datetime.fromtimestamp(backup.stat().st_mtime)
            message += (
                f"Ripristinata la copia di sicurezza del "
                f"{taken:%d/%m/%Y alle %H:%M} ({clients} clienti)"
            )
            message += (
                ", con le modifiche salvate dopo di essa."
                if self._journal_extends_backup
                else "."
            )
        if self._journal_set_aside is not None:
            message += (
                " Il registro delle modifiche, che non si applica alla copia "
                f"ripristinata, è conservato in {self._journal_set_aside}."
            )
        self.recovery = Recovery(message, moved, backup)

    def _restore_newest_backup(self) -> tuple[Path | None, int, int]:
        """Restore the newest usable backup.

        Return the backup (None when none is usable), its client count and
        the number of newer backups skipped because they are unusable.
        """
        folder = self.path.parent / BACKUP_FOLDER
        skipped = 0
        for backup in list_backups(folder, self.path.stem):
            try:
                raw = backup.read_bytes()
                snapshot = parse_snapshot(backup, raw)
                records = snapshot.tables.get(CLIENTS_TABLE, {}).values()
                clients = [Client.from_record(record) for record in records]
                if schema_of(snapshot.tables) != SCHEMA_VERSION:
                    skipped += 1
                    continue
            except (OSError, SnapshotDamaged, KeyError, TypeError, ValueError):
                log.warning("backup %s is not usable either", backup)
                skipped += 1
                continue
            self._journal_extends_backup = self._keep_journal_of(snapshot.token)
            write_atomically(self.path, raw)
            log.warning("index restored from the backup %s", backup)
            return backup, len(clients), skipped
        self._keep_journal_of(None)
        return None, 0, skipped

    def _keep_journal_of(self, token: str | None) -> bool:
        """Return whether the journal extends the snapshot `token`; else set it aside.

        A journal of another snapshot is renamed, never deleted, and its new
        path recorded in `_journal_set_aside`. False also when there is no
        journal.
        """
        journal = self.path.with_name(self.path.name + ".journal")
        try:
            first = journal.read_bytes().split(b"\n", 1)[0]
        except FileNotFoundError:
            return False
        if token is not None and token.encode() in first:
            return True
        kept = journal.with_name(f"{journal.name}.scartato-{stamp()}")
        os.replace(journal, kept)
        self._journal_set_aside = kept
        return False

    def _remove_leftover_temporaries(self) -> None:
        """Delete temporary files an interrupted write left, once surely stale."""
        cutoff = datetime.now().timestamp() - STALE_TEMPORARY_SECONDS
        for leftover in self.path.parent.glob(f".{self.path.name}*.tmp"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
            except OSError:
                continue

    # -- reading -----------------------------------------------------------

    def _refresh(self) -> None:
        storage = self.storage
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

    # -- writing -----------------------------------------------------------

    def put(self, client: Client) -> None:
        self.put_many([client])

    def put_many(self, clients: Iterable[Client]) -> None:
        written = list(clients)
        if not written:
            return
        with self._lock:
            self._refresh()
            if len(written) > LARGE_WRITE:
                try:
                    self.storage.fold()
                except OSError as error:
                    # Only the backup of the list before this write is missing.
                    log.warning("folding before a large write failed: %s", error)
            next_id = max(self._doc_ids.values(), default=0) + 1
            doc_ids = dict(self._doc_ids)
            put: dict[str, dict[str, Any]] = {}
            for client in written:
                if client.id not in doc_ids:
                    doc_ids[client.id] = next_id
                    next_id += 1
                put[str(doc_ids[client.id])] = client.to_record()
            self._write(lambda: self.storage.append(CLIENTS_TABLE, put=put))
            by_id = dict(self._by_id)
            by_id.update((client.id, client) for client in written)
            self._by_id, self._doc_ids = by_id, doc_ids
            if len(written) > LARGE_WRITE:
                # A large write lives in one journal line, which one damaged
                # byte would discard. So it goes into the index file and a
                # backup at once.
                try:
                    self.storage.fold()
                except OSError as error:
                    log.warning("folding after a large write failed: %s", error)
            self._loaded_generation = self.storage.generation

    def delete(self, client_ids: Iterable[str]) -> None:
        with self._lock:
            self._refresh()
            gone = [i for i in client_ids if i in self._doc_ids]
            if not gone:
                return
            removed = [str(self._doc_ids[i]) for i in gone]
            self._write(lambda: self.storage.append(CLIENTS_TABLE, delete=removed))
            by_id, doc_ids = dict(self._by_id), dict(self._doc_ids)
            for client_id in gone:
                by_id.pop(client_id, None)
                doc_ids.pop(client_id, None)
            self._by_id, self._doc_ids = by_id, doc_ids
            self._loaded_generation = self.storage.generation

    def _write(self, operation) -> None:
        try:
            operation()
        except OSError as error:
            log.exception("writing the index %s failed", self.path)
            # What is on disk may now differ from memory: read it again.
            self._loaded_generation = -1
            self.storage.close()
            raise IndexStorageError(
                f"Impossibile scrivere l'indice clienti {self.path}: "
                f"{italian_reason(error)}. Nulla è stato salvato."
            ) from error

    def fold(self) -> None:
        """Write the journal into the TinyDB file (a new backup with it)."""
        with self._lock:
            self._write(self.storage.fold)

    def close(self) -> None:
        """Close the database without folding: every save is in the journal already.

        The tray folds when it quits (see `fold`). A command line write
        leaves its entries in the journal, so a run of small commands does
        not fill the backup folder with copies.
        """
        with self._lock:
            self._db.close()
