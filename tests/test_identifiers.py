"""Case numbers and tokens (contacts: tests/test_contact_rules.py)."""

from __future__ import annotations

import re
import secrets
from datetime import date

import pytest

from saas.identifiers import (
    ALPHABET,
    new_case_number,
    new_token,
    normalise_case_number,
)

DAY = date(2025, 1, 15)
CANONICAL = re.compile(r"AS250115-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}")


def test_alphabet_is_crockford():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_case_number_shape():
    number = new_case_number(DAY)
    assert CANONICAL.fullmatch(number), number
    assert normalise_case_number(number) == number


def test_case_numbers_are_unique_over_100k():
    numbers = {new_case_number(DAY) for _ in range(100_000)}
    assert len(numbers) == 100_000


def test_case_numbers_are_not_sequential():
    a, b = new_case_number(DAY), new_case_number(DAY)
    assert a != b
    # No shared random prefix between consecutive numbers, beyond chance.
    shared = sum(new_case_number(DAY)[9:13] == new_case_number(DAY)[9:13] for _ in range(1000))
    assert shared < 5


def _positions(number: str) -> list[int]:
    """Indexes of the characters the check character covers (date, random, check)."""
    return [i for i, ch in enumerate(number) if i >= 2 and ch != "-"]


def test_check_character_catches_every_single_substitution():
    for _ in range(100):
        number = new_case_number(date(2000 + secrets.randbelow(100), 1 + secrets.randbelow(12), 28))
        for i in _positions(number):
            for ch in ALPHABET:
                if ch == number[i]:
                    continue
                typo = number[:i] + ch + number[i + 1 :]
                assert normalise_case_number(typo) is None, (number, typo)


def test_prefix_substitution_is_refused():
    number = new_case_number(DAY)
    assert normalise_case_number("AZ" + number[2:]) is None
    assert normalise_case_number("XS" + number[2:]) is None


def test_check_character_catches_adjacent_transpositions_except_0_and_z():
    # Luhn mod 32's one blind spot, like 09/90 in decimal Luhn.
    for _ in range(100):
        number = new_case_number(DAY)
        compact = number.replace("-", "")
        for i in range(2, len(compact) - 1):
            a, b = compact[i], compact[i + 1]
            if a == b or {a, b} == {"0", "Z"}:
                continue
            swapped = compact[:i] + b + a + compact[i + 2 :]
            assert normalise_case_number(swapped) is None, (compact, swapped)


def test_normalisation_accepts_how_people_type():
    number = new_case_number(DAY)
    compact = number.replace("-", "")
    assert normalise_case_number(number.lower()) == number
    assert normalise_case_number(compact) == number
    assert normalise_case_number("  " + " ".join(compact) + " ") == number
    assert normalise_case_number(compact[:2].lower() + " " + compact[2:8] + "—" + compact[8:]) == number
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in compact)
    assert normalise_case_number(fullwidth) == number


def test_normalisation_maps_confusable_letters():
    # Build a number that contains 0 and 1, then type them as O and I/L.
    while True:
        number = new_case_number(DAY)
        if "0" in number[9:] and "1" in number[9:]:
            break
    typed = number[:9] + number[9:].replace("0", "o").replace("1", "l")
    assert normalise_case_number(typed) == number
    typed = number[:9] + number[9:].replace("0", "O").replace("1", "I")
    assert normalise_case_number(typed) == number
    assert normalise_case_number("ASOO" + number[4:]) == normalise_case_number("AS00" + number[4:])


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "AS",
        "hello",
        "AS250115",
        "AS250115-ABCD-EFGH-JKU",
        "BS250115-ABCD-EFGH-JKM",
        "AS25O115-ABCD-EFGH-JK",
        "AS250115-ABCD-EFGH-JKMN",
        "AS٢٥٠١١٥-ABCD-EFGH-JKM",
    ],
)
def test_malformed_case_numbers(bad):
    assert normalise_case_number(bad) is None


def test_new_token():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    assert len(new_token(16)) == 22
