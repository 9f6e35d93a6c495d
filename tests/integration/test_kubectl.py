"""Acceptance: the real kubectl binaries 1.30 to 1.33 cannot tell the API server from upstream 1.32.

Each test runs once per kubectl minor, with a fresh discovery cache dir and its own namespace, against the shared
session server. Every kubectl call is bounded in time.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import API, Kubectl

pytestmark = pytest.mark.kubectl


def names_of(text: str) -> list[str]:
    """The `kind/name` lines printed by `-o name`."""
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def deployment(name: str, *, replicas: int = 2, labels: dict[str, str] | None = None) -> dict:
    """A two-container Deployment (containers `app` and `sidecar`)."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels or {"app": name, "tier": "front"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [
                    {"name": "app", "image": "nginx:1.25", "env": [{"name": "MODE", "value": "prod"}],
                     "ports": [{"containerPort": 80}]},
                    {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "3600"]},
                ]},
            },
        },
    }


def create_deployment(api: API, ns: str, name: str = "web", **kw: Any) -> dict:
    return api.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(name, **kw))


def containers(dep: dict) -> dict[str, dict]:
    return {c["name"]: c for c in dep["spec"]["template"]["spec"]["containers"]}


# --------------------------------------------------------------------------------------------------- discovery


def test_version_reports_server_minor_32(kubectl: Kubectl) -> None:
    out = kubectl.json("version")
    assert out["serverVersion"]["major"] == "1"
    assert out["serverVersion"]["minor"] == "32"
    assert out["serverVersion"]["gitVersion"].startswith("v1.32.")
    assert out["clientVersion"]["minor"] == str(kubectl.minor)


def test_api_resources_lists_builtin_resources_with_short_names(kubectl: Kubectl) -> None:
    out = kubectl.run("api-resources").stdout
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:] if ln.strip()}
    expected = {
        # NAME: (SHORTNAMES, APIVERSION, NAMESPACED, KIND)
        "pods": ("po", "v1", "true", "Pod"),
        "services": ("svc", "v1", "true", "Service"),
        "configmaps": ("cm", "v1", "true", "ConfigMap"),
        "namespaces": ("ns", "v1", "false", "Namespace"),
        "nodes": ("no", "v1", "false", "Node"),
        "serviceaccounts": ("sa", "v1", "true", "ServiceAccount"),
        "deployments": ("deploy", "apps/v1", "true", "Deployment"),
        "replicasets": ("rs", "apps/v1", "true", "ReplicaSet"),
        "statefulsets": ("sts", "apps/v1", "true", "StatefulSet"),
        "daemonsets": ("ds", "apps/v1", "true", "DaemonSet"),
        "cronjobs": ("cj", "batch/v1", "true", "CronJob"),
        "horizontalpodautoscalers": ("hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"),
        "ingresses": ("ing", "networking.k8s.io/v1", "true", "Ingress"),
        "poddisruptionbudgets": ("pdb", "policy/v1", "true", "PodDisruptionBudget"),
    }
    for name, (short, gv, namespaced, kind) in expected.items():
        assert name in rows, f"{name} missing from api-resources:\n{out}"
        assert rows[name][1:] == [short, gv, namespaced, kind], rows[name]
    # resources without short names still show; subresources never do.
    assert rows["jobs"][1:] == ["batch/v1", "true", "Job"]
    assert rows["roles"][1:] == ["rbac.authorization.k8s.io/v1", "true", "Role"]
    assert not any("/" in n for n in rows)
    names = set(names_of(kubectl.run("api-resources", "-o", "name").stdout))
    assert {"pods", "deployments.apps", "jobs.batch", "roles.rbac.authorization.k8s.io"} <= names
    namespaced = set(names_of(kubectl.run("api-resources", "--namespaced=false", "-o", "name").stdout))
    assert "namespaces" in namespaced and "pods" not in namespaced


def test_short_names_resolve(kubectl: Kubectl, api: API, ns: str) -> None:
    create_deployment(api, ns)
    assert names_of(kubectl.run("get", "deploy", "-n", ns, "-o", "name").stdout) == ["deployment.apps/web"]
    assert "namespace/default" in names_of(kubectl.run("get", "ns", "-o", "name").stdout)


def test_get_all_across_namespaces(kubectl: Kubectl, api: API, ns: str) -> None:
    create_deployment(api, ns)
    api.ok("POST", f"/api/v1/namespaces/{ns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    api.create_configmap(ns, "not-in-all")
    out = kubectl.run("get", "all", "-A").stdout
    lines = [ln.split() for ln in out.splitlines() if ln.strip()]
    found = {(cols[0], cols[1]) for cols in lines if len(cols) > 1}
    assert ("default", "service/kubernetes") in found, out
    assert (ns, "service/web") in found, out
    assert (ns, "deployment.apps/web") in found, out
    assert "not-in-all" not in out  # configmaps are not in the "all" category
    # the Service row shows the defaulted protocol and the allocated ClusterIP
    svc_row = next(cols for cols in lines if cols[:2] == [ns, "service/web"])
    assert "80/TCP" in svc_row, svc_row
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", svc_row[3]), svc_row


# --------------------------------------------------------------------------------------------------- apply

MANIFEST_V1 = """\
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
  labels: {{app: web, tier: front}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        env:
        - {{name: MODE, value: prod}}
        ports:
        - containerPort: 80
      - name: sidecar
        image: busybox:1.36
        command: [sleep, "3600"]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {ns}
spec:
  selector: {{app: web}}
  ports:
  - {{name: http, port: 80, targetPort: 80}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {ns}
data:
  a: "1"
  b: "2"
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {ns}
type: Opaque
data:
  password: {password}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: once
  namespace: {ns}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {{name: main, image: "busybox:1.36", command: ["true"]}}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
  namespace: {ns}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - {{name: main, image: "busybox:1.36", command: [date]}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: robot
  namespace: {ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: {ns}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: robot-reads
  namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: robot
  namespace: {ns}
"""


def manifest_v2(ns: str, password: str) -> str:
    """V1 with edits: one container's image, one env var added, a label and a ConfigMap key removed, a port and
    a verb added."""
    text = MANIFEST_V1.format(ns=ns, password=password)
    edits = [
        ("labels: {app: web, tier: front}", "labels: {app: web}"),
        ("- {name: MODE, value: prod}", "- {name: MODE, value: prod}\n        - {name: LEVEL, value: debug}"),
        ("image: busybox:1.36\n        command: [sleep", "image: busybox:1.37\n        command: [sleep"),
        ('  b: "2"', '  c: "3"'),
        ("- {name: http, port: 80, targetPort: 80}",
         "- {name: http, port: 80, targetPort: 80}\n  - {name: metrics, port: 9090, targetPort: 9090}"),
        ("verbs: [get, list]", "verbs: [get, list, watch]"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def apply_results(out: str) -> dict[str, str]:
    """`kind/name created|configured|unchanged` lines -> {kind/name: verb}."""
    res = {}
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) >= 2:
            res[parts[0]] = parts[1]
    return res


def test_apply_multi_document_manifest_then_reapply_edits(kubectl: Kubectl, api: API, tmp_path: Path) -> None:
    ns = f"apply-{uuid.uuid4().hex[:8]}"
    password = base64.b64encode(b"s3cret").decode()
    path = tmp_path / "manifest.yaml"
    path.write_text(MANIFEST_V1.format(ns=ns, password=password))
    expected_names = {
        f"namespace/{ns}", "deployment.apps/web", "service/web", "configmap/settings", "secret/creds",
        "job.batch/once", "cronjob.batch/tick", "serviceaccount/robot", "role.rbac.authorization.k8s.io/reader",
        "rolebinding.rbac.authorization.k8s.io/robot-reads",
    }

    first = apply_results(kubectl.run("apply", "-f", str(path)).stdout)
    assert first == {n: "created" for n in expected_names}, first
    assert set(names_of(kubectl.run("get", "-f", str(path), "-o", "name").stdout)) == expected_names

    dep0 = api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    last_applied = json.loads(dep0["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last_applied["metadata"]["labels"] == {"app": "web", "tier": "front"}
    svc0 = api.ok("GET", f"/api/v1/namespaces/{ns}/services/web")
    secret = api.ok("GET", f"/api/v1/namespaces/{ns}/secrets/creds")
    assert base64.b64decode(secret["data"]["password"]) == b"s3cret"

    # out-of-band changes: a label nobody applied survives; replicas (in the manifest) is reset by apply
    kubectl.run("label", "deployment", "web", "-n", ns, "owner=ops")
    kubectl.run("scale", "deployment", "web", "-n", ns, "--replicas=4")

    path.write_text(manifest_v2(ns, password))
    second = apply_results(kubectl.run("apply", "-f", str(path)).stdout)
    changed = {"deployment.apps/web", "service/web", "configmap/settings", "role.rbac.authorization.k8s.io/reader"}
    assert second == {n: ("configured" if n in changed else "unchanged") for n in expected_names}, second

    dep = api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["app", "sidecar"]
    cs = containers(dep)
    assert cs["app"]["image"] == "nginx:1.25"
    assert cs["app"]["env"] == [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "debug"}]
    assert [p["containerPort"] for p in cs["app"]["ports"]] == [80]
    assert cs["sidecar"]["image"] == "busybox:1.37"
    assert cs["sidecar"]["command"] == ["sleep", "3600"]
    assert dep["metadata"]["labels"] == {"app": "web", "owner": "ops"}  # tier removed, owner kept
    assert dep["spec"]["replicas"] == 2
    assert dep["metadata"]["uid"] == dep0["metadata"]["uid"]
    assert dep["metadata"]["generation"] > dep0["metadata"]["generation"]
    last_applied = json.loads(dep["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last_applied["metadata"]["labels"] == {"app": "web"}
    assert last_applied["spec"]["template"]["spec"]["containers"][1]["image"] == "busybox:1.37"

    cm = api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/settings")
    assert cm["data"] == {"a": "1", "c": "3"}
    svc = api.ok("GET", f"/api/v1/namespaces/{ns}/services/web")
    assert [(p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]] == [
        ("http", 80, "TCP"), ("metrics", 9090, "TCP")]
    assert svc["spec"]["clusterIP"] == svc0["spec"]["clusterIP"]
    role = api.ok("GET", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/reader")
    assert role["rules"][0]["verbs"] == ["get", "list", "watch"]

    third = apply_results(kubectl.run("apply", "-f", str(path)).stdout)
    assert third == {n: "unchanged" for n in expected_names}, third


def test_apply_rejects_unknown_field(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "bad", "namespace": ns}, "data": {"a": "1"}, "foo": 1}))
    r = kubectl.run("apply", "-f", str(path), check=False)
    assert r.returncode != 0
    assert 'unknown field "foo"' in r.stderr, r.stderr
    r = kubectl.run("get", "configmap", "bad", "-n", ns, check=False)
    assert r.returncode != 0


# --------------------------------------------------------------------------------------------------- get / output


def test_output_formats(kubectl: Kubectl, api: API, ns: str) -> None:
    api.create_configmap(ns, "conf", {"k1": "v1", "k2": "v2"}, labels={"app": "demo"})
    as_yaml = yaml.safe_load(kubectl.run("get", "configmap", "conf", "-n", ns, "-o", "yaml").stdout)
    assert as_yaml["kind"] == "ConfigMap" and as_yaml["apiVersion"] == "v1"
    assert as_yaml["metadata"]["name"] == "conf" and as_yaml["metadata"]["namespace"] == ns
    assert as_yaml["data"] == {"k1": "v1", "k2": "v2"}
    assert as_yaml["metadata"]["uid"] and as_yaml["metadata"]["resourceVersion"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", as_yaml["metadata"]["creationTimestamp"])

    as_json = kubectl.json("get", "configmap", "conf", "-n", ns)
    assert as_json == as_yaml
    lst = kubectl.json("get", "configmaps", "-n", ns, "-l", "app=demo")
    assert lst["kind"] == "List" and [i["metadata"]["name"] for i in lst["items"]] == ["conf"]
    assert lst["items"][0]["kind"] == "ConfigMap"

    assert names_of(kubectl.run("get", "configmap", "conf", "-n", ns, "-o", "name").stdout) == ["configmap/conf"]
    out = kubectl.run("get", "configmap", "conf", "-n", ns, "-o", "jsonpath={.data.k2}").stdout
    assert out == "v2"
    out = kubectl.run("get", "configmaps", "-n", ns, "-l", "app=demo",
                      "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.app}{end}").stdout
    assert out == "conf=demo"

    table = kubectl.run("get", "configmap", "conf", "-n", ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"], table
    assert table[1].split()[:2] == ["conf", "2"], table

    create_deployment(api, ns)
    table = kubectl.run("get", "deployments", "-n", ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], table
    assert table[1].split()[:2] == ["web", "0/2"], table
    wide = kubectl.run("get", "deployments", "-n", ns, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES",
                               "SELECTOR"], wide
    assert "app,sidecar" in wide[1] and "nginx:1.25,busybox:1.36" in wide[1] and "app=web" in wide[1], wide

    r = kubectl.run("get", "configmap", "missing", "-n", ns, check=False)
    assert r.returncode == 1
    assert 'Error from server (NotFound): configmaps "missing" not found' in r.stderr, r.stderr


# --------------------------------------------------------------------------------------------------- mutations


def test_label_and_annotate(kubectl: Kubectl, api: API, ns: str) -> None:
    api.create_configmap(ns, "lbl")
    path = f"/api/v1/namespaces/{ns}/configmaps/lbl"
    assert kubectl.run("label", "configmap", "lbl", "-n", ns, "color=blue").stdout.strip() == "configmap/lbl labeled"
    assert api.ok("GET", path)["metadata"]["labels"] == {"color": "blue"}

    r = kubectl.run("label", "configmap", "lbl", "-n", ns, "color=red", check=False)
    assert r.returncode != 0 and "--overwrite is false" in r.stderr, r.stderr
    kubectl.run("label", "--overwrite", "configmap", "lbl", "-n", ns, "color=red", "size=xl")
    assert api.ok("GET", path)["metadata"]["labels"] == {"color": "red", "size": "xl"}
    out = kubectl.run("label", "configmap", "lbl", "-n", ns, "color-").stdout.strip()
    assert out == "configmap/lbl unlabeled"
    assert api.ok("GET", path)["metadata"]["labels"] == {"size": "xl"}

    out = kubectl.run("annotate", "configmap", "lbl", "-n", ns, "note=hello world").stdout.strip()
    assert out == "configmap/lbl annotated"
    assert api.ok("GET", path)["metadata"]["annotations"] == {"note": "hello world"}
    kubectl.run("annotate", "configmap", "lbl", "-n", ns, "note-")
    assert not api.ok("GET", path)["metadata"].get("annotations")


def test_patch_strategic_merge_and_json(kubectl: Kubectl, api: API, ns: str) -> None:
    create_deployment(api, ns)
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"

    # strategic: containers merged by name
    out = kubectl.run("patch", "deployment", "web", "-n", ns, "--type", "strategic", "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.37"}]}}}})).stdout
    assert out.strip() == "deployment.apps/web patched"
    cs = containers(api.ok("GET", path))
    assert list(cs) == ["app", "sidecar"]
    assert cs["sidecar"]["image"] == "busybox:1.37" and cs["sidecar"]["command"] == ["sleep", "3600"]
    assert cs["app"]["image"] == "nginx:1.25"

    # strategic: env merged by name inside a container merged by name
    kubectl.run("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "env": [{"name": "EXTRA", "value": "1"}]}]}}}}))
    assert containers(api.ok("GET", path))["app"]["env"] == [
        {"name": "EXTRA", "value": "1"}, {"name": "MODE", "value": "prod"}]

    # a no-op patch does not write (kubectl reports "(no change)")
    rv = api.ok("GET", path)["metadata"]["resourceVersion"]
    out = kubectl.run("patch", "deployment", "web", "-n", ns, "--type", "merge", "-p",
                      json.dumps({"spec": {"replicas": 2}})).stdout
    assert out.strip() == "deployment.apps/web patched (no change)"
    assert api.ok("GET", path)["metadata"]["resourceVersion"] == rv

    # merge: null deletes a key, lists are replaced wholesale
    kubectl.run("patch", "deployment", "web", "-n", ns, "--type", "merge", "-p",
                json.dumps({"metadata": {"labels": {"tier": None, "new": "yes"}}, "spec": {"replicas": 3}}))
    dep = api.ok("GET", path)
    assert dep["metadata"]["labels"] == {"app": "web", "new": "yes"} and dep["spec"]["replicas"] == 3

    # json patch: ops applied in order
    kubectl.run("patch", "deployment", "web", "-n", ns, "--type", "json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels/jp", "value": "1"},
        {"op": "remove", "path": "/metadata/labels/new"},
        {"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "sidecar"},
    ]))
    dep = api.ok("GET", path)
    assert dep["spec"]["replicas"] == 4 and dep["metadata"]["labels"] == {"app": "web", "jp": "1"}
    # a failing test op rejects the whole patch
    r = kubectl.run("patch", "deployment", "web", "-n", ns, "--type", "json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/replicas", "value": 9},
        {"op": "test", "path": "/spec/replicas", "value": 99}]), check=False)
    assert r.returncode != 0
    assert api.ok("GET", path)["spec"]["replicas"] == 4

    kubectl.run("patch", "deployment", "web", "-n", ns, "--type", "merge", "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "nginx:1.27"}]}}}}))
    assert [c["name"] for c in api.ok("GET", path)["spec"]["template"]["spec"]["containers"]] == ["only"]

    # strategic $patch: delete removes one list element by key
    create_deployment(api, ns, "two")
    kubectl.run("patch", "deployment", "two", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "$patch": "delete"}]}}}}))
    assert list(containers(api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/two"))) == ["sidecar"]


def test_scale_deployment(kubectl: Kubectl, api: API, ns: str) -> None:
    create_deployment(api, ns)
    out = kubectl.run("scale", "deployment", "web", "-n", ns, "--replicas=5").stdout
    assert out.strip() == "deployment.apps/web scaled"
    assert api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 5
    scale = kubectl.json("get", "deployment", "web", "-n", ns, "--subresource=scale")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 5}
    assert scale["status"]["selector"] == "app=web"
    r = kubectl.run("scale", "deployment", "web", "-n", ns, "--current-replicas=3", "--replicas=1", check=False)
    assert r.returncode != 0
    assert api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 5


def test_delete(kubectl: Kubectl, api: API, ns: str) -> None:
    api.create_configmap(ns, "gone")
    for i in range(3):
        api.create_configmap(ns, f"sel-{i}", labels={"batch": "x"})
    create_deployment(api, ns)

    out = kubectl.run("delete", "configmap", "gone", "-n", ns).stdout
    assert re.match(r'configmap "gone" deleted', out), out
    r = kubectl.run("get", "configmap", "gone", "-n", ns, check=False)
    assert r.returncode == 1 and 'configmaps "gone" not found' in r.stderr

    out = kubectl.run("delete", "configmaps", "-n", ns, "-l", "batch=x").stdout
    assert sorted(re.findall(r'configmap "([^"]+)" deleted', out)) == ["sel-0", "sel-1", "sel-2"], out
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps?labelSelector=batch%3Dx")["items"] == []

    out = kubectl.run("delete", "deployment", "web", "-n", ns, "--timeout=30s").stdout
    assert re.match(r'deployment.apps "web" deleted', out), out
    assert api.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web").status == 404

    r = kubectl.run("delete", "configmap", "gone", "-n", ns, check=False)
    assert r.returncode != 0 and 'configmaps "gone" not found' in r.stderr
    assert kubectl.run("delete", "configmap", "gone", "-n", ns, "--ignore-not-found").returncode == 0


# --------------------------------------------------------------------------------------------------- watch / wait


class StreamReader:
    """Reads a process's stdout in a thread; `events()` decodes the concatenated JSON documents seen so far."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.buf = ""
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.lock:
                self.buf += line

    def events(self) -> list[dict]:
        with self.lock:
            text = self.buf
        dec = json.JSONDecoder()
        out, i = [], 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                break
            try:
                obj, i = dec.raw_decode(text, i)
            except ValueError:
                break  # incomplete document: wait for more
            out.append(obj)
        return out

    def wait_for(self, pred, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            evs = self.events()
            if pred(evs):
                return evs
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return self.events()


def test_get_watch_sees_added_modified_deleted(kubectl: Kubectl, api: API, ns: str) -> None:
    proc = subprocess.Popen(kubectl.argv("get", "configmaps", "-n", ns, "--watch", "--output-watch-events",
                                         "-o", "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        reader = StreamReader(proc)

        def seen(kind: str):
            return lambda evs: any(e.get("type") == kind and e["object"]["metadata"]["name"] == "watched"
                                   for e in evs)

        api.create_configmap(ns, "watched", {"v": "1"})
        evs = reader.wait_for(seen("ADDED"))
        assert seen("ADDED")(evs), (evs, proc.poll())
        api.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/watched", {"data": {"v": "2"}},
               headers={"Content-Type": "application/merge-patch+json"})
        evs = reader.wait_for(seen("MODIFIED"))
        assert seen("MODIFIED")(evs), evs
        api.ok("DELETE", f"/api/v1/namespaces/{ns}/configmaps/watched")
        evs = reader.wait_for(seen("DELETED"))
        mine = [(e["type"], e["object"]["data"]["v"]) for e in evs if e["object"]["metadata"]["name"] == "watched"]
        assert mine == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")], mine
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
        assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), rvs
        assert proc.poll() is None, "kubectl get -w must keep watching"
    finally:
        proc.kill()
        proc.wait(10)


def test_wait_for_delete(kubectl: Kubectl, api: API, ns: str) -> None:
    api.create_configmap(ns, "doomed")
    timer = threading.Timer(2.0, lambda: api.call("DELETE", f"/api/v1/namespaces/{ns}/configmaps/doomed"))
    t0 = time.monotonic()
    timer.start()
    try:
        r = kubectl.run("wait", "--for=delete", "configmap/doomed", "-n", ns, "--timeout=30s")
    finally:
        timer.cancel()
    elapsed = time.monotonic() - t0
    assert "configmap/doomed condition met" in r.stdout, r.stdout
    assert 1.5 < elapsed < 25, elapsed

    api.create_configmap(ns, "stays")
    r = kubectl.run("wait", "--for=delete", "configmap/stays", "-n", ns, "--timeout=2s", check=False)
    assert r.returncode != 0 and "timed out" in r.stderr, r.stderr


# --------------------------------------------------------------------------------------------------- selectors


def test_label_and_field_selectors(kubectl: Kubectl, api: API, ns: str) -> None:
    api.create_configmap(ns, "a1", labels={"app": "a", "tier": "x"})
    api.create_configmap(ns, "a2", labels={"app": "a"})
    api.create_configmap(ns, "b1", labels={"app": "b"})
    api.create_configmap(ns, "n1")

    def names(*sel: str) -> set[str]:
        out = kubectl.run("get", "configmaps", "-n", ns, "-o", "name", *sel).stdout
        return {n.split("/", 1)[1] for n in names_of(out)} - {"kube-root-ca.crt"}

    assert names("-l", "app=a") == {"a1", "a2"}
    assert names("-l", "app==b") == {"b1"}
    assert names("-l", "app in (a,b)") == {"a1", "a2", "b1"}
    assert names("-l", "app notin (a)") == {"b1", "n1"}
    assert names("-l", "app!=a") == {"b1", "n1"}
    assert names("-l", "!app") == {"n1"}
    assert names("-l", "app") == {"a1", "a2", "b1"}
    assert names("-l", "app=a,tier=x") == {"a1"}
    assert names("--field-selector", "metadata.name=b1") == {"b1"}
    assert names("--field-selector", "metadata.name!=b1", "-l", "app") == {"a1", "a2"}
    assert names("--field-selector", f"metadata.namespace={ns},metadata.name=a2") == {"a2"}
    r = kubectl.run("get", "configmaps", "-n", ns, "--field-selector", "spec.foo=x", check=False)
    assert r.returncode != 0 and "spec.foo" in r.stderr and "BadRequest" in r.stderr, r.stderr
    r = kubectl.run("get", "configmaps", "-n", ns, "-l", "app in (a", check=False)
    assert r.returncode != 0


def test_chunked_list(kubectl: Kubectl, api: API, ns: str) -> None:
    for i in range(10):
        api.create_configmap(ns, f"cm-{i:02d}")
    r = kubectl.run("get", "configmaps", "-n", ns, "--chunk-size=2", "-v=6")
    rows = [ln.split()[0] for ln in r.stdout.splitlines()[1:] if ln.strip()]
    mine = [n for n in rows if n.startswith("cm-")]
    assert mine == [f"cm-{i:02d}" for i in range(10)], r.stdout
    assert r.stdout.splitlines()[0].split()[0] == "NAME" and rows.count("NAME") == 0
    # one log line per response; 1.33 logs them structured (verb="GET" url="...")
    gets = [ln for ln in r.stderr.splitlines() if "GET" in ln and f"/namespaces/{ns}/configmaps?" in ln]
    paged = [ln for ln in gets if "limit=2" in ln]
    assert len(paged) >= 5, r.stderr
    assert sum("continue=" in ln for ln in paged) >= 4, r.stderr
    assert all("200 OK" in ln for ln in paged), paged

    out = kubectl.run("get", "configmaps", "-n", ns, "--chunk-size=3", "-o", "name").stdout
    assert sorted(n for n in names_of(out) if n.startswith("configmap/cm-")) == [
        f"configmap/cm-{i:02d}" for i in range(10)]


# --------------------------------------------------------------------------------------------------- other traps


def test_typed_create_commands_send_protobuf(kubectl: Kubectl, api: API, ns: str) -> None:
    """`kubectl create <kind>` sends protobuf request bodies with no JSON fallback."""
    out = kubectl.run("create", "configmap", "lit", "-n", ns, "--from-literal=a=1", "--from-literal=b=2").stdout
    assert out.strip() == "configmap/lit created"
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/lit")["data"] == {"a": "1", "b": "2"}
    out = kubectl.run("create", "deployment", "made", "-n", ns, "--image=nginx:1.25", "--replicas=2").stdout
    assert out.strip() == "deployment.apps/made created"
    dep = api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/made")
    assert dep["spec"]["replicas"] == 2 and dep["spec"]["selector"] == {"matchLabels": {"app": "made"}}
    assert containers(dep)["nginx"]["image"] == "nginx:1.25"
    kubectl.run("create", "secret", "generic", "sec", "-n", ns, "--from-literal=pw=x")
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/secrets/sec")["data"] == {"pw": "eA=="}
    kubectl.run("create", "role", "rr", "-n", ns, "--verb=get", "--resource=pods")
    role = api.ok("GET", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/rr")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    r = kubectl.run("create", "configmap", "lit", "-n", ns, "--from-literal=a=1", check=False)
    assert r.returncode != 0
    assert 'configmaps "lit" already exists' in r.stderr, r.stderr


def test_explain_reads_openapi_v3(kubectl: Kubectl) -> None:
    out = kubectl.run("explain", "deployment.spec.replicas").stdout
    assert "GROUP:      apps" in out and "KIND:       Deployment" in out, out
    assert re.search(r"FIELD:\s+replicas\s+<integer>", out), out
    out = kubectl.run("explain", "pods.spec.containers.env").stdout
    assert re.search(r"FIELD:\s+env\s+<\[\]EnvVar>", out), out


def test_dispatcher_works_against_the_server(cluster, tmp_path: Path) -> None:
    """The machine's `kubectl` dispatcher asks /version, then runs the versioned binary for the server's minor."""
    exe = shutil.which("kubectl")
    if exe is None:
        pytest.skip("no kubectl on PATH")
    env = {**os.environ, "HOME": str(tmp_path)}
    base = [exe, "--kubeconfig", str(cluster.kubeconfig), "--cache-dir", str(tmp_path / "cache")]
    r = subprocess.run([*base, "version", "-o", "json"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["serverVersion"]["minor"] == "32"
    r = subprocess.run([*base, "get", "namespaces", "-o", "name"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert {"namespace/default", "namespace/kube-system"} <= set(names_of(r.stdout))
