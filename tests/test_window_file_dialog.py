"""The rubrica's file dialogs as Qt shows them, used on the virtual X screen.

Here the window driver leaves pywebview's create_file_dialog alone, so
"Esporta…", "Ripristina backup…" and the "Scegli…" button of "Importa…" open
Qt's own file dialog. On Xvfb there is no desktop platform theme or portal,
so Qt shows its widget-based QFileDialog, as it does for a Linux user
without a portal. The test types a full path into the dialog's file name
field with xdotool and presses Return (or Escape), as a user would, then
checks what the page shows and what was written or read.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from desktop_env import find_secrets
from import_samples import write_renamed_csv
from test_exchange import (
    PASSPHRASE,
    all_secret_values,
    filled_studio,  # noqa: F401 - a fixture
)
from test_window import click, screenshot
from test_window_exchange import serve_exchange_window, text_of, wait_for_status
from trayapp.exchange.service import write_backup
from window_harness import WindowDriver

pytestmark = pytest.mark.desktop

# The dialogs' titles, as the window's LOCALIZATION sets them.
SAVE_TITLE = "Salva file"
OPEN_TITLE = "Apri file"
DIALOG_TIMEOUT = 60
KEY_TIMEOUT = 30


@pytest.fixture
def dialog_window(
    filled_studio,  # noqa: F811 - the fixture imported above
    x_display,
    keyring_daemon,
    tmp_path,
) -> Iterator[tuple[WindowDriver, Path]]:
    """Yield the window, which shows Qt's real file dialogs, and its log file."""
    with serve_exchange_window(
        filled_studio, tmp_path, real_file_dialogs=True
    ) as opened:
        window, (window_root,) = opened
        yield window, window_root / "window.log"


def xdotool(display: str, *args: str, timeout: float = KEY_TIMEOUT) -> str:
    done = subprocess.run(
        ["xdotool", *args],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return done.stdout


def dialog_windows(display: str, window: WindowDriver, title: str) -> list[str]:
    """Return the ids of the window process's visible windows titled `title`."""
    found = subprocess.run(
        ["xdotool", "search", "--all", "--onlyvisible", "--pid", str(window.pid)]
        + ["--name", f"^{title}$"],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=KEY_TIMEOUT,
    )
    return found.stdout.split()


def find_dialog(display: str, window: WindowDriver, title: str) -> str:
    """Wait for the window's file dialog titled `title` and give it the focus."""
    try:
        found = xdotool(
            display,
            "search",
            "--sync",
            "--all",
            "--onlyvisible",
            "--pid",
            str(window.pid),
            "--name",
            f"^{title}$",
            timeout=DIALOG_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        screenshot(window, display, "window-file-dialog-missing.png")
        raise AssertionError(
            f"timed out after {DIALOG_TIMEOUT} s waiting for the file dialog "
            f"titled {title!r}"
        ) from None
    (dialog,) = found.split()
    xdotool(display, "windowfocus", "--sync", dialog)
    return dialog


def wait_until_gone(display: str, window: WindowDriver, title: str) -> None:
    deadline = time.monotonic() + DIALOG_TIMEOUT
    while dialog_windows(display, window, title):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {DIALOG_TIMEOUT} s waiting for the dialog "
                f"{title!r} to close"
            )
        time.sleep(0.1)


def read_clipboard(display: str) -> str | None:
    done = subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=KEY_TIMEOUT,
    )
    return done.stdout if done.returncode == 0 else None


def file_name_field(display: str, expected: set[str]) -> str | None:
    """Copy all the text of the focused file name field and return the clipboard's text.

    It waits until the clipboard contains one of `expected` and returns the
    last text read otherwise, so a stale clipboard reads as a mismatch.
    """
    xdotool(display, "key", "--clearmodifiers", "ctrl+a", "ctrl+c")
    deadline = time.monotonic() + KEY_TIMEOUT
    copied = read_clipboard(display)
    while copied not in expected and time.monotonic() < deadline:
        time.sleep(0.1)
        copied = read_clipboard(display)
    return copied


def type_file_name(display: str, path: Path) -> None:
    """Replace the file name field's text with `path`, and check it arrived whole."""
    xdotool(display, "key", "--clearmodifiers", "ctrl+a")
    xdotool(display, "type", "--delay", "20", str(path))
    assert file_name_field(display, {str(path)}) == str(path)


def wait_for_log(log_file: Path, line: str) -> None:
    deadline = time.monotonic() + DIALOG_TIMEOUT
    while line not in log_file.read_text(encoding="utf-8", errors="replace"):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {DIALOG_TIMEOUT} s waiting for the window "
                f"to log {line!r}"
            )
        time.sleep(0.1)


def clients_in(text: str) -> dict[str, str]:
    """Return codice fiscale -> Ragione sociale or Cognome of each exported row."""
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return {
        row["Codice fiscale"]: row["Ragione sociale"] or row["Cognome"] for row in rows
    }


def test_save_dialog_exports_csv(
    dialog_window,
    filled_studio,  # noqa: F811 - the fixture imported above
    x_display,
    tmp_path,
):
    window, _ = dialog_window
    exported = tmp_path / "esportazioni" / "clienti marzo.csv"
    exported.parent.mkdir()
    days = {date.today()}

    click(window, "#open-export")
    find_dialog(x_display, window, SAVE_TITLE)
    days.add(date.today())
    proposed = file_name_field(x_display, {f"clienti-{day}.csv" for day in days})
    assert proposed in {f"clienti-{day}.csv" for day in days}
    screenshot(window, x_display, "window-export-qt-save-dialog.png")
    type_file_name(x_display, exported)
    xdotool(x_display, "key", "Return")
    wait_until_gone(x_display, window, SAVE_TITLE)
    status = wait_for_status(window, "4 clienti esportati")

    assert status == (
        f"4 clienti esportati in {exported} (solo anagrafica, senza password né PIN)."
    )
    assert window.js("return document.getElementById('exchange').open") is False
    text = exported.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith(
        "Codice;Tipo;Ragione sociale;Cognome;Nome;Codice fiscale;"
    )
    assert clients_in(text) == {
        "01314440460": "PANIFICIO COSTA SOC. COOP.",
        "DNNLSS63C58G224U": "D'ANNUNZIO",
        "LMBLSS64D60L736G": "LOMBARDI",
        "CSTPPL57P19L219T": "ROSSI",
    }
    assert find_secrets([exported], all_secret_values(filled_studio)) == []
    assert sorted(os.listdir(exported.parent)) == ["clienti marzo.csv"]


def test_save_dialog_escape_exports_nothing(dialog_window, x_display, tmp_path):
    window, log_file = dialog_window
    typed = tmp_path / "annullato.csv"
    before = text_of(window, "status")
    assert before == "4 clienti in rubrica"
    proposed = Path.cwd() / f"clienti-{date.today()}.csv"
    assert not proposed.exists()

    click(window, "#open-export")
    find_dialog(x_display, window, SAVE_TITLE)
    type_file_name(x_display, typed)
    xdotool(x_display, "key", "Escape")
    wait_until_gone(x_display, window, SAVE_TITLE)
    wait_for_log(log_file, "file dialog for export closed without a choice")

    assert text_of(window, "status") == before
    assert window.js("return document.getElementById('exchange').open") is False
    assert not typed.exists()
    assert not proposed.exists()


def test_open_dialog_chooses_backup(
    dialog_window,
    filled_studio,  # noqa: F811 - the fixture imported above
    x_display,
    tmp_path,
):
    window, _ = dialog_window
    backup_file = tmp_path / "chiavetta" / "studio.trayapp-backup"
    backup_file.parent.mkdir()
    write_backup(filled_studio, backup_file, PASSPHRASE)

    click(window, "#open-restore")
    find_dialog(x_display, window, OPEN_TITLE)
    type_file_name(x_display, backup_file)
    xdotool(x_display, "key", "Return")
    wait_until_gone(x_display, window, OPEN_TITLE)
    window.wait_for(
        "return document.getElementById('exchange').open",
        30,
        "the restore form",
    )

    assert text_of(window, "exchange-file") == f"File: {backup_file} (backup cifrato)"
    assert window.js(
        "return document.getElementById('exchange-confirmation-field').hidden"
    )
    click(window, "#exchange-cancel")


def test_open_dialog_chooses_import_file(dialog_window, x_display, tmp_path):
    window, _ = dialog_window
    folder = tmp_path / "da altro programma"
    folder.mkdir()
    path = write_renamed_csv(folder / "altro-programma.csv")

    click(window, "#open-import")
    window.wait_for("return document.getElementById('import').open", what="dialog")
    window.js(
        "[...document.querySelectorAll('#import button')]"
        ".find((node) => node.textContent === 'Scegli…').click(); return true;"
    )
    find_dialog(x_display, window, OPEN_TITLE)
    screenshot(window, x_display, "window-import-qt-open-dialog.png")
    type_file_name(x_display, path)
    xdotool(x_display, "key", "Return")
    wait_until_gone(x_display, window, OPEN_TITLE)
    window.wait_for(
        "return !document.getElementById('import-step-map').hidden",
        60,
        "the column mapping",
    )

    assert window.js("return document.getElementById('import-path').value") == str(path)
    note = window.js("return document.getElementById('import-map-note').textContent")
    assert note.startswith("altro-programma.csv: 300 righe, ")
    samples = window.js(
        "return Object.fromEntries([...document.querySelectorAll('#import-columns tr')]"
        ".map((row) => [row.dataset.header,"
        " row.querySelector('.import-samples').textContent]));"
    )
    assert samples["Ragione sociale"].startswith("PANIFICIO COSTA SOC. COOP.")
    assert samples["Cognome"].startswith("D'ANNUNZIO")
    assert samples["Parola chiave"] == "nascosti: potrebbero essere password o PIN"
