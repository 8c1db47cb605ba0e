"""Safe by default: the WSGI entry point runs production, needs a real key, and trusts no key from the code.

These start the real server (``gunicorn wsgi:app``) with nothing configured but a
database, as an operator would on a first try.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# Keys that shipped in config.py before keys left the code.
OLD_KEYS = ["dev-only-not-secret", "test-secret-key-that-is-long-enough-for-hs256"]
SERVER_CONFIGS = ["/dev/null"] + (["gunicorn.conf.py"] if (ROOT / "gunicorn.conf.py").exists() else [])
# The app loaded in each worker, or once in the master (--preload): both must refuse cleanly.
REFUSING_STARTS = [(config, []) for config in SERVER_CONFIGS] + [("/dev/null", ["--preload"])]

pytestmark = pytest.mark.slow


def repository_strings() -> set[str]:
    """Every string literal in the repository's Python files, and the keys that once shipped."""
    found = set(OLD_KEYS)
    for path in ROOT.rglob("*.py"):
        if {".venv", ".git", "instance", "__pycache__"} & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    # A literal with a lone surrogate (the input tests have some) cannot be a key: it has no UTF-8 form.
    return {s for s in found if _encodable(s)}


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def bare_environment(**extra: str) -> dict:
    """The environment of a first try: no LABVISIT_CONFIG, no SECRET_KEY, nothing of ours but ``extra``."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
    return {**{name: os.environ[name] for name in keep if name in os.environ}, **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(config: str, port: int, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The server command; no control socket, whose default path concurrent servers would share."""
    return [
        GUNICORN,
        "wsgi:app",
        "-c",
        config,
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "1",
        "--no-control-socket",
        *extra,
    ]


@pytest.mark.parametrize("config,extra", REFUSING_STARTS)
def test_server_without_a_key_refuses_to_start(app, config, extra):
    """`gunicorn wsgi:app` with only DATABASE_URL exits non-zero with one clear line, no traceback."""
    env = bare_environment(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    done = subprocess.run(
        gunicorn(config, free_port(), extra), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "labvisit refuses to start: SECRET_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("config,extra", REFUSING_STARTS)
def test_server_with_a_short_key_refuses_to_start(app, config, extra):
    """A SECRET_KEY under 32 characters is refused the same way."""
    env = bare_environment(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="short-key")
    done = subprocess.run(
        gunicorn(config, free_port(), extra), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "SECRET_KEY has 9 characters; it needs at least 32" in done.stderr
    assert "Traceback" not in done.stderr


def test_flask_command_without_a_key_refuses_with_one_line(app):
    """`flask --app wsgi db upgrade` without a key: non-zero exit, the reason, no traceback."""
    env = bare_environment(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "wsgi", "db", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "SECRET_KEY is not set" in done.stderr and "Traceback" not in done.stderr


def _served(config: str, env: dict, port: int, log: Path) -> subprocess.Popen:
    """Start the server with its output in ``log`` (a pipe nobody reads could fill and stall it)."""
    with log.open("w") as output:
        server = subprocess.Popen(
            gunicorn(config, port), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=30).close()
            return server
        except OSError:  # not listening yet (URLError, ConnectionError) or a slow first request
            time.sleep(0.2)
    server.terminate()
    server.wait(timeout=30)
    raise AssertionError("gunicorn did not answer within 60 s: " + log.read_text()[-3000:])


def _me(port: int, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def _token(key: str, user_id: int, version: int = 0) -> str:
    """An HS256 JWT signed by hand, so keys PyJWT would refuse to sign with (empty, PEM-like) are tried too."""
    now = int(time.time())
    claims = {"sub": str(user_id), "role": "coordinator", "ver": version, "iat": now, "exp": now + 3600}
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("config", SERVER_CONFIGS)
def test_served_app_refuses_tokens_signed_with_any_string_in_the_repository(app, world, config, tmp_path):
    """With DATABASE_URL and a random SECRET_KEY, a token signed with any string literal of the repository is a 401.

    The same token signed with the server's own key is a 200, so the server and the account are real.
    Production keeps Secure cookies.
    """
    user = world.user("coordinator")
    key = secrets.token_urlsafe(48)
    env = bare_environment(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY=key, PROGRAM_SCHEDULER="off"
    )
    port = free_port()
    server = _served(config, env, port, tmp_path / "gunicorn.log")
    try:
        assert _me(port, _token(key, user.id)) == 200
        candidates = sorted(repository_strings())
        assert "dev-only-not-secret" in candidates and len(candidates) > 1000
        accepted = [c for c in candidates if _me(port, _token(c, user.id)) != 401]
        assert accepted == []
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=10) as page:
            assert "Secure" in page.headers["Set-Cookie"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_development_key_is_generated_once_and_kept(tmp_path):
    """Development without SECRET_KEY: a random key of at least 32 characters, kept (owner-only) in instance/ across restarts."""
    import config
    from booking.signing_key import configure_signing_key

    def start() -> str:
        flask_app = Flask("dev_key_test", instance_path=str(tmp_path / "instance"))
        flask_app.config.from_object(config.DevelopmentConfig)
        flask_app.config["SECRET_KEY"] = None
        configure_signing_key(flask_app)
        return flask_app.config["SECRET_KEY"]

    first, second = start(), start()
    assert first == second and len(first) >= 32
    kept = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert first not in repository_strings()


def test_production_is_the_default_configuration(monkeypatch):
    """create_app() with no LABVISIT_CONFIG and no key refuses: development is never picked by default."""
    from booking import create_app
    from booking.signing_key import InsecureConfiguration

    monkeypatch.delenv("LABVISIT_CONFIG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    import config

    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY is not set"):
        create_app()
    assert config.Config.SESSION_COOKIE_SECURE is True


def test_no_signing_key_in_the_configuration_classes():
    """No configuration class carries a key written in the code (tests draw theirs per run)."""
    import config

    assert config.DevelopmentConfig.SECRET_KEY == config.Config.SECRET_KEY == os.environ.get("SECRET_KEY")
    assert config.TestConfig.SECRET_KEY not in repository_strings()
