"""One writer at a time: concurrent commands and a second start of the tray."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_env import trayapp_env, window_ids

SAMPLES = Path(__file__).resolve().parent / "data"


def start(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "trayapp", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.PIPE,
    )


def test_concurrent_imports_add_each_client_once(tmp_path, short_tmp, keyring_daemon):
    env, _ = trayapp_env(
        tmp_path, home=tmp_path / "home", temporary=short_tmp, keyring=keyring_daemon
    )
    first = start(env, "import", str(SAMPLES / "clienti.xlsx"))
    time.sleep(0.5)
    second = start(env, "import", str(SAMPLES / "clienti-excel.csv"))
    outputs = [process.communicate(timeout=300) for process in (first, second)]

    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    waiting = "trayapp: un'altra istanza di trayapp sta modificando i dati: attendo"
    assert any(waiting in errors for _, errors in outputs), outputs
    listed = subprocess.run(
        [sys.executable, "-m", "trayapp", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    clients = json.loads(listed.stdout)
    assert len(clients) == 300
    assert len({client["codice_fiscale"] for client in clients}) == 300


@pytest.mark.desktop
def test_second_start_hands_over(tmp_path, short_tmp, keyring_daemon, tray_host):
    home = tmp_path / "home"
    env, _ = trayapp_env(
        tmp_path,
        home=home,
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=tray_host,
    )
    data = tmp_path / "uno.csv"
    data.write_text(
        "Cognome;Nome;Codice fiscale\nROSSI;ANNA;DNNLSS63C58G224U\n", encoding="utf-8"
    )
    assert (
        subprocess.run(
            [sys.executable, "-m", "trayapp", "import", str(data)], env=env, timeout=60
        ).returncode
        == 0
    )
    starts = [start(env), start(env)]
    try:
        # Whichever start takes the instance lock becomes the tray; the
        # other hands over to it and exits.
        deadline = time.monotonic() + 60
        while all(process.poll() is None for process in starts):
            assert time.monotonic() < deadline, "neither start handed over"
            time.sleep(0.2)
        (handed_over,) = [process for process in starts if process.poll() is not None]
        (tray,) = [process for process in starts if process is not handed_over]
        _, handed_over_err = handed_over.communicate(timeout=10)
        while not (home / "data" / "instance.json").exists():
            assert time.monotonic() < deadline, "the tray never published its channel"
            time.sleep(0.2)

        stored = subprocess.run(
            [
                sys.executable,
                "-m",
                "trayapp",
                "set-credentials",
                "DNNLSS63C58G224U",
                "--stdin",
            ],
            env=env,
            input="Segreta1!\n1234567890\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert tray.poll() is None
        assert handed_over.returncode == 0, handed_over_err
        assert "trayapp è già in esecuzione: aperta la rubrica." in handed_over_err
        assert stored.returncode == 0, stored.stderr
        log_lines = (
            (home / "logs" / "trayapp.log").read_text(encoding="utf-8").splitlines()
        )
        updates = [line for line in log_lines if "credentials of client" in line]
        assert len(updates) == 1
        assert f" {tray.pid} INFO " in updates[0]
        started = [line for line in log_lines if "tray started" in line]
        assert len(started) == 1
    finally:
        for process in starts:
            if process.poll() is None:
                process.terminate()
                # Wait for the process, not its pipes, because the rubrica
                # window it started keeps them open until it sees the tray is gone.
                process.wait(timeout=30)


@pytest.mark.desktop
def test_start_after_crash_is_not_blocked(
    tmp_path, short_tmp, keyring_daemon, tray_host
):
    home = tmp_path / "home"
    env, _ = trayapp_env(
        tmp_path,
        home=home,
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=tray_host,
    )
    crashed = start(env)
    deadline = time.monotonic() + 30
    while not (home / "data" / "instance.json").exists():
        assert time.monotonic() < deadline, "the tray never published its channel"
        time.sleep(0.2)
    crashed.kill()
    crashed.communicate(timeout=30)
    record = json.loads((home / "data" / "instance.json").read_text(encoding="utf-8"))
    stale_folder = Path(record["address"]).parent
    assert stale_folder.is_dir()

    again = start(env)
    try:
        log_file = home / "logs" / "trayapp.log"
        deadline = time.monotonic() + 30
        while log_file.read_text(encoding="utf-8").count("tray started") < 2:
            assert again.poll() is None, again.communicate()
            assert time.monotonic() < deadline, "the second start never showed its tray"
            time.sleep(0.2)
        # Still running a moment later: it took the lock, it did not hand over.
        time.sleep(1)
        assert again.poll() is None
        assert not stale_folder.exists()
    finally:
        again.terminate()
        again.communicate(timeout=30)


@pytest.mark.desktop
def test_login_with_other_portal_refused(
    tmp_path, short_tmp, keyring_daemon, tray_host
):
    home = tmp_path / "home"
    env, _ = trayapp_env(
        tmp_path,
        home=home,
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=tray_host,
        portal_origin="http://127.0.0.1:9",
    )
    tray = start(env)
    try:
        deadline = time.monotonic() + 60
        while not (home / "data" / "instance.json").exists():
            assert time.monotonic() < deadline, "the tray never published its channel"
            assert tray.poll() is None, tray.communicate()
            time.sleep(0.2)

        other = dict(env, TRAYAPP_PORTAL_ORIGIN="http://127.0.0.1:8")
        result = subprocess.run(
            [sys.executable, "-m", "trayapp", "login", "DNNLSS63C58G224U"],
            env=other,
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert result.returncode == 1
        assert result.stderr == (
            "trayapp: la tray in esecuzione ha TRAYAPP_PORTAL_ORIGIN diverso da questo "
            "comando, e il Login lo farebbe la tray con il proprio valore. Esci dalla "
            "tray, oppure avviala con la stessa impostazione, e riprova.\n"
        )
    finally:
        tray.terminate()
        tray.communicate(timeout=30)


def process_alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # A zombie has ended; only its parent has not collected it yet.
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.desktop
@pytest.mark.parametrize("ending", ["terminate", "kill"])
def test_tray_end_closes_window(tmp_path, short_tmp, keyring_daemon, tray_host, ending):
    """A logout's SIGTERM ends the tray as "Esci" does: window closed, index folded.

    After a SIGKILL, which no program can handle, the window still closes
    when it loses its channel, and the save stays in the journal.
    """
    home = tmp_path / "home"
    env, _ = trayapp_env(
        tmp_path,
        home=home,
        temporary=short_tmp,
        keyring=keyring_daemon,
        display=tray_host,
    )
    data = tmp_path / "uno.csv"
    data.write_text(
        "Cognome;Nome;Codice fiscale\nROSSI;ANNA;DNNLSS63C58G224U\n", encoding="utf-8"
    )
    imported = subprocess.run(
        [sys.executable, "-m", "trayapp", "import", str(data)], env=env, timeout=60
    )
    assert imported.returncode == 0
    # The command line leaves its save in the journal; the tray folds it.
    index_file = home / "data" / "clients.json"
    assert "DNNLSS63C58G224U" not in index_file.read_text(encoding="utf-8")
    log_file = home / "logs" / "trayapp.log"
    tray = start(env, "rubrica")
    try:
        deadline = time.monotonic() + 60
        while not window_ids(tray_host):
            assert time.monotonic() < deadline, "the rubrica never opened"
            assert tray.poll() is None, tray.communicate()
            time.sleep(0.2)
        log_text = log_file.read_text(encoding="utf-8")
        (window_line,) = [
            line for line in log_text.splitlines() if "window process" in line
        ]
        window_pid = int(window_line.split("window process ")[1].split()[0])
        assert process_alive(window_pid)
        # The window writes to the tray's log under its own process id.
        while f" {window_pid} INFO trayapp.window.app: rubrica window shown" not in (
            log_file.read_text(encoding="utf-8")
        ):
            assert time.monotonic() < deadline, "the window logged nothing"
            time.sleep(0.2)

        getattr(tray, ending)()
        tray.wait(timeout=20)

        deadline = time.monotonic() + 10
        while process_alive(window_pid):
            assert time.monotonic() < deadline, "the rubrica outlived the tray"
            time.sleep(0.1)
        if ending == "kill":
            assert tray.returncode == -9
            lost = f" {window_pid} ERROR trayapp.window.app: lost the resident process"
            assert lost in log_file.read_text(encoding="utf-8")
            assert "DNNLSS63C58G224U" not in index_file.read_text(encoding="utf-8")
            return
        assert tray.returncode == 0
        assert not (home / "data" / "instance.json").exists()
        assert "DNNLSS63C58G224U" in index_file.read_text(encoding="utf-8")
        newest = max((home / "data" / "index-backups").iterdir())
        assert "DNNLSS63C58G224U" in newest.read_text(encoding="utf-8")
        assert "tray stopped" in log_file.read_text(encoding="utf-8")
    finally:
        if tray.poll() is None:
            tray.kill()
        tray.wait(timeout=30)
