"""The local channel between the resident tray process and the window process.

The resident process listens with multiprocessing.connection on a Unix
socket in a private folder (a named pipe on Windows) and accepts only
clients that prove they know a random key, which it hands to the window
process through multiprocessing's spawn pipe, never on a command line.
Each call is a (method, params) pair answered by ("ok", result) or
("error", payload).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

AUTHKEY_BYTES = 32
# RpcServer makes its socket folder in the temporary directory under this prefix.
IPC_FOLDER_PREFIX = "trayapp-ipc-"


class RpcError(Exception):
    """A call the resident process rejected; `field` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ChannelClosed(ConnectionError):
    """The resident process closed the channel, or died, during a call."""


class RpcServer:
    """Serve calls from window processes, one thread per connection.

    `handler(method, params)` runs on the connection's thread; exceptions
    it raises that carry a user message (RpcError, or any exception whose
    class is listed in `user_errors`) go back to the caller as errors, and
    anything else is logged and reported as an internal error.
    """

    def __init__(
        self,
        handler: Callable[[str, dict[str, Any]], Any],
        user_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self._handler = handler
        self._user_errors = user_errors
        self.authkey = secrets.token_bytes(AUTHKEY_BYTES)
        self._folder: Path | None = None
        if sys.platform == "win32":
            address = rf"\\.\pipe\trayapp-{secrets.token_hex(8)}"
            self._listener = Listener(address, family="AF_PIPE", authkey=self.authkey)
        else:
            # A private folder keeps other users away from the socket.
            self._folder = Path(tempfile.mkdtemp(prefix=IPC_FOLDER_PREFIX))
            os.chmod(self._folder, 0o700)
            address = str(self._folder / "s")
            self._listener = Listener(address, family="AF_UNIX", authkey=self.authkey)
        self.address = address
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._accept_loop, name="ipc-accept", daemon=True
        )

    def start(self) -> RpcServer:
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                connection = self._listener.accept()
            except OSError:
                if self._closed.is_set():
                    return
                log.exception("accepting a window connection failed")
                continue
            except Exception:
                # multiprocessing raises AuthenticationError for a wrong key.
                log.warning("a connection with a wrong key was refused", exc_info=True)
                continue
            threading.Thread(
                target=self._serve, args=(connection,), name="ipc-conn", daemon=True
            ).start()

    def _serve(self, connection: Connection) -> None:
        with connection:
            while not self._closed.is_set():
                try:
                    method, params = connection.recv()
                    connection.send(self._answer(method, params))
                except (EOFError, OSError):
                    return

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[str, Any]:
        # The method name only: parameters may carry passwords and passphrases.
        log.debug("call %s", method)
        try:
            return ("ok", self._handler(method, params))
        except RpcError as error:
            return ("error", {"message": error.message, "field": error.field})
        except self._user_errors as error:
            return (
                "error",
                {"message": str(error), "field": getattr(error, "field", None)},
            )
        except Exception:
            log.exception("window call %s failed", method)
            return (
                "error",
                {
                    "message": "Errore interno di trayapp: i dettagli sono nel log.",
                    "field": None,
                },
            )

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        if self._folder is not None:
            for child in self._folder.iterdir():
                child.unlink(missing_ok=True)
            self._folder.rmdir()


class RpcClient:
    """One connection to the resident process; calls from several threads take turns."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self._connection = Client(address, authkey=authkey)
        self._lock = threading.Lock()

    def call(self, method: str, **params: Any) -> Any:
        with self._lock:
            try:
                self._connection.send((method, params))
                status, payload = self._connection.recv()
            except (EOFError, BrokenPipeError, ConnectionError) as error:
                # Kept apart from a BrokenPipeError on stdout, which only
                # means that the reader of the command's output went away.
                raise ChannelClosed(f"the channel closed during {method}") from error
        if status == "error":
            raise RpcError(payload["message"], payload.get("field"))
        return payload

    def close(self) -> None:
        self._connection.close()
