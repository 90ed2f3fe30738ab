"""Logging set-up, done once by the entry point."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
MAX_LOG_BYTES = 1_000_000
KEPT_LOG_FILES = 5


def restrict_to_owner(path: Path) -> None:
    """Make a file readable and writable by its owner only (POSIX; no-op on Windows)."""
    if os.name == "posix":
        os.chmod(path, 0o600)


def configure_logging(
    log_file: Path, *, debug: bool = False, to_stderr: bool = False
) -> None:
    """Send records to a rotating file, and with `to_stderr` to the terminal too.

    --debug lowers the level of trayapp's own loggers only, so libraries
    stay at WARNING.
    """
    log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_LOG_BYTES, backupCount=KEPT_LOG_FILES, encoding="utf-8"
    )
    # The log names clients (codice fiscale, name): readable by this user only.
    restrict_to_owner(log_file)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("trayapp").setLevel(logging.DEBUG if debug else logging.INFO)
    if to_stderr:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
