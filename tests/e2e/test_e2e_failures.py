"""Failures end to end: a record FreshBooks refuses is dead-lettered and `replay` lands it once fixed; a
record that needs a person waits in the review queue with its reason and lands after release."""

from __future__ import annotations

import json

import pytest
from e2e_harness import Pipeline
from e2e_truth import expected_sync
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.repository import Repository

pytestmark = pytest.mark.e2e


def audit(pipeline: Pipeline, *args: str) -> list[dict]:
    out = pipeline.meltano("invoke", "target-freshbooks:audit", *args, "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def fb_invoices(pipeline: Pipeline, number: str) -> list[dict]:
    return [i for i in pipeline.fb.records("invoices") if i["invoice_number"] == number and i["vis_state"] == 0]


def test_refused_update_is_dead_lettered_and_replayed_once_fixed(pipeline: Pipeline) -> None:
    pipeline.authorize()
    pipeline.run()
    number, st = next((n, i) for n, i in expected_sync(pipeline.sandbox.ctx.store).invoices.items()
                      if i["invoiceDate"][:10] >= "2026-06-01")
    [fb] = fb_invoices(pipeline, number)

    # A bookkeeper deletes the invoice in FreshBooks; then the office edits it in ServiceTitan.
    pipeline.fb.update("invoices", fb["id"], {"vis_state": 1})
    repo = Repository(pipeline.sandbox.ctx.store, pipeline.sandbox.ctx.clock.now())
    repo.update("invoices", st["id"], {"dueDate": "2026-12-31T00:00:00Z"})
    refused = pipeline.run(check=False)

    assert refused.returncode != 0
    [letter] = audit(pipeline, "--dead-letters")
    assert letter["source_key"] == f"servicetitan:invoice:{st['id']}"
    assert letter["errno"] == 1011 and "deleted" in letter["error"]

    pipeline.fb.update("invoices", fb["id"], {"vis_state": 0})  # the bookkeeper restores it
    replay = pipeline.meltano("invoke", "target-freshbooks:replay")

    assert "→ failed" not in replay.stdout
    [again] = fb_invoices(pipeline, number)
    assert again["id"] == fb["id"]
    assert again["due_date"] == "2026-12-31"
    assert audit(pipeline, "--dead-letters") == []


def test_invoice_with_a_retired_sku_waits_in_review_and_lands_after_release(pipeline: Pipeline) -> None:
    store = pipeline.sandbox.ctx.store
    retired_ids = store.get_meta("st_seed")["retired_sku_ids"]  # SKUs deleted from the pricebook
    code, sku_id = "SVC-DIAG-2024", retired_ids["SVC-DIAG-2024"]
    assert all(r["id"] != sku_id for r in iter_records(store, "services"))
    # The office bills a service whose SKU has since left the pricebook.
    number, inv = next((n, i) for n, i in expected_sync(store).invoices.items()
                       if i["invoiceDate"][:10] >= "2026-06-01" and any(x["type"] == "Service" for x in i["items"]))
    line = next(x for x in inv["items"] if x["type"] == "Service")
    Repository(store, pipeline.sandbox.ctx.clock.now()).update("invoice_items", line["id"],
                                                               {"skuId": sku_id, "skuName": code})
    key = f"servicetitan:invoice:{inv['id']}"

    pipeline.authorize()
    pipeline.run(MAP_SERVICETITAN_FRESHBOOKS_MISSING_ITEM_POLICY="review")

    queue = {item["source_key"]: item for item in audit(pipeline, "--review")}
    assert key in queue, f"{number} should wait for review; queue: {sorted(queue)}"
    assert code in queue[key]["reason"]
    assert fb_invoices(pipeline, number) == []

    pipeline.meltano("invoke", "target-freshbooks:audit", "--release", key)
    pipeline.meltano("invoke", "target-freshbooks:replay")

    [landed] = fb_invoices(pipeline, number)
    assert landed["amount"]["amount"] == inv["total"]
    assert landed["v3_status"] != "draft"
    # Its review item is closed (vendors waiting for review, by the default missing_vendor_policy, stay).
    assert all(i["released"] for i in audit(pipeline, "--review") if i["source_key"] == key)
