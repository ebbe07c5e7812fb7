"""zh-CN by default, English on request, and complete catalogues."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_chinese_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "员工登录" in html


def test_lang_parameter_switches_and_sticks(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Staff sign-in" in html
    assert "Staff sign-in" in client.get("/login").get_data(as_text=True)  # remembered
    assert "员工登录" in client.get("/login?lang=zh").get_data(as_text=True)


def test_switcher_links_keep_the_page(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert 'href="/login?lang=zh"' in html


def test_tenant_default_locale_applies_on_its_pages(app, client):
    from saas.extensions import db
    from tests.factories import make_tenant

    with app.app_context():
        make_tenant("intl", default_locale="en")
        db.session.commit()
    html = client.get("/intl/").get_data(as_text=True)
    assert 'lang="en"' in html and "After-sales service" in html


def test_every_message_has_a_chinese_translation():
    with (ROOT / "translations/zh_Hans/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)

    def untranslated(m) -> bool:
        strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        return not all(strings) or "fuzzy" in m.flags  # plural forms count one by one

    missing = [m.id for m in catalog if m.id and untranslated(m)]
    assert missing == []


def test_catalogue_covers_the_source(tmp_path):
    """Every string marked in code is in the committed catalogue (run `make messages` when this fails)."""
    from babel.messages.extract import extract_from_dir

    method_map = [
        ("saas/**.py", "python"),
        ("tenants/**.py", "python"),
        ("workers/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(ROOT), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    with (ROOT / "translations/zh_Hans/LC_MESSAGES/messages.po").open("rb") as f:
        catalogued = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(found - catalogued) == []


def _zh_punctuation():
    import importlib.util

    spec = importlib.util.spec_from_file_location("zh_punctuation", ROOT / "scripts/zh_punctuation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chinese_takes_full_width_punctuation_in_the_catalogue():
    """No half-width ,:;()?! beside a Chinese character (scripts/zh_punctuation.py fixes the catalogue)."""
    offences = _zh_punctuation().offences
    with (ROOT / "translations/zh_Hans/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    bad = []
    for m in catalog:
        strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        bad += [s for s in strings if m.id and s and offences(s)]
    assert bad == []


def test_chinese_takes_full_width_punctuation_in_the_code():
    """Chinese written in code (message texts, demo data, bilingual pairs) follows the same rule.

    Docstrings and raw strings (regular expressions) aside; scripts/zh_punctuation.py fix_code() mends a file.
    """
    zh = _zh_punctuation()
    bad = []
    for folder in ("saas", "tenants", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            if "masking" in path.parts:  # pattern tables: sets of characters people write, not prose
                continue
            bad += [
                f"{path.relative_to(ROOT)}: {text[:60]!r}"
                for text in zh.code_offences(path.read_text(encoding="utf-8"))
            ]
    assert bad == []
