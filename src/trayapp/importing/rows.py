"""Turn one row of a client list into a checked, repaired candidate client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

from trayapp.domain.client import Kind
from trayapp.domain.validation import (
    FIELD_LABELS,
    MAX_NOTE_LENGTH,
    FieldError,
    Normalized,
    clean_text,
    fold_name,
    normalize_codice_fiscale,
    normalize_email,
    normalize_partita_iva,
    normalize_phone,
    normalize_pin,
    normalize_user_id,
    parse_date,
    shown,
    validate_password,
)

T = TypeVar("T")

_PERSON_KINDS = {"pf", "f", "persona fisica", "fisica", "privato", "ditta individuale"}
_COMPANY_KINDS = {
    "pg",
    "g",
    "s",
    "societa",
    "persona giuridica",
    "giuridica",
    "ente",
    "associazione",
}


@dataclass
class Candidate:
    """A row that passed every check: anagrafica fields, secrets and the repairs made."""

    row: int
    fields: dict[str, object]
    password: str
    pin: str
    linked_to_key: str
    repairs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


def parse_row(
    number: int,
    cells: list[object],
    columns: dict[str, int],
    formula_columns: frozenset[int] = frozenset(),
) -> Candidate | list[Rejection]:
    """Check and repair one row; return the candidate or every field that failed."""

    def cell(name: str) -> object:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    fields: dict[str, object] = {}
    repairs: list[str] = [
        f"{FIELD_LABELS.get(name, name)}: Excel l'aveva presa per una formula, "
        "usato il testo scritto"
        for name, index in columns.items()
        if index in formula_columns
    ]
    rejections: list[Rejection] = []

    def check(name: str, action: Callable[[], T]) -> T | None:
        try:
            return action()
        except FieldError as error:
            rejections.append(Rejection(number, error.field or name, error.reason))
            return None

    codice_fiscale = check(
        "codice_fiscale", lambda: normalize_codice_fiscale(cell("codice_fiscale"))
    )
    if codice_fiscale is not None:
        fields["codice_fiscale"] = codice_fiscale.value
        repairs.extend(codice_fiscale.repairs)

    def parse_kind() -> Kind:
        return _parse_kind(cell("kind"), fields.get("codice_fiscale"))

    kind = check("kind", parse_kind)
    fields["kind"] = kind

    for name in ("denominazione", "cognome", "nome", "comune", "role", "codice_studio"):
        fields[name] = check(name, partial(_text_cell, cell, name)) or ""
    fields["note"] = (
        check("note", lambda: clean_text("note", cell("note"), MAX_NOTE_LENGTH)) or ""
    )

    # A name already rejected above (too long, control characters) needs no
    # second message saying it is missing.
    rejected_fields = {rejection.field for rejection in rejections}
    if (
        kind is Kind.SOCIETA
        and not fields["denominazione"]
        and "denominazione" not in rejected_fields
    ):
        if fields["cognome"] or fields["nome"]:
            fields["denominazione"] = f"{fields['cognome']} {fields['nome']}".strip()
        else:
            rejections.append(
                Rejection(number, "denominazione", "è obbligatoria per una società")
            )
    if (
        kind is Kind.PERSONA_FISICA
        and not fields["cognome"]
        and "cognome" not in rejected_fields
    ):
        if fields["denominazione"]:
            fields["cognome"] = fields["denominazione"]
        else:
            rejections.append(
                Rejection(number, "cognome", "è obbligatorio per una persona fisica")
            )

    partita_iva = check(
        "partita_iva", lambda: normalize_partita_iva(cell("partita_iva"))
    )
    if partita_iva is not None:
        fields["partita_iva"] = partita_iva.value
        repairs.extend(partita_iva.repairs)

    for name in ("email", "pec"):
        address = check(name, partial(_email_cell, cell, name))
        if address is not None:
            fields[name] = address.value
            repairs.extend(address.repairs)

    fields["telefono"] = (
        check("telefono", lambda: normalize_phone(cell("telefono"))) or ""
    )
    fields["user_id"] = (
        check("user_id", lambda: normalize_user_id(cell("user_id"))) or ""
    )
    password = check("password", lambda: validate_password(cell("password"))) or ""
    pin = check("pin", lambda: normalize_pin(cell("pin")))
    if pin is not None:
        repairs.extend(pin.repairs)
    changed_on = check(
        "password_changed_on",
        lambda: parse_date("password_changed_on", cell("password_changed_on")),
    )
    # A change cannot have happened in the future (one day of margin for a
    # file made in another time zone). Such a date would make every later
    # list look older, so it is left out and the row imported without it.
    if isinstance(changed_on, date) and changed_on > date.today() + timedelta(days=1):
        repairs.append(
            f"Data cambio password: «{changed_on:%d/%m/%Y}» è una data futura, "
            "non usata"
        )
        changed_on = None
    fields["password_changed_on"] = changed_on if isinstance(changed_on, date) else None

    linked_to_key = _compact_key(cell("linked_to"))
    if rejections:
        return rejections
    return Candidate(
        row=number,
        fields=fields,
        password=str(password),
        pin=pin.value if pin is not None else "",
        linked_to_key=linked_to_key,
        repairs=repairs,
    )


def _text_cell(cell: Callable[[str], object], name: str) -> str:
    return clean_text(name, cell(name))


def _email_cell(cell: Callable[[str], object], name: str) -> Normalized:
    return normalize_email(cell(name), name)


def _parse_kind(raw: object, codice_fiscale: object) -> Kind:
    text = fold_name(str(raw or "")).strip().rstrip(".")
    if text in _PERSON_KINDS:
        return Kind.PERSONA_FISICA
    if text in _COMPANY_KINDS:
        return Kind.SOCIETA
    if text:
        raise FieldError(
            "kind", f"«{shown(raw)}» non è un tipo riconosciuto (usa PF o PG)"
        )
    if isinstance(codice_fiscale, str) and len(codice_fiscale) == 11:
        return Kind.SOCIETA
    return Kind.PERSONA_FISICA


def _compact_key(raw: object) -> str:
    """Return the "Collegato a" value as written, stripped; resolved later."""
    return "" if raw is None else str(raw).strip()
