"""The retry policy: exponential, capped, bounded by count and total sleep."""

from __future__ import annotations

import pytest

from aisref.client import RetryPolicy


def test_delays_double_and_are_capped() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=2.0)
    assert [policy.delay(i) for i in range(4)] == [0.5, 1.0, 2.0, 2.0]


def test_retries_stop_at_max_retries() -> None:
    policy = RetryPolicy(max_retries=2, budget=100)
    assert [policy.should_retry(i) for i in range(3)] == [True, True, False]


def test_retries_stop_when_total_sleep_would_exceed_budget() -> None:
    policy = RetryPolicy(max_retries=10, budget=1.0, base_delay=0.4, max_delay=10)
    # 0.4 fits; 0.4 + 0.8 does not.
    assert [policy.should_retry(i) for i in range(2)] == [True, False]


def test_zero_retries_never_retries() -> None:
    assert not RetryPolicy(max_retries=0).should_retry(0)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable(status: int) -> None:
    assert RetryPolicy.is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 501])
def test_permanent_statuses_are_not_retryable(status: int) -> None:
    assert not RetryPolicy.is_retryable_status(status)


def test_negative_retries_are_rejected() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        RetryPolicy(max_retries=-1)
