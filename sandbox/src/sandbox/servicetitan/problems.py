"""ServiceTitan's error bodies: RFC 7807 problem details (`ApiErrorResponse`, served as application/json as
the specs declare) and OAuth errors."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from sandbox.faults import servicetitan_error

JSON = "application/json"


class BadRequest(Exception):
    """A request the API refuses with 400; `errors` maps each parameter to its messages."""

    def __init__(self, errors: dict[str, list[str]], title: str = "One or more validation errors occurred.") -> None:
        super().__init__(title)
        self.title = title
        self.errors = errors


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


def problem(status: int, title: str, *, errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body = servicetitan_error(status, title)
    if errors:
        body["errors"] = errors
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


def bad_request(exc: BadRequest) -> Response:
    return problem(400, exc.title, errors=exc.errors)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status=status,
                         headers={"Cache-Control": "no-store"})
