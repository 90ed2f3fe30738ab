"""The choice of login engine: a Chromium-family browser or the embedded window."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from trayapp.login.browser import BROWSER_VARIABLE, BrowserNotFound, find_browser
from trayapp.login.embedded import EMBEDDED_BROWSER, EmbeddedLoginEngine
from trayapp.login.engine import LoginEngine
from trayapp.login.profile import LoginProfile

log = logging.getLogger(__name__)


def open_login_engine(
    profile: LoginProfile, environ: Mapping[str, str]
) -> LoginEngine | EmbeddedLoginEngine:
    """Return the engine for logins: the browser found, else the embedded window.

    TRAYAPP_BROWSER=embedded picks the embedded window. A browser named in
    TRAYAPP_BROWSER that cannot run raises BrowserNotFound, because that is
    a setting to fix rather than a reason to fall back.
    """
    if environ.get(BROWSER_VARIABLE) == EMBEDDED_BROWSER:
        log.info("Logins use the embedded window, as %s asks", BROWSER_VARIABLE)
        return EmbeddedLoginEngine(profile)
    try:
        browser = find_browser(environ=environ)
    except BrowserNotFound as exc:
        if environ.get(BROWSER_VARIABLE):
            raise
        log.warning(
            "No usable Chromium-family browser (%s): logins use the embedded window",
            exc,
        )
        return EmbeddedLoginEngine(profile)
    return LoginEngine(profile, browser, environ=environ)
