"""The Kubernetes manifests under deploy/k8s: probes, hardening, resources, wiring.

Static checks over the YAML files (no cluster). When kubectl is on PATH, the base and
the production overlay are also rendered with its built-in kustomize.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from avatarmesh.settings import REPO_ROOT, SERVICES, Settings

K8S = REPO_ROOT / "deploy" / "k8s"
GATEWAY_PORT = 8080

Manifest = dict[str, Any]
# libyaml when present: the rendered overlay is ~1500 lines.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> list[Manifest]:
    with path.open() as f:
        return [doc for doc in yaml.load_all(f, Loader=Loader) if isinstance(doc, dict)]


def _manifests() -> list[tuple[Path, Manifest]]:
    return [
        (path, doc)
        for path in sorted(K8S.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in _load(path)
        if "kind" in doc
    ]


MANIFESTS = _manifests()
WORKLOADS = [
    pytest.param(doc, id=f"{path.relative_to(K8S)}:{doc['metadata']['name']}")
    for path, doc in MANIFESTS
    if doc["kind"] in ("Deployment", "StatefulSet")
    # Overlay patches are fragments of a workload, not workloads.
    and "containers" in doc["spec"]["template"]["spec"]
    and "image" in doc["spec"]["template"]["spec"]["containers"][0]
]
KUSTOMIZATIONS = sorted(K8S.rglob("kustomization.yaml"))


def _base_deployment(name: str) -> Manifest:
    docs = [d for d in _load(K8S / "base" / f"{name}.yaml") if d["kind"] == "Deployment"]
    assert len(docs) == 1, f"base/{name}.yaml must hold exactly one Deployment"
    return docs[0]


def _container(deployment: Manifest) -> Manifest:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _grpc_port(service: str) -> int:
    default = Settings.model_fields[f"{service}_addr"].default
    return int(str(default).rsplit(":", 1)[1])


def _config() -> dict[str, str]:
    (cm,) = _load(K8S / "base" / "configmap.yaml")
    return dict(cm["data"])


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_deployment_probes_grpc_health_on_its_settings_port(service: str) -> None:
    port = _grpc_port(service)
    deployment = _base_deployment(service)
    container = _container(deployment)
    assert container["command"] == ["python", "-m", f"services.{service}"]
    assert [p["containerPort"] for p in container["ports"]] == [port]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": port}, f"{service} {probe}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_addressed_as_name_colon_port_with_a_matching_service(
    service: str,
) -> None:
    port = _grpc_port(service)
    assert _config()[f"AVATARMESH_{service.upper()}_ADDR"] == f"{service}:{port}"
    (svc,) = [d for d in _load(K8S / "base" / f"{service}.yaml") if d["kind"] == "Service"]
    assert svc["metadata"]["name"] == service
    assert [p["port"] for p in svc["spec"]["ports"]] == [port]


def test_gateway_is_ready_on_readyz_and_live_without_depending_on_the_services() -> None:
    container = _container(_base_deployment("gateway"))
    assert container["command"] == ["python", "-m", "gateway"]
    assert [p["containerPort"] for p in container["ports"]] == [GATEWAY_PORT]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": GATEWAY_PORT}
    # /healthz aggregates every service's health: as a liveness probe it would restart
    # all gateways whenever one service is down.
    liveness = container["livenessProbe"]
    assert liveness.get("httpGet", {}).get("path") != "/healthz"
    assert liveness["tcpSocket"] == {"port": GATEWAY_PORT}
    assert _config()["AVATARMESH_HTTP_PORT"] == str(GATEWAY_PORT)
    assert _config()["AVATARMESH_HTTP_HOST"] == "0.0.0.0"


def test_gateway_alone_loads_the_admin_key_secret() -> None:
    def secret_refs(doc: Manifest) -> set[str]:
        env_from = _container(doc).get("envFrom", [])
        return {e["secretRef"]["name"] for e in env_from if "secretRef" in e}

    for path, doc in MANIFESTS:
        if doc["kind"] == "Deployment" and "image" in _container(doc):
            has_admin = "avatarmesh-admin" in secret_refs(doc)
            assert has_admin == (doc["metadata"]["name"] == "gateway"), path


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_container_runs_non_root_on_a_read_only_root_filesystem(
    workload: Manifest,
) -> None:
    pod = workload["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        ctx = container["securityContext"]
        assert ctx["runAsNonRoot"] is True
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts, "a writable /tmp is needed with a read-only root"
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_container_sets_cpu_and_memory_requests_and_limits(workload: Manifest) -> None:
    for container in workload["spec"]["template"]["spec"]["containers"]:
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), bound


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(K8S)))
def test_every_kustomization_references_files_that_exist(kustomization: Path) -> None:
    (spec,) = _load(kustomization)
    here = kustomization.parent
    refs = [*spec.get("resources", []), *spec.get("components", [])]
    refs += [p["path"] for p in spec.get("patches", []) if "path" in p]
    assert refs, f"{kustomization} references nothing"
    for ref in refs:
        target = (here / ref).resolve()
        assert target.exists(), f"{kustomization}: {ref} does not exist"
        if target.is_dir():
            assert (target / "kustomization.yaml").is_file(), f"{ref} is not a kustomization"
    if spec["kind"] == "Component":
        assert spec["apiVersion"] == "kustomize.config.k8s.io/v1alpha1"


def test_base_never_applies_the_example_secret() -> None:
    (spec,) = _load(K8S / "base" / "kustomization.yaml")
    assert "secret.example.yaml" not in spec["resources"]
    assert (K8S / "base" / "secret.example.yaml").is_file()


def test_gpu_worker_takes_one_gpu_runs_cuda_and_consumes_only_lipsync_jobs() -> None:
    (deployment,) = _load(K8S / "components" / "gpu-workers" / "worker-gpu.yaml")
    pod = deployment["spec"]["template"]["spec"]
    container = _container(deployment)
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["AVATARMESH_WORKER_DEVICE"] == "cuda"
    assert env["AVATARMESH_WORKER_SUBJECTS"] == "jobs.lipsync.>,jobs.studio.>"
    assert pod["nodeSelector"]
    assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])


def test_worker_scaled_objects_follow_the_jobs_stream_durables() -> None:
    consumers = set()
    for path in (K8S / "components").rglob("scaledobject-*.yaml"):
        for doc in _load(path):
            if doc.get("kind") != "ScaledObject":
                continue
            for trigger in doc["spec"]["triggers"]:
                assert trigger["type"] == "nats-jetstream"
                assert trigger["metadata"]["stream"] == "JOBS"
                assert trigger["metadata"]["natsServerMonitoringEndpoint"].endswith(":8222")
                consumers.add(trigger["metadata"]["consumer"])
    assert consumers == {"worker-lipsync", "worker-avatar", "worker-studio"}


def test_video_billing_and_gateway_have_disruption_budgets() -> None:
    budgets = {
        doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for doc in _load(K8S / "base" / "pdb.yaml")
        if doc["kind"] == "PodDisruptionBudget"
    }
    assert budgets == {"gateway", "video", "billing"}


def _kustomize(path: Path) -> list[Manifest]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize render is not checked")
    out = subprocess.run(
        [kubectl, "kustomize", str(path)], check=True, capture_output=True, text=True, timeout=30
    ).stdout
    return [doc for doc in yaml.load_all(out, Loader=Loader) if doc]


def test_base_renders_with_kustomize_into_one_namespace() -> None:
    docs = _kustomize(K8S / "base")
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {
        "avatarmesh"
    }
    assert not [d for d in docs if d["kind"] == "Secret"]


def test_production_renders_postgres_urls_gpu_workers_and_network_policies() -> None:
    docs = _kustomize(K8S / "overlays" / "production")
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {
        "avatarmesh"
    }
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert {*SERVICES, "gateway", "worker-gpu"} <= set(deployments)
    for name in ("avatar", "pose", "video", "billing", "webhook", "gateway"):
        env = {e["name"]: e["value"] for e in _container(deployments[name]).get("env", [])}
        url = env["AVATARMESH_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.endswith("/am_{service}")
    worker_env = {e["name"]: e["value"] for e in _container(deployments["worker"])["env"]}
    assert worker_env["AVATARMESH_WORKER_SUBJECTS"] == "jobs.avatar.>"
    kinds = {d["kind"] for d in docs}
    assert {"NetworkPolicy", "ScaledObject", "HorizontalPodAutoscaler", "Ingress"} <= kinds
