"""Modules by concern: no module in saas/, tenants/ or workers/ grows past what one reader holds, and the
eligibility engine stays one small function per remedy.

Reads the source only (nothing is imported). The bounds:

- a module: at most MAX_MODULE_LINES lines (the issue's "≈ 400": split by concern before that);
- a function in the eligibility engine (tenants/policy.py, its rules in tenants/policy_*.py, and
  tenants/remedies.py): at most MAX_FUNCTION_LINES lines and a cyclomatic complexity of at most
  MAX_COMPLEXITY, counted as ruff's C901 (McCabe) does: 1, plus one per if / elif, loop, except clause,
  match case and comprehension, functions nested inside included (ruff counted 32 for the old 204-line
  `evaluate`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("saas", "tenants", "workers")
MAX_MODULE_LINES = 400
ENGINE = (
    *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tenants").glob("policy*.py")),
    "tenants/remedies.py",
)
MAX_FUNCTION_LINES = 40
MAX_COMPLEXITY = 10


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_is_longer_than_the_bound():
    assert _modules(), "no modules found: the test would pass vacuously"
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {long}"


_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case, ast.comprehension)


def complexity(fn: ast.AST) -> int:
    """McCabe's number of one function as ruff counts it (C901), the functions nested in it included."""
    return 1 + sum(isinstance(node, _BRANCHES) for node in ast.walk(fn) if node is not fn)


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_the_complexity_count_sees_branches():
    tree = ast.parse(
        "def f(a, b):\n"
        "    if a and b:\n        return [x for x in a if x]\n"
        "    elif b:\n        return 1 if a else 2\n"
        "    for _ in a:\n        pass\n"
        "    try:\n        pass\n    except ValueError:\n        pass\n"
        "    def g():\n        while a:\n            pass\n"
    )
    # 1 + if + comprehension + elif + for + except + the nested function's while
    assert complexity(tree.body[0]) == 7


@pytest.mark.parametrize("module", ENGINE)
def test_every_function_of_the_eligibility_engine_is_small(module):
    functions = list(_functions(ROOT / module))
    assert functions
    too_big = {
        f"{fn.name} (line {fn.lineno})": (fn.end_lineno - fn.lineno + 1, complexity(fn))
        for fn in functions
        if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES or complexity(fn) > MAX_COMPLEXITY
    }
    assert not too_big, (
        f"functions over {MAX_FUNCTION_LINES} lines or complexity {MAX_COMPLEXITY} (lines, complexity): {too_big}"
    )
