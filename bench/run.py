"""`make bench`: real app vs. same-stack baselines, interleaved A/B, ratios against targets (see bench/README.md)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB", "bench_main")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/4")
SMALL = int(os.environ.get("BENCH_SMALL", "10000"))
SWEEP_SMALL = int(os.environ.get("BENCH_SWEEP_SMALL", "100000"))  # the sweep is compared at this size and LARGE
LARGE = int(os.environ.get("BENCH_LARGE", "1000000"))
# The sweep at LARGE stops after this many overdue clocks (0: sweep them all, ≈ 1 h on 2 cores at 1,000,000).
SWEEP_LARGE_CLOCKS = int(os.environ.get("BENCH_SWEEP_MAX_CLOCKS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DURATION = os.environ.get("BENCH_DURATION", "5s")
JOBS = int(os.environ.get("BENCH_JOBS", "1500"))
RSS_JOBS = int(os.environ.get("BENCH_RSS_JOBS", "10000"))
REAL_PORT, BASE_PORT, SMTP_PORT = 8101, 8102, 2525
UNKEPT_PORT = 8103  # the real app with CASE_PAGE_CACHE=0: the tracking page as rendered
TENANT = "voltmart"
UA = "wrk-bench"
RESULTS = ROOT / "bench" / "results"

ENV = {
    **os.environ,
    "APP_ENV": "production",
    "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
    "DATABASE_URL": PG.rsplit("/", 1)[0] + "/" + DB_NAME,
    "REDIS_URL": REDIS,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": str(SMTP_PORT),
    "SMS_BACKEND": "dev",
    "ALLOW_DEMO_DATA": "1",  # a throwaway database: demo logins are fine here
    "PYTHONPATH": str(ROOT),
}
os.environ.update(
    {k: ENV[k] for k in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "MAIL_PORT")}
)
procs: list[subprocess.Popen] = []
servers: dict[int, int] = {}  # port → the process group of the gunicorn serving it (its CPU is charged per request)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(msg, flush=True)


def sh(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=ENV, check=True, text=True, capture_output=True, **kw)


def flask(*args) -> str:
    return sh(str(VENV_BIN / "flask"), "--app", "wsgi", *args).stdout


def start(*args, env: dict | None = None, **kw) -> subprocess.Popen:
    p = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env or ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **kw,
    )
    procs.append(p)
    return p


def serve(port: int, app: str, env: dict | None = None) -> subprocess.Popen:
    """gunicorn as the README recommends (sync, 2 workers) on loopback; its process group is charged per request."""
    p = start(str(VENV_BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", app, env=env)
    servers[port] = p.pid  # start_new_session: the group's id is the master's pid
    return p


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if p in procs:
        procs.remove(p)


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


def sql(query: str, params=None):
    import psycopg

    with psycopg.connect(ENV["DATABASE_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None


def wait_http(url: str, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


# ---------------------------------------------------------------- wrk


def cpu_seconds() -> dict:
    """CPU seconds used so far per process group, and by the PostgreSQL backends serving the bench database
    ("postgres"; their titles name it, so other databases' work on a shared machine is not counted)."""
    used: dict = {"postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process has gone
            continue
        comm, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)
        used[int(fields[2])] = used.get(int(fields[2]), 0.0) + seconds  # pgrp (field 5)
        if comm.startswith("postgres") and _serves_bench_db(stat.parent):
            used["postgres"] += seconds
    return used


def _serves_bench_db(proc: Path) -> bool:
    try:
        title = (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return f" {DB_NAME} " in title  # "postgres: user database host(port) state"


def cpu_per_request(before: dict, after: dict, port: int | None, requests: int) -> dict:
    """Milliseconds of CPU per request in the server's workers and in PostgreSQL (which serves only the bench here)."""
    if not requests:
        return {}
    spent = {"postgres": after["postgres"] - before["postgres"]}
    group = servers.get(port)
    if group is not None:
        spent["app"] = after.get(group, 0.0) - before.get(group, 0.0)
    return {k: v * 1000 / requests for k, v in spent.items()}


def wrk(url: str, cookie: str | None = None, body: str | None = None, duration: str = DURATION) -> dict:
    args = [
        "wrk",
        "-t2",
        "-c16",
        f"-d{duration}",
        "--latency",
        "-H",
        f"User-Agent: {UA}",
        "-H",
        "Accept-Language: zh-CN",
    ]
    if cookie:
        args += ["-H", f"Cookie: session={cookie}"]
    env = dict(ENV)
    if body is not None:
        args += ["-s", str(ROOT / "bench" / "post.lua")]
        env["BENCH_BODY"] = body
    before = cpu_seconds()
    out = subprocess.run(args + [url], env=env, check=True, text=True, capture_output=True).stdout
    after = cpu_seconds()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        lat[pct] = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": lat["50"],
        "p99": lat["99"],
        "non2xx": int(bad.group(1)) if bad else 0,
        "errors": errors.group(1) if errors else "",
        "cpu_ms": cpu_per_request(before, after, urllib.parse.urlsplit(url).port, requests),
    }


def pair(name: str, a: dict, b: dict, target: float, p99_factor: float | None = None) -> dict:
    """Interleaved rounds A, B, A, B …; medians of each."""
    runs_a, runs_b = [], []
    for spec in (a, b):  # warm-up, not counted
        wrk(**spec, duration="1s")
    for _ in range(ROUNDS):
        runs_a.append(wrk(**a))
        runs_b.append(wrk(**b))
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    cpu = lambda runs: {k: statistics.median(r["cpu_ms"][k] for r in runs) for k in runs[0]["cpu_ms"]}  # noqa: E731
    result = {
        "pair": name,
        "target": target,
        "p99_factor": p99_factor,
        "a": {**{k: med(runs_a, k) for k in ("rps", "p50", "p99")}, "cpu_ms": cpu(runs_a)},
        "b": {**{k: med(runs_b, k) for k in ("rps", "p50", "p99")}, "cpu_ms": cpu(runs_b)},
        "non2xx": sum(r["non2xx"] for r in runs_a + runs_b),
        "errors": [r["errors"] for r in runs_a + runs_b if r["errors"]],
    }
    result["ratio"] = result["a"]["rps"] / result["b"]["rps"]
    ok = result["ratio"] >= target
    if p99_factor is not None:
        ok = ok and result["a"]["p99"] <= p99_factor * result["b"]["p99"]
    result["met"] = ok
    report(result)
    return result


def report(r: dict) -> None:
    p99 = f", p99 ≤ {r['p99_factor']}× baseline" if r.get("p99_factor") else ""
    log(f"\n== {r['pair']}  (target ≥ {r['target']}{p99})  {'MET' if r['met'] else 'MISSED'}")
    unit = r.get("unit", "req/s")
    log(
        f"   real     {r['a']['rps']:>9.1f} {unit}"
        + (f"   p50 {r['a']['p50']:.2f} ms   p99 {r['a']['p99']:.2f} ms" if "p50" in r["a"] else "")
    )
    log(
        f"   baseline {r['b']['rps']:>9.1f} {unit}"
        + (f"   p50 {r['b']['p50']:.2f} ms   p99 {r['b']['p99']:.2f} ms" if "p50" in r["b"] else "")
    )
    log(f"   ratio    {r['ratio']:.2f}" + (f"   (non-2xx/3xx: {r['non2xx']})" if r.get("non2xx") else ""))
    if r["a"].get("cpu_ms"):
        log(
            "   CPU per request  "
            + "; ".join(f"{side}: {cpu_line(r[k]['cpu_ms'])}" for side, k in (("real", "a"), ("baseline", "b")))
        )


def cpu_line(cpu: dict) -> str:
    return f"app {cpu.get('app', float('nan')):.2f} ms + PostgreSQL {cpu['postgres']:.2f} ms"


# ---------------------------------------------------------------- setup


def setup() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    flask("db", "upgrade")
    flask("demo", "seed")
    sql(
        "CREATE TABLE bench_intake (id bigserial PRIMARY KEY, customer_name text, mobile text, description text, "
        "created_at timestamptz DEFAULT now())"
    )
    sql("CREATE TABLE bench_sent (id bigserial PRIMARY KEY, job int, body text)")
    generate(SMALL, seed=1)


def generate(n: int, seed: int) -> float:
    t0 = time.perf_counter()
    flask("demo", "generate", "--tenant", TENANT, "--cases", str(n), "--seed", str(seed))
    seconds = time.perf_counter() - t0
    log(f"generated {n} cases (seed {seed}) in {seconds:.1f} s ({n / seconds:.0f} cases/s)")
    sql("VACUUM ANALYZE")
    return seconds


def cookies() -> dict:
    """Signed session cookies, as the lookup form / sign-in would have set them."""
    from flask_login.utils import _create_identifier

    from bench.settings import BenchConfig
    from saas import create_app

    app = create_app(BenchConfig)
    tid = sql("SELECT id FROM tenants WHERE slug = %s", (TENANT,))[0][0]
    case_id, number = sql(
        "SELECT c.id, c.number FROM cases c JOIN case_events e ON e.case_id = c.id "
        "WHERE c.tenant_id = %s GROUP BY c.id HAVING count(*) = 10 ORDER BY c.id LIMIT 1",
        (tid,),
    )[0]
    agent = sql("SELECT id FROM users WHERE email = %s", (f"agent@{TENANT}.demo",))[0][0]
    serializer = app.session_interface.get_signing_serializer(app)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": UA}):
        ident = _create_identifier()
    mobile = sql("SELECT mobile FROM cases WHERE id = %s", (case_id,))[0][0]
    return {
        "tid": tid,
        "case_id": case_id,
        "number": number,
        "digits": (mobile or number)[-8:],
        "track": serializer.dumps({"tracked": [case_id]}),
        "agent": serializer.dumps({"_user_id": str(agent), "_fresh": True, "_id": ident}),
    }


def check(url: str, cookie: str | None = None) -> int:
    req = urllib.request.Request(url, headers={"User-Agent": UA, **({"Cookie": f"session={cookie}"} if cookie else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def post_status(url: str, body: str) -> int:
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request(
        "POST", u.path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": UA}
    )
    return conn.getresponse().status


# ---------------------------------------------------------------- notification pipeline


def workers(n: int = 2) -> list[subprocess.Popen]:
    from redis import Redis
    from rq import Worker

    flask_bin = str(VENV_BIN / "flask")
    ps = [
        start(
            flask_bin,
            "--app",
            "wsgi",
            "worker",
            "--max-jobs",
            str(RSS_JOBS + 10),
            "--name",
            f"bench-{i}-{secrets.token_hex(3)}",
            *(["--no-scheduler"] if i else []),
            "-q",
            "notifications",
        )
        for i in range(n)
    ]
    conn = Redis.from_url(REDIS)
    end = time.time() + 30
    while len([w for w in Worker.all(connection=conn) if w.name.startswith("bench-")]) < n and time.time() < end:
        time.sleep(0.2)
    time.sleep(0.5)
    return ps


def rss_mib(p: subprocess.Popen) -> float:
    for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_jobs(kind: str, count: int, case_ids: list[int]) -> tuple[float, list[float]]:
    """Enqueue `count` jobs on fresh workers, wait until the last is done; jobs/s and worker RSS."""
    from redis import Redis
    from rq import Queue

    conn = Redis.from_url(REDIS)
    conn.flushdb()
    q = Queue("notifications", connection=conn)
    if kind == "real":
        first = sql("SELECT COALESCE(MAX(id), 0) + 1 FROM notifications")[0][0]
        tid = sql("SELECT id FROM tenants WHERE slug = %s", (TENANT,))[0][0]
        import psycopg

        with psycopg.connect(ENV["DATABASE_URL"].replace("+psycopg", "")) as c:
            with c.cursor() as cur:
                cur.executemany(
                    "INSERT INTO notifications (tenant_id, idempotency_key, case_id, audience, channel, recipient, "
                    "template_key, locale, params, status, attempts, next_attempt_at, provider_message_id, error_code, "
                    "last_error, created_at, updated_at) VALUES (%s, %s, %s, 'customer', 'email', %s, 'accepted', "
                    "'zh_Hans', %s, 'pending', 0, now() - interval '1 minute', '', '', '', now(), now())",
                    [
                        (
                            tid,
                            f"bench:{secrets.token_hex(8)}",
                            case_ids[i % len(case_ids)],
                            f"c{i}@example.com",
                            json.dumps(
                                {
                                    "case_number": "AS260101-0000-0000-00",
                                    "message": "您的售后申请已受理,我们正在核实。",
                                    "link": "http://127.0.0.1:5000/voltmart/track",
                                    "customer": "王芳",
                                }
                            ),
                        )
                        for i in range(count)
                    ],
                )
        ids = [r[0] for r in sql("SELECT id FROM notifications WHERE id >= %s ORDER BY id", (first,))]
        jobs = [Queue.prepare_data("workers.jobs.send_notification", (nid,)) for nid in ids]
        done = lambda: sql("SELECT count(*) FROM notifications WHERE id >= %s AND status = 'sent'", (first,))[0][0]  # noqa: E731
    elif kind == "minimal":
        sql("TRUNCATE bench_sent")
        jobs = [Queue.prepare_data("bench.baseline_jobs.minimal_notification", (i,)) for i in range(count)]
        done = lambda: sql("SELECT count(*) FROM bench_sent")[0][0]  # noqa: E731
    else:
        jobs = [Queue.prepare_data("bench.baseline_jobs.noop", ()) for _ in range(count)]
        from rq.registry import FinishedJobRegistry

        reg = FinishedJobRegistry("notifications", connection=conn)
        done = lambda: len(reg)  # noqa: E731
    ps = workers()
    t0 = time.perf_counter()
    for i in range(0, len(jobs), 500):
        q.enqueue_many(jobs[i : i + 500])
    end = time.time() + 600
    while done() < count and time.time() < end:
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    rss = [rss_mib(p) for p in ps]
    for p in ps:
        stop(p)
    if done() < count:
        log(f"   {kind}: only {done()} of {count} jobs done in time")
    return count / seconds, rss


def notification_pair() -> dict:
    case_ids = [r[0] for r in sql("SELECT id FROM cases ORDER BY id DESC LIMIT 1000")]
    noop = [run_jobs("noop", JOBS, case_ids)[0] for _ in range(1)]
    log(f"\n   reference: no-op jobs on 2 workers {noop[0]:.0f} jobs/s")
    a, b = [], []
    for _ in range(ROUNDS):
        a.append(run_jobs("real", JOBS, case_ids)[0])
        b.append(run_jobs("minimal", JOBS, case_ids)[0])
    r = {
        "pair": "notification pipeline (outbox claim → render → SMTP → sent) vs minimal job",
        "target": 0.7,
        "unit": "jobs/s",
        "a": {"rps": statistics.median(a)},
        "b": {"rps": statistics.median(b)},
        "noop": noop[0],
    }
    r["ratio"] = r["a"]["rps"] / r["b"]["rps"]
    r["met"] = r["ratio"] >= 0.7
    report(r)
    rate, rss = run_jobs("real", RSS_JOBS, case_ids)
    r["rss_after"] = {"jobs": RSS_JOBS, "rate": rate, "rss_mib": rss}
    log(
        f"   RSS after {RSS_JOBS} real jobs ({RSS_JOBS // 2} per worker, {rate:.0f} jobs/s): "
        + ", ".join(f"{x:.0f} MiB" for x in rss)
    )
    return r


# ---------------------------------------------------------------- growth, sweep, plans

PLANS = {
    "tracking: case by number": "SELECT * FROM cases WHERE tenant_id = {tid} AND number = '{number}'",
    "tracking: events of the case": "SELECT * FROM case_events WHERE case_events.tenant_id = {tid} "
    "AND {case_id} = case_events.case_id ORDER BY case_events.id",
    "tracking: clocks of the case": "SELECT * FROM sla_clocks WHERE sla_clocks.tenant_id = {tid} AND {case_id} = sla_clocks.case_id",
    # As the app runs them (saas/blueprints/cases_console.py: queue_query, queue_count_query) for page 1;
    # the count stops at PAGE_SIZE + COUNT_AHEAD + 1 rows.
    "case list: page": "SELECT * FROM cases WHERE status != 'closed' AND tenant_id = {tid} "
    "ORDER BY priority DESC, due_at ASC NULLS LAST, created_at, id LIMIT 50 OFFSET 0",
    "case list: count": "SELECT count(*) FROM (SELECT cases.id FROM cases WHERE status != 'closed' "
    "AND tenant_id = {tid} LIMIT 1051) AS anon_1",
    "case list, all statuses: page 200": "SELECT * FROM cases WHERE tenant_id = {tid} "
    "ORDER BY priority DESC, due_at ASC NULLS LAST, created_at, id LIMIT 50 OFFSET 9950",
    "case list, closed: page": "SELECT * FROM cases WHERE status = 'closed' AND tenant_id = {tid} "
    "ORDER BY priority DESC, due_at ASC NULLS LAST, created_at, id LIMIT 50 OFFSET 0",
    "case list, search for a phone's last 8 digits": (
        "SELECT * FROM cases WHERE status != 'closed' AND tenant_id = {tid} AND (number ILIKE '%{digits}%' "
        "OR order_number ILIKE '%{digits}%' OR customer_name ILIKE '%{digits}%' OR mobile ILIKE '%{digits}%' "
        "OR email ILIKE '%{digits}%') ORDER BY priority DESC, due_at ASC NULLS LAST, created_at, id LIMIT 50"
    ),
}


def plans(c: dict, label: str) -> str:
    out = [f"### {label}\n"]
    for name, q in PLANS.items():
        rows = sql("EXPLAIN (ANALYZE, BUFFERS) " + q.format(**c))
        out.append(f"{name}\n```\n" + "\n".join(r[0] for r in rows) + "\n```\n")
    return "\n".join(out)


def growth(c: dict, label: str) -> dict:
    # The page as rendered (a kept page would not touch the database at all).
    t = wrk(f"http://127.0.0.1:{UNKEPT_PORT}/{TENANT}/track/{c['number']}", cookie=c["track"])
    q = wrk(f"http://127.0.0.1:{REAL_PORT}/{TENANT}/console/cases", cookie=c["agent"])
    log(
        f"   {label}: tracking p50 {t['p50']:.2f} ms ({t['rps']:.0f} req/s); case list p50 {q['p50']:.2f} ms ({q['rps']:.0f} req/s)"
    )
    # Not targets: the other views an agent uses on a big shop.
    views = {"all_page_200": "status=all&page=200", "closed": "status=closed", "search_phone": f"q={c['digits']}"}
    more = {
        name: wrk(f"http://127.0.0.1:{REAL_PORT}/{TENANT}/console/cases?{query}", cookie=c["agent"])
        for name, query in views.items()
    }
    log(
        f"   {label}: case list p50 — all statuses, page 200: {more['all_page_200']['p50']:.2f} ms; closed: "
        f"{more['closed']['p50']:.2f} ms; search for a phone's last 8 digits: {more['search_phone']['p50']:.2f} ms"
    )
    return {"tracking": t, "case_list": q, **more}


def sweep(label: str, max_clocks: int = 0) -> dict:
    open_cases = sql("SELECT count(*) FROM cases WHERE status <> 'closed'")[0][0]
    env = {**ENV, "BENCH_SWEEP_MAX_CLOCKS": str(max_clocks)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sweep_probe.py")],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    r = json.loads(out.strip().splitlines()[-1])
    r["open_cases"] = open_cases
    log(
        f"   sweep {label}: {open_cases} open cases, {r['breached']} clocks breached in {r['seconds']:.1f} s, "
        f"peak RSS {r['peak_rss_mib']:.0f} MiB (after start-up {r['rss_before_mib']:.0f} MiB)"
    )
    return r


# ---------------------------------------------------------------- main


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is missing: install it with `sudo apt-get install -y wrk` (or `brew install wrk`).", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    if not SMALL < SWEEP_SMALL < LARGE:
        print("BENCH_SMALL < BENCH_SWEEP_SMALL < BENCH_LARGE, please", file=sys.stderr)
        return 2
    results: dict = {
        "config": {
            "small": SMALL,
            "sweep_small": SWEEP_SMALL,
            "large": LARGE,
            "rounds": ROUNDS,
            "duration": DURATION,
            "jobs": JOBS,
        }
    }
    try:
        log(f"setting up {DB_NAME} …")
        setup()
        start(sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{SMTP_PORT}", "-c", "aiosmtpd.handlers.Sink")
        serve(REAL_PORT, "bench.wsgi_real:app")
        serve(BASE_PORT, "bench.baseline_app:app")
        serve(UNKEPT_PORT, "bench.wsgi_real:app", env={**ENV, "CASE_PAGE_CACHE": "0"})
        wait_http(f"http://127.0.0.1:{REAL_PORT}/healthz")
        wait_http(f"http://127.0.0.1:{UNKEPT_PORT}/healthz")
        wait_http(f"http://127.0.0.1:{BASE_PORT}/bare")
        c = cookies()
        R, B = f"http://127.0.0.1:{REAL_PORT}", f"http://127.0.0.1:{BASE_PORT}"
        track_url = f"{R}/{TENANT}/track/{c['number']}"
        unkept_url = f"http://127.0.0.1:{UNKEPT_PORT}/{TENANT}/track/{c['number']}"
        for url, cookie in (
            (track_url, c["track"]),
            (unkept_url, c["track"]),
            (f"{R}/{TENANT}/console/cases", c["agent"]),
            (f"{R}/{TENANT}/policy", None),
            (f"{B}/case/{c['number']}?t={c['tid']}", None),
        ):
            status = check(url, cookie)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
        intake = (
            "order_number=JD20260101000&customer_name=%E7%8E%8B%E8%8A%B3&mobile=13800138000&email="
            "&purchase_channel=jd&problem_type=consultation&description=%E8%AF%B7%E9%97%AE%E6%94%AF%E6%8C%81%E5%BF%AB%E5%85%85%E5%90%97"
            "&expected_resolution=consultation&purchase_date=2026-01-10&delivery_date=&category=general"
            "&item_price=199.00&action=submit"
        )
        for url, body in ((f"{R}/{TENANT}/cases/new", intake), (f"{B}/intake", None)):
            status = post_status(url, body or "customer_name=a&description=b")
            if status not in (302, 303):
                raise RuntimeError(f"POST {url} answered {status}")
        minimal = "customer_name=%E7%8E%8B%E8%8A%B3&mobile=13800138000&description=%E8%AF%B7%E9%97%AE"
        log("\nreferences (not pairs):")
        bare = wrk(f"{B}/bare")
        pk = wrk(f"{B}/pk/{c['case_id']}")
        log(f"   bare {bare['rps']:.0f} req/s; one PK SELECT {pk['rps']:.0f} req/s")
        # The real app's cheapest route: the whole middleware (session, locale, login, limiter, CSP) + SELECT 1 + PING.
        health = wrk(f"{R}/healthz")
        log(f"   real app /healthz {health['rps']:.0f} req/s (CPU per request: {cpu_line(health['cpu_ms'])})")
        results["references"] = {"bare": bare, "pk": pk, "healthz": health}
        results["pairs"] = [
            pair(
                "tracking page (10 events) vs minimal case page",
                dict(url=track_url, cookie=c["track"]),
                dict(url=f"{B}/case/{c['number']}?t={c['tid']}"),
                0.7,
                p99_factor=2.0,
            ),
            pair(
                "tracking page as rendered (page cache off; not a target) vs minimal case page",
                dict(url=unkept_url, cookie=c["track"]),
                dict(url=f"{B}/case/{c['number']}?t={c['tid']}"),
                0.7,
                p99_factor=2.0,
            ),
            pair("policy page vs bare route", dict(url=f"{R}/{TENANT}/policy"), dict(url=f"{B}/bare"), 0.5),
            pair(
                "case intake POST vs minimal intake",
                dict(url=f"{R}/{TENANT}/cases/new", body=intake),
                dict(url=f"{B}/intake", body=minimal),
                0.6,
            ),
        ]
        results["notifications"] = notification_pair()
        log("\n== growth and SLA sweep")
        results["growth"] = {SMALL: growth(c, f"{SMALL} cases")}
        plan_text = plans(c, f"{SMALL} cases")
        results["generate_seconds"] = {str(SWEEP_SMALL - SMALL): generate(SWEEP_SMALL - SMALL, seed=2)}
        results["sweep"] = {SWEEP_SMALL: sweep(f"{SWEEP_SMALL} cases")}
        results["generate_seconds"][str(LARGE - SWEEP_SMALL)] = generate(LARGE - SWEEP_SMALL, seed=3)
        results["growth"][LARGE] = growth(c, f"{LARGE} cases")
        plan_text += "\n" + plans(c, f"{LARGE} cases")
        results["sweep"][LARGE] = sweep(f"{LARGE} cases", max_clocks=SWEEP_LARGE_CLOCKS)
        for key in ("tracking", "case_list"):
            ratio = results["growth"][LARGE][key]["p50"] / results["growth"][SMALL][key]["p50"]
            log(
                f"   growth {key}: p50 latency ratio {LARGE} / {SMALL} cases = {ratio:.2f} (target ≤ 1.3) "
                f"{'MET' if ratio <= 1.3 else 'MISSED'}"
            )
        mem = results["sweep"][LARGE]["peak_rss_mib"] / results["sweep"][SWEEP_SMALL]["peak_rss_mib"]
        log(
            f"   sweep peak memory ratio {LARGE} / {SWEEP_SMALL} cases = {mem:.2f} (target ≤ 1.2) "
            f"{'MET' if mem <= 1.2 else 'MISSED'}"
        )
        (RESULTS / "plans.md").write_text(plan_text)
        (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str))
        log(f"\nresults in {RESULTS}/latest.json, query plans in {RESULTS}/plans.md")
        return 0
    finally:
        for p in list(reversed(procs)):
            stop(p)
        if not os.environ.get("BENCH_KEEP_DB"):
            admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
