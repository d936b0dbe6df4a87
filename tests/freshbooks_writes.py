"""Counting the calls that change FreshBooks' accounting data, as the tests' "writes nothing" checks mean it.

The target's account lease (a bill vendor named LEASE_NAME, claimed before a run's first write and released
after its last) is bookkeeping of the connector, not accounting data: its writes are left out.
"""

from __future__ import annotations

from sandbox.freshbooks.testing import SideDoor
from sandbox.testing import RunningSandbox
from target_freshbooks.lease import LEASE_NAME

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")
_LEASES_AT_RESET: dict[int, set[int]] = {}


def lease_ids(side: SideDoor) -> set[int]:
    return {int(row["vendorid"]) for row in side.records("bill_vendors") if row.get("vendor_name") == LEASE_NAME}


def reset(sandbox: RunningSandbox, side: SideDoor) -> None:
    """Reset the simulator's call counts, remembering which lease vendors exist already."""
    sandbox.ctx.fb_stats.reset()
    try:
        _LEASES_AT_RESET[id(sandbox)] = lease_ids(side)
    except Exception:  # a test that makes every HTTP call fail: no lease is made while it lasts anyway
        _LEASES_AT_RESET.pop(id(sandbox), None)


def accounting_writes(sandbox: RunningSandbox, side: SideDoor, method: str | None = None) -> int:
    """Write calls to the accounting API since the last stats reset, less the lease's."""
    leases = lease_ids(side)
    made_since = len(leases - _LEASES_AT_RESET.get(id(sandbox), leases))
    total = 0
    for key, count in sandbox.ctx.fb_stats.snapshot()["calls"].items():
        verb, _, path = key.partition(" ")
        if verb not in WRITE_METHODS or (method and verb != method) or not path.startswith("/accounting/"):
            continue
        if any(path.endswith(f"/bill_vendors/bill_vendors/{lease}") for lease in leases):
            continue
        if verb == "POST" and path.endswith("/bill_vendors/bill_vendors"):
            count -= min(count, made_since)  # the lease vendor made since the reset; the rest are real vendors
        total += count
    return total
