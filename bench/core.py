"""The harness's base: the run's state, its servers, and how one scenario is measured."""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.loadgen import Wrk
from bench.plan import PROJECT_ROOT, Plan, Server
from bench.procs import (
    LOCALHOST,
    CpuLayout,
    Processes,
    free_port,
    sanic_workers,
)


def log(message: str) -> None:
    """Print a progress line."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


class BenchBase:
    """One harness run: owns the processes, the database, the temporary folder, the results.

    This base starts and stops the servers and measures a scenario; each phase of the run is
    a subclass in a `phase_*.py` module, and `harness.Bench` joins them.
    """

    def __init__(self, plan: Plan, *, admin_url: str, wrk_binary: str, workdir: Path) -> None:
        self.plan = plan
        self.admin_url = admin_url
        self.workdir = workdir
        self.processes = Processes()
        self.db_name = f"gamecoll_bench_{os.getpid()}"
        self.db_url = seed.database_url(admin_url, self.db_name)
        self.secret = secrets.token_urlsafe(48)
        self.image_dir = workdir / "images"
        self.layout1 = CpuLayout.for_workers(1)
        self.layout2 = CpuLayout.for_workers(2)
        self.wrk = Wrk(wrk_binary, self.processes, workdir, self.layout1.load)
        self.servers: dict[str, Server] = {}
        self.scenarios: dict[str, dict[str, Any]] = {}
        self.extra: dict[str, Any] = {}
        self.collection_api = False
        self.accounts: dict[str, seed.Account] = {}
        self.refs: dict[str, Any] = {}
        self.warmed: set[tuple[str, str]] = set()
        self.cleaned = False

    # -- servers -------------------------------------------------------------------------------

    def gamecoll_env(self, port: int, workers: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANIC_", "PYTHON"))}
        env.update(
            {
                "DATABASE_URL": self.db_url,
                "HOST": LOCALHOST,
                "PORT": str(port),
                "WORKERS": str(workers),
                "JWT_SECRET_KEY": self.secret,
                "JWT_ALGORITHM": "HS256",
                "JWT_ISSUER": "gamecoll",
                "APP_ENV": "development",
                "BCRYPT_ROUNDS": str(self.plan.bcrypt_rounds),
                # The bench sends thousands of logins and refreshes from 127.0.0.1.
                "RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
                "RATE_LIMIT_REGISTER_PER_HOUR": "100000",
                "RATE_LIMIT_REFRESH_PER_MINUTE": "100000",
                "LOGIN_FAILURES_BEFORE_LOCKOUT": "1000",
                # One access token serves the whole run (a full run takes longer than 15 min).
                "ACCESS_TOKEN_EXPIRE_MINUTES": "1440",
                "IMAGE_DIR": str(self.image_dir),
                "LOG_LEVEL": "WARNING",
                "GRACEFUL_SHUTDOWN_SECONDS": "3",
                "ALLOWED_ORIGINS": "",
                "PROXIES_COUNT": "0",
                "REAL_IP_HEADER": "",
                "RUN_MIGRATIONS": "true",
                # The clean-up is measured on its own (bench/sessions_table.py).
                "CLEANUP_INTERVAL_SECONDS": "0",
            }
        )
        return env

    def start_gamecoll(
        self, name: str, workers: int, layout: CpuLayout, *, root: Path = PROJECT_ROOT
    ) -> Server:
        """Start `python -m gamecoll serve` from the checkout at `root` (this one by default)."""
        port = free_port()
        started = self.processes.start(
            name,
            [sys.executable, "-m", "gamecoll", "serve"],
            env=self.gamecoll_env(port, workers),
            cpus=layout.server,
            log_path=self.workdir / f"{name}.log",
            cwd=root,
        )
        server = Server(name, port, started, workers, layout.server)
        self.wait_ready(server, workers=workers)
        self.servers[name] = server
        return server

    def start_ceiling(self, kind: str) -> Server:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANIC_", "PYTHON"))}
        env.update(
            {
                "HOST": LOCALHOST,
                "PORT": str(port),
                "DATABASE_URL": self.db_url,
                "JWT_SECRET_KEY": self.secret,
                "JWT_ISSUER": "gamecoll",
            }
        )
        name = f"ceiling_{kind}"
        started = self.processes.start(
            name,
            [sys.executable, "-m", "bench.ceilings.serve", kind],
            env=env,
            cpus=self.layout1.server,
            log_path=self.workdir / f"{name}.log",
            cwd=PROJECT_ROOT,
        )
        server = Server(name, port, started, 1, self.layout1.server)
        self.wait_ready(server, workers=1)
        self.servers[name] = server
        return server

    def wait_ready(self, server: Server, *, workers: int, timeout: float = 90.0) -> None:
        """Wait until /healthz answers 200 and every worker process is up."""
        deadline = time.monotonic() + timeout
        url = f"http://{LOCALHOST}:{server.port}/healthz"
        while time.monotonic() < deadline:
            if server.started.popen.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.started.popen.returncode}:\n"
                    + server.started.log_tail()
                )
            with contextlib.suppress(httpx.HTTPError):
                answered = httpx.get(url, timeout=2, trust_env=False).status_code == 200
                if answered and len(sanic_workers(server.started.pid)) >= workers:
                    self.processes.note_members(server.started)
                    return
            time.sleep(0.2)
        raise RuntimeError(
            f"{server.name} was not ready in {timeout:.0f} s:\n" + server.started.log_tail()
        )

    def stop_server(self, name: str) -> None:
        server = self.servers.pop(name)
        self.processes.stop(server.started)
