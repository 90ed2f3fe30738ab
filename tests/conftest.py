"""Shared fixtures: a private keyring daemon, a virtual X screen with a tray host.

The desktop parts are real programs from Debian (dbus-daemon,
gnome-keyring-daemon, Xvfb, trayer); each is started once per test session
with its state under a temporary folder, so no earlier run and no user
setting leaks in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["portal.fixtures"]

KEYRING_UNLOCK_PASSWORD = b"trayapp-test-keyring"

# Every test runs with the portal moved to a closed local port, so no code
# path can reach the real Agenzia delle Entrate even if a test forgets to
# start the test portal. Port 9 (discard) is closed on these machines.
os.environ["TRAYAPP_PORTAL_ORIGIN"] = "http://127.0.0.1:9"


def _wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run scripts/test once to install it")
    return path


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp()


@pytest.fixture
def keyring_daemon(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Start dbus-daemon and an unlocked gnome-keyring; return their environment.

    Each test gets a daemon of its own with an empty login keyring, so no
    test sees another's secrets. The environment is also applied to this
    process, so the keyring library used in-process talks to this daemon.
    """
    base = tmp_path_factory.mktemp("keyring")
    data_home = base / "data"
    runtime_dir = base / "run"
    data_home.mkdir()
    runtime_dir.mkdir(mode=0o700)
    env = dict(
        os.environ, XDG_DATA_HOME=str(data_home), XDG_RUNTIME_DIR=str(runtime_dir)
    )
    bus_address = f"unix:path={runtime_dir / 'bus'}"
    dbus = subprocess.Popen(
        [_require("dbus-daemon"), "--session", "--nofork", f"--address={bus_address}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env["DBUS_SESSION_BUS_ADDRESS"] = bus_address
    _wait_until(lambda: (runtime_dir / "bus").exists(), 10, "the D-Bus session bus")
    keyring = subprocess.Popen(
        [
            _require("gnome-keyring-daemon"),
            "--foreground",
            "--unlock",
            "--components=secrets",
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert keyring.stdin is not None
    keyring.stdin.write(KEYRING_UNLOCK_PASSWORD)
    keyring.stdin.close()

    def secrets_service_up() -> bool:
        reply = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        return "boolean true" in reply.stdout

    _wait_until(secrets_service_up, 15, "gnome-keyring on the session bus")
    saved = {key: os.environ.get(key) for key in ("DBUS_SESSION_BUS_ADDRESS",)}
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus_address
    yield {
        "DBUS_SESSION_BUS_ADDRESS": bus_address,
        "XDG_RUNTIME_DIR": str(runtime_dir),
    }
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    keyring.terminate()
    dbus.terminate()
    keyring.wait(10)
    dbus.wait(10)


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """Start Xvfb and return its DISPLAY, also set in this process."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            _require("Xvfb"),
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    display = f":{number}"
    saved = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    yield display
    if saved is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = saved
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="session")
def tray_host(x_display: str) -> Iterator[str]:
    """Start trayer, a system-tray host (XEmbed), docked at the bottom right.

    Not at the top: notification bubbles open in the top-right corner and
    would cover the icon.
    """
    host = subprocess.Popen(
        [
            _require("trayer"),
            "--edge",
            "bottom",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--iconspacing",
            "4",
            "--SetDockType",
            "true",
            "--transparent",
            "false",
            "--tint",
            "0xdddddd",
        ],
        env=dict(os.environ, DISPLAY=x_display),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def host_window_exists() -> bool:
        found = subprocess.run(
            ["xdotool", "search", "--classname", "trayer"],
            env=dict(os.environ, DISPLAY=x_display),
            capture_output=True,
            text=True,
        )
        return bool(found.stdout.strip())

    _wait_until(host_window_exists, 10, "the trayer window")
    yield x_display
    host.terminate()
    host.wait(10)


@pytest.fixture
def trayapp_home(tmp_path, monkeypatch) -> Path:
    """Point TRAYAPP_HOME at an empty folder for this test."""
    home = tmp_path / "trayapp-home"
    monkeypatch.setenv("TRAYAPP_HOME", str(home))
    return home


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """An empty folder with a short path under /tmp, removed afterwards."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ta-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def studio(trayapp_home, keyring_daemon):
    """A Studio on an empty TRAYAPP_HOME and the test session's real keyring."""
    from trayapp.app import open_studio

    opened = open_studio()
    yield opened
    opened.close()


@pytest.fixture
def notifications(keyring_daemon, x_display, tmp_path) -> Iterator[Path]:
    """Run GNOME's notification-daemon and record every Notify call in a file.

    dbus-monitor prints each call's arguments (title, body) as text, so a
    test reads what the user saw from the returned file.
    """
    daemon_path = Path("/usr/lib/notification-daemon/notification-daemon")
    if not daemon_path.exists():
        pytest.fail("notification-daemon is not installed: run scripts/test once")
    env = dict(os.environ, DISPLAY=x_display, **keyring_daemon)
    record = tmp_path / "notifications.txt"
    with record.open("w", encoding="utf-8") as stream:
        monitor = subprocess.Popen(
            [
                _require("dbus-monitor"),
                "--session",
                "interface='org.freedesktop.Notifications',member='Notify'",
            ],
            env=env,
            stdout=stream,
            stderr=subprocess.DEVNULL,
        )
        daemon = subprocess.Popen(
            [str(daemon_path), "--replace"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def daemon_on_bus() -> bool:
            reply = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.Notifications",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            return "boolean true" in reply.stdout

        _wait_until(daemon_on_bus, 15, "notification-daemon on the session bus")
        yield record
        daemon.terminate()
        monitor.terminate()
        daemon.wait(10)
        monitor.wait(10)
