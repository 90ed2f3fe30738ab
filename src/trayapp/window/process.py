"""Start, reopen and stop the window process from the resident process."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _window_main(
    address: str, authkey: bytes, log_file: str | None, debug: bool
) -> None:
    if log_file is not None:
        from trayapp.logs import configure_logging

        # The window's records go to the tray's log file, each line with
        # the window's process id.
        configure_logging(Path(log_file), debug=debug)
    from trayapp.window.app import run_window

    run_window(address, authkey)


class WindowProcess:
    """The rubrica window's child process; at most one runs at a time.

    The child is started with the "spawn" method on every platform, because
    both pystray and pywebview want the main thread of their own process,
    and macOS allows no fork of a process that has started a GUI.
    """

    def __init__(
        self,
        address: str,
        authkey: bytes,
        focus: Any,
        log_file: Path | None = None,
    ) -> None:
        self._address = address
        self._authkey = authkey
        self._log_file = log_file
        self._focus = focus
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None

    def is_running(self) -> bool:
        process = self._process
        return process is not None and process.is_alive()

    def open(self) -> None:
        """Show the window: start it, restart it if it died, or bring it forward."""
        with self._lock:
            if self.is_running():
                log.info("window already open; asking it to come forward")
                self._focus()
                return
            if self._process is not None:
                log.info(
                    "window process ended with code %s; reopening",
                    self._process.exitcode,
                )
            context = multiprocessing.get_context("spawn")
            process = context.Process(
                target=_window_main,
                args=(
                    self._address,
                    self._authkey,
                    None if self._log_file is None else str(self._log_file),
                    logging.getLogger("trayapp").isEnabledFor(logging.DEBUG),
                ),
                name="trayapp-rubrica",
                daemon=True,
            )
            process.start()
            self._process = process
            log.info("window process %s started", process.pid)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            process = self._process
            if process is None or not process.is_alive():
                return
            process.terminate()
            process.join(timeout)
            if process.is_alive():
                process.kill()
