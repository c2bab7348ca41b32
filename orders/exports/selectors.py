"""Reads of export records: a user sees only their own (X3)."""

from django.db.models import QuerySet

from .models import Export


def exports_of(user) -> QuerySet[Export]:
    if not user or not user.is_authenticated:
        return Export.objects.none()
    return Export.objects.filter(created_by=user)
