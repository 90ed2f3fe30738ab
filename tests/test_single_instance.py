"""One writer at a time: concurrent commands and a second start of the tray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_env import (
    channel_file,
    read_log,
    run_trayapp,
    running_trayapp,
    start_trayapp,
    stop_trayapp,
    trayapp_env,
    trayapp_home_env,
    wait_for,
    wait_for_channel,
    wait_for_log,
    window_ids,
)

SAMPLES = Path(__file__).resolve().parent / "data"


def import_one_client(folder: Path, env: dict[str, str]) -> None:
    """Import the client DNNLSS63C58G224U with `trayapp import`, from a file in folder."""
    data = folder / "uno.csv"
    data.write_text(
        "Cognome;Nome;Codice fiscale\nROSSI;ANNA;DNNLSS63C58G224U\n", encoding="utf-8"
    )
    imported = run_trayapp(env, "import", str(data))
    assert imported.returncode == 0, imported.stderr


def test_concurrent_imports_add_each_client_once(tmp_path, short_tmp, keyring_daemon):
    env, _ = trayapp_env(
        tmp_path, home=tmp_path / "home", temporary=short_tmp, keyring=keyring_daemon
    )
    first = start_trayapp(env, "import", str(SAMPLES / "clienti.xlsx"))
    time.sleep(0.5)
    second = start_trayapp(env, "import", str(SAMPLES / "clienti-excel.csv"))
    outputs = [process.communicate(timeout=300) for process in (first, second)]

    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    waiting = "trayapp: un'altra istanza di trayapp sta modificando i dati: attendo"
    assert any(waiting in errors for _, errors in outputs), outputs
    listed = run_trayapp(env, "list", "--json")
    clients = json.loads(listed.stdout)
    assert len(clients) == 300
    assert len({client["codice_fiscale"] for client in clients}) == 300


@pytest.mark.desktop
def test_second_start_hands_over(tmp_path, short_tmp, keyring_daemon, tray_host):
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    import_one_client(tmp_path, env)
    starts = [start_trayapp(env), start_trayapp(env)]
    try:
        # Whichever start takes the instance lock becomes the tray; the
        # other hands over to it and exits.
        wait_for(
            lambda: any(process.poll() is not None for process in starts),
            60,
            "either start to hand over",
        )
        (handed_over,) = [process for process in starts if process.poll() is not None]
        (tray,) = [process for process in starts if process is not handed_over]
        _, handed_over_err = handed_over.communicate(timeout=10)
        wait_for_channel(home, tray, 60)

        stored = run_trayapp(
            env,
            "set-credentials",
            "DNNLSS63C58G224U",
            "--stdin",
            stdin="Segreta1!\n1234567890\n",
        )
        assert tray.poll() is None
        assert handed_over.returncode == 0, handed_over_err
        assert "trayapp è già in esecuzione: aperta la rubrica." in handed_over_err
        assert stored.returncode == 0, stored.stderr
        log_lines = read_log(home).splitlines()
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
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    crashed = start_trayapp(env)
    wait_for_channel(home, crashed, 30)
    crashed.kill()
    crashed.communicate(timeout=30)
    record = json.loads(channel_file(home).read_text(encoding="utf-8"))
    stale_folder = Path(record["address"]).parent
    assert stale_folder.is_dir()

    with running_trayapp(env) as again:
        wait_for_log(
            home, "tray started", again, 30, "the second start's tray", count=2
        )
        # Still running a moment later: it took the lock, it did not hand over.
        time.sleep(1)
        assert again.poll() is None
        assert not stale_folder.exists()


@pytest.mark.desktop
def test_login_with_other_portal_refused(
    tmp_path, short_tmp, keyring_daemon, tray_host
):
    home, env = trayapp_home_env(
        tmp_path,
        short_tmp,
        keyring_daemon,
        tray_host,
        portal_origin="http://127.0.0.1:9",
    )
    with running_trayapp(env) as tray:
        wait_for_channel(home, tray, 60)

        other = dict(env, TRAYAPP_PORTAL_ORIGIN="http://127.0.0.1:8")
        result = run_trayapp(other, "login", "DNNLSS63C58G224U")

        assert result.returncode == 1
        assert result.stderr == (
            "trayapp: la tray in esecuzione ha TRAYAPP_PORTAL_ORIGIN diverso da questo "
            "comando, e il Login lo farebbe la tray con il proprio valore. Esci dalla "
            "tray, oppure avviala con la stessa impostazione, e riprova.\n"
        )


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
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    import_one_client(tmp_path, env)
    # The command line leaves its save in the journal; the tray folds it.
    index_file = home / "data" / "clients.json"
    assert "DNNLSS63C58G224U" not in index_file.read_text(encoding="utf-8")
    tray = start_trayapp(env, "rubrica")
    try:
        wait_for(lambda: window_ids(tray_host), 60, "the rubrica window", tray)
        (window_line,) = [
            line for line in read_log(home).splitlines() if "window process" in line
        ]
        window_pid = int(window_line.split("window process ")[1].split()[0])
        assert process_alive(window_pid)
        # The window writes to the tray's log under its own process id.
        shown_line = f" {window_pid} INFO trayapp.window.app: rubrica window shown"
        wait_for_log(home, shown_line, tray, 60, "the window's first log line")

        getattr(tray, ending)()
        tray.wait(timeout=20)

        wait_for(
            lambda: not process_alive(window_pid),
            10,
            "the rubrica window to end after the tray",
        )
        if ending == "kill":
            assert tray.returncode == -9
            lost = f" {window_pid} ERROR trayapp.window.app: lost the resident process"
            assert lost in read_log(home)
            assert "DNNLSS63C58G224U" not in index_file.read_text(encoding="utf-8")
            return
        assert tray.returncode == 0
        assert not channel_file(home).exists()
        assert "DNNLSS63C58G224U" in index_file.read_text(encoding="utf-8")
        newest = max((home / "data" / "index-backups").iterdir())
        assert "DNNLSS63C58G224U" in newest.read_text(encoding="utf-8")
        assert "tray stopped" in read_log(home)
    finally:
        if tray.poll() is None:
            tray.kill()
        tray.wait(timeout=30)


TRAY_CLOSED = (
    "trayapp: la tray di trayapp si è chiusa mentre eseguiva il comando. Riavviala e "
    "controlla con «trayapp list» che cosa è stato salvato prima di riprovare.\n"
)


@pytest.mark.desktop
@pytest.mark.parametrize("ending", ["terminate", "kill"])
def test_tray_end_during_import_is_reported(
    tmp_path, short_tmp, keyring_daemon, tray_host, ending
):
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)
    # With --debug the tray logs every call it serves.
    tray = start_trayapp(env, "--debug", capture_output=False)
    try:
        wait_for_channel(home, tray, 60)
        # 300 rows with passwords and PINs: the keyring writes take seconds.
        importing = start_trayapp(env, "import", str(SAMPLES / "clienti.xlsx"), "--yes")
        wait_for_log(
            home, "call import_progress", importing, 120, "the import in the tray"
        )
        getattr(tray, ending)()
        tray.wait(timeout=30)
        stdout, stderr = importing.communicate(timeout=60)
    finally:
        stop_trayapp(tray)

    assert importing.returncode == 1
    assert stdout == ""
    assert stderr == TRAY_CLOSED


@pytest.mark.desktop
def test_closed_output_through_tray_silent(
    tmp_path, short_tmp, keyring_daemon, tray_host
):
    home, env = trayapp_home_env(tmp_path, short_tmp, keyring_daemon, tray_host)

    def run_without_reader(*args: str) -> subprocess.CompletedProcess:
        """Run trayapp with a standard output whose reader has gone, as `| head` does."""
        reader, writer = os.pipe()
        os.close(reader)
        try:
            return subprocess.run(
                [sys.executable, "-m", "trayapp", *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=writer,
                stderr=subprocess.PIPE,
                text=True,
                timeout=300,
            )
        finally:
            os.close(writer)

    with running_trayapp(env, "--debug", capture_output=False) as tray:
        wait_for_channel(home, tray, 60)
        imported = run_without_reader("import", str(SAMPLES / "clienti-excel.csv"))
        listed = run_without_reader("list")
        served = read_log(home)
        clients = json.loads(run_trayapp(env, "list", "--json").stdout)

    assert (imported.returncode, imported.stderr) == (0, "")
    assert (listed.returncode, listed.stderr) == (0, "")
    assert "call import_start" in served
    assert len(clients) == 300
