"""Demo tickets for ``seed_demo``: one in every state, one close to its deadline."""

from __future__ import annotations

from datetime import timedelta

from orders.demo import DemoContext

from .models import ServiceType
from .services import ticket_approve, ticket_open, ticket_reject, ticket_reply, tickets_remind, tickets_time_out


def seed(ctx: DemoContext) -> None:
    now = ctx.now
    support = ctx.users["support"]
    merchant = ctx.users["merchant"]
    merchant2 = ctx.users["merchant2"]
    types = {t.code: t for t in ServiceType.objects.all()}

    def open_(order_key: str, code: str, text: str, ago: timedelta):
        return ticket_open(
            order=ctx.orders[order_key], service_type=types[code], description=text, by=support, now=now - ago
        )

    def h(hours: float) -> timedelta:
        return timedelta(hours=hours)

    # (every ticket is opened after its order was placed)
    # pending, close to its deadline (under 2 h left: red in the admin, reminder sent)
    open_("due_soon", "urge_shipment", "买家催发货：下单已超过一天，请尽快发货。", h(23))
    # pending, fresh
    open_("fresh", "change_address", "买家要求修改收货地址为：杭州市西湖区文三路200号。", h(0.25))
    # in review
    t = open_("overdue", "logistics_query", "买家询问物流进度，至今未收到发货信息。", h(6))
    ticket_reply(ticket=t, message="已联系仓库，今日下午发出，单号稍后上传。", by=merchant, now=now - h(5))
    # closed: approved
    t = open_("overdue", "refund_query", "买家咨询退款到账时间。", h(50))
    ticket_reply(ticket=t, message="退款已原路退回，预计1-3个工作日到账。", by=merchant, now=now - h(40))
    ticket_approve(ticket=t, by=support, now=now - h(38))
    # closed: agreed with the buyer
    t = open_("due_soon", "change_address", "买家要求改地址到公司。", h(20))
    ticket_reply(ticket=t, message="已与买家电话沟通，地址已修改。", agreed=True, by=merchant, now=now - h(19))
    # rejected once, back to pending with a fresh deadline
    t = open_("digital_due", "logistics_query", "买家反映物流信息长时间未更新。", h(10))
    ticket_reply(ticket=t, message="已催促快递公司。", by=merchant2, now=now - h(9))
    ticket_reject(ticket=t, reason="请提供快递公司的具体回复和预计送达时间。", by=support, now=now - h(8))
    # timed out: opened 30 h ago with a 24 h SLA, never handled
    open_("digital_due", "urge_shipment", "买家催促发货。", h(30))
    tickets_time_out(now=now)
    tickets_remind(now=now)
