"""Start at login: the XDG entry on Linux for real, LaunchAgent and Run key simulated."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.desktop import autostart
from trayapp.desktop.autostart import AutostartError, exec_argument, parse_exec

VENV_SCRIPT = Path(sys.executable).parent / "trayapp"


def trayapp(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


@pytest.fixture
def config_env(tmp_path, trayapp_home) -> dict[str, str]:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def test_autostart_on_writes_xdg_entry(config_env, tmp_path, trayapp_home):
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"

    result = trayapp("autostart", "on", env=config_env)

    assert result.returncode == 0, result.stderr
    assert entry.is_file()
    assert "Avvio all'accesso: attivo" in result.stdout
    assert str(entry) in result.stdout
    lines = entry.read_text("utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert "Type=Application" in lines
    exec_line = next(line for line in lines if line.startswith("Exec="))
    command = parse_exec(exec_line.removeprefix("Exec="))
    # The entry keeps the data folder the command was given.
    assert command == [str(VENV_SCRIPT), "--home", str(trayapp_home), "tray"]


@pytest.mark.parametrize("option", ["TRAYAPP_HOME", "--home"])
def test_autostart_relative_home_made_absolute(config_env, tmp_path, option):
    """The login session starts elsewhere, so a relative data folder is resolved."""
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    if option == "--home":
        arguments = ["--home", "relhome", "autostart", "on"]
    else:
        config_env["TRAYAPP_HOME"] = "relhome"
        arguments = ["autostart", "on"]

    result = trayapp(*arguments, env=config_env, cwd=workdir)

    assert result.returncode == 0, result.stderr
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"
    lines = entry.read_text("utf-8").splitlines()
    exec_line = next(line for line in lines if line.startswith("Exec="))
    command = parse_exec(exec_line.removeprefix("Exec="))
    assert command == [str(VENV_SCRIPT), "--home", str(workdir / "relhome"), "tray"]
    assert f"--home {workdir / 'relhome'} tray" in result.stdout


def test_with_home_resolves_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    command = autostart.with_home(["trayapp", "tray"], {"TRAYAPP_HOME": "dati"})

    assert command == ["trayapp", "--home", str(tmp_path / "dati"), "tray"]


def test_autostart_exec_line_starts_trayapp(config_env, tmp_path):
    assert trayapp("autostart", "on", env=config_env).returncode == 0
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"
    exec_line = next(
        line
        for line in entry.read_text("utf-8").splitlines()
        if line.startswith("Exec=")
    )
    program = parse_exec(exec_line.removeprefix("Exec="))[0]

    started = subprocess.run(
        [program, "--version"], capture_output=True, text=True, timeout=60
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().startswith("trayapp ")


def test_autostart_entry_read_by_gio(tmp_path):
    """GLib's own desktop-entry parser reads the same command line back."""
    gi = pytest.importorskip("gi")
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib

    folder = tmp_path / 'odd "folder" $HOME \\ `x`'
    folder.mkdir()
    # GLib rejects an entry whose program does not exist.
    program = folder / "trayapp"
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    entry = autostart.XdgAutostart(tmp_path / "autostart" / "trayapp.desktop")
    command = [str(program), "tray"]

    entry.enable(command)

    info = Gio.DesktopAppInfo.new_from_filename(str(entry.path))
    assert info is not None
    _ok, argv = GLib.shell_parse_argv(info.get_commandline())
    assert argv == command
    assert entry.status().command == tuple(command)


def test_autostart_off_removes_entry(config_env, tmp_path):
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"
    assert trayapp("autostart", "on", env=config_env).returncode == 0

    result = trayapp("autostart", "off", env=config_env)

    assert result.returncode == 0, result.stderr
    assert not entry.exists()
    assert "Avvio all'accesso: non attivo" in result.stdout


def test_autostart_status_follows_entry(config_env, trayapp_home):
    before = trayapp("autostart", "status", env=config_env)
    assert trayapp("autostart", "on", env=config_env).returncode == 0
    after = trayapp("autostart", "status", env=config_env)

    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith("Avvio all'accesso: non attivo")
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("Avvio all'accesso: attivo")
    assert f"Comando: {VENV_SCRIPT} --home {trayapp_home} tray" in after.stdout


def test_autostart_hidden_entry_is_off(tmp_path):
    path = tmp_path / "trayapp.desktop"
    path.write_text(
        "[Desktop Entry]\nType=Application\nExec=trayapp tray\nHidden=true\n",
        encoding="utf-8",
    )

    status = autostart.XdgAutostart(path).status()

    assert status.enabled is False
    assert status.command == ("trayapp", "tray")


def test_autostart_default_config_home(tmp_path):
    entry = autostart.autostart_for("linux", {"HOME": str(tmp_path)})

    assert isinstance(entry, autostart.XdgAutostart)
    assert entry.path == tmp_path / ".config" / "autostart" / "trayapp.desktop"


def test_autostart_unwritable_folder_reported(config_env, tmp_path):
    """A file where the autostart folder should be makes the write fail."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "autostart").write_text("not a folder", encoding="utf-8")

    result = trayapp("autostart", "on", env=config_env)

    assert result.returncode == 1
    assert "Impossibile scrivere" in result.stderr
    assert "trayapp.desktop" in result.stderr
    assert "L'avvio all'accesso non è stato modificato" in result.stderr
    assert (tmp_path / "config" / "autostart").read_text("utf-8") == "not a folder"


@pytest.mark.parametrize(
    "argument",
    ["plain", "with space", 'say "hi"', "100%", "$HOME", "back\\slash", "`cmd`", ""],
)
def test_exec_argument_round_trip(argument):
    assert parse_exec(exec_argument(argument)) == [argument]


def test_launch_command_frozen():
    command = autostart.launch_command(frozen=True, executable="/opt/trayapp/trayapp")

    assert command == ["/opt/trayapp/trayapp", "tray"]


def test_launch_command_pip_install():
    command = autostart.launch_command(frozen=False, executable=sys.executable)

    assert command == [str(VENV_SCRIPT), "tray"]


def test_launch_command_without_script(tmp_path):
    interpreter = tmp_path / "bin" / "python3"

    command = autostart.launch_command(
        frozen=False, executable=str(interpreter), search_path=str(tmp_path)
    )

    assert command == [str(interpreter), "-m", "trayapp", "tray"]


# macOS ---------------------------------------------------------------------


def test_launch_agent_written_and_removed(tmp_path):
    """macOS cannot run here: the platform is passed in, the plist is a real file."""
    entry = autostart.autostart_for("darwin", {"HOME": str(tmp_path)})
    command = ["/Applications/trayapp.app/Contents/MacOS/trayapp", "tray"]
    path = tmp_path / "Library" / "LaunchAgents" / "it.trayapp.tray.plist"

    entry.enable(command)

    agent = plistlib.loads(path.read_bytes())
    assert agent["Label"] == "it.trayapp.tray"
    assert agent["ProgramArguments"] == command
    assert agent["RunAtLoad"] is True
    assert entry.status().enabled is True
    assert entry.status().command == tuple(command)

    entry.disable()

    assert not path.exists()
    assert entry.status().enabled is False


def test_launch_agent_damaged_plist(tmp_path):
    """macOS cannot run here: a damaged plist file is read on Linux."""
    entry = autostart.autostart_for("darwin", {"HOME": str(tmp_path)})
    path = tmp_path / "Library" / "LaunchAgents" / "it.trayapp.tray.plist"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<plist><dict><key>Label")

    with pytest.raises(AutostartError) as raised:
        entry.status()

    assert str(path) in str(raised.value)
    assert "non è un plist valido" in str(raised.value)


# Windows -------------------------------------------------------------------


class FakeKey:
    def __init__(self, registry: FakeWinreg, path: str) -> None:
        self.values = registry.keys.setdefault(path, {})

    def __enter__(self) -> FakeKey:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class FakeWinreg:
    """Stand-in for the winreg module, which exists only on Windows."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 2
    REG_SZ = 1

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, tuple[str, int]]] = {}

    def CreateKeyEx(self, root, path, reserved=0, access=0):  # noqa: N802
        return FakeKey(self, f"{root}\\{path}")

    def OpenKey(self, root, path, reserved=0, access=0):  # noqa: N802
        if f"{root}\\{path}" not in self.keys:
            raise FileNotFoundError(path)
        return FakeKey(self, f"{root}\\{path}")

    def SetValueEx(self, key, name, reserved, kind, value):  # noqa: N802
        key.values[name] = (value, kind)

    def QueryValueEx(self, key, name):  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(name)
        return key.values[name]

    def DeleteValue(self, key, name):  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(name)
        del key.values[name]


RUN_PATH = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"


def test_run_key_written_and_removed():
    """Windows cannot run here: winreg is replaced by an in-memory registry."""
    registry = FakeWinreg()
    entry = autostart.autostart_for("win32", registry=registry)
    exe = r"C:\Users\Mario Rossi\AppData\Local\Programs\trayapp\trayapp.exe"

    entry.enable([exe, "tray"])

    assert registry.keys[RUN_PATH]["trayapp"] == (f'"{exe}" tray', FakeWinreg.REG_SZ)
    status = entry.status()
    assert status.enabled is True
    assert status.command == (exe, "tray")

    entry.disable()

    assert "trayapp" not in registry.keys[RUN_PATH]
    assert entry.status().enabled is False


def test_run_key_off_without_value():
    """Windows cannot run here: winreg is replaced by an in-memory registry."""
    entry = autostart.autostart_for("win32", registry=FakeWinreg())

    entry.disable()

    assert entry.status().enabled is False


def test_run_key_too_long_keeps_old_value():
    """Windows cannot run here: winreg is replaced by an in-memory registry."""
    registry = FakeWinreg()
    entry = autostart.autostart_for("win32", registry=registry)
    entry.enable([r"C:\trayapp\trayapp.exe", "tray"])
    long_path = "C:\\" + "cartella\\" * 40 + "trayapp.exe"

    with pytest.raises(AutostartError) as raised:
        entry.enable([long_path, "tray"])

    assert "260" in str(raised.value)
    assert registry.keys[RUN_PATH]["trayapp"][0] == r"C:\trayapp\trayapp.exe tray"


@pytest.mark.parametrize(
    "arguments",
    [
        [r"C:\Program Files\trayapp\trayapp.exe", "tray"],
        [r"C:\a b\\", 'say "hi"', ""],
        [r"C:\x\y.exe", r"back\\slash\"quote"],
    ],
)
def test_windows_command_round_trip(arguments):
    line = subprocess.list2cmdline(arguments)

    assert autostart._split_windows_command(line) == arguments


def test_launch_command_windows_console_twin():
    """Windows cannot run here: the path is a plain string; no file is checked."""
    command = autostart.launch_command(
        frozen=True, executable=r"C:\Programs\trayapp\trayapp-cli.exe", platform="win32"
    )

    assert command == [r"C:\Programs\trayapp\trayapp.exe", "tray"]
