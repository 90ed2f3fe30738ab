"""A desktop with no tray host: trayapp explains why no icon shows."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from desktop_env import start_xvfb, trayapp_env


@pytest.fixture
def bare_display():
    """A second Xvfb with no tray host on it."""
    server, display = start_xvfb("800x600x24")
    yield display
    server.terminate()
    server.wait(10)


@pytest.mark.desktop
def test_missing_tray_host_is_reported(
    tmp_path, short_tmp, keyring_daemon, bare_display
):
    home = tmp_path / "home"
    env, _ = trayapp_env(
        tmp_path,
        home=home,
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
    log_file = home / "logs" / "trayapp.log"
    try:
        # The tray checks for a host a few seconds after start, then logs.
        deadline = time.monotonic() + 60
        while "no tray host embedded the icon" not in (
            log_file.read_text(encoding="utf-8") if log_file.exists() else ""
        ):
            assert tray.poll() is None, tray.communicate()
            assert time.monotonic() < deadline, "the tray never checked for a host"
            time.sleep(0.2)
        assert tray.poll() is None
    finally:
        tray.terminate()
        _, stderr = tray.communicate(timeout=30)
    assert "nessuna area di notifica ha accolto l'icona" in stderr
    assert "gnome-shell-extension-appindicator" in stderr
