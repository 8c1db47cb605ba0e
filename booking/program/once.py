"""Recording a submitted form once: a double-clicked submit or a retried request adds one row.

Each form carries a random token (the API takes it as ``Idempotency-Key``);
it is stored with the row under a unique (author, token) constraint, so the
database, not a check in Python, decides which of two racing submits wins.
The loser gets the winner's row back and changes nothing else.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.errors import Unprocessable
from booking.extensions import db

MAX_KEY_LENGTH = 200


def check_key(key: str | None) -> str | None:
    """:raise Unprocessable: (422) an empty or too long key."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Unprocessable(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            errors={"Idempotency-Key": ["Invalid length."]},
        )
    return key


def earlier(model, author_column, author_id: int, key: str | None):
    """The row this author already recorded under ``key``, or None."""
    if key is None:
        return None
    return db.session.scalar(select(model).where(author_column == author_id, model.request_key == key))


def add_once(row, author_column, author_id: int, key: str | None):
    """Add ``row`` unless the author already recorded one under ``key``; returns (row, is_new).

    The flush runs in a savepoint: when a racing submit with the same key won,
    only this row is undone and the winner's row is returned.
    """
    found = earlier(type(row), author_column, author_id, key)
    if found is not None:
        return found, False
    row.request_key = key
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        found = earlier(type(row), author_column, author_id, key)
        if found is None:
            raise
        return found, False
    return row, True
