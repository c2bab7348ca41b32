"""The export kinds. An app registers its kind once (from its ``exports``
module, discovered at start-up); the API, the admin and the worker look kinds
up here, so ``orders`` never imports the apps that build on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class ExportKind:
    name: str  # "orders", "tickets"
    model: type[Model]
    # ``resource_class(user=...)``: a ColumnResource (django-import-export) whose columns are the file's.
    resource_class: type
    # The list endpoint's FilterSet: the export validates filters with it.
    filterset_class: type
    # ``scoped_queryset(user)``: the rows the user may see as a merchant (``orders.selectors.scoped``).
    scoped_queryset: Callable[[Any], QuerySet]
    # Newest first, like the lists.
    ordering: tuple[str, ...] = ("-id",)
    # The filter naming a shop; an unknown or foreign shop is a 400.
    shop_filter: str | None = "shop"
    # O5: filters whose value is personal (the buyer's phone) → the model field
    # holding its keyed hash. The job record keeps the hash, never the value.
    private_filters: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


_KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ExportKind | None:
    return _KINDS.get(name)


def kind_for_model(model: type[Model]) -> ExportKind | None:
    for kind in _KINDS.values():
        if kind.model is model or (kind.model._meta.concrete_model is model._meta.concrete_model):
            return kind
    return None


def kind_names() -> list[str]:
    return sorted(_KINDS)
