"""Sandbox speed: seeding time for a large company, and simple requests per second per simulator.

    python bench/bench_sandbox.py                      # 100,000 invoices, 5 s of load per simulator
    python bench/bench_sandbox.py --invoices 20000 --seconds 3

The load comes from a separate process (keep-alive connections, several threads), so the figure is the
server's, not the client's. Rate limits are turned off for the measurement.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import requests
from sandbox.freshbooks.testing import authorize
from sandbox.testing import running_sandbox, seed_database

from sandbox import credentials


def hammer(url: str, path: str, headers: dict[str, str], seconds: float, threads: int,
           out: multiprocessing.Queue) -> None:
    """Send GETs over keep-alive connections for `seconds`; report (ok, failed)."""
    target = urlparse(url)
    counts = [[0, 0] for _ in range(threads)]
    deadline = time.perf_counter() + seconds

    def worker(slot: list[int]) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        while time.perf_counter() < deadline:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            slot[0 if response.status == 200 else 1] += 1

    pool = [threading.Thread(target=worker, args=(slot,)) for slot in counts]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((sum(c[0] for c in counts), sum(c[1] for c in counts)))


def requests_per_second(url: str, path: str, headers: dict[str, str], seconds: float,
                        threads: int) -> tuple[float, int]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=hammer, args=(url, path, headers, seconds, threads, queue))
    started = time.perf_counter()
    proc.start()
    ok, failed = queue.get()
    proc.join()
    return ok / (time.perf_counter() - started), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        counts = seed_database(db, seed=42, invoices=args.invoices)
        seeded = time.perf_counter() - started
        print(f"seed: {args.invoices:,} invoices ({sum(counts.values()):,} records in all) in {seeded:.1f} s")

        with running_sandbox(db, st={"rate_limit": 0}, fb={"rate_limit": 0}) as sandbox:
            token = requests.post(f"{sandbox.st_url}/connect/token", data={
                "grant_type": "client_credentials", "client_id": credentials.ST_CLIENT_ID,
                "client_secret": credentials.ST_CLIENT_SECRET}, timeout=10).json()["access_token"]
            st_headers = {"Authorization": f"Bearer {token}", "ST-App-Key": credentials.ST_APP_KEY}
            st_path = f"/crm/v2/tenant/{credentials.ST_TENANT_ID}/customers?page=1&pageSize=1"

            fb_token = authorize(sandbox.fb_url)["access_token"]
            fb_headers = {"Authorization": f"Bearer {fb_token}"}
            fb_path = f"/accounting/account/{credentials.FB_ACCOUNT_ID}/users/clients?page=1&per_page=1"

            for name, url, path, headers in (("ServiceTitan", sandbox.st_url, st_path, st_headers),
                                             ("FreshBooks", sandbox.fb_url, fb_path, fb_headers)):
                rate, failed = requests_per_second(url, path, headers, args.seconds, args.threads)
                print(f"{name} simulator: {rate:,.0f} requests/s over {args.seconds:.0f} s "
                      f"(GET {path.split('?')[0].rsplit('/', 1)[-1]} page of 1; {failed} non-200)")


if __name__ == "__main__":
    main()
