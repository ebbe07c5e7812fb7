"""Post a form the way a browser does: only the fields the page rendered, as the person filled them in."""

from __future__ import annotations

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

_TEXTLIKE = {"text", "hidden", "email", "tel", "date", "number", "password", "search", "url", ""}


class _Form(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_form = False
        self.done = False
        self.fields: list[tuple[str, str]] = []  # what the browser would send as the page stands
        self.names: set[str] = set()  # every rendered input, select and textarea name
        self.buttons: set[tuple[str, str]] = set()
        self.files: set[str] = set()
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and a.get("method", "get").lower() == "post":
            self.in_form = True
            return
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "").lower()
            self.names.add(name)
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind == "file":
                self.files.add(name)
            elif kind in ("submit", "button", "image"):
                self.buttons.add((name, a.get("value", "")))
            elif kind in _TEXTLIKE:
                self.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            if (a.get("type") or "submit").lower() == "submit":
                self.buttons.add((name, a.get("value", "")))
        elif tag == "select" and name:
            self.names.add(name)
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._option_value, self._option_selected, self._option_text = a.get("value"), "selected" in a, ""
        elif tag == "textarea" and name:
            self.names.add(name)
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data
        elif self._option_value is not None or (self._select is not None and self._option_text is not None):
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else self._option_text.strip()
            self._options.append((value, self._option_selected))
            self._option_value = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, sel in self._options if sel] or [v for v, _ in self._options[:1]]
            if chosen:
                self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def parse(html: str) -> _Form:
    """The first POST form of the page."""
    form = _Form()
    form.feed(html)
    return form


def rendered_names(html: str) -> set[str]:
    return parse(html).names


def submit(
    client,
    url: str,
    html: str,
    fill: dict | None = None,
    button: tuple[str, str] | None = None,
    files: dict | None = None,
    **kwargs,
):
    """Post the page's first POST form to `url` with `fill` typed into it and `button` clicked.

    Fails the test when `fill`, `button` or `files` name something the page did not render.
    `fill` values replace the rendered ones (a list for several checkboxes or a multiple select).
    """
    form = parse(html)
    fill = fill or {}
    missing = sorted(set(fill) - form.names)
    assert not missing, f"the page did not render {missing}"
    data = MultiDict([(k, v) for k, v in form.fields if k not in fill])
    for name, value in fill.items():
        for v in value if isinstance(value, list) else [value]:
            data.add(name, v)
    if button is not None:
        assert button in form.buttons, f"the page has no {button} button; it has {sorted(form.buttons)}"
        data.add(*button)
    for name, items in (files or {}).items():
        assert name in form.files, f"the page has no file input {name!r}"
        for item in items:
            data.add(name, item)
    return client.post(url, data=data, content_type="multipart/form-data", **kwargs)
