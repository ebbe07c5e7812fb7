"""The one locale helper: which language is speaking, and every spelling of it an outside format wants.

Two codes cross the code base:
- the *language* ``"zh"`` / ``"en"``: URLs (``?lang=``), bilingual data (``name_zh``/``name_en``), snapshots;
- the *Babel locale* ``"zh_Hans"`` / ``"en"``: ``force_locale()``, ``Case.locale``, catalogues, date formats.

Outside formats get theirs from here too: the HTML ``lang`` attribute (``zh-CN``), Accept-Language.

UI labels and error messages go through Babel (``_()`` / ``_l()``). Only merchant data (shop names,
return addresses, reason labels, template bodies) and frozen snapshots (eligibility results and clauses
kept in cases and policy versions) stay bilingual, and are read with `pick()` / `localized()`, never with
an ad-hoc ``lang == "en"`` branch (tests/test_i18n_one_system.py fails on new ones).

Pure: standard library and flask_babel only, so every layer (tenants/ included) may use it.
"""

from __future__ import annotations

from typing import Any

DEFAULT_LOCALE = "zh_Hans"
SUPPORTED = ("zh_Hans", "en")
_HTML_LANG = {"zh_Hans": "zh-CN", "en": "en"}
# Accept-Language / ?lang= / stored values → the Babel locale.
_ALIASES = {
    "zh": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "zh-hans-cn": "zh_Hans",
    "cn": "zh_Hans",
    "en": "en",
    "en-us": "en",
    "en_us": "en",
    "en-gb": "en",
    "en_gb": "en",
}
# What request.accept_languages.best_match() is offered.
ACCEPT_LANGUAGE_OFFERS = ("zh", "zh-CN", "en")


def normalise_locale(value: str | None) -> str | None:
    """Any spelling of a supported language (``zh-CN``, ``en_US``, ``zh``…) → ``zh_Hans``/``en``; else None."""
    if not value:
        return None
    return _ALIASES.get(str(value).strip().lower())


def babel_locale(value: str | None) -> str:
    """Any spelling (a language code, a Babel locale, None) → the Babel locale, Chinese by default."""
    return normalise_locale(value) or DEFAULT_LOCALE


def lang_of(value: Any) -> str:
    """Any spelling or a babel ``Locale`` → the short language code ``"zh"``/``"en"``."""
    return "en" if babel_locale(str(value) if value is not None else None) == "en" else "zh"


def html_lang(value: Any) -> str:
    """The HTML ``lang`` attribute for a locale or language (``zh-CN``/``en``)."""
    return _HTML_LANG[babel_locale(str(value) if value is not None else None)]


def current_locale() -> str:
    """The Babel locale speaking now (the request's, or the one forced); Chinese outside any context."""
    from flask_babel import get_locale

    try:
        locale = get_locale()
    except RuntimeError:  # no application context
        locale = None
    return babel_locale(str(locale) if locale is not None else None)


def current_lang() -> str:
    """``"zh"`` or ``"en"``: the short code of the language speaking now."""
    return lang_of(current_locale())


def pick(zh: Any, en: Any, lang: str | None = None, *, fallback: bool = False) -> Any:
    """The Chinese or English form of a piece of bilingual *data* (not UI text: that is Babel's).

    `lang` is any spelling; None means the language speaking now. With `fallback`, an empty English
    form gives the Chinese one (for data merchants often fill only in Chinese).
    """
    english = lang_of(lang) == "en" if lang is not None else current_lang() == "en"
    if not english:
        return zh
    return (en or zh) if fallback else en


def localized(obj: Any, field: str, lang: str | None = None, *, fallback: bool = False) -> Any:
    """``obj.<field>_zh`` or ``obj.<field>_en`` (a mapping's keys work too), through `pick`."""
    if isinstance(obj, dict):
        return pick(obj.get(f"{field}_zh"), obj.get(f"{field}_en"), lang, fallback=fallback)
    return pick(getattr(obj, f"{field}_zh"), getattr(obj, f"{field}_en", None), lang, fallback=fallback)


def in_language(message: Any, lang: str | None = None) -> str:
    """A catalogue message (``_l(...)``) in `lang` (any spelling), or in the language speaking now."""
    if lang is None:
        return str(message)
    from flask_babel import force_locale

    with force_locale(babel_locale(lang)):
        return str(message)


def in_both(message: Any) -> tuple[str, str]:
    """A catalogue message (``_l(...)``) rendered in Chinese and in English, for a record that keeps both
    (a TermError, a snapshot). Needs an application context, like any gettext call."""
    from flask_babel import force_locale

    with force_locale("zh_Hans"):
        zh = str(message)
    with force_locale("en"):
        en = str(message)
    return zh, en
