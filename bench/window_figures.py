"""Figures of the rubrica window: list refresh, search as you type, memory."""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from desktop import Desktop, stop
from measure import Figure, Goal, figure, median_ms, tree_rss_mib, vm_rss_mib

from trayapp.app import open_studio
from trayapp.domain.credentials import SecretKind
from trayapp.ipc import RpcServer
from trayapp.resident import user_error_types
from trayapp.window.service import WindowService
from window_harness import CountingService, WindowDriver

log = logging.getLogger(__name__)

LIST_TIMEOUT = 120.0
IDLE_SECONDS = 3.0
REFRESH_GOAL = Goal("≤ 150 ms", 150)
NO_SECRETS_GOAL = Goal("0", 0)
SEARCH_KEYSTROKES = ("r", "ro", "ros", "ross")

# Clicks "Aggiorna elenco" and stores in window.benchMs the milliseconds until
# the new rows are in the DOM and laid out (painting is not included).
REFRESH_SCRIPT = """
const spacer = document.getElementById("spacer");
const before = trayapp.listLoads;
window.benchMs = null;
const observer = new MutationObserver(() => {
  if (trayapp.listLoads <= before) return;
  observer.disconnect();
  void spacer.getBoundingClientRect().height;
  void (spacer.lastElementChild && spacer.lastElementChild.offsetTop);
  window.benchMs = performance.now() - started;
});
observer.observe(spacer, { childList: true });
const started = performance.now();
document.getElementById("refresh").click();
return true;
"""

# Types `query` into the search field and returns the milliseconds until the
# filtered rows are laid out; the input handler renders synchronously.
SEARCH_SCRIPT = """
const spacer = document.getElementById("spacer");
const input = document.getElementById("search");
const started = performance.now();
input.value = %s;
input.dispatchEvent(new Event("input", { bubbles: true }));
void spacer.getBoundingClientRect().height;
void (spacer.lastElementChild && spacer.lastElementChild.offsetTop);
return [performance.now() - started, spacer.children.length];
"""

# The floor of a search: filtering N short strings in the same page.
SEARCH_FLOOR_SCRIPT = """
const names = Array.from({ length: %d }, (_, i) => "cliente rossi " + i);
const started = performance.now();
const found = names.filter((name) => name.includes(%s));
return [performance.now() - started, found.length];
"""

FLOOR_WINDOW_SCRIPT = """
import os
import webview
from trayapp.window.app import configure_qtwebengine
configure_qtwebengine(os.environ)
webview.create_window("bench-floor", html="<p>rubrica</p>")
webview.start(gui="qt")
"""


class CountingSecrets:
    """Forward to a SecretStore and count the secrets read from the keyring."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.reads = 0

    def get(self, client_id: str, kind: SecretKind) -> str | None:
        self.reads += 1
        return self._store.get(client_id, kind)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _refresh_ms(driver: WindowDriver) -> float:
    driver.js(REFRESH_SCRIPT)
    return float(
        driver.wait_for("return window.benchMs", LIST_TIMEOUT, "the refreshed rows")
    )


def _search_ms(driver: WindowDriver, query: str) -> float:
    elapsed, _ = driver.js(SEARCH_SCRIPT % json.dumps(query))
    return float(elapsed)


def floor_window_rss(desktop: Desktop) -> float:
    """Return the VmRSS of a bare pywebview Qt window and its children, once idle."""
    process = subprocess.Popen(
        [sys.executable, "-c", FLOOR_WINDOW_SCRIPT],
        env=dict(os.environ, QT_QPA_PLATFORM="xcb"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(IDLE_SECONDS + 5)
        return tree_rss_mib(process.pid)
    finally:
        stop(process)


def rubrica_figures(
    desktop: Desktop, homes: dict[int, Path], repeats: int, search_count: int
) -> list[Figure]:
    """Measure refresh, secret reads and memory at each count, search at `search_count`."""
    window_floor = floor_window_rss(desktop)
    figures = []
    for count, home in homes.items():
        log.info("rubrica with %d clients", count)
        figures.extend(
            _one_window(home, count, repeats, count == search_count, window_floor)
        )
    return figures


def _one_window(
    home: Path, count: int, repeats: int, with_search: bool, window_floor: float
) -> list[Figure]:
    studio = open_studio(dict(os.environ, TRAYAPP_HOME=str(home)))
    secrets = CountingSecrets(studio.secrets)
    studio.secrets = secrets
    service = WindowService(
        studio,
        login=lambda client_id: {"outcome": "success", "message": ""},
        copy=lambda client_id, what: 0,
    )
    counting = CountingService(service)
    server = RpcServer(counting.handle, user_errors=user_error_types()).start()
    driver = None
    try:
        driver = WindowDriver(server.address, server.authkey)
        driver.wait_for(
            "return window.trayapp && trayapp.listLoads > 0", LIST_TIMEOUT, "the list"
        )
        rows = service.handle("list_clients", {})
        reveals_before = counting.calls["reveal_secret"]
        reads_before = secrets.reads
        refresh = statistics.median(_refresh_ms(driver) for _ in range(repeats))
        reveals = counting.calls["reveal_secret"] - reveals_before
        reads = secrets.reads - reads_before
        floor = median_ms(lambda: json.loads(json.dumps(rows)), repeats)
        time.sleep(IDLE_SECONDS)
        window_rss = vm_rss_mib(driver.pid)
        window_tree = tree_rss_mib(driver.pid)
        figures = [
            figure(
                f"rubrica_refresh.n{count}",
                "Rubrica refresh (list_clients + render)",
                count,
                refresh,
                "ms",
                floor,
                "json.dumps + loads of the rows",
                repeats,
                REFRESH_GOAL,
            ),
            figure(
                f"refresh_reveal_secret_calls.n{count}",
                "reveal_secret calls during the refreshes",
                count,
                reveals,
                "calls",
                None,
                "",
                repeats,
                NO_SECRETS_GOAL,
            ),
            figure(
                f"refresh_keyring_reads.n{count}",
                "Keyring reads during the refreshes",
                count,
                reads,
                "reads",
                None,
                "",
                repeats,
                NO_SECRETS_GOAL,
            ),
            figure(
                f"window_rss.n{count}",
                "Window process memory (VmRSS)",
                count,
                window_rss,
                "MiB",
                None,
                "",
                1,
            ),
            figure(
                f"window_tree_rss.n{count}",
                "Window with QtWebEngine children (summed VmRSS)",
                count,
                window_tree,
                "MiB",
                window_floor,
                "bare pywebview Qt window and children",
                1,
            ),
        ]
        if with_search:
            figures.append(_search_figure(driver, count, repeats))
        return figures
    finally:
        if driver is not None:
            driver.close()
        server.close()
        studio.close()


def _search_figure(driver: WindowDriver, count: int, repeats: int) -> Figure:
    samples = []
    for _ in range(repeats):
        for query in SEARCH_KEYSTROKES:
            samples.append(_search_ms(driver, query))
        _search_ms(driver, "")
    floors = []
    for _ in range(repeats):
        floor, _ = driver.js(SEARCH_FLOOR_SCRIPT % (count, json.dumps("ross")))
        floors.append(float(floor))
    return figure(
        f"search_keystroke.n{count}",
        "Search as you type, per keystroke",
        count,
        statistics.median(samples),
        "ms",
        statistics.median(floors),
        "filter of N strings in the page",
        len(samples),
    )
