"""Client-credentials tokens, kept (hashed) in the SQLite file so that a restarted sandbox still honours them.

Tokens look like ServiceTitan's (a JWT with an `at+jwt` header) but are opaque to the simulator: it
checks them by lookup. Lifetimes use real time, not the simulated clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response

from sandbox import credentials
from sandbox.servicetitan import db
from sandbox.servicetitan.problems import json_response, oauth_error, problem
from sandbox.servicetitan.settings import ServiceTitanSettings
from sandbox.store import Store

CLIENTS = {credentials.ST_CLIENT_ID: (credentials.ST_CLIENT_SECRET, credentials.ST_TENANT_ID)}
APP_KEYS = {credentials.ST_APP_KEY}
SCOPES = ("tn.acc.invoices:r tn.acc.invoices:w tn.acc.invoiceitems:r tn.acc.payments:r tn.acc.inventorybills:r "
          "tn.acc.paymenttypes:r tn.acc.glaccounts:r tn.acc.taxzones:r tn.acc.creditmemos:r tn.crm.customers:r "
          "tn.crm.locations:r tn.pb.materials:r tn.pb.services:r tn.pb.equipment:r tn.inv.vendors:r")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class TokenInfo:
    tenant_id: int
    client_id: str
    expires_at: float


class TokenStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        db.ensure_schema(store)

    def issue(self, client_id: str, tenant_id: int, ttl: int) -> str:
        now = time.time()
        header = {"alg": "RS256", "kid": "sandbox", "typ": "at+jwt"}
        claims = {"iss": "https://auth.servicetitan.io", "client_id": client_id, "tenant": str(tenant_id),
                  "iat": int(now), "exp": int(now + ttl), "jti": secrets.token_hex(16), "scope": SCOPES.split()}
        token = ".".join((_b64(orjson.dumps(header)), _b64(orjson.dumps(claims)), _b64(secrets.token_bytes(64))))
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM st_token WHERE expires_at < ?", (now - 3600,))
            conn.execute("INSERT INTO st_token(token_hash, tenant_id, client_id, expires_at) VALUES (?, ?, ?, ?)",
                         (_hash(token), tenant_id, client_id, now + ttl))
        return token

    def lookup(self, token: str) -> TokenInfo | None:
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT tenant_id, client_id, expires_at FROM st_token WHERE token_hash = ?", (_hash(token),)
            ).fetchone()
        return None if row is None else TokenInfo(int(row[0]), str(row[1]), float(row[2]))

    def expire_all(self) -> int:
        """End every token now (for tests of a client's refresh)."""
        with self.store.transaction() as conn:
            return conn.execute("UPDATE st_token SET expires_at = ?", (time.time() - 1,)).rowcount


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from the form body or, failing that, HTTP Basic authentication."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("authorization", "")
    if not client_id and header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
    return client_id, secret


async def token_endpoint(request: Request, settings: ServiceTitanSettings, tokens: TokenStore) -> Response:
    """`POST /connect/token`: the client-credentials grant."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" not in content_type and "multipart/form-data" not in content_type:
        return oauth_error("invalid_request", "Send the token request as application/x-www-form-urlencoded.")
    form = {k: str(v) for k, v in (await request.form()).items()}
    if form.get("grant_type") != "client_credentials":
        return oauth_error("unsupported_grant_type", "Only grant_type=client_credentials is supported.")
    client_id, secret = client_credentials(request, form)
    known = CLIENTS.get(client_id)
    if known is None or not secrets.compare_digest(known[0], secret):
        return oauth_error("invalid_client", "The client id or secret is not valid.")
    ttl = max(1, int(settings.token_ttl))
    token = tokens.issue(client_id, int(settings.tenant_id), ttl)
    return json_response({"access_token": token, "expires_in": ttl, "token_type": "Bearer", "scope": SCOPES},
                         headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def check_token(request: Request, tenant: int, settings: ServiceTitanSettings, tokens: TokenStore) -> Response | None:
    """None if the bearer token is valid for this tenant, else the error response."""
    header = request.headers.get("authorization", "").strip()
    if not header:
        return problem(401, "Authorization header is missing; send Authorization: Bearer <access token>.")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    elif settings.accept_bare_token and " " not in header:
        token = header
    else:
        return problem(401, "Authorization header must be 'Bearer <access token>'.")
    info = tokens.lookup(token)
    if info is None:
        return problem(401, "The access token is not valid.")
    if info.expires_at <= time.time():
        return problem(401, "The access token has expired.")
    if info.tenant_id != tenant:
        status = settings.wrong_tenant_status if settings.wrong_tenant_status in (401, 403) else 403
        return problem(status, f"The access token does not grant access to tenant {tenant}.")
    return None
