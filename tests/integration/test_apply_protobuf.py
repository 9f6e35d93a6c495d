"""Acceptance: server-side apply, protobuf request bodies and dry run, driven by the real clients.

- Every typed `kubectl create <subcommand>` (kubectl 1.30 to 1.33; 1.32+ send protobuf bodies) creates an object that,
  read back as JSON, contains everything kubectl renders for the same command with `--dry-run=client`.
- `kubectl drain` cordons a node and evicts its bare pods through the eviction API.
- `kubectl apply --server-side`: conflicts between field managers, forcing, ownership, field removal, and the
  migration from client-side apply.
- `kubectl diff` and `--dry-run=server` change nothing.
- The official Python client and its dynamic client speak apply patches (and dry run) too.

No kubelet or controller runs: pods never start and deployments make no pods.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import Cluster, kubectl_binary
from tests.integration.conftest import API, KUBECTL_MINORS, Kubectl

pytestmark = pytest.mark.kubectl

PROTOBUF = "application/vnd.kubernetes.protobuf"


# --------------------------------------------------------------------------------------------------- helpers


def subset_mismatches(want: Any, got: Any, path: str = "") -> list[str]:
    """Where `got` fails to contain `want`: dicts recursively (extra keys in `got` allowed), lists item by item with
    equal lengths, scalars by equality. `creationTimestamp: null` and `status: {}` in `want` are ignored."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path or '.'}: want object {want!r}, got {got!r}"]
        out: list[str] = []
        for k, v in want.items():
            if (k == "creationTimestamp" and v is None) or (k == "status" and v == {}):
                continue
            if k not in got:
                out.append(f"{path}.{k}: missing (want {v!r})")
                continue
            out += subset_mismatches(v, got[k], f"{path}.{k}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: want list {want!r}, got {got!r}"]
        return [m for i, (w, g) in enumerate(zip(want, got)) for m in subset_mismatches(w, g, f"{path}[{i}]")]
    if want != got:
        return [f"{path}: want {want!r}, got {got!r}"]
    return []


def test_subset_mismatches_reports_differences() -> None:
    want = {"metadata": {"name": "a", "creationTimestamp": None}, "spec": {"ports": [{"port": 80}]}, "status": {}}
    assert subset_mismatches(want, {"metadata": {"name": "a"}, "spec": {"ports": [{"port": 80, "protocol": "TCP"}]},
                                    "extra": 1}) == []
    assert subset_mismatches(want, {"metadata": {"name": "b"}, "spec": {"ports": [{"port": 80}]}}) == [
        ".metadata.name: want 'a', got 'b'"]
    assert subset_mismatches(want, {"metadata": {"name": "a"}, "spec": {"ports": []}}) != []
    assert subset_mismatches({"a": {"b": 1}}, {"a": {}}) == [".a.b: missing (want 1)"]


def managers(obj: dict) -> dict[tuple[str, str], dict]:
    """managedFields by (manager, operation) -> fieldsV1."""
    return {(e["manager"], e["operation"]): e.get("fieldsV1", {}) for e in obj["metadata"].get("managedFields", [])}


def owns(fields: dict, *path: str) -> bool:
    """Whether a fieldsV1 set contains the path, given as its keys (e.g. "f:spec", "f:replicas")."""
    cur: Any = fields
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return False
        cur = cur[p]
    return True


def _request_line(stderr: str, verb: str, path: str) -> re.Match[str] | None:
    p = re.escape(path) + r"(?:[?\s\"]|$)"
    return (re.search(rf"{verb} https://[^/\s]+{p}", stderr)
            or re.search(rf'verb="{verb}" url="https://[^/"]+{p}', stderr))


def logged(stderr: str, verb: str, path: str) -> bool:
    """Whether a kubectl -v=6+ log shows a request `verb path` (with or without a query), in the 1.30-1.32 format
    (`POST https://host/path`) or the structured 1.33 format (`verb="POST" url="https://host/path"`)."""
    return _request_line(stderr, verb, path) is not None


def request_content_type(stderr: str, verb: str, path: str) -> str | None:
    """The Content-Type header of the first `verb path` request in a kubectl -v=8 log (None if not logged)."""
    m = _request_line(stderr, verb, path)
    if m is None:
        return None
    rest = stderr[m.end():]
    end = rest.find("Response")
    h = re.search(r"Content-Type: (\S+)", rest[:end if end >= 0 else len(rest)])
    return h.group(1) if h else None


def test_request_content_type_reads_both_log_formats() -> None:
    old = ("I1 round_trippers.go:470] POST https://h:1/api/v1/namespaces/d/configmaps?fieldManager=kubectl-create\n"
           "I1 round_trippers.go:480]     Content-Type: application/vnd.kubernetes.protobuf\n"
           "I1 round_trippers.go:581] Response Status: 201 Created in 2 milliseconds\n")
    new = ('I1 round_trippers.go:527] "Request" verb="POST" url="https://h:1/api/v1/namespaces/d/configmaps" '
           'headers=<\n'
           "\tAccept: application/vnd.kubernetes.protobuf,application/json\n\tContent-Type: application/json\n >\n"
           'I1 round_trippers.go:632] "Response" status="201 Created" headers=<\n\tContent-Type: text/plain\n >\n')
    assert request_content_type(old, "POST", "/api/v1/namespaces/d/configmaps") == PROTOBUF
    assert request_content_type(new, "POST", "/api/v1/namespaces/d/configmaps") == "application/json"
    assert request_content_type(new, "POST", "/api/v1/namespaces/d/config") is None
    assert not logged(old, "PUT", "/api/v1/namespaces/d/configmaps")


def latest_kubectl_binary() -> tuple[str, int] | None:
    for minor in sorted(KUBECTL_MINORS, reverse=True):
        b = kubectl_binary(minor)
        if b:
            return b, minor
    return None


@pytest.fixture
def kubectl_latest(cluster: Cluster, tmp_path: Path) -> Kubectl:
    """The newest installed kubectl (for lines that do not ask for every minor)."""
    found = latest_kubectl_binary()
    if found is None:
        pytest.skip("no kubectl installed")
    return Kubectl(found[0], found[1], cluster.kubeconfig, tmp_path / "kube-cache")


def tls_pair(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate and its key, PEM files in `tmp_path`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("example.com")]), critical=False)
            .sign(key, hashes.SHA256()))
    crt, pem = tmp_path / "tls.crt", tmp_path / "tls.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


# --------------------------------------------------------------------------------------------------- kubectl create


def with_flags(args: list[str], *flags: str) -> list[str]:
    """`args` with `flags` added before a `--` that starts a container command (or at the end)."""
    i = args.index("--") if "--" in args else len(args)
    return [*args[:i], *flags, *args[i:]]


@dataclass(frozen=True)
class Files:
    """Inputs for the create commands: a unique suffix for cluster-scoped names, the namespace, a free node port,
    and files."""

    suffix: str
    ns: str
    node_port: int
    cert: Path
    key: Path
    text: Path
    binary: Path
    env: Path


@dataclass(frozen=True)
class CreateCase:
    """One `kubectl create` command line (after `create`), built from the inputs; `setup` runs first."""

    id: str
    args: Callable[[Files], list[str]]
    namespaced: bool = True
    setup: Callable[[Files], list[str]] | None = None


CREATE_CASES = [
    CreateCase("deployment", lambda f: ["deployment", "web", "--image=nginx:1.25"]),
    CreateCase("deployment-rich", lambda f: ["deployment", "web", "--image=busybox:1.36", "--port=8080",
                                             "--replicas=3", "--", "sleep", "3600"]),
    CreateCase("deployment-images", lambda f: ["deployment", "multi", "--image=nginx:1.25", "--image=busybox:1.36",
                                               "--replicas=0"]),
    CreateCase("configmap", lambda f: ["configmap", "cfg", "--from-literal=a=1"]),
    CreateCase("configmap-rich", lambda f: ["configmap", "cfg", "--from-literal=a=1", "--from-literal=b=two words",
                                            f"--from-file=conf.txt={f.text}", f"--from-file={f.binary}",
                                            "--append-hash"]),
    CreateCase("configmap-env", lambda f: ["configmap", "envcfg", f"--from-env-file={f.env}"]),
    CreateCase("secret-generic", lambda f: ["secret", "generic", "s", "--from-literal=user=admin"]),
    CreateCase("secret-generic-rich", lambda f: ["secret", "generic", "s", "--from-literal=user=admin",
                                                 f"--from-file=blob={f.binary}", f"--from-file={f.text}",
                                                 "--type=example.com/custom", "--append-hash"]),
    CreateCase("secret-generic-env", lambda f: ["secret", "generic", "envs", f"--from-env-file={f.env}"]),
    CreateCase("secret-tls", lambda f: ["secret", "tls", "tls", f"--cert={f.cert}", f"--key={f.key}"]),
    CreateCase("secret-tls-rich", lambda f: ["secret", "tls", "tls", f"--cert={f.cert}", f"--key={f.key}",
                                             "--append-hash"]),
    CreateCase("secret-docker-registry", lambda f: ["secret", "docker-registry", "reg", "--docker-username=u",
                                                    "--docker-password=p"]),
    CreateCase("secret-docker-registry-rich", lambda f: [
        "secret", "docker-registry", "reg", "--docker-server=registry.example.com:5000", "--docker-username=u",
        "--docker-password=p@ss", "--docker-email=u@example.com", "--append-hash"]),
    CreateCase("namespace", lambda f: ["namespace", f"ns-{f.suffix}"], namespaced=False),
    CreateCase("service-clusterip", lambda f: ["service", "clusterip", "svc", "--tcp=80:8080"]),
    CreateCase("service-clusterip-rich", lambda f: ["service", "clusterip", "svc", "--tcp=80:8080",
                                                    "--tcp=443:8443", "--tcp=9000"]),
    CreateCase("service-clusterip-headless", lambda f: ["service", "clusterip", "headless", "--clusterip=None"]),
    CreateCase("service-nodeport", lambda f: ["service", "nodeport", "np", "--tcp=80:8080"]),
    CreateCase("service-nodeport-rich", lambda f: ["service", "nodeport", "np", "--tcp=80:8080",
                                                   f"--node-port={f.node_port}"]),
    CreateCase("service-loadbalancer", lambda f: ["service", "loadbalancer", "lb", "--tcp=80:8080",
                                                  "--tcp=443:8443"]),
    CreateCase("service-externalname", lambda f: ["service", "externalname", "ext",
                                                  "--external-name=db.example.com"]),
    CreateCase("service-externalname-rich", lambda f: ["service", "externalname", "ext",
                                                       "--external-name=db.example.com", "--tcp=5432"]),
    CreateCase("job", lambda f: ["job", "j", "--image=busybox:1.36"]),
    CreateCase("job-rich", lambda f: ["job", "j", "--image=busybox:1.36", "--", "sh", "-c", "echo hi"]),
    CreateCase("job-from-cronjob", lambda f: ["job", "manual", "--from=cronjob/cj"],
               setup=lambda f: ["cronjob", "cj", "--image=busybox:1.36", "--schedule=0 * * * *"]),
    CreateCase("cronjob", lambda f: ["cronjob", "cj", "--image=busybox:1.36", "--schedule=*/5 * * * *"]),
    CreateCase("cronjob-rich", lambda f: ["cronjob", "cj", "--image=busybox:1.36", "--schedule=*/5 * * * *",
                                          "--restart=OnFailure", "--", "date"]),
    CreateCase("role", lambda f: ["role", "r", "--verb=get", "--resource=pods"]),
    CreateCase("role-rich", lambda f: ["role", "r", "--verb=get,list,watch", "--verb=update",
                                       "--resource=pods,deployments.apps,pods/log", "--resource-name=a",
                                       "--resource-name=b"]),
    CreateCase("rolebinding", lambda f: ["rolebinding", "rb", "--role=r", "--user=alice"]),
    CreateCase("rolebinding-rich", lambda f: ["rolebinding", "rb", "--clusterrole=view", "--user=alice",
                                              "--user=bob", "--group=devs", f"--serviceaccount={f.ns}:robot"]),
    CreateCase("clusterrole", lambda f: ["clusterrole", f"cr-{f.suffix}", "--verb=get", "--resource=nodes"],
               namespaced=False),
    CreateCase("clusterrole-rich", lambda f: ["clusterrole", f"cr-{f.suffix}", "--verb=get,patch", "--verb=delete",
                                              "--resource=nodes,deployments.apps,pods/status",
                                              "--resource-name=n1", "--non-resource-url=/healthz",
                                              "--non-resource-url=/logs/*"], namespaced=False),
    CreateCase("clusterrole-aggregation", lambda f: ["clusterrole", f"agg-{f.suffix}",
                                                     "--aggregation-rule=example.com/aggregate-to-agg=true"],
               namespaced=False),
    CreateCase("clusterrolebinding", lambda f: ["clusterrolebinding", f"crb-{f.suffix}", "--clusterrole=view",
                                                "--user=alice"], namespaced=False),
    CreateCase("clusterrolebinding-rich", lambda f: ["clusterrolebinding", f"crb-{f.suffix}", "--clusterrole=edit",
                                                     "--user=alice", "--group=devs", "--group=ops",
                                                     f"--serviceaccount={f.ns}:robot"], namespaced=False),
    CreateCase("serviceaccount", lambda f: ["serviceaccount", "robot"]),
    CreateCase("quota", lambda f: ["quota", "q", "--hard=pods=10"]),
    CreateCase("quota-rich", lambda f: ["quota", "q", "--hard=cpu=1500m,memory=1024Mi,pods=2",
                                        "--scopes=NotBestEffort,NotTerminating"]),
    CreateCase("priorityclass", lambda f: ["priorityclass", f"pc-{f.suffix}", "--value=10"], namespaced=False),
    CreateCase("priorityclass-rich", lambda f: ["priorityclass", f"pc-{f.suffix}", "--value=1000",
                                                "--description=high priority, never preempts",
                                                "--preemption-policy=Never"], namespaced=False),
    CreateCase("poddisruptionbudget", lambda f: ["poddisruptionbudget", "pdb", "--min-available=1",
                                                 "--selector=app=web"]),
    CreateCase("poddisruptionbudget-rich", lambda f: ["poddisruptionbudget", "pdb", "--max-unavailable=50%",
                                                      "--selector=app=web,tier in (front,back)"]),
    CreateCase("ingress", lambda f: ["ingress", "ing", "--rule=example.com/=web:80"]),
    CreateCase("ingress-rich", lambda f: [
        "ingress", "ing", "--class=nginx", "--rule=foo.example.com/bar=svc1:8080,tls=foo-cert",
        "--rule=bar.example.com/*=svc2:http", "--rule=/exact=svc3:80", "--default-backend=defsvc:http",
        "--annotation=example.com/owner=team-a", "--annotation=example.com/tier=edge"]),
]


def free_node_port(api: API) -> int:
    """A node port no service in the cluster uses now (tests run one at a time against the session server)."""
    used = {p.get("nodePort") for svc in api.ok("GET", "/api/v1/services")["items"]
            for p in svc["spec"].get("ports", [])}
    return next(p for p in range(32767, 30000, -1) if p not in used)


@pytest.fixture
def files(tmp_path: Path, api: API, ns: str, kubectl: Kubectl) -> Files:
    cert, key = tls_pair(tmp_path)
    text = tmp_path / "app.conf"
    text.write_text("listen 80\nserver_name example.com\n")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)))
    env = tmp_path / "app.env"
    env.write_text("# comment\nMODE=prod\nLEVEL=3\n\nEMPTY=\n")
    return Files(suffix=uuid.uuid4().hex[:8], ns=ns, node_port=free_node_port(api), cert=cert, key=key, text=text,
                 binary=binary, env=env)


@pytest.mark.parametrize("case", CREATE_CASES, ids=lambda c: c.id)
def test_create_reads_back_like_client_rendering(kubectl: Kubectl, ns: str, files: Files, case: CreateCase) -> None:
    where = ["-n", ns] if case.namespaced else []
    if case.setup:
        kubectl.run("create", *case.setup(files), *where)
    args = with_flags(["create", *case.args(files)], *where)
    rendered = json.loads(kubectl.run(*with_flags(args, "--dry-run=client", "-o", "json")).stdout)
    created = kubectl.run(*with_flags(args, "-o", "name")).stdout.strip()
    assert "/" in created, created
    got = kubectl.json("get", created, *where)
    assert got["metadata"]["uid"] and got["metadata"]["resourceVersion"]
    assert got["metadata"]["name"] == rendered["metadata"]["name"]
    mismatches = subset_mismatches(rendered, got)
    assert not mismatches, (f"kubectl 1.{kubectl.minor} {' '.join(args)}: server object differs from the client "
                            f"rendering:\n" + "\n".join(mismatches) + f"\nserver object: {json.dumps(got)[:3000]}")


@pytest.mark.parametrize("minor", [m for m in KUBECTL_MINORS if m >= 32], ids=lambda m: f"kubectl1.{m}")
def test_typed_create_sends_protobuf(minor: int, cluster: Cluster, ns: str, tmp_path: Path) -> None:
    """kubectl 1.32+ typed create commands send protobuf bodies; the server decodes them to the same object."""
    binary = kubectl_binary(minor)
    if binary is None:
        pytest.skip(f"kubectl.1.{minor} is not installed")
    k = Kubectl(binary, minor, cluster.kubeconfig, tmp_path / "kube-cache")
    r = k.run("create", "deployment", "proto", "-n", ns, "--image=busybox:1.36", "--port=8080", "--replicas=3",
              "-v=8", "--", "sleep", "60")
    assert request_content_type(r.stderr, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments") == PROTOBUF, \
        r.stderr[-4000:]
    dep = k.json("get", "deployment", "proto", "-n", ns)
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert dep["spec"]["replicas"] == 3
    assert c["image"] == "busybox:1.36" and c["command"] == ["sleep", "60"]
    assert c["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]


# --------------------------------------------------------------------------------------------------- drain


def test_drain_evicts_bare_pods(kubectl: Kubectl, api: API, ns: str) -> None:
    node = f"node-{uuid.uuid4().hex[:8]}"
    api.ok("POST", "/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": node, "labels": {"kubernetes.io/hostname": node}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "message": "kubelet is posting ready status"}]}})
    for name in ("p1", "p2"):
        api.ok("POST", f"/api/v1/namespaces/{ns}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox:1.36"}]}})
    other = api.ok("POST", f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "elsewhere"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}})
    r = kubectl.run("drain", node, "--force", "--grace-period=0", "--ignore-daemonsets", "--timeout=60s", "-v=6",
                    timeout=90)
    for name in ("p1", "p2"):
        assert logged(r.stderr, "POST", f"/api/v1/namespaces/{ns}/pods/{name}/eviction"), r.stderr[-4000:]
        assert api.call("GET", f"/api/v1/namespaces/{ns}/pods/{name}").status == 404
    assert f"node/{node} drained" in r.stdout, r.stdout
    assert api.ok("GET", "/api/v1/nodes/" + node)["spec"].get("unschedulable") is True
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/pods/elsewhere")["metadata"]["uid"] == other["metadata"]["uid"]


# --------------------------------------------------------------------------------------------------- apply


def deployment(name: str, *, replicas: int | None = 2, labels: dict[str, str] | None = None,
               image: str = "nginx:1.25") -> dict:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "app", "image": image}]}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app": name, "tier": "front"} if labels is None else labels},
            "spec": spec}


def test_server_side_apply_conflict_force_and_removal(kubectl_latest: Kubectl, api: API, ns: str) -> None:
    k = kubectl_latest
    k.run("apply", "--server-side", "-n", ns, "-f", "-", input=json.dumps(deployment("web", replicas=2)))
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    dep = api.ok("GET", path)
    assert dep["spec"]["replicas"] == 2 and dep["metadata"]["labels"] == {"app": "web", "tier": "front"}
    mf = managers(dep)
    assert ("kubectl", "Apply") in mf, dep["metadata"].get("managedFields")
    assert owns(mf[("kubectl", "Apply")], "f:spec", "f:replicas")
    assert owns(mf[("kubectl", "Apply")], "f:metadata", "f:labels", "f:tier")

    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}}
    r = k.run("apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-", input=json.dumps(other),
              check=False)
    assert r.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in r.stderr, r.stderr
    assert api.ok("GET", path)["spec"]["replicas"] == 2

    k.run("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-n", ns, "-f", "-",
          input=json.dumps(other))
    dep = api.ok("GET", path)
    assert dep["spec"]["replicas"] == 5
    mf = managers(dep)
    assert {("kubectl", "Apply"), ("other", "Apply")} <= set(mf), dep["metadata"]["managedFields"]
    assert owns(mf[("other", "Apply")], "f:spec", "f:replicas")
    assert not owns(mf[("kubectl", "Apply")], "f:spec", "f:replicas")
    assert owns(mf[("kubectl", "Apply")], "f:spec", "f:template")

    # The first manager drops its `tier` label (and agrees on the replica count): the label goes away.
    k.run("apply", "--server-side", "-n", ns, "-f", "-",
          input=json.dumps(deployment("web", replicas=5, labels={"app": "web"})))
    dep = api.ok("GET", path)
    assert dep["metadata"]["labels"] == {"app": "web"}
    assert dep["spec"]["replicas"] == 5
    mf = managers(dep)
    assert not owns(mf[("kubectl", "Apply")], "f:metadata", "f:labels", "f:tier")
    assert owns(mf[("kubectl", "Apply")], "f:spec", "f:replicas") and owns(mf[("other", "Apply")], "f:spec",
                                                                              "f:replicas")


def test_client_side_apply_migrates_to_server_side(kubectl_latest: Kubectl, api: API, ns: str) -> None:
    k = kubectl_latest
    manifest = deployment("web", replicas=2)
    k.run("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    dep = api.ok("GET", path)
    assert "kubectl.kubernetes.io/last-applied-configuration" in dep["metadata"]["annotations"]
    assert ("kubectl-client-side-apply", "Update") in managers(dep), dep["metadata"]["managedFields"]

    k.run("apply", "--server-side", "-n", ns, "-f", "-", input=json.dumps(manifest))
    manifest["spec"]["replicas"] = 4
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    r = k.run("apply", "--server-side", "-n", ns, "-f", "-", input=json.dumps(manifest))
    assert "conflict" not in r.stderr.lower(), r.stderr
    dep = api.ok("GET", path)
    assert dep["spec"]["replicas"] == 4
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    mf = managers(dep)
    ssa = mf.get(("kubectl", "Apply"))
    assert ssa is not None, dep["metadata"]["managedFields"]
    for p in (("f:spec", "f:replicas"), ("f:metadata", "f:labels", "f:tier"), ("f:spec", "f:selector"),
              ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"app"}', "f:image")):
        assert owns(ssa, *p), (p, ssa)
    csa = mf.get(("kubectl-client-side-apply", "Update"), {})
    for p in (("f:spec", "f:replicas"), ("f:metadata", "f:labels"), ("f:spec", "f:template")):
        assert not owns(csa, *p), (p, dep["metadata"]["managedFields"])


# --------------------------------------------------------------------------------------------------- dry run, diff


def test_diff_shows_change_and_changes_nothing(kubectl_latest: Kubectl, api: API, ns: str, tmp_path: Path) -> None:
    k = kubectl_latest
    manifest = deployment("web", replicas=2)
    k.run("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    before = api.ok("GET", path)
    manifest["spec"]["replicas"] = 7
    f = tmp_path / "web.yaml"
    f.write_text(yaml.safe_dump(manifest))
    r = k.run("diff", "-n", ns, "-f", str(f), check=False)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert re.search(r"^-\s+replicas: 2$", r.stdout, re.M) and re.search(r"^\+\s+replicas: 7$", r.stdout, re.M), \
        r.stdout
    after = api.ok("GET", path)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"]["replicas"] == 2
    # no pending change: exit code 0, empty output
    manifest["spec"]["replicas"] = 2
    f.write_text(yaml.safe_dump(manifest))
    r = k.run("diff", "-n", ns, "-f", str(f), check=False)
    assert r.returncode == 0 and r.stdout == "", (r.returncode, r.stdout, r.stderr)


def test_server_dry_run_create_and_delete_change_nothing(kubectl_latest: Kubectl, api: API, ns: str) -> None:
    k = kubectl_latest
    r = k.run("create", "deployment", "ghost", "-n", ns, "--image=nginx:1.25", "--dry-run=server", "-o", "json")
    ghost = json.loads(r.stdout)
    assert ghost["metadata"]["name"] == "ghost" and ghost["spec"]["strategy"]["type"] == "RollingUpdate"
    assert api.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/ghost").status == 404
    k.run("create", "configmap", "ghost", "-n", ns, "--from-literal=a=1", "--dry-run=server")
    assert api.call("GET", f"/api/v1/namespaces/{ns}/configmaps/ghost").status == 404

    cm = api.create_configmap(ns, "keep", {"a": "1"})
    dep = api.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("keep"))
    r = k.run("delete", "configmap/keep", "deployment/keep", "-n", ns, "--dry-run=server")
    assert "(server dry run)" in r.stdout, r.stdout
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/keep")["metadata"]["resourceVersion"] == \
        cm["metadata"]["resourceVersion"]
    got = api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/keep")
    assert got["metadata"]["resourceVersion"] == dep["metadata"]["resourceVersion"]
    assert "deletionTimestamp" not in got["metadata"]


# --------------------------------------------------------------------------------------------------- python client


@pytest.fixture(scope="module")
def k8s(cluster: Cluster):
    from kubernetes import config
    c = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield c
    c.close()


def test_python_client_apply_patch(k8s: Any, api: API, ns: str) -> None:
    from kubernetes import client
    apps = client.AppsV1Api(k8s)
    body = deployment("py", replicas=1)
    created = apps.patch_namespaced_deployment("py", ns, body, field_manager="py",
                                               _content_type="application/apply-patch+yaml")
    assert created.spec.replicas == 1 and created.metadata.uid
    entries = {(e.manager, e.operation) for e in created.metadata.managed_fields}
    assert ("py", "Apply") in entries, entries
    body["spec"]["replicas"] = 3
    updated = apps.patch_namespaced_deployment("py", ns, body, field_manager="py",
                                               _content_type="application/apply-patch+yaml")
    assert updated.spec.replicas == 3 and updated.metadata.uid == created.metadata.uid
    stored = api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/py")
    assert stored["spec"]["replicas"] == 3
    assert owns(managers(stored)[("py", "Apply")], "f:spec", "f:replicas")


def test_dynamic_client_server_side_apply_dry_run(k8s: Any, api: API, ns: str) -> None:
    from kubernetes.dynamic import DynamicClient
    dyn = DynamicClient(k8s)
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    out = deployments.server_side_apply(body=deployment("dyn"), namespace=ns, field_manager="dyn", dry_run="All")
    assert out.metadata.name == "dyn" and out.spec.replicas == 2
    assert [(e.manager, e.operation) for e in out.metadata.managedFields] == [("dyn", "Apply")]
    out = deployments.patch(body=deployment("dyn2"), namespace=ns, content_type="application/apply-patch+yaml",
                            field_manager="dyn", dry_run="All")
    assert [(e.manager, e.operation) for e in out.metadata.managedFields] == [("dyn", "Apply")]
    for name in ("dyn", "dyn2"):
        assert api.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}").status == 404
    assert api.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments")["items"] == []
