"""With the XEmbed GTK backend each submenu is built when it is first shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.desktop

# Builds the tray's root menu for 2,000 clients as the tray does, counts the
# GTK items that exist, then shows the "B" submenu and one client's submenu.
BUILD_AND_OPEN = """
import json, sys
from datetime import date
from PIL import Image
sys.path.insert(0, sys.argv[1])
from workload import make_clients
from trayapp.tray.icon import TrayApp, load_pystray

clients = make_clients(2000, date(2026, 12, 4))

class Actions:
    def clients(self):
        return clients
    def recent_ids(self):
        return []
    def open_window(self):
        pass
    def add_listener(self, callback):
        pass

def count(menu):
    total = 0
    for item in menu.get_children():
        total += 1
        submenu = item.get_submenu()
        if submenu is not None:
            total += count(submenu)
    return total

pystray = load_pystray()
tray = TrayApp(Actions(), Image.new("RGBA", (16, 16)))
icon = tray._icon_class(pystray)("t", Image.new("RGBA", (16, 16)),
                                 menu=pystray.Menu(tray._pystray_items))
root = icon._create_menu(icon.menu)
before = count(root)
letter = next(i for i in root.get_children() if i.get_label() == "B")
letter.get_submenu().show()
after_letter = count(root)
first_client = letter.get_submenu().get_children()[0]
first_client.get_submenu().show()
client_rows = [i.get_label() for i in first_client.get_submenu().get_children()]
print(json.dumps({
    "backend": type(icon).__name__,
    "before": before,
    "letter_rows": len(letter.get_submenu().get_children()),
    "after_letter": after_letter,
    "client_rows": client_rows,
    "b_clients": sum(1 for c in clients if c.name.startswith("B")),
}))
"""


def test_submenus_built_when_first_shown(x_display):
    bench = os.path.join(os.path.dirname(__file__), os.pardir, "bench")
    env = dict(os.environ, DISPLAY=x_display, PYSTRAY_BACKEND="gtk")

    result = subprocess.run(
        [sys.executable, "-c", BUILD_AND_OPEN, bench],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["backend"] == "LazyGtkIcon"
    assert shown["before"] < 60, "the root menu built submenus before they were shown"
    assert shown["letter_rows"] == shown["b_clients"] > 0
    assert shown["after_letter"] == shown["before"] + shown["letter_rows"]
    assert shown["client_rows"][0] == "Login cassetto fiscale"
