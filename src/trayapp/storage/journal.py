"""TinyDB storage kept as a snapshot file plus an append-only journal.

The snapshot is an ordinary TinyDB JSON file. Saving one client appends
one checksummed line to the journal and fsyncs it, so a save costs the
same with 20 clients as with 10,000. The journal is folded into a new
snapshot (written to a temporary file, fsynced and renamed over the old
one) when it grows long and when the writer calls `fold`. Each new snapshot
is also copied into the backup folder, which keeps the newest few.

Every snapshot carries a random token and the journal names the token of
the snapshot it extends. A reader that sees a journal for another snapshot
ignores it: that is either a journal already folded in, left by a crash
between the rename and the new journal, or one whose snapshot has not
reached this reader yet.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from trayapp.atomicfile import write_atomically
from trayapp.storage.base import IndexStorageError

log = logging.getLogger(__name__)

STORAGE_KEY = "_storage"
"""Top-level key of the snapshot that contains the token, hidden from TinyDB."""

JOURNAL_SUFFIX = ".journal"
BACKUP_FOLDER = "index-backups"
DEFAULT_BACKUPS = 10
FOLD_AFTER_ENTRIES = 500
FOLD_AFTER_BYTES = 4 * 1024 * 1024


class SnapshotDamaged(IndexStorageError):
    """Error raised for an unusable snapshot, with the Italian `reason`."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"L'indice clienti {path} {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, Any]
    token: str | None
    """None for files written before the journal existed."""


def parse_snapshot(path: Path, raw: bytes) -> Snapshot:
    """Decode a snapshot's bytes; raise SnapshotDamaged with the reason."""
    if not raw.strip():
        raise SnapshotDamaged(path, "è vuoto")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SnapshotDamaged(path, "non è un file di testo UTF-8") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        stripped = text.strip()
        # An object that opens but never closes is a write cut short.
        cut_short = stripped.startswith("{") and not stripped.endswith("}")
        reason = (
            "è troncato" if cut_short else f"non è JSON valido (riga {error.lineno})"
        )
        raise SnapshotDamaged(path, reason) from None
    if not isinstance(data, dict) or not all(
        isinstance(table, dict) for table in data.values()
    ):
        raise SnapshotDamaged(path, "non ha la struttura di un indice trayapp")
    storage = data.pop(STORAGE_KEY, None)
    token = storage.get("token") if isinstance(storage, dict) else None
    return Snapshot(data, token if isinstance(token, str) else None)


def _journal_line(entry: Mapping[str, Any]) -> bytes:
    payload = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


@dataclass
class JournalContents:
    base: str | None
    entries: list[dict[str, Any]]
    valid_length: int
    """Bytes up to the end of the last whole, intact line."""
    damaged: bool
    """An intact line follows a broken one: more than an interrupted append."""


def read_journal(raw: bytes) -> JournalContents:
    lines = raw.split(b"\n")
    # After the last newline there is either nothing or an interrupted append.
    complete, offset = lines[:-1], 0
    base: str | None = None
    entries: list[dict[str, Any]] = []
    broken_at: int | None = None
    for number, line in enumerate(complete):
        entry = _decode_line(line)
        if entry is None:
            broken_at = number
            break
        offset += len(line) + 1
        if number == 0:
            value = entry.get("base")
            base = value if isinstance(value, str) else None
        else:
            entries.append(entry)
    damaged = broken_at is not None and any(
        _decode_line(line) is not None for line in complete[broken_at + 1 :]
    )
    return JournalContents(base, entries, offset, damaged)


def _decode_line(line: bytes) -> dict[str, Any] | None:
    checksum, _, payload = line.partition(b" ")
    try:
        if int(checksum, 16) != zlib.crc32(payload):
            return None
        entry = json.loads(payload)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def apply_entry(tables: dict[str, Any], entry: Mapping[str, Any]) -> None:
    table = tables.setdefault(str(entry.get("table")), {})
    for doc_id in entry.get("delete", ()):
        table.pop(str(doc_id), None)
    for doc_id, document in entry.get("put", {}).items():
        table[str(doc_id)] = document


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


class JournaledStorage(Storage):
    """TinyDB storage: snapshot file, journal beside it, backups in a folder.

    `read` gives TinyDB the snapshot with the journal applied. A TinyDB
    `write` of the whole database writes a new snapshot; `append` records
    changes to single documents in the journal.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        backups: int = DEFAULT_BACKUPS,
        fold_after_entries: int = FOLD_AFTER_ENTRIES,
        fold_after_bytes: int = FOLD_AFTER_BYTES,
    ) -> None:
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + JOURNAL_SUFFIX)
        self.backup_dir = self.path.parent / BACKUP_FOLDER
        self.backups = backups
        self._fold_after_entries = fold_after_entries
        self._fold_after_bytes = fold_after_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tables: dict[str, Any] | None = None
        self._token: str | None = None
        self._signature: tuple[object, ...] | None = None
        self._journal_base: str | None = None
        self._journal_entries = 0
        self._journal_length = 0
        self._journal_damaged = False
        self.generation = 0
        """Raised whenever the data may differ from the previous read."""

    # -- reading ---------------------------------------------------------------

    def _stat(self) -> tuple[object, ...]:
        signature: list[object] = []
        for path in (self.path, self.journal_path):
            try:
                stat = path.stat()
            except FileNotFoundError:
                signature.append(None)
            else:
                signature.append((stat.st_ino, stat.st_mtime_ns, stat.st_size))
        return tuple(signature)

    def read(self) -> dict[str, Any] | None:
        signature = self._stat()
        if self._tables is not None and signature == self._signature:
            return self._tables
        for _attempt in range(5):
            loaded = self._load()
            after = self._stat()
            if after == signature:
                break
            # A writer replaced a file while it was being read: read again.
            signature = after
        if loaded is None:
            self._tables, self._token, self._signature = None, None, signature
            return None
        self._signature = signature
        self.generation += 1
        return self._tables

    def _load(self) -> Snapshot | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        snapshot = parse_snapshot(self.path, raw)
        tables = snapshot.tables
        try:
            journal = read_journal(self.journal_path.read_bytes())
        except FileNotFoundError:
            journal = JournalContents(None, [], 0, False)
        self._journal_base = journal.base
        self._journal_length = journal.valid_length
        self._journal_damaged = journal.damaged
        self._journal_entries = 0
        if snapshot.token is not None and journal.base == snapshot.token:
            for entry in journal.entries:
                apply_entry(tables, entry)
            self._journal_entries = len(journal.entries)
        if journal.damaged:
            log.warning(
                "the journal %s has a damaged line; later entries are not applied",
                self.journal_path,
            )
        self._tables, self._token = tables, snapshot.token
        return snapshot

    @property
    def journal_damaged(self) -> bool:
        return self._journal_damaged

    # -- writing ---------------------------------------------------------------

    def write(self, data: dict[str, Any]) -> None:
        """Write `data` as a new snapshot and start an empty journal for it."""
        token = secrets.token_hex(8)
        document = dict(data)
        document[STORAGE_KEY] = {"token": token}
        content = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        raw = content.encode("utf-8")
        write_atomically(self.path, raw)
        write_atomically(self.journal_path, _journal_line({"base": token}))
        self._tables, self._token = data, token
        self._journal_base = token
        self._journal_entries = 0
        self._journal_length = self.journal_path.stat().st_size
        self._journal_damaged = False
        self._signature = self._stat()
        self.generation += 1
        self._keep_backup(raw)
        log.debug("index written as a new snapshot (%d bytes)", len(raw))

    def append(
        self,
        table: str,
        put: Mapping[str, Mapping[str, Any]] | None = None,
        delete: Iterable[str] = (),
    ) -> None:
        """Record new versions of documents and removed ones; fsynced on return."""
        tables = self.read()
        if tables is None or self._token is None or self._journal_base != self._token:
            # No snapshot yet, one from before the journal, or a journal left
            # from the previous snapshot by an interrupted write: start afresh.
            tables = dict(tables or {})
            apply_entry(tables, {"table": table, "put": put or {}, "delete": delete})
            self.write(tables)
            return
        entry = {"table": table, "put": dict(put or {}), "delete": list(delete)}
        line = _journal_line(entry)
        with self.journal_path.open("r+b") as stream:
            # Drop what an interrupted append left after the last whole line.
            stream.truncate(self._journal_length)
            stream.seek(self._journal_length)
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())
        self._journal_length += len(line)
        self._journal_entries += 1
        log.debug(
            "journal entry %d: %d put, %d deleted",
            self._journal_entries,
            len(entry["put"]),
            len(entry["delete"]),
        )
        apply_entry(tables, entry)
        self._signature = self._stat()
        self.generation += 1
        if (
            self._journal_entries >= self._fold_after_entries
            or self._journal_length >= self._fold_after_bytes
        ):
            try:
                self.fold()
            except OSError as error:
                # The save is in the journal already; the next fold retries.
                log.warning(
                    "folding the journal %s failed: %s", self.journal_path, error
                )

    def fold(self) -> None:
        """Write the current data as a new snapshot if the journal has changes."""
        tables = self.read()
        if tables is not None and (
            self._journal_entries or self._journal_base != self._token
        ):
            self.write(tables)

    def keep_damaged_journal(self) -> Path:
        """Copy the journal aside before a new snapshot replaces it."""
        kept = self.journal_path.with_name(
            f"{self.journal_path.name}.danneggiato-{stamp()}"
        )
        shutil.copy2(self.journal_path, kept)
        log.warning("damaged journal kept as %s", kept)
        return kept

    def _keep_backup(self, raw: bytes) -> None:
        """Copy a new snapshot into the backup folder unless the newest has its data.

        The name ends with a digest of the data without the token, so that
        folding an unchanged list does not push an older version out.
        """
        if self.backups <= 0:
            return
        data_end = raw.rfind(f',"{STORAGE_KEY}"'.encode())
        digest = hashlib.sha256(raw[:data_end]).hexdigest()[:12]
        try:
            kept = list_backups(self.backup_dir, self.path.stem)
            if kept and kept[0].stem.endswith(f"-{digest}"):
                log.debug("backup skipped: the newest one has the same data")
                return
            self.backup_dir.mkdir(mode=0o700, exist_ok=True)
            target = self.backup_dir / f"{self.path.stem}-{stamp()}-{digest}.json"
            write_atomically(target, raw)
            for old in list_backups(self.backup_dir, self.path.stem)[self.backups :]:
                old.unlink(missing_ok=True)
        except OSError as error:
            # The index itself is written; a missing backup must not fail the save.
            log.warning("could not keep a backup of the index: %s", error)

    def close(self) -> None:
        self._tables = None
        self._signature = None


def list_backups(folder: Path, stem: str) -> list[Path]:
    """Backups of the index, newest first."""
    try:
        found = [
            path
            for path in folder.iterdir()
            if path.name.startswith(f"{stem}-") and path.suffix == ".json"
        ]
    except FileNotFoundError:
        return []
    return sorted(found, key=lambda path: path.name, reverse=True)
