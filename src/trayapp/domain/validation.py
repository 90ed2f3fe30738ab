"""Checks and repairs of anagrafica and credential fields, with Italian messages.

Each `normalize_*` function takes what the user typed or a file held and
returns the stored form together with the repairs it made, or raises
FieldError naming the field and the reason. The import and the anagrafica
form share these functions, so a value is accepted or rejected the same way
everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from stdnum import exceptions as stdnum_errors
from stdnum.it import codicefiscale, iva

FIELD_LABELS = {
    "kind": "Tipo",
    "denominazione": "Ragione sociale",
    "cognome": "Cognome",
    "nome": "Nome",
    "codice_fiscale": "Codice fiscale",
    "partita_iva": "Partita IVA",
    "comune": "Comune",
    "email": "Email",
    "pec": "PEC",
    "telefono": "Telefono",
    "note": "Note",
    "linked_to": "Collegato a",
    "role": "Ruolo",
    "codice_studio": "Codice",
    "user_id": "Utente Fisconline",
    "password": "Password",
    "pin": "PIN",
    "password_changed_on": "Data cambio password",
}

MAX_TEXT_LENGTH = 500
MAX_NOTE_LENGTH = 5000
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Unicode format characters (category Cf) such as the right-to-left override
# U+202E can make a name display as something else, so stored text has none.
_FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


SHOWN_MAX_CHARACTERS = 80


def shown(value: object) -> str:
    """Return a value for an error message, with control and format characters escaped.

    Messages repeat what the user typed or a file held; escaping keeps a
    hostile value from clearing the terminal or reordering the text.
    """
    text = "" if value is None else str(value)
    if len(text) > SHOWN_MAX_CHARACTERS:
        # A message names a value; a page-long one would hide the rest.
        text = text[: SHOWN_MAX_CHARACTERS - 1] + "…"
    return "".join(
        f"\\u{ord(c):04x}" if _CONTROL.match(c) or _FORMAT_CHARACTERS.match(c) else c
        for c in text
    )


_PIN_HALVES = re.compile(r"^(\d{4})[\s\-/.]+(\d{6})$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")


class FieldError(ValueError):
    """A value that cannot be stored, with the field and the reason in Italian."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{FIELD_LABELS.get(field, field)}: {reason}")


@dataclass(frozen=True)
class Normalized:
    """A value ready to store, and a short Italian note for each repair made."""

    value: str
    repairs: tuple[str, ...] = ()


def clean_text(field: str, raw: object, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Strip a free-text value, rejecting control characters and overlong text."""
    text = "" if raw is None else str(raw).strip()
    allowed_breaks = field == "note"
    probe = text.replace("\r\n", " ").replace("\n", " ") if allowed_breaks else text
    if _CONTROL.search(probe):
        raise FieldError(field, "contiene caratteri di controllo non ammessi")
    if _FORMAT_CHARACTERS.search(text):
        raise FieldError(
            field, "contiene caratteri invisibili che cambiano la direzione del testo"
        )
    if len(text) > max_length:
        raise FieldError(
            field, f"è troppo lungo ({len(text)} caratteri, massimo {max_length})"
        )
    return text


def normalize_codice_fiscale(raw: object) -> Normalized:
    """Check a codice fiscale: 16 characters for a person, 11 digits for an entity.

    Repairs surrounding or inner spaces, lower case, and the leading zeros
    that a spreadsheet drops from an all-digit code, the latter only when
    the padded code passes its check digit.
    """
    text = "" if raw is None else str(raw)
    if not text.strip():
        raise FieldError("codice_fiscale", "è obbligatorio")
    compact = re.sub(r"\s+", "", text).upper()
    repairs = []
    if compact != text:
        repairs.append("codice fiscale: tolti spazi o minuscole")
    if compact.isdigit() and 7 <= len(compact) < 11:
        padded = compact.zfill(11)
        if _passes(iva.validate, padded):
            repairs.append("codice fiscale: ripristinati gli zeri iniziali")
            compact = padded
    try:
        codicefiscale.validate(compact)
    except stdnum_errors.InvalidLength:
        raise FieldError(
            "codice_fiscale",
            f"deve avere 16 caratteri (persona fisica) o 11 cifre (società o ente), "
            f"ne ha {len(compact)}",
        ) from None
    except stdnum_errors.InvalidFormat:
        raise FieldError(
            "codice_fiscale", "contiene caratteri fuori posto per un codice fiscale"
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise FieldError(
            "codice_fiscale",
            "il carattere di controllo non corrisponde: controlla di averlo scritto bene",
        ) from None
    except stdnum_errors.InvalidComponent:
        reason = (
            "non è valido per una società o un ente: la matricola (cifre 1-7) o il "
            "codice dell'ufficio (cifre 8-10) non esiste"
            if compact.isdigit()
            else "la data di nascita o il codice del comune non è valido"
        )
        raise FieldError("codice_fiscale", reason) from None
    return Normalized(compact, tuple(repairs))


def normalize_partita_iva(raw: object) -> Normalized:
    """Check a partita IVA (11 digits with a Luhn check digit); empty is allowed.

    Repairs an "IT" prefix, spaces, and leading zeros that a spreadsheet
    dropped, the latter only when the padded number passes its check digit.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        return Normalized("")
    compact = re.sub(r"[\s.\-]+", "", text).upper()
    repairs = []
    if compact.startswith("IT"):
        compact = compact[2:]
        repairs.append("partita IVA: tolto il prefisso IT")
    if compact != text and not repairs:
        repairs.append("partita IVA: tolti spazi")
    if not compact.isdigit():
        raise FieldError("partita_iva", "deve contenere solo cifre")
    if 7 <= len(compact) < 11 and _passes(iva.validate, compact.zfill(11)):
        compact = compact.zfill(11)
        repairs.append("partita IVA: ripristinati gli zeri iniziali")
    if len(compact) != 11:
        raise FieldError("partita_iva", f"deve avere 11 cifre, ne ha {len(compact)}")
    try:
        iva.validate(compact)
    except stdnum_errors.InvalidChecksum:
        raise FieldError(
            "partita_iva",
            "la cifra di controllo non corrisponde: controlla di averla scritta bene",
        ) from None
    except stdnum_errors.InvalidComponent:
        raise FieldError(
            "partita_iva", "il codice dell'ufficio provinciale (cifre 8-10) non esiste"
        ) from None
    except stdnum_errors.ValidationError:
        raise FieldError("partita_iva", "non è una partita IVA valida") from None
    return Normalized(compact, tuple(repairs))


def normalize_email(raw: object, field: str = "email") -> Normalized:
    """Check an email or PEC address; empty is allowed. Repairs spaces and upper case."""
    text = "" if raw is None else str(raw)
    stripped = text.strip()
    if not stripped:
        return Normalized("")
    if "," in stripped or ";" in stripped:
        raise FieldError(
            field, f"«{shown(stripped)}» contiene più indirizzi: inseriscine uno solo"
        )
    if "@" not in stripped:
        raise FieldError(field, f"«{shown(stripped)}» non è un indirizzo: manca la @")
    if stripped.count("@") > 1:
        raise FieldError(field, f"«{shown(stripped)}» contiene più di una @")
    if re.search(r"[\s<>\"]", stripped):
        raise FieldError(
            field, f"«{shown(stripped)}» contiene spazi o caratteri non ammessi"
        )
    # Imported here because compiling its patterns costs the tray's start
    # about 30 ms, and the tray checks addresses only when a client is saved.
    import email_validator

    lowered = stripped.lower()
    try:
        result = email_validator.validate_email(lowered, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise FieldError(
            field, f"«{shown(stripped)}» non è valido ({_email_reason(error)})"
        ) from None
    repairs = []
    if lowered != stripped:
        repairs.append(f"{FIELD_LABELS[field]}: convertita in minuscolo")
    elif stripped != text:
        repairs.append(f"{FIELD_LABELS[field]}: tolti spazi")
    return Normalized(result.normalized, tuple(repairs))


def _email_reason(error: Exception) -> str:
    message = str(error).lower()
    if "after the @" in message and "period" in message:
        return "il dominio dopo la @ non ha un punto"
    if "two periods" in message:
        return "contiene due punti di seguito"
    if "start with a period" in message or "end with a period" in message:
        return "non può iniziare o finire con un punto"
    if "after the @" in message or "domain" in message or "hyphen" in message:
        return "il dominio dopo la @ non è valido"
    if "before the @" in message:
        return "la parte prima della @ non è valida"
    return "formato non riconosciuto"


def normalize_pin(raw: object) -> Normalized:
    """Check a PIN: 10 digits (Fisconline) or 8 characters (Entratel); empty is allowed.

    Repairs a Fisconline PIN typed as its two halves, 4 and 6 digits apart.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        return Normalized("")
    if isinstance(raw, int) and not isinstance(raw, bool) and len(text) < 10:
        # A spreadsheet that took the PIN for a number dropped its leading zeros.
        return Normalized(text.zfill(10), ("PIN: rimessi gli zeri iniziali",))
    halves = _PIN_HALVES.match(text)
    if halves:
        return Normalized(
            halves.group(1) + halves.group(2), ("PIN: unite le due metà",)
        )
    if text.isdigit() and len(text) == 10:
        return Normalized(text)
    if len(text) == 8 and text.isascii() and text.isalnum():
        return Normalized(text)
    raise FieldError(
        "pin", "deve avere 10 cifre (Fisconline) o 8 lettere e cifre (Entratel)"
    )


def validate_password(raw: object) -> str:
    """Check a stored password: printable text of 8 to 128 characters.

    The portal's full rules (at most 15 characters, every kind of character)
    apply to new passwords. A stored one is kept as the client has it, so
    only what the portal could never accept is rejected. The message never
    repeats the password.
    """
    text = "" if raw is None else str(raw)
    if not text:
        return ""
    if _CONTROL.search(text):
        raise FieldError("password", "contiene caratteri di controllo o a capo")
    if text != text.strip():
        raise FieldError("password", "inizia o finisce con uno spazio")
    if len(text) < MIN_PASSWORD_LENGTH:
        raise FieldError(
            "password",
            f"è troppo corta ({characters(len(text))}): il portale chiede almeno "
            f"{MIN_PASSWORD_LENGTH} caratteri",
        )
    if len(text) > MAX_PASSWORD_LENGTH:
        raise FieldError(
            "password",
            f"è troppo lunga ({len(text)} caratteri, massimo {MAX_PASSWORD_LENGTH})",
        )
    return text


def normalize_user_id(raw: object) -> str:
    """Check a Fisconline/Entratel user id, which may be empty.

    The user id is the holder's codice fiscale, 16 characters for a person
    or 11 digits for an entity. Spaces are removed and letters put in upper
    case. Unlike in the codice fiscale field, dropped leading zeros are not
    restored.
    """
    text = clean_text("user_id", raw, max_length=64)
    compact = re.sub(r"\s+", "", text).upper()
    if not compact:
        return ""
    if compact.isdigit() and len(compact) < 11:
        reason = (
            f"deve avere 16 caratteri (persona fisica) o 11 cifre (società o ente), "
            f"ne ha {len(compact)}"
        )
    else:
        try:
            return normalize_codice_fiscale(compact).value
        except FieldError as error:
            reason = error.reason
    raise FieldError(
        "user_id", f"«{shown(text)}» non è il codice fiscale dell'utente: {reason}"
    )


def check_user_id(raw: object) -> str:
    """Return a user id set on its own, checked as normalize_user_id does.

    Raises FieldError for an empty one, which would leave the user id unset.
    """
    user_id = normalize_user_id(raw)
    if not user_id:
        raise FieldError(
            "user_id", "è vuoto: indica il codice fiscale dell'utente Fisconline"
        )
    return user_id


def normalize_phone(raw: object) -> str:
    text = clean_text("telefono", raw, max_length=40)
    if text and (not _PHONE.match(text) or sum(c.isdigit() for c in text) < 5):
        raise FieldError("telefono", f"«{shown(text)}» non è un numero di telefono")
    return text


def parse_date(field: str, raw: object) -> date | None:
    """Read a date written as gg/mm/aaaa, aaaa-mm-gg or held as a spreadsheet date."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if parsed.year < 1990:
            raise FieldError(field, f"«{shown(text)}» è una data troppo vecchia")
        return parsed
    raise FieldError(field, f"«{shown(text)}» non è una data (scrivi gg/mm/aaaa)")


def characters(count: int) -> str:
    """Return "1 carattere" or "N caratteri"."""
    return "1 carattere" if count == 1 else f"{count} caratteri"


def linked_count(count: int) -> str:
    """Return "1 soggetto collegato" or "N soggetti collegati"."""
    return "1 soggetto collegato" if count == 1 else f"{count} soggetti collegati"


def fold_name(text: str) -> str:
    """Return text without accents and in lower case, for matching and sorting."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _passes(check, value: str) -> bool:
    try:
        check(value)
    except stdnum_errors.ValidationError:
        return False
    return True
