"""OAuth: authorize, encrypted storage, refresh rotation, refresh on 401, single-flight refresh, and the
choice of the FreshBooks account."""

from __future__ import annotations

import threading
import types
from pathlib import Path
from typing import Any

import backoff._sync
import pytest
import requests
from sandbox.freshbooks import identity
from sandbox.freshbooks.testing import authorization_code, token_request
from sandbox.testing import RunningSandbox
from target_freshbooks.auth import (
    LostRefreshError,
    OAuthClient,
    TokenCipher,
    TokenManager,
    TokenSet,
    choose_account,
)
from target_freshbooks.cli import main
from target_freshbooks.errors import AuthError, ConfigError
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.settings import Settings
from target_harness import TOKEN_KEY, Messages, TargetEnv, authorize_target, run_command, target_config

from sandbox import credentials


def stored_tokens(config: dict) -> TokenSet:
    ledger = Ledger(config["ledger_url"])
    try:
        row = ledger.tokens("default", credentials.FB_CLIENT_ID).read()
        assert row is not None
        return TokenCipher(TOKEN_KEY).decrypt(row.ciphertext)
    finally:
        ledger.close()


def ledger_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(tmp_path.glob("ledger.db*")))


def me(fb_url: str, access_token: str) -> requests.Response:
    return requests.get(f"{fb_url}/auth/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"},
                        timeout=10)


def one_client() -> Messages:
    return Messages().record("clients", {"source_key": "test:customer:1", "organization": "Acme Drains"})


def test_authorize_stores_working_tokens_encrypted(empty_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = target_config(empty_sandbox, tmp_path)
    result = authorize_target(config, tmp_path)
    assert "/oauth/authorize?client_id=" in result.output
    assert credentials.FB_ACCOUNT_ID in result.output

    tokens = stored_tokens(config)
    assert me(empty_sandbox.fb_url, tokens.access_token).status_code == 200
    on_disk = ledger_bytes(tmp_path)
    assert tokens.refresh_token.encode() not in on_disk
    assert tokens.access_token.encode() not in on_disk
    assert credentials.FB_CLIENT_SECRET.encode() not in on_disk


def test_authorize_takes_a_pasted_code_or_redirected_url(empty_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = target_config(empty_sandbox, tmp_path)
    code = authorization_code(empty_sandbox.fb_url)
    assert run_command(["authorize", "--code", code], config, tmp_path).exit_code == 0
    first = stored_tokens(config)

    redirected = f"{credentials.FB_REDIRECT_URI}?code={authorization_code(empty_sandbox.fb_url)}&state=x"
    assert run_command(["authorize", "--redirected-url", redirected], config, tmp_path).exit_code == 0
    second = stored_tokens(config)
    assert second.refresh_token != first.refresh_token
    assert me(empty_sandbox.fb_url, second.access_token).status_code == 200


def test_authorize_interactive_paste(empty_sandbox: RunningSandbox, tmp_path: Path) -> None:
    """When the consent page does not redirect by itself (real FreshBooks), the redirected URL is pasted."""
    config = target_config(empty_sandbox, tmp_path, auth_url=f"{empty_sandbox.fb_url}/no-such-consent-page")
    pasted = f"{credentials.FB_REDIRECT_URI}?code={authorization_code(empty_sandbox.fb_url)}\n"
    result = run_command(["authorize"], config, tmp_path, input=pasted)
    assert result.exit_code == 0, result.output
    assert "Paste the URL" in result.output
    assert me(empty_sandbox.fb_url, stored_tokens(config).access_token).status_code == 200


def test_missing_encryption_key_is_explained(empty_sandbox: RunningSandbox, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TARGET_FRESHBOOKS_TOKEN_KEY", raising=False)
    monkeypatch.delenv("TARGET_FRESHBOOKS_TOKEN_ENCRYPTION_KEY", raising=False)
    config = target_config(empty_sandbox, tmp_path)
    del config["token_encryption_key"]
    config_file = tmp_path / "config.json"
    config_file.write_text(__import__("json").dumps(config))
    with pytest.raises(SystemExit) as exit_info:
        main(["authorize", "--config", str(config_file)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "TARGET_FRESHBOOKS_TOKEN_KEY" in err
    assert "Fernet.generate_key()" in err
    assert not list(tmp_path.glob("ledger.db*")) or stored_tokens_absent(config)


def stored_tokens_absent(config: dict) -> bool:
    ledger = Ledger(config["ledger_url"])
    try:
        return ledger.tokens("default", credentials.FB_CLIENT_ID).read() is None
    finally:
        ledger.close()


def test_key_from_environment_variable(empty_sandbox: RunningSandbox, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARGET_FRESHBOOKS_TOKEN_KEY", TOKEN_KEY)
    config = target_config(empty_sandbox, tmp_path)
    del config["token_encryption_key"]
    authorize_target(config, tmp_path)
    assert me(empty_sandbox.fb_url, stored_tokens(config).access_token).status_code == 200


def test_a_401_refreshes_once_and_rotates_the_refresh_token(env: TargetEnv) -> None:
    before = stored_tokens(env.config)
    env.fb.side.expire_tokens()
    env.fb.reset_stats()

    run = env.run(one_client())

    assert run.exit_code == 0
    assert run.counts("clients") == {"created": 1}
    stats = env.sandbox.ctx.fb_stats
    assert stats.count("POST", "/auth/oauth/token") == 1
    assert stats.snapshot()["statuses"].get("401") == 1
    after = stored_tokens(env.config)
    assert after.refresh_token != before.refresh_token
    # The spent refresh token is refused by FreshBooks; the stored one is the live one.
    refused = token_request(env.sandbox.fb_url, grant_type="refresh_token", refresh_token=before.refresh_token)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert me(env.sandbox.fb_url, after.access_token).status_code == 200


def test_expired_token_is_refreshed_before_use(env: TargetEnv) -> None:
    """A stored access token past its expiry is refreshed before any call (no 401 needed)."""
    before = stored_tokens(env.config)
    ledger = Ledger(env.config["ledger_url"])
    try:
        cipher = TokenCipher(TOKEN_KEY)
        expired = TokenSet(before.access_token, before.refresh_token, expires_at=before.expires_at - 86400,
                           scope=before.scope, lifetime=before.lifetime)
        ledger.tokens("default", credentials.FB_CLIENT_ID).replace(cipher.encrypt(expired))
    finally:
        ledger.close()
    env.fb.reset_stats()

    run = env.run(one_client())

    assert run.exit_code == 0
    assert env.sandbox.ctx.fb_stats.snapshot()["statuses"].get("401") is None
    assert env.sandbox.ctx.fb_stats.count("POST", "/auth/oauth/token") == 1
    assert stored_tokens(env.config).refresh_token != before.refresh_token


def test_refused_refresh_tells_to_authorize_again(env: TargetEnv) -> None:
    tokens = stored_tokens(env.config)
    requests.post(f"{env.sandbox.fb_url}/auth/oauth/revoke", data={"token": tokens.refresh_token}, timeout=10)
    env.fb.side.expire_tokens()
    with pytest.raises(AuthError, match="authorize"):
        env.run(one_client())


def test_refresh_is_single_flight_across_processes(env: TargetEnv) -> None:
    """Two token managers on the same ledger (two processes) both meet a 401: one refresh, same new token."""
    settings = Settings.from_config(env.config)
    rejected = stored_tokens(env.config).access_token
    ledgers = [Ledger(env.config["ledger_url"]) for _ in range(2)]
    managers = [TokenManager(ledger.tokens("default", credentials.FB_CLIENT_ID), TokenCipher(TOKEN_KEY),
                             OAuthClient(settings)) for ledger in ledgers]
    env.fb.reset_stats()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def refresh(manager: TokenManager) -> None:
        barrier.wait()
        results.append(manager.refresh_after_unauthorized(rejected))

    threads = [threading.Thread(target=refresh, args=(m,)) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for ledger in ledgers:
        ledger.close()

    assert env.sandbox.ctx.fb_stats.count("POST", "/auth/oauth/token") == 1
    assert len(results) == 2 and results[0] == results[1] != rejected
    assert me(env.sandbox.fb_url, results[0]).status_code == 200


def test_account_is_the_owned_business_not_the_first_membership(env: TargetEnv) -> None:
    memberships = identity.me()["business_memberships"]
    assert memberships[0]["role"] == "client"  # the trap: index 0 is someone else's business
    run = env.run(one_client())
    assert run.target.run.account.account_id == credentials.FB_ACCOUNT_ID
    created = [c for c in env.fb.records("clients") if c["organization"] == "Acme Drains"]
    assert len(created) == 1


def test_account_choice_rules() -> None:
    me_body = identity.me()
    assert choose_account(me_body, None).account_id == credentials.FB_ACCOUNT_ID
    assert choose_account(me_body, credentials.FB_ACCOUNT_ID).account_id == credentials.FB_ACCOUNT_ID
    with pytest.raises(ConfigError) as unknown:
        choose_account(me_body, "NOPE42")
    assert credentials.FB_ACCOUNT_ID in str(unknown.value) and identity.CLIENT_OF_ACCOUNT_ID in str(unknown.value)

    owners = {**me_body, "business_memberships": [
        {**m, "role": "owner"} for m in me_body["business_memberships"]]}
    with pytest.raises(ConfigError, match="several businesses") as several:
        choose_account(owners, None)
    assert identity.CLIENT_OF_ACCOUNT_ID in str(several.value)

    clients_only = {**me_body, "business_memberships": [me_body["business_memberships"][0]]}
    with pytest.raises(ConfigError, match="set account_id"):
        choose_account(clients_only, None)


def test_unknown_account_id_fails_the_run_with_the_choices(env: TargetEnv) -> None:
    with pytest.raises(ConfigError) as error:
        env.run(one_client(), account_id="NOPE42")
    assert credentials.FB_ACCOUNT_ID in str(error.value)


class ScriptedSession(requests.Session):
    """Answers token requests from a script: a status (with optional Retry-After) or an exception to raise."""

    def __init__(self, script: list[Any]) -> None:
        super().__init__()
        self.script = list(script)
        self.posts: list[dict[str, Any]] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        self.posts.append(dict(data or {}))
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        status, body, headers = step
        answer = requests.Response()
        answer.status_code = status
        answer._content = __import__("json").dumps(body).encode()
        answer.headers.update(headers)
        return answer


TOKENS = {"access_token": "new-access", "refresh_token": "new-refresh", "expires_in": 43200}


@pytest.fixture
def backoff_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(backoff._sync, "time", types.SimpleNamespace(sleep=waits.append))
    return waits


def oauth_settings(tmp_path: Path) -> Settings:
    return Settings.from_config({"client_id": "cid", "client_secret": "top-secret-value", "redirect_uri": "https://x/cb",
                                 "api_url": "https://api.example", "ledger_url": f"sqlite:///{tmp_path / 'l.db'}",
                                 "token_encryption_key": TOKEN_KEY})


def test_refresh_retries_transient_failures_and_honours_retry_after(tmp_path: Path,
                                                                    backoff_waits: list[float]) -> None:
    session = ScriptedSession([(503, {}, {}), requests.ConnectionError("reset"), (429, {}, {"Retry-After": "7"}),
                               (429, {}, {"Retry-After": "soon"}), (502, {}, {}), (500, {}, {}), (200, TOKENS, {})])
    tokens = OAuthClient(oauth_settings(tmp_path), session=session).refresh("old-refresh")
    assert tokens.access_token == "new-access"
    assert len(session.posts) == 7
    assert 7.0 in backoff_waits and 1.0 in backoff_waits  # Retry-After, and the default for "soon"
    assert len(backoff_waits) == 6


def test_token_endpoint_down_is_bounded(tmp_path: Path, backoff_waits: list[float]) -> None:
    session = ScriptedSession([(503, {}, {})] * 100)
    with pytest.raises(AuthError, match="did not answer"):
        OAuthClient(oauth_settings(tmp_path), session=session).refresh("old-refresh")
    assert len(session.posts) <= OAuthClient.tries


def test_timed_out_refresh_is_resent_at_once(tmp_path: Path, backoff_waits: list[float]) -> None:
    session = ScriptedSession([requests.ReadTimeout("slow"), (200, TOKENS, {})])
    assert OAuthClient(oauth_settings(tmp_path), session=session).refresh("old").refresh_token == "new-refresh"
    assert backoff_waits == []  # no wait: the re-sent grant should reach FreshBooks before a held one would


def test_refresh_whose_answer_was_lost_says_to_authorize_again(tmp_path: Path, backoff_waits: list[float]) -> None:
    """FreshBooks rotated the token on a try whose answer never came: the re-sent one is refused."""
    session = ScriptedSession([requests.ReadTimeout("slow"), requests.ConnectionError("reset"),
                               (400, {"error": "invalid_grant",
                                      "error_description": "refresh_token=old is spent"}, {})])
    with pytest.raises(LostRefreshError, match="authorize") as error:
        OAuthClient(oauth_settings(tmp_path), session=session).refresh("old")
    assert "answer" in str(error.value) and "refresh_token=old" not in str(error.value)


def test_lost_refresh_uses_tokens_another_process_stored(env: TargetEnv, backoff_waits: list[float]) -> None:
    """The claim went stale and another process refreshed: the tokens it stored are used, not an error."""
    ledger = Ledger(env.config["ledger_url"])
    store = ledger.tokens("default", credentials.FB_CLIENT_ID)
    cipher = TokenCipher(TOKEN_KEY)
    newer = TokenSet("from-other-process", "other-refresh", expires_at=4e9)

    class OtherProcessWins(OAuthClient):
        def refresh(self, refresh_token: str) -> TokenSet:
            store.replace(cipher.encrypt(newer))
            raise LostRefreshError("lost")

    manager = TokenManager(store, cipher, OtherProcessWins(Settings.from_config(env.config)))
    try:
        assert manager.refresh_after_unauthorized(stored_tokens(env.config).access_token) != "x"
        assert manager.access_token() == "from-other-process"
    finally:
        ledger.close()


def test_error_messages_never_carry_the_client_secret(tmp_path: Path, backoff_waits: list[float]) -> None:
    session = ScriptedSession([(401, {"error": "invalid_client",
                                      "error_description": "client_secret top-secret-value is wrong"}, {})])
    with pytest.raises(AuthError) as error:
        OAuthClient(oauth_settings(tmp_path), session=session).refresh("old")
    assert "top-secret-value" not in str(error.value) and "client_id and client_secret" in str(error.value)


def test_tls_verification_is_never_turned_off(tmp_path: Path) -> None:
    session = requests.Session()
    session.verify = False
    assert OAuthClient(oauth_settings(tmp_path), session=session).session.verify is True
