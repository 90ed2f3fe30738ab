"""A desktop with no tray host: the user is told why no icon shows."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from desktop_env import trayapp_env


@pytest.fixture
def bare_display():
    """A second Xvfb with no tray host on it."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            "800x600x24",
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
    yield f":{number}"
    server.terminate()
    server.wait(10)


@pytest.mark.desktop
def test_missing_tray_host_is_reported(
    tmp_path, short_tmp, keyring_daemon, bare_display
):
    env, _ = trayapp_env(
        tmp_path,
        home=tmp_path / "home",
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=bare_display,
    )
    tray = subprocess.Popen(
        [sys.executable, "-m", "trayapp"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(9)
        assert tray.poll() is None
    finally:
        tray.terminate()
        _, stderr = tray.communicate(timeout=30)
    assert "nessuna area di notifica ha accolto l'icona" in stderr
    assert "gnome-shell-extension-appindicator" in stderr
