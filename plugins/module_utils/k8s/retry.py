# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy of live reads, and the per-cluster deadline it answers to.

Every transient failure — HTTP 429, any 5xx, a reset connection, a read timeout — goes through
`RetryPolicy.delay`: it says how long to wait before the next attempt, or `None` to give up. Giving
up happens when the attempts are spent, or when waiting (a capped `Retry-After`, or the jittered
exponential backoff) would end past the deadline; a wait never outlasts the deadline, and
`Deadline.timeout` shortens each request's timeout to what is left. So a host's live read ends at
the deadline plus at most one request timeout, however the server misbehaves.
"""

from __future__ import annotations

import math
import random
import time
from typing import Callable, Optional

RETRY_STATUS = frozenset((429, 500, 502, 503, 504))
MAX_RETRY_AFTER = 30.0  # a server asking for more is not waited for longer than this


class Deadline(object):
    """The end of a host's live read; `seconds` None or 0 means no overall deadline."""

    def __init__(self, seconds: Optional[float] = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds) if seconds else None
        self.clock = clock
        self.started = clock()

    def remaining(self) -> Optional[float]:
        """Seconds left (never negative), or None without a deadline."""
        if self.seconds is None:
            return None
        return max(0.0, self.started + self.seconds - self.clock())

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0

    def timeout(self, request_timeout: float) -> float:
        """The timeout for the next request: `request_timeout`, shortened to what the deadline leaves."""
        left = self.remaining()
        return request_timeout if left is None else max(0.001, min(request_timeout, left))


def retryable_status(status: int) -> bool:
    return status in RETRY_STATUS or status >= 500


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header (kube-apiserver sends whole seconds; an HTTP date is ignored)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return None if math.isnan(seconds) else max(seconds, 0.0)  # NaN is no answer


class RetryPolicy(object):
    """How often and how long to wait after a transient failure (429, 5xx, reset, read timeout)."""

    def __init__(
        self,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        max_retry_after: float = MAX_RETRY_AFTER,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_retry_after = float(max_retry_after)
        self.jitter = jitter

    def delay(
        self, attempt: int, retry_after: Optional[float] = None, deadline: Optional[Deadline] = None
    ) -> Optional[float]:
        """Seconds to wait before retry `attempt + 1` (attempt 0 is the first request), or None: give up.

        Retry-After is honoured up to `max_retry_after`; otherwise exponential backoff with jitter in
        [half, full] of `backoff * 2**attempt`, at most `max_backoff`. A wait that would reach the
        deadline is not started."""
        if attempt >= self.retries:
            return None
        if retry_after is not None:
            wait = min(retry_after, self.max_retry_after)
        else:
            wait = min(self.max_backoff, self.backoff * (2**attempt)) * self.jitter(0.5, 1.0)
        if deadline is not None:
            left = deadline.remaining()
            if left is not None and wait >= left:
                return None
        return wait
