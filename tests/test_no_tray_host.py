"""A desktop with no tray host: trayapp explains why no icon shows."""

from __future__ import annotations

import os
import subprocess
import sys

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


def test_no_display_is_reported_as_such(tmp_path, short_tmp, keyring_daemon):
    from trayapp.tray.icon import NO_DISPLAY_MESSAGE

    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, "")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)

    stdout, stderr = start_trayapp(env).communicate(timeout=120)

    assert stdout == f"trayapp: {NO_DISPLAY_MESSAGE}\n", stderr
    assert NO_DISPLAY_MESSAGE == (
        "Impossibile mostrare l'icona nell'area di notifica: nessuno schermo grafico "
        "disponibile (DISPLAY e WAYLAND_DISPLAY non sono impostate). Avvia trayapp "
        "dalla sessione del desktop; senza schermo funzionano solo i comandi come "
        "«trayapp list»."
    )
    assert "GTK" not in stdout + stderr


def test_unopenable_display_is_reported_as_such(tmp_path, short_tmp, keyring_daemon):
    # Display :97 has no X server: the variable is set, the screen is not there.
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, ":97")
    env.pop("WAYLAND_DISPLAY", None)

    stdout, stderr = start_trayapp(env).communicate(timeout=120)

    assert stdout == (
        "trayapp: Impossibile mostrare l'icona nell'area di notifica: lo schermo "
        "grafico :97 (variabile DISPLAY) non si apre. Avvia trayapp dalla sessione "
        "del desktop, oppure imposta DISPLAY sullo schermo giusto.\n"
    ), stderr
    assert "GTK" not in stdout


def test_missing_gtk_is_reported_with_what_to_install(x_display):
    # gi set to None in sys.modules makes every import of it fail, as on a
    # machine without PyGObject.
    script = (
        "import sys; sys.modules['gi'] = None\n"
        "from trayapp.tray.icon import TrayUnavailableError, load_pystray\n"
        "try:\n"
        "    load_pystray()\n"
        "except TrayUnavailableError as error:\n"
        "    print(error)\n"
    )
    env = dict(os.environ, DISPLAY=x_display, PYSTRAY_BACKEND="gtk")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)

    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Impossibile mostrare il menu dell'icona nell'area di notifica: manca il "
        "supporto GTK. Installa PyGObject e i pacchetti gir1.2-gtk-3.0 (e, per i "
        "desktop con AppIndicator, gir1.2-ayatanaappindicator3-0.1), poi riavvia "
        "trayapp. (gtk: "
    ), result.stdout
