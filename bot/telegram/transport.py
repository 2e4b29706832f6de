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
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest plus ``attempts`` tries with backoff ``base_delay * 2**n`` (capped)."""

    def __init__(
        self, *args: Any, attempts: int = 4, base_delay: float = 0.5, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.attempts = max(1, attempts)
        self.base_delay = base_delay

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            try:
                code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except NetworkError as exc:
                if last or not _not_delivered(exc):
                    raise
                log.warning(
                    "Bot API %s failed (%s); retrying", endpoint, type(exc.__cause__).__name__
                )
            else:
                if code < 500 or last:
                    return code, payload
                log.warning("Bot API %s answered %s; retrying", endpoint, code)
            await asyncio.sleep(min(8.0, self.base_delay * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover


def _not_delivered(exc: NetworkError) -> bool:
    """True when the server cannot have acted on the request."""
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout)
    return isinstance(
        cause, httpx.ConnectError | httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError
    )
