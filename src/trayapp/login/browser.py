"""Choice of the installed Chromium-family browser that the login engine drives.

The order is: the path in TRAYAPP_BROWSER, then the user's default browser if
it is Chromium-family, then the first known Chromium-family browser installed.
Playwright's own downloaded browsers are never used.
"""

from __future__ import annotations

import configparser
import importlib
import logging
import ntpath
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BROWSER_VARIABLE = "TRAYAPP_BROWSER"

# Executable names (without ".exe") of Chromium-family browsers.
CHROMIUM_EXECUTABLES = frozenset(
    {
        "chromium",
        "chromium-browser",
        "chrome",
        "google-chrome",
        "google-chrome-stable",
        "google-chrome-beta",
        "google-chrome-unstable",
        "msedge",
        "microsoft-edge",
        "microsoft-edge-stable",
        "microsoft-edge-beta",
        "microsoft-edge-dev",
        "brave",
        "brave-browser",
        "brave-browser-stable",
        "vivaldi",
        "vivaldi-stable",
        "opera",
        "google chrome",
        "microsoft edge",
        "brave browser",
    }
)

LINUX_CANDIDATES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "brave-browser",
)

# Suffixes under %LOCALAPPDATA%, %PROGRAMFILES% and %PROGRAMFILES(X86)%.
WINDOWS_SUFFIXES = (
    r"Google\Chrome\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
    # NOTE: Brave's install folder is taken from its installer's usual layout,
    # not from vendor documentation.
    r"BraveSoftware\Brave-Browser\Application\brave.exe",
)
WINDOWS_PREFIX_VARIABLES = ("LOCALAPPDATA", "PROGRAMFILES", "PROGRAMFILES(X86)")

WINDOWS_CHROMIUM_PROGIDS = frozenset(
    {
        "MSEdgeHTM",
        "MSEdgeBHTML",
        "MSEdgeDHTML",
        "ChromeHTML",
        "ChromeBHTML",
        "ChromeDHTML",
        "ChromiumHTM",
        "BraveHTML",
        "BraveBHTML",
        "BraveDHTML",
        "BraveSSHTM",
        "OperaStable",
        "VivaldiHTM",
    }
)
WINDOWS_USER_CHOICE = (
    r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\{}\UserChoice"
)

# Bundle ids (lowercase, as LaunchServices stores them) to executables inside
# the app bundle. NOTE: only the Chrome and Edge paths are confirmed by
# Playwright's registry; the others follow the same bundle layout.
MACOS_BUNDLES = {
    "com.google.chrome": "Google Chrome.app/Contents/MacOS/Google Chrome",
    "com.microsoft.edgemac": "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "org.chromium.chromium": "Chromium.app/Contents/MacOS/Chromium",
    "com.brave.browser": "Brave Browser.app/Contents/MacOS/Brave Browser",
    "com.vivaldi.vivaldi": "Vivaldi.app/Contents/MacOS/Vivaldi",
    "com.operasoftware.opera": "Opera.app/Contents/MacOS/Opera",
}
MACOS_LAUNCH_SERVICES = "com.apple.LaunchServices/com.apple.launchservices.secure"

# First bytes of the files an operating system runs as programs: a script with
# "#!", ELF (Linux), PE "MZ" (Windows), and Mach-O thin 32/64-bit in both byte
# orders and universal (macOS).
PROGRAM_HEADERS = (
    b"#!",
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


class BrowserNotFound(Exception):
    """No usable Chromium-family browser was found; the message is Italian."""


def find_browser(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> str:
    """Return the path of the browser to drive, or raise BrowserNotFound."""
    chosen = environ.get(BROWSER_VARIABLE)
    if chosen:
        return _checked_override(chosen, environ.get("PATH", os.defpath))
    default = default_browser(environ, platform)
    if default is not None:
        log.info("Using the default browser %s", default)
        return default
    installed = first_installed_browser(environ, platform)
    if installed is not None:
        log.info("Using the installed browser %s", installed)
        return installed
    raise BrowserNotFound(
        "Nessun browser compatibile trovato. Installa Microsoft Edge, Google Chrome "
        f"o Chromium, oppure indica il percorso del browser nella variabile "
        f"{BROWSER_VARIABLE}."
    )


def is_chromium_family(executable: str) -> bool:
    """Return whether `executable` names a Chromium-family browser."""
    name = ntpath.basename(executable).lower()
    name = name.removesuffix(".exe")
    return name in CHROMIUM_EXECUTABLES


def default_browser(environ: Mapping[str, str], platform: str) -> str | None:
    """Return the user's default browser if it is Chromium-family and installed."""
    try:
        if platform.startswith("win"):
            return windows_default_browser()
        if platform == "darwin":
            return macos_default_browser(environ)
        return linux_default_browser(environ)
    except OSError:
        log.exception("Reading the default browser failed")
        return None


def first_installed_browser(environ: Mapping[str, str], platform: str) -> str | None:
    """Return the first known Chromium-family browser installed, or None."""
    for candidate in known_browser_paths(environ, platform):
        if _is_executable_file(candidate):
            return candidate
    return None


def known_browser_paths(environ: Mapping[str, str], platform: str) -> list[str]:
    """Return the known Chromium-family browser paths of `platform`, in order."""
    if platform.startswith("win"):
        paths = []
        for suffix in WINDOWS_SUFFIXES:
            for variable in WINDOWS_PREFIX_VARIABLES:
                prefix = environ.get(variable)
                if prefix:
                    paths.append(ntpath.join(prefix, suffix))
        return paths
    if platform == "darwin":
        home = environ.get("HOME", "")
        roots = ["/Applications"] + ([f"{home}/Applications"] if home else [])
        return [f"{root}/{app}" for app in MACOS_BUNDLES.values() for root in roots]
    search_path = environ.get("PATH", os.defpath)
    found = (shutil.which(name, path=search_path) for name in LINUX_CANDIDATES)
    return [path for path in found if path]


def _checked_override(path: str, search_path: str) -> str:
    # A bare program name, such as "chromium", is looked up in `search_path`.
    if os.sep not in path and not (os.altsep and os.altsep in path):
        found = shutil.which(path, path=search_path)
        if found:
            path = found
    if not os.path.exists(path):
        raise BrowserNotFound(
            f"Il browser indicato in {BROWSER_VARIABLE} non esiste: {path}."
        )
    if not _is_executable_file(path):
        raise BrowserNotFound(
            f"Il browser indicato in {BROWSER_VARIABLE} non è un programma "
            f"eseguibile: {path}."
        )
    log.info("Using the browser set in %s: %s", BROWSER_VARIABLE, path)
    return path


def _is_executable_file(path: str) -> bool:
    """Return whether `path` is a program file that this user may run.

    Execute permission alone is not enough, because a text file with an
    execute bit set passes os.access but fails to start.
    """
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return False
    try:
        with open(path, "rb") as program:
            header = program.read(4)
    except OSError as error:
        log.warning("Reading the start of %s failed: %s", path, error)
        return False
    return header.startswith(PROGRAM_HEADERS)


def _run(command: Sequence[str], environ: Mapping[str, str]) -> str:
    """Run a platform query and return its output, or "" if it failed."""
    try:
        completed = subprocess.run(
            list(command),
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("Running %s failed: %s", command[0], exc)
        return ""
    if completed.returncode != 0:
        return ""
    return completed.stdout.strip()


# Linux -------------------------------------------------------------------


def linux_default_browser(environ: Mapping[str, str]) -> str | None:
    """Return the default browser's executable from its .desktop file, if usable."""
    desktop_id = _run(["xdg-settings", "get", "default-web-browser"], environ)
    if not desktop_id:
        desktop_id = _run(
            ["xdg-mime", "query", "default", "x-scheme-handler/https"], environ
        )
    if not desktop_id:
        return None
    desktop_file = find_desktop_file(desktop_id, environ)
    if desktop_file is None:
        log.warning("Desktop file %s of the default browser not found", desktop_id)
        return None
    executable = desktop_file_executable(desktop_file, environ)
    if executable is None or not is_chromium_family(executable):
        log.info("Default browser %s is not Chromium-family", desktop_id)
        return None
    return executable if _is_executable_file(executable) else None


def find_desktop_file(desktop_id: str, environ: Mapping[str, str]) -> Path | None:
    """Find `desktop_id` in the XDG data folders, per the Desktop Entry spec."""
    home = environ.get("HOME", "")
    data_home = environ.get("XDG_DATA_HOME") or f"{home}/.local/share"
    data_dirs = environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    # A "-" in a desktop id may stand for a subfolder: kde-foo.desktop can be
    # applications/kde/foo.desktop.
    relative = [Path(desktop_id)]
    parts = desktop_id.split("-")
    for index in range(1, len(parts)):
        relative.append(Path(*parts[:index], "-".join(parts[index:])))
    for folder in [data_home, *data_dirs.split(":")]:
        if not folder:
            continue
        for candidate in relative:
            path = Path(folder) / "applications" / candidate
            if path.is_file():
                return path
    return None


def desktop_file_executable(path: Path, environ: Mapping[str, str]) -> str | None:
    """Return the absolute executable of a .desktop file's Exec key, or None."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
        command = parser.get("Desktop Entry", "Exec")
        words = shlex.split(command)
    except (configparser.Error, ValueError, UnicodeDecodeError) as exc:
        log.warning("Desktop file %s is invalid: %s", path, exc)
        return None
    if not words:
        return None
    program = words[0]
    if os.path.isabs(program):
        return program
    return shutil.which(program, path=environ.get("PATH", os.defpath))


# Windows -----------------------------------------------------------------


def read_registry_value(hive: str, key: str, name: str) -> str | None:
    """Return a string value from the Windows registry, or None if missing."""
    # Imported here and untyped because the module exists only on Windows.
    winreg: Any = importlib.import_module("winreg")
    root = getattr(winreg, hive)
    try:
        with winreg.OpenKey(root, key) as handle:
            value, _kind = winreg.QueryValueEx(handle, name)
    except OSError:
        return None
    return value if isinstance(value, str) else None


def windows_default_browser() -> str | None:
    """Return the default browser's executable from the registry, if Chromium."""
    for scheme in ("https", "http"):
        prog_id = read_registry_value(
            "HKEY_CURRENT_USER", WINDOWS_USER_CHOICE.format(scheme), "ProgId"
        )
        if prog_id:
            break
    else:
        return None
    if not is_chromium_prog_id(prog_id):
        log.info("Default browser ProgId %s is not Chromium-family", prog_id)
        return None
    command = read_registry_value(
        "HKEY_CLASSES_ROOT", rf"{prog_id}\shell\open\command", ""
    )
    if not command:
        return None
    executable = command_executable(command)
    if executable is None or not _is_executable_file(executable):
        return None
    return executable


def is_chromium_prog_id(prog_id: str) -> bool:
    """Return whether a ProgId is Chromium-family, exactly or without its suffix."""
    if prog_id in WINDOWS_CHROMIUM_PROGIDS:
        return True
    for separator in ("-", "."):
        if prog_id.split(separator, 1)[0] in WINDOWS_CHROMIUM_PROGIDS:
            return True
    return False


def command_executable(command: str) -> str | None:
    """Return the first token of a Windows command line, which may be quoted."""
    command = command.strip()
    if command.startswith('"'):
        end = command.find('"', 1)
        return command[1:end] if end > 1 else None
    lowered = command.lower()
    end = lowered.find(".exe")
    if end >= 0:
        return command[: end + 4]
    return command.split(" ", 1)[0] or None


# macOS -------------------------------------------------------------------


def macos_default_browser(environ: Mapping[str, str]) -> str | None:
    """Return the default browser's executable from LaunchServices, if Chromium."""
    output = _run(["defaults", "read", MACOS_LAUNCH_SERVICES, "LSHandlers"], environ)
    if not output:
        return None
    bundle_id = macos_handler_bundle_id(output)
    if bundle_id is None:
        return None
    relative = MACOS_BUNDLES.get(bundle_id.lower())
    if relative is None:
        log.info("Default browser %s is not a known Chromium browser", bundle_id)
        return None
    home = environ.get("HOME", "")
    for root in ["/Applications"] + ([f"{home}/Applications"] if home else []):
        path = f"{root}/{relative}"
        if _is_executable_file(path):
            return path
    return None


def macos_handler_bundle_id(defaults_output: str) -> str | None:
    """Return the https (else http) handler's bundle id from `defaults read` output."""
    try:
        handlers = parse_old_plist(defaults_output)
    except ValueError as exc:
        log.warning("LaunchServices handlers could not be parsed: %s", exc)
        return None
    if not isinstance(handlers, list):
        return None
    by_scheme: dict[str, str] = {}
    for handler in handlers:
        if not isinstance(handler, dict):
            continue
        scheme = handler.get("LSHandlerURLScheme")
        role = handler.get("LSHandlerRoleAll")
        if isinstance(scheme, str) and isinstance(role, str):
            by_scheme.setdefault(scheme.lower(), role)
    return by_scheme.get("https") or by_scheme.get("http")


def parse_old_plist(text: str) -> object:
    """Parse the old-style (NeXTSTEP) property list text that `defaults` prints."""
    parser = _OldPlistParser(text)
    value = parser.value()
    parser.skip_space()
    if parser.position != len(text):
        raise ValueError(f"unexpected text at offset {parser.position}")
    return value


class _OldPlistParser:
    """Recursive-descent parser for arrays, dictionaries and strings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.text[self.position : self.position + 1] != char:
            raise ValueError(f"expected {char!r} at offset {self.position}")
        self.position += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.position : self.position + 1]

    def value(self) -> object:
        char = self.peek()
        if char == "(":
            return self.array()
        if char == "{":
            return self.dictionary()
        if char == '"':
            return self.quoted()
        return self.bare()

    def array(self) -> list[object]:
        self.expect("(")
        items: list[object] = []
        while self.peek() != ")":
            items.append(self.value())
            if self.peek() == ",":
                self.position += 1
        self.expect(")")
        return items

    def dictionary(self) -> dict[str, object]:
        self.expect("{")
        items: dict[str, object] = {}
        while self.peek() != "}":
            key = self.value()
            self.expect("=")
            items[str(key)] = self.value()
            self.expect(";")
        self.expect("}")
        return items

    def quoted(self) -> str:
        self.expect('"')
        chars = []
        while self.position < len(self.text):
            char = self.text[self.position]
            self.position += 1
            if char == "\\" and self.position < len(self.text):
                chars.append(self.text[self.position])
                self.position += 1
            elif char == '"':
                return "".join(chars)
            else:
                chars.append(char)
        raise ValueError("unterminated string")

    def bare(self) -> str:
        start = self.position
        while self.position < len(self.text) and (
            self.text[self.position].isalnum() or self.text[self.position] in "._-/:$+"
        ):
            self.position += 1
        if self.position == start:
            raise ValueError(f"unexpected character at offset {start}")
        return self.text[start : self.position]
