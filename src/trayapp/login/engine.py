"""The login engine: fills the portal's login page in a real, driven browser.

Playwright's sync API is bound to the thread that started it, and the tray
calls from any thread, so one worker thread owns Playwright, the browser and
every login window, and serves requests from a queue.
"""

from __future__ import annotations

import logging
import os
import queue
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from trayapp.domain.credentials import Credentials
from trayapp.login.outcome import LoginOutcome, LoginResult
from trayapp.login.profile import LoginProfile, page_changed_result

log = logging.getLogger(__name__)

T = TypeVar("T")

EXTRA_ARGS_VARIABLE = "TRAYAPP_BROWSER_ARGS"

# Keep the driven browser quiet: no first-run pages, no background traffic to
# the vendor, no sync, no offer to save the client's password.
# NOTE: "--disable-save-password-bubble" is ignored by recent Chromium; the
# contexts are off the record, but Chromium could still offer to save.
BASE_ARGS = (
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--password-store=basic",
    "--disable-save-password-bubble",
)

DEFAULT_TIMEOUT = 60.0
# Time allowed for finding a page element before the page counts as changed.
FIND_TIMEOUT = 10.0
# Extra wait on the caller's side for the worker's own launch and clean-up.
CALLER_MARGIN = 30.0
# Interval at which the idle worker lets Playwright deliver window events.
# A login asked while a login window is open waits up to this long to start.
EVENT_POLL_MS = 50


def launch_arguments(
    extra_args: Sequence[str] = (), environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Return the browser's command-line arguments, with TRAYAPP_BROWSER_ARGS."""
    args = list(BASE_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to start as root with its sandbox on.
        args.append("--no-sandbox")
    args.extend(extra_args)
    args.extend(shlex.split(environ.get(EXTRA_ARGS_VARIABLE, "")))
    return args


@dataclass
class _LoginRequest:
    credentials: Credentials
    target: str
    timeout: float
    profile: LoginProfile
    future: Future[LoginResult] = field(default_factory=Future)


@dataclass
class _PageCall:
    function: Callable[[Any], Any]
    future: Future[Any] = field(default_factory=Future)


class _PageChanged(Exception):
    """An element of the profile was not found; carries its Italian description."""


class LoginEngine:
    """Logs in to the portal in windows of one shared, driven browser."""

    def __init__(
        self,
        profile: LoginProfile,
        browser_path: str | os.PathLike[str],
        extra_args: Sequence[str] = (),
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self._profile = profile
        self._browser_path = os.fspath(browser_path)
        self._args = launch_arguments(extra_args, environ)
        self._requests: queue.Queue[_LoginRequest | _PageCall | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._windows_changed = threading.Condition()
        self._open_windows = 0
        self._pending = 0
        # Owned by the worker thread only.
        self._playwright: Any = None
        self._browser: Any = None
        self._contexts: list[Any] = []

    def login(
        self,
        credentials: Credentials,
        target: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        profile: LoginProfile | None = None,
    ) -> LoginResult:
        """Log in and open `target`; block until the outcome is known.

        `profile` replaces the engine's profile for this login, so a profile
        file edited since the engine started applies without a restart. The
        window stays open for the user whatever the outcome. Raises
        ValueError for an unknown target and RuntimeError once closed.
        """
        profile = profile or self._profile
        target = target or profile.default_target
        profile.target_url(target)
        request = _LoginRequest(credentials, target, timeout, profile)
        with self._lock:
            if self._closed:
                raise RuntimeError("the login engine is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="login-engine", daemon=True
                )
                self._thread.start()
            with self._windows_changed:
                self._pending += 1
            self._requests.put(request)
        try:
            return request.future.result(timeout + CALLER_MARGIN)
        except FutureTimeout:
            log.error("Login of %s got no outcome in time", credentials.user_id)
            return LoginResult.of(LoginOutcome.TIMEOUT, seconds=round(timeout))

    def call_on_last_page(self, function: Callable[[Any], T], timeout: float = 30) -> T:
        """Run `function(page)` on the worker with the newest open login page.

        The page is a Playwright sync ``Page``; this is for diagnostics and
        tests. Raises LookupError when no login window is open.
        """
        call = _PageCall(function)
        with self._lock:
            if self._closed or self._thread is None:
                raise LookupError("no login window is open")
            self._requests.put(call)
        result: T = call.future.result(timeout)
        return result

    def wait_until_closed(self, timeout: float | None = None) -> bool:
        """Block until the user has closed every login window; False on timeout."""
        with self._windows_changed:
            return self._windows_changed.wait_for(
                lambda: self._open_windows == 0 and self._pending == 0, timeout
            )

    def close(self) -> None:
        """Close the browser and stop the worker thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._requests.put(None)
            thread.join(30)
            if thread.is_alive():
                log.error("The login engine's worker did not stop within 30 s")

    def __enter__(self) -> LoginEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Worker thread -------------------------------------------------------

    def _serve(self) -> None:
        log.info("Login engine started with browser %s", self._browser_path)
        try:
            while True:
                request = self._next_request()
                if request is None:
                    break
                if isinstance(request, _PageCall):
                    self._call_on_page(request)
                    self._forget_closed_windows()
                    continue
                request.future.set_result(self._handle(request))
                with self._windows_changed:
                    self._pending -= 1
                    self._windows_changed.notify_all()
                self._forget_closed_windows()
        finally:
            self._shut_down()
            log.info("Login engine stopped")

    def _call_on_page(self, call: _PageCall) -> None:
        pages = [
            page for c in self._contexts for page in c.pages if not page.is_closed()
        ]
        if not pages:
            call.future.set_exception(LookupError("no login window is open"))
            return
        try:
            call.future.set_result(call.function(pages[-1]))
        except Exception as exc:  # noqa: BLE001 - handed back to the caller
            call.future.set_exception(exc)

    def _next_request(self) -> _LoginRequest | _PageCall | None:
        """Wait for a request while letting Playwright report closed windows."""
        while True:
            page = self._any_open_page()
            if page is None:
                return self._requests.get()
            try:
                return self._requests.get_nowait()
            except queue.Empty:
                pass
            try:
                page.wait_for_timeout(EVENT_POLL_MS)
            except Exception:  # noqa: BLE001 - the page closed during the wait
                log.debug("Window closed while waiting for events")
            self._forget_closed_windows()

    def _any_open_page(self) -> Any:
        for context in self._contexts:
            for page in context.pages:
                if not page.is_closed():
                    return page
        return None

    def _forget_closed_windows(self) -> None:
        still_open = []
        for context in self._contexts:
            if any(not page.is_closed() for page in context.pages):
                still_open.append(context)
            else:
                self._close_quietly(context)
        self._contexts = still_open
        with self._windows_changed:
            self._open_windows = len(still_open)
            self._windows_changed.notify_all()

    def _handle(self, request: _LoginRequest) -> LoginResult:
        user_id = request.credentials.user_id
        log.info("Login of %s to %s started", user_id, request.target)
        try:
            result = self._login_in_browser(request)
        except Exception:
            log.exception("Login of %s failed unexpectedly", user_id)
            result = LoginResult.of(LoginOutcome.UNKNOWN, detail="errore interno")
        log.info(
            "Login of %s ended: %s (%s)", user_id, result.outcome, result.final_url
        )
        return result

    def _ensure_browser(self) -> Any:
        from playwright.sync_api import Error, sync_playwright

        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self._browser_path,
                headless=False,
                args=self._args,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except Error as exc:
            log.error("Launching %s failed: %s", self._browser_path, exc.message)
            self._browser = None
            return None
        log.info("Browser %s %s launched", self._browser_path, self._browser.version)
        self._contexts = []
        return self._browser

    def _login_in_browser(self, request: _LoginRequest) -> LoginResult:
        from playwright.sync_api import Error
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        browser = self._ensure_browser()
        if browser is None:
            return LoginResult.of(
                LoginOutcome.BROWSER_MISSING, browser=self._browser_path
            )
        context = browser.new_context(no_viewport=True)
        self._contexts.append(context)
        page = context.new_page()
        steps = _LoginSteps(request.profile, page, request)
        try:
            return steps.run()
        except _PageChanged as exc:
            return page_changed_result(request.profile, exc.args[0], page.url)
        except PlaywrightTimeout:
            log.warning("Login of %s timed out", request.credentials.user_id)
            return LoginResult.of(
                LoginOutcome.TIMEOUT, page.url, seconds=round(request.timeout)
            )
        except Error as exc:
            if "net::ERR_" in exc.message:
                log.warning("Portal unreachable: %s", exc.message.splitlines()[0])
                return LoginResult.of(LoginOutcome.PORTAL_UNREACHABLE, page.url)
            raise

    def _shut_down(self) -> None:
        for context in self._contexts:
            self._close_quietly(context)
        self._contexts = []
        with self._windows_changed:
            self._open_windows = 0
            self._windows_changed.notify_all()
        if self._browser is not None:
            self._close_quietly(self._browser)
            self._browser = None
        if self._playwright is not None:
            try:
                self._playwright.stop()
            except Exception:
                log.exception("Stopping Playwright failed")
            self._playwright = None

    @staticmethod
    def _close_quietly(closable: Any) -> None:
        try:
            closable.close()
        except Exception:
            log.exception("Closing %s failed", type(closable).__name__)


class _LoginSteps:
    """The steps of one login on one page, each bounded by the request's timeout."""

    def __init__(self, profile: LoginProfile, page: Any, request: _LoginRequest):
        self._profile = profile
        self._page = page
        self._request = request
        self._clock: Callable[[], float] = time.monotonic
        self._deadline = self._clock() + request.timeout

    def remaining_ms(self, cap: float | None = None) -> float:
        """Return the milliseconds left before the deadline, at most `cap` seconds."""
        left = max(self._deadline - self._clock(), 0.05)
        if cap is not None:
            left = min(left, cap)
        return left * 1000

    def run(self) -> LoginResult:
        profile, page = self._profile, self._page
        # The login page is a JavaScript app: its fields appear after the DOM
        # is ready, and `find` below waits for them, so waiting for every
        # image and font ("load") would only add time.
        response = page.goto(
            profile.login_url(self._request.target),
            timeout=self.remaining_ms(),
            wait_until="domcontentloaded",
        )
        if response is not None and response.status >= 500:
            log.warning("Login page returned HTTP %s", response.status)
            return LoginResult.of(LoginOutcome.PORTAL_UNREACHABLE, page.url)
        tab = self.find(page, profile.tab_selectors, "la scheda Fisconline/Entratel")
        # A real mouse click: the portal ignores synthetic (untrusted) clicks.
        tab.click(timeout=self.remaining_ms())
        panel = page.locator(profile.panel_selector).first
        self.wait_visible(panel, "il riquadro Fisconline/Entratel")
        credentials = self._request.credentials
        fields = (
            ("il campo del nome utente", profile.user_selectors, credentials.user_id),
            (
                "il campo della password",
                profile.password_selectors,
                credentials.password,
            ),
            ("il campo del PIN", profile.pin_selectors, credentials.pin),
        )
        for description, selectors, value in fields:
            self.fill(self.find(page, selectors, description), value, description)
        submit = self.find(panel, profile.submit_selectors, 'il pulsante "Accedi"')
        return self.submit(submit)

    def find(self, scope: Any, selectors: Sequence[str], description: str) -> Any:
        """Return the first selector's element that exists, or raise _PageChanged."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            scope.locator(", ".join(selectors)).first.wait_for(
                state="attached", timeout=self.remaining_ms(FIND_TIMEOUT)
            )
        except PlaywrightTimeout:
            raise _PageChanged(description) from None
        for selector in selectors:
            locator = scope.locator(selector)
            if locator.count() > 0:
                log.debug("found %s with %s", description, selector)
                return locator.first
        raise _PageChanged(description)

    def wait_visible(self, locator: Any, description: str) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            locator.wait_for(state="visible", timeout=self.remaining_ms(FIND_TIMEOUT))
        except PlaywrightTimeout:
            raise _PageChanged(description) from None

    def fill(self, locator: Any, value: str, description: str) -> None:
        """Fill a field; on failure, report the field but never the value."""
        from playwright.sync_api import Error

        try:
            locator.fill(value, timeout=self.remaining_ms(FIND_TIMEOUT))
            log.debug("filled %s", description)
        except Error as exc:
            log.warning("Filling %s failed (%s)", description, type(exc).__name__)
            raise _PageChanged(description) from None

    def submit(self, button: Any) -> LoginResult:
        """Click "Accedi" and read the outcome from the login API's response."""
        page, profile = self._page, self._profile

        def is_login_call(request: Any) -> bool:
            return request.method == "POST" and (
                urlsplit(request.url).path == profile.api_path
            )

        with page.expect_request(is_login_call, timeout=self.remaining_ms()) as info:
            button.click(timeout=self.remaining_ms())
        api_request = info.value
        response = api_request.response()
        if response is None:
            log.warning("Login request failed: %s", api_request.failure)
            return LoginResult.of(LoginOutcome.PORTAL_UNREACHABLE, page.url)
        if response.status == 200:
            return self.follow_to_target()
        if response.status == 401:
            return self.failure(response)
        log.warning("Login API returned HTTP %s", response.status)
        return LoginResult.of(
            LoginOutcome.UNKNOWN, page.url, detail=f"HTTP {response.status}"
        )

    def follow_to_target(self) -> LoginResult:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        target = urlsplit(self._profile.target_url(self._request.target))

        def reached(url: str) -> bool:
            parts = urlsplit(url)
            return parts.netloc == target.netloc and parts.path == target.path

        try:
            self._page.wait_for_url(reached, timeout=self.remaining_ms())
        except PlaywrightTimeout:
            log.warning("Login accepted, but %s was not reached", target.geturl())
        return LoginResult.of(LoginOutcome.SUCCESS, self._page.url)

    def failure(self, response: Any) -> LoginResult:
        try:
            code = response.json().get("details")
        except Exception:  # noqa: BLE001 - any unreadable body is "no code"
            code = None
        outcome = self._profile.failure_codes.get(str(code))
        if outcome is None:
            log.warning("Login API returned 401 with unknown code %r", code)
            detail = f"codice {code}" if code else "HTTP 401"
            return LoginResult.of(LoginOutcome.UNKNOWN, self._page.url, detail=detail)
        return LoginResult.of(outcome, self._page.url)
