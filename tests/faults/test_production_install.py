"""The README's Production section, performed as written, from a clean copy of the repository.

A copy of the files git would check out (tracked, plus new files not ignored: no .venv, no
compiled catalogues, no instance/) goes to a temporary folder. A virtualenv is made there and
`pip install .` installs the project into it; the dependencies come from this test's own
environment (a .pth file points at its site-packages) so nothing but the build backend is fetched.
Then, in that folder and only through the environment: `flask --app wsgi db upgrade` against a
fresh database (PostgreSQL with TEST_DATABASE_URL; else the README's relative SQLite URL),
`flask --app wsgi operator create` with the password typed on stdin, gunicorn on a free port and
the worker. A client that behaves like the TLS proxy in front (TRUSTED_PROXY_COUNT=1) checks
/healthz, sees the sign-in page in Chinese and signs in as the new operator.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.html_forms import parse

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "quartz-meadow-lantern-ferry"
OPERATOR = "ops@platform.example.com"
DEADLINE = 170  # seconds for the whole journey


def clean_copy(target: Path) -> None:
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"the install took longer than {DEADLINE}s")
        return remaining


class Site:
    """HTTP as the TLS-terminating proxy forwards it: X-Forwarded-For/-Proto, cookies kept by hand
    (the session cookie is Secure, so a cookie jar would not send it back over plain HTTP)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {
            "X-Forwarded-For": "203.0.113.50",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-CN,zh;q=0.9",
            "User-Agent": "install-test",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response


def run(cmd: list[str], cwd: Path, env: dict, deadline: Deadline, stdin: str | None = None) -> str:
    done = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=deadline.left(),
        start_new_session=True,
    )  # no terminal: getpass reads stdin
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(cmd)} failed ({done.returncode}):\n{output[-4000:]}"
    return output


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn's master and workers
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


def test_the_readme_production_path_from_a_clean_copy(tmp_path, databases, redis_url):
    deadline = Deadline(DEADLINE)
    project = tmp_path / "aftersales"
    clean_copy(project)
    assert not list(project.rglob("*.mo")) and not (project / "instance").exists()

    # python3 -m venv .venv && .venv/bin/pip install .   (dependencies borrowed from this environment)
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=deadline.left())
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEST_", "FLASK_", "PYTEST_", "APP_", "DATABASE_", "REDIS_", "VIRTUAL_ENV"))
    }
    base_env.update(PATH=f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}", PYTHONUNBUFFERED="1")
    run([str(python), "-m", "pip", "install", "-q", "."], project, base_env, deadline)
    installed = subprocess.run(
        [str(python), "-m", "pip", "show", "-f", "aftersales"], cwd=tmp_path, capture_output=True, text=True
    ).stdout
    assert f"Location: {purelib}" in installed, installed

    # The environment, as the README's Production section lists it.
    if databases.is_postgres:
        database_url = databases.new("install")
    else:
        database_url = "sqlite:///instance/aftersales.db"  # relative: to the project folder
    env = {
        **base_env,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRUSTED_PROXY_COUNT": "1",
        "PUBLIC_BASE_URL": "https://aftersales.example.com",
    }
    flask = [str(python), "-m", "flask", "--app", "wsgi"]

    run([*flask, "db", "upgrade"], project, env, deadline)
    if not databases.is_postgres:
        assert (project / "instance" / "aftersales.db").is_file()
        assert not (project / "instance" / "instance").exists()

    created = run(
        [*flask, "operator", "create", "--email", OPERATOR], project, env, deadline, stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert f"Platform operator {OPERATOR} created" in created and PASSWORD not in created
    again = run([*flask, "operator", "create", "--email", OPERATOR], project, env, deadline, stdin="")
    assert "nothing changed" in again

    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []
    try:
        for name, cmd in (
            ("web", [str(python), "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "wsgi:app"]),
            ("worker", [*flask, "worker", "--max-jobs", "10000"]),
        ):
            with open(logs / f"{name}.log", "wb") as log:
                procs.append(
                    subprocess.Popen(
                        cmd, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
        site = Site(port)

        health = None
        while health is None or health.status != 200:
            assert all(p.poll() is None for p in procs), _logs(logs)
            time.sleep(0.5)
            deadline.left()
            try:
                health = site.request("GET", "/healthz")
            except OSError:
                continue
        assert '"database":"ok"' in health.text.replace(" ", "") and '"redis":"ok"' in health.text.replace(" ", "")

        page = site.request("GET", "/login")
        assert page.status == 200
        assert "员工登录" in page.text and "Staff sign-in" not in page.text  # catalogues compiled at start
        assert (project / "instance" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.mo").is_file()

        form = dict(parse(page.text).fields)
        assert {"email", "password", "csrf_token"} <= set(form)
        form.update(email=OPERATOR, password=PASSWORD)
        signed_in = site.request("POST", "/login", form)
        assert signed_in.status == 302, signed_in.text[-2000:]
        admin = site.request("GET", urlsplit(signed_in.getheader("Location")).path or "/")
        if admin.status == 302:
            admin = site.request("GET", urlsplit(admin.getheader("Location")).path)
        assert admin.status == 200 and "平台运营" in admin.text, admin.text[-2000:]
        assert site.request("GET", "/admin/").status == 200

        # The worker runs with the production environment and has registered itself with Redis.
        from redis import Redis
        from rq import Worker

        connection = Redis.from_url(redis_url)
        while not any(w.pid == procs[1].pid for w in Worker.all(connection=connection)):
            assert procs[1].poll() is None, _logs(logs)
            deadline.left()
            time.sleep(0.5)
    finally:
        for proc in procs:
            stop(proc)


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(folder.glob("*.log")))
