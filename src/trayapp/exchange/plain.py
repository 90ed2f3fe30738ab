"""The client list as CSV or XLSX: anagrafica only, never a secret.

The column headers are the Italian ones `trayapp import` recognises, so
an exported file imported again gives back the same anagrafica. "Collegato
a" contains the linked company's codice fiscale.
"""

from __future__ import annotations

import csv
import io

from trayapp.domain.client import Client, Kind

# The column headers, in the order client_rows fills the cells.
COLUMNS: tuple[str, ...] = (
    "Codice",
    "Tipo",
    "Ragione sociale",
    "Cognome",
    "Nome",
    "Codice fiscale",
    "Partita IVA",
    "Comune",
    "Email",
    "PEC",
    "Telefono",
    "Collegato a",
    "Ruolo",
    "Utente Fisconline",
    "Note",
)
KIND_CODES = {Kind.PERSONA_FISICA: "PF", Kind.SOCIETA: "PG"}


def client_rows(clients: list[Client]) -> list[list[str]]:
    """Return one row of cells for each client, companies first, then by name."""
    codici = {client.id: client.codice_fiscale for client in clients}
    ordered = sorted(
        clients,
        key=lambda client: (client.kind is not Kind.SOCIETA, client.name.casefold()),
    )
    return [
        [
            client.codice_studio,
            KIND_CODES[client.kind],
            client.denominazione,
            client.cognome,
            client.nome,
            client.codice_fiscale,
            client.partita_iva,
            client.comune,
            client.email,
            client.pec,
            client.telefono,
            codici.get(client.linked_to, ""),
            client.role,
            client.user_id,
            client.note,
        ]
        for client in ordered
    ]


def csv_bytes(clients: list[Client]) -> bytes:
    """Return the list as UTF-8 CSV with a BOM and ";", as Excel opens it in Italy.

    NOTE: a cell that starts with "=", "+", "-" or "@" is written as it is,
    so that import gives back the same text, and Excel may read it as a
    formula when the file is opened by double click.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(client_rows(clients))
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(clients: list[Client]) -> bytes:
    """Return the list as an XLSX workbook with one sheet, every cell as text."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Clienti"
    sheet.append(COLUMNS)
    for row in client_rows(clients):
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            # Text that starts with "=" would otherwise become a formula.
            cell.data_type = "s"
            cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
