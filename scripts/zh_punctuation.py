"""Chinese text takes full-width punctuation: fix (or, with --check, list) half-width ,:;()?! beside CJK in zh_Hans."""

from __future__ import annotations

import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "translations/zh_Hans/LC_MESSAGES/messages.po"

CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
# A placeholder such as %(count)s or {name} is code, never prose.
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdif]|\{[^{}]*\}")
HALF_BESIDE_CJK = re.compile(rf"(?<=[{CJK}])[,:;()?!]|[,:;()?!](?=[{CJK}])")


def _has_cjk(text: str) -> bool:
    return re.search(f"[{CJK}]", text) is not None


def is_chinese(text: str) -> bool:
    """Chinese prose, not English that names a Chinese term ("Red-letter reversal (红冲)") nor a set of marks."""
    prose = PLACEHOLDER.sub("", text)
    hanzi = len(re.findall("[\u3400-\u9fff]", prose))
    letters = len(re.findall("[A-Za-z]", prose))
    return hanzi > 0 and hanzi * 2 >= letters


def offences(text: str) -> list[str]:
    """The half-width marks beside a Chinese character in Chinese prose, placeholders aside."""
    if not is_chinese(text):
        return []
    return HALF_BESIDE_CJK.findall(PLACEHOLDER.sub("\x00", text))


def _pairs(masked: str) -> dict[int, int]:
    """Matching parentheses of the prose (placeholders are already masked out)."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for i, ch in enumerate(masked):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs[stack.pop()] = i
    return pairs


def fix(text: str) -> str:
    if not is_chinese(text):
        return text
    masked = PLACEHOLDER.sub(lambda m: "\x00" * len(m.group()), text)
    out = list(text)
    for open_at, close_at in _pairs(masked).items():
        inside = masked[open_at + 1 : close_at]
        around = masked[max(open_at - 1, 0) : open_at] + masked[close_at + 1 : close_at + 2]
        if _has_cjk(inside) or _has_cjk(around):
            out[open_at], out[close_at] = "（", "）"
    masked_out = "".join("\x00" if m == "\x00" else o for o, m in zip(out, masked, strict=True))
    for m in HALF_BESIDE_CJK.finditer(masked_out):
        out[m.start()] = FULL[m.group()]
    # A full-width mark carries its own space: drop the ASCII space a half-width one needed.
    return re.sub(r"([，：；？！）])[ ]+(?=[^\x00-\x7f%{])", r"\1", "".join(out))


def main(argv: list[str]) -> int:
    from babel.messages.pofile import read_po, write_po

    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    bad = 0
    for message in catalog:
        if not message.id:
            continue
        strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
        fixed = [fix(s or "") for s in strings]
        if fixed != strings:
            bad += 1
            if "--check" in argv:
                print(f"{message.id!r}: {strings!r}")
            else:
                message.string = tuple(fixed) if isinstance(message.string, tuple) else fixed[0]
    if "--check" in argv:
        return 1 if bad else 0
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True)
    print(f"fixed {bad} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def _code_literals(source: str):
    """(start, end, text) of each string literal in Python source that is prose: no docstrings, no raw (regex) strings."""
    import ast

    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in inner:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = None  # its source, where {expressions} are placeholders
        else:
            continue
        start, end = offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)
        text = source[start:end] if text is None else text
        if source[start:end].lstrip("fFbBuU")[:1] in ("r", "R"):
            continue
        yield start, end, text


def code_offences(source: str) -> list[str]:
    return [text for _s, _e, text in _code_literals(source) if offences(text)]


def fix_code(source: str) -> str:
    edits = [(s, e) for s, e, text in _code_literals(source) if offences(text)]
    for start, end in sorted(edits, reverse=True):
        source = source[:start] + fix(source[start:end]) + source[end:]
    return source
