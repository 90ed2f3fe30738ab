"""Map a client list's columns to fields: by header aliases, then by the user.

A header that the aliases do not recognise is mapped by the user to a field
or to IGNORE. The choices confirmed by an import are remembered per header
set in column-mappings.json in the configuration folder, keyed by the
folded headers, and proposed again for a file with the same headers.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from trayapp.domain.validation import FIELD_LABELS, shown
from trayapp.importing.columns import HEADER_ALIASES, fold_header, lookup_field
from trayapp.importing.readers import ImportFileError, Sheet

log = logging.getLogger(__name__)

IGNORE = "ignora"
MAPPING_FILE = "column-mappings.json"
SAMPLE_VALUES = 3
REQUIRED_FIELD = "codice_fiscale"
NAME_FIELDS = ("denominazione", "cognome")
MAP_SYNTAX = '--map "Colonna=campo"'


def field_label(name: str) -> str:
    """Return the Italian label of a field, or of IGNORE."""
    if name == IGNORE:
        return "ignora la colonna"
    return FIELD_LABELS.get(name, name)


def field_choices() -> list[tuple[str, str]]:
    """Return (value, Italian label) of every field a column can be mapped to."""
    return [(name, field_label(name)) for name in HEADER_ALIASES] + [
        (IGNORE, field_label(IGNORE))
    ]


class UnmappedColumns(ImportFileError):
    """Some headers are neither recognised nor mapped; `columns` lists them."""

    def __init__(self, file_name: str, columns: list[str]) -> None:
        self.columns = columns
        names = ", ".join(f"«{shown(column)}»" for column in columns)
        super().__init__(
            f"{file_name}: colonne non riconosciute: {names}. Indica per ognuna il "
            f"campo che contiene oppure «{IGNORE}»"
        )


def parse_field(text: str) -> str:
    """Return the field named by `text` (its name, label or a header alias), or IGNORE."""
    folded = fold_header(text)
    if folded == IGNORE:
        return IGNORE
    for name in HEADER_ALIASES:
        if folded in (fold_header(name), fold_header(FIELD_LABELS.get(name, name))):
            return name
    field = lookup_field(text)
    if field is None:
        names = "; ".join(f"{label} ({name})" for name, label in field_choices())
        raise ValueError(
            f"«{shown(text)}» non è un campo. Scrivi il nome o l'etichetta di uno "
            f"tra: {names}"
        )
    return field


def normalize_choices(choices: Mapping[str, str]) -> dict[str, str]:
    """Return the user's choices keyed by folded header, with each field checked."""
    normalized: dict[str, str] = {}
    for header, field in choices.items():
        key = fold_header(header)
        if not key:
            raise ValueError(f"«{shown(header)}» non è un'intestazione di colonna")
        normalized[key] = (
            field if field in dict(field_choices()) else parse_field(field)
        )
    return normalized


@dataclass(frozen=True)
class Column:
    """One column of a file: its header, the field it maps to, and sample values."""

    index: int
    header: str
    field: str | None
    """The recognised or chosen field, IGNORE, or None while it is unknown."""
    recognised: bool
    samples: tuple[str, ...]
    samples_hidden: bool
    """True when the samples may be passwords or PINs, so none is shown."""

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "header": self.header,
            "field": self.field,
            "recognised": self.recognised,
            "samples": list(self.samples),
            "samples_hidden": self.samples_hidden,
        }


def describe_columns(sheet: Sheet, choices: Mapping[str, str]) -> list[Column]:
    """Return every named column with its field under `choices` (folded keys)."""
    columns = []
    for index, header in enumerate(sheet.header):
        folded = fold_header(header)
        if not folded:
            continue
        recognised = lookup_field(header)
        values = _sample_values(sheet, index)
        hidden = any(_looks_secret(value) for value in values)
        columns.append(
            Column(
                index=index,
                header=header,
                field=choices.get(folded, recognised),
                recognised=recognised is not None,
                samples=() if hidden else tuple(values[:SAMPLE_VALUES]),
                samples_hidden=hidden,
            )
        )
    return columns


def resolve_columns(header: list[str], choices: Mapping[str, str]) -> dict[str, int]:
    """Return field name -> column index, with `choices` (folded keys) applied.

    Raises UnmappedColumns (without a file name) for headers neither
    recognised nor chosen, and ImportFileError when a chosen field is also
    the field of another column. Between two recognised columns of the same
    field the first wins, which keeps "Email" ahead of a later "Email 2".
    """
    mapping: dict[str, int] = {}
    chosen: set[str] = set()
    unknown: list[str] = []
    for index, title in enumerate(header):
        folded = fold_header(title)
        if not folded:
            continue
        field = choices.get(folded) or lookup_field(title)
        if field is None:
            unknown.append(title)
            continue
        if field == IGNORE:
            continue
        by_user = folded in choices
        if field in mapping:
            if by_user or field in chosen:
                other = header[mapping[field]]
                raise ImportFileError(
                    f"le colonne «{shown(other)}» e «{shown(title)}» sono associate "
                    f"entrambe a «{field_label(field)}»: scegli «{IGNORE}» per una "
                    "delle due"
                )
            continue
        mapping[field] = index
        if by_user:
            chosen.add(field)
    if unknown:
        raise UnmappedColumns("", unknown)
    return mapping


def missing_fields(mapping: Mapping[str, int]) -> list[str]:
    """Return the labels of the required fields no column maps to."""
    missing = []
    if REQUIRED_FIELD not in mapping:
        missing.append(f"«{field_label(REQUIRED_FIELD)}»")
    if not any(name in mapping for name in NAME_FIELDS):
        missing.append(" o ".join(f"«{field_label(name)}»" for name in NAME_FIELDS))
    return missing


def header_key(header: list[str]) -> str:
    """Return the key a header set is remembered under: folded headers joined by |.

    The headers are sorted first, so the same columns in another order are
    the same set, and the choices, keyed by header, apply to them as well.
    """
    return "|".join(sorted(fold_header(title) for title in header))


class MappingStore:
    """The remembered column choices, one entry per header set, in a JSON file."""

    def __init__(self, config_dir: Path) -> None:
        self.path = config_dir / MAPPING_FILE

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        if not isinstance(data, dict) or not all(
            isinstance(value, dict) for value in data.values()
        ):
            raise ValueError("not an object of header sets")
        return data

    def load(self, header: list[str]) -> dict[str, str]:
        """Return the remembered choices (folded header -> field) for this header set."""
        try:
            stored = self._read().get(header_key(header), {})
        except (OSError, UnicodeDecodeError, ValueError) as error:
            log.warning(
                "remembered column choices in %s not readable, none used: %s",
                self.path,
                error,
            )
            return {}
        known = dict(field_choices())
        return {
            str(key): value
            for key, value in stored.items()
            if isinstance(value, str) and value in known
        }

    def save(self, header: list[str], choices: Mapping[str, str]) -> None:
        """Remember `choices` for this header set, replacing what was remembered.

        A file that cannot be read is left as it is, so nothing remembered
        for other header sets is lost; the choices are then not remembered.
        """
        try:
            data = self._read()
        except (OSError, UnicodeDecodeError, ValueError) as error:
            log.warning(
                "column choices not remembered: %s is not readable (%s); fix or "
                "delete it",
                self.path,
                error,
            )
            return
        key = header_key(header)
        if choices:
            data[key] = dict(choices)
        elif key in data:
            del data[key]
        else:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=".column-mappings-", dir=self.path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, ensure_ascii=False, indent=1, sort_keys=True)
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            log.exception("column choices not remembered in %s", self.path)


def _sample_values(sheet: Sheet, index: int) -> list[str]:
    values = []
    for _, cells in sheet.rows:
        if index < len(cells) and cells[index] not in (None, ""):
            values.append(str(cells[index]).strip())
        if len(values) >= SAMPLE_VALUES * 4:
            break
    return [value for value in values if value]


def _looks_secret(value: str) -> bool:
    """Return whether a cell could be a password or a PIN, so it is never shown.

    NOTE: a guess from the value's shape. PINs are 8 or 10 characters of
    digits and letters; a stored password mixes letters with digits and
    upper case or symbols. A phone number of 10 digits is hidden too.
    """
    compact = value.replace(" ", "")
    if compact.isdigit() and len(compact) in (8, 10):
        return True
    if " " in value or "@" in value or "/" in value or not 8 <= len(value) <= 128:
        return False
    has_letter = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    mixed_case = value != value.upper() and value != value.lower()
    has_symbol = any(not c.isalnum() for c in value)
    if len(value) == 8 and value.isalnum() and has_letter and has_digit:
        return True
    return has_letter and has_digit and (mixed_case or has_symbol)
