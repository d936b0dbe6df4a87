"""`invoices/markasexported`: sync status, export id, per-invoice results, and what it does to the feed."""

from __future__ import annotations

from sandbox.servicetitan.data import get_record
from sandbox.testing import RunningSandbox
from st_harness import StClient


def mark(st: StClient, body: object):  # type: ignore[no-untyped-def]
    return st.session.post(st.url("accounting", "/invoices/markasexported"), json=body, timeout=10)


def test_marking_sets_exported_and_answers_per_invoice(sandbox: RunningSandbox, st: StClient) -> None:
    invoice = st.ok("accounting", "/invoices", {"pageSize": 1})["data"][0]
    answer = mark(st, [{"invoiceId": invoice["id"], "externalId": "FB-77", "externalMessage": "synced"},
                       {"invoiceId": 42}])
    assert answer.status_code == 200
    assert answer.json()[0] == {"invoiceId": invoice["id"], "success": True, "errorMessage": None}
    assert answer.json()[1]["success"] is False and "42" in answer.json()[1]["errorMessage"]
    stored = get_record(sandbox.ctx.store, "invoices", invoice["id"])
    assert stored is not None
    assert stored["syncStatus"] == "Exported"
    assert stored["exportId"] == "FB-77"
    exported = st.ok("accounting", "/invoices", {"statuses": "Exported"})["data"]
    assert [i["id"] for i in exported] == [invoice["id"]]


def test_marking_moves_modified_on_back_into_the_feed(sandbox: RunningSandbox, st: StClient) -> None:
    _, tokens, _ = st.export_all("accounting", "/export/invoices")
    invoice = st.ok("accounting", "/invoices", {"pageSize": 1})["data"][0]
    assert mark(st, [{"invoiceId": invoice["id"]}]).status_code == 200
    after = st.ok("accounting", "/export/invoices", {"from": tokens[-1]})
    assert [i["id"] for i in after["data"]] == [invoice["id"]]
    assert after["data"][0]["modifiedOn"] == sandbox.ctx.clock.now().isoformat().replace("+00:00", "Z")


def test_marking_can_leave_modified_on_alone(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.mark_exported_touches = False
    _, tokens, _ = st.export_all("accounting", "/export/invoices")
    invoice = st.ok("accounting", "/invoices", {"pageSize": 1})["data"][0]
    assert mark(st, [{"invoiceId": invoice["id"]}]).status_code == 200
    assert st.ok("accounting", "/export/invoices", {"from": tokens[-1]})["data"] == []
    stored = get_record(sandbox.ctx.store, "invoices", invoice["id"])
    assert stored is not None
    assert stored["modifiedOn"] == invoice["modifiedOn"] and stored["syncStatus"] == "Exported"


def test_a_malformed_body_is_a_400(st: StClient) -> None:
    for body in ({"invoiceId": 1}, [{"externalId": "x"}], [{"invoiceId": "12"}]):
        answer = mark(st, body)
        assert answer.status_code == 400, body
        assert answer.json()["errors"]


def test_changes_made_while_the_clock_stands_still_are_never_skipped(st: StClient) -> None:
    """Two invoices marked one after the other at the same simulated instant, the later with a lower id."""
    _, tokens, _ = st.export_all("accounting", "/export/invoices")
    newest_first = st.ok("accounting", "/invoices", {"sort": "-Id", "pageSize": 2})["data"]
    seen: list[int] = []
    position = tokens[-1]
    for invoice in newest_first:
        assert mark(st, [{"invoiceId": invoice["id"]}]).status_code == 200
        batch = st.ok("accounting", "/export/invoices", {"from": position})
        seen += [i["id"] for i in batch["data"]]
        position = batch["continueFrom"]
    assert seen == [i["id"] for i in newest_first]
