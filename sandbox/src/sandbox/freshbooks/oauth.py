"""OAuth2 authorization-code grant, as FreshBooks runs it.

`GET /oauth/authorize` (the auth host, here the simulator itself) approves at once and redirects with a
code; `POST /auth/oauth/token` exchanges codes and refresh tokens, from form, JSON or multipart bodies.
Codes and refresh tokens are single use; every refresh returns a new pair. Tokens are stored hashed in
the SQLite file, so a sandbox restart keeps them valid. Token lifetimes use real time.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sandbox import credentials
from sandbox.context import SandboxContext
from sandbox.freshbooks.errors import OAuthError

APP_SCOPES = (
    "user:profile:read user:clients:read user:clients:write user:invoices:read user:invoices:write "
    "user:payments:read user:payments:write user:billable_items:read user:billable_items:write "
    "user:taxes:read user:taxes:write user:expenses:read user:bills:read user:bills:write "
    "user:bill_vendors:read user:bill_vendors:write user:journal_entries:read user:journal_entries:write "
    "user:credit_notes:read user:credit_notes:write"
)
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used "
    "in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, or unsupported "
    "authentication method."
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class AccessToken:
    key: str
    """A non-secret key for the token (its hash), used for rate limiting."""
    client_id: str
    scope: str


class Unauthenticated(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def error_page(title: str, detail: str) -> HTMLResponse:
    body = (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></body></html>")
    return HTMLResponse(body, status_code=400)


class OAuthServer:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    @property
    def conn(self) -> sqlite3.Connection:
        return self.ctx.store.conn

    # --- the browser step -------------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != credentials.FB_CLIENT_ID:
            return error_page("Unknown application", "The client_id does not belong to any registered application.")
        redirect_uri = params.get("redirect_uri") or credentials.FB_REDIRECT_URI
        if redirect_uri != credentials.FB_REDIRECT_URI:
            return error_page("Redirect URI mismatch",
                              "The redirect_uri is not one of the application's registered redirect URIs.")
        state = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code":
            return self.redirect(redirect_uri, {"error": "unsupported_response_type", **state})
        requested = (params.get("scope") or APP_SCOPES).split()
        unknown = [s for s in requested if s not in APP_SCOPES.split()]
        if unknown:
            return self.redirect(redirect_uri, {"error": "invalid_scope",
                                                "error_description": f"Unknown scope: {unknown[0]}", **state})
        code = secrets.token_hex(32)
        with self.ctx.store.transaction() as conn:
            conn.execute(
                "INSERT INTO fb_oauth_codes (code_hash, client_id, redirect_uri, scope, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (digest(code), credentials.FB_CLIENT_ID, redirect_uri, " ".join(requested),
                 time.time() + self.ctx.fb.code_ttl),
            )
        return self.redirect(redirect_uri, {"code": code, **state})

    @staticmethod
    def redirect(uri: str, params: dict[str, str]) -> Response:
        joiner = "&" if "?" in uri else "?"
        return RedirectResponse(f"{uri}{joiner}{urlencode(params)}", status_code=302)

    # --- the token endpoint -----------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        try:
            fields = await self.read_fields(request)
            with self.ctx.store.transaction() as conn:
                body = self.grant(conn, fields, request.headers.get("authorization", ""))
        except OAuthError as exc:
            return exc.response()
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def read_fields(self, request: Request) -> dict[str, str]:
        """The token request's fields, whichever of the three encodings the client used."""
        content_type = request.headers.get("content-type", "").lower()
        if "multipart/form-data" in content_type or "application/x-www-form-urlencoded" in content_type:
            form = await request.form()
            return {k: str(v) for k, v in form.items()}
        raw = await request.body()
        if raw.strip().startswith(b"{"):
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise OAuthError("invalid_request", "The request body is not valid JSON.") from None
            return {k: str(v) for k, v in data.items() if v is not None}
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    def client_credentials(self, fields: dict[str, str], authorization: str) -> tuple[str, str]:
        if authorization.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
                return user, password
            except ValueError:
                pass
        # Anything else in Authorization (NodeSDK sends "Bearer undefined") is ignored here.
        return fields.get("client_id", ""), fields.get("client_secret", "")

    def grant(self, conn: sqlite3.Connection, fields: dict[str, str], authorization: str) -> dict[str, Any]:
        client_id, client_secret = self.client_credentials(fields, authorization)
        if client_id != credentials.FB_CLIENT_ID or client_secret != credentials.FB_CLIENT_SECRET:
            raise OAuthError("invalid_client", INVALID_CLIENT, status=401)
        grant_type = fields.get("grant_type", "")
        if grant_type == "authorization_code":
            return self.exchange_code(conn, fields)
        if grant_type == "refresh_token":
            return self.refresh(conn, fields)
        if not grant_type:
            raise OAuthError("invalid_request", "The request is missing a required parameter: grant_type.")
        raise OAuthError("unsupported_grant_type",
                         "The authorization grant type is not supported by the authorization server.")

    def exchange_code(self, conn: sqlite3.Connection, fields: dict[str, str]) -> dict[str, Any]:
        code = fields.get("code", "")
        if not code:
            raise OAuthError("invalid_request", "The request is missing a required parameter: code.")
        row = conn.execute("SELECT * FROM fb_oauth_codes WHERE code_hash = ?", (digest(code),)).fetchone()
        now = time.time()
        if row is None or row["used_at"] is not None or row["expires_at"] <= now:
            raise OAuthError("invalid_grant", INVALID_GRANT)
        if fields.get("redirect_uri", row["redirect_uri"]) != row["redirect_uri"]:
            raise OAuthError("invalid_grant", INVALID_GRANT)
        conn.execute("UPDATE fb_oauth_codes SET used_at = ? WHERE code_hash = ?", (now, row["code_hash"]))
        return self.issue(conn, row["scope"])

    def refresh(self, conn: sqlite3.Connection, fields: dict[str, str]) -> dict[str, Any]:
        refresh_token = fields.get("refresh_token", "")
        if not refresh_token:
            raise OAuthError("invalid_request", "The request is missing a required parameter: refresh_token.")
        row = conn.execute("SELECT * FROM fb_tokens WHERE refresh_hash = ?", (digest(refresh_token),)).fetchone()
        if row is None or row["refresh_used_at"] is not None:
            raise OAuthError("invalid_grant", INVALID_GRANT)
        now = time.time()
        revoke = now if self.ctx.fb.revoke_access_on_refresh else None
        conn.execute(
            "UPDATE fb_tokens SET refresh_used_at = ?, access_revoked_at = COALESCE(access_revoked_at, ?) "
            "WHERE access_hash = ?", (now, revoke, row["access_hash"]))
        return self.issue(conn, row["scope"])

    def issue(self, conn: sqlite3.Connection, scope: str) -> dict[str, Any]:
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        created_at = int(time.time())
        ttl = int(self.ctx.fb.token_ttl)
        conn.execute(
            "INSERT INTO fb_tokens (access_hash, refresh_hash, client_id, scope, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (digest(access), digest(refresh), credentials.FB_CLIENT_ID, scope, created_at, created_at + ttl),
        )
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": ttl,
                "scope": scope, "created_at": created_at}

    async def revoke(self, request: Request) -> Response:
        """`POST /auth/oauth/revoke` with `token` (either kind), as RFC 7009 describes."""
        try:
            fields = await self.read_fields(request)
        except OAuthError as exc:
            return exc.response()
        token = digest(fields.get("token", ""))
        now = time.time()
        with self.ctx.store.transaction() as conn:
            conn.execute("UPDATE fb_tokens SET access_revoked_at = ? WHERE access_hash = ? OR refresh_hash = ?",
                         (now, token, token))
            conn.execute("UPDATE fb_tokens SET refresh_used_at = ? WHERE refresh_hash = ?", (now, token))
        return JSONResponse({})

    # --- checking API calls -----------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> AccessToken:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("unauthenticated", "This action requires authentication to continue.")
        key = digest(token.strip())
        with self.ctx.store.lock:
            row = self.conn.execute("SELECT * FROM fb_tokens WHERE access_hash = ?", (key,)).fetchone()
        if row is None:
            raise Unauthenticated("invalid_token", "The access token is invalid.")
        if row["access_revoked_at"] is not None:
            raise Unauthenticated("invalid_token", "The access token was revoked.")
        if row["expires_at"] <= time.time():
            raise Unauthenticated("invalid_token", "The access token expired.")
        return AccessToken(key=key, client_id=row["client_id"], scope=row["scope"])

    def expire_access_tokens(self) -> int:
        """Make every current access token expired (tests of refresh-on-401)."""
        with self.ctx.store.transaction() as conn:
            return conn.execute("UPDATE fb_tokens SET expires_at = ? WHERE expires_at > ?",
                                (time.time() - 1, time.time())).rowcount
