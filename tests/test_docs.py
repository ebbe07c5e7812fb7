"""The README and docs/ point only at files in the repository, and the commands they give exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
UNITS = sorted((ROOT / "docs" / "systemd").glob("*"))
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
COMMAND = re.compile(r"flask --app wsgi ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")


def anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens (CJK kept)."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#{1,6} (.+)$", text, re.M)
    }


def test_there_is_an_operators_and_a_merchants_guide_and_units_for_web_and_worker():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS + UNITS}
    assert {
        "docs/operations.md",
        "docs/merchants.md",
        "docs/systemd/aftersales-web.service",
        "docs/systemd/aftersales-worker.service",
    } <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_stay_inside_the_repository_and_resolve(doc):
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    assert "../shared" not in text
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.is_relative_to(ROOT), f"{doc.name}: {target} leaves the repository"
        assert file.exists(), f"{doc.name}: {target} does not exist"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{doc.name}: no heading for #{anchor} in {file.name}"


def test_every_flask_command_the_docs_give_exists(app):
    runner = app.test_cli_runner()
    commands = set()
    for doc in DOCS + UNITS:
        commands.update(COMMAND.findall(doc.read_text(encoding="utf-8")))
    assert ("operator", "create") in commands and ("db", "upgrade") in commands
    for group, sub in sorted(commands):
        args = [group, sub] if sub and group in ("db", "operator", "calendar", "demo") else [group]
        result = runner.invoke(args=[*args, "--help"])
        assert result.exit_code == 0, f"flask --app wsgi {' '.join(args)}: {result.output}"
