"""Bounded integer parameters. Every id column is a PostgreSQL `integer` (SQLite's is 64-bit), so a path or query
number outside 1..MAX_ID can name nothing: it is refused as a request error (the web shows its 404 or 422 page,
the API its JSON 422) before it reaches the database, where it would overflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An id in the path: /manage/officials/{official_id}."""

QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
"""An optional id (or cursor) in the query string: ?department=5."""

PageNumber = Annotated[int, Query(ge=1, le=MAX_ID)]
"""A page of a list: ?page=2."""


def bounded_id(value: object) -> int | None:
    """A form's or query's id as a number, or None when it is not a whole number from 1 to MAX_ID."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
