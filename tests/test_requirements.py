"""Issue 18 point 1: ``requirements.txt`` is what production installs (``make
prod``), ``requirements-dev.txt`` adds the development and test tools
(``make test``). The runtime code must import nothing that only the
development file brings."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PACKAGES = ("config", "orders", "penalties", "tickets")


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            dist, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", dist).lower()] = version
    return pins


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_i18_dev_requirements_include_the_runtime_ones_and_add_only_tools():
    dev_text = (ROOT / "requirements-dev.txt").read_text()
    assert re.search(r"^-r requirements\.txt$", dev_text, re.M)
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert not set(runtime) & set(dev), "a pin in both files"
    for tool in ("pytest", "pytest-django", "ruff", "playwright", "hypothesis", "factory-boy", "time-machine"):
        assert tool in dev and tool not in runtime, tool
    assert {"django", "gunicorn", "whitenoise", "celery", "psycopg"} <= set(runtime)


def _closure(dists: set[str]) -> set[str]:
    """The distributions ``pip install`` brings for these (their dependencies, recursively)."""
    from importlib.metadata import PackageNotFoundError, requires

    seen, todo = set(), list(dists)
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        try:
            needs = requires(dist) or []
        except PackageNotFoundError:
            continue
        for req in needs:
            if "extra ==" in req:
                continue
            todo.append(re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0]).lower())
    return seen


def test_i18_runtime_code_imports_only_runtime_packages():
    """Every third-party module the application imports (tests and benchmarks
    aside) comes from requirements.txt or what its pins install."""
    runtime = _closure(set(_pins("requirements.txt")))
    providers = packages_distributions()
    local = set(RUNTIME_PACKAGES) | {"bench", "tests", "scripts", "manage", "__future__"}
    missing: dict[str, set[str]] = {}
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for name in _imports(path) - local - set(sys.stdlib_module_names):
                dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(name, [])}
                if not dists & runtime:
                    missing.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert not missing, f"imported by runtime code but not installed by requirements.txt: {missing}"
