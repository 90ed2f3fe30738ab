"""An import killed between its keyring writes and its index write leaves no secrets behind.

The import is a real `trayapp import` process writing to the real
gnome-keyring; it is killed with SIGKILL while it stores passwords.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from desktop_env import run_trayapp, trayapp_env
from test_window import codici_fiscali
from trayapp.domain.credentials import SecretKind
from trayapp.importing.service import import_file
from trayapp.secretstore.base import UnavailableSecretStore
from trayapp.secretstore.keyring_store import open_secret_store
from trayapp.secretstore.pending import PENDING_FILE, PendingSecretWrites
from trayapp.storage.tinydb_index import TinyDBClientIndex

ROWS = 400


def client_list(codes: list[str]) -> str:
    lines = ["Cognome;Nome;Codice fiscale;Password;PIN"]
    for number, code in enumerate(codes):
        lines.append(
            f"Interrotto;Cliente {number};{code};Chiave*{number:04d}x;{number:010d}"
        )
    return "\n".join(lines) + "\n"


def test_killed_import_secrets_removed(tmp_path, short_tmp, keyring_daemon):
    home = tmp_path / "home"
    env, _ = trayapp_env(
        tmp_path, home=home, temporary=short_tmp, keyring=keyring_daemon
    )
    big = tmp_path / "grande.csv"
    big.write_text(client_list(codici_fiscali(ROWS, "NTR", "CLN")), encoding="utf-8")
    record = home / "data" / PENDING_FILE

    importing = subprocess.Popen(
        [sys.executable, "-m", "trayapp", "import", "--yes", str(big)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not record.exists():
        assert importing.poll() is None, importing.communicate()
        assert time.monotonic() < deadline, "the import never began its keyring writes"
        time.sleep(0.05)
    pending_ids = json.loads(record.read_text(encoding="utf-8"))["ids"]
    assert len(pending_ids) == ROWS
    store = open_secret_store()

    def stored_ids() -> list[str]:
        return [
            client_id
            for client_id in pending_ids
            if store.get(client_id, SecretKind.PASSWORD) is not None
        ]

    # Kill it once it has stored some passwords, well short of the whole list.
    while not stored_ids():
        assert importing.poll() is None, importing.communicate()
        assert time.monotonic() < deadline, "the import stored no password"
        time.sleep(0.1)
    importing.send_signal(signal.SIGKILL)
    importing.communicate(timeout=30)

    listed = run_trayapp(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert "Interrotto" not in listed.stdout
    left = stored_ids()
    assert 0 < len(left) < ROWS

    # The next command that writes removes them before its own work.
    small = tmp_path / "piccolo.csv"
    small.write_text(client_list(codici_fiscali(1, "PCL", "NNA")), encoding="utf-8")
    again = run_trayapp(env, "import", "--yes", str(small))

    assert again.returncode == 0, again.stderr
    assert not record.exists()
    for client_id in left:
        for kind in SecretKind:
            assert store.get(client_id, kind) is None
    log_text = (home / "logs" / "trayapp.log").read_text(encoding="utf-8")
    assert (
        f"removed the secrets of {ROWS} new clients an interrupted write left in the keyring"
        in log_text
    )


def test_record_keeps_earlier_ids(tmp_path):
    pending = PendingSecretWrites(tmp_path / PENDING_FILE)
    pending.path.write_text(json.dumps({"ids": ["c-rimasto"]}), encoding="utf-8")

    with pending.recorded(["c-nuovo"]):
        assert pending.ids() == {"c-rimasto", "c-nuovo"}

    assert not pending.path.exists()


def test_failed_block_keeps_record(tmp_path):
    pending = PendingSecretWrites(tmp_path / PENDING_FILE)

    with pytest.raises(RuntimeError), pending.recorded(["c-nuovo"]):
        raise RuntimeError("keyring down")

    assert pending.ids() == {"c-nuovo"}


def test_sweep_without_keyring_keeps_record(tmp_path):
    pending = PendingSecretWrites(tmp_path / PENDING_FILE)
    pending.path.write_text(json.dumps({"ids": ["c-nuovo"]}), encoding="utf-8")
    index = TinyDBClientIndex(tmp_path / "clients.json")

    removed = pending.sweep(index, UnavailableSecretStore("portachiavi assente"))

    assert removed == 0
    assert pending.ids() == {"c-nuovo"}


class InterruptedAfterWrite:
    """The real keyring, where the write number `at` lands and then Ctrl+C arrives."""

    def __init__(self, store, at: int) -> None:
        self._store = store
        self._at = at
        self.writes = 0

    def get(self, client_id, kind):
        return self._store.get(client_id, kind)

    def set(self, client_id, kind, value) -> None:
        self._store.set(client_id, kind, value)
        self.writes += 1
        if self.writes == self._at:
            raise KeyboardInterrupt

    def delete(self, client_id, kind) -> None:
        self._store.delete(client_id, kind)


def test_ctrl_c_mid_write_restores_passwords(studio, tmp_path):
    codes = codici_fiscali(3, "CTR", "LCC")
    header = "Cognome;Nome;Codice fiscale;Password;PIN;Data cambio password\n"
    first = tmp_path / "prima.csv"
    first.write_text(
        header
        + "".join(
            f"Ctrl;Cliente {n};{code};Vecchia*{n}xx;{n:010d};01/03/2025\n"
            for n, code in enumerate(codes)
        ),
        encoding="utf-8",
    )
    studio.import_file(first)
    before = {
        client.id: studio.secrets.get(client.id, SecretKind.PASSWORD)
        for client in studio.clients()
    }
    newer = tmp_path / "dopo.csv"
    newer.write_text(
        header
        + "".join(
            f"Ctrl;Cliente {n};{code};Nuova*{n}xxxx;{n:010d};01/06/2025\n"
            for n, code in enumerate(codes)
        ),
        encoding="utf-8",
    )
    interrupted = InterruptedAfterWrite(studio.secrets, at=2)

    with pytest.raises(KeyboardInterrupt):
        import_file(newer, studio.index, interrupted, today=date(2025, 7, 1))

    after = {
        client.id: studio.secrets.get(client.id, SecretKind.PASSWORD)
        for client in studio.clients()
    }
    assert after == before


def test_retry_after_cut_import_records_new_date(studio, tmp_path):
    code = codici_fiscali(1, "RTR", "NTR")[0]
    header = "Cognome;Nome;Codice fiscale;Password;PIN;Data cambio password\n"
    first = tmp_path / "prima.csv"
    first.write_text(
        header + f"Riprova;Anna;{code};Vecchia*1xx;1234567890;01/03/2025\n",
        encoding="utf-8",
    )
    studio.import_file(first)
    (client,) = studio.clients()
    # An import cut short after its keyring write: the new password is
    # stored, the index still has the old date.
    studio.secrets.set(client.id, SecretKind.PASSWORD, "Nuova*1xxxx")
    newer = tmp_path / "dopo.csv"
    newer.write_text(
        header + f"Riprova;Anna;{code};Nuova*1xxxx;1234567890;01/06/2025\n",
        encoding="utf-8",
    )

    report = studio.import_file(newer)

    assert report.updated == 1
    assert studio.get(client.id).password_changed_on == date(2025, 6, 1)
    assert studio.import_file(newer).unchanged == 1
