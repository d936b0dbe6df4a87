"""Authentication as a client meets it: client-credentials tokens, the app key, expiry, tenants."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import orjson
import requests
from sandbox.testing import RunningSandbox, running_sandbox
from st_harness import TENANT, StClient, fetch_token

from sandbox import credentials

CUSTOMERS = f"/crm/v2/tenant/{TENANT}/customers"


def call(url: str, token: str | None, app_key: str | None = credentials.ST_APP_KEY, path: str = CUSTOMERS,
         scheme: str = "Bearer ") -> requests.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"{scheme}{token}"
    if app_key is not None:
        headers["ST-App-Key"] = app_key
    return requests.get(f"{url}{path}", headers=headers, timeout=10)


def assert_problem(answer: requests.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == status
    assert body["title"] and body["traceId"] and body["type"]
    return body


def test_client_credentials_grant_issues_a_bearer_token(sandbox: RunningSandbox) -> None:
    answer = fetch_token(sandbox.st_url)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    header = orjson.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["typ"] == "at+jwt"
    assert call(sandbox.st_url, body["access_token"]).status_code == 200


def test_bad_credentials_get_invalid_client(sandbox: RunningSandbox) -> None:
    for client_id, secret in ((credentials.ST_CLIENT_ID, "wrong"), ("someone-else", credentials.ST_CLIENT_SECRET)):
        answer = fetch_token(sandbox.st_url, client_id, secret)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_client"


def test_other_grant_types_are_refused(sandbox: RunningSandbox) -> None:
    answer = requests.post(f"{sandbox.st_url}/connect/token", timeout=10, data={
        "grant_type": "password", "client_id": credentials.ST_CLIENT_ID, "client_secret": credentials.ST_CLIENT_SECRET})
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_app_key_is_required_and_checked(st: StClient) -> None:
    missing = assert_problem(call(st.base_url, st.token, app_key=None), 401)
    assert missing["title"] == "Application key not present, check ST-App-Key header value."
    assert_problem(call(st.base_url, st.token, app_key="ak1.not-ours"), 401)


def test_missing_unknown_or_malformed_tokens_get_401(st: StClient) -> None:
    assert_problem(call(st.base_url, None), 401)
    assert_problem(call(st.base_url, st.token[:-4] + "AAAA"), 401)
    assert_problem(call(st.base_url, st.token, scheme="Basic "), 401)


def test_bare_token_is_accepted_unless_turned_off(sandbox: RunningSandbox, st: StClient) -> None:
    assert call(st.base_url, st.token, scheme="").status_code == 200
    sandbox.ctx.st.accept_bare_token = False
    assert_problem(call(st.base_url, st.token, scheme=""), 401)
    assert call(st.base_url, st.token).status_code == 200


def test_tokens_expire_after_expires_in(sandbox: RunningSandbox) -> None:
    sandbox.ctx.st.token_ttl = 1
    body = fetch_token(sandbox.st_url).json()
    assert body["expires_in"] == 1
    assert call(sandbox.st_url, body["access_token"]).status_code == 200
    time.sleep(1.2)
    expired = assert_problem(call(sandbox.st_url, body["access_token"]), 401)
    assert "expired" in expired["title"]
    fresh = fetch_token(sandbox.st_url).json()["access_token"]
    assert call(sandbox.st_url, fresh).status_code == 200


def test_a_token_works_only_for_its_own_tenant(st: StClient) -> None:
    other = f"/crm/v2/tenant/{TENANT + 1}/customers"
    assert_problem(call(st.base_url, st.token, path=other), 403)


def test_wrong_tenant_status_is_a_setting(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.wrong_tenant_status = 401
    assert_problem(call(st.base_url, st.token, path=f"/crm/v2/tenant/{TENANT + 1}/customers"), 401)


def test_tokens_survive_a_restart(seeded_template: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "restart.db"
    with running_sandbox(db_path, template=seeded_template) as first:
        token = fetch_token(first.st_url).json()["access_token"]
        assert call(first.st_url, token).status_code == 200
    with running_sandbox(db_path) as second:
        assert call(second.st_url, token).status_code == 200


def test_unknown_paths_get_a_404_problem(st: StClient) -> None:
    assert_problem(st.session.get(f"{st.base_url}/crm/v2/tenant/{TENANT}/no-such-thing", timeout=10), 404)
    assert_problem(requests.get(f"{st.base_url}/nothing/here", timeout=10), 404)
    assert_problem(st.session.delete(st.url("crm", "/customers"), timeout=10), 405)
