"""bench/run --quick runs to the end and writes every figure as a number.

Only the shape of the JSON is checked: speed is the benchmark's business,
never a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.desktop

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run"
QUICK_COUNTS = (100, 1000)
PER_COUNT_KEYS = (
    "cold_start",
    "tray_rss",
    "menu_build",
    "saved_edit",
    "rubrica_refresh",
    "refresh_reveal_secret_calls",
    "refresh_keyring_reads",
    "window_rss",
    "window_tree_rss",
)
SINGLE_KEYS = ("search_keystroke.n1000", "import.rows500", "login_cold", "login_warm")
TIMEOUT = 420


def expected_keys() -> list[str]:
    keys = [f"{name}.n{count}" for name in PER_COUNT_KEYS for count in QUICK_COUNTS]
    return keys + list(SINGLE_KEYS)


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_quick_run_has_every_figure(quick_result: dict) -> None:
    figures = quick_result["figures"]
    for key in expected_keys():
        assert key in figures, f"{key} missing from {sorted(figures)}"


def test_quick_figures_are_numbers(quick_result: dict) -> None:
    for key in expected_keys():
        item = quick_result["figures"][key]
        assert isinstance(item["value"], int | float), key
        assert item["value"] >= 0, key
        if item["floor"] is not None:
            assert isinstance(item["floor"], int | float), key
            assert isinstance(item["ratio"], int | float), key
        if item["goal"] is not None:
            assert isinstance(item["met"], bool), key


def test_quick_run_records_machine(quick_result: dict) -> None:
    machine = quick_result["machine"]
    assert quick_result["quick"] is True
    assert isinstance(machine["cores"], int)
    assert machine["python"].count(".") == 2
