"""packaging/linux/install.sh run on a stand-in bundle, read back with GLib."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.desktop.autostart import parse_exec

ROOT = Path(__file__).resolve().parents[1]
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="install.sh is the Linux installer"
)


def fake_bundle(folder: Path) -> Path:
    """Create an unpacked bundle in `folder` and return its stand-in program."""
    (folder / "share" / "applications").mkdir(parents=True)
    (folder / "share" / "icons").mkdir()
    shutil.copy(ROOT / "packaging" / "linux" / "install.sh", folder)
    shutil.copy(
        ROOT / "packaging" / "linux" / "trayapp.desktop",
        folder / "share" / "applications",
    )
    for size in ICON_SIZES:
        name = f"trayapp-{size}.png"
        shutil.copy(ROOT / "assets" / "icons" / name, folder / "share" / "icons")
    program = folder / "trayapp"
    program.write_text("#!/bin/sh\necho trayapp 0\n", encoding="utf-8")
    program.chmod(0o755)
    return program


def install(bundle: Path, home: Path) -> subprocess.CompletedProcess:
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    return subprocess.run(
        ["sh", str(bundle / "install.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def exec_value(entry: Path) -> str:
    """Return the Exec key of `entry` as GLib reads it, string escapes undone."""
    gi = pytest.importorskip("gi")
    gi.require_version("GLib", "2.0")
    from gi.repository import GLib

    key_file = GLib.KeyFile()
    key_file.load_from_file(str(entry), GLib.KeyFileFlags.NONE)
    return key_file.get_string("Desktop Entry", "Exec")


def exec_line(entry: Path) -> str:
    lines = entry.read_text("utf-8").splitlines()
    return next(line for line in lines if line.startswith("Exec="))


def test_install_exec_survives_odd_folder(tmp_path):
    """Space, &, $ and % in the folder reach the command line unchanged."""
    gi = pytest.importorskip("gi")
    gi.require_version("GLib", "2.0")
    from gi.repository import GLib

    bundle = tmp_path / "Studio R&S $soci 100%" / "trayapp"
    program = fake_bundle(bundle)
    home = tmp_path / "home"

    result = install(bundle, home)

    assert result.returncode == 0, result.stderr
    entry = home / ".local" / "share" / "applications" / "trayapp.desktop"
    # The spec's \$ inside quotes, with its backslash escaped for the string.
    assert exec_line(entry) == (
        f'Exec="{tmp_path}/Studio R&S \\\\$soci 100%%/trayapp/trayapp" tray'
    )
    _ok, argv = GLib.shell_parse_argv(exec_value(entry))
    # Field codes are expanded after unquoting, so %% becomes % last.
    argv = [argument.replace("%%", "%") for argument in argv]
    assert argv == [str(program), "tray"]
    assert parse_exec(exec_line(entry).removeprefix("Exec=")) == argv


def test_install_entry_read_by_gio(tmp_path):
    """Gio loads the entry and returns the real program's command line."""
    gi = pytest.importorskip("gi")
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib

    # No "%" here, because Gio 2.74 does not load an entry whose program
    # path contains "%%" (see install.sh).
    bundle = tmp_path / 'Studio R&S $HOME "soci" `x` \\ a' / "trayapp"
    program = fake_bundle(bundle)
    home = tmp_path / "home"

    result = install(bundle, home)

    assert result.returncode == 0, result.stderr
    entry = home / ".local" / "share" / "applications" / "trayapp.desktop"
    info = Gio.DesktopAppInfo.new_from_filename(str(entry))
    assert info is not None
    _ok, argv = GLib.shell_parse_argv(info.get_commandline())
    assert argv == [str(program), "tray"]
    assert info.get_string("Icon") == "trayapp"


def test_install_links_program_and_icons(tmp_path):
    bundle = tmp_path / "Studio R&S" / "trayapp"
    program = fake_bundle(bundle)
    home = tmp_path / "home"

    result = install(bundle, home)

    assert result.returncode == 0, result.stderr
    link = home / ".local" / "bin" / "trayapp"
    assert link.resolve() == program.resolve()
    icons = home / ".local" / "share" / "icons" / "hicolor"
    for size in ICON_SIZES:
        assert (icons / f"{size}x{size}" / "apps" / "trayapp.png").is_file()


def test_install_hint_pastes_into_shell(tmp_path):
    """The printed autostart command is one shell word per argument."""
    bundle = tmp_path / "Studio R&S $soci l'anno 100%" / "trayapp"
    program = fake_bundle(bundle)

    result = install(bundle, tmp_path / "home")

    assert result.returncode == 0, result.stderr
    hint = result.stdout.splitlines()[-1]
    assert hint.startswith("Avvio all'accesso: ")
    command = hint.removeprefix("Avvio all'accesso: ")
    assert shlex.split(command) == [str(program), "autostart", "on"]
