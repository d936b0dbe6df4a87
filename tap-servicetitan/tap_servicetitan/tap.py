"""tap-servicetitan: the accounting side of ServiceTitan as Singer streams."""

from __future__ import annotations

from functools import cached_property

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError

from tap_servicetitan.auth import ServiceTitanAuthenticator
from tap_servicetitan.config import CONFIG_SCHEMA, TapSettings, config_problems
from tap_servicetitan.rate_budget import SharedThrottle, budget_key, open_budget
from tap_servicetitan.streams import STREAM_TYPES
from tap_servicetitan.throttle import RequestThrottle
from tap_servicetitan.window import InvoiceWindow


class TapServiceTitan(Tap):
    """Customers, locations, pricebook, vendors, invoices, payments, credit memos, bills, AP credits and payments."""

    name = "tap-servicetitan"
    package_name = "tap-servicetitan"
    config_jsonschema = CONFIG_SCHEMA

    def discover_streams(self) -> list[Stream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @property
    def streams(self) -> dict[str, Stream]:
        """The streams in reference order (singer-sdk sorts them by name), which is the order they sync in:
        tax zones, payment types and GL accounts, customers, locations, pricebook and vendors before
        invoices; invoices before payments and credit memos; inventory bills last."""
        def rank(item: tuple[str, Stream]) -> int:
            kind = type(item[1])
            return STREAM_TYPES.index(kind) if kind in STREAM_TYPES else len(STREAM_TYPES)

        return dict(sorted(super().streams.items(), key=rank))

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        errors = super()._validate_config(raise_errors=raise_errors)
        problems = [problem for problem in config_problems(self.config) if problem not in errors]
        if problems and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=[*errors, *problems])
        for problem in problems:
            self.logger.warning("Config problem: %s", problem)
        return [*errors, *problems]

    @cached_property
    def settings(self) -> TapSettings:
        return TapSettings.from_config(self.config)

    @cached_property
    def authenticator(self) -> ServiceTitanAuthenticator:
        """One token for every stream of the run."""
        settings = self.settings
        return ServiceTitanAuthenticator(
            token_url=settings.token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            timeout=settings.request_timeout,
        )

    @cached_property
    def throttle(self) -> RequestThrottle | SharedThrottle:
        """One call-rate ceiling for every stream of the run; with `rate_budget_url`, one for every process
        calling as this app and tenant (`rate_budget.py`)."""
        settings = self.settings
        if settings.rate_budget_url:
            key = budget_key("servicetitan", settings.app_key, settings.tenant_id)
            return SharedThrottle(open_budget(settings.rate_budget_url, key), settings.max_requests_per_second)
        return RequestThrottle(settings.max_requests_per_second)

    @cached_property
    def invoice_window(self) -> InvoiceWindow:
        """Which invoices are in the sync window, for the invoices, payments and credit memos streams alike;
        starts from what the invoices stream's state lists (earlier invoices kept, documents due)."""
        saved = self.state.get("bookmarks", {}).get("invoices", {})
        return InvoiceWindow.from_state(self.settings.start_date, saved if isinstance(saved, dict) else {})

    def save_invoice_window(self) -> None:
        """Put the window's lists in the invoices stream's state, which every STATE message carries."""
        self.invoice_window.save(self.streams["invoices"].stream_state)

    def __repr__(self) -> str:
        return f"TapServiceTitan(tenant_id={self.config.get('tenant_id')!r})"


if __name__ == "__main__":
    TapServiceTitan.cli()
