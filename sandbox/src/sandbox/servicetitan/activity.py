"""Simulated business activity: the ServiceTitan company goes on working for N more days after the seed.

`run_activity` (the `sandbox activity` command and `POST /_sandbox/activity`) advances the simulated
clock day by day. Each day brings new customers and pricebook items, jobs invoiced, payments (full,
partial, split, overpaid), refunds, credit memos, invoices edited, voided or adjusted after the fact,
inventory bills, changed emails and supplier details, and accounts payable: AP bills, AP payments and
credits, AP bills edited or canceled, payments voided (rates in `PerDay`). As each day closes, the
office posts the invoices invoiced more than `post_after_days` before (Pending becomes Posted). Every
change stamps `modifiedOn` from that day's moments, so it shows in `modifiedOnOrAfter` lists and export
feeds; the money rules hold after each change. The same database, days and seed give the same changes.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.context import SandboxContext
from sandbox.servicetitan import db
from sandbox.servicetitan.activity_books import Books
from sandbox.servicetitan.activity_events import RECENT, Events
from sandbox.servicetitan.activity_plan import PerDay, day_schedule, make_plan
from sandbox.servicetitan.business import Business
from sandbox.servicetitan.repository import BulkWriter
from sandbox.servicetitan.seed import SEED_META_KEY
from sandbox.servicetitan.times import column_time

MAX_DAYS = 3660
POST_AFTER_DAYS = 3
"""Default days between invoicing and posting (a batch-posting office; the reference does not say)."""
ROUTE_FIELDS = ("days", "seed", "volume", "per_day", "email_change_touches_customer", "post_after_days")


class NotSeeded(RuntimeError):
    """The database holds no seeded ServiceTitan company to carry on from."""


@dataclass
class ActivityOptions:
    """How much happens, and the one behaviour the reference leaves open."""

    per_day: PerDay = field(default_factory=PerDay)
    volume: float = 1.0
    """Multiplies every per-day rate."""
    email_change_touches_customer: bool = False
    """Whether a contact's new email also moves its customer's `modifiedOn` (UNCONFIRMED; the seed does not)."""
    post_after_days: int | None = POST_AFTER_DAYS
    """Pending invoices older than this many days are posted as each day closes; None: none are posted."""

    @classmethod
    def parse(cls, volume: Any = 1.0, per_day: Mapping[str, Any] | None = None,
              email_change_touches_customer: Any = False,
              post_after_days: Any = POST_AFTER_DAYS) -> ActivityOptions:
        """Options from the command line or a JSON body; ValueError names the bad one."""
        try:
            scale = float(volume) if not isinstance(volume, bool) else math.nan
        except (TypeError, ValueError):
            scale = math.nan
        if not math.isfinite(scale) or scale < 0:
            raise ValueError(f"volume must be a number of at least 0, got {volume!r}")
        if per_day is not None and not isinstance(per_day, Mapping):
            raise ValueError("per_day must be an object of kind: rate, e.g. {\"jobs\": 20}")
        rates = PerDay()
        kinds = PerDay.kinds()
        for key, raw in (per_day or {}).items():
            kind = str(key).strip().lower().replace("-", "_")
            if kind not in kinds:
                raise ValueError(f"unknown kind {key!r} in per_day; known: {', '.join(kinds)}")
            try:
                rate = float(raw) if not isinstance(raw, bool) else math.nan
            except (TypeError, ValueError):
                rate = math.nan
            if not math.isfinite(rate) or rate < 0:
                raise ValueError(f"the per-day rate of {kind} must be a number of at least 0, got {raw!r}")
            setattr(rates, kind, rate)
        if not isinstance(email_change_touches_customer, bool):
            raise ValueError("email_change_touches_customer must be true or false")
        if post_after_days is not None and (isinstance(post_after_days, bool) or not isinstance(post_after_days, int)
                                            or not 0 <= post_after_days <= MAX_DAYS):
            raise ValueError(f"post_after_days must be a whole number from 0 to {MAX_DAYS}, or null to post no "
                             f"invoices, got {post_after_days!r}")
        return cls(rates, scale, email_change_touches_customer, post_after_days)


def default_seed(state: Mapping[str, Any], now: datetime) -> int:
    """Derived from the seed the company was seeded with and the clock: reproducible, new for each run."""
    digest = hashlib.sha256(f"{state.get('seed')}|{now.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def run_activity(ctx: SandboxContext, days: int, *, seed: int | None = None,
                 options: ActivityOptions | None = None) -> dict[str, Any]:
    """Advance the simulated clock by `days`, a day at a time, making that day's changes. Returns a summary."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    options = options or ActivityOptions()
    store = ctx.store
    db.ensure_schema(store)
    state = store.get_meta(SEED_META_KEY)
    if not isinstance(state, dict):
        raise NotSeeded("the ServiceTitan simulator holds no seeded company: run `sandbox seed` first")
    start = ctx.clock.now()
    seed = default_seed(state, start) if seed is None else seed
    rng = random.Random(seed)
    writer = BulkWriter(store)
    business = Business.load(store, rng, start + timedelta(days=1), writer, state)
    books = Books.load(store, since=start - RECENT)
    side = random.Random(seed * 1_000_003 + 29)
    plan = make_plan(rng, options.per_day, options.volume, days, side)
    events = Events(business, books, plan, email_change_touches_customer=options.email_change_touches_customer,
                    side=side)
    for day, counts in enumerate(plan.counts):
        day_start, day_end = start + timedelta(days=day), start + timedelta(days=day + 1)
        business.as_of = day_end
        for when, kind in day_schedule(rng, counts, day_start, day_end, side):
            events.apply(kind, when, day_end)
        if options.post_after_days is not None:
            events.post_invoices(day_end, timedelta(days=options.post_after_days))
        writer.flush()
        store.set_meta(SEED_META_KEY, {**state, **business.state()})
        ctx.clock.set(day_end)
    return {
        "from": start.isoformat(), "to": ctx.clock.now().isoformat(), "days": days, "seed": seed,
        "changes": {kind: events.counts[kind] for kind in sorted(events.counts)},
        "records": changed_records(ctx, start),
    }


def changed_records(ctx: SandboxContext, since: datetime) -> dict[str, int]:
    """How many records of each kind were modified after `since` (new ones included)."""
    counts = {}
    with ctx.store.lock:
        for kind in db.KINDS:
            n = ctx.store.conn.execute("SELECT count(*) FROM st_record WHERE kind = ? AND modified_on > ?",
                                       (kind, column_time(since))).fetchone()[0]
            if n:
                counts[kind] = int(n)
    return counts


def activity_routes(ctx: SandboxContext) -> list[BaseRoute]:
    """`POST /_sandbox/activity` with `{"days": N, "seed": S, "volume": X, "per_day": {...}, "post_after_days": D}`."""

    async def activity(request: Request) -> Response:
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except ValueError:
            return JSONResponse({"error": "the body must be a JSON object such as {\"days\": 3}"}, 400)
        if not isinstance(body, dict) or "days" not in body:
            return JSONResponse({"error": "the body must be a JSON object with \"days\", such as {\"days\": 3}"}, 400)
        unknown = sorted(set(body) - set(ROUTE_FIELDS))
        if unknown:
            return JSONResponse({"error": f"unknown field(s) {', '.join(unknown)}; known: {', '.join(ROUTE_FIELDS)}"},
                                400)
        try:
            options = ActivityOptions.parse(body.get("volume", 1.0), body.get("per_day"),
                                            body.get("email_change_touches_customer", False),
                                            body.get("post_after_days", POST_AFTER_DAYS))
            summary = run_activity(ctx, body["days"], seed=body.get("seed"), options=options)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except NotSeeded as exc:
            return JSONResponse({"error": str(exc)}, 409)
        return JSONResponse(summary)

    return [Route("/_sandbox/activity", activity, methods=["POST"])]
