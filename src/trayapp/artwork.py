"""Load the icon artwork from assets/.

An installed wheel carries assets/ inside the package (trayapp/assets); a
source checkout or an editable install reads the repository's assets/.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from PIL import Image

ICON_FILE = "trayapp.png"
# macOS shows a menu-bar image as a template (black and transparency only).
TEMPLATE_ICON_FILE = "icons/trayapp-template@2x.png"
# Every file scripts/make_icons.py writes, relative to assets/.
ICON_FILES = (
    ICON_FILE,
    *(f"icons/trayapp-{size}.png" for size in (16, 24, 32, 48, 64, 128, 256)),
    "icons/trayapp.ico",
    "icons/trayapp.icns",
    "icons/trayapp-template.png",
    TEMPLATE_ICON_FILE,
)


def asset_path(name: str) -> Path:
    """Return the path of an asset file, installed or in the source tree."""
    packaged = resources.files("trayapp").joinpath("assets", *name.split("/"))
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2].joinpath("assets", *name.split("/"))
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"File grafico {name} mancante: reinstalla trayapp")


def load_icon(platform: str = sys.platform) -> Image.Image:
    """Return the tray icon image: the template on macOS, the artwork elsewhere."""
    name = TEMPLATE_ICON_FILE if platform == "darwin" else ICON_FILE
    with Image.open(asset_path(name)) as image:
        return image.convert("RGBA")
