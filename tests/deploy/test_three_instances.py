"""Three gamecoll instances behind a real nginx share one state (issue 5, "A local three-instance
test").

PostgreSQL (a fresh database), three `python -m gamecoll serve` processes on their own loopback
ports started at the same moment with one DATABASE_URL and one S3 bucket (SeaweedFS), each with
an image folder of its own that stays empty, and Debian's nginx on
the deployment's own config (deploy/nginx/, upstreams from upstreams/local.conf.template) in
front, as in docker compose: PROXIES_COUNT=1. The tests show:

1. the three apply the migrations exactly once between them;
2. a session made through nginx works on every instance: refreshed on one, used on another,
   ended on a third, and then refused by all three; nginx spreads requests over all three;
3. an image uploaded through one instance is served by the other two;
4. failed logins count across instances;
5. a client's forged X-Forwarded-For does not change the address the app sees (sessions
   record the real one, the per-address registration limit still holds);
6. SIGKILL to one instance during a bounded load of reads costs no request;
7. SIGTERM to one instance during uploads costs no upload (an upload in flight on it
   finishes; new connections go elsewhere) and leaves no stray object.

Missing nginx always fails; missing PostgreSQL fails with CI=true (skips otherwise, like the
rest of the suite). Only loopback addresses are used; every process started here is stopped.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import os
import secrets
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from deploy_helpers import REPO, nginx_binary
from local_cluster import (
    Cluster,
    Nginx,
    free_loopback_port,
    instance_env,
    json_body,
    wait_until,
)
from PIL import Image

from gamecoll.config import load_settings
from gamecoll.storage.factory import build_storage
from tests.conftest import (
    _pg_admin,
    _pg_url,
    base_env,
    require_postgres,
    run_sync,
)
from tests.helpers import PASSWORD
from tests.s3server import SeaweedFS
from tests.servers import servers

pytestmark = [pytest.mark.postgres, pytest.mark.nginx]

MIGRATION_FILES = sorted((REPO / "migrations" / "models").glob("[0-9]*_*.py"))
LOCKOUT_AFTER = 3
REGISTER_PER_HOUR = 10
GRACEFUL_SECONDS = 15
_emails = itertools.count(1)


# --- fixtures -------------------------------------------------------------------------------


async def pg_fetch(url: str, sql: str) -> list[dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        return [dict(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, seaweedfs: SeaweedFS) -> Iterator[Cluster]:
    """PostgreSQL, three instances started together, nginx in front; all stopped afterwards.

    The logs stay in pytest's temporary directory (instances/, nginx/prefix/logs/).
    """
    nginx_binary()  # fails, naming the fix, before anything starts
    require_postgres()
    root = tmp_path_factory.mktemp("three-instances")
    name = f"gamecoll_3i_{uuid.uuid4().hex[:12]}"
    with ExitStack() as stack:
        run_sync(_pg_admin(f'CREATE DATABASE "{name}"'))
        stack.callback(
            lambda: run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        )
        image_dir = root / "images"
        log_dir = root / "instances"
        log_dir.mkdir()
        env = base_env(
            DATABASE_URL=_pg_url(name),
            **seaweedfs.env(prefix=f"3i-{uuid.uuid4().hex[:8]}"),
            JWT_SECRET_KEY=secrets.token_urlsafe(48),
            BCRYPT_ROUNDS="4",
            PROXIES_COUNT="1",
            LOG_LEVEL="INFO",
            HASH_WORKERS="1",
            LOGIN_FAILURES_BEFORE_LOCKOUT=str(LOCKOUT_AFTER),
            LOGIN_LOCKOUT_BASE_SECONDS="60",
            RATE_LIMIT_REGISTER_PER_HOUR=str(REGISTER_PER_HOUR),
            GRACEFUL_SHUTDOWN_SECONDS=str(GRACEFUL_SECONDS),
        )
        ports = [free_loopback_port() for _ in range(3)]
        # servers() starts all three before it waits for any: they migrate at the same moment.
        first = stack.enter_context(
            servers(
                3,
                env=env,
                log_dir=log_dir,
                ports=ports,
                own_env=lambda index: instance_env(image_dir, index),
            )
        )
        for server in first:
            stack.callback(server.kill_leftovers)
        nginx = Nginx(root / "nginx", ports)
        stack.callback(nginx.stop)
        nginx.wait_ready()
        running = Cluster(
            env=env,
            database_url=_pg_url(name),
            image_dir=image_dir,
            log_dir=log_dir,
            ports=ports,
            instances=list(first),
            nginx=nginx,
            stack=stack,
            first_instances=list(first),
        )
        # Teardown starts by signalling every instance, so that they stop side by side.
        stack.callback(running.signal_all, signal.SIGTERM)
        yield running


# --- helpers --------------------------------------------------------------------------------


def unique_email() -> str:
    return f"three-{next(_emails)}-{uuid.uuid4().hex[:6]}@example.com"


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def register(client: httpx.Client, email: str | None = None, **headers: str) -> dict[str, Any]:
    response = client.post(
        "/auth/register",
        json={"email": email or unique_email(), "password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def png(width: int, height: int) -> bytes:
    """A PNG of random pixels (so each one is different and does not compress away)."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def item_body(name: str, image: bytes) -> dict[str, str]:
    return {"name": name, "image": base64.b64encode(image).decode("ascii")}


def ports_answering(entries: list[Any]) -> Counter[str]:
    return Counter(entry.answered_by for entry in entries)


class Load:
    """`total` requests sent by `clients` threads, each with its own HTTP client."""

    def __init__(
        self,
        total: int,
        clients: int,
        make_client: Callable[[], httpx.Client],
        send: Callable[[httpx.Client, int], Any],
    ) -> None:
        self.total = total
        self.results: dict[int, Any] = {}
        self.answered_at: dict[int, float] = {}
        self._send = send
        self._make_client = make_client
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        with self._make_client() as client:
            while True:
                with self._lock:
                    number = next(self._numbers)
                if number >= self.total:
                    return
                try:
                    result = self._send(client, number)
                except httpx.HTTPError as exc:
                    result = f"{type(exc).__name__}: {exc}"
                with self._lock:
                    self.results[number] = result
                    self.answered_at[number] = time.monotonic()

    @property
    def done(self) -> int:
        with self._lock:
            return len(self.results)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_for(self, count: int, timeout: float) -> None:
        wait_until(lambda: self.done >= count, timeout=timeout, what=f"{count} answers")

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), (
            f"the load did not finish within {timeout:.0f} s ({self.done}/{self.total} answered)"
        )


# --- 1. migrations ----------------------------------------------------------------------------


def test_three_instances_started_together_migrate_exactly_once(cluster: Cluster) -> None:
    """The three started at the same moment on an empty database (RUN_MIGRATIONS defaults to
    true): the advisory lock let one apply every migration; the others found nothing to do."""
    assert MIGRATION_FILES
    rows = run_sync(pg_fetch(cluster.database_url, "SELECT version FROM aerich"))
    assert len(rows) == len(MIGRATION_FILES), rows
    logs = [server.output() for server in cluster.first_instances]
    applied = [log.count("applied migration") for log in logs]
    assert sorted(applied) == [0, 0, len(MIGRATION_FILES)], applied
    for migration in MIGRATION_FILES:
        assert sum(log.count(migration.stem) for log in logs) == 1, migration.stem


# --- 2. one session, three instances ----------------------------------------------------------


def test_a_session_works_on_every_instance_and_logout_ends_it_everywhere(
    cluster: Cluster,
) -> None:
    cluster.ensure_running()
    a, b, c = (server.url for server in cluster.instances)
    with cluster.client() as web, httpx.Client(timeout=20, trust_env=False) as direct:
        email = unique_email()
        tokens = register(web, email)

        # nginx spreads requests over all three; each accepts the session.
        mark = cluster.nginx.mark()
        for _ in range(12):
            me = web.get("/auth/me", headers=bearer(tokens))
            assert me.status_code == 200, me.text
            assert me.json()["email"] == email
        served = ports_answering(cluster.nginx.entries_since(mark, count=12))
        assert set(served) == {cluster.address(i) for i in range(3)}, served

        # Refresh on A, use the new access token on B, log out on C.
        refreshed = direct.post(
            f"{a}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        new = refreshed.json()
        assert new["refresh_token"] != tokens["refresh_token"]
        on_b = direct.get(f"{b}/auth/me", headers=bearer(new))
        assert on_b.status_code == 200, on_b.text
        assert on_b.json()["email"] == email
        assert direct.post(f"{c}/auth/logout", headers=bearer(new)).status_code == 204

        # Ended everywhere: the access token and the refresh token, on all three.
        for url in (a, b, c):
            assert direct.get(f"{url}/auth/me", headers=bearer(new)).status_code == 401, url
            again = direct.post(f"{url}/auth/refresh", json={"refresh_token": new["refresh_token"]})
            assert again.status_code == 401, (url, again.text)
        assert web.get("/auth/me", headers=bearer(new)).status_code == 401


# --- 3. images --------------------------------------------------------------------------------


def test_an_image_uploaded_through_one_instance_is_served_by_the_others(cluster: Cluster) -> None:
    cluster.ensure_running()
    a, b, c = (server.url for server in cluster.instances)
    image = png(320, 240)
    with cluster.client() as web, httpx.Client(timeout=20, trust_env=False) as direct:
        auth = bearer(register(web))
        created = direct.post(
            f"{a}/collection/items", json=item_body("Uploaded on A", image), headers=auth
        )
        assert created.status_code == 201, created.text
        meta = json_body(created)["image"]
        assert meta["sha256"] == hashlib.sha256(image).hexdigest()
        for url in (b, c):
            raw = direct.get(f"{url}{meta['raw_url']}", headers=auth)
            assert raw.status_code == 200, (url, raw.text)
            assert raw.headers["content-type"] == "image/png"
            assert raw.content == image
            thumb = direct.get(f"{url}{meta['thumbnail_url']}", headers=auth)
            assert thumb.status_code == 200, (url, thumb.text)
            assert thumb.headers["content-type"] == "image/webp"
            with Image.open(io.BytesIO(thumb.content)) as decoded:
                assert decoded.format == "WEBP"
                assert max(decoded.size) <= 400
        # And through nginx, whichever instance answers.
        for _ in range(3):
            assert web.get(meta["raw_url"], headers=auth).content == image


# --- 4. failed logins -------------------------------------------------------------------------


def test_failed_logins_count_across_instances(cluster: Cluster) -> None:
    cluster.ensure_running()
    with cluster.client() as web, httpx.Client(timeout=20, trust_env=False) as direct:
        email = unique_email()
        register(web, email)
        wrong = {"email": email, "password": "not the password"}
        # One failure on each instance: the lockout threshold is reached across the three.
        assert LOCKOUT_AFTER == 3
        codes = [
            direct.post(f"{s.url}/auth/login", json=wrong).status_code for s in cluster.instances
        ]
        assert codes == [401, 401, 401]
        right = {"email": email, "password": PASSWORD}
        for server in cluster.instances:
            locked = direct.post(f"{server.url}/auth/login", json=right)
            assert locked.status_code == 429, (server.url, locked.text)
            assert int(locked.headers["retry-after"]) > 0
        assert web.post("/auth/login", json=right).status_code == 429


# --- 5. forged X-Forwarded-For ----------------------------------------------------------------

FORGED = {"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.8", "Forwarded": "for=x"}


def test_forged_forwarded_for_does_not_change_the_client_address(cluster: Cluster) -> None:
    """Sessions record the address nginx saw: 127.0.0.1, and 127.0.0.2 for a client connecting
    from there (so the app reads nginx's entry, not just its own peer, which is always nginx)."""
    cluster.ensure_running()
    email = unique_email()
    with cluster.client() as web:
        tokens = register(web, email, **FORGED)
        sessions = web.get("/auth/sessions", headers=bearer(tokens)).json()["sessions"]
        assert [s["ip"] for s in sessions] == ["127.0.0.1"]
    with cluster.client(source="127.0.0.2") as other:
        logged_in = other.post(
            "/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.1, 127.0.0.1"},
        )
        assert logged_in.status_code == 200, logged_in.text
        listed = other.get("/auth/sessions", headers=bearer(logged_in.json())).json()["sessions"]
    by_current = {s["current"]: s["ip"] for s in listed}
    assert by_current == {True: "127.0.0.2", False: "127.0.0.1"}, listed


def test_forged_forwarded_for_does_not_escape_the_registration_limit(cluster: Cluster) -> None:
    """From one address (127.0.0.3, so no other test shares its budget), a new forged
    X-Forwarded-For on every request: the per-address limit still counts them all."""
    cluster.ensure_running()
    with cluster.client(source="127.0.0.3") as web:
        codes = []
        for n in range(REGISTER_PER_HOUR + 2):
            response = web.post(
                "/auth/register",
                json={"email": unique_email(), "password": PASSWORD},
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            )
            codes.append(response.status_code)
    assert codes == [201] * REGISTER_PER_HOUR + [429, 429], codes
    # Control: the limit is per address, not global.
    with cluster.client(source="127.0.0.4") as elsewhere:
        register(elsewhere)


# --- 6. SIGKILL during reads ------------------------------------------------------------------


def test_killing_an_instance_during_reads_loses_no_request(cluster: Cluster) -> None:
    """1,500 authenticated GETs from 6 clients through nginx; instance C is SIGKILLed (its
    whole process group) after 400: nginx retries the reads that hit it, none fails."""
    cluster.ensure_running()
    victim = 2
    with cluster.client() as web:
        auth = bearer(register(web))
    mark = cluster.nginx.mark()

    def read(client: httpx.Client, number: int) -> int:
        return client.get("/auth/me", headers=auth).status_code

    load = Load(1500, 6, cluster.client, read)
    started = time.monotonic()
    load.start()
    load.wait_for(400, timeout=30)
    answered_before_kill = load.done
    cluster.instances[victim].kill()
    load.join(timeout=40)
    elapsed = time.monotonic() - started

    statuses = Counter(load.results.values())
    assert statuses == Counter({200: 1500}), statuses
    assert answered_before_kill < 1500 - 200, "the kill came too late to prove anything"
    entries = [e for e in cluster.nginx.entries_since(mark, count=1500) if e.uri == "/auth/me"]
    served = ports_answering(entries)
    assert served[cluster.address(victim)] > 0, served  # it did take part before it died
    retried = [e for e in entries if len(e.upstream_addrs) > 1]
    assert all(e.status == 200 for e in entries)
    print(f"1500 reads in {elapsed:.1f} s; served by {dict(served)}; {len(retried)} retried")


# --- 7. SIGTERM during uploads ----------------------------------------------------------------


def test_sigterm_during_uploads_loses_no_upload_and_leaves_no_stray_file(
    cluster: Cluster,
) -> None:
    """60 uploads from 4 clients through nginx; after 15, SIGTERM to instance B's main process
    (as a container runtime stops PID 1) while an upload sent straight to B is in flight.

    B stops taking traffic first (readiness 503, new connections refused, so nginx sends new
    uploads elsewhere), finishes the upload in flight, then exits well before its graceful
    timeout. Every upload is answered 201, each exactly once, and the files on disk are
    exactly the ones the database refers to.
    """
    cluster.ensure_running()
    victim = 1
    server = cluster.instances[victim]
    with cluster.client() as web:
        auth = bearer(register(web))
    mark = cluster.nginx.mark()

    def upload(client: httpx.Client, number: int) -> tuple[int, str]:
        response = client.post(
            # A photo of its own each time: the same one again would be a duplicate (409).
            "/collection/items",
            json=item_body(f"upload-{number}", png(256, 256)),
            headers=auth,
        )
        item_id = response.json().get("id", "") if response.status_code == 201 else response.text
        return response.status_code, item_id

    # An upload straight to B whose body is still arriving when B gets SIGTERM.
    slow_body = b'{"name": "slow-upload", "image": "' + base64.b64encode(png(256, 256)) + b'"}'
    first_part_sent = threading.Event()
    signal_sent = threading.Event()
    slow_result: dict[str, Any] = {}

    def body() -> Iterator[bytes]:
        yield slow_body[:1000]
        first_part_sent.set()
        signal_sent.wait(10)
        time.sleep(0.5)  # B is shutting down by now: refusing connections, draining
        yield slow_body[1000:]

    def slow_upload() -> None:
        try:
            with httpx.Client(timeout=30, trust_env=False) as client:
                response = client.post(
                    f"{server.url}/collection/items",
                    content=body(),
                    headers={
                        **auth,
                        "content-type": "application/json",
                        "content-length": str(len(slow_body)),
                    },
                )
            slow_result["status"] = response.status_code
            slow_result["text"] = response.text
            slow_result["connection"] = response.headers.get("connection")
        except httpx.HTTPError as exc:
            slow_result["status"] = f"{type(exc).__name__}: {exc}"
        slow_result["at"] = time.monotonic()

    load = Load(60, 4, cluster.client, upload)
    load.start()
    load.wait_for(15, timeout=30)

    # Connections kept alive to B, opened before the signal, to ask it about its readiness.
    probes = [httpx.Client(base_url=server.url, timeout=5, trust_env=False) for _ in range(3)]
    try:
        assert [p.get("/readyz").status_code for p in probes] == [200, 200, 200]
        slow = threading.Thread(target=slow_upload, daemon=True)
        slow.start()
        assert first_part_sent.wait(10)
        time.sleep(0.1)  # the first part reaches B
        signalled_at = time.monotonic()
        server.send_signal(signal.SIGTERM)

        # Readiness turns false on connections that are still open...
        readiness = poll_readiness(probes, timeout=3)
        assert readiness[-1] == 503, readiness
        # ...and new connections are refused (nginx moves on without sending anything).
        wait_until(lambda: refused(server.url), timeout=3, what="B to refuse connections")
        assert slow.is_alive() and server.running, "B must still be finishing the slow upload"
    finally:
        signal_sent.set()
        for probe in probes:
            probe.close()

    slow.join(30)
    assert slow_result.get("status") == 201, slow_result
    assert slow_result.get("connection") == "close"
    exit_code = server.wait_exit(GRACEFUL_SECONDS + 10)
    exited_at = time.monotonic()
    load.join(timeout=40)

    assert exit_code == 0, server.output()[-3000:]
    # It exited because its last request was done, not because the graceful timeout ran out.
    assert exited_at - slow_result["at"] < GRACEFUL_SECONDS / 2, exited_at - slow_result["at"]
    assert exited_at - signalled_at < GRACEFUL_SECONDS, exited_at - signalled_at

    statuses = Counter(status for status, _ in load.results.values())
    assert statuses == Counter({201: 60}), load.results
    after_signal = sum(at > signalled_at for at in load.answered_at.values())
    assert after_signal >= 10, f"only {after_signal} uploads were answered after the signal"
    entries = [
        e
        for e in cluster.nginx.entries_since(mark, count=60)
        if e.method == "POST" and e.uri == "/collection/items"
    ]
    assert ports_answering(entries)[cluster.address(victim)] > 0  # B took uploads before

    # Each upload is in the database once (nothing was run twice), with its files.
    answered_ids = {item_id for _, item_id in load.results.values()}
    rows = run_sync(
        pg_fetch(
            cluster.database_url,
            "SELECT id::text AS id, name, image_path, thumb_path, thumb2x_path, display_path "
            "FROM items",
        )
    )
    uploads = [r for r in rows if r["name"].startswith("upload-")]
    assert len(uploads) == 60 and {r["id"] for r in uploads} == answered_ids
    assert sum(r["name"] == "slow-upload" for r in rows) == 1

    # No stray file: what is in the bucket is exactly what the rows refer to.
    stored = set(run_sync(bucket_keys(cluster.env)))
    columns = ("image_path", "thumb_path", "thumb2x_path", "display_path")
    referred = {r[k] for r in rows for k in columns if r[k]}
    assert stored == referred, (sorted(stored - referred), sorted(referred - stored))
    assert not [p for p in cluster.image_dir.rglob("*") if p.is_file()]  # no local files
    check = cluster.gamecoll("storage", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "The image storage is clean." in check.stdout, check.stdout


async def bucket_keys(env: dict[str, str]) -> list[str]:
    """Every key the instances stored (under their S3 prefix)."""
    storage = build_storage(load_settings(env, dotenv=None))
    await storage.start()
    try:
        return [key async for key in storage.list("")]
    finally:
        await storage.close()


def poll_readiness(probes: list[httpx.Client], *, timeout: float) -> list[int | str]:
    """Ask /readyz over the open connections, one after another, until one answers 503.

    An answer that was being made when the signal came may still say 200 (and close its
    connection, as every answer of a stopping instance does): the next connection is asked.
    """
    answers: list[int | str] = []
    alive = list(probes)
    deadline = time.monotonic() + timeout
    while alive and time.monotonic() < deadline:
        try:
            response = alive[0].get("/readyz")
        except httpx.TransportError as exc:
            answers.append(type(exc).__name__)
            alive.pop(0)
            continue
        answers.append(response.status_code)
        if response.status_code == 503:
            break
        if response.headers.get("connection") == "close":
            alive.pop(0)
    return answers


def refused(url: str) -> bool:
    """Tell whether a new connection to `url` is refused."""
    try:
        httpx.get(f"{url}/healthz", timeout=1, trust_env=False)
    except httpx.ConnectError:
        return True
    except httpx.TransportError:
        return False
    return False
