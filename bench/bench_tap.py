"""Benchmark tap-servicetitan: records per second and API calls per 10,000 records.

    .venv/bin/python bench/bench_tap.py                      # 100,000 invoices (seeding takes a while)
    .venv/bin/python bench/bench_tap.py --invoices 5000      # a quick run
    .venv/bin/python bench/bench_tap.py --db /tmp/st.db --keep   # seed once, re-run against the same file
    .venv/bin/python bench/bench_tap.py --cli               # the tap in its own process, as Meltano runs it
    .venv/bin/python bench/bench_tap.py --pipeline          # tap | mapper, each in its own process

Seeds a ServiceTitan sandbox into a temporary SQLite file (or reuses `--db` if it is already seeded),
serves it on free loopback ports, runs a full sync of every stream (in-process by default, or the CLI
in its own process with `--cli`) with the Singer output going to a counting null sink, and prints the
figures. In-process, the sandbox's server thread shares the tap's CPU, so `--cli` gives the fairer
records per second. The sandbox's rate limit stays on (60 calls per
second, as ServiceTitan's); the tap's own ceiling is `--max-requests-per-second`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from sandbox.testing import running_sandbox, seed_database
from tap_servicetitan.tap import TapServiceTitan


class CountingSink(io.TextIOBase):
    """Swallows Singer messages, counting records per stream."""

    def __init__(self) -> None:
        self.records: Counter[str] = Counter()
        self.states = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line.startswith('{"type":"RECORD"'):
                stream = line[len('{"type":"RECORD","stream":"'):].split('"', 1)[0]
                self.records[stream] += 1
            elif line.startswith('{"type":"STATE"'):
                self.states += 1
        return len(text)


def run_in_process(config: dict[str, Any]) -> tuple[CountingSink, float]:
    sink = CountingSink()
    tap = TapServiceTitan(config=config, state={})
    started = time.perf_counter()
    with redirect_stdout(sink):  # type: ignore[type-var]
        tap.sync_all()
    return sink, time.perf_counter() - started


def run_cli(config: dict[str, Any], workdir: Path) -> tuple[CountingSink, float]:
    """`tap-servicetitan --config ... > /dev/null`; records are counted from its `record_count` metrics."""
    config_path = workdir / "tap-config.json"
    config_path.write_text(json.dumps(config))
    sink = CountingSink()
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "tap_servicetitan.tap", "--config", str(config_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if '"metric":"record_count"' in line:
                metric = json.loads(line[line.index("{"):])
                sink.records[metric["tags"]["stream"]] += metric["value"]
    if process.returncode:
        raise SystemExit(f"tap-servicetitan exited with {process.returncode}")
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"tap process CPU:          {usage.ru_utime + usage.ru_stime:.1f} s of {elapsed:.1f} s, "
          f"peak RSS {usage.ru_maxrss / 1024:.0f} MB")
    sink.states = -1  # not counted: stdout goes to /dev/null
    return sink, elapsed


MAPPER = Path(sys.executable).parent / "map-servicetitan-freshbooks"


def run_pipeline(config: dict[str, Any], workdir: Path) -> tuple[CountingSink, float]:
    """`tap-servicetitan | map-servicetitan-freshbooks > /dev/null`, each in its own process (as Meltano runs
    them); prints each one's CPU and peak RSS (`os.wait4` gives each child's own)."""
    tap_config, map_config = workdir / "tap-config.json", workdir / "map-config.json"
    tap_config.write_text(json.dumps(config))
    map_config.write_text(json.dumps({"business_timezone": "America/Los_Angeles"}))
    sink = CountingSink()
    started = time.perf_counter()
    tap = subprocess.Popen([sys.executable, "-m", "tap_servicetitan.tap", "--config", str(tap_config)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mapper = subprocess.Popen([str(MAPPER), "--config", str(map_config)], stdin=tap.stdout,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert tap.stdout is not None and tap.stderr is not None
    tap.stdout.close()  # the mapper holds the pipe now
    for line in tap.stderr:
        if '"metric":"record_count"' in line:
            metric = json.loads(line[line.index("{"):])
            sink.records[metric["tags"]["stream"]] += metric["value"]
    figures = {}
    for name, process in (("tap", tap), ("mapper", mapper)):
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"{name} exited with {process.returncode}")
        figures[name] = usage
    elapsed = time.perf_counter() - started
    for name, usage in figures.items():
        print(f"{name + ' process:':<26}CPU {usage.ru_utime + usage.ru_stime:.1f} s of {elapsed:.1f} s, "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MB")
    sink.states = -1
    return sink, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark tap-servicetitan against a seeded sandbox.")
    parser.add_argument("--invoices", type=int, default=100_000, help="invoices to seed (default 100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, help="sandbox file to seed (or reuse if it exists)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary sandbox file")
    parser.add_argument("--page-size", type=int, default=5000, help="tap page_size (default 5000)")
    parser.add_argument("--export-batch-size", type=int, default=None,
                        help="sandbox records per export call (default: the sandbox's own, 1000)")
    parser.add_argument("--max-requests-per-second", type=float, default=60.0)
    parser.add_argument("--start-date", default=None, help="tap start_date (default: none, every invoice)")
    parser.add_argument("--cli", action="store_true",
                        help="run `tap-servicetitan` in its own process (as Meltano does) instead of in-process, "
                             "so that the sandbox does not share its CPU")
    parser.add_argument("--pipeline", action="store_true",
                        help="pipe the tap (own process) into map-servicetitan-freshbooks (own process); peak RSS "
                             "of each")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-tap-"))
    db_path = args.db or workdir / "sandbox.db"
    if not db_path.exists():
        print(f"seeding {args.invoices:,} invoices into {db_path} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        summary = seed_database(db_path, seed=args.seed, invoices=args.invoices)
        print(f"seeded in {time.perf_counter() - started:.1f} s: {summary}", file=sys.stderr, flush=True)

    st_settings = {} if args.export_batch_size is None else {"export_batch_size": args.export_batch_size}
    with running_sandbox(db_path, st=st_settings) as sandbox:
        config = sandbox.tap_config(page_size=args.page_size, max_requests_per_second=args.max_requests_per_second)
        if args.start_date:
            config["start_date"] = args.start_date
        sandbox.ctx.st_stats.reset()
        if args.pipeline:
            sink, elapsed = run_pipeline(config, workdir)
        else:
            sink, elapsed = run_cli(config, workdir) if args.cli else run_in_process(config)
        stats = sandbox.ctx.st_stats.snapshot()

    records = sum(sink.records.values())
    token_calls = sum(n for key, n in stats["calls"].items() if key.endswith("/connect/token"))
    api_calls = stats["total"] - token_calls
    how = "piped into the mapper" if args.pipeline else "CLI in its own process" if args.cli else (
        "in-process, sandbox in a thread")
    print(f"tap-servicetitan ({how}) "
          f"over {args.invoices:,} seeded invoices (export batch {args.export_batch_size or 'default'}, "
          f"page size {args.page_size})")
    for stream, count in sink.records.items():
        print(f"  {stream:<16} {count:>9,} records")
    print(f"records:                  {records:,} in {elapsed:.1f} s")
    print(f"records per second:       {records / elapsed:,.0f}")
    print(f"API calls:                {api_calls:,} (+{token_calls} token request)")
    print(f"API calls per 10,000 rec: {api_calls / records * 10_000:.1f}" if records else "no records")
    if sink.states >= 0:
        print(f"STATE messages:           {sink.states:,}")
    print(f"HTTP statuses:            {stats['statuses']}")
    if args.db is None and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"sandbox kept at {db_path}")


if __name__ == "__main__":
    main()
