"""E-mail over STARTTLS with a login, and over implicit TLS (smtps://), to a real aiosmtpd server."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from booking.program.outgoing import ChannelError, Outgoing
from booking.program.smtp import SmtpChannel
from tests.program.conftest import Mailbox, free_port

MESSAGE = Outgoing(
    1, "email", "month_due", "en", "Your visit is due", "Book at /me", "due:1:email", "p@example.org"
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost, trusted by this test's TLS clients through SSL_CERT_FILE."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _only(login: bytes, password: bytes):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            login,
            password,
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    return authenticator


def test_starttls_with_a_login_delivers(certificate, monkeypatch):
    """smtp://user:password@host?starttls=1 upgrades the connection, logs in, and the message arrives."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="localhost",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        auth_required=True,
        auth_exclude_mechanism=["LOGIN"],  # smtplib would try LOGIN after PLAIN; one mechanism is enough here
        authenticator=_only(b"labvisit@example.org", b"p:ss/word"),
    )
    controller.start()
    try:
        channel = SmtpChannel(
            f"smtp://labvisit%40example.org:p%3Ass%2Fword@localhost:{port}?starttls=1", "r@labvisit.example"
        )
        channel.send(MESSAGE)
        channel.close()
        wrong = SmtpChannel(
            f"smtp://labvisit%40example.org:nope@localhost:{port}?starttls=1", "r@labvisit.example"
        )
        with pytest.raises(ChannelError) as failure:
            wrong.send(MESSAGE)
        assert failure.value.kind == "smtp_535" and not failure.value.permanent
    finally:
        controller.stop()
    assert [m["Subject"] for m in mailbox.messages] == ["Your visit is due"]


def test_implicit_tls_delivers(certificate, monkeypatch):
    """smtps://host:port speaks TLS from the first byte."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox, hostname="localhost", port=port, ssl_context=_server_context(certificate)
    )
    controller.start()
    try:
        channel = SmtpChannel(f"smtps://localhost:{port}", "r@labvisit.example")
        assert channel.send(MESSAGE).startswith("<outbox-1.")
        channel.close()
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1


def test_a_server_whose_certificate_is_not_trusted_is_refused(certificate, monkeypatch):
    """Without trusting the certificate the client refuses to talk (temporary: fixing trust recovers it)."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox, hostname="localhost", port=port, ssl_context=_server_context(certificate)
    )
    controller.start()
    try:
        with pytest.raises(ChannelError) as failure:
            SmtpChannel(f"smtps://localhost:{port}", "r@labvisit.example").send(MESSAGE)
    finally:
        controller.stop()
    assert failure.value.kind == "smtp_unavailable" and mailbox.messages == []
