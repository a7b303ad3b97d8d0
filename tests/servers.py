"""Run gamecoll as real server processes (for tests that need several instances)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """One `python -m gamecoll serve` process on a loopback port."""

    def __init__(self, *, port: int, env: Mapping[str, str], log_path: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        full_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "JWT_", "SECRET_KEY", "RATE_LIMIT_"))
        }
        full_env.update(env)
        full_env.update({"HOST": "127.0.0.1", "PORT": str(port), "PYTHONPATH": str(ROOT)})
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gamecoll", "serve"],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until /healthz answers, or fail with the server's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready:\n{self.log()}")

    def log(self) -> str:
        """Return what the server printed so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Stop the server (its whole process group) and return its exit code."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()
        return int(self.process.returncode)

    # -- finer control, for tests that stop one instance while others keep serving ------------

    @property
    def running(self) -> bool:
        """Tell whether the main process is still alive."""
        return self.process.poll() is None

    def send_signal(self, sig: int) -> None:
        """Signal the main process only, the way a container runtime signals PID 1.

        Sanic's main process then stops its worker itself (what `docker stop` and Kubernetes
        do); `stop()` instead signals the whole process group at once.
        """
        with suppress(ProcessLookupError):
            os.kill(self.process.pid, sig)

    def kill(self) -> int:
        """SIGKILL the whole process group at once: a crash, no shutdown code runs."""
        return self.stop(signal.SIGKILL)

    def wait_exit(self, timeout: float) -> int | None:
        """Wait for the main process to exit; return its exit code, or None on timeout."""
        try:
            return int(self.process.wait(timeout))
        except subprocess.TimeoutExpired:
            return None

    def kill_leftovers(self) -> None:
        """SIGKILL whatever is left of the process group (a worker whose main process died)."""
        if self.process.poll() is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def output(self) -> str:
        """Return everything the server printed so far (also after `stop()`)."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")


@contextmanager
def servers(
    count: int,
    *,
    env: Mapping[str, str],
    log_dir: Path,
    ports: list[int],
    own_env: Callable[[int], Mapping[str, str]] | None = None,
) -> Iterator[list[ServerProcess]]:
    """Start `count` servers at once, wait for all, and stop them all afterwards.

    `own_env(index)` adds settings of one server's own (such as its own IMAGE_DIR).
    """
    with ExitStack() as stack:
        started: list[ServerProcess] = []
        for index in range(count):
            server = ServerProcess(
                port=ports[index],
                env={**env, **(own_env(index) if own_env else {})},
                log_path=log_dir / f"server-{index}.log",
            )
            stack.callback(server.stop)
            started.append(server)
        for server in started:
            server.wait_ready()
        yield started
