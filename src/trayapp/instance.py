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
import tempfile
from pathlib import Path

from trayapp.ipc import IPC_FOLDER_PREFIX, RpcClient

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
    """Record the running instance's channel; readable by this user only.

    Call it with the instance lock held. A record left by a tray that
    crashed is replaced, and the socket folder it names is removed.
    """
    path = instance_file(data_dir)
    _remove_stale_channel(path, address)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(
            {"pid": os.getpid(), "address": address, "key": authkey.hex()}, stream
        )
    os.replace(temporary, path)
    return path


def _remove_stale_channel(path: Path, address: str) -> None:
    """Remove the socket folder of a crashed tray's record at `path`.

    Only a private folder made by RpcServer (a "trayapp-ipc-" folder in
    the temporary directory) is removed, never a Windows pipe name.
    """
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        old_address = Path(record["address"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    folder = old_address.parent
    if (
        str(old_address) == address
        or not folder.name.startswith(IPC_FOLDER_PREFIX)
        or folder.parent != Path(tempfile.gettempdir())
    ):
        return
    try:
        old_address.unlink(missing_ok=True)
        folder.rmdir()
    except OSError as error:
        log.warning("removing the stale channel folder %s failed: %s", folder, error)
        return
    log.info(
        "removed the channel folder %s of a tray that ended without closing it", folder
    )


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
