"""Settings of the FreshBooks simulator (env `SANDBOX_FB_<FIELD>`, flag `--fb field=value`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FreshBooksSettings:
    token_ttl: int = 43200
    """Seconds an access token lives (`expires_in`)."""
    rate_limit: int = 0
    """Calls per second per access token before 429; 0 turns the limit off."""
