"""Reviewer admin order list at scale (O2): the real changelist through
Django's test ``Client`` (in process, so wall time is server time), with
an execute wrapper counting the queries. Searches: order number,
buyer phone, product-name substring, and the unfiltered first page. Target:
≤ 150 ms each, a constant number of queries, ≤ 1.3× the figure at 100k.
Anchors: the matching ``bench.lookups`` figures (btree / trigram).

``prepare(ctx)`` gives the requests; ``make bench`` times them at 1M and
100k alternately (``bench.interleave``), ``run(ctx)`` on one data set."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse

from orders.bulk import REVIEWER_NAME
from orders.models import Order

from .core import Ctx, measure_all
from .lookups import samples


def prepare(ctx: Ctx) -> dict:
    """{figure: a call doing one request}, or {"pending": why}."""
    if Order not in admin.site._registry:
        return {"pending": "orders admin (OrderAdmin) not on main yet"}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Keep one connection across requests, as a long-running worker does
    # (Django's own TestCase does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(get_user_model().objects.get(username=REVIEWER_NAME))
    url = reverse("admin:orders_order_changelist")
    s = samples(ctx)
    searches = {"order_no": s["order_no"], "phone": s["phone"], "product": s["product"], "first_page": None}
    calls = {}
    for name, q in searches.items():
        params = {"q": q} if q is not None else {}

        def get(params=params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code
            return response

        calls[name] = get
    return calls


def run(ctx: Ctx) -> dict:
    return measure_all(prepare(ctx), ctx.reps)
