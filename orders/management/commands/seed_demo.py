"""``manage.py seed_demo``: a small realistic world for trying the system.

Each installed app may contribute a ``demo.seed(ctx)``; they run in
INSTALLED_APPS order (orders first) inside one transaction."""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from orders.demo import LOGINS, PASSWORD, DemoContext
from orders.models import Order


class Command(BaseCommand):
    help = "Load demo shops, users, orders, tickets and violations (refuses when DEBUG is off)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if there are orders already.")

    def handle(self, *args, if_empty: bool = False, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo makes known passwords; it refuses to run when DEBUG is off.")
        if if_empty and Order.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        ctx = DemoContext(now=timezone.now())
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {Order.objects.count()} orders."))
        for username, role in LOGINS:
            self.stdout.write(f"  {username:<11} {PASSWORD}  {role}")
