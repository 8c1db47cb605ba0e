"""The RQ cron configuration: ``rq cron booking.program.rq_cron --url $REDIS_URL``.

Enqueues the program's tick (``runner.rq_tick``) on ``PROGRAM_QUEUE_NAME``
every ``PROGRAM_TICK_SECONDS``; the RQ workers listening on that queue run it
(``rq worker dispatch program --url $REDIS_URL``). Settings come from the
environment through ``config.py``, as the app's do.
"""

from __future__ import annotations

from rq import cron

import config
from booking.program.runner import rq_tick

cron.register(
    rq_tick,
    queue_name=config.Config.PROGRAM_QUEUE_NAME,
    interval=config.Config.PROGRAM_TICK_SECONDS,
    job_timeout=max(300, 5 * config.Config.PROGRAM_TICK_SECONDS),
    result_ttl=600,
    failure_ttl=86400,
)
