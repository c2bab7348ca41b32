"""``make mutate``: mutation testing of the rule modules with mutmut 3 (issue 13).

Runs mutmut over ``[tool.mutmut]`` of pyproject.toml (``orders/services/``,
``tickets/services.py``, ``penalties/services/``) in a scratch copy of the
project (``var/mutate/<scope>/``), on SQLite, at ``nice 19``, one test process
at a time (the SQLite test database is one file), then prints per module the
mutants killed / total and every mutant that survived (with its diff).

A scope narrows the modules and the tests, so one module's score takes
minutes instead of the whole suite's hours::

    make mutate                         # everything (slow: hours on 2 cores)
    make mutate SCOPE=deductions        # penalties/services/deductions.py only
    python scripts/mutate.py --scope judgement --postgres   # the same on PostgreSQL
    python scripts/mutate.py --scope judgement --combined   # killed on either database
    python scripts/mutate.py --list     # the scopes
    python scripts/mutate.py --scope deductions --rerun-survivors   # after adding tests

Not part of CI. "Killed" counts mutants that made a test fail or time out;
"no tests" (no selected test runs the function) counts as not killed;
"not checked" (a run stopped early) and "skipped" are left out of the ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# scope -> (only_mutate patterns, tests run against them)
SCOPES: dict[str, tuple[list[str] | None, list[str] | None]] = {
    "all": (None, None),  # pyproject's [tool.mutmut] as it is
    "orders": (["orders/services/*"], ["tests/orders"]),
    "penalties": (["penalties/services/*"], ["tests/penalties"]),
    "deductions": (
        ["penalties/services/deductions.py"],
        ["tests/penalties/test_timeline.py", "tests/penalties/test_ledger_bookkeeping.py"],
    ),
    "ledger": (
        ["penalties/services/ledger.py"],
        [
            "tests/penalties/test_ledger_bookkeeping.py",
            "tests/penalties/test_admin.py",
            "tests/penalties/test_appeals.py",
            "tests/penalties/test_ledger_exact.py",
        ],
    ),
    # orders/services/ one module at a time (h13o): the test files that drive each module
    "refunds": (
        ["orders/services/refunds.py"],
        [
            "tests/orders/test_refunds.py",
            "tests/orders/test_refund_unreachable.py",
            "tests/orders/test_auto_close.py",
            "tests/orders/test_refunds_exact.py",
        ],
    ),
    "shipping": (
        ["orders/services/shipping.py"],
        [
            "tests/orders/test_orders_api.py",
            "tests/orders/test_carrier_data.py",
            "tests/orders/test_w3_shipment_imports.py",
            "tests/orders/test_lifecycle_ends.py",
            "tests/orders/test_shipping_exact.py",
        ],
    ),
    "cancellation": (
        ["orders/services/cancellation.py"],
        [
            "tests/orders/test_cancellation.py",
            "tests/orders/test_c1_window_edges.py",
            "tests/orders/test_cancellation_exact.py",
        ],
    ),
    "lifecycle": (
        ["orders/services/lifecycle.py"],
        [
            "tests/orders/test_lifecycle_ends.py",
            "tests/orders/test_w1_webhooks.py",
            "tests/orders/test_w1_batch_events.py",
            "tests/orders/test_lifecycle_exact.py",
        ],
    ),
    "placement": (
        ["orders/services/placement.py"],
        [
            "tests/orders/test_intake_times.py",
            "tests/orders/test_orders_api.py",
            "tests/orders/test_placement_exact.py",
            # not tests/orders/test_isolation_and_input.py: under mutmut's runner one of
            # its cases fails after test_orders_api.py (passes alone and in the suite)
        ],
    ),
    "after_sales": (
        ["orders/services/after_sales.py"],
        [
            "tests/orders/test_after_sales.py",
            "tests/orders/test_lifecycle_ends.py",
            "tests/orders/test_after_sales_exact.py",
        ],
    ),
    "events": (
        ["orders/services/events.py"],
        [
            "tests/orders/test_w1_batch_events.py",
            "tests/orders/test_w1_webhooks.py",
            "tests/orders/test_events_exact.py",
        ],
    ),
    "notifications": (
        ["orders/services/notifications.py"],
        ["tests/orders/test_notifications_per_user.py", "tests/orders/test_notifications_exact.py"],
    ),
    "batch": (
        ["orders/services/batch.py"],
        ["tests/orders/test_lifecycle_ends.py", "tests/orders/test_batch_claim.py"],
    ),
    # h13p: one scope per rule module of tickets/ and penalties/services/ (issue 13)
    "tickets": (
        ["tickets/services.py"],
        ["tests/tickets"],
    ),
    "judgement": (
        ["penalties/services/judgement.py"],
        [
            "tests/penalties/test_timeline.py",
            "tests/penalties/test_p1_overdue_definition.py",
            "tests/penalties/test_judgement_exact.py",
        ],
    ),
    "sanctions": (
        ["penalties/services/sanctions.py"],
        ["tests/penalties/test_admin.py", "tests/penalties/test_sanctions_exact.py"],
    ),
    "appeals": (
        ["penalties/services/appeals.py"],
        ["tests/penalties/test_appeals.py", "tests/penalties/test_appeals_exact.py"],
    ),
    "autoclose": (
        ["penalties/services/autoclose.py"],
        ["tests/penalties/test_auto_close.py", "tests/penalties/test_time_edges.py"],
    ),
    "ratings": (
        ["penalties/services/ratings.py"],
        [
            "tests/penalties/test_ratings.py",
            "tests/penalties/test_time_edges.py",
            "tests/penalties/test_ratings_exact.py",
            "tests/penalties/test_appeals.py::test_v3_rating_before_and_after",
        ],
    ),
    "jobs": (["penalties/services/jobs.py"], ["tests/penalties/test_admin.py", "tests/penalties/test_jobs_exact.py"]),
    "topups": (
        ["penalties/services/topups.py"],
        ["tests/penalties/test_four_eyes.py", "tests/penalties/test_topups_exact.py"],
    ),
    # the advisory lock and the test hook run only on PostgreSQL: score it with --postgres
    "sql": (
        ["penalties/services/_sql.py"],
        [
            "tests/penalties/test_timeline.py",
            "tests/penalties/test_concurrency.py",
            "tests/reliability/test_worker_killed.py",
        ],
    ),
    "push": (
        ["penalties/services/push.py"],
        ["tests/orders/test_w1_batch_events.py", "tests/penalties/test_appeals.py"],
    ),
    # end h13p
}

COPY = ["orders", "tickets", "penalties", "config", "locale", "tests", "bench", "manage.py", "pyproject.toml"]
KILLED = {"killed", "timeout", "caught by type check"}
MODULE_RE = re.compile(r"^(?P<module>.+?)\.(?:x_|xǁ)")


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


# ``--postgres``: the scope's tests on PostgreSQL (its own database per scope,
# ``mut_<scope>``; pytest-django's ``test_mut_<scope>``, kept between mutants
# by ``--reuse-db``), the PostgreSQL-only tests included: the code paths that
# only run there (``INSERT … RETURNING`` batches, ``SKIP LOCKED``, advisory
# locks, ``SET LOCAL``) are mutated and tested as production runs them.
PG_SERVER = os.environ.get("MUTATE_PG", "postgres://postgres@127.0.0.1:5432")


def workdir(scope: str, postgres: bool) -> Path:
    return ROOT / "var" / "mutate" / (f"{scope}-pg" if postgres else scope)


def prepare(scope: str, postgres: bool = False) -> Path:
    """A fresh copy of the project with the scope's [tool.mutmut]."""
    work = workdir(scope, postgres)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "media", "*.sqlite3*")
    for name in COPY:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=ignore)
        else:
            shutil.copy2(source, work / name)
    configure(work, scope, postgres)
    (work / "var").mkdir()
    return work


def configure(work: Path, scope: str, postgres: bool = False) -> None:
    """The copy's [tool.mutmut]: the scope's modules and tests."""
    only, tests = SCOPES[scope]
    text = (work / "pyproject.toml").read_text()
    if postgres:
        text = text.replace('"not browser and not fuzz and not postgres"', '"not browser and not fuzz"')
        (work / ".database_url").write_text(f"{PG_SERVER}/mut_{scope.replace('-', '_')}")
    if only is not None:
        text = re.sub(r"(?m)^only_mutate = .*$", f"only_mutate = {toml_list(only)}", text)
    if tests is not None:
        text = re.sub(
            r"(?m)^pytest_add_cli_args_test_selection = .*$",
            f"pytest_add_cli_args_test_selection = {toml_list(tests)}",
            text,
        )
    (work / "pyproject.toml").write_text(text)


def refresh_tests(work: Path, scope: str) -> None:
    """Tests added since the last run (the code unchanged): copy ``tests/`` and
    the scope's test selection into the copy again."""
    shutil.copytree(ROOT / "tests", work / "tests", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    configure(work, scope, (work / ".database_url").exists())


def environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env["VAR_DIR"] = str(work / "var")  # the SQLite test database and caches of this copy
    if (work / ".database_url").exists():
        env["DATABASE_URL"] = (work / ".database_url").read_text().strip()
        env["REQUIRE_POSTGRES"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def mutmut(work: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    command = ["nice", "-n", "19", str(Path(sys.executable).parent / "mutmut"), *args]
    return subprocess.run(command, cwd=work, env=environment(work), text=True, capture_output=capture, check=False)


def results(work: Path) -> dict[str, str]:
    """``{mutant: status}`` of the copy's last run (none when it never ran)."""
    if not work.exists():
        return {}
    listing = mutmut(work, "results", "--all", "true", capture=True).stdout
    out = {}
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if MODULE_RE.match(name):
            out[name] = status
    return out


def combined(sqlite: dict[str, str], postgres: dict[str, str]) -> dict[str, str]:
    """A mutant of the same source is killed when the tests kill it on either
    database: each backend's run covers its own branch (the SQLite twins there,
    the PostgreSQL statements, locks and planner settings here)."""
    out = {}
    for name in sqlite.keys() | postgres.keys():
        mine = [sqlite.get(name), postgres.get(name)]
        killed = next((s for s in mine if s in KILLED), None)
        out[name] = killed or next(s for s in mine if s is not None)
    return out


def report(work: Path, *, diffs: bool = True, named: dict[str, str] | None = None) -> dict[str, Counter]:
    named = results(work) if named is None else named
    statuses: dict[str, Counter] = defaultdict(Counter)
    survivors: list[tuple[str, str]] = []
    for name, status in sorted(named.items()):
        statuses[MODULE_RE.match(name)["module"]][status] += 1
        if status not in KILLED | {"skipped", "not checked"}:
            survivors.append((name, status))
    print("\nMutation score per module (killed = killed + timeout; 'no tests' is not killed)")
    print(f"{'module':45} {'killed':>7} {'total':>6} {'ratio':>7}  other")
    for module in sorted(statuses):
        counts = statuses[module]
        total = sum(counts.values()) - counts["skipped"] - counts["not checked"]
        killed = sum(counts[s] for s in KILLED)
        other = ", ".join(f"{s} {n}" for s, n in sorted(counts.items()) if s not in KILLED)
        ratio = f"{100 * killed / total:.1f}%" if total else "-"
        print(f"{module:45} {killed:>7} {total:>6} {ratio:>7}  {other}")
    print(f"\nSurviving mutants ({len(survivors)}):")
    for name, status in survivors:
        print(f"  {name}: {status}")
        if diffs:
            shown = mutmut(work, "show", name, capture=True).stdout
            print("\n".join("      " + row for row in shown.splitlines()[1:] if row.strip()))
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope", default="all", choices=sorted(SCOPES))
    parser.add_argument("--list", action="store_true", help="list the scopes and exit")
    parser.add_argument("--report-only", action="store_true", help="print the last run's results again")
    parser.add_argument("--no-diffs", action="store_true", help="survivors by name only")
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="after adding tests (code unchanged): rerun only the last run's survivors with the tests as they are now",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="run the tests on PostgreSQL (PostgreSQL-only paths and tests included; MUTATE_PG names the server)",
    )
    parser.add_argument(
        "--combined",
        action="store_true",
        help="report the last SQLite and --postgres runs together: killed on either database counts as killed",
    )
    args = parser.parse_args()
    if args.combined:
        sqlite, postgres = workdir(args.scope, False), workdir(args.scope, True)
        shown = sqlite if sqlite.exists() else postgres
        report(shown, diffs=not args.no_diffs, named=combined(results(sqlite), results(postgres)))
        return 0
    if args.list:
        config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
        for name, (only, tests) in SCOPES.items():
            tests = tests or config["pytest_add_cli_args_test_selection"]
            print(f"{name:12} {only or config['only_mutate']}  tests: {tests}")
        return 0
    work = workdir(args.scope, args.postgres)
    if args.rerun_survivors:
        refresh_tests(work, args.scope)
        listing = mutmut(work, "results", capture=True).stdout
        rows = [line.strip().rpartition(": ") for line in listing.splitlines()]
        names = [name for name, _, status in rows if MODULE_RE.match(name) and status not in KILLED]
        if names:
            mutmut(work, "run", "--max-children", "1", *names)
    elif not args.report_only:
        work = prepare(args.scope, args.postgres)
        run = mutmut(work, "run", "--max-children", "1")
        if run.returncode != 0:
            print(f"mutmut run exited {run.returncode}", file=sys.stderr)
    report(work, diffs=not args.no_diffs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
