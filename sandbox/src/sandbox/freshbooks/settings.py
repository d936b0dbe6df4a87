"""Settings of the FreshBooks simulator (env `SANDBOX_FB_<FIELD>`, flag `--fb field=value`).

Where the reference leaves real FreshBooks behaviour unconfirmed, a setting selects between the
plausible alternatives; `sandbox/FIDELITY.md` explains each default.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import credentials


@dataclass
class FreshBooksSettings:
    account_id: str = credentials.FB_ACCOUNT_ID
    """The account of the business the sandbox user owns (several sandboxes, several accounts)."""
    token_ttl: int = 43200
    """Seconds an access token lives (`expires_in`)."""
    code_ttl: int = 300
    """Seconds an authorization code can be exchanged."""
    revoke_access_on_refresh: bool = True
    """Refreshing also revokes the access token issued with the spent refresh token."""
    rate_limit: int = 0
    """Calls per second per access token before 429; 0 turns the limit off."""
    validation_status: int = 422
    """HTTP status of validation errors (errno 1001, 1004, 1013, ...): 422 or 400."""
    default_per_page: int = 15
    """Page size of a list call that sends no `per_page`."""
    invoice_number_search: str = "partial"
    """`search[invoice_number]`: "exact" (equals) or "partial" (substring, like the `_like` filters)."""
    unique_invoice_numbers: bool = False
    """Refuse a second active invoice with an existing `invoice_number` (errno 1004)."""
    unique_client_emails: bool = False
    """Refuse creating a client whose email an active client already has (errno 1004)."""
    email_search_case_sensitive: bool = False
    """`search[email]` compares case-sensitively."""
    negative_payments: bool = False
    """Accept a payment of less than zero (a refund recorded on the invoice); unconfirmed, so refused by default."""
    tax_rounding: str = "line"
    """Where line taxes are rounded to cents: "line" (each line, half up) or "invoice" (the sum)."""
    invoice_delete: str = "soft"
    """HTTP DELETE on an invoice: "soft" (vis_state 1, still readable by id) or "hard" (gone)."""
    deleted_get: str = "return"
    """GET by id of a deleted (vis_state 1) object: "return" it or answer "404"."""
    edit_deleted: str = "refuse"
    """A field-changing PUT on a deleted object: "refuse" (errno 1011) or "allow"."""
    unknown_filters: str = "ignore"
    """A `search[...]` key the resource does not know: "ignore" it or "error" (errno 1004)."""
