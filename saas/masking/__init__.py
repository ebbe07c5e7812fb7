"""The one masking family for personal data shown outside the tenant's own staff (supervisors, exports).

mask_text is the one path for free text: normalise (normalise.py), find (numbers, contacts,
addresses, names), and replace the original characters each find came from.
"""

from __future__ import annotations

from collections.abc import Iterable

from saas.masking.addresses import ADDRESS_EN_RE, ADDRESS_MASK, ADDRESS_RE, address_spans
from saas.masking.contacts import email_spans, url_spans
from saas.masking.fields import (
    EMAIL_RE,
    ID_CARD_RE,
    MOBILE_RE,
    mask_address,
    mask_case_number,
    mask_email,
    mask_id_card,
    mask_mobile,
    mask_mobile_head,
    mask_name,
)
from saas.masking.names import name_spans
from saas.masking.normalise import Span, flexible, normalise, overlaps
from saas.masking.numbers import number_spans, tail_spans

__all__ = [
    "ADDRESS_EN_RE",
    "ADDRESS_MASK",
    "ADDRESS_RE",
    "EMAIL_RE",
    "ID_CARD_RE",
    "MOBILE_RE",
    "contains_personal_data",
    "mask_address",
    "mask_case_number",
    "mask_email",
    "mask_id_card",
    "mask_mobile",
    "mask_mobile_head",
    "mask_name",
    "mask_text",
]


def _mask_once(text: str, names: tuple[str, ...], keep: tuple[str, ...], case_numbers: tuple[str, ...]) -> str:
    norm, origin = normalise(text)
    spans: list[Span] = []
    for number in case_numbers:
        pattern = flexible(number)
        if pattern:
            spans += [(m.start(), m.end(), mask_case_number(number)) for m in pattern.finditer(norm)]
    protected = [(s, e) for s, e, _ in spans]
    for known in keep:  # the shop's own order and parcel numbers on the case stay readable
        pattern = flexible(known)
        if pattern:
            protected += [m.span() for m in pattern.finditer(norm)]
    spans += url_spans(norm)
    spans += name_spans(norm, names)
    spans += email_spans(norm)
    spans += [s for s in address_spans(norm) if not overlaps(s[0], s[1], protected)]
    spans += number_spans(norm, protected)
    spans += tail_spans(norm)
    if not spans:
        return text
    # Back onto the original text: each span covers the original characters it came from.
    mapped = sorted(((origin[s], origin[e - 1] + 1, r) for s, e, r in spans if e > s), key=lambda x: (x[0], -x[1]))
    out, pos = [], 0
    merged: list[list] = []
    for s, e, r in mapped:
        if merged and s < merged[-1][1]:
            last = merged[-1]
            if e - s > last[1] - last[0]:
                last[2] = r
            last[1] = max(last[1], e)
        else:
            merged.append([s, e, r])
    for s, e, r in merged:
        out.append(text[pos:s])
        out.append(r)
        pos = e
    out.append(text[pos:])
    return "".join(out)


def mask_text(text: str, names: Iterable[str] = (), keep: Iterable[str] = (), case_numbers: Iterable[str] = ()) -> str:
    """Mask personal data in free text, leaving the rest of each sentence as written (idempotent).

    Detection runs on a normalised copy (NFKC, zero-width characters dropped, Chinese digits as
    digits, any separators between digit groups); each find replaces the original characters it
    came from. Found: mobiles and landlines (138********, never the last four digits), 15- and
    18-digit ID numbers, e-mail addresses (IDN, full-width, "at … dot …"), Chinese and English
    street addresses (***), and the names of `names` in Hanzi and pinyin (张三丰 → 张**).

    `keep`: the case's own order and parcel numbers, left readable even when shaped like a phone.
    `case_numbers`: the case's number, shown only in part (mask_case_number) wherever it is written.
    Order and parcel numbers differ from phones by their letters (JD…, SF…), their length (Taobao's
    16-19 digits) and the words before them (订单号, 运单号, order no.), which turn off the landline rule.
    """
    text = text or ""
    args = (tuple(names), tuple(k for k in keep if k), tuple(n for n in case_numbers if n))
    for _ in range(4):
        masked = _mask_once(text, *args)
        if masked == text:
            return masked
        text = masked
    return text


def contains_personal_data(text: str) -> bool:
    """True when mask_text would change text."""
    return mask_text(text) != (text or "")
