"""When and how long to wait before retrying a request: a pure, bounded policy."""

from __future__ import annotations

import re
from dataclasses import dataclass

# 429 too many requests, 5xx except 501 "not implemented" (which no retry will fix).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# How AIStore v1.5 words a 400 that is no bad request but a node it could not reach (a target
# killed and not yet out of the cluster map): "dial tcp ...: connection refused" for a
# GetBatch, "connection reset by peer" and the like ...
_NODE_UNREACHABLE = ("connection refused", "connection reset by peer", "dial tcp")
# ... and, for a listing, however the transport failed ("broken pipe", "EOF", "use of closed
# network connection", ...), the proxy quotes Go's HTTP client error for its call to the node:
# 'failed to call t[...] ..., err: Get "http://...": <why>' - never an HTTP status from the
# node: no reply came.
_CALL_GOT_NO_REPLY = re.compile(
    r'failed to call [pt]\[[^\]]*\].*err: (get|put|post|head|delete) \\?"http')


def node_unreachable(status: int, message: str) -> bool:
    """Whether an error reply says a cluster node could not be reached: transient, like a
    5xx, as the node may come back (or leave the map) before the next try."""
    lowered = message.lower()
    return status == 400 and (any(words in lowered for words in _NODE_UNREACHABLE)
                              or _CALL_GOT_NO_REPLY.search(lowered) is not None)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff bounded in count and in total sleep.

    Attributes:
        max_retries: retries after the first attempt.
        budget: most seconds slept over all retries of one request.
        base_delay: seconds before the first retry; doubled each time.
        max_delay: cap on a single sleep, seconds.
    """

    max_retries: int = 3
    budget: float = 30.0
    base_delay: float = 0.2
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.budget < 0:
            raise ValueError(
                f"retries ({self.max_retries}) and retry budget ({self.budget} s) must be >= 0"
            )

    def delay(self, attempt: int) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        return float(min(self.base_delay * (2**attempt), self.max_delay))

    def should_retry(self, attempt: int) -> bool:
        """Whether retry number ``attempt`` (0-based) is allowed by count and budget."""
        if attempt >= self.max_retries:
            return False
        slept = sum(self.delay(i) for i in range(attempt))
        return slept + self.delay(attempt) <= self.budget

    @staticmethod
    def is_retryable_status(status: int) -> bool:
        """429 and transient 5xx."""
        return status in RETRYABLE_STATUSES
