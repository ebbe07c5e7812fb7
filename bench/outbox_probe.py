"""The notification job in-process: statements, commits, Redis commands and ms per job, against the minimal job.

    DATABASE_URL=… REDIS_URL=… python bench/outbox_probe.py [JOBS] [ROUNDS] [--profile [--all]]

Runs what one `flask worker` does per job (workers.jobs.send_notification, then the
session removed), without RQ, on email rows like the bench's (tenant voltmart, pending,
template "accepted"), against bench.baseline_jobs.minimal_notification, A/B interleaved (medians of the
rounds; wall ms and this process's CPU ms, the latter less sensitive to a busy machine).
Starts its own aiosmtpd sink on a free loopback port. Needs a database with the demo
tenants (`flask demo seed`); creates the table bench_sent if missing. Rows it adds stay.
"""

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # the project, before bench/ itself


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()
os.environ["MAIL_SERVER"], os.environ["MAIL_PORT"] = "127.0.0.1", str(PORT)
os.environ.setdefault("SECRET_KEY", secrets.token_hex(24))

from redis import Redis  # noqa: E402
from redis.client import Pipeline  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench.settings import BenchConfig  # noqa: E402
from saas import create_app  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
JOBS = int(args[0]) if args else 100
ROUNDS = int(args[1]) if len(args) > 1 else 7
PROFILE = "--profile" in sys.argv


class Counts:
    def __init__(self):
        self.statements = self.commits = self.redis = self.checkouts = 0
        self.log: list[str] = []


counts = Counts()
_execute = Redis.execute_command


def _counted(self, *a, **kw):
    counts.redis += 1
    counts.log.append(f"redis {a[0]}")
    return _execute(self, *a, **kw)


_pipeline_execute = Pipeline.execute


def _counted_pipeline(self, *a, **kw):
    counts.redis += 1
    counts.log.append("redis pipeline " + " + ".join(str(args[0]) for args, _opts in self.command_stack))
    return _pipeline_execute(self, *a, **kw)


def new_rows(n: int) -> list[int]:
    from saas.extensions import db

    tid = db.session.execute(text("SELECT id FROM tenants WHERE slug = 'voltmart'")).scalar_one()
    case_id = db.session.execute(text("SELECT max(id) FROM cases WHERE tenant_id = :t"), {"t": tid}).scalar()
    params = json.dumps(
        {
            "case_number": "AS260101-0000-0000-00",
            "message": "您的售后申请已受理,我们正在核实。",
            "link": "http://127.0.0.1:5000/voltmart/track",
            "customer": "王芳",
        }
    )
    ids = (
        db.session.execute(
            text(
                "INSERT INTO notifications (tenant_id, idempotency_key, case_id, audience, channel, recipient, template_key, "
                "locale, params, status, attempts, next_attempt_at, provider_message_id, error_code, last_error, created_at, "
                "updated_at) SELECT :t, 'probe:' || md5(random()::text) || g, :c, 'customer', 'email', 'c' || g || "
                "'@example.com', 'accepted', 'zh_Hans', CAST(:p AS json), 'pending', 0, now() - interval '1 minute', '', '', "
                "'', now(), now() FROM generate_series(1, :n) g RETURNING id"
            ),
            {"t": tid, "c": case_id, "p": params, "n": n},
        )
        .scalars()
        .all()
    )
    db.session.commit()
    return sorted(ids)


def run(kind: str, n: int, profiler=None) -> dict:
    from bench import baseline_jobs
    from saas.extensions import db
    from workers import jobs

    work = new_rows(n) if kind == "real" else list(range(n))
    db.session.remove()
    counts.__init__()
    if profiler:
        profiler.start()
    t0, c0 = time.perf_counter(), time.process_time()
    for i in work:  # what AppWorker.execute_job does around each job
        try:
            out = jobs.send_notification(i) if kind == "real" else baseline_jobs.minimal_notification(i)
        finally:
            db.session.remove()
        if out != "sent":
            why = db.session.execute(text("SELECT error_code, last_error FROM notifications WHERE id = :i"), {"i": i})
            raise SystemExit(f"job {i}: {out} {why.one() if kind == 'real' else ''}")
    ms = (time.perf_counter() - t0) * 1000 / n
    cpu_ms = (time.process_time() - c0) * 1000 / n
    if profiler:
        profiler.stop()
    return {
        "ms": ms,
        "cpu_ms": cpu_ms,
        "statements": counts.statements / n,
        "transactions": counts.commits / n,
        "checkouts": counts.checkouts / n,
        "redis": counts.redis / n,
    }


def main() -> None:
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{PORT}", "-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        time.sleep(1.0)
        app = create_app(BenchConfig)
        with app.app_context():
            from saas.extensions import db

            db.session.execute(
                text("CREATE TABLE IF NOT EXISTS bench_sent (id bigserial PRIMARY KEY, job int, body text)")
            )
            db.session.commit()
            os.environ["DATABASE_URL"] = BenchConfig.SQLALCHEMY_DATABASE_URI

            @event.listens_for(Engine, "before_cursor_execute")
            def _stmt(conn, cursor, statement, *a):
                counts.statements += 1
                counts.log.append(statement.split("\n")[0][:110])

            @event.listens_for(Engine, "begin")
            def _begin(conn):
                if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                    counts.log.append("(autocommit: no BEGIN/COMMIT)")
                else:
                    counts.commits += 1  # BEGIN … COMMIT, two round trips
                    counts.log.append("BEGIN")

            @event.listens_for(Engine, "engine_connect")
            def _checkout(conn):
                counts.checkouts += 1
                counts.log.append("pool checkout (+ pre-ping)")

            Redis.execute_command = _counted
            Pipeline.execute = _counted_pipeline
            run("real", 20)  # warm-up: templates compiled, caches filled, connections open
            run("minimal", 20)
            run("real", 1)
            print("one real job:\n  " + "\n  ".join(counts.log))
            if PROFILE:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                run("real", JOBS, profiler)
                print(profiler.output_text(unicode=False, color=False, show_all="--all" in sys.argv))
                return
            a, b = [], []
            for _ in range(ROUNDS):
                a.append(run("real", JOBS))
                b.append(run("minimal", JOBS))
            real = {k: statistics.median(r[k] for r in a) for k in a[0]}
            minimal = {k: statistics.median(r[k] for r in b) for k in b[0]}
            print(
                json.dumps(
                    {
                        "jobs": JOBS,
                        "rounds": ROUNDS,
                        "real": real,
                        "minimal": minimal,
                        "ratio_wall": minimal["ms"] / real["ms"],
                        "ratio_cpu": minimal["cpu_ms"] / real["cpu_ms"],
                    },
                    indent=1,
                )
            )
    finally:
        sink.terminate()
        sink.wait(10)


if __name__ == "__main__":
    main()
