"""ServiceTitan's client-credentials token, fetched once per expiry window and shared by every stream.

The tap builds one authenticator and hands it to all streams, so a run asks for a token once per
window (`expires_in` minus a safety margin), not per stream or per page. A 401 on a token the tap
still believed valid (revoked, or expired early on ServiceTitan's side) drops it: the request is
retried once with a fresh token, and a fresh token rejected again is a fatal error.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator

from tap_servicetitan.errors import Problem, TokenRequestError

logger = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 60.0
"""Refresh this long before `expires_in` runs out (or a tenth of it, for very short lifetimes)."""

TOKEN_REQUEST_TRIES = 5


class _TransientTokenError(Exception):
    """A 5xx or 429 from the identity server: worth another try."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class ServiceTitanAuthenticator(OAuthAuthenticator):
    """OAuth 2.0 client-credentials grant against `{auth_url}/connect/token`."""

    def __init__(self, *, token_url: str, client_id: str, client_secret: str, timeout: float) -> None:
        super().__init__(auth_endpoint=token_url, client_id=client_id, client_secret=client_secret)
        self._timeout = timeout
        self._lock = threading.RLock()  # a feed's next page may be requested from a helper thread
        self._fresh_after_rejection = False
        self.token_requests = 0
        """How many tokens this run asked for (one per expiry window, plus one per honoured 401)."""

    def __repr__(self) -> str:  # never print the token or the secret
        return f"ServiceTitanAuthenticator(token_url={self.auth_endpoint!r})"

    @property
    def oauth_request_body(self) -> dict[str, str | None]:
        return {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            return super().authenticate_request(request)

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        margin = min(REFRESH_MARGIN_SECONDS, self.expires_in / 10)
        return (datetime.now(UTC) - self.last_refreshed).total_seconds() < self.expires_in - margin

    def update_access_token(self) -> None:
        """Fetch a new token; a refusal becomes a TokenRequestError naming the setting to check."""
        self.token_requests += 1
        logger.info("Requesting a ServiceTitan access token from %s", self.auth_endpoint)
        requested_at = datetime.now(UTC)
        response = self._post_token_request()
        if response.status_code >= 400:
            problem = Problem.from_response(response)
            hint = (
                "Check client_id and client_secret (they are issued per tenant and per environment) and auth_url."
                if response.status_code in (400, 401, 403)
                else "The identity server failed; try again later."
            )
            raise TokenRequestError(f"Could not get a ServiceTitan access token: {problem.describe()}. {hint}")
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise TokenRequestError(
                f"Could not get a ServiceTitan access token: POST {self.auth_endpoint} answered HTTP "
                f"{response.status_code} without an access_token. Check auth_url."
            ) from None
        self.access_token = str(token)
        expires_in = body.get("expires_in")
        self.expires_in = int(float(expires_in)) if expires_in not in (None, "") else None
        self.last_refreshed = requested_at

    @backoff.on_exception(
        backoff.expo,
        (requests.ConnectionError, requests.Timeout, _TransientTokenError),
        max_tries=TOKEN_REQUEST_TRIES,
        factor=0.5,
        max_value=30,
        logger=logger,
    )
    def _post_token_request_with_retries(self) -> requests.Response:
        response = self._session.post(
            self.auth_endpoint,
            data=self.oauth_request_payload,
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise _TransientTokenError(response)
        return response

    def _post_token_request(self) -> requests.Response:
        try:
            return self._post_token_request_with_retries()
        except _TransientTokenError as exc:
            return exc.response
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TokenRequestError(
                f"Could not reach ServiceTitan's identity server at {self.auth_endpoint} "
                f"after {TOKEN_REQUEST_TRIES} tries ({type(exc).__name__}). Check auth_url and the network."
            ) from None

    def reject(self, authorization: str | None) -> bool:
        """Note a 401 for a request sent with `authorization`; True if retrying with a new token makes sense."""
        with self._lock:
            return self._reject(authorization)

    def _reject(self, authorization: str | None) -> bool:
        if authorization != f"Bearer {self.access_token}":
            return True  # the token was already replaced since that request was sent
        if self._fresh_after_rejection:
            return False  # a token issued just now was refused too: retrying will not help
        logger.warning("ServiceTitan rejected the cached access token; fetching a new one")
        self.access_token = None
        self.last_refreshed = None
        self._fresh_after_rejection = True
        return True

    def accept(self) -> None:
        """Note a successful call: the current token works."""
        self._fresh_after_rejection = False
