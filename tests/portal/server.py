"""The test portal: an HTTP server on 127.0.0.1 shaped like the AdE login page."""

from __future__ import annotations

import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from string import Template
from urllib.parse import parse_qs, quote, urlsplit

LOGIN_PATH = "/sam/UI/Login"
API_PATH = "/api/login/telematico"
SESSION_COOKIE = "SIAMPE"
FAILURE_CODES = ("INVALID_CREDENTIALS", "PASSWORD_EXPIRED", "ACCOUNT_LOCKED")

# Layouts of the login page: the current one, the older one (password field
# without "-1" and a ".btn-accedi" button) and the current one without a PIN.
LAYOUTS = ("current", "older", "no-pin")

_PIN_FIELD = (
    '<label for="pin-fo-ent">PIN</label>\n'
    '  <input type="password" id="pin-fo-ent" name="IDToken3" autocomplete="off">'
)
_CURRENT_BUTTON = (
    '<button type="submit" class="btn btn-primary" id="fo-submit">Accedi</button>'
)
_OLDER_BUTTON = (
    '<button type="button" class="btn btn-accedi" id="fo-submit">Accedi</button>'
)

_HOME_TITLES = {
    "/CassHomeWeb/home": "Cassetto fiscale",
    "/PortaleWeb/home": "Area riservata",
}


@dataclass
class PortalState:
    """Configuration of the portal and what it received, shared with the tests."""

    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    account_codes: dict[str, str] = field(default_factory=dict)
    force_code: str | None = None
    layout: str = "current"
    received: list[dict[str, object]] = field(default_factory=list)
    api_cookies: list[str] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)
    served_home: list[tuple[str, str]] = field(default_factory=list)
    """(page title, user id) of each logged-in page served."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class PortalServer:
    """A running test portal on 127.0.0.1 with a port chosen by the system."""

    def __init__(self) -> None:
        self.state = PortalState()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.portal_state = self.state  # type: ignore[attr-defined]
        host, port = self._httpd.server_address[:2]
        self.origin = f"http://{host}:{port}"
        self._httpd.portal_origin = self.origin  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="test-portal", daemon=True
        )
        self._running = False

    def start(self) -> PortalServer:
        """Start serving in a background thread."""
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket, so the port refuses."""
        if self._running:
            self._httpd.shutdown()
            self._thread.join(10)
            self._running = False
        self._httpd.server_close()

    @property
    def accounts(self) -> dict[str, tuple[str, str]]:
        """Accounts the portal accepts: user id to (password, PIN)."""
        return self.state.accounts

    @property
    def account_codes(self) -> dict[str, str]:
        """Failure code the portal returns for a user id, whatever the password."""
        return self.state.account_codes

    @property
    def received(self) -> list[dict[str, object]]:
        """JSON bodies of every login request, in the order received."""
        return self.state.received

    @property
    def served_home(self) -> list[tuple[str, str]]:
        with self.state.lock:
            return list(self.state.served_home)

    @property
    def api_cookies(self) -> list[str]:
        """Cookie header of every login request ("" when there was none)."""
        return self.state.api_cookies

    @property
    def force_code(self) -> str | None:
        """Failure code returned to every login request, or None."""
        return self.state.force_code

    @force_code.setter
    def force_code(self, code: str | None) -> None:
        if code is not None and code not in FAILURE_CODES:
            raise ValueError(f"unknown failure code {code!r}, expected {FAILURE_CODES}")
        self.state.force_code = code

    @property
    def layout(self) -> str:
        """Layout of the login page served, one of LAYOUTS."""
        return self.state.layout

    @layout.setter
    def layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}, expected {LAYOUTS}")
        self.state.layout = layout

    def url(self, path: str) -> str:
        """Return the absolute URL of `path` on this portal."""
        return self.origin + path


def render_login_page(layout: str) -> str:
    """Return the login page HTML for `layout`."""
    template = resources.files(__package__).joinpath("login.html").read_text("utf-8")
    older = layout == "older"
    return Template(template).substitute(
        password_id="password-fo-ent" if older else "password-fo-ent-1",
        pin_field="" if layout == "no-pin" else _PIN_FIELD,
        submit_button=_OLDER_BUTTON if older else _CURRENT_BUTTON,
    )


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestPortal/1"

    @property
    def state(self) -> PortalState:
        return self.server.portal_state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the request log out of the test output."""

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path == LOGIN_PATH:
            self._send_html(HTTPStatus.OK, render_login_page(self.state.layout))
        elif url.path in _HOME_TITLES:
            self._serve_home(url.path, parse_qs(url.query))
        else:
            self._send_html(HTTPStatus.NOT_FOUND, "<h1>Pagina non trovata</h1>")

    def do_POST(self) -> None:  # noqa: N802
        if urlsplit(self.path).path != API_PATH:
            self._send_json(HTTPStatus.NOT_FOUND, {"details": "NOT_FOUND"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except json.JSONDecodeError:
            body = None
        with self.state.lock:
            self.state.received.append(body if isinstance(body, dict) else {})
            self.state.api_cookies.append(self.headers.get("Cookie") or "")
        code = self._failure_code(body)
        if code is not None:
            self._send_json(HTTPStatus.UNAUTHORIZED, {"details": code})
            return
        token = secrets.token_hex(16)
        with self.state.lock:
            self.state.sessions[token] = str(body["username"])  # type: ignore[index]
        cookie = f"{SESSION_COOKIE}={token}; HttpOnly; Path=/"
        self._send_json(HTTPStatus.OK, {"esito": "OK"}, [("Set-Cookie", cookie)])

    def _failure_code(self, body: object) -> str | None:
        if self.state.force_code:
            return self.state.force_code
        if not isinstance(body, dict):
            return "INVALID_CREDENTIALS"
        user = body.get("username")
        if user in self.state.account_codes:
            return self.state.account_codes[str(user)]
        expected = self.state.accounts.get(str(user))
        if expected is None or expected != (body.get("password"), body.get("pin")):
            return "INVALID_CREDENTIALS"
        return None

    def _serve_home(self, path: str, query: dict[str, list[str]]) -> None:
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        morsel = cookie.get(SESSION_COOKIE)
        user = self.state.sessions.get(morsel.value) if morsel else None
        if user is None:
            origin = self.server.portal_origin  # type: ignore[attr-defined]
            goto = quote(origin + self.path, safe="")
            location = f"{LOGIN_PATH}?realm=/agenziaentrate&goto={goto}"
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        title = _HOME_TITLES[path]
        if query.get("to") == ["FATBTB"]:
            title = "Fatture e Corrispettivi"
        with self.state.lock:
            self.state.served_home.append((title, user))
        page = (
            f"<!DOCTYPE html><html lang='it'><head><meta charset='utf-8'>"
            f"<title>{title}</title></head><body><h1>{title}</h1>"
            f"<p id='user'>Utente: {html.escape(user)}</p></body></html>"
        )
        self._send_html(HTTPStatus.OK, page)

    def _send_html(self, status: HTTPStatus, page: str) -> None:
        self._send(status, page.encode("utf-8"), "text/html; charset=utf-8", [])

    def _send_json(
        self,
        status: HTTPStatus,
        payload: object,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        data = json.dumps(payload).encode("utf-8")
        self._send(status, data, "application/json", headers or [])

    def _send(
        self,
        status: HTTPStatus,
        data: bytes,
        content_type: str,
        headers: list[tuple[str, str]],
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
