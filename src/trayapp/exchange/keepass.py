"""KeePass (.kdbx) export and import, one entry per client, with pykeepass.

An exported entry has the client's name as title, the portal user id as
user name, and the password as password. The PIN is in the protected
custom field "PIN", the note in the notes, and the anagrafica in custom
fields named like the import's column headers. Import turns every entry into a row of
those columns and runs it through the client list import, so matching by
codice fiscale, checks, repairs and rejections are the same as for CSV.

An entry without a "Codice fiscale" field was not made by trayapp: its
user name must be a valid codice fiscale, its PIN is taken from a "PIN"
field or a "PIN: ..." line of the notes, and the rest of the notes is not
imported, because a password manager's notes may hold other secrets.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

from pykeepass import PyKeePass, create_database
from pykeepass.exceptions import (
    CredentialsError,
    HeaderChecksumError,
    PayloadChecksumError,
)

from trayapp.domain.client import Client
from trayapp.domain.credentials import SecretKind
from trayapp.domain.validation import FieldError, normalize_codice_fiscale, shown
from trayapp.exchange.files import ExchangeError
from trayapp.exchange.plain import COLUMNS, client_rows
from trayapp.importing.readers import Sheet
from trayapp.importing.rows import Rejection
from trayapp.secretstore.base import SecretStore

log = logging.getLogger(__name__)

GROUP_NAME = "trayapp"
PIN_FIELD = "PIN"
CHANGED_ON_FIELD = "Data cambio password"
CODICE_FISCALE_FIELD = "Codice fiscale"
USER_ID_FIELD = "Utente Fisconline"
# The note is kept in the entry's notes, not in a custom field.
_ENTRY_COLUMNS = {"Note"}
IMPORT_HEADER = [*COLUMNS, "Password", PIN_FIELD, CHANGED_ON_FIELD]
_PIN_LINE = re.compile(r"^\s*PIN\s*[:=]?\s*(\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)


def keepass_bytes(
    clients: list[Client], secrets: SecretStore, master_password: str
) -> bytes:
    """Return a KDBX 4 database holding one entry per client in group "trayapp"."""
    database = create_database(io.BytesIO(), password=master_password)
    group = database.add_group(database.root_group, GROUP_NAME)
    by_codice = {client.codice_fiscale: client for client in clients}
    for row in client_rows(clients):
        cells = dict(zip(COLUMNS, row, strict=True))
        client = by_codice[cells[CODICE_FISCALE_FIELD]]
        entry = database.add_entry(
            group,
            title=client.name,
            username=client.login_user_id,
            password=secrets.get(client.id, SecretKind.PASSWORD) or "",
            notes=client.note or None,
            force_creation=True,
        )
        for header, value in cells.items():
            if value and header not in _ENTRY_COLUMNS:
                entry.set_custom_property(header, value)
        pin = secrets.get(client.id, SecretKind.PIN)
        if pin:
            entry.set_custom_property(PIN_FIELD, pin, protect=True)
        if client.password_changed_on:
            entry.set_custom_property(
                CHANGED_ON_FIELD, client.password_changed_on.isoformat()
            )
    buffer = io.BytesIO()
    database.save(buffer)
    return buffer.getvalue()


@dataclass
class KeePassSheet:
    """The entries of a database as import rows, and what was rejected before."""

    sheet: Sheet
    titles: dict[int, str]
    """Entry number (1-based, as the rows are numbered) -> entry title."""
    rejected: list[Rejection] = field(default_factory=list)


def read_keepass(data: bytes, master_password: str, source: str) -> KeePassSheet:
    """Open a .kdbx database and turn its entries into rows of import columns."""
    try:
        database = PyKeePass(io.BytesIO(data), password=master_password)
    except CredentialsError:
        raise ExchangeError(
            f"{source}: password principale di KeePass errata: nulla è stato importato"
        ) from None
    except (HeaderChecksumError, PayloadChecksumError):
        raise ExchangeError(
            f"{source} non è un database KeePass o è danneggiato: nulla è stato "
            "importato"
        ) from None
    except Exception:
        # pykeepass raises parser errors of many types for a truncated or
        # foreign file, so the message can only report it as unreadable.
        log.exception("reading the KeePass database %s failed", source)
        raise ExchangeError(
            f"{source} non è un database KeePass leggibile: nulla è stato importato"
        ) from None
    recycle_bin = database.recyclebin_group
    result = KeePassSheet(Sheet(IMPORT_HEADER, [], "kdbx"), {})
    number = 0
    for entry in database.entries:
        if recycle_bin is not None and _inside(entry.group, recycle_bin):
            continue
        number += 1
        result.titles[number] = entry.title or ""
        properties = entry.custom_properties
        cells: dict[str, str] | None
        if CODICE_FISCALE_FIELD in properties:
            cells = _trayapp_cells(entry, properties)
        else:
            cells = _foreign_cells(entry, properties, number, result.rejected)
        if cells is not None:
            result.sheet.rows.append(
                (number, [cells.get(header, "") for header in IMPORT_HEADER])
            )
    return result


def _inside(group, ancestor) -> bool:
    while group is not None:
        if group.uuid == ancestor.uuid:
            return True
        group = group.parentgroup
    return False


def _trayapp_cells(entry, properties: dict[str, str]) -> dict[str, str]:
    cells = {header: properties.get(header) or "" for header in IMPORT_HEADER}
    username = (entry.username or "").strip()
    stored = properties.get(USER_ID_FIELD, "")
    # The user name is the login user id: the stored one, else the codice
    # fiscale. A user name changed in KeePass becomes the stored user id.
    if username and username not in (stored, properties[CODICE_FISCALE_FIELD]):
        cells[USER_ID_FIELD] = username
    cells["Note"] = entry.notes or ""
    cells["Password"] = entry.password or ""
    return cells


def _foreign_cells(
    entry, properties: dict[str, str], number: int, rejected: list[Rejection]
) -> dict[str, str] | None:
    username = (entry.username or "").strip()
    if not username:
        rejected.append(
            Rejection(
                number,
                "user_id",
                "nessun nome utente: la voce non corrisponde a un cliente",
            )
        )
        return None
    try:
        codice = normalize_codice_fiscale(username).value
    except FieldError as error:
        rejected.append(
            Rejection(
                number,
                "user_id",
                f"«{shown(username)}» non è un codice fiscale ({error.reason}): la "
                "voce non corrisponde a un cliente",
            )
        )
        return None
    pin = properties.get(PIN_FIELD) or ""
    if not pin:
        found = _PIN_LINE.search(entry.notes or "")
        pin = found.group(1) if found else ""
    return {
        "Ragione sociale": entry.title or "",
        CODICE_FISCALE_FIELD: codice,
        "Password": entry.password or "",
        PIN_FIELD: pin,
    }
