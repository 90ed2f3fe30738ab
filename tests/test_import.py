"""Importing the client lists studios export, into the index and the real keyring."""

import csv
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from trayapp.domain.client import Kind
from trayapp.domain.credentials import SecretKind
from trayapp.importing.readers import ImportFileError
from trayapp.storage.tinydb_index import TinyDBClientIndex

SAMPLES = Path(__file__).resolve().parent / "data"
SAMPLE_CSV = SAMPLES / "clienti-excel.csv"
SAMPLE_XLSX = SAMPLES / "clienti.xlsx"


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE_CSV.open(encoding="cp1252", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "cp1252") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=";").writerows(rows)
    return path


HEADER = [
    "Tipo",
    "Ragione sociale",
    "Cognome",
    "Nome",
    "Codice fiscale",
    "Partita IVA",
    "Email",
    "Collegato a",
    "Ruolo",
    "Password",
    "PIN",
]


def person_row(
    cognome: str,
    nome: str,
    codice_fiscale: str,
    *,
    email: str = "",
    collegato_a: str = "",
    ruolo: str = "",
    password: str = "",
    pin: str = "",
) -> list[str]:
    """Return a HEADER row of a persona fisica, with no ragione sociale or partita IVA."""
    return [
        "PF",
        "",
        cognome,
        nome,
        codice_fiscale,
        "",
        email,
        collegato_a,
        ruolo,
        password,
        pin,
    ]


@pytest.mark.parametrize("sample", [SAMPLE_CSV, SAMPLE_XLSX], ids=["csv", "xlsx"])
def test_sample_imports_completely(studio, sample):
    report = studio.import_file(sample)

    assert report.rejected == []
    assert report.imported == 300
    assert report.repaired >= 20
    clients = studio.clients()
    assert len(clients) == 300
    by_cf = {client.codice_fiscale: client for client in clients}
    for row in sample_rows():
        cf = row["Codice fiscale"].replace(" ", "").upper()
        assert cf in by_cf, f"row {row['Codice']} missing"
        client = by_cf[cf]
        assert client.kind is (
            Kind.SOCIETA if row["Tipo"] == "PG" else Kind.PERSONA_FISICA
        )
        if row["Collegato a"]:
            company = studio.get(client.linked_to)
            assert company.codice_fiscale == row["Collegato a"]
            assert client.role == row["Ruolo"]
        if row["Password"]:
            assert studio.secrets.get(client.id, SecretKind.PASSWORD) == row["Password"]
            pin = row["PIN"].replace(" ", "")
            assert studio.secrets.get(client.id, SecretKind.PIN) == pin


def test_sample_repairs_each_kind_of_damage(studio):
    report = studio.import_file(SAMPLE_CSV)
    by_cf = {client.codice_fiscale: client for client in studio.clients()}

    assert by_cf["CSTPPL57P19L219T"].name == "COSTA PIERPAOLO"
    assert by_cf["FNTMRC97H28B157V"].partita_iva == "76111800629"
    assert by_cf["65662480931"].email == "amministrazione@trasportigentilesp.example.it"
    gallo = by_cf["GLLDVD48H22G273I"]
    assert studio.secrets.get(gallo.id, SecretKind.PIN) == "8760407564"
    zero_restored = [c for c in by_cf.values() if c.partita_iva == "08289430533"]
    assert len(zero_restored) == 1
    repair_texts = {item["repair"] for item in report.repairs}
    assert {
        "codice fiscale: tolti spazi o minuscole",
        "partita IVA: tolto il prefisso IT",
        "partita IVA: ripristinati gli zeri iniziali",
        "Email: convertita in minuscolo",
        "PIN: unite le due metà",
    } <= repair_texts
    noted = by_cf["63412770230"]
    assert noted.note == 'telefonare "dopo le 15"; chiedere F24'


def test_xlsx_formula_cell_read_as_typed_text(studio):
    studio.import_file(SAMPLE_XLSX)
    row = next(r for r in sample_rows() if r["Password"].startswith("="))
    client = next(
        c for c in studio.clients() if c.codice_fiscale == row["Codice fiscale"]
    )
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == row["Password"]


def test_import_twice_adds_nothing(studio):
    studio.import_file(SAMPLE_CSV)
    ids_before = sorted(client.id for client in studio.clients())

    again = studio.import_file(SAMPLE_XLSX)

    assert again.imported == 0
    assert again.updated == 0
    assert again.unchanged == 300
    assert sorted(client.id for client in studio.clients()) == ids_before


def test_bad_rows_rejected_good_rows_land(studio, tmp_path):
    path = write_csv(
        tmp_path / "misto.csv",
        [
            HEADER,
            [
                "PG",
                "ALFA S.R.L.",
                "",
                "",
                "01314440460",
                "01314440460",
                "",
                "",
                "",
                "",
                "",
            ],
            person_row("ROSSI", "ANNA", "DNNLSS63C58G224X"),
            person_row("VERDI", "LUCA", "CSTPPL57P19L219T", email="luca@"),
            person_row(
                "BIANCHI",
                "ADA",
                "GNTRSR91T54B157F",
                collegato_a="99999999999",
                ruolo="Socio",
            ),
            person_row(
                "NERI", "EVA", "CRSFNC69R53B157Y", password="Pw12345!", pin="12"
            ),
            person_row(
                "D'ANNUNZIO",
                "ALESSIA",
                "DNNLSS63C58G224U",
                collegato_a="01314440460",
                ruolo="Legale rappresentante",
            ),
        ],
    )

    report = studio.import_file(path)

    rejected = [(r.row, r.field) for r in report.rejected]
    assert rejected == [
        (3, "codice_fiscale"),
        (4, "email"),
        (6, "pin"),
        (5, "linked_to"),
    ]
    reasons = {r.row: r.reason for r in report.rejected}
    assert "carattere di controllo" in reasons[3]
    assert "nessuna società «99999999999»" in reasons[5]
    assert report.imported == 2
    names = sorted(client.name for client in studio.clients())
    assert names == ["ALFA S.R.L.", "D'ANNUNZIO ALESSIA"]


def test_failed_row_keeps_stored_secret(studio, tmp_path):
    good = write_csv(
        tmp_path / "uno.csv",
        [
            HEADER,
            person_row(
                "NERI", "EVA", "CRSFNC69R53B157Y", password="Prima1!x", pin="1234567890"
            ),
        ],
    )
    studio.import_file(good)
    bad = write_csv(
        tmp_path / "due.csv",
        [
            HEADER,
            person_row(
                "NERI", "EVA", "CRSFNC69R53B157Y", password="Dopo2!xx", pin="12"
            ),
        ],
    )

    report = studio.import_file(bad)

    assert [(r.row, r.field) for r in report.rejected] == [(2, "pin")]
    (client,) = studio.clients()
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Prima1!x"


def test_dry_run_writes_nothing(studio):
    report = studio.import_file(SAMPLE_CSV, dry_run=True)

    assert report.imported == 300
    assert studio.clients() == []
    assert TinyDBClientIndex(studio.paths.index_file).all() == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_csv_with_and_without_bom(studio, tmp_path, encoding):
    path = write_csv(
        tmp_path / "utf8.csv",
        [HEADER, person_row("NICOLÒ", "FRANCESCA", "NCLFNC42C49L219C")],
        encoding=encoding,
    )
    studio.import_file(path)
    (client,) = studio.clients()
    assert client.name == "NICOLÒ FRANCESCA"


def test_header_variants_recognised(studio, tmp_path):
    path = tmp_path / "varianti.csv"
    path.write_text(
        "Rag. Soc.;C.F.;P. IVA;E-mail;Cellulare;Utente;PWD;Codice PIN\n"
        "BETA S.N.C.;01314440460;01314440460;info@beta.example.it;333 1234567;;;\n",
        encoding="utf-8",
    )
    studio.import_file(path)
    (client,) = studio.clients()
    assert client.kind is Kind.SOCIETA
    assert client.name == "BETA S.N.C."
    assert client.email == "info@beta.example.it"
    assert client.telefono == "333 1234567"


def test_file_without_codice_fiscale_column_rejected(studio, tmp_path):
    path = tmp_path / "senza.csv"
    path.write_text("Nome;Cognome\nMario;Rossi\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        studio.import_file(path)
    assert "nessuna colonna «Codice fiscale»" in str(caught.value)


def test_xlsx_named_csv_imported(studio, tmp_path):
    renamed = tmp_path / "clienti.csv"
    renamed.write_bytes(SAMPLE_XLSX.read_bytes())

    report = studio.import_file(renamed)

    assert report.imported == 300
    assert report.rejected == []


def test_read_error_named_in_italian(trayapp_home, keyring_daemon, tmp_path):
    # Reading /proc/self/mem from its start fails with EIO, as a bad disk does.
    unreadable = tmp_path / "clienti.csv"
    unreadable.symlink_to("/proc/self/mem")

    result = subprocess.run(
        [sys.executable, "-m", "trayapp", "import", str(unreadable), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        "clienti.csv: lettura non riuscita (errore di lettura o scrittura del disco)"
        in result.stderr
    )


def test_cli_import_json_output(trayapp_home, keyring_daemon):
    result = subprocess.run(
        [sys.executable, "-m", "trayapp", "import", str(SAMPLE_CSV), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 300
    assert report["updated"] == 0
    assert report["rejected"] == []
    assert report["repaired"] >= 20
    assert {"imported", "updated", "repaired", "rejected"} <= set(report)


def test_reimport_of_older_list_keeps_newer_password(studio, tmp_path):
    header = [
        "Cognome",
        "Nome",
        "Codice fiscale",
        "Password",
        "PIN",
        "Data cambio password",
    ]
    old_row = [
        "NERI",
        "EVA",
        "CRSFNC69R53B157Y",
        "Vecchia1!",
        "1234567890",
        "01/03/2026",
    ]
    older = write_csv(tmp_path / "vecchio.csv", [header, old_row])
    studio.import_file(older)
    (client,) = studio.clients()
    studio.set_credentials(client.id, password="Nuova2!xy")

    report = studio.import_file(older)

    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Nuova2!xy"
    assert studio.get(client.id).password_changed_on == date.today()
    assert report.updated == 0
    assert [(w.row, w.field) for w in report.warnings] == [(2, "password")]
    assert "tenuto quello salvato" in report.warnings[0].reason

    newer_row = [
        "NERI",
        "EVA",
        "CRSFNC69R53B157Y",
        "Recente3!z",
        "1234567890",
        # Tomorrow: later than the stored change, and within the one day a
        # file from another time zone may be ahead.
        (date.today() + timedelta(days=1)).strftime("%d/%m/%Y"),
    ]
    studio.import_file(write_csv(tmp_path / "nuovo.csv", [header, newer_row]))
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Recente3!z"


def test_partial_list_keeps_other_fields(studio, tmp_path):
    studio.import_file(SAMPLE_CSV)
    before = {client.codice_fiscale: client for client in studio.clients()}
    someone = next(c for c in before.values() if c.email and c.note and c.comune)
    partial = tmp_path / "solo-telefoni.csv"
    partial.write_text(
        "Codice fiscale;Cognome;Nome;Ragione sociale;Telefono;Note\n"
        f"{someone.codice_fiscale};{someone.cognome};{someone.nome};"
        f"{someone.denominazione};0612345678;\n",
        encoding="utf-8",
    )

    report = studio.import_file(partial)

    assert (report.imported, report.updated, report.rejected) == (0, 1, [])
    after = studio.get(someone.id)
    assert after.telefono == "0612345678"
    assert after.email == someone.email
    assert after.comune == someone.comune
    assert after.note == someone.note
    assert after.partita_iva == someone.partita_iva
    assert after.user_id == someone.user_id
    assert after.linked_to == someone.linked_to


def test_file_cut_mid_row_rejects_that_row(studio, tmp_path):
    raw = SAMPLE_CSV.read_bytes().rstrip(b"\r\n")
    last_line_start = raw.rfind(b"\n") + 1
    cells = raw[last_line_start:].split(b";")
    cut = raw[: last_line_start + len(b";".join(cells[:-4])) - 3]
    path = tmp_path / "troncato.csv"
    path.write_bytes(cut)

    report = studio.import_file(path)

    assert report.imported == 299
    [rejection] = report.rejected
    assert rejection.reason.startswith("il file finisce a metà di questa riga (")
    assert rejection.reason.endswith("sembra troncato, la riga è stata ignorata")


def test_too_long_name_gets_one_message():
    from trayapp.importing.rows import parse_row

    columns = {"cognome": 0, "nome": 1, "codice_fiscale": 2}

    rejected = parse_row(2, ["X" * 5000, "MARIO", "RSSMRA80A01H501U"], columns)

    assert [r.as_dict() for r in rejected] == [  # type: ignore[union-attr]
        {
            "row": 2,
            "field": "cognome",
            "reason": "è troppo lungo (5000 caratteri, massimo 500)",
        }
    ]


def test_future_change_date_not_used(studio, tmp_path):
    path = tmp_path / "futuro.csv"
    path.write_text(
        "Cognome;Nome;Codice fiscale;Password;PIN;Data cambio password\n"
        "ROSSI;ANNA;DNNLSS63C58G224U;Prima1!xx;1234567890;01/01/2099\n",
        encoding="utf-8",
    )

    report = studio.import_file(path)

    assert report.imported == 1
    assert report.repairs == [
        {
            "row": 2,
            "repair": "Data cambio password: «01/01/2099» è una data futura, non usata",
        }
    ]
    assert studio.resolve("DNNLSS63C58G224U").password_changed_on is None
