"""Read the client lists studios export into header and rows of cells.

Supported: CSV as Excel saves it on an Italian PC (cp1252, ';'), UTF-8
with or without BOM, UTF-16 "Testo Unicode" (tab separated), and XLSX.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from trayapp.os_errors import italian_reason

CSV_DELIMITERS = ";,\t|"


class ImportFileError(Exception):
    """The file cannot be read as a client list; the message is Italian."""


@dataclass(frozen=True)
class Sheet:
    """The header and the data rows of a file; cells are str, date or None."""

    header: list[str]
    rows: list[tuple[int, list[object]]]
    """Each data row with its 1-based line number as the user sees it in Excel."""
    encoding: str
    formula_cells: frozenset[tuple[int, int]] = frozenset()
    """(row, column) of XLSX cells whose text was read from an uncomputed formula."""
    cut_row: int | None = None
    """Line number of a last row with too few cells in a file that ends mid-line."""


def read_sheet(path: Path) -> Sheet:
    """Read the first sheet of an XLSX file or a delimited text file."""
    if path.is_dir():
        raise ImportFileError(f"{path} è una cartella: indica il file da importare")
    if not path.exists():
        raise ImportFileError(f"Il file {path} non esiste")
    if not path.is_file():
        raise ImportFileError(
            f"{path} non è un file normale (è un dispositivo o una pipe): indica "
            "il file da importare"
        )
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
        # Recognised by content, not by name: Excel users rename files.
        if head.startswith(b"PK\x03\x04"):
            return _read_xlsx(path)
        if head.startswith(b"\xd0\xcf\x11\xe0") or path.suffix.lower() == ".xls":
            raise ImportFileError(
                f"{path.name}: il vecchio formato .xls non è supportato; salvalo da "
                "Excel come .xlsx o come CSV"
            )
        return _read_delimited(path)
    except OSError as error:
        raise ImportFileError(
            f"{path.name}: lettura non riuscita ({italian_reason(error)})"
        ) from None


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode a text export: BOM first, then strict UTF-8, then cp1252."""
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        return raw.decode("utf-16"), "utf-16"
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"Codifica del file non riconosciuta (byte {raw[error.start]:#04x} alla "
            f"posizione {error.start}): salvalo come CSV UTF-8 da Excel"
        ) from None


def _read_delimited(path: Path) -> Sheet:
    raw = path.read_bytes()
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in raw[:4096] and not utf16:
        raise ImportFileError(
            f"{path.name}: non è un elenco di testo (CSV) né un file Excel .xlsx"
        )
    try:
        text, encoding = decode_text(raw)
    except ImportFileError as error:
        raise ImportFileError(f"{path.name}: {error}") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ImportFileError(f"{path.name}: il file è vuoto o la prima riga è vuota")
    first_line = lines[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise ImportFileError(
            f"{path.name}: nessun separatore di colonna (; , o tabulazione) nella "
            "prima riga"
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(reader)
    header = [cell.strip() for cell in records[0]]
    rows: list[tuple[int, list[object]]] = []
    for offset, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        rows.append((offset, list(record)))
    cut_row = None
    if rows and not text.endswith(("\n", "\r")) and len(rows[-1][1]) < len(header):
        # The last line stops before its last columns: a copy or a download
        # cut short, whose last cell may be cut too.
        cut_row = rows[-1][0]
    return Sheet(header, rows, encoding, cut_row=cut_row)


def _read_xlsx(path: Path) -> Sheet:
    """Read the first worksheet, taking each formula's cached value.

    A cell whose text starts with "=" becomes a formula in Excel, and a
    file written by a program other than Excel has no cached value for it:
    then the formula text is what the user typed (a password such as
    "=ab12..." is the usual case), so it is used and reported.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # openpyxl takes a path only when it ends in .xlsx or a sibling suffix,
    # so the content goes in as bytes: an XLSX named .csv is read too.
    content = path.read_bytes()
    try:
        values_book = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True
        )
        formulas_book = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=False
        )
    except (InvalidFileException, KeyError, OSError, ValueError, zipfile.BadZipFile):
        raise ImportFileError(
            f"{path.name}: non è un file Excel .xlsx leggibile (danneggiato o di un "
            "altro formato); aprilo in Excel e salvalo di nuovo come .xlsx"
        ) from None
    try:
        values = values_book.worksheets[0].iter_rows(values_only=True)
        formulas = formulas_book.worksheets[0].iter_rows(values_only=True)
        try:
            header_cells = next(values)
            next(formulas)
        except StopIteration:
            raise ImportFileError(f"{path.name}: il primo foglio è vuoto") from None
        header = ["" if cell is None else str(cell).strip() for cell in header_cells]
        rows: list[tuple[int, list[object]]] = []
        formula_cells: set[tuple[int, int]] = set()
        for number, (cells, raw_cells) in enumerate(
            zip(values, formulas, strict=False), start=2
        ):
            row = [_xlsx_cell(cell) for cell in cells]
            for column, raw in enumerate(raw_cells):
                if column < len(row) and row[column] is None and _is_formula(raw):
                    row[column] = str(raw)
                    formula_cells.add((number, column))
            if any(value not in (None, "") for value in row):
                rows.append((number, row))
    finally:
        values_book.close()
        formulas_book.close()
    return Sheet(header, rows, "xlsx", frozenset(formula_cells))


def _is_formula(raw: object) -> bool:
    return isinstance(raw, str) and raw.startswith("=")


def _xlsx_cell(cell: object) -> object:
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
