"""Fixtures for the offline checks of the deployment files: the overlays, rendered once."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_helpers import (
    OVERLAYS,
    Rendered,
    copy_deploy_tree,
    explain,
    kustomize_build,
    load_all,
    random_secrets_env,
    tool,
)


@pytest.fixture(scope="session")
def deploy_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of k8s/ and deploy/nginx/ with a random secrets.env in each overlay.

    secrets.env is git-ignored and never in the repository, so the build needs one made here,
    the way an operator makes it.
    """
    root = copy_deploy_tree(tmp_path_factory.mktemp("deploy-tree"))
    for overlay in OVERLAYS:
        (root / "k8s" / "overlays" / overlay / "secrets.env").write_text(random_secrets_env())
    return root


@pytest.fixture(scope="session")
def rendered(deploy_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every overlay rendered by the pinned kustomize, parsed and written to a file."""
    out_dir = tmp_path_factory.mktemp("rendered")
    kustomize = tool("kustomize")
    result: dict[str, Rendered] = {}
    for overlay in OVERLAYS:
        built = kustomize_build([kustomize, "build"], deploy_tree / "k8s" / "overlays" / overlay)
        assert built.returncode == 0, explain(built)
        path = out_dir / f"{overlay}.yaml"
        path.write_text(built.stdout)
        result[overlay] = Rendered(overlay, built.stdout, path, load_all(built.stdout))
    return result
