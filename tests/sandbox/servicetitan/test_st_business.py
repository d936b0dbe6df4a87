"""The seed's generators reused after the seed: a `Business` rebuilt from the database adds one more day."""

from __future__ import annotations

import random
from datetime import timedelta

from sandbox.servicetitan.business import Business
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.repository import BulkWriter
from sandbox.servicetitan.seed import SEED_META_KEY
from sandbox.testing import RunningSandbox
from st_harness import StClient, invoice_rule_violations

KINDS = ("customers", "invoices", "payments", "credit_memos", "tax_zones")


def test_one_more_day_of_business_keeps_the_money_rules(sandbox: RunningSandbox, st: StClient) -> None:
    store = sandbox.ctx.store
    _, tokens, _ = st.export_all("accounting", "/export/invoices")
    known_ids = {i["id"] for i in iter_records(store, "invoices")}
    state = store.get_meta(SEED_META_KEY)
    assert isinstance(state, dict)
    now = sandbox.ctx.clock.advance(timedelta(days=1))
    writer = BulkWriter(store)
    business = Business.load(store, random.Random(5), now, writer, state)
    customers = [c for c in business.customers if c.active and c.places][:3]
    drafts = []
    for n, customer in enumerate(customers):
        when = now - timedelta(hours=4 - n)
        job_type, lines = business.choose_lines(5001, when)
        draft = business.new_invoice(when, customer, customer.places[0], 5001, job_type, lines)
        if n < 2:
            business.pay(when + timedelta(minutes=30), customer, [(draft, draft.total)])
        business.write_invoice(draft)
        writer.add("customers", business.customer_doc(customer))
        drafts.append(draft)
    writer.flush()

    data = {kind: list(iter_records(store, kind)) for kind in KINDS}
    assert invoice_rule_violations(data) == []
    new_ids = [d.id for d in drafts]
    assert not set(new_ids) & known_ids
    assert [d.reference for d in drafts] == [str(state["next_job_number"] + n) for n in range(3)]
    feed = st.ok("accounting", "/export/invoices", {"from": tokens[-1]})
    assert [i["id"] for i in feed["data"]] == new_ids
    assert [i["balance"] for i in feed["data"]][:2] == ["0.00", "0.00"]
