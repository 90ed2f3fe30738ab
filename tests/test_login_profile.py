"""Login profile: built-in data, override file and origin replacement."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from trayapp.login import LoginOutcome, ProfileError, load_profile
from trayapp.login import profile as profile_module

NO_ORIGIN: dict[str, str] = {}


def test_builtin_profile_loads(tmp_path: Path) -> None:
    profile = load_profile(tmp_path, NO_ORIGIN)

    assert profile.default_target == "cassetto"
    assert set(profile.targets) == {"cassetto", "fatture", "area-riservata"}
    assert profile.panel_selector == "#tab-4"
    assert profile.password_selectors == ("#password-fo-ent-1", "#password-fo-ent")
    assert profile.api_path == "/api/login/telematico"
    assert profile.session_cookie == "SIAMPE"
    assert profile.failure_codes["ACCOUNT_LOCKED"] is LoginOutcome.ACCOUNT_LOCKED


def test_goto_is_url_encoded(tmp_path: Path) -> None:
    url = load_profile(tmp_path, NO_ORIGIN).login_url("fatture")

    assert url.startswith("https://iampe.agenziaentrate.gov.it/sam/UI/Login?")
    assert "goto=https%3A%2F%2Fportale.agenziaentrate.gov.it%3A443%2F" in url
    query = parse_qs(urlsplit(url).query)
    assert query["realm"] == ["/agenziaentrate"]
    assert query["goto"] == [
        "https://portale.agenziaentrate.gov.it:443/PortaleWeb/home?to=FATBTB"
    ]


def test_override_replaces_key_by_key(tmp_path: Path) -> None:
    override = {
        "password_selectors": ["#pwd-new"],
        "targets": {"cassetto": "https://cassetto.agenziaentrate.gov.it/Nuovo/home"},
    }
    (tmp_path / "login-profile.json").write_text(json.dumps(override), "utf-8")

    profile = load_profile(tmp_path, NO_ORIGIN)

    assert profile.password_selectors == ("#pwd-new",)
    assert (
        profile.targets["cassetto"]
        == "https://cassetto.agenziaentrate.gov.it/Nuovo/home"
    )
    assert "fatture" in profile.targets
    assert profile.user_selectors == ("#username-fo-ent",)
    assert profile.override_path == tmp_path / "login-profile.json"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "non è JSON valido"),
        ('{"pin_selectors": "#pin"}', '"pin_selectors"'),
        ('{"colore": "blu"}', '"colore"'),
        ('{"login_url": "https://example.invalid/login"}', '"login_url"'),
        ('{"failure_codes": {"NEW": "exploded"}}', '"failure_codes"'),
        ("[]", "oggetto JSON"),
    ],
)
def test_bad_override_rejected(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "login-profile.json"
    path.write_text(content, "utf-8")

    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path, NO_ORIGIN)

    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_override_not_utf8_rejected(tmp_path: Path) -> None:
    path = tmp_path / "login-profile.json"
    path.write_bytes(b'\xff{"name": "Studio"}')

    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path, NO_ORIGIN)

    assert str(raised.value) == (
        f"Il file {path} non è un file di testo UTF-8 "
        "(byte non valido alla posizione 0)."
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{\n", "non è JSON valido (riga 2, colonna 1)"),
        (b"\xff{}", "non è un file di testo UTF-8 (byte non valido alla posizione 0)"),
        (b"[]", "deve contenere un oggetto JSON"),
    ],
    ids=["not-json", "not-utf8", "not-object"],
)
def test_damaged_builtin_asks_reinstall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, expected: str
) -> None:
    builtin = tmp_path / "ade_profile.json"
    builtin.write_bytes(content)
    monkeypatch.setattr(profile_module, "_builtin_path", lambda: builtin)

    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path / "config", NO_ORIGIN)

    message = str(raised.value)
    assert message.startswith(f"Il file {builtin} ")
    assert expected in message
    assert message.endswith(
        "Il profilo di accesso incluso in trayapp è danneggiato: reinstalla trayapp."
    )


def test_missing_builtin_asks_reinstall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builtin = tmp_path / "ade_profile.json"
    monkeypatch.setattr(profile_module, "_builtin_path", lambda: builtin)

    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path / "config", NO_ORIGIN)

    assert str(raised.value) == (
        f"Impossibile leggere il file {builtin}: il file o la cartella non esiste. "
        "Il profilo di accesso incluso in trayapp è danneggiato: reinstalla trayapp."
    )


def test_origin_replaces_every_url(tmp_path: Path) -> None:
    origin = "http://127.0.0.1:8765"
    profile = load_profile(tmp_path, {"TRAYAPP_PORTAL_ORIGIN": origin})

    for target, url in profile.targets.items():
        assert url.startswith(origin + "/"), target
        login = urlsplit(profile.login_url(target))
        assert f"{login.scheme}://{login.netloc}" == origin
        assert parse_qs(login.query)["goto"] == [url]
    assert profile.targets["fatture"] == origin + "/PortaleWeb/home?to=FATBTB"


def test_invalid_origin_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="TRAYAPP_PORTAL_ORIGIN"):
        load_profile(tmp_path, {"TRAYAPP_PORTAL_ORIGIN": "127.0.0.1:8765/x"})


def test_unknown_target_lists_valid(tmp_path: Path) -> None:
    profile = load_profile(tmp_path, NO_ORIGIN)

    with pytest.raises(ValueError) as raised:
        profile.login_url("catasto")

    message = str(raised.value)
    assert "catasto" in message
    assert "area-riservata, cassetto, fatture" in message


def test_profile_import_skips_playwright() -> None:
    import subprocess
    import sys

    code = "import sys, trayapp.login; print('playwright' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"login_url": "https://phish.example.invalid/Login?goto={goto}"}, "login_url"),
        (
            {"login_url": "http://iampe.agenziaentrate.gov.it/Login?goto={goto}"},
            "login_url",
        ),
        (
            {"targets": {"cassetto": "https://agenziaentrate.gov.it.evil.invalid/"}},
            "targets.cassetto",
        ),
    ],
)
def test_override_cannot_send_credentials_elsewhere(
    tmp_path: Path, override, key
) -> None:
    (tmp_path / "login-profile.json").write_text(json.dumps(override), "utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path, NO_ORIGIN)
    assert key in str(caught.value)
    assert "un indirizzo https di agenziaentrate.gov.it" in str(caught.value)


@pytest.mark.parametrize(
    "origin", ["http://192.168.1.10:8080", "https://example.invalid"]
)
def test_origin_must_be_this_machine(tmp_path: Path, origin: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path, {"TRAYAPP_PORTAL_ORIGIN": origin})
    assert "solo un portale su questo computer" in str(caught.value)


def test_origin_port_out_of_range_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path, {"TRAYAPP_PORTAL_ORIGIN": "http://127.0.0.1:99999"})

    assert str(raised.value) == (
        'La variabile TRAYAPP_PORTAL_ORIGIN non è valida: "http://127.0.0.1:99999". '
        "La porta deve essere un numero da 1 a 65535."
    )
