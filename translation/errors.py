"""Errors the pipeline raises on purpose, each with a user-facing message and a CLI exit code."""

from __future__ import annotations

from typing import Literal, get_args


class BriefbotError(Exception):
    """Base of every expected failure: the message is safe to show to a user."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(BriefbotError):
    """The input is empty, binary, too large, or otherwise unusable."""

    exit_code = 2
    kind = "input"


class BinaryInputError(InputError):
    """The input is binary data (an image, an archive…), not text."""


class NoTextError(InputError):
    """Nothing is left to summarize once the input is cleaned (empty file, only boilerplate)."""


class LimitExceededError(InputError):
    """The input exceeds a documented limit; ``limit`` names which one."""

    kind = "limit"

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class LanguageUncertainError(InputError):
    """The source language could not be determined with enough confidence."""

    kind = "language"


class ModelMissingError(BriefbotError):
    """No installed package (direct or through the pivot) covers a requested language pair."""

    exit_code = 3
    kind = "model"

    def __init__(
        self, message: str, source: str = "", target: str = "", needed: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.source = source
        self.target = target
        self.needed = needed


class ModelLoadError(BriefbotError):
    """An installed package is corrupt or cannot be loaded."""

    exit_code = 3
    kind = "model-load"


FetchReason = Literal[
    "not_found",  # status
    "forbidden",  # status
    "rate_limited",  # status
    "server_error",  # status
    "http_error",  # status
    "too_many_redirects",  # limit
    "invalid_url",
    "scheme",
    "blocked",  # private/reserved address, blocked port, credentials, local socket
    "port",  # port, host: a public host on a port that is not a web port
    "not_a_page",  # content_type (may be empty)
    "binary",
    "too_large",  # max_bytes
    "timeout",  # seconds
    "too_slow",  # rate (bytes per second)
    "dns",  # host
    "connect",  # host
    "connection",  # host
    "compression",
]
# Every reason a fetch failure can carry: the bot keeps a translated template for each.
FETCH_REASONS: tuple[FetchReason, ...] = get_args(FetchReason)


class FetchError(BriefbotError):
    """A URL could not be fetched or was refused by the fetch policy.

    ``message`` is the English line the CLI prints; ``reason`` (one of FETCH_REASONS, or empty
    for callers that have none) and the raw ``details`` its message uses let the bot tell the
    same thing in the user's language.
    """

    exit_code = 4
    kind = "fetch"

    def __init__(
        self, message: str, reason: FetchReason | Literal[""] = "", **details: str
    ) -> None:
        super().__init__(message)
        self.reason: str = reason
        self.details: dict[str, str] = details
