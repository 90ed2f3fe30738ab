"""Login engine against the test portal, in a real Chromium under Xvfb."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.server import PortalServer
from trayapp.domain.credentials import Credentials
from trayapp.login import LoginOutcome, load_profile
from trayapp.login.engine import LoginEngine
from trayapp.login.outcome import MESSAGES

# Chromium resolves no host name but 127.0.0.1, so a wrong URL cannot leave
# the machine.
RESOLVER_ARGS = '"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"'
LOGIN_TIMEOUT = 30.0

ALICE = Credentials("RSSMRA80A01H501U", "Segreta*2025", "1234567890")
BRUNO = Credentials("BNCLGU75C12F205X", "Altra+Pass9", "0987654321")


@pytest.fixture
def engine(
    portal: PortalServer,
    chromium_path: Path,
    x_display: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LoginEngine]:
    """Start a login engine aimed at the test portal; close it afterwards."""
    monkeypatch.setenv("TRAYAPP_BROWSER_ARGS", RESOLVER_ARGS)
    profile = load_profile(tmp_path)
    login_engine = LoginEngine(profile, chromium_path)
    try:
        yield login_engine
    finally:
        login_engine.close()


def test_login_delivers_stored_credentials(
    engine: LoginEngine, portal: PortalServer
) -> None:
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)

    result = engine.login(ALICE, "cassetto", timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.SUCCESS
    assert portal.received == [
        {"username": ALICE.user_id, "password": ALICE.password, "pin": ALICE.pin}
    ]
    assert result.final_url == portal.url("/CassHomeWeb/home")
    assert engine.call_on_last_page(lambda page: page.title()) == "Cassetto fiscale"
    text = engine.call_on_last_page(lambda page: page.inner_text("body"))
    assert f"Utente: {ALICE.user_id}" in text


def test_portal_rejects_untrusted_tab_click(
    engine: LoginEngine, portal: PortalServer
) -> None:
    """A script's element.click() leaves the panel hidden; a real click opens it."""
    portal.force_code = "INVALID_CREDENTIALS"
    engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    def click_by_script(page) -> tuple[bool, str | None]:
        page.goto(portal.url("/sam/UI/Login?realm=/agenziaentrate&goto=x"))
        page.evaluate("document.querySelector(\"a[href='#tab-4']\").click()")
        return page.is_visible("#tab-4"), page.get_attribute(
            "body", "data-rejected-tab-clicks"
        )

    visible, rejected = engine.call_on_last_page(click_by_script)
    assert visible is False
    assert rejected == "1"

    def click_by_mouse(page) -> bool:
        page.click("a[href='#tab-4']")
        return page.is_visible("#tab-4")

    assert engine.call_on_last_page(click_by_mouse) is True


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("INVALID_CREDENTIALS", LoginOutcome.INVALID_CREDENTIALS),
        ("PASSWORD_EXPIRED", LoginOutcome.PASSWORD_EXPIRED),
        ("ACCOUNT_LOCKED", LoginOutcome.ACCOUNT_LOCKED),
    ],
)
def test_failure_code_maps_to_outcome(
    engine: LoginEngine, portal: PortalServer, code: str, outcome: LoginOutcome
) -> None:
    portal.account_codes[ALICE.user_id] = code

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is outcome
    assert result.message == MESSAGES[outcome]
    assert ALICE.password not in result.message
    assert ALICE.pin not in result.message
    assert portal.received[0]["username"] == ALICE.user_id


def test_wrong_password_is_invalid_credentials(
    engine: LoginEngine, portal: PortalServer
) -> None:
    portal.accounts[ALICE.user_id] = ("Diversa*2025", ALICE.pin)

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.INVALID_CREDENTIALS
    assert "dopo 8 tentativi errati" in result.message


def test_two_clients_use_separate_sessions(
    engine: LoginEngine, portal: PortalServer
) -> None:
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)
    portal.accounts[BRUNO.user_id] = (BRUNO.password, BRUNO.pin)

    first = engine.login(ALICE, timeout=LOGIN_TIMEOUT)
    second = engine.login(BRUNO, timeout=LOGIN_TIMEOUT)

    assert first.outcome is LoginOutcome.SUCCESS
    assert second.outcome is LoginOutcome.SUCCESS
    assert [body["username"] for body in portal.received] == [
        ALICE.user_id,
        BRUNO.user_id,
    ]
    assert "SIAMPE" not in portal.api_cookies[1]
    text = engine.call_on_last_page(lambda page: page.inner_text("body"))
    assert f"Utente: {BRUNO.user_id}" in text


def test_older_layout_uses_fallbacks(engine: LoginEngine, portal: PortalServer) -> None:
    portal.layout = "older"
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)

    result = engine.login(ALICE, "area-riservata", timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.SUCCESS
    assert portal.received[0]["password"] == ALICE.password
    assert result.final_url == portal.url("/PortaleWeb/home")


def test_missing_field_is_page_changed(
    engine: LoginEngine, portal: PortalServer, tmp_path: Path
) -> None:
    portal.layout = "no-pin"

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.PAGE_CHANGED
    assert "PIN" in result.message
    assert "login-profile.json" in result.message
    assert str(tmp_path) in result.message
    assert portal.received == []


def test_portal_down_is_unreachable(engine: LoginEngine, portal: PortalServer) -> None:
    portal.stop()

    result = engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert result.outcome is LoginOutcome.PORTAL_UNREACHABLE
    assert "non risponde" in result.message


def test_login_from_other_thread(engine: LoginEngine, portal: PortalServer) -> None:
    """Logins from two caller threads are served by the one worker in turn."""
    import threading

    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)
    portal.accounts[BRUNO.user_id] = (BRUNO.password, BRUNO.pin)
    results = {}

    def log_in(credentials: Credentials) -> None:
        results[credentials.user_id] = engine.login(credentials, timeout=LOGIN_TIMEOUT)

    threads = [threading.Thread(target=log_in, args=(c,)) for c in (ALICE, BRUNO)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * LOGIN_TIMEOUT)

    assert results[ALICE.user_id].outcome is LoginOutcome.SUCCESS
    assert results[BRUNO.user_id].outcome is LoginOutcome.SUCCESS
    assert len(portal.received) == 2


def test_unknown_target_rejected(engine: LoginEngine) -> None:
    with pytest.raises(ValueError, match="Destinazioni valide"):
        engine.login(ALICE, "catasto")


def test_wait_until_closed_tracks_windows(
    engine: LoginEngine, portal: PortalServer
) -> None:
    """Closing the login window, here through Playwright, releases the wait."""
    portal.accounts[ALICE.user_id] = (ALICE.password, ALICE.pin)
    engine.login(ALICE, timeout=LOGIN_TIMEOUT)

    assert engine.wait_until_closed(timeout=0.5) is False
    engine.call_on_last_page(lambda page: page.close())
    assert engine.wait_until_closed(timeout=10) is True
