"""A desktop with no tray host: trayapp explains why no icon shows."""

from __future__ import annotations

import pytest

from desktop_env import (
    start_trayapp,
    start_xvfb,
    stop_trayapp,
    trayapp_home_env,
    wait_for_log,
)


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
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, bare_display)
    tray = start_trayapp(env)
    try:
        # The tray checks for a host a few seconds after start, then logs.
        no_host_line = "no tray host embedded the icon"
        wait_for_log(home, no_host_line, tray, 60, "the tray's check for a host")
        assert tray.poll() is None
    finally:
        _, stderr = stop_trayapp(tray)
    assert "nessuna area di notifica ha accolto l'icona" in stderr
    assert "gnome-shell-extension-appindicator" in stderr
