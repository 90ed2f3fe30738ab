"""The benchmark's private desktop: D-Bus, gnome-keyring, Xvfb and trayer.

Started the same way the tests start them (see tests/conftest.py), with all
state under one temporary folder, and stopped again by `close()`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop_env import start_gnome_keyring, start_xvfb

KEYRING_UNLOCK_PASSWORD = b"trayapp-bench-keyring"
START_TIMEOUT = 15.0


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` every 50 ms until it is true; raise TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def require(program: str) -> str:
    """Return the path of `program`, or raise naming the missing Debian tool."""
    path = shutil.which(program)
    if path is None:
        raise RuntimeError(f"{program} is not installed: run scripts/test once")
    return path


def bus_name_owned(bus_address: str, name: str) -> bool:
    """Return whether a process owns `name` on the session bus at `bus_address`."""
    reply = subprocess.run(
        [
            "dbus-send",
            f"--bus={bus_address}",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{name}",
        ],
        capture_output=True,
        text=True,
    )
    return "boolean true" in reply.stdout


def stop(process: subprocess.Popen) -> None:
    """Terminate a process this module started and wait for it, killing it if stuck."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class KeyringDaemon:
    """A dbus-daemon and an unlocked gnome-keyring with an empty login keyring."""

    def __init__(self, base: Path) -> None:
        base.mkdir(parents=True)
        data_home = base / "data"
        runtime_dir = base / "run"
        data_home.mkdir()
        runtime_dir.mkdir(mode=0o700)
        env = dict(
            os.environ, XDG_DATA_HOME=str(data_home), XDG_RUNTIME_DIR=str(runtime_dir)
        )
        # Without a display, an unlock prompt fails at once instead of waiting.
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        self.bus_address = f"unix:path={runtime_dir / 'bus'}"
        self.env = {
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "XDG_RUNTIME_DIR": str(runtime_dir),
        }
        self._processes: list[subprocess.Popen] = []
        self._processes.append(
            subprocess.Popen(
                [
                    require("dbus-daemon"),
                    "--session",
                    "--nofork",
                    f"--address={self.bus_address}",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        wait_until(
            lambda: (runtime_dir / "bus").exists(), START_TIMEOUT, "the session bus"
        )
        self._processes.append(start_gnome_keyring(env, KEYRING_UNLOCK_PASSWORD))
        wait_until(
            lambda: bus_name_owned(self.bus_address, "org.freedesktop.secrets"),
            START_TIMEOUT,
            "gnome-keyring on the session bus",
        )

    def close(self) -> None:
        """Stop gnome-keyring, then the bus."""
        for process in reversed(self._processes):
            stop(process)
        self._processes.clear()


class Desktop:
    """Xvfb with trayer docked at the bottom right, and a keyring daemon.

    The keyring's bus address is also set in this process's environment, so
    the keyring library used in-process talks to the private daemon.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tb-", dir="/tmp"))
        self._saved_env = {
            key: os.environ.get(key)
            for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "TMPDIR")
        }
        self._processes: list[subprocess.Popen] = []
        self.keyring: KeyringDaemon | None = None
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        server, self.display = start_xvfb()
        self._processes.append(server)
        os.environ["DISPLAY"] = self.display
        self._processes.append(
            subprocess.Popen(
                [
                    require("trayer"),
                    *("--edge", "bottom", "--align", "right"),
                    *("--widthtype", "request", "--height", "32"),
                    *("--iconspacing", "4", "--SetDockType", "true"),
                    *("--transparent", "false", "--tint", "0xdddddd"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_until(self._trayer_mapped, START_TIMEOUT, "the trayer window")
        self.keyring = self.new_keyring("keyring")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.keyring.bus_address
        temporary = self.folder("tmp")
        os.environ["TMPDIR"] = str(temporary)
        tempfile.tempdir = None

    def _trayer_mapped(self) -> bool:
        found = subprocess.run(
            ["xdotool", "search", "--classname", "trayer"],
            capture_output=True,
            text=True,
        )
        return bool(found.stdout.strip())

    def new_keyring(self, name: str) -> KeyringDaemon:
        """Start another keyring daemon with a bus of its own; the caller closes it."""
        return KeyringDaemon(self.root / name)

    def folder(self, name: str) -> Path:
        """Create and return a new empty folder under the desktop's root."""
        path = self.root / name
        path.mkdir(parents=True)
        return path

    def close(self) -> None:
        """Stop everything this desktop started and remove its folder."""
        if self.keyring is not None:
            self.keyring.close()
            self.keyring = None
        for process in reversed(self._processes):
            stop(process)
        self._processes.clear()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        tempfile.tempdir = None
        shutil.rmtree(self.root, ignore_errors=True)
