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


def draw_icon(size: int = SIZE) -> Image.Image:
    """Return the icon: a folder with a key on a blue rounded square with a white rim."""
    canvas = size * SUPERSAMPLE
    scale = canvas / SIZE
    image = Image.new("RGBA", (canvas, canvas), CLEAR)
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * scale, y0 * scale, x1 * scale, y1 * scale]

    # At least one target pixel of rim, else it vanishes at 16 px.
    rim = max(OUTLINE, SIZE / size)
    draw.rounded_rectangle(box(2, 2, 254, 254), radius=54 * scale, fill=WHITE)
    draw.rounded_rectangle(
        box(2 + rim, 2 + rim, 254 - rim, 254 - rim),
        radius=(54 - rim) * scale,
        fill=BLUE,
    )
    draw.rounded_rectangle(box(48, 72, 122, 102), radius=10 * scale, fill=WHITE)
    draw.rounded_rectangle(box(48, 88, 208, 194), radius=14 * scale, fill=WHITE)
    _draw_key(draw, box, GOLD, WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_template(size: int) -> Image.Image:
    """Return the menu-bar template: the folder in black, the key cut out of it."""
    canvas = size * SUPERSAMPLE
    scale = canvas / SIZE
    image = Image.new("RGBA", (canvas, canvas), CLEAR)
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * scale, y0 * scale, x1 * scale, y1 * scale]

    draw.rounded_rectangle(box(8, 34, 110, 78), radius=14 * scale, fill=BLACK)
    draw.rounded_rectangle(box(8, 58, 248, 222), radius=22 * scale, fill=BLACK)
    _draw_key(draw, box, CLEAR, BLACK)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _draw_key(draw: ImageDraw.ImageDraw, box, key, hole) -> None:
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
