"""Embedded login engine against the test portal, in real pywebview Qt windows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_env import find_secrets
from portal.server import PortalServer
from trayapp.domain.credentials import Credentials
from trayapp.login import LoginOutcome, load_profile
from trayapp.login.embedded import EmbeddedLoginEngine
from trayapp.login.outcome import MESSAGES

LOGIN_TIMEOUT = 30.0

ALICE = Credentials("RSSMRA80A01H501U", "Segreta*2025§", "1234567890")
BRUNO = Credentials("BNCLGU75C12F205X", "Altra+Pass9", "0987654321")


def _wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def engine(
    portal: PortalServer,
    x_display: str,
    short_tmp: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EmbeddedLoginEngine]:
    """Start an embedded login engine aimed at the test portal; close it afterwards."""
    monkeypatch.setenv("TRAYAPP_BROWSER", "embedded")
    monkeypatch.setenv("TMPDIR", str(short_tmp))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "home").mkdir()
    login_engine = EmbeddedLoginEngine(load_profile(tmp_path))
    try:
        yield login_engine
    finally:
        login_engine.close()


def test_login_delivers_stored_credentials(
    engine: EmbeddedLoginEngine,
    portal: PortalServer,
    short_tmp: Path,
    tmp_path: Path,
) -> None:
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)

    result = engine.login(ALICE, "cassetto", timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.SUCCESS
    assert result.message == MESSAGES[LoginOutcome.SUCCESS]
    assert portal.received == [
        {"username": ALICE.user_id, "password": ALICE.password, "pin": ALICE.pin}
    ]
    assert result.final_url == portal.url("/CassHomeWeb/home")
    assert _wait_for(lambda: portal.served_home) == [
        ("Cassetto fiscale", ALICE.user_id)
    ]
    engine.close()
    secrets = {ALICE.password, ALICE.pin}
    assert find_secrets([short_tmp, tmp_path], secrets) == []


def test_window_stays_open_after_login(
    engine: EmbeddedLoginEngine, portal: PortalServer
) -> None:
    portal.force_code = "INVALID_CREDENTIALS"

    engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert engine.wait_until_closed(timeout=1) is False
    engine.close()
    assert engine.wait_until_closed(timeout=5) is True


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("INVALID_CREDENTIALS", LoginOutcome.INVALID_CREDENTIALS),
        ("PASSWORD_EXPIRED", LoginOutcome.PASSWORD_EXPIRED),
        ("ACCOUNT_LOCKED", LoginOutcome.ACCOUNT_LOCKED),
    ],
)
def test_failure_code_maps_to_outcome(
    engine: EmbeddedLoginEngine,
    portal: PortalServer,
    code: str,
    outcome: LoginOutcome,
) -> None:
    portal.account_codes[ALICE.user_id] = code

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is outcome
    assert result.message == MESSAGES[outcome]
    assert ALICE.password not in result.message
    assert ALICE.pin not in result.message
    assert len(portal.received) == 1
    assert portal.received[0]["username"] == ALICE.user_id
    assert portal.served_home == []


def test_two_logins_use_separate_sessions(
    engine: EmbeddedLoginEngine, portal: PortalServer, short_tmp: Path, tmp_path: Path
) -> None:
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)
    portal.accounts[BRUNO.user_id] = (BRUNO.password, BRUNO.pin)

    first = engine.login(ALICE, timeout=LOGIN_TIMEOUT)
    second = engine.login(BRUNO, "area-riservata", timeout=LOGIN_TIMEOUT)

    assert first.outcome is LoginOutcome.SUCCESS
    assert second.outcome is LoginOutcome.SUCCESS
    assert [body["username"] for body in portal.received] == [
        ALICE.user_id,
        BRUNO.user_id,
    ]
    assert "SIAMPE" not in portal.api_cookies[1]
    assert second.final_url == portal.url("/PortaleWeb/home")
    assert _wait_for(lambda: len(portal.served_home) == 2)
    assert portal.served_home == [
        ("Cassetto fiscale", ALICE.user_id),
        ("Area riservata", BRUNO.user_id),
    ]
    engine.close()
    secrets = {ALICE.password, ALICE.pin, BRUNO.password, BRUNO.pin}
    assert find_secrets([short_tmp, tmp_path], secrets) == []


def test_older_layout_uses_fallbacks(
    engine: EmbeddedLoginEngine, portal: PortalServer
) -> None:
    portal.layout = "older"
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.SUCCESS
    assert portal.received[0]["password"] == ALICE.password


def test_missing_field_is_page_changed(
    engine: EmbeddedLoginEngine, portal: PortalServer
) -> None:
    portal.layout = "no-pin"

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.PAGE_CHANGED
    assert "il campo del PIN" in result.message
    assert portal.received == []


def test_closed_port_is_portal_unreachable(
    x_display: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest.py points the profile at port 9, which refuses connections.
    monkeypatch.setenv("TRAYAPP_BROWSER", "embedded")
    with EmbeddedLoginEngine(load_profile(tmp_path)) as closed_engine:
        result = closed_engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.PORTAL_UNREACHABLE


def test_studio_picks_embedded_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trayapp.app import Studio
    from trayapp.login.engine import LoginEngine
    from trayapp.paths import resolve_paths

    profile = load_profile(tmp_path)
    paths = resolve_paths({"TRAYAPP_HOME": str(tmp_path / "home")})
    chosen = Studio(None, None, paths, environ={"TRAYAPP_BROWSER": "embedded"})
    missing = Studio(None, None, paths, environ={"PATH": str(tmp_path)})
    chromium = Studio(
        None, None, paths, environ={"TRAYAPP_BROWSER": "/usr/bin/chromium"}
    )

    assert isinstance(chosen._login_engine(profile), EmbeddedLoginEngine)
    assert isinstance(missing._login_engine(profile), EmbeddedLoginEngine)
    assert isinstance(chromium._login_engine(profile), LoginEngine)


def test_named_browser_missing_is_reported(tmp_path: Path) -> None:
    from trayapp.app import Studio
    from trayapp.login.browser import BrowserNotFound
    from trayapp.paths import resolve_paths

    paths = resolve_paths({"TRAYAPP_HOME": str(tmp_path / "home")})
    named = Studio(
        None, None, paths, environ={"TRAYAPP_BROWSER": str(tmp_path / "nessuno")}
    )
    with pytest.raises(BrowserNotFound) as caught:
        named._login_engine(load_profile(tmp_path))
    assert str(tmp_path / "nessuno") in str(caught.value)
