"""Drive the real rubrica window in a child process from a test.

The child runs tests/window_driver.py, which opens the window with
trayapp.window.app.run_window and evaluates the scripts this module sends.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from trayapp.window.service import WindowService
from window_driver import REAL_FILE_DIALOGS

DRIVER = Path(__file__).with_name("window_driver.py")
ANSWER_PREFIX = "@@driver "
START_TIMEOUT = 60
ANSWER_TIMEOUT = 30


class CountingService:
    """Forward window calls to a WindowService and count them by method."""

    def __init__(self, service: WindowService) -> None:
        self.service = service
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls[method] += 1
        return self.service.handle(method, params)


class WindowDriver:
    """The window's child process and its command channel."""

    def __init__(
        self,
        address: str,
        authkey: bytes,
        extra_env: dict[str, str] | None = None,
        log_file: Path | None = None,
        real_file_dialogs: bool = False,
    ) -> None:
        """Start the window, which shows Qt's own file dialogs if `real_file_dialogs`."""
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="xcb",
            TRAYAPP_TEST_RPC_ADDRESS=address,
            TRAYAPP_TEST_RPC_AUTHKEY=authkey.hex(),
            **(extra_env or {}),
        )
        env.pop(REAL_FILE_DIALOGS, None)
        if real_file_dialogs:
            env[REAL_FILE_DIALOGS] = "1"
        # The window process logs to stderr; a test may keep that log to scan it.
        self._log = log_file.open("ab") if log_file is not None else None
        self.process = subprocess.Popen(
            [sys.executable, str(DRIVER)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read_answers, daemon=True).start()
        first = self._next_answer(START_TIMEOUT)
        if first != {"ready": True}:
            self.close()
            raise RuntimeError(f"the window driver did not start: {first!r}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(ANSWER_PREFIX):
                self._answers.put(json.loads(line[len(ANSWER_PREFIX) :]))
        self._answers.put(None)

    def _next_answer(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no answer from the window in {timeout} s") from None

    def _send(self, command: dict[str, Any]) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        answer = self._next_answer(ANSWER_TIMEOUT)
        if answer is None:
            raise RuntimeError("the window process ended")
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]

    def js(self, script: str) -> Any:
        """Run a script in the page; it must end in a JSON-serialisable expression."""
        raw = self._send({"js": f"JSON.stringify((() => {{ {script} }})())"})
        return None if raw in (None, "undefined") else json.loads(raw)

    def wait_for(self, script: str, timeout: float = 20, what: str = "") -> Any:
        """Run `script` until it returns a truthy value; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(script)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"timed out after {timeout} s waiting for {what or script}"
                )
            time.sleep(0.05)

    def imported(self, modules: list[str]) -> list[str]:
        return self._send({"modules": modules})

    def clipboard(self) -> str:
        return self._send({"clipboard": True})

    def request_close(self) -> None:
        """Close the window as its close button would, without waiting for the end."""
        self._send({"close": True})

    def zoom(self, factor: float) -> None:
        self._send({"zoom": factor})

    def answer_file_dialog(self, path: Path | None) -> None:
        """Make the next native file dialog return `path` (None: closed)."""
        self._send({"file_dialog": None if path is None else str(path)})

    def file_dialogs(self) -> list[dict[str, Any]]:
        """Return type, save_filename and file_types of each file dialog opened."""
        return self._send({"file_dialogs": True})

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._send({"close": True})
            except (RuntimeError, TimeoutError, BrokenPipeError):
                pass
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        if self._log is not None:
            self._log.close()


def open_file_paths(pid: int) -> list[str]:
    """Return the targets of a process's open file descriptors."""
    folder = Path(f"/proc/{pid}/fd")
    targets = []
    for entry in folder.iterdir():
        try:
            targets.append(os.readlink(entry))
        except OSError:
            continue
    return targets


class FdWatcher:
    """Record every file a process has open, polling until stopped.

    It looks once on entry and once on exit as well, so even work that ends
    between two polls is watched from before it starts to after it ends.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.seen: set[str] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FdWatcher:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sample()

    def _sample(self) -> bool:
        try:
            self.seen.update(open_file_paths(self.pid))
        except FileNotFoundError:
            return False
        self.samples += 1
        return True

    def _run(self) -> None:
        while not self._stop.is_set() and self._sample():
            self._stop.wait(self.interval)
