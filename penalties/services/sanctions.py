"""P5: shop sanctions, decided by a reviewer with a reason, never automatic.

Suspending or clearing a shop makes ``order_place`` refuse its new orders
(``shop_not_active``); a reviewer may lift a suspension. A cleared shop stays
cleared.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Shop
from orders.services import notification_create

from ..errors import PenaltyError
from ..models import ShopSanction

S = Shop.Status
A = ShopSanction.Action

# action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    A.SUSPEND: ({S.ACTIVE}, S.SUSPENDED),
    A.CLEAR: ({S.ACTIVE, S.SUSPENDED}, S.CLEARED),
    A.LIFT: ({S.SUSPENDED}, S.ACTIVE),
}

# Lazy: translated when the notice is written (in the active language), not
# once at import time in whatever language was active then.
TITLES = {
    A.SUSPEND: gettext_lazy("Your shop is suspended"),
    A.CLEAR: gettext_lazy("Your shop is cleared from the platform"),
    A.LIFT: gettext_lazy("Your shop's suspension is lifted"),
}


@transaction.atomic
def shop_sanction(*, shop: Shop, action: str, by, reason: str, now: datetime) -> ShopSanction:
    """Rule P5: apply ``action`` to ``shop`` with a reason; notify the merchant."""
    reason = (reason or "").strip()
    if not reason:
        raise PenaltyError("reason_required", _("A reason is required."), status=400)
    if action not in TRANSITIONS:
        raise PenaltyError("invalid_action", _("Unknown sanction."), status=400)
    allowed_from, to_status = TRANSITIONS[action]
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if shop.status not in allowed_from:
        raise PenaltyError(
            "sanction_not_allowed",
            _("Cannot %(action)s a shop that is %(status)s.")
            % {"action": A(action).label, "status": shop.get_status_display()},
        )
    from_status = shop.status
    shop.status = to_status
    shop.save(update_fields=["status"])
    sanction = ShopSanction.objects.create(shop=shop, action=action, reason=reason, by=by, created_at=now)
    notification_create(
        shop=shop,
        kind=f"shop_{action}",
        title=str(TITLES[action]),
        body=reason,
        data={"sanction_id": sanction.pk, "from": from_status, "to": to_status},
        dedupe_key=f"p5:{sanction.pk}",
    )
    return sanction


def shop_suspend(*, shop: Shop, by, reason: str, now: datetime) -> ShopSanction:
    """Rule P5: suspend (停业)."""
    return shop_sanction(shop=shop, action=A.SUSPEND, by=by, reason=reason, now=now)


def shop_clear(*, shop: Shop, by, reason: str, now: datetime) -> ShopSanction:
    """Rule P5: clear (清退)."""
    return shop_sanction(shop=shop, action=A.CLEAR, by=by, reason=reason, now=now)


def shop_lift(*, shop: Shop, by, reason: str, now: datetime) -> ShopSanction:
    """Rule P5: lift a suspension."""
    return shop_sanction(shop=shop, action=A.LIFT, by=by, reason=reason, now=now)
