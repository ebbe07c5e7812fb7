"""One translation system: UI text goes through Babel; only merchant data and frozen snapshots are bilingual.

Reads the source with `ast` (nothing is imported) and fails on
- a new ``… == "en"`` / ``!= "en"`` branch (language choice belongs in saas/locale.py: pick(), lang_of() …),
- a new ``("中文", "English")`` literal pair (UI labels and messages are msgids with a zh_Hans msgstr),
outside the modules allowed below, each with the number it holds today (a ceiling: it may only go down).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("saas", "tenants", "workers")
SKIP_PARTS = {"tests", "migrations", "bench", "__pycache__", "static", "templates"}
CJK = re.compile(r"[\u4e00-\u9fff]")

# Where a language branch is the point: the one locale helper.
BRANCH_ALLOWED: dict[str, int] = {
    "saas/locale.py": 3,
    # Not converted yet (being split/edited in parallel); the count may only go down.
    "tenants/term_labels.py": 1,
}

# Bilingual by nature: merchant data and frozen snapshots, read through saas.locale.pick()/localized().
PAIRS_ALLOWED: dict[str, int] = {
    # Policy terms: labels and values quoted in published versions, and the TermErrors that carry both.
    "tenants/categories.py": 16,
    "tenants/term_fields.py": 5,
    "tenants/terms.py": 12,
    "tenants/term_labels.py": 62,
    "tenants/term_rules.py": 18,
    "tenants/presets.py": 4,
    # Eligibility results and clauses frozen into each case at intake (must read the same forever).
    "tenants/remedies.py": 18,
    "tenants/policy_case.py": 10,
    "tenants/policy_returns.py": 11,
    "tenants/policy_repairs.py": 7,
    "tenants/policy_compensation.py": 3,
    # Order channels/categories: also the aliases a merchant's CSV import accepts in either language.
    "saas/models/order.py": 8,
    # The starting reason catalogue seeded into each shop, which the merchant then edits (name_zh/name_en).
    "saas/models/reason.py": 18,
    # Default wordings of merchant-editable templates (the merchant overrides them per locale), and the
    # sample messages the editor previews them with.
    "saas/services/message_templates.py": 25,
    "saas/services/message_previews.py": 25,
    # The demo shops' own data.
    "saas/demo/seed.py": 4,
    "saas/demo/cases.py": 1,
    # The import template's headers (the import accepts either language's) and its example row.
    "saas/services/orders.py": 16,
}


def sources() -> dict[str, ast.AST]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if SKIP_PARTS & set(rel.parts):
                continue
            out[rel.as_posix()] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return out


def _is_en(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "en"


def language_branches(tree: ast.AST) -> list[int]:
    """Line numbers of comparisons with the literal "en" (``lang == "en"``, ``"en" != x``)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            if _is_en(node.left) or any(_is_en(c) for c in node.comparators):
                lines.append(node.lineno)
    return lines


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def literal_pairs(tree: ast.AST) -> list[int]:
    """Line numbers of a Chinese string followed by an English one, in a tuple, list or call's arguments."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List)):
            items = node.elts
        elif isinstance(node, ast.Call):
            items = node.args
        else:
            continue
        texts = [_text(item) for item in items]
        for first, second, item in zip(texts, texts[1:], items, strict=False):
            if first and second and CJK.search(first) and re.match(r"\W*[A-Za-z]", second) and not CJK.search(second):
                lines.append(item.lineno)
    return lines


def _over(found: dict[str, list[int]], allowed: dict[str, int]) -> list[str]:
    return [
        f"{module}:{lines} ({len(lines)} found, {allowed.get(module, 0)} allowed)"
        for module, lines in sorted(found.items())
        if len(lines) > allowed.get(module, 0)
    ]


def test_no_new_language_branches():
    found = {m: lines for m, tree in sources().items() if (lines := language_branches(tree))}
    assert not _over(found, BRANCH_ALLOWED), (
        "Choose a language with saas.locale (pick, localized, lang_of, babel_locale, html_lang), and UI text "
        "with _()/_l(): " + "; ".join(_over(found, BRANCH_ALLOWED))
    )


def test_no_templates_branch_on_the_language():
    """(The language switcher's own links, which mark the language in use, are the exception.)"""
    hits = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / "templates").rglob("*.html"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""[!=]=\s*["']en["']""", line) and "lang_url(" not in line
    ]
    assert not hits, f"Templates translate with _(): {hits}"


def test_no_new_bilingual_literal_pairs():
    found = {m: lines for m, tree in sources().items() if (lines := literal_pairs(tree))}
    assert not _over(found, PAIRS_ALLOWED), (
        "UI labels and messages are Babel msgids (fill the zh_Hans msgstr); only merchant data and frozen "
        "snapshots stay bilingual, in the modules allowed here: " + "; ".join(_over(found, PAIRS_ALLOWED))
    )


@pytest.mark.parametrize(
    "source, branches, pairs",
    [
        ('x = "a" if lang == "en" else "b"\n', 1, 0),
        ('if "en" != locale:\n    pass\n', 1, 0),
        ('LABEL = ("退货", "Return")\n', 0, 1),
        ('raise Bad(f"第{n}行", f"line {n}")\n', 0, 1),
        ('x = pick("退货", "Return")\n', 0, 1),
        ('x = ("退货", "退款")\nok = lang_of(v) == "zh"\n', 0, 0),
    ],
)
def test_the_scanner_sees_what_it_must(source, branches, pairs):
    tree = ast.parse(source)
    assert (len(language_branches(tree)), len(literal_pairs(tree))) == (branches, pairs)


# ---------- the converted messages render in both languages ------------------------------------

CONVERTED = [
    "%(label)s: %(message)s",
    ", batch %(batch)s",
    "How satisfied are you with how we handled your case? Please rate us (1–5 stars).",
    "Product recall: %(product)s (SKU %(sku)s%(batch)s) that you bought is being recalled for a food-safety "
    "problem. %(reason)s Please stop using it now and tell us whether you want a refund at the link.",
    "The %(label)s is not one of the choices: please choose from the list.",
    "The effective date cannot be before today.",
    "The platform forwarded complaint %(reference)s about your after-sales service. Please verify it and answer "
    "in the console before %(due)s.",
    "The platform's answer to your complaint %(reference)s about %(shop)s: %(reply)s",
    "There is no draft to publish.",
    "Unknown product category.",
    "Unknown preset.",
    "View details",
    "The file is for %(file_year)s, not %(year)s.",
    "The year %(year)s is out of range (%(min)s–%(max)s).",
]


def test_each_converted_message_has_a_chinese_translation(app):
    from flask_babel import force_locale, gettext

    for msgid in CONVERTED:
        with app.test_request_context(), force_locale("zh_Hans"):
            zh = gettext(msgid)
        with app.test_request_context(), force_locale("en"):
            en = gettext(msgid)
        assert en == msgid.replace("%%", "%")
        assert zh != en and re.search(r"[\u4e00-\u9fff\uff0c\uff1a\u3002]", zh), msgid  # Chinese or its punctuation
        assert sorted(re.findall(r"%\(\w+\)s", zh)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid


def test_template_refusals_render_in_both_languages(app):
    from flask_babel import force_locale

    from saas.services.message_templates import TemplateError

    for code in TemplateError.MESSAGES:
        error = TemplateError(code, names="{x}", available="{shop}", limit=70)
        with app.test_request_context(), force_locale("zh_Hans"):
            zh = error.message
        with app.test_request_context(), force_locale("en"):
            en = error.message
        assert CJK.search(zh) and not CJK.search(en) and en != code, code
    assert TemplateError("too_long", limit=70).field == "body"
    assert TemplateError("subject_too_long", limit=70).field == "subject"


def test_a_recall_text_is_written_in_the_customers_language_whatever_the_page_speaks(app):
    from flask_babel import force_locale

    from saas.models.recall import Recall
    from saas.services.recall_batches import message_text

    recall = Recall(sku="SKU-1", product_name="Yoghurt", batch="B7", reason_zh="菌落超标", reason_en="Bacteria")
    with app.test_request_context(), force_locale("en"):  # an English page sending to a Chinese customer
        zh = message_text(recall, "zh_Hans")
        en = message_text(recall, "en")
    assert zh.startswith("商品召回通知：您购买的「Yoghurt」（商品编码 SKU-1，批次 B7）") and "菌落超标" in zh
    assert en.startswith("Product recall: Yoghurt (SKU SKU-1, batch B7)") and "Bacteria" in en


def test_the_locale_helper_spells_each_language_one_way_per_format():
    from saas.locale import babel_locale, html_lang, lang_of, localized, normalise_locale, pick

    for spelling in ("zh", "zh-CN", "zh_Hans", "zh_Hans_CN", "ZH-cn", None, ""):
        assert babel_locale(spelling) == "zh_Hans" and lang_of(spelling) == "zh" and html_lang(spelling) == "zh-CN"
    for spelling in ("en", "en-US", "en_GB", "EN"):
        assert babel_locale(spelling) == "en" and lang_of(spelling) == "en" and html_lang(spelling) == "en"
    assert normalise_locale("fr") is None and babel_locale("fr") == "zh_Hans"
    assert pick("退货", "Return", "en") == "Return" and pick("退货", "Return", "zh_Hans") == "退货"
    assert pick("退货", "", "en") == "" and pick("退货", "", "en", fallback=True) == "退货"
    assert localized({"name_zh": "甲", "name_en": "A"}, "name", "en-US") == "A"
