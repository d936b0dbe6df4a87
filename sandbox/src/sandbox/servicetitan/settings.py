"""Settings of the ServiceTitan simulator (env `SANDBOX_ST_<FIELD>`, flag `--st field=value`).

Where the reference leaves a behaviour unconfirmed, a setting picks the alternative; FIDELITY.md
(section ServiceTitan) says which default was chosen and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import credentials


@dataclass
class ServiceTitanSettings:
    tenant_id: int = credentials.ST_TENANT_ID
    """The tenant this simulator serves (its tokens grant this tenant only): several sandboxes, several tenants."""
    token_ttl: int = 900
    """Seconds an access token lives (`expires_in`)."""
    rate_limit: int = 60
    """Calls per second per (app key, tenant); 0 turns the limit off."""
    rate_limit_counts_token: bool = False
    """Whether `POST /connect/token` counts against the rate limit (under the key (client id, 0))."""
    max_page_size: int = 5000
    """Largest `pageSize` a paged list accepts."""
    oversized_page_size: str = "clamp"
    """What a larger `pageSize` gets: "clamp" (served at the maximum, which `pageSize` reports) or "error" (400)."""
    default_page_size: int = 50
    """`pageSize` when the request gives none."""
    export_batch_size: int = 1000
    """Records per export call (ServiceTitan does not document it)."""
    export_recent_overlap: int = 2
    """With `includeRecentChanges=true`, the token at the end of the feed points this many records back, so
    the next call returns them again (the spec warns results may repeat)."""
    export_lag_seconds: int = 0
    """Without `includeRecentChanges`, records modified less than this many simulated seconds before the
    clock's now are held back from exports (0: no delay)."""
    accept_bare_token: bool = True
    """Accept `Authorization: <token>` without the `Bearer ` prefix (servicepytan sends it so)."""
    wrong_tenant_status: int = 403
    """Status for a valid token used on another tenant's path (401 or 403)."""
    mark_exported_touches: bool = True
    """Whether `invoices/markasexported` moves the invoice's `modifiedOn` (back into the export feed)."""
