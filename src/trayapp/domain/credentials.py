"""Agenzia delle Entrate credentials of one client."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SecretKind(StrEnum):
    """The secrets stored for a client, each as its own keyring entry."""

    PASSWORD = "password"
    PIN = "pin"
    # The last three passwords replaced by a renewal, set-credentials or the
    # rubrica's form, newest first, kept so a change that did not reach the
    # portal can be undone.
    PREVIOUS_PASSWORD_1 = "password.previous1"
    PREVIOUS_PASSWORD_2 = "password.previous2"
    PREVIOUS_PASSWORD_3 = "password.previous3"


PASSWORD_HISTORY = (
    SecretKind.PREVIOUS_PASSWORD_1,
    SecretKind.PREVIOUS_PASSWORD_2,
    SecretKind.PREVIOUS_PASSWORD_3,
)


@dataclass(frozen=True, repr=False)
class Credentials:
    """User id, password and PIN, as typed on the portal's Fisconline/Entratel tab.

    The repr hides the password and the PIN so that a stray log line or a
    traceback cannot show them.
    """

    user_id: str
    password: str
    pin: str

    def __repr__(self) -> str:
        return f"Credentials(user_id={self.user_id!r}, password='***', pin='***')"
