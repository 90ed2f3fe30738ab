"""The rubrica's "Importa…" dialog, driven in the real window on Xvfb.

The test types the path into the dialog's path field, which the file dialog
fills too; tests/test_window_file_dialog.py chooses it in Qt's real dialog.
"""

from __future__ import annotations

import json

import pytest

from import_samples import RENAMED_CHOICES, clients_by_cf, write_renamed_csv
from test_import_mapping import baseline  # noqa: F401 - fixture
from test_window import open_window, resident  # noqa: F401 - fixtures
from window_harness import WindowDriver

pytestmark = pytest.mark.desktop


def visible(step: str) -> str:
    return f"return !document.getElementById('import-step-{step}').hidden;"


def count(window: WindowDriver, key: str) -> int:
    return int(
        window.js(
            f"return document.querySelector('#import-counts [data-count={key}] "
            ".import-count').textContent;"
        )
    )


def inspect(window: WindowDriver, path: str) -> None:
    window.js("document.getElementById('open-import').click(); return true;")
    window.wait_for("return document.getElementById('import').open", what="dialog")
    window.js(
        f"document.getElementById('import-path').value = {json.dumps(path)};"
        "document.getElementById('import-inspect').click(); return true;"
    )
    window.wait_for(visible("map"), what="the column mapping")


def selected_fields(window: WindowDriver) -> dict[str, str]:
    return window.js(
        "const found = {};"
        "for (const row of document.querySelectorAll('#import-columns tr')) {"
        "  found[row.dataset.header] = row.querySelector('select').value; }"
        "return found;"
    )


def test_import_dialog_maps_previews_imports(
    open_window,  # noqa: F811
    studio,
    baseline,  # noqa: F811
    tmp_path,
):
    path = write_renamed_csv(tmp_path / "altro-programma.csv")
    window = open_window()

    inspect(window, str(path))
    before = selected_fields(window)
    assert before["Ragione sociale"] == "denominazione"
    assert all(before[header] == "" for header in RENAMED_CHOICES)
    window.js(
        f"const choices = {json.dumps(RENAMED_CHOICES)};"
        "for (const row of document.querySelectorAll('#import-columns tr')) {"
        "  const select = row.querySelector('select');"
        "  if (row.dataset.header in choices) {"
        "    select.value = choices[row.dataset.header];"
        "    select.dispatchEvent(new Event('change', { bubbles: true })); } }"
        "document.getElementById('import-preview').click(); return true;"
    )
    window.wait_for(visible("preview"), 60, "the preview")

    assert count(window, "imported") == 300
    assert count(window, "updated") == 0
    assert count(window, "rejected") == 0
    assert count(window, "repaired") >= 20
    assert count(window, "secrets_added") > 0
    repairs = window.js("return document.querySelectorAll('#import-repairs tr').length")
    assert repairs >= count(window, "repaired")
    assert studio.clients() == []

    window.js("document.getElementById('import-confirm').click(); return true;")
    window.wait_for(visible("done"), 120, "the import's end")
    bar = window.js(
        "const bar = document.getElementById('import-progress');"
        "return [bar.value, bar.max, bar.dataset.percent];"
    )
    assert bar == [300, 300, "100"]
    result = window.js("return document.getElementById('import-result').textContent")
    assert result.startswith("Importazione completata: 300 nuovi clienti")
    window.wait_for("return state.clients.length === 300", 30, "the refreshed list")
    window.js("document.getElementById('import-close').click(); return true;")
    window.js(
        "const search = document.getElementById('search');"
        "search.value = 'PANIFICIO COSTA';"
        "search.dispatchEvent(new Event('input')); return true;"
    )
    names = window.wait_for(
        "return [...document.querySelectorAll('#spacer .row .name')]"
        ".map((node) => node.textContent);",
        what="the imported company",
    )
    assert names == ["PANIFICIO COSTA SOC. COOP."]
    assert clients_by_cf(studio) == baseline

    inspect(window, str(path))
    again = selected_fields(window)
    assert {header: again[header] for header in RENAMED_CHOICES} == RENAMED_CHOICES
    note = window.js("return document.getElementById('import-map-note').textContent")
    assert "Proposte le scelte dell'ultima importazione" in note


def test_import_dialog_names_unreadable_file(open_window, tmp_path):  # noqa: F811
    missing = tmp_path / "non-esiste.csv"
    window = open_window()
    window.js("document.getElementById('open-import').click(); return true;")
    window.js(
        f"document.getElementById('import-path').value = {json.dumps(str(missing))};"
        "document.getElementById('import-inspect').click(); return true;"
    )
    message = window.wait_for(
        "return document.getElementById('import-error').textContent", what="error"
    )
    assert message == f"Il file {missing} non esiste"
    assert window.js(visible("map")) is False


def test_import_counts_agree_with_number(open_window):  # noqa: F811
    window = open_window()
    labels = window.js(
        """
        importView.fields = [];
        renderImportPreview({
          imported: 1, updated: 2, unchanged: 0, repaired: 1,
          rejected: [{ row: 4, field: "email", reason: "x" }],
          secrets_added: 1, secrets_replaced: [], warnings: [],
          repairs: [{ row: 2, repair: "y" }],
        });
        return [...document.querySelectorAll('#import-counts li')]
          .map((item) => item.textContent);
        """
    )

    assert labels == [
        "1 nuovo cliente",
        "2 clienti aggiornati",
        "0 clienti invariati",
        "1 riga corretta",
        "1 riga scartata",
        "1 password o PIN nuovo",
        "0 password e PIN sostituiti",
        "0 password e PIN tenuti (quelli salvati sono più recenti)",
    ]
