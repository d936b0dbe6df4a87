"""OAuth2 with FreshBooks: consent URL, code exchange, encrypted token storage, single-flight refresh,
and the choice of the FreshBooks account from `/auth/api/v1/users/me`.

Refresh tokens are single-use: every refresh rotates them, so the new pair is committed to the ledger
before the new access token is used, and only one thread or process may spend a given refresh token
(a compare-and-swap claim on the token row, re-read after acquiring).

The token endpoint is retried like the API (`backoff`): 5xx, resets and timeouts with bounded exponential
backoff, 429 after `Retry-After`, all within `TOKEN_MAX_TIME` seconds (well inside the claim's
`CLAIM_STALE_AFTER`, so no other process takes the claim over while this one still retries). Re-sending a
grant is safe: FreshBooks refuses a code or refresh token it already took (`invalid_grant`), it never
spends one twice. A timed-out grant is re-sent at once, to reach FreshBooks before a held request would.

When the answer to a refresh is lost after FreshBooks rotated the token (the request timed out or the
connection dropped, and the re-sent refresh is refused with `invalid_grant`), the new tokens exist only in
that lost answer and the stored refresh token is spent. The ledger is read again (another process may
have stored newer tokens); if it holds none, the run stops with an AuthError telling to run `authorize`
again: nothing can recover the lost pair.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import backoff
import requests
from cryptography.fernet import Fernet, InvalidToken

from target_freshbooks.errors import AuthError, ConfigError
from target_freshbooks.http import ME_PATH as ME_PATH  # re-exported
from target_freshbooks.http import REAUTHORIZE, redact, retry_after_seconds
from target_freshbooks.ledger.store import TokenStore
from target_freshbooks.settings import Settings

logger = logging.getLogger("target-freshbooks.auth")

TOKEN_PATH = "/auth/oauth/token"
REFRESH_MARGIN = 120.0
"""Refresh this many seconds before the access token expires."""
CLAIM_STALE_AFTER = 60.0
"""A refresh claim older than this belongs to a process that died mid-refresh."""
TOKEN_TRIES = 25
"""Tries of one token request meeting 5xx, resets and timeouts (backoff 0.25 s doubling up to 4 s)."""
TOKEN_RATE_LIMIT_TRIES = 30
TOKEN_MAX_TIME = 40.0
"""Seconds one token request may spend retrying (kept under CLAIM_STALE_AFTER minus a request timeout)."""
ADMIN_ROLES = frozenset({"owner", "admin", "business_owner", "business_admin", "account_owner"})


class _TokenTransient(Exception):
    """One token request that failed in a way worth retrying (5xx, reset, timeout)."""

    def __init__(self, reason: str, *, ambiguous: bool) -> None:
        super().__init__(reason)
        self.ambiguous = ambiguous


class _TokenRateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"HTTP 429, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class LostRefreshError(AuthError):
    """A refresh's answer was lost after FreshBooks rotated the refresh token: the stored one is spent."""


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    scope: str | None = None
    lifetime: float = 43200.0

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: float) -> TokenSet:
        missing = [name for name in ("access_token", "refresh_token", "expires_in") if not body.get(name)]
        if missing:
            raise AuthError(f"FreshBooks' token answer lacks {', '.join(missing)}.")
        created = float(body.get("created_at") or now)
        return cls(access_token=str(body["access_token"]), refresh_token=str(body["refresh_token"]),
                   expires_at=created + float(body["expires_in"]), scope=body.get("scope"),
                   lifetime=float(body["expires_in"]))

    def expiring(self, now: float, margin: float = REFRESH_MARGIN) -> bool:
        """Close to expiry: within `margin` seconds (a quarter of the lifetime for short-lived tokens)."""
        return now >= self.expires_at - min(margin, self.lifetime / 4)


class TokenCipher:
    """Fernet encryption of the token set: tokens never rest in plain text."""

    def __init__(self, key: str) -> None:
        try:
            self.fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "The token encryption key is not a valid Fernet key (32 url-safe base64-encoded bytes). Make one "
                "with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        return cls(settings.require_token_key())

    def encrypt(self, tokens: TokenSet) -> str:
        plain = json.dumps({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                            "expires_at": tokens.expires_at, "scope": tokens.scope, "lifetime": tokens.lifetime})
        return self.fernet.encrypt(plain.encode()).decode()

    def decrypt(self, ciphertext: str) -> TokenSet:
        try:
            data = json.loads(self.fernet.decrypt(ciphertext.encode()))
        except InvalidToken as exc:
            raise ConfigError(
                "The stored FreshBooks tokens cannot be decrypted with this token encryption key. Use the key "
                "they were stored with, or run `target-freshbooks authorize` again to store new ones."
            ) from exc
        return TokenSet(access_token=data["access_token"], refresh_token=data["refresh_token"],
                        expires_at=float(data["expires_at"]), scope=data.get("scope"),
                        lifetime=float(data.get("lifetime") or 43200.0))


class OAuthClient:
    """The authorization-code grant and its refresh, against `{api_url}/auth/oauth/token`."""

    tries: int = TOKEN_TRIES
    rate_limit_tries: int = TOKEN_RATE_LIMIT_TRIES
    max_time: float = TOKEN_MAX_TIME
    backoff_factor: float = 0.25
    max_backoff: float = 4.0

    def __init__(self, settings: Settings, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.session.verify = True  # never turned off, whatever the environment says
        self.clock = clock
        self.sleep = sleep

    def consent_url(self, state: str | None = None) -> str:
        query = {"client_id": self.settings.client_id, "response_type": "code",
                 "redirect_uri": self.settings.redirect_uri}
        if state:
            query["state"] = state
        return f"{self.settings.auth_url}/oauth/authorize?{urlencode(query)}"

    def exchange_code(self, code: str) -> TokenSet:
        return self._token_request({"grant_type": "authorization_code", "code": code}, "exchanging the code")

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token},
                                   "refreshing the access token")

    def _token_request(self, grant: dict[str, str], doing: str) -> TokenSet:
        data = {"client_id": self.settings.client_id, "client_secret": self.settings.client_secret,
                "redirect_uri": self.settings.redirect_uri, **grant}
        url = f"{self.settings.api_url}{TOKEN_PATH}"
        secrets = (self.settings.client_secret, grant.get("code"), grant.get("refresh_token"))
        ambiguous: list[bool] = []  # whether some try may have reached FreshBooks without its answer reaching us
        response = self._post_with_retries(url, data, doing, ambiguous)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            description = body.get("error_description") if isinstance(body, dict) else None
            said = redact(f"{error or 'error'}: {description or 'no description'}", secrets)
            hint = ""
            if error == "invalid_grant" and grant["grant_type"] == "refresh_token":
                if any(ambiguous):
                    raise LostRefreshError(
                        f"FreshBooks refused {doing}: POST {url} → HTTP {response.status_code} ({said}). An earlier "
                        "try of this refresh got no answer, so FreshBooks most likely rotated the refresh token "
                        "then and its answer (the only copy of the new tokens) was lost. The stored refresh token "
                        f"is spent: {REAUTHORIZE}.")
                hint = (" The stored refresh token is no longer valid (refresh tokens are single-use); "
                        f"{REAUTHORIZE}.")
            elif error == "invalid_grant" and any(ambiguous):
                hint = (" An earlier try got no answer and may have used the code; codes are single-use: "
                        "authorize again.")
            elif error == "invalid_client":
                hint = " Check the client_id and client_secret settings."
            raise AuthError(f"FreshBooks refused {doing}: POST {url} → HTTP {response.status_code} "
                            f"({said}).{hint}")
        return TokenSet.from_response(body, self.clock())

    def _post_with_retries(self, url: str, data: dict[str, str], doing: str,
                           ambiguous: list[bool]) -> requests.Response:
        """Retry 5xx, resets and timeouts with bounded exponential backoff and 429 after `Retry-After`.
        Re-sending a grant is harmless: a code or refresh token FreshBooks already took is refused
        (invalid_grant), never spent twice. Appends to `ambiguous` for each try that may have been applied
        without its answer reaching us."""

        def attempt() -> requests.Response:
            response = self._post_once(url, data, ambiguous)
            if response.status_code == 429:
                raise _TokenRateLimited(retry_after_seconds(response.headers.get("Retry-After")))
            if response.status_code >= 500:
                ambiguous.append(True)
                raise _TokenTransient(f"HTTP {response.status_code}", ambiguous=True)
            return response

        def log_retry(details: Any) -> None:
            logger.warning("FreshBooks' token endpoint, %s: %s; retrying in %.1fs (try %d).", doing,
                           details.get("exception"), details.get("wait") or 0.0, details.get("tries") or 0)

        retry_transient = backoff.on_exception(
            backoff.expo, _TokenTransient, max_tries=self.tries, max_time=self.max_time,
            factor=self.backoff_factor, max_value=self.max_backoff, on_backoff=log_retry, logger=None)
        retry_rate_limited = backoff.on_exception(
            backoff.runtime, _TokenRateLimited, value=lambda exc: exc.retry_after, jitter=None,
            max_tries=self.rate_limit_tries, max_time=self.max_time, on_backoff=log_retry, logger=None)
        try:
            return retry_rate_limited(retry_transient(attempt))()
        except _TokenTransient as exc:
            raise AuthError(f"FreshBooks' token endpoint POST {url} did not answer while {doing}, after retries: "
                            f"{exc}. Try again later.") from None
        except _TokenRateLimited as exc:
            raise AuthError(f"FreshBooks' token endpoint POST {url} kept answering 429 while {doing}: {exc}. "
                            "Try again later.") from None

    def _post_once(self, url: str, data: dict[str, str], ambiguous: list[bool]) -> requests.Response:
        """One POST; a timeout is re-sent at once (once): a held request may still be applied later, and
        reaching FreshBooks before it keeps the rotated tokens ours."""
        for immediate in (True, False):
            try:
                return self.session.post(url, data=data, timeout=self.settings.request_timeout)
            except requests.Timeout as exc:
                ambiguous.append(not isinstance(exc, requests.ConnectTimeout))
                if not immediate:
                    raise _TokenTransient(type(exc).__name__, ambiguous=True) from None
            except requests.RequestException as exc:
                # The exception's text is not used: it may carry the URL; the form (secrets) never is in it.
                ambiguous.append(not isinstance(exc, requests.ConnectionError) or "refused" not in str(exc).lower())
                raise _TokenTransient(type(exc).__name__, ambiguous=True) from None
        raise AssertionError("unreachable")


def code_from_redirect(pasted: str, expected_state: str | None = None) -> str:
    """The authorization code from a pasted redirected URL, or the pasted code itself."""
    text = pasted.strip()
    if "?" not in text and "://" not in text:
        if not text:
            raise AuthError("No authorization code given.")
        return text
    query = parse_qs(urlsplit(text).query)
    if "error" in query:
        description = query.get("error_description", [""])[0]
        raise AuthError(f"FreshBooks did not grant access: {query['error'][0]} {description}".strip())
    codes = query.get("code")
    if not codes:
        raise AuthError("The redirected URL carries no `code` parameter; paste the whole URL the browser landed on.")
    state = query.get("state", [None])[0]
    if expected_state and state and state != expected_state:
        raise AuthError("The redirected URL's `state` does not match this authorization; start again.")
    return codes[0]


def fetch_code_without_browser(consent_url: str, redirect_uri: str, session: requests.Session,
                               timeout: float, expected_state: str | None) -> str | None:
    """Follow the consent URL one step: if it answers a redirect to `redirect_uri` with a code (the sandbox
    grants consent by itself), return the code; otherwise None (a person has to log in)."""
    try:
        response = session.get(consent_url, allow_redirects=False, timeout=timeout)
    except requests.RequestException:
        return None
    location = response.headers.get("Location", "")
    if response.status_code not in (301, 302, 303, 307, 308) or not location.startswith(redirect_uri):
        return None
    return code_from_redirect(location, expected_state)


class TokenManager:
    """Hands out a valid access token; refreshes single-flight across threads and processes."""

    def __init__(self, store: TokenStore, cipher: TokenCipher, oauth: OAuthClient,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.cipher = cipher
        self.oauth = oauth
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._cached: tuple[int, TokenSet] | None = None

    def _load(self) -> tuple[int, TokenSet]:
        row = self.store.read()
        if row is None:
            raise AuthError(
                f"No FreshBooks tokens are stored for tenant {self.store.tenant!r} and client id "
                f"{self.store.client_id!r}. Run `target-freshbooks authorize` (in Meltano: "
                "`meltano invoke target-freshbooks:authorize`) first."
            )
        if self._cached is None or self._cached[0] != row.version:
            self._cached = (row.version, self.cipher.decrypt(row.ciphertext))
        return self._cached

    def has_tokens(self) -> bool:
        return self.store.read() is not None

    def save_new(self, tokens: TokenSet) -> None:
        """Store tokens from a fresh authorization (replacing any)."""
        version = self.store.replace(self.cipher.encrypt(tokens))
        self._cached = (version, tokens)

    def access_token(self) -> str:
        """The access token, kept in memory until it nears expiry (a 401 goes through
        `refresh_after_unauthorized`, which reads the ledger again: another process may have rotated it)."""
        cached = self._cached
        if cached is not None and not cached[1].expiring(self.clock()):
            return cached[1].access_token
        version, tokens = self._load()
        if tokens.expiring(self.clock()):
            tokens = self._refresh(version)
        return tokens.access_token

    def refresh_after_unauthorized(self, rejected_access_token: str) -> str:
        """A call was answered 401 with `rejected_access_token`: refresh (unless someone already did)."""
        version, tokens = self._load()
        if tokens.access_token != rejected_access_token:
            return tokens.access_token
        return self._refresh(version).access_token

    def _refresh(self, seen_version: int) -> TokenSet:
        with self._lock:
            deadline = self.clock() + CLAIM_STALE_AFTER + 5
            while True:
                version, tokens = self._load()  # re-read after acquiring
                if version != seen_version:
                    return tokens  # another thread or process refreshed already
                if self.store.claim_refresh(version, self._owner, stale_after=CLAIM_STALE_AFTER):
                    break
                if self.clock() > deadline:
                    raise AuthError("Another process has been refreshing the FreshBooks token for too long; "
                                    "try again.")
                self.sleep(0.2)
            try:
                fresh = self.oauth.refresh(tokens.refresh_token)
            except LostRefreshError:
                self.store.abandon_refresh(self._owner)
                row = self.store.read()
                if row is not None and row.version != version:  # someone stored newer tokens meanwhile
                    logger.warning("The refresh token was spent by another refresh; using the tokens it stored.")
                    return self._load()[1]
                raise
            except BaseException:
                self.store.abandon_refresh(self._owner)
                raise
            new_version = self.store.complete_refresh(version, self._owner, self.cipher.encrypt(fresh))
            self._cached = (new_version, fresh)
            logger.info("Refreshed the FreshBooks access token (refresh token rotated and saved).")
            return fresh


@dataclass(frozen=True)
class Membership:
    account_id: str
    business_name: str
    role: str

    def __str__(self) -> str:
        return f"{self.account_id} ({self.business_name}, role {self.role})"


def memberships(me: Mapping[str, Any]) -> list[Membership]:
    found = []
    for membership in me.get("business_memberships") or []:
        business = membership.get("business") or {}
        account_id = business.get("account_id")
        if account_id:
            found.append(Membership(account_id=str(account_id), business_name=str(business.get("name") or ""),
                                    role=str(membership.get("role") or "")))
    return found


def choose_account(me: Mapping[str, Any], configured: str | None) -> Membership:
    """The account to write to: `account_id` if set (and reachable), else the single owner/admin business."""
    choices = memberships(me)
    listing = "; ".join(str(m) for m in choices) or "none"
    if configured:
        for membership in choices:
            if membership.account_id == configured:
                return membership
        raise ConfigError(f"Setting account_id={configured!r} is not one of this FreshBooks user's businesses: "
                          f"{listing}.")
    admin = [m for m in choices if m.role.lower() in ADMIN_ROLES]
    if len(admin) == 1:
        return admin[0]
    if not admin:
        raise ConfigError(f"This FreshBooks user owns or administers no business (memberships: {listing}); "
                          "set account_id to the account to write to.")
    raise ConfigError("This FreshBooks user owns or administers several businesses: "
                      f"{'; '.join(str(m) for m in admin)}. Set account_id to the one to write to.")
