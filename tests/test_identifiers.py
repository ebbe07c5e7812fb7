"""Case numbers, tokens and contact normalisation."""
from __future__ import annotations

import re
import secrets
from datetime import date

import pytest

from saas.identifiers import (
    ALPHABET,
    email_matches,
    last4_matches,
    new_case_number,
    new_token,
    normalise_case_number,
    normalise_cn_mobile,
    normalise_email,
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
    shared = sum(
        new_case_number(DAY)[9:13] == new_case_number(DAY)[9:13] for _ in range(1000)
    )
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
                typo = number[:i] + ch + number[i + 1:]
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
            swapped = compact[:i] + b + a + compact[i + 2:]
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
    ["", "AS", "hello", "AS250115", "AS250115-ABCD-EFGH-JKU", "BS250115-ABCD-EFGH-JKM",
     "AS25O115-ABCD-EFGH-JK", "AS250115-ABCD-EFGH-JKMN", "AS٢٥٠١١٥-ABCD-EFGH-JKM"],
)
def test_malformed_case_numbers(bad):
    assert normalise_case_number(bad) is None


def test_new_token():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    assert len(new_token(16)) == 22


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+86 138 1234 5678", "+86-138-1234-5678", "0086 13812345678",
     "8613812345678", "(+86) 138-1234-5678", " 138 1234 5678 ", "１３８１２３４５６７８"],
)
def test_normalise_cn_mobile_accepts(raw):
    assert normalise_cn_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw",
    ["", "12812345678", "1381234567", "138123456789", "010-62345678", "+1 415 555 0100",
     "1381234567a", "+85 13812345678", "٢٣٨١٢٣٤٥٦٧٨"],
)
def test_normalise_cn_mobile_refuses(raw):
    assert normalise_cn_mobile(raw) is None


def test_last4_matches():
    assert last4_matches("13812345678", "5678")
    assert last4_matches("+86 138 1234 5678", " 5678 ")
    assert last4_matches("13812345678", "５６７８")
    assert not last4_matches("13812345678", "5679")
    assert not last4_matches("13812345678", "678")
    assert not last4_matches("13812345678", "45678")
    assert not last4_matches("13812345678", "abcd")
    assert not last4_matches(None, "0000")
    assert not last4_matches("", "\x00\x00\x00\x00")


def test_normalise_email():
    assert normalise_email("  Alice@Example.COM ") == "Alice@example.com"
    assert normalise_email("bob＠qq．com") == "bob@qq.com"
    for bad in ["", "alice", "alice@", "@example.com", "alice@localhost", "a b@x.com", "a@b@c.com",
                "a@x..com"]:
        assert normalise_email(bad) is None, bad


def test_email_matches():
    assert email_matches("alice@example.com", " ALICE@Example.com")
    assert not email_matches("alice@example.com", "alice@example.org")
    assert not email_matches("alice", "alice")
    assert not email_matches(None, "alice@example.com")
