"""The admin home as a workbench: panels contributed by each installed app.

An app contributes panels with a module ``<app>.dashboard`` defining
``panels(request, now) -> list[Panel]`` (discovered like ``seed_demo``
discovers ``<app>.demo``), so ``config`` imports no app's models and
``orders`` never imports ``tickets`` or ``penalties``.

Rules for panel authors:
- build only what the user will see: start with ``if not shows(request, REVIEWER): return []``;
- a queue count is a ``COUNT`` over a small filtered set served by an index
  (a partial index matching the filter), never over a whole big table;
- every count links to the admin changelist filtered to exactly those rows
  (``changelist_url("orders", "refund", route__exact="alternative")``);
- charts: ``config.charts.daily_series`` + ``bar_chart_svg`` (last 30 days).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import ModuleType
from urllib.parse import urlencode

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .api import REVIEWER_GROUP, SUPPORT_GROUP, in_group
from .charts import Series, bar_chart_svg, figure

log = logging.getLogger(__name__)

REVIEWER = REVIEWER_GROUP
SUPPORT = SUPPORT_GROUP


@dataclass
class Queue:
    """One count on the workbench: "12 pending cancellations" → filtered list."""

    label: str
    count: int
    url: str | None = None
    tone: str = "normal"  # normal | warn | danger: how urgent a non-zero count is
    hint: str = ""  # e.g. "oldest waiting 3 h"

    @property
    def css_tone(self) -> str:
        return self.tone if self.count else "calm"


@dataclass
class Progress:
    """Long work under way: "1,200 of 48,000 rows" with a bar."""

    label: str
    done: int
    total: int
    url: str | None = None
    status: str = ""

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.done / self.total)) if self.total else 0


@dataclass
class Chart:
    label: str
    svg: SafeString
    total: str = ""
    today: str = ""
    empty: str = ""  # "nothing in the last 30 days": said instead of an empty grid

    @classmethod
    def daily(cls, label: str, series: Series, *, unit: str = "", tone: str = "primary", money: bool = False) -> Chart:
        """A bar chart of ``series`` ([(day, value)], oldest first, today last)
        with the figures read first, with their unit (「12 次」, ``¥1,940.00``):
        today's value and the window's total. A window with nothing in it says
        so instead of drawing an empty grid."""
        total = sum((value for _, value in series), start=0)
        today = series[-1][1] if series else 0
        empty = (
            ""
            if any(value for _, value in series)
            else gettext("None in the last %(days)s days.") % {"days": len(series)}
        )
        return cls(
            label=label,
            svg=bar_chart_svg(series, label=label, unit=unit, tone=tone, money=money),
            total=figure(total, unit=unit, money=money),
            today=figure(today, unit=unit, money=money),
            empty=empty,
        )


@dataclass
class Panel:
    """A card on the admin home. ``roles``: groups that see it (superusers see all)."""

    key: str
    title: str
    roles: tuple[str, ...] = ()
    queues: list[Queue] = field(default_factory=list)
    chart: Chart | None = None
    progress: list[Progress] = field(default_factory=list)
    order: int = 100
    note: str = ""
    error: bool = False

    def visible_to(self, user) -> bool:
        return shows_user(user, *self.roles)


def shows_user(user, *roles: str) -> bool:
    if not (user and user.is_authenticated and user.is_staff):
        return False
    if user.is_superuser or not roles:
        return True
    return any(in_group(user, role) for role in roles)


def shows(request, *roles: str) -> bool:
    """Whether the requesting user is in one of ``roles`` (or is a superuser)."""
    return shows_user(request.user, *roles)


def changelist_url(app_label: str, model_name: str, **filters) -> str | None:
    """The admin list of ``app_label.model_name`` filtered by ``filters``
    (``None`` if that model has no admin yet, so a panel still shows its count)."""
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(filters)}" if filters else url


@cache
def _dashboard_module(app_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{app_name}.dashboard")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_name}.dashboard":
            raise
        return None


def collect_panels(request, now: datetime) -> list[Panel]:
    """Every installed app's panels the user may see, in ``order``.

    A panel that fails is logged and shown as an error card: one broken panel
    must not take the reviewers' home page down with it.
    """
    found: list[Panel] = []
    for config in apps.get_app_configs():
        module = _dashboard_module(config.name)
        if module is None or not hasattr(module, "panels"):
            continue
        try:
            panels = list(module.panels(request, now))
        except Exception:
            log.exception("dashboard panels of %s failed", config.label)
            panels = [Panel(key=f"{config.label}-error", title=str(config.verbose_name), error=True, order=10_000)]
        found.extend(p for p in panels if p.error or p.visible_to(request.user))
    return sorted(found, key=lambda p: (p.order, p.key))


ERROR_TEXT = _("This panel could not be loaded; the error was logged.")
