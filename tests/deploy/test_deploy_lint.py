"""yamllint on every deployment YAML file, with the settings in deploy/yamllint.yaml."""

from __future__ import annotations

from deploy_helpers import REPO, explain, run, tool

YAML_SOURCES = ["docker-compose.yml", "k8s", "deploy"]


def test_yamllint_passes() -> None:
    """Strict mode: warnings fail too."""
    result = run([tool("yamllint"), "--strict", "-c", REPO / "deploy/yamllint.yaml", *YAML_SOURCES])
    assert result.returncode == 0, explain(result)


def test_yamllint_sees_the_kubernetes_files() -> None:
    """Control: yamllint really reads k8s/ (a listing of what it checks names those files)."""
    result = run(
        [tool("yamllint"), "--list-files", "-c", REPO / "deploy/yamllint.yaml", *YAML_SOURCES]
    )
    assert result.returncode == 0, explain(result)
    listed = set(result.stdout.split())
    for path in (
        "docker-compose.yml",
        "k8s/base/kustomization.yaml",
        "k8s/base/backend.yaml",
        "k8s/overlays/prod/kustomization.yaml",
        "deploy/nginx/kustomization.yaml",
    ):
        assert path in listed, path
