"""Free TCP ports for listeners, chosen outside the kernel's ephemeral range.

A port the kernel hands out for ``bind(("", 0))`` comes from the ephemeral range, the same range
every outgoing connection and every other "any free port" listener (the Temporal CLI's HTTP and
metrics ports among them) draws from: between probing it and listening on it, something else may
take it. Ports below that range are only taken by listeners that name them, so a free one stays
free far more reliably.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000


def _first_ephemeral_port() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports on 127.0.0.1 that nothing listens on right now."""
    ceiling = _first_ephemeral_port()
    candidates = list(range(LOWEST, ceiling)) if ceiling > LOWEST + count else []
    random.shuffle(candidates)
    chosen = [port for port in candidates[: count * 50] if _bindable(port)][:count]
    while len(chosen) < count:  # no room below the ephemeral range: let the kernel choose
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port not in chosen:
            chosen.append(port)
    return chosen


def free_port() -> int:
    """One port on 127.0.0.1 that nothing listens on right now."""
    return free_ports(1)[0]
