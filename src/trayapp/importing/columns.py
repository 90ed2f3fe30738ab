"""Recognise a client list's columns by their usual Italian headers."""

from __future__ import annotations

import re

from trayapp.domain.validation import fold_name

# Field name -> header spellings, compared after folding accents, case and
# punctuation away ("P. IVA" and "piva" are the same header).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "codice_studio": ("codice", "cod", "codice cliente", "cod cliente", "id cliente"),
    "kind": ("tipo", "tipo soggetto", "natura", "tipologia", "natura giuridica"),
    "denominazione": (
        "ragione sociale",
        "denominazione",
        "rag soc",
        "ragsoc",
        "ditta",
        "societa",
        "ragione sociale denominazione",
    ),
    "cognome": ("cognome",),
    "nome": ("nome",),
    "codice_fiscale": (
        "codice fiscale",
        "cf",
        "c f",
        "cod fiscale",
        "codfisc",
        "cod fisc",
    ),
    "partita_iva": ("partita iva", "p iva", "piva", "part iva", "partita iva cee"),
    "comune": ("comune", "citta", "localita", "comune di residenza", "sede"),
    "email": ("email", "e mail", "mail", "posta elettronica", "indirizzo email"),
    "pec": ("pec", "email pec", "e mail pec", "posta certificata", "indirizzo pec"),
    "telefono": ("telefono", "tel", "cellulare", "cell", "recapito telefonico"),
    "linked_to": (
        "collegato a",
        "collegata a",
        "societa collegata",
        "cf societa",
        "legale rappresentante di",
    ),
    "role": ("ruolo", "carica", "qualifica"),
    "user_id": (
        "utente fisconline",
        "utente entratel",
        "utente",
        "user id",
        "userid",
        "nome utente",
        "username",
    ),
    "password": ("password", "pwd", "password fisconline"),
    "pin": ("pin", "codice pin", "pin fisconline"),
    "password_changed_on": (
        "data cambio password",
        "data password",
        "cambio password",
        "ultimo cambio password",
        "data ultimo cambio password",
    ),
    "note": ("note", "annotazioni", "commenti", "nota"),
}


def fold_header(header: str) -> str:
    """Return a header in the form it is compared in: plain letters and single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", fold_name(header)).strip()


_LOOKUP = {
    fold_header(alias): field
    for field, aliases in HEADER_ALIASES.items()
    for alias in aliases
}


def lookup_field(header: str) -> str | None:
    """Return the field a header is an alias of, or None."""
    return _LOOKUP.get(fold_header(header))
