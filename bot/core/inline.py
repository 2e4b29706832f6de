"""Inline mode's rules (``@bot <link>`` in any chat), platform-neutral.

An inline query must be answered within Telegram's few seconds, so it never does the work: a
summary already in the results cache is offered at once; otherwise the link is parked under a
short token and offered as "Summarizing…" placeholders (one per language) and a deep link
(``/start <token>`` in the private chat, a normal request). A chosen placeholder becomes a
durable job (``choose``, ``bot.core.inline_jobs``: the same limits, queue and cache as a
request, a worker's in the scaled mode) whose answer is the edit of its inline message. Queries
with a link count against the user's rate limit, and links to private networks are refused
before anything else happens (the fetcher's own guard stays the final word).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.core.errors import StorageError
from bot.core.inline_jobs import InlineJobs, edit_expired
from bot.core.ports import ChatPort
from bot.core.requests import Destination, InlineRequest, Source
from bot.core.service import BriefService, Refused
from bot.core.views import RefusalReason, SummaryView
from translation import BriefbotError, find_urls
from translation.web.netguard import (
    IPAddress,
    Resolver,
    parse_ip_host,
    refusal_reason,
    system_resolver,
)

log = logging.getLogger(__name__)

#: Deep-link payloads: ``s_`` and a source's content key (Telegram allows [A-Za-z0-9_-]{1,64}).
START_PREFIX = "s_"
START_PAYLOAD = re.compile(r"s_[0-9a-f]{16}")
#: Inline result ids of "Summarizing…" placeholders: ``p_<token>_<language>``.
PLACEHOLDER_ID = re.compile(r"p_([0-9a-f]{16})_([a-z]{2,3})")
#: A host name that does not resolve this fast is left to the fetcher's guard.
RESOLVE_TIMEOUT_SECONDS = 2.0

OfferKind = Literal["help", "cached", "start", "blocked", "refused"]


@dataclass(frozen=True)
class InlineOffer:
    """What an inline query gets: ``cached`` (``view``), ``start`` (``payload`` for the deep
    link, placeholders for ``url`` in ``languages``), ``blocked`` (a private-network link),
    ``refused`` (``reason``), ``help`` (no link)."""

    kind: OfferKind
    view: SummaryView | None = None
    payload: str | None = None
    reason: RefusalReason | None = None
    url: str = ""
    languages: tuple[str, ...] = ()

    def placeholder_id(self, language: str) -> str:
        """The result id of the "Summarizing…" placeholder in ``language``."""
        return f"p_{(self.payload or '')[len(START_PREFIX) :]}_{language}"


async def private_address(url: str, resolve: Resolver = system_resolver) -> str | None:
    """Why ``url`` points into a private network ("a loopback address"), or None (public, or
    unknown within RESOLVE_TIMEOUT_SECONDS: the fetcher decides then)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = parse_ip_host(host)
    addresses: list[IPAddress] = [literal] if literal is not None else []
    if literal is None and host:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                addresses = list(await resolve(host, port))
        except (BriefbotError, TimeoutError, ValueError, OSError):
            return None
    for address in addresses:
        reason = refusal_reason(address)
        if reason is not None:
            return reason
    return None


class InlineLinks:
    """Inline queries and their deep links on top of the service (its limits and cache)."""

    def __init__(self, service: BriefService, resolve: Resolver = system_resolver) -> None:
        self._service = service
        self._resolve = resolve

    async def offer(self, user_id: int, query: str, ui: str) -> InlineOffer:
        urls = find_urls(query)
        if not urls:
            return InlineOffer("help")
        try:  # the user's private chat is the "chat" an inline query comes from
            await self._check_rate(user_id)
        except Refused as exc:
            return InlineOffer("refused", reason=exc.reason)
        except StorageError as exc:
            log.error("Could not count an inline query: %s", exc.message)
            return InlineOffer("help")
        url = urls[0]
        if not self._service.config.fetch.allow_private_networks:
            refusal = await private_address(url, self._resolve)
            if refusal is not None:
                log.info("Inline query with a link to %s refused", refusal)
                return InlineOffer("blocked")
        source = Source("url", url)
        view = await self._service.cached_summary(user_id, source, ui)
        if view is not None:
            return InlineOffer("cached", view=view)
        token = source.content_key()
        try:
            await self._service.storage.cache.put(_start_key(token), {"url": url})
        except StorageError as exc:
            log.error("Could not park an inline link: %s", exc.message)
            return InlineOffer("help")
        languages = (await self._service.settings(user_id)).target_languages
        return InlineOffer("start", payload=START_PREFIX + token, url=url, languages=languages)

    async def _check_rate(self, user_id: int) -> None:
        """The user's rate limit: the shared counters in the scaled mode (all ingresses
        count), this process's limiter otherwise."""
        intake = self._service.intake
        if intake is None:
            self._service.check_rate(user_id, user_id)
        else:
            await intake.rate_limit(user_id, user_id)

    async def choose(
        self, user_id: int, result_id: str, inline_message_id: str, ui: str, chat: ChatPort
    ) -> None:
        """A chosen placeholder (``result_id``) posted as ``inline_message_id``: a durable job
        (``bot.core.inline_jobs``) that edits that message into the summary, admitted like a
        request (rate limits, bounded queue; queued for a worker in the scaled mode); an
        unknown or expired link says so in the message at once."""
        match = PLACEHOLDER_ID.fullmatch(result_id)
        if match is None:
            return
        language = match.group(2)
        source = await self.redeem(START_PREFIX + match.group(1))
        if source is None:
            await edit_expired(chat, inline_message_id, language, ui)
            return
        request = InlineRequest(
            Destination(user_id, None, user_id), source, inline_message_id, language, ui
        )
        await InlineJobs(self._service).start(request, chat)

    async def redeem(self, payload: str) -> Source | None:
        """The link behind a deep-link payload, or None (unknown, malformed or expired)."""
        if not START_PAYLOAD.fullmatch(payload):
            return None
        parked = await self._service.storage.cache.get(_start_key(payload[len(START_PREFIX) :]))
        url = parked.get("url") if parked else None
        return Source("url", url) if isinstance(url, str) else None


def _start_key(token: str) -> str:
    return f"inline-start:{token}"
