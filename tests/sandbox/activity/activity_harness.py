"""Helpers of the simulated-activity tests: running activity over HTTP and reading what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.endpoints import EXPORTS
from sandbox.servicetitan.times import parse_time
from sandbox.store import Store
from st_harness import StClient


def post_activity(base_url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{base_url}/_sandbox/activity", json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def modified(doc: dict[str, Any]) -> datetime:
    """When a record last changed (a bill without `modifiedOn` sorts by `createdOn`, as exports do)."""
    return parse_time(doc.get("modifiedOn") or doc["createdOn"])


def changed_since(store: Store, kind: str, since: datetime) -> list[dict[str, Any]]:
    """What the database says changed after `since`: records of `kind` modified after it."""
    return [doc for doc in iter_records(store, kind) if modified(doc) > since]


def feed_tails(st: StClient) -> dict[str, str]:
    """Each export feed read to its end: the `continueFrom` token saved there, by record kind."""
    tails = {}
    for route in EXPORTS:
        _, tokens, _ = st.export_all(route.module, route.path)
        tails[route.kind] = tokens[-1]
    return tails


def resumed_feeds(st: StClient, tails: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each export feed resumed from its saved token, to its end."""
    feeds = {}
    for route in EXPORTS:
        records, _, _ = st.export_all(route.module, route.path, **{"from": tails[route.kind]})
        feeds[route.kind] = records
    return feeds


def created_after(docs: list[dict[str, Any]], since: datetime) -> list[dict[str, Any]]:
    return [d for d in docs if parse_time(d["createdOn"]) > since]
