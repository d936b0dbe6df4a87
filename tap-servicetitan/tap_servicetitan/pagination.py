"""ServiceTitan's two paging schemes, as singer-sdk paginators.

- Export feeds (`ExportResponse`): the next call passes the previous `continueFrom` as `from`, while
  `hasMore` is true. At the end (`hasMore` false) the last `continueFrom` is where the next run resumes.
- Paged lists (`PaginatedResponse`): `page` from 1 while `hasMore` is true. Lists synced incrementally
  are sorted by `+ModifiedOn` and walked by keyset instead (`modifiedOnOrAfter` = the newest
  `modifiedOn` seen), so that records modified during the walk cannot shift pages and be skipped.
"""

from __future__ import annotations

import decimal
from typing import Any, NamedTuple

import requests
from singer_sdk.pagination import BaseAPIPaginator, PageNumberPaginator

from tap_servicetitan.records import modified_on

_BODY_ATTRIBUTE = "_servicetitan_body"


def response_body(response: requests.Response) -> Any:
    """The JSON body, parsed once per response, with every JSON number that has a fraction as a Decimal."""
    body = getattr(response, _BODY_ATTRIBUTE, None)
    if body is None:
        body = response.json(parse_float=decimal.Decimal)
        setattr(response, _BODY_ATTRIBUTE, body)
    return body


class ExportPaginator(BaseAPIPaginator[str | None]):
    """Follows `continueFrom` while `hasMore`; the token is the paginator's value."""

    def has_more(self, response: requests.Response) -> bool:
        return bool(response_body(response).get("hasMore"))

    def get_next(self, response: requests.Response) -> str | None:
        token = response_body(response).get("continueFrom")
        return str(token) if token else None


class ListPaginator(PageNumberPaginator):
    """`page` = 1, 2, ... while `hasMore`."""

    def __init__(self) -> None:
        super().__init__(1)

    def has_more(self, response: requests.Response) -> bool:
        return bool(response_body(response).get("hasMore"))


class Keyset(NamedTuple):
    modified_on_or_after: str | None
    page: int


class ModifiedOnPaginator(BaseAPIPaginator[Keyset]):
    """Walks a list sorted by `+ModifiedOn`: jumps `modifiedOnOrAfter` to the newest value seen, falling back to
    the next page number while a page holds nothing newer (many records sharing one `modifiedOn`)."""

    def __init__(self, modified_on_or_after: str | None) -> None:
        super().__init__(Keyset(modified_on_or_after, 1))

    def has_more(self, response: requests.Response) -> bool:
        return bool(response_body(response).get("hasMore"))

    def get_next(self, response: requests.Response) -> Keyset:
        bound, page = self.current_value
        newest = newest_modified_on(response_body(response).get("data") or [], bound)
        if newest != bound:
            return Keyset(newest, 1)
        return Keyset(bound, page + 1)


def newest_modified_on(records: list[dict[str, Any]], current: str | None) -> str | None:
    """The greatest `modifiedOn` among `records` and `current`, as ServiceTitan wrote it."""
    best, best_key = current, modified_on({"modifiedOn": current})
    for record in records:
        key = modified_on(record)
        if record.get("modifiedOn") and key > best_key:
            best, best_key = record["modifiedOn"], key
    return best
