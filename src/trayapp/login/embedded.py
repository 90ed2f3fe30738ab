"""The embedded login engine: logs in inside a pywebview window of its own.

It serves machines without a Chromium-family browser, and users who set
TRAYAPP_BROWSER=embedded. Every login runs in a new process started with the
"spawn" method, because pywebview wants the main thread of its process. Each
process has an off-the-record Qt WebEngine profile, so logins share no
cookies and write no cookies or form data to disk.

The credentials reach the child only through the multiprocessing pipe, and
the outcome comes back the same way. The child types nothing: it sets the
fields by script through Qt's runJavaScript, which logs neither the script
nor its result, and it clicks the tab and "Accedi" with native mouse events,
so the page receives trusted clicks.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

from trayapp.domain.credentials import Credentials
from trayapp.login.outcome import LoginOutcome, LoginResult
from trayapp.login.profile import LoginProfile, page_changed_result

log = logging.getLogger(__name__)

EMBEDDED_BROWSER = "embedded"

WINDOW_TITLE = "trayapp – Accesso all'Agenzia delle Entrate"
WINDOW_SIZE = (1100, 800)

DEFAULT_TIMEOUT = 60.0
# Time allowed for finding a page element before the page counts as changed.
FIND_TIMEOUT = 10.0
# Extra wait on the caller's side for starting the process and Qt WebEngine.
CALLER_MARGIN = 30.0
# Time after a click within which the page must react before it is clicked
# again. A lost click on "Accedi" is repeated only if no login request left.
CLICK_REACTION = 2.0
MAX_CLICKS = 3
POLL_INTERVAL = 0.1
# Wait for one script's result. A navigation can drop the result, and then
# the next poll runs the script again.
SCRIPT_TIMEOUT = 3.0
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True)
class _LoginRequest:
    credentials: Credentials
    target: str
    timeout: float
    profile: LoginProfile


class EmbeddedLoginEngine:
    """Logs in to the portal, each login in a pywebview window and process of its own."""

    def __init__(self, profile: LoginProfile) -> None:
        self._profile = profile
        self._lock = threading.Lock()
        self._closed = False
        self._processes: list[multiprocessing.process.BaseProcess] = []

    def login(
        self,
        credentials: Credentials,
        target: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        profile: LoginProfile | None = None,
    ) -> LoginResult:
        """Log in and open `target` in a new window; block until the outcome is known.

        The window stays open for the user whatever the outcome. Raises
        ValueError for an unknown target and RuntimeError once closed.
        """
        profile = profile or self._profile
        target = target or profile.default_target
        profile.target_url(target)
        request = _LoginRequest(credentials, target, timeout, profile)
        context = multiprocessing.get_context("spawn")
        connection, child_connection = context.Pipe()
        with self._lock:
            if self._closed:
                raise RuntimeError("the login engine is closed")
            process = context.Process(
                target=_run_login_window,
                args=(child_connection,),
                name="trayapp-login",
                daemon=True,
            )
            process.start()
            self._processes.append(process)
        child_connection.close()
        log.info(
            "Embedded login of %s to %s started in process %s",
            credentials.user_id,
            target,
            process.pid,
        )
        try:
            return self._exchange(connection, request, process)
        finally:
            connection.close()

    def _exchange(
        self,
        connection: Connection,
        request: _LoginRequest,
        process: multiprocessing.process.BaseProcess,
    ) -> LoginResult:
        user_id = request.credentials.user_id
        try:
            connection.send(request)
            if not connection.poll(request.timeout + CALLER_MARGIN):
                log.error("Embedded login of %s got no outcome in time", user_id)
                return LoginResult.of(
                    LoginOutcome.TIMEOUT, seconds=round(request.timeout)
                )
            result: LoginResult = connection.recv()
        except (EOFError, OSError):
            process.join(1)
            log.error(
                "Login window of %s ended (exit code %s) before the outcome",
                user_id,
                process.exitcode,
            )
            return LoginResult.of(
                LoginOutcome.UNKNOWN, detail="finestra di accesso chiusa"
            )
        log.info(
            "Embedded login of %s ended: %s (%s)",
            user_id,
            result.outcome,
            result.final_url,
        )
        return result

    def wait_until_closed(self, timeout: float | None = None) -> bool:
        """Block until the user has closed every login window; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            process.join(left)
            if process.is_alive():
                return False
        return True

    def close(self) -> None:
        """Close every login window by ending its process."""
        with self._lock:
            self._closed = True
            processes, self._processes = self._processes, []
        for process in processes:
            if not process.is_alive():
                continue
            process.terminate()
            process.join(CLOSE_TIMEOUT)
            if process.is_alive():
                log.error("Login window process %s ignored SIGTERM", process.pid)
                process.kill()
                process.join(CLOSE_TIMEOUT)

    def __enter__(self) -> EmbeddedLoginEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# Child process -------------------------------------------------------------


def _run_login_window(connection: Connection) -> None:
    """Receive one login request, show its window and send back the outcome."""
    from trayapp.window.app import configure_qtwebengine, make_gui_bridge

    request: _LoginRequest = connection.recv()
    configure_qtwebengine(os.environ)
    import webview

    gui = make_gui_bridge()
    window = webview.create_window(
        WINDOW_TITLE,
        url=request.profile.login_url(request.target),
        width=WINDOW_SIZE[0],
        height=WINDOW_SIZE[1],
    )
    if window is None:
        raise RuntimeError("pywebview did not create the login window")

    def started() -> None:
        try:
            result = _drive_login(window, gui, request)
        except Exception:
            log.exception(
                "Login of %s failed unexpectedly", request.credentials.user_id
            )
            result = LoginResult.of(LoginOutcome.UNKNOWN, detail="errore interno")
        connection.send(result)
        connection.close()

    # private_mode gives each window an off-the-record QWebEngineProfile.
    webview.start(started, gui="qt", private_mode=True)


def _drive_login(window: Any, gui: Any, request: _LoginRequest) -> LoginResult:
    if not window.events.shown.wait(FIND_TIMEOUT):
        return LoginResult.of(LoginOutcome.UNKNOWN, detail="finestra non mostrata")
    page = _QtPage(window.native.webview, gui)
    steps = _EmbeddedSteps(request, page)
    try:
        return steps.run()
    except _PageChanged as exc:
        return page_changed_result(request.profile, exc.args[0], steps.url)
    except _PortalUnreachable:
        log.warning("Portal unreachable: the login page did not load")
        return LoginResult.of(LoginOutcome.PORTAL_UNREACHABLE, steps.url)


class _PageChanged(Exception):
    """An element of the profile was not found; carries its Italian description."""


class _PortalUnreachable(Exception):
    """The web view shows its own error page in place of the portal's."""


class _QtPage:
    """Scripts and native clicks on a QWebEngineView, from a worker thread."""

    def __init__(self, view: Any, gui: Any) -> None:
        self._view = view
        self._gui = gui

    def evaluate(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> Any:
        """Run `script`, which returns a JSON string, and return its decoded value.

        Returns None when the page drops the script, as during a navigation.
        """
        future: Future[Any] = Future()

        def run() -> None:
            self._view.page().runJavaScript(script, 0, future.set_result)

        self._gui.run.emit(run)
        try:
            text = future.result(timeout)
        except FutureTimeout:
            return None
        return json.loads(text) if isinstance(text, str) else None

    def click(self, x: float, y: float) -> None:
        """Send a native mouse move, left press and release at page point (x, y)."""
        view = self._view

        def post() -> None:
            from qtpy.QtCore import QEvent, QPointF, Qt
            from qtpy.QtGui import QMouseEvent
            from qtpy.QtWidgets import QApplication

            # Qt WebEngine takes mouse input on the view's focus proxy, its render widget.
            widget = view.focusProxy() or view
            zoom = view.zoomFactor()
            local = QPointF(x * zoom, y * zoom)
            screen = QPointF(widget.mapToGlobal(local.toPoint()))
            left = Qt.MouseButton.LeftButton
            no_button = Qt.MouseButton.NoButton
            for kind, button, buttons in (
                (QEvent.Type.MouseMove, no_button, no_button),
                (QEvent.Type.MouseButtonPress, left, left),
                (QEvent.Type.MouseButtonRelease, left, no_button),
            ):
                event = QMouseEvent(
                    kind, local, screen, button, buttons, Qt.KeyboardModifier.NoModifier
                )
                QApplication.postEvent(widget, event)

        self._gui.run.emit(post)


# Scripts run in the login page. Each returns a JSON string. Selectors and
# values go in as JSON literals, so no quoting can break out of them.

_STATE_SCRIPT = "JSON.stringify({href: location.href, ready: document.readyState})"

_FIND_SCRIPT = """(() => {
  const scope = %(scope)s === null ? document : document.querySelector(%(scope)s);
  if (!scope) return "null";
  for (const selector of %(selectors)s) {
    const element = scope.querySelector(selector);
    if (!element) continue;
    element.scrollIntoView({block: "center", inline: "center"});
    const box = element.getBoundingClientRect();
    return JSON.stringify({x: box.left + box.width / 2, y: box.top + box.height / 2});
  }
  return "null";
})()"""

_VISIBLE_SCRIPT = """(() => {
  const element = document.querySelector(%(selector)s);
  if (!element) return "false";
  const box = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  const shown = style.display !== "none" && style.visibility !== "hidden";
  return JSON.stringify(shown && box.width > 0 && box.height > 0);
})()"""

_MISSING_FIELD_SCRIPT = """(() => {
  const groups = %(groups)s;
  const missing = groups.findIndex(
    (selectors) => !selectors.some((selector) => document.querySelector(selector))
  );
  return JSON.stringify(missing);
})()"""

# Sets each value with the native setter, so frameworks that track the value
# see the change, and sends the events that typing would send.
_FILL_SCRIPT = """(() => {
  const setter = Object.getOwnPropertyDescriptor(
    HTMLInputElement.prototype, "value"
  ).set;
  let filled = 0;
  for (const [selectors, value] of %(fields)s) {
    const element = selectors
      .map((selector) => document.querySelector(selector))
      .find((found) => found);
    if (!element) continue;
    element.focus();
    setter.call(element, value);
    element.dispatchEvent(new Event("input", {bubbles: true}));
    element.dispatchEvent(new Event("change", {bubbles: true}));
    filled += 1;
  }
  return JSON.stringify(filled);
})()"""

# Records the login API's response in window.__trayappLogin: "sent" when the
# request leaves, then "status" and, for a failure, the "details" code.
_WATCH_SCRIPT = """(() => {
  if (window.__trayappLogin) return "true";
  const state = {sent: false, done: false, status: null, details: null};
  window.__trayappLogin = state;
  const apiPath = %(api_path)s;
  const isLoginCall = (url) => {
    try {
      return new URL(String(url), location.href).pathname === apiPath;
    } catch (error) {
      return false;
    }
  };
  const readDetails = (text) => {
    try {
      const body = JSON.parse(text);
      return body && body.details != null ? String(body.details) : null;
    } catch (error) {
      return null;
    }
  };
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = input instanceof Request ? input.url : input;
    const promise = originalFetch.apply(this, arguments);
    if (isLoginCall(url)) {
      state.sent = true;
      promise.then(
        (response) => {
          state.status = response.status;
          if (response.ok) {
            state.done = true;
            return;
          }
          response.clone().text().then(
            (text) => { state.details = readDetails(text); state.done = true; },
            () => { state.done = true; }
          );
        },
        () => { state.status = 0; state.done = true; }
      );
    }
    return promise;
  };
  const originalOpen = XMLHttpRequest.prototype.open;
  const originalSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__trayappLoginCall = isLoginCall(url);
    return originalOpen.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.__trayappLoginCall) {
      state.sent = true;
      this.addEventListener("loadend", () => {
        state.status = this.status;
        if (this.status !== 200) {
          const text = this.responseType === "" || this.responseType === "text"
            ? this.responseText
            : JSON.stringify(this.response);
          state.details = readDetails(text);
        }
        state.done = true;
      });
    }
    return originalSend.apply(this, arguments);
  };
  return "true";
})()"""

_POLL_SCRIPT = (
    "JSON.stringify({href: location.href, api: window.__trayappLogin || null})"
)


def _js(value: object) -> str:
    return json.dumps(value)


class _EmbeddedSteps:
    """The steps of one login in the web view, each bounded by the request's timeout."""

    def __init__(self, request: _LoginRequest, page: _QtPage) -> None:
        self._request = request
        self._profile = request.profile
        self._page = page
        self._deadline = time.monotonic() + request.timeout
        self.url = ""

    def remaining(self, cap: float | None = None) -> float:
        """Return the seconds left before the deadline, at most `cap`."""
        left = max(self._deadline - time.monotonic(), 0.0)
        return left if cap is None else min(left, cap)

    def wait_for(
        self, probe: Callable[[], Any], seconds: float, expected: Any = None
    ) -> Any:
        """Call `probe` until it returns a truthy value, or `expected` if given.

        Returns None when `seconds` pass first, and raises _Timeout at the deadline.
        """
        end = time.monotonic() + seconds
        while True:
            value = self.with_timeout(probe)
            done = value == expected if expected is not None else bool(value)
            if done:
                return value
            if time.monotonic() >= end:
                return None
            time.sleep(POLL_INTERVAL)

    def with_timeout(self, probe: Callable[[], Any]) -> Any:
        if self.remaining() <= 0:
            raise _Timeout
        return probe()

    def run(self) -> LoginResult:
        try:
            return self._run()
        except _Timeout:
            log.warning("Login of %s timed out", self._request.credentials.user_id)
            return LoginResult.of(
                LoginOutcome.TIMEOUT, self.url, seconds=round(self._request.timeout)
            )

    def _run(self) -> LoginResult:
        profile = self._profile
        self.wait_loaded()
        tab = self.find(profile.tab_selectors, "la scheda Fisconline/Entratel")
        self.click_until(tab, lambda: self.is_visible(profile.panel_selector))
        if not self.wait_for(
            lambda: self.is_visible(profile.panel_selector),
            self.remaining(FIND_TIMEOUT),
        ):
            raise _PageChanged("il riquadro Fisconline/Entratel")
        self.fill_fields()
        submit = self.find(
            profile.submit_selectors,
            'il pulsante "Accedi"',
            scope=profile.panel_selector,
        )
        watch = _WATCH_SCRIPT % {"api_path": _js(profile.api_path)}
        if not self.wait_for(lambda: self._page.evaluate(watch), self.remaining(5)):
            raise _PageChanged("la pagina di accesso")
        self.click_until(submit, self.login_request_sent)
        return self.read_outcome()

    def wait_loaded(self) -> None:
        """Wait until the login page has loaded; raise _PortalUnreachable if it failed."""
        login_url = urlsplit(self._profile.login_url(self._request.target))

        def loaded() -> bool:
            state = self._page.evaluate(_STATE_SCRIPT)
            if not state:
                return False
            self.url = state["href"]
            if self.url.startswith("chrome-error:"):
                raise _PortalUnreachable
            parts = urlsplit(self.url)
            return state["ready"] == "complete" and parts.path == login_url.path

        if not self.wait_for(loaded, self.remaining()):
            raise _Timeout

    def find(
        self, selectors: Sequence[str], description: str, scope: str | None = None
    ) -> dict[str, float]:
        """Return the centre of the first selector's element, or raise _PageChanged."""
        script = _FIND_SCRIPT % {"scope": _js(scope), "selectors": _js(list(selectors))}
        centre = self.wait_for(
            lambda: self._page.evaluate(script), self.remaining(FIND_TIMEOUT)
        )
        if not centre:
            raise _PageChanged(description)
        return dict(centre)

    def is_visible(self, selector: str) -> bool:
        return bool(self._page.evaluate(_VISIBLE_SCRIPT % {"selector": _js(selector)}))

    def click_until(
        self, centre: dict[str, float], reacted: Callable[[], bool]
    ) -> None:
        """Click at `centre` until `reacted()` holds, at most MAX_CLICKS times."""
        for _attempt in range(MAX_CLICKS):
            self._page.click(centre["x"], centre["y"])
            if self.wait_for(reacted, self.remaining(CLICK_REACTION)):
                return

    def login_request_sent(self) -> bool:
        """Return whether the login request left, or the page moved on already."""
        poll = self._page.evaluate(_POLL_SCRIPT)
        return poll is None or poll["api"] is None or bool(poll["api"]["sent"])

    def fill_fields(self) -> None:
        """Set user id, password and PIN; never log, return or raise a value."""
        profile, credentials = self._profile, self._request.credentials
        fields = (
            ("il campo del nome utente", profile.user_selectors, credentials.user_id),
            (
                "il campo della password",
                profile.password_selectors,
                credentials.password,
            ),
            ("il campo del PIN", profile.pin_selectors, credentials.pin),
        )
        groups = _js([list(selectors) for _name, selectors, _value in fields])
        missing = self.wait_for(
            lambda: self._page.evaluate(_MISSING_FIELD_SCRIPT % {"groups": groups}),
            self.remaining(FIND_TIMEOUT),
            expected=-1,
        )
        if missing != -1:
            index = self._page.evaluate(_MISSING_FIELD_SCRIPT % {"groups": groups})
            raise _PageChanged(fields[index if isinstance(index, int) else 0][0])
        values = _js([[list(selectors), value] for _name, selectors, value in fields])
        filled = self._page.evaluate(_FILL_SCRIPT % {"fields": values})
        if filled != len(fields):
            raise _PageChanged("i campi di accesso")

    def read_outcome(self) -> LoginResult:
        """Poll the recorded API response and turn it into a LoginResult."""
        target = urlsplit(self._profile.target_url(self._request.target))
        while True:
            poll = self.with_timeout(lambda: self._page.evaluate(_POLL_SCRIPT))
            if poll is not None:
                self.url = poll["href"]
                api = poll["api"]
                if api is not None and api["done"]:
                    return self.outcome_of(api, target)
                if api is None and self.reached(target):
                    # The watched page is gone and the target is shown, which
                    # only an accepted login leads to: the page navigated
                    # before a poll could read the response.
                    return LoginResult.of(LoginOutcome.SUCCESS, self.url)
                # NOTE: a page other than the target after a lost response
                # (such as a password-change page) ends as TIMEOUT.
            time.sleep(POLL_INTERVAL)

    def reached(self, target: Any) -> bool:
        parts = urlsplit(self.url)
        return parts.netloc == target.netloc and parts.path == target.path

    def outcome_of(self, api: dict[str, Any], target: Any) -> LoginResult:
        status = api["status"]
        if status == 200:
            return self.follow_to_target(target)
        if status == 401:
            return self.failure(api["details"])
        if status == 0:
            log.warning("Login request failed before a response")
            return LoginResult.of(LoginOutcome.PORTAL_UNREACHABLE, self.url)
        log.warning("Login API returned HTTP %s", status)
        return LoginResult.of(LoginOutcome.UNKNOWN, self.url, detail=f"HTTP {status}")

    def follow_to_target(self, target: Any) -> LoginResult:
        def at_target() -> bool:
            poll = self._page.evaluate(_POLL_SCRIPT)
            if poll is not None:
                self.url = poll["href"]
            return self.reached(target)

        try:
            if not self.wait_for(at_target, self.remaining()):
                log.warning("Login accepted, but %s was not reached", target.geturl())
        except _Timeout:
            log.warning("Login accepted, but %s was not reached", target.geturl())
        return LoginResult.of(LoginOutcome.SUCCESS, self.url)

    def failure(self, code: str | None) -> LoginResult:
        outcome = self._profile.failure_codes.get(str(code))
        if outcome is None:
            log.warning("Login API returned 401 with unknown code %r", code)
            detail = f"codice {code}" if code else "HTTP 401"
            return LoginResult.of(LoginOutcome.UNKNOWN, self.url, detail=detail)
        return LoginResult.of(outcome, self.url)


class _Timeout(Exception):
    """The request's deadline passed."""
