"""Every rule of app.url_map, every method, signed in or not, fed hostile values: never a 5xx.

The fields are discovered, not listed: a crawl of the demo shops as each kind of user collects every form
(its action, method and field names) and every link (query parameter names, real values for URL parts);
the WTForms classes add their field names to the rules their forms post to. A new route or field is
therefore covered without touching this file. CSRF is off in this app's config so the hostile values,
not the token, are what the views see.
"""

from __future__ import annotations

import io
import json
import os
import time
import traceback
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote_from_bytes, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from tests.conftest import make_config

pytestmark = pytest.mark.filterwarnings("ignore")

PASSWORD = "demo-password-2026"
# The random walk after the sweep: at most this many examples, and no request after this many seconds.
EXAMPLES = int(os.environ.get("URL_MAP_FUZZ_EXAMPLES", "300"))
TIME_BUDGET = float(os.environ.get("URL_MAP_FUZZ_SECONDS", "20"))
# The same walk every run (a failure reproduces); URL_MAP_FUZZ_RANDOM=1 explores a new one.
DERANDOMIZE = not os.environ.get("URL_MAP_FUZZ_RANDOM")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

NESTED_JSON = "[" * 5000 + "]" * 5000
# Refused at the request boundary; one request in a few carries one of them in one place.
CONTROL = ["\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\ud800", "x\udfffy"]
# Reach the views: the forms, services and database must answer them with a 4xx or take them.
HOSTILE = [
    "\u202e\u2066evil\u2069",
    "\u200f",
    "\ufeff",
    "\uffff",
    "😀" * 50,
    "A" * 1_000_000,
    "中" * 10_001,
    "x" * 4001,
    "x" * 501,
    "x" * 201,
    "",
    " ",
    "\r\n\r\nX-Injected: yes",
    "9" * 40,
    "2147483648",
    "9223372036854775808",
    "-1",
    "-99999999999",
    "0",
    "1e400",
    "-1e400",
    "1E-400",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x1f",
    "1_000",
    "١٢٣",
    "²",
    "０",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "99999-01-01",
    "25:61",
    "1.5",
    "3.14159265358979323846264338",
    NESTED_JSON,
    '{"a": {"b": [1, 2, {"c": null}]}}',
    "true",
    "null",
    "[]",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "' OR 1=1 --",
    "@",
    "a@b",
    "on",
    "yes",
]
HOSTILE_INTS = ["0", "2147483647", "2147483648", "9" * 25, "00000000000000000000001"]
USERS = {
    "owner": "owner@voltmart.demo",
    "agent": "agent@voltmart.demo",
    "supervisor": "supervisor@cca.demo",
    "operator": "operator@platform.demo",
}


class Page(HTMLParser):
    """The forms (action, method, fields with a sample value) and links of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "GET").upper(),
                "multipart": "multipart" in (a.get("enctype") or ""),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and a.get("name"):
            if (a.get("type") or "").lower() == "file":
                self._form["fields"].setdefault(a["name"], "<file>")
            else:
                self._form["fields"].setdefault(a["name"], a.get("value") or "")
            if tag == "select":
                self._textarea = a["name"]
        elif tag == "option" and self._form is not None and self._textarea and a.get("value"):
            if not self._form["fields"].get(self._textarea):
                self._form["fields"][self._textarea] = a["value"]
        if (a.get("formaction") or "") and self._form is not None:
            self.forms.append({**self._form, "action": a["formaction"], "fields": self._form["fields"]})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._textarea = None


class Catalogue:
    """What the crawl found: per endpoint, the methods and fields of its forms, query names and URL values."""

    def __init__(self, app):
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.fields: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        self.multipart: set[str] = set()
        self.query: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.values: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.seen_urls: set[str] = set()

    def match(self, url: str, method: str = "GET"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            return None
        try:
            endpoint, args = self.adapter.match(parts.path, method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            return None
        return endpoint, args, parse_qsl(parts.query)

    def note(self, url: str, method: str = "GET", fields: dict | None = None, multipart: bool = False):
        found = self.match(url, method)
        if found is None:
            return None
        endpoint, args, query = found
        for name, value in args.items():
            self.values[(endpoint, name)].add(str(value))
        for name, value in query:
            self.query[endpoint][name].add(value)
        if fields is not None:
            if method == "GET":
                for name, value in fields.items():
                    self.query[endpoint][name].add(value)
            else:
                self.fields[(endpoint, method)].update(fields)
                if multipart:
                    self.multipart.add(endpoint)
        return endpoint

    def crawl(self, client, starts: list[str], limit: int = 120) -> None:
        queue, seen = list(starts), set()
        per_endpoint: dict[str, int] = defaultdict(int)
        while queue and len(seen) < limit:
            url = queue.pop(0)
            found = self.match(url)
            if url in seen or found is None or found[0] in ("auth.logout", "static"):
                continue
            seen.add(url)
            # A few pages of each kind are enough; a shop has hundreds of case pages alike.
            per_endpoint[found[0]] += 1
            if per_endpoint[found[0]] > 3:
                continue
            response = client.get(url)
            self.note(url)
            if response.status_code != 200 or "html" not in (response.mimetype or ""):
                continue
            page = Page()
            page.feed(response.get_data(as_text=True))
            for form in page.forms:
                action = form["action"] or urlsplit(url).path
                self.note(action, form["method"], form["fields"], form["multipart"])
                if form["method"] == "GET" and action.startswith("/"):
                    queue.append(action)  # a button that is a GET form leads somewhere too
            for link in page.links:
                absolute = link if link.startswith("/") else None
                if absolute and absolute not in seen:
                    queue.append(absolute)

    def add_wtforms_fields(self, targets) -> None:
        """Field names of every FlaskForm subclass, for the POST rules whose form the crawl did not reach."""
        from flask_wtf import FlaskForm

        classes, stack = [], [FlaskForm]
        while stack:
            cls = stack.pop()
            for sub in cls.__subclasses__():
                classes.append(sub)
                stack.append(sub)
        names = set()
        for cls in classes:
            for attr in dir(cls):
                field = getattr(cls, attr, None)
                if getattr(field, "field_class", None) is not None:
                    names.add(attr)
        for _rule, endpoint, method in targets:
            if method in BODY_METHODS and (endpoint, method) not in self.fields:
                self.fields[(endpoint, method)] = dict.fromkeys(sorted(names), "")


def _role_for(rule: str) -> str | None:
    if "/console" in rule:
        return "owner"
    if rule.startswith("/supervise"):
        return "supervisor"
    if rule.startswith("/admin"):
        return "operator"
    return None


@pytest.fixture(scope="module")
def fuzz(databases, redis_url):
    from sqlalchemy import select

    from saas import create_app
    from saas.extensions import db
    from saas.models.case import Case
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    started = time.monotonic()

    app = create_app(
        make_config(
            databases.new("fuzz"), redis_url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, CASE_PAGE_CACHE=False
        )
    )
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output

    clients = {None: app.test_client()}
    for role, email in USERS.items():
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code in (302, 303), (role, response.status_code)
        clients[role] = client
    consumer = app.test_client()
    with app.app_context():
        voltmart = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        with tenant_context(voltmart.id):
            # Cases in several states: an open one's page has the message and return forms, a closed one not.
            found = db.session.scalars(select(Case).where(Case.mobile.is_not(None)).order_by(Case.id.desc())).all()
            picked = [(c.number, c.mobile[-4:]) for c in found[:: max(len(found) // 4, 1)]][:4]
    for number, last4 in picked:
        response = consumer.post("/voltmart/track", data={"number": number, "factor": last4})
        assert response.status_code == 303, response.status_code
    clients["consumer"] = consumer

    catalogue = Catalogue(app)
    catalogue.crawl(clients["owner"], ["/voltmart/console/", "/voltmart/console/cases?status=all"], limit=90)
    catalogue.crawl(clients["supervisor"], ["/supervise/"], limit=40)
    catalogue.crawl(clients["operator"], ["/admin/", "/dev/inbox"], limit=50)
    # A consumer's entry points: the shop's pages, and the links an SMS brings (tracking, a case page).
    catalogue.crawl(
        consumer,
        [
            *(f"/voltmart/track/{number}" for number, _l4 in picked),
            "/",
            "/voltmart/track",
            "/voltmart/cases/new",
            "/voltmart/",
            "/voltmart/complaints/new",
            "/kidswear/",
            "/tianshang/policy",
        ],
        limit=50,
    )
    targets = sorted(
        (rule.rule, rule.endpoint, method) for rule in app.url_map.iter_rules() for method in sorted(rule.methods)
    )
    discovered = len(catalogue.fields)
    catalogue.add_wtforms_fields(targets)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    yield {
        "app": app,
        "crawled": time.monotonic(),
        "discovered": discovered,
        "clients": clients,
        "catalogue": catalogue,
        "targets": targets,
        "rules": rules,
        "count": [0],
        "failures": [],
        "statuses": defaultdict(int),
        "signed_out": [],
        "started": started,
        "covered": set(),
    }
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _url_value(converter: str, value: str) -> str:
    return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="") if converter != "int" else value


def _encode(pairs) -> bytes:
    return "&".join(
        quote_from_bytes(k.encode("utf-8", "surrogatepass"), safe="")
        + "="
        + quote_from_bytes(v.encode("utf-8", "surrogatepass"), safe="")
        for k, v in pairs
    ).encode("ascii")


def _request(fuzz, target, signed_in: bool, pick, body_kind: str, send=lambda: True):
    """One request: URL parts, query and form fields each either a real value or a hostile one.

    Everything is drawn before `send()` is asked whether there is time left, so hypothesis sees the same
    draws whether or not the request goes out."""
    rule_text, endpoint, method = target
    catalogue, rule = fuzz["catalogue"], fuzz["rules"][endpoint]
    parts = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__.lower()
        real = sorted(catalogue.values.get((endpoint, name), ())) or ["voltmart"] * (name == "slug")
        if "int" in converter:
            parts[name] = pick(real, HOSTILE_INTS, f"url:{name}")
        else:
            parts[name] = _url_value("string", pick(real, HOSTILE[:30] + CONTROL, f"url:{name}"))
    path = rule_text
    for name, value in parts.items():
        path = path.replace(f"<{name}>", value)
        for conv in ("int", "path", "string"):
            path = path.replace(f"<{conv}:{name}>", value)

    known = catalogue.query.get(endpoint, {})
    query = [
        (n, pick(sorted(known.get(n, ())), HOSTILE, f"q:{n}"))
        for n in sorted(set(known) | {"lang", "page", "next"})
        if pick([True], [False], f"has-q:{n}")
    ]
    fields = catalogue.fields.get((endpoint, method), {})
    form = [(n, pick([v] if v != "<file>" else [], HOSTILE, f"f:{n}")) for n, v in sorted(fields.items())]
    # One request in a few has a control character in one field or query value.
    poison = pick([None], CONTROL, "poison")
    if poison is not None and (form or query):
        into = form if form and pick([True], [False], "poison-form") else (query or form)
        where = pick(list(range(len(into))), [], "poison-at")
        into[where] = (into[where][0], into[where][1][:100] + poison)

    role = _role_for(rule_text) if endpoint != "auth.logout" else None
    if endpoint.startswith("tracking.") or endpoint == "survey.answer":
        role = "consumer"
    client = fuzz["clients"][role if signed_in else None]
    url = path + ("?" + _encode(query).decode() if query else "")
    kwargs = {}
    if method in BODY_METHODS:
        if body_kind == "json":
            kwargs = {
                "data": json.dumps(dict(form) or {"x": NESTED_JSON}).encode("utf-8", "surrogatepass")
                if pick([True], [False], "json-flat")
                else NESTED_JSON.encode(),
                "content_type": "application/json",
            }
        elif body_kind == "multipart" or endpoint in catalogue.multipart:
            data = {}
            for name, value in form:
                if fields.get(name) == "<file>":
                    data[name] = (io.BytesIO(value.encode("utf-8", "surrogatepass")[:2048]), "a\x00.jpg")
                else:
                    data[name] = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            kwargs = {"data": data, "content_type": "multipart/form-data"}
        else:
            kwargs = {"data": _encode(form), "content_type": "application/x-www-form-urlencoded"}
    if not send():
        return
    fuzz["count"][0] += 1
    fuzz["covered"].add((endpoint, method))
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception:
        fuzz["failures"].append((method, url, "exception", traceback.format_exc(limit=-6)))
        return
    fuzz["statuses"][(role if signed_in else None, response.status_code)] += 1
    if os.environ.get("URL_MAP_FUZZ_VERBOSE") and response.status_code == 400 and signed_in and role == "owner":
        import re

        found = re.search(r"<p>(.*?)</p>", response.get_data(as_text=True), re.S)
        print("400", method, url[:100], found.group(1)[:80] if found else response.get_data(as_text=True)[:80])
    if (
        signed_in
        and role in ("owner", "operator")
        and response.status_code == 302
        and "/login" in response.headers.get("Location", "")
    ):
        fuzz["signed_out"].append((method, url[:120]))
    if response.status_code >= 500:
        fuzz["failures"].append((method, url, response.status_code, response.get_data(as_text=True)[:300]))


def _picker(index: int):
    """The sweep's choice: a real value, except every fourth choice, which is the next hostile one."""
    counter = [index]

    def pick(real, hostile, _label):
        counter[0] += 1
        if hostile and (not real or counter[0] % 4 == 0):
            return hostile[(counter[0] * 7) % len(hostile)]
        return real[counter[0] % len(real)]

    return pick


def test_every_rule_survives_hostile_input(fuzz, capsys):
    targets = fuzz["targets"]
    # The sweep: every rule and method, as the right user and as a stranger, several hostile fillings.
    for round_ in range(2):
        for i, target in enumerate(targets):
            if round_ and target[2] not in BODY_METHODS:
                continue  # the second round sends multipart and JSON bodies
            for signed_in in (True, False):
                body = "form" if round_ == 0 else ("multipart", "json")[(i + signed_in) % 2]
                _request(fuzz, target, signed_in, _picker(i * 13 + round_ * 5 + signed_in), body)
    missing = {(e, m) for _r, e, m in targets} - fuzz["covered"]
    assert not missing

    deadline = time.monotonic() + TIME_BUDGET

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def walk(data):
        target = data.draw(st.sampled_from(targets), label="target")
        signed_in = data.draw(st.booleans(), label="signed_in")
        body_kind = data.draw(st.sampled_from(["form", "form", "multipart", "json"]), label="body")

        def pick(real, hostile, label):
            # Three real values to one hostile, so most requests get past the first check to the view.
            if hostile and (not real or data.draw(st.integers(0, 3), label=f"{label}?") == 0):
                return data.draw(st.sampled_from(hostile), label=label)
            return data.draw(st.sampled_from(real), label=label)

        _request(fuzz, target, signed_in, pick, body_kind, send=lambda: time.monotonic() < deadline)

    sweep_done = time.monotonic()
    walk()
    elapsed = time.monotonic() - fuzz["started"]
    with capsys.disabled():
        print(
            f"\nurl_map fuzz: {fuzz['count'][0]} requests over {len(targets)} rule/method pairs "
            f"({fuzz['discovered']} forms found by the crawl) in {elapsed:.0f} s "
            f"(crawl {fuzz['crawled'] - fuzz['started']:.0f} s, sweep {sweep_done - fuzz['crawled']:.0f} s)"
        )
    if os.environ.get("URL_MAP_FUZZ_VERBOSE"):
        for key, fields in sorted(fuzz["catalogue"].fields.items()):
            print(key, sorted(fields)[:12])
        print(sorted(fuzz["statuses"].items(), key=str))
        print("signed out:", fuzz["signed_out"][:5])
        print(
            "POST without a discovered form:",
            sorted(e for _r, e, m in targets if m == "POST" and (e, m) not in fuzz["catalogue"].fields),
        )
    failures = fuzz["failures"]
    distinct = {}
    for method, url, status, detail in failures:
        distinct.setdefault((method, url.split("?")[0][:80], str(detail)[-200:]), (status, url[:200], detail))
    report = "\n\n".join(f"{m} {u}\n{s}: {d}" for (m, _p, _d), (s, u, d) in list(distinct.items())[:15])
    assert not failures, f"{len(failures)} requests answered 5xx or raised ({len(distinct)} distinct):\n{report}"
