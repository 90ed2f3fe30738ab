"""Imports that the window and the command line run in the resident process.

Each import runs on a thread of its own, and the caller polls its progress
over the instance channel, so the window stays responsive while a long
list is written. The resident stays the only writer of index and keyring,
and runs one import that writes at a time.
"""

from __future__ import annotations

import logging
import secrets
import threading
from pathlib import Path
from typing import Any

from trayapp.app import Studio
from trayapp.importing.mapping import (
    MappingStore,
    describe_columns,
    field_choices,
    normalize_choices,
)
from trayapp.importing.readers import ImportFileError, read_sheet
from trayapp.importing.service import CHECK, ImportCancelled, ImportProgress
from trayapp.ipc import RpcError

log = logging.getLogger(__name__)

RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
INTERNAL_ERROR = "Errore interno di trayapp: i dettagli sono nel log."


class ImportJob:
    """One import on its thread: its progress, then its report or its error."""

    def __init__(self, job_id: str, dry_run: bool) -> None:
        self.id = job_id
        self.dry_run = dry_run
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {
            "job": job_id,
            "dry_run": dry_run,
            "state": RUNNING,
            "phase": CHECK,
            "done": 0,
            "total": 0,
        }

    def on_progress(self, progress: ImportProgress) -> None:
        if self._cancel.is_set():
            raise ImportCancelled()
        with self._lock:
            self._state.update(
                phase=progress.phase, done=progress.done, total=progress.total
            )

    def cancel(self) -> None:
        self._cancel.set()

    def finish(self, state: str, **values: Any) -> None:
        with self._lock:
            self._state.update(state=state, **values)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)


class ImportJobs:
    """The import calls of the window and the command line (rpc_* methods)."""

    def __init__(self, studio: Studio) -> None:
        self._studio = studio
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def rpc_import_inspect(self, path: str) -> dict[str, Any]:
        """Return a file's columns, what each maps to, and the choices a user has."""
        file = Path(path)
        try:
            sheet = read_sheet(file)
        except ImportFileError as error:
            raise RpcError(str(error), "path") from None
        remembered = MappingStore(self._studio.paths.config_dir).load(sheet.header)
        columns = describe_columns(sheet, remembered)
        return {
            "path": str(file),
            "file": file.name,
            "rows": len(sheet.rows),
            "columns": [column.as_dict() for column in columns],
            "remembered": bool(remembered),
            "fields": [
                {"value": value, "label": label} for value, label in field_choices()
            ],
        }

    def rpc_import_start(
        self,
        path: str,
        choices: dict[str, str] | None = None,
        dry_run: bool = False,
    ) -> str:
        """Start an import (or its preview, with `dry_run`); return the job id."""
        try:
            normalize_choices(choices or {})
        except ValueError as error:
            raise RpcError(str(error)) from None
        with self._lock:
            writing = [
                job
                for job in self._jobs.values()
                if not job.dry_run and job.snapshot()["state"] == RUNNING
            ]
            if writing and not dry_run:
                raise RpcError("Un'importazione è già in corso: attendi che finisca.")
            job = ImportJob(secrets.token_hex(8), dry_run)
            self._jobs[job.id] = job
        threading.Thread(
            target=self._run,
            args=(job, Path(path), dict(choices or {})),
            name=f"import-{job.id}",
            daemon=True,
        ).start()
        return job.id

    def rpc_import_progress(self, job: str) -> dict[str, Any]:
        """Return the job's state; a finished job is forgotten once it is read."""
        with self._lock:
            found = self._jobs.get(job)
            if found is None:
                raise RpcError(f"Importazione sconosciuta: {job}")
            snapshot = found.snapshot()
            if snapshot["state"] != RUNNING:
                del self._jobs[job]
        return snapshot

    def rpc_import_cancel(self, job: str) -> None:
        """Ask a running job to stop; what it wrote is undone."""
        with self._lock:
            found = self._jobs.get(job)
        if found is not None:
            found.cancel()

    def _run(self, job: ImportJob, path: Path, choices: dict[str, str]) -> None:
        from trayapp.importing.mapping import UnmappedColumns
        from trayapp.resident import user_error_types

        user_errors: tuple[type[BaseException], ...] = (
            ImportFileError,
            *user_error_types(),
        )
        try:
            report = self._studio.import_file(
                path, dry_run=job.dry_run, choices=choices, progress=job.on_progress
            )
        except ImportCancelled:
            job.finish(CANCELLED, error="Importazione annullata: nulla è cambiato.")
        except UnmappedColumns as error:
            job.finish(FAILED, error=str(error), unknown=error.columns)
        except user_errors as error:
            log.info("import of %s failed: %s", path.name, type(error).__name__)
            job.finish(FAILED, error=str(error))
        except Exception:
            log.exception("import of %s failed", path.name)
            job.finish(FAILED, error=INTERNAL_ERROR)
        else:
            job.finish(DONE, report=report.as_dict())
