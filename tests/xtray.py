"""Drive a tray icon and its GTK popup menus on an X display with real input.

The pointer and keys go through xdotool (XTEST), so GTK receives the same
events as from a user. Windows are found with xdotool and xwininfo.

How items are clicked: the driver takes a screenshot of each open popup
window and finds its item rows as horizontal bands of text pixels, in top to
bottom order. The caller passes the menu model (`MenuEntry` list), so the
n-th non-separator entry is the n-th band, and the driver clicks the centre of
that band. When the number of bands differs from the model (an unknown theme,
a scrolling menu), it falls back to keyboard navigation: Down to each item,
Right to open a submenu and Return to activate.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PIL import Image, ImageGrab

from trayapp.tray.menu import MenuEntry

log = logging.getLogger(__name__)
T = TypeVar("T")

TOOL_TIMEOUT = 10.0
# A pixel belongs to a text row when it differs this much from the background.
TEXT_CONTRAST = 40
# Columns skipped at each side of a popup, so its border is not read as text.
BORDER_MARGIN = 3

_TREE_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<id>0x[0-9a-f]+) (?P<name>.*?):.*?"
    r"(?P<width>\d+)x(?P<height>\d+)[+-]-?\d+[+-]-?\d+\s+"
    r"\+(?P<x>-?\d+)\+(?P<y>-?\d+)\s*$"
)


@dataclass(frozen=True)
class Window:
    """An X window and its position on the root window, in pixels."""

    id: str
    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


def run_tool(display: str, *args: str) -> str:
    """Run an X tool against `display` and return its standard output."""
    completed = subprocess.run(
        args,
        env=dict(os.environ, DISPLAY=display),
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
    )
    return completed.stdout


def wait_for(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Return the first result of `probe` that is not None or False, polling it."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def window_tree(display: str, window_id: str) -> list[tuple[int, Window, str]]:
    """Return (depth, window, name) for every descendant of `window_id`."""
    output = run_tool(display, "xwininfo", "-tree", "-id", window_id)
    rows = []
    for line in output.splitlines():
        match = _TREE_LINE.match(line)
        if match is None:
            continue
        window = Window(
            match["id"],
            int(match["x"]),
            int(match["y"]),
            int(match["width"]),
            int(match["height"]),
        )
        rows.append((len(match["indent"]), window, match["name"]))
    return rows


def find_icon(
    display: str, timeout: float = 10.0, wm_class: str = "trayapp"
) -> tuple[int, int]:
    """Return the centre of the icon embedded in trayer whose WM_CLASS is `wm_class`.

    Other programs (notification-daemon, for one) dock icons of their own in
    the same panel, so the icon is picked by the class of its window.
    """
    marker = f'("{wm_class}" '

    def embedded_icon() -> tuple[int, int] | None:
        panels = run_tool(
            display, "xdotool", "search", "--onlyvisible", "--class", "trayer"
        )
        for panel_id in panels.split():
            listing = run_tool(display, "xwininfo", "-tree", "-id", hex(int(panel_id)))
            for line in listing.splitlines():
                match = _TREE_LINE.match(line)
                if match is None or marker not in line:
                    continue
                window = Window(
                    match["id"],
                    int(match["x"]),
                    int(match["y"]),
                    int(match["width"]),
                    int(match["height"]),
                )
                if window.width > 1:
                    return window.center
        return None

    return wait_for(embedded_icon, timeout, f"the {wm_class} icon inside trayer")


def visible_popups(display: str) -> list[Window]:
    """Return the mapped override-redirect windows on screen, as menus are."""
    listing = run_tool(display, "xwininfo", "-root", "-children")
    popups = []
    for _, window, _ in _parse_children(listing):
        if window.width <= 10 or window.height <= 10 or window.x < 0 or window.y < 0:
            continue
        info = run_tool(display, "xwininfo", "-id", window.id)
        if "IsViewable" in info and "Override Redirect State: yes" in info:
            popups.append(window)
    return popups


def _parse_children(listing: str) -> list[tuple[int, Window, str]]:
    rows = []
    for line in listing.splitlines():
        match = _TREE_LINE.match(line)
        if match is not None:
            window = Window(
                match["id"],
                int(match["x"]),
                int(match["y"]),
                int(match["width"]),
                int(match["height"]),
            )
            rows.append((len(match["indent"]), window, match["name"]))
    return rows


def wait_for_new_popup(
    display: str, known: Sequence[Window], timeout: float = 10.0
) -> Window:
    """Wait until a popup not in `known` is on screen, and return it."""
    known_ids = {window.id for window in known}

    def new_popup() -> Window | None:
        fresh = [w for w in visible_popups(display) if w.id not in known_ids]
        return fresh[0] if fresh else None

    return wait_for(new_popup, timeout, "a new popup menu window")


def click(display: str, x: int, y: int, button: int = 1) -> None:
    """Move the pointer to (x, y) on the root window and click `button` there."""
    # "mousemove --sync" never returns when the pointer is already at the
    # target, so the pointer moves there from one pixel aside without it.
    run_tool(display, "xdotool", "mousemove", str(x - 1), str(y))
    run_tool(display, "xdotool", "mousemove", str(x), str(y))
    time.sleep(0.05)
    run_tool(display, "xdotool", "click", str(button))


def press_keys(display: str, *keys: str) -> None:
    """Send key presses to the window that has the keyboard grab."""
    for key in keys:
        run_tool(display, "xdotool", "key", key)
        time.sleep(0.05)


def right_click_icon(display: str, timeout: float = 10.0) -> Window:
    """Right-click the tray icon and return the popup menu window that opens."""
    known = visible_popups(display)
    x, y = find_icon(display, timeout)
    click(display, x, y, button=3)
    return wait_for_new_popup(display, known, timeout)


def screenshot(display: str, path: Path, window: Window | None = None) -> Image.Image:
    """Save a PNG of the whole screen, or of `window` only, and return the image."""
    image = ImageGrab.grab(xdisplay=display)
    if window is not None:
        box = (window.x, window.y, window.x + window.width, window.y + window.height)
        image = image.crop(box)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return image


def text_rows(display: str, window: Window) -> list[tuple[int, int]]:
    """Return the (top, bottom) root y ranges of the text rows in a popup window."""
    image = ImageGrab.grab(xdisplay=display).convert("RGB")
    box = (window.x, window.y, window.x + window.width, window.y + window.height)
    return _text_bands(image.crop(box), window.y)


def _text_bands(image: Image.Image, offset_y: int) -> list[tuple[int, int]]:
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    background = pixels[width // 2, BORDER_MARGIN]
    columns = range(BORDER_MARGIN, width - BORDER_MARGIN)

    def has_text(y: int) -> bool:
        for x in columns:
            pixel = pixels[x, y]
            if (
                max(abs(a - b) for a, b in zip(pixel, background, strict=True))
                > TEXT_CONTRAST
            ):
                return True
        return False

    bands: list[tuple[int, int]] = []
    top = None
    for y in range(BORDER_MARGIN, height - BORDER_MARGIN):
        if has_text(y):
            if top is None:
                top = y
        elif top is not None:
            bands.append((offset_y + top, offset_y + y - 1))
            top = None
    if top is not None:
        bands.append((offset_y + top, offset_y + height - BORDER_MARGIN - 1))
    return bands


def _items(entries: Sequence[MenuEntry]) -> list[MenuEntry]:
    return [entry for entry in entries if not entry.separator]


def find_entry(entries: Sequence[MenuEntry], label: str) -> MenuEntry:
    for entry in entries:
        if not entry.separator and entry.text == label:
            return entry
    labels = [entry.text for entry in entries if not entry.separator]
    raise LookupError(f"menu item {label!r} not found among {labels}")


def open_menu_path(
    display: str,
    path: Sequence[str],
    entries: Sequence[MenuEntry],
    timeout: float = 10.0,
) -> list[Window]:
    """Open the tray menu and click each label of `path` in turn.

    `entries` is the menu model the tray shows. A label with children opens
    its submenu; a command label activates the command and closes the menu.
    Returns the popup windows still open at the end (empty after a command).
    """
    opened = [right_click_icon(display, timeout)]
    level = list(entries)
    first_item_selected = False
    for label in path:
        entry = find_entry(level, label)
        items = _items(level)
        rows = wait_for_rows(display, opened[-1], len(items))
        known = visible_popups(display)
        if rows is not None:
            top, bottom = rows[items.index(entry)]
            click(display, opened[-1].x + opened[-1].width // 3, (top + bottom) // 2)
            first_item_selected = False
        else:
            log.info("Row count differs from the model at %r, using keys", label)
            select_with_keys(display, level, entry, first_item_selected)
            first_item_selected = True
        if entry.is_submenu:
            opened.append(wait_for_new_popup(display, known, timeout))
            level = list(entry.children)
        else:
            opened.clear()
    return opened


def wait_for_rows(
    display: str, window: Window, count: int, timeout: float = 2.0
) -> list[tuple[int, int]] | None:
    """Return the popup's text rows once there are `count`, or None on timeout."""
    try:
        return wait_for(
            lambda: _rows_if_count(display, window, count), timeout, "menu rows"
        )
    except TimeoutError:
        return None


def _rows_if_count(
    display: str, window: Window, count: int
) -> list[tuple[int, int]] | None:
    rows = text_rows(display, window)
    return rows if len(rows) == count else None


def select_with_keys(
    display: str,
    level: Sequence[MenuEntry],
    entry: MenuEntry,
    first_item_selected: bool,
) -> None:
    """Select `entry` with arrow keys, then open its submenu or activate it."""
    selectable = [item for item in _items(level) if item.enabled]
    if entry not in selectable:
        raise LookupError(f"menu item {entry.text!r} is disabled")
    # A submenu opened with Right already has its first item selected, and
    # GTK 3 skips separators and disabled items when moving with the arrows.
    steps = selectable.index(entry) + (0 if first_item_selected else 1)
    press_keys(display, *["Down"] * steps)
    press_keys(display, "Right" if entry.is_submenu else "Return")


def close_menus(display: str, timeout: float = 5.0) -> None:
    """Press Escape until no popup menu is on screen."""

    def closed() -> bool:
        if not visible_popups(display):
            return True
        press_keys(display, "Escape")
        return False

    wait_for(closed, timeout, "the popup menus to close", interval=0.1)
