"""Password expiry and PIN lapse dates of Fisconline credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# Fisconline passwords last 90 days; the app warns 15 days before.
PASSWORD_VALIDITY_DAYS = 90
PASSWORD_WARNING_DAYS = 15


class PasswordStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


STATUS_LABELS = {
    PasswordStatus.VALID: "valida",
    PasswordStatus.EXPIRING: "in scadenza",
    PasswordStatus.EXPIRED: "scaduta",
    PasswordStatus.UNKNOWN: "data cambio sconosciuta",
}


@dataclass(frozen=True)
class ExpiryRules:
    validity_days: int = PASSWORD_VALIDITY_DAYS
    warning_days: int = PASSWORD_WARNING_DAYS

    def __post_init__(self) -> None:
        if self.validity_days < 1:
            raise ValueError("validity_days must be at least 1")
        if not 0 <= self.warning_days < self.validity_days:
            raise ValueError("warning_days must be between 0 and validity_days - 1")


def password_status(
    changed_on: date | None,
    today: date,
    rules: ExpiryRules = ExpiryRules(),
    *,
    marked_expired: bool = False,
) -> tuple[PasswordStatus, int | None]:
    """Return the status and the days left (negative once expired) of a password.

    With the default rules a password changed 74 days ago is valid (16 days
    left), at 75 days it is expiring (15 left) and at 90 it is expired (0
    left). `marked_expired` (the portal returned PASSWORD_EXPIRED) wins over
    the date.
    """
    if changed_on is None:
        status = PasswordStatus.EXPIRED if marked_expired else PasswordStatus.UNKNOWN
        return status, None
    days_left = rules.validity_days - (today - changed_on).days
    if marked_expired or days_left <= 0:
        return PasswordStatus.EXPIRED, days_left
    if days_left <= rules.warning_days:
        return PasswordStatus.EXPIRING, days_left
    return PasswordStatus.VALID, days_left


def pin_lapse_date(last_successful_login: date) -> date:
    """Return the day the PIN lapses: 31 December of the second year after its last use."""
    return date(last_successful_login.year + 2, 12, 31)
