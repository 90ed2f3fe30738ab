"""The client index survives kills and damage: journal, backups, recovery, migration."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_env import run_trayapp, running_trayapp, trayapp_home_env, wait_for
from trayapp.domain.client import Client, Kind
from trayapp.storage.journal import BACKUP_FOLDER, list_backups
from trayapp.storage.tinydb_index import LARGE_WRITE, SCHEMA_VERSION, TinyDBClientIndex

TESTS = Path(__file__).resolve().parent
WRITER = TESTS / "index_writer.py"
KILL_TRIALS = 200


def person(number: int, **fields) -> Client:
    return Client(
        id=f"p{number}",
        kind=Kind.PERSONA_FISICA,
        codice_fiscale="",
        cognome=f"CLIENTE {number}",
        nome="PROVA",
        **fields,
    )


def index_with_backup(path: Path, count: int = 3) -> bytes:
    """Save `count` clients and fold, which writes the TinyDB file and a backup."""
    index = TinyDBClientIndex(path)
    index.put_many([person(n) for n in range(count)])
    index.fold()
    index.close()
    return path.read_bytes()


# -- kill -9 while saving -------------------------------------------------------


def _run_writer_and_kill(path: Path, delay: float) -> tuple[dict[int, int], set[int]]:
    """Start the writer and SIGKILL it after `delay` s of saving; parse its output.

    Returns the last acknowledged sequence for each client number, and the
    sequence numbers whose save had started but not returned.
    """
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
    )
    assert writer.stdout is not None
    ready = writer.stdout.readline()
    assert ready == "ready\n", ready + writer.stdout.read()
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    # Read through the same buffered stream as readline, which may hold
    # lines already taken from the pipe.
    output = writer.stdout.read()
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL, output[-2000:]
    acknowledged: dict[int, int] = {}
    started: set[int] = set()
    for line in output.splitlines():
        words = line.split()
        if len(words) != 3:
            continue  # the line being printed when the kill came
        state, number, sequence = words[0], int(words[1]), int(words[2])
        if state == "saving":
            started.add(sequence)
        elif state == "saved":
            acknowledged[number] = sequence
            started.discard(sequence)
    return acknowledged, started


def test_kill_9_keeps_acknowledged_saves(tmp_path):
    path = tmp_path / "clients.json"
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    last_acknowledged: dict[int, int] = {}
    ever_started: set[int] = set()
    for trial in range(KILL_TRIALS):
        acknowledged, in_flight = _run_writer_and_kill(path, chance.uniform(0, 0.3))
        last_acknowledged.update(acknowledged)
        ever_started.update(acknowledged.values(), in_flight)

        # This process only reads, so closing folds nothing: the next writer
        # starts from the journal as the killed one left it.
        index = TinyDBClientIndex(path)
        context = f"trial {trial}, seed {seed}"
        assert index.recovery_notice is None, context
        stored = {int(c.id[1:]): int(c.note) for c in index.all()}
        index.close()
        for number, sequence in last_acknowledged.items():
            assert stored.get(number, -1) >= sequence, (number, context)
        for number, sequence in stored.items():
            assert sequence in ever_started or sequence <= last_acknowledged.get(
                number, -1
            ), (number, context)
    assert len(last_acknowledged) == 40, "too few saves between kills"


# -- damaged index on start -----------------------------------------------------


def _unknown_schema(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["meta"] = {"1": {"schema": 99}}
    return json.dumps(data).encode()


DAMAGE = {
    "empty": (lambda raw: b"", "è vuoto"),
    "truncated": (lambda raw: raw[: len(raw) // 2], "è troncato"),
    "not JSON": (
        lambda raw: b"Cognome;Nome\nROSSI;MARIO\n",
        "non è JSON valido (riga 1)",
    ),
    "not UTF-8": (
        lambda raw: raw.replace(b"CLIENTE", b"CLI\xe8NTE"),
        "non è un file di testo UTF-8",
    ),
    "unreadable client": (
        lambda raw: raw.replace(b'"persona_fisica"', b'"alieno"', 1),
        "contiene un cliente con dati mancanti o non validi",
    ),
    "unknown schema": (
        _unknown_schema,
        "è stato scritto da una versione più recente di trayapp (schema 99,",
    ),
    "empty object": (lambda raw: b"{}", "non contiene il numero di schema"),
    "no meta table": (
        lambda raw: json.dumps({"clients": {}}).encode(),
        "non contiene il numero di schema",
    ),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_index_restores_backup(kind, tmp_path, keyring_daemon):
    home = tmp_path / "home"
    path = home / "data" / "clients.json"
    raw = index_with_backup(path)
    damage, reason = DAMAGE[kind]
    damaged = damage(raw)
    path.write_bytes(damaged)
    env = dict(os.environ, TRAYAPP_HOME=str(home), **keyring_daemon)

    result = run_trayapp(env, "list", "--json")

    assert result.returncode == 0, result.stderr
    names = sorted(client["name"] for client in json.loads(result.stdout))
    assert names == ["CLIENTE 0 PROVA", "CLIENTE 1 PROVA", "CLIENTE 2 PROVA"]
    kept = list(path.parent.glob("clients.json.danneggiato-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == damaged
    assert result.stderr.startswith(f"trayapp: L'indice clienti {reason}")
    assert f"spostato, intatto, in {kept[0]}" in result.stderr
    assert "Ripristinata la copia di sicurezza del " in result.stderr
    assert "(3 clienti)" in result.stderr


def test_folder_in_place_of_index_moved(tmp_path, keyring_daemon):
    home = tmp_path / "home"
    path = home / "data" / "clients.json"
    index_with_backup(path)
    path.unlink()
    path.mkdir()
    (path / "appunti.txt").write_text("non toccare", encoding="utf-8")
    env = dict(os.environ, TRAYAPP_HOME=str(home), **keyring_daemon)

    result = run_trayapp(env, "list", "--json")

    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 3
    kept = list(path.parent.glob("clients.json.danneggiato-*"))
    assert len(kept) == 1
    assert (kept[0] / "appunti.txt").read_text(encoding="utf-8") == "non toccare"
    assert result.stderr.startswith("trayapp: L'indice clienti non è un file")
    assert f"La cartella è stata spostata, intatta, in {kept[0]}." in result.stderr


def test_damaged_index_keeps_journal_saves(tmp_path):
    path = tmp_path / "clients.json"
    index_with_backup(path)
    index = TinyDBClientIndex(path)
    index.put(person(7, note="dopo la copia"))
    index._db.close()  # as after a crash: the save is only in the journal
    path.write_bytes(b"")

    reopened = TinyDBClientIndex(path)

    assert reopened.recovery is not None
    assert reopened.get("p7") == person(7, note="dopo la copia")
    assert len(reopened.all()) == 4
    assert reopened.recovery.message.endswith(
        "(3 clienti), con le modifiche salvate dopo di essa. L'elenco ora ha 4 clienti."
    )


def test_damaged_index_without_backup(tmp_path):
    path = tmp_path / "clients.json"
    path.write_bytes(b'{"clients": {"1": {"id": ')

    index = TinyDBClientIndex(path)

    assert index.all() == []
    assert index.recovery_notice is not None
    assert "Non c'è una copia di sicurezza utilizzabile" in index.recovery_notice
    kept = list(tmp_path.glob("clients.json.danneggiato-*"))
    assert [p.read_bytes() for p in kept] == [b'{"clients": {"1": {"id": ']


def test_missing_index_restores_backup(tmp_path):
    path = tmp_path / "clients.json"
    index_with_backup(path)
    path.unlink()

    index = TinyDBClientIndex(path)

    assert len(index.all()) == 3
    assert index.recovery_notice is not None
    assert index.recovery_notice.startswith("L'indice clienti non esiste più. ")
    assert "(3 clienti)" in index.recovery_notice


def test_damaged_backup_falls_back(tmp_path):
    path = tmp_path / "clients.json"
    index_with_backup(path, count=2)
    index_with_backup(path, count=3)
    newest = list_backups(tmp_path / BACKUP_FOLDER, "clients")[0]
    newest.write_bytes(b"{")
    path.write_bytes(b"\x00\x00")

    index = TinyDBClientIndex(path)

    assert len(index.all()) == 2
    assert index.recovery_notice is not None
    assert "(2 clienti)" in index.recovery_notice
    assert (
        "La copia di sicurezza più recente non era leggibile ed è rimasta in "
        f"{tmp_path / BACKUP_FOLDER}." in index.recovery_notice
    )
    assert newest.read_bytes() == b"{"


def test_journal_set_aside_named(tmp_path):
    path = tmp_path / "clients.json"
    path.write_bytes(b"")
    journal = tmp_path / "clients.json.journal"
    journal.write_bytes(b"00000000 {}\n")

    index = TinyDBClientIndex(path)

    kept = list(tmp_path.glob("clients.json.journal.scartato-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == b"00000000 {}\n"
    assert index.recovery_notice is not None
    assert f"conservato in {kept[0]}." in index.recovery_notice


@pytest.mark.desktop
def test_tray_notifies_restored_index(
    tmp_path, short_tmp, keyring_daemon, tray_host, notifications
):
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    path = home / "data" / "clients.json"
    index_with_backup(path)
    path.write_bytes(b"")
    with running_trayapp(env) as tray:
        wait_for(
            lambda: "Indice clienti ripristinato" in notifications.read_text("utf-8"),
            60,
            "the notification about the restored index",
            tray,
        )
        shown = notifications.read_text("utf-8")
        assert "L&apos;indice clienti è vuoto" in shown or (
            "L'indice clienti è vuoto" in shown
        )
        assert "(3 clienti)" in shown


# -- journal damage -------------------------------------------------------------


def test_torn_journal_line_dropped(tmp_path):
    path = tmp_path / "clients.json"
    index_with_backup(path)
    index = TinyDBClientIndex(path)
    index.put(person(5))
    index._db.close()
    journal = tmp_path / "clients.json.journal"
    with journal.open("ab") as stream:
        stream.write(b'0badf00d {"table":"clients","put":{"9":')

    index = TinyDBClientIndex(path)
    assert index.recovery_notice is None
    index.put(person(6))
    index._db.close()

    reopened = TinyDBClientIndex(path)
    assert sorted(c.id for c in reopened.all()) == ["p0", "p1", "p2", "p5", "p6"]


def test_damaged_journal_line_reported(tmp_path):
    path = tmp_path / "clients.json"
    index_with_backup(path)
    index = TinyDBClientIndex(path)
    index.put(person(5))
    index.put(person(6))
    index._db.close()
    journal = tmp_path / "clients.json.journal"
    lines = journal.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"CLIENTE 5", b"CLIENTE 8")
    damaged = b"\n".join(lines)
    journal.write_bytes(damaged)

    index = TinyDBClientIndex(path)

    assert index.recovery_notice is not None
    assert "ha una riga danneggiata" in index.recovery_notice
    kept = list(tmp_path.glob("clients.json.journal.danneggiato-*"))
    assert [p.read_bytes() for p in kept] == [damaged]
    assert str(kept[0]) in index.recovery_notice
    assert "le modifiche di quella riga e delle successive" in index.recovery_notice
    assert "L'elenco ora ha 3 clienti" in index.recovery_notice
    assert sorted(c.id for c in index.all()) == ["p0", "p1", "p2"]


# -- backups and migration ------------------------------------------------------


def test_backups_keep_newest(tmp_path):
    path = tmp_path / "clients.json"
    index = TinyDBClientIndex(path, backups=4)
    for number in range(7):
        index.put(person(number))
        index.fold()
    index.close()

    backups = list_backups(tmp_path / BACKUP_FOLDER, "clients")
    assert len(backups) == 4
    newest = json.loads(backups[0].read_text(encoding="utf-8"))
    assert len(newest["clients"]) == 7
    oldest = json.loads(backups[-1].read_text(encoding="utf-8"))
    assert len(oldest["clients"]) == 4


def test_schema_1_migrated(tmp_path):
    path = tmp_path / "clients.json"
    old_record = {
        "id": "abc123",
        "kind": "persona_fisica",
        "codice_fiscale": "RSSMRA80A01H501U",
        "cognome": "ROSSI",
        "nome": "MARIO",
        "email": "mario@example.it",
        "has_password": True,
        "password_changed_on": "2026-10-01",
    }
    raw = json.dumps(
        {"meta": {"1": {"schema": 1}}, "clients": {"1": old_record}}
    ).encode()
    path.write_bytes(raw)

    index = TinyDBClientIndex(path)

    client = index.get("abc123")
    assert client is not None
    assert (client.name, client.email, client.has_pin) == (
        "ROSSI MARIO",
        "mario@example.it",
        False,
    )
    kept = list(tmp_path.glob("clients.json.schema1-*"))
    assert [p.read_bytes() for p in kept] == [raw]
    migrated = json.loads(path.read_text(encoding="utf-8"))
    assert migrated["meta"] == {"1": {"schema": SCHEMA_VERSION}}
    assert migrated["clients"]["1"]["login_failures"] == 0
    index.close()
    assert TinyDBClientIndex(path).get("abc123") == client


def test_unchanged_fold_adds_no_backup(tmp_path):
    path = tmp_path / "clients.json"
    index_with_backup(path)
    before = list_backups(tmp_path / BACKUP_FOLDER, "clients")
    index = TinyDBClientIndex(path)

    index.put(person(0))  # the same data as already stored
    index.fold()
    index.put(person(0, note="cambiata"))
    index.close()

    assert list_backups(tmp_path / BACKUP_FOLDER, "clients") == before
    assert TinyDBClientIndex(path).get("p0") == person(0, note="cambiata")


def test_failed_fold_keeps_the_save(tmp_path, monkeypatch):
    path = tmp_path / "clients.json"
    index_with_backup(path)
    index = TinyDBClientIndex(path, fold_after_entries=1)

    def disk_full(target, content):
        raise OSError(28, "No space left on device")

    # Appending to the journal still works; writing a new snapshot does not.
    monkeypatch.setattr("trayapp.storage.journal.write_atomically", disk_full)
    index.put(person(9))
    monkeypatch.undo()
    index.close()

    assert TinyDBClientIndex(path).get("p9") == person(9)


def test_large_write_lands_in_index_file(tmp_path):
    path = tmp_path / "clients.json"
    index = TinyDBClientIndex(path)
    index.put_many([person(n) for n in range(LARGE_WRITE + 1)])
    index.close()
    journal = path.with_name(path.name + ".journal")

    # One damaged byte in the journal can no longer cost the large write.
    damaged = bytearray(journal.read_bytes())
    damaged[-2] ^= 0x01
    journal.write_bytes(bytes(damaged))

    reopened = TinyDBClientIndex(path)
    assert len(reopened.all()) == LARGE_WRITE + 1
    newest = max((tmp_path / BACKUP_FOLDER).iterdir())
    assert len(json.loads(newest.read_text(encoding="utf-8"))["clients"]) == (
        LARGE_WRITE + 1
    )
