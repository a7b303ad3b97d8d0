"""docker-compose.yml: valid per the Compose specification, and shaped as the issue asks.

The schema is the Compose specification's own JSON schema, bundled (with its licence) in
check-jsonschema from .venv-deploy (`--builtin-schema vendor.compose-spec`), so the check
runs offline. No Docker engine is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_helpers import REPO, explain, run, tool

COMPOSE_FILE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def check_compose(path: Path) -> tuple[int, str]:
    result = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "--no-cache", path]
    )
    return result.returncode, explain(result)


def test_compose_file_matches_the_compose_specification() -> None:
    code, output = check_compose(COMPOSE_FILE)
    assert code == 0, output


def test_compose_check_rejects_an_unknown_key(tmp_path: Path) -> None:
    """Control: the schema check fails on a misspelt service key."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("    depends_on:\n", "    depends_onn:\n", 1)
    )
    code, output = check_compose(broken)
    assert code != 0, output


def test_postgres_is_private_healthy_and_persistent(compose: dict[str, Any]) -> None:
    """PostgreSQL: a health check, a named volume, only on the internal network, no port."""
    db = compose["services"]["db"]
    assert db["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in db["healthcheck"]["test"][1]
    assert "ports" not in db
    assert db["networks"] == ["backend"]
    assert compose["networks"]["backend"]["internal"] is True
    volume = db["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data"
    assert volume[0] in compose["volumes"]


def test_three_app_replicas_after_a_healthy_database(compose: dict[str, Any]) -> None:
    """Three replicas, started once PostgreSQL is healthy, restarted when they fail."""
    app = compose["services"]["app"]
    assert app["deploy"]["replicas"] == 3
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["restart"] in ("on-failure", "unless-stopped", "always")
    assert "ports" not in app, "the app is reached through nginx only"
    assert "container_name" not in app, "replicas cannot share a container name"


def test_app_settings_come_from_env_and_match_the_proxy_chain(compose: dict[str, Any]) -> None:
    """Settings from .env; one trusted proxy (nginx); graceful stop fits in stop_grace_period."""
    app = compose["services"]["app"]
    assert app["env_file"][0]["path"] == ".env"
    env = app["environment"]
    assert env["PROXIES_COUNT"] == "1"
    assert "REAL_IP_HEADER" not in env
    assert env["HOST"] == "0.0.0.0"
    assert env["DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert float(env["HASH_WORKERS"]) <= float(app["deploy"]["resources"]["limits"]["cpus"])
    grace = int(app["stop_grace_period"].rstrip("s"))
    assert grace > float(env["GRACEFUL_SHUTDOWN_SECONDS"])


def test_replicas_keep_images_in_the_private_object_store(compose: dict[str, Any]) -> None:
    """The app uses the s3 service (SeaweedFS) and shares no volume between its replicas."""
    app = compose["services"]["app"]
    env = app["environment"]
    assert env["STORAGE_BACKEND"] == "s3"
    assert env["S3_ENDPOINT_URL"] == "http://s3:8333"
    assert "S3_SECRET_ACCESS_KEY" not in env and "S3_ACCESS_KEY_ID" not in env  # from .env
    # Its one volume is its own /tmp (no source: anonymous, one per container).
    assert [v["target"] for v in app["volumes"]] == ["/tmp"] and "IMAGE_DIR" not in env
    assert all("source" not in v for v in app["volumes"])
    assert app["depends_on"]["s3"]["condition"] == "service_healthy"
    s3 = compose["services"]["s3"]
    assert s3["image"].startswith("chrislusf/seaweedfs:")
    assert s3["command"][0] == "mini"
    assert "-bucket=${S3_BUCKET:-gamecoll}" in s3["command"]
    assert env["S3_BUCKET"] == "${S3_BUCKET:-gamecoll}"
    assert "ports" not in s3
    assert s3["networks"] == ["backend"]
    name, target = s3["volumes"][0].split(":")[:2]
    assert target == "/data" and name in compose["volumes"]
    assert "images" not in compose["volumes"]
    keys = s3["environment"]
    assert keys["AWS_ACCESS_KEY_ID"].startswith("${S3_ACCESS_KEY_ID:?")
    assert keys["AWS_SECRET_ACCESS_KEY"].startswith("${S3_SECRET_ACCESS_KEY:?")


def test_app_container_is_locked_down(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["read_only"] is True
    assert app["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in app["security_opt"]
    # /tmp is writable, on disk (an import of up to 1 GiB waits there), the container's own.
    assert "tmpfs" not in app
    (tmp,) = [v for v in app["volumes"] if v["target"] == "/tmp"]
    assert tmp["type"] == "volume" and "source" not in tmp


def test_nginx_fronts_on_8080_with_the_shared_config(compose: dict[str, Any]) -> None:
    """nginx publishes 8080 and mounts deploy/nginx's files, with compose's upstreams.conf."""
    nginx = compose["services"]["nginx"]
    assert any(p.endswith(":8080") for p in nginx["ports"])
    assert nginx["depends_on"]["app"]["condition"] == "service_healthy"
    mounts = dict(v.split(":")[:2] for v in nginx["volumes"])
    assert mounts["./deploy/nginx/nginx.conf"] == "/etc/gamecoll-nginx/nginx.conf"
    assert (
        mounts["./deploy/nginx/security_headers.conf"]
        == "/etc/gamecoll-nginx/security_headers.conf"
    )
    assert mounts["./deploy/nginx/upstreams/compose.conf"] == "/etc/gamecoll-nginx/upstreams.conf"
    assert mounts["./static"] == "/srv/gamecoll/static"
    for source in mounts:
        assert (REPO / source).exists(), source
    assert "backend" not in nginx["networks"], "nginx has no business on the database network"
    upstreams = (REPO / "deploy/nginx/upstreams/compose.conf").read_text()
    assert "server app:8080 " in upstreams
