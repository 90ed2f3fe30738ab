"""Shared fixtures: a private keyring daemon, a virtual X screen with a tray host.

The desktop parts are real programs from Debian (dbus-daemon,
gnome-keyring-daemon, Xvfb, trayer, notification-daemon), each with its
state under a temporary folder, so no earlier run and no user setting leaks
in. Xvfb and trayer are started once per test session. The D-Bus session
with its keyring is started for each test that requests it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_env import start_gnome_keyring, start_xvfb

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


def _bus_name_owned(env: dict[str, str], name: str) -> bool:
    """Return whether a process owns `name` on the session bus of `env`."""
    reply = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{name}",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    return "boolean true" in reply.stdout


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
    # Services the bus starts on demand (the keyring's unlock prompter among
    # them) get no display, so a prompt fails at once as if dismissed instead
    # of waiting on the virtual screen for a click that never comes.
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    bus_address = f"unix:path={runtime_dir / 'bus'}"
    dbus = subprocess.Popen(
        [_require("dbus-daemon"), "--session", "--nofork", f"--address={bus_address}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env["DBUS_SESSION_BUS_ADDRESS"] = bus_address
    _wait_until(lambda: (runtime_dir / "bus").exists(), 10, "the D-Bus session bus")
    keyring = start_gnome_keyring(env, KEYRING_UNLOCK_PASSWORD)
    _wait_until(
        lambda: _bus_name_owned(env, "org.freedesktop.secrets"),
        15,
        "gnome-keyring on the session bus",
    )
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
    server, display = start_xvfb()
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

        _wait_until(
            lambda: _bus_name_owned(env, "org.freedesktop.Notifications"),
            15,
            "notification-daemon on the session bus",
        )
        yield record
        daemon.terminate()
        monitor.terminate()
        daemon.wait(10)
        monitor.wait(10)


@pytest.fixture(scope="session")
def gtk_main_loop(x_display: str) -> Iterator[None]:
    """Run a GLib main loop on a thread of this process, as pystray's GTK backend does.

    The resident's GTK clipboard queues its calls on this loop, which also
    answers other programs that read the clipboard.
    """
    import threading

    import gi

    gi.require_version("Gtk", "3.0")
    from gi.repository import GLib, Gtk  # noqa: F401 - Gtk opens the display

    loop = GLib.MainLoop()
    thread = threading.Thread(target=loop.run, name="gtk-main-loop", daemon=True)
    thread.start()
    _wait_until(loop.is_running, 10, "the GLib main loop")
    yield
    loop.quit()
    thread.join(10)
