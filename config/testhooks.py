"""Test hooks the batch jobs call (not rules: kept out of the rule modules
that ``make mutate`` scores)."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings


def hang_point(name: str) -> None:
    """Test-only: when ``settings.JOB_TEST_HANG`` names this point, write
    ``settings.JOB_TEST_HANG_FILE`` and sleep, so a test can SIGKILL the
    worker mid-job (tests/reliability/test_worker_killed.py). Off by default."""
    if not getattr(settings, "JOB_TEST_HANG", "") or settings.JOB_TEST_HANG != name:
        return
    Path(settings.JOB_TEST_HANG_FILE).write_text(name)
    time.sleep(3600)
