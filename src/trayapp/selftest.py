"""`trayapp self-test`: check that an install or a built bundle has what it needs.

Each check returns one Check; the command prints one Italian line per check
and exits 1 when any failed. Nothing is written to the index or the keyring.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# How long a spawned child may take to start and reply. A one-folder bundle
# unpacks nothing, so this is mostly interpreter start-up.
CHILD_TIMEOUT_SECONDS = 60
# The pywebview backend and the Qt module the embedded login window needs.
EMBEDDED_MODULES = ("webview.platforms.qt", "qtpy.QtWebEngineWidgets")
_PAGE_REFERENCE = re.compile(r'(?:src|href)="([^":]+)"')


@dataclass(frozen=True)
class Check:
    """The outcome of one check: its Italian label, whether it passed, and why."""

    label: str
    ok: bool
    detail: str

    def line(self) -> str:
        """Return the printed line, for example "OK  Icone: 12 file"."""
        mark = "OK" if self.ok else "ERRORE"
        return f"{mark}  {self.label}: {self.detail}"


def run_checks(environ: Mapping[str, str] = os.environ) -> list[Check]:
    """Run every check, in the order they are printed."""
    checks: list[Callable[[], Check]] = [
        check_icons,
        check_keyring,
        check_page,
        lambda: check_login_profile(environ),
        lambda: check_browser(environ),
        check_child_process,
    ]
    results = []
    for check in checks:
        result = check()
        log.info("self-test %s: %s", result.label, "ok" if result.ok else "failed")
        results.append(result)
    return results


def check_icons() -> Check:
    """Open every icon file, as the tray and the installers use them."""
    from PIL import Image, UnidentifiedImageError

    from trayapp.artwork import ICON_FILES, asset_path

    try:
        for name in ICON_FILES:
            with Image.open(asset_path(name)) as image:
                image.load()
    except (FileNotFoundError, UnidentifiedImageError, OSError) as error:
        return Check("Icone", False, str(error))
    return Check("Icone", True, f"{len(ICON_FILES)} file")


def check_keyring() -> Check:
    """Open the keyring trayapp would use and read an entry that does not exist."""
    from trayapp.domain.credentials import SecretKind
    from trayapp.secretstore.base import SecretStoreError
    from trayapp.secretstore.keyring_store import open_secret_store

    try:
        store = open_secret_store()
        try:
            store.get("self-test", SecretKind.PASSWORD)
            described = store.describe()
        finally:
            store.close()
    except SecretStoreError as error:
        return Check("Portachiavi", False, f"{error} (backend {_keyring_name()})")
    return Check("Portachiavi", True, f"{described}, backend {_keyring_name()}")


def _keyring_name() -> str:
    import keyring

    backend = type(keyring.get_keyring())
    return f"{backend.__module__}.{backend.__name__}"


def check_page() -> Check:
    """Find the rubrica page and every file it loads."""
    web = resources.files("trayapp.window").joinpath("web")
    index = web.joinpath("index.html")
    try:
        html = index.read_text("utf-8")
    except (FileNotFoundError, OSError) as error:
        return Check("Pagine della rubrica", False, f"index.html mancante ({error})")
    names = ["index.html", *_PAGE_REFERENCE.findall(html)]
    missing = [name for name in names if not web.joinpath(name).is_file()]
    if missing:
        return Check(
            "Pagine della rubrica", False, f"file mancanti: {', '.join(missing)}"
        )
    return Check("Pagine della rubrica", True, f"{len(names)} file")


def check_login_profile(environ: Mapping[str, str]) -> Check:
    """Load the built-in login profile with the user's override, as a login does."""
    from trayapp.login.profile import ProfileError, load_profile
    from trayapp.paths import resolve_paths

    try:
        profile = load_profile(resolve_paths(environ).config_dir, environ)
    except (ProfileError, OSError, ValueError) as error:
        return Check("Profilo di accesso", False, str(error))
    host = urlsplit(profile.login_url()).hostname
    override = profile.override_path
    source = f", modificato da {override}" if override and override.is_file() else ""
    detail = f"{profile.name}, {host}, {len(profile.targets)} destinazioni{source}"
    return Check("Profilo di accesso", True, detail)


def check_browser(environ: Mapping[str, str]) -> Check:
    """Find the browser a login drives, or the embedded window when there is none.

    As in the login itself, a TRAYAPP_BROWSER that names a missing program
    is an error, not a reason to fall back to the embedded window.
    """
    from trayapp.login.browser import BROWSER_VARIABLE, BrowserNotFound, find_browser
    from trayapp.login.embedded import EMBEDDED_BROWSER

    label = "Browser per il login"
    if environ.get(BROWSER_VARIABLE) == EMBEDDED_BROWSER:
        missing = missing_embedded_module()
        if missing:
            return Check(
                label, False, f"finestra integrata non disponibile ({missing})"
            )
        return Check(label, True, "finestra integrata (Qt WebEngine)")
    try:
        return Check(label, True, find_browser(environ=environ))
    except BrowserNotFound as error:
        if environ.get(BROWSER_VARIABLE):
            return Check(label, False, str(error))
        missing = missing_embedded_module()
        if missing:
            return Check(
                label,
                False,
                f"{error} Manca anche la finestra integrata ({missing}).",
            )
        return Check(
            label, True, "nessun browser installato: finestra integrata (Qt WebEngine)"
        )


def missing_embedded_module() -> str:
    """Return the first module the embedded login lacks with its error, or ""."""
    from trayapp.window.app import configure_qtwebengine

    configure_qtwebengine(os.environ)
    for module in EMBEDDED_MODULES:
        try:
            importlib.import_module(module)
        except Exception as error:
            # Qt bindings raise more than ImportError when a library is missing.
            log.info("embedded login module %s not importable: %r", module, error)
            return f"{module}: {error}"
    return ""


def _child_answer(connection, value: int) -> None:
    connection.send(value * 2)
    connection.close()


def check_child_process() -> Check:
    """Start a child with "spawn", as the rubrica and the embedded login do.

    In a frozen bundle this fails unless the entry point handles the
    child's start (multiprocessing.freeze_support).
    """
    label = "Processi figli"
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_answer, args=(sender, 21), daemon=True)
    try:
        child.start()
    except OSError as error:
        return Check(label, False, f"avvio non riuscito: {error}")
    sender.close()
    try:
        if not receiver.poll(CHILD_TIMEOUT_SECONDS):
            return Check(
                label,
                False,
                f"il processo figlio non ha risposto in {CHILD_TIMEOUT_SECONDS} s "
                f"(codice di uscita {child.exitcode})",
            )
        answer = receiver.recv()
    except EOFError:
        child.join(CHILD_TIMEOUT_SECONDS)
        return Check(
            label, False, f"il processo figlio è uscito con codice {child.exitcode}"
        )
    finally:
        receiver.close()
        child.join(CHILD_TIMEOUT_SECONDS)
        if child.is_alive():
            child.kill()
    if answer != 42:
        return Check(label, False, f"risposta inattesa: {answer!r}")
    return Check(label, True, "avvio con spawn riuscito")
