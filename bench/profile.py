"""Where the product's CPU goes during a burst of blasts: py-spy on the ``enrolments dev`` process.

Starts the embedded stack (``bench/stack.py``), warms it up, then records the process with
py-spy (``--gil``: only samples where a thread holds the GIL, i.e. Python work) while N x M blasts
go through ``POST /ats/events`` to ``delivered``. Each sample is put in the first category of
``CATEGORIES`` one of its frames matches, so the table adds up to 100 %; the CPU of the
process's threads by name (Python, Temporal's Rust core) is read from ``/proc`` meanwhile.

    pip install -e '.[bench]'   # py-spy
    python -m bench.profile --candidates 200 --applications 2 [--raw /tmp/profile.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.load import configure_company, http_client
from bench.measure import machine
from bench.stack import BenchStack, run_id
from bench.throughput import burst, warm_up

#: (category, a frame that puts a sample in it), first match from the top of the table wins.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("workflow task: new sandboxed instance (imports the workflow module)",
     "_WorkflowWorker._create_workflow_instance"),
    ("workflow task: payloads in and out (converter, per-payload sandbox calls)",
     "BoundedVisitorFunctions|encode_completion|decode_activation"),
    ("workflow task: our workflow code and the SDK's state machine",
     "_RunningWorkflow.activate|_WorkflowWorker._handle_activation"),
    ("projection local activity: SQL (ours)", "ProjectionActivities.project_enrolments"),
    ("delivery activity: outbox ledger SQL (ours)", "DeliveryActivities.deliver_message"),
    ("activities: SDK (payloads, completion)", "_ActivityWorker"),
    ("HTTP: our route (placement, event ledger, update-with-start)", "AtsEvents.apply"),
    ("HTTP: uvicorn, Starlette, FastAPI, pydantic", "RequestResponseCycle|H11Protocol"),
    ("SQLite driver thread (aiosqlite)", "aiosqlite/core.py"),
    # SQLAlchemy's asyncio layer runs statements in greenlets: their stacks do not show the
    # caller, so the SQL of the rows above is partly here.
    ("SQLAlchemy in its greenlets (statements, ORM, type conversion)", "sqlalchemy/"),
    ("Temporal client and worker polling (bridge)", "temporalio/bridge|temporalio/client"),
    ("asyncio event loop and the rest", ""),
)  # fmt: skip


def categorise(raw: Path) -> Counter[str]:
    """Samples per category from py-spy's ``--format raw`` output (one stack per line)."""
    patterns = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    samples: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        name = next(name for name, pattern in patterns if pattern.search(stack))
        samples[name] += int(count)
    return samples


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread name of ``pid`` (``/proc/<pid>/task/*/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return dict(used)


def find_py_spy() -> str:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    return py_spy


async def record(args: argparse.Namespace, py_spy: str, raw: Path) -> tuple[int, dict[str, float]]:
    """Run the burst under py-spy; the blasts delivered and each thread name's CPU seconds."""
    async with BenchStack("dev") as stack:
        job_id = "bench-profile"
        async with http_client(stack.api_url, 4) as http:
            await configure_company(http, "bench-warm-up", job_id)
        await warm_up(stack, "bench-warm-up", args.warm_up, args.concurrency)
        pid = stack.worker_pid
        before = thread_cpu(pid)
        recorder = await asyncio.create_subprocess_exec(
            py_spy, "record", "--gil", "--rate", str(args.rate), "--format", "raw",
            "--output", str(raw), "--pid", str(pid),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(1)  # py-spy attaches
        run, _ = await burst(
            stack, job_id, args.candidates, args.applications, args.concurrency,
            within=args.timeout, run=run_id(),
        )  # fmt: skip
        after = thread_cpu(pid)
        recorder.send_signal(signal.SIGINT)  # py-spy writes its output and stops
        await recorder.wait()
    return run.blasts, {name: after[name] - before.get(name, 0.0) for name in after}


def report(blasts: int, threads: dict[str, float], raw: Path) -> None:
    """Print CPU per blast by thread name, then the Python work by category (a Markdown table)."""
    if not raw.exists() or not raw.stat().st_size:
        raise SystemExit(f"py-spy wrote nothing to {raw}")
    cpu = sum(threads.values())
    print(
        f"{blasts} blasts; the enrolments dev process used {cpu:.1f} s CPU = "
        f"{1000 * cpu / blasts:.1f} ms per blast"
    )
    print("\nCPU by thread name (/proc):")
    for name, used in sorted(threads.items(), key=lambda item: -item[1]):
        if used >= 0.05:
            print(f"  {name:<18} {1000 * used / blasts:6.1f} ms per blast  {used / cpu:6.1%}")
    samples = categorise(raw)
    total = sum(samples.values())
    python_ms = 1000 * threads.get("python", 0.0) / blasts
    print(f"\nPython threads (py-spy --gil, {total} samples; {python_ms:.1f} ms per blast):")
    print("| where | share | ms per blast |\n|---|---:|---:|")
    for name, _ in CATEGORIES:
        share = samples.get(name, 0) / max(total, 1)
        print(f"| {name} | {share:.0%} | {share * python_ms:.1f} |")
    print(f"\nraw stacks: {raw}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--applications", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--raw", help="keep py-spy's raw stacks in this file")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    py_spy = find_py_spy()
    raw = Path(args.raw or tempfile.mkstemp(prefix="enrolments-profile-", suffix=".txt")[1])
    print(f"machine: {machine()}")
    blasts, threads = asyncio.run(record(args, py_spy, raw))
    report(blasts, threads, raw)
    sys.stdout.flush()
    os._exit(0)  # the Temporal client's native threads can abort interpreter teardown


if __name__ == "__main__":
    main()
