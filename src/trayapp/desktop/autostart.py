"""Start trayapp when the user logs in: XDG autostart, a LaunchAgent, the Run key.

Linux: $XDG_CONFIG_HOME/autostart/trayapp.desktop (XDG Autostart spec).
macOS: ~/Library/LaunchAgents/<label>.plist with RunAtLoad, read by launchd
at the next login. Windows: a value under HKCU\\...\\CurrentVersion\\Run,
whose command line Windows limits to 260 characters.
"""

from __future__ import annotations

import importlib
import logging
import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any, Protocol
from xml.parsers.expat import ExpatError

from trayapp.os_errors import italian_reason

log = logging.getLogger(__name__)

APP_NAME = "trayapp"
# The bundle identifier of the macOS app (packaging/macos/Info.plist), also
# the LaunchAgent's label.
MACOS_LABEL = "it.trayapp.tray"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = APP_NAME
RUN_COMMAND_MAX_CHARS = 260
DESKTOP_ENTRY_NAME = f"{APP_NAME}.desktop"


class AutostartError(Exception):
    """Start at login could not be read or changed; the message is Italian."""


@dataclass(frozen=True)
class AutostartStatus:
    """Whether trayapp starts at login, with what command and from which place."""

    enabled: bool
    command: tuple[str, ...]
    location: str

    def describe(self) -> str:
        """Return the Italian line that `trayapp autostart status` prints."""
        if not self.enabled:
            return f"Avvio all'accesso: non attivo ({self.location})"
        return (
            f"Avvio all'accesso: attivo ({self.location})\n"
            f"Comando: {subprocess.list2cmdline(self.command)}"
        )


class Autostart(Protocol):
    """One platform's start-at-login entry for trayapp."""

    def enable(self, command: Sequence[str]) -> None: ...

    def disable(self) -> None: ...

    def status(self) -> AutostartStatus: ...


def enable(autostart: Autostart) -> AutostartStatus:
    """Make trayapp start at login with this install's command; return the status."""
    autostart.enable(with_home(launch_command(), os.environ))
    return autostart.status()


def with_home(command: list[str], environ: Mapping[str, str]) -> list[str]:
    """Add `--home` to the tray command when TRAYAPP_HOME is set.

    A login session does not have the variable of the shell that ran
    `trayapp autostart on`, so the tray it starts would use other folders.
    It does not start in that shell's working directory either, so a
    relative path is resolved here as resolve_paths resolves it.
    """
    home = environ.get("TRAYAPP_HOME")
    if not home:
        return command
    absolute_home = str(Path(home).expanduser().resolve())
    return [*command[:-1], "--home", absolute_home, command[-1]]


def disable(autostart: Autostart) -> AutostartStatus:
    """Stop trayapp from starting at login; return the status."""
    autostart.disable()
    return autostart.status()


def current_status() -> dict[str, Any]:
    """Return this machine's start-at-login status as the rubrica shows it."""
    return _status_row(autostart_for().status())


def set_enabled(enabled: bool) -> dict[str, Any]:
    """Turn start at login on or off for the rubrica; return the new status."""
    entry = autostart_for()
    return _status_row(enable(entry) if enabled else disable(entry))


def _status_row(status: AutostartStatus) -> dict[str, Any]:
    return {
        "enabled": status.enabled,
        "command": subprocess.list2cmdline(status.command),
        "location": status.location,
    }


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str = sys.executable,
    platform: str = sys.platform,
    search_path: str | None = None,
) -> list[str]:
    """Return the command that starts the tray, for a frozen app or a pip install.

    A PyInstaller bundle is its own executable. A pip install has the
    `trayapp` script beside its interpreter (bin/ or Scripts\\), else on PATH;
    without either, the interpreter runs the package.
    """
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if frozen:
        # The Windows bundle has a console twin for the command line; at
        # login the windowed trayapp.exe beside it starts instead.
        frozen_path = (
            PureWindowsPath(executable) if platform == "win32" else Path(executable)
        )
        if frozen_path.name.lower() == "trayapp-cli.exe":
            return [str(frozen_path.with_name("trayapp.exe")), "tray"]
        return [executable, "tray"]
    script_name = "trayapp.exe" if platform == "win32" else "trayapp"
    # NOTE: on Windows the console script opens a console window at login;
    # the installer's bundle (a windowed executable) does not.
    beside = Path(executable).parent / script_name
    if beside.is_file():
        return [str(beside), "tray"]
    found = shutil.which(APP_NAME, path=search_path)
    if found:
        return [found, "tray"]
    return [executable, "-m", APP_NAME, "tray"]


def autostart_for(
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    registry: Any = None,
) -> Autostart:
    """Return the start-at-login entry of `platform` (a sys.platform value)."""
    if platform == "win32":
        return RunKeyAutostart(registry)
    home = Path(environ.get("HOME") or Path.home())
    if platform == "darwin":
        return LaunchAgentAutostart(
            home / "Library" / "LaunchAgents" / f"{MACOS_LABEL}.plist"
        )
    config_home = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return XdgAutostart(Path(config_home) / "autostart" / DESKTOP_ENTRY_NAME)


# Files written in place ---------------------------------------------------


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a failed write leaves the old file whole."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        log.error("writing the autostart entry %s failed: %s", path, error)
        raise AutostartError(
            f"Impossibile scrivere {path}: {italian_reason(error)}. "
            "L'avvio all'accesso non è stato modificato."
        ) from error


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        log.error("removing the autostart entry %s failed: %s", path, error)
        raise AutostartError(
            f"Impossibile eliminare {path}: {italian_reason(error)}."
        ) from error


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        # A file in place of the folder means there is no entry either.
        return None
    except OSError as error:
        raise AutostartError(
            f"Impossibile leggere {path}: {italian_reason(error)}."
        ) from error


# Linux --------------------------------------------------------------------

# Characters that make an Exec argument need quotes (Desktop Entry spec,
# "The Exec key"), and those escaped with a backslash inside the quotes.
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_EXEC_ESCAPED = set('"`$\\')


def exec_argument(argument: str) -> str:
    """Quote one argument for a desktop entry's Exec key.

    The Exec value is unescaped twice: as a string value (backslash escapes)
    and then as a command line (quotes). "%" is doubled, as field codes
    start with it.
    """
    text = argument.replace("%", "%%")
    if argument and not (set(argument) & _EXEC_RESERVED):
        return text
    quoted = "".join("\\" + char if char in _EXEC_ESCAPED else char for char in text)
    # The string-level unescape turns "\\" into "\" before the quotes are read.
    return '"' + quoted.replace("\\", "\\\\") + '"'


def parse_exec(value: str) -> list[str]:
    """Split an Exec value written by `exec_argument` back into arguments."""
    unescaped = value.replace("\\\\", "\\")
    arguments: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    index = 0
    while index < len(unescaped):
        char = unescaped[index]
        if quoted and char == "\\" and index + 1 < len(unescaped):
            current.append(unescaped[index + 1])
            index += 2
            continue
        if char == '"':
            quoted = not quoted
            started = True
        elif char == " " and not quoted:
            if started:
                arguments.append("".join(current).replace("%%", "%"))
            current, started = [], False
        else:
            current.append(char)
            started = True
        index += 1
    if started:
        arguments.append("".join(current).replace("%%", "%"))
    return arguments


class XdgAutostart:
    """The XDG autostart entry $XDG_CONFIG_HOME/autostart/trayapp.desktop."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def enable(self, command: Sequence[str]) -> None:
        exec_line = " ".join(exec_argument(argument) for argument in command)
        entry = (
            "[Desktop Entry]\n"
            "Type=Application\n"
            f"Name={APP_NAME}\n"
            "Comment=Clienti dello studio nella tray\n"
            f"Exec={exec_line}\n"
            f"Icon={_icon_path()}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
        )
        _write_atomically(self.path, entry.encode("utf-8"))
        log.info("autostart entry written to %s", self.path)

    def disable(self) -> None:
        _remove(self.path)
        log.info("autostart entry %s removed", self.path)

    def status(self) -> AutostartStatus:
        data = _read_bytes(self.path)
        if data is None:
            return AutostartStatus(False, (), str(self.path))
        values = _desktop_entry_values(data.decode("utf-8", errors="replace"))
        hidden = values.get("Hidden", "").lower() == "true"
        gnome_off = values.get("X-GNOME-Autostart-enabled", "").lower() == "false"
        command = tuple(parse_exec(values.get("Exec", "")))
        enabled = bool(command) and not hidden and not gnome_off
        return AutostartStatus(enabled, command, str(self.path))


def _icon_path() -> str:
    """Return the icon file for the entry, or the theme name when it is missing."""
    from trayapp.artwork import asset_path

    try:
        return str(asset_path("trayapp.png"))
    except FileNotFoundError:
        return APP_NAME


def _desktop_entry_values(text: str) -> dict[str, str]:
    """Return the keys of the [Desktop Entry] group, without locale variants."""
    values: dict[str, str] = {}
    group = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        if group == "Desktop Entry" and "=" in line:
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), value.strip())
    return values


# macOS --------------------------------------------------------------------


class LaunchAgentAutostart:
    """A LaunchAgent plist in ~/Library/LaunchAgents, loaded by launchd at login."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def enable(self, command: Sequence[str]) -> None:
        agent = {
            "Label": MACOS_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        }
        _write_atomically(self.path, plistlib.dumps(agent))
        log.info("LaunchAgent written to %s", self.path)

    def disable(self) -> None:
        _remove(self.path)
        log.info("LaunchAgent %s removed", self.path)

    def status(self) -> AutostartStatus:
        data = _read_bytes(self.path)
        if data is None:
            return AutostartStatus(False, (), str(self.path))
        try:
            agent = plistlib.loads(data)
        except (plistlib.InvalidFileException, ExpatError, ValueError) as error:
            raise AutostartError(
                f"Il file {self.path} non è un plist valido ({error}): eliminalo con "
                "«trayapp autostart off» e riattiva l'avvio all'accesso."
            ) from error
        arguments = agent.get("ProgramArguments") if isinstance(agent, dict) else None
        command = tuple(str(argument) for argument in arguments or ())
        enabled = bool(command) and bool(agent.get("RunAtLoad"))
        return AutostartStatus(enabled, command, str(self.path))


# Windows ------------------------------------------------------------------


class RunKeyAutostart:
    """The "trayapp" value under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run."""

    def __init__(self, registry: Any = None) -> None:
        # winreg exists only on Windows; the tests pass a stand-in.
        self._winreg = registry or importlib.import_module("winreg")
        self.location = f"HKCU\\{RUN_KEY}\\{RUN_VALUE}"

    def enable(self, command: Sequence[str]) -> None:
        line = subprocess.list2cmdline(list(command))
        if len(line) > RUN_COMMAND_MAX_CHARS:
            raise AutostartError(
                f"Il comando di avvio è lungo {len(line)} caratteri, oltre i "
                f"{RUN_COMMAND_MAX_CHARS} che Windows accetta nella chiave Run: "
                "installa trayapp in una cartella dal percorso più corto."
            )
        winreg = self._winreg
        try:
            with winreg.CreateKeyEx(
                winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE
            ) as key:
                winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, line)
        except OSError as error:
            log.error("writing %s failed: %s", self.location, error)
            raise AutostartError(
                f"Impossibile scrivere {self.location} nel registro: {error}."
            ) from error
        log.info("autostart value %s written", self.location)

    def disable(self) -> None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(
                winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE
            ) as key:
                winreg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:
            return
        except OSError as error:
            log.error("removing %s failed: %s", self.location, error)
            raise AutostartError(
                f"Impossibile eliminare {self.location} dal registro: {error}."
            ) from error
        log.info("autostart value %s removed", self.location)

    def status(self) -> AutostartStatus:
        winreg = self._winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, RUN_VALUE)
        except FileNotFoundError:
            return AutostartStatus(False, (), self.location)
        except OSError as error:
            raise AutostartError(
                f"Impossibile leggere {self.location} dal registro: {error}."
            ) from error
        command = tuple(_split_windows_command(str(value)))
        return AutostartStatus(bool(command), command, self.location)


def _split_windows_command(line: str) -> list[str]:
    """Split a command line made by subprocess.list2cmdline back into arguments."""
    arguments: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    backslashes = 0
    for char in line:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            current.append("\\" * (backslashes // 2))
            if backslashes % 2:
                current.append('"')
            else:
                quoted = not quoted
            backslashes = 0
            started = True
            continue
        current.append("\\" * backslashes)
        backslashes = 0
        if char in " \t" and not quoted:
            if started:
                arguments.append("".join(current))
            current, started = [], False
            continue
        current.append(char)
        started = True
    current.append("\\" * backslashes)
    if started or backslashes:
        arguments.append("".join(current))
    return arguments
