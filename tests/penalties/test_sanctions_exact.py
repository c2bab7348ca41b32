"""P5 exactly (issue 13, mutation testing of ``sanctions.py``): each
sanction's transition, record and merchant notice to the letter, and each
refusal's code, status and message, at the service the admin actions call
row by row (``shop_sanction``, ``shop_suspend``, ``shop_clear``, ``shop_lift``)."""

import pytest

from orders.models import Notification, Shop
from penalties.errors import PenaltyError
from penalties.models import ShopSanction
from penalties.services import shop_clear, shop_lift, shop_sanction, shop_suspend

from .conftest import sh

pytestmark = pytest.mark.django_db

NOW = sh(2026, 3, 9, 15, 30)


def refusal(call, **kwargs):
    with pytest.raises(PenaltyError) as refused:
        call(**kwargs)
    return refused.value.code, refused.value.status, refused.value.detail


def test_p5_suspend_lift_clear_exact_records_and_notices(shop_a, reviewer):
    """Suspend, lift, then clear: the shop walks active → suspended → active
    → cleared; each sanction records its action, stripped reason, reviewer
    and time; each writes one notice to the shop naming the sanction and the
    transition, with the reason as its body."""
    done = [
        (shop_suspend, "suspend", "  连续 5 天未发货  ", "active", "suspended", "Your shop is suspended"),
        (shop_lift, "lift", "已整改", "suspended", "active", "Your shop's suspension is lifted"),
        (shop_clear, "clear", "屡次违规", "active", "cleared", "Your shop is cleared from the platform"),
    ]
    for call, action, reason, before, after, title in done:
        shop_a.refresh_from_db()
        assert shop_a.status == before
        sanction = call(shop=shop_a, by=reviewer, reason=reason, now=NOW)
        shop_a.refresh_from_db()
        assert shop_a.status == after
        sanction = ShopSanction.objects.get(pk=sanction.pk)
        assert (sanction.shop_id, sanction.action, sanction.reason, sanction.by, sanction.created_at) == (
            shop_a.pk,
            action,
            reason.strip(),
            reviewer,
            NOW,
        )
        notice = Notification.objects.get(kind=f"shop_{action}")
        assert (notice.shop_id, notice.title, notice.body, notice.data, notice.dedupe_key) == (
            shop_a.pk,
            title,
            reason.strip(),
            {"sanction_id": sanction.pk, "from": before, "to": after},
            f"p5:{sanction.pk}",
        )


@pytest.mark.parametrize(
    "status, action, allowed",
    [
        ("active", "suspend", True),
        ("suspended", "suspend", False),
        ("cleared", "suspend", False),
        ("active", "clear", True),
        ("suspended", "clear", True),
        ("cleared", "clear", False),
        ("active", "lift", False),
        ("suspended", "lift", True),
        ("cleared", "lift", False),
    ],
)
def test_p5_each_sanction_only_from_its_statuses(shop_a, reviewer, status, action, allowed):
    """Suspend only an active shop, clear an active or suspended one, lift
    only a suspension; otherwise 409 ``sanction_not_allowed`` naming the
    action and the status by their labels, and nothing is written."""
    Shop.objects.filter(pk=shop_a.pk).update(status=status)
    if allowed:
        shop_sanction(shop=shop_a, action=action, by=reviewer, reason="r", now=NOW)
        assert ShopSanction.objects.filter(shop=shop_a, action=action).count() == 1
        return
    assert refusal(shop_sanction, shop=shop_a, action=action, by=reviewer, reason="r", now=NOW) == (
        "sanction_not_allowed",
        409,
        f"Cannot {ShopSanction.Action(action).label} a shop that is {Shop.Status(status).label}.",
    )
    shop_a.refresh_from_db()
    assert shop_a.status == status
    assert not ShopSanction.objects.exists() and not Notification.objects.exists()


def test_p5_reason_required_and_unknown_sanction_refused_with_400(shop_a, reviewer):
    """A blank or missing reason is 400 ``reason_required``; an unknown
    action is 400 ``invalid_action``; neither changes the shop."""
    for reason in ["", "   ", None]:
        assert refusal(shop_suspend, shop=shop_a, by=reviewer, reason=reason, now=NOW) == (
            "reason_required",
            400,
            "A reason is required.",
        )
    assert refusal(shop_sanction, shop=shop_a, action="ban", by=reviewer, reason="r", now=NOW) == (
        "invalid_action",
        400,
        "Unknown sanction.",
    )
    shop_a.refresh_from_db()
    assert shop_a.status == "active" and not ShopSanction.objects.exists()


def test_p5_notice_title_in_the_language_active_when_it_is_written(shop_a, shop_b, reviewer):
    """The title is translated when the notice is written (a bug fixed here:
    it was translated once at import time, in whatever language was active
    then, so an English request still wrote the import's language)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        shop_suspend(shop=shop_a, by=reviewer, reason="r", now=NOW)
    with translation.override("en"):
        shop_suspend(shop=shop_b, by=reviewer, reason="r", now=NOW)
    titles = dict(Notification.objects.filter(kind="shop_suspend").values_list("shop_id", "title"))
    assert titles == {shop_a.pk: "您的店铺已被停业", shop_b.pk: "Your shop is suspended"}
