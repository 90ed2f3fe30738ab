"""Figures that reach the keyring and the browser: import and login."""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop import Desktop, KeyringDaemon
from measure import Figure, Goal, figure
from workload import InMemoryFile, client_list_csv, new_password, new_pin

from desktop_env import LOCAL_ONLY_BROWSER_ARGS
from portal.server import LOGIN_PATH, PortalServer
from trayapp.app import open_studio
from trayapp.domain.credentials import Credentials
from trayapp.importing.service import WRITE, ImportProgress
from trayapp.login.engine import LoginEngine, launch_arguments
from trayapp.login.profile import load_profile

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
IMPORT_GOAL = Goal("≥ 500 rows/s", 500, at_least=True)
COLD_LOGIN_GOAL = Goal("≤ 1500 ms", 1500)
WARM_LOGIN_GOAL = Goal("≤ 500 ms", 500)
LOGIN_TIMEOUT = 60.0
# Rows written straight to the keyring for the import's floor.
FLOOR_ROWS = 50
USER_ID = "BNCGLI80A41H501P"


@contextmanager
def keyring_session(desktop: Desktop, name: str) -> Iterator[KeyringDaemon]:
    """Run a fresh, empty keyring daemon and point this process at it meanwhile."""
    daemon = desktop.new_keyring(name)
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = daemon.bus_address
    try:
        yield daemon
    finally:
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
        daemon.close()


class _TimeUp(Exception):
    """Raised from the progress callback to end an import that runs too long."""


def _import_rows_per_second(
    desktop: Desktop, rows: int, name: str, limit: float | None
) -> tuple[float, int]:
    """Return rows per second and the rows written, stopping after `limit` s.

    A stopped import leaves its secrets in this run's own keyring, which the
    benchmark throws away, and writes no index.
    """
    content = client_list_csv(rows)
    written = 0

    def progress(state: ImportProgress) -> None:
        nonlocal written
        if state.phase != WRITE:
            return
        written = state.done
        if limit is not None and time.perf_counter() - started > limit:
            raise _TimeUp()

    with keyring_session(desktop, name):
        home = desktop.folder(f"{name}-home")
        studio = open_studio(dict(os.environ, TRAYAPP_HOME=str(home)))
        try:
            started = time.perf_counter()
            try:
                report = studio.import_file(
                    InMemoryFile("clienti.csv", content),  # type: ignore[arg-type]
                    progress=progress,
                )
            except _TimeUp:
                elapsed = time.perf_counter() - started
                log.info("import stopped after %.0f s at row %d", elapsed, written)
                return written / elapsed, written
            elapsed = time.perf_counter() - started
        finally:
            studio.close()
    if report.imported != rows:
        first = report.rejected[0].as_dict() if report.rejected else {}
        raise RuntimeError(
            f"the import stored {report.imported} of {rows} rows; "
            f"{len(report.rejected)} rejected, first: {first}"
        )
    return rows / elapsed, rows


def _keyring_rows_per_second(desktop: Desktop, name: str) -> float:
    """Store a password and a PIN per row with the keyring library alone."""
    import keyring

    with keyring_session(desktop, name):
        backend = keyring.get_keyring()
        started = time.perf_counter()
        for row in range(FLOOR_ROWS):
            backend.set_password("trayapp-bench", f"{row}/password", new_password())
            backend.set_password("trayapp-bench", f"{row}/pin", new_pin())
        return FLOOR_ROWS / (time.perf_counter() - started)


def import_figures(
    desktop: Desktop, rows: int, repeats: int, limit: float | None = None
) -> list[Figure]:
    """Measure an import of `rows` generated rows into the real SecretService.

    With `limit`, an import still writing after that many seconds is
    stopped, and the figure is the rate over the rows written until then.
    """
    rates = []
    floors = []
    reached = rows
    for repeat in range(repeats):
        log.info("import of %d rows, %d/%d", rows, repeat + 1, repeats)
        rate, written = _import_rows_per_second(
            desktop, rows, f"import-{repeat}", limit
        )
        rates.append(rate)
        reached = min(reached, written)
        floors.append(_keyring_rows_per_second(desktop, f"import-floor-{repeat}"))
    stopped = (
        "" if reached == rows else f", stopped after {limit:.0f} s at row {reached}"
    )
    return [
        figure(
            f"import.rows{rows}",
            f"Import of {rows} rows with the keyring{stopped}",
            None,
            statistics.median(rates),
            "rows/s",
            statistics.median(floors),
            f"keyring.set_password x2 per row ({FLOOR_ROWS} rows)",
            repeats,
            IMPORT_GOAL,
        )
    ]


class TimedList(list):
    """A list that records the monotonic time of each append."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: object) -> None:
        self.times.append(time.perf_counter())
        super().append(item)


def _timed_login(
    engine: LoginEngine, portal: PortalServer, credentials: Credentials
) -> float:
    received = portal.state.received
    assert isinstance(received, TimedList)
    before = len(received.times)
    started = time.perf_counter()
    result = engine.login(credentials, "cassetto", timeout=LOGIN_TIMEOUT)
    if len(received.times) == before:
        raise RuntimeError(f"the portal received no login: {result.outcome}")
    return (received.times[before] - started) * 1000


def _floor_page_ms(portal: PortalServer, repeats: int) -> tuple[float, float]:
    """Return the median (cold, warm) ms for Playwright to show the login page."""
    from playwright.sync_api import sync_playwright

    cold = []
    warm = []
    url = portal.url(LOGIN_PATH)
    with sync_playwright() as playwright:
        for _ in range(repeats):
            started = time.perf_counter()
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=False,
                args=launch_arguments(),
            )
            browser.new_page(no_viewport=True).goto(url)
            cold.append((time.perf_counter() - started) * 1000)
            for _ in range(2):
                started = time.perf_counter()
                context = browser.new_context(no_viewport=True)
                context.new_page().goto(url)
                warm.append((time.perf_counter() - started) * 1000)
                context.close()
            browser.close()
    return statistics.median(cold), statistics.median(warm)


def login_figures(desktop: Desktop, repeats: int) -> list[Figure]:
    """Measure login to credentials received, with a cold and a running browser."""
    portal = PortalServer().start()
    portal.state.received = TimedList()
    saved = {
        key: os.environ.get(key)
        for key in ("TRAYAPP_PORTAL_ORIGIN", "TRAYAPP_BROWSER_ARGS")
    }
    os.environ["TRAYAPP_PORTAL_ORIGIN"] = portal.origin
    os.environ["TRAYAPP_BROWSER_ARGS"] = LOCAL_ONLY_BROWSER_ARGS
    try:
        credentials = Credentials(USER_ID, new_password(), new_pin())
        portal.accounts[credentials.user_id] = (credentials.password, credentials.pin)
        profile = load_profile(desktop.folder("login-config"))
        cold = []
        for repeat in range(repeats):
            log.info("cold login %d/%d", repeat + 1, repeats)
            with LoginEngine(profile, CHROMIUM) as engine:
                cold.append(_timed_login(engine, portal, credentials))
        warm = []
        with LoginEngine(profile, CHROMIUM) as engine:
            _timed_login(engine, portal, credentials)
            for repeat in range(repeats):
                log.info("login with the browser running %d/%d", repeat + 1, repeats)
                warm.append(_timed_login(engine, portal, credentials))
        floor_cold, floor_warm = _floor_page_ms(portal, repeats)
    finally:
        portal.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return [
        figure(
            "login_cold",
            "Login to credentials at the portal, cold browser",
            None,
            statistics.median(cold),
            "ms",
            floor_cold,
            "Playwright launch + login page",
            repeats,
            COLD_LOGIN_GOAL,
        ),
        figure(
            "login_warm",
            "Login to credentials at the portal, browser running",
            None,
            statistics.median(warm),
            "ms",
            floor_warm,
            "Playwright new context + login page",
            repeats,
            WARM_LOGIN_GOAL,
        ),
    ]
