"""E-mail over SMTP with the standard library's ``smtplib``.

``MAIL_URL`` says where: ``smtp://host:port`` (plain, as a local relay or a
test server speaks), ``smtps://host:port`` (TLS from the first byte, port 465)
or ``smtp://user:password@host:587?starttls=1`` (upgrade with STARTTLS, then
log in). One connection is opened on the first message of a delivery run and
reused for the rest of it.

Every message carries a Message-ID made from its outbox row, so a retry of the
same row -- after a timeout, or after a worker died between the server's
"250 OK" and recording it -- has the same Message-ID and a receiving system can
drop the duplicate.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from booking.program.models import Transport
from booking.program.outgoing import ChannelError, Outgoing

_TRUE = {"1", "true", "yes", "on"}


def message_id(message: Outgoing, sender: str) -> str:
    """``<outbox-{row id}.{hash of its dedupe key}@{sender's domain}>``: the same for every retry."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "labvisit.localhost"
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:16]
    return f"<outbox-{message.id}.{digest}@{domain}>"


class SmtpChannel:
    """Sends e-mail through the SMTP server named by ``MAIL_URL``."""

    transport = Transport.SMTP
    in_database = False

    def __init__(self, url: str, sender: str, *, timeout: float = 20):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MAIL_URL must look like smtp://host:port or smtps://host:port")
        self.host = parts.hostname
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["0"])[0].lower() in _TRUE
        self.sender, self.timeout = sender, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            context = ssl.create_default_context()
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = Address(addr_spec=message.to)
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message, self.sender)
        # Marks it as automatic, so mail systems do not answer it with vacation replies.
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        email["Content-Language"] = message.language  # after set_content, which resets Content-* headers
        return email

    def send(self, message: Outgoing) -> str | None:
        """:raise ChannelError: permanent for a 5xx answer to this message, temporary otherwise."""
        try:
            email = self.compose(message)
        except (ValueError, IndexError) as exc:  # an address the e-mail library cannot write
            raise ChannelError("bad_address", type(exc).__name__, permanent=True) from exc
        try:
            self._connection().send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise ChannelError(f"smtp_{code}", "recipient refused", permanent=code >= 500) from exc
        except smtplib.SMTPAuthenticationError as exc:
            self.close()  # credentials are configuration: retried, so fixing them recovers the message
            raise ChannelError(f"smtp_{exc.smtp_code}", "authentication failed") from exc
        except smtplib.SMTPResponseException as exc:
            permanent = exc.smtp_code >= 500
            if not permanent:
                self.close()
            raise ChannelError(f"smtp_{exc.smtp_code}", "refused by the server", permanent=permanent) from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused connections
            self.close()
            raise ChannelError("smtp_unavailable", type(exc).__name__) from exc
        return email["Message-ID"]

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
