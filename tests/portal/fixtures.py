"""Pytest fixtures for the test portal (registered from conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.server import PortalServer

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalServer]:
    """Start a test portal and point TRAYAPP_PORTAL_ORIGIN at it."""
    server = PortalServer().start()
    monkeypatch.setenv("TRAYAPP_PORTAL_ORIGIN", server.origin)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Return Debian's Chromium, which the login tests drive."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is not installed: run scripts/test once to install it")
    return CHROMIUM
