"""The rubrica window, driven on a virtual X screen against a real resident side.

Each test serves the real WindowService (TinyDB index in TRAYAPP_HOME, the
private gnome-keyring) over the real RpcServer and opens the real window in
a child process. The `login` passed to the service only records the client
id and reports success: the browser login has its own tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import ImageGrab
from stdnum.it import codicefiscale

from trayapp.clipboard import Clipboard, GtkClipboard
from trayapp.domain.client import Client, Kind
from trayapp.domain.credentials import SecretKind
from trayapp.domain.passwords import meets_portal_rules
from trayapp.ipc import RpcError, RpcServer
from trayapp.resident import TrayActions, user_error_types
from trayapp.storage.tinydb_index import TinyDBClientIndex
from trayapp.window.service import WindowService
from window_harness import CountingService, FdWatcher, WindowDriver

pytestmark = pytest.mark.desktop

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output"
MASK = "••••••••"
LOGIN_MESSAGE = "Accesso eseguito."


def codici_fiscali(count: int, surname: str = "RSS", name: str = "MRA") -> list[str]:
    """Return `count` distinct valid personal codici fiscali."""
    months = "ABCDEHLMPRST"
    codes = []
    for index in range(count):
        month = months[index // 28 % 12]
        body = f"{surname}{name}{80 + index // 336:02d}{month}{index % 28 + 1:02d}H501"
        codes.append(body + codicefiscale.calc_check_digit(body))
    return codes


@pytest.fixture
def resident(request, studio, gtk_main_loop):
    """Serve the window calls of `studio`; yield (server, counting service, logins).

    Copies go to the resident's GTK clipboard, as in the tray process. An
    indirect parameter sets the clipboard's clearing delay in seconds.
    """
    logins: list[str] = []

    def login(client_id: str) -> dict[str, str]:
        logins.append(client_id)
        return {"outcome": "success", "message": LOGIN_MESSAGE}

    clear_seconds = getattr(request, "param", studio.settings.clipboard_clear_seconds)
    clipboard = Clipboard(GtkClipboard(), clear_seconds)
    actions = TrayActions(
        studio, notify=lambda *_: None, open_window=lambda: None, clipboard=clipboard
    )
    service = WindowService(studio, login=login, copy=actions.copy_to_clipboard)
    clipboard.add_listener(
        lambda cleared: service.post_event(
            "clipboard_cleared" if cleared else "clipboard_replaced"
        )
    )
    counting = CountingService(service)
    server = RpcServer(counting.handle, user_errors=user_error_types()).start()
    yield server, counting, logins
    server.close()
    clipboard.close()


@pytest.fixture
def open_window(resident, x_display, keyring_daemon):
    """Return a function that opens the window and waits for its first list."""
    server, _, _ = resident
    drivers: list[WindowDriver] = []

    def opener(extra_env: dict[str, str] | None = None) -> WindowDriver:
        driver = WindowDriver(server.address, server.authkey, extra_env)
        drivers.append(driver)
        driver.wait_for(
            "return window.trayapp && trayapp.listLoads > 0", 30, "the list"
        )
        return driver

    yield opener
    for driver in drivers:
        driver.close()


def set_fields(window: WindowDriver, values: dict[str, str]) -> None:
    """Type values into the open form, firing the events a user's typing fires."""
    window.js(
        f"""
        const values = {json.dumps(values)};
        for (const [name, value] of Object.entries(values)) {{
          const input = document.getElementById("f-" + name);
          input.value = value;
          input.dispatchEvent(new Event("input", {{ bubbles: true }}));
          input.dispatchEvent(new Event("change", {{ bubbles: true }}));
        }}
        return true;
        """
    )


def row_script(name: str, body: str) -> str:
    """Return a script that finds the row whose name is `name` and runs `body`."""
    return f"""
        const row = [...document.querySelectorAll("#spacer .row")].find(
          (node) => node.querySelector(".name").textContent === {json.dumps(name)});
        if (!row) return null;
        {body}
    """


def click(window: WindowDriver, selector: str) -> None:
    window.js(f"document.querySelector({json.dumps(selector)}).click(); return true;")


def screenshot(window: WindowDriver, display: str, name: str) -> Path:
    """Save the screen once the page has painted and the picture stopped changing."""
    window.js(
        "window.__painted = false;"
        "requestAnimationFrame(() => requestAnimationFrame(() => {"
        " window.__painted = true; }));"
        "return true;"
    )
    window.wait_for("return window.__painted", what="a paint")
    deadline = time.monotonic() + 10
    image = ImageGrab.grab(xdisplay=display)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        again = ImageGrab.grab(xdisplay=display)
        if again.tobytes() == image.tobytes():
            break
        image = again
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    image.save(path)
    return path


def test_client_lifecycle_through_form(open_window, resident, studio):
    _, counting, logins = resident
    window = open_window()
    cf = codici_fiscali(1, "VRD", "GPP")[0]

    click(window, "#new-client")
    window.wait_for("return document.getElementById('editor').open", what="the form")
    set_fields(
        window,
        {
            "cognome": "Verdi",
            "nome": "Giuseppe",
            "codice_fiscale": cf,
            "comune": "Milano",
            "email": "giuseppe.verdi@example.it",
            "user_id": cf,
            "password": "Segreta*2025",
            "pin": "1234567890",
        },
    )
    click(window, "#save-client")
    row_text = window.wait_for(
        row_script("Verdi Giuseppe", "return row.textContent;"), what="the saved row"
    )
    assert cf in row_text
    assert "Persona fisica" in row_text
    assert window.js("return document.getElementById('editor').open") is False
    (client,) = studio.clients()
    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"

    click(window, "#view-02")
    window.wait_for(row_script("Verdi Giuseppe", "return true;"), what="view 02")
    loads = window.js("return trayapp.listLoads")
    click(window, "#refresh")
    window.wait_for(f"return trayapp.listLoads > {loads}", what="the refresh")
    assert counting.calls["reveal_secret"] == 0
    pin_cell = row_script(
        "Verdi Giuseppe", "return row.querySelector('.col-pin .secret').textContent;"
    )
    assert window.js(pin_cell) == MASK

    window.js(
        row_script(
            "Verdi Giuseppe",
            "row.querySelector('.col-pin button').click(); return true;",
        )
    )
    shown = window.wait_for(
        row_script(
            "Verdi Giuseppe",
            "const text = row.querySelector('.col-pin .secret').textContent;"
            f"return text === {json.dumps(MASK)} ? null : text;",
        ),
        what="the revealed PIN",
    )
    assert shown == studio.secrets.get(client.id, SecretKind.PIN)
    assert counting.calls["reveal_secret"] == 1

    window.js(
        row_script(
            "Verdi Giuseppe",
            "row.querySelector('.col-password button:last-child').click(); return true;",
        )
    )
    status = window.wait_for(
        "const text = document.getElementById('status').textContent;"
        "return text.includes('negli appunti') ? text : null;",
        what="the copy message",
    )
    assert status == (
        "Password di Verdi Giuseppe copiata negli appunti: si cancella tra 30 secondi"
    )
    assert window.clipboard() == "Segreta*2025"
    assert counting.calls["copy_secret"] == 1
    copies = studio.audit.entries(client.id)
    assert [entry["detail"] for entry in copies if entry["action"] == "copy"] == [
        "password"
    ]

    window.js(
        row_script(
            "Verdi Giuseppe",
            "row.querySelector('.col-user_id button').click(); return true;",
        )
    )
    window.wait_for(
        "return document.getElementById('status').textContent.includes('Utente di')",
        what="the user id copy message",
    )
    assert window.clipboard() == cf
    copies = studio.audit.entries(client.id)
    assert [entry["detail"] for entry in copies if entry["action"] == "copy"] == [
        "password",
        "user_id",
    ]

    click(window, "#view-01")
    window.js(
        row_script(
            "Verdi Giuseppe",
            "[...row.querySelectorAll('button')].find((b) => b.textContent === 'LOGIN')"
            ".click(); return true;",
        )
    )
    status = window.wait_for(
        "const text = document.getElementById('status').textContent;"
        f"return text.includes({json.dumps(LOGIN_MESSAGE)}) ? text : null;",
        what="the login outcome",
    )
    assert logins == [client.id]
    assert "Verdi Giuseppe" in status

    window.js(
        row_script(
            "Verdi Giuseppe",
            "[...row.querySelectorAll('button')].find((b) => b.textContent === 'Modifica')"
            ".click(); return true;",
        )
    )
    window.wait_for(
        "return document.getElementById('f-comune').value === 'Milano'",
        what="the form with the stored comune",
    )
    set_fields(window, {"comune": "Torino"})
    click(window, "#save-client")
    window.wait_for(
        row_script(
            "Verdi Giuseppe",
            "return row.querySelector('.col-comune').textContent.toUpperCase()"
            " === 'TORINO';",
        ),
        what="the edited comune",
    )
    assert studio.get(client.id).comune.upper() == "TORINO"
    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"

    window.js(
        row_script(
            "Verdi Giuseppe",
            "[...row.querySelectorAll('button')].find((b) => b.textContent === 'Modifica')"
            ".click(); return true;",
        )
    )
    window.wait_for("return document.getElementById('editor').open", what="the form")
    click(window, "#delete-client")
    window.wait_for("return document.getElementById('ask').open", what="the question")
    click(window, "#ask-choices [data-choice=delete]")
    window.wait_for(
        row_script("Verdi Giuseppe", "return false;").replace(
            "if (!row) return null;", "if (!row) return true;"
        ),
        what="the row to go",
    )
    assert studio.clients() == []
    assert studio.secrets.get(client.id, SecretKind.PIN) is None
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) is None


def test_form_shows_errors_without_saving(open_window, studio):
    window = open_window()
    click(window, "#new-client")
    window.wait_for("return document.getElementById('editor').open", what="the form")
    set_fields(window, {"cognome": "Neri", "codice_fiscale": "RSSMRA80A01H501X"})
    error = window.wait_for(
        "return document.getElementById('error-codice_fiscale').textContent",
        what="the codice fiscale error",
    )
    assert "controllo" in error
    click(window, "#save-client")
    window.wait_for(
        "return document.getElementById('status').textContent.includes('non è stato salvato')",
        what="the rejected save",
    )
    assert window.js("return document.getElementById('editor').open") is True
    assert "controllo" in window.js(
        "return document.getElementById('error-codice_fiscale').textContent"
    )
    assert studio.clients() == []


def test_hostile_names_render_as_text(open_window, studio):
    hostile = ["<img src=x onerror=window.__pwned=1>", '"; DROP TABLE clienti; --']
    for name, cf in zip(hostile, codici_fiscali(2, "BNC", "LRA"), strict=True):
        studio.save_client(
            {
                "kind": "persona_fisica",
                "cognome": name,
                "nome": "",
                "codice_fiscale": cf,
            }
        )
    window = open_window()
    names = window.js(
        "return [...document.querySelectorAll('#spacer .row .name')]"
        ".map((node) => node.textContent);"
    )
    stored = sorted(client.name for client in studio.clients())
    assert sorted(names) == stored
    for client in studio.clients():
        assert client.name in names
    assert any("<img src=x" in name for name in names)
    assert window.js("return typeof window.__pwned") == "undefined"
    assert window.js("return document.querySelectorAll('#table img').length") == 0


def test_fifty_concurrent_saves_land_in_index(open_window, studio, resident):
    window = open_window()
    codes = codici_fiscali(50, "GLL", "NNA")
    forms = [
        {
            "kind": "persona_fisica",
            "cognome": "Galli",
            "nome": f"Anna {i}",
            "codice_fiscale": cf,
        }
        for i, cf in enumerate(codes)
    ]
    with FdWatcher(window.pid) as watcher:
        window.js(
            f"""
            window.__saves = null;
            Promise.all({json.dumps(forms)}.map((data) => trayapp.call("save_client", data, null)))
              .then((answers) => {{ window.__saves = answers; }},
                    (error) => {{ window.__saves = String(error); }});
            return true;
            """
        )
        answers = window.wait_for("return window.__saves", 60, "the 50 saves")

        click(window, "#refresh")
        window.wait_for(
            "return document.getElementById('status').textContent === '50 clienti in rubrica'",
            what="the new rows",
        )

    assert isinstance(answers, list)
    assert all("client" in answer for answer in answers)
    assert sorted(client.codice_fiscale for client in studio.clients()) == sorted(codes)
    index_file = studio.paths.index_file
    assert len(TinyDBClientIndex(index_file).all()) == len(codes)
    # The watcher saw the window's own channel sockets, so it was reading
    # the right process's descriptors before, during and after the saves.
    assert watcher.samples >= 2
    assert any(path.startswith("socket:") for path in watcher.seen)
    assert str(index_file) not in watcher.seen
    assert not any(path.endswith("clients.json") for path in watcher.seen)
    assert window.imported(["tinydb", "keyring", "trayapp.storage.tinydb_index"]) == []


def test_ten_thousand_clients_render_few_rows(open_window, studio):
    studio.index.put_many(
        Client(
            id=f"c{number:05d}",
            kind=Kind.PERSONA_FISICA,
            codice_fiscale=f"CLNT{number:012d}",
            cognome=f"Cliente{number:05d}",
            nome="Prova",
        )
        for number in range(10_000)
    )
    window = open_window()
    assert window.js("return trayapp.listTransport") == "channel"
    assert window.js("return document.getElementById('status').textContent") == (
        "10000 clienti in rubrica"
    )
    assert window.js("return document.querySelectorAll('#spacer .row').length") < 80
    window.js("document.getElementById('viewport').scrollTop = 200000; return true;")
    window.wait_for(
        "return [...document.querySelectorAll('#spacer .row .name')]"
        ".some((node) => node.textContent > 'Cliente04000');",
        what="rows further down",
    )
    elapsed = window.js(
        """
        const search = document.getElementById("search");
        const start = performance.now();
        search.value = "cliente09999";
        search.dispatchEvent(new Event("input", { bubbles: true }));
        return performance.now() - start;
        """
    )
    assert elapsed < 500
    assert window.js("return document.querySelectorAll('#spacer .row').length") == 1


def test_list_error_shown_in_status(open_window, resident, studio, monkeypatch):
    _, counting, _ = resident
    window = open_window()
    handle = counting.service.handle

    def failing_list(method, params):
        if method == "client_list_json":
            raise RpcError("Indice dei clienti non leggibile: riprova.")
        return handle(method, params)

    monkeypatch.setattr(counting.service, "handle", failing_list)
    click(window, "#refresh")

    window.wait_for(
        "return document.getElementById('status').textContent"
        " === 'Indice dei clienti non leggibile: riprova.'",
        what="the error on the status line",
    )
    assert window.js("return trayapp.listTransport") == "channel"
    assert window.js("return document.getElementById('refresh').disabled") is False


def seed_screenshot_clients(studio) -> None:
    company = studio.save_client(
        {
            "kind": "societa",
            "denominazione": "Alfa Costruzioni S.r.l.",
            "codice_fiscale": "00743110157",
            "partita_iva": "00743110157",
            "comune": "Bergamo",
            "email": "amministrazione@alfacostruzioni.example",
            "pec": "alfacostruzioni@pec.example",
        }
    )
    codes = codici_fiscali(4, "BNC", "LRA")
    people = [
        ("Bianchi", "Laura", "Bergamo", "1234567890", "Segreta*2025"),
        ("Rossi", "Mario", "Milano", "", ""),
        ("Esposito", "Nicolò", "Napoli", "0987654321", "Altra+Password1"),
        ("D'Amico", "Chiara", "Roma", "", ""),
    ]
    for (cognome, nome, comune, pin, password), cf in zip(people, codes, strict=True):
        data = {
            "kind": "persona_fisica",
            "cognome": cognome,
            "nome": nome,
            "codice_fiscale": cf,
            "comune": comune,
            "email": f"{cognome.lower().replace(chr(39), '')}@example.it",
            "pin": pin,
            "password": password,
        }
        if cognome == "Bianchi":
            data.update(linked_to=company.id, role="legale rappresentante")
        studio.save_client(data)


def test_screenshots_of_each_view(open_window, studio, x_display):
    seed_screenshot_clients(studio)
    window = open_window()
    window.wait_for(
        row_script("Bianchi Laura", "return row.classList.contains('linked');"),
        what="the linked subject under its company",
    )
    order = window.js(
        "return [...document.querySelectorAll('#spacer .row .name')].map((n) => n.textContent);"
    )
    assert order.index("Bianchi Laura") == order.index("Alfa Costruzioni S.r.l.") + 1
    shots = [screenshot(window, x_display, "window-01-anagrafica.png")]

    click(window, "#view-02")
    missing = window.wait_for(
        row_script("Rossi Mario", "return row.querySelector('.col-pin').textContent;"),
        what="view 02",
    )
    assert missing == "credenziali mancanti"
    shots.append(screenshot(window, x_display, "window-02-recapiti.png"))

    click(window, "#view-01")
    window.js(
        row_script(
            "Alfa Costruzioni S.r.l.",
            "[...row.querySelectorAll('button')].find((b) => b.textContent === 'Modifica')"
            ".click(); return true;",
        )
    )
    window.wait_for("return document.getElementById('editor').open", what="the form")
    shots.append(screenshot(window, x_display, "window-form.png"))
    click(window, "#cancel-form")
    window.wait_for("return !document.getElementById('editor').open", what="closing")

    window.zoom(1.5)
    window.wait_for("return window.devicePixelRatio === 1.5", what="the 150 % zoom")
    shots.append(screenshot(window, x_display, "window-01-anagrafica-150.png"))
    for shot in shots:
        assert shot.stat().st_size > 10_000
    assert os.path.getsize(shots[0]) > 0


def test_resident_events_reach_window(open_window, resident, studio):
    _, counting, _ = resident
    window = open_window()
    loads = window.js("return trayapp.listLoads")
    assert window.js("return document.getElementById('changed-hint').hidden") is True

    counting.service.post_event("changed")
    window.wait_for(
        "return !document.getElementById('changed-hint').hidden", what="the hint"
    )
    assert window.js("return trayapp.listLoads") == loads

    counting.service.post_event("focus")
    click(window, "#refresh")
    window.wait_for(f"return trayapp.listLoads > {loads}", what="the refresh")
    assert window.js("return document.getElementById('changed-hint').hidden") is True


COPY_STATUS = (
    "return document.getElementById('status').textContent.includes('{text}')"
    " ? document.getElementById('status').textContent : null;"
)


@pytest.mark.parametrize("resident", [2], indirect=True)
def test_copy_status_follows_clipboard(open_window, resident, studio):
    from test_clipboard import xclip_write

    studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "Appunti",
            "nome": "Anna",
            "codice_fiscale": codici_fiscali(1, "PNT", "NNA")[0],
            "password": "Segreta*2025",
            "pin": "1234567890",
        }
    )
    window = open_window()
    click(window, "#view-02")
    pin_copy = row_script(
        "Appunti Anna",
        "row.querySelector('.col-pin button:last-child').click(); return true;",
    )

    window.js(pin_copy)
    copied = window.wait_for(
        COPY_STATUS.format(text="copiato"), what="the copy message"
    )
    assert (
        copied == "PIN di Appunti Anna copiato negli appunti: si cancella tra 2 secondi"
    )
    cleared = window.wait_for(
        COPY_STATUS.format(text="svuotati"), 10, "the cleared message"
    )
    assert cleared == "Appunti svuotati: PIN di Appunti Anna non è più negli appunti"
    assert window.clipboard() == ""

    # Another program copies over the PIN before the delay runs out.
    window.js(pin_copy)
    window.wait_for(COPY_STATUS.format(text="copiato"), what="the second copy")
    xclip_write("testo di un altro programma")
    left_alone = window.wait_for(
        COPY_STATUS.format(text="non svuotati"), 10, "the kept message"
    )
    assert left_alone == "Appunti non svuotati: nel frattempo vi è stato copiato altro"
    assert window.clipboard() == "testo di un altro programma"


def test_page_uses_italian_locale(open_window):
    window = open_window()
    assert window.js("return navigator.language") == "it-IT"
    assert (
        window.js("return new Date(2026, 11, 4).toLocaleDateString()") == "04/12/2026"
    )
    assert window.js("return (1234.5).toLocaleString()") == "1.234,5"


def test_unsaved_form_asks_before_closing(open_window, x_display):
    window = open_window()
    click(window, "#new-client")
    window.wait_for("return document.getElementById('editor').open", what="the form")
    set_fields(window, {"cognome": "Neri"})
    window.request_close()

    def dialogs() -> list[str]:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "trayapp"],
            env=dict(os.environ, DISPLAY=x_display),
            capture_output=True,
            text=True,
        )
        return found.stdout.split()

    deadline = time.monotonic() + 15
    while len(dialogs()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(dialogs()) >= 2
    assert window.process.poll() is None

    subprocess.run(
        ["xdotool", "key", "Escape"],
        env=dict(os.environ, DISPLAY=x_display),
        check=True,
    )
    assert window.wait_for("return document.getElementById('editor').open")
    assert window.process.poll() is None

    click(window, "#cancel-form")
    window.wait_for("return document.getElementById('ask').open", what="the question")
    click(window, "#ask-choices [data-choice=discard]")
    window.wait_for("return !document.getElementById('editor').open", what="closing")
    # The page reports the clean form to Python asynchronously; wait for a
    # call of our own to come back, so the close below sees the clean state.
    window.js(
        "trayapp.call('set_dirty', false).then(() => { window.__synced = true; });"
        " return true;"
    )
    window.wait_for("return window.__synced === true", what="the clean state")
    window.request_close()
    assert window.process.wait(60) == 0


def test_password_status_column_and_filter(open_window, studio):
    today = date.today()
    codes = codici_fiscali(3, "STT", "PSW")
    for code, cognome, days_ago in zip(
        codes, ["Valida", "Scadenza", "Scaduta"], [10, 80, 100], strict=True
    ):
        studio.index.put(
            Client(
                id=f"c-{cognome.lower()}",
                kind=Kind.PERSONA_FISICA,
                codice_fiscale=code,
                cognome=cognome,
                nome="Anna",
                has_password=True,
                has_pin=True,
                password_changed_on=today - timedelta(days=days_ago),
            )
        )
    window = open_window()
    click(window, "#view-02")
    status_of = "return row.querySelector('.col-password_status').textContent;"

    assert window.wait_for(row_script("Scadenza Anna", status_of)) == (
        "in scadenza (10 gg)"
    )
    assert window.js(row_script("Valida Anna", status_of)) == "valida (80 gg)"
    assert window.js(row_script("Scaduta Anna", status_of)) == "scaduta"

    window.js(
        "const select = document.getElementById('password-filter');"
        "select.value = 'expired';"
        "select.dispatchEvent(new Event('change', { bubbles: true }));"
        "return true;"
    )
    names_script = (
        "return [...document.querySelectorAll('#spacer .row .name')]"
        ".map((node) => node.textContent);"
    )
    assert window.js(names_script) == ["Scaduta Anna"]

    window.js(
        "const select = document.getElementById('password-filter');"
        "select.value = 'expiring';"
        "select.dispatchEvent(new Event('change', { bubbles: true }));"
        "return true;"
    )
    assert window.js(names_script) == ["Scadenza Anna"]


def test_reveal_after_error_clears_status(open_window, resident, studio, monkeypatch):
    _, counting, _ = resident
    studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "Stato",
            "nome": "Anna",
            "codice_fiscale": codici_fiscali(1, "STT", "NNA")[0],
            "password": "Segreta*2025",
            "pin": "1234567890",
        }
    )
    window = open_window()
    click(window, "#view-02")
    window.wait_for(row_script("Stato Anna", "return true;"), what="the row")
    handle = counting.service.handle
    failures = ["Il portachiavi di sistema è bloccato: sbloccalo e riprova."]

    def locked_once(method, params):
        if method == "reveal_secret" and failures:
            raise RpcError(failures.pop())
        return handle(method, params)

    monkeypatch.setattr(counting.service, "handle", locked_once)
    reveal = row_script(
        "Stato Anna", "row.querySelector('.col-password button').click(); return true;"
    )
    status = "return document.getElementById('status').textContent"

    window.js(reveal)
    window.wait_for(f"{status}.startsWith('Il portachiavi')", what="the error")
    window.js(reveal)
    window.wait_for(
        row_script(
            "Stato Anna", "return !row.querySelector('.col-password .secret.masked');"
        ),
        what="the revealed password",
    )

    assert window.js(status) == "1 cliente in rubrica"


def test_view_change_resets_foreign_sort(open_window, studio):
    window = open_window()
    headers = "return [...document.querySelectorAll('#table-head .sort')].map((b) => b.textContent)"
    sort_by_comune = (
        "[...document.querySelectorAll('#table-head .sort')]"
        ".find((b) => b.textContent.startsWith('Comune')).click(); return true;"
    )
    window.js(sort_by_comune)
    window.js(sort_by_comune)

    assert "Comune ▼" in window.js(headers)

    click(window, "#view-02")

    assert window.js(headers)[0] == "Nome ▲"


def test_form_removes_stored_pin(open_window, studio):
    client = studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "Senza",
            "nome": "Pin",
            "codice_fiscale": codici_fiscali(1, "SNZ", "PNI")[0],
            "password": "Segreta*2025",
            "pin": "1234567890",
        }
    )
    window = open_window()
    window.wait_for(row_script("Senza Pin", "return true;"), what="the row")
    window.js(
        row_script(
            "Senza Pin",
            "[...row.querySelectorAll('button')].find((b) => b.textContent === 'Modifica')"
            ".click(); return true;",
        )
    )
    window.wait_for("return document.getElementById('editor').open", what="the form")
    visible = "return !document.getElementById('{}').hidden"

    assert window.js(visible.format("remove-pin-label")) is True
    assert window.js(visible.format("remove-password-label")) is True

    click(window, "#f-remove_pin")
    click(window, "#save-client")
    window.wait_for(
        "return !document.getElementById('editor').open", what="the form closed"
    )

    assert studio.secrets.get(client.id, SecretKind.PIN) is None
    assert studio.get(client.id).has_pin is False
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Segreta*2025"


def test_long_revealed_password_keeps_buttons(open_window, studio):
    studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "Lunga",
            "nome": "Anna",
            "codice_fiscale": codici_fiscali(1, "LNG", "NNA")[0],
            "password": "Zq7Brk2Pass-" + "x" * 40,
            "pin": "1234567890",
        }
    )
    window = open_window()
    click(window, "#view-02")
    window.wait_for(row_script("Lunga Anna", "return true;"), what="the row")
    window.js(
        row_script(
            "Lunga Anna",
            "row.querySelector('.col-password button').click(); return true;",
        )
    )
    window.wait_for(
        row_script(
            "Lunga Anna", "return !row.querySelector('.col-password .secret.masked');"
        ),
        what="the revealed password",
    )

    bounds = window.js(
        row_script(
            "Lunga Anna",
            "const cell = row.querySelector('.col-password');"
            "const box = (node) => node.getBoundingClientRect();"
            "const [hide, copy] = cell.querySelectorAll('button');"
            "return {secret: box(cell.querySelector('.secret')).right,"
            " hide: box(hide).left, copy: box(copy).right, cell: box(cell).right};",
        )
    )

    assert bounds["secret"] <= bounds["hide"]
    assert bounds["copy"] <= bounds["cell"]


def test_audit_shows_reveal_entry(open_window, studio):
    codes = codici_fiscali(2, "RGS", "TRO")
    for code, cognome in zip(codes, ["Registro", "Altro"], strict=True):
        studio.save_client(
            {
                "kind": "persona_fisica",
                "cognome": cognome,
                "nome": "Anna",
                "codice_fiscale": code,
                "password": "Segreta*2025",
                "pin": "1234567890",
            }
        )
    target = next(c for c in studio.clients() if c.cognome == "Registro")
    window = open_window()
    click(window, "#view-02")
    window.wait_for(row_script("Registro Anna", "return true;"), what="the row")
    window.js(
        row_script(
            "Registro Anna",
            "row.querySelector('.col-password button').click(); return true;",
        )
    )
    window.wait_for(
        row_script(
            "Registro Anna",
            "return !row.querySelector('.col-password .secret.masked');",
        ),
        what="the revealed password",
    )

    click(window, "#open-audit")
    window.js(
        "const select = document.getElementById('audit-client');"
        f"select.value = {json.dumps(target.id)};"
        "select.dispatchEvent(new Event('change', { bubbles: true }));"
        "return true;"
    )
    rows = window.wait_for(
        "const rows = [...document.querySelectorAll('#audit-rows tr')];"
        "if (!rows.some((row) => row.dataset.action === 'reveal')) return null;"
        f"if (rows.some((row) => row.dataset.clientId !== {json.dumps(target.id)}))"
        " return null;"
        "return rows.map((row) => ({ id: row.dataset.clientId,"
        " cells: [...row.cells].map((cell) => cell.textContent) }));",
        what="the reveal entry in the Registro",
    )
    assert rows[0]["cells"][2] == "password o PIN mostrato"
    assert rows[0]["cells"][3] == "Registro Anna"
    assert rows[0]["cells"][4] == "password"
    assert {row["id"] for row in rows} == {target.id}

    window.js(
        "const input = document.getElementById('audit-since');"
        "input.value = '2999-01-01';"
        "input.dispatchEvent(new Event('change', { bubbles: true }));"
        "return true;"
    )
    window.wait_for(
        "return !document.getElementById('audit-empty').hidden;",
        what="the empty Registro after a future date",
    )
    assert window.js("return document.querySelectorAll('#audit-rows tr').length") == 0


def test_form_renews_password_keeping_previous(open_window, studio):
    (cf,) = codici_fiscali(1, "BNC", "LCU")
    client = studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "BIANCHI",
            "nome": "LUCA",
            "codice_fiscale": cf,
            "password": "Vecchia1!x",
            "pin": "1234567890",
        }
    )
    window = open_window()
    window.js(
        row_script(
            "BIANCHI LUCA",
            "[...row.querySelectorAll('button')].find((b) => b.textContent === "
            "'Modifica').click(); return true;",
        )
    )
    window.wait_for("return document.getElementById('editor').open", what="the form")
    click(window, "#renew-password")
    question = window.wait_for(
        "return document.getElementById('ask').open && "
        "document.getElementById('ask-message').textContent",
        what="the new password",
    )
    shown = question.split("Nuova password: ", 1)[1].split("\n", 1)[0]
    assert meets_portal_rules(shown)
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!x"

    click(window, "#ask-choices [data-choice=confirm]")
    window.wait_for(
        "return document.getElementById('status').textContent.includes('Nuova password salvata')",
        what="the saved renewal",
    )
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == shown
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == "Vecchia1!x"


SETTINGS_NOTE = "return document.getElementById('autostart-note').textContent || null"


def test_settings_autostart_checkbox(open_window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    entry = tmp_path / "xdg-config" / "autostart" / "trayapp.desktop"
    window = open_window()

    click(window, "#open-settings")
    before = window.wait_for(SETTINGS_NOTE, what="the autostart status")
    assert before == "trayapp non si avvia all'accesso."
    assert window.js("return document.getElementById('autostart').checked") is False

    click(window, "#autostart")
    turned_on = window.wait_for(
        SETTINGS_NOTE.replace("|| null", "") + ".startsWith('All') || null",
        what="the autostart entry written",
    )
    assert turned_on is True
    assert window.js("return document.getElementById('autostart').checked") is True
    assert entry.is_file()
    assert "Exec=" in entry.read_text("utf-8")

    click(window, "#autostart")
    after = window.wait_for(
        SETTINGS_NOTE.replace("|| null", "") + ".startsWith('trayapp non') || null",
        what="the autostart entry removed",
    )
    assert after is True
    assert not entry.exists()


def test_settings_autostart_error_shown(open_window, tmp_path, monkeypatch):
    config = tmp_path / "xdg-config"
    config.mkdir()
    (config / "autostart").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    window = open_window()

    click(window, "#open-settings")
    window.wait_for(SETTINGS_NOTE, what="the autostart status")
    click(window, "#autostart")
    message = window.wait_for(
        "return document.getElementById('settings-error').textContent || null",
        what="the autostart error",
    )

    assert message.startswith(f"Impossibile scrivere {config / 'autostart'}")
    assert "L'avvio all'accesso non è stato modificato" in message
    assert window.js("return document.getElementById('autostart').checked") is False
    assert (config / "autostart").read_text("utf-8") == "not a folder"
