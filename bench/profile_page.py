"""Profile one page in-process with pyinstrument: python bench/profile_page.py URL [CASE_ID] [N].

Needs DATABASE_URL (a bench database kept with BENCH_KEEP_DB=1), REDIS_URL and SECRET_KEY;
CASE_ID is put in the session as tracked (for /<slug>/track/<number>).
"""

import sys
import sys as _sys
from pathlib import Path as _Path

from pyinstrument import Profiler

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # the project, before bench/ itself

from bench.settings import BenchConfig
from saas import create_app

app = create_app(BenchConfig)
url = sys.argv[1]
client = app.test_client()
if len(sys.argv) > 2 and sys.argv[2] != "-":
    with client.session_transaction() as session:
        session["tracked"] = [int(sys.argv[2])]
headers = {"User-Agent": "wrk-bench"}
client.get(url, headers=headers)
profiler = Profiler(interval=0.0005)
profiler.start()
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 50):
    assert client.get(url, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
profiler.stop()
print(profiler.output_text(unicode=False, color=False, show_all=False))
