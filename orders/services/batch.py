"""The claim step every set-based batch shares."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet


def claim_chunk(eligible: QuerySet, chunk: int) -> list[int]:
    """Inside a transaction: the ids of the next ``chunk`` eligible rows,
    locked for it; on PostgreSQL rows another worker holds are skipped, so two
    runs at once share the work instead of waiting on each other."""
    qs = eligible.order_by("pk")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True)
    return list(qs.values_list("pk", flat=True)[:chunk])
