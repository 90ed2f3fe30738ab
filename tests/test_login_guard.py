"""Login outcomes recorded in the index and the guard before the portal's lockout.

Real parts: the CLI on the real keyring, Debian's Chromium driven against
the test portal on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from desktop_env import trayapp_home_env

pytestmark = pytest.mark.desktop

HEADER = "Cognome;Nome;Codice fiscale;Email;Password;PIN\n"
CF = "DNNLSS63C58G224U"


def trayapp(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def env(tmp_path, short_tmp, keyring_daemon, x_display, portal, chromium_path):
    _, environment = trayapp_home_env(
        tmp_path,
        short_tmp,
        keyring_daemon,
        x_display,
        portal_origin=portal.origin,
        browser=chromium_path,
    )
    clients = tmp_path / "clienti.csv"
    clients.write_text(
        HEADER + f"D'ANNUNZIO;ALESSIA;{CF};a@example.it;Giusta1!x;1234567890\n",
        encoding="utf-8",
    )
    assert trayapp(environment, "import", str(clients)).returncode == 0
    return environment


def client_state(env) -> dict:
    (client,) = json.loads(trayapp(env, "list", "--json").stdout)
    return client


def test_fourth_attempt_refused_after_three_failures(env, portal):
    portal.force_code = "INVALID_CREDENTIALS"
    for attempt in range(1, 4):
        result = trayapp(env, "login", CF, "--no-wait")
        assert result.returncode == 1
        assert "Credenziali non valide" in result.stdout
        assert client_state(env)["login_failures"] == attempt

    refused = trayapp(env, "login", CF, "--no-wait")

    assert refused.returncode == 1
    assert len(portal.received) == 3
    assert "3 accessi rifiutati di seguito" in refused.stderr
    assert f"trayapp unblock {CF}" in refused.stderr
    state = client_state(env)
    assert state["last_login_outcome"] == "invalid_credentials"

    assert trayapp(env, "unblock", CF).returncode == 0
    portal.force_code = None
    portal.accounts[CF] = ("Giusta1!x", "1234567890")
    success = trayapp(env, "login", CF, "--no-wait")
    assert success.returncode == 0, success.stderr
    assert len(portal.received) == 4
    state = client_state(env)
    assert state["login_failures"] == 0
    assert state["last_login_outcome"] == "success"
    assert state["pin_lapses_on"] == f"{date.today().year + 2}-12-31"
    audit = json.loads(trayapp(env, "audit", "--json").stdout)
    outcomes = [entry["outcome"] for entry in audit if entry["action"] == "login"]
    assert outcomes == [
        "invalid_credentials",
        "invalid_credentials",
        "invalid_credentials",
        "rifiutato da trayapp",
        "success",
    ]
    shown = [
        line for line in trayapp(env, "audit").stdout.splitlines() if "accesso" in line
    ]
    assert [line.split("  ")[-1] for line in shown] == [
        "credenziali rifiutate dal portale",
        "credenziali rifiutate dal portale",
        "credenziali rifiutate dal portale",
        "rifiutato da trayapp",
        "riuscito",
    ]


def test_locked_account_refused_without_contacting_portal(env, portal):
    portal.force_code = "ACCOUNT_LOCKED"
    first = trayapp(env, "login", CF, "--no-wait")
    assert "Utenza bloccata" in first.stdout
    assert client_state(env)["account_locked"] is True

    second = trayapp(env, "login", CF, "--no-wait")

    assert second.returncode == 1
    assert "il portale ha bloccato l'utenza" in second.stderr
    assert len(portal.received) == 1


def test_expired_password_marked(env, portal):
    portal.force_code = "PASSWORD_EXPIRED"
    result = trayapp(env, "login", CF, "--no-wait")
    assert "Password scaduta" in result.stdout
    state = client_state(env)
    assert state["password_status"] == "expired"
    assert state["last_login_outcome"] == "password_expired"


def test_new_credentials_clear_the_guard(env, portal):
    portal.force_code = "ACCOUNT_LOCKED"
    trayapp(env, "login", CF, "--no-wait")
    stored = subprocess.run(
        [sys.executable, "-m", "trayapp", "set-credentials", CF, "--stdin"],
        env=env,
        input="Nuova2!xy\n1234567890\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stored.returncode == 0, stored.stderr
    state = client_state(env)
    assert state["account_locked"] is False
    assert state["login_failures"] == 0
