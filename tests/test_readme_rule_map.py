"""Issue 13: the README's rule map ("Where each rule lives") points at files
that exist, so a reader following it from a rule to its code and tests never
lands on a file that was moved or split."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = ("orders/", "tickets/", "penalties/", "config/", "tests/", "bench/", "scripts/", ".ci/")


def _rule_map() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Where each rule lives")
    return text[start : text.index("\n## ", start + 1)]


def _paths(section: str) -> list[str]:
    paths = []
    for code in re.findall(r"`([^`]+)`", section):
        path = code.split("::")[0].split(" (")[0].strip()
        if path.startswith(TOP):
            paths.append(path)
    return paths


def test_rule_map_names_files():
    assert len(_paths(_rule_map())) > 40


def test_every_path_in_the_rule_map_exists():
    missing = [p for p in _paths(_rule_map()) if not (list(ROOT.glob(p)) if "*" in p else (ROOT / p).exists())]
    assert missing == []


def test_the_check_sees_a_missing_file():
    row = "| x | `orders/nowhere.py` | `tests/orders/test_o*` |"
    assert _paths(row) == ["orders/nowhere.py", "tests/orders/test_o*"]
    assert not (ROOT / "orders/nowhere.py").exists()
