"""The people's names in Hanzi and in pinyin (with or without spaces and tones, initials, either order)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, pinyin

from saas.masking.fields import mask_name
from saas.masking.normalise import CJK, Span

_PY_SEP = r"[\s\-'·.]*"


def _syllable(readings: list[str]) -> str:
    forms = set()
    for r in readings:
        forms.add(r)
        if "v" in r:
            forms.update({r.replace("v", "u"), r.replace("v", "yu")})
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")[1-5]?"


def _pinyin_forms(name: str) -> list[tuple[str, bool]]:
    """Regex forms of a 2-4 character Chinese name in pinyin, each with whether it is a whole name."""
    readings = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    if len(readings) != len(name):
        return []
    sylls = [_syllable(r) for r in readings]
    split = 2 if len(name) == 4 else 1
    surname = _PY_SEP.join(sylls[:split])
    given = _PY_SEP.join(sylls[split:])
    initials = (
        r"\.?\s*".join("(?:" + "|".join(sorted({r[0] for r in readings[k]})) + ")" for k in range(split, len(name)))
        + r"\.?"
    )
    forms = [
        (rf"{surname}{_PY_SEP}{given}", True),  # Zhang Wei, zhangwei, ZHANG Wei, Zhāng Wěi
        (rf"{given}{_PY_SEP}{surname}", True),  # Wei Zhang, Weiming Zhang
        (rf"{initials}\s*{surname}", True),  # W. Zhang, W.M. Zhang
        (rf"{surname},?\s*{initials}", True),  # Zhang W., Zhang WM
    ]
    if len(name) - split >= 2:
        forms.append((given, False))  # Xiaoming, Xiao Ming
    return forms


@lru_cache(maxsize=256)  # a case's view masks a dozen texts with the same names
def _name_forms(names: tuple[str, ...]) -> list[tuple[re.Pattern[str], bool]]:
    """The written forms of the people's names, each with whether it is a whole name: each whole name
    (Hanzi and pinyin), the given name of a Chinese name of three or more characters (张三丰 → 三丰; a
    one-character given name would hit ordinary words), each word of three or more letters of a Latin name."""
    forms: dict[str, bool] = {}
    for raw in names:
        name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
        if len(name) < 2:
            continue
        if re.fullmatch(rf"[{CJK}]+", name):
            forms[r"\s*".join(map(re.escape, name))] = True
            if len(name) >= 3:
                given = name[1:] if len(name) == 3 else name[2:]  # 欧阳娜娜: two-character surname
                forms.setdefault(r"\s*".join(map(re.escape, given)), False)
            if len(name) <= 4:
                for form, whole in _pinyin_forms(name):
                    forms.setdefault(rf"(?<![A-Za-z]){form}(?![A-Za-z])", whole)
        else:
            forms[rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])"] = True
            for word in re.split(r"[\s.·-]+", name):
                if len(word) >= 3:
                    forms.setdefault(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", False)
    made = [(re.compile(form, re.IGNORECASE), whole) for form, whole in forms.items()]
    return sorted(made, key=lambda p: (not p[1], -len(p[0].pattern)))


def name_spans(norm: str, names: tuple[str, ...]) -> list[Span]:
    spans: list[Span] = []
    taken = bytearray(len(norm) + 1)
    for pattern, whole in _name_forms(names):
        for m in pattern.finditer(norm):
            if m.group(0).strip() and not any(taken[m.start() : m.end()]):
                taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
                text = " ".join(m.group(0).split())
                spans.append((m.start(), m.end(), mask_name(text) if whole else _star(text)))
    return spans


def _star(text: str) -> str:
    return "".join(ch if ch == " " else "*" for ch in text)
