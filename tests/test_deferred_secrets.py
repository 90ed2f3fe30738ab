"""The keyring is opened on the first secret's use, not when trayapp starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from trayapp.domain.credentials import SecretKind
from trayapp.secretstore.base import SecretStoreError
from trayapp.secretstore.deferred import DeferredSecretStore

# Opens the studio as the tray does, then reads one secret, and reports which
# keyring modules were imported before and after.
OPEN_THEN_READ = """
import json, sys
from trayapp.app import open_studio
from trayapp.domain.credentials import SecretKind

studio = open_studio()
before = sorted(name for name in sys.modules if name.split(".")[0] == "keyring")
value = studio.secrets.get("nessuno", SecretKind.PASSWORD)
after = "keyring" in sys.modules
print(json.dumps({"before": before, "value": value, "after": after,
                  "described": studio.secrets.describe()}))
studio.close()
"""


class FakeStore:
    """An in-memory SecretStore that records whether it was closed."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, SecretKind], str] = {}
        self.closed = False

    def get(self, client_id: str, kind: SecretKind) -> str | None:
        return self.values.get((client_id, kind))

    def set(self, client_id: str, kind: SecretKind, value: str) -> None:
        self.values[client_id, kind] = value

    def delete(self, client_id: str, kind: SecretKind) -> None:
        self.values.pop((client_id, kind), None)

    def describe(self) -> str:
        return "prova"

    def close(self) -> None:
        self.closed = True


def test_studio_start_imports_no_keyring(trayapp_home, keyring_daemon):
    result = subprocess.run(
        [sys.executable, "-c", OPEN_THEN_READ],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["before"] == []
    assert report["value"] is None
    assert report["after"] is True
    assert report["described"] != "nessun portachiavi"


def test_store_opened_once_on_first_use():
    opened: list[FakeStore] = []

    def opener() -> FakeStore:
        opened.append(FakeStore())
        return opened[-1]

    store = DeferredSecretStore(opener)
    assert opened == []

    store.set("c1", SecretKind.PIN, "12345678")
    assert store.get("c1", SecretKind.PIN) == "12345678"
    store.delete("c1", SecretKind.PIN)
    assert store.get("c1", SecretKind.PIN) is None
    assert len(opened) == 1

    store.close()
    assert opened[0].closed is True


def test_failed_open_raised_then_retried():
    attempts = []

    def opener() -> FakeStore:
        attempts.append(1)
        if len(attempts) < 3:
            raise SecretStoreError("Nessun portachiavi di sistema disponibile")
        return FakeStore()

    store = DeferredSecretStore(opener)

    with pytest.raises(SecretStoreError, match="Nessun portachiavi"):
        store.get("c1", SecretKind.PASSWORD)
    assert store.describe() == "nessun portachiavi"
    assert store.get("c1", SecretKind.PASSWORD) is None
    assert store.describe() == "prova"
    assert len(attempts) == 3


def test_close_before_use_opens_nothing():
    def opener() -> FakeStore:
        raise AssertionError("the keyring was opened by close()")

    DeferredSecretStore(opener).close()
