"""The HTML reconciliation report, opened in headless Chromium: what the office manager sees.

The report is built by hand with known differences, timing, receivables and aging; the assertions read the page
Chromium rendered (`--dump-dom`), and a screenshot is kept under `output/test-artifacts/`.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from report_dom import Node, parse
from target_freshbooks.reconcile.model import (
    AgingBucket,
    CostLine,
    CustomerBalance,
    Difference,
    InvoiceLine,
    JobMargin,
    PeriodTotal,
    Reconciliation,
    TimingDifference,
)
from target_freshbooks.reconcile.report_html import render_html

ARTIFACTS = Path(__file__).resolve().parents[2] / "output" / "test-artifacts"
CHROMIUM_TIMEOUT_S = 60
D = Decimal


def drifted_books() -> Reconciliation:
    """Three differences (a payment amount changed, an invoice deleted, a duplicate client), one invoice Pending."""
    return Reconciliation(
        generated_at=datetime(2026, 3, 31, 18, 5, tzinfo=UTC),
        tenant="1048",
        account_id="xZ9Pq",
        customers=[
            CustomerBalance("501", "Harbor View Dental", "77", D("1840.00"), D("1590.00"),
                            invoices=[InvoiceLine("servicetitan:invoice:9001", "ST-2001", D("840.00"), D("590.00"))]),
            CustomerBalance("502", "Maple & Sons <Plumbing>", "78", D("1275.50"), D("0.00"), timing=D("1275.50")),
            CustomerBalance("503", "Oakridge Apartments", "79", D("12480.00"), D("12480.00")),
        ],
        differences=[
            Difference("amount", "payments", "The payment's amount was changed in FreshBooks.",
                       source_key="servicetitan:payment:7001", freshbooks_id="301", customer_id="501",
                       servicetitan_amount=D("250.00"), freshbooks_amount=D("500.00")),
            Difference("missing_in_freshbooks", "invoices", "The invoice is not in FreshBooks (deleted there).",
                       source_key="servicetitan:invoice:9002", customer_id="504",
                       servicetitan_amount=D("1234567.89"), freshbooks_amount=None),
            Difference("duplicate", "clients", "Two FreshBooks clients carry this customer's marker.",
                       source_key="servicetitan:customer:505", freshbooks_id="80", customer_id="505",
                       servicetitan_amount=D("0.00"), freshbooks_amount=D("0.00")),
        ],
        timing=[TimingDifference("502", "servicetitan:invoice:9003", D("1275.50"),
                                 "Pending in ServiceTitan: not posted yet")],
        aging=[AgingBucket("current", D("9800.00"), D("9550.00")), AgingBucket("1-30", D("4210.75"), D("4210.75")),
               AgingBucket("31-60", D("1200.00"), D("0.00")), AgingBucket("61-90", D("0.00"), D("0.00")),
               AgingBucket("90+", D("385.25"), D("385.25"))],
        periods=[PeriodTotal("2026-03", "cash", D("20500.00"), D("20750.00")),
                 PeriodTotal("2026-03", "revenue", D("31000.00"), D("31000.00"))],
        costs=[CostLine("2026-03", "5000 Job Materials", "Cost of Goods Sold", D("4120.40"), D("4120.40")),
               CostLine("2026-03", "6100 Fuel", "(waiting in review: vendor not in FreshBooks)", D("310.00"),
                        D("0.00"), timing=D("310.00"))],
        margins=[JobMargin("88001", "ST-2001", "501", D("1500.00"), D("420.00"), D("0.00"))],
        totals={"receivables": (D("15595.50"), D("14070.00"))},
    )


def run_chromium(chromium: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
               f"--user-data-dir={profile}", "--window-size=1280,2700", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def rendered(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Node:
    """The report as Chromium rendered it; its screenshot in tmp and under output/test-artifacts/."""
    folder = tmp_path_factory.mktemp("report")
    page = folder / "reconciliation.html"
    page.write_text(render_html(drifted_books()), encoding="utf-8")
    screenshot = folder / "reconciliation.png"
    run_chromium(chromium, page, folder / "profile", f"--screenshot={screenshot}", "--hide-scrollbars")
    assert screenshot.stat().st_size > 10_000, "Chromium wrote no real screenshot"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, ARTIFACTS / "reconciliation-report.png")
    shutil.copy(page, ARTIFACTS / "reconciliation-report.html")
    dom = run_chromium(chromium, page, folder / "profile", "--dump-dom").stdout
    return parse(dom)


def test_the_verdict_says_in_plain_words_how_many_differences(rendered: Node) -> None:
    verdict = rendered.by_id("verdict")
    assert "drift" in verdict.classes
    assert verdict.text().startswith("3 differences between ServiceTitan and FreshBooks.")
    assert "1 timing difference" in verdict.text()


def test_each_difference_is_a_highlighted_row_with_both_amounts(rendered: Node) -> None:
    rows = rendered.by_id("differences").find_all("tr", "difference")
    cells = [[td.text() for td in row.find_all("td")] for row in rows]
    assert [row[2:5] for row in cells] == [
        ["servicetitan:payment:7001", "250.00", "500.00"],
        ["servicetitan:invoice:9002", "1,234,567.89", "—"],
        ["servicetitan:customer:505", "0.00", "0.00"],
    ]
    assert [row[0] for row in cells] == ["Amounts differ", "Missing in FreshBooks", "Duplicate in FreshBooks"]


def test_the_timing_difference_is_apart_from_the_differences(rendered: Node) -> None:
    rows = rendered.by_id("timing").find_all("tr", "timing")
    assert [[td.text() for td in row.find_all("td")] for row in rows] == [
        ["Maple & Sons <Plumbing> (502)", "servicetitan:invoice:9003", "1,275.50",
         "Pending in ServiceTitan: not posted yet"]]


def test_receivables_by_customer_put_the_drifting_customer_first(rendered: Node) -> None:
    rows = rendered.by_id("customers").find_all("tr", "customer")
    assert [(row.find_all("td")[0].text(), sorted(row.classes & {"drift", "timing", "match"})) for row in rows] == [
        ("Harbor View Dental", ["drift"]), ("Maple & Sons <Plumbing>", ["timing"]),
        ("Oakridge Apartments", ["match"])]
    drift = [td.text() for td in rows[0].find_all("td")]
    assert drift[3:7] == ["1,840.00", "0.00", "1,590.00", "-250.00"]


def test_the_aging_chart_draws_both_systems_per_bucket_with_amount_labels(rendered: Node) -> None:
    chart = rendered.by_id("aging-chart")
    assert chart.tag == "svg"
    bars = chart.find_all("rect", "bar")
    amounts = {(bar.attrs["data-bucket"], "servicetitan" if "servicetitan" in bar.classes else "freshbooks"):
               bar.attrs["data-amount"] for bar in bars}
    assert amounts == {
        ("current", "servicetitan"): "9,800.00", ("current", "freshbooks"): "9,550.00",
        ("1-30", "servicetitan"): "4,210.75", ("1-30", "freshbooks"): "4,210.75",
        ("31-60", "servicetitan"): "1,200.00", ("31-60", "freshbooks"): "0.00",
        ("61-90", "servicetitan"): "0.00", ("61-90", "freshbooks"): "0.00",
        ("90+", "servicetitan"): "385.25", ("90+", "freshbooks"): "385.25",
    }
    labels = sorted(text.text() for text in chart.find_all("text", "bar-label"))
    assert labels == sorted(amounts.values())
    heights = {key: float(bar.attrs["height"]) for key, bar in zip(amounts, bars, strict=True)}
    assert max(heights, key=lambda key: heights[key]) == ("current", "servicetitan")
    assert heights[("31-60", "freshbooks")] == 0 < heights[("31-60", "servicetitan")]
    assert [text.text() for text in chart.find_all("text", "legend")] == ["ServiceTitan", "FreshBooks"]


def test_costs_and_margins_show_when_present(rendered: Node) -> None:
    costs = [[td.text() for td in row.find_all("td")] for row in rendered.by_id("costs").find_all("tr", "cost")]
    assert costs == [["2026-03", "5000 Job Materials", "Cost of Goods Sold", "4,120.40", "0.00", "4,120.40", "0.00"],
                     ["2026-03", "6100 Fuel", "(waiting in review: vendor not in FreshBooks)", "310.00", "310.00",
                      "0.00", "0.00"]]
    margins = rendered.by_id("margins")
    assert [td.text() for td in margins.find_all("tr", "margin")[0].find_all("td")] == [
        "88001", "ST-2001", "501", "1,500.00", "420.00", "0.00", "1,080.00", "72.0%"]
    assert "Labour cost: not available from the streams the tap reads" in margins.text()


def test_matching_books_say_so() -> None:
    books = Reconciliation(generated_at=datetime(2026, 3, 31, tzinfo=UTC), tenant="1048", account_id="xZ9Pq",
                           customers=[CustomerBalance("503", "Oakridge", "79", D("10.00"), D("10.00"))])
    verdict = parse(render_html(books)).by_id("verdict")
    assert verdict.text() == "The books match."
    assert "ok" in verdict.classes


def test_hostile_text_is_escaped() -> None:
    books = drifted_books()
    books.tenant = "<b>t</b>"
    books.customers[0].name = "<script>alert('x')</script>"
    books.differences[0].detail = "</td></tr><img src=x onerror=alert(1)>"
    books.aging[0].label = "<svg onload=alert(1)>"
    page = render_html(books)
    assert "<script>" not in page and "<img" not in page and "<svg onload" not in page and "<b>t</b>" not in page
    dom = parse(page)
    assert "<script>alert('x')</script>" in dom.by_id("customers").text()
    assert "</td></tr><img src=x onerror=alert(1)>" in dom.by_id("differences").text()
    assert not dom.find_all("script") and not dom.find_all("img")
