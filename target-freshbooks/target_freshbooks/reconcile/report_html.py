"""The self-contained HTML report of a reconciliation (no external asset: it opens from a file, offline)."""

from __future__ import annotations

import html

from target_freshbooks.reconcile.model import Reconciliation


def render_html(report: Reconciliation) -> str:
    title = f"Reconciliation {html.escape(report.tenant)} / {html.escape(report.account_id)}"
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>" \
           f"<h1>{title}</h1></body></html>"
