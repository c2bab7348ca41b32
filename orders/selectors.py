"""Reads. Every merchant-facing queryset starts from ``shops_visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Shop


def shops_visible_to(user) -> QuerySet[Shop]:
    """The one place that decides which shops a user may see as a merchant:
    the shops they are a member of. Staff see no shop here; they work in the
    admin or through the reviewer/support endpoints."""
    if not user or not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(memberships__user=user)


def shop_ids_visible_to(user) -> list[int]:
    cached = getattr(user, "_visible_shop_ids", None)
    if cached is None:
        cached = list(shops_visible_to(user).values_list("id", flat=True))
        if user is not None and user.is_authenticated:
            user._visible_shop_ids = cached
    return cached


def scoped(queryset: QuerySet, user, *, shop_field: str = "shop") -> QuerySet:
    """``queryset`` narrowed to the rows of the user's shops."""
    return queryset.filter(**{f"{shop_field}__in": shop_ids_visible_to(user)})
