"""Settings of the ServiceTitan simulator (env `SANDBOX_ST_<FIELD>`, flag `--st field=value`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ServiceTitanSettings:
    token_ttl: int = 900
    """Seconds an access token lives (`expires_in`)."""
    rate_limit: int = 60
    """Calls per second per (app key, tenant); 0 turns the limit off."""
    max_page_size: int = 5000
    """Largest `pageSize` a paged list accepts (larger values are clamped)."""
    export_batch_size: int = 1000
    """Records per export call (ServiceTitan does not document it)."""
