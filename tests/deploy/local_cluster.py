"""A local copy of the deployment: PostgreSQL, three gamecoll processes, a real nginx in front.

Used by test_three_instances.py. nginx runs on the repository's own files (nginx.conf,
security_headers.conf) with upstreams.conf made from upstreams/local.conf.template; the one
line that differs is `listen`, moved from 8080 on every address to a free loopback port.
Everything listens on 127.0.0.1 and every process started here is stopped by `close()`.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import httpx
from deploy_helpers import REPO, nginx_binary

from tests.servers import ServerProcess

NGINX_DIR = REPO / "deploy" / "nginx"
SHARED_LISTEN = "listen 8080 default_server;"
LOOPBACK = "127.0.0.1"


def free_loopback_port() -> int:
    """Ask the OS for a free port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, step: float = 0.05) -> None:
    """Poll `check` until it is true, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


# --- nginx ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessLogEntry:
    """One line of nginx's JSON access log (log_format gamecoll_json)."""

    method: str
    uri: str
    status: int
    x_forwarded_for: str
    upstream_addrs: tuple[str, ...]
    upstream_statuses: tuple[str, ...]

    @classmethod
    def parse(cls, line: str) -> AccessLogEntry:
        data = json.loads(line)

        def split(value: str) -> tuple[str, ...]:
            # "a, b : c" when nginx tried several servers (":" between upstream groups).
            return tuple(p.strip() for p in value.replace(" : ", ", ").split(",") if p.strip())

        return cls(
            method=data["method"],
            uri=data["uri"],
            status=int(data["status"]),
            x_forwarded_for=data["x_forwarded_for"],
            upstream_addrs=split(data["upstream_addr"]),
            upstream_statuses=split(data["upstream_status"]),
        )

    @property
    def answered_by(self) -> str:
        """The backend (host:port) whose answer the client got."""
        return self.upstream_addrs[-1] if self.upstream_addrs else ""


class Nginx:
    """Debian's nginx on the deployment's config, proxying to loopback ports."""

    def __init__(self, root: Path, backend_ports: list[int]) -> None:
        self.binary = nginx_binary()
        self.root = root
        self.conf_dir = root / "conf"
        self.prefix = root / "prefix"
        self.logs = self.prefix / "logs"
        self.port = free_loopback_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._lay_out(backend_ports)
        self.access_log = self.logs / "access.log"
        self.error_log = self.logs / "error.log"
        self._stdout = self.access_log.open("wb")
        self._stderr = self.error_log.open("wb")
        # As the current user: with root, the workers would otherwise switch to `nobody`.
        user = pwd.getpwuid(os.geteuid()).pw_name
        global_directives = "daemon off;" + (f" user {user};" if os.geteuid() == 0 else "")
        self.process = subprocess.Popen(
            [
                self.binary,
                "-p",
                f"{self.prefix}/",
                "-c",
                self.conf_dir / "nginx.conf",
                "-e",
                self.error_log,
                "-g",
                global_directives,
            ],
            stdout=self._stdout,
            stderr=self._stderr,
            start_new_session=True,
        )

    def _lay_out(self, backend_ports: list[int]) -> None:
        """conf/ holds the shared files; prefix/ holds static/, tmp/ and the logs."""
        self.conf_dir.mkdir(parents=True)
        for sub in ("tmp", "logs"):
            (self.prefix / sub).mkdir(parents=True)
        conf = (NGINX_DIR / "nginx.conf").read_text()
        assert conf.count(SHARED_LISTEN) == 1, "nginx.conf no longer listens the way we expect"
        (self.conf_dir / "nginx.conf").write_text(
            conf.replace(SHARED_LISTEN, f"listen {LOOPBACK}:{self.port} default_server;")
        )
        shutil.copy(NGINX_DIR / "security_headers.conf", self.conf_dir / "security_headers.conf")
        template = Template((NGINX_DIR / "upstreams" / "local.conf.template").read_text())
        (self.conf_dir / "upstreams.conf").write_text(
            template.substitute({f"PORT_{i}": str(p) for i, p in enumerate(backend_ports, 1)})
        )
        if (REPO / "static").is_dir():
            shutil.copytree(REPO / "static", self.prefix / "static")
        else:
            (self.prefix / "static").mkdir()

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until nginx answers its own health check."""

        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited:\n{self.error_log.read_text()}")
            try:
                response = httpx.get(f"{self.url}/nginx-healthz", timeout=1, trust_env=False)
            except httpx.TransportError:
                return False
            return response.status_code == 200

        wait_until(up, timeout=timeout, what="nginx to answer")

    def entries(self) -> list[AccessLogEntry]:
        """Every request nginx has logged so far."""
        text = self.access_log.read_text(errors="replace")
        return [AccessLogEntry.parse(line) for line in text.splitlines() if line.startswith("{")]

    def mark(self) -> int:
        """A position in the access log, for `entries_since`."""
        return len(self.entries())

    def entries_since(self, mark: int, *, count: int, timeout: float = 5.0) -> list[AccessLogEntry]:
        """The entries after `mark`, once there are `count` of them.

        nginx writes a line when it finishes a request, which can be just after the client has
        read the answer: wait for the lines instead of reading once.
        """
        wait_until(
            lambda: len(self.entries()) - mark >= count,
            timeout=timeout,
            what=f"{count} access log lines",
        )
        return self.entries()[mark:]

    def stop(self) -> None:
        """Stop nginx (its process group) and close the log files."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._stdout.close()
        self._stderr.close()


# --- the three instances --------------------------------------------------------------------


def instance_env(image_dir: Path, index: int) -> dict[str, str]:
    """Settings of one instance alone: an image folder of its own under `image_dir`."""
    return {"IMAGE_DIR": str(image_dir / f"instance-{index}")}


@dataclass
class Cluster:
    """Three gamecoll instances sharing one database and one S3 bucket, nginx in front.

    Each instance has an image folder of its own (IMAGE_DIR), which stays empty: nothing is
    shared through a file system.
    """

    env: dict[str, str]
    database_url: str
    image_dir: Path
    """The parent of the instances' own image folders (`instance-<index>/`)."""
    log_dir: Path
    ports: list[int]
    instances: list[ServerProcess]
    nginx: Nginx
    stack: ExitStack
    first_instances: list[ServerProcess] = field(default_factory=list)
    restarts: int = 0

    @property
    def url(self) -> str:
        """nginx's address: what clients use."""
        return self.nginx.url

    def address(self, index: int) -> str:
        """How nginx names instance `index` in $upstream_addr."""
        return f"{LOOPBACK}:{self.ports[index]}"

    def client(self, *, source: str = LOOPBACK, base_url: str | None = None) -> httpx.Client:
        """A client of nginx (or of `base_url`), connecting from a loopback `source` address."""
        return httpx.Client(
            base_url=base_url or self.url,
            timeout=20,
            trust_env=False,
            transport=httpx.HTTPTransport(local_address=source),
        )

    def restart(self, index: int) -> ServerProcess:
        """Start instance `index` again on its port (after a kill or a stop)."""
        old = self.instances[index]
        old.stop()
        old.kill_leftovers()
        self.restarts += 1
        server = ServerProcess(
            port=self.ports[index],
            env={**self.env, **self.own_env(index)},
            log_path=self.log_dir / f"server-{index}-restart-{self.restarts}.log",
        )
        self.stack.callback(server.kill_leftovers)
        self.stack.callback(server.stop)
        self.instances[index] = server
        server.wait_ready()
        return server

    def own_env(self, index: int) -> dict[str, str]:
        """Settings of instance `index` alone: its own image folder."""
        return instance_env(self.image_dir, index)

    def ensure_running(self) -> None:
        """Bring back any instance an earlier test stopped, so tests do not depend on order.

        nginx keeps a failed backend out for fail_timeout (5 s): wait until it sends reads to
        the restarted ones again.
        """
        restarted = [i for i, server in enumerate(self.instances) if not server.running]
        for index in restarted:
            self.restart(index)
        if not restarted:
            return
        wanted = {self.address(i) for i in restarted}
        with self.client() as client:

            def back() -> bool:
                mark = self.nginx.mark()
                assert client.get("/healthz").status_code == 200
                entries = self.nginx.entries_since(mark, count=1)
                wanted.difference_update(e.answered_by for e in entries)
                return not wanted

            wait_until(back, timeout=15, what=f"nginx to use {sorted(wanted)} again")

    def signal_all(self, sig: int) -> None:
        """Signal every running instance's main process, without waiting."""
        for server in self.instances:
            if server.running:
                server.send_signal(sig)

    def gamecoll(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `python -m gamecoll <args>` with the instances' settings."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "JWT_", "SECRET_KEY", "RATE_LIMIT_"))
        }
        env.update(self.env)
        env["PYTHONPATH"] = str(REPO)
        return subprocess.run(
            [sys.executable, "-m", "gamecoll", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def json_body(response: httpx.Response) -> Any:
    """The JSON body, or a readable failure."""
    try:
        return response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code}: {response.text[:500]}") from None
