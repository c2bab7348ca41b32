"""Writes. One function per transition; views, admin actions and tasks call these."""

from .after_sales import after_sale_approve, after_sale_open, after_sale_reject
from .cancellation import cancel_window_minutes, cancellation_approve, cancellation_reject, cancellation_request
from .events import order_event_record
from .lifecycle import order_delivered, orders_close_unpaid, orders_complete_delivered, pending_resolve
from .notifications import notification_create, notification_mark_read, notifications_bulk_create
from .placement import ItemSpec, intake_times_check, order_no_generate, order_pay, order_place
from .refunds import (
    orders_auto_close,
    refund_issue,
    refund_process,
    refund_settle_alternative,
    refunds_process_pending,
)
from .shipping import (
    order_complete,
    order_ship,
    order_tracking_correct,
    order_tracking_update,
    orders_flag_logistics_abnormal,
    orders_ship_bulk,
)

__all__ = [
    "ItemSpec",
    "after_sale_approve",
    "after_sale_open",
    "after_sale_reject",
    "cancel_window_minutes",
    "cancellation_approve",
    "cancellation_reject",
    "cancellation_request",
    "notification_create",
    "notification_mark_read",
    "notifications_bulk_create",
    "order_complete",
    "order_delivered",
    "orders_close_unpaid",
    "orders_complete_delivered",
    "pending_resolve",
    "order_event_record",
    "order_no_generate",
    "intake_times_check",
    "order_pay",
    "order_place",
    "order_ship",
    "orders_ship_bulk",
    "order_tracking_correct",
    "order_tracking_update",
    "orders_auto_close",
    "orders_flag_logistics_abnormal",
    "refund_issue",
    "refund_process",
    "refund_settle_alternative",
    "refunds_process_pending",
]
