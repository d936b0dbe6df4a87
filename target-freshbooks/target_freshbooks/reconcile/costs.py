"""Purchase costs per month and account, and margin per job: ServiceTitan's side against FreshBooks'.

A report, never entries: the bills post the costs (payroll is not this connector's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from target_freshbooks.reconcile.model import CostLine, JobMargin

SERVICETITAN_STREAMS: tuple[str, ...] = ()
"""The tap streams `purchase_costs` and `job_margins` read (passed to them by name, as read live)."""
FRESHBOOKS_RESOURCES: tuple[str, ...] = ()
"""The FreshBooks resources they read."""


def purchase_costs(servicetitan: Mapping[str, list[dict[str, Any]]],
                   freshbooks: Mapping[str, list[dict[str, Any]]]) -> list[CostLine]:
    return []


def job_margins(servicetitan: Mapping[str, list[dict[str, Any]]],
                freshbooks: Mapping[str, list[dict[str, Any]]]) -> list[JobMargin]:
    return []
