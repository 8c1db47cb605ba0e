"""gunicorn's settings for labvisit, read from the working directory by ``gunicorn wsgi:app``.

Shipped in the repository, not left to a command-line flag, because the defaults leak: gunicorn's
default access-log line holds the full request line, and query strings carry what patients type
(``near=<home address>``, ``q=<name>``). Every value can be overridden by the environment.
"""

from __future__ import annotations

import multiprocessing
import os

# Where to listen: BIND wins (e.g. "unix:/run/labvisit.sock"), else PORT on every interface.
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Workers from the machine (gunicorn's rule of thumb: two per core, plus one); WEB_CONCURRENCY
# overrides. The worker class and threads are chosen from load measurements: set them with
# GUNICORN_WORKER_CLASS ("sync", "gthread") and GUNICORN_THREADS.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# A worker recycled now and then returns the memory a long-lived process accumulates.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# Request limits, before the app sees anything: the longest real request line is a search
# with an address (well under 1 KiB); a bearer token is under 1 KiB. Bodies are limited by
# the app's MAX_CONTENT_LENGTH.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Logs: both to stderr unless ACCESS_LOG / ERROR_LOG name files. The access line has the path
# only (%(U)s: no query string) and no referrer or user agent; the request id ties it to the
# application's JSON lines.
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
# Behind a proxy, its X-Forwarded-* headers are trusted only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Keep query strings out of gunicorn's own lines too (``Error handling request /p?q``)."""
    from booking.log_privacy import install

    install()


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a worker's gauges leave the sum when the worker does."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
