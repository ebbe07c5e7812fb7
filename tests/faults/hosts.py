"""Several hosts on one machine for the multi-node test: network namespaces, forwarders, a plain HTTP client.

`Hosts` gives each named host its own Linux network namespace and address on a private
bridge that exists only inside this machine (10.231.N.0/24, N from the test's pid); the
host side of the bridge carries TCP forwarders to the machine's PostgreSQL, Redis and the
fake SMS provider, which listen on 127.0.0.1 only. Where namespaces cannot be made (not
root, no `ip`), every "host" is a process on the loopback interface instead, and the
test says so. Everything made here is removed again by `close()`, also after a failure.

`Client` is what a browser behind a load balancer is, reduced to HTTP: one cookie jar for
the site whichever web server answers, forms parsed from the rendered pages and submitted
with the fields they rendered (never one more), X-Forwarded-For set as the balancer would.
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
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# ---------- TCP forwarding ------------------------------------------------------------


class Forwarder:
    """Accept on (host, port) and relay every connection to (to_host, to_port)."""

    def __init__(self, host: str, to_host: str, to_port: int):
        self.to = (to_host, to_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.host = host
        self.stopped = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name=f"fwd-{to_port}").start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.to, timeout=5)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        with self.lock:
            for s in self.open:
                try:
                    s.close()
                except OSError:
                    pass


# ---------- hosts ------------------------------------------------------------------------


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=check)


def namespaces_available() -> str | None:
    """None if namespaces can be made here, else why not."""
    if os.environ.get("MULTINODE_NO_NETNS"):
        return "MULTINODE_NO_NETNS is set"
    if shutil.which("ip") is None:
        return "no `ip` command"
    if os.geteuid() != 0:
        return "not root"
    probe = f"mnprobe{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


@dataclass
class Host:
    name: str
    address: str  # where its servers listen and what others reach it at
    netns: str | None  # None: a process on the loopback interface
    procs: list[subprocess.Popen] = field(default_factory=list)

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv] if self.netns else argv


class Hosts:
    """Named hosts, each its own network namespace with one address on a private bridge."""

    def __init__(self, names: list[str], logdir: Path):
        self.logdir = logdir
        self.hosts: dict[str, Host] = {}
        self.forwarders: list[Forwarder] = []
        self.bridge: str | None = None
        self.why_not = namespaces_available()
        self.tag = str(os.getpid())  # names: 15 characters at most, pids up to 7 digits here
        try:
            if self.why_not is None:
                self._make_namespaces(names)
            else:
                for name in names:
                    self.hosts[name] = Host(name, "127.0.0.1", None)
        except BaseException:
            self.close()
            raise

    @property
    def isolated(self) -> bool:
        return self.why_not is None

    def describe(self) -> str:
        if self.isolated:
            return (
                "network namespaces: "
                + ", ".join(f"{h.name}={h.address} ({h.netns})" for h in self.hosts.values())
                + f"; services through forwarders on {self.gateway}"
            )
        return (
            f"NO network namespaces ({self.why_not}): every host is a separate process on 127.0.0.1 with its own ports"
        )

    def _free_subnet(self) -> int:
        used = _ip("-o", "-4", "addr", "show").stdout
        for i in range(200):
            n = (os.getpid() + i) % 200 + 20
            if f"10.231.{n}." not in used:
                return n
        raise RuntimeError("no free 10.231.N.0/24 subnet")

    @staticmethod
    def _remove_leftovers() -> None:
        """Namespaces and bridges of an earlier run that was killed before it could clean up."""

        def dead(tag: str) -> bool:
            return tag.isdigit() and not Path(f"/proc/{tag}").exists()

        for line in _ip("netns", "list", check=False).stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith("mn") and "-" in name and dead(name[2:].split("-")[0]):
                _ip("netns", "del", name, check=False)
        for line in _ip("-o", "link", "show", "type", "bridge", check=False).stdout.splitlines():
            name = line.split(":")[1].strip() if ":" in line else ""
            if name.startswith("mnbr") and dead(name[4:]):
                _ip("link", "del", name, check=False)

    def _make_namespaces(self, names: list[str]) -> None:
        self._remove_leftovers()
        n = self._free_subnet()
        self.gateway = f"10.231.{n}.1"
        self.bridge = f"mnbr{self.tag}"
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for i, name in enumerate(names):
            ns = f"mn{self.tag}-{name}"
            outside, inside = f"mn{self.tag}h{i}", f"mn{self.tag}n{i}"
            address = f"10.231.{n}.{10 + i}"
            _ip("netns", "add", ns)
            self.hosts[name] = Host(name, address, ns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", outside, "master", self.bridge)
            _ip("link", "set", outside, "up")
            _ip("link", "set", inside, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", inside)
            _ip("-n", ns, "link", "set", inside, "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def service(self, host: str, port: int) -> tuple[str, int]:
        """Where the hosts reach a service that listens on the machine's (host, port)."""
        if not self.isolated:
            return host, port
        fwd = Forwarder(self.gateway, host, port)
        self.forwarders.append(fwd)
        return fwd.host, fwd.port

    def start(self, name: str, label: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        host = self.hosts[name]
        log = open(self.logdir / f"{name}-{label}.log", "ab")
        proc = subprocess.Popen(
            host.command(argv), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        host.procs.append(proc)
        return proc

    def kill(self, name: str) -> None:
        """The host dies: SIGKILL to everything it runs, then its cable is pulled."""
        host = self.hosts[name]
        _kill_everything_on(host)
        if host.netns:
            _ip("-n", host.netns, "link", "set", f"mn{self.tag}n{list(self.hosts).index(name)}", "down", check=False)

    def logs(self) -> str:
        out = []
        for path in sorted(self.logdir.glob("*.log")):
            text = path.read_text(errors="replace")
            if text.strip():
                out.append(f"--- {path.name}\n{text[-2500:]}")
        return "\n".join(out)

    def close(self) -> None:
        for host in self.hosts.values():
            _kill_everything_on(host)
            if host.netns:
                _ip("netns", "del", host.netns, check=False)  # takes its end of the veth pair, and so the other
        if self.bridge:
            _ip("link", "del", self.bridge, check=False)
        for fwd in self.forwarders:
            fwd.close()


def _kill_everything_on(host) -> None:
    """SIGKILL to the processes a host was given and to anything else left in its namespace."""
    for proc in host.procs:
        _killpg(proc)
    if host.netns:
        for pid in _ip("netns", "pids", host.netns, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


def _killpg(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: that process and its children
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before {host}:{port} answered")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{host}:{port} did not answer within {timeout:.0f}s")


def wait_for_http(host: str, port: int, path: str, timeout: float, proc: subprocess.Popen | None = None) -> float:
    """Wait until GET `path` answers 200; the seconds it took.

    gunicorn's master listens before its workers have imported the app (seconds on a busy machine), so
    an open port is not a server that answers: the first request would wait in the backlog meanwhile."""
    began = time.monotonic()
    deadline = began + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before {host}:{port}{path} answered")
        conn = http.client.HTTPConnection(host, port, timeout=max(0.5, min(10.0, deadline - time.monotonic())))
        try:
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return time.monotonic() - began
        except OSError:  # refused, reset or timed out: not yet
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise AssertionError(f"{host}:{port}{path} did not answer 200 within {timeout:.0f}s")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# ---------- forms -----------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # what the page would send as rendered
    options: dict[str, list[str]] = field(default_factory=dict)  # select / radio: the values offered
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons
    names: set[str] = field(default_factory=set)  # every control the page rendered

    def filled(self, values: dict[str, str], button: tuple[str, str] | None = None) -> list[tuple[str, str]]:
        """The fields with `values` typed or chosen; refuses a field the page did not render."""
        for name, value in values.items():
            assert name in self.names, f"the form has no field {name!r} (has {sorted(self.names)})"
            if name in self.options:
                assert value in self.options[name], f"{name}: {value!r} is not offered ({self.options[name]})"
        sent = [(k, v) for k, v in self.fields if k not in values]
        sent += list(values.items())
        if button is not None:
            assert button in self.buttons, f"no button {button} (has {self.buttons})"
            sent.append(button)
        return sent


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(
                a.get("action", ""),
                a.get("method", "get").lower(),
                a.get("enctype", "application/x-www-form-urlencoded"),
            )
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            self.form.names.add(name)
            if kind in ("submit", "image"):
                self.form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                self.form.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.form.fields.append((name, a.get("value", "on")))
            elif kind != "file":
                self.form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            self.form.names.add(name)
            if a.get("type", "submit").lower() == "submit":
                self.form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.form.names.add(name)
            self.select, self.select_first, self.select_chosen = name, None, False
            self.form.options[name] = []
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.form.options[self.select].append(value)
            if self.select_first is None:
                self.select_first = value
            if "selected" in a and not self.select_chosen:
                self.form.fields.append((self.select, value))
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.form.names.add(name)
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select:
            if not self.select_chosen and self.select_first is not None and self.form is not None:
                self.form.fields.append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea" and self.textarea and self.form is not None:
            self.form.fields.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


# ---------- a client -----------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str
    url: str

    def form(self, action_contains: str = "", button: tuple[str, str] | None = None, has: str = "") -> Form:
        found = [
            f
            for f in forms(self.text)
            if action_contains in f.action and (button is None or button in f.buttons) and (not has or has in f.names)
        ]
        assert found, f"no form with {action_contains!r} / {button} on {self.url} ({self.status})"
        return found[0]


class Client:
    """One visitor: one cookie jar for the site, whichever web server answers the request."""

    def __init__(self, forwarded_for: str, language: str = "zh-CN,zh;q=0.9"):
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for
        self.language = language

    def request(
        self,
        server: tuple[str, int],
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        follow: bool = True,
    ) -> Response:
        for _ in range(6):
            conn = http.client.HTTPConnection(*server, timeout=60)  # a worker's first case loads jieba: slow when busy
            headers = {"Accept-Language": self.language, "X-Forwarded-For": self.forwarded_for, "Host": "shop.test"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            conn.close()
            for raw in resp.headers.get_all("Set-Cookie") or []:
                pair, *attrs = raw.split(";")
                name, _, value = pair.strip().partition("=")
                expired = any(a.strip().lower().startswith("max-age=0") or "1970" in a for a in attrs)
                if expired or value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            if follow and resp.status in (301, 302, 303, 307, 308):
                location = urllib.parse.urlsplit(resp.headers["Location"])
                path = location.path + (f"?{location.query}" if location.query else "")
                method, body, content_type = "GET", None, None
                continue
            return Response(resp.status, resp.headers, text, path)
        raise AssertionError(f"too many redirects at {path}")

    def get(self, server, path: str) -> Response:
        return self.request(server, "GET", path)

    def submit(
        self, server, page: Response, form: Form, values: dict[str, str], button: tuple[str, str] | None = None
    ) -> Response:
        fields = form.filled(values, button)
        action = form.action or page.url
        if not action.startswith("/"):
            action = urllib.parse.urljoin(page.url, action)
        if form.method != "post":
            query = urllib.parse.urlencode(fields)
            return self.get(server, f"{action.split('?')[0]}?{query}")
        if form.enctype == "multipart/form-data":
            boundary = secrets.token_hex(12)
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields
            ]
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            return self.request(server, "POST", action, body, f"multipart/form-data; boundary={boundary}")
        return self.request(
            server, "POST", action, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )


def python() -> str:
    return sys.executable
