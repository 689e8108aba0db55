# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""k8s/retry.py: the one retry policy (429/5xx/reset/timeout) and the per-cluster deadline."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.retry import (
    MAX_RETRY_AFTER,
    Deadline,
    RetryPolicy,
    parse_retry_after,
    retryable_status,
)


class Clock(object):
    def __init__(self):
        self.now = 50.0

    def __call__(self):
        return self.now


def upper(low, high):
    return high


def lower(low, high):
    return low


def test_backoff_doubles_within_the_jitter_band_up_to_the_maximum():
    assert [RetryPolicy(retries=6, backoff=0.5, max_backoff=4.0, jitter=upper).delay(a) for a in range(6)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        4.0,
        4.0,
    ]
    assert [RetryPolicy(retries=3, backoff=0.5, jitter=lower).delay(a) for a in range(3)] == [0.25, 0.5, 1.0]


def test_attempts_are_counted_and_zero_retries_never_waits():
    policy = RetryPolicy(retries=2, jitter=upper)
    assert policy.delay(0) is not None and policy.delay(1) is not None
    assert policy.delay(2) is None
    assert RetryPolicy(retries=0).delay(0) is None
    assert RetryPolicy(retries=-3).retries == 0


def test_retry_after_is_honoured_and_capped():
    policy = RetryPolicy(retries=3, jitter=upper)
    assert policy.delay(0, retry_after=2.0) == 2.0
    assert policy.delay(0, retry_after=0.0) == 0.0
    assert policy.delay(0, retry_after=86400.0) == MAX_RETRY_AFTER == 30.0
    assert RetryPolicy(retries=3, max_retry_after=5.0).delay(1, retry_after=9.0) == 5.0


def test_no_wait_reaches_the_deadline():
    clock = Clock()
    deadline = Deadline(10.0, clock=clock)
    policy = RetryPolicy(retries=5, backoff=1.0, jitter=upper)
    assert policy.delay(0, deadline=deadline) == 1.0
    clock.now += 9.0  # 1 s left
    assert policy.delay(0, deadline=deadline) is None  # a 1 s wait would end at the deadline
    assert policy.delay(0, retry_after=0.5, deadline=deadline) == 0.5
    assert policy.delay(0, retry_after=2.0, deadline=deadline) is None


def test_deadline_remaining_timeout_and_none():
    clock = Clock()
    deadline = Deadline(4.0, clock=clock)
    assert deadline.remaining() == 4.0 and not deadline.expired()
    assert deadline.timeout(30.0) == 4.0 and deadline.timeout(1.0) == 1.0
    clock.now += 5.0
    assert deadline.remaining() == 0.0 and deadline.expired()
    assert deadline.timeout(30.0) == 0.001  # never 0: urllib3 would read 0 as "no timeout" in places
    for unbounded in (Deadline(None, clock=clock), Deadline(0, clock=clock)):
        assert unbounded.remaining() is None and not unbounded.expired() and unbounded.timeout(7.0) == 7.0


@pytest.mark.parametrize(
    "status, retry", [(429, True), (500, True), (502, True), (503, True), (504, True), (507, True), (403, False)]
)
def test_retryable_statuses(status, retry):
    assert retryable_status(status) is retry


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", 0.0),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value) == seconds
