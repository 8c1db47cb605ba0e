"""``Idempotency-Key`` on create requests.

A key belongs to its caller. The first response is stored in the same
transaction as what it created; a replay with the same body gets that response
again, and the same key with another body is refused (422), as the IETF
Idempotency-Key draft describes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from booking.errors import Unprocessable
from booking.extensions import db
from booking.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str


def request_fingerprint(path: str, body: object) -> str:
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Unprocessable(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            errors={"Idempotency-Key": ["Invalid length."]},
        )
    return key


def stored_response(user_id: int, key: str, fingerprint: str) -> StoredResponse | None:
    """The stored response for this caller and key, if any.

    :raise Unprocessable: (422) the key was used before with a different request.
    """
    record = db.session.scalar(
        db.select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body.",
            errors={"Idempotency-Key": ["Reused with a different body."]},
        )
    return StoredResponse(record.status_code, record.body)


def remember(user_id: int, key: str, fingerprint: str, status_code: int, body: str) -> None:
    """Store the response; flushed with the rest of the transaction."""
    db.session.add(
        IdempotencyRecord(
            user_id=user_id, key=key, request_hash=fingerprint, status_code=status_code, body=body
        )
    )
