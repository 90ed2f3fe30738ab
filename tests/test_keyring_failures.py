"""A locked keyring and a missing one: an Italian message, and nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from trayapp.tray.menu import build_menu


@pytest.fixture
def one_client(studio, tmp_path):
    path = tmp_path / "uno.csv"
    path.write_text(
        "Cognome;Nome;Codice fiscale;Password;PIN\n"
        "ROSSI;ANNA;DNNLSS63C58G224U;Prima1!xx;1234567890\n",
        encoding="utf-8",
    )
    studio.import_file(path)
    return studio.resolve("DNNLSS63C58G224U")


def lock_default_collection() -> None:
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        secretstorage.get_default_collection(connection).lock()
    finally:
        connection.close()


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # Without a display the keyring's unlock prompt cannot open and counts as
    # dismissed, as when the user presses Annulla.
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def index_bytes(studio) -> tuple[bytes, bytes]:
    """The index file and its journal, which together hold the client list."""
    index = studio.paths.index_file
    journal = index.with_name(index.name + ".journal")
    return index.read_bytes(), journal.read_bytes()


def test_locked_keyring_message_and_nothing_changed(one_client, studio):
    index_before = index_bytes(studio)
    lock_default_collection()

    result = cli(
        "set-credentials", one_client.codice_fiscale, "--stdin", stdin="Dopo2!xxx\n\n"
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "trayapp: Il portachiavi di sistema è bloccato o lo sblocco è stato annullato: "
        "sbloccalo e riprova. Nulla è stato modificato."
    )
    assert index_bytes(studio) == index_before


def test_locked_keyring_import_keeps_index(one_client, studio, tmp_path):
    index_before = index_bytes(studio)
    lock_default_collection()
    path = tmp_path / "due.csv"
    path.write_text(
        "Cognome;Nome;Codice fiscale;Password;PIN\n"
        "VERDI;LUCA;CSTPPL57P19L219T;Altra1!xx;1234567890\n",
        encoding="utf-8",
    )

    result = cli("import", str(path))

    assert result.returncode == 1
    assert "portachiavi di sistema è bloccato" in result.stderr
    assert index_bytes(studio) == index_before


def test_missing_keyring_message(trayapp_home, tmp_path):
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    path = tmp_path / "uno.csv"
    path.write_text(
        "Cognome;Nome;Codice fiscale;Password\nROSSI;ANNA;DNNLSS63C58G224U;Prima1!xx\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "trayapp", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Nessun portachiavi di sistema disponibile" in result.stderr
    assert "Prima1!xx" not in result.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "trayapp", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.stdout.strip() == "[]"


def test_secret_too_long_for_windows_rejected(studio):
    from trayapp.domain.credentials import SecretKind
    from trayapp.secretstore.base import SecretStoreError

    with pytest.raises(SecretStoreError) as caught:
        studio.secrets.set("c0ffee000001", SecretKind.PASSWORD, "x" * 1281)
    assert str(caught.value) == (
        "Password troppo lungo per il portachiavi (1281 caratteri, massimo 1280). "
        "Nulla è stato modificato."
    )
    assert studio.secrets.get("c0ffee000001", SecretKind.PASSWORD) is None


def test_removed_secret_shows_missing(one_client, studio):
    import keyring

    # As if another program, or the user in Seahorse, removed the password.
    keyring.delete_password("trayapp", f"{one_client.id}/password")

    result = cli("login", one_client.codice_fiscale, "--no-wait")
    listed = cli("list", "--json")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "trayapp: ROSSI ANNA: credenziali mancanti (password non presente nel "
        "portachiavi). Inseriscile con «trayapp set-credentials» o nella sezione "
        "Servizi telematici."
    )
    [shown] = json.loads(listed.stdout)
    assert (shown["has_password"], shown["has_pin"]) == (False, True)
    entries = build_menu(studio.clients(), [], window_available=True)
    [client_menu] = [entry for entry in entries if entry.text == "ROSSI ANNA"]
    assert (
        client_menu.children[0].text == "Login cassetto fiscale — credenziali mancanti"
    )
    assert client_menu.children[0].enabled is False


def test_reading_secrets_rewords_only_missing_keyring():
    from trayapp.secretstore.base import (
        NO_KEYRING_MESSAGE,
        NO_KEYRING_READ_MESSAGE,
        NoKeyringError,
        SecretStoreError,
        reading_secrets,
    )

    with pytest.raises(NoKeyringError) as missing:
        with reading_secrets("Il backup non è stato scritto."):
            raise NoKeyringError(NO_KEYRING_MESSAGE)
    with pytest.raises(SecretStoreError) as other:
        with reading_secrets("Il backup non è stato scritto."):
            raise SecretStoreError("Il portachiavi di sistema è bloccato")

    assert str(missing.value) == (
        f"{NO_KEYRING_READ_MESSAGE} Il backup non è stato scritto."
    )
    assert "non possono essere letti" in NO_KEYRING_READ_MESSAGE
    assert str(other.value) == "Il portachiavi di sistema è bloccato"
