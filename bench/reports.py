"""The reports page at 100,000 and 1,000,000 cases for one shop on PostgreSQL (issue 16, item 8).

    .venv/bin/python bench/reports.py            # part of `make bench`; alone: `make bench-reports`

A throwaway database (BENCH_REPORTS_DB, default bench_reports) is migrated to head and given one shop
that files 1,000 cases a day: first the latest 100,000 (100 days), timed; then 900,000 older ones (the
same shop 900 days earlier), timed again. The period shown is last month (≈ 30,000 cases either way),
so the two timings differ only by the shop's history: the page must not grow with it. Rows are
written with INSERT … SELECT generate_series (orders, order lines, case lines, KPI facts, SLA clocks,
surveys, customers' messages), not through the ORM.

The page is fetched through the app (Flask test client, signed in as the owner): routing, the
queries, jieba's top problems, the SVG charts and the template, not the network. Each size: one
warm-up, then the median of BENCH_REPORTS_ROUNDS (default 5) fetches. Prints both medians and their
ratio against the targets (ratio ≤ 2×, and under 1 s at 1,000,000).
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_REPORTS_DB", "bench_reports")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/4")
SMALL = int(os.environ.get("BENCH_REPORTS_SMALL", "100000"))
LARGE = int(os.environ.get("BENCH_REPORTS_LARGE", "1000000"))
PER_DAY = int(os.environ.get("BENCH_REPORTS_PER_DAY", "1000"))
ROUNDS = int(os.environ.get("BENCH_REPORTS_ROUNDS", "5"))
SLUG = "reports-bench"
PASSWORD = "bench-password-123"
RESULTS = ROOT / "bench" / "results"

DATABASE_URL = PG.rsplit("/", 1)[0] + "/" + DB_NAME
ENV = {
    **os.environ,
    "APP_ENV": "production",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS,
    "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
    "PYTHONPATH": str(ROOT),
}
os.environ.update({k: ENV[k] for k in ("APP_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY")})


def log(msg: str) -> None:
    print(msg, flush=True)


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


def sql(statement: str, params=None):
    import psycopg

    with psycopg.connect(DATABASE_URL.replace("+psycopg", ""), autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else None


def setup() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
    )


def make_shop(app) -> tuple[int, list[int]]:
    from saas.extensions import db
    from saas.models.user import User
    from saas.services import policies
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with app.app_context():
        tenant = Tenant(slug=SLUG, name_zh="报表压测店", name_en="Reports bench shop")
        db.session.add(tenant)
        db.session.flush()
        with tenant_context(tenant.id):
            people = []
            for role, email, name in (
                ("owner", f"owner@{SLUG}.example.com", "店长"),
                ("agent", f"a1@{SLUG}.example.com", "小王"),
                ("agent", f"a2@{SLUG}.example.com", "小李"),
                ("agent", f"a3@{SLUG}.example.com", "小张"),
            ):
                user = User(tenant_id=tenant.id, email=email, name=name, role=role)
                user.set_password(PASSWORD)
                db.session.add(user)
                db.session.flush()
                people.append(user.id)
            policies.ensure_draft(tenant, None)
            policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
        db.session.commit()
        return tenant.id, people[1:]


# One statement per table, each over generate_series(:lo, :hi). Case i is filed at
# anchor - (SMALL - i) × (86400 / PER_DAY) s: i = 1 … SMALL are the latest SMALL cases, i ≤ 0 older ones.
# h is a cheap per-case hash that spreads types, times and scores.
CASES = """
INSERT INTO cases (tenant_id, number, order_verified, order_number, purchase_channel, purchase_date, category,
  customer_name, mobile, email, locale, sms_consent, email_consent, intake_channel, problem_type, emergency, priority,
  description, expected_resolution, status, escalated, eligibility, responsibility_basis, resolution_detail,
  return_carrier, return_tracking_number, outbound_tracking_number, rejection_reason, assignee_id, resolved_by_id,
  problem_words, problem_product, due_at, first_response_at, first_response_due_at, first_response_minutes, first_response_in_time,
  resolved_at, resolution_due_at, resolution_days, closed_at, created_at, updated_at)
SELECT %(t)s, 'RB' || (i + 2000000), true, 'BO' || (i + 2000000),
  (ARRAY['tmall','jd','pdd','douyin','other'])[1 + h %% 5], (c - interval '3 days')::date,
  (ARRAY['fresh_food','electronics','clothing','general'])[1 + (h / 7) %% 4],
  '顾客' || (h %% 997), '139' || lpad((h %% 100000000)::text, 8, '0'), '', 'zh_Hans', true, true,
  (ARRAY['web','web','agent','api'])[1 + (h / 3) %% 4],
  (ARRAY['quality','quality','return_exchange','return_exchange','consultation','complaint','food_safety'])[1 + (h / 11) %% 7],
  false, 3, (%(descriptions)s::text[])[1 + (h / 13) %% 8],
  'refund', CASE WHEN open THEN 'accepted' ELSE 'closed' END, false, '[]', '', '', '', '', '', '',
  (%(agents)s::int[])[1 + (h / 17) %% 3], CASE WHEN open THEN NULL ELSE (%(agents)s::int[])[1 + (h / 17) %% 3] END,
  (%(words)s::text[])[1 + (h / 13) %% 8], 'SKU-' || ((i + 10000000) %% 40),
  CASE WHEN open THEN c + interval '1 day' END, c + fr * interval '1 minute', c + interval '10 minutes', fr, fr <= 10,
  CASE WHEN open THEN NULL ELSE c + rd * interval '1 day' END, c + interval '9 days',
  CASE WHEN open THEN NULL ELSE round((rd * 0.71)::numeric, 2)::float END,
  CASE WHEN open THEN NULL ELSE c + (rd + 1) * interval '1 day' END, c, c
FROM (SELECT i, h, c, (h / 19) %% 40 / 2.0 AS fr, 1 + (h / 23) %% 11 AS rd,
             (c > %(anchor)s::timestamptz - interval '12 days' AND h %% 3 = 0) AS open
      FROM (SELECT i, (((i + 10000000)::bigint * 2654435761) %% 4294967291)::bigint AS h,
                   %(anchor)s::timestamptz - (%(small)s::int - i) * %(step)s::float8 * interval '1 second' AS c
            FROM generate_series(%(lo)s::int, %(hi)s::int) AS i) s) x
"""
ORDERS = """
INSERT INTO orders (tenant_id, order_number, channel, purchase_date, customer_name, mobile, email, created_at, updated_at)
SELECT %(t)s, order_number, purchase_channel, purchase_date, customer_name, mobile, '', created_at, created_at
FROM cases WHERE tenant_id = %(t)s AND id > %(last_case)s
"""
ORDER_LINES = """
INSERT INTO order_lines (tenant_id, order_id, sku, name, category, quantity, unit_price)
SELECT %(t)s, o.id, c.problem_product, '商品 ' || c.problem_product, 'general', 1, 99.00
FROM orders o JOIN cases c ON c.tenant_id = o.tenant_id AND c.order_number = o.order_number
WHERE o.tenant_id = %(t)s AND o.id > %(last_order)s AND c.id > %(last_case)s
"""
CASE_LINES = """
INSERT INTO case_lines (tenant_id, case_id, order_line_id, quantity)
SELECT %(t)s, c.id, l.id, 1 FROM cases c JOIN orders o ON o.tenant_id = c.tenant_id AND o.order_number = c.order_number
JOIN order_lines l ON l.order_id = o.id WHERE c.tenant_id = %(t)s AND c.id > %(last_case)s AND o.id > %(last_order)s
"""
CLOCKS = """
INSERT INTO sla_clocks (tenant_id, case_id, kind, around_the_clock, target_minutes, started_at, due_at, paused_seconds,
  stopped_at, state, breached_at, breach_notified)
SELECT %(t)s, id, 'first_response', false, 10, created_at, first_response_due_at, 0, first_response_at,
  CASE WHEN first_response_in_time THEN 'met' ELSE 'breached' END,
  CASE WHEN first_response_in_time THEN NULL ELSE first_response_due_at END, true
FROM cases WHERE tenant_id = %(t)s AND id > %(last_case)s
"""
SURVEYS = """
INSERT INTO surveys (tenant_id, case_id, token, status, due_at, invited_at, score, comment, answered_at, created_at,
  updated_at)
SELECT %(t)s, id, md5('rb' || id), CASE WHEN id %% 5 = 0 THEN 'invited' ELSE 'answered' END, resolved_at + interval '1 day',
  resolved_at + interval '1 day', CASE WHEN id %% 5 = 0 THEN NULL ELSE 1 + (id * 7) %% 5 END,
  CASE WHEN id %% 5 = 0 THEN '' WHEN (id * 7) %% 5 < 2 THEN '等了太久，包装也破了' ELSE '' END,
  CASE WHEN id %% 5 = 0 THEN NULL ELSE resolved_at + interval '30 hours' END, resolved_at, resolved_at
FROM cases WHERE tenant_id = %(t)s AND id > %(last_case)s AND resolved_at IS NOT NULL AND id %% 3 = 0
"""
MESSAGES = """
INSERT INTO case_events (tenant_id, case_id, kind, actor_type, customer_message, internal_note, data, created_at)
SELECT %(t)s, id, 'consumer_message', 'consumer', '', '',
  json_build_object('text', (ARRAY['快点处理，包装破损','还没有人联系我','换货什么时候发出'])[1 + id %% 3]),
  created_at + interval '2 hours'
FROM cases WHERE tenant_id = %(t)s AND id > %(last_case)s AND id %% 4 = 0
"""


DESCRIPTIONS = (
    "包装破损，酸奶漏了",
    "尺码偏小，想换大一号",
    "颜色与描述不符",
    "少发了一件",
    "物流太慢，外箱压坏",
    "屏幕失灵，无法开机",
    "客服态度差，一直不回复",
    "发错货了",
)


def insert_cases(tenant_id: int, agents: list[int], lo: int, hi: int, anchor: datetime) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(DATABASE_URL.replace("+psycopg", "")) as conn:
        last_case = conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0]
        last_order = conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0]
        # The problem words the lifecycle keeps, segmented as kpi_facts.set_words() does at filing.
        from saas.services.reports_text import terms

        words = [" ".join(sorted(terms(text))) for text in DESCRIPTIONS]
        p = {
            "t": tenant_id,
            "agents": agents,
            "words": words,
            "descriptions": list(DESCRIPTIONS),
            "lo": lo,
            "hi": hi,
            "anchor": anchor,
            "small": SMALL,
            "step": 86400 / PER_DAY,
            "last_case": last_case,
            "last_order": last_order,
        }
        for statement in (CASES, ORDERS, ORDER_LINES, CASE_LINES, CLOCKS, SURVEYS, MESSAGES):
            conn.execute(statement, p)
        conn.commit()
    sql("VACUUM ANALYZE")
    seconds = time.perf_counter() - t0
    log(f"   inserted {hi - lo + 1:,} cases with their rows in {seconds:.1f} s")
    return seconds


# The parts of reports.build() timed on their own (wrapped for the bench only; the app is unchanged).
SECTIONS = (
    ("saas.services.reports", "_breakdowns"),
    ("saas.services.reports", "_by_sku"),
    ("saas.services.kpis", "figures"),
    ("saas.services.reports", "_satisfaction"),
    ("saas.services.reports", "_return_rates"),
    ("saas.services.report_team", "agents"),
    ("saas.services.reports", "_problems"),
)
_section_times: dict[str, list[float]] = {}


def instrument_sections() -> None:
    """Wrap each section of the page so that every fetch records how long it took."""
    import functools
    import importlib

    for module_name, name in SECTIONS:
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is None or getattr(fn, "_bench_wrapped", False):
            continue

        def wrap(fn=fn, name=name):
            @functools.wraps(fn)
            def timed(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    _section_times.setdefault(name, []).append(time.perf_counter() - t0)

            timed._bench_wrapped = True
            return timed

        setattr(module, name, wrap())


def time_page(client, url: str) -> dict:
    first = client.get(url)
    if first.status_code != 200:
        raise RuntimeError(f"{url} answered {first.status_code}")
    _section_times.clear()
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append(time.perf_counter() - t0)
        assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    sections = {name: round(statistics.median(ts) * 1000, 1) for name, ts in _section_times.items()}
    sections["rest (routing, charts, template)"] = round(statistics.median(times) * 1000 - sum(sections.values()), 1)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "bytes": len(body),
        "sections_ms": sections,
    }


def print_sections(t: dict) -> None:
    log("      " + ", ".join(f"{name} {ms:.0f} ms" for name, ms in t["sections_ms"].items()))


def main() -> int:
    from bench.settings import BenchConfig
    from saas import create_app

    log(f"reports bench: database {DB_NAME}, {PER_DAY:,} cases a day, {ROUNDS} rounds per size")
    reuse = bool(os.environ.get("BENCH_REPORTS_REUSE"))
    if reuse:  # time the page again on a database kept by an earlier run (BENCH_KEEP_DB=1), no generation
        subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
        )
    else:
        setup()
    instrument_sections()
    app = create_app(BenchConfig)
    if reuse:
        tenant_id = sql("SELECT id FROM tenants WHERE slug = %s", (SLUG,))[0][0]
        agents = []
    else:
        tenant_id, agents = make_shop(app)
    client = app.test_client()
    login = client.post("/login", data={"email": f"owner@{SLUG}.example.com", "password": PASSWORD})
    if login.status_code != 302:
        raise RuntimeError(f"sign-in answered {login.status_code}")
    anchor = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    urls = {
        "last month": f"/{SLUG}/console/reports?period=last_month",
        "this week": f"/{SLUG}/console/reports?period=this_week",
    }
    results: dict = {"config": {"small": SMALL, "large": LARGE, "per_day": PER_DAY, "rounds": ROUNDS}, "sizes": {}}
    for size, lo, hi in ((SMALL, 1, SMALL), (LARGE, SMALL - LARGE + 1, 0)):
        log(f"== {size:,} cases")
        if reuse:
            if size != LARGE:
                continue
            sql("VACUUM ANALYZE")
        else:
            insert_cases(tenant_id, agents, lo, hi, anchor)
        total, in_month = sql(
            "SELECT count(*), count(*) FILTER (WHERE created_at >= date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai' "
            "- interval '1 month') AT TIME ZONE 'Asia/Shanghai' AND created_at < date_trunc('month', now() AT TIME ZONE "
            "'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') FROM cases WHERE tenant_id = %s",
            (tenant_id,),
        )[0]
        results["sizes"][size] = {"cases": total, "last_month_cases": in_month}
        for name, url in urls.items():
            t = time_page(client, url)
            results["sizes"][size][name] = t
            log(
                f"   reports page, {name}: median {t['median_s'] * 1000:.0f} ms (min {t['min_s'] * 1000:.0f}, "
                f"max {t['max_s'] * 1000:.0f}) — {total:,} cases in the shop, {in_month:,} filed last month"
            )
            print_sections(t)
    if reuse:
        large = results["sizes"][LARGE]["last month"]["median_s"]
        log(
            f"\nreports page (last month) at {LARGE:,} cases: {large * 1000:.0f} ms; under 1 s: "
            f"{'MET' if large < 1 else 'MISSED'}"
        )
        return 0 if large < 1 else 1
    small, large = results["sizes"][SMALL]["last month"]["median_s"], results["sizes"][LARGE]["last month"]["median_s"]
    ratio = large / small
    results["ratio"] = ratio
    log(
        f"\nreports page (last month): {small * 1000:.0f} ms at {SMALL:,} cases, {large * 1000:.0f} ms at {LARGE:,}; "
        f"ratio {ratio:.2f} (target ≤ 2) {'MET' if ratio <= 2 else 'MISSED'}; "
        f"under 1 s at {LARGE:,}: {'MET' if large < 1 else 'MISSED'}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(results, indent=2, default=str))
    if not os.environ.get("BENCH_KEEP_DB"):
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0 if ratio <= 2 and large < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
