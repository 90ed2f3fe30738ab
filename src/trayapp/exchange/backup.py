"""The encrypted backup file: a versioned header, then the sealed snapshot.

Layout, in this order:

- MAGIC, 15 bytes (``trayapp-backup`` and a line feed);
- the header's length, 4 bytes big-endian;
- the header, UTF-8 JSON: format version, scrypt parameters and salt,
  cipher name and nonce, creation time;
- the snapshot JSON encrypted with AES-256-GCM, the 16-byte tag last.

The key is derived from the passphrase with scrypt (N=2**17, r=8, p=1,
so 128 MiB of memory for each derivation). Everything before the
ciphertext is the AEAD's associated data, so a changed header byte fails
decryption the same way as a changed ciphertext or tag byte. The
plaintext exists only in memory.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from trayapp.exchange.files import ExchangeError

MAGIC = b"trayapp-backup\n"
FORMAT_VERSION = 1
CIPHER = "AES-256-GCM"
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
MAX_HEADER_BYTES = 4096
# A header may ask for other scrypt costs than ours. These bounds keep a
# crafted file from making the restore allocate gigabytes or run for hours.
SCRYPT_N_RANGE = (2**14, 2**20)
SCRYPT_MAX_MEMORY = 1024 * 2**20

_LENGTH = struct.Struct(">I")


def scrypt_memory_bytes(n: int, r: int) -> int:
    """Return the memory one scrypt derivation with cost `n` and block size `r` uses."""
    return 128 * n * r


def seal(snapshot: dict[str, Any], passphrase: str) -> bytes:
    """Return the backup file's bytes for a snapshot, encrypted with the passphrase."""
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(snapshot, ensure_ascii=False).encode("utf-8")
    header = {
        "format": FORMAT_VERSION,
        "kdf": {
            "name": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "memory_mib": scrypt_memory_bytes(SCRYPT_N, SCRYPT_R) // 2**20,
            "salt": base64.b64encode(salt).decode("ascii"),
        },
        "cipher": {"name": CIPHER, "nonce": base64.b64encode(nonce).decode("ascii")},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # Lets a restore tell a file cut short from a wrong passphrase.
        "ciphertext_bytes": len(plaintext) + TAG_BYTES,
    }
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    prefix = MAGIC + _LENGTH.pack(len(header_bytes)) + header_bytes
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return prefix + AESGCM(key).encrypt(nonce, plaintext, prefix)


def unseal(data: bytes, passphrase: str, source: str) -> dict[str, Any]:
    """Decrypt a backup file's bytes; raise ExchangeError naming `source` if it fails."""
    if not data.startswith(MAGIC):
        raise ExchangeError(
            f"{source} non è un backup di trayapp: nulla è stato modificato"
        )
    damaged = f"{source} è danneggiato o incompleto: nulla è stato modificato"

    offset = len(MAGIC)
    if len(data) < offset + _LENGTH.size:
        raise ExchangeError(damaged)
    (header_length,) = _LENGTH.unpack_from(data, offset)
    offset += _LENGTH.size
    if header_length > MAX_HEADER_BYTES or len(data) < offset + header_length:
        raise ExchangeError(damaged)
    prefix = data[: offset + header_length]
    ciphertext = data[offset + header_length :]
    if len(ciphertext) < TAG_BYTES:
        raise ExchangeError(damaged)
    try:
        header = json.loads(prefix[offset:].decode("utf-8"))
        salt, nonce, n, r, p = _read_parameters(header, source)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ExchangeError(damaged) from None
    expected = header.get("ciphertext_bytes")
    if isinstance(expected, int) and len(ciphertext) != expected:
        raise ExchangeError(
            f"{source} è incompleto: ha {len(ciphertext)} byte di dati cifrati su "
            f"{expected} (copia interrotta?). Nulla è stato modificato."
        )

    key = _derive(passphrase, salt, n, r, p)
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, prefix)
    except InvalidTag:
        raise ExchangeError(
            f"{source}: passphrase errata, oppure il file è stato modificato o "
            "danneggiato. Nulla è stato modificato."
        ) from None

    try:
        snapshot = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ExchangeError(damaged) from None
    if not isinstance(snapshot, dict):
        raise ExchangeError(damaged)
    return snapshot


def _read_parameters(header: Any, source: str) -> tuple[bytes, bytes, int, int, int]:
    if header["format"] != FORMAT_VERSION:
        raise ExchangeError(
            f"{source} è un backup nel formato {header['format']!r}, questa versione "
            f"di trayapp legge il formato {FORMAT_VERSION}: aggiorna trayapp"
        )
    kdf, cipher = header["kdf"], header["cipher"]
    if kdf["name"] != "scrypt" or cipher["name"] != CIPHER:
        raise ValueError("unknown algorithm")
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    low, high = SCRYPT_N_RANGE
    if (
        not low <= n <= high
        or n & (n - 1)
        or not 1 <= r <= 32
        or not 1 <= p <= 16
        or scrypt_memory_bytes(n, r) > SCRYPT_MAX_MEMORY
    ):
        raise ValueError("scrypt parameters out of range")
    salt = base64.b64decode(kdf["salt"], validate=True)
    nonce = base64.b64decode(cipher["nonce"], validate=True)
    if len(salt) < SALT_BYTES or len(nonce) != NONCE_BYTES:
        raise ValueError("salt or nonce of the wrong size")
    return salt, nonce, n, r, p


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8"))
