"""`make run` (scripts/run.py): a taken port is reported before anything starts, and the URLs
reach a pipe as they are printed, not when the runner exits."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = [sys.executable, str(ROOT / "scripts" / "run.py")]


def _env(tmp_path: Path, redis_url: str, port: int, **extra: str) -> dict:
    # PYTHONUNBUFFERED would hide a missing flush: the runner must flush on its own.
    dropped = ("MAIL_SERVER", "PUBLIC_BASE_URL", "FLASK_APP", "PYTHONUNBUFFERED")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        APP_ENV="development",
        REDIS_URL=redis_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        DEV_MAIL_DIR=str(tmp_path / "mail"),
    )
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_taken_port_is_reported_before_any_url(tmp_path, redis_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            RUN, env=_env(tmp_path, redis_url, port), cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert done.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert f"PORT={port + 1} make run" in done.stderr
    assert "http://" not in done.stdout + done.stderr  # nothing started, no URL printed
    assert "Redis:" not in done.stdout
    assert not (tmp_path / "run.db").exists()  # no migration ran
    assert time.monotonic() - started < 30


def test_bad_port_number_is_refused_in_words(tmp_path, redis_url):
    done = subprocess.run(
        RUN, env=_env(tmp_path, redis_url, 5000, PORT="50x"), cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "PORT='50x' is not a port number" in done.stderr
    assert "http://" not in done.stdout


def test_urls_reach_a_pipe_while_it_runs(tmp_path, redis_url):
    port = _free_port()
    proc = subprocess.Popen(
        RUN, env=_env(tmp_path, redis_url, port), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120  # migrations and demo data on a busy 2-core machine
        while time.monotonic() < deadline and not any("Staff login:" in line for line in seen):
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert proc.poll() is None, f"run.py exited early: {seen}"
        # Still running: the lines came through the pipe as they were printed.
        assert proc.poll() is None
        assert any(f"http://127.0.0.1:{port}/login" in line for line in seen), seen
        assert any(line.startswith("Redis:") for line in seen), seen
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_port_check_looks_where_the_server_will_listen():
    """`HOST=localhost` is IPv4 to werkzeug's server, so a taken 127.0.0.1 port is taken for it."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import run
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert "already in use" in run.port_problem("localhost", port)
        assert "already in use" in run.port_problem("127.0.0.1", port)
    assert run.port_problem("127.0.0.1", port) is None  # free again once closed
    assert "not an address of this machine" in run.port_problem("no-such-host.invalid", "5000")
