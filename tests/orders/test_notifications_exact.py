"""Notifications (issue 13, ``SCOPE=notifications``): exactly what one
write stores, "notify once" by key, the batch insert's count (only what it
wrote: a rerun of a job reports 0), and one user's read time per notification."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from orders.models import Notification
from orders.policy import PLATFORM_TZ
from orders.services import notification_create, notification_mark_read, notifications_bulk_create

pytestmark = pytest.mark.django_db
T = datetime(2026, 3, 2, 10, 0, tzinfo=PLATFORM_TZ)


def test_notification_create_stores_exactly_what_it_was_given(shop_a, shop_b):
    plain = notification_create(shop=shop_a, kind="ticket_new", title="新服务单")
    row = Notification.objects.get(pk=plain.pk)
    assert (row.shop_id, row.kind, row.title, row.body, row.data, row.dedupe_key) == (
        shop_a.pk,
        "ticket_new",
        "新服务单",
        "",
        {},
        None,
    )
    by_id = notification_create(shop=shop_b.pk, kind="k", title="t", body="b", data={"n": 1}, dedupe_key="once:1")
    row = Notification.objects.get(pk=by_id.pk)
    assert (row.shop_id, row.body, row.data, row.dedupe_key) == (shop_b.pk, "b", {"n": 1}, "once:1")


def test_notification_create_with_a_key_notifies_once(shop_a):
    first = notification_create(shop=shop_a, kind="k", title="一", dedupe_key="once:2")
    assert first is not None
    assert notification_create(shop=shop_a, kind="k", title="二", dedupe_key="once:2") is None
    assert list(Notification.objects.filter(dedupe_key="once:2").values_list("title", flat=True)) == ["一"]
    assert notification_create(shop=shop_a, kind="k", title="无键") is not None
    assert notification_create(shop=shop_a, kind="k", title="无键") is not None  # no key: every call writes


def test_notifications_bulk_create_counts_only_what_it_wrote(shop_a, shop_b):
    rows = [
        {"shop_id": shop_a.pk, "kind": "k", "title": "a", "dedupe_key": "bulk:a"},
        {"shop_id": shop_b.pk, "kind": "k", "title": "b", "dedupe_key": "bulk:b"},
        {"shop_id": shop_a.pk, "kind": "k", "title": "no key"},
    ]
    assert notifications_bulk_create(rows) == 3
    assert notifications_bulk_create(rows) == 1  # the keyed rows are there: only the unkeyed one is new
    assert Notification.objects.filter(dedupe_key__startswith="bulk:").count() == 2
    assert Notification.objects.filter(title="no key").count() == 2
    assert notifications_bulk_create(rows[:2]) == 0
    assert notifications_bulk_create([]) == 0
    many = [{"shop_id": shop_a.pk, "kind": "k", "title": str(i), "dedupe_key": f"many:{i}"} for i in range(1001)]
    assert notifications_bulk_create(many) == 1001  # more than one insert batch


def test_notification_mark_read_keeps_each_notifications_first_read_time(merchant, shop_a):
    first = notification_create(shop=shop_a, kind="k", title="一")
    second = notification_create(shop=shop_a, kind="k", title="二")
    assert notification_mark_read(notification=first, user=merchant, now=T) == T
    later = T + timedelta(hours=1)
    assert notification_mark_read(notification=second, user=merchant, now=later) == later
    assert notification_mark_read(notification=first, user=merchant, now=later) == T  # once
