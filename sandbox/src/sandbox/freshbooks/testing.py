"""Test helpers for the FreshBooks simulator: run the consent flow, call the API, use the side door.

```python
tokens = authorize(sandbox.fb_url)              # {"access_token": .., "refresh_token": .., ...}
api = FreshBooksApi(sandbox.fb_url, tokens["access_token"])
client = api.create("users/clients", "client", {"email": "a@b.example"})
```
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from sandbox import credentials

TIMEOUT = 10


def authorization_code(fb_url: str, *, state: str = "sandbox-test", scope: str | None = None) -> str:
    """Follow the authorize URL as a browser would and return the code from the redirect."""
    params = {"client_id": credentials.FB_CLIENT_ID, "response_type": "code",
              "redirect_uri": credentials.FB_REDIRECT_URI, "state": state}
    if scope:
        params["scope"] = scope
    response = requests.get(f"{fb_url}/oauth/authorize", params=params, allow_redirects=False, timeout=TIMEOUT)
    if response.status_code != 302:
        raise RuntimeError(f"authorize answered {response.status_code}: {response.text[:200]}")
    return code_from_redirect(response.headers["location"])


def code_from_redirect(location: str) -> str:
    return parse_qs(urlparse(location).query)["code"][0]


def token_request(fb_url: str, **fields: str) -> requests.Response:
    body = {"client_id": credentials.FB_CLIENT_ID, "client_secret": credentials.FB_CLIENT_SECRET,
            "redirect_uri": credentials.FB_REDIRECT_URI, **fields}
    return requests.post(f"{fb_url}/auth/oauth/token", data=body, timeout=TIMEOUT)


def authorize(fb_url: str) -> dict[str, Any]:
    """Run the whole consent flow; returns the token response."""
    response = token_request(fb_url, grant_type="authorization_code", code=authorization_code(fb_url))
    response.raise_for_status()
    return dict(response.json())


class FreshBooksApi:
    """Plain HTTP calls to one simulator's accounting API with a bearer token."""

    def __init__(self, fb_url: str, access_token: str, account_id: str = credentials.FB_ACCOUNT_ID) -> None:
        self.fb_url = fb_url
        self.account_id = account_id
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    def url(self, path: str) -> str:
        return f"{self.fb_url}/accounting/account/{self.account_id}/{path.lstrip('/')}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=TIMEOUT, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), json=body, timeout=TIMEOUT, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.session.put(self.url(path), json=body, timeout=TIMEOUT, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=TIMEOUT, **kwargs)

    @staticmethod
    def result(response: requests.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise AssertionError(f"{response.request.method} {response.url} -> {response.status_code}: "
                                 f"{response.text[:500]}")
        return dict(response.json()["response"]["result"])

    def create(self, path: str, single: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self.result(self.post(path, {single: fields}))[single])

    def update(self, path: str, single: str, record_id: int, fields: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return dict(self.result(self.put(f"{path}/{record_id}", {single: fields}, **kwargs))[single])

    def fetch(self, path: str, single: str, record_id: int, **kwargs: Any) -> dict[str, Any]:
        return dict(self.result(self.get(f"{path}/{record_id}", **kwargs))[single])

    def list(self, path: str, plural: str, query: str = "") -> list[dict[str, Any]]:
        return list(self.result(self.get(f"{path}{'?' + query if query else ''}"))[plural])


class SideDoor:
    """The simulator's `/_sandbox/` routes."""

    def __init__(self, fb_url: str) -> None:
        self.fb_url = fb_url

    def records(self, resource: str) -> list[dict[str, Any]]:
        return list(self._ok(requests.get(f"{self.fb_url}/_sandbox/records/{resource}", timeout=TIMEOUT)))

    def record(self, resource: str, record_id: int) -> dict[str, Any]:
        return dict(self._ok(requests.get(f"{self.fb_url}/_sandbox/records/{resource}/{record_id}",
                                          timeout=TIMEOUT)))

    def create(self, resource: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._ok(requests.post(f"{self.fb_url}/_sandbox/records/{resource}", json=fields,
                                           timeout=TIMEOUT)))

    def update(self, resource: str, record_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._ok(requests.patch(f"{self.fb_url}/_sandbox/records/{resource}/{record_id}", json=fields,
                                            timeout=TIMEOUT)))

    def delete(self, resource: str, record_id: int) -> None:
        self._ok(requests.delete(f"{self.fb_url}/_sandbox/records/{resource}/{record_id}", timeout=TIMEOUT))

    def receivables(self) -> dict[str, Any]:
        return dict(self._ok(requests.get(f"{self.fb_url}/_sandbox/accounts_receivable", timeout=TIMEOUT)))

    def preexisting(self) -> dict[str, Any]:
        """`{"records": {resource: [ids]}, "cases": {...}}` as the seed left them."""
        return dict(self._ok(requests.get(f"{self.fb_url}/_sandbox/preexisting", timeout=TIMEOUT)))

    def expire_tokens(self) -> int:
        return int(self._ok(requests.post(f"{self.fb_url}/_sandbox/tokens/expire", timeout=TIMEOUT))["expired"])

    @staticmethod
    def _ok(response: requests.Response) -> Any:
        if response.status_code != 200:
            raise AssertionError(f"{response.request.method} {response.url} -> {response.status_code}: "
                                 f"{response.text[:500]}")
        return response.json()
