"""New Fisconline passwords that meet the portal's rules."""

from __future__ import annotations

import secrets
import string

MIN_LENGTH = 8
MAX_LENGTH = 15
DEFAULT_LENGTH = 12

LOWERCASE = string.ascii_lowercase
UPPERCASE = string.ascii_uppercase
DIGITS = string.digits
# ASCII symbols among those the portal accepts. Its list also has § ° ç £,
# left out because they are missing from many keyboard layouts.
SYMBOLS = "*+@^?=)(/&%$!|\\><"
ALPHABET = LOWERCASE + UPPERCASE + DIGITS + SYMBOLS


def generate_password(length: int = DEFAULT_LENGTH) -> str:
    """Return a random password of `length` characters with every kind of character.

    Uses the `secrets` module. Raises ValueError outside 8 to 15 characters.
    """
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"length must be between {MIN_LENGTH} and {MAX_LENGTH}")
    required = [
        secrets.choice(group) for group in (LOWERCASE, UPPERCASE, DIGITS, SYMBOLS)
    ]
    rest = [secrets.choice(ALPHABET) for _ in range(length - len(required))]
    characters = required + rest
    # Fisher-Yates with secrets.randbelow, so the required ones are not always first.
    for index in range(len(characters) - 1, 0, -1):
        swap = secrets.randbelow(index + 1)
        characters[index], characters[swap] = characters[swap], characters[index]
    return "".join(characters)


def meets_portal_rules(password: str) -> bool:
    """Return whether a password has 8-15 allowed characters of every kind."""
    return (
        MIN_LENGTH <= len(password) <= MAX_LENGTH
        and all(character in ALPHABET for character in password)
        and any(character in LOWERCASE for character in password)
        and any(character in UPPERCASE for character in password)
        and any(character in DIGITS for character in password)
        and any(character in SYMBOLS for character in password)
    )
