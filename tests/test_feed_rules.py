"""The feed rules that need no I/O: digest hours in a chat's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.feed_records import DigestSchedule
from bot.core.feeds import digest_due, zone

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        ("2026-12-01 06:30", "2026-12-01 07:59", False),
        ("2026-12-01 06:30", "2026-12-01 08:00", True),
        ("2026-12-01 08:00", "2026-12-01 17:59", False),  # 8:00 was this digest's own hour
        ("2026-12-01 08:00", "2026-12-01 18:05", True),
        ("2026-12-01 18:00", "2026-12-02 07:59", False),
        ("2026-03-28 19:00", "2026-03-29 08:00", True),  # across the switch to summer time
    ],
)
def test_a_digest_is_due_once_one_of_its_hours_passed(last: str, now: str, due: bool) -> None:
    schedule = DigestSchedule(1, (8, 18), "Europe/Berlin", at(last))
    assert digest_due(schedule, at(now)) is due


def test_unknown_time_zones_are_refused() -> None:
    assert str(zone("UTC")) == "UTC"
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Mars/Olympus")
    with pytest.raises(ValueError):
        zone("../etc/passwd")
