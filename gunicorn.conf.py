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

# Worker processes and threads, chosen from the load benchmark (benchmarks/load, 2026-12-03,
# 2 cores, 50 users without think time, client on the same cores): one gthread worker per core
# with one thread served 254-287 req/s with p95 250-279 ms; 2 threads 232-257 req/s (p95
# 285-390 ms), 4 threads 190-199 (346-494 ms); 3 or 4 workers of one thread 201-231 req/s.
# Requests are short and CPU-bound (solves run in the job queue, not in requests), so more
# threads only contend for the interpreter lock. gthread keeps idle keep-alive connections
# off the thread. WEB_CONCURRENCY, GUNICORN_WORKER_CLASS and GUNICORN_THREADS override.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# A worker recycled now and then returns the memory a long-lived process accumulates. Rarely:
# a new worker takes about 4 s of CPU to import the app, and while it starts the connections
# queued for it wait. Every 2,000 requests cost a third of the throughput at 50 users (123
# against 190 req/s) and p99 tails of 5 s.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "5000"))

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
