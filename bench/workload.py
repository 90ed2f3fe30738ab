"""Invented clients and client lists of a given size for the benchmark."""

from __future__ import annotations

import io
import secrets
import string
from datetime import date, timedelta
from pathlib import Path

from stdnum.it import codicefiscale

from trayapp.domain.client import Client, Kind

SURNAMES = (
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco "
    "Bruno Gallo Conti De\u00a0Luca Mancini Costa Giordano Rizzo Lombardi Moretti "
    "Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Gal\u00ec Martini "
    "Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola De\u00a0Santis"
).split()
FIRST_NAMES = (
    "Marco Giulia Luca Francesca Andrea Chiara Matteo Sara Alessandro Elena "
    "Davide Martina Simone Valentina Federico Alessia Lorenzo Anna Nicol\u00f2 Sofia"
).split()
COMPANY_WORDS = (
    "Studio Officina Trasporti Costruzioni Alimentari Servizi Impianti Ceramiche"
).split()
MONTH_LETTERS = "ABCDEHLMPRST"
# One company in every COMPANY_EVERY clients; the client after it is its
# legale rappresentante, linked to it.
COMPANY_EVERY = 5


def codice_fiscale(index: int) -> str:
    """Return a valid personal codice fiscale that is distinct for each index below 26**3."""
    letters = "".join(chr(65 + index // 26**power % 26) for power in range(3))
    month = MONTH_LETTERS[index % 12]
    body = f"{letters}MRA{50 + index % 50:02d}{month}{index % 28 + 1:02d}H501"
    return body + codicefiscale.calc_check_digit(body)


def partita_iva(index: int) -> str:
    """Return an 11-digit partita IVA with a valid check digit."""
    digits = f"{index + 1:07d}001"
    total = 0
    for position, char in enumerate(digits):
        value = int(char)
        if position % 2:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return digits + str((10 - total % 10) % 10)


def person_name(index: int) -> tuple[str, str]:
    """Return (cognome, nome) for an index; names repeat, as in a real studio."""
    surname = SURNAMES[index % len(SURNAMES)].replace("\u00a0", " ")
    first = FIRST_NAMES[index // len(SURNAMES) % len(FIRST_NAMES)]
    return surname, first


def make_clients(count: int, today: date) -> list[Client]:
    """Return `count` clients, a fifth of them companies with a linked person."""
    clients: list[Client] = []
    company_id = ""
    for index in range(count):
        changed_on = today - timedelta(days=index % 120)
        common = {
            "id": f"c{index:011d}",
            "codice_fiscale": codice_fiscale(index),
            "email": f"cliente{index}@example.com",
            "telefono": f"06 {index:07d}",
            "comune": "Roma",
            "has_password": index % 7 != 0,
            "has_pin": index % 7 != 0,
            "password_changed_on": changed_on if index % 7 else None,
        }
        if index % COMPANY_EVERY == 0:
            word = COMPANY_WORDS[index % len(COMPANY_WORDS)]
            company = Client(
                kind=Kind.SOCIETA,
                denominazione=f"{word} {person_name(index)[0]} {index} S.r.l.",
                partita_iva=partita_iva(index),
                **common,
            )
            company_id = company.id
            clients.append(company)
            continue
        cognome, nome = person_name(index)
        linked = index % COMPANY_EVERY == 1
        clients.append(
            Client(
                kind=Kind.PERSONA_FISICA,
                cognome=cognome,
                nome=nome,
                linked_to=company_id if linked else "",
                role="Legale rappresentante" if linked else "",
                **common,
            )
        )
    return clients


def new_password() -> str:
    """Return a random password that meets the portal's rules (8 to 15 characters)."""
    pool = string.ascii_letters + string.digits
    body = "".join(secrets.choice(pool) for _ in range(9))
    return f"{body}{secrets.choice(string.ascii_uppercase)}{secrets.randbelow(10)}*"


def new_pin() -> str:
    """Return a random 10-digit PIN."""
    return "".join(secrets.choice(string.digits) for _ in range(10))


def client_list_csv(count: int) -> bytes:
    """Return a studio export of `count` people as cp1252 CSV with ';', secrets included."""
    header = (
        "Cognome;Nome;Codice fiscale;Email;Utente Fisconline;Password;PIN;"
        "Data cambio password"
    )
    lines = [header]
    for index in range(count):
        cognome, nome = person_name(index)
        cf = codice_fiscale(index)
        changed_on = date(2025, 1, 1) + timedelta(days=index % 300)
        lines.append(
            f"{cognome};{nome};{cf};cliente{index}@example.com;{cf};"
            f"{new_password()};{new_pin()};{changed_on:%d/%m/%Y}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


class InMemoryFile:
    """A file the importer reads like a Path, kept in memory.

    The generated list contains passwords and PINs, which must reach only
    the keyring, so it is never written to disk. The importer uses only the
    methods defined here.
    """

    def __init__(self, name: str, content: bytes) -> None:
        self.name = name
        self.suffix = Path(name).suffix
        self._content = content

    def is_dir(self) -> bool:
        return False

    def is_file(self) -> bool:
        return True

    def exists(self) -> bool:
        return True

    def open(self, mode: str = "rb") -> io.BytesIO:
        if mode != "rb":
            raise ValueError(f"{self.name} is read-only in memory, mode {mode!r}")
        return io.BytesIO(self._content)

    def read_bytes(self) -> bytes:
        return self._content

    def __fspath__(self) -> str:
        raise TypeError(f"{self.name} exists only in memory and has no path")
