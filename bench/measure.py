"""Measuring a benchmark run: the machine it ran on, CPU time and memory of its processes,
percentiles, and the verdict a benchmark exits with."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import sys
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn


def load_average() -> str:
    """The 1/5/15-minute load averages, as ``/proc/loadavg`` has them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def machine() -> str:
    """One line: cores, CPU model, RAM, OS, Python, date (what README figures are tagged with)."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    return (
        f"{os.cpu_count()} cores, {model}, {ram} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def rss_mib(pid: int) -> float | None:
    """Resident memory of ``pid`` (VmRSS) in MiB, or ``None`` if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may contain spaces: fields are counted after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def host_cpu_ticks() -> dict[str, int]:
    """The machine's CPU time so far by kind (``/proc/stat``): busy, idle, iowait, steal."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return {}
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return {
        "busy": user + nice + system + irq + softirq,
        "idle": idle,
        "iowait": iowait,
        "steal": steal,
    }


@dataclass
class CpuMeter:
    """CPU seconds each named process spends between ``start`` and ``stop``, and how the
    machine's CPU time went meanwhile (steal: taken by the hypervisor for other machines)."""

    pids: dict[str, int]
    wall: float = 0.0
    used: dict[str, float] = field(default_factory=dict)
    host: dict[str, int] = field(default_factory=dict)
    _at_start: dict[str, float] = field(default_factory=dict)
    _host_at_start: dict[str, int] = field(default_factory=dict)
    _started: float = 0.0

    def start(self) -> None:
        self._at_start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._host_at_start = host_cpu_ticks()
        self._started = time.monotonic()

    def stop(self) -> None:
        self.wall = time.monotonic() - self._started
        self.used = {
            name: cpu_seconds(pid) - self._at_start[name] for name, pid in self.pids.items()
        }
        now = host_cpu_ticks()
        self.host = {k: now[k] - self._host_at_start.get(k, 0) for k in now}

    def host_report(self) -> str:
        """The machine's CPU time during the run by kind, in percent (steal and iowait are
        the signs of a noisy neighbour or a slow disk)."""
        total = sum(self.host.values())
        if not total:
            return "    machine: (no /proc/stat)"
        shares = ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in self.host.items())
        return f"    machine CPU time: {shares}"

    def report(self, per: int, unit: str) -> str:
        """CPU per process, in seconds, in cores busy, and in milliseconds per ``unit``;
        then the machine's CPU time by kind."""
        lines = []
        for name, used in sorted(self.used.items(), key=lambda item: -item[1]):
            lines.append(
                f"    {name:<22} {used:7.1f} s CPU  {used / max(self.wall, 1e-9):4.2f} cores  "
                f"{1000 * used / max(per, 1):6.1f} ms per {unit}"
            )
        lines.append(self.host_report())
        return "\n".join(lines)


def exit_with_verdict(measurement: Coroutine[Any, Any, bool]) -> NoReturn:
    """Run a benchmark's ``measurement``; exit 0 when its targets are met, 1 when not (the
    figures are printed either way)."""
    passed = asyncio.run(measurement)
    sys.stdout.flush()
    # The Temporal client's native threads can abort interpreter teardown; skip it.
    os._exit(0 if passed else 1)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def verdict(passed: bool) -> str:
    """What a target line ends with."""
    return "PASS" if passed else "FAIL"
