"""V2 on the workbench: appeals waiting for a reviewer, the oldest's age, and
how many are past the 48 h review target (counts over the partial index of
pending appeals)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from config.workbench import REVIEWER, Panel, Queue, changelist_url

from .selectors import appeal_queue


def appeal_panels(now: datetime) -> list[Panel]:
    queue = appeal_queue()
    waiting = queue.count()
    oldest = queue.values_list("created_at", flat=True).first()
    overdue = queue.filter(review_due_at__lt=now).count()
    hint = ""
    if oldest is not None:
        hint = _("oldest waiting %(hours)d h") % {"hours": int((now - oldest).total_seconds() // 3600)}
    return [
        Panel(
            key="penalties-appeals",
            title=_("Appeals"),
            roles=(REVIEWER,),
            order=16,
            queues=[
                Queue(
                    label=_("appeals waiting for review"),
                    count=waiting,
                    url=changelist_url("penalties", "appeal", status__exact="pending_review"),
                    tone="warn",
                    hint=hint,
                ),
                Queue(
                    label=_("appeals past the 48 h review target"),
                    count=overdue,
                    url=changelist_url("penalties", "appeal", review="overdue"),
                    tone="danger",
                ),
            ],
        )
    ]
