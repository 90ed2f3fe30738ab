"""Password expiry at the day boundaries, with a fixed clock."""

from datetime import date, timedelta

import pytest

from trayapp.config import ConfigError, load_settings
from trayapp.domain.expiry import (
    ExpiryRules,
    PasswordStatus,
    password_status,
    pin_lapse_date,
)

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("age_days", "status", "days_left"),
    [
        (0, PasswordStatus.VALID, 90),
        (74, PasswordStatus.VALID, 16),
        (75, PasswordStatus.EXPIRING, 15),
        (89, PasswordStatus.EXPIRING, 1),
        (90, PasswordStatus.EXPIRED, 0),
        (91, PasswordStatus.EXPIRED, -1),
    ],
)
def test_password_status_boundaries(age_days, status, days_left):
    changed_on = TODAY - timedelta(days=age_days)
    assert password_status(changed_on, TODAY) == (status, days_left)


def test_configured_rules_move_the_boundaries():
    rules = ExpiryRules(validity_days=60, warning_days=5)
    assert (
        password_status(TODAY - timedelta(days=54), TODAY, rules)[0]
        is PasswordStatus.VALID
    )
    assert (
        password_status(TODAY - timedelta(days=55), TODAY, rules)[0]
        is PasswordStatus.EXPIRING
    )
    assert (
        password_status(TODAY - timedelta(days=60), TODAY, rules)[0]
        is PasswordStatus.EXPIRED
    )


def test_portal_expired_mark_wins_over_date():
    assert password_status(TODAY, TODAY, marked_expired=True) == (
        PasswordStatus.EXPIRED,
        90,
    )


def test_unknown_change_date():
    assert password_status(None, TODAY) == (PasswordStatus.UNKNOWN, None)


def test_pin_lapses_end_of_second_year_after_use():
    assert pin_lapse_date(date(2026, 3, 10)) == date(2028, 12, 31)
    assert pin_lapse_date(date(2026, 12, 31)) == date(2028, 12, 31)


def test_settings_defaults_without_file(tmp_path):
    settings = load_settings(tmp_path)
    assert settings.max_login_failures == 3
    assert settings.password_validity_days == 90


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"max_login_failures": 8}', "«max_login_failures» deve essere tra 1 e 7"),
        (
            '{"max_login_failures": "tre"}',
            "«max_login_failures» deve essere un numero intero",
        ),
        ('{"password_warning_days": 90}', "«password_warning_days» deve essere minore"),
        ('{"colore": 1}', "impostazione sconosciuta «colore»"),
        ("{non json", "non è JSON valido (riga 1, colonna 2)"),
    ],
)
def test_bad_settings_named(tmp_path, content, message):
    (tmp_path / "config.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert str(tmp_path / "config.json") in str(caught.value)
    assert message in str(caught.value)
