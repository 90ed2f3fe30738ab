"""The daily path with real parts: import, tray menu, logged-in cassetto, new email.

Real parts: gnome-keyring on a private D-Bus, Xvfb with trayer as the tray
host, the resident `trayapp` process with pystray's GTK backend, its menu
clicked with xdotool, Debian's Chromium driven by Playwright against the
test portal on 127.0.0.1, and xdg-open handing the mailto: URI to a handler
registered in temporary XDG folders. The real Agenzia delle Entrate site is
the only stand-in.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

import xtray
from desktop_env import (
    find_secrets,
    run_trayapp,
    start_trayapp,
    trayapp_env,
    trayapp_home_env,
    wait_for,
)
from trayapp.app import Studio, recent_client_ids
from trayapp.domain.client import Client
from trayapp.paths import resolve_paths
from trayapp.resident import TrayActions
from trayapp.secretstore.base import UnavailableSecretStore
from trayapp.storage.tinydb_index import TinyDBClientIndex
from trayapp.tray.menu import build_menu

SAMPLES = Path(__file__).resolve().parent / "data"
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
CLIENT_NAME = "LOMBARDI ALESSIA"


def sample_secrets() -> tuple[dict[str, dict[str, str]], set[str]]:
    with (SAMPLES / "clienti-excel.csv").open(encoding="cp1252", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    by_name = {f"{r['Cognome']} {r['Nome']}".strip(): r for r in rows}
    secrets = {r["Password"] for r in rows if r["Password"]}
    secrets |= {r["PIN"].replace(" ", "") for r in rows if r["PIN"]}
    return by_name, secrets


def menu_model(home: Path) -> list:
    """Build the menu the tray shows, from the index the tray process writes."""
    paths = resolve_paths({"TRAYAPP_HOME": str(home)})
    index = TinyDBClientIndex(paths.index_file)
    studio = Studio(index, UnavailableSecretStore("read-only view"), paths)
    try:
        clients: list[Client] = studio.clients()
        actions = TrayActions(studio, notify=lambda *_: None, open_window=lambda: None)
        return build_menu(
            clients,
            recent_client_ids(clients),
            window_available=True,
            expiring=actions.expiring(),
        )
    finally:
        index.close()


@pytest.mark.desktop
def test_tray_login_and_email_on_imported_list(
    tmp_path, short_tmp, keyring_daemon, tray_host, notifications, portal, chromium_path
):
    home = tmp_path / "home"
    env, mail_record = trayapp_env(
        tmp_path,
        home=home,
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=tray_host,
        portal_origin=portal.origin,
        browser=chromium_path,
    )
    rows, secrets = sample_secrets()
    client_row = rows[CLIENT_NAME]
    user_id = client_row["Utente Fisconline"]
    portal.accounts[user_id] = (client_row["Password"], client_row["PIN"])

    imported = run_trayapp(env, "import", str(SAMPLES / "clienti.xlsx"), "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["imported"] == 300
    assert report["rejected"] == []

    entries = menu_model(home)
    letters = [entry.text for entry in entries if entry.is_submenu]
    assert "L" in letters
    tray = start_trayapp(env)
    try:
        xtray.find_icon(tray_host, timeout=30)
        xtray.open_menu_path(tray_host, ["L", CLIENT_NAME], entries)
        OUTPUT.mkdir(exist_ok=True)
        xtray.screenshot(tray_host, OUTPUT / "tray-menu-client.png")
        xtray.close_menus(tray_host)
        xtray.open_menu_path(
            tray_host, ["L", CLIENT_NAME, "Login cassetto fiscale"], entries
        )

        wait_for(lambda: portal.received, 60, "the portal to receive a login")
        assert portal.received == [
            {
                "username": user_id,
                "password": client_row["Password"],
                "pin": client_row["PIN"],
            }
        ]
        served = wait_for(lambda: portal.served_home, 30, "the logged-in cassetto page")
        assert served == [("Cassetto fiscale", user_id)]
        time.sleep(1)
        xtray.screenshot(tray_host, OUTPUT / "cassetto-logged-in.png")

        # The login put the client among the recent ones at the top of the menu.
        entries = menu_model(home)
        assert entries[0].text.startswith("Password in scadenza (")
        assert entries[3].text == CLIENT_NAME
        xtray.screenshot(tray_host, OUTPUT / "before-email.png")
        xtray.open_menu_path(tray_host, [CLIENT_NAME, "Invia email"], entries)
        received = wait_for(
            lambda: mail_record.exists() and mail_record.read_text(encoding="utf-8"),
            30,
            "the mailto: handler",
        )
        assert received.splitlines() == [f"mailto:{client_row['Email']}"]

        shown = wait_for(
            lambda: "Accesso eseguito." in notifications.read_text(encoding="utf-8"),
            15,
            "the login notification",
        )
        assert shown
        assert f'string "{CLIENT_NAME}"' in notifications.read_text(encoding="utf-8")

        xtray.open_menu_path(tray_host, ["Esci"], entries)
        assert tray.wait(timeout=30) == 0
    finally:
        if tray.poll() is None:
            tray.kill()
        stdout, stderr = tray.communicate(timeout=10)

    leaks = find_secrets([home, short_tmp, tmp_path / "mail", notifications], secrets)
    assert leaks == []
    assert not any(secret in stdout + stderr for secret in secrets)
    assert "nessuna area di notifica" not in stderr


@pytest.mark.desktop
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("INVALID_CREDENTIALS", "Credenziali non valide"),
        ("PASSWORD_EXPIRED", "password"),
        ("ACCOUNT_LOCKED", "bloccat"),
    ],
)
def test_cli_login_failure_codes_shown_in_italian(
    tmp_path, short_tmp, keyring_daemon, x_display, portal, chromium_path, code, message
):
    home, env = trayapp_home_env(
        tmp_path,
        short_tmp,
        keyring_daemon,
        x_display,
        portal_origin=portal.origin,
        browser=chromium_path,
    )
    rows, secrets = sample_secrets()
    client_row = rows[CLIENT_NAME]
    portal.force_code = code
    imported = run_trayapp(env, "import", str(SAMPLES / "clienti-excel.csv"))
    assert imported.returncode == 0, imported.stderr

    result = run_trayapp(env, "login", client_row["Codice fiscale"], "--no-wait")

    assert result.returncode == 1
    assert result.stdout.startswith(f"{CLIENT_NAME}: ")
    assert message in result.stdout
    assert len(portal.received) == 1
    assert not any(secret in result.stdout + result.stderr for secret in secrets)
    assert find_secrets([home, short_tmp], secrets) == []
