"""`make run`: Redis (real or embedded), a mail sink, migrations, demo data, web server and worker; Ctrl-C stops all."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from saas.dev_mail import start_sink  # noqa: E402
from saas.embedded_redis import answers, start_embedded  # noqa: E402

HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")


def port_problem(host: str, port: str) -> str | None:
    """Why the web server could not listen on host:port, in words, or None when it can.

    Checked before anything starts or any URL is printed, with the same SO_REUSEADDR the
    werkzeug server uses (so a port only in TIME_WAIT is not reported as taken)."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        return f"PORT={port!r} is not a port number (1-65535)."
    # The address family werkzeug's server picks: IPv6 only for an address with a colon.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host or None, int(port), family, socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"HOST={host!r} is not an address of this machine ({exc.strerror})."
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} on {host} is already in use (another `make run`?). "
                    f"Stop that program, or choose another port: PORT={int(port) + 1} make run"
                )
            if exc.errno == errno.EACCES:
                return f"Port {port} needs root privileges; choose one above 1023: PORT=5000 make run"
            return f"Cannot listen on {host}:{port}: {exc.strerror}."
    return None


def flask(*args: str, env: dict) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def _die_with_parent() -> None:
    """Children get SIGTERM if this runner dies without cleaning up (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def spawn(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, preexec_fn=_die_with_parent)


def configure_links_and_mail(env: dict, instance: Path, host: str, port: str):
    """Links in messages lead to this server, and email goes to a local sink (read at /dev/inbox),
    unless the user set PUBLIC_BASE_URL or MAIL_SERVER. Returns the running sink, or None."""
    link_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    env.setdefault("PUBLIC_BASE_URL", f"http://{link_host}:{port}")
    if env.get("MAIL_SERVER"):
        print(f"Mail:  {env['MAIL_SERVER']}:{env.get('MAIL_PORT', '25')}")
        return None
    maildir = Path(env.get("DEV_MAIL_DIR") or instance / "dev_mail")
    sink = start_sink(maildir)
    env.update(MAIL_SERVER=sink.hostname, MAIL_PORT=str(sink.port), DEV_MAIL_DIR=str(maildir))
    print(f"Mail:  development sink at {sink.hostname}:{sink.port} (read it at /dev/inbox)")
    return sink


def main() -> int:
    # Lines reach a pipe or a file as they are printed (`make run | tee run.log`), children's too.
    sys.stdout.reconfigure(line_buffering=True)
    problem = port_problem(HOST, PORT)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    instance = ROOT / "instance"
    instance.mkdir(exist_ok=True)
    env = {**os.environ, "APP_ENV": os.environ.get("APP_ENV", "development"), "PYTHONUNBUFFERED": "1"}
    env.setdefault("DATABASE_URL", f"sqlite:///{instance / 'aftersales.db'}")
    children: list[subprocess.Popen] = []

    redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if answers(redis_url):
        print(f"Redis: {redis_url}")
    else:
        proc, redis_url = start_embedded(instance / "redis")
        children.append(proc)
        print(f"Redis: no server answered, started an embedded one at {redis_url}")
    env["REDIS_URL"] = redis_url

    sink = configure_links_and_mail(env, instance, HOST, PORT)

    def stop(*_):
        # Web and worker first, Redis last, so nothing logs a lost connection.
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if sink is not None:
            sink.stop()

    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        subprocess.run(flask("db", "upgrade", env=env), env=env, cwd=ROOT, check=True)
        subprocess.run(flask("demo", "seed", env=env), env=env, cwd=ROOT, check=True)
        children.append(spawn(flask("run", "--host", HOST, "--port", PORT, "--no-reload", env=env), env))
        children.append(spawn(flask("worker", env=env), env))
        base = f"http://{HOST}:{PORT}"
        print(f"\nWeb:         {base}/\nStaff login: {base}/login\nHealth:      {base}/healthz")
        print(f"Dev inbox:   {base}/dev/inbox  (SMS and email the demo sends)")
        print(f"Shops:       {base}/tianshang/  {base}/kidswear/  {base}/voltmart/")
        print("Press Ctrl-C to stop everything.\n")
        while all(c.poll() is None for c in children):
            time.sleep(0.5)
        print("A process stopped; shutting down the rest.")
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"failed: {exc}")
        return 1
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
