"""Figures of the tray process: cold start, idle memory, menu build, saved edit."""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from desktop import Desktop, stop
from measure import Figure, Goal, figure, median_ms, tree_rss_mib, vm_rss_mib

import xtray
from desktop_env import trayapp_env
from trayapp.app import recent_client_ids
from trayapp.domain.client import Client
from trayapp.paths import resolve_paths
from trayapp.storage.tinydb_index import TinyDBClientIndex
from trayapp.tray.menu import MenuEntry, NameCache, build_menu

log = logging.getLogger(__name__)

ICON_TIMEOUT = 120.0
# Seconds the tray runs with nothing to do before its memory is read.
IDLE_SECONDS = 3.0
# A closed local port: nothing in the tray may reach a portal.
CLOSED_PORTAL = "http://127.0.0.1:9"

COLD_START_GOAL = Goal("≤ 1.2× floor", 1.2, on_ratio=True)
MENU_GOAL = Goal("≤ 50 ms", 50)
EDIT_GOAL = Goal("≤ 20 ms", 20)
TRAY_RSS_GOAL = Goal("≤ 60 MiB", 60)

# The program name sets the icon window's WM_CLASS, by which xtray finds it.
FLOOR_ICON_CLASS = "benchfloor"
FLOOR_ICON_SCRIPT = f"""
from gi.repository import GLib
GLib.set_prgname("{FLOOR_ICON_CLASS}")
import pystray
from PIL import Image
image = Image.new("RGBA", (22, 22), (40, 90, 160, 255))
menu = pystray.Menu(pystray.MenuItem("Esci", lambda icon: icon.stop()))
pystray.Icon("bench-floor", image, menu=menu).run()
"""


def write_index(home: Path, clients: list[Client]) -> Path:
    """Write `clients` to the TinyDB index of TRAYAPP_HOME=home; return its path."""
    path = resolve_paths({"TRAYAPP_HOME": str(home)}).index_file
    index = TinyDBClientIndex(path)
    try:
        index.put_many(clients)
        index.fold()
    finally:
        index.close()
    return path


def icon_shown(display: str) -> bool:
    """Return whether trayapp's icon is embedded in trayer right now."""
    try:
        xtray.find_icon(display, timeout=0)
    except TimeoutError:
        return False
    return True


def _wait_icon_gone(display: str) -> None:
    deadline = time.monotonic() + 10
    while icon_shown(display) and time.monotonic() < deadline:
        time.sleep(0.05)


def _python_env(desktop: Desktop) -> dict[str, str]:
    assert desktop.keyring is not None
    return dict(
        os.environ,
        DISPLAY=desktop.display,
        PYSTRAY_BACKEND="gtk",
        **desktop.keyring.env,
    )


def floor_start_ms(desktop: Desktop, repeats: int) -> float:
    """Return the median time of a bare `python -c "import pystray, PIL"`."""
    command = [sys.executable, "-c", "import pystray, PIL"]
    env = _python_env(desktop)
    return median_ms(lambda: subprocess.run(command, env=env, check=True), repeats)


def floor_icon_start(desktop: Desktop) -> tuple[float, float]:
    """Return (ms to icon, idle VmRSS in MiB) of a minimal pystray icon."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", FLOOR_ICON_SCRIPT],
        env=_python_env(desktop),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        xtray.find_icon(
            desktop.display, timeout=ICON_TIMEOUT, wm_class=FLOOR_ICON_CLASS
        )
        elapsed = (time.perf_counter() - started) * 1000
        time.sleep(IDLE_SECONDS)
        return elapsed, vm_rss_mib(process.pid)
    finally:
        stop(process)


def start_tray(desktop: Desktop, home: Path, name: str) -> tuple[float, float]:
    """Start `python -m trayapp` on `home`; return (ms to icon, idle RSS in MiB)."""
    assert desktop.keyring is not None
    root = desktop.folder(name)
    env, _ = trayapp_env(
        root,
        home=home,
        temporary=desktop.folder(f"{name}-t"),
        keyring=desktop.keyring.env,
        display=desktop.display,
        portal_origin=CLOSED_PORTAL,
    )
    log_path = root / "tray.log"
    with log_path.open("w") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "trayapp"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            xtray.find_icon(desktop.display, timeout=ICON_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(
                f"the tray icon did not appear; log:\n{log_path.read_text()}"
            ) from None
        elapsed = (time.perf_counter() - started) * 1000
        time.sleep(IDLE_SECONDS)
        if process.poll() is not None:
            raise RuntimeError(f"the tray exited early; log:\n{log_path.read_text()}")
        rss = vm_rss_mib(process.pid)
        children = tree_rss_mib(process.pid) - rss
        if children > 1:
            log.warning("the idle tray has child processes using %.1f MiB", children)
        return elapsed, rss
    finally:
        stop(process)
        _wait_icon_gone(desktop.display)


def cold_start_figures(
    desktop: Desktop, templates: dict[int, Path], repeats: int
) -> list[Figure]:
    """Measure cold start to icon and idle tray memory at each client count."""
    floor_ms = floor_start_ms(desktop, repeats)
    icon_runs = [floor_icon_start(desktop) for _ in range(repeats)]
    icon_ms = statistics.median(run[0] for run in icon_runs)
    floor_rss = statistics.median(run[1] for run in icon_runs)
    figures = [
        figure(
            "cold_start.minimal_icon",
            "Cold start of a minimal pystray icon (reference)",
            None,
            icon_ms,
            "ms",
            floor_ms,
            'python -c "import pystray, PIL"',
            repeats,
        )
    ]
    for count, template in templates.items():
        times = []
        memory = []
        for repeat in range(repeats):
            log.info("cold start %d/%d with %d clients", repeat + 1, repeats, count)
            home = desktop.root / f"home-{count}-{repeat}"
            shutil.copytree(template, home)
            elapsed, rss = start_tray(desktop, home, f"tray-{count}-{repeat}")
            times.append(elapsed)
            memory.append(rss)
        figures.append(
            figure(
                f"cold_start.n{count}",
                "Cold start to tray icon",
                count,
                statistics.median(times),
                "ms",
                floor_ms,
                'python -c "import pystray, PIL"',
                repeats,
                COLD_START_GOAL,
            )
        )
        figures.append(
            figure(
                f"tray_rss.n{count}",
                "Tray memory, idle (VmRSS)",
                count,
                statistics.median(memory),
                "MiB",
                floor_rss,
                "minimal pystray icon",
                repeats,
                TRAY_RSS_GOAL,
            )
        )
    return figures


def menu_figures(
    clients_by_count: dict[int, list[Client]], repeats: int
) -> list[Figure]:
    """Measure build_menu at each client count beside N plain pystray items.

    The build is timed as the tray does it: the new entries are compared
    with the previous ones, to tell whether pystray must rebuild. The
    submenus are made when first shown, so opening the largest letter group
    is timed apart.
    """
    import pystray

    figures = []
    for count, clients in clients_by_count.items():
        recent = recent_client_ids(clients)
        previous = build_menu(clients, recent, window_available=True)

        def build(
            clients: list[Client] = clients,
            recent: list[str] = recent,
            previous: list[MenuEntry] = previous,
        ) -> None:
            entries = build_menu(clients, recent, window_available=True)
            if entries != previous:
                raise AssertionError("the same clients gave another menu")

        def plain(clients: list[Client] = clients) -> None:
            [pystray.MenuItem(client.name, _no_action) for client in clients]

        value = median_ms(build, repeats)
        floor = median_ms(plain, repeats)
        figures.append(
            figure(
                f"menu_build.n{count}",
                "Tray menu build (build_menu and compare)",
                count,
                value,
                "ms",
                floor,
                "N pystray.MenuItem objects",
                repeats,
                MENU_GOAL,
            )
        )
        rebuild = _rebuild_after_edit_ms(clients, recent, repeats)
        figures.append(
            figure(
                f"menu_rebuild.n{count}",
                "Tray menu rebuild after one edit (names kept)",
                count,
                rebuild,
                "ms",
                floor,
                "N pystray.MenuItem objects",
                repeats,
                MENU_GOAL,
            )
        )
        opened = _letter_open_ms(clients, recent, repeats)
        if opened is not None:
            rows, value, floor = opened
            figures.append(
                figure(
                    f"menu_letter_open.n{count}",
                    f"Largest letter submenu made when opened ({rows} clients)",
                    count,
                    value,
                    "ms",
                    floor,
                    "as many pystray.MenuItem objects",
                    repeats,
                )
            )
    return figures


def _rebuild_after_edit_ms(
    clients: list[Client], recent: list[str], repeats: int
) -> float:
    """Return the median ms of the tray's rebuild after one client was edited.

    The tray keeps a NameCache between builds; each repeat replaces another
    client with an edited copy, as the index does after a save.
    """
    cache = NameCache()
    current = list(clients)
    previous = build_menu(current, recent, window_available=True, name_cache=cache)
    samples = []
    for repeat in range(repeats):
        position = (repeat * 7919) % len(current)
        current[position] = current[position].replace(note=f"modifica {repeat}")
        started = time.perf_counter()
        entries = build_menu(current, recent, window_available=True, name_cache=cache)
        changed = entries != previous
        samples.append((time.perf_counter() - started) * 1000)
        if not changed:
            raise AssertionError("an edited client gave the same menu")
        previous = entries
    return statistics.median(samples)


def _letter_open_ms(
    clients: list[Client], recent: list[str], repeats: int
) -> tuple[int, float, float] | None:
    """Return (rows, median ms, floor ms) of making the largest letter submenu."""
    import pystray

    def largest_letter() -> MenuEntry | None:
        entries = build_menu(clients, recent, window_available=True)
        letters = [entry for entry in entries if len(entry.text) == 1]
        return max(letters, key=lambda entry: len(entry.children), default=None)

    sample = largest_letter()
    if sample is None:
        return None
    names = [entry.text for entry in sample.children]
    samples = []
    for _ in range(repeats):
        letter = largest_letter()
        assert letter is not None
        started = time.perf_counter()
        [child.children for child in letter.children]
        samples.append((time.perf_counter() - started) * 1000)

    def plain() -> None:
        [pystray.MenuItem(name, _no_action) for name in names]

    return len(names), statistics.median(samples), median_ms(plain, repeats)


def _no_action(icon: object) -> None:
    return None


def saved_edit_figures(
    desktop: Desktop, clients_by_count: dict[int, list[Client]], repeats: int
) -> list[Figure]:
    """Measure one TinyDBClientIndex.put beside TinyDB's JSONStorage update."""
    figures = []
    for count, clients in clients_by_count.items():
        value, floor = _saved_edit_ms(desktop.folder(f"edit-{count}"), clients, repeats)
        figures.append(
            figure(
                f"saved_edit.n{count}",
                "One saved edit (TinyDBClientIndex.put)",
                count,
                value,
                "ms",
                floor,
                "TinyDB JSONStorage update",
                repeats,
                EDIT_GOAL,
            )
        )
    return figures


def _saved_edit_ms(
    folder: Path, clients: list[Client], repeats: int
) -> tuple[float, float]:
    """Return the median ms of one changed client saved by trayapp and by TinyDB."""
    from tinydb import Query, TinyDB

    index_path = folder / "index.json"
    index = TinyDBClientIndex(index_path)
    index.put_many(clients)
    # Fold the journal so the TinyDB file contains every client for the floor.
    index.fold()
    floor_path = folder / "plain.json"
    shutil.copyfile(index_path, floor_path)
    plain = TinyDB(floor_path)
    target = clients[len(clients) // 2]
    table = plain.table("clients")
    found = table.get(Query().id == target.id)
    assert found is not None
    doc_id = found.doc_id  # type: ignore[union-attr]
    edits = iter(range(10**6))

    def put() -> None:
        index.put(target.replace(note=f"nota {next(edits)}"))

    def update() -> None:
        table.update({"note": f"nota {next(edits)}"}, doc_ids=[doc_id])

    try:
        return median_ms(put, repeats), median_ms(update, repeats)
    finally:
        index.close()
        plain.close()
