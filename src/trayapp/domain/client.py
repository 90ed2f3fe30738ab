"""The client record kept in the index: anagrafica and credential metadata."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from trayapp.domain.expiry import pin_lapse_date


class Kind(StrEnum):
    PERSONA_FISICA = "persona_fisica"
    SOCIETA = "societa"


KIND_LABELS = {Kind.PERSONA_FISICA: "Persona fisica", Kind.SOCIETA: "Società"}


def new_client_id() -> str:
    """Return a random id: 12 hex digits, so 10,000 clients collide with odds ~2e-7."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Client:
    """One client of the studio, as stored in the index.

    A soggetto collegato (the legale rappresentante of a company, a socio)
    is a client of its own with `linked_to` set to the company's id and
    `role` naming the link. Password and PIN are never fields here: the
    index stores only whether the keyring has them.
    """

    id: str
    kind: Kind
    codice_fiscale: str
    denominazione: str = ""
    cognome: str = ""
    nome: str = ""
    partita_iva: str = ""
    comune: str = ""
    email: str = ""
    pec: str = ""
    telefono: str = ""
    note: str = ""
    linked_to: str = ""
    role: str = ""
    codice_studio: str = ""
    user_id: str = ""
    has_password: bool = False
    has_pin: bool = False
    password_changed_on: date | None = None
    password_expired: bool = False
    """The portal replied PASSWORD_EXPIRED at the last login."""
    login_failures: int = 0
    """Consecutive logins the portal refused as INVALID_CREDENTIALS."""
    account_locked: bool = False
    last_login_at: str = ""
    last_login_outcome: str = ""
    last_success_on: date | None = None
    last_used_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Return the name shown to the user: denominazione, or cognome and nome."""
        if self.kind is Kind.SOCIETA or not (self.cognome or self.nome):
            return self.denominazione or f"{self.cognome} {self.nome}".strip()
        return f"{self.cognome} {self.nome}".strip()

    @property
    def login_user_id(self) -> str:
        """Return the portal user id: the stored one, else the codice fiscale."""
        return self.user_id or self.codice_fiscale

    @property
    def pin_lapses_on(self) -> date | None:
        """Return the day the PIN lapses if unused, from the last successful login."""
        if self.last_success_on is None:
            return None
        return pin_lapse_date(self.last_success_on)

    @property
    def has_credentials(self) -> bool:
        return self.has_password and self.has_pin

    def replace(self, **changes: Any) -> Client:
        return dataclasses.replace(self, **changes)

    def to_record(self) -> dict[str, Any]:
        """Return the JSON-ready dict stored in the index."""
        record = dataclasses.asdict(self)
        record["kind"] = self.kind.value
        for name in _DATE_FIELDS:
            value = getattr(self, name)
            record[name] = value.isoformat() if value else None
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Client:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in record.items() if key in known}
        values["kind"] = Kind(values["kind"])
        for name in _DATE_FIELDS:
            value = values.get(name)
            values[name] = date.fromisoformat(value) if value else None
        return cls(**values)


_DATE_FIELDS = ("password_changed_on", "last_success_on")
