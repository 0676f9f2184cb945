"""Base stream: Hotmart paging, per-account partitions, retries.

`HotmartStream` reads an endpoint page by page, as its SDK paginator leads
(`pagination.HotmartPaginator`), for every configured account; date-filtered endpoints
build on it in `date_window_stream.py`.
Failures are retried through the SDK's backoff hooks, with the policy of `retries`. Each
retry is logged as one line naming the account, the endpoint and the date window, never
the request's query string (17 `transaction_status` values that say nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import backoff
import msgspec
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema, metrics
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import RecordMessage

from tap_hotmart.errors import (
    HotmartAPIError,
    HotmartAuthError,
    PagingLoopError,
    QueryTimeoutError,
    RangeTooWideError,
    TransientAPIError,
)
from tap_hotmart.http import answer, decode_items, error_fields
from tap_hotmart.pagination import HotmartPaginator
from tap_hotmart.range_limits import says_range_too_wide
from tap_hotmart.reach import network_problem
from tap_hotmart.retries import (
    REQUEST_TIMEOUT_SECONDS,
    RETRIED_ERRORS,
    RETRY_TRIES,
    SERVER_ERRORS_BEFORE_SPLIT,
    retry_waits,
)
from tap_hotmart.settings import setting
from tap_hotmart.status_filter import one_status_at_a_time, several_statuses

if TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context, Record

    from tap_hotmart.http import AccountClient, Params
    from tap_hotmart.tap import TapHotmart

#: The JSON schemas, `schemas/<name>.json`: by default a stream's own name.
SCHEMAS = SchemaDirectory(Path(__file__).parent / "schemas")


class HotmartStream(RESTStream[str]):
    """A Hotmart endpoint read page by page for every configured account."""

    # Nested objects are Hotmart's own, passed through verbatim; walking them per record
    # would cost CPU for nothing.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    # `path` (the SDK's): Hotmart's path, relative to the API host; may name context keys,
    # e.g. "/products/api/v1/products/{product_ucode}/offers".
    #: Keys of the parent's context copied into each record (child streams).
    parent_keys: ClassVar[tuple[str, ...]] = ()
    #: Names of the streams this one must sync after in a run (`TapHotmart.streams`).
    syncs_after: ClassVar[tuple[str, ...]] = ()

    schema = StreamSchema(SCHEMAS)

    def __init__(self, tap: TapHotmart, **kwargs: Any) -> None:
        super().__init__(tap, **kwargs)
        self.hotmart_tap = tap

    @cached_property
    def _get_with_retries(self) -> Callable[..., Any]:
        """`_get_page` wrapped in the SDK's backoff (built on first use)."""
        return self.request_decorator(self._get_page)

    @cached_property
    def _fast_path(self) -> tuple[bool, frozenset[str]]:
        """Whether records can skip the SDK's prune-and-conform walk, and the known keys."""
        everything_selected = all(self.mask.values())
        plain_maps = all(isinstance(m, SameRecordTransform) for m in self.stream_maps)
        return everything_selected and plain_maps, frozenset(self.schema["properties"])

    def _generate_record_messages(self, record: Record) -> Generator[RecordMessage, None, None]:
        """Emit records as they are when the SDK's walk would not change them.

        A private SDK hook, as is `_stream_version` (the ACTIVATE_VERSION version), for want
        of a public one: `tests/tap/test_sdk_hooks.py` fails if the SDK changes either.
        """
        fast, known_keys = self._fast_path
        if not fast or not record.keys() <= known_keys:
            yield from super()._generate_record_messages(record)
            return
        yield RecordMessage(
            stream=self.name,
            record=record,
            version=self._stream_version,
            time_extracted=datetime.now(timezone.utc),
        )

    @property
    def url_base(self) -> str:
        return self.hotmart_tap.api_url

    @property
    def partitions(self) -> list[dict] | None:
        """One partition per account: its own bookmarks, its own progress."""
        if self.parent_stream_type is not None:
            return None
        return [{"account_id": account.account_id} for account in self.hotmart_tap.accounts]

    @property
    def page_size(self) -> int:
        return int(setting(self.config, "page_size"))

    # Retries ---------------------------------------------------------------------------

    def backoff_wait_generator(self) -> Generator[float, None, None]:
        return retry_waits()

    def backoff_max_tries(self) -> int:
        return RETRY_TRIES

    def request_decorator(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """The SDK's retry policy, with `backoff_handler` as its only log line.

        The SDK also hands backoff its logger, which logs every retry a second time with
        the exception's text: for a connection error, the whole URL and query string.
        Decorated functions take `(client, path, params)` first, which the retry line names.
        """
        decorator = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIED_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )
        return decorator(func)

    def backoff_handler(self, details: Mapping[str, Any]) -> None:
        """One line per retry: account, endpoint, window, why, the wait and the attempt."""
        client, path, params = details["args"][:3]
        exc = details["exception"]
        reason = exc.reason if isinstance(exc, TransientAPIError) else network_problem(exc)
        window = self.window_label(params)
        self.logger.warning(
            "%s GET %s%s: %s, retrying in %.1f s (attempt %d/%d)",
            client.account.account_id,
            path,
            f" window {window}" if window else "",
            reason,
            details.get("wait", 0.0),
            details["tries"] + 1,
            self.backoff_max_tries(),
        )

    def window_label(self, params: Params) -> str | None:
        """The date window a request's parameters ask for, for log lines (None: no window)."""
        return None

    def _get_page(
        self, client: AccountClient, path: str, params: Params, *, lazy_items: bool = False
    ) -> tuple[requests.Response, Any]:
        response, body = client.get_page(
            path,
            params,
            validate=self.validate_response,
            headers=self.http_headers,
            timeout_s=self.timeout,
            lazy_items=lazy_items,
        )
        if isinstance(body, dict) and not isinstance(body.get("items"), (list, msgspec.Raw)):
            # Read as an empty last page, this would end the window early and silently
            # lose its records; retried, and fatal if it persists.
            reason = "the answer has no list of items; it is not a Hotmart page"
            where = f"Account {client.account.account_id!r}, GET {path}"
            raise TransientAPIError(f"{where}: {reason}", reason)
        return response, body

    @property
    def user_agent(self) -> str:
        """The SDK's hook: the tap and its release (`TapHotmart.user_agent`)."""
        return self.hotmart_tap.user_agent

    @property
    def http_headers(self) -> dict:
        """The SDK's hook: the headers of every request (the token comes with `auth`)."""
        return {"User-Agent": self.user_agent, "Accept": "application/json"}

    @property
    def timeout(self) -> int:
        """The SDK's hook: seconds to wait for an answer (`retries.REQUEST_TIMEOUT_SECONDS`)."""
        return REQUEST_TIMEOUT_SECONDS

    def validate_response(self, response: requests.Response) -> None:
        """What Hotmart's answer means: nothing for a success, else the error to raise.

        Messages carry Hotmart's own `error` and `error_description`; the account's client
        adds which account and endpoint. Called for every answer but a 429 and the first
        401 for an expired token, which the client handles (`AccountClient.get_page`).
        """
        status = response.status_code
        if status == 401:
            raise HotmartAuthError(answer(response))
        if status >= 500:
            reason = answer(response)
            raise TransientAPIError(reason, reason, response)
        if status >= 400:
            error, description = error_fields(response)
            raise HotmartAPIError(answer(response), status, error, description)

    # Paging ----------------------------------------------------------------------------

    def get_new_paginator(self) -> HotmartPaginator:
        return HotmartPaginator()

    def iter_pages(
        self,
        client: AccountClient,
        path: str,
        params: Params,
        *,
        context: Context | None = None,
        lazy_items: bool = False,
        may_time_out: bool = False,
    ) -> Iterator[tuple[Any, int | None]]:
        """Yield (items, total_results) for every page, as the stream's paginator leads.

        Each page asks for `get_url_params` (of `context`) with `params` on top: what this
        read narrows it to (a date window, other statuses, one transaction). With `lazy_items` the
        items may come as undecoded JSON (see `page_items`). With `may_time_out`, a first
        page that keeps failing with server errors raises `QueryTimeoutError` (before
        anything is yielded) instead of exhausting the retries, and one refused with a 400
        that says the date range is too wide raises `RangeTooWideError`.

        A read of several `transaction_status` values within a sync (`context` names the
        account partition) is one read per status, its pages one after the other with the
        sum of their totals, on an account whose Hotmart does not honour a repeated
        `transaction_status`; the account's first such read checks which it is
        (`status_filter`).
        """

        def read(read_params: Params) -> Iterator[tuple[Any, int | None]]:
            paginator = self.get_new_paginator()
            while not paginator.finished:
                token = paginator.current_value
                page_params = {**self.get_url_params(context, token), **read_params}
                get = self._get_first_page if may_time_out and not token else None
                response, body = (get or self._get_with_retries)(
                    client, path, page_params, lazy_items=lazy_items
                )
                items, page_info = _split_body(body)
                if not isinstance(items, msgspec.Raw):
                    items = page_items(items)
                yield items, page_info.get("total_results")
                try:
                    paginator.advance(response)
                except PagingLoopError as exc:
                    where = f"Account {client.account.account_id!r}, GET {path}"
                    raise PagingLoopError(f"{where}: {exc}") from None

        query = {**self.get_url_params(context, None), **params}
        statuses = several_statuses(query) if context is not None else None
        if statuses and not self.hotmart_tap.status_checks.honoured(self, client):
            yield from one_status_at_a_time(read, params, statuses)
        else:
            yield from read(params)

    def _get_first_page(
        self, client: AccountClient, path: str, params: Params, *, lazy_items: bool
    ) -> tuple[requests.Response, Any]:
        """`_get_page` with the usual retries, except that repeated server errors end early.

        Hotmart answers 502 to a query that runs over 30 s, on every attempt: retrying the
        same range only spends the budget, a narrower one works. A range it refuses as too
        wide (400) is not retried either.
        """
        server_errors = 0

        def attempt(
            client: AccountClient, path: str, params: Params
        ) -> tuple[requests.Response, Any]:
            nonlocal server_errors
            try:
                return self._get_page(client, path, params, lazy_items=lazy_items)
            except RetriableAPIError as exc:
                if exc.response is not None and exc.response.status_code >= 500:
                    server_errors += 1
                    if server_errors >= SERVER_ERRORS_BEFORE_SPLIT:
                        raise QueryTimeoutError(str(exc)) from exc
                raise
            except HotmartAPIError as exc:
                if exc.status_code == 400 and says_range_too_wide(exc.description):
                    raise RangeTooWideError(str(exc)) from exc
                raise

        return self.request_decorator(attempt)(client, path, params)

    # Records ---------------------------------------------------------------------------

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        """The query of every page: the page size and the paginator's token.

        Streams extend it with the filters all of their requests send (statuses).
        """
        params: dict[str, Any] = {"max_results": self.page_size}
        if next_page_token:
            params["page_token"] = next_page_token
        return params

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """The record of one API item (the SDK calls this for every item `get_records`
        yields): its account, which starts every primary key, and a child stream's parent
        keys. Streams extend it with their own fields, and drop an item without its key
        (returning None) after `skip_keyless`."""
        assert context is not None
        row["account_id"] = context["account_id"]
        for key in self.parent_keys:
            row[key] = context[key]
        return row

    def skip_keyless(self, context: Context) -> None:
        """Warn of an item that has no key, which `post_process` then drops."""
        self.logger.warning(
            "%s [%s]: skipped an item without its key fields", self.name, context["account_id"]
        )

    def get_records(self, context: Context | None) -> Iterable[Record]:
        assert context is not None
        client = self.hotmart_tap.client(context["account_id"])
        path = self.path.format(**context)
        for items, _ in self.iter_pages(client, path, {}, context=context):
            yield from items

    # Run summary -----------------------------------------------------------------------

    def log_sync_costs(self) -> None:
        """End the run: the SDK calls this for every stream, in order, after all synced."""
        if next(reversed(self.hotmart_tap.streams.values())) is self:
            self.hotmart_tap.end_run()

    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = metrics.DEFAULT_LOG_INTERVAL
    ) -> metrics.Counter:
        """The SDK's record counter, which also counts the run summary's records."""
        return self.hotmart_tap.run_summary.record_counter(
            self.name, endpoint=endpoint, log_interval=log_interval
        )


def _split_body(body: Any) -> tuple[Any, dict]:
    """Items (a list, or undecoded JSON) and page_info of a paged body.

    A bare array is one final page.
    """
    if isinstance(body, list):
        return body, {}
    if isinstance(body, dict):
        page_info = body.get("page_info")
        return body["items"], (page_info if isinstance(page_info, dict) else {})
    return [], {}


def page_items(items: Any) -> list[dict]:
    """The object items of a page (decoding them if they are still JSON text)."""
    items = decode_items(items)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
