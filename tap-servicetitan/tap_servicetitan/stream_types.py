"""The three ways the tap reads a ServiceTitan resource.

- `ExportStream`: an export feed, resumed from the `continueFrom` token kept in state. The token is
  saved (and a STATE message written) after every page, once that page's records are emitted.
- `IncrementalListStream`: a paged list without an export (vendors, credit memos), sorted by
  `+ModifiedOn` and filtered with `modifiedOnOrAfter` = the newest `modifiedOn` already emitted.
- `UnsortedIncrementalListStream`: a paged list that takes `modifiedOnOrAfter` but no `sort` (AP bills),
  read page by page from the bookmark less `LOOKBACK`, skipping the versions already emitted then.
- `ReferenceListStream`: a small list read in full on every run (tax zones, payment types, GL accounts).

Lists ask for inactive records too (`active=Any`); exports include them without asking. Inactive
records are emitted like the others, with their `active` flag, so that downstream can void them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, timedelta
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_servicetitan.client import ServiceTitanStream
from tap_servicetitan.pagination import ExportPaginator, Keyset, ModifiedOnPaginator, newest_modified_on
from tap_servicetitan.records import LatestVersions, modified_on, parse_timestamp

TOKEN_KEY = "continueFrom"
MODIFIED_KEY = "modifiedOnOrAfter"
RECENT_KEY = "recentlyEmitted"
LOOKBACK = timedelta(hours=1)


class ExportPage:
    """One call's worth of an export feed."""

    __slots__ = ("continue_from", "has_more", "records")

    def __init__(self, body: dict[str, Any]) -> None:
        self.records: list[dict[str, Any]] = list(body.get("data") or [])
        self.continue_from: str | None = body.get("continueFrom") or None
        self.has_more: bool = bool(body.get("hasMore"))


class ExportStream(ServiceTitanStream):
    """A resource read from `/<module>/v2/tenant/{tenant}/export/<resource>`."""

    replication_key = "modifiedOn"
    is_sorted = False

    def export_pages(
        self, resource: str, token: str | None, context: Context | None = None
    ) -> Iterator[ExportPage]:
        """Every page of an export feed from `token` (the beginning if None) to its current end."""
        for body in self.fetch_pages(
            self.tenant_path(resource),
            {"includeRecentChanges": "true"},
            ExportPaginator(token),
            lambda value: {"from": value} if value else {},
            context,
        ):
            yield ExportPage(body)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        emitted = LatestVersions()
        for page in self.export_pages(self.resource, self.bookmark(TOKEN_KEY), context):
            yield from self.select(emitted.fresh(page.records))
            self.checkpoint(**self.page_state(page))

    def page_state(self, page: ExportPage) -> dict[str, Any]:
        """What to save in state once `page` has been emitted."""
        return {TOKEN_KEY: page.continue_from or self.stream_state.get(TOKEN_KEY)}


class IncrementalListStream(ServiceTitanStream):
    """A paged list read in `+ModifiedOn` order from the newest `modifiedOn` already emitted."""

    replication_key = "modifiedOn"
    is_sorted = False
    list_params: ClassVar[dict[str, str]] = {"active": "Any"}

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        emitted = LatestVersions()
        bound = self.bookmark(MODIFIED_KEY)
        params = {**self.list_params, "sort": "+ModifiedOn", "pageSize": self.page_size}

        def page_params(keyset: Keyset) -> dict[str, Any]:
            extra: dict[str, Any] = {"page": keyset.page}
            if keyset.modified_on_or_after:
                extra[MODIFIED_KEY] = keyset.modified_on_or_after
            return extra

        for body in self.fetch_pages(
            self.tenant_path(), params, ModifiedOnPaginator(bound), page_params, context
        ):
            records = list(body.get("data") or [])
            yield from self.select(emitted.fresh(records))
            bound = newest_modified_on(records, bound)
            if bound:
                self.checkpoint(**{MODIFIED_KEY: bound})


class UnsortedIncrementalListStream(ServiceTitanStream):
    """A paged list filtered by `modifiedOnOrAfter` but served in the API's own order (no `sort`).

    Every page is read with one fixed lower bound, so a record changed during the walk only joins the
    set (nothing shifts out and is skipped); but a record changed during the walk whose page was already
    read is seen only by the next run, and its `modifiedOn` may be older than the newest one seen. So the
    next run starts `LOOKBACK` before the bookmark, and state keeps the versions emitted in that last
    stretch (`recentlyEmitted`: id -> `modifiedOn`), which are not emitted again. State is saved at the
    end of the walk; an interrupted run reads again from the previous bookmark.
    """

    replication_key = "modifiedOn"
    is_sorted = False
    list_params: ClassVar[dict[str, str]] = {}

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        emitted = LatestVersions()
        bound = self.bookmark(MODIFIED_KEY)
        known = dict(self.bookmark(RECENT_KEY) or {})
        params = dict(self.list_params)
        start = parse_timestamp(bound)
        if start is not None:
            params[MODIFIED_KEY] = (start - LOOKBACK).astimezone(UTC).isoformat().replace("+00:00", "Z")
        newest = bound
        seen: dict[str, str] = {}
        for body in self.list_pages(self.tenant_path(), params, context):
            records = list(body.get("data") or [])
            fresh = [r for r in emitted.fresh(records) if known.get(str(r.get("id"))) != r.get("modifiedOn")]
            yield from self.select(fresh)
            newest = newest_modified_on(records, newest)
            seen.update({str(r["id"]): r["modifiedOn"] for r in records if r.get("modifiedOn")})
        if newest:
            floor = modified_on({"modifiedOn": newest}) - LOOKBACK
            recent = {key: value for key, value in {**known, **seen}.items()
                      if modified_on({"modifiedOn": value}) >= floor}
            self.checkpoint(**{MODIFIED_KEY: newest, RECENT_KEY: dict(sorted(recent.items()))})


class ReferenceListStream(ServiceTitanStream):
    """A small list read in full every run."""

    replication_key = None
    list_params: ClassVar[dict[str, str]] = {"active": "Any"}

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        emitted = LatestVersions()
        for body in self.list_pages(self.tenant_path(), dict(self.list_params), context):
            yield from emitted.fresh(body.get("data") or [])
