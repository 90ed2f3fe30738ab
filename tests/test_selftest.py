"""`trayapp self-test` on the real keyring, and with each part taken away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def self_test(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trayapp", "self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def line_of(output: str, label: str) -> str:
    """Return the output line of the check named `label`."""
    for line in output.splitlines():
        if f"  {label}: " in line:
            return line
    raise AssertionError(f"no line for {label!r} in:\n{output}")


@pytest.fixture
def env(trayapp_home, keyring_daemon) -> dict[str, str]:
    return dict(os.environ, **keyring_daemon)


def test_self_test_passes_here(env):
    result = self_test(env)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert all(line.startswith("OK  ") for line in lines), result.stdout
    assert line_of(result.stdout, "Icone") == "OK  Icone: 12 file"
    assert "SecretService" in line_of(result.stdout, "Portachiavi")
    assert line_of(result.stdout, "Pagine della rubrica").startswith(
        "OK  Pagine della rubrica: "
    )
    assert "agenziaentrate.gov.it" not in line_of(result.stdout, "Profilo di accesso")
    assert "127.0.0.1" in line_of(result.stdout, "Profilo di accesso")
    assert line_of(result.stdout, "Processi figli") == (
        "OK  Processi figli: avvio con spawn riuscito"
    )


def test_self_test_keyring_without_backend(env):
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    result = self_test(env)

    assert result.returncode == 1
    line = line_of(result.stdout, "Portachiavi")
    assert line.startswith("ERRORE  Portachiavi: Nessun portachiavi di sistema")
    assert "keyring.backends.fail.Keyring" in line
    assert line_of(result.stdout, "Icone").startswith("OK  ")


def test_self_test_browser_path_missing(env, tmp_path):
    missing = tmp_path / "nessun-browser"
    env["TRAYAPP_BROWSER"] = str(missing)

    result = self_test(env)

    assert result.returncode == 1
    assert line_of(result.stdout, "Browser per il login") == (
        "ERRORE  Browser per il login: Il browser indicato in TRAYAPP_BROWSER "
        f"non esiste: {missing}."
    )


@pytest.mark.parametrize(
    ("content", "mode"),
    [("#!/bin/sh\nexit 0\n", 0o644), ("studio-pc\n", 0o755)],
    ids=["no-execute-bit", "text-with-execute-bit"],
)
def test_self_test_browser_not_a_program(env, tmp_path, content, mode):
    plain = tmp_path / "chromium"
    plain.write_text(content, encoding="utf-8")
    plain.chmod(mode)
    env["TRAYAPP_BROWSER"] = str(plain)

    result = self_test(env)

    assert result.returncode == 1
    assert line_of(result.stdout, "Browser per il login") == (
        "ERRORE  Browser per il login: Il browser indicato in TRAYAPP_BROWSER "
        f"non è un programma eseguibile: {plain}."
    )


def shadow_pywebview(root: Path) -> str:
    """Put a `webview` package that fails to import first on the path."""
    package = root / "shadow" / "webview"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        'raise ImportError("pywebview assente in questa prova")\n', encoding="utf-8"
    )
    return str(root / "shadow")


def test_self_test_no_browser_no_embedded(env, tmp_path):
    # An empty PATH hides Chromium and xdg-settings; the shadow hides pywebview.
    env["PATH"] = str(tmp_path / "empty")
    env["PYTHONPATH"] = shadow_pywebview(tmp_path)

    result = self_test(env)

    assert result.returncode == 1
    line = line_of(result.stdout, "Browser per il login")
    assert line.startswith("ERRORE  Browser per il login: Nessun browser compatibile")
    assert "Manca anche la finestra integrata" in line
    assert "pywebview assente in questa prova" in line


def test_self_test_no_browser_uses_embedded(env, tmp_path):
    env["PATH"] = str(tmp_path / "empty")

    result = self_test(env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert line_of(result.stdout, "Browser per il login") == (
        "OK  Browser per il login: nessun browser installato: finestra integrata "
        "(Qt WebEngine)"
    )


def test_self_test_embedded_requested_but_missing(env, tmp_path):
    env["TRAYAPP_BROWSER"] = "embedded"
    env["PYTHONPATH"] = shadow_pywebview(tmp_path)

    result = self_test(env)

    assert result.returncode == 1
    assert line_of(result.stdout, "Browser per il login").startswith(
        "ERRORE  Browser per il login: finestra integrata non disponibile "
        "(webview.platforms.qt: pywebview assente"
    )


def test_self_test_missing_icon(env, tmp_path, monkeypatch):
    """An install without one icon file names that file."""
    from trayapp import selftest
    from trayapp.artwork import ICON_FILES

    monkeypatch.setattr("trayapp.artwork.ICON_FILES", (*ICON_FILES, "icons/nope.png"))

    check = selftest.check_icons()

    assert check.ok is False
    assert check.line() == (
        "ERRORE  Icone: File grafico icons/nope.png mancante: reinstalla trayapp"
    )


def test_self_test_damaged_builtin_profile(env, tmp_path, monkeypatch):
    """A damaged built-in profile is reported in Italian, naming the file."""
    from trayapp import selftest
    from trayapp.login import profile

    builtin = tmp_path / "ade_profile.json"
    builtin.write_text("{\n", encoding="utf-8")
    monkeypatch.setattr(profile, "_builtin_path", lambda: builtin)

    check = selftest.check_login_profile(env)

    assert check.ok is False
    assert check.line() == (
        f"ERRORE  Profilo di accesso: Il file {builtin} non è JSON valido "
        "(riga 2, colonna 1). Il profilo di accesso incluso in trayapp è danneggiato: reinstalla trayapp."
    )
