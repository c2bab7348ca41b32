"""Charts for the admin workbench, drawn server-side as inline SVG.

No JavaScript and no CDN: a chart is a small ``<svg>`` a person reads at a
glance (one bar per day, gridlines at 0, half and max, a date every week, a
tooltip per bar). Colours come from the admin's CSS variables, so dark mode
works. Pure Python apart from ``daily_series``, which groups any queryset by
Asia/Shanghai day (``config`` knows no app's models: apps pass their querysets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

Number = int | float | Decimal
Series = Sequence[tuple[date, Number]]

DEFAULT_DAYS = 30


def platform_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def last_days(now: datetime, days: int = DEFAULT_DAYS) -> list[date]:
    """The ``days`` platform-time calendar days ending with today, oldest first."""
    today = now.astimezone(platform_tz()).date()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def window_start(now: datetime, days: int = DEFAULT_DAYS) -> datetime:
    """Start (aware) of the first of the last ``days`` platform-time days."""
    first = last_days(now, days)[0]
    return datetime(first.year, first.month, first.day, tzinfo=platform_tz())


def daily_series(
    queryset: QuerySet,
    field: str,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    total: str | None = None,
) -> list[tuple[date, Number]]:
    """Rows of ``queryset`` per platform-time day of ``field`` over the last
    ``days`` days (zero-filled): a count, or the sum of ``total`` if given.

    One grouped query, bounded below by the window start so an index on
    ``field`` (or a partial one matching the queryset's filter) does the work.
    """
    tz = platform_tz()
    value = Sum(total) if total else Count("pk")
    rows = (
        queryset.filter(**{f"{field}__gte": window_start(now, days), f"{field}__lte": now})
        .annotate(wb_day=TruncDate(field, tzinfo=tz))
        .order_by()
        .values("wb_day")
        .annotate(wb_value=value)
        .values_list("wb_day", "wb_value")
    )
    found = {day: (amount or 0) for day, amount in rows}
    return [(day, found.get(day, 0)) for day in last_days(now, days)]


@dataclass(frozen=True)
class _Layout:
    width: int = 640
    height: int = 170
    left: int = 34  # room for the y labels
    right: int = 6
    top: int = 8
    bottom: int = 22  # room for the x labels


def _nice_max(value: float) -> float:
    """Round the axis top up to 1, 2 or 5 × a power of ten (so labels read well)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover


def _axis_tick(value: float, money: bool) -> str:
    """An axis label: short (``¥10``, ``¥2.50``, ``12``), the unit said once beside the figures."""
    text = fmt_number(Decimal(str(value)) if not float(value).is_integer() else int(value))
    return f"¥{text}" if money else text


def fmt_number(value: Number) -> str:
    if isinstance(value, Decimal | float) and value != int(value):
        return f"{value:,.2f}"
    return f"{int(value):,}"


def fmt_money(value: Number) -> str:
    """``¥1,940.00`` (the labels' money format; ``config.labels`` imports nothing of ours)."""
    amount = Decimal(str(value))
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


def figure(value: Number, *, unit: str = "", money: bool = False) -> str:
    """A chart's figure as read: ``¥1,940.00`` for money, ``12 次`` / ``12 judgements`` for a count."""
    if money:
        return fmt_money(value)
    text = fmt_number(value)
    return _("%(value)s %(unit)s") % {"value": text, "unit": unit} if unit else text


def bar_chart_svg(
    series: Series, *, label: str, unit: str = "", tone: str = "primary", money: bool = False
) -> SafeString:
    """A daily bar chart of ``series`` ([(day, value)], oldest first) as inline SVG.

    ``label`` names the chart for screen readers; ``unit`` is what a count
    counts (「次」, "judgements"), shown with every figure and tooltip;
    ``money`` shows amounts as ``¥1,940.00`` (the axis as ``¥10``); ``tone``
    picks the bar colour class (``primary``, ``warn``, ``danger``). Values may
    be int or Decimal.
    """
    box = _Layout()
    values = [float(v) for _, v in series]
    top_value = _nice_max(max(values, default=0))
    plot_w = box.width - box.left - box.right
    plot_h = box.height - box.top - box.bottom
    slot = plot_w / max(len(series), 1)
    bar_w = max(slot * 0.72, 1)
    base_y = box.top + plot_h

    total = sum((v for _, v in series), start=0)
    summary = _("%(label)s: %(total)s in %(days)s days") % {
        "label": label,
        "total": figure(total, unit=unit, money=money),
        "days": len(series),
    }
    parts = [
        f'<svg class="wb-chart wb-{escape(tone)}" viewBox="0 0 {box.width} {box.height}" '
        f'role="img" aria-label="{escape(summary)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(summary)}</title>",
    ]
    integral = all(float(v).is_integer() for v in values)
    for fraction in (0, 0.5, 1):
        if integral and not (top_value * fraction).is_integer():
            continue  # counts: no "2.50" tick
        y = base_y - plot_h * fraction
        parts.append(f'<line class="wb-grid" x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="wb-axis" x="{box.left - 4}" y="{y + 3:.1f}" text-anchor="end">'
            f"{escape(_axis_tick(top_value * fraction, money))}</text>"
        )
    for index, (day, value) in enumerate(series):
        height = plot_h * float(value) / top_value if top_value else 0
        x = box.left + index * slot + (slot - bar_w) / 2
        tip = f"{day.isoformat()}: {figure(value, unit=unit, money=money)}"
        parts.append(
            f'<rect class="wb-bar" x="{x:.1f}" y="{base_y - height:.1f}" width="{bar_w:.1f}" '
            f'height="{max(height, 0):.1f}" data-day="{day.isoformat()}" data-value="{escape(fmt_number(value))}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        last = index == len(series) - 1
        if last or (len(series) - 1 - index) % 7 == 0 and index > 2:
            anchor = "end" if last else "middle"
            tx = x + bar_w if last else x + bar_w / 2
            parts.append(
                f'<text class="wb-axis" x="{tx:.1f}" y="{box.height - 6}" text-anchor="{anchor}">'
                f"{day.month:02d}-{day.day:02d}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated text is escaped above
