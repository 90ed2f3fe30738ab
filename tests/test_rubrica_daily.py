"""The rubrica with the real tray: open it from the menu, add a client, log in.

Real parts: the resident `trayapp` process with its GTK tray icon in
trayer, its menu clicked with xdotool, the rubrica window it spawns, a
second rubrica window driven by the test over the same authenticated
channel, the real keyring, and Chromium logging in to the test portal.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import xtray
from desktop_env import (
    channel_file,
    find_secrets,
    running_trayapp,
    start_trayapp,
    stop_trayapp,
    trayapp_home_env,
    wait_for,
    wait_for_channel,
    window_ids,
)
from test_end_to_end import menu_model
from test_window import click, row_script, set_fields
from window_harness import WindowDriver

pytestmark = pytest.mark.desktop

CF = "VRDGPP80A01F205X"
PASSWORD = "Segreta*2025"
PIN = "1234567890"


def valid_cf() -> str:
    from stdnum.it import codicefiscale

    body = CF[:15]
    return body + codicefiscale.calc_check_digit(body)


def tray_channel(home: Path) -> tuple[str, bytes]:
    """Return the address and key the running tray published in its data folder."""
    record = json.loads(channel_file(home).read_text(encoding="utf-8"))
    return record["address"], bytes.fromhex(record["key"])


def test_rubrica_from_tray_add_client_and_login(
    tmp_path, short_tmp, keyring_daemon, tray_host, portal, chromium_path
):
    home, env = trayapp_home_env(
        tmp_path,
        short_tmp,
        keyring_daemon,
        tray_host,
        portal_origin=portal.origin,
        browser=chromium_path,
    )
    cf = valid_cf()
    portal.accounts[cf] = (PASSWORD, PIN)
    tray = start_trayapp(env)
    driver = None
    try:
        xtray.find_icon(tray_host, timeout=30)
        wait_for_channel(home, tray, 30)
        xtray.open_menu_path(tray_host, ["Apri rubrica"], menu_model(home))
        wait_for(lambda: window_ids(tray_host), 60, "the rubrica window")

        driver = WindowDriver(*tray_channel(home), extra_env=dict(env))
        click(driver, "#new-client")
        driver.wait_for(
            "return document.getElementById('editor').open", what="the form"
        )
        set_fields(
            driver,
            {
                "cognome": "Verdi",
                "nome": "Giuseppe",
                "codice_fiscale": cf,
                "email": "giuseppe.verdi@example.it",
                "password": PASSWORD,
                "pin": PIN,
            },
        )
        click(driver, "#save-client")
        driver.wait_for(
            row_script("Verdi Giuseppe", "return true;"), what="the new row"
        )

        entries = menu_model(home)
        assert entries[0].text == "Verdi Giuseppe"
        popup = xtray.right_click_icon(tray_host)
        items = [entry for entry in entries if not entry.separator]
        assert xtray.wait_for_rows(tray_host, popup, len(items)) is not None
        xtray.screenshot(tray_host, Path("test-output") / "tray-menu-after-rubrica.png")
        xtray.close_menus(tray_host)

        driver.js(
            row_script(
                "Verdi Giuseppe",
                "[...row.querySelectorAll('button')].find((b) => b.textContent === "
                "'LOGIN').click(); return true;",
            )
        )
        driver.wait_for(
            "return document.getElementById('status').textContent"
            ".includes('Accesso eseguito.')",
            timeout=90,
            what="the login outcome in the rubrica",
        )
        assert portal.received == [{"username": cf, "password": PASSWORD, "pin": PIN}]
        assert portal.served_home == [("Cassetto fiscale", cf)]
    finally:
        if driver is not None:
            driver.close()
        _, stderr = stop_trayapp(tray)
    secrets = {PASSWORD, PIN}
    assert find_secrets([home, short_tmp], secrets) == []
    assert not any(secret in stderr for secret in secrets)


def window_pids(display: str) -> set[int]:
    """Return the process ids of the rubrica windows on the screen."""
    pids = {_pid_of(display, window) for window in window_ids(display)}
    return {pid for pid in pids if pid is not None}


def test_left_click_opens_and_reopens_rubrica(
    tmp_path, short_tmp, keyring_daemon, tray_host
):
    _, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    with running_trayapp(env, capture_output=False) as tray:
        x, y = xtray.find_icon(tray_host, timeout=30)
        xtray.click(tray_host, x, y, 1)
        first = wait_for(lambda: window_pids(tray_host), 60, "the rubrica window")
        (pid,) = first
        subprocess.run(["kill", "-9", str(pid)], check=True)
        wait_for(lambda: not window_pids(tray_host), 30, "the window to go away")

        xtray.click(tray_host, x, y, 1)
        second = wait_for(lambda: window_pids(tray_host), 60, "the reopened window")
        assert second != first
        assert tray.poll() is None


def test_keyboard_enter_saves_escape_closes(
    tmp_path, short_tmp, keyring_daemon, tray_host
):
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    tray = start_trayapp(env, capture_output=False)
    driver = None
    try:
        wait_for_channel(home, tray, 30)
        driver = WindowDriver(*tray_channel(home), dict(env))
        (window,) = wait_for(
            lambda: [
                w
                for w in window_ids(tray_host)
                if driver and _pid_of(tray_host, w) == driver.pid
            ],
            30,
            "the driven window",
        )
        click(driver, "#new-client")
        driver.wait_for(
            "return document.getElementById('editor').open", what="the form"
        )
        driver.js("document.getElementById('f-cognome').focus(); return true;")
        keys = {"DISPLAY": tray_host, "PATH": "/usr/bin:/bin"}
        subprocess.run(
            ["xdotool", "windowfocus", "--sync", window], env=keys, check=True
        )
        subprocess.run(
            ["xdotool", "type", "--delay", "30", "Rossi"], env=keys, check=True
        )
        subprocess.run(["xdotool", "key", "Return"], env=keys, check=True)
        error = driver.wait_for(
            "return document.getElementById('error-codice_fiscale').textContent",
            what="the error shown by the save that Enter started",
        )
        assert "obbligatorio" in error
        subprocess.run(["xdotool", "key", "Escape"], env=keys, check=True)
        question = driver.wait_for(
            "return document.getElementById('ask').open && "
            "document.getElementById('ask-message').textContent",
            what="the unsaved-changes question",
        )
        assert "modifiche non salvate" in question
    finally:
        if driver is not None:
            driver.close()
        stop_trayapp(tray)


def _pid_of(display: str, window: str) -> int | None:
    found = subprocess.run(
        ["xdotool", "getwindowpid", window],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    text = found.stdout.strip()
    return int(text) if text.isdigit() else None
