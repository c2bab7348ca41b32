"""seed_demo gains tickets in every state, one close to its deadline."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_seed_demo_has_tickets_in_every_state(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    states = set(Ticket.objects.values_list("status", "outcome"))
    assert states >= {
        ("pending", None),
        ("in_review", None),
        ("closed", "approved"),
        ("closed", "agreed"),
        ("closed", "timed_out"),
    }
    assert Ticket.objects.filter(status="pending", last_rejected_at__isnull=False).exists()
    soon = [t.remaining_seconds(timezone.now()) for t in Ticket.objects.filter(status="pending")]
    assert any(0 < s < 2 * 3600 for s in soon)
