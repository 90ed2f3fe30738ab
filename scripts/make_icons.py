"""Draw the trayapp icon artwork into assets/ with Pillow (shapes only, no fonts).

Run from the repository root: python scripts/make_icons.py. The output is
the same bytes for the same Pillow version, since nothing random or
time-dependent goes into it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SIZE = 256
BLUE = (31, 95, 168, 255)
WHITE = (255, 255, 255, 255)
GOLD = (242, 180, 40, 255)


def draw_icon(size: int = SIZE) -> Image.Image:
    """Return the icon: a folder with a key on a blue rounded square."""
    scale = size / SIZE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * scale, y0 * scale, x1 * scale, y1 * scale]

    draw.rounded_rectangle(box(8, 8, 248, 248), radius=48 * scale, fill=BLUE)
    draw.rounded_rectangle(box(44, 70, 120, 100), radius=10 * scale, fill=WHITE)
    draw.rounded_rectangle(box(44, 86, 212, 196), radius=14 * scale, fill=WHITE)
    draw.ellipse(box(118, 112, 166, 160), fill=GOLD)
    draw.ellipse(box(132, 126, 152, 146), fill=WHITE)
    draw.rectangle(box(160, 130, 204, 142), fill=GOLD)
    draw.rectangle(box(184, 142, 194, 158), fill=GOLD)
    return image


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    draw_icon().save(ASSETS / "trayapp.png", optimize=False)


if __name__ == "__main__":
    main()
