"""Environment for running the real trayapp on the test desktop.

Builds the variables a resident trayapp process needs on Xvfb: the keyring
daemon's session bus, a private TMPDIR (scanned for secrets afterwards),
the test portal's origin, Debian's Chromium, and a mailto: handler
registered in temporary XDG folders that records each URI it is given.
Also starts, waits for and stops `python -m trayapp` processes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# Chromium may resolve only 127.0.0.1, so nothing in a test run can leave
# the machine even if a URL in the profile were wrong.
LOCAL_ONLY_BROWSER_ARGS = "--host-resolver-rules='MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'"


def register_mailto_handler(root: Path) -> tuple[dict[str, str], Path]:
    """Register a mailto: handler in XDG folders under root; return env and record file."""
    data_home = root / "xdg-data"
    config_home = root / "xdg-config"
    applications = data_home / "applications"
    applications.mkdir(parents=True)
    config_home.mkdir(parents=True)
    record = root / "mailto-received.txt"
    handler = root / "record-mailto.sh"
    handler.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n', encoding="utf-8"
    )
    handler.chmod(handler.stat().st_mode | stat.S_IXUSR)
    (applications / "trayapp-test-mail.desktop").write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Posta di prova\n"
        f"Exec={handler} %u\n"
        "MimeType=x-scheme-handler/mailto;\n"
        "NoDisplay=true\n",
        encoding="utf-8",
    )
    (config_home / "mimeapps.list").write_text(
        "[Default Applications]\nx-scheme-handler/mailto=trayapp-test-mail.desktop\n",
        encoding="utf-8",
    )
    env = {
        "XDG_DATA_HOME": str(data_home),
        "XDG_CONFIG_HOME": str(config_home),
        "XDG_DATA_DIRS": "/usr/share",
    }
    return env, record


def trayapp_env(
    root: Path,
    *,
    home: Path,
    temporary: Path,
    keyring: dict[str, str],
    display: str | None = None,
    portal_origin: str | None = None,
    browser: Path | None = None,
) -> tuple[dict[str, str], Path]:
    """Return the environment for a trayapp subprocess and its mailto record file.

    `temporary` becomes TMPDIR. Keep its path short: Chromium puts a Unix
    socket there, and socket paths are limited to 107 bytes.
    """
    mail_env, record = register_mailto_handler(root / "mail")
    env = dict(os.environ)
    for desktop_hint in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION"):
        env.pop(desktop_hint, None)
    env.update(keyring)
    env.update(mail_env)
    env.update(
        TRAYAPP_HOME=str(home),
        TMPDIR=str(temporary),
        PYSTRAY_BACKEND="gtk",
        TRAYAPP_BROWSER_ARGS=LOCAL_ONLY_BROWSER_ARGS,
    )
    if display:
        env["DISPLAY"] = display
    if portal_origin:
        env["TRAYAPP_PORTAL_ORIGIN"] = portal_origin
    if browser:
        env["TRAYAPP_BROWSER"] = str(browser)
    return env, record


def trayapp_home_env(
    root: Path,
    temporary: Path,
    keyring: dict[str, str],
    display: str,
    *,
    portal_origin: str | None = None,
    browser: Path | None = None,
) -> tuple[Path, dict[str, str]]:
    """Return the folder root/home and the environment of a trayapp using it on `display`.

    The other arguments are those of trayapp_env.
    """
    home = root / "home"
    env, _ = trayapp_env(
        root,
        home=home,
        temporary=temporary,
        keyring=keyring,
        display=display,
        portal_origin=portal_origin,
        browser=browser,
    )
    return home, env


def channel_file(home: Path) -> Path:
    """Return the file where the running tray publishes its channel's address and key."""
    return home / "data" / "instance.json"


def log_file(home: Path) -> Path:
    return home / "logs" / "trayapp.log"


def read_log(home: Path) -> str:
    """Return trayapp's log, or "" before the first process has written to it."""
    path = log_file(home)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def start_trayapp(
    env: dict[str, str], *args: str, capture_output: bool = True
) -> subprocess.Popen:
    """Start `python -m trayapp ARGS` in `env`, with an empty standard input.

    With capture_output, stdout and stderr are text pipes, otherwise
    /dev/null. A rubrica window that the tray starts inherits the pipes and
    keeps them open until it exits, so reading them to the end also waits
    for the window.
    """
    output = subprocess.PIPE if capture_output else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "trayapp", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        text=True,
    )


def stop_trayapp(
    process: subprocess.Popen, timeout: float = 30
) -> tuple[str | None, str | None]:
    """Send SIGTERM to `process` if it is still running, and return its output.

    Waits up to `timeout` seconds for the process to exit and its pipes to
    close. The output is (stdout, stderr), or (None, None) when it was not
    captured.
    """
    if process.poll() is None:
        process.terminate()
    return process.communicate(timeout=timeout)


@contextlib.contextmanager
def running_trayapp(
    env: dict[str, str], *args: str, capture_output: bool = True
) -> Iterator[subprocess.Popen]:
    """Start `python -m trayapp ARGS` as start_trayapp does, and stop it on exit."""
    process = start_trayapp(env, *args, capture_output=capture_output)
    try:
        yield process
    finally:
        stop_trayapp(process)


def wait_for(
    predicate: Callable[[], T],
    timeout: float,
    what: str,
    process: subprocess.Popen | None = None,
) -> T:
    """Call `predicate` every 0.1 s until it returns a true value, and return that.

    Raises AssertionError after `timeout` seconds, or as soon as `process`
    (when given) exits, with the process's output when it was captured.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"trayapp exited with code {process.returncode} while waiting for "
                f"{what}\nstdout: {stdout}\nstderr: {stderr}"
            )
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def wait_for_channel(home: Path, process: subprocess.Popen, timeout: float) -> None:
    """Wait until the tray `process` publishes its channel in `home`."""
    wait_for(channel_file(home).exists, timeout, "the tray's channel", process)


def wait_for_log(
    home: Path,
    text: str,
    process: subprocess.Popen,
    timeout: float,
    what: str,
    *,
    count: int = 1,
) -> str:
    """Wait until the log in `home` contains `text` `count` times, and return the log.

    `what` names the event that the line records, for the failure message.
    """

    def log_with_text() -> str:
        log = read_log(home)
        return log if log.count(text) >= count else ""

    return wait_for(
        log_with_text,
        timeout,
        f"{what} ({text!r} in {log_file(home)})",
        process,
    )


def run_trayapp(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """Run `python -m trayapp ARGS` in `env`; standard input is `stdin` or empty."""
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def find_secrets(folders: list[Path], secrets: set[str]) -> list[tuple[Path, str]]:
    """Return (file, secret) for every secret found in plain bytes in files or folders.

    Each secret is searched as UTF-8, as UTF-16-LE (how Windows and some
    Chromium files store text) and JSON-escaped.
    """
    needles = {}
    for secret in secrets:
        for form in (
            secret.encode("utf-8"),
            secret.encode("utf-16-le"),
            secret.replace("\\", "\\\\").replace('"', '\\"').encode("utf-8"),
        ):
            needles[form] = secret
    found = []
    for folder in folders:
        if not folder.exists():
            continue
        paths = [folder] if folder.is_file() else folder.rglob("*")
        for path in paths:
            if not path.is_file() or path.is_symlink():
                continue
            try:
                content = path.read_bytes()
            except OSError:
                continue
            for needle, secret in needles.items():
                if needle in content:
                    found.append((path, secret))
    return found


def start_xvfb(size: str = "1280x800x24") -> tuple[subprocess.Popen, str]:
    """Start an Xvfb on a free display number; return the process and its DISPLAY."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            size,
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
        raise RuntimeError("Xvfb did not start: is the xvfb package installed?")
    return server, f":{number}"


def start_gnome_keyring(env: dict[str, str], password: bytes) -> subprocess.Popen:
    """Start gnome-keyring-daemon's secrets component on env's bus, unlocked.

    `password` unlocks, or creates, the login keyring under env's
    XDG_DATA_HOME. The caller waits for the bus name and stops the process.
    """
    if shutil.which("gnome-keyring-daemon") is None:
        raise RuntimeError(
            "gnome-keyring-daemon is not installed: run scripts/test once"
        )
    keyring = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert keyring.stdin is not None
    keyring.stdin.write(password)
    keyring.stdin.close()
    return keyring


WINDOW_TITLE = "trayapp – Rubrica clienti"


def window_ids(display: str) -> list[str]:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", WINDOW_TITLE],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    return found.stdout.split()
