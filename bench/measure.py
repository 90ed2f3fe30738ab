"""Timing, memory and result records shared by the benchmark's figures."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Goal:
    """A target for one figure: `limit` compared with the value or with the ratio."""

    text: str
    limit: float
    on_ratio: bool = False
    at_least: bool = False

    def met(self, value: float, ratio: float | None) -> bool | None:
        """Return whether the goal is met, or None when its ratio has no floor."""
        measured = ratio if self.on_ratio else value
        if measured is None:
            return None
        return measured >= self.limit if self.at_least else measured <= self.limit


@dataclass
class Figure:
    """One measured figure beside its floor, as written to the JSON file."""

    key: str
    label: str
    clients: int | None
    value: float
    unit: str
    floor: float | None
    floor_label: str
    repeats: int
    goal: str | None = None
    met: bool | None = None
    ratio: float | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the figure as plain JSON data."""
        return asdict(self)


def figure(
    key: str,
    label: str,
    clients: int | None,
    value: float,
    unit: str,
    floor: float | None,
    floor_label: str,
    repeats: int,
    goal: Goal | None = None,
) -> Figure:
    """Build a Figure, with the ratio to its floor and whether the goal is met."""
    ratio = value / floor if floor else None
    return Figure(
        key=key,
        label=label,
        clients=clients,
        value=round(value, 3),
        unit=unit,
        floor=None if floor is None else round(floor, 3),
        floor_label=floor_label,
        repeats=repeats,
        goal=None if goal is None else goal.text,
        met=None if goal is None else goal.met(value, ratio),
        ratio=None if ratio is None else round(ratio, 3),
    )


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Run `action` `repeats` times and return the median wall time in milliseconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def vm_rss_mib(pid: int) -> float:
    """Return a process's resident set size (VmRSS in /proc/PID/status) in MiB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS line in /proc/{pid}/status")


def descendants(pid: int) -> list[int]:
    """Return the ids of every living descendant of process `pid`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        # The command name is in brackets and may contain spaces.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def tree_rss_mib(pid: int) -> float:
    """Return the summed VmRSS of a process and its descendants, in MiB.

    Pages shared between the processes are counted once per process, so
    the sum overstates the memory the tree takes.
    """
    total = 0.0
    for member in [pid, *descendants(pid)]:
        try:
            total += vm_rss_mib(member)
        except (OSError, LookupError):
            continue
    return total
