"""The login profile: URLs and selectors of the portal's login page, kept as data.

The built-in profile ships as ``ade_profile.json`` in this package. A file
``login-profile.json`` in the config folder overrides it key by key, so a
changed page can be followed without a new release.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from trayapp.login.outcome import LoginOutcome, LoginResult
from trayapp.os_errors import italian_reason

log = logging.getLogger(__name__)

BUILTIN_FILE_NAME = "ade_profile.json"
OVERRIDE_FILE_NAME = "login-profile.json"
ORIGIN_VARIABLE = "TRAYAPP_PORTAL_ORIGIN"
GOTO_PLACEHOLDER = "{goto}"
AGENCY_DOMAIN = "agenziaentrate.gov.it"

_STRING_KEYS = (
    "name",
    "login_url",
    "default_target",
    "panel_selector",
    "api_path",
    "session_cookie",
)
_SELECTOR_LIST_KEYS = (
    "tab_selectors",
    "user_selectors",
    "password_selectors",
    "pin_selectors",
    "submit_selectors",
)
_MAPPING_KEYS = ("targets", "failure_codes")
_ALL_KEYS = frozenset(_STRING_KEYS + _SELECTOR_LIST_KEYS + _MAPPING_KEYS)


class ProfileError(ValueError):
    """A login profile file or setting is invalid; the message is Italian."""


@dataclass(frozen=True)
class LoginProfile:
    """URLs, selectors and codes of one portal's login page.

    Selectors are CSS; each ``*_selectors`` tuple is tried in order and the
    first that matches wins. ``submit_selectors`` are searched inside the
    panel, the others in the whole page.
    """

    name: str
    login_url_template: str
    targets: Mapping[str, str]
    default_target: str
    tab_selectors: tuple[str, ...]
    panel_selector: str
    user_selectors: tuple[str, ...]
    password_selectors: tuple[str, ...]
    pin_selectors: tuple[str, ...]
    submit_selectors: tuple[str, ...]
    api_path: str
    failure_codes: Mapping[str, LoginOutcome]
    session_cookie: str
    override_path: Path | None = None

    def target_url(self, target: str) -> str:
        """Return the URL of `target`; raise ValueError if the target is unknown."""
        try:
            return self.targets[target]
        except KeyError:
            valid = ", ".join(sorted(self.targets))
            raise ValueError(
                f'Destinazione sconosciuta: "{target}". Destinazioni valide: {valid}.'
            ) from None

    def login_url(self, target: str | None = None) -> str:
        """Return the login page URL that leads to `target` after the login."""
        goto = self.target_url(target or self.default_target)
        return self.login_url_template.replace(GOTO_PLACEHOLDER, quote(goto, safe=""))


def load_profile(
    config_dir: Path, environ: Mapping[str, str] = os.environ
) -> LoginProfile:
    """Load the built-in profile, apply the config folder's override and the origin."""
    data = _read_builtin()
    override_path = Path(config_dir) / OVERRIDE_FILE_NAME
    if override_path.is_file():
        data = _merge(data, _read_override(override_path))
        log.info("Login profile overridden by %s", override_path)
    profile = _build(data, override_path)
    origin = environ.get(ORIGIN_VARIABLE)
    if origin:
        profile = _with_origin(profile, origin)
        log.info("Login profile moved to origin %s", origin)
    return profile


def _builtin_path() -> Traversable:
    return resources.files(__package__).joinpath(BUILTIN_FILE_NAME)


def _read_builtin() -> dict[str, Any]:
    """Read the profile shipped in the package, which only a reinstall can repair."""
    path = _builtin_path()
    try:
        return _read_json_object(path)
    except ProfileError as exc:
        raise ProfileError(
            f"{exc} Il profilo di accesso incluso in trayapp è danneggiato: "
            "reinstalla trayapp."
        ) from exc


def _read_json_object(path: Path | Traversable) -> dict[str, Any]:
    """Parse `path` as a UTF-8 JSON object, or raise ProfileError naming the file."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ProfileError(
            f"Impossibile leggere il file {path}: {italian_reason(exc)}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(
            f"Il file {path} non è un file di testo UTF-8 (byte non valido "
            f"alla posizione {exc.start})."
        ) from exc
    except json.JSONDecodeError as exc:
        raise ProfileError(
            f"Il file {path} non è JSON valido (riga {exc.lineno}, "
            f"colonna {exc.colno})."
        ) from exc
    if not isinstance(data, dict):
        raise ProfileError(
            f"Il file {path} deve contenere un oggetto JSON con le chiavi del profilo."
        )
    return data


def _read_override(path: Path) -> dict[str, Any]:
    data = _read_json_object(path)
    for key in data:
        if key not in _ALL_KEYS:
            valid = ", ".join(sorted(_ALL_KEYS))
            raise ProfileError(
                f'Il file {path} contiene la chiave sconosciuta "{key}". '
                f"Chiavi valide: {valid}."
            )
    _check_types(data, path)
    return data


def _check_types(data: Mapping[str, Any], path: Path | str) -> None:
    for key, value in data.items():
        if key in _STRING_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise _invalid(path, key, "un testo non vuoto")
        elif key in _SELECTOR_LIST_KEYS:
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(item, str) and item.strip() for item in value)
            ):
                raise _invalid(path, key, "una lista non vuota di selettori CSS")
        elif key in _MAPPING_KEYS:
            if not isinstance(value, dict) or not all(
                isinstance(item, str) and item.strip() for item in value.values()
            ):
                raise _invalid(path, key, "un oggetto con valori di testo")


def _invalid(path: Path | str, key: str, expected: str) -> ProfileError:
    return ProfileError(
        f'Il file {path} non è valido: la chiave "{key}" deve essere {expected}.'
    )


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Replace top-level keys; merge the `targets` and `failure_codes` mappings."""
    merged = dict(base)
    for key, value in override.items():
        if key in _MAPPING_KEYS:
            merged[key] = {**base.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def _build(data: Mapping[str, Any], override_path: Path) -> LoginProfile:
    source: Path | str = override_path if override_path.is_file() else BUILTIN_FILE_NAME
    _check_types(data, source)
    missing = sorted(_ALL_KEYS - data.keys())
    if missing:
        raise ProfileError(
            f"Nel profilo di accesso mancano le chiavi: {', '.join(missing)}."
        )
    if GOTO_PLACEHOLDER not in data["login_url"]:
        raise _invalid(
            source, "login_url", f"un indirizzo che contiene {GOTO_PLACEHOLDER}"
        )
    if data["default_target"] not in data["targets"]:
        raise _invalid(source, "default_target", 'una delle chiavi di "targets"')
    for key, url in [("login_url", data["login_url"]), *data["targets"].items()]:
        if not _is_agency_url(url.replace(GOTO_PLACEHOLDER, "")):
            # Password and PIN are typed into this page, so only the Agency's
            # own https hosts may receive them, whatever a profile file contains.
            raise _invalid(
                source,
                key if key == "login_url" else f"targets.{key}",
                f"un indirizzo https di {AGENCY_DOMAIN} (non «{url}»)",
            )
    outcomes = {outcome.value: outcome for outcome in LoginOutcome}
    failure_codes: dict[str, LoginOutcome] = {}
    for code, name in data["failure_codes"].items():
        if name not in outcomes or name == LoginOutcome.SUCCESS:
            valid = ", ".join(value for value in outcomes if value != "success")
            raise _invalid(
                source,
                "failure_codes",
                f'un oggetto con valori tra: {valid} (non "{name}")',
            )
        failure_codes[code] = outcomes[name]
    return LoginProfile(
        name=data["name"],
        login_url_template=data["login_url"],
        targets=dict(data["targets"]),
        default_target=data["default_target"],
        tab_selectors=tuple(data["tab_selectors"]),
        panel_selector=data["panel_selector"],
        user_selectors=tuple(data["user_selectors"]),
        password_selectors=tuple(data["password_selectors"]),
        pin_selectors=tuple(data["pin_selectors"]),
        submit_selectors=tuple(data["submit_selectors"]),
        api_path=data["api_path"],
        failure_codes=failure_codes,
        session_cookie=data["session_cookie"],
        override_path=override_path,
    )


def _is_agency_url(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (
        host == AGENCY_DOMAIN or host.endswith("." + AGENCY_DOMAIN)
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _with_origin(profile: LoginProfile, origin: str) -> LoginProfile:
    """Return `profile` with scheme, host and port of every URL set to `origin`.

    Only a loopback origin is accepted: the variable exists to log in to a
    portal on this machine, never to send credentials to another host.
    """
    parts = urlsplit(origin)
    if parts.hostname and not _is_loopback(parts.hostname):
        raise ProfileError(
            f'La variabile {ORIGIN_VARIABLE} non è valida: "{origin}". Può indicare '
            "solo un portale su questo computer (127.0.0.1, localhost o ::1)."
        )
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        not in (
            "",
            "/",
        )
    ):
        raise ProfileError(
            f'La variabile {ORIGIN_VARIABLE} non è valida: "{origin}". '
            "Serve un indirizzo come http://127.0.0.1:8080, senza percorso."
        )

    try:
        parts.port  # noqa: B018 - urllib checks the port's range only when read
    except ValueError:
        raise ProfileError(
            f'La variabile {ORIGIN_VARIABLE} non è valida: "{origin}". La porta '
            "deve essere un numero da 1 a 65535."
        ) from None

    def move(url: str) -> str:
        old = urlsplit(url)
        return urlunsplit(
            (parts.scheme, parts.netloc, old.path, old.query, old.fragment)
        )

    targets = {name: move(url) for name, url in profile.targets.items()}
    return replace(
        profile, login_url_template=move(profile.login_url_template), targets=targets
    )


def page_changed_result(profile: LoginProfile, element: str, url: str) -> LoginResult:
    """Log and return PAGE_CHANGED for an element of `profile` missing from the page."""
    log.warning(
        "Login page changed: %s not found; update %s", element, profile.override_path
    )
    folder = profile.override_path
    return LoginResult.of(
        LoginOutcome.PAGE_CHANGED,
        url,
        element=element,
        folder=f" ({folder.parent})" if folder else "",
    )
