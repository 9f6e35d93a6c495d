"""Acceptance (issue 6): workloads on a whole cluster of processes, driven by the real kubectl and the official
``kubernetes`` Python client.

One cluster for the module: the API server, the controller manager and the scheduler as children of the process
supervisor that ``kyb server`` uses (started here through ``kybernetes.supervisor`` because ``kyb server`` passes
no controller manager flags, and the node tests need a short ``--node-monitor-grace-period``), plus ``kyb sim``
playing three nodes.  Each test works in its own namespace.  Every wait polls with a deadline; the logs the
processes wrote during a failed test are printed after it.

What is covered, in file order: Deployment rollouts (create, set image under a pod watch that checks maxSurge and
maxUnavailable at every observed state, history with change-cause, undo, pause/resume, restart, progress
deadline); the controller manager SIGKILLed mid-rollout several times; delete propagation (background, foreground,
orphan); Jobs (parallel, failing with BackoffLimitExceeded, Indexed) and a CronJob; a DaemonSet following a new
node; StatefulSet ordering; a node that stops heartbeating (unreachable taint, eviction, pods recreated elsewhere);
a PodDisruptionBudget refusing an eviction; namespace deletion.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException

from tests.conftest import ROOT, free_port, kubectl_binary
from tests.integration.conftest import Kubectl

pytestmark = [pytest.mark.slow, pytest.mark.kubectl]

NODE_MONITOR_GRACE = 6  # seconds; sims renew their Leases every second
SIM_FLAGS = ("--ready-delay", "0.2", "--run-seconds", "1", "--lease-interval", "1")
WAIT = 60.0  # default bound of every wait
CM_KILLS = 3
PY = sys.executable
KYB = (PY, "-m", "kybernetes")

# The supervisor of `kyb server` with the same children, the controller manager given test flags.
LAUNCHER = """
import asyncio, sys
from kybernetes.supervisor import Child, Supervisor
data, port, kubeconfig, grace = sys.argv[1:5]
kyb = (sys.executable, "-m", "kybernetes")
asyncio.run(Supervisor([
    Child("apiserver", (*kyb, "apiserver", "--data-dir", data, "--secure-port", port, "--bind-address", "127.0.0.1")),
    Child("controller-manager", (*kyb, "controller-manager", "--kubeconfig", kubeconfig,
                                 "--node-monitor-grace-period", grace)),
    Child("scheduler", (*kyb, "scheduler", "--kubeconfig", kubeconfig)),
]).run())
"""


# --------------------------------------------------------------------------------------------------- waiting


def wait_for(fn: Callable[[], Any], timeout: float = WAIT, what: str = "condition", step: float = 0.2) -> Any:
    """Call ``fn`` until it returns something truthy (returned); AssertionError naming ``what`` after ``timeout``.
    ApiExceptions count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = fn()
        except ApiException as e:
            last = f"ApiException {e.status}: {e.reason}"
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout:.0f}s (last: {str(last)[:1500]})")
        time.sleep(step)


# --------------------------------------------------------------------------------------------------- the cluster


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                for pid in _children(self.popen.pid):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                self.popen.kill()
                self.popen.wait(5)


@dataclass
class KybCluster:
    """The supervised control plane and the simulated nodes, as processes."""

    data_dir: Path
    port: int
    supervisor: Proc | None = None
    sims: dict[str, Proc] = field(default_factory=dict)
    # wall time when test_rollout_survives_controller_manager_kills saw the last new controller manager lead
    # (events a killed controller manager had queued are lost with it, as upstream's best-effort events are)
    calm_since: float = 0.0

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig" / "admin.yaml"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _spawn(self, name: str, argv: list[str]) -> Proc:
        log = self.data_dir / f"{name}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with log.open("ab") as out:
            popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                     start_new_session=True)
        return Proc(name, popen, log)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.supervisor = self._spawn("control-plane", [PY, "-c", LAUNCHER, str(self.data_dir), str(self.port),
                                                        str(self.kubeconfig), str(NODE_MONITOR_GRACE)])
        wait_for(self._ready, 60, "API server /readyz")

    def _ready(self) -> bool:
        assert self.supervisor is not None and self.supervisor.popen.poll() is None, "supervisor exited"
        ca = self.data_dir / "tls" / "ca.crt"
        if not (ca.exists() and self.kubeconfig.exists()):
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", context=ssl.create_default_context(cafile=str(ca)),
                                        timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def start_sim(self, prefix: str, nodes: int) -> Proc:
        """``kyb sim`` with ``nodes`` nodes named ``<prefix>0``... (its own process, so it can be killed)."""
        p = self._spawn(f"sim-{prefix.rstrip('-')}", [*KYB, "sim", "--kubeconfig", str(self.kubeconfig),
                                                      "--nodes", str(nodes), "--name-prefix", prefix, *SIM_FLAGS])
        self.sims[prefix] = p
        return p

    def component_pid(self, name: str) -> int | None:
        """The pid of the supervisor's child whose command line names ``name`` (None if none runs now)."""
        assert self.supervisor is not None
        for pid in _children(self.supervisor.popen.pid):
            if name in _cmdline(pid):
                return pid
        return None

    def stop(self) -> None:
        for p in self.sims.values():
            p.stop()
        if self.supervisor is not None:
            self.supervisor.stop()

    def logs(self) -> list[Path]:
        return sorted(self.data_dir.glob("*.log"))


def _tail(path: Path, since: int, limit: int = 6000) -> str:
    with path.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return text[-limit:]


@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    if kubectl_binary(32) is None:
        pytest.skip("kubectl.1.32 is not installed")
    c = KybCluster(tmp_path_factory.mktemp("kyb-workloads"), free_port())
    try:
        c.start()
        c.start_sim("sim-node-", 3)
        yield c
    finally:
        c.stop()


@pytest.fixture(autouse=True)
def _print_logs_on_failure(kyb: KybCluster, request: pytest.FixtureRequest) -> Iterator[None]:
    """After a failed test, print what every process logged while it ran."""
    offsets = {p: p.stat().st_size for p in kyb.logs()}
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed == failed:
        return
    capman = request.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled():
        for p in kyb.logs():
            print(f"\n----- {p.name} during {request.node.name} -----\n{_tail(p, offsets.get(p, 0))}", flush=True)


@pytest.fixture(scope="module")
def api(kyb: KybCluster) -> Iterator[k8s.ApiClient]:
    c = k8s_config.new_client_from_config(config_file=str(kyb.kubeconfig))
    core = k8s.CoreV1Api(c)

    def nodes_ready() -> bool:
        nodes = core.list_node().items
        return len(nodes) >= 3 and all(_node_ready(to_dict(n)) == "True" for n in nodes)
    wait_for(nodes_ready, 60, "three Ready nodes")
    # the controller manager leads and works: the serviceaccount controller filled the default namespace
    wait_for(lambda: core.read_namespaced_service_account("default", "default"), 60, "controller manager up")
    yield c
    c.close()


@pytest.fixture(scope="module")
def core(api: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(api)


def to_dict(obj: Any) -> Any:
    """An official-client model as the JSON the API server sent (camelCase keys)."""
    return k8s.ApiClient().sanitize_for_serialization(obj)


def get(api: k8s.ApiClient, path: str, **query: Any) -> dict[str, Any]:
    """GET ``path`` through the official client, decoded as plain JSON (ApiException on a non-2xx answer)."""
    method, url, headers, body, post = api.param_serialize(
        "GET", path, query_params=list(query.items()) or None, header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"])
    resp = api.call_api(method, url, headers, body, post, _request_timeout=30)
    resp.read()
    return api.response_deserialize(resp, {"200": "object"}).data


def items(api: k8s.ApiClient, path: str, **query: Any) -> list[dict[str, Any]]:
    return get(api, path, **query)["items"]


class K:
    """kubectl 1.32 in one namespace."""

    def __init__(self, kubectl: Kubectl, ns: str) -> None:
        self.kubectl = kubectl
        self.ns = ns

    def __call__(self, *args: str, check: bool = True, timeout: float = WAIT,
                 input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.kubectl.run("-n", self.ns, *args, check=check, timeout=timeout, input=input)

    def apply(self, *objects: dict[str, Any]) -> None:
        """``kubectl apply -f -`` of a YAML stream (a ``kind: List`` would make kubectl fetch /openapi/v2 to
        validate it, which the API server does not serve)."""
        self("apply", "-f", "-", input=yaml.safe_dump_all(objects))


@pytest.fixture
def ns(core: k8s.CoreV1Api, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test (deleted afterwards, without waiting)."""
    short = request.node.name.removeprefix("test_").replace("_", "-")[:30].strip("-")
    name = f"{short}-{uuid.uuid4().hex[:5]}"
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    wait_for(lambda: core.read_namespaced_service_account("default", name), 30, "default service account")
    yield name
    with contextlib.suppress(ApiException):
        core.delete_namespace(name)


@pytest.fixture(scope="module")
def kubectl(kyb: KybCluster, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    binary = kubectl_binary(32)
    assert binary is not None
    return Kubectl(binary, 32, kyb.kubeconfig, tmp_path_factory.mktemp("kube-cache"))


@pytest.fixture
def k(kubectl: Kubectl, ns: str) -> K:
    return K(kubectl, ns)


# --------------------------------------------------------------------------------------------------- object helpers


def active(pod: dict[str, Any]) -> bool:
    """Not being deleted and not finished."""
    return not pod["metadata"].get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def image(obj: dict[str, Any]) -> str:
    """The first container's image of a pod, or of a workload's pod template."""
    spec = obj["spec"]["template"]["spec"] if "template" in obj["spec"] else obj["spec"]
    return spec["containers"][0]["image"]


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in (obj.get("status") or {}).get("conditions") or () if c.get("type") == type_), {})


def _node_ready(node: dict[str, Any]) -> str:
    return condition(node, "Ready").get("status", "")


def owner_uids(obj: dict[str, Any]) -> set[str]:
    return {r["uid"] for r in obj["metadata"].get("ownerReferences") or ()}


def pods_path(ns: str) -> str:
    return f"/api/v1/namespaces/{ns}/pods"


def apps_path(ns: str, plural: str, name: str = "") -> str:
    return f"/apis/apps/v1/namespaces/{ns}/{plural}" + (f"/{name}" if name else "")


def batch_path(ns: str, plural: str, name: str = "") -> str:
    return f"/apis/batch/v1/namespaces/{ns}/{plural}" + (f"/{name}" if name else "")


def deployment(name: str, replicas: int, **spec: Any) -> dict[str, Any]:
    pod_spec = {"containers": [{"name": "main", "image": "busybox"}], **spec.pop("pod", {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}, **spec}}


def rollout_status(k: K, name: str = "web", check: bool = True, timeout: int = 90) -> subprocess.CompletedProcess:
    return k("rollout", "status", f"deployment/{name}", f"--timeout={timeout}s", check=check, timeout=timeout + 30)


def revisions(history: str) -> dict[int, str]:
    """``kubectl rollout history`` rows as revision -> change-cause."""
    out = {}
    for line in history.splitlines():
        parts = line.split(None, 1)
        if parts and parts[0].isdigit():
            out[int(parts[0])] = parts[1].strip() if len(parts) > 1 else ""
    return out


class ObjectWatch:
    """The objects of a namespace as a watch (official client, ``list_fn`` such as ``core.list_namespaced_pod``,
    in a thread) shows them, from now on.  ``check(objects)`` runs after every event (``objects``: uid -> object
    dict) and its first AssertionError is kept; ``events`` holds every (type, object) seen, in order."""

    def __init__(self, list_fn: Callable[..., Any], ns: str,
                 check: Callable[[dict[str, dict[str, Any]]], None] = lambda objects: None) -> None:
        self.list_fn, self.ns, self.check = list_fn, ns, check
        listed = list_fn(ns)
        self.objects: dict[str, dict[str, Any]] = {o.metadata.uid: to_dict(o) for o in listed.items}
        self.rv = listed.metadata.resource_version
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.failure: AssertionError | None = None
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # short server-side timeouts: the loop resumes from the last resourceVersion and sees the stop flag
                for ev in k8s_watch.Watch().stream(self.list_fn, self.ns, resource_version=self.rv,
                                                   timeout_seconds=2, _request_timeout=30):
                    if ev["type"] == "ERROR":
                        raise AssertionError(f"watch error: {ev.get('raw_object')}")
                    obj = to_dict(ev["object"])
                    self.rv = obj["metadata"]["resourceVersion"]
                    if ev["type"] == "DELETED":
                        self.objects.pop(obj["metadata"]["uid"], None)
                    else:
                        self.objects[obj["metadata"]["uid"]] = obj
                    self.events.append((ev["type"], obj))
                    try:
                        self.check(self.objects)
                    except AssertionError as e:
                        if self.failure is None:
                            self.failure = AssertionError(f"after {len(self.events)} events: {e}")
            except Exception as e:  # noqa: BLE001 - a broken watch fails the test in stop()
                self.error = e
                return

    def stop(self, *, check: bool = True) -> None:
        """End the watch; with ``check``, raise the first failed check (or the watch's own error)."""
        self._stop.set()
        self._thread.join(40)
        if check and self.error is not None:
            raise AssertionError(f"watch broke: {self.error!r}")
        if check and self.failure is not None:
            raise self.failure


@pytest.fixture
def pod_watch(core: k8s.CoreV1Api) -> Iterator[Callable[..., ObjectWatch]]:
    """``pod_watch(ns, check)`` starts an ObjectWatch over a namespace's pods; all end with the test."""
    started: list[ObjectWatch] = []

    def start(ns: str, check: Callable[[dict[str, dict[str, Any]]], None] = lambda pods: None) -> ObjectWatch:
        started.append(ObjectWatch(core.list_namespaced_pod, ns, check))
        return started[-1]
    yield start
    for w in started:
        w.stop(check=False)


def rollout_bounds(selector: dict[str, str], replicas: int, surge: int, unavailable: int):
    """A pod watch check: at most replicas + surge live pods, at least replicas - unavailable ready ones."""
    def check(pods: dict[str, dict[str, Any]]) -> None:
        live = [p for p in pods.values()
                if active(p) and selector.items() <= (p["metadata"].get("labels") or {}).items()]
        up = [p for p in live if ready(p)]
        assert len(live) <= replicas + surge, f"{len(live)} pods exceed {replicas} + maxSurge {surge}"
        assert len(up) >= replicas - unavailable, \
            f"only {len(up)} ready pods, below {replicas} - maxUnavailable {unavailable}"
    return check


def live_pods(api: k8s.ApiClient, ns: str, app: str | None = None) -> list[dict[str, Any]]:
    query = {"labelSelector": f"app={app}"} if app else {}
    return [p for p in items(api, pods_path(ns), **query) if active(p)]


def deployment_done(api: k8s.ApiClient, ns: str, name: str, replicas: int, img: str):
    """A wait_for function: the Deployment observed its spec and reports every replica updated and available,
    and exactly ``replicas`` live pods of image ``img`` exist."""
    def done() -> Any:
        d = get(api, apps_path(ns, "deployments", name))
        st = d.get("status") or {}
        pods = live_pods(api, ns, name)
        ok = (st.get("observedGeneration") == d["metadata"]["generation"]
              and (st.get("replicas"), st.get("updatedReplicas"), st.get("availableReplicas")) ==
              (replicas, replicas, replicas)
              and len(pods) == replicas and {image(p) for p in pods} == {img} and all(ready(p) for p in pods))
        return (d, pods) if ok else None
    return done


# --------------------------------------------------------------------------------------------------- early CronJob


@pytest.fixture(scope="module", autouse=True)
def cronjob(api: k8s.ApiClient, core: k8s.CoreV1Api) -> Iterator[dict[str, Any]]:
    """A CronJob on a one-minute schedule, created when the module starts so that its first minute passes while
    the other tests run, with a watch over its namespace's Jobs (test_cronjob_runs_and_keeps_history, last, checks
    both)."""
    name = f"cron-{uuid.uuid4().hex[:5]}"
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    batch = k8s.BatchV1Api(api)
    jobs = ObjectWatch(batch.list_namespaced_job, name)
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
            "spec": {"schedule": "*/1 * * * *", "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"spec": {"template": {"spec": {
                         "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}}
    created = batch.create_namespaced_cron_job(name, body)
    yield {"ns": name, "uid": created.metadata.uid, "created": time.monotonic(), "jobs": jobs}
    jobs.stop(check=False)


# =================================================================================================== 1. rollouts


def test_rollout_set_image_history_and_undo(api, pod_watch, k: K) -> None:
    k("create", "deployment", "web", "--image=busybox", "--replicas=5")
    k("annotate", "deployment", "web", "kubernetes.io/change-cause=create web")
    assert 'deployment "web" successfully rolled out' in rollout_status(k).stdout
    wait_for(deployment_done(api, k.ns, "web", 5, "busybox"), what="5 busybox pods")

    # 5 replicas, 25 % / 25 %: maxSurge 2, maxUnavailable 1, at every state the watch shows
    watch = pod_watch(k.ns, rollout_bounds({"app": "web"}, 5, 2, 1))
    k("set", "image", "deployment/web", "busybox=busybox:1.36")
    k("annotate", "deployment", "web", "--overwrite", "kubernetes.io/change-cause=image 1.36")
    assert 'deployment "web" successfully rolled out' in rollout_status(k).stdout
    wait_for(deployment_done(api, k.ns, "web", 5, "busybox:1.36"), what="5 busybox:1.36 pods")
    watch.stop()
    assert len(watch.events) >= 15, f"the watch saw only {len(watch.events)} events"
    created = {p["metadata"]["uid"] for t, p in watch.events if t == "ADDED"}
    assert len(created) == 5

    want = {1: "create web", 2: "image 1.36"}
    wait_for(lambda: revisions(k("rollout", "history", "deployment/web").stdout) == want, 30,
             f"rollout history {want}")

    assert "rolled back" in k("rollout", "undo", "deployment/web").stdout
    rollout_status(k)
    d, _ = wait_for(deployment_done(api, k.ns, "web", 5, "busybox"), what="back to busybox")
    assert image(d) == "busybox"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert revisions(k("rollout", "history", "deployment/web").stdout) == {2: "image 1.36", 3: "create web"}
    rss = items(api, apps_path(k.ns, "replicasets"))
    assert sorted((image(r), r["spec"]["replicas"]) for r in rss) == [("busybox", 5), ("busybox:1.36", 0)]
    out = k("rollout", "history", "deployment/web", "--revision=3").stdout
    assert "busybox" in out and "create web" in out

    # each component writes under its own name, as upstream's do (the user agent's command)
    def managers(obj: dict[str, Any]) -> set[tuple[str, str]]:
        return {(e["manager"], e.get("subresource", "")) for e in obj["metadata"].get("managedFields") or []}

    for pod in items(api, pods_path(k.ns), labelSelector="app=web"):
        assert managers(pod) == {("kube-controller-manager", ""), ("kyb-sim", "status")}, managers(pod)
    for rs in rss:
        assert ("kube-controller-manager", "status") in managers(rs), managers(rs)
    assert ("kube-controller-manager", "status") in managers(d), managers(d)


def test_rollout_pause_resume_and_restart(api, k: K) -> None:
    k("create", "deployment", "web", "--image=busybox", "--replicas=3")
    rollout_status(k)
    k("rollout", "pause", "deployment/web")
    k("set", "image", "deployment/web", "busybox=busybox:1.37")

    def paused_seen() -> bool:
        d = get(api, apps_path(k.ns, "deployments", "web"))
        st = d.get("status") or {}
        return (st.get("observedGeneration") == d["metadata"]["generation"]
                and condition(d, "Progressing").get("reason") == "DeploymentPaused")
    wait_for(paused_seen, what="paused Deployment observed")
    rss = items(api, apps_path(k.ns, "replicasets"))
    assert len(rss) == 1 and image(rss[0]) == "busybox", "no rollout while paused"
    assert {image(p) for p in live_pods(api, k.ns, "web")} == {"busybox"}

    k("rollout", "resume", "deployment/web")
    rollout_status(k)
    wait_for(deployment_done(api, k.ns, "web", 3, "busybox:1.37"), what="resumed rollout done")

    k("rollout", "restart", "deployment/web")
    rollout_status(k)
    d, pods = wait_for(deployment_done(api, k.ns, "web", 3, "busybox:1.37"), what="restart done")
    stamp = d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert all(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == stamp for p in pods)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    rss = items(api, apps_path(k.ns, "replicasets"))
    assert sorted(r["spec"]["replicas"] for r in rss) == [0, 0, 3]


def test_rollout_without_progress_exceeds_deadline(api, k: K) -> None:
    k.apply(deployment("web", 2, progressDeadlineSeconds=5))
    rollout_status(k)
    # the new pods need a node label no node has: they stay Pending
    k("patch", "deployment", "web", "-p",
      json.dumps({"spec": {"template": {"spec": {"nodeSelector": {"kyb.test/nowhere": "true"}}}}}))
    r = rollout_status(k, check=False, timeout=60)
    assert r.returncode != 0
    assert 'error: deployment "web" exceeded its progress deadline' in r.stderr
    d = get(api, apps_path(k.ns, "deployments", "web"))
    cond = condition(d, "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert condition(d, "Available")["status"] == "True"  # 25 % of 2: maxSurge 1, maxUnavailable 0
    pods = live_pods(api, k.ns, "web")
    assert sorted(p["status"]["phase"] for p in pods) == ["Pending", "Running", "Running"]
    assert "ProgressDeadlineExceeded" in k("describe", "deployment", "web").stdout


# =================================================================================================== 2. crashes


def _lease_holder(api: k8s.ApiClient) -> str:
    lease = get(api, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager")
    return lease["spec"].get("holderIdentity") or ""


def test_rollout_survives_controller_manager_kills(api, kyb: KybCluster, k: K) -> None:
    replicas = 6
    k.apply(deployment("web", replicas, minReadySeconds=1))
    rollout_status(k)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    for i in range(1, CM_KILLS + 1):
        holder = wait_for(lambda: _lease_holder(api), what="a controller manager leads")
        k("set", "image", "deployment/web", f"main=busybox:v{i}")
        time.sleep(rng.uniform(0.1, 2.0))
        pid = kyb.component_pid("controller-manager")
        assert pid is not None, "no controller manager process"
        os.kill(pid, signal.SIGKILL)
        # the supervisor starts a new one, which takes the Lease over once the dead holder's has expired
        wait_for(lambda: (kyb.component_pid("controller-manager") or pid) != pid, 30,
                 f"controller manager restarted (kill {i}, seed {seed})")
        wait_for(lambda: _lease_holder(api) not in ("", holder), 45, f"new controller manager leads (kill {i})")
    kyb.calm_since = time.time()
    rollout_status(k, timeout=120)
    d, pods = wait_for(deployment_done(api, k.ns, "web", replicas, f"busybox:v{CM_KILLS}"),
                       what=f"final state (seed {seed})")
    rss = items(api, apps_path(k.ns, "replicasets"))
    scaled = [r for r in rss if r["spec"]["replicas"]]
    assert len(scaled) == 1 and image(scaled[0]) == f"busybox:v{CM_KILLS}", "one active ReplicaSet"
    assert len([r for r in rss if image(r) == f"busybox:v{CM_KILLS}"]) == 1
    assert {u for p in pods for u in owner_uids(p)} == {scaled[0]["metadata"]["uid"]}
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == \
        scaled[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    time.sleep(2)  # nothing extra shows up afterwards either
    assert len(live_pods(api, k.ns)) == replicas
    assert all(not p["metadata"].get("deletionTimestamp") for p in items(api, pods_path(k.ns))), \
        "no pod left terminating"


# =================================================================================================== 3. deletion


def _deployment_with_rs(api: k8s.ApiClient, k: K, name: str, replicas: int = 2) -> tuple[dict, dict]:
    k("create", "deployment", name, "--image=busybox", f"--replicas={replicas}")
    rollout_status(k, name)
    d, _ = wait_for(deployment_done(api, k.ns, name, replicas, "busybox"), what=f"{name} available")
    rs = [r for r in items(api, apps_path(k.ns, "replicasets")) if d["metadata"]["uid"] in owner_uids(r)]
    assert len(rs) == 1
    return d, rs[0]


def test_delete_deployment_background(api, k: K) -> None:
    _, rs = _deployment_with_rs(api, k, "bg")
    k("delete", "deployment", "bg", "--cascade=background")
    wait_for(lambda: not items(api, apps_path(k.ns, "replicasets")) and not items(api, pods_path(k.ns)),
             what="ReplicaSet and pods collected")


def test_delete_deployment_foreground(api, k: K) -> None:
    d, rs = _deployment_with_rs(api, k, "fg")
    rs_name = rs["metadata"]["name"]
    # a finalizer of ours holds the ReplicaSet, so the "deployment waits for its dependents" state lasts
    k("patch", "rs", rs_name, "--type=merge", "-p", '{"metadata": {"finalizers": ["kyb.test/hold"]}}')
    k("delete", "deployment", "fg", "--cascade=foreground", "--wait=false")

    def waiting() -> Any:
        dep = get(api, apps_path(k.ns, "deployments", "fg"))
        r = get(api, apps_path(k.ns, "replicasets", rs_name))
        ok = (dep["metadata"].get("deletionTimestamp") and "foregroundDeletion" in dep["metadata"]["finalizers"]
              and r["metadata"].get("deletionTimestamp") and not items(api, pods_path(k.ns)))
        return r if ok else None
    r = wait_for(waiting, what="deployment waiting for its dependents, pods gone")
    assert [(o["uid"], o.get("blockOwnerDeletion")) for o in r["metadata"]["ownerReferences"]] == \
        [(d["metadata"]["uid"], True)]
    time.sleep(1.5)  # and it keeps waiting while the ReplicaSet is there
    dep = get(api, apps_path(k.ns, "deployments", "fg"))
    assert dep["metadata"]["uid"] == d["metadata"]["uid"] and "foregroundDeletion" in dep["metadata"]["finalizers"]

    def release() -> bool:
        r = get(api, apps_path(k.ns, "replicasets", rs_name))
        rest = [f for f in r["metadata"].get("finalizers") or () if f != "kyb.test/hold"]
        patch = {"metadata": {"resourceVersion": r["metadata"]["resourceVersion"], "finalizers": rest}}
        return k("patch", "rs", rs_name, "--type=merge", "-p", json.dumps(patch), check=False).returncode == 0
    wait_for(release, 20, "finalizer removed")
    wait_for(lambda: not items(api, apps_path(k.ns, "deployments")) and not items(api, apps_path(k.ns, "replicasets")),
             what="deployment gone after its ReplicaSet")


def test_delete_deployment_orphan(api, k: K) -> None:
    d, rs = _deployment_with_rs(api, k, "orphan")
    pods_before = {p["metadata"]["uid"] for p in live_pods(api, k.ns)}
    k("delete", "deployment", "orphan", "--cascade=orphan")
    assert not items(api, apps_path(k.ns, "deployments"))
    left = items(api, apps_path(k.ns, "replicasets"))
    assert [r["metadata"]["uid"] for r in left] == [rs["metadata"]["uid"]]
    assert d["metadata"]["uid"] not in owner_uids(left[0]) and not left[0]["metadata"].get("deletionTimestamp")
    time.sleep(1.0)  # the pods stay, still the ReplicaSet's
    pods = live_pods(api, k.ns)
    assert {p["metadata"]["uid"] for p in pods} == pods_before
    assert all(owner_uids(p) == {rs["metadata"]["uid"]} for p in pods)


# =================================================================================================== 4. jobs


def job(name: str, **spec: Any) -> dict[str, Any]:
    pod_meta = spec.pop("pod_meta", {})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"metadata": pod_meta, "spec": {
                "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}


def test_jobs_parallel_failing_and_indexed(api, pod_watch, k: K) -> None:
    # first the slow one: pods fail, back-off 10 s then 20 s, then BackoffLimitExceeded
    k.apply(job("fails", backoffLimit=2, pod_meta={"annotations": {"sim.kybernetes.io/fail": "true"}}))

    def at_most_two(pods: dict[str, dict[str, Any]]) -> None:
        running = [p for p in pods.values() if active(p)
                   and (p["metadata"].get("labels") or {}).get("job-name") == "five"]
        assert len(running) <= 2, f"{len(running)} pods of a Job with parallelism 2"
    watch = pod_watch(k.ns, at_most_two)
    k.apply(job("five", completions=5, parallelism=2),
            job("indexed", completions=3, parallelism=3, completionMode="Indexed"))
    k("wait", "--for=condition=complete", "job/five", "job/indexed", "--timeout=60s", timeout=90)
    watch.stop()
    five = get(api, batch_path(k.ns, "jobs", "five"))
    assert five["status"]["succeeded"] == 5 and not five["status"].get("failed")
    assert len([p for p in items(api, pods_path(k.ns), labelSelector="job-name=five")]) == 5

    indexed = get(api, batch_path(k.ns, "jobs", "indexed"))
    assert indexed["status"]["completedIndexes"] == "0-2"
    pods = items(api, pods_path(k.ns), labelSelector="job-name=indexed")
    index = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p for p in pods}
    assert sorted(index) == ["0", "1", "2"] and len(pods) == 3
    for i, p in index.items():
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == i
        assert p["spec"]["hostname"] == f"indexed-{i}"
        env = {e["name"]: e for e in p["spec"]["containers"][0].get("env") or ()}
        assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
            "metadata.labels['batch.kubernetes.io/job-completion-index']"

    k("wait", "--for=condition=failed", "job/fails", "--timeout=75s", timeout=100)
    fails = get(api, batch_path(k.ns, "jobs", "fails"))
    cond = condition(fails, "Failed")
    assert (cond["status"], cond["reason"]) == ("True", "BackoffLimitExceeded")
    assert cond["message"] == "Job has reached the specified backoff limit"
    assert fails["status"]["failed"] == 3 and not fails["status"].get("active")
    pods = items(api, pods_path(k.ns), labelSelector="job-name=fails")
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Failed"}


# =================================================================================================== 5. daemons, sets


@pytest.fixture(scope="module")
def extra_node(kyb: KybCluster, core: k8s.CoreV1Api) -> tuple[str, Proc]:
    """A fourth node, ``extra-0``, played by its own ``kyb sim`` process."""
    proc = kyb.start_sim("extra-", 1)
    wait_for(lambda: _node_ready(to_dict(core.read_node("extra-0"))) == "True", 30, "extra-0 Ready")
    return "extra-0", proc


def test_daemonset_covers_nodes_and_follows_a_new_one(api, core, k: K, request: pytest.FixtureRequest) -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
              "metadata": {"labels": {"app": "agent"}},
              "spec": {"containers": [{"name": "agent", "image": "busybox"}]}}}}
    k.apply(ds)

    def covered(want: int) -> Callable[[], Any]:
        def check() -> Any:
            nodes = sorted(n.metadata.name for n in core.list_node().items)
            d = get(api, apps_path(k.ns, "daemonsets", "agent"))
            st = d.get("status") or {}
            pods = live_pods(api, k.ns, "agent")
            on = sorted(p["spec"].get("nodeName") or "" for p in pods)
            ok = (len(nodes) == want and on == nodes and all(ready(p) for p in pods)
                  and (st.get("desiredNumberScheduled"), st.get("currentNumberScheduled"), st.get("numberReady"),
                       st.get("numberAvailable")) == (want, want, want, want))
            return nodes if ok else None
        return check
    nodes = wait_for(covered(3), what="one pod on each of the 3 nodes")
    assert "extra-0" not in nodes
    extra, _ = request.getfixturevalue("extra_node")
    nodes = wait_for(covered(4), what="a pod on the new node too")
    assert extra in nodes
    pod = next(p for p in live_pods(api, k.ns, "agent") if p["spec"]["nodeName"] == extra)
    tolerations = {(t.get("key"), t.get("effect")) for t in pod["spec"].get("tolerations") or ()}
    assert ("node.kubernetes.io/unreachable", "NoExecute") in tolerations


def test_statefulset_ordered_create_and_reverse_update(api, pod_watch, k: K) -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}}
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
           "spec": {"serviceName": "web", "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "main", "image": "busybox"}]}}}}
    watch = pod_watch(k.ns)
    k.apply(svc, sts)

    def done(img: str) -> Callable[[], Any]:
        def check() -> Any:
            s = get(api, apps_path(k.ns, "statefulsets", "web"))
            st = s.get("status") or {}
            pods = live_pods(api, k.ns, "web")
            ok = (st.get("observedGeneration") == s["metadata"]["generation"]
                  and st.get("readyReplicas") == 3 and st.get("updatedReplicas") == 3
                  and st.get("currentRevision") == st.get("updateRevision")
                  and sorted(p["metadata"]["name"] for p in pods) == ["web-0", "web-1", "web-2"]
                  and {image(p) for p in pods} == {img} and all(ready(p) for p in pods))
            return pods if ok else None
        return check
    wait_for(done("busybox"), what="web-0..2 ready")
    # created in order, each only once the one before was Ready
    added = [p["metadata"]["name"] for t, p in watch.events if t == "ADDED"]
    assert added == ["web-0", "web-1", "web-2"]
    for i in (1, 2):
        created_at = next(n for n, (t, p) in enumerate(watch.events) if t == "ADDED"
                          and p["metadata"]["name"] == f"web-{i}")
        assert any(p["metadata"]["name"] == f"web-{i - 1}" and ready(p) for _, p in watch.events[:created_at]), \
            f"web-{i} created before web-{i - 1} was Ready"
    start = len(watch.events)

    k("set", "image", "statefulset/web", "main=busybox:1.36")
    pods = wait_for(done("busybox:1.36"), 90, "web-0..2 updated")
    watch.stop()
    deleted: list[str] = []
    for _, p in watch.events[start:]:
        if p["metadata"].get("deletionTimestamp") and image(p) == "busybox" and p["metadata"]["name"] not in deleted:
            deleted.append(p["metadata"]["name"])
    assert deleted == ["web-2", "web-1", "web-0"]
    assert all(p["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == p["metadata"]["name"]
               for p in pods)


# =================================================================================================== 6. nodes


def test_unreachable_node_is_tainted_and_its_pods_move(api, core, kyb: KybCluster, k: K,
                                                       extra_node: tuple[str, Proc]) -> None:
    extra, sim = extra_node
    tolerate = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 2}]
    prefer = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {
        "matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [extra]}]}}]}}
    k.apply(deployment("mover", 3, pod={"tolerations": tolerate, "affinity": prefer}))
    rollout_status(k, "mover")
    _, pods = wait_for(deployment_done(api, k.ns, "mover", 3, "busybox"), what="mover available")
    doomed = {p["metadata"]["uid"] for p in pods if p["spec"]["nodeName"] == extra}
    assert doomed, f"no pod landed on {extra}: {[p['spec']['nodeName'] for p in pods]}"

    sim.popen.send_signal(signal.SIGKILL)  # the node stops renewing its Lease and status
    sim.popen.wait(10)

    def unreachable() -> Any:
        node = to_dict(core.read_node(extra))
        taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints") or ()}
        ok = (_node_ready(node) == "Unknown"
              and {("node.kubernetes.io/unreachable", "NoExecute"),
                   ("node.kubernetes.io/unreachable", "NoSchedule")} <= taints)
        return node if ok else None
    node = wait_for(unreachable, NODE_MONITOR_GRACE + 30, f"{extra} Unknown and tainted")
    assert condition(node, "Ready")["reason"] == "NodeStatusUnknown"
    assert condition(node, "Ready")["message"] == "Kubelet stopped posting node status."
    assert "NotReady" in k("get", "node", extra).stdout

    def moved() -> Any:
        pods = items(api, pods_path(k.ns), labelSelector="app=mover")
        gone = [p for p in pods if p["metadata"]["uid"] in doomed]
        live = [p for p in pods if active(p)]
        ok = (all(p["metadata"].get("deletionTimestamp") for p in gone) and len(live) == 3
              and all(ready(p) and p["spec"]["nodeName"] != extra for p in live))
        return (gone, live) if ok else None
    gone, _ = wait_for(moved, 45, "pods evicted and recreated elsewhere")
    for p in gone:  # the kubelet is gone, so they stay Terminating; the taint manager marked them first
        target = condition(p, "DisruptionTarget")
        assert (target.get("status"), target.get("reason")) == ("True", "DeletionByTaintManager"), target
    events = items(api, f"/api/v1/namespaces/{k.ns}/events", fieldSelector="reason=TaintManagerEviction")
    assert {e["involvedObject"]["uid"] for e in events} >= doomed


def test_disruption_budget_blocks_eviction(api, core, k: K) -> None:
    k("create", "deployment", "guarded", "--image=busybox", "--replicas=2")
    k("create", "poddisruptionbudget", "guard", "--selector=app=guarded", "--min-available=2")
    rollout_status(k, "guarded")

    def budget_known() -> Any:
        pdb = get(api, f"/apis/policy/v1/namespaces/{k.ns}/poddisruptionbudgets/guard")
        st = pdb.get("status") or {}
        ok = (st.get("observedGeneration") == pdb["metadata"]["generation"] and st.get("currentHealthy") == 2
              and st.get("desiredHealthy") == 2 and st.get("disruptionsAllowed") == 0 and st.get("expectedPods") == 2)
        return pdb if ok else None
    pdb = wait_for(budget_known, what="PDB status computed")
    assert condition(pdb, "DisruptionAllowed")["reason"] == "InsufficientPods"
    pod = live_pods(api, k.ns, "guarded")[0]
    name = pod["metadata"]["name"]
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod_eviction(name, k.ns, k8s.V1Eviction(
            metadata=k8s.V1ObjectMeta(name=name, namespace=k.ns)))
    assert err.value.status == 429
    status = json.loads(err.value.body)
    assert (status["reason"], status["message"]) == (
        "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.")
    assert status["details"]["causes"] == [{"reason": "DisruptionBudget",
                                            "message": "The disruption budget guard needs 2 healthy pods and has 2 "
                                                       "currently"}]
    node = pod["spec"]["nodeName"]
    try:
        r = k("drain", node, "--pod-selector=app=guarded", "--ignore-daemonsets", "--timeout=5s", check=False)
    finally:
        k("uncordon", node)
    assert r.returncode != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in r.stderr
    assert "global timeout reached: 5s" in r.stderr
    assert {p["metadata"]["uid"] for p in live_pods(api, k.ns, "guarded")} >= {pod["metadata"]["uid"]}


# =================================================================================================== 7. namespaces


def test_namespace_deletion_removes_everything(api, core, k: K) -> None:
    k("create", "deployment", "web", "--image=busybox", "--replicas=2")
    k("create", "configmap", "settings", "--from-literal=a=1")
    k("create", "service", "clusterip", "web", "--tcp=80:80")
    k.apply(job("once"))
    rollout_status(k)
    k("wait", "--for=condition=complete", "job/once", "--timeout=60s", timeout=90)
    k.kubectl.run("delete", "namespace", k.ns, "--timeout=90s", timeout=120)
    with pytest.raises(ApiException) as err:
        core.read_namespace(k.ns)
    assert err.value.status == 404
    r = k.kubectl.run("get", "namespace", k.ns, check=False)
    assert r.returncode != 0 and f'namespaces "{k.ns}" not found' in r.stderr
    for path in (pods_path(k.ns), apps_path(k.ns, "deployments"), apps_path(k.ns, "replicasets"),
                 f"/api/v1/namespaces/{k.ns}/configmaps", f"/api/v1/namespaces/{k.ns}/services",
                 batch_path(k.ns, "jobs"), f"/api/v1/namespaces/{k.ns}/serviceaccounts"):
        assert items(api, path) == [], path


# =================================================================================================== 4b. cronjob


def test_cronjob_runs_and_keeps_history(api, kyb: KybCluster, cronjob: dict[str, Any]) -> None:
    ns, uid, jobs = cronjob["ns"], cronjob["uid"], cronjob["jobs"]

    def ran() -> Any:
        """The first Job of the CronJob, once it was seen complete and then deleted (history limit 0)."""
        complete = {o["metadata"]["uid"]: o for t, o in jobs.events
                    if condition(o, "Complete").get("status") == "True"}
        deleted = {o["metadata"]["uid"] for t, o in jobs.events if t == "DELETED"}
        done = [o for u, o in complete.items() if u in deleted]
        cj = get(api, batch_path(ns, "cronjobs", "tick"))
        return (done[0], cj) if done and (cj.get("status") or {}).get("lastSuccessfulTime") else None
    # the first run starts at most a minute after creation; then it runs for a second and is removed
    budget = max(20.0, 90.0 - (time.monotonic() - cronjob["created"]))
    first, cj = wait_for(ran, budget, "a Job created, completed and removed")
    jobs.stop()
    assert owner_uids(first) == {uid}
    assert first["metadata"]["name"].startswith("tick-")
    assert first["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    # the next minute's Job may already be running: only the finished one must have left status.active
    assert cj["status"]["lastScheduleTime"]
    assert first["metadata"]["uid"] not in {a.get("uid") for a in cj["status"].get("active") or []}
    # The controller's events, for a Job scheduled after the controller-manager kills of another test of this
    # module were over (a killed controller manager loses the events it had queued; its successor then reports
    # what it finds, e.g. MissingJob or UnexpectedJob): that Job's creation and removal are both recorded, and
    # nothing from its scheduled time on is a Warning. Job names carry their scheduled minute.
    calm = kyb.calm_since

    def recorded() -> Any:
        events = items(api, f"/api/v1/namespaces/{ns}/events", fieldSelector=f"involvedObject.uid={uid}")
        seen = {(e["type"], e["reason"], e["message"]) for e in events}
        for t, reason, message in sorted(seen):
            job = message.removeprefix("Created job ")
            scheduled = int(job.removeprefix("tick-")) * 60 if reason == "SuccessfulCreate" else 0
            if scheduled > calm and ("Normal", "SuccessfulDelete", f"Deleted job {job}") in seen:
                return events, scheduled
        return None
    events, since = wait_for(recorded, 150, "a later Job's SuccessfulCreate and SuccessfulDelete events")
    late = [e for e in events if e["type"] == "Warning" and _event_time(e) >= since]
    assert not late, late


def _event_time(event: dict[str, Any]) -> float:
    stamp = event.get("lastTimestamp") or event.get("eventTime") or event["metadata"]["creationTimestamp"]
    return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
