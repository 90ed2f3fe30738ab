"""Errors and file writing shared by the backup, KeePass and plain exports."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from trayapp.atomicfile import write_atomically
from trayapp.domain.validation import characters
from trayapp.os_errors import italian_reason

MIN_PASSPHRASE_LENGTH = 12


class ExchangeError(Exception):
    """A backup, restore, export or KeePass import failed; the message is Italian."""


def check_new_passphrase(passphrase: str, confirmation: str | None = None) -> str:
    """Return the passphrase in NFC form, or raise if it is too short or mistyped.

    NFC makes the same typed text give the same bytes on every OS, whose
    keyboards may produce "è" as one character or as "e" and an accent.
    """
    if confirmation is not None and passphrase != confirmation:
        raise ExchangeError(
            "le due passphrase non coincidono: nessun file è stato scritto"
        )
    normalized = unicodedata.normalize("NFC", passphrase)
    if len(normalized) < MIN_PASSPHRASE_LENGTH:
        raise ExchangeError(
            f"la passphrase è troppo corta ({characters(len(normalized))}): ne servono "
            f"almeno {MIN_PASSPHRASE_LENGTH}. Nessun file è stato scritto."
        )
    return normalized


def reject_non_file(path: Path) -> None:
    """Raise ExchangeError if `path` exists and is not a regular file.

    A backup or export replaces its file by renaming a new one over it,
    which would put a file in place of a folder's name or a device such as
    /dev/null, so those are rejected even with --force.
    """
    if path.is_dir():
        raise ExchangeError(f"{path} è una cartella: indica il nome di un file")
    if path.exists() and not path.is_file():
        raise ExchangeError(
            f"{path} non è un file normale (è un dispositivo o una pipe): indica il "
            "nome di un file"
        )


def refuse_existing(path: Path) -> None:
    """Raise ExchangeError if `path` exists, so a backup or export keeps the file.

    The command line replaces an existing file only with --force.
    """
    reject_non_file(path)
    if path.exists() or path.is_symlink():
        raise ExchangeError(
            f"il file {path} esiste già: scegli un altro nome o aggiungi --force "
            "per sostituirlo"
        )


def write_private_file(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write `data` to `path` atomically, readable by its owner only.

    An existing file is replaced only with `overwrite`.
    """
    folder = path.parent
    if not folder.is_dir():
        raise ExchangeError(f"{path}: la cartella {folder} non esiste")
    reject_non_file(path)
    if not overwrite:
        refuse_existing(path)
    try:
        write_atomically(path, data)
    except OSError as error:
        raise ExchangeError(
            f"{path}: scrittura non riuscita ({italian_reason(error)})"
        ) from error


def read_input_file(path: Path, what: str) -> bytes:
    """Return the bytes of a file to restore or import, or raise naming the file."""
    if path.is_dir():
        raise ExchangeError(f"{path} è una cartella: indica il file {what}")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ExchangeError(f"Il file {path} non esiste") from None
    except OSError as error:
        raise ExchangeError(
            f"{path}: lettura non riuscita ({italian_reason(error)})"
        ) from None
