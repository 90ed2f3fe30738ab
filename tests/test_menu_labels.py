"""Client names with "_", "&" and "<" shown literally by pystray's GTK menus.

The test reads the GtkLabels; the AppIndicator menu as exported over D-Bus
(dbusmenu) is not read here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.desktop

# Builds the GTK menu the way pystray does for the tray, then prints the
# text each item's GtkLabel shows (mnemonic marks and markup removed).
SHOWN_TEXTS = """
import json, os, sys
import pystray
from PIL import Image
from trayapp.tray.menu import menu_text
names = json.loads(sys.argv[1])
items = [
    pystray.MenuItem(menu_text(name, sys.platform), lambda: None, default=index == 0)
    for index, name in enumerate(names)
]
icon = pystray.Icon("trayapp", Image.new("RGBA", (16, 16)), menu=pystray.Menu(*items))
menu = icon._create_menu(icon.menu)
print(json.dumps([item.get_child().get_text() for item in menu.get_children()]))
"""
NAMES = ["ALFA_&_BETA S.R.L. <b>", "O__NEIL & CO_", "VERDI & FIGLI SRL"]


@pytest.mark.parametrize("backend", ["gtk", "appindicator"])
def test_gtk_menu_shows_names_literally(x_display, backend):
    env = dict(os.environ, DISPLAY=x_display, PYSTRAY_BACKEND=backend)

    result = subprocess.run(
        [sys.executable, "-c", SHOWN_TEXTS, json.dumps(NAMES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == NAMES
