"""Start and stop the production server for the load benchmark, the way README documents it.

``gunicorn wsgi:app`` with the production config (``LABVISIT_CONFIG=config.Config``),
an explicit ``SECRET_KEY`` and ``DATABASE_URL``, and Redis for the sign-in
rate limit. Worker count, class and threads are gunicorn flags (they override
any ``gunicorn.conf.py``). Two settings differ from a real deployment, on
purpose: the site is served over plain HTTP on localhost (so
``SESSION_COOKIE_SECURE=0``) and the sign-in limit is raised, because the
client signs in hundreds of accounts from one address.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from benchmarks.load import settings

REPO = Path(__file__).resolve().parents[2]


def server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LABVISIT_CONFIG="config.Config",
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=database_url,
        REDIS_URL=settings.REDIS_URL,
        RATELIMIT_STORAGE_URI=settings.REDIS_URL,
        SIGN_IN_RATE_LIMIT="100000 per minute",
        SESSION_COOKIE_SECURE="0",
        PROGRAM_SCHEDULER="off",
        PYTHONPATH=str(REPO),
    )
    return env


class Server:
    """A gunicorn process serving ``wsgi:app`` on 127.0.0.1:``port``; a context manager."""

    def __init__(self, database_url: str, workers: int, port: int, threads: int = 1, code_dir: Path = REPO):
        self.url = f"http://127.0.0.1:{port}"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.command = [
            gunicorn,
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        self.env = server_env(database_url)
        self.env["PYTHONPATH"] = str(code_dir)
        self.code_dir = code_dir
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, cwd=self.code_dir, env=self.env)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/sign-in", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 90 s")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
