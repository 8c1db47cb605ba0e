"""What every channel adapter takes and raises: an outgoing message, and the failure of sending it."""

from __future__ import annotations

from dataclasses import dataclass


class ChannelError(Exception):
    """Sending failed. ``permanent`` failures are dead-lettered at once; others are retried.

    ``kind`` is a short machine word (``timeout``, ``http_400``, ``smtp_550``); ``detail``
    never carries an address or a message body, because it is logged and stored.
    """

    def __init__(self, kind: str, detail: str = "", permanent: bool = False):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.permanent = kind, permanent


@dataclass(frozen=True)
class Outgoing:
    """One message to send, as read at send time (the address is the patient's current one)."""

    id: int
    channel: str
    type: str
    language: str
    subject: str
    body: str
    dedupe_key: str
    to: str
