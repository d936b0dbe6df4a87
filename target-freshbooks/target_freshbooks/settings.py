"""The target's settings: the JSON schema singer-sdk validates, and a typed view of it.

The same settings serve the Singer run and the `authorize`, `replay` and `audit` commands.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cryptography.fernet import Fernet
from singer_sdk import typing as th
from sqlalchemy.engine import make_url

from target_freshbooks.errors import ConfigError
from target_freshbooks.limiter import DEFAULT_MAX_REQUESTS_PER_SECOND

DEFAULT_API_URL = "https://api.freshbooks.com"
DEFAULT_AUTH_URL = "https://auth.freshbooks.com"
DEFAULT_TENANT = "default"
DEFAULT_REQUEST_TIMEOUT = 30.0
ENV_PREFIX = "TARGET_FRESHBOOKS_"
TOKEN_KEY_ENV = "TARGET_FRESHBOOKS_TOKEN_KEY"
SECRET_ENV: dict[str, tuple[str, ...]] = {
    "client_id": (ENV_PREFIX + "CLIENT_ID",),
    "client_secret": (ENV_PREFIX + "CLIENT_SECRET",),
    "ledger_url": (ENV_PREFIX + "LEDGER_URL",),
    "token_encryption_key": (TOKEN_KEY_ENV, ENV_PREFIX + "TOKEN_ENCRYPTION_KEY"),
}
"""Settings read from the environment, which wins over the config: a deployment keeps them out of every file
(Meltano writes the settings it knows into a plain config file under `.meltano/run/`; `meltano.yml` does not
declare these)."""
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off", ""})
LEDGER_RELATIVE_PATH = Path(".meltano") / "target-freshbooks" / "ledger.db"

REFUND_MODES = ("reduce_payment", "negative_payment")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("client_id", th.StringType,
                description="OAuth client id of your FreshBooks app. Required; or env TARGET_FRESHBOOKS_CLIENT_ID, "
                            "which wins."),
    th.Property("client_secret", th.StringType, secret=True,
                description="OAuth client secret of your FreshBooks app. Required; or env "
                            "TARGET_FRESHBOOKS_CLIENT_SECRET, which wins (keeps it out of Meltano's config file)."),
    th.Property("redirect_uri", th.StringType, required=True,
                description="The app's registered redirect URI (FreshBooks requires HTTPS)."),
    th.Property("api_url", th.StringType, default=DEFAULT_API_URL,
                description="FreshBooks API base URL; also hosts the token endpoint `/auth/oauth/token`."),
    th.Property("auth_url", th.StringType, default=DEFAULT_AUTH_URL,
                description="Base URL of the consent page `{auth_url}/oauth/authorize`."),
    th.Property("account_id", th.StringType,
                description="FreshBooks account to write to; default: the user's single owner/admin business."),
    th.Property("tenant", th.StringType, default=DEFAULT_TENANT,
                description="Name of the source tenant; the ledger keeps each tenant's ids apart."),
    th.Property("ledger_url", th.StringType, secret=True,
                description="SQLAlchemy URL of the ledger (or env TARGET_FRESHBOOKS_LEDGER_URL, which wins); default "
                            "sqlite:///$MELTANO_PROJECT_ROOT/.meltano/target-freshbooks/ledger.db."),
    th.Property("token_encryption_key", th.StringType, secret=True,
                description=f"Fernet key encrypting the stored tokens (or env {TOKEN_KEY_ENV})."),
    th.Property("dry_run", th.BooleanType, default=False,
                description="Resolve everything and report what would be written; write nothing."),
    th.Property("request_timeout", th.NumberType, default=DEFAULT_REQUEST_TIMEOUT,
                description="Seconds to wait for each FreshBooks answer."),
    th.Property("books_closed_through", th.StringType,
                description="Last day (YYYY-MM-DD) of the closed accounting period: a change to an invoice dated "
                            "on or before it is never written into it, but posted as an adjustment (an extra "
                            "invoice or a credit note) dated on the day of the change."),
    # A number, or its text: Meltano passes decimal settings as strings (its `decimal` kind cannot be serialised).
    th.Property("lease_settle_seconds", th.CustomType({"type": ["number", "string"]}), default=2.0,
                description="Seconds the run waits after claiming the FreshBooks account's lease before it "
                            "checks the claim held (longer than a FreshBooks write takes to land)."),
    th.Property("max_requests_per_second", th.CustomType({"type": ["number", "string"]}),
                default=DEFAULT_MAX_REQUESTS_PER_SECOND,
                description="FreshBooks calls per second the target paces itself to (all calls of the run "
                            "together). FreshBooks publishes no limit: the default is conservative; the pace drops "
                            "by itself after a 429 and recovers."),
    th.Property("write_workers", th.CustomType({"type": ["integer", "string", "null"]}),
                description="FreshBooks writes in flight at once (1 to 32). Unset: sized from "
                            "max_requests_per_second and the latency of the run's first call, so that the pace, "
                            "not the round trip, is the limit (2 to 8). Records that touch the same client, "
                            "invoice, bill or vendor are always written one after the other, in arrival order; 1 "
                            "writes everything in arrival order, one call at a time."),
    th.Property("shared_rate_budget", th.BooleanType, default=False,
                description="Take each FreshBooks call's slot from one budget per FreshBooks app kept in the ledger, "
                            "shared by every run (any company, any host) using the same ledger database, so that "
                            "companies running at once stay within max_requests_per_second together. Off: each run "
                            "paces itself alone. Hosts sharing it must keep their clocks in step (NTP)."),
    th.Property("progress_every_seconds", th.CustomType({"type": ["number", "string"]}), default=30.0,
                description="Seconds between progress lines in the log (records done per stream, rate, and an ETA "
                            "where the total is known); 0 turns them off."),
    th.Property("refund_mode", th.StringType, default="reduce_payment", allowed_values=list(REFUND_MODES),
                description="How a refund of an invoice payment reaches FreshBooks: `reduce_payment` (the payment "
                            "it reverses is lowered, deleted if refunded in full: the cash-out shows on the "
                            "payment's date) or `negative_payment` (a payment of minus the refund on the invoice, "
                            "dated the refund's day; FreshBooks' acceptance of negative payments is unconfirmed)."),
    # `reconcile` reads ServiceTitan itself (secrets from TAP_SERVICETITAN_CLIENT_ID, _CLIENT_SECRET, _APP_KEY).
    th.Property("servicetitan_tenant_id", th.StringType,
                description="reconcile: the ServiceTitan tenant ID (must equal the tap's tenant_id)."),
    th.Property("servicetitan_api_url", th.StringType, default="https://api.servicetitan.io",
                description="reconcile: ServiceTitan's API base URL (must equal the tap's api_url)."),
    th.Property("servicetitan_auth_url", th.StringType, default="https://auth.servicetitan.io",
                description="reconcile: ServiceTitan's identity server (must equal the tap's auth_url)."),
    th.Property("servicetitan_start_date", th.StringType,
                description="reconcile: the tap's start_date (YYYY-MM-DD), which defines what is in scope."),
    th.Property("invoice_number_prefix", th.StringType, default="ST-",
                description="reconcile: the mapper's invoice_number_prefix (marks the connector's invoices)."),
    th.Property("invoice_sync_statuses", th.ArrayType(th.StringType), default=["Posted", "Exported"],
                description="reconcile: the mapper's invoice_sync_statuses (others are timing differences)."),
    th.Property("business_timezone", th.StringType, default="America/New_York",
                description="reconcile: the mapper's business_timezone (dates and months)."),
    th.Property("reconcile_mode", th.StringType, default="auto", allowed_values=["auto", "invoice", "journal_entry"],
                description="reconcile: compare per client (`invoice`), per period and account (`journal_entry`, "
                            "the mapper's invoice_mode journal_entry), or detect it from FreshBooks (`auto`)."),
).to_dict()

MISSING_KEY_HELP = (
    "No token encryption key: set the environment variable "
    f"{TOKEN_KEY_ENV} (or the sensitive setting `token_encryption_key`) to a Fernet key. Make one with\n"
    "  python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'\n"
    "and keep it: the stored FreshBooks tokens can only be read back with the same key."
)


def default_ledger_url(environ: Mapping[str, str] | None = None) -> str:
    """SQLite under the Meltano project's `.meltano/` (Meltano's own per-project state directory).

    Meltano runs plugins from the project root and exports `MELTANO_PROJECT_ROOT`; outside Meltano the
    path is relative to the working directory.
    """
    environ = os.environ if environ is None else environ
    root = environ.get("MELTANO_PROJECT_ROOT")
    path = Path(root) / LEDGER_RELATIVE_PATH if root else LEDGER_RELATIVE_PATH
    return f"sqlite:///{path.as_posix()}"


def closed_through(value: Any) -> dt.date | None:
    """`books_closed_through`: a calendar date, or nothing (no closed period)."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()) if len(str(value).strip()) == 10 else _bad_date(value)
    except ValueError:
        return _bad_date(value)


def _bad_date(value: Any) -> dt.date:
    raise ConfigError(f"Setting books_closed_through must be a date YYYY-MM-DD (the last day of the closed "
                      f"period, e.g. 2024-12-31), got {value!r}.")


def with_env_secrets(config: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The config with each of `SECRET_ENV`'s settings taken from the environment when set there."""
    merged = dict(config)
    for name, variables in SECRET_ENV.items():
        value = next((environ[var].strip() for var in variables if environ.get(var, "").strip()), None)
        if value:
            merged[name] = value
    return merged


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address, where plain http is allowed (nothing leaves the machine)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_url(value: Any, name: str, default: str) -> str:
    """A base URL setting: http(s) with a host, https unless the host is loopback; no query or credentials."""
    url = _text(value) or default
    env = ENV_PREFIX + name.upper()
    expected = f"expected a base URL such as {default} (set {name}, env {env})"
    try:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"Setting {name}: {url!r} is not a URL; {expected}.") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ConfigError(f"Setting {name}: {url!r} is not an http(s) URL with a host; {expected}.")
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        raise ConfigError(f"Setting {name}: {url!r} must be a base URL without credentials, query or fragment; "
                          f"{expected}.")
    if parsed.scheme == "http" and not is_loopback(host):
        raise ConfigError(f"Setting {name}: {url!r} uses plain http to {host}, which would send tokens unencrypted; "
                          f"use https (http is accepted for localhost/127.0.0.1 only); {expected}.")
    return url.rstrip("/")


def _redirect_uri(value: Any) -> str:
    url = _text(value)
    try:
        parsed = urlparse(url)
        host = parsed.hostname or ""
    except ValueError:
        parsed, host = urlparse(""), ""
    secure = parsed.scheme == "https" or (parsed.scheme == "http" and is_loopback(host))
    if not host or not secure:
        raise ConfigError(f"Setting redirect_uri (env {ENV_PREFIX}REDIRECT_URI): {url!r} must be the https URL "
                          "registered with your FreshBooks app, e.g. https://your.app/freshbooks/callback.")
    return url


def _seconds(value: Any, name: str, default: float, zero_ok: bool) -> float:
    if value is None or value == "":
        return default
    bound = "zero or more" if zero_ok else "more than zero"
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (number == 0 and not zero_ok):
        raise ConfigError(f"Setting {name} (env {ENV_PREFIX}{name.upper()}) must be a number of seconds, {bound} "
                          f"(e.g. {default:g}), got {value!r}.")
    return number


def _rate(value: Any, name: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise ConfigError(f"Setting {name} (env {ENV_PREFIX}{name.upper()}) must be a number of calls per second, "
                          f"more than zero (e.g. {default:g}), got {value!r}.")
    return number


MAX_WRITE_WORKERS = 32


def _workers(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 1 <= number <= MAX_WRITE_WORKERS:
        raise ConfigError(f"Setting {name} (env {ENV_PREFIX}{name.upper()}) must be a whole number from 1 to "
                          f"{MAX_WRITE_WORKERS} (or unset, to size it from max_requests_per_second), got {value!r}.")
    return number


def _boolean(value: Any, name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"Setting {name} (env {ENV_PREFIX}{name.upper()}) must be true or false, got {value!r}.")


@dataclass(frozen=True)
class Settings:
    """Typed settings; secrets are kept out of `repr` so they never reach a log line."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    account_id: str | None = None
    tenant: str = DEFAULT_TENANT
    ledger_url: str = field(default_factory=default_ledger_url, repr=False)
    token_encryption_key: str | None = field(default=None, repr=False)
    dry_run: bool = False
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    books_closed_through: dt.date | None = None
    refund_mode: str = "reduce_payment"
    lease_settle_seconds: float = 2.0
    progress_every_seconds: float = 30.0
    max_requests_per_second: float = DEFAULT_MAX_REQUESTS_PER_SECOND
    shared_rate_budget: bool = False
    write_workers: int | None = None
    """None: sized at run start (`writers.auto_workers`)."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
        """Check every setting; raise one ConfigError naming each bad one and its fix (never echoing a secret)."""
        environ = os.environ if environ is None else environ
        config = with_env_secrets(config, environ)
        problems: list[str] = []

        def check(name: str, parse: Any, *args: Any) -> Any:
            try:
                return parse(config.get(name), *args)
            except ConfigError as exc:
                problems.append(str(exc))
                return None

        missing = [name for name in ("client_id", "client_secret", "redirect_uri") if not _text(config.get(name))]
        if missing:
            names = ", ".join(missing)
            envs = ", ".join(ENV_PREFIX + name.upper() for name in missing)
            problems.append(f"Missing setting(s) {names}: set them as {envs} (or in the config file).")
        api_url = check("api_url", _base_url, "api_url", DEFAULT_API_URL)
        auth_url = check("auth_url", _base_url, "auth_url", DEFAULT_AUTH_URL)
        if _text(config.get("redirect_uri")):
            check("redirect_uri", _redirect_uri)
        timeout = check("request_timeout", _seconds, "request_timeout", DEFAULT_REQUEST_TIMEOUT, False)
        settle = check("lease_settle_seconds", _seconds, "lease_settle_seconds", 2.0, True)
        progress_every = check("progress_every_seconds", _seconds, "progress_every_seconds", 30.0, True)
        dry_run = check("dry_run", _boolean, "dry_run")
        shared_rate_budget = check("shared_rate_budget", _boolean, "shared_rate_budget")
        workers = check("write_workers", _workers, "write_workers")
        per_second = check("max_requests_per_second", _rate, "max_requests_per_second", DEFAULT_MAX_REQUESTS_PER_SECOND)
        ledger_url = _text(config.get("ledger_url")) or default_ledger_url(environ)
        try:
            make_url(ledger_url)
        except Exception:
            problems.append("Setting ledger_url (env TARGET_FRESHBOOKS_LEDGER_URL) is not a SQLAlchemy URL: use e.g. "
                            "sqlite:///path/ledger.db or postgresql+psycopg://user@host/db.")
        refund_mode = str(config.get("refund_mode") or "reduce_payment")
        if refund_mode not in REFUND_MODES:
            problems.append(f"Setting refund_mode (env TARGET_FRESHBOOKS_REFUND_MODE) must be one of "
                            f"{', '.join(REFUND_MODES)}, got {refund_mode!r}.")
        closed = check("books_closed_through", closed_through)
        token_key = _text(config.get("token_encryption_key")) or None
        if token_key is not None:
            try:
                Fernet(token_key.encode())
            except (ValueError, TypeError):
                problems.append(f"Setting token_encryption_key (env {TOKEN_KEY_ENV}) is not a Fernet key (32 url-safe "
                                "base64-encoded bytes). Make one with\n  python -c 'from cryptography.fernet import "
                                "Fernet; print(Fernet.generate_key().decode())'")
        for name in ("tenant", "account_id"):
            value = config.get(name)
            if value is not None and not isinstance(value, (str, int)):
                problems.append(f"Setting {name} (env {ENV_PREFIX}{name.upper()}) must be a string, got {value!r}.")
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(
            lease_settle_seconds=settle,
            progress_every_seconds=progress_every,
            max_requests_per_second=per_second,
            write_workers=workers,
            shared_rate_budget=shared_rate_budget,
            refund_mode=refund_mode,
            books_closed_through=closed,
            client_id=_text(config["client_id"]),
            client_secret=_text(config["client_secret"]),
            redirect_uri=_text(config["redirect_uri"]),
            api_url=api_url,
            auth_url=auth_url,
            account_id=(_text(config.get("account_id")) or None),
            tenant=_text(config.get("tenant")) or DEFAULT_TENANT,
            ledger_url=ledger_url,
            token_encryption_key=token_key,
            dry_run=dry_run,
            request_timeout=timeout,
        )

    @property
    def ledger_url_for_display(self) -> str:
        """The ledger URL with any password masked."""
        return make_url(self.ledger_url).render_as_string(hide_password=True)

    def require_token_key(self) -> str:
        if not self.token_encryption_key:
            raise ConfigError(MISSING_KEY_HELP)
        return self.token_encryption_key
