"""Check the anagrafica form with the importer's own rules.

The form sends field name -> typed text. Those values go through the same
row check as an imported line (`parse_row`), so a value is accepted or
rejected the same way in the window and in an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trayapp.domain.client import Kind
from trayapp.importing.rows import Candidate, parse_row

FORM_FIELDS = (
    "kind",
    "denominazione",
    "cognome",
    "nome",
    "codice_fiscale",
    "partita_iva",
    "comune",
    "email",
    "pec",
    "telefono",
    "note",
    "role",
    "codice_studio",
    "user_id",
    "password",
    "pin",
)


class FormErrors(ValueError):
    """Every field of the form that failed, field name -> Italian reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{field}: {reason}" for field, reason in errors.items())
        )


@dataclass(frozen=True)
class CheckedForm:
    fields: dict[str, Any]
    password: str
    pin: str


def check_form(data: dict[str, Any]) -> CheckedForm:
    """Check and repair the form's values; raise FormErrors naming each bad field."""
    values = {name: data.get(name, "") for name in FORM_FIELDS}
    if values["kind"] in (Kind.PERSONA_FISICA.value, Kind.SOCIETA.value):
        values["kind"] = "PF" if values["kind"] == Kind.PERSONA_FISICA.value else "PG"
    columns = {name: index for index, name in enumerate(FORM_FIELDS)}
    cells: list[object] = [values[name] for name in FORM_FIELDS]
    parsed = parse_row(0, cells, columns)
    if not isinstance(parsed, Candidate):
        errors: dict[str, str] = {}
        for rejection in parsed:
            errors.setdefault(rejection.field, rejection.reason)
        raise FormErrors(errors)
    return CheckedForm(parsed.fields, parsed.password, parsed.pin)
