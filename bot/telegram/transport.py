"""HTTP transport to the Bot API that retries what is safe to retry.

PTB turns a 5xx answer or a dropped connection into ``NetworkError`` and gives up; the
AIORateLimiter only retries 429. Here a request that certainly did not take effect (a 5xx
status, a refused or reset connection, a connect timeout) is retried with exponential
backoff. Read timeouts are not retried: the request may have been delivered, and a duplicate
message in a group is worse than a logged error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest plus ``attempts`` tries with backoff ``base_delay * 2**n`` (capped), all
    within ``budget_seconds`` from the first try (start-up included: PTB's own bootstrap
    retries are off, so this is the only retry loop and its log lines say what, where and
    attempt k of n)."""

    def __init__(
        self,
        *args: Any,
        attempts: int = 5,
        base_delay: float = 1.0,
        budget_seconds: float = 15.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.attempts = max(1, attempts)
        self.base_delay = base_delay
        self.budget_seconds = budget_seconds

    def _delay(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt`` (1-based)."""
        return min(8.0, self.base_delay * 2 ** (attempt - 1))

    def planned_attempts(self) -> int:
        """How many tries fit in the budget when each fails at once. Slow failures (connect
        timeouts) end the sequence earlier: no new try starts once the budget has passed."""
        planned, waited = 1, 0.0
        while planned < self.attempts and waited + self._delay(planned) <= self.budget_seconds:
            waited += self._delay(planned)
            planned += 1
        return planned

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        parts = urlsplit(url)
        where = f"{parts.scheme}://{parts.netloc}"  # never the path: it holds the token
        started = time.monotonic()
        planned = self.planned_attempts()
        for attempt in range(1, planned + 1):
            delay = self._delay(attempt)
            last = attempt == planned or time.monotonic() - started > self.budget_seconds
            try:
                code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except NetworkError as exc:
                if last or not _not_delivered(exc):
                    raise
                failure = f"failed ({type(exc.__cause__).__name__})"
            else:
                if code < 500 or last:
                    return code, payload
                failure = f"answered {code}"
            log.warning(
                "Bot API %s at %s %s: attempt %d of %d, retrying in %.0f s",
                endpoint,
                where,
                failure,
                attempt,
                planned,
                delay,
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _not_delivered(exc: NetworkError) -> bool:
    """True when the server cannot have acted on the request."""
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout)
    return isinstance(
        cause, httpx.ConnectError | httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError
    )
