"""One resident instance per data folder, and the way to reach it.

The resident process holds an exclusive lock on instance.lock for its whole
life; the operating system drops the lock when the process ends, even in a
crash, so a stale lock never blocks the next start. It also writes its
channel's address and key to instance.json, readable by its user only, so a
second `trayapp` or a command that changes data can hand over to it.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from pathlib import Path

from trayapp.ipc import RpcClient

log = logging.getLogger(__name__)

INSTANCE_FILE = "instance.json"
LOCK_FILE = "instance.lock"


class InstanceLock:
    """The held lock of the running resident instance; `release()` frees it."""

    def __init__(self, handle) -> None:
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def acquire_lock(data_dir: Path) -> InstanceLock | None:
    """Take the instance lock without waiting; None when another process holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / LOCK_FILE, "a+b")  # noqa: SIM115 - kept open while held
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return InstanceLock(handle)


def instance_file(data_dir: Path) -> Path:
    return data_dir / INSTANCE_FILE


def publish(data_dir: Path, address: str, authkey: bytes) -> Path:
    """Record the running instance's channel; readable by this user only."""
    path = instance_file(data_dir)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(
            {"pid": os.getpid(), "address": address, "key": authkey.hex()}, stream
        )
    os.replace(temporary, path)
    return path


def withdraw(data_dir: Path) -> None:
    path = instance_file(data_dir)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if record.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def connect(data_dir: Path) -> RpcClient | None:
    """Return a channel to the running instance, or None when there is none."""
    path = instance_file(data_dir)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        address, key = record["address"], bytes.fromhex(record["key"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError):
        log.warning("ignoring an unreadable instance file %s", path)
        return None
    try:
        return RpcClient(address, key)
    except (OSError, EOFError, multiprocessing.AuthenticationError) as error:
        log.info("instance file %s is stale (%s)", path, type(error).__name__)
        return None
