"""`meltano run tap-servicetitan servicetitan-to-freshbooks target-freshbooks` against the sandbox, checked
against ServiceTitan's own data: the right invoices, sent, to the right clients, totals and balances to
the cent, every payment application once, nothing duplicated on any kind of rerun."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from e2e_harness import Pipeline
from e2e_truth import expected_sync

pytestmark = pytest.mark.e2e


def amount(money: dict) -> Decimal:
    return Decimal(money["amount"])


def synced_invoices(pipeline: Pipeline, numbers: set[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for invoice in pipeline.fb.records("invoices"):
        if invoice["invoice_number"] in numbers and invoice["vis_state"] == 0:
            found.setdefault(invoice["invoice_number"], []).append(invoice)
    return found


def fingerprint(pipeline: Pipeline) -> Counter:
    """How many active FreshBooks objects of each kind exist."""
    return Counter({kind: sum(1 for r in pipeline.fb.records(kind) if r.get("vis_state", 0) == 0)
                    for kind in ("clients", "items", "taxes", "invoices", "payments")})


def test_sync_matches_servicetitan_and_reruns_write_nothing(pipeline: Pipeline) -> None:
    pipeline.authorize()
    pipeline.run()
    expected = expected_sync(pipeline.sandbox.ctx.store)
    assert len(expected.invoices) > 50

    found = synced_invoices(pipeline, set(expected.invoices))
    clients = {c["id"]: c for c in pipeline.fb.records("clients")}
    payments_by_invoice: dict[int, list[Decimal]] = {}
    for payment in pipeline.fb.records("payments"):
        if payment["vis_state"] == 0:
            payments_by_invoice.setdefault(payment["invoiceid"], []).append(amount(payment["amount"]))

    problems = []
    for number, st in expected.invoices.items():
        copies = found.get(number, [])
        if len(copies) != 1:
            problems.append(f"{number}: {len(copies)} FreshBooks invoices")
            continue
        fb = copies[0]
        if fb["status"] == 1 or fb["v3_status"] == "draft":
            problems.append(f"{number}: still a draft")
        if amount(fb["amount"]) != Decimal(st["total"]):
            problems.append(f"{number}: total {fb['amount']['amount']} != ServiceTitan {st['total']}")
        if amount(fb["outstanding"]) != Decimal(st["balance"]):
            problems.append(f"{number}: outstanding {fb['outstanding']['amount']} != balance {st['balance']}")
        email = expected.emails.get(st["customer"]["id"])
        client = clients[fb["customerid"]]
        if email and (client.get("email") or "").lower() != email.lower():
            problems.append(f"{number}: client email {client.get('email')!r} != customer's {email!r}")
        if sorted(payments_by_invoice.get(fb["id"], [])) != sorted(expected.applications.get(number, [])):
            problems.append(f"{number}: payments {payments_by_invoice.get(fb['id'])} != "
                            f"applications {expected.applications.get(number)}")
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:30])

    # Pre-existing FreshBooks clients were adopted, not duplicated. Each ServiceTitan customer has its own
    # client, so an email may have as many clients as customers using it, or as it already had; never more.
    def by_email(rows: list[dict]) -> Counter:
        return Counter((c.get("email") or "").lower() for c in rows if c.get("vis_state") == 0 and c.get("email"))

    now = by_email(list(clients.values()))
    preexisting = by_email([clients[i] for i in pipeline.fb.preexisting()["records"]["clients"] if i in clients])
    customers = Counter(e.lower() for e in expected.emails.values() if e)
    duplicated = {e: n for e, n in now.items() if n > max(preexisting[e], customers[e], 1)}
    assert not duplicated, f"clients duplicated by email: {duplicated}"
    adopted = [e for e in preexisting if customers[e]]
    assert adopted, "the seed should have pre-existing clients matching ServiceTitan customers"
    assert all(now[e] == max(preexisting[e], customers[e]) or now[e] == preexisting[e] for e in adopted)

    # Run again: nothing to write.
    pipeline.reset_stats()
    pipeline.run()
    assert pipeline.freshbooks_writes() == 0

    # Forget the tap's state and re-extract everything: still nothing new in FreshBooks.
    counts = fingerprint(pipeline)
    pipeline.meltano("state", "clear", "--force", "sandbox:tap-servicetitan-to-target-freshbooks")
    pipeline.reset_stats()
    pipeline.run("--full-refresh")
    assert pipeline.freshbooks_creates() == 0
    assert fingerprint(pipeline) == counts


def test_lost_ledger_is_rebuilt_without_duplicates(pipeline: Pipeline) -> None:
    pipeline.authorize()
    pipeline.run()
    counts = fingerprint(pipeline)

    pipeline.ledger.unlink()
    pipeline.meltano("state", "clear", "--force", "sandbox:tap-servicetitan-to-target-freshbooks")
    pipeline.authorize()
    pipeline.reset_stats()
    pipeline.run()

    assert pipeline.freshbooks_creates() == 0
    assert fingerprint(pipeline) == counts
