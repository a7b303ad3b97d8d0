"""deploy/nginx/: one nginx configuration for compose, Kubernetes and the local test.

- `nginx -t` (Debian's nginx) accepts nginx.conf with each environment's upstreams.conf.
- The file keeps the rules the deployment relies on (upload size, retries, keep-alive,
  security headers in every location that sets headers).
- Run for real in front of a stub backend, nginx does what the comments in nginx.conf claim:
  X-Forwarded-For gets the client appended (a forged entry stays on the left, where the app
  with PROXIES_COUNT=1 never looks), security headers on every kind of answer, a dead backend
  costs no GET, an oversized upload gets a JSON 413, a collection import may be up to 1 GiB,
  static files are served and compressed.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Any

import httpx
import pytest
from deploy_helpers import REPO, explain, nginx_binary, run

NGINX_DIR = REPO / "deploy" / "nginx"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def http_get(url: str, **kwargs: Any) -> httpx.Response:
    """GET straight to loopback (no proxy from the environment)."""
    return httpx.get(url, trust_env=False, **kwargs)


def http_post(url: str, **kwargs: Any) -> httpx.Response:
    """POST straight to loopback (no proxy from the environment)."""
    return httpx.post(url, trust_env=False, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def nginx_layout(root: Path, upstreams: str) -> tuple[Path, Path]:
    """Lay out a conf dir and a prefix the way the containers do; return (conf file, prefix)."""
    conf_dir = root / "conf"
    prefix = root / "prefix"
    conf_dir.mkdir(parents=True)
    (prefix / "tmp").mkdir(parents=True)
    shutil.copy(NGINX_DIR / "nginx.conf", conf_dir / "nginx.conf")
    shutil.copy(NGINX_DIR / "security_headers.conf", conf_dir / "security_headers.conf")
    (conf_dir / "upstreams.conf").write_text(upstreams)
    if (REPO / "static").is_dir():
        shutil.copytree(REPO / "static", prefix / "static")
    else:
        (prefix / "static").mkdir()
    # nginx's workers run as nobody when the test runs as root: they must reach these files.
    for path in (root, conf_dir, prefix, prefix / "tmp", prefix / "static"):
        path.chmod(0o755)
    return conf_dir / "nginx.conf", prefix


@pytest.fixture
def nginx_root() -> Iterator[Path]:
    """A directory nginx's workers can enter (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="gamecoll-nginx-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def local_upstreams(*ports: int) -> str:
    template = Template((NGINX_DIR / "upstreams" / "local.conf.template").read_text())
    return template.substitute({f"PORT_{i}": str(p) for i, p in enumerate(ports, start=1)})


def nginx_test(conf: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    return run([nginx_binary(), "-t", "-q", "-p", f"{prefix}/", "-c", conf, "-e", "stderr"])


def test_config_passes_nginx_t_with_local_upstreams(tmp_path: Path) -> None:
    """The shared nginx.conf with the local test's upstreams (three loopback ports) is valid."""
    conf, prefix = nginx_layout(tmp_path, local_upstreams(18081, 18082, 18083))
    result = nginx_test(conf, prefix)
    assert result.returncode == 0, explain(result)


@pytest.mark.parametrize("environment", ["compose", "kubernetes"])
def test_config_passes_nginx_t_with_container_upstreams(tmp_path: Path, environment: str) -> None:
    """The compose and Kubernetes upstreams.conf, as far as Debian's nginx can check them.

    They use `resolve` and a `resolver` inside the upstream block, which need nginx 1.27.3+
    (the images run 1.28); Debian 12 has 1.22. So the check drops exactly those two features
    and points the names, which do not resolve here, at 127.0.0.1; everything else is checked.
    """
    text = (NGINX_DIR / "upstreams" / f"{environment}.conf").read_text()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert [line.split()[0] for line in lines] == ["resolver", "server"]
    server = re.sub(r"\s+resolve(?=[\s;])", "", lines[1])
    server = re.sub(r"^server\s+[\w.-]+:", "server 127.0.0.1:", server)
    assert server != lines[1]
    conf, prefix = nginx_layout(tmp_path, server + "\n")
    result = nginx_test(conf, prefix)
    assert result.returncode == 0, explain(result)


def test_nginx_t_catches_a_broken_config(tmp_path: Path) -> None:
    """Control: the same check fails on a misspelt directive."""
    conf, prefix = nginx_layout(tmp_path, "server 127.0.0.1:1 max_fail=1;\n")
    result = nginx_test(conf, prefix)
    assert result.returncode != 0


# --- what the file says ---------------------------------------------------------------------


def blocks(text: str, keyword: str) -> list[str]:
    """The bodies of every `keyword ... { ... }` block (balanced braces)."""
    found = []
    for match in re.finditer(rf"^\s*{keyword}\b[^{{;]*\{{", text, re.M):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found.append(text[match.end() : i - 1])
    return found


def directives(text: str) -> str:
    """The config without comments."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


CONF = directives((NGINX_DIR / "nginx.conf").read_text())


def test_every_location_that_adds_headers_includes_the_security_headers() -> None:
    """add_header in a location drops the server's add_header lines: each such location must
    include security_headers.conf again."""
    locations = blocks(CONF, "location")
    assert len(locations) >= 4
    for body in locations:
        if "add_header" in body:
            assert "include security_headers.conf;" in body, body
    (server,) = blocks(CONF, "server")
    assert "include security_headers.conf;" in server


def test_uploads_retries_and_keepalive() -> None:
    """Body limit 16m (1g for imports); retries only for errors, timeouts and 502/503/504 and
    never for non-idempotent requests; keep-alive towards the backends."""
    assert re.search(r"^\s*client_max_body_size 16m;", CONF, re.M)
    (imports,) = blocks(CONF, "location = /collection/import")
    assert re.search(r"^\s*client_max_body_size 1g;", imports, re.M)
    assert re.search(
        r"^\s*proxy_next_upstream error timeout http_502 http_503 http_504;", CONF, re.M
    )
    assert "non_idempotent" not in CONF
    pools = blocks(CONF, "upstream")
    assert len(pools) == 2
    assert all("include upstreams.conf;" in pool for pool in pools)
    assert any(re.search(r"^\s*keepalive \d+;", pool, re.M) for pool in pools)
    assert re.search(r"^\s*proxy_http_version 1\.1;", CONF, re.M)


def test_forwarded_for_is_appended_never_trusted_from_the_client() -> None:
    """nginx appends the peer's address; headers the app must not trust are emptied."""
    assert re.search(r"proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;", CONF)
    assert re.search(r'proxy_set_header X-Real-IP "";', CONF)
    assert re.search(r'proxy_set_header Forwarded "";', CONF)


def test_local_template_names_three_instances() -> None:
    text = local_upstreams(1, 2, 3)
    assert re.findall(r"^server 127\.0\.0\.1:(\d+)", text, re.M) == ["1", "2", "3"]


# --- nginx for real, in front of a stub backend ---------------------------------------------


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON, and an app-style header."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        received = len(self.rfile.read(length))
        body = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "received": received,
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        # The app sends this one too; nginx must not send it twice.
        self.send_header("x-frame-options", "SAMEORIGIN")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


# http.server dispatches on do_<METHOD>.
for _method in ("GET", "POST", "PUT"):
    setattr(EchoHandler, f"do_{_method}", EchoHandler._answer)


@pytest.fixture
def proxy(nginx_root: Path) -> Iterator[str]:
    """nginx with three upstreams: one stub backend and two ports where nothing listens."""
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=backend.serve_forever, daemon=True)
    thread.start()
    dead = [free_port(), free_port()]
    conf, prefix = nginx_layout(nginx_root, local_upstreams(backend.server_port, *dead))
    listen = free_port()
    # The shared file listens on 8080; only the port changes for this test.
    conf.write_text(
        conf.read_text().replace("listen 8080 default_server;", f"listen 127.0.0.1:{listen};")
    )
    log = (nginx_root / "nginx.log").open("w")
    process = subprocess.Popen(
        [nginx_binary(), "-p", f"{prefix}/", "-c", conf, "-e", "stderr", "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{listen}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                http_get(f"{base}/nginx-healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((nginx_root / "nginx.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        backend.shutdown()
        backend.server_close()
        thread.join(timeout=5)


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], (name, response.headers)


def test_forged_forwarded_for_stays_on_the_left(proxy: str) -> None:
    """The client's own address is appended last: the app (PROXIES_COUNT=1) takes it, not the
    forged one; X-Real-IP and Forwarded from the client never reach the app."""
    response = http_get(
        f"{proxy}/whoami",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Real-IP": "203.0.113.8",
            "Forwarded": "for=x",
        },
    )
    assert response.status_code == 200
    seen = {k.lower(): v for k, v in response.json()["headers"].items()}
    assert seen["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert "x-real-ip" not in seen
    assert "forwarded" not in seen
    assert seen["x-forwarded-proto"] == "http"
    assert len(seen["x-request-id"]) == 32


def test_dead_backends_cost_no_read(proxy: str) -> None:
    """Two of three upstreams refuse connections: every GET still succeeds (retried)."""
    with httpx.Client(base_url=proxy, trust_env=False) as client:
        statuses = [client.get(f"/item/{i}").status_code for i in range(30)]
    assert statuses == [200] * 30


def test_posts_use_fresh_connections_and_gets_keep_alive(proxy: str) -> None:
    """POST goes on a new connection (Connection: close): no idle connection for a stopping
    backend to close under it. GET reuses connections (no Connection header sent)."""
    post = http_post(f"{proxy}/upload", json={"a": 1})
    get = http_get(f"{proxy}/read")
    assert post.json()["headers"].get("Connection") == "close"
    assert "Connection" not in get.json()["headers"]


def test_security_headers_on_every_kind_of_answer(proxy: str) -> None:
    """Proxied answers (the app's copy replaced, not doubled), nginx's health answer, and
    nginx's own error pages all carry the security headers."""
    assert_security_headers(http_get(f"{proxy}/page"))
    assert_security_headers(http_get(f"{proxy}/nginx-healthz"))
    too_big = http_post(f"{proxy}/upload", content=b"x" * (16 * 1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    assert_security_headers(too_big)


def test_upload_of_the_largest_image_passes(proxy: str) -> None:
    """A 10 MiB image as base64 JSON (~13.4 MiB) gets through to the backend."""
    body = b'{"image":"' + b"A" * (10 * 1024 * 1024 * 4 // 3) + b'"}'
    response = http_post(f"{proxy}/items/1/image", content=body, timeout=30)
    assert response.status_code == 200
    assert response.json()["method"] == "POST"


def raw_request(base: str, head: str) -> tuple[int, bytes]:
    """Send only a request's head (no body) and read the answer to the end."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = b""
        # nginx answers and then closes; a close that finds our unsent body is a reset.
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


def test_imports_take_a_gibibyte_everything_else_16_mib(proxy: str) -> None:
    """A 20 MiB collection import reaches the app whole; the same body anywhere else is
    nginx's 413; an import that declares more than 1 GiB is refused before its body is read,
    in the API's JSON shape with the security headers."""
    body = b"x" * (20 * 1024 * 1024)
    passed = http_post(f"{proxy}/collection/import", content=body, timeout=60)
    assert passed.status_code == 200
    assert passed.json()["path"] == "/collection/import"
    assert passed.json()["received"] == len(body)
    elsewhere = http_post(f"{proxy}/collection/items", content=body, timeout=60)
    assert elsewhere.status_code == 413
    assert "16 MiB" in elsewhere.json()["error"]["message"]
    status, answer = raw_request(
        proxy,
        "POST /collection/import HTTP/1.1\r\nHost: gamecoll\r\n"
        f"Content-Type: application/zip\r\nContent-Length: {1024**3 + 1}\r\n\r\n",
    )
    assert status == 413
    assert json.loads(answer) == {
        "error": {
            "code": "payload_too_large",
            "message": "The file to import is larger than 1 GiB.",
        }
    }
    just_under = http_post(f"{proxy}/collection/import", content=b"x" * 1024, timeout=30)
    assert_security_headers(just_under)


def test_static_files_are_served_cached_and_compressed(proxy: str, nginx_root: Path) -> None:
    """/static/ comes from disk with caching and gzip, and the security headers."""
    static = REPO / "static"
    candidates = [p for p in static.rglob("*") if p.is_file() and p.stat().st_size > 1024]
    if candidates:
        name = candidates[0].relative_to(static).as_posix()
    else:
        # static/ may still be empty: serve a file through the same path instead.
        name = "__deploy_test__.css"
        target = nginx_root / "prefix" / "static" / name
        target.write_text("body { color: black; }\n" * 200)
        target.chmod(0o644)
    response = http_get(f"{proxy}/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers.get("etag")
    assert_security_headers(response)
    if name.endswith((".css", ".js", ".svg", ".json", ".txt")):
        assert response.headers.get("content-encoding") == "gzip"


def test_backends_down_gives_json_503(nginx_root: Path) -> None:
    """With no backend at all, clients get the API's JSON error shape and Retry-After."""
    conf, prefix = nginx_layout(nginx_root, local_upstreams(free_port(), free_port(), free_port()))
    listen = free_port()
    conf.write_text(
        conf.read_text().replace("listen 8080 default_server;", f"listen 127.0.0.1:{listen};")
    )
    process = subprocess.Popen(
        [nginx_binary(), "-p", f"{prefix}/", "-c", conf, "-e", "stderr", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                response = http_get(f"http://127.0.0.1:{listen}/anything", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"
        assert response.headers["retry-after"] == "5"
        assert_security_headers(response)
    finally:
        process.terminate()
        process.wait(timeout=10)
