"""Session listeners come from one place (saas/session_hooks.py), in one order, only through create_app;
per-request memos go through saas/request_memo.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("saas", "tenants", "workers")

# Run in a fresh interpreter: import every module of the project, count the project's listeners
# on Session, then build the app and list them again in registration order.
PROBE = r"""
import importlib, json, pkgutil, sys
from sqlalchemy.orm import Session
from sqlalchemy.orm.events import SessionEvents

PROJECT = ("saas", "tenants", "workers")

def project_listeners():
    found = []
    for name in sorted(n for n in dir(SessionEvents) if not n.startswith("_")):
        dispatch = getattr(Session.dispatch, name, None)
        levels = getattr(dispatch, "_clslevel", None)
        if levels is None:
            continue
        for cls in [Session]:  # subclasses (Flask-SQLAlchemy's) hold copies of these
            for fn in levels.get(cls, ()):
                owner = getattr(fn, "__self__", None)
                module = getattr(fn, "__module__", None) or type(owner).__module__
                if module.split(".")[0] in PROJECT:
                    label = getattr(fn, "__qualname__", repr(fn))
                    if owner is not None and hasattr(owner, "name"):
                        label = f"{owner.name}.{fn.__name__}"
                    found.append([name, cls.__name__, module, label])
    return found

imported = []
for package in PROJECT:
    pkg = importlib.import_module(package)
    imported.append(package)
    for info in pkgutil.walk_packages(pkg.__path__, package + "."):
        if ".tests" in info.name:
            continue
        importlib.import_module(info.name)
        imported.append(info.name)
before = project_listeners()
from saas import create_app
import config
app = create_app(config.TestingConfig)
after_one = project_listeners()
create_app(config.TestingConfig)
after_two = project_listeners()
print(json.dumps({"imported": imported, "before": before, "after_one": after_one, "after_two": after_two}))
"""


def _probe() -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_importing_every_module_registers_no_session_listener_and_create_app_registers_them_in_order():
    from saas import session_hooks

    found = _probe()
    assert len(found["imported"]) > 50  # every module of saas/, tenants/, workers/ was imported
    assert found["before"] == [], f"registered at import time: {found['before']}"
    # After create_app: exactly the listeners saas/session_hooks.py lists, per event in its order.
    expected = {}
    for name, listener, _why in session_hooks.LISTENERS:
        owner = getattr(listener, "__self__", None)
        label = f"{owner.name}.{listener.__name__}" if owner is not None else listener.__qualname__
        expected.setdefault(name, []).append(label)
    got = {}
    for name, cls, _module, label in found["after_one"]:
        assert cls == "Session"
        got.setdefault(name, []).append(label)
    assert got == expected
    assert found["after_two"] == found["after_one"]  # a second app adds nothing


def test_every_listener_is_explained():
    from saas import session_hooks

    assert len(session_hooks.LISTENERS) == 12
    for name, listener, why in session_hooks.LISTENERS:
        assert name in dir(Session.dispatch) and callable(listener) and len(why) > 20


def test_the_app_has_every_listener(app):
    from saas import session_hooks

    assert session_hooks.registered() == [(n, fn) for n, fn, _ in session_hooks.LISTENERS]


def test_the_worker_command_builds_the_app_with_the_listeners(app):
    """`flask --app wsgi worker` loads wsgi.py, which calls create_app: the same listeners as the web."""
    source = (ROOT / "wsgi.py").read_text(encoding="utf-8")
    assert "create_app(" in source


# ---------------------------------------------------------------- request memo


def test_a_request_memo_lasts_one_request_even_in_a_shared_app_context(app):
    from flask import g

    from saas import request_memo

    with app.app_context():  # shared by both requests, as in the CLI and tests
        with app.test_request_context("/"):
            app.preprocess_request()  # the before_request hooks
            table = request_memo.table("probe")
            table["n"] = 1
            assert request_memo.table("probe") is table  # the same dict within the request
            request_memo.put("flag", True)
            assert request_memo.get("flag") is True
            request_memo.forget("flag")
            assert request_memo.get("flag") is None
            request_memo.put("flag", True)
            shared_g = g._get_current_object()
        with app.test_request_context("/"):
            assert g._get_current_object() is shared_g  # the same g: only the hook keeps them apart
            app.preprocess_request()
            assert request_memo.table("probe") == {}
            assert request_memo.get("flag") is None


def test_outside_a_request_nothing_is_kept(app):
    from saas import request_memo

    with app.app_context():
        request_memo.table("x")["a"] = 1
        assert request_memo.table("x") == {}
        request_memo.put("y", 1)
        assert request_memo.get("y") is None


def test_no_service_memoises_on_g_directly():
    """Services and caches use saas/request_memo.py; the factory knows no service's key names."""
    offenders = []
    for path in [*(ROOT / "saas" / "services").rglob("*.py"), *(ROOT / "saas" / "caches").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if "g.setdefault(" in text or "g.pop(" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_services_flush_and_never_commit():
    """The request boundary commits (Flask-SQLAlchemy's teardown does not: the views do), jobs commit;
    a sweep that commits per batch is handed `end_batch=db.session.commit` by its job."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "saas" / "services").rglob("*.py")
        if ".commit()" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
