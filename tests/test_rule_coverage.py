"""Every rule ID in SPEC.md is implemented by a named model function and checked by a test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_ID = re.compile(r"\b([A-Z]+-\d+)\b")


def spec_rules() -> list[str]:
    """The IDs in SPEC.md's rule index table."""
    text = (ROOT / "SPEC.md").read_text()
    index = text.split("## Rule index", 1)[1]
    return re.findall(r"^\| ([A-Z]+-\d+) \|", index, flags=re.MULTILINE)


def model_function_rules() -> dict[str, set[str]]:
    """Rule ID -> the model functions (or methods) whose docstring names it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "models").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for rule in RULE_ID.findall(ast.get_docstring(node) or ""):
                    found.setdefault(rule, set()).add(f"{path.stem}.{node.name}")
    return found


def marked_test_rules() -> dict[str, set[str]]:
    """Rule ID -> the tests marked ``@pytest.mark.rule(...)`` with it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            for deco in node.decorator_list:
                if (
                    isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr == "rule"
                ):
                    for arg in deco.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            found.setdefault(arg.value, set()).add(f"{path.name}::{node.name}")
    return found


def test_spec_has_a_rule_index_of_unique_ids() -> None:
    rules = spec_rules()
    assert len(rules) >= 30
    assert len(rules) == len(set(rules))
    body = (ROOT / "SPEC.md").read_text().split("## Rule index", 1)[0]
    for rule in rules:
        assert f"**{rule}." in body, f"{rule} is in the index but has no rule text"


def test_every_rule_is_named_by_a_model_function() -> None:
    named = model_function_rules()
    missing = [r for r in spec_rules() if r not in named]
    assert not missing, f"rules no model function names in its docstring: {missing}"


def test_every_rule_is_checked_by_a_test() -> None:
    marked = marked_test_rules()
    missing = [r for r in spec_rules() if r not in marked]
    assert not missing, f"rules no test is marked with: {missing}"


def test_no_unknown_rule_ids_in_models_or_tests() -> None:
    known = set(spec_rules())
    unknown = (set(model_function_rules()) | set(marked_test_rules())) - known
    assert not unknown, f"rule IDs not in SPEC.md: {sorted(unknown)}"


def test_the_model_rule_catalogue_matches_the_spec_index() -> None:
    from models.rules import RULES

    text = (ROOT / "SPEC.md").read_text().split("## Rule index", 1)[1]
    index = dict(re.findall(r"^\| ([A-Z]+-\d+) \| (.+?) \|$", text, flags=re.MULTILINE))
    assert RULES == index


def spec_clauses() -> dict[str, str]:
    """SPEC.md's clause index: clause ID -> what it covers."""
    text = (ROOT / "SPEC.md").read_text().split("## Clause index", 1)[1]
    return dict(re.findall(r"^\| ([A-Z]+-\d+\.[a-z_]+) \| (.+?) \|$", text, flags=re.MULTILINE))


def test_the_clause_catalogue_matches_the_spec_clause_index() -> None:
    from models.records import SERVER_KINDS
    from models.rules import CLAUSES, RULES, rule_of

    assert CLAUSES == spec_clauses()
    assert {rule_of(c) for c in CLAUSES} <= set(RULES)
    # EVENT-1 has a clause for each kind of server-side event, in the same order
    assert [c.split(".")[1] for c in CLAUSES if rule_of(c) == "EVENT-1"] == list(SERVER_KINDS)


def test_every_clause_the_model_records_is_in_the_catalogue() -> None:
    """A clause ID written in the model's source (``trace.add("DEVICE-1.not_found")``, or an
    f-string's fixed part) is one of the catalogue's: a misspelt one would be counted under a
    name no report shows."""
    from models.rules import CLAUSES

    written: set[str] = set()
    prefixes: set[str] = set()
    for path in sorted((ROOT / "models").glob("*.py")):
        if path.name == "rules.py":
            continue
        source = path.read_text()
        written |= set(re.findall(r"\"([A-Z]+-\d+\.[a-z_]+)\"", source))
        prefixes |= set(re.findall(r"f\"([A-Z]+-\d+)\.\{", source))
    assert written and written <= set(CLAUSES), sorted(written - set(CLAUSES))
    assert prefixes == {"SEC-1", "STALE-2", "STALE-3", "EVENT-1"}
    assert all(any(c.startswith(p + ".") for c in CLAUSES) for p in prefixes)
