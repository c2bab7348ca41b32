"""Schema fuzzing (issue 8 point 2, issue 14 point 2): schemathesis against
the live OpenAPI schema on PostgreSQL, as ``merchant``, ``support`` and
``storefront`` (the intake system user).

- **All checks**, negative data included: no 500; every status, content type,
  header and body as the schema declares; invalid input refused with a 4xx;
  valid input not refused with a 400 (a business rule the schema cannot
  express answers 409 ``…`` or is declared, never a bare 400); authentication
  enforced.
- ``FUZZ_MAX_EXAMPLES`` (default 100) examples per operation, in both modes
  (schema-valid and schema-invalid data).
- A seed that changes every run (``FUZZ_SEED`` replays one): printed before
  the run and in every failure, and written to ``var/schemathesis-<role>.txt``.

The server is pytest-django's ``live_server`` on the test database; the
schemathesis CLI (pinned in requirements.txt) runs in a subprocess with a knox
token of the role. PostgreSQL only (CI's PostgreSQL pass runs it); deselect
locally with ``-m "not fuzz"``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import order_placed

pytestmark = [pytest.mark.fuzz, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100"))
SEED = int(os.environ.get("FUZZ_SEED") or secrets.randbelow(2**31))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _announce_seed(request):
    """The seed goes to the terminal whatever pytest captures."""
    line = f"schemathesis seed {SEED} ({MAX_EXAMPLES} examples per operation); replay with FUZZ_SEED={SEED}"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}", file=sys.stderr, flush=True)


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """A transactional test may run after another one flushed the rows the
    migrations made: the role groups the user fixtures join come back first."""
    from django.contrib.auth.models import Group

    from orders.roles import ALL_GROUPS

    for name in ALL_GROUPS:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def fuzz_world(shop_a, merchant, merchant2, support, storefront, settings):
    """Some rows for the fuzzer to find (an order of each kind the merchant
    endpoints serve); the throttle of the token endpoint stays on."""
    settings.ALLOWED_HOSTS = ["*"]
    now = timezone.now()
    order_placed(shop=shop_a, now=now - timedelta(minutes=5))
    order_placed(shop=shop_a, now=now - timedelta(days=3))
    return now


# Each role fuzzes the operations it works with; what it may never call is
# covered (401/403/404 for every route and role) by tests/test_role_matrix.py.
SCOPES = {
    "merchant": [
        "--exclude-path-regex",
        r"^/api/v1/(intake/|(appeals|cancellations)/\{id\}/(approve|reject)/|tickets/\{ticket_no\}/(approve|reject)/)",
    ],
    "support": ["--include-path-regex", r"^/api/v1/(tickets/|auth/|me/|orders/$|shops/$)"],
    "storefront": ["--include-path-regex", r"^/api/v1/(intake/|auth/|me/)"],
}


def _token(user) -> str:
    from knox.models import AuthToken

    return AuthToken.objects.create(user)[1]


def _run(live_server, user, role: str, tmp_path: Path) -> subprocess.CompletedProcess:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    return subprocess.run(
        [
            str(schemathesis),
            "--no-color",
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            "all",
            "--mode",
            "all",
            "--phases",
            os.environ.get("FUZZ_PHASES", "examples,fuzzing"),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            os.environ.get("FUZZ_WORKERS", "2"),
            *SCOPES[role],
            *os.environ.get("FUZZ_EXTRA", "").split(),
            "--request-timeout",
            "30",
            "--continue-on-failure",
            "--suppress-health-check",
            "too_slow",
            "-H",
            f"Authorization: Token {_token(user)}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )


@pytest.mark.parametrize("role", ["merchant", "support", "storefront"])
def test_schema_fuzzing_all_checks_no_500_and_responses_match_schema(role, request, live_server, fuzz_world, tmp_path):
    """Given the live schema and a token of ``role``, when schemathesis sends
    ``MAX_EXAMPLES`` generated requests per operation (valid and invalid) with
    a fresh seed, then no answer is a 500, every answer matches the schema,
    invalid input is refused and valid input is not."""
    user = request.getfixturevalue(role)
    started = time.monotonic()
    result = _run(live_server, user, role, tmp_path)
    seconds = time.monotonic() - started
    header = f"seed {SEED}, {MAX_EXAMPLES} examples per operation, {seconds:.0f} s; replay: FUZZ_SEED={SEED}\n"
    report = ROOT / "var" / f"schemathesis-{role}.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(header + result.stdout + result.stderr)
    assert result.returncode == 0, header + result.stdout[-20000:] + result.stderr[-5000:]
