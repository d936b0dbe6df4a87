"""The CSV of a reconciliation (one row per difference, timing difference, customer balance, aging bucket and
period, with a `kind` column), the summary table printed to stdout, and `latest.json` (the differences, for
`replay --force --drifted`)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from target_freshbooks.reconcile.model import Difference, Reconciliation

STREAM_OF_KIND = {"invoice": "invoices", "payment": "payments", "creditmemo": "credit_notes"}
COLUMNS = ("kind", "stream", "customer_id", "name", "source_key", "freshbooks_id", "servicetitan", "freshbooks",
           "timing", "difference", "status", "detail")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def rows(report: Reconciliation) -> list[dict[str, str]]:
    out: list[dict[str, Any]] = []
    for d in report.differences:
        diff = (d.freshbooks_amount or 0) - (d.servicetitan_amount or 0) if d.kind == "amount" else None
        out.append({"kind": d.kind, "stream": d.stream, "customer_id": d.customer_id, "source_key": d.source_key,
                    "freshbooks_id": d.freshbooks_id, "servicetitan": d.servicetitan_amount,
                    "freshbooks": d.freshbooks_amount, "difference": diff,
                    "status": "reported" if d.kind == "made_in_freshbooks" else "drift", "detail": d.detail})
    for t in report.timing:
        kind = t.source_key.split(":")[1] if t.source_key.count(":") >= 2 else ""
        out.append({"kind": "timing", "stream": STREAM_OF_KIND.get(kind, kind),
                    "customer_id": t.customer_id, "source_key": t.source_key, "timing": t.amount,
                    "status": "timing", "detail": t.reason})
    for c in report.customers:
        out.append({"kind": "customer_balance", "stream": "clients", "customer_id": c.customer_id, "name": c.name,
                    "freshbooks_id": c.freshbooks_client_id, "servicetitan": c.servicetitan_ar,
                    "freshbooks": c.freshbooks_ar, "timing": c.timing, "difference": c.drift, "status": c.status,
                    "detail": "; ".join(f"{i.number}: {i.servicetitan_balance} vs {i.freshbooks_outstanding}"
                                        for i in c.invoices)})
    for a in report.aging:
        out.append({"kind": "aging", "name": a.label, "servicetitan": a.servicetitan, "freshbooks": a.freshbooks,
                    "difference": a.freshbooks - a.servicetitan})
    for p in report.periods:
        out.append({"kind": "period", "stream": p.measure, "name": p.period, "servicetitan": p.servicetitan,
                    "freshbooks": p.freshbooks, "difference": p.freshbooks - p.servicetitan,
                    "status": "match" if p.servicetitan == p.freshbooks else "drift"})
    for cost in report.costs:
        out.append({"kind": "cost", "stream": f"{cost.servicetitan_account} / {cost.freshbooks_category}",
                    "name": cost.period, "servicetitan": cost.servicetitan, "freshbooks": cost.freshbooks,
                    "difference": cost.freshbooks - cost.servicetitan})
    return [{c: _text(row.get(c)) for c in COLUMNS} for row in out]


def write_csv(report: Reconciliation, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(report))


def difference_to_json(d: Difference) -> dict[str, Any]:
    return {"kind": d.kind, "stream": d.stream, "detail": d.detail, "source_key": d.source_key,
            "freshbooks_id": d.freshbooks_id, "customer_id": d.customer_id,
            "servicetitan_amount": _text(d.servicetitan_amount) or None,
            "freshbooks_amount": _text(d.freshbooks_amount) or None, "repairable": d.repairable}


def difference_from_json(raw: dict[str, Any]) -> Difference:
    def amount(value: Any) -> Decimal | None:
        return None if value in (None, "") else Decimal(str(value))

    return Difference(raw["kind"], raw["stream"], raw.get("detail") or "", raw.get("source_key"),
                      raw.get("freshbooks_id"), raw.get("customer_id"), amount(raw.get("servicetitan_amount")),
                      amount(raw.get("freshbooks_amount")))


def write_latest(report: Reconciliation, path: Path, reports: dict[str, str]) -> None:
    body = {"generated_at": report.generated_at.isoformat(), "tenant": report.tenant,
            "account_id": report.account_id, "drifted": report.drifted, "reports": reports,
            "differences": [difference_to_json(d) for d in report.differences]}
    path.write_text(json.dumps(body, indent=1))


def read_latest(path: Path) -> list[Difference]:
    body = json.loads(path.read_text())
    return [difference_from_json(raw) for raw in body.get("differences") or []]


def summary_text(report: Reconciliation, reports: dict[str, str]) -> str:
    status = Counter(c.status for c in report.customers)
    kinds = Counter(d.kind for d in report.differences)
    out = io.StringIO()
    out.write(f"Reconciliation of ServiceTitan tenant {report.tenant} with FreshBooks account {report.account_id} "
              f"({report.mode} mode), {report.generated_at:%Y-%m-%d %H:%M UTC}\n")
    out.write(f"  customers: {status['match']} match, {status['timing']} timing only, {status['drift']} drift\n")
    out.write(f"  timing differences (not drift): {len(report.timing)}\n")
    out.write("  differences: " + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none") + "\n")
    width = max([len(name) for name in report.totals] + [10])
    out.write(f"  {'total':<{width}} {'ServiceTitan':>14} {'FreshBooks':>14} {'difference':>12}\n")
    for name, (st, fb) in report.totals.items():
        out.write(f"  {name:<{width}} {st:>14} {fb:>14} {fb - st:>12}\n")
    months = [p for p in report.periods if p.servicetitan != p.freshbooks]
    for p in months[:12]:
        out.write(f"  {p.measure} {p.period}: ServiceTitan {p.servicetitan}, FreshBooks {p.freshbooks}\n")
    for cost in [c for c in report.costs if c.servicetitan - c.timing != c.freshbooks][:12]:
        out.write(f"  purchase cost {cost.period} {cost.servicetitan_account} / {cost.freshbooks_category}: "
                  f"ServiceTitan {cost.servicetitan}, FreshBooks {cost.freshbooks}\n")
    shown = [d for d in report.differences if d.kind != "made_in_freshbooks"][:20]
    for d in shown:
        out.write(f"  {d.kind:<22} {d.stream:<12} {d.detail}\n")
    for c in [c for c in report.customers if c.status == "drift"][:20]:
        out.write(f"  drift customer {c.customer_id or '-'} ({c.name}): ServiceTitan {c.servicetitan_ar} - timing "
                  f"{c.timing}, FreshBooks {c.freshbooks_ar}: {c.drift:+}\n")
    out.write(f"  result: {'DRIFT' if report.drifted else 'books match (timing differences apart)'}\n")
    for label, path in reports.items():
        out.write(f"  {label}: {path}\n")
    return out.getvalue()
