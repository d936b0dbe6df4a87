"""FreshBooks' error bodies: the classic accounting envelope and OAuth-style auth errors."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# errno values from FreshBooks' error table (reference §4).
REQUIRED_FIELD = 1001
ACCESS_DENIED = 1003
INVALID_VALUE = 1004
PARSE_ERROR = 1005
DELETED_RESOURCE = 1011
UNKNOWN_RESOURCE = 1012
INVALID_PER_PAGE = 1013
INVALID_PAGE = 1014
MAPPING_ERROR_NUMBER = 1015
INVALID_PERCENT = 1018
MAPPING_ERROR_BOOLEAN = 1031
MAPPING_ERROR_DATE = 1033

UNAUTHORIZED_MESSAGE = (
    "The server could not verify that you are authorized to access the URL requested. You either supplied "
    "the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the "
    "credentials required."
)


class ApiError(Exception):
    """One accounting error, answered as `{"response": {"errors": [...]}}`.

    `status` None means "a validation error": the handler answers with the configured
    `validation_status` (422 or 400).
    """

    def __init__(
        self,
        errno: int,
        message: str,
        *,
        field: str | None = None,
        object: str | None = None,
        value: Any = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.errno = errno
        self.message = message
        self.field = field
        self.object = object
        self.value = value
        self.status = status

    def body(self) -> dict[str, Any]:
        value = self.value if self.value is None or isinstance(self.value, str) else str(self.value)
        error = {"errno": self.errno, "field": self.field, "message": self.message, "object": self.object,
                 "value": value}
        return {"response": {"errors": [error]}}

    def response(self, validation_status: int) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status or validation_status)


def not_found(obj: str, label: str, field: str, value: Any) -> ApiError:
    return ApiError(UNKNOWN_RESOURCE, f"{label} not found.", field=field, object=obj, value=value, status=404)


def required(field: str, obj: str) -> ApiError:
    return ApiError(REQUIRED_FIELD, f"Field '{field}' is required.", field=field, object=obj)


def invalid(field: str, obj: str | None, value: Any, message: str | None = None,
            errno: int = INVALID_VALUE) -> ApiError:
    return ApiError(errno, message or f"Invalid value for field '{field}'.", field=field, object=obj, value=value)


class OAuthError(Exception):
    """An OAuth-style error: `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": f'Bearer error="{self.error}"'} if self.status == 401 else None
        return JSONResponse({"error": self.error, "error_description": self.description},
                            status_code=self.status, headers=headers)
