"""Channels a message can go out on, behind one small interface.

``send(message)`` returns ``(recipient, provider_message_id)``, or a
recipient of None when there is nothing to send to; it raises
``ChannelError`` (temporary or permanent) when sending failed.
"""

from __future__ import annotations

from typing import Protocol

from booking.program.models import Channel, OutboxMessage


class ChannelError(Exception):
    """Sending failed. ``permanent`` failures are dead-lettered at once; others are retried."""

    def __init__(self, kind: str, detail: str = "", permanent: bool = False):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.permanent = kind, permanent


class ChannelAdapter(Protocol):
    def send(self, message: OutboxMessage) -> tuple[str | None, str | None]: ...


class PageChannel:
    """The patient's own message list: the row itself is the delivery."""

    def send(self, message: OutboxMessage) -> tuple[str | None, str | None]:
        return "page", None


def adapter_for(channel: str) -> ChannelAdapter:
    if channel == Channel.PAGE:
        return PageChannel()
    raise ChannelError("no_adapter", f"channel {channel} is not configured", permanent=True)
