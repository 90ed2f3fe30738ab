"""Choice of the browser to drive: override, default browser, installed fallback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from trayapp.login import browser
from trayapp.login.browser import BrowserNotFound, find_browser


def make_executable(path: Path) -> Path:
    """Create a stand-in executable at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n", "utf-8")
    path.chmod(0o755)
    return path


def xdg_environment(tmp_path: Path, desktop_id: str, exec_line: str) -> dict[str, str]:
    """Return an environment whose XDG folders make `desktop_id` the default."""
    config_home = tmp_path / "config"
    data_home = tmp_path / "data"
    applications = data_home / "applications"
    applications.mkdir(parents=True)
    config_home.mkdir()
    (applications / desktop_id).write_text(
        "[Desktop Entry]\nType=Application\nName=Browser\n"
        f"Exec={exec_line}\nMimeType=x-scheme-handler/https;\n",
        "utf-8",
    )
    (config_home / "mimeapps.list").write_text(
        "[Default Applications]\n"
        f"x-scheme-handler/https={desktop_id}\nx-scheme-handler/http={desktop_id}\n",
        "utf-8",
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    return {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(config_home),
        "XDG_DATA_HOME": str(data_home),
        "XDG_DATA_DIRS": str(tmp_path / "no-system-data"),
        "PATH": f"{bin_dir}:/usr/bin:/bin",
    }


def test_override_variable_wins(tmp_path: Path) -> None:
    chosen = make_executable(tmp_path / "my-browser")

    assert find_browser({"TRAYAPP_BROWSER": str(chosen)}, "linux") == str(chosen)


def test_override_program_name_found_in_path(tmp_path: Path) -> None:
    environ = xdg_environment(tmp_path, "firefox.desktop", "firefox %u")
    chosen = make_executable(tmp_path / "bin" / "my-chromium")

    found = find_browser(dict(environ, TRAYAPP_BROWSER="my-chromium"), "linux")

    assert found == str(chosen)


def test_override_unknown_name_rejected(tmp_path: Path) -> None:
    environ = xdg_environment(tmp_path, "firefox.desktop", "firefox %u")

    with pytest.raises(BrowserNotFound, match="non esiste: nessun-browser"):
        find_browser(dict(environ, TRAYAPP_BROWSER="nessun-browser"), "linux")


def test_override_missing_path_rejected(tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "chrome"

    with pytest.raises(BrowserNotFound, match=str(missing)):
        find_browser({"TRAYAPP_BROWSER": str(missing)}, "linux")


def test_override_not_executable_rejected(tmp_path: Path) -> None:
    plain = tmp_path / "chrome"
    plain.write_text("not a program", "utf-8")

    with pytest.raises(BrowserNotFound, match="non è un programma eseguibile"):
        find_browser({"TRAYAPP_BROWSER": str(plain)}, "linux")


def test_override_text_with_execute_bit_rejected(tmp_path: Path) -> None:
    """A file with the execute bit but no program header cannot start."""
    text_file = tmp_path / "chrome"
    text_file.write_text("studio-pc\n", "utf-8")
    text_file.chmod(0o755)

    with pytest.raises(BrowserNotFound, match="non è un programma eseguibile"):
        find_browser({"TRAYAPP_BROWSER": str(text_file)}, "linux")


def test_override_elf_program_accepted(tmp_path: Path) -> None:
    """An ELF program is accepted, not only the "#!" stand-ins."""
    program = Path(shutil.which("true") or "/bin/true")

    assert find_browser({"TRAYAPP_BROWSER": str(program)}, "linux") == str(program)


@pytest.mark.skipif(shutil.which("xdg-mime") is None, reason="xdg-utils missing")
def test_linux_default_chromium_used(tmp_path: Path) -> None:
    """The .desktop file named by the real xdg-mime decides the browser."""
    brave = make_executable(tmp_path / "opt" / "brave-browser")
    environ = xdg_environment(tmp_path, "brave-browser.desktop", f"{brave} %U")

    assert find_browser(environ, "linux") == str(brave)


@pytest.mark.skipif(shutil.which("xdg-mime") is None, reason="xdg-utils missing")
def test_linux_default_on_path(tmp_path: Path) -> None:
    """A bare Exec program name is found on PATH."""
    edge = make_executable(tmp_path / "bin" / "microsoft-edge")
    environ = xdg_environment(tmp_path, "microsoft-edge.desktop", "microsoft-edge %U")

    assert find_browser(environ, "linux") == str(edge)


@pytest.mark.skipif(shutil.which("xdg-mime") is None, reason="xdg-utils missing")
def test_firefox_default_falls_back(tmp_path: Path) -> None:
    firefox = make_executable(tmp_path / "opt" / "firefox")
    environ = xdg_environment(tmp_path, "firefox-esr.desktop", f"{firefox} %u")
    chromium = make_executable(tmp_path / "bin" / "chromium")

    assert find_browser(environ, "linux") == str(chromium)


def test_nothing_installed_raises(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "PATH": str(tmp_path / "empty")}
    environ["XDG_CONFIG_HOME"] = str(tmp_path / "config")

    with pytest.raises(BrowserNotFound, match="Nessun browser compatibile"):
        find_browser(environ, "linux")


def fake_registry(values: dict[tuple[str, str, str], str]):
    """Return a stand-in for read_registry_value that serves `values`."""

    def read(hive: str, key: str, name: str) -> str | None:
        return values.get((hive, key, name))

    return read


def test_windows_default_from_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows cannot run here: the registry reads and file checks are mocked."""
    user_choice = browser.WINDOWS_USER_CHOICE.format("https")
    exe = r"C:\Program Files\BraveSoftware\Brave-Browser\Application\brave.exe"
    values = {
        ("HKEY_CURRENT_USER", user_choice, "ProgId"): "BraveHTML",
        ("HKEY_CLASSES_ROOT", r"BraveHTML\shell\open\command", ""): (
            f'"{exe}" --single-argument %1'
        ),
    }
    monkeypatch.setattr(browser, "read_registry_value", fake_registry(values))
    monkeypatch.setattr(browser, "_is_executable_file", lambda path: path == exe)

    assert find_browser({}, "win32") == exe


def test_windows_suffixed_prog_id() -> None:
    """ProgIds with a per-install suffix match once the suffix is stripped."""
    assert browser.is_chromium_prog_id("ChromiumHTM.ABCDEF123")
    assert browser.is_chromium_prog_id("MSEdgeHTM")
    assert not browser.is_chromium_prog_id("FirefoxURL-308046B0AF4A39CB")


def test_windows_firefox_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows cannot run here: registry and files are mocked; Edge is found."""
    user_choice = browser.WINDOWS_USER_CHOICE.format("https")
    values = {
        ("HKEY_CURRENT_USER", user_choice, "ProgId"): "FirefoxURL-308046B0AF4A39CB"
    }
    edge = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"
    monkeypatch.setattr(browser, "read_registry_value", fake_registry(values))
    monkeypatch.setattr(browser, "_is_executable_file", lambda path: path == edge)
    environ = {
        "LOCALAPPDATA": r"C:\Users\studio\AppData\Local",
        "PROGRAMFILES": r"C:\Program Files",
        "PROGRAMFILES(X86)": r"C:\Program Files (x86)",
    }

    assert find_browser(environ, "win32") == edge


def test_windows_unquoted_command() -> None:
    command = r"C:\Program Files\Google\Chrome\Application\chrome.exe -- %1"
    expected = r"C:\Program Files\Google\Chrome\Application\chrome.exe"

    assert browser.command_executable(command) == expected


MACOS_HANDLERS = """(
        {
        LSHandlerContentType = "public.html";
        LSHandlerRoleAll = "com.apple.safari";
    },
        {
        LSHandlerPreferredVersions =         {
            LSHandlerRoleAll = "-";
        };
        LSHandlerRoleAll = "com.microsoft.edgemac";
        LSHandlerURLScheme = https;
    },
        {
        LSHandlerRoleAll = "org.mozilla.firefox";
        LSHandlerURLScheme = mailto;
    }
)
"""


def test_macos_default_from_launch_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS cannot run here: the `defaults` output and file checks are mocked."""
    commands = []

    def fake_run(command, environ) -> str:
        commands.append(command)
        return MACOS_HANDLERS

    edge = "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"
    monkeypatch.setattr(browser, "_run", fake_run)
    monkeypatch.setattr(browser, "_is_executable_file", lambda path: path == edge)

    assert find_browser({"HOME": "/Users/studio"}, "darwin") == edge
    assert commands[0][:2] == ["defaults", "read"]


def test_macos_safari_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS cannot run here: mocked `defaults` prints Safari; Chrome is found."""
    safari = MACOS_HANDLERS.replace("com.microsoft.edgemac", "com.apple.safari")
    chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    monkeypatch.setattr(browser, "_run", lambda command, environ: safari)
    monkeypatch.setattr(browser, "_is_executable_file", lambda path: path == chrome)

    assert find_browser({"HOME": "/Users/studio"}, "darwin") == chrome


def test_real_chromium_is_found() -> None:
    """On this machine Debian's Chromium is found on PATH."""
    environ = {"HOME": "/nonexistent", "PATH": os.environ.get("PATH", "/usr/bin")}
    found = find_browser(environ, "linux")

    assert browser.is_chromium_family(found)
    assert subprocess.run([found, "--version"], capture_output=True).returncode == 0
