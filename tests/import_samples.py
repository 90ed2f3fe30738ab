"""The shared sample lists in other shapes, and snapshots to compare imports by.

The samples are rewritten the way other programs export them: Excel's
"Testo Unicode" (UTF-16 LE with BOM, tabs, CRLF) and files whose columns
carry headers the aliases do not know.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from trayapp.domain.credentials import SecretKind

SAMPLES = Path(__file__).resolve().parent / "data"
SAMPLE_CSV = SAMPLES / "clienti-excel.csv"
SAMPLE_XLSX = SAMPLES / "clienti.xlsx"

# Sample header -> a header no alias recognises, and the field it holds.
RENAMED = {
    "Codice fiscale": ("Cod. identificativo", "codice_fiscale"),
    "Partita IVA": ("Numero IVA", "partita_iva"),
    "Email": ("Indirizzo posta", "email"),
    "Password": ("Parola chiave", "password"),
    "PIN": ("Codice segreto", "pin"),
}
RENAMED_CHOICES = {new: field for new, field in RENAMED.values()}


def sample_table() -> list[list[str]]:
    """Return the cp1252 sample's header and rows as text cells."""
    with SAMPLE_CSV.open(encoding="cp1252", newline="") as stream:
        return list(csv.reader(stream, delimiter=";"))


def write_unicode_text(path: Path, table: list[list[str]]) -> Path:
    """Write a table as Excel's "Testo Unicode": UTF-16 LE with BOM, tabs, CRLF."""
    text = io.StringIO(newline="")
    csv.writer(text, delimiter="\t", lineterminator="\r\n").writerows(table)
    path.write_bytes(codecs.BOM_UTF16_LE + text.getvalue().encode("utf-16-le"))
    return path


def write_newer_passwords(path: Path) -> Path:
    """Write the sample as Unicode text, each password changed and dated tomorrow.

    Tomorrow is later than any change already stored. It is also within the
    one day a file from another time zone may be ahead, and a later date
    would be left out.
    """
    table = sample_table()
    changed_on = table[0].index("Data cambio password")
    password = table[0].index("Password")
    for row in table[1:]:
        if row[password]:
            row[password] = row[password] + "9z"
            row[changed_on] = (date.today() + timedelta(days=1)).strftime("%d/%m/%Y")
    return write_unicode_text(path, table)


def renamed_header(header: list[str]) -> list[str]:
    return [RENAMED.get(title, (title, ""))[0] for title in header]


def write_renamed_csv(path: Path) -> Path:
    """Write the cp1252 sample again with the RENAMED headers."""
    table = sample_table()
    table[0] = renamed_header(table[0])
    with path.open("w", encoding="cp1252", newline="") as stream:
        csv.writer(stream, delimiter=";", lineterminator="\r\n").writerows(table)
    return path


def write_renamed_xlsx(path: Path) -> Path:
    """Save the XLSX sample again with the RENAMED headers in its first row."""
    book = openpyxl.load_workbook(SAMPLE_XLSX)
    sheet = book.worksheets[0]
    for cell in sheet[1]:
        if cell.value in RENAMED:
            cell.value = RENAMED[cell.value][0]
    book.save(path)
    return path


def clients_by_cf(studio) -> dict[str, dict[str, Any]]:
    """Return every stored field and secret of each client, keyed by codice fiscale.

    Ids differ between two imports, so the id is left out and a link is
    given as the linked company's codice fiscale.
    """
    clients = studio.clients()
    cf_of = {client.id: client.codice_fiscale for client in clients}
    snapshot = {}
    for client in clients:
        record = client.to_record()
        del record["id"]
        record["linked_to"] = cf_of.get(client.linked_to, "")
        record["password"] = studio.secrets.get(client.id, SecretKind.PASSWORD)
        record["pin"] = studio.secrets.get(client.id, SecretKind.PIN)
        snapshot[client.codice_fiscale] = record
    return snapshot


def keyring_items() -> list[tuple[str, str, bytes]]:
    """Return (service, user name, secret) of every item in the test keyring.

    Other attributes are left out: a secret put back by an undo may carry
    another schema attribute than the one first written.
    """
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        items = []
        for item in collection.get_all_items():
            attributes = item.get_attributes()
            items.append(
                (
                    attributes.get("service", ""),
                    attributes.get("username", ""),
                    item.get_secret(),
                )
            )
    finally:
        connection.close()
    return sorted(items)
