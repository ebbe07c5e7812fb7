"""E-mail addresses in every written form, and links that may carry a token."""

from __future__ import annotations

import re

from saas.masking.fields import mask_email
from saas.masking.normalise import Span

_AT = r"(?:\s*@\s*|\s*艾特\s*)"
# "at" as a word ("zhangsan at qq dot com") only before a real top-level domain: "meet at home dot" is not mail.
_AT_WORD = r"(?:\s+at\s+|\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s*#\s*)"  # "abc#qq.com (# 换成 @)"
_DOT = r"(?:\.|\s+\.\s+|\s+dot\s+|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s*点\s*)"
_LABEL = r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?|[^\W_](?:[\w\-]*[^\W_])?)"
_DOMAIN = rf"{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:[A-Za-z]{{2,}}|[^\W\d_]{{2,}})"
_TLD = r"(?:com|cn|net|org|edu|gov|info|io|me|co|cc|top|xyz|biz|hk|tw|mo|jp|kr|uk|de|fr|us|ca|au|sg)(?![A-Za-z])"
# A local part starts where a run of its characters starts: trying every position inside a long run
# would make a long hostile text cost quadratic time.
_LOCAL = r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+"
_EMAIL_RES = (
    re.compile(rf"{_LOCAL}@[A-Za-z0-9.-]+\.[A-Za-z]{{2,}}"),  # EMAIL_RE: the plain form, however odd ("a@..cn")
    re.compile(rf"{_LOCAL}{_AT}{_DOMAIN}", re.IGNORECASE),
    re.compile(rf"{_LOCAL}{_AT_WORD}(?:{_LABEL}{_DOT})+{_TLD}", re.IGNORECASE),
    re.compile(rf"[^\W_]{{1,6}}{_AT}{_DOMAIN}", re.IGNORECASE),  # internationalised: 张三@例子.中国
)
_AT_SPLIT_RE = re.compile(f"{_AT}|{_AT_WORD}", re.IGNORECASE)
_DOT_SPLIT_RE = re.compile(_DOT, re.IGNORECASE)


# Typed a character at a time, as people do to dodge filters: "z h a n g @ 1 6 3 . c o m".
_SPACED_EMAIL_RE = re.compile(r"(?<!\S)[A-Za-z0-9._%+\-](?: [A-Za-z0-9._%+\-])* @ [A-Za-z0-9\-](?: [A-Za-z0-9.\-])+")
_PLAIN_DOMAIN_RE = re.compile(r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _spaced_email_spans(norm: str) -> list[Span]:
    spans: list[Span] = []
    for m in _SPACED_EMAIL_RE.finditer(norm):
        text = m.group(0).rstrip(" .")  # a full stop after the address ends the sentence
        local, _, domain = text.replace(" ", "").partition("@")
        if _PLAIN_DOMAIN_RE.fullmatch(domain):
            spans.append((m.start(), m.start() + len(text), mask_email(f"{local}@{domain}")))
    return spans


def email_spans(norm: str) -> list[Span]:
    spans: list[Span] = _spaced_email_spans(norm)
    taken = bytearray(len(norm) + 1)
    for s, e, _r in spans:
        taken[s:e] = b"\x01" * (e - s)
    for pattern in _EMAIL_RES:
        for m in pattern.finditer(norm):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
            local, domain = _AT_SPLIT_RE.split(m.group(0), maxsplit=1)
            spans.append((m.start(), m.end(), mask_email(f"{local}@{_DOT_SPLIT_RE.sub('.', domain)}")))
    return spans


# A link may carry a signed tracking or survey token that opens the consumer's case: only the site stays.
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s/?#<>\"'，。）)]+([^\s<>\"'，。）)]*)", re.IGNORECASE)


def url_spans(norm: str) -> list[Span]:
    return [(m.start(1), m.end(), "/***") for m in _URL_RE.finditer(norm) if len(m.group(1)) > 1]
