"""The domain layer and bare imports stay free of GUI, keyring and browser code."""

import subprocess
import sys

FORBIDDEN = ("pystray", "webview", "keyring", "playwright", "gi", "PIL", "tinydb")

PROBE = """
import sys
import trayapp.domain.client, trayapp.domain.credentials, trayapp.domain.validation
print(",".join(sorted(m for m in {forbidden!r} if m in sys.modules)))
"""


def test_domain_imports_no_gui_keyring_or_browser():
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=FORBIDDEN)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""


def test_app_modules_import_without_a_display():
    probe = (
        "import os; os.environ.pop('DISPLAY', None); os.environ.pop('WAYLAND_DISPLAY', None);"
        "import trayapp.cli, trayapp.app, trayapp.tray.menu, trayapp.tray.icon, "
        "trayapp.login.engine, trayapp.importing.service; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True
    )
    assert result.stderr == ""
    assert result.stdout.strip() == "ok"
