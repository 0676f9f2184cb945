"""``max_results`` / ``page_token`` paging as Hotmart does it.

Tokens are base64 of ``{"rows":N,"page":P}`` like the sales doc examples (clients must treat
them as opaque). ``max_results`` above 500 is silently clamped; a token that does not decode
is a 400 ``invalid_token``. ``next_page_token`` is absent on the last page and
``prev_page_token`` on the first.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from .errors import ApiError

MAX_PAGE_SIZE = 500

Query = dict[str, list[str]]


def encode_token(rows: int, page: int) -> str:
    return base64.b64encode(
        json.dumps({"rows": rows, "page": page}, separators=(",", ":")).encode()
    ).decode()


def decode_token(token: str) -> tuple[int, int]:
    """(rows, page) of a page token; 400 ``invalid_token`` when it is not one of ours."""
    try:
        obj = json.loads(base64.b64decode(token.encode(), validate=True))
        rows, page = obj["rows"], obj["page"]
        if not (isinstance(rows, int) and isinstance(page, int)) or rows < 1 or page < 1:
            raise ValueError(token)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ApiError(
            400, "invalid_token", "The page_token parameter is invalid or has expired."
        ) from exc
    return rows, page


def page_request(query: Query, default_size: int) -> tuple[int, int]:
    """(page size, 1-based page number) from ``max_results`` and ``page_token``."""
    size = None
    raw = query.get("max_results")
    if raw:
        try:
            size = int(raw[-1])
        except ValueError as exc:
            raise ApiError(400, "invalid_parameter", "max_results must be an integer") from exc
        if size < 1:
            raise ApiError(400, "invalid_parameter", "max_results must be positive")
    page = 1
    tok = query.get("page_token")
    if tok and tok[-1]:
        rows, page = decode_token(tok[-1])
        if size is None:
            size = rows
    size = min(size or default_size, MAX_PAGE_SIZE)
    return size, page


def paginate(
    rows: Sequence[Any], size: int, page: int, with_total: bool = True
) -> tuple[Sequence[Any], dict]:
    """The slice of ``rows`` for this page and its ``page_info``."""
    start = (page - 1) * size
    chunk = rows[start : start + size]
    info: dict = {}
    if with_total:
        info["total_results"] = len(rows)
    if start + size < len(rows):
        info["next_page_token"] = encode_token(size, page + 1)
    if page > 1:
        info["prev_page_token"] = encode_token(size, page - 1)
    info["results_per_page"] = len(chunk)
    return chunk, info
