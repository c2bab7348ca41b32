"""The Celery app. Tasks live in each app's ``tasks.py`` with pinned names;
their queues are ``settings.CELERY_TASK_ROUTES`` (critical / default / bulk)."""

import os

from celery import Celery

from config.observability import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Issue 18: task counts and durations for /metrics, from every worker.
connect_celery_signals()
