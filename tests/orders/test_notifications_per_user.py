"""Notification read state is per user (issue 13, point 7): a shop's
notification reaches every member, and one member marking it read never
hides it from a colleague. Through the API and the admin."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from orders.models import NotificationRead
from orders.policy import PLATFORM_TZ
from orders.services import notification_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 2, 10, 0, tzinfo=PLATFORM_TZ)
URL = "/api/v1/notifications/"


@pytest.fixture
def colleague(shop_a):
    """A second member of shop A (``merchant`` is the first)."""
    user = UserFactory(username="colleague")
    MembershipFactory(user=user, shop=shop_a)
    return user


def unread_ids(client) -> list[int]:
    return [r["id"] for r in client.get(f"{URL}?unread=true").json()["results"]]


def test_p6_one_member_marking_read_does_not_hide_it_from_colleagues(api, merchant, colleague, shop_a):
    """Each member has their own read state: after the merchant marks a
    notification read it is gone from the merchant's unread list only; the
    colleague still sees it unread (``read_at`` null for them) until they
    mark it read themselves."""
    note = notification_create(shop=shop_a, kind="x", title="hello")
    mine, theirs = api(merchant), api(colleague)
    assert unread_ids(mine) == [note.pk] and unread_ids(theirs) == [note.pk]

    with time_machine.travel(T, tick=False):
        answer = mine.post(f"{URL}{note.pk}/read/")
    assert answer.status_code == 200 and answer.json()["read_at"] is not None
    assert unread_ids(mine) == []
    assert unread_ids(theirs) == [note.pk]
    row = theirs.get(URL).json()["results"][0]
    assert row["id"] == note.pk and row["read_at"] is None
    assert [r["id"] for r in mine.get(f"{URL}?unread=false").json()["results"]] == [note.pk]

    with time_machine.travel(T + timedelta(hours=1), tick=False):
        assert theirs.post(f"{URL}{note.pk}/read/").status_code == 200
    assert unread_ids(theirs) == []
    reads = dict(NotificationRead.objects.values_list("user__username", "read_at"))
    assert reads == {"merchant": T, "colleague": T + timedelta(hours=1)}


def test_p6_marking_read_twice_keeps_the_first_time(api, merchant, shop_a):
    """Marking read is once per user: a second call answers the first ``read_at``."""
    note = notification_create(shop=shop_a, kind="x", title="hello")
    client = api(merchant)
    with time_machine.travel(T, tick=False):
        first = client.post(f"{URL}{note.pk}/read/").json()["read_at"]
    with time_machine.travel(T + timedelta(days=1), tick=False):
        again = client.post(f"{URL}{note.pk}/read/").json()["read_at"]
    assert first == again
    assert NotificationRead.objects.count() == 1


def test_p6_another_shops_notification_cannot_be_marked_read(api, merchant2, shop_a, merchant):
    """Another shop's notification answers 404 (like a missing one) and records no read."""
    note = notification_create(shop=shop_a, kind="x", title="hello")
    assert api(merchant2).post(f"{URL}{note.pk}/read/").status_code == 404
    assert not NotificationRead.objects.exists()
    assert unread_ids(api(merchant)) == [note.pk]


def test_p6_admin_shows_who_has_read_a_notification(client, reviewer, api, merchant, colleague, shop_a):
    """The admin shows, per notification, how many members read it and who, when."""
    note = notification_create(shop=shop_a, kind="x", title="hello")
    with time_machine.travel(T, tick=False):
        api(merchant).post(f"{URL}{note.pk}/read/")
    client.force_login(reviewer)
    listing = client.get(reverse("admin:orders_notification_changelist")).content.decode()
    assert "1 member(s)" in listing
    page = client.get(reverse("admin:orders_notification_change", args=[note.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "merchant" in html and "colleague" not in html
