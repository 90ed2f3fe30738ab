"""The log file: one rotating file in the log folder, --debug for trayapp only, no secrets."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import platformdirs
import pytest

from desktop_env import find_secrets, run_trayapp, trayapp_home_env
from trayapp.logs import configure_logging
from trayapp.paths import resolve_paths

SAMPLES = Path(__file__).resolve().parent / "data"
CLIENT_NAME = "LOMBARDI ALESSIA"
LIBRARY_LOGGERS = ("pystray", "PIL.PngImagePlugin", "urllib3", "asyncio", "keyring")


@pytest.fixture
def clean_logging():
    """Restore the root logger's handlers and levels changed by the test."""
    root = logging.getLogger()
    saved_handlers = list(root.handlers)
    saved_level = root.level
    saved_trayapp = logging.getLogger("trayapp").level
    yield
    for handler in root.handlers:
        if handler not in saved_handlers:
            handler.close()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logging.getLogger("trayapp").setLevel(saved_trayapp)


def test_log_folder_is_platform_log_dir():
    paths = resolve_paths({})

    assert paths.log_dir == Path(platformdirs.user_log_dir("trayapp", appauthor=False))
    assert paths.log_file == paths.log_dir / "trayapp.log"


def test_debug_raises_trayapp_loggers_only(tmp_path, clean_logging):
    log_file = tmp_path / "logs" / "trayapp.log"

    configure_logging(log_file, debug=True)
    logging.getLogger("trayapp.selftest").debug("trayapp detail")
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).debug("library detail from %s", name)
        logging.getLogger(name).info("library info from %s", name)
    logging.getLogger("urllib3").warning("library warning")
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = log_file.read_text("utf-8")
    assert "DEBUG trayapp.selftest: trayapp detail" in text
    assert "library detail" not in text
    assert "library info" not in text
    assert "WARNING urllib3: library warning" in text
    assert log_file.stat().st_mode & 0o777 == 0o600


def test_without_debug_trayapp_logs_info(tmp_path, clean_logging):
    log_file = tmp_path / "logs" / "trayapp.log"

    configure_logging(log_file)

    assert logging.getLogger("trayapp.cli").isEnabledFor(logging.INFO)
    assert not logging.getLogger("trayapp.cli").isEnabledFor(logging.DEBUG)


def test_log_rotates(tmp_path, clean_logging, monkeypatch):
    monkeypatch.setattr("trayapp.logs.MAX_LOG_BYTES", 2000)
    log_file = tmp_path / "logs" / "trayapp.log"

    configure_logging(log_file)
    for index in range(100):
        logging.getLogger("trayapp.test").info("line %d %s", index, "x" * 40)

    assert (tmp_path / "logs" / "trayapp.log.1").is_file()
    assert log_file.stat().st_size <= 2000


@pytest.mark.desktop
def test_debug_login_logs_no_secret(
    tmp_path, short_tmp, keyring_daemon, x_display, portal, chromium_path
):
    home, env = trayapp_home_env(
        tmp_path,
        short_tmp,
        keyring_daemon,
        x_display,
        portal_origin=portal.origin,
        browser=chromium_path,
    )
    with (SAMPLES / "clienti-excel.csv").open(encoding="cp1252", newline="") as stream:
        rows = {
            f"{r['Cognome']} {r['Nome']}".strip(): r
            for r in csv.DictReader(stream, delimiter=";")
        }
    row = rows[CLIENT_NAME]
    portal.accounts[row["Utente Fisconline"]] = (row["Password"], row["PIN"])
    new_password = "Nuova-Segreta7"
    new_pin = "9876543210"

    imported = run_trayapp(env, "--debug", "import", str(SAMPLES / "clienti-excel.csv"))
    logged_in = run_trayapp(env, "--debug", "login", row["Codice fiscale"], "--no-wait")
    stored = run_trayapp(
        env,
        "--debug",
        "set-credentials",
        row["Codice fiscale"],
        "--stdin",
        stdin=f"{new_password}\n{new_pin}\n",
    )

    assert imported.returncode == 0, imported.stderr
    assert logged_in.returncode == 0, logged_in.stdout + logged_in.stderr
    assert stored.returncode == 0, stored.stderr
    log_text = (home / "logs" / "trayapp.log").read_text("utf-8")
    assert " trayapp." in log_text
    # --debug shows the login's steps and the import's plan, never values.
    assert "DEBUG trayapp.login.engine: filled il campo del nome utente" in log_text
    assert "DEBUG trayapp.importing.service: import of clienti-excel.csv" in log_text
    secrets = {
        row["Password"],
        row["PIN"].replace(" ", ""),
        row["PIN"],
        new_password,
        new_pin,
    }
    outputs = imported.stderr + logged_in.stderr + stored.stderr + logged_in.stdout
    assert [secret for secret in secrets if secret in outputs] == []
    assert find_secrets([home / "logs", short_tmp], secrets) == []
