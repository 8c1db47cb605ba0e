"""SMS through a provider with Twilio's Messages REST API shape.

``POST {SMS_PROVIDER_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json``
with form fields ``To``, ``From``, ``Body`` and HTTP basic auth (account SID,
auth token); the answer is JSON with the message's ``sid``. Several providers
offer the same shape, and a test stub is a few lines.

The standard library's ``urllib.request`` is enough for one form POST with a
timeout, so no HTTP library is added to the dependencies.

Failures: a timeout, a refused connection, 5xx, 408 and 429 are temporary
(retried with backoff); 401/403 too, because credentials are configuration and
fixing them should recover the messages. Any other 4xx (an invalid or
unreachable number, a blocked recipient) is permanent. The provider's answer
can echo the number, so only the status and the provider's error code are kept.
"""

from __future__ import annotations

import base64
import json
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from booking.program.models import Transport
from booking.program.outgoing import ChannelError, Outgoing

_RETRIED_4XX = {401, 403, 408, 409, 425, 429}


class TwilioSmsChannel:
    transport = Transport.SMS_PROVIDER
    in_database = False

    def __init__(self, base_url: str, *, account_sid: str, auth_token: str, sender: str, timeout: float = 15):
        if not (account_sid and auth_token and sender):
            raise ValueError("SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM are needed with SMS_PROVIDER_URL")
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._authorization = f"Basic {credentials}"
        self.sender, self.timeout = sender, timeout

    def send(self, message: Outgoing) -> str | None:
        """The provider's message sid. :raise ChannelError:"""
        form = urlencode({"To": message.to, "From": self.sender, "Body": message.body}).encode()
        request = Request(
            self.url,
            data=form,
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except HTTPError as exc:
            raise _http_failure(exc) from exc
        except (URLError, TimeoutError, OSError) as exc:
            raise ChannelError("sms_unavailable", type(getattr(exc, "reason", exc)).__name__) from exc
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:  # accepted (2xx), but the answer is not JSON: the provider's id is unknown
            return None
        return str(payload["sid"]) if isinstance(payload, dict) and payload.get("sid") else None

    def close(self) -> None:
        pass


def _http_failure(exc: HTTPError) -> ChannelError:
    status = exc.code
    provider_code = ""
    try:
        body = json.loads(exc.read() or b"{}")
        if isinstance(body, dict) and body.get("code") is not None:
            provider_code = f"provider code {body['code']}"
    except (ValueError, OSError):
        pass
    permanent = 400 <= status < 500 and status not in _RETRIED_4XX
    return ChannelError(f"http_{status}", provider_code, permanent=permanent)
