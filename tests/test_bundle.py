"""Build the Linux one-folder bundle with packaging/trayapp.spec and run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.desktop.autostart import parse_exec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "trayapp.spec"
BUILD_TIMEOUT_SECONDS = 900

pytestmark = pytest.mark.bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """Build the bundle once for this module; return its executable."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the bundle test builds the Linux bundle")
    base = tmp_path_factory.mktemp("bundle")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(base / "dist"),
            "--workpath",
            str(base / "build"),
            str(SPEC),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    assert built.returncode == 0, built.stderr[-5000:]
    executable = base / "dist" / "trayapp" / "trayapp"
    assert executable.is_file()
    return executable


def run_bundle(executable: Path, *args: str, env: dict[str, str]):
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_bundle_self_test_passes(bundle, trayapp_home, keyring_daemon):
    env = dict(os.environ, **keyring_daemon)

    result = run_bundle(bundle, "self-test", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6, result.stdout
    assert all(line.startswith("OK  ") for line in lines), result.stdout
    assert "OK  Icone: 12 file" in lines
    assert "OK  Processi figli: avvio con spawn riuscito" in lines
    assert any("SecretService" in line for line in lines), result.stdout


def test_bundle_finds_embedded_window(bundle, trayapp_home, keyring_daemon, tmp_path):
    """Without a browser the bundle's own Qt WebEngine is the fallback."""
    env = dict(os.environ, **keyring_daemon, PATH=str(tmp_path / "empty"))

    result = run_bundle(bundle, "self-test", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "OK  Browser per il login: nessun browser installato: finestra integrata "
        "(Qt WebEngine)"
    ) in result.stdout.splitlines()


def test_bundle_autostart_starts_bundle(bundle, trayapp_home, tmp_path):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))

    result = run_bundle(bundle, "autostart", "on", env=env)

    assert result.returncode == 0, result.stderr
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"
    exec_line = next(
        line
        for line in entry.read_text("utf-8").splitlines()
        if line.startswith("Exec=")
    )
    assert parse_exec(exec_line.removeprefix("Exec=")) == [
        str(bundle),
        "--home",
        str(trayapp_home),
        "tray",
    ]
    icon_line = next(
        line
        for line in entry.read_text("utf-8").splitlines()
        if line.startswith("Icon=")
    )
    assert Path(icon_line.removeprefix("Icon=")).is_file()
    assert Path(icon_line.removeprefix("Icon=")).is_relative_to(bundle.parent)
