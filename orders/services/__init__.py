"""Writes. One function per transition; views, admin actions and tasks call these."""

from .events import order_event_record
from .notifications import notification_create, notifications_bulk_create
from .placement import ItemSpec, order_no_generate, order_pay, order_place

__all__ = [
    "ItemSpec",
    "notification_create",
    "notifications_bulk_create",
    "order_event_record",
    "order_no_generate",
    "order_pay",
    "order_place",
]
