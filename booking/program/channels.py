"""Channels a message can go out on, behind one small interface.

An adapter gets an :class:`Outgoing` snapshot (plain data, no database
session: sending happens outside any transaction) and returns the provider's
id for the message, or raises ``ChannelError`` -- temporary failures are
retried with backoff, permanent ones are dead-lettered at once.

Which adapter serves a channel is configuration: ``MAIL_URL`` picks the SMTP
client, ``SMS_PROVIDER_URL`` the SMS provider client. Without them (``make
run``) e-mail and SMS go to the :class:`LocalMailbox`: the row is marked as
kept for the demo and shown on the staff's demo mailbox page, never sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from booking.program.models import Channel, Transport
from booking.program.outgoing import ChannelError, Outgoing
from booking.program.sms import TwilioSmsChannel
from booking.program.smtp import SmtpChannel

__all__ = ["Adapters", "ChannelAdapter", "ChannelError", "Outgoing", "build_adapter", "open_adapters"]


class ChannelAdapter(Protocol):
    transport: str
    # True when sending only records the message in the database (nothing leaves the process).
    in_database: bool

    def send(self, message: Outgoing) -> str | None:
        """Send ``message``; the provider's id for it (or None). :raise ChannelError:"""

    def close(self) -> None:
        """Release connections held across a delivery run."""


class PageChannel:
    """The patient's own message list: the row itself is the delivery."""

    transport = Transport.PAGE
    in_database = True

    def send(self, message: Outgoing) -> str | None:
        return None

    def close(self) -> None:
        pass


class LocalMailbox:
    """No mail server or SMS provider configured: keep the message for the demo mailbox page.

    The row is recorded as delivered with transport ``local_mailbox``; every page
    that shows it says it was not really sent.
    """

    transport = Transport.LOCAL_MAILBOX
    in_database = True

    def send(self, message: Outgoing) -> str | None:
        return f"local-mailbox-{message.id}"

    def close(self) -> None:
        pass


def build_adapter(channel: str, config: Mapping) -> ChannelAdapter:
    """The adapter configured for ``channel``. :raise ChannelError: (permanent) unknown channel."""
    if channel == Channel.PAGE:
        return PageChannel()
    if channel == Channel.EMAIL:
        if not config.get("MAIL_URL"):
            return LocalMailbox()
        try:
            return SmtpChannel(config["MAIL_URL"], config["MAIL_FROM"], timeout=config["MAIL_TIMEOUT"])
        except ValueError as exc:  # retried: fixing the setting recovers the messages
            raise ChannelError("misconfigured", "MAIL_URL") from exc
    if channel == Channel.SMS:
        if not config.get("SMS_PROVIDER_URL"):
            return LocalMailbox()
        try:
            return TwilioSmsChannel(
                config["SMS_PROVIDER_URL"],
                account_sid=config["SMS_ACCOUNT_SID"],
                auth_token=config["SMS_AUTH_TOKEN"],
                sender=config["SMS_FROM"],
                timeout=config["SMS_TIMEOUT"],
            )
        except ValueError as exc:
            raise ChannelError("misconfigured", "SMS_PROVIDER_URL and its account settings") from exc
    raise ChannelError("no_adapter", f"channel {channel} is not configured", permanent=True)


class Adapters:
    """The adapters of one delivery run, built on first use; an SMTP connection is reused across it."""

    def __init__(self, config: Mapping):
        self._config = config
        self._open: dict[str, ChannelAdapter] = {}

    def __getitem__(self, channel: str) -> ChannelAdapter:
        if channel not in self._open:
            self._open[channel] = build_adapter(channel, self._config)
        return self._open[channel]

    def close(self) -> None:
        for adapter in self._open.values():
            adapter.close()
        self._open.clear()


@contextmanager
def open_adapters(config: Mapping) -> Iterator[Adapters]:
    adapters = Adapters(config)
    try:
        yield adapters
    finally:
        adapters.close()
