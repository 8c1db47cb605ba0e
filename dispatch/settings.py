"""Dispatch settings: the app's config first, then the environment.

``OSRM_URL``, ``OSRM_TIMEOUT``, ``DISPATCH_CIRCUITY``, ``DISPATCH_SPEED_KMH``,
``DISPATCH_QUEUE`` (``thread`` or ``rq``), ``DISPATCH_QUEUE_NAME``,
``DISPATCH_WORKERS`` (processes a large day may use; unset: every core) and
``REDIS_URL`` can be set either way, so a deployment needs no code change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULTS = {
    "OSRM_TIMEOUT": "10",
    "DISPATCH_CIRCUITY": "1.35",
    "DISPATCH_SPEED_KMH": "28",
    "DISPATCH_QUEUE": "thread",
    "DISPATCH_QUEUE_NAME": "dispatch",
    # Seconds the engine may take when a coordinator plans a day from the board.
    "DISPATCH_TIME_LIMIT": "10",
}


class Settings(Mapping):
    """A read-only view of one config mapping with the environment and defaults behind it."""

    def __init__(self, config: Mapping):
        self.config = config

    def __getitem__(self, name: str):
        value = self.config.get(name)
        if value is None:
            value = os.environ.get(name, DEFAULTS.get(name))
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self):
        return iter(DEFAULTS)

    def __len__(self) -> int:
        return len(DEFAULTS)
