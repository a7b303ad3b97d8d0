"""Helpers shared by the offline checks of the deployment files (tests/deploy/).

The checkers come from `make deploy-tools` (deploy.mk): a virtual environment of their own,
.venv-deploy/ (checkov, kubernetes-validate, hadolint, yamllint, check-jsonschema), a pinned
kustomize binary in it, and Debian's nginx. A missing tool is a failure that names the fix,
never a skip: these checks are the proof the deployment issue asks for.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TOOLS_BIN = Path(os.environ.get("DEPLOY_TOOLS_BIN") or REPO / ".venv-deploy" / "bin")
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.32.0"


def tool(name: str) -> Path:
    """Return the path of a checker installed by `make deploy-tools`, or fail saying so."""
    path = TOOLS_BIN / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{name} is not installed in {TOOLS_BIN}: run `make deploy-tools`")
    return path


def nginx_binary() -> Path:
    """Return Debian's nginx (often in /usr/sbin, which may not be on PATH)."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail("nginx is not installed: run `make deploy-tools` (installs nginx-light)")
    return Path(found)


def run(args: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output as text (never raises on a non-zero exit)."""
    kwargs.setdefault("cwd", REPO)
    kwargs.setdefault("timeout", 300)
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, **kwargs
    )


def explain(result: subprocess.CompletedProcess[str]) -> str:
    """Format a command's result for an assertion message."""
    return (
        f"$ {' '.join(result.args)}\nexit {result.returncode}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )


def load_all(text: str) -> list[dict[str, Any]]:
    """Parse a multi-document YAML stream, dropping empty documents."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def random_secrets_env() -> str:
    """A secrets.env like the one docs/deploy.md tells operators to make (random values)."""
    return (
        f"JWT_SECRET_KEY={secrets.token_urlsafe(48)}\nPOSTGRES_PASSWORD={secrets.token_hex(32)}\n"
        f"S3_ACCESS_KEY_ID={secrets.token_hex(16)}\nS3_SECRET_ACCESS_KEY={secrets.token_hex(32)}\n"
    )


def copy_deploy_tree(dest: Path) -> Path:
    """Copy k8s/ and deploy/nginx/ with their relative layout (the base refers to both)."""
    shutil.copytree(REPO / "k8s", dest / "k8s")
    shutil.copytree(REPO / "deploy" / "nginx", dest / "deploy" / "nginx")
    return dest


@dataclass
class Rendered:
    """One overlay as kustomize renders it."""

    overlay: str
    text: str
    path: Path
    docs: list[dict[str, Any]]

    def find(self, kind: str, name: str | None = None) -> list[dict[str, Any]]:
        """Return the documents of this kind (and name, if given)."""
        return [
            d
            for d in self.docs
            if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
        ]

    def one(self, kind: str, name: str) -> dict[str, Any]:
        """Return the only document of this kind and name."""
        found = self.find(kind, name)
        assert len(found) == 1, f"{self.overlay}: expected one {kind}/{name}, found {len(found)}"
        return found[0]

    def generated(self, kind: str, prefix: str) -> dict[str, Any]:
        """Return the generated ConfigMap or Secret whose name is prefix-<hash>."""
        found = [
            d
            for d in self.docs
            if d["kind"] == kind and d["metadata"]["name"].startswith(prefix + "-")
        ]
        assert len(found) == 1, (
            f"{self.overlay}: expected one {kind} {prefix}-<hash>, found {len(found)}"
        )
        return found[0]


def kustomize_build(
    kustomize: list[str | Path], directory: Path
) -> subprocess.CompletedProcess[str]:
    """Build one kustomization directory."""
    return run([*kustomize, directory])
