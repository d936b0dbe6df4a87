"""The tap's settings: their JSON schema (what `--about` documents) and a typed, checked view of them."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from singer_sdk import typing as th
from sqlalchemy.engine import make_url

DEFAULT_API_URL = "https://api.servicetitan.io"
DEFAULT_AUTH_URL = "https://auth.servicetitan.io"
MAX_PAGE_SIZE = 5000
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_MAX_REQUESTS_PER_SECOND = 60
ENV_PREFIX = "TAP_SERVICETITAN_"
SECRET_SETTINGS = ("client_id", "client_secret", "app_key", "rate_budget_url")
"""Read from `TAP_SERVICETITAN_<NAME>` when set (which wins over the config file), so that a deployment can keep
them out of every file: Meltano writes the settings it knows into a plain config file under `.meltano/run/`."""

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType,
        secret=True,
        title="Client ID",
        description="Client ID issued by the tenant's ServiceTitan admin (Settings > Integrations > API Application "
        "Access). Unique per tenant and environment. Required; or env `TAP_SERVICETITAN_CLIENT_ID`, which wins.",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        secret=True,
        title="Client secret",
        description="Client secret issued with the client ID. Required; or env `TAP_SERVICETITAN_CLIENT_SECRET`, which "
        "wins (keeps it out of Meltano's generated config file).",
    ),
    th.Property(
        "app_key",
        th.StringType,
        secret=True,
        title="Application key",
        description="The app key of the registered ServiceTitan application, sent as the `ST-App-Key` header. "
        "Required; or env `TAP_SERVICETITAN_APP_KEY`, which wins.",
    ),
    th.Property(
        "tenant_id",
        th.CustomType({"type": ["string", "integer"]}),
        required=True,
        title="Tenant ID",
        description="The numeric ServiceTitan tenant ID (it goes in every API path).",
        examples=["1234567"],
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API URL",
        description="Base URL of the ServiceTitan API. Integration environment: "
        "`https://api-integration.servicetitan.io`.",
    ),
    th.Property(
        "auth_url",
        th.StringType,
        default=DEFAULT_AUTH_URL,
        title="Auth URL",
        description="Base URL of ServiceTitan's identity server; the token URL is `{auth_url}/connect/token`. "
        "Integration environment: `https://auth-integration.servicetitan.io`.",
    ),
    th.Property(
        "start_date",
        th.StringType,
        title="Start date",
        description="ISO date (`2026-01-01`). Invoices dated before it are skipped unless they were still open on "
        "it (a balance today, or paid off on or after it) or were already emitted; one that enters on a later run "
        "(reopened by a refund) comes with its earlier payments and credit memos. Payments and credit memos dated "
        "before it are emitted only when applied to an invoice the tap keeps. Other streams are read in full on "
        "the first run. Leave empty to keep everything.",
        examples=["2026-01-01"],
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=MAX_PAGE_SIZE,
        title="Page size",
        description=f"Records per page for paged lists (1 to {MAX_PAGE_SIZE}, the largest ServiceTitan accepts). "
        "Export feeds choose their own batch size.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout",
        description="Seconds to wait for one API response before retrying it (ServiceTitan itself gives up after "
        "100 s).",
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType,
        default=DEFAULT_MAX_REQUESTS_PER_SECOND,
        title="Max requests per second",
        description="Ceiling on API calls per second across all streams. ServiceTitan allows 60 per second per "
        "app and tenant; lower it when other integrations share the limit.",
    ),
    th.Property(
        "rate_budget_url",
        th.StringType,
        secret=True,
        title="Shared rate budget URL",
        description="SQLAlchemy URL of a database (e.g. the target's PostgreSQL ledger) holding one call budget per "
        "app and tenant, shared by every process using it (overlapping runs, reconcile, other hosts): together "
        "they stay within max_requests_per_second. Empty: the run paces itself alone. Or env "
        "`TAP_SERVICETITAN_RATE_BUDGET_URL`, which wins (it may hold a password).",
    ),
).to_dict()


@dataclass(frozen=True)
class TapSettings:
    """The config, with defaults applied and values in the types the tap uses."""

    client_id: str
    client_secret: str
    app_key: str
    tenant_id: str
    api_url: str
    auth_url: str
    start_date: date | None
    page_size: int
    request_timeout: float
    max_requests_per_second: float
    rate_budget_url: str | None = None

    def __repr__(self) -> str:  # never print the secrets
        return f"TapSettings(tenant_id={self.tenant_id!r}, api_url={self.api_url!r}, auth_url={self.auth_url!r})"

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}/connect/token"

    @classmethod
    def from_config(cls, config: dict[str, Any] | Any, environ: Mapping[str, str] | None = None) -> TapSettings:
        """Read the settings; raises ValueError listing every problem (call `problems` first for a list)."""
        config = with_env_secrets(config, environ)
        problems = config_problems(config)
        if problems:
            raise ValueError("; ".join(problems))
        start = config.get("start_date")
        return cls(
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            app_key=str(config["app_key"]),
            tenant_id=str(config["tenant_id"]).strip(),
            api_url=str(config.get("api_url") or DEFAULT_API_URL).rstrip("/"),
            auth_url=str(config.get("auth_url") or DEFAULT_AUTH_URL).rstrip("/"),
            start_date=parse_start_date(start) if start else None,
            page_size=int(config.get("page_size") or MAX_PAGE_SIZE),
            request_timeout=float(config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT),
            max_requests_per_second=float(config.get("max_requests_per_second") or DEFAULT_MAX_REQUESTS_PER_SECOND),
            rate_budget_url=str(config.get("rate_budget_url") or "").strip() or None,
        )


def parse_start_date(value: Any) -> date:
    """`2026-01-01`, or a date-time whose date part is taken."""
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) <= 10 else datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"start_date: expected an ISO date such as 2026-01-01, got {text!r}") from None


def with_env_secrets(config: Mapping[str, Any] | Any, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The config with each secret taken from `TAP_SERVICETITAN_<NAME>` when that is set (the environment wins)."""
    environ = os.environ if environ is None else environ
    merged = dict(config)
    for name in SECRET_SETTINGS:
        value = environ.get(ENV_PREFIX + name.upper(), "")
        if value.strip():
            merged[name] = value.strip()
    return merged


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (where plain http is allowed: nothing leaves the machine)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(name: str, value: Any, default: str, env: str) -> str | None:
    """What is wrong with a base URL setting (None if nothing): http(s), a host, https unless on loopback."""
    url = str(value).strip()
    where = f"(set {name} or env {env})"
    try:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"{name}: must be an http(s) URL such as {default}, got {url!r} {where}"
    if parsed.scheme not in ("http", "https") or not host:
        return f"{name}: must be an http(s) URL with a host, such as {default}, got {url!r} {where}"
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        return (f"{name}: must be a base URL without credentials, query or fragment, such as {default}, "
                f"got {url!r} {where}")
    if parsed.scheme == "http" and not is_loopback(host):
        return (f"{name}: must use https to {host} (plain http would send credentials unencrypted; it is accepted "
                f"for localhost/127.0.0.1 only), such as {default}, got {url!r} {where}")
    return None


def config_problems(config: dict[str, Any] | Any, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem with the config, each naming the setting and the fix. Never echoes a secret."""
    config = with_env_secrets(config, environ)
    problems: list[str] = []
    for name in ("client_id", "client_secret", "app_key", "tenant_id"):
        if not str(config.get(name) or "").strip():
            env = ENV_PREFIX + name.upper()
            how = (f"set the environment variable {env} (kept out of every file)" if name in SECRET_SETTINGS
                   else f"set it with `meltano config tap-servicetitan set {name} ...` or env {env}")
            problems.append(f"{name}: required; {how}")
    tenant = str(config.get("tenant_id") or "").strip()
    if tenant and not tenant.isdigit():
        problems.append(f"tenant_id: must be ServiceTitan's numeric tenant ID (e.g. 1234567), got {tenant!r}")
    for name, default in (("api_url", DEFAULT_API_URL), ("auth_url", DEFAULT_AUTH_URL)):
        problem = url_problem(name, config.get(name) or default, default, ENV_PREFIX + name.upper())
        if problem:
            problems.append(problem)
    if config.get("start_date"):
        try:
            parse_start_date(config["start_date"])
        except ValueError as exc:
            problems.append(str(exc))
    problems.extend(_number_problem(config, "page_size", 1, MAX_PAGE_SIZE, integer=True))
    problems.extend(_number_problem(config, "request_timeout", 1, 3600))
    problems.extend(_number_problem(config, "max_requests_per_second", 0.01, 1000))
    if str(config.get("rate_budget_url") or "").strip():
        try:
            make_url(str(config["rate_budget_url"]).strip())
        except Exception:
            problems.append("rate_budget_url: not a SQLAlchemy URL; use e.g. sqlite:///path/budget.db or "
                            "postgresql+psycopg://user@host/db (set env TAP_SERVICETITAN_RATE_BUDGET_URL)")
    return problems


def _number_problem(config: Any, name: str, low: float, high: float, *, integer: bool = False) -> list[str]:
    value = config.get(name)
    if value is None or value == "":
        return []
    try:
        number = float(value)
    except (TypeError, ValueError):
        return [f"{name}: expected a number between {low:g} and {high:g}, got {value!r}"]
    if integer and number != int(number):
        return [f"{name}: expected a whole number between {low:g} and {high:g}, got {value!r}"]
    if not low <= number <= high:
        return [f"{name}: must be between {low:g} and {high:g}, got {value!r}"]
    return []
