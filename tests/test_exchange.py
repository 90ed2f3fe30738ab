"""Encrypted backup and restore, KeePass and plain exports, run as a user runs them.

Every command runs as a `trayapp` process on the test's real gnome-keyring
and real files. A restore or import "into an empty machine" uses a second
TRAYAPP_HOME, after every keyring entry of the first one was deleted and
the keyring checked to be empty.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_env import find_secrets, log_file, running_trayapp, wait_for
from test_cli import trayapp
from trayapp.domain.client import Client, Kind
from trayapp.domain.credentials import SecretKind
from trayapp.importing.service import ANAGRAFICA_FIELDS
from trayapp.ipc import RpcClient

PASSPHRASE = "cavallo batteria graffetta"
KEEPASS_PASSWORD = "Portachiavi dello studio 2024"

CLIENT_LIST = (
    "Codice;Tipo;Ragione sociale;Cognome;Nome;Codice fiscale;Partita IVA;Comune;"
    "Email;PEC;Telefono;Collegato a;Ruolo;Utente Fisconline;Password;PIN;"
    "Data cambio password;Note\n"
    "00001;PG;PANIFICIO COSTA SOC. COOP.;;;01314440460;01314440460;Napoli;"
    "amministrazione@panificio.example.it;panificio@pec.example.it;;;;;;;;"
    '"Ritira i documenti il lunedì\nchiamare prima"\n'
    "00002;PF;;D'ANNUNZIO;ALESSIA;DNNLSS63C58G224U;;Padova;alessia43@example.com;;"
    ";01314440460;Legale rappresentante;;VjVxWb7@;8630944270;19/12/2025;\n"
    "00003;PF;;LOMBARDI;ALESSIA;LMBLSS64D60L736G;37057080170;Venezia;"
    "alessia.lombardi@example.it;lombardi@pec.example.it;311 2145812;;;"
    "LMBLSS64D60L736G;5ED9J*ua;AB12CD34;04/06/2025;\n"
    "00004;PF;;ROSSI;MARIO;CSTPPL57P19L219T;;;;;;;;;;;;\n"
)
RENEWED = ("Rinnovo#2025a", "Rinnovo#2025b")


def index_bytes(home: Path) -> tuple[bytes, bytes]:
    """Return the index file and its journal, which together hold the client list."""
    data = home / "data"
    return (data / "clients.json").read_bytes(), (
        data / "clients.json.journal"
    ).read_bytes()


def keyring_contents() -> dict[str, str]:
    """Return user name -> secret of every trayapp item in the test keyring."""
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        return {
            item.get_attributes()["username"]: item.get_secret().decode("utf-8")
            for item in collection.search_items({"service": "trayapp"})
        }
    finally:
        connection.close()


def stored_secrets(studio) -> dict[str, dict[SecretKind, str]]:
    """Return codice fiscale -> every secret the keyring holds for that client."""
    result = {}
    for client in studio.clients():
        values = {}
        for kind in SecretKind:
            value = studio.secrets.get(client.id, kind)
            if value:
                values[kind] = value
        result[client.codice_fiscale] = values
    return result


def anagrafica(studio) -> dict[str, dict[str, object]]:
    """Return codice fiscale -> anagrafica fields, with the link as a codice fiscale."""
    clients = studio.clients()
    codici = {client.id: client.codice_fiscale for client in clients}
    return {
        client.codice_fiscale: {
            **{name: getattr(client, name) for name in ANAGRAFICA_FIELDS},
            "linked_to": codici.get(client.linked_to, ""),
        }
        for client in clients
    }


def all_secret_values(studio) -> set[str]:
    return {
        value for values in stored_secrets(studio).values() for value in values.values()
    }


@pytest.fixture
def filled_studio(studio, tmp_path):
    """The studio with four clients, a link, notes, and renewed passwords."""
    source = tmp_path / "clienti.csv"
    source.write_text(CLIENT_LIST, encoding="utf-8")
    report = studio.import_file(source)
    assert report.imported == 4, report.as_dict()
    alessia = studio.resolve("DNNLSS63C58G224U")
    for password in RENEWED:
        studio.renew_password(alessia.id, password)
    return studio


@pytest.fixture
def private_tmpdir(tmp_path, monkeypatch) -> Path:
    """TMPDIR of every trayapp process the test starts, scanned for secrets."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def empty_the_machine(studio, monkeypatch, tmp_path) -> Path:
    """Delete the studio's keyring entries, check none is left, and move to a new home."""
    for client in studio.clients():
        for kind in SecretKind:
            studio.secrets.delete(client.id, kind)
    studio.close()
    assert keyring_contents() == {}
    home = tmp_path / "other-machine"
    monkeypatch.setenv("TRAYAPP_HOME", str(home))
    return home


def open_home():
    from trayapp.app import open_studio

    return open_studio()


# -- backup and restore --------------------------------------------------------


def test_backup_restore_into_empty_machine(
    filled_studio, trayapp_home, tmp_path, monkeypatch, private_tmpdir
):
    expected_records = {
        client.codice_fiscale: client.to_record() for client in filled_studio.clients()
    }
    expected_secrets = stored_secrets(filled_studio)
    secrets = all_secret_values(filled_studio)
    assert expected_secrets["DNNLSS63C58G224U"] == {
        SecretKind.PASSWORD: RENEWED[1],
        SecretKind.PREVIOUS_PASSWORD_1: RENEWED[0],
        SecretKind.PREVIOUS_PASSWORD_2: "VjVxWb7@",
        SecretKind.PIN: "8630944270",
    }
    folder = tmp_path / "chiavetta"
    folder.mkdir()
    backup_file = folder / "studio.trayapp-backup"

    written = trayapp(
        "backup", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE
    )

    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == (
        f"Backup cifrato di 4 clienti scritto in {backup_file}."
    )
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    assert sorted(path.name for path in folder.iterdir()) == [backup_file.name]
    assert backup_file.read_bytes().startswith(b"trayapp-backup\n")
    assert find_secrets([backup_file, private_tmpdir, trayapp_home], secrets) == []
    assert b"PANIFICIO" not in backup_file.read_bytes()

    other_home = empty_the_machine(filled_studio, monkeypatch, tmp_path)
    restored = trayapp(
        "restore", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )

    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == (
        f"Ripristino da {backup_file}: 4 clienti aggiunti, 0 sostituiti, "
        "0 già presenti e tenuti."
    )
    studio = open_home()
    try:
        records = {c.codice_fiscale: c.to_record() for c in studio.clients()}
        assert records == expected_records
        assert stored_secrets(studio) == expected_secrets
        assert len(keyring_contents()) == sum(map(len, expected_secrets.values()))
        actions = [entry["action"] for entry in studio.audit.entries()]
        assert actions == ["restore"]
    finally:
        studio.close()
    assert find_secrets([other_home, private_tmpdir, trayapp_home], secrets) == []


def test_backup_audit_entry_has_no_secret(filled_studio, trayapp_home, tmp_path):
    backup_file = tmp_path / "studio.backup"
    result = trayapp("backup", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE)
    assert result.returncode == 0, result.stderr

    entries = filled_studio.audit.entries()

    assert entries[-1]["action"] == "backup"
    assert entries[-1]["detail"] == "studio.backup: 4 clienti"
    leaks = find_secrets(
        [trayapp_home / "logs", trayapp_home / "data"],
        all_secret_values(filled_studio) | {PASSPHRASE},
    )
    assert leaks == []


def test_short_passphrase_writes_nothing(filled_studio, tmp_path):
    backup_file = tmp_path / "studio.backup"

    result = trayapp("backup", str(backup_file), "--passphrase-stdin", stdin="corta")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "trayapp: la passphrase è troppo corta (5 caratteri): ne servono almeno 12. "
        "Nessun file è stato scritto."
    )
    assert list(tmp_path.glob("studio.backup*")) == []


def test_backup_without_terminal_asks_for_stdin(filled_studio, tmp_path):
    result = trayapp("backup", str(tmp_path / "studio.backup"), stdin="")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "trayapp: nessun terminale per chiedere la passphrase: usa --passphrase-stdin"
    )


@pytest.mark.parametrize(
    ("command", "name", "stdin"),
    [
        ("backup", "studio.backup", PASSPHRASE),
        ("export", "elenco.csv", ""),
        ("export", "elenco.xlsx", ""),
        ("export", "clienti.kdbx", KEEPASS_PASSWORD),
    ],
)
def test_existing_file_kept_unless_force(filled_studio, tmp_path, command, name, stdin):
    target = tmp_path / name
    target.write_bytes(b"dati di prima")
    options = ["--passphrase-stdin"] if stdin else []

    refused = trayapp(command, str(target), *options, stdin=stdin)

    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"trayapp: il file {target} esiste già: scegli un altro nome o aggiungi "
        "--force per sostituirlo\n"
    )
    assert target.read_bytes() == b"dati di prima"
    files = sorted(path.name for path in tmp_path.iterdir() if path.is_file())
    assert files == sorted(["clienti.csv", name])

    replaced = trayapp(command, str(target), "--force", *options, stdin=stdin)

    assert replaced.returncode == 0, replaced.stderr
    assert target.read_bytes() != b"dati di prima"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_existing_file_refused_before_the_passphrase_prompt(filled_studio, tmp_path):
    target = tmp_path / "studio.backup"
    target.write_bytes(b"dati di prima")

    result = trayapp("backup", str(target), stdin="")

    assert result.returncode == 1
    assert result.stderr == (
        f"trayapp: il file {target} esiste già: scegli un altro nome o aggiungi "
        "--force per sostituirlo\n"
    )


def test_window_calls_replace_the_file_its_dialog_confirmed(filled_studio, tmp_path):
    from trayapp.exchange.files import ExchangeError
    from trayapp.exchange.rpc import ExchangeCommands
    from trayapp.window.exchange_api import ExchangeApi

    backup_file = tmp_path / "studio.backup"
    exported = tmp_path / "elenco.xlsx"
    for path in (backup_file, exported):
        path.write_bytes(b"dati di prima")
    tray = ExchangeCommands(filled_studio)

    class Window(ExchangeApi):
        def _call(self, method, **params):
            return {"result": getattr(tray, f"rpc_{method}")(**params)}

    with pytest.raises(ExchangeError) as refused:
        tray.rpc_write_backup(str(backup_file), PASSPHRASE, PASSPHRASE)
    assert str(refused.value) == (
        f"il file {backup_file} esiste già: scegli un altro nome o aggiungi --force "
        "per sostituirlo"
    )
    with pytest.raises(ExchangeError):
        tray.rpc_export_clients(str(exported))
    assert backup_file.read_bytes() == exported.read_bytes() == b"dati di prima"

    window = Window()
    written = window.write_backup(str(backup_file), PASSPHRASE, PASSPHRASE)
    listed = window.export_clients(str(exported))

    assert written == {"result": {"path": str(backup_file), "count": 4}}
    assert listed == {"result": {"path": str(exported), "count": 4, "secrets": False}}
    assert backup_file.read_bytes().startswith(b"trayapp-backup\n")
    assert exported.read_bytes().startswith(b"PK")


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def _header_end(data: bytes) -> int:
    return 15 + 4 + int.from_bytes(data[15:19], "big")


WRONG_OR_DAMAGED = "passphrase errata, oppure il file è stato modificato o danneggiato"
DAMAGED = "è danneggiato o incompleto: nulla è stato modificato"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong passphrase", WRONG_OR_DAMAGED),
        ("truncated in ciphertext", "è incompleto: ha "),
        ("truncated in header", DAMAGED),
        ("header length flipped", DAMAGED),
        ("header date flipped", WRONG_OR_DAMAGED),
        ("ciphertext flipped", WRONG_OR_DAMAGED),
        ("tag flipped", WRONG_OR_DAMAGED),
        ("not a backup", "non è un backup di trayapp: nulla è stato modificato"),
    ],
)
def test_bad_backup_changes_nothing(
    filled_studio, trayapp_home, tmp_path, case, expected
):
    good = tmp_path / "good.backup"
    made = trayapp("backup", str(good), "--passphrase-stdin", stdin=PASSPHRASE)
    assert made.returncode == 0, made.stderr
    data = good.read_bytes()
    end = _header_end(data)
    date_position = data.index(b'"created_at":"') + len(b'"created_at":"') + 3
    damaged = {
        "wrong passphrase": data,
        "truncated in ciphertext": data[:-10],
        "truncated in header": data[: end - 20],
        "header length flipped": _flip(data, 17),
        "header date flipped": _flip(data, date_position),
        "ciphertext flipped": _flip(data, end + 5),
        "tag flipped": _flip(data, len(data) - 1),
        "not a backup": b"Codice fiscale;Cognome\n",
    }[case]
    bad = tmp_path / "bad.backup"
    bad.write_bytes(damaged)
    # Another machine's data: the restore must leave all of it as it is.
    filled_studio.set_credentials(
        filled_studio.resolve("CSTPPL57P19L219T").id, password="Locale#2026"
    )
    index_before = index_bytes(trayapp_home)
    keyring_before = keyring_contents()
    passphrase = "un'altra passphrase" if case == "wrong passphrase" else PASSPHRASE

    result = trayapp(
        "restore", str(bad), "--overwrite", "--passphrase-stdin", stdin=passphrase
    )

    assert result.returncode == 1
    assert result.stderr.startswith(f"trayapp: {bad}")
    assert expected in result.stderr
    assert index_bytes(trayapp_home) == index_before
    assert keyring_contents() == keyring_before


def test_restore_keeps_existing_unless_overwrite(filled_studio, tmp_path):
    backup_file = tmp_path / "studio.backup"
    made = trayapp("backup", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE)
    assert made.returncode == 0, made.stderr
    rossi = filled_studio.resolve("CSTPPL57P19L219T")
    filled_studio.set_credentials(rossi.id, password="Locale#2026", pin="1112223334")
    lombardi = filled_studio.resolve("LMBLSS64D60L736G")
    filled_studio.delete_client(lombardi.id)

    kept = trayapp("restore", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE)

    assert kept.returncode == 0, kept.stderr
    assert "1 clienti aggiunti, 0 sostituiti, 3 già presenti e tenuti" in kept.stdout
    assert "«--overwrite» li sostituisce" in kept.stderr
    assert filled_studio.secrets.get(rossi.id, SecretKind.PASSWORD) == "Locale#2026"
    back = filled_studio.resolve("LMBLSS64D60L736G")
    assert filled_studio.secrets.get(back.id, SecretKind.PIN) == "AB12CD34"

    replaced = trayapp(
        "restore",
        str(backup_file),
        "--overwrite",
        "--passphrase-stdin",
        stdin=PASSPHRASE,
    )

    assert replaced.returncode == 0, replaced.stderr
    assert "0 clienti aggiunti, 4 sostituiti, 0 già presenti" in replaced.stdout
    assert filled_studio.secrets.get(rossi.id, SecretKind.PASSWORD) is None
    assert filled_studio.secrets.get(rossi.id, SecretKind.PIN) is None
    assert filled_studio.get(rossi.id).has_password is False


# -- plain exports ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_plain_export_round_trip_without_secrets(
    filled_studio, tmp_path, monkeypatch, suffix
):
    expected = anagrafica(filled_studio)
    secrets = all_secret_values(filled_studio)
    exported = tmp_path / f"elenco{suffix}"

    result = trayapp("export", str(exported))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"4 clienti esportati in {exported} (solo anagrafica, senza password né PIN)."
    )
    assert find_secrets([exported], secrets) == []
    empty_the_machine(filled_studio, monkeypatch, tmp_path)
    imported = trayapp("import", str(exported))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("4 importati, 0 aggiornati, 0 invariati")
    studio = open_home()
    try:
        assert anagrafica(studio) == expected
        assert all(not client.has_password for client in studio.clients())
    finally:
        studio.close()
    assert keyring_contents() == {}


def test_csv_export_is_excel_text(filled_studio, tmp_path):
    exported = tmp_path / "elenco.csv"
    assert trayapp("export", str(exported)).returncode == 0

    text = exported.read_bytes().decode("utf-8-sig")

    assert text.splitlines()[0] == (
        "Codice;Tipo;Ragione sociale;Cognome;Nome;Codice fiscale;Partita IVA;Comune;"
        "Email;PEC;Telefono;Collegato a;Ruolo;Utente Fisconline;Note"
    )
    assert "PG;PANIFICIO COSTA SOC. COOP.;" in text


def test_export_unknown_suffix_rejected(filled_studio, tmp_path):
    result = trayapp("export", str(tmp_path / "clienti.pdf"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "trayapp: clienti.pdf: formato non riconosciuto dall'estensione «.pdf»; "
        "usa .csv, .xlsx o .kdbx"
    )
    assert not (tmp_path / "clienti.pdf").exists()


def test_export_to_folder_named_as_such(filled_studio, tmp_path):
    folder = tmp_path / "archivio"
    folder.mkdir()

    result = trayapp("export", str(folder))

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"trayapp: {folder} è una cartella: indica il nome di un file"
    )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("command", "name", "stdin"),
    [
        ("export", "elenco.csv", ""),
        ("backup", "studio.backup", PASSPHRASE),
    ],
)
def test_pipe_never_replaced_even_with_force(
    filled_studio, tmp_path, command, name, stdin
):
    pipe = tmp_path / name
    os.mkfifo(pipe)
    options = ["--passphrase-stdin"] if stdin else []

    result = trayapp(command, str(pipe), "--force", *options, stdin=stdin)

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"trayapp: {pipe} non è un file normale (è un dispositivo o una pipe): "
        "indica il nome di un file"
    )
    assert stat.S_ISFIFO(pipe.stat().st_mode)


# -- KeePass -----------------------------------------------------------------------


def test_keepass_round_trip_into_empty_machine(
    filled_studio, trayapp_home, tmp_path, monkeypatch, private_tmpdir
):
    expected = anagrafica(filled_studio)
    changed_on = {
        client.codice_fiscale: client.password_changed_on
        for client in filled_studio.clients()
    }
    expected_secrets = {
        codice: {
            kind: value
            for kind, value in values.items()
            if kind in (SecretKind.PASSWORD, SecretKind.PIN)
        }
        for codice, values in stored_secrets(filled_studio).items()
    }
    secrets = all_secret_values(filled_studio)
    database = tmp_path / "studio.kdbx"

    written = trayapp(
        "export", str(database), "--passphrase-stdin", stdin=KEEPASS_PASSWORD
    )

    assert written.returncode == 0, written.stderr
    assert "4 clienti esportati" in written.stdout
    assert "(con password e PIN)" in written.stdout
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert find_secrets([database, private_tmpdir], secrets) == []
    entry = _keepass_entry(database, "D'ANNUNZIO ALESSIA")
    assert entry.username == "DNNLSS63C58G224U"
    assert entry.password == RENEWED[1]
    assert entry.get_custom_property("PIN") == "8630944270"
    assert entry.is_custom_property_protected("PIN")
    assert entry.get_custom_property("Collegato a") == "01314440460"
    assert entry.group.name == "trayapp"

    other_home = empty_the_machine(filled_studio, monkeypatch, tmp_path)
    imported = trayapp(
        "import-keepass", str(database), "--passphrase-stdin", stdin=KEEPASS_PASSWORD
    )

    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "4 importati, 0 aggiornati, 0 invariati, 0 voci scartate",
        "Password e PIN: 4 aggiunti, 0 sostituiti, 0 tenuti quelli già salvati",
    ]
    studio = open_home()
    try:
        assert anagrafica(studio) == expected
        assert stored_secrets(studio) == expected_secrets
        assert {
            client.codice_fiscale: client.password_changed_on
            for client in studio.clients()
        } == changed_on
    finally:
        studio.close()
    assert find_secrets([other_home, private_tmpdir], secrets) == []


def _keepass_entry(database: Path, title: str):
    from pykeepass import PyKeePass

    opened = PyKeePass(str(database), password=KEEPASS_PASSWORD)
    return opened.find_entries(title=title, first=True)


def test_foreign_keepass_imports_codici_fiscali(studio, tmp_path, trayapp_home):
    from pykeepass import create_database

    database = tmp_path / "personale.kdbx"
    foreign = create_database(str(database), password=KEEPASS_PASSWORD)
    group = foreign.add_group(foreign.root_group, "Clienti")
    foreign.add_entry(
        group,
        "Rossi Mario",
        "cstppl57p19l219t",
        "Fisco#2024x",
        notes="PIN: 1234 567890\naltro segreto: Zq7-orto-segreto",
    )
    with_field = foreign.add_entry(
        foreign.root_group, "PANIFICIO COSTA", "01314440460", "Pane#2024xy"
    )
    with_field.set_custom_property("PIN", "AB12CD34", protect=True)
    foreign.add_entry(foreign.root_group, "Posta", "mario@example.it", "Mail#2024x")
    foreign.add_entry(foreign.root_group, "Wi-Fi", "", "router-pass")
    foreign.save()

    result = trayapp(
        "import-keepass", str(database), "--passphrase-stdin", stdin=KEEPASS_PASSWORD
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2 importati, 0 aggiornati, 0 invariati, 2 voci scartate"
    assert lines[1].startswith("Password e PIN: ")
    assert lines[2].startswith(
        "  voce 3 «Posta», Utente Fisconline: «mario@example.it» non è un codice fiscale"
    )
    assert lines[2].endswith("la voce non corrisponde a un cliente")
    assert lines[3] == (
        "  voce 4 «Wi-Fi», Utente Fisconline: nessun nome utente: la voce non "
        "corrisponde a un cliente"
    )
    rossi = studio.resolve("CSTPPL57P19L219T")
    assert rossi.name == "Rossi Mario"
    assert rossi.note == ""
    assert studio.secrets.get(rossi.id, SecretKind.PASSWORD) == "Fisco#2024x"
    assert studio.secrets.get(rossi.id, SecretKind.PIN) == "1234567890"
    company = studio.resolve("01314440460")
    assert company.denominazione == "PANIFICIO COSTA"
    assert studio.secrets.get(company.id, SecretKind.PIN) == "AB12CD34"
    assert (
        find_secrets([trayapp_home], {"router-pass", "Mail#2024x", "Zq7-orto-segreto"})
        == []
    )


def test_keepass_wrong_password_imports_nothing(filled_studio, tmp_path, trayapp_home):
    database = tmp_path / "studio.kdbx"
    written = trayapp(
        "export", str(database), "--passphrase-stdin", stdin=KEEPASS_PASSWORD
    )
    assert written.returncode == 0, written.stderr
    index_before = index_bytes(trayapp_home)
    keyring_before = keyring_contents()

    result = trayapp(
        "import-keepass", str(database), "--passphrase-stdin", stdin="sbagliata!!!!"
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"trayapp: {database}: password principale di KeePass errata: nulla è stato "
        "importato"
    )
    assert index_bytes(trayapp_home) == index_before
    assert keyring_contents() == keyring_before


def test_keepass_import_of_non_database(studio, tmp_path):
    not_keepass = tmp_path / "clienti.kdbx"
    not_keepass.write_text(CLIENT_LIST, encoding="utf-8")

    result = trayapp(
        "import-keepass", str(not_keepass), "--passphrase-stdin", stdin="qualsiasi"
    )

    assert result.returncode == 1
    assert str(not_keepass) in result.stderr
    assert "non è un database KeePass" in result.stderr
    assert studio.clients() == []


def test_client_record_round_trip_is_exact():
    """The backup relies on to_record and from_record losing nothing."""
    client = Client(
        id="abc123def456",
        kind=Kind.SOCIETA,
        codice_fiscale="01314440460",
        denominazione="PANIFICIO",
        extra={"origine": "test"},
    )
    assert Client.from_record(client.to_record()) == client


def test_temporary_files_stay_private(filled_studio, tmp_path):
    os.chmod(tmp_path, 0o755)
    exported = tmp_path / "clienti.xlsx"
    assert trayapp("export", str(exported)).returncode == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


@pytest.fixture
def tray_env(trayapp_home, tmp_path, short_tmp, keyring_daemon, tray_host):
    """The environment of a `trayapp` tray on the test desktop and TRAYAPP_HOME."""
    from desktop_env import trayapp_env

    env, _ = trayapp_env(
        tmp_path,
        home=trayapp_home,
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=tray_host,
    )
    return env


@contextlib.contextmanager
def running_tray(env: dict[str, str], home: Path) -> Iterator[tuple[int, RpcClient]]:
    """Start `trayapp` as the user does; yield its pid and a channel once it listens."""
    from trayapp import instance

    with running_trayapp(env, capture_output=False) as tray:
        channel = wait_for(
            lambda: instance.connect(home / "data"), 60, "the tray's channel", tray
        )
        try:
            yield tray.pid, channel
        finally:
            channel.close()


def log_text(home: Path) -> str:
    """Return trayapp's log, whose lines name the process id that wrote them."""
    return log_file(home).read_text(encoding="utf-8")


def tray_clients(channel: RpcClient) -> dict[str, dict[str, object]]:
    """Return codice fiscale -> the row the running tray's index has for it."""
    return {row["codice_fiscale"]: row for row in channel.call("list_clients")}


def delete_every_client(studio) -> None:
    """Delete every client and its keyring entries, as the rubrica's Elimina does."""
    for client in studio.clients():
        if studio.index.get(client.id) is not None:
            studio.delete_client(client.id, "delete")
    assert studio.clients() == []
    assert keyring_contents() == {}


@pytest.mark.desktop
def test_restore_goes_through_running_tray(
    filled_studio, trayapp_home, tmp_path, short_tmp, tray_env
):
    env = tray_env
    expected_secrets = stored_secrets(filled_studio)
    secrets = all_secret_values(filled_studio) | {PASSPHRASE}
    backup_file = tmp_path / "studio.backup"
    made = trayapp("backup", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE)
    assert made.returncode == 0, made.stderr
    delete_every_client(filled_studio)
    filled_studio.close()

    with running_tray(env, trayapp_home) as (tray_pid, channel):
        assert tray_clients(channel) == {}
        index_before = index_bytes(trayapp_home)
        wrong = trayapp(
            "restore",
            str(backup_file),
            "--passphrase-stdin",
            stdin="un'altra passphrase",
            env=env,
        )
        assert index_bytes(trayapp_home) == index_before
        assert tray_clients(channel) == {}

        result = trayapp(
            "restore", str(backup_file), "--passphrase-stdin", stdin=PASSPHRASE, env=env
        )
        in_tray = tray_clients(channel)
        audit = channel.call("audit_entries")

    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (
        f"trayapp: {backup_file}: {WRONG_OR_DAMAGED}. Nulla è stato modificato."
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"Ripristino da {backup_file}: 4 clienti aggiunti, 0 sostituiti, "
        "0 già presenti e tenuti."
    )
    assert sorted(in_tray) == sorted(expected_secrets)
    # The tray's process id on the log lines shows that the tray did the work.
    log = log_text(trayapp_home)
    assert f" {tray_pid} WARNING trayapp.exchange.service: restore of " in log
    assert f" {tray_pid} INFO trayapp.exchange.snapshot: restore of " in log
    assert in_tray["DNNLSS63C58G224U"]["has_password"] is True
    assert in_tray["DNNLSS63C58G224U"]["has_pin"] is True
    assert [entry["action"] for entry in audit[:2]] == ["restore", "restore"]
    assert audit[0]["outcome"] == ""
    assert audit[1]["outcome"] == "non riuscito"
    studio = open_home()
    try:
        assert stored_secrets(studio) == expected_secrets
    finally:
        studio.close()
    assert find_secrets([trayapp_home, short_tmp], secrets) == []


@pytest.mark.desktop
def test_import_keepass_goes_through_running_tray(
    filled_studio, trayapp_home, tmp_path, short_tmp, tray_env
):
    env = tray_env
    secrets = all_secret_values(filled_studio) | {KEEPASS_PASSWORD}
    database = tmp_path / "studio.kdbx"
    made = trayapp(
        "export", str(database), "--passphrase-stdin", stdin=KEEPASS_PASSWORD
    )
    assert made.returncode == 0, made.stderr
    delete_every_client(filled_studio)
    filled_studio.close()

    with running_tray(env, trayapp_home) as (tray_pid, channel):
        dry = trayapp(
            "import-keepass",
            str(database),
            "--dry-run",
            "--passphrase-stdin",
            stdin=KEEPASS_PASSWORD,
            env=env,
        )
        after_dry_run = tray_clients(channel)
        result = trayapp(
            "import-keepass",
            str(database),
            "--passphrase-stdin",
            stdin=KEEPASS_PASSWORD,
            env=env,
        )
        in_tray = tray_clients(channel)

    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "Prova (nessun dato salvato): 4 da importare, 0 da aggiornare, 0 invariati, "
        "0 voci da scartare",
        "Password e PIN: 4 da aggiungere, 0 da sostituire, 0 tenuti quelli già salvati",
    ]
    assert after_dry_run == {}
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "4 importati, 0 aggiornati, 0 invariati, 0 voci scartate",
        "Password e PIN: 4 aggiunti, 0 sostituiti, 0 tenuti quelli già salvati",
    ]
    assert len(in_tray) == 4
    assert (
        f" {tray_pid} INFO trayapp.importing.service: import of studio.kdbx: "
        "4 imported, 0 updated, 0 unchanged, 0 rejected\n"
    ) in log_text(trayapp_home)
    assert in_tray["LMBLSS64D60L736G"]["has_password"] is True
    studio = open_home()
    try:
        lombardi = studio.resolve("LMBLSS64D60L736G")
        assert studio.secrets.get(lombardi.id, SecretKind.PASSWORD) == "5ED9J*ua"
        assert studio.secrets.get(lombardi.id, SecretKind.PIN) == "AB12CD34"
    finally:
        studio.close()
    assert find_secrets([trayapp_home, short_tmp], secrets) == []
