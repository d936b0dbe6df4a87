"""How the tap walks export feeds and paged lists, and what it saves in state, against a scripted server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tap_fake_server import FakeServiceTitan, export_page, list_page
from tap_harness import run_tap
from tap_servicetitan.tap import TapServiceTitan


@pytest.fixture
def fake() -> Iterator[FakeServiceTitan]:
    server = FakeServiceTitan().start()
    yield server
    server.stop()


def payment(record_id: int, modified: str) -> dict:
    return {"id": record_id, "active": True, "modifiedOn": modified, "createdOn": modified, "total": "1.00"}


def test_export_follows_continue_from_and_saves_the_token_after_every_page(fake: FakeServiceTitan) -> None:
    path = fake.path("accounting", "export/payments")
    fake.script(
        path,
        (200, {}, export_page([payment(1, "2026-01-01T00:00:00Z")], token="t1", has_more=True)),
        (200, {}, export_page([], token="t2", has_more=True)),  # an empty page is not the end
        (200, {}, export_page([payment(2, "2026-01-02T00:00:00Z")], token="t3", has_more=False)),
    )
    run = run_tap(fake.config(), streams=["payments"])

    assert [r["id"] for r in run.records("payments")] == [1, 2]
    assert [c.query.get("from") for c in fake.api_calls(path)] == [None, ["t1"], ["t2"]]
    assert all(c.query["includeRecentChanges"] == ["true"] for c in fake.api_calls(path))
    tokens = [s["bookmarks"]["payments"].get("continueFrom") for s in run.states if "payments" in s["bookmarks"]]
    assert list(dict.fromkeys(t for t in tokens if t)) == ["t1", "t2", "t3"]
    # Each page's STATE comes after that page's records.
    kinds = [(m["type"], m.get("record", {}).get("id")) for m in run.messages if m["type"] in ("RECORD", "STATE")]
    assert kinds.index(("RECORD", 1)) < kinds.index(("RECORD", 2))
    state_after_first = next(
        i for i, m in enumerate(run.messages)
        if m["type"] == "STATE" and m["value"]["bookmarks"].get("payments", {}).get("continueFrom") == "t1"
    )
    first_record = next(i for i, m in enumerate(run.messages) if m["type"] == "RECORD")
    assert first_record < state_after_first


def test_the_next_run_resumes_from_the_saved_token(fake: FakeServiceTitan) -> None:
    path = fake.path("accounting", "export/payments")
    fake.script(path, (200, {}, export_page([payment(3, "2026-02-01T00:00:00Z")], token="t9")))
    state = {"bookmarks": {"payments": {"continueFrom": "t3"}}}
    run = run_tap(fake.config(), state=state, streams=["payments"])
    assert fake.api_calls(path)[0].query["from"] == ["t3"]
    assert run.final_state["bookmarks"]["payments"]["continueFrom"] == "t9"


def test_repeated_records_are_emitted_once_per_version(fake: FakeServiceTitan) -> None:
    """includeRecentChanges may repeat rows; a record modified again during the run comes back newer."""
    path = fake.path("accounting", "export/payments")
    fake.script(
        path,
        (
            200,
            {},
            export_page(
                [payment(1, "2026-01-01T00:00:00Z"), payment(2, "2026-01-01T00:00:00Z"),
                 payment(2, "2026-01-03T00:00:00Z"), payment(2, "2026-01-02T00:00:00Z")],
                token="t1",
                has_more=True,
            ),
        ),
        (
            200,
            {},
            export_page(
                [payment(1, "2026-01-01T00:00:00Z"), payment(2, "2026-01-03T00:00:00Z"),
                 payment(1, "2026-01-04T00:00:00.5Z")],
                token="t2",
            ),
        ),
    )
    run = run_tap(fake.config(), streams=["payments"])
    assert [(r["id"], r["modifiedOn"]) for r in run.records("payments")] == [
        (1, "2026-01-01T00:00:00Z"),
        (2, "2026-01-03T00:00:00Z"),
        (1, "2026-01-04T00:00:00.5Z"),
    ]


def vendor(record_id: int, modified: str) -> dict:
    return {"id": record_id, "name": f"Vendor {record_id}", "active": record_id != 3, "modifiedOn": modified}


def test_lists_without_export_walk_by_modified_on_and_keep_the_newest_as_bookmark(fake: FakeServiceTitan) -> None:
    path = fake.path("inventory", "vendors")
    fake.script(
        path,
        (200, {}, list_page([vendor(1, "2026-01-01T00:00:00Z"), vendor(2, "2026-01-05T00:00:00Z")], has_more=True)),
        # Records sharing the bound's modifiedOn fill a page: the next call goes to page 2 of the same bound.
        (200, {}, list_page([vendor(2, "2026-01-05T00:00:00Z"), vendor(3, "2026-01-05T00:00:00Z")], has_more=True)),
        (200, {}, list_page([vendor(4, "2026-01-05T00:00:00Z"), vendor(5, "2026-01-07T00:00:00Z")], page=2)),
    )
    run = run_tap(fake.config(page_size=2), streams=["vendors"])

    assert [r["id"] for r in run.records("vendors")] == [1, 2, 3, 4, 5]
    assert run.records("vendors")[2]["active"] is False  # inactive records are emitted with their flag
    queries = [c.query for c in fake.api_calls(path)]
    assert all(q["active"] == ["Any"] and q["sort"] == ["+ModifiedOn"] and q["pageSize"] == ["2"] for q in queries)
    assert [(q.get("modifiedOnOrAfter"), q["page"]) for q in queries] == [
        (None, ["1"]),
        (["2026-01-05T00:00:00Z"], ["1"]),
        (["2026-01-05T00:00:00Z"], ["2"]),
    ]
    assert run.final_state["bookmarks"]["vendors"]["modifiedOnOrAfter"] == "2026-01-07T00:00:00Z"

    run_tap(fake.config(page_size=2), state=run.final_state, streams=["vendors"])
    assert fake.api_calls(path)[-1].query["modifiedOnOrAfter"] == ["2026-01-07T00:00:00Z"]


def test_reference_lists_are_read_in_full_every_run(fake: FakeServiceTitan) -> None:
    path = fake.path("accounting", "gl-accounts")
    fake.defaults[path] = (200, {}, list_page([{"id": 9, "active": False, "modifiedOn": "2026-01-01T00:00:00Z"}]))
    first = run_tap(fake.config(), streams=["gl_accounts"])
    second = run_tap(fake.config(), state=first.final_state, streams=["gl_accounts"])
    assert first.records("gl_accounts") == second.records("gl_accounts") == [
        {"id": 9, "active": False, "modifiedOn": "2026-01-01T00:00:00Z"}
    ]
    assert [c.query for c in fake.api_calls(path)] == [{"active": ["Any"], "pageSize": ["5000"], "page": ["1"]}] * 2


def test_streams_are_emitted_in_reference_order(fake: FakeServiceTitan) -> None:
    run = run_tap(fake.config())
    order = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert order == [
        "tax_zones", "payment_types", "gl_accounts", "customers", "locations", "materials", "services",
        "equipment", "vendors", "invoices", "payments", "credit_memos", "inventory_bills", "ap_bills",
        "ap_credits", "ap_payments",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"client_secret": ""}, "client_secret: required"),
        ({"tenant_id": "acme"}, "tenant_id: must be ServiceTitan's numeric tenant ID"),
        ({"api_url": "api.servicetitan.io"}, "api_url: must be an http(s) URL"),
        ({"page_size": 9000}, "page_size: must be between 1 and 5000"),
        ({"start_date": "May 1st"}, "start_date: expected an ISO date"),
        ({"max_requests_per_second": 0}, "max_requests_per_second: must be between"),
    ],
)
def test_config_errors_name_the_setting_and_the_fix(tmp_path: Path, change: dict, expected: str) -> None:
    config = {**_valid_config(), **change}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_servicetitan.tap", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert expected in result.stderr
    assert "cs.fake-secret-value" not in result.stderr


def _valid_config() -> dict:
    return {
        "client_id": "cid.fake",
        "client_secret": "cs.fake-secret-value",
        "app_key": "ak.fake-app-key",
        "tenant_id": "1234567",
        "api_url": "http://127.0.0.1:9",
        "auth_url": "http://127.0.0.1:9",
    }


def test_about_documents_every_setting_and_marks_the_secrets() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tap_servicetitan.tap", "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    settings = json.loads(result.stdout)["settings"]["properties"]
    for name in ("client_id", "client_secret", "app_key", "tenant_id", "api_url", "auth_url", "start_date",
                 "page_size", "request_timeout", "max_requests_per_second"):
        assert settings[name].get("description"), name
    assert all(settings[name].get("secret") for name in ("client_id", "client_secret", "app_key"))
    assert settings["api_url"]["default"] == "https://api.servicetitan.io"
    assert settings["auth_url"]["default"] == "https://auth.servicetitan.io"
    assert settings["page_size"]["default"] == 5000
    assert settings["max_requests_per_second"]["default"] == 60


def test_the_next_page_is_requested_while_the_current_one_is_being_emitted(fake: FakeServiceTitan) -> None:
    path = fake.path("accounting", "export/payments")
    fake.script(
        path,
        (200, {}, export_page([payment(1, "2026-01-01T00:00:00Z")], token="t1", has_more=True)),
        (200, {}, export_page([payment(2, "2026-01-02T00:00:00Z")], token="t2")),
    )
    stream = TapServiceTitan(config=fake.config()).streams["payments"]
    pages = stream.export_pages("export/payments", None)
    first = next(pages)
    assert [r["id"] for r in first.records] == [1]
    # Without asking for the second page, it is on its way (waited for, not timed: up to 10 s).
    for _ in range(1000):
        if len(fake.api_calls(path)) == 2:
            break
        time.sleep(0.01)
    assert [c.query.get("from") for c in fake.api_calls(path)] == [None, ["t1"]]
    assert [r["id"] for r in next(pages).records] == [2]
    assert next(pages, None) is None
