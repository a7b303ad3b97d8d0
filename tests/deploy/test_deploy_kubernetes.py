"""The Kubernetes manifests (k8s/): they build, they are valid, and they say what the issue asks.

Each overlay is rendered by the pinned kustomize (see conftest.py), then:
- checked against the Kubernetes 1.32 OpenAPI schema, strictly (an unknown field fails);
- checked by checkov's Kubernetes policies, with every skip listed and justified;
- read back to prove the properties the deployment relies on: three backend pods that never
  drop below three during an update, probes on the right endpoints, a hardened pod for every
  container, migrations by a Job only, a grace period longer than the app's shutdown, the
  network paths Ingress -> nginx -> backend -> PostgreSQL and no others, and references that
  all resolve (a Secret in the wrong namespace would not).
"""

from __future__ import annotations

import json
import re
import shutil
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_helpers import (
    KUBERNETES_VERSION,
    OVERLAYS,
    REPO,
    Rendered,
    copy_deploy_tree,
    explain,
    kustomize_build,
    load_all,
    run,
    tool,
)

from gamecoll.http.limits import IMPORT_BODY
from gamecoll.services.import_slots import FILES_AT_ONCE

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")
NAMESPACE = "gamecoll"

# checkov checks skipped for every manifest, each with the reason. Nothing else may be skipped
# on the command line; resource-specific skips live as annotations next to the resource.
CHECKOV_SKIPS = {
    # "Image should use digest": images are pinned by tag here; the digest of a release is only
    # known when it is built and pushed, and is then pinned in the overlay with
    # `kustomize edit set image gamecoll=<registry>/gamecoll:<tag>@sha256:<digest>`
    # (docs/deploy.md, "Upgrading"). A made-up digest here would only break deployments.
    "CKV_K8S_43",
}
# In-manifest skips (checkov.io/skip* annotations) that may exist, by resource. Each one
# carries its reason next to it in k8s/ (a YAML comment and the text after "=").
CHECKOV_ANNOTATION_SKIPS = {
    ("Deployment", "gamecoll-backend"): {"CKV_K8S_35"},
    ("Job", "gamecoll-migrate"): {"CKV_K8S_35"},
    ("StatefulSet", "gamecoll-seaweedfs"): {"CKV_K8S_35"},
    ("CronJob", "gamecoll-cleanup"): {"CKV_K8S_35"},
}


def pod_template(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the pod template of a workload (a CronJob's is inside its job template)."""
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    template: dict[str, Any] = spec["template"]
    return template


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the pod spec of a workload."""
    spec: dict[str, Any] = pod_template(doc)["spec"]
    return spec


def workloads(r: Rendered) -> list[dict[str, Any]]:
    """Every Deployment, StatefulSet, Job and CronJob."""
    return [d for d in r.docs if d["kind"] in WORKLOAD_KINDS]


def config(r: Rendered) -> dict[str, str]:
    """The app's settings ConfigMap (gamecoll-config-<hash>)."""
    data: dict[str, str] = r.generated("ConfigMap", "gamecoll-config")["data"]
    return data


# --- building -------------------------------------------------------------------------------


EXPECTED_KINDS = {
    "Namespace": 1,
    "ServiceAccount": 3,
    "ConfigMap": 2,
    "Secret": 1,
    "Service": 3,
    "Deployment": 2,
    "StatefulSet": 1,
    "Job": 1,
    "CronJob": 1,
    "Ingress": 2,  # the site, and imports with their larger body size
    "NetworkPolicy": 8,
    "PodDisruptionBudget": 2,
    "HorizontalPodAutoscaler": 1,
}
# No PersistentVolumeClaim of the app's: the images are in object storage. prod reaches an
# external store (one NetworkPolicy for it); dev runs one SeaweedFS pod (its ServiceAccount,
# Service, StatefulSet, and a policy each for it and for the backend's way to it).
OVERLAY_EXTRA_KINDS = {
    "prod": {},
    "dev": {"ServiceAccount": 1, "Service": 1, "StatefulSet": 1, "NetworkPolicy": 1},
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_with_every_resource(rendered: dict[str, Rendered], overlay: str) -> None:
    """`kustomize build k8s/overlays/<overlay>` works and yields every resource the issue lists."""
    counts: dict[str, int] = {}
    for doc in rendered[overlay].docs:
        counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
    expected = dict(EXPECTED_KINDS)
    for kind, extra in OVERLAY_EXTRA_KINDS[overlay].items():
        expected[kind] = expected.get(kind, 0) + extra
    assert counts == expected


def kubectl_or_none() -> str | None:
    return shutil.which("kubectl")


# kubectl (with the kustomize built into it, v5) is on some machines only; where it is, the
# pinned kustomize 4.5.4 and kubectl must render exactly the same objects, so that the
# checks below hold for what operators apply with `kubectl apply -k`.
@pytest.mark.parametrize(
    "overlay", [o for o in OVERLAYS if kubectl_or_none()] or [pytest.param(None, id="no-kubectl")]
)
def test_kubectl_kustomize_renders_the_same(
    rendered: dict[str, Rendered], deploy_tree: Path, overlay: str | None
) -> None:
    """Where kubectl exists, `kubectl kustomize` gives the same objects as the pinned kustomize."""
    kubectl = kubectl_or_none()
    if overlay is None or kubectl is None:
        # Nothing to compare with on this machine: the pinned kustomize alone is the reference.
        assert tool("kustomize").exists()
        return
    built = kustomize_build([kubectl, "kustomize"], deploy_tree / "k8s" / "overlays" / overlay)
    assert built.returncode == 0, explain(built)
    assert load_all(built.stdout) == rendered[overlay].docs


def test_prod_overlay_refuses_to_build_without_its_secrets(tmp_path: Path) -> None:
    """No secret is in the repository and none is made up: without secrets.env, no build."""
    root = copy_deploy_tree(tmp_path)
    built = kustomize_build([tool("kustomize"), "build"], root / "k8s" / "overlays" / "prod")
    assert built.returncode != 0, "prod built without secrets.env"
    assert "secrets.env" in built.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_stay_out_of_git(overlay: str) -> None:
    """secrets.env is git-ignored; the example next to it has no values at all."""
    path = f"k8s/overlays/{overlay}/secrets.env"
    ignored = run(["git", "check-ignore", "-q", path])
    assert ignored.returncode == 0, f"{path} is not git-ignored"
    tracked = run(["git", "ls-files", "--", path])
    assert tracked.stdout.strip() == "", f"{path} is committed"
    example = (REPO / f"k8s/overlays/{overlay}/secrets.env.example").read_text()
    values = {
        key: value
        for key, _, value in (
            line.partition("=")
            for line in example.splitlines()
            if line and not line.startswith("#")
        )
    }
    assert values == {
        "JWT_SECRET_KEY": "",
        "POSTGRES_PASSWORD": "",
        "S3_ACCESS_KEY_ID": "",
        "S3_SECRET_ACCESS_KEY": "",
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secret_comes_from_secrets_env(rendered: dict[str, Rendered], overlay: str) -> None:
    """The Secret holds exactly the keys the pods read, from the overlay's secrets.env."""
    secret = rendered[overlay].generated("Secret", "gamecoll-secrets")
    assert set(secret["data"]) == {
        "JWT_SECRET_KEY",
        "POSTGRES_PASSWORD",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
    }


# --- schema and policy checks ---------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_match_the_kubernetes_schema(rendered: dict[str, Rendered], overlay: str) -> None:
    """kubernetes-validate --strict: every object is valid Kubernetes 1.32, no unknown field."""
    result = run(
        [tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, rendered[overlay].path]
    )
    assert result.returncode == 0, explain(result)
    assert result.stdout.count("passed for resource") == len(rendered[overlay].docs)


def test_schema_check_rejects_an_unknown_field(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    """Control: the schema check above really fails on a misspelt field."""
    docs = [dict(d) for d in rendered["prod"].docs]
    backend = next(d for d in docs if d["kind"] == "Deployment")
    backend["spec"] = {**backend["spec"], "replica": 3}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, path])
    assert result.returncode != 0, explain(result)


def test_checkov_passes_on_the_rendered_manifests(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    """checkov's Kubernetes policies pass on both overlays; the only skips are the listed ones."""
    for overlay in OVERLAYS:
        shutil.copy(rendered[overlay].path, tmp_path / f"{overlay}.yaml")
    result = run(
        [
            tool("checkov"),
            "--directory",
            tmp_path,
            "--framework",
            "kubernetes",
            "--skip-download",
            "--skip-check",
            ",".join(sorted(CHECKOV_SKIPS)),
            "--output",
            "json",
            "--compact",
        ]
    )
    assert result.returncode == 0, explain(result)
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    summary = report["summary"]
    assert summary["failed"] == 0, explain(result)
    assert summary["passed"] > 300, "checkov ran suspiciously few checks"
    for skipped in report["results"]["skipped_checks"]:
        kind, _, name = skipped["resource"].partition(".")
        name = name.split(".")[-1]
        allowed = CHECKOV_ANNOTATION_SKIPS.get((kind, name), set())
        assert skipped["check_id"] in allowed, f"unexpected skip: {skipped}"
        assert skipped["check_result"].get("suppress_comment"), f"no reason given: {skipped}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_checkov_annotation_is_expected_and_explained(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """checkov.io/skip annotations: only the listed ones, each with its reason after '='."""
    for doc in rendered[overlay].docs:
        annotations = doc["metadata"].get("annotations") or {}
        for key, value in annotations.items():
            if not key.startswith("checkov.io/skip"):
                continue
            check, _, reason = value.partition("=")
            allowed = CHECKOV_ANNOTATION_SKIPS.get((doc["kind"], doc["metadata"]["name"]), set())
            assert check in allowed, f"{doc['kind']}/{doc['metadata']['name']} skips {check}"
            assert len(reason.strip()) > 20, f"{check} is skipped without a reason"


# --- what the deployment relies on ----------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lives_in_one_restricted_namespace(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """One namespace, enforcing the 'restricted' Pod Security Standard, holds every object."""
    r = rendered[overlay]
    ns = r.one("Namespace", NAMESPACE)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in r.docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_reference_resolves(rendered: dict[str, Rendered], overlay: str) -> None:
    """Every ConfigMap, Secret, claim and ServiceAccount a pod names exists (with the hash
    suffix kustomize gives generated objects)."""
    r = rendered[overlay]
    names = {(d["kind"], d["metadata"]["name"]) for d in r.docs}
    wanted: set[tuple[str, str]] = set()
    for doc in workloads(r):
        spec = pod_spec(doc)
        wanted.add(("ServiceAccount", spec["serviceAccountName"]))
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                wanted.add(("ConfigMap", volume["configMap"]["name"]))
            if "secret" in volume:
                wanted.add(("Secret", volume["secret"]["secretName"]))
            if "persistentVolumeClaim" in volume:
                wanted.add(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]))
        for container in spec.get("initContainers", []) + spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    wanted.add(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    wanted.add(("Secret", source["secretRef"]["name"]))
            for env in container.get("env", []):
                ref = env.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    wanted.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
                if "secretKeyRef" in ref:
                    wanted.add(("Secret", ref["secretKeyRef"]["name"]))
    for sts in r.find("StatefulSet"):
        wanted.add(("Service", sts["spec"]["serviceName"]))
    for hpa in r.find("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        wanted.add((target["kind"], target["name"]))
    for ingress in r.find("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                wanted.add(("Service", path["backend"]["service"]["name"]))
    assert wanted - names == set()
    # The generated objects are referenced by their hashed names: a change rolls the pods.
    assert any(n.startswith("gamecoll-secrets-") for k, n in wanted if k == "Secret")
    assert any(n.startswith("gamecoll-config-") for k, n in wanted if k == "ConfigMap")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_hardened(rendered: dict[str, Rendered], overlay: str) -> None:
    """Every container: non-root, read-only root, no capabilities, RuntimeDefault seccomp,
    no privilege escalation, CPU and memory requests and limits; no service-account token."""
    for doc in workloads(rendered[overlay]):
        spec = pod_spec(doc)
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        assert spec["automountServiceAccountToken"] is False, where
        pod_sc = spec.get("securityContext", {})
        assert pod_sc.get("runAsNonRoot") is True, where
        for container in spec.get("initContainers", []) + spec["containers"]:
            sc = container["securityContext"]
            name = f"{where} {container['name']}"
            assert sc["runAsNonRoot"] is True, name
            assert sc["runAsUser"] >= 10000, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in sc["capabilities"], name
            seccomp = sc.get("seccompProfile") or pod_sc.get("seccompProfile")
            assert seccomp == {"type": "RuntimeDefault"}, name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), f"{name} {bound}"


def app_containers(r: Rendered) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod spec, container) for every container running the gamecoll image."""
    found = []
    for doc in workloads(r):
        spec = pod_spec(doc)
        for container in spec.get("initContainers", []) + spec["containers"]:
            if container["image"].split(":")[0].rsplit("/", 1)[-1] == "gamecoll":
                found.append((spec, container))
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_app_containers_get_a_writable_tmp(rendered: dict[str, Rendered], overlay: str) -> None:
    """With a read-only root, the app's /tmp is an emptyDir (the static copier writes only
    its own volume)."""
    for spec, container in app_containers(rendered[overlay]):
        if container["name"] == "static-files":
            continue
        volumes = {v["name"]: v for v in spec["volumes"]}
        tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert len(tmp) == 1, container["name"]
        assert "emptyDir" in volumes[tmp[0]["name"]], container["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backend_runs_three_pods_and_never_fewer_ready(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """3 replicas; a rolling update adds one and removes none until it is ready; spread over
    nodes; the autoscaler and the disruption budget keep at least 3 and 2."""
    r = rendered[overlay]
    backend = r.one("Deployment", "gamecoll-backend")
    assert backend["spec"]["replicas"] == 3
    assert backend["spec"]["strategy"]["type"] == "RollingUpdate"
    assert backend["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert backend["spec"]["strategy"]["rollingUpdate"]["maxSurge"] >= 1
    spread = pod_spec(backend)["topologySpreadConstraints"]
    assert any(c["topologyKey"] == "kubernetes.io/hostname" and c["maxSkew"] == 1 for c in spread)
    hpa = r.one("HorizontalPodAutoscaler", "gamecoll-backend")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gamecoll-backend"
    assert hpa["spec"]["minReplicas"] >= 3
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    pdb = r.one("PodDisruptionBudget", "gamecoll-backend")
    assert pdb["spec"]["minAvailable"] == 2
    assert pdb["spec"]["selector"]["matchLabels"] == backend["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backend_probes_use_the_health_endpoints(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """Startup and liveness on /healthz (no database), readiness on /readyz (database, shutdown)."""
    container = pod_spec(rendered[overlay].one("Deployment", "gamecoll-backend"))["containers"][0]
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    port = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert port["http"] == int(config(rendered[overlay])["PORT"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backend_outlives_its_graceful_shutdown(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """preStop pause + GRACEFUL_SHUTDOWN_SECONDS fit inside the termination grace period, so
    Kubernetes never kills a pod that is still finishing requests."""
    r = rendered[overlay]
    spec = pod_spec(r.one("Deployment", "gamecoll-backend"))
    command = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pause = int(command[1])
    graceful = float(config(r)["GRACEFUL_SHUTDOWN_SECONDS"])
    assert pause >= 5
    assert spec["terminationGracePeriodSeconds"] > pause + graceful


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_in_the_job_only(rendered: dict[str, Rendered], overlay: str) -> None:
    """The Job runs `python -m gamecoll migrate`; the pods start with RUN_MIGRATIONS=false."""
    r = rendered[overlay]
    assert config(r)["RUN_MIGRATIONS"] == "false"
    job = r.one("Job", "gamecoll-migrate")
    container = pod_spec(job)["containers"][0]
    assert container["command"] == ["python", "-m", "gamecoll", "migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1
    backend = pod_spec(r.one("Deployment", "gamecoll-backend"))["containers"][0]
    assert backend["command"] == ["python", "-m", "gamecoll", "serve"]
    # Both read the same settings and secrets.
    assert container["envFrom"] == backend["envFrom"]
    assert {e["name"] for e in container["env"]} == {e["name"] for e in backend["env"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cleanup_runs_hourly_in_one_cronjob(rendered: dict[str, Rendered], overlay: str) -> None:
    """The CronJob runs `python -m gamecoll cleanup` one at a time with the app's settings
    and secrets; the pods leave the clean-up to it (CLEANUP_INTERVAL_SECONDS=0)."""
    r = rendered[overlay]
    assert config(r)["CLEANUP_INTERVAL_SECONDS"] == "0"
    cron = r.one("CronJob", "gamecoll-cleanup")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    minute, hour, *rest = cron["spec"]["schedule"].split()
    assert minute.isdigit() and hour == "*" and rest == ["*", "*", "*"]
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] <= 3600 and job["ttlSecondsAfterFinished"] > 0
    container = pod_spec(cron)["containers"][0]
    assert container["command"] == ["python", "-m", "gamecoll", "cleanup"]
    assert pod_spec(cron)["restartPolicy"] == "Never"
    backend = pod_spec(r.one("Deployment", "gamecoll-backend"))["containers"][0]
    assert container["envFrom"] == backend["envFrom"]
    assert {e["name"] for e in container["env"]} == {e["name"] for e in backend["env"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_match_the_proxy_chain(rendered: dict[str, Rendered], overlay: str) -> None:
    """Ingress -> nginx -> app is two trusted proxies: PROXIES_COUNT=2, no REAL_IP_HEADER."""
    settings = config(rendered[overlay])
    assert settings["PROXIES_COUNT"] == "2"
    assert "REAL_IP_HEADER" not in settings
    assert settings["APP_ENV"] == "production"
    assert settings["HOST"] == "0.0.0.0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_live_in_object_storage_not_on_a_shared_volume(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """STORAGE_BACKEND=s3 with a bucket, keys from the Secret, no ReadWriteMany claim anywhere."""
    r = rendered[overlay]
    settings = config(r)
    assert settings["STORAGE_BACKEND"] == "s3"
    assert settings["S3_BUCKET"]
    assert "S3_SECRET_ACCESS_KEY" not in settings and "S3_ACCESS_KEY_ID" not in settings
    spec = pod_spec(r.one("Deployment", "gamecoll-backend"))
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    for key in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        assert env[key]["valueFrom"]["secretKeyRef"]["key"] == key
    assert not [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
    claims = [d for d in r.docs if d["kind"] == "PersistentVolumeClaim"]
    for sts in r.find("StatefulSet"):
        claims.extend(sts["spec"].get("volumeClaimTemplates", []))
    modes = [mode for claim in claims for mode in claim["spec"]["accessModes"]]
    assert "ReadWriteMany" not in modes


def test_dev_runs_seaweedfs_with_the_apps_keys(rendered: dict[str, Rendered]) -> None:
    """dev's app points at its SeaweedFS pod, which takes the same keys and makes the bucket."""
    r = rendered["dev"]
    assert config(r)["S3_ENDPOINT_URL"] == "http://gamecoll-seaweedfs:8333"
    sts = r.one("StatefulSet", "gamecoll-seaweedfs")
    container = pod_spec(sts)["containers"][0]
    assert container["image"].startswith("chrislusf/seaweedfs:")
    assert container["args"][0] == "mini" and "-bucket=$(S3_BUCKET)" in container["args"]
    env = {e["name"]: e["valueFrom"] for e in container["env"]}
    assert env["AWS_ACCESS_KEY_ID"]["secretKeyRef"]["key"] == "S3_ACCESS_KEY_ID"
    assert env["AWS_SECRET_ACCESS_KEY"]["secretKeyRef"]["key"] == "S3_SECRET_ACCESS_KEY"
    assert r.one("Service", sts["spec"]["serviceName"])["spec"]["ports"][0]["port"] == 8333


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_keeps_its_data_and_reads_its_password_from_a_file(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """StatefulSet with a claim template, a headless Service, the password as a mounted file."""
    r = rendered[overlay]
    sts = r.one("StatefulSet", "gamecoll-postgres")
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    service = r.one("Service", sts["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    env = {e["name"]: e for e in pod_spec(sts)["containers"][0]["env"]}
    assert "POSTGRES_PASSWORD" not in env
    assert env["POSTGRES_PASSWORD_FILE"]["value"].startswith("/run/secrets/")


def test_ingress_terminates_tls_and_allows_the_upload_size(rendered: dict[str, Rendered]) -> None:
    """TLS for every host; the body-size annotation equals nginx's client_max_body_size, and
    both fit an image of MAX_IMAGE_BYTES sent as base64 JSON."""
    nginx_conf = (REPO / "deploy/nginx/nginx.conf").read_text()
    nginx_limit = re.search(r"^\s*client_max_body_size\s+(\S+);", nginx_conf, re.M)
    assert nginx_limit
    for overlay in OVERLAYS:
        r = rendered[overlay]
        ingress = r.one("Ingress", "gamecoll")
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == nginx_limit.group(1)
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        tls_hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
        assert hosts <= tls_hosts
        assert all(t["secretName"] for t in ingress["spec"]["tls"])
        limit = int(nginx_limit.group(1).rstrip("m")) * 1024 * 1024
        max_image = int(config(r)["MAX_IMAGE_BYTES"])
        assert max_image * 4 // 3 + 64 * 1024 <= limit


NGINX_SIZES = {"k": 1024, "m": 1024**2, "g": 1024**3}
QUANTITIES = {"Mi": 1024**2, "Gi": 1024**3}


def nginx_size(text: str) -> int:
    """Bytes of an nginx size (`16m`, `1g`)."""
    return int(text[:-1]) * NGINX_SIZES[text[-1]]


def quantity(text: str) -> int:
    """Bytes of a Kubernetes quantity in Mi or Gi."""
    return int(text[:-2]) * QUANTITIES[text[-2:]]


def test_imports_get_a_gibibyte_all_the_way_to_a_pod_with_room(
    rendered: dict[str, Rendered],
) -> None:
    """POST /collection/import may carry the app's IMPORT_BODY through the Ingress (streamed on,
    for the same hosts and certificate as the rest) and nginx; the app pod's /tmp, where the
    file waits for its job, holds as many such files as its workers take at once, within the
    pod's ephemeral-storage limit."""
    nginx_conf = (REPO / "deploy/nginx/nginx.conf").read_text()
    location = re.search(
        r"location = /collection/import \{[^}]*client_max_body_size (\S+);", nginx_conf
    )
    assert location and nginx_size(location.group(1)) == IMPORT_BODY
    for overlay in OVERLAYS:
        r = rendered[overlay]
        main, imports = r.one("Ingress", "gamecoll"), r.one("Ingress", "gamecoll-import")
        annotations = imports["metadata"]["annotations"]
        assert nginx_size(annotations["nginx.ingress.kubernetes.io/proxy-body-size"]) == IMPORT_BODY
        assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
        assert imports["spec"]["tls"] == main["spec"]["tls"]
        (rule,) = imports["spec"]["rules"]
        assert rule["host"] == main["spec"]["rules"][0]["host"]
        (path,) = rule["http"]["paths"]
        assert (path["path"], path["pathType"]) == ("/collection/import", "Exact")
        assert path["backend"] == main["spec"]["rules"][0]["http"]["paths"][0]["backend"]
        backend = pod_spec(r.one("Deployment", "gamecoll-backend"))
        volumes = {v["name"]: v for v in backend["volumes"]}
        (app,) = [c for c in backend["containers"] if c["name"] == "gamecoll"]
        (tmp,) = [m for m in app["volumeMounts"] if m["mountPath"] == "/tmp"]
        room = quantity(volumes[tmp["name"]]["emptyDir"]["sizeLimit"])
        # Each worker process holds at most FILES_AT_ONCE import files (503 beyond).
        assert room >= int(config(r)["WORKERS"]) * FILES_AT_ONCE * IMPORT_BODY
        assert quantity(app["resources"]["limits"]["ephemeral-storage"]) > room


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nginx_configmap_is_made_from_deploy_nginx(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """The ConfigMap holds deploy/nginx's files byte for byte (one config for every
    environment), and nginx runs with the same command line as in compose."""
    r = rendered[overlay]
    cm = r.generated("ConfigMap", "gamecoll-nginx")
    nginx_dir = REPO / "deploy" / "nginx"
    assert cm["data"] == {
        "nginx.conf": (nginx_dir / "nginx.conf").read_text(),
        "security_headers.conf": (nginx_dir / "security_headers.conf").read_text(),
        "upstreams.conf": (nginx_dir / "upstreams" / "kubernetes.conf").read_text(),
    }
    spec = pod_spec(r.one("Deployment", "gamecoll-nginx"))
    container = spec["containers"][0]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert container["command"] == compose["services"]["nginx"]["entrypoint"]
    config_volume = next(v for v in spec["volumes"] if v.get("configMap"))
    assert config_volume["configMap"]["name"] == cm["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[config_volume["name"]] == "/etc/gamecoll-nginx"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nginx_finds_the_backend_pods_by_dns(rendered: dict[str, Rendered], overlay: str) -> None:
    """upstreams.conf names the headless backend Service in this namespace, on the app's port."""
    r = rendered[overlay]
    upstreams = r.generated("ConfigMap", "gamecoll-nginx")["data"]["upstreams.conf"]
    server = re.search(r"^server\s+([\w.-]+):(\d+)\s", upstreams, re.M)
    assert server, upstreams
    service = r.one("Service", "gamecoll-backend")
    assert service["spec"]["clusterIP"] == "None"
    assert server.group(1) == f"gamecoll-backend.{NAMESPACE}.svc.cluster.local"
    assert int(server.group(2)) == service["spec"]["ports"][0]["port"]


# --- network policies -----------------------------------------------------------------------
# A small evaluator of the NetworkPolicies as rendered (label selectors with matchLabels, as
# used here): a connection is allowed when the source's egress and the destination's ingress
# both allow it; a pod that no policy selects for a direction is open in that direction.

Pod = tuple[str, str, dict[str, str], list[tuple[int, str]]]  # name, namespace, labels, ports
OUTSIDE = "outside"  # the namespace of the model's "internet" pod


def matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    assert set(selector) <= {"matchLabels"}, f"evaluator only knows matchLabels: {selector}"
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def peer_matches(peer: dict[str, Any], policy_ns: str, pod: Pod) -> bool:
    _, namespace, labels, _ = pod
    if "ipBlock" in peer:
        # Used here only for the world outside, with the private ranges (the cluster's pods)
        # excepted: it matches the outside and no pod.
        block = peer["ipBlock"]
        assert block["cidr"] == "0.0.0.0/0" and "10.0.0.0/8" in block["except"], block
        return namespace == OUTSIDE
    if "namespaceSelector" in peer:
        ns_ok = matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace})
    else:
        ns_ok = namespace == policy_ns
    return ns_ok and matches(peer.get("podSelector"), labels)


def port_matches(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports)


def direction_allows(
    policies: list[dict[str, Any]], pod: Pod, other: Pod, port: int, protocol: str, way: str
) -> bool:
    """Whether the policies selecting `pod` let traffic in or out (`way`) from or to `other`."""
    _, namespace, labels, _ = pod
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == namespace
        and matches(p["spec"]["podSelector"], labels)
        and way in p["spec"]["policyTypes"]
    ]
    if not selecting:
        return True
    key, peers_key = ("ingress", "from") if way == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(key, []):
            peers = rule.get(peers_key)
            peer_ok = not peers or any(
                peer_matches(peer, policy["metadata"]["namespace"], other) for peer in peers
            )
            if peer_ok and port_matches(rule, port, protocol):
                return True
    return False


def connection_allowed(
    policies: list[dict[str, Any]], src: Pod, dst: Pod, port: int, protocol: str
) -> bool:
    return direction_allows(policies, src, dst, port, protocol, "Egress") and direction_allows(
        policies, dst, src, port, protocol, "Ingress"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_allows_exactly_the_intended_paths(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """Every pod-to-pod connection is checked: exactly Ingress controller -> nginx -> backend ->
    PostgreSQL, the Job and the CronJob -> PostgreSQL, the backend -> its object store (HTTPS
    outside in prod, the SeaweedFS pod in dev), and DNS for every pod of ours are allowed;
    nothing else (the Ingress cannot skip nginx, nginx cannot reach PostgreSQL, only the
    backend leaves)."""
    r = rendered[overlay]
    policies = r.find("NetworkPolicy")
    ours: list[Pod] = []
    for doc in workloads(r):
        labels = pod_template(doc)["metadata"]["labels"]
        ports = [
            (p["containerPort"], p.get("protocol", "TCP"))
            for c in pod_spec(doc)["containers"]
            for p in c.get("ports", [])
        ]
        ours.append((doc["metadata"]["name"], NAMESPACE, labels, ports))
    ingress_controller: Pod = (
        "ingress-nginx",
        "ingress-nginx",
        {"app.kubernetes.io/name": "ingress-nginx"},
        [(443, "TCP")],
    )
    dns: Pod = ("coredns", "kube-system", {"k8s-app": "kube-dns"}, [(53, "UDP"), (53, "TCP")])
    stranger: Pod = ("stranger", "default", {"app": "other"}, [(8080, "TCP")])
    internet: Pod = ("internet", OUTSIDE, {}, [(443, "TCP")])
    pods = [*ours, ingress_controller, dns, stranger, internet]

    expected = {
        ("ingress-nginx", "gamecoll-nginx", 8080),
        ("gamecoll-nginx", "gamecoll-backend", 8080),
        ("gamecoll-backend", "gamecoll-postgres", 5432),
        ("gamecoll-migrate", "gamecoll-postgres", 5432),
        ("gamecoll-cleanup", "gamecoll-postgres", 5432),
    } | {(name, "coredns", 53) for name, _, _, _ in ours}
    expected.add(
        ("gamecoll-backend", "internet", 443)
        if overlay == "prod"
        else ("gamecoll-backend", "gamecoll-seaweedfs", 8333)
    )
    allowed = set()
    for src, dst in product(pods, pods):
        if src is dst or (src[1] != NAMESPACE and dst[1] != NAMESPACE):
            continue  # traffic between other namespaces is not ours to govern
        for port, protocol in dst[3]:
            if connection_allowed(policies, src, dst, port, protocol):
                allowed.add((src[0], dst[0], port))
    assert allowed == expected


def test_network_policy_evaluator_sees_an_open_path(rendered: dict[str, Rendered]) -> None:
    """Control: without the default-deny policy, the evaluator reports many more paths."""
    policies = [
        p
        for p in rendered["prod"].find("NetworkPolicy")
        if p["metadata"]["name"] != "default-deny-all"
    ]
    stranger: Pod = ("stranger", "default", {}, [])
    migrate: Pod = ("m", NAMESPACE, {"app.kubernetes.io/name": "gamecoll-migrate"}, [])
    # The migration Job has an Ingress policy type with no rules: still closed...
    assert not connection_allowed(policies, stranger, migrate, 8080, "TCP")
    # ...while a pod no policy selects is open both ways.
    loose: Pod = ("x", NAMESPACE, {"app.kubernetes.io/name": "something-else"}, [])
    assert connection_allowed(policies, stranger, loose, 8080, "TCP")
