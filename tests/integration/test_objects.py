"""Acceptance of "objects as upstream" through the real server and kubectl 1.32: defaulted specs of documentation
manifests, `kubectl get` headers, invalid objects as kubectl prints them, and `kubectl explain`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Cluster, kubectl_binary
from tests.integration.conftest import API, Kubectl
from tests.unit.api.test_defaults import DOCUMENTED


@pytest.fixture
def k32(cluster: Cluster, tmp_path: Path) -> Kubectl:
    binary = kubectl_binary(32)
    if binary is None:
        pytest.skip("kubectl.1.32 is not installed")
    return Kubectl(binary, 32, cluster.kubeconfig, tmp_path / "cache")


# What a create adds beyond defaulting, as upstream does: admission (service account, priority, default
# tolerations) for pods, allocation for services, the job controller's selector and labels.
_EXTRA_SPEC = {
    "Pod": {"serviceAccount", "serviceAccountName", "priority", "preemptionPolicy", "tolerations"},
    "Service": {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "healthCheckNodePort"},
    "Job": {"selector"},
}


def _contains(got: Any, want: Any, path: str, extra: set[str], problems: list[str]) -> None:
    if isinstance(want, dict) and isinstance(got, dict):
        for k, v in want.items():
            if k not in got:
                problems.append(f"{path}.{k}: missing (want {v!r})")
            else:
                _contains(got[k], v, f"{path}.{k}", set(), problems)
        for k in set(got) - set(want) - extra:
            if not (k == "nodePort" and ".ports[" in path):  # allocated, never defaulted
                problems.append(f"{path}.{k}: unexpected {got[k]!r}")
        return
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (g, w) in enumerate(zip(got, want)):
            _contains(g, w, f"{path}[{i}]", set(), problems)
        return
    if got != want:
        problems.append(f"{path}: got {got!r}, want {want!r}")


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_documentation_manifest_reads_back_defaulted(k32: Kubectl, api: API, ns: str, tmp_path: Path,
                                                     name: str) -> None:
    manifest, expected = DOCUMENTED[name]
    obj = yaml.safe_load(manifest)
    want = yaml.safe_load(expected)
    kind = obj["kind"]
    cluster_scoped = kind == "PersistentVolume"
    obj["metadata"].pop("namespace", None)
    if cluster_scoped:
        obj["metadata"]["name"] += "-" + uuid.uuid4().hex[:6]
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(obj))
    k32.run("create", "-f", str(f), *([] if cluster_scoped else ["-n", ns]))
    got = yaml.safe_load(k32.run("get", "-f", str(f), "-o", "yaml", *([] if cluster_scoped else ["-n", ns])).stdout)
    problems: list[str] = []
    extra = set(_EXTRA_SPEC.get(kind, set()))
    if kind == "Job":
        want["spec"].pop("selector", None)
        # the job's own selector labels are added to the template at create, as upstream does
        labels = want["spec"]["template"]["metadata"].get("labels")
        if labels is None:
            got["spec"]["template"]["metadata"].pop("labels", None)
        else:
            got["spec"]["template"]["metadata"]["labels"] = labels
    _contains(got.get("spec"), want.get("spec"), "spec", extra, problems)
    for key in ("data", "type", "provisioner"):
        if key in want:
            _contains(got.get(key), want[key], key, set(), problems)
    assert not problems, "\n".join(problems)


_HEADERS = {
    "pod": (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: hp}\nspec: {containers: [{name: c, image: nginx}]}",
        "NAME READY STATUS RESTARTS AGE",
        "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES"),
    "deployment": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: hd}\nspec: {selector: {matchLabels: {a: b}}, "
        "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: nginx}]}}}",
        "NAME READY UP-TO-DATE AVAILABLE AGE",
        "NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR"),
    "replicaset": (
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: hr}\nspec: {selector: {matchLabels: {a: b}}, "
        "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: nginx}]}}}",
        "NAME DESIRED CURRENT READY AGE",
        "NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR"),
    "statefulset": (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: hs}\nspec: {serviceName: x, selector: "
        "{matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: nginx}]}}}",
        "NAME READY AGE", "NAME READY AGE CONTAINERS IMAGES"),
    "daemonset": (
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: hds}\nspec: {selector: {matchLabels: {a: b}}, "
        "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: nginx}]}}}",
        "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
        "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE CONTAINERS IMAGES SELECTOR"),
    "job": (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: hj}\nspec: {template: {spec: {restartPolicy: Never, "
        "containers: [{name: c, image: busybox}]}}}",
        "NAME STATUS COMPLETIONS DURATION AGE",
        "NAME STATUS COMPLETIONS DURATION AGE CONTAINERS IMAGES SELECTOR"),
    "cronjob": (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: hc}\nspec: {schedule: '*/5 * * * *', jobTemplate: "
        "{spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}",
        "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE",
        "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE CONTAINERS IMAGES SELECTOR"),
    "service": (
        "apiVersion: v1\nkind: Service\nmetadata: {name: hsv}\nspec: {selector: {a: b}, ports: [{port: 80}]}",
        "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
        "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR"),
    "configmap": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hcm}\ndata: {a: b}", "NAME DATA AGE", None),
    "secret": ("apiVersion: v1\nkind: Secret\nmetadata: {name: hse}\nstringData: {a: b}", "NAME TYPE DATA AGE",
               None),
    "serviceaccount": ("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: hsa}", "NAME SECRETS AGE", None),
    "persistentvolumeclaim": (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: hpvc}\nspec: {accessModes: [ReadWriteOnce],"
        " resources: {requests: {storage: 1Gi}}}",
        "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE",
        "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE VOLUMEMODE"),
    "ingress": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: hi}\nspec: {defaultBackend: {service: "
        "{name: s, port: {number: 80}}}}",
        "NAME CLASS HOSTS ADDRESS PORTS AGE", None),
    "networkpolicy": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: hnp}\nspec: {podSelector: {}}",
        "NAME POD-SELECTOR AGE", None),
    "horizontalpodautoscaler": (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: hh}\nspec: {scaleTargetRef: "
        "{apiVersion: apps/v1, kind: Deployment, name: d}, minReplicas: 1, maxReplicas: 3}",
        "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE", None),
    "poddisruptionbudget": (
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: hpdb}\nspec: {minAvailable: 1, "
        "selector: {matchLabels: {a: b}}}",
        "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE", None),
    "rolebinding": (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: hrb}\nroleRef: {apiGroup: "
        "rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: User, name: bob, apiGroup: "
        "rbac.authorization.k8s.io}]",
        "NAME ROLE AGE", "NAME ROLE AGE USERS GROUPS SERVICEACCOUNTS"),
    "role": (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: hro}\nrules: [{apiGroups: [''], "
        "resources: [pods], verbs: [get]}]",
        "NAME CREATED AT", None),
    "lease": (
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: hl}\nspec: {holderIdentity: me}",
        "NAME HOLDER AGE", None),
}


@pytest.mark.parametrize("kind", sorted(_HEADERS))
def test_get_prints_upstream_headers(k32: Kubectl, ns: str, tmp_path: Path, kind: str) -> None:
    manifest, header, wide = _HEADERS[kind]
    f = tmp_path / "o.yaml"
    f.write_text(manifest)
    k32.run("create", "-f", str(f), "-n", ns)
    name = yaml.safe_load(manifest)["metadata"]["name"]
    out = k32.run("get", kind, name, "-n", ns).stdout.splitlines()
    assert " ".join(out[0].split()) == header, out
    assert len(out) == 2 and out[1].split()[0] == name, out
    if wide:
        out = k32.run("get", kind, name, "-n", ns, "-o", "wide").stdout.splitlines()
        assert " ".join(out[0].split()) == wide, out


def test_get_namespaces_and_events_headers(k32: Kubectl) -> None:
    out = k32.run("get", "namespace", "default").stdout.splitlines()
    assert " ".join(out[0].split()) == "NAME STATUS AGE"
    assert out[1].split()[:2] == ["default", "Active"]


_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: LABEL}}
    spec:
      containers: CONTAINERS
"""


@pytest.mark.parametrize("case, replicas, label, containers, message", [
    ("negative-replicas", "-1", "web", "[{name: c, image: nginx}]",
     'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
    ("selector-mismatch", "1", "other", "[{name: c, image: nginx}]",
     'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: '
     'map[string]string{"app":"other"}: `selector` does not match template `labels`'),
    ("duplicate-containers", "1", "web", "[{name: c, image: nginx}, {name: c, image: busybox}]",
     'The Deployment "web" is invalid: spec.template.spec.containers[1].name: Duplicate value: "c"'),
])
def test_invalid_objects_as_kubectl_prints_them(k32: Kubectl, ns: str, tmp_path: Path, case: str, replicas: str,
                                                label: str, containers: str, message: str) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(_DEPLOYMENT.replace("REPLICAS", replicas).replace("LABEL", label)
                 .replace("CONTAINERS", containers))
    r = k32.run("apply", "-f", str(f), "-n", ns, check=False)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr


def test_bad_name_immutable_field_and_unknown_field(k32: Kubectl, api: API, ns: str, tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\ndata: {a: b}\n")
    r = k32.run("apply", "-f", str(f), "-n", ns, check=False)
    assert 'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 ' \
           'subdomain must consist of' in r.stderr, r.stderr
    f.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: imm}\nspec: {ports: [{port: 80}]}\n")
    k32.run("apply", "-f", str(f), "-n", ns)
    r = k32.run("patch", "service", "imm", "-n", ns, "-p", '{"spec":{"clusterIP":"10.43.99.99"}}', check=False)
    assert r.returncode != 0 and 'The Service "imm" is invalid: spec.clusterIPs[0]: Invalid value:' in r.stderr, \
        r.stderr
    f.write_text(_DEPLOYMENT.replace("REPLICAS", "1").replace("LABEL", "web")
                 .replace("CONTAINERS", "[{name: c, image: nginx}]").replace("replicas: 1", "replicas: 1\n  foo: 1"))
    r = k32.run("apply", "-f", str(f), "-n", ns, check=False)
    assert r.returncode != 0
    assert 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field ' \
           '"spec.foo"' in r.stderr, r.stderr


def test_explain_prints_field_documentation(k32: Kubectl) -> None:
    out = k32.run("explain", "deployment.spec.strategy").stdout
    assert "KIND:       Deployment" in out and "FIELD: strategy <DeploymentStrategy>" in out, out
    assert "rollingUpdate\t<RollingUpdateDeployment>" in out and "type\t<string>" in out, out
    out = k32.run("explain", "pod.spec.containers.livenessProbe", "--recursive").stdout
    for field in ("exec\t<ExecAction>", "failureThreshold\t<integer>", "httpGet\t<HTTPGetAction>",
                  "initialDelaySeconds\t<integer>", "tcpSocket\t<TCPSocketAction>"):
        assert field in out, (field, out)


def test_daemonset_template_generation_annotation_and_revision_data_kept(api, ns):
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "tg"},
          "spec": {"selector": {"matchLabels": {"a": "b"}},
                   "template": {"metadata": {"labels": {"a": "b"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    out = api.ok("POST", f"/apis/apps/v1/namespaces/{ns}/daemonsets", ds)
    assert out["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    out = api.ok("PATCH", f"/apis/apps/v1/namespaces/{ns}/daemonsets/tg", {"metadata": {"labels": {"x": "y"}}},
                 headers={"Content-Type": "application/merge-patch+json"})
    assert out["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    out = api.ok("PATCH", f"/apis/apps/v1/namespaces/{ns}/daemonsets/tg",
                 {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
                 headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert out["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    cr = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "tg-1"}, "revision": 1,
          "data": {"spec": {"template": {"metadata": {"creationTimestamp": None}, "$patch": "replace"}}}}
    out = api.ok("POST", f"/apis/apps/v1/namespaces/{ns}/controllerrevisions", cr)
    assert out["data"]["spec"]["template"]["metadata"] == {"creationTimestamp": None}


def test_watch_as_partial_object_metadata(api, ns):
    api.create_configmap(ns, "meta-w", {"big": "x" * 1000})
    accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
    r = api.call("GET", f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1"
                 "&allowWatchBookmarks=true", headers={"Accept": accept}, timeout=10)
    assert r.status == 200
    events = [json.loads(line) for line in r.body.splitlines() if line.strip()]
    added = [e for e in events if e["type"] == "ADDED"]
    assert added and added[0]["object"]["kind"] == "PartialObjectMetadata"
    assert added[0]["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert added[0]["object"]["metadata"]["name"] == "meta-w" and "data" not in added[0]["object"]


def test_yaml_bodies_keep_timestamps_as_written(api: API, ns: str) -> None:
    """A YAML body is read as upstream converts YAML to JSON: an unquoted date or time stays the string it was
    written as (PyYAML alone would make it a date object)."""
    body = (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dates\n"
            b"data:\n  day: 2024-01-01\n  moment: 2024-01-01T10:00:00Z\n  spaced: 2001-12-14 21:59:43.10 -5\n")
    r = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", body, headers={"Content-Type": "application/yaml"})
    assert r.status == 201, r.body
    want = {"day": "2024-01-01", "moment": "2024-01-01T10:00:00Z", "spaced": "2001-12-14 21:59:43.10 -5"}
    assert r.json()["data"] == want
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/dates")["data"] == want


def test_nulls_a_patch_leaves_are_dropped(api: API, ns: str) -> None:
    """Decoding into Go types drops null members: a JSON patch that adds nulls (deep or at the top) stores none,
    while the fields the patch did not touch are kept as stored."""
    api.create_configmap(ns, "nulls", {"keep": "1"}, labels={"app": "x"})
    path = f"/api/v1/namespaces/{ns}/configmaps/nulls"
    ops = [{"op": "add", "path": "/data/gone", "value": None},
           {"op": "add", "path": "/binaryData", "value": None},
           {"op": "add", "path": "/metadata/annotations", "value": {"a": "b", "n": None}}]
    out = api.ok("PATCH", path, json.dumps(ops).encode(), headers={"Content-Type": "application/json-patch+json"})
    assert out["data"] == {"keep": "1"} and "binaryData" not in out
    assert out["metadata"]["annotations"] == {"a": "b"} and out["metadata"]["labels"] == {"app": "x"}
    assert api.ok("GET", path)["data"] == {"keep": "1"}
