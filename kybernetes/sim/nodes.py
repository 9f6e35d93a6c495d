"""Simulated nodes: Node objects, their Leases and a fake kubelet for the pods bound to them.

A :class:`SimulatedNodes` registers ``count`` Nodes (capacity, unique addresses from 198.18.0.0/15, nodeInfo,
labels, taints, Ready=True and the pressure conditions False), renews one ``coordination.k8s.io/v1`` Lease per node
in ``kube-node-lease`` every ``lease_interval`` seconds and re-posts the Ready heartbeat through ``nodes/status``
every ``status_interval`` seconds, as an idle kubelet does (its default, 300 s, is the kubelet's
``nodeStatusReportFrequency``: an unchanged status is re-posted every five minutes, liveness is the Lease's job).
Each node keeps its own schedule from its registration on, like independent kubelets (:mod:`.heartbeats`).

Pods are followed by one informer over every bound pod (``fieldSelector=spec.nodeName!=``); pods of other nodes
are ignored.  Handlers only enqueue ``ns/name`` keys into a work queue served by a few workers, so status writes are
de-duplicated and failures retried with back-off.  ``sync(key)`` is level-triggered:

- a Pending pod is started ``ready_delay`` seconds after it was first seen: phase Running, all conditions True,
  running container statuses, host and pod IPs (fake data, nothing connects to them);
- a Running pod whose restartPolicy is not ``Always`` finishes ``run_seconds`` (or the annotation
  ``sim.kybernetes.io/run-seconds``) after it started: Succeeded with exit code 0, or Failed with exit code 1 when
  the annotation ``sim.kybernetes.io/fail`` is ``"true"``;
- a pod with a deletionTimestamp gets its containers terminated and is then deleted with grace period 0 and a uid
  precondition, as the kubelet does once a pod's containers are gone (once per pod: events that arrive after
  the delete was answered are ignored).

``stop_heartbeat(node)`` stops a node's lease and status renewals (its pods are still served), to exercise node
lifecycle controllers.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import logging
import signal
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from kybernetes.client.informer import Informer
from kybernetes.client.rest import RESTClient, resource_path, user_agent
from kybernetes.client.workqueue import SHUTDOWN, WorkQueue
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery import process
from kybernetes.sim.heartbeats import Heartbeats

__all__ = ["SimulatedNodes", "main", "ANNOTATION_RUN_SECONDS", "ANNOTATION_FAIL", "LEASE_NAMESPACE"]

log = logging.getLogger(__name__)

ANNOTATION_RUN_SECONDS = "sim.kybernetes.io/run-seconds"
ANNOTATION_FAIL = "sim.kybernetes.io/fail"
LEASE_NAMESPACE = "kube-node-lease"
KUBELET_VERSION = "v1.32.0-kyb"
RUNTIME_VERSION = "kyb-sim://0.1"
LEASE_DURATION_SECONDS = 40
WORKERS = 8
# Lease renewals / status heartbeats in flight at once. Real kubelets renew independently of each other; kwok keeps 4
# in flight (nodeLeaseParallelism), enough for a Go API server's sub-millisecond answers, not for ours under load.
HEARTBEAT_PARALLELISM = 32

_NODES = resource_path("", "v1", "nodes")
_NODE_NET4 = int(ipaddress.IPv4Address("198.18.0.0"))  # 198.18.0.0/15
_NODE_NET6 = int(ipaddress.IPv6Address("fd6b:7962:5349:ffff::"))
_POD_NET4 = int(ipaddress.IPv4Address("10.128.0.0"))  # 10.128.0.0/9, a /24 per node
_POD_NET6 = int(ipaddress.IPv6Address("fd6b:7962:5349::"))  # node index in bits 48..63 -> a /80 per node
_PODS = resource_path("", "v1", "pods")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: str) -> float | None:
    try:
        return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def _parse_labels(value: str) -> dict[str, str]:
    """``k=v,k2=v2`` -> dict; raises ValueError on an item without ``=``."""
    out: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in value.split(","))):
        if "=" not in item:
            raise ValueError(f"label {item!r}: want key=value")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def _parse_taints(value: str) -> list[dict[str, str]]:
    """``k=v:Effect,k:Effect`` -> taint dicts; raises ValueError on an item without an effect."""
    out: list[dict[str, str]] = []
    for item in filter(None, (s.strip() for s in value.split(","))):
        if ":" not in item:
            raise ValueError(f"taint {item!r}: want key[=value]:Effect")
        kv, effect = item.rsplit(":", 1)
        k, _, v = kv.partition("=")
        taint = {"key": k, "effect": effect}
        if v:
            taint["value"] = v
        out.append(taint)
    return out


def _terminated(exit_code: int, started: str) -> dict[str, Any]:
    return {"terminated": {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                           "startedAt": started, "finishedAt": _now()}}


class SimulatedNodes:
    """Many fake nodes served from one event loop.  ``await start()`` registers them and starts the tasks;
    ``await stop()`` ends them (the Node objects are left in place)."""

    def __init__(self, client: RESTClient, *, count: int, name_prefix: str = "sim-node-", cpu: str = "32",
                 memory: str = "256Gi", pods: int = 110, ephemeral_storage: str = "100Gi",
                 labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None,
                 ready_delay: float = 0.5, run_seconds: float = 2.0, lease_interval: float = 10.0,
                 status_interval: float = 300.0, workers: int = WORKERS, dual_stack: bool = False,
                 heartbeat_parallelism: int = HEARTBEAT_PARALLELISM) -> None:
        self.client = client
        self.count = count
        self.name_prefix = name_prefix
        self.capacity = {"cpu": cpu, "memory": memory, "pods": str(pods), "ephemeral-storage": ephemeral_storage}
        self.labels = dict(labels or {})
        self.taints = list(taints or [])
        self.ready_delay = ready_delay
        self.run_seconds = run_seconds
        self.workers = workers
        self.dual_stack = dual_stack
        self.node_names = [f"{name_prefix}{i}" for i in range(count)]
        self._node_index = {name: i for i, name in enumerate(self.node_names)}
        self._stopped_heartbeats: set[str] = set()
        # pod key -> uid whose final delete was answered: its later events (the terminated status arriving after the
        # delete) must not send another delete, which could only answer 404
        self._deleted: dict[str, str] = {}
        self._ip_counters: dict[str, int] = {}
        self._pod_hosts: dict[str, tuple[str, int]] = {}  # pod key -> (node, host number) while it holds an IP
        self._used_hosts: dict[str, set[int]] = {}  # node -> host numbers in use
        self._first_seen: dict[str, float] = {}  # pod key -> monotonic time it was first seen Pending
        self._started_at: dict[str, float] = {}  # pod key -> monotonic time it became Running
        self.queue = WorkQueue(name="sim-pods")
        self.pods = Informer(client, "", "v1", "pods", field_selector="spec.nodeName!=")
        self._tasks: list[asyncio.Task[None]] = []
        self._leases = Heartbeats("lease", lease_interval, self._renew_lease, parallelism=heartbeat_parallelism,
                                  stopped=self._stopped_heartbeats)
        self._statuses = Heartbeats("status", status_interval, self._heartbeat_status,
                                    parallelism=heartbeat_parallelism, stopped=self._stopped_heartbeats)

    # -- node objects --------------------------------------------------------------------------------------------

    def node_ip(self, name: str) -> str:
        """The node's InternalIP, unique per node: from 198.18.0.0/15 (RFC 2544 benchmarking space; nothing
        connects to it)."""
        return str(ipaddress.IPv4Address(_NODE_NET4 + self._node_index[name] + 1))

    def node_ip6(self, name: str) -> str:
        """The node's IPv6 InternalIP (dual stack only), from a ULA /64 reserved for simulated nodes."""
        return str(ipaddress.IPv6Address(_NODE_NET6 + self._node_index[name] + 1))

    def _node_conditions(self, transition: str) -> list[dict[str, Any]]:
        beat = _now()
        rows = [("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                ("Ready", "True", "KubeletReady", "kubelet is posting ready status")]
        return [{"type": t, "status": s, "lastHeartbeatTime": beat, "lastTransitionTime": transition,
                 "reason": r, "message": m} for t, s, r, m in rows]

    def node_status(self, name: str, transition: str = "") -> dict[str, Any]:
        """The full status a simulated node posts (pure apart from the clock)."""
        return {
            "capacity": dict(self.capacity),
            "allocatable": dict(self.capacity),
            "conditions": self._node_conditions(transition or _now()),
            "addresses": [{"type": "InternalIP", "address": self.node_ip(name)},
                          *([{"type": "InternalIP", "address": self.node_ip6(name)}] if self.dual_stack else []),
                          {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},  # no kubelet server: logs are refused
            "nodeInfo": {"machineID": hashlib.md5(name.encode()).hexdigest(),
                         "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
                         "bootID": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                         "kernelVersion": "6.1.0-kyb-sim", "osImage": "Kybernetes simulated node",
                         "containerRuntimeVersion": RUNTIME_VERSION, "kubeletVersion": KUBELET_VERSION,
                         "kubeProxyVersion": KUBELET_VERSION, "operatingSystem": "linux", "architecture": "amd64"},
        }

    def node_object(self, name: str) -> dict[str, Any]:
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
                  "node.kubernetes.io/instance-type": "kyb-sim", "type": "kyb-sim", **self.labels}
        spec: dict[str, Any] = {}
        if self.taints:
            spec["taints"] = [dict(t) for t in self.taints]
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": labels,
                             "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
                "spec": spec, "status": self.node_status(name)}

    async def _register(self, name: str) -> None:
        uid = ""
        try:
            uid = (await self.client.create(_NODES, self.node_object(name)))["metadata"]["uid"]
        except StatusError as e:
            if e.code != 409:
                raise
        # Status is reset on create by the server's strategy; post it through the status subresource.
        await self.client.patch(resource_path("", "v1", "nodes", name=name, subresource="status"),
                                {"status": self.node_status(name)})
        if uid:  # a new node: create its Lease straight away (one request instead of a 404 and three more)
            try:
                await self._create_lease(name, uid)
            except StatusError as e:
                if e.code != 409:
                    raise
                uid = ""  # the Lease is there already: renew it
        if not uid:
            await self._renew_lease(name)
        # from now on the node renews its Lease and re-posts its status on its own schedule
        self._leases.add(name)
        self._statuses.add(name)

    async def _create_lease(self, name: str, node_uid: str) -> None:
        owner = {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": name, "namespace": LEASE_NAMESPACE, "ownerReferences": [owner]},
                 "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                          "renewTime": _micro_now()}}
        await self.client.create(resource_path("coordination.k8s.io", "v1", "leases", LEASE_NAMESPACE), lease)

    async def _renew_lease(self, name: str) -> None:
        path = resource_path("coordination.k8s.io", "v1", "leases", LEASE_NAMESPACE, name)
        try:
            await self.client.patch(path, {"spec": {"renewTime": _micro_now()}})
        except StatusError as e:
            if e.code != 404:
                raise
            node = await self.client.get(resource_path("", "v1", "nodes", name=name))
            await self._create_lease(name, node["metadata"]["uid"])

    async def _heartbeat_status(self, name: str) -> None:
        node = await self.client.get(resource_path("", "v1", "nodes", name=name))
        transition = ""
        for c in (node.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Ready" and c.get("status") == "True":
                transition = c.get("lastTransitionTime") or ""
        await self.client.patch(resource_path("", "v1", "nodes", name=name, subresource="status"),
                                {"status": {"conditions": self._node_conditions(transition or _now())}})

    def stop_heartbeat(self, node_name: str) -> None:
        """Stop renewing ``node_name``'s Lease and status (its pods are still served).  Raises KeyError for a
        name this instance does not own."""
        if node_name not in self._node_index:
            raise KeyError(node_name)
        self._stopped_heartbeats.add(node_name)

    def resume_heartbeat(self, node_name: str) -> None:
        """Undo :meth:`stop_heartbeat`: the node renews its Lease and status again from the next round."""
        if node_name not in self._node_index:
            raise KeyError(node_name)
        self._stopped_heartbeats.discard(node_name)

    # -- running -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Register every node (existing ones are adopted; each starts its heartbeats once registered), then start
        the pod informer and workers. Raises StatusError / connection errors if registration fails."""
        sem = asyncio.Semaphore(16)

        async def one(name: str) -> None:
            async with sem:
                await self._register(name)

        self._tasks = [asyncio.create_task(self._leases.run(), name="sim leases"),
                       asyncio.create_task(self._statuses.run(), name="sim statuses")]
        try:
            await asyncio.gather(*(one(n) for n in self.node_names))
        except BaseException:
            await self.stop()
            raise
        self.pods.add_event_handler(on_add=self._enqueue, on_update=lambda old, new: self._enqueue(new),
                                    on_delete=self._forget)
        self.pods.start()
        self._tasks += [asyncio.create_task(self._worker(), name=f"sim worker {i}") for i in range(self.workers)]
        await self.pods.wait_synced(30)

    async def stop(self) -> None:
        """Stop workers, heartbeats and the informer (idempotent)."""
        self.queue.shut_down()
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.pods.stop()

    def _enqueue(self, pod: dict[str, Any]) -> None:
        if (pod.get("spec") or {}).get("nodeName") in self._node_index:
            meta = pod.get("metadata") or {}
            self.queue.add(f"{meta.get('namespace')}/{meta.get('name')}")

    def _forget(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        self._release_ip(key)
        self._first_seen.pop(key, None)
        self._started_at.pop(key, None)
        self._deleted.pop(key, None)
        self.queue.forget(key)

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            if key is SHUTDOWN:
                return
            try:
                await self.sync(str(key))
                self.queue.forget(key)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # retried with back-off; never kills the worker
                if not (isinstance(e, StatusError) and e.code in (404, 409)):
                    log.warning("sim: syncing pod %s: %s", key, e)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    # -- the kubelet's part --------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        """Bring pod ``key`` one step forward (see the module docstring); requeues itself with a delay when it must
        wait.  Raises StatusError / connection errors so the worker retries (404 means the pod is gone)."""
        pod = self.pods.get(key)
        if pod is None:
            return
        spec, meta = pod.get("spec") or {}, pod.get("metadata") or {}
        if spec.get("nodeName") not in self._node_index:
            return
        status = pod.get("status") or {}
        phase = status.get("phase") or "Pending"
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        status_path = resource_path("", "v1", "pods", ns, name, "status")
        if meta.get("deletionTimestamp"):
            uid = meta.get("uid")
            if self._deleted.get(key) == uid:
                return  # the final delete was answered: the pod's last events are on their way
            if phase not in ("Succeeded", "Failed") or any(
                    "terminated" not in (cs.get("state") or {}) for cs in status.get("containerStatuses") or []):
                await self.client.patch(status_path, {"status": self._finished_status(pod, killed=True)})
            try:
                await self.client.delete(resource_path("", "v1", "pods", ns, name),
                                         {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                          "preconditions": {"uid": uid}})
            except StatusError as e:
                if e.code != 404:
                    raise
            self._deleted[key] = uid
            return
        if phase in ("Succeeded", "Failed"):
            return
        now = time.monotonic()
        if phase == "Pending":
            first = self._first_seen.setdefault(key, now)
            wait = first + self.ready_delay - now
            if wait > 0:
                self.queue.add_after(key, wait)
                return
            await self.client.patch(status_path, {"status": self._running_status(pod)})
            self._started_at[key] = time.monotonic()
            self._first_seen.pop(key, None)
            if spec.get("restartPolicy", "Always") != "Always":
                self.queue.add_after(key, self._run_seconds(pod))
            return
        # Running
        if spec.get("restartPolicy", "Always") == "Always":
            return
        started = self._started_at.get(key)
        if started is None:  # a pod started by an earlier run of the simulator: count from its startTime
            wall = _parse_time(status.get("startTime") or "")
            started = now - (time.time() - wall) if wall is not None else now
            self._started_at[key] = started
        wait = started + self._run_seconds(pod) - now
        if wait > 0:
            self.queue.add_after(key, wait)
            return
        await self.client.patch(status_path, {"status": self._finished_status(pod)})

    def _run_seconds(self, pod: dict[str, Any]) -> float:
        value = ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_RUN_SECONDS)
        try:
            return float(value) if value is not None else self.run_seconds
        except ValueError:
            return self.run_seconds

    def _pod_host(self, key: str, node: str) -> int:
        """A host number (1..254) unique among the node's current pods, kept while the pod exists."""
        held = self._pod_hosts.get(key)
        if held is not None and held[0] == node:
            return held[1]
        used = self._used_hosts.setdefault(node, set())
        n = self._ip_counters.get(node, 0)
        while True:
            n = n % 254 + 1
            if n not in used or len(used) >= 254:
                break
        self._ip_counters[node] = n
        used.add(n)
        self._pod_hosts[key] = (node, n)
        return n

    def _release_ip(self, key: str) -> None:
        held = self._pod_hosts.pop(key, None)
        if held is not None:
            self._used_hosts.get(held[0], set()).discard(held[1])

    def pod_ips(self, key: str, node: str) -> list[str]:
        """The pod's IPs, unique in the cluster while the pod exists: IPv4 from the node's /24 of 10.128.0.0/9
        (32,768 nodes) and, dual stack, IPv6 from the node's /80 of a ULA /48."""
        i = self._node_index[node]
        host = self._pod_host(key, node)
        ips = [str(ipaddress.IPv4Address(_POD_NET4 + ((i % 32768) << 8) + host))]
        if self.dual_stack:
            ips.append(str(ipaddress.IPv6Address(_POD_NET6 + (i << 48) + host)))
        return ips

    def _conditions(self, pod: dict[str, Any], ready: bool) -> list[dict[str, Any]]:
        now = _now()
        old = {c.get("type"): c for c in (pod.get("status") or {}).get("conditions") or []}
        out = []
        for ctype, status in (("PodReadyToStartContainers", "True"), ("Initialized", "True"),
                              ("Ready", "True" if ready else "False"),
                              ("ContainersReady", "True" if ready else "False"), ("PodScheduled", "True")):
            prev = old.get(ctype) or {}
            cond = {"type": ctype, "status": status, "lastProbeTime": None,
                    "lastTransitionTime": prev.get("lastTransitionTime") if prev.get("status") == status else now}
            if status == "False":
                cond["reason"] = "PodCompleted"
            out.append(cond)
        return out

    def _container_statuses(self, containers: list[dict[str, Any]], state: Any) -> list[dict[str, Any]]:
        out = []
        for c in containers:
            image = c.get("image", "")
            s = {"name": c.get("name", ""), "image": image,
                 "imageID": "sim://sha256:" + hashlib.sha256(image.encode()).hexdigest(),
                 "containerID": "sim://" + uuid.uuid4().hex, "restartCount": 0}
            s.update(state(c))
            out.append(s)
        return out

    def _running_status(self, pod: dict[str, Any]) -> dict[str, Any]:
        spec, old = pod.get("spec") or {}, pod.get("status") or {}
        node = spec["nodeName"]
        now = _now()
        host_ips = [self.node_ip(node), *([self.node_ip6(node)] if self.dual_stack else [])]
        meta = pod.get("metadata") or {}
        pod_ips = host_ips if spec.get("hostNetwork") else \
            self.pod_ips(f"{meta.get('namespace')}/{meta.get('name')}", node)
        status: dict[str, Any] = {
            "phase": "Running", "conditions": self._conditions(pod, True),
            "hostIP": host_ips[0], "hostIPs": [{"ip": ip} for ip in host_ips], "podIP": pod_ips[0],
            "podIPs": [{"ip": ip} for ip in pod_ips],
            "startTime": old.get("startTime") or now,
            "containerStatuses": self._container_statuses(
                spec.get("containers") or [],
                lambda c: {"ready": True, "started": True, "state": {"running": {"startedAt": now}}}),
        }
        if spec.get("initContainers"):
            status["initContainerStatuses"] = self._container_statuses(
                spec["initContainers"], lambda c: {"ready": True, "started": False, "state": _terminated(0, now)})
        return status

    def _finished_status(self, pod: dict[str, Any], *, killed: bool = False) -> dict[str, Any]:
        """Terminal status, for a natural end or a kill on deletion: containers terminated (exit 1 with the fail
        annotation, else 0; killed by deletion: exit 143, as a process ended by SIGTERM), phase Failed or
        Succeeded from the exit codes, as the kubelet decides it."""
        spec, meta, old = pod.get("spec") or {}, pod.get("metadata") or {}, pod.get("status") or {}
        failed = ((meta.get("annotations") or {}).get(ANNOTATION_FAIL) == "true")
        code = 1 if failed else 0
        if killed and old.get("phase") not in ("Succeeded", "Failed"):
            code = 143
            failed = True
        started = {cs.get("name"): ((cs.get("state") or {}).get("running") or {}).get("startedAt")
                   for cs in old.get("containerStatuses") or []}
        prev_ids = {cs.get("name"): cs.get("containerID") for cs in old.get("containerStatuses") or []}
        statuses = self._container_statuses(
            spec.get("containers") or [],
            lambda c: {"ready": False, "started": False,
                       "state": _terminated(code, started.get(c.get("name")) or _now())})
        for s in statuses:
            if prev_ids.get(s["name"]):
                s["containerID"] = prev_ids[s["name"]]
        # A deleted pod whose containers are all stopped is terminal too (the kubelet has done so since 1.27).
        status: dict[str, Any] = {"phase": "Failed" if failed else "Succeeded",
                                  "conditions": self._conditions(pod, False), "containerStatuses": statuses}
        if not old.get("startTime"):
            status["startTime"] = _now()
        return status


# -- command line ------------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kyb sim", description="Register simulated nodes and play their kubelets.")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig with node and pod write access")
    p.add_argument("--nodes", type=int, default=1, help="how many nodes (default %(default)s)")
    p.add_argument("--name-prefix", default="sim-node-", help="node name prefix (default %(default)s)")
    p.add_argument("--cpu", default="32", help="cpu capacity per node (default %(default)s)")
    p.add_argument("--memory", default="256Gi", help="memory capacity per node (default %(default)s)")
    p.add_argument("--pods", type=int, default=110, help="pod capacity per node (default %(default)s)")
    p.add_argument("--labels", default="", help="extra node labels k=v,...")
    p.add_argument("--taints", default="", help="node taints k=v:Effect,...")
    p.add_argument("--ready-delay", type=float, default=0.5, help="seconds before a pod runs (default %(default)s)")
    p.add_argument("--run-seconds", type=float, default=2.0,
                   help="seconds a non-Always pod runs before it completes (default %(default)s)")
    p.add_argument("--lease-interval", type=float, default=10.0,
                   help="seconds between Lease renewals of a node (default %(default)s)")
    p.add_argument("--status-interval", type=float, default=300.0,
                   help="seconds between node status heartbeats (default %(default)s)")
    p.add_argument("--dual-stack", action="store_true", help="give nodes and pods IPv6 addresses too")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    return p


async def _run(args: argparse.Namespace) -> None:
    # the simulated kubelets write as kwok's do: under their own name, not as "kubelet"
    client = RESTClient.from_kubeconfig(args.kubeconfig, user_agent=user_agent("kyb-sim"))
    sim = SimulatedNodes(client, count=args.nodes, name_prefix=args.name_prefix, cpu=args.cpu, memory=args.memory,
                         pods=args.pods, labels=_parse_labels(args.labels), taints=_parse_taints(args.taints),
                         ready_delay=args.ready_delay, run_seconds=args.run_seconds,
                         lease_interval=args.lease_interval, status_interval=args.status_interval,
                         dual_stack=args.dual_stack)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await sim.start()
        log.info("sim: %d nodes registered", args.nodes)
        await stop.wait()
    finally:
        await sim.stop()
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """Run simulated nodes until SIGTERM/SIGINT; returns the exit code (2 for bad flags, via argparse)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbosity >= 4 else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        _parse_labels(args.labels)
        _parse_taints(args.taints)
    except ValueError as e:
        print(f"kyb sim: {e}")
        return 2
    process.run(_run(args))
    return 0
