"""``manage.py seed_bulk --orders N``: many orders, fast, for benchmarks.

Each installed app may contribute a ``bulk.seed(ctx)`` (orders first, then
tickets, penalties …), like ``seed_demo``. On PostgreSQL 1,000,000 orders take
about a minute (set-based SQL); SQLite works for small N."""

import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from orders.bulk import BulkContext


class Command(BaseCommand):
    help = "Load N benchmark orders (200 shops, realistic statuses, 10 % overdue) plus tickets and violations."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100_000, help="How many orders to add (default 100000).")
        parser.add_argument("--chunk", type=int, default=0, help="Orders per transaction (default: by database).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, orders: int, chunk: int, no_progress: bool, **options):
        vendor = connection.vendor
        chunk = chunk or (50_000 if vendor == "postgresql" else 2_000)
        started = time.monotonic()
        bar = tqdm(total=orders, unit="order", unit_scale=True, disable=no_progress or orders < chunk, leave=False)
        ctx = BulkContext(now=timezone.now(), orders=orders, vendor=vendor, progress=bar.update, chunk=chunk)
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.bulk")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.bulk":
                    raise
                continue
            module.seed(ctx)
        bar.close()
        elapsed = time.monotonic() - started
        parts = ", ".join(f"{v} {k}" for k, v in ctx.summary.items())
        self.stdout.write(self.style.SUCCESS(f"seed_bulk: {parts} in {elapsed:.1f} s on {vendor}."))
