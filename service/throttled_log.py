"""Warnings that a client can cause as often as it likes (refusals: 401, 413, 429...), logged at
most a few times a second, so a flood of refused requests cannot flood the log.

What is left out is counted and said with the next warning that gets through. Each refused
request still has its line in the request log (:mod:`service.request_log`) at INFO.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

PER_SECOND = 5
"""Warnings logged per second, across every client and path."""


class ThrottledWarnings:
    """Logs ``logger.warning`` calls at most ``per_second`` times a second (a token bucket)."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        per_second: float = PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.per_second = per_second
        self.clock = clock
        self._tokens = per_second
        self._last = clock()
        self._dropped = 0
        self._lock = threading.Lock()

    def warning(self, message: str, *args: object) -> None:
        with self._lock:
            now = self.clock()
            self._tokens = min(self.per_second, self._tokens + (now - self._last) * self.per_second)
            self._last = now
            if self._tokens < 1:
                self._dropped += 1
                return
            self._tokens -= 1
            dropped, self._dropped = self._dropped, 0
        if dropped:
            self.logger.warning(message + " (and %d similar warnings not logged)", *args, dropped)
        else:
            self.logger.warning(message, *args)

    @property
    def dropped(self) -> int:
        """Warnings left out since the last one logged."""
        return self._dropped
