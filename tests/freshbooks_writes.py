"""Counting the calls that change FreshBooks' accounting data, as the tests' "writes nothing" checks mean it."""

from __future__ import annotations

from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox
from target_freshbooks.lease import LEASE_NAME

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def accounting_writes(sandbox: RunningSandbox, side: SideDoor, method: str | None = None) -> int:
    """Write calls to the accounting API since the last stats reset, less the target's own lease writes (the
    bill vendor named LEASE_NAME, claimed before a run's first write and released after its last)."""
    lease_paths = {f"bill_vendors/bill_vendors/{row['vendorid']}" for row in side.records("bill_vendors")
                   if row.get("vendor_name") == LEASE_NAME}
    total = 0
    for key, count in sandbox.ctx.fb_stats.snapshot()["calls"].items():
        verb, _, path = key.partition(" ")
        if verb not in WRITE_METHODS or (method and verb != method) or not path.startswith("/accounting/"):
            continue
        leased = any(path.endswith(p) for p in lease_paths) or (lease_paths and verb == "POST"
                                                                and path.endswith("/bill_vendors/bill_vendors"))
        if not leased:  # no stream writes bill vendors yet: a POST there is the lease being made
            total += count
    return total
