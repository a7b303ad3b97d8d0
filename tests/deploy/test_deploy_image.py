"""Dockerfile and .dockerignore: lint-clean, policy-clean, and built the way the issue asks.

There is no Docker engine here, so nothing is built; hadolint and checkov read the
Dockerfile, and the tests below read its instructions: a builder stage that makes the
virtual environment from the hash-pinned lock, a slim runtime with a numeric non-root user,
an exec-form command, a HEALTHCHECK on /healthz, images on a volume. The build context is
worked out from .dockerignore to show that no secret or local data can reach the image.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path

from deploy_helpers import REPO, explain, run, tool

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def test_hadolint_passes() -> None:
    """hadolint, every rule on: no ignore, inline or in a config file, is used."""
    assert "hadolint ignore" not in DOCKERFILE.read_text()
    assert not (REPO / ".hadolint.yaml").exists()
    result = run([tool("hadolint"), "--no-color", DOCKERFILE])
    assert result.returncode == 0, explain(result)


def test_checkov_passes_on_the_dockerfile() -> None:
    result = run(
        [
            tool("checkov"),
            "--file",
            DOCKERFILE,
            "--framework",
            "dockerfile",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ]
    )
    assert result.returncode == 0, explain(result)
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["failed"] == 0, explain(result)
    assert report["summary"]["skipped"] == 0
    assert report["summary"]["passed"] > 20


def test_two_stages_builder_and_slim_runtime() -> None:
    """The builder installs from requirements.lock with hashes enforced and wheels only; the
    runtime is python:3.11-slim, copies the finished venv and never runs pip."""
    builder, runtime = stages()
    assert re.match(r"python:3\.11-slim\S* AS builder$", builder[0][1])
    assert re.match(r"python:3\.11-slim\S* AS runtime$", runtime[0][1])
    pip = " ".join(args for op, args in builder if op == "RUN")
    assert "--require-hashes" in pip
    assert "--only-binary=:all:" in pip
    assert "-r /tmp/requirements.lock" in pip
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in runtime
    assert not any("pip" in args for op, args in runtime if op == "RUN")


def test_runtime_runs_as_a_numeric_unprivileged_user() -> None:
    runtime = stages()[-1]
    users = [args for op, args in runtime if op == "USER"]
    assert users == ["10001:10001"]
    # USER comes after every instruction that needs root.
    last_user = max(i for i, (op, _) in enumerate(runtime) if op == "USER")
    assert all(op != "RUN" for op, _ in runtime[last_user:])


def test_runtime_environment_and_layout() -> None:
    """Source root /src on PYTHONPATH, no .pyc files, unbuffered output, images on a volume."""
    runtime = stages()[-1]
    env = " ".join(args for op, args in runtime if op == "ENV")
    for setting in (
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONUNBUFFERED=1",
        "PYTHONPATH=/src",
        "IMAGE_DIR=/src/data/images",
        "HOST=0.0.0.0",
    ):
        assert setting in env
    assert ("WORKDIR", "/src") in runtime
    assert ("VOLUME", '["/src/data/images"]') in runtime
    copied = {
        source
        for op, args in runtime
        if op == "COPY" and "--from" not in args
        for source in shlex.split(args)[:-1]
    }
    assert copied == {
        "pyproject.toml",
        "server.py",
        "gamecoll/",
        "migrations/",
        "templates/",
        "static/",
    }


def test_exec_form_command_and_healthcheck() -> None:
    """CMD is exec form (python is PID 1 and gets SIGTERM); HEALTHCHECK asks /healthz."""
    runtime = stages()[-1]
    cmd = [args for op, args in runtime if op == "CMD"]
    assert [json.loads(c) for c in cmd] == [["python", "-m", "gamecoll", "serve"]]
    health = [args for op, args in runtime if op == "HEALTHCHECK"]
    assert len(health) == 1
    options, _, command = health[0].partition("CMD ")
    assert "/healthz" in command
    assert json.loads(command)[0] == "python"
    assert "--interval" in options


# --- .dockerignore --------------------------------------------------------------------------


def dockerignore_patterns() -> list[tuple[bool, str]]:
    """(excluded?, pattern) in order; later patterns win, as in Docker."""
    patterns = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        patterns.append((not negated, line.lstrip("!").strip("/")))
    return patterns


def pattern_matches(pattern: str, path: str) -> bool:
    """Docker's matching, for the patterns used here: a pattern matching a directory matches
    everything under it, and a leading **/ also matches at the top."""
    candidates = [pattern] + ([pattern[3:]] if pattern.startswith("**/") else [])
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(p, c) for c in candidates for p in prefixes)


def in_build_context(path: str) -> bool:
    included = True
    for excluded, pattern in dockerignore_patterns():
        if pattern_matches(pattern, path):
            included = not excluded
    return included


def test_build_context_holds_what_the_image_copies_and_no_secrets() -> None:
    """Everything COPY needs is sent; .env, secrets.env, var/, venvs and .git are not."""
    runtime_and_builder = [
        args for op, args in instructions() if op == "COPY" and "--from" not in args
    ]
    for args in runtime_and_builder:
        *sources, _dest = shlex.split(args)
        for source in sources:
            assert in_build_context(source.rstrip("/")), source
            assert (REPO / source).exists(), source
    for path in (
        ".env",
        "k8s/overlays/prod/secrets.env",
        "var/dev-jwt-secret",
        "var/gamecoll.sqlite3",
        ".venv/bin/python",
        ".venv-deploy/bin/checkov",
        ".git/config",
        "tests/conftest.py",
        "gamecoll/__pycache__/app.cpython-311.pyc",
        "docker-compose.yml",
        "node_modules/x",
    ):
        assert not in_build_context(path), path
    assert in_build_context("gamecoll/app.py")
    assert in_build_context("migrations/models/0_init.py")


def test_build_context_rule_matches_tracked_files() -> None:
    """Every tracked file under the copied directories is sent; nothing outside them."""
    tracked = run(["git", "ls-files"]).stdout.split()
    copied_roots = ("gamecoll/", "migrations/", "templates/", "static/")
    top_files = {"requirements.lock", "pyproject.toml", "server.py"}
    for path in tracked:
        wanted = (path.startswith(copied_roots) or path in top_files) and "__pycache__" not in path
        assert in_build_context(path) == wanted, path


def test_no_file_in_the_build_context_is_a_symlink_out_of_it() -> None:
    for root in ("gamecoll", "migrations", "templates", "static"):
        for path in (REPO / root).rglob("*"):
            if path.is_symlink():
                assert Path(path.resolve()).is_relative_to(REPO / root), path
