"""The target's settings: the JSON schema singer-sdk validates, and a typed view of it.

The same settings serve the Singer run and the `authorize`, `replay` and `audit` commands.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from singer_sdk import typing as th
from sqlalchemy.engine import make_url

from target_freshbooks.errors import ConfigError

DEFAULT_API_URL = "https://api.freshbooks.com"
DEFAULT_AUTH_URL = "https://auth.freshbooks.com"
DEFAULT_TENANT = "default"
DEFAULT_REQUEST_TIMEOUT = 30.0
ENV_PREFIX = "TARGET_FRESHBOOKS_"
TOKEN_KEY_ENV = "TARGET_FRESHBOOKS_TOKEN_KEY"
LEDGER_RELATIVE_PATH = Path(".meltano") / "target-freshbooks" / "ledger.db"

REFUND_MODES = ("reduce_payment", "negative_payment")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("client_id", th.StringType, required=True,
                description="OAuth client id of your FreshBooks app."),
    th.Property("client_secret", th.StringType, required=True, secret=True,
                description="OAuth client secret of your FreshBooks app."),
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
                description="SQLAlchemy URL of the ledger; default "
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
    th.Property("lease_settle_seconds", th.NumberType, default=2.0,
                description="Seconds the run waits after claiming the FreshBooks account's lease before it "
                            "checks the claim held (longer than a FreshBooks write takes to land)."),
    th.Property("refund_mode", th.StringType, default="reduce_payment", allowed_values=list(REFUND_MODES),
                description="How a refund of an invoice payment reaches FreshBooks: `reduce_payment` (the payment "
                            "it reverses is lowered, deleted if refunded in full: the cash-out shows on the "
                            "payment's date) or `negative_payment` (a payment of minus the refund on the invoice, "
                            "dated the refund's day; FreshBooks' acceptance of negative payments is unconfirmed)."),
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

    @classmethod
    def from_config(cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        missing = [name for name in ("client_id", "client_secret", "redirect_uri") if not config.get(name)]
        if missing:
            names = ", ".join(missing)
            envs = ", ".join(ENV_PREFIX + name.upper() for name in missing)
            raise ConfigError(f"Missing setting(s) {names}: set them in the config file or as {envs}.")
        try:
            timeout = float(config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT)
        except (TypeError, ValueError) as exc:
            got = config.get("request_timeout")
            raise ConfigError(f"Setting request_timeout must be a number of seconds, got {got!r}.") from exc
        if timeout <= 0:
            raise ConfigError(f"Setting request_timeout must be positive, got {timeout}.")
        ledger_url = config.get("ledger_url") or default_ledger_url(environ)
        try:
            make_url(ledger_url)
        except Exception as exc:
            raise ConfigError("Setting ledger_url is not a SQLAlchemy URL (e.g. sqlite:///path/ledger.db or "
                              "postgresql+psycopg://user@host/db).") from exc
        refund_mode = str(config.get("refund_mode") or "reduce_payment")
        if refund_mode not in REFUND_MODES:
            raise ConfigError(f"Setting refund_mode must be one of {', '.join(REFUND_MODES)}, got {refund_mode!r}.")
        try:
            settle = float(config.get("lease_settle_seconds", 2.0))
        except (TypeError, ValueError) as exc:
            raise ConfigError("Setting lease_settle_seconds must be a number of seconds, got "
                              f"{config.get('lease_settle_seconds')!r}.") from exc
        return cls(
            lease_settle_seconds=settle,
            refund_mode=refund_mode,
            books_closed_through=closed_through(config.get("books_closed_through")),
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            redirect_uri=str(config["redirect_uri"]),
            api_url=str(config.get("api_url") or DEFAULT_API_URL).rstrip("/"),
            auth_url=str(config.get("auth_url") or DEFAULT_AUTH_URL).rstrip("/"),
            account_id=(str(config["account_id"]) if config.get("account_id") else None),
            tenant=str(config.get("tenant") or DEFAULT_TENANT),
            ledger_url=ledger_url,
            token_encryption_key=environ.get(TOKEN_KEY_ENV) or config.get("token_encryption_key") or None,
            dry_run=bool(config.get("dry_run", False)),
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
