"""Text as detection sees it, with the way back to the characters it came from."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

Span = tuple[int, int, str]  # start, end (in the normalised text), what replaces it
CJK = "\u4e00-\u9fff"  # the unified ideographs, for character classes

_CN_DIGITS = str.maketrans("〇零○一壹幺二贰三叁四肆五伍六陆七柒八捌九玖", "0001112233445566778899")
_CN_NUMERAL = "〇零○一壹幺二贰三叁四肆五伍六陆七柒八捌九玖"
# Anything a person puts between groups of digits: spaces, dashes of every width, dots, slashes,
# underscores, brackets. After NFKC full-width forms are already ASCII.
SEP = r"[\s\-‐‑‒–—―−_/.·•()\[\]~]"
# Four or more Chinese digits in a row (separators allowed) are a number read out, not a word:
# "七天无理由" or "一二" stay as they are.
_CN_RUN_RE = re.compile(rf"[{_CN_NUMERAL}](?:{SEP}{{0,3}}[{_CN_NUMERAL}]){{3,}}")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One character as detection sees it ("" for a format character such as a zero-width space)."""
    if unicodedata.category(ch) == "Cf":
        return ""
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    folded = unicodedata.normalize("NFKC", ch)
    folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFC", folded))


def normalise(text: str) -> tuple[str, list[int]]:
    """(normalised text, index into text of each normalised character).

    NFKC per character, format characters (zero-width spaces, joiners, bidi marks, soft hyphens)
    dropped, diacritics stripped (tone marks of pinyin), any decimal digit made ASCII and runs of
    Chinese digits made ASCII digits. Detection runs on this; masking replaces the original span.
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = ch if ch.isascii() and not ch.isdigit() and ch.isprintable() else _fold_char(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    norm = "".join(out)
    norm = _CN_RUN_RE.sub(lambda m: m.group(0).translate(_CN_DIGITS), norm)  # one for one: offsets hold
    return norm, origin


def flexible(identifier: str) -> re.Pattern[str] | None:
    """An identifier written with any separators or none between its characters, in any case."""
    chars = [c for c in unicodedata.normalize("NFKC", identifier or "") if c.isalnum()]
    if len(chars) < 4:
        return None
    return re.compile(rf"(?<![A-Za-z0-9]){f'{SEP}*'.join(map(re.escape, chars))}(?![A-Za-z0-9])", re.IGNORECASE)


def overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in ranges)
