"""Open a URI with the operating system's handler (xdg-open, open, os.startfile)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

log = logging.getLogger(__name__)

# xdg-open waits for some handlers to exit; past this the handler is taken
# to be running and the call returns.
HANDLER_START_SECONDS = 10


class OpenError(Exception):
    """No handler could open the URI; the message is Italian."""


def open_uri(uri: str, platform: str = sys.platform) -> None:
    """Hand the URI to the desktop's default handler for its scheme."""
    scheme = uri.split(":", 1)[0]
    if platform == "win32":
        try:
            os.startfile(uri)  # type: ignore[attr-defined]
        except OSError as error:
            raise OpenError(_no_handler(scheme, str(error))) from error
        return
    command = "open" if platform == "darwin" else "xdg-open"
    executable = shutil.which(command)
    if executable is None:
        raise OpenError(
            f"Manca il comando {command}: installa xdg-utils per aprire i link «{scheme}:»"
        )
    process = subprocess.Popen(
        [executable, uri],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _, errors = process.communicate(timeout=HANDLER_START_SECONDS)
    except subprocess.TimeoutExpired:
        log.info(
            "%s still running after %d s; taking the handler as started",
            command,
            HANDLER_START_SECONDS,
        )
        return
    if process.returncode != 0:
        lines = errors.decode(errors="replace").strip().splitlines()
        detail = lines[-1].strip() if lines else ""
        log.error("%s %s: exit %d: %s", command, scheme, process.returncode, detail)
        raise OpenError(_no_handler(scheme, detail or f"codice {process.returncode}"))


def _no_handler(scheme: str, detail: str) -> str:
    program = "programma di posta" if scheme == "mailto" else "programma"
    return (
        f"Nessun {program} predefinito ha aperto il link «{scheme}:» ({detail}). "
        f"Imposta un {program} predefinito nelle impostazioni del sistema."
    )
