"""Draw the trayapp icon with Pillow (shapes only, no fonts) and write every size.

Run from the repository root: python scripts/make_icons.py [--out DIR]. It
writes assets/trayapp.png (the 256 px artwork the tray loads), PNGs at each
size in assets/icons/, trayapp.ico (Windows), trayapp.icns (macOS) and the
macOS menu-bar template image with its @2x. Nothing random or
time-dependent goes in, so the same Pillow version writes the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SIZE = 256
# Each size is drawn this many times larger and then reduced, which smooths
# the edges without the blur of scaling one large image down to 16 px.
SUPERSAMPLE = 4
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
# macOS menu-bar images are 22 points high; @2x is for Retina screens.
TEMPLATE_SIZE = 22

BLUE = (24, 78, 145, 255)
WHITE = (255, 255, 255, 255)
GOLD = (242, 180, 40, 255)
BLACK = (0, 0, 0, 255)
CLEAR = (0, 0, 0, 0)
# The white ring around the blue square keeps the icon visible on dark
# panels; the dark blue keeps it visible on light ones.
OUTLINE = 14


class Canvas:
    """A drawing SUPERSAMPLE times larger than `size`, in 256-unit coordinates."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.scale = size * SUPERSAMPLE / SIZE
        self.image = Image.new("RGBA", (size * SUPERSAMPLE,) * 2, CLEAR)
        self.draw = ImageDraw.Draw(self.image)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * self.scale, y0 * self.scale, x1 * self.scale, y1 * self.scale]

    def rounded(self, corners: tuple[float, ...], radius: float, fill) -> None:
        self.draw.rounded_rectangle(
            self.box(*corners), radius=radius * self.scale, fill=fill
        )

    def reduced(self) -> Image.Image:
        return self.image.resize((self.size, self.size), Image.Resampling.LANCZOS)


def draw_icon(size: int = SIZE) -> Image.Image:
    """Return the icon: a folder with a key on a blue rounded square with a white rim."""
    canvas = Canvas(size)
    # At least one target pixel of rim, else it vanishes at 16 px.
    rim = max(OUTLINE, SIZE / size)
    canvas.rounded((2, 2, 254, 254), 54, WHITE)
    canvas.rounded((2 + rim, 2 + rim, 254 - rim, 254 - rim), 54 - rim, BLUE)
    canvas.rounded((48, 72, 122, 102), 10, WHITE)
    canvas.rounded((48, 88, 208, 194), 14, WHITE)
    _draw_key(canvas, GOLD, WHITE)
    return canvas.reduced()


def draw_template(size: int) -> Image.Image:
    """Return the menu-bar template: the folder in black, the key cut out of it."""
    canvas = Canvas(size)
    canvas.rounded((8, 34, 110, 78), 14, BLACK)
    canvas.rounded((8, 58, 248, 222), 22, BLACK)
    _draw_key(canvas, CLEAR, BLACK)
    return canvas.reduced()


def _draw_key(canvas: Canvas, key, hole) -> None:
    draw, box = canvas.draw, canvas.box
    draw.ellipse(box(112, 108, 164, 160), fill=key)
    draw.ellipse(box(128, 124, 148, 144), fill=hole)
    draw.rectangle(box(158, 128, 206, 140), fill=key)
    draw.rectangle(box(184, 140, 196, 158), fill=key)


def write_icons(out: Path) -> list[Path]:
    """Write every icon file under `out`; return their paths."""
    icons = out / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    drawn = {size: draw_icon(size) for size in {*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES}}
    written = []

    master = out / "trayapp.png"
    drawn[SIZE].save(master, optimize=False)
    written.append(master)
    for size in PNG_SIZES:
        path = icons / f"trayapp-{size}.png"
        drawn[size].save(path, optimize=False)
        written.append(path)

    largest_ico = max(ICO_SIZES)
    ico = icons / "trayapp.ico"
    drawn[largest_ico].save(
        ico,
        sizes=[(size, size) for size in ICO_SIZES],
        append_images=[drawn[size] for size in ICO_SIZES if size != largest_ico],
    )
    written.append(ico)

    largest_icns = max(ICNS_SIZES)
    icns = icons / "trayapp.icns"
    drawn[largest_icns].save(
        icns,
        append_images=[drawn[size] for size in ICNS_SIZES if size != largest_icns],
    )
    written.append(icns)

    for suffix, scale in (("", 1), ("@2x", 2)):
        path = icons / f"trayapp-template{suffix}.png"
        draw_template(TEMPLATE_SIZE * scale).save(path, optimize=False)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ASSETS, help="output folder (default: assets/)"
    )
    args = parser.parse_args(argv)
    for path in write_icons(args.out):
        print(path)


if __name__ == "__main__":
    main()
