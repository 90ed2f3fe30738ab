"""Other encodings and column names, the preview, progress and cancelling."""

from __future__ import annotations

import csv
import json
import os

import pytest

from import_samples import (
    RENAMED_CHOICES,
    SAMPLE_CSV,
    clients_by_cf,
    keyring_items,
    sample_table,
    write_newer_passwords,
    write_renamed_csv,
    write_renamed_xlsx,
    write_unicode_text,
)
from trayapp.app import open_studio
from trayapp.import_command import parse_map_options
from trayapp.importing.mapping import MAPPING_FILE, UnmappedColumns, header_key
from trayapp.importing.readers import ImportFileError, read_sheet
from trayapp.importing.service import CHECK, WRITE, ImportCancelled


@pytest.fixture
def baseline(keyring_daemon, tmp_path):
    """Return every client and secret that the cp1252 sample imports to."""
    other = open_studio(dict(os.environ, TRAYAPP_HOME=str(tmp_path / "baseline")))
    try:
        report = other.import_file(SAMPLE_CSV)
        assert report.imported == 300
        yield clients_by_cf(other)
    finally:
        other.close()


def test_unicode_text_reads_as_utf16_tabs(tmp_path):
    path = write_unicode_text(tmp_path / "clienti.txt", sample_table())

    sheet = read_sheet(path)

    assert path.read_bytes()[:2] == b"\xff\xfe"
    assert b"\r\x00\n\x00" in path.read_bytes()
    assert sheet.encoding == "utf-16"
    assert sheet.header == sample_table()[0]
    assert len(sheet.rows) == 300


def test_unicode_text_same_clients_as_cp1252(studio, baseline, tmp_path):
    path = write_unicode_text(tmp_path / "clienti.txt", sample_table())

    report = studio.import_file(path)

    assert report.rejected == []
    assert report.imported == 300
    assert clients_by_cf(studio) == baseline


@pytest.mark.parametrize("writer", [write_renamed_csv, write_renamed_xlsx])
def test_renamed_headers_mapped_same_clients(studio, baseline, tmp_path, writer):
    suffix = ".csv" if writer is write_renamed_csv else ".xlsx"
    path = writer(tmp_path / f"rinominato{suffix}")

    report = studio.import_file(path, choices=RENAMED_CHOICES)

    assert report.rejected == []
    assert report.imported == 300
    assert clients_by_cf(studio) == baseline


def test_unknown_columns_named_in_error(studio, tmp_path):
    path = write_renamed_csv(tmp_path / "rinominato.csv")

    with pytest.raises(UnmappedColumns) as caught:
        studio.import_file(path)

    assert caught.value.columns == list(RENAMED_CHOICES)
    message = str(caught.value)
    assert message.startswith("rinominato.csv: colonne non riconosciute: ")
    assert "«Cod. identificativo», «Numero IVA»" in message
    assert studio.clients() == []
    assert keyring_items() == []


def test_ignored_required_column_named(studio, tmp_path):
    path = write_renamed_csv(tmp_path / "rinominato.csv")
    choices = dict(RENAMED_CHOICES, **{"Cod. identificativo": "ignora"})

    with pytest.raises(ImportFileError) as caught:
        studio.import_file(path, choices=choices)

    assert "nessuna colonna «Codice fiscale» tra le intestazioni" in str(caught.value)
    assert studio.clients() == []


def test_field_chosen_twice_rejected(studio, tmp_path):
    path = write_renamed_csv(tmp_path / "rinominato.csv")
    choices = dict(RENAMED_CHOICES, **{"Indirizzo posta": "pec"})

    with pytest.raises(ImportFileError) as caught:
        studio.import_file(path, choices=choices)

    assert "«Indirizzo posta» e «PEC» sono associate entrambe a «PEC»" in str(
        caught.value
    )


def test_remembered_choices_used_second_time(studio, baseline, tmp_path):
    first = write_renamed_csv(tmp_path / "gennaio.csv")
    by_label = dict(RENAMED_CHOICES, **{"Cod. identificativo": "Codice fiscale"})
    studio.import_file(first, choices=by_label)
    stored = json.loads(
        (studio.paths.config_dir / MAPPING_FILE).read_text(encoding="utf-8")
    )
    header = read_sheet(first).header
    assert stored[header_key(header)]["cod identificativo"] == "codice_fiscale"

    second = write_renamed_xlsx(tmp_path / "febbraio.xlsx")
    report = studio.import_file(second)

    assert report.unchanged == 300
    assert report.choices["numero iva"] == "partita_iva"
    assert clients_by_cf(studio) == baseline


def test_remembered_choices_any_column_order(studio, baseline, tmp_path):
    first = write_renamed_csv(tmp_path / "gennaio.csv")
    by_label = dict(RENAMED_CHOICES, **{"Cod. identificativo": "Codice fiscale"})
    studio.import_file(first, choices=by_label)
    with first.open(encoding="cp1252", newline="") as stream:
        table = list(csv.reader(stream, delimiter=";"))
    reordered = tmp_path / "marzo.csv"
    with reordered.open("w", encoding="cp1252", newline="") as stream:
        csv.writer(stream, delimiter=";").writerows(row[::-1] for row in table)

    report = studio.import_file(reordered)

    assert report.unchanged == 300
    assert report.choices["cod identificativo"] == "codice_fiscale"
    assert clients_by_cf(studio) == baseline


def test_preview_writes_nothing(studio, tmp_path):
    studio.import_file(SAMPLE_CSV)
    path = write_newer_passwords(tmp_path / "nuove-password.txt")
    index_before = studio.paths.index_file.read_bytes()
    keyring_before = keyring_items()

    preview = studio.import_file(path, dry_run=True)

    assert preview.dry_run is True
    assert preview.updated > 0
    assert len(preview.secrets_replaced) == preview.updated
    assert {item["field"] for item in preview.secrets_replaced} == {"password"}
    assert studio.paths.index_file.read_bytes() == index_before
    assert keyring_items() == keyring_before


def test_progress_reaches_every_row(studio):
    seen = []

    studio.import_file(SAMPLE_CSV, progress=seen.append)

    checks = [item for item in seen if item.phase == CHECK]
    writes = [item for item in seen if item.phase == WRITE]
    assert (checks[-1].done, checks[-1].total) == (300, 300)
    assert (writes[0].done, writes[-1].done, writes[-1].total) == (0, 300, 300)
    assert [item.done for item in writes] == sorted(item.done for item in writes)


def test_cancel_while_writing_restores_all(studio, tmp_path):
    studio.import_file(SAMPLE_CSV)
    path = write_newer_passwords(tmp_path / "nuove-password.txt")
    index_before = studio.paths.index_file.read_bytes()
    keyring_before = keyring_items()

    def cancel_midway(progress):
        if progress.phase == WRITE and progress.done == 40:
            raise ImportCancelled()

    with pytest.raises(ImportCancelled):
        studio.import_file(path, progress=cancel_midway)

    assert studio.paths.index_file.read_bytes() == index_before
    assert keyring_items() == keyring_before


def test_unknown_field_message_names_option_and_labels():
    with pytest.raises(ValueError) as raised:
        parse_map_options(["Varie=passwd"])

    message = str(raised.value)
    assert message.startswith(
        "--map «Varie=passwd»: «passwd» non è un campo. Scrivi il nome o "
        "l'etichetta di uno tra: Codice (codice_studio); Tipo (kind); "
    )
    assert "; Partita IVA (partita_iva); " in message
    assert message.endswith("; ignora la colonna (ignora)")
