"""Phone numbers (mobiles and landlines), ID numbers, a mobile's tail, chat accounts, in normalised text."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers

from saas.masking.fields import ASCII_MOBILE_RE, mask_id_card, mask_mobile_head, national
from saas.masking.normalise import SEP, Span, overlaps

_GROUP_RE = re.compile(r"[0-9]+(?:[Xx](?![A-Za-z]))?")
_GAP_RE = re.compile(rf"{SEP}{{1,4}}")
# A comma joins groups of three or more digits only ("139，1234，5678"), never "¥6,153.50，2026-10-31".
_COMMA_GAP_RE = re.compile(rf"(?:{SEP}|[,、]){{1,4}}")
_ID_REGIONS = {
    11,
    12,
    13,
    14,
    15,
    21,
    22,
    23,
    31,
    32,
    33,
    34,
    35,
    36,
    37,
    41,
    42,
    43,
    44,
    45,
    46,
    50,
    51,
    52,
    53,
    54,
    61,
    62,
    63,
    64,
    65,
    71,
    81,
    82,
    83,
}
# Words after which a number is an order, parcel or product number, not somebody's landline.
_ORDER_CONTEXT_RE = re.compile(
    r"(?:订单|单号|运单|快递|物流|包裹|编号|型号|货号|批号|序列号|串号|发票|SKU|IMEI|S/?N|order|tracking|waybill|"
    r"parcel|invoice|model|serial|item|ref)[^0-9]{0,8}$",
    re.IGNORECASE,
)
_PHONE_CONTEXT_RE = re.compile(
    r"(?:电话|座机|手机|致电|来电|联系|打|tel|phone|call|fax|传真)[^0-9]{0,6}$", re.IGNORECASE
)
_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        return 1900 <= date(year, month, day).year <= 2030
    except ValueError:
        return False


def _is_id_number(digits: str) -> bool:
    """18 characters (the last may be X) or the old 15-digit form, with a real region and birth date."""
    if len(digits) == 18 and digits[:17].isdigit() and (digits[17].isdigit() or digits[17] in "Xx"):
        return int(digits[:2]) in _ID_REGIONS and _valid_birth(
            int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
        )
    if len(digits) == 15 and digits.isdigit():
        return int(digits[:2]) in _ID_REGIONS and _valid_birth(
            1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
        )
    return False


def _is_landline(digits: str) -> bool:
    """A Chinese number written with its trunk 0 or country code that phonenumbers says is valid."""
    if digits.startswith("0086"):
        digits = "0" + digits[4:]
    elif digits.startswith("86") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if not digits.startswith("0") or not 10 <= len(digits) <= 12:
        return False
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _PHONE_TYPES


def _classify(digits: str, glued: bool, order_context: bool, phone_context: bool) -> str | None:
    if len(digits) == 18 and _is_id_number(digits):
        return "id"
    if "X" in digits.upper():
        return None
    if ASCII_MOBILE_RE.fullmatch(national(digits)):
        return "mobile"
    if glued or order_context:
        return None
    if len(digits) == 15 and _is_id_number(digits):
        return "id"
    if _is_landline(digits):
        return "phone"
    if phone_context and 7 <= len(digits) <= 8 and digits[0] not in "01":
        return "phone"
    return None


def _number_mask(kind: str, digits: str) -> str:
    if kind == "id":
        return mask_id_card(digits)
    return mask_mobile_head(digits)


def _chains(norm: str) -> list[list[re.Match[str]]]:
    """Digit groups joined by separators: "139 1234 5678", "1-3-9…", "110105 19900101 123X"."""
    chains: list[list[re.Match[str]]] = []
    for m in _GROUP_RE.finditer(norm):
        prev = chains[-1][-1] if chains else None
        if prev and (
            _GAP_RE.fullmatch(norm, prev.end(), m.start())
            or (
                len(prev.group(0)) >= 3
                and len(m.group(0)) >= 3
                and _COMMA_GAP_RE.fullmatch(norm, prev.end(), m.start())
            )
        ):
            chains[-1].append(m)
        else:
            chains.append([m])
    return chains


def number_spans(norm: str, protected: list[tuple[int, int]]) -> list[Span]:
    spans = []
    for chain in _chains(norm):
        # "订单 261108-916589590117384": the words before a chain speak for all of its groups.
        chain_is_order = bool(_ORDER_CONTEXT_RE.search(norm[max(0, chain[0].start() - 24) : chain[0].start()]))
        i = 0
        while i < len(chain):
            start = chain[i].start()
            glued = start > 0 and norm[start - 1].isascii() and norm[start - 1].isalpha()
            before = norm[max(0, start - 24) : start]
            order_ctx = chain_is_order or bool(_ORDER_CONTEXT_RE.search(before))
            phone_ctx = bool(_PHONE_CONTEXT_RE.search(before))
            best = None
            digits = ""
            for j in range(i, len(chain)):
                digits += chain[j].group(0)
                if len(digits) > 18:
                    break
                kind = _classify(digits, glued, order_ctx, phone_ctx)
                if kind and not overlaps(start, chain[j].end(), protected):
                    best = (j, kind, digits)
            if best is None:
                i += 1
                continue
            j, kind, digits = best
            lead = 1 if start > 0 and norm[start - 1] == "+" else 0  # +86
            spans.append((start - lead, chain[j].end(), _number_mask(kind, digits)))
            i = j + 1
    # phonenumbers' own matcher for what the groups above do not see, e.g. "+86 (10) 6552-9988".
    if sum(ch.isdigit() for ch in norm) < 7:
        return spans
    rest = list(norm)
    for start, end, _ in spans:  # what is found already is not looked at again
        rest[start:end] = "x" * (end - start)
    # max_tries bounds the work on a long hostile text; real text has a handful of candidates.
    for match in phonenumbers.PhoneNumberMatcher(
        "".join(rest), "CN", leniency=phonenumbers.Leniency.VALID, max_tries=200
    ):
        if phonenumbers.number_type(match.number) not in _PHONE_TYPES or overlaps(match.start, match.end, protected):
            continue
        before = norm[max(0, match.start - 24) : match.start]
        glued = match.start > 0 and norm[match.start - 1].isascii() and norm[match.start - 1].isalpha()
        if glued or _ORDER_CONTEXT_RE.search(before):
            continue
        start = match.start
        while start < match.end and not norm[start].isdigit() and norm[start] != "+":
            start += 1  # "（158…）": the bracket the matcher took along belongs to the sentence
        spans.append((start, match.end, mask_mobile_head(str(match.number.national_number))))
    return spans


# "尾号5678", "last 4 digits 5678": half of the tracking credential on its own.
_TAIL_RE = re.compile(
    r"(?:尾号|尾数|末四位|后四位|末4位|后4位|last\s*(?:4|four)(?:\s*digits)?|ending\s*(?:in|with)?)"
    r"[^0-9]{0,4}?([0-9]{4})(?![0-9])",
    re.IGNORECASE,
)


# "139****5678" as marketplaces print it: the tail is still there.
_STARRED_TAIL_RE = re.compile(r"(?:\*{3,}|(?<=[0-9])[Xx]{3,})\s?([0-9]{4})(?![0-9])")


# A WeChat or QQ account written after its name: it reaches the person as surely as a phone does.
_ACCOUNT_RE = re.compile(
    r"(?<![A-Za-z])(?:微信号?|wechat(?:\s*id)?|weixin|vx|v信|wx|qq号?|扣扣)\s*(?:号|是|:|=)?\s*([A-Za-z0-9][A-Za-z0-9_\-]{4,19})(?![A-Za-z0-9_\-])",
    re.IGNORECASE,
)


def tail_spans(norm: str) -> list[Span]:
    spans = [(m.start(1), m.end(1), "****") for r in (_TAIL_RE, _STARRED_TAIL_RE) for m in r.finditer(norm)]
    return spans + [(m.start(1), m.end(1), m.group(1)[0] + "***") for m in _ACCOUNT_RE.finditer(norm)]
