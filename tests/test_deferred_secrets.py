"""The keyring is opened on the first secret's use, not when trayapp starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import KEYRING_UNLOCK_PASSWORD, _bus_name_owned, _require, _wait_until
from desktop_env import start_gnome_keyring
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


# Reads a secret with no keyring on the bus, waits for a line on stdin (sent
# once the test has started one), then reads again in the same process.
READ_BEFORE_AND_AFTER_KEYRING = """
import json, sys
from trayapp.app import open_studio
from trayapp.domain.credentials import SecretKind
from trayapp.secretstore.base import SecretStoreError

studio = open_studio()
try:
    studio.secrets.get("nessuno", SecretKind.PIN)
except SecretStoreError as error:
    print(json.dumps({"first": str(error)}), flush=True)
sys.stdin.readline()
value = studio.secrets.get("nessuno", SecretKind.PIN)
print(json.dumps({"second": value, "described": studio.secrets.describe()}))
studio.close()
"""

# A session bus that starts no service on request, so no keyring appears
# until the test starts one.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
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


def test_keyring_started_later_found(trayapp_home, tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    data_home = tmp_path / "data"
    data_home.mkdir()
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=runtime / "bus"), encoding="utf-8")
    env = dict(
        os.environ,
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={runtime / 'bus'}",
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(data_home),
    )
    env.pop("DISPLAY", None)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    started: list[subprocess.Popen] = []
    try:
        started.append(
            subprocess.Popen(
                [_require("dbus-daemon"), "--nofork", f"--config-file={config}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_until(lambda: (runtime / "bus").exists(), 10, "the session bus")
        child = subprocess.Popen(
            [sys.executable, "-c", READ_BEFORE_AND_AFTER_KEYRING],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(child)
        assert child.stdout is not None and child.stdin is not None
        first = json.loads(child.stdout.readline())
        started.append(start_gnome_keyring(env, KEYRING_UNLOCK_PASSWORD))
        _wait_until(
            lambda: _bus_name_owned(env, "org.freedesktop.secrets"),
            15,
            "gnome-keyring on the session bus",
        )
        output, errors = child.communicate("\n", timeout=60)
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.terminate()
                process.wait(10)

    assert first["first"].startswith("Nessun portachiavi di sistema disponibile")
    assert child.returncode == 0, errors
    second = json.loads(output)
    assert second["second"] is None
    assert second["described"] != "nessun portachiavi"


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
