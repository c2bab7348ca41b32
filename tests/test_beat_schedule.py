"""Every beat entry points at a registered task, with an expiry."""

from django.conf import settings

from config import celery_app


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)
    assert settings.CELERY_BEAT_SCHEDULE, "beat has nothing to do"
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in registered, f"beat entry {name} names unknown task {entry['task']}"
        assert entry.get("options", {}).get("expires"), f"beat entry {name} has no expires"
