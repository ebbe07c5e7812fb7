"""In-process A/B of the per-commit and per-request hooks: run it against two checkouts, alternating.

    .venv/bin/python bench/hooks_ab.py /path/to/checkout   # prints µs per commit, µs per GET /healthz

Uses a throwaway SQLite file and Redis database 15 (the tenant-token DELETE after each commit is real).
"""

import os
import sys
import tempfile
import time

root = sys.argv[1]
sys.path.insert(0, root)
os.chdir(root)
from saas import create_app
from saas.extensions import db
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.conftest import make_config
from tests.factories import make_tenant

fd, path = tempfile.mkstemp(suffix=".db")
os.close(fd)
app = create_app(make_config("sqlite:///" + path, "redis://127.0.0.1:6379/15"))
with app.app_context():
    db.create_all()
    t = make_tenant()
    db.session.commit()
    tid = t.id
client = app.test_client()


def commits(n=1500):
    with app.app_context(), tenant_context(tid):
        t0 = time.perf_counter()
        for i in range(n):
            tenant = db.session.get(Tenant, tid)
            tenant.name = f"shop {i}"
            db.session.commit()
        return (time.perf_counter() - t0) / n * 1e6


def gets(n=1500):
    t0 = time.perf_counter()
    for _ in range(n):
        assert client.get("/healthz").status_code in (200, 503)
    return (time.perf_counter() - t0) / n * 1e6


commits(200)
gets(200)
print(f"{commits():.0f} {gets():.0f}")
os.unlink(path)
