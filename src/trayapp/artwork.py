"""Load the icon artwork from assets/.

An installed wheel carries assets/ inside the package (trayapp/assets); a
source checkout or an editable install reads the repository's assets/.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PIL import Image

ICON_FILE = "trayapp.png"


def asset_path(name: str) -> Path:
    """Return the path of an asset file, installed or in the source tree."""
    packaged = resources.files("trayapp") / "assets" / name
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "assets" / name
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"File grafico {name} mancante: reinstalla trayapp")


def load_icon() -> Image.Image:
    with Image.open(asset_path(ICON_FILE)) as image:
        return image.convert("RGBA")
