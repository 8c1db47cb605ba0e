"""Real servers the outbox delivers to: an SMTP server (aiosmtpd) and a stub SMS provider over HTTP.

Both listen on 127.0.0.1 only; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the SMTP server accepted. ``hold_at`` makes the n-th message hang until its client goes away."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply, e.g. "550 no such user"
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self._arrivals = 0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._arrivals += 1
            arrival = self._arrivals
        if self.hold_at == arrival:
            self.holding.set()
            # aiosmtpd cancels this when the client disconnects: the message is never accepted.
            await asyncio.sleep(3600)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def mail_server():
    """A real SMTP server on localhost; ``.url`` is the MAIL_URL to point labvisit at."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{port}"
    mailbox.port = port
    yield mailbox
    controller.stop()


class SmsProvider:
    """A local stand-in for a Twilio-style Messages API: records each POST, answers from ``replies``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []  # consumed in order; then 201 with a sid
        self.delay = 0.0

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        if self.delay:
            time.sleep(self.delay)
        auth = headers.get("Authorization", "")
        user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.requests.append({"path": path, "user": user, "password": password, "form": form})
        if self.replies:
            return self.replies.pop(0)
        return 201, {"sid": f"SM{len(self.requests):032d}", "status": "queued"}


@pytest.fixture
def sms_provider():
    provider = SmsProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, payload = provider.answer(self.path, self.headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_port}"
    yield provider
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def real_channels(app, mail_server, sms_provider, monkeypatch):
    """Point the app's e-mail at the local SMTP server and its SMS at the local provider stub."""
    settings = {
        "MAIL_URL": mail_server.url,
        "MAIL_FROM": "labvisit <reminders@labvisit.example>",
        "SMS_PROVIDER_URL": sms_provider.url,
        "SMS_ACCOUNT_SID": "AC0123456789",
        "SMS_AUTH_TOKEN": "token-not-secret",
        "SMS_FROM": "+15550001111",
        "SMS_TIMEOUT": 2,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return mail_server, sms_provider
