"""OAuth2 authorization-code grant: consent, token exchange in three encodings, expiry, rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor, authorization_code, authorize, token_request
from sandbox.testing import RunningSandbox, running_sandbox

from sandbox import credentials

TOKEN_KEYS = {"access_token", "refresh_token", "token_type", "expires_in", "scope", "created_at"}


def me(fb_url: str, access_token: str) -> requests.Response:
    return requests.get(f"{fb_url}/auth/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"},
                        timeout=10)


def refresh(fb_url: str, refresh_token: str) -> requests.Response:
    return token_request(fb_url, grant_type="refresh_token", refresh_token=refresh_token)


def test_authorize_redirects_with_code_and_state(empty_sandbox: RunningSandbox) -> None:
    response = requests.get(f"{empty_sandbox.fb_url}/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": credentials.FB_CLIENT_ID, "response_type": "code",
        "redirect_uri": credentials.FB_REDIRECT_URI, "state": "opaque-123"})
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(credentials.FB_REDIRECT_URI + "?code=")
    assert location.endswith("&state=opaque-123")


def test_authorize_refuses_unknown_client_and_foreign_redirect(empty_sandbox: RunningSandbox) -> None:
    base = {"client_id": credentials.FB_CLIENT_ID, "response_type": "code",
            "redirect_uri": credentials.FB_REDIRECT_URI}
    for change in ({"client_id": "someone-else"}, {"redirect_uri": "https://evil.example/callback"}):
        response = requests.get(f"{empty_sandbox.fb_url}/oauth/authorize", params={**base, **change},
                                allow_redirects=False, timeout=10)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")


def test_token_exchange_accepts_form_json_and_multipart(empty_sandbox: RunningSandbox) -> None:
    url = f"{empty_sandbox.fb_url}/auth/oauth/token"
    fields = {"client_id": credentials.FB_CLIENT_ID, "client_secret": credentials.FB_CLIENT_SECRET,
              "grant_type": "authorization_code", "redirect_uri": credentials.FB_REDIRECT_URI}
    senders = [
        lambda body: requests.post(url, data=body, timeout=10),
        lambda body: requests.post(url, json=body, timeout=10,
                                   headers={"Authorization": "Bearer undefined"}),  # what NodeSDK sends
        lambda body: requests.post(url, files={k: (None, v) for k, v in body.items()}, timeout=10),
    ]
    for send in senders:
        response = send({**fields, "code": authorization_code(empty_sandbox.fb_url)})
        assert response.status_code == 200, response.text
        tokens = response.json()
        assert set(tokens) >= TOKEN_KEYS
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] == 43200
        assert isinstance(tokens["created_at"], int)
        assert me(empty_sandbox.fb_url, tokens["access_token"]).status_code == 200


def test_codes_are_single_use(empty_sandbox: RunningSandbox) -> None:
    code = authorization_code(empty_sandbox.fb_url)
    assert token_request(empty_sandbox.fb_url, grant_type="authorization_code", code=code).status_code == 200
    again = token_request(empty_sandbox.fb_url, grant_type="authorization_code", code=code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_codes_expire(empty_sandbox: RunningSandbox) -> None:
    empty_sandbox.ctx.fb.code_ttl = 0
    code = authorization_code(empty_sandbox.fb_url)
    response = token_request(empty_sandbox.fb_url, grant_type="authorization_code", code=code)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_bad_client_secret_is_invalid_client(empty_sandbox: RunningSandbox) -> None:
    code = authorization_code(empty_sandbox.fb_url)
    response = token_request(empty_sandbox.fb_url, grant_type="authorization_code", code=code,
                             client_secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_description"]


def test_unknown_grant_type_is_refused(empty_sandbox: RunningSandbox) -> None:
    response = token_request(empty_sandbox.fb_url, grant_type="client_credentials")
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_refresh_rotates_and_a_spent_refresh_token_is_refused(fb_tokens: dict[str, Any],
                                                              empty_sandbox: RunningSandbox) -> None:
    fb_url = empty_sandbox.fb_url
    rotated = refresh(fb_url, fb_tokens["refresh_token"])
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != fb_tokens["refresh_token"]
    assert me(fb_url, new["access_token"]).status_code == 200

    spent = refresh(fb_url, fb_tokens["refresh_token"])
    assert spent.status_code == 400
    assert spent.json()["error"] == "invalid_grant"
    # The access token issued with the spent refresh token went with it.
    assert me(fb_url, fb_tokens["access_token"]).status_code == 401
    # The rotated refresh token still works, once.
    assert refresh(fb_url, new["refresh_token"]).status_code == 200


def test_access_tokens_expire(empty_sandbox: RunningSandbox) -> None:
    empty_sandbox.ctx.fb.token_ttl = 0
    tokens = authorize(empty_sandbox.fb_url)
    assert tokens["expires_in"] == 0
    expired = me(empty_sandbox.fb_url, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"error": "invalid_token", "error_description": "The access token expired."}

    api = FreshBooksApi(empty_sandbox.fb_url, tokens["access_token"])
    accounting = api.get("users/clients")
    assert accounting.status_code == 401
    assert accounting.json()["response"]["errors"][0]["errno"] == 1003

    empty_sandbox.ctx.fb.token_ttl = 43200
    fresh = refresh(empty_sandbox.fb_url, tokens["refresh_token"]).json()
    assert me(empty_sandbox.fb_url, fresh["access_token"]).status_code == 200


def test_side_door_expires_current_access_tokens(fb: FreshBooksApi, side: SideDoor) -> None:
    assert fb.get("users/clients").status_code == 200
    assert side.expire_tokens() == 1
    assert fb.get("users/clients").status_code == 401


def test_missing_token_is_unauthenticated(empty_sandbox: RunningSandbox) -> None:
    response = requests.get(f"{empty_sandbox.fb_url}/auth/api/v1/users/me", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthenticated",
                               "error_description": "This action requires authentication to continue."}


def test_refresh_token_survives_a_sandbox_restart(tmp_path: Path) -> None:
    db = tmp_path / "restart.db"
    with running_sandbox(db) as first:
        tokens = authorize(first.fb_url)
    with running_sandbox(db) as second:
        rotated = refresh(second.fb_url, tokens["refresh_token"])
        assert rotated.status_code == 200
        assert me(second.fb_url, rotated.json()["access_token"]).status_code == 200


def test_rate_limit_answers_429_with_retry_after(fb: FreshBooksApi, empty_sandbox: RunningSandbox) -> None:
    empty_sandbox.ctx.fb.rate_limit = 2
    statuses = [fb.get("users/clients") for _ in range(12)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "12 quick calls under a limit of 2 per second were all allowed"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert "Rate limit exceeded" in limited[0].json()["response"]["errors"][0]["message"]
    empty_sandbox.ctx.fb.rate_limit = 0
    assert fb.get("users/clients").status_code == 200
