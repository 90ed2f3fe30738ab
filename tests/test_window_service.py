"""The window's channel to the resident process, on the real index and keyring."""

from __future__ import annotations

import json
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from stdnum.it import codicefiscale

from trayapp.domain.credentials import SecretKind
from trayapp.ipc import RpcClient, RpcError, RpcServer
from trayapp.resident import user_error_types
from trayapp.storage.tinydb_index import TinyDBClientIndex
from trayapp.window.service import WindowService


def valid_codici_fiscali(count: int) -> list[str]:
    """Return `count` distinct valid personal codici fiscali."""
    codes = []
    for day in range(1, count + 1):
        body = f"RSSMRA80A{day:02d}H501"
        codes.append(body + codicefiscale.calc_check_digit(body))
    return codes


@pytest.fixture
def channel(studio):
    logins: list[str] = []

    def login(client_id: str) -> dict[str, str]:
        logins.append(client_id)
        return {"outcome": "success", "message": "Accesso eseguito."}

    service = WindowService(studio, login=login)
    server = RpcServer(service.handle, user_errors=user_error_types()).start()
    client = RpcClient(server.address, server.authkey)
    yield server, client, logins
    client.close()
    server.close()


def person(cf: str, **extra: str) -> dict[str, str]:
    return {
        "kind": "persona_fisica",
        "cognome": "ROSSI",
        "nome": "MARIO",
        "codice_fiscale": cf,
        **extra,
    }


def test_fifty_concurrent_saves_all_land(channel, studio):
    server, _, _ = channel
    codes = valid_codici_fiscali(30) + [
        body + codicefiscale.calc_check_digit(body)
        for body in (f"VRDLGU75B{day:02d}F205" for day in range(1, 21))
    ]
    assert len(set(codes)) == 50
    barrier = threading.Barrier(50)

    def save(cf: str) -> dict:
        client = RpcClient(server.address, server.authkey)
        try:
            barrier.wait(timeout=30)
            return client.call("save_client", data=person(cf, pin="1234567890"))
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(save, codes))

    assert all("client" in result for result in results), results
    stored = {client.codice_fiscale for client in studio.clients()}
    assert stored == set(codes)
    reopened = TinyDBClientIndex(studio.paths.index_file)
    assert {client.codice_fiscale for client in reopened.all()} == set(codes)


def test_wrong_key_is_refused(channel):
    server, _, _ = channel
    with pytest.raises(multiprocessing.AuthenticationError):
        RpcClient(server.address, b"x" * 32)


def test_save_errors_name_fields_and_change_nothing(channel, studio):
    _, client, _ = channel
    (cf,) = valid_codici_fiscali(1)
    saved = client.call(
        "save_client", data=person(cf, password="Prima1!x", pin="1234567890")
    )
    client_id = saved["client"]["id"]

    failed = client.call(
        "save_client",
        data=person(
            cf, email="non-una-email", pin="12", password="Dopo2!xx", comune="Roma"
        ),
        client_id=client_id,
    )

    assert failed == {
        "errors": {
            "email": "«non-una-email» non è un indirizzo: manca la @",
            "pin": "deve avere 10 cifre (Fisconline) o 8 lettere e cifre (Entratel)",
        }
    }
    stored = studio.get(client_id)
    assert stored.comune == ""
    assert studio.secrets.get(client_id, SecretKind.PASSWORD) == "Prima1!x"


def test_form_user_id_follows_the_command_line_rule(channel, studio):
    _, client, _ = channel
    (cf,) = valid_codici_fiscali(1)
    saved = client.call("save_client", data=person(cf, user_id=cf))
    client_id = saved["client"]["id"]

    failed = client.call(
        "save_client",
        data=person(cf, user_id="abc", comune="Roma"),
        client_id=client_id,
    )
    spaced = client.call(
        "save_client",
        data=person(cf, user_id=f" {cf[:8].lower()} {cf[8:]} "),
        client_id=client_id,
    )

    assert failed == {
        "errors": {
            "user_id": "«abc» non è il codice fiscale dell'utente: deve avere 16 "
            "caratteri (persona fisica) o 11 cifre (società o ente), ne ha 3"
        }
    }
    assert spaced["client"]["user_id"] == cf
    assert studio.get(client_id).login_user_id == cf
    assert studio.get(client_id).comune == ""


def test_list_reads_no_secret(channel, studio, monkeypatch):
    _, client, _ = channel
    (cf,) = valid_codici_fiscali(1)
    client.call("save_client", data=person(cf, password="Prima1!x", pin="1234567890"))
    reads: list[tuple] = []
    original = studio.secrets.get
    monkeypatch.setattr(
        studio.secrets, "get", lambda *args: reads.append(args) or original(*args)
    )

    rows = client.call("list_clients")

    assert reads == []
    assert rows[0]["has_password"] is True
    assert "Prima1!x" not in json.dumps(rows)


def test_reveal_and_delete_removes_keyring_entries(channel, studio):
    _, client, _ = channel
    (cf,) = valid_codici_fiscali(1)
    client_id = client.call(
        "save_client", data=person(cf, password="Prima1!x", pin="1234567890")
    )["client"]["id"]

    assert client.call("reveal_secret", client_id=client_id, kind="pin") == "1234567890"
    assert client.call("delete_client", client_id=client_id) == {"removed": [client_id]}

    assert studio.secrets.get(client_id, SecretKind.PIN) is None
    assert studio.secrets.get(client_id, SecretKind.PASSWORD) is None
    with pytest.raises(RpcError) as caught:
        client.call("reveal_secret", client_id=client_id, kind="pin")
    assert caught.value.message == f"Nessun cliente con id {client_id}"


def test_company_delete_asks_about_linked_subjects(channel, studio):
    _, client, _ = channel
    company = client.call(
        "save_client",
        data={
            "kind": "societa",
            "denominazione": "ALFA S.R.L.",
            "codice_fiscale": "01314440460",
        },
    )["client"]
    (cf,) = valid_codici_fiscali(1)
    subject = client.call(
        "save_client",
        data=person(cf, linked_to=company["id"], role="Legale rappresentante"),
    )["client"]
    assert subject["linked_to_name"] == "ALFA S.R.L."

    refused = client.call("delete_client", client_id=company["id"])
    detached = client.call("delete_client", client_id=company["id"], linked="detach")

    assert "ha 1 soggetto collegato" in refused["errors"]["linked_to"]
    assert detached == {"removed": [company["id"]]}
    remaining = studio.get(subject["id"])
    assert remaining.linked_to == ""
    assert remaining.role == ""


def test_duplicate_codice_fiscale_rejected(channel):
    _, client, _ = channel
    (cf,) = valid_codici_fiscali(1)
    client.call("save_client", data=person(cf))
    again = client.call("save_client", data=person(cf, nome="LUIGI"))
    assert again == {"errors": {"codice_fiscale": f"{cf} appartiene già a ROSSI MARIO"}}


def test_unknown_method_rejected(channel):
    _, client, _ = channel
    with pytest.raises(RpcError) as caught:
        client.call("drop_everything")
    assert caught.value.message == "Comando sconosciuto: drop_everything"


def test_login_goes_to_the_resident_login(channel):
    _, client, logins = channel
    (cf,) = valid_codici_fiscali(1)
    client_id = client.call("save_client", data=person(cf))["client"]["id"]
    assert client.call("login", client_id=client_id)["message"] == "Accesso eseguito."
    assert logins == [client_id]


def test_client_row_password_status():
    from datetime import date, timedelta

    from trayapp.domain.client import Client, Kind
    from trayapp.domain.expiry import PasswordStatus, password_status
    from trayapp.window.service import client_row

    today = date(2026, 3, 1)
    client = Client(
        id="c1",
        kind=Kind.PERSONA_FISICA,
        codice_fiscale="RSSMRA80A01H501U",
        cognome="ROSSI",
        nome="MARIO",
        has_password=True,
        password_changed_on=today - timedelta(days=80),
    )
    row = client_row(client, {}, password_status(client.password_changed_on, today))
    assert row["password_status"] == PasswordStatus.EXPIRING.value
    assert row["password_days_left"] == 10
    assert row["password_status_label"] == "in scadenza"

    unknown = client_row(client.replace(password_changed_on=None), {})
    assert unknown["password_status"] == "unknown"
    assert unknown["password_days_left"] is None
    assert unknown["password_status_label"] == "data cambio sconosciuta"


def test_audit_entries_newest_first(studio):
    service = WindowService(studio, login=lambda client_id: {})
    client = studio.save_client(person(valid_codici_fiscali(1)[0], password="Ab*12345"))
    studio.reveal_secret(client.id, SecretKind.PASSWORD)

    entries = service.handle("audit_entries", {"client_id": client.id})
    assert [entry["action"] for entry in entries] == ["reveal", "edit"]
    assert entries[0]["action_label"] == "password o PIN mostrato"
    assert service.handle("audit_entries", {"since": "2999-01-01"}) == []
    with pytest.raises(RpcError) as rejected:
        service.handle("audit_entries", {"since": "ieri"})
    assert rejected.value.field == "since"


def test_compact_list_matches_full_rows(channel):
    _server, client, _logins = channel
    first, second = valid_codici_fiscali(2)
    saved = client.call("save_client", data=person(first))["client"]
    client.call("save_client", data=person(second, nome="LUCA"))

    def compact_rows() -> list[dict]:
        decoded = json.loads(client.call("client_list_json"))
        return [
            dict(zip(decoded["columns"], row, strict=True)) for row in decoded["rows"]
        ]

    assert compact_rows() == client.call("list_clients")
    changed = dict(person(first), email="nuova@example.it")
    client.call("save_client", data=changed, client_id=saved["id"])
    rows = {row["codice_fiscale"]: row for row in compact_rows()}
    assert rows[first]["email"] == "nuova@example.it"
    assert rows[second]["nome"] == "LUCA"
    assert compact_rows() == client.call("list_clients")
