"""Find the running resident instance, so a second start hands over to it.

The resident process writes its channel's address and key to a file only
its user can read, in the data folder, and removes it on exit. A file left
by a crash names a process that is gone or a socket nobody accepts on; it
is then ignored and replaced.
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
