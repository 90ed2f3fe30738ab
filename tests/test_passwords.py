"""New passwords that meet the portal's rules, and renewal with history."""

import json
import subprocess
import sys

import pytest

from desktop_env import find_secrets
from trayapp.domain.credentials import SecretKind
from trayapp.domain.passwords import (
    DIGITS,
    LOWERCASE,
    SYMBOLS,
    UPPERCASE,
    generate_password,
    meets_portal_rules,
)
from trayapp.editing import FormErrors


@pytest.mark.parametrize("length", [8, 12, 15])
def test_generated_passwords_meet_rules(length):
    for _ in range(500):
        password = generate_password(length)
        assert len(password) == length
        assert meets_portal_rules(password), password
        assert any(c in LOWERCASE for c in password)
        assert any(c in UPPERCASE for c in password)
        assert any(c in DIGITS for c in password)
        assert any(c in SYMBOLS for c in password)
        assert password.isascii()


def test_generated_passwords_differ():
    assert len({generate_password() for _ in range(200)}) == 200


@pytest.mark.parametrize("length", [7, 16])
def test_length_outside_portal_range_rejected(length):
    with pytest.raises(ValueError):
        generate_password(length)


def test_rules_reject_accents_and_missing_kinds():
    assert not meets_portal_rules("Àbcdef1!")
    assert not meets_portal_rules("abcdefg1!")
    assert not meets_portal_rules("Abcdefgh!")
    assert not meets_portal_rules("Abcdefg12")


def run(args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def client_with_password(studio, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "Cognome;Nome;Codice fiscale;Password;PIN\nROSSI;ANNA;DNNLSS63C58G224U;Vecchia1!;1234567890\n",
        encoding="utf-8",
    )
    studio.import_file(path)
    return studio.resolve("DNNLSS63C58G224U")


def test_new_password_confirmed_keeps_previous(studio, client_with_password):
    from test_cli_import import Terminal

    client = client_with_password
    terminal = Terminal("new-password", client.codice_fiscale)
    shown_lines = terminal.expect("L'hai impostata sul portale? [s/N] ")
    terminal.send("s")
    terminal.expect("per tornare indietro).")

    assert terminal.finish() == 0
    (line,) = [
        text for text in shown_lines.splitlines() if text.startswith("Nuova password")
    ]
    shown = line.strip().rsplit(": ", 1)[1]
    assert meets_portal_rules(shown)
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == shown
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == "Vecchia1!"
    listed = {
        c["codice_fiscale"]: c for c in json.loads(run(["list", "--json"]).stdout)
    }
    assert listed[client.codice_fiscale]["password_status"] == "valid"
    assert listed[client.codice_fiscale]["password_days_left"] == 90

    restored = run(["restore-password", client.codice_fiscale])
    assert restored.returncode == 0, restored.stderr
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == shown


def test_new_password_not_confirmed_changes_nothing(studio, client_with_password):
    from test_cli_import import Terminal

    client = client_with_password
    terminal = Terminal("new-password", client.codice_fiscale)
    terminal.expect("L'hai impostata sul portale? [s/N] ")
    terminal.send("n")
    refused = terminal.expect("resta quella di prima.")

    assert terminal.finish() == 1
    assert "Nessuna modifica: la password salvata resta quella di prima." in refused
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"


def test_new_password_without_terminal_shows_no_password(studio, client_with_password):
    client = client_with_password

    result = run(["new-password", client.codice_fiscale], stdin="s\n")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "trayapp: nessun terminale per confermare che la nuova password è stata "
        "impostata sul portale: esegui «trayapp new-password» in un terminale\n"
    )
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) is None


def test_history_keeps_last_three(studio, client_with_password):
    client = client_with_password
    for number in range(1, 5):
        studio.renew_password(client.id, f"Nuova{number}!ab")
    history = [
        studio.secrets.get(client.id, kind)
        for kind in (
            SecretKind.PREVIOUS_PASSWORD_1,
            SecretKind.PREVIOUS_PASSWORD_2,
            SecretKind.PREVIOUS_PASSWORD_3,
        )
    ]
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Nuova4!ab"
    assert history == ["Nuova3!ab", "Nuova2!ab", "Nuova1!ab"]


def test_set_credentials_keeps_replaced_password(studio, client_with_password):
    client = client_with_password
    stored = run(
        ["set-credentials", client.codice_fiscale, "--stdin"],
        stdin="Corretta2!ab\n\n",
    )
    assert stored.returncode == 0, stored.stderr
    # The same password again moves nothing down the history.
    studio.set_credentials(client.id, password="Corretta2!ab")

    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Corretta2!ab"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_2) is None
    restored = run(["restore-password", client.codice_fiscale])
    assert restored.returncode == 0, restored.stderr
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"


def test_form_save_keeps_replaced_password(studio, client_with_password):
    client = client_with_password
    studio.save_client(
        {
            "kind": "persona_fisica",
            "cognome": "ROSSI",
            "nome": "ANNA",
            "codice_fiscale": client.codice_fiscale,
            "password": "Dalmodulo3!a",
        },
        client.id,
    )

    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Dalmodulo3!a"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"


def test_remove_password_keeps_it_as_previous(studio, client_with_password):
    client = client_with_password
    studio.set_credentials(client.id, password="Seconda2!ab")

    removed = studio.remove_secrets(client.id, [SecretKind.PASSWORD])

    assert removed.has_password is False
    assert removed.has_pin is True
    assert removed.password_changed_on is None
    assert studio.get(client.id).has_password is False
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) is None
    assert (
        studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == "Seconda2!ab"
    )
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_2) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"

    restored = studio.restore_previous_password(client.id)

    assert restored.has_password is True
    assert studio.get(client.id).has_password is True
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Seconda2!ab"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_2) is None


def test_remove_pin_failed_index_write_undone(
    studio, client_with_password, monkeypatch
):
    client = client_with_password

    def failing_put(updated):
        raise OSError("disco pieno")

    monkeypatch.setattr(studio.index, "put", failing_put)
    with pytest.raises(OSError):
        studio.remove_secrets(client.id, [SecretKind.PIN, SecretKind.PASSWORD])

    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"
    assert studio.secrets.get(client.id, SecretKind.PREVIOUS_PASSWORD_1) is None
    assert studio.get(client.id).has_pin is True


def test_form_removes_pin(studio, client_with_password):
    client = client_with_password
    form = {
        "kind": "persona_fisica",
        "cognome": "ROSSI",
        "nome": "ANNA",
        "codice_fiscale": client.codice_fiscale,
    }

    with pytest.raises(FormErrors) as conflict:
        studio.save_client(dict(form, pin="9876543210", remove_pin=True), client.id)
    saved = studio.save_client(dict(form, remove_pin=True), client.id)

    assert conflict.value.errors == {
        "pin": "scegli se sostituirlo o rimuoverlo, non entrambe le cose"
    }
    assert saved.has_pin is False
    assert saved.has_password is True
    assert studio.secrets.get(client.id, SecretKind.PIN) is None
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"
    (entry,) = [e for e in studio.audit.entries(client.id) if e["action"] == "edit"][
        -1:
    ]
    assert entry["detail"] == "credenziali rimosse: pin"


def test_cli_removes_pin(studio, client_with_password):
    client = client_with_password

    mixed = run(["set-credentials", client.codice_fiscale, "--remove-pin", "--stdin"])
    removed = run(["set-credentials", client.codice_fiscale, "--remove-pin"])

    assert mixed.returncode == 2
    assert "non si combinano con --stdin" in mixed.stderr
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout == (
        "ROSSI ANNA: PIN rimosso dal portachiavi (credenziali incomplete).\n"
    )
    assert studio.secrets.get(client.id, SecretKind.PIN) is None
    assert studio.get(client.id).has_pin is False
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Vecchia1!"


def test_audit_records_actions_without_secrets(
    studio, client_with_password, trayapp_home
):
    client = client_with_password
    studio.reveal_secret(client.id, SecretKind.PIN)
    studio.reveal_secret(client.id, SecretKind.PASSWORD, purpose="copy")
    studio.set_credentials(client.id, pin="9876543210")
    studio.unblock(client.id)
    studio.renew_password(client.id, "Nuova9!ab")
    studio.delete_client(client.id)

    result = run(["audit", "--json"])

    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    actions = [entry["action"] for entry in entries]
    assert actions == [
        "import",
        "reveal",
        "copy",
        "edit",
        "unblock",
        "new-password",
        "delete",
    ]
    assert all(entry["user"] for entry in entries)
    assert entries[1]["client_id"] == client.id
    assert entries[1]["client_name"] == "ROSSI ANNA"
    assert entries[1]["detail"] == "pin"
    secrets = {"Vecchia1!", "1234567890", "9876543210", "Nuova9!ab"}
    assert find_secrets([trayapp_home], secrets) == []
    by_client = json.loads(run(["audit", "--json", "--client", client.id]).stdout)
    assert [entry["action"] for entry in by_client] == actions[1:]
