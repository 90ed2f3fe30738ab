"""Backup, restore and export from the rubrica window, on a virtual X screen.

The real window runs in a child process and talks to the real WindowService,
served with the tray's own ResidentCommands on the test's gnome-keyring and
a TinyDB index in TRAYAPP_HOME. Here the window driver replaces pywebview's
create_file_dialog with one that returns the path the test queued, and that
path then takes the same route as a chosen one, through check_exchange_file
to the tray. tests/test_window_file_dialog.py uses Qt's real dialog.
"""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop_env import find_secrets
from test_exchange import (
    KEEPASS_PASSWORD,
    PASSPHRASE,
    WRONG_OR_DAMAGED,
    all_secret_values,
    delete_every_client,
    filled_studio,  # noqa: F401 - a fixture
    index_bytes,
    keyring_contents,
    stored_secrets,
)
from test_window import click, screenshot
from trayapp.exchange.service import write_backup
from trayapp.ipc import RpcServer
from trayapp.remote import ResidentCommands
from trayapp.resident import user_error_types
from trayapp.window.service import WindowService
from window_harness import WindowDriver

pytestmark = pytest.mark.desktop

EXPORT_FILE_TYPES = ["CSV (*.csv)", "Excel (*.xlsx)", "KeePass (*.kdbx)"]


def not_logged_in(client_id: str) -> dict[str, str]:
    raise AssertionError("these tests never log in")


@contextmanager
def serve_exchange_window(
    studio, folder: Path, real_file_dialogs: bool = False
) -> Iterator[tuple[WindowDriver, list[Path]]]:
    """Open the window on a resident serving the tray's calls; yield (window, folders).

    `folders` are the window process's TMPDIR, XDG folders and log file
    under `folder`, which the tests scan for secrets.
    """
    service = WindowService(
        studio,
        login=not_logged_in,
        extra=ResidentCommands(studio, not_logged_in),
    )
    server = RpcServer(service.handle, user_errors=user_error_types()).start()
    window_root = folder / "window"
    env = {}
    for name in ("TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        subfolder = window_root / name.lower()
        subfolder.mkdir(parents=True)
        env[name] = str(subfolder)
    # A home of its own, with the Documents folder the file dialogs start in.
    (window_root / "home" / "Documents").mkdir(parents=True)
    env["HOME"] = str(window_root / "home")
    log_file = window_root / "window.log"
    window = WindowDriver(
        server.address,
        server.authkey,
        env,
        log_file=log_file,
        real_file_dialogs=real_file_dialogs,
    )
    try:
        window.wait_for("return window.trayapp && trayapp.listLoads > 0", 30)
        yield window, [window_root]
    finally:
        window.close()
        server.close()


@pytest.fixture
def exchange_window(
    filled_studio,  # noqa: F811 - the fixture imported above
    x_display,
    keyring_daemon,
    tmp_path,
):
    """Yield the window, with stubbed file dialogs, and its folders."""
    with serve_exchange_window(filled_studio, tmp_path) as opened:
        yield opened


def type_secrets(window: WindowDriver, passphrase: str, confirmation: str = "") -> None:
    window.js(
        f"""
        document.getElementById("exchange-passphrase").value = {json.dumps(passphrase)};
        document.getElementById("exchange-confirmation").value =
          {json.dumps(confirmation)};
        return true;
        """
    )


def text_of(window: WindowDriver, element_id: str) -> str:
    return window.js(
        f"return document.getElementById({json.dumps(element_id)}).textContent;"
    )


def wait_for_status(window: WindowDriver, start: str) -> str:
    """Wait until the status bar starts with `start`; return its text."""
    return window.wait_for(
        f"""
        const text = document.getElementById("status").textContent;
        return text.startsWith({json.dumps(start)}) ? text : null;
        """,
        30,
        f"a status starting with {start!r}",
    )


def open_action(window: WindowDriver, button: str, path: Path) -> None:
    """Press a toolbar button, have the file dialog return `path`, wait for the form."""
    window.answer_file_dialog(path)
    click(window, f"#{button}")
    window.wait_for(
        "return document.getElementById('exchange').open", what="the exchange dialog"
    )


def input_values(window: WindowDriver) -> list[str]:
    return window.js(
        "return ['exchange-passphrase', 'exchange-confirmation']"
        ".map((id) => document.getElementById(id).value);"
    )


def test_backup_then_restore_from_window(
    exchange_window,
    x_display,
    filled_studio,  # noqa: F811 - the fixture imported above
    trayapp_home,
    tmp_path,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    window, window_folders = exchange_window
    studio = filled_studio
    expected_records = {c.codice_fiscale: c.to_record() for c in studio.clients()}
    expected_secrets = stored_secrets(studio)
    secrets = all_secret_values(studio) | {PASSPHRASE}
    backup_file = tmp_path / "chiavetta" / "studio.trayapp-backup"
    backup_file.parent.mkdir()

    open_action(window, "open-backup", backup_file)
    assert text_of(window, "exchange-file") == f"File: {backup_file} (backup cifrato)"
    (dialog,) = window.file_dialogs()
    assert dialog["type"] == "SAVE"
    assert dialog["save_filename"].endswith(".trayapp-backup")
    assert dialog["directory"] == str(window_folders[0] / "home" / "Documents")

    type_secrets(window, "corta", "corta")
    click(window, "#exchange-run")
    assert text_of(window, "error-exchange-passphrase") == (
        "La passphrase è troppo corta (5 caratteri): ne servono almeno 12."
    )
    screenshot(window, x_display, "window-backup-short-passphrase.png")
    type_secrets(window, PASSPHRASE, PASSPHRASE + "x")
    click(window, "#exchange-run")
    assert text_of(window, "error-exchange-passphrase") == ""
    assert text_of(window, "error-exchange-confirmation") == (
        "Le due passphrase non coincidono: scrivile di nuovo."
    )
    assert not backup_file.exists()

    type_secrets(window, PASSPHRASE, PASSPHRASE)
    click(window, "#exchange-run")
    status = wait_for_status(window, "Backup cifrato di")
    assert status == f"Backup cifrato di 4 clienti scritto in {backup_file}."
    assert window.js("return document.getElementById('exchange').open") is False
    assert input_values(window) == ["", ""]
    assert backup_file.read_bytes().startswith(b"trayapp-backup\n")
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    delete_every_client(studio)
    loads = window.js("return trayapp.listLoads")
    open_action(window, "open-restore", backup_file)
    assert window.file_dialogs()[-1]["type"] == "OPEN"
    assert window.js(
        "return document.getElementById('exchange-confirmation-field').hidden"
    )
    assert not window.js(
        "return document.getElementById('exchange-overwrite-field').hidden"
    )
    type_secrets(window, PASSPHRASE)
    click(window, "#exchange-run")
    status = wait_for_status(window, "Ripristino da")
    assert status == (
        f"Ripristino da {backup_file}: 4 clienti aggiunti, 0 sostituiti, "
        "0 già presenti e tenuti."
    )
    assert window.js("return trayapp.listLoads") > loads
    shown = window.js(
        "return [...document.querySelectorAll('#spacer .row .name')]"
        ".map((node) => node.textContent).sort();"
    )
    assert len(shown) == 4
    assert "PANIFICIO COSTA SOC. COOP." in shown
    assert input_values(window) == ["", ""]

    records = {c.codice_fiscale: c.to_record() for c in studio.clients()}
    assert records == expected_records
    assert stored_secrets(studio) == expected_secrets
    actions = [entry["action"] for entry in studio.audit.entries()]
    assert "backup" in actions
    assert actions[-1] == "restore"

    window.close()
    assert find_secrets([*window_folders, trayapp_home], secrets) == []
    assert [
        record.getMessage()
        for record in caplog.records
        if any(secret in record.getMessage() for secret in secrets)
    ] == []


@pytest.mark.parametrize("damage", ["wrong passphrase", "truncated"])
def test_bad_restore_in_window_changes_nothing(
    exchange_window,
    filled_studio,  # noqa: F811 - the fixture imported above
    trayapp_home,
    tmp_path,
    damage,
):
    window, window_folders = exchange_window
    studio = filled_studio
    backup_file = tmp_path / "studio.trayapp-backup"
    write_backup(studio, backup_file, PASSPHRASE)
    if damage == "truncated":
        backup_file.write_bytes(backup_file.read_bytes()[:30])
        typed = PASSPHRASE
        expected = f"{backup_file} è danneggiato o incompleto: nulla è stato modificato"
    else:
        typed = "un'altra passphrase lunga"
        expected = f"{backup_file}: {WRONG_OR_DAMAGED}. Nulla è stato modificato."
    # This machine's own change, which an overwriting restore would undo.
    studio.set_credentials(
        studio.resolve("CSTPPL57P19L219T").id, password="Locale#2026"
    )
    index_before = index_bytes(trayapp_home)
    keyring_before = keyring_contents()

    open_action(window, "open-restore", backup_file)
    type_secrets(window, typed)
    click(window, "#exchange-overwrite")
    click(window, "#exchange-run")
    message = window.wait_for(
        "return document.getElementById('exchange-error').textContent",
        30,
        "the restore error",
    )

    assert message == expected
    assert text_of(window, "status") == expected
    assert window.js("return document.getElementById('exchange').open") is True
    assert input_values(window) == ["", ""]
    assert index_bytes(trayapp_home) == index_before
    assert keyring_contents() == keyring_before
    window.close()
    assert find_secrets(window_folders, {typed, "Locale#2026"}) == []


def test_export_csv_from_window_has_no_secrets(
    exchange_window,
    filled_studio,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    window, window_folders = exchange_window
    secrets = all_secret_values(filled_studio)
    exported = tmp_path / "clienti.csv"

    window.answer_file_dialog(exported)
    click(window, "#open-export")
    status = wait_for_status(window, "4 clienti esportati")

    assert status == (
        f"4 clienti esportati in {exported} (solo anagrafica, senza password né PIN)."
    )
    (dialog,) = window.file_dialogs()
    assert dialog["type"] == "SAVE"
    assert dialog["file_types"] == EXPORT_FILE_TYPES
    assert window.js("return document.getElementById('exchange').open") is False
    text = exported.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Codice;Tipo;Ragione sociale;")
    assert "PANIFICIO COSTA SOC. COOP." in text
    assert find_secrets([exported], secrets) == []
    assert find_secrets(window_folders, secrets) == []


def test_export_unknown_suffix_in_window(exchange_window, tmp_path):
    window, _ = exchange_window
    chosen = tmp_path / "clienti.ods"

    window.answer_file_dialog(chosen)
    click(window, "#open-export")
    status = wait_for_status(window, "clienti.ods")

    assert status == (
        "clienti.ods: formato non riconosciuto dall'estensione «.ods»; "
        "usa .csv, .xlsx o .kdbx"
    )
    assert not chosen.exists()


def test_export_keepass_from_window_asks_twice(
    exchange_window,
    filled_studio,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    from pykeepass import PyKeePass

    window, window_folders = exchange_window
    exported = tmp_path / "studio.kdbx"

    open_action(window, "open-export", exported)
    assert text_of(window, "exchange-file") == (
        f"File: {exported} (KeePass, con password e PIN)"
    )
    type_secrets(window, KEEPASS_PASSWORD, KEEPASS_PASSWORD.upper())
    click(window, "#exchange-run")
    assert text_of(window, "error-exchange-confirmation") == (
        "Le due password principali non coincidono: scrivile di nuovo."
    )
    assert not exported.exists()
    type_secrets(window, KEEPASS_PASSWORD, KEEPASS_PASSWORD)
    click(window, "#exchange-run")
    status = wait_for_status(window, "4 clienti esportati")

    assert status == f"4 clienti esportati in {exported} (con password e PIN)."
    assert input_values(window) == ["", ""]
    database = PyKeePass(str(exported), password=KEEPASS_PASSWORD)
    entry = database.find_entries(title="LOMBARDI ALESSIA", first=True)
    assert entry is not None
    assert entry.password == "5ED9J*ua"
    window.close()
    secrets = all_secret_values(filled_studio) | {KEEPASS_PASSWORD}
    assert find_secrets(window_folders, secrets) == []
