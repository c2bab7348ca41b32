"""Platform defaults (shared/RULES.md) read from ``settings.PLATFORM``: the
one place every number lives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")


def rule(name: str):
    return settings.PLATFORM[name]


def money(name: str) -> Decimal:
    return Decimal(str(settings.PLATFORM[name]))


def business_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware datetime."""
    return moment.astimezone(PLATFORM_TZ).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of an Asia/Shanghai calendar day, as aware datetimes."""
    start = datetime(day.year, day.month, day.day, tzinfo=PLATFORM_TZ)
    return start, start + timedelta(days=1)
