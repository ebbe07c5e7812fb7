"""The packages import one way: tenants/ <- saas/models <- saas/services <- saas/blueprints and workers/
<- the app factory and CLI, with no import circles.

Reads the source with `ast` (no module is imported), so an import inside a function body
counts as much as one at the top of the file. A new module must be given its layer here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("saas", "tenants", "workers")
SKIP_PARTS = {"tests", "migrations", "bench", "__pycache__", "static", "templates"}

# Low to high. A module may import its own layer or a lower one, never a higher one.
BASE, TENANTS, MODELS, SERVICES, ENTRY, TOP = range(6)
LAYER_NAMES = ("base", "tenants", "models", "services", "blueprints/workers", "factory/cli")

EXACT = {
    # The foundation every layer may use: settings, the extension objects, the model base.
    "config": BASE,
    "saas.extensions": BASE,
    "saas.database": BASE,
    "saas.models.base": BASE,
    "saas.request_memo": BASE,  # per-request memos, for every layer
    # The per-process caches, one package (saas/caches/__init__.py: the protocol), each cache at the
    # layer of what it copies: the token protocol at the bottom, the worker's shop copy beside the worker.
    "saas.caches": BASE,
    "saas.caches.tokens": BASE,
    "saas.caches.tenant_rows": TENANTS,
    "saas.caches.pages": SERVICES,
    "saas.caches.case_pages": SERVICES,
    "saas.caches.auto_assign": SERVICES,
    "saas.caches.worker_shops": ENTRY,
    # The one rule for mobiles (phonenumbers) and for e-mail addresses (email-validator).
    "saas.phones": BASE,
    "saas.email_addresses": BASE,
    # Helpers of the services layer that live beside the packages.
    "saas.queues": SERVICES,
    "saas.identifiers": SERVICES,
    "saas.i18n": SERVICES,
    "saas.masking": SERVICES,
    "saas.input_guard": SERVICES,
    "saas.catalogues": SERVICES,
    "saas.dev_mail": SERVICES,
    "saas.metrics": SERVICES,
    "saas.metrics.figures": SERVICES,  # shared figures: written by workers, read by /metrics
    "saas.locale": BASE,  # the one locale helper: language codes, pick() for bilingual data
    "saas.logs": BASE,  # the request/job id every layer's log lines carry
    # Web-only helpers.
    "saas.forms": ENTRY,
    "saas.security": ENTRY,
    "saas.metrics.web": ENTRY,
    # The factory, the CLI and what only the CLI runs.
    "saas": TOP,
    "saas.session_hooks": TOP,  # every Session listener, registered by create_app
    "saas.embedded_redis": TOP,
    "wsgi": TOP,
}
PREFIXES = (
    # Pure helpers (standard library and Pillow only) that the models may use.
    ("saas.evidence", BASE),
    ("tenants", TENANTS),
    ("saas.models", MODELS),
    ("saas.masking", SERVICES),
    ("saas.services", SERVICES),
    ("saas.blueprints", ENTRY),
    ("workers", ENTRY),
    # The CLI (saas/cli/) and what only the CLI runs: the demo and load-test data (saas/demo/).
    ("saas.cli", TOP),
    ("saas.demo", TOP),
)


def layer(module: str) -> int | None:
    if module in EXACT:
        return EXACT[module]
    for prefix, level in PREFIXES:
        if module == prefix or module.startswith(prefix + "."):
            return level
    return None


def modules(root: Path = ROOT) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            rel = path.relative_to(root)
            if SKIP_PARTS & set(rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for name in ("config", "wsgi"):
        if (root / f"{name}.py").exists():
            found[name] = root / f"{name}.py"
    return found


def _known(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module that `name` is or lies inside."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def _import_targets(module: str, path: Path, node: ast.AST, known: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    if isinstance(node, ast.Import):
        out.update(t for t in (_known(a.name, known) for a in node.names) if t)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        for alias in node.names:
            target = _known(f"{prefix}.{alias.name}", known) or _known(prefix, known)
            if target:
                out.add(target)
    out.discard(module)
    return out


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every project module `module` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {t for node in ast.walk(tree) for t in _import_targets(module, path, node, known)}


def import_time_imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """What importing `module` runs at once: its imports outside function bodies."""
    out: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"), filename=str(path))]
    while pending:
        node = pending.pop()
        out |= _import_targets(module, path, node, known)
        pending.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        )
    return out


def _packages_of(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def graph(root: Path = ROOT) -> dict[str, dict[str, str]]:
    """module -> {each module it imports: "" or the package whose __init__ imports it on the way}.

    Importing saas.models.base first runs saas/models/__init__.py, so whatever that __init__
    imports at import time is an import of every module outside the package that imports
    anything inside it. A package's __init__ importing its own submodules (the factory
    registering blueprints, a package re-exporting its parts) is no circle, so edges from
    a module into its own package's submodules through its package are not added.
    """
    known = modules(root)
    direct = {m: imports_of(m, p, known) for m, p in known.items()}
    at_import = {m: import_time_imports(m, p, known) for m, p in known.items() if p.name == "__init__.py"}
    edges: dict[str, dict[str, str]] = {}
    for module, targets in direct.items():
        own = set(_packages_of(module))
        found = {
            t: package
            for target in sorted(targets)
            for package in _packages_of(target)
            if package not in own and package in at_import
            for t in sorted(at_import[package])
        }
        found.update(dict.fromkeys(targets, ""))
        edges[module] = {t: how for t, how in found.items() if not t.startswith(module + ".") and t != module}
    return edges


def _edge(edges: dict[str, dict[str, str]], src: str, dst: str) -> str:
    how = edges[src][dst]
    return f"{src} -> {dst}" + (f" (through {how}/__init__.py)" if how else "")


def circles(edges: dict[str, dict[str, str]]) -> list[list[str]]:
    """Groups of two or more modules that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def against_the_direction(edges: dict[str, dict[str, str]]) -> list[str]:
    """Each import of a higher layer: "src (its layer) imports dst (its layer)", and the package it goes through."""
    return [
        f"{src} ({LAYER_NAMES[layer(src)]}) imports {dst} ({LAYER_NAMES[layer(dst)]})"
        + (f" through {edges[src][dst]}/__init__.py" if edges[src][dst] else "")
        for src in sorted(edges)
        for dst in sorted(edges[src])
        if layer(src) is not None and layer(dst) is not None and layer(dst) > layer(src)
    ]


# ---------------------------------------------------------------- the rules


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in modules() if layer(m) is None)
    assert not unplaced, f"give these modules a layer in tests/test_layers.py: {unplaced}"


def test_no_import_circles():
    edges = graph()
    found = circles(edges)
    described = [
        "; ".join(_edge(edges, a, b) for a in group for b in sorted(edges[a]) if b in group) for group in found
    ]
    assert not found, "import circles:\n  " + "\n  ".join(described)


def test_no_import_against_the_layers():
    upward = against_the_direction(graph())
    assert not upward, "imports against the layer order:\n  " + "\n  ".join(upward)


@pytest.mark.parametrize("module", ["saas.models.base"] + sorted(m for m in modules() if layer(m) == TENANTS))
def test_the_lower_layers_import_on_their_own(module):
    """Imported first, in a fresh interpreter: nothing above them is needed, nothing is half-built."""
    run = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr[-2000:]


# ---------------------------------------------------------------- the checker itself


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "saas/services/__init__.py": "",
            "saas/services/a.py": "def f():\n    from . import b\n",
            "saas/services/b.py": "from .a import f\n",
            "tenants/terms.py": "def g():\n    import saas.services.a\n",
            "saas/models/__init__.py": "",
            "saas/models/case.py": "from ..services.b import f\n",
        },
    )
    edges = graph(root)
    assert set(edges["saas.services.a"]) == {"saas.services.b"}
    assert set(edges["saas.services.b"]) == {"saas.services.a"}
    assert circles(edges) == [["saas.services.a", "saas.services.b"]]
    assert against_the_direction(edges) == [
        "saas.models.case (models) imports saas.services.b (services)",
        "tenants.terms (tenants) imports saas.services.a (services)",
    ]


def test_the_checker_passes_a_clean_tree(tmp_path):
    root = _tree(
        tmp_path,
        {
            "saas/models/__init__.py": "",
            "saas/models/case.py": "from tenants import terms\n",
            "tenants/terms.py": "from saas.extensions import db\n",
            "saas/extensions.py": "",
            "workers/jobs.py": "def run():\n    from saas.models import case\n",
        },
    )
    edges = graph(root)
    assert circles(edges) == [] and against_the_direction(edges) == []


def test_the_checker_sees_what_a_package_init_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "saas/models/__init__.py": "from saas.models.user import User\n\ndef later():\n    from saas.models import audit\n",
            "saas/models/base.py": "",
            "saas/models/user.py": "from tenants.models import Tenant\n",
            "saas/models/audit.py": "",
            "tenants/models.py": "from saas.models.base import Timestamps\n",
        },
    )
    edges = graph(root)
    assert edges["tenants.models"] == {"saas.models.base": "", "saas.models.user": "saas.models"}
    assert circles(edges) == [["saas.models.user", "tenants.models"]]
    assert against_the_direction(edges) == [
        "tenants.models (tenants) imports saas.models.user (models) through saas.models/__init__.py"
    ]
