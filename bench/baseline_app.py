"""Baselines on the same stack (Flask + SQLAlchemy/psycopg + Jinja under the same gunicorn): the floor under each page."""

from __future__ import annotations

from flask import Flask, abort, redirect, request
from sqlalchemy import create_engine, text

from bench.settings import BenchConfig

app = Flask(__name__)
app.config.from_object(BenchConfig)
engine = create_engine(BenchConfig.SQLALCHEMY_DATABASE_URI, **BenchConfig.SQLALCHEMY_ENGINE_OPTIONS)

CASE_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ case.number }}</title></head>
<body><main><h1>{{ case.number }}</h1><p>{{ case.status }} · {{ case.customer_name }}</p>
<ol>{% for e in events %}<li><time>{{ e.created_at.strftime('%Y-%m-%d %H:%M') }}</time> {{ e.kind }}
<p>{{ e.customer_message }}</p></li>{% endfor %}</ol></main></body></html>"""
# Compiled once, as a template file would be by render_template (render_template_string compiles per call).
case_page_template = app.jinja_env.from_string(CASE_PAGE)


@app.get("/bare")
def bare():
    return "ok"


@app.get("/pk/<int:case_id>")
def pk(case_id: int):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, number, status FROM cases WHERE id = :id"), {"id": case_id}).first()
    return row.number if row else abort(404)


@app.get("/case/<number>")
def case_page(number: str):
    """One key lookup, 10 rows by an indexed column, a Jinja template."""
    with engine.connect() as conn:
        case = conn.execute(
            text("SELECT id, number, status, customer_name FROM cases WHERE tenant_id = :t AND number = :n"),
            {"t": int(request.args.get("t", 0)), "n": number},
        ).first()
        if case is None:
            abort(404)
        events = conn.execute(
            text("SELECT kind, customer_message, created_at FROM case_events WHERE case_id = :c ORDER BY id LIMIT 10"),
            {"c": case.id},
        ).all()
    return case_page_template.render(case=case, events=events)


@app.post("/intake")
def intake():
    """Form parse, one INSERT, commit."""
    form = request.form
    if not form.get("customer_name") or not form.get("description"):
        abort(400)
    with engine.begin() as conn:
        new_id = conn.execute(
            text("INSERT INTO bench_intake (customer_name, mobile, description) VALUES (:n, :m, :d) RETURNING id"),
            {"n": form["customer_name"], "m": form.get("mobile", ""), "d": form["description"]},
        ).scalar()
    return redirect(f"/intake/{new_id}", 303)
