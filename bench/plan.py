"""What a run measures and how long: the scenarios, their groups, `FULL` and `SMOKE`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import export_zip, image_memory
from bench.item_lists import LIST_SCENARIOS
from bench.loadgen import Chain, Req
from bench.oversized import OVERSIZED_SCENARIOS
from bench.procs import Started
from bench.sessions_table import SESSION_SCENARIOS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SCHEMA_VERSION = 1

# Every scenario the results file has (the smoke test checks they are all there).
CEILING_SCENARIOS = ("ceiling_bare", "ceiling_jwt_pg")
MAIN_SCENARIOS = (
    "healthz",
    "auth_me",
    "items_list",
    "thumbnail_200",
    "thumbnail_304",
    "image_base64",
    "image_raw",
    "auth_refresh",
    "upload_multipart",
)
STORM_SCENARIOS = (
    "bcrypt_capacity",
    "auth_me_idle",
    "login_storm_alone",
    "login_storm",
    "auth_me_during_storm",
)
MEMORY_SCENARIOS = ("memory",)
WORKER_SCENARIOS = ("w2_healthz", "w2_auth_me", "w2_thumbnail_304", "w2_items_list")
SCALE_SCENARIOS = ("list_latency_small", "list_latency_medium", "list_latency_large")
IMAGE_SCENARIOS = image_memory.SCENARIOS
ALL_SCENARIOS = (
    CEILING_SCENARIOS
    + MAIN_SCENARIOS
    + STORM_SCENARIOS
    + MEMORY_SCENARIOS
    + WORKER_SCENARIOS
    + SCALE_SCENARIOS
    + OVERSIZED_SCENARIOS
    + SESSION_SCENARIOS
    + IMAGE_SCENARIOS
    + export_zip.SCENARIOS
    + LIST_SCENARIOS
)
# The groups `--only` selects.
GROUPS = {
    "main": CEILING_SCENARIOS + MAIN_SCENARIOS,
    "storm": STORM_SCENARIOS,
    "memory": MEMORY_SCENARIOS,
    "workers": WORKER_SCENARIOS,
    "scale": SCALE_SCENARIOS,
    "storage": (),  # bench/storage_s3.py: S3 against the local disk, its own servers
    "oversized": OVERSIZED_SCENARIOS,
    "sessions": SESSION_SCENARIOS,
    "images": IMAGE_SCENARIOS,
    "exchange": export_zip.SCENARIOS,
    "lists": LIST_SCENARIOS,
}
ITEM_SCENARIOS = frozenset(
    {
        "items_list",
        "thumbnail_200",
        "thumbnail_304",
        "image_base64",
        "image_raw",
        "upload_multipart",
        "w2_thumbnail_304",
        "w2_items_list",
        *SCALE_SCENARIOS,
        *LIST_SCENARIOS,
    }
)
# Endpoints whose cost is the app's own CPU (at most a primary-key read or two in the
# database): the WORKERS=2 target applies to these.
WORKER_TARGETS = ("w2_healthz", "w2_auth_me", "w2_thumbnail_304")
NO_COLLECTION_API = (
    "the collection API is not in the running app yet (gamecoll/api/items.py, "
    "GET /collection/items answered 404): item scenarios skipped"
)


@dataclass(frozen=True)
class Plan:
    """How big and how long: `FULL` for `make bench`, `SMOKE` for the test suite."""

    mode: str
    seconds: int  # one measured run
    warmup_seconds: int  # once per scenario and server, before its first run (0: none)
    repeats: int
    connections: int
    bcrypt_rounds: int
    storm_clients: int
    filler_users: int
    photo_items: int
    photo_size: tuple[int, int]  # the items' photos (width, height)
    big_photo_bytes: int  # the image_base64 and image_raw scenarios
    upload_bytes: int  # the multipart upload scenario
    upload_connections: int
    upload_max_per_run: int
    scale_sizes: tuple[int, int, int]
    memory_warmup_requests: int
    memory_requests: int
    memory_max_seconds: int  # the memory scenario stops here even if the count is not reached
    bcrypt_seconds: int
    refresh_sessions: int
    only: tuple[str, ...] = ()  # groups of scenarios to run (see GROUPS); empty: all


FULL = Plan(
    mode="full",
    seconds=10,
    warmup_seconds=3,
    repeats=3,
    connections=16,
    bcrypt_rounds=12,
    storm_clients=16,
    filler_users=10_000,
    photo_items=1_000,
    photo_size=(800, 600),
    big_photo_bytes=2_000_000,
    upload_bytes=3_000_000,
    upload_connections=4,
    upload_max_per_run=200,
    scale_sizes=(100, 10_000, 1_000_000),
    memory_warmup_requests=20_000,
    memory_requests=200_000,
    memory_max_seconds=1200,
    bcrypt_seconds=5,
    refresh_sessions=16,
)
SMOKE = Plan(
    mode="smoke",
    seconds=1,
    warmup_seconds=0,
    repeats=1,
    connections=4,
    bcrypt_rounds=4,
    storm_clients=4,
    filler_users=20,
    photo_items=6,
    photo_size=(160, 120),
    big_photo_bytes=60_000,
    upload_bytes=90_000,
    upload_connections=2,
    upload_max_per_run=3,
    scale_sizes=(10, 40, 100),
    memory_warmup_requests=200,
    memory_requests=1_000,
    memory_max_seconds=120,
    bcrypt_seconds=1,
    refresh_sessions=4,
)


@dataclass
class Server:
    """A running HTTP server of the bench."""

    name: str
    port: int
    started: Started
    workers: int
    cpus: tuple[int, ...]


@dataclass
class Scenario:
    """One measured request pattern."""

    name: str
    server: str  # key into Bench.servers
    requests: list[Req] = field(default_factory=list)
    connections: int = 16
    ceiling: str | None = None
    expect: int = 200
    timeout_s: float = 10.0
    max_requests: int = 0
    chain: Callable[[], Chain] | None = None
    threads: int = 1
    compare_with: str | None = None  # the one-worker scenario a w2_ scenario is judged against
    note: str = ""


def with_overrides(plan: Plan, **changes: Any) -> Plan:
    """A copy of `plan` with some fields changed (None means keep)."""
    return replace(plan, **{k: v for k, v in changes.items() if v is not None})
