"""The kubelet's Node: registration, status and Lease.

At start the kubelet registers its Node (or adopts the existing one of the same name): labels
``kubernetes.io/hostname``, ``kubernetes.io/os``, ``kubernetes.io/arch`` (and their beta twins) plus
``--node-labels``, taints from ``--register-with-taints``, ``spec.podCIDR(s)`` from ``--pod-cidr``.  Its status
carries capacity and allocatable (cpu, memory, ephemeral-storage, pods, hugepages; allocatable keeps back the
default hard eviction thresholds: 100Mi of memory, 10% of the node filesystem), addresses (InternalIP(s) and
Hostname), nodeInfo (machine/system/boot ids, kernel, OS image, container runtime and kubelet versions), the
kubelet endpoint, the images present, and the conditions MemoryPressure, DiskPressure, PIDPressure and Ready.

Heartbeats: the Lease ``kube-node-lease/<node>`` is renewed every 10 s (duration 40 s, owned by the Node); the status
is checked every 10 s and written when it changed, or at least every ``report_interval`` (5 min, as upstream).  A
condition's lastTransitionTime only moves when its status changes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import aiohttp

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.cri.api import ImageService, RuntimeService
from kybernetes.machinery.errors import StatusError

__all__ = ["NodeConfig", "NodeAgent", "machine_capacity", "allocatable", "detect_node_ip", "KUBELET_VERSION",
           "LEASE_NAMESPACE", "condition_rows"]

log = logging.getLogger(__name__)

KUBELET_VERSION = "v1.32.0"
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION = 40
EVICTION_MEMORY = 100 * 1024 * 1024
EVICTION_NODEFS = 0.10
EVICTION_INODES = 0.05


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _arch() -> str:
    m = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}.get(m, m)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _meminfo() -> dict[str, int]:
    out = {}
    for line in _read("/proc/meminfo").splitlines():
        k, _, v = line.partition(":")
        parts = v.split()
        if parts and parts[0].isdigit():
            out[k] = int(parts[0]) * 1024
    return out


def machine_capacity(root_dir: str, max_pods: int) -> dict[str, str]:
    """The node's capacity: cpus, memory (Ki), the node filesystem holding ``root_dir`` (Ki), hugepages, pods."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    mem = _meminfo().get("MemTotal", 0)
    st = os.statvfs(root_dir)
    cap = {"cpu": str(cpus), "ephemeral-storage": f"{st.f_blocks * st.f_frsize // 1024}Ki"}
    for size, name in (("1048576kB", "hugepages-1Gi"), ("2048kB", "hugepages-2Mi")):
        n = _read(f"/sys/kernel/mm/hugepages/hugepages-{size}/nr_hugepages")
        pages = int(n) if n.isdigit() else 0
        cap[name] = str(pages * int(size[:-2]) * 1024) if pages else "0"
    cap["memory"] = f"{mem // 1024}Ki"
    cap["pods"] = str(max_pods)
    return dict(sorted(cap.items()))


def allocatable(capacity: Mapping[str, str], root_dir: str) -> dict[str, str]:
    """Capacity minus the hard eviction thresholds (memory.available<100Mi, nodefs.available<10%)."""
    out = dict(capacity)
    mem_ki = int(capacity.get("memory", "0Ki")[:-2] or 0)
    out["memory"] = f"{max(0, mem_ki - EVICTION_MEMORY // 1024)}Ki"
    st = os.statvfs(root_dir)
    out["ephemeral-storage"] = str(int(st.f_blocks * st.f_frsize * (1 - EVICTION_NODEFS)))
    return out


def detect_node_ip() -> str:
    """The address of the interface holding the default route (a UDP socket is connected, nothing is sent);
    127.0.0.1 when there is none."""
    for family, target in ((socket.AF_INET, ("192.0.2.1", 9)), (socket.AF_INET6, ("2001:db8::1", 9))):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect(target)
                ip = s.getsockname()[0]
                if ip and not ip.startswith("127.") and ip != "::1":
                    return ip
        except OSError:
            continue
    return "127.0.0.1"


def condition_rows(*, memory_pressure: bool, disk_pressure: bool, pid_pressure: bool, ready: bool,
                   not_ready_message: str) -> list[tuple[str, str, str, str]]:
    """(type, status, reason, message) of the four node conditions, upstream's wording."""
    return [
        ("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
        if memory_pressure else
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure") if disk_pressure else
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
        if pid_pressure else
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status") if ready else
        ("Ready", "False", "KubeletNotReady", not_ready_message),
    ]


@dataclass
class NodeConfig:
    name: str
    root_dir: str
    ips: list[str] = field(default_factory=list)
    hostname: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    pod_cidrs: list[str] = field(default_factory=list)
    max_pods: int = 110
    port: int = 10250
    lease_interval: float = 10.0
    status_interval: float = 10.0
    report_interval: float = 300.0
    pid_pressure_threshold: float = 0.0  # fraction of pid_max that must stay free (0: no PID pressure check)


class NodeAgent:
    """Registers the node and keeps its status and Lease current (``start``/``stop``)."""

    def __init__(self, client: RESTClient, config: NodeConfig, runtime: RuntimeService, images: ImageService, *,
                 runtime_ready: Callable[[], str] | None = None) -> None:
        self.client = client
        self.config = config
        self.runtime = runtime
        self.images = images
        self.runtime_ready = runtime_ready  # returns "" when healthy, else why not
        self.uid = ""
        self.capacity = machine_capacity(config.root_dir, config.max_pods)
        self.allocatable = allocatable(self.capacity, config.root_dir)
        self._last_reported: dict[str, Any] | None = None
        self._last_report_time = 0.0
        self._runtime_version = ""
        self._tasks: list[asyncio.Task[None]] = []

    # -- objects --------------------------------------------------------------------------------------------------

    def labels(self) -> dict[str, str]:
        arch = _arch()
        hostname = self.config.hostname or self.config.name
        return {"beta.kubernetes.io/arch": arch, "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
                "kubernetes.io/hostname": hostname, "kubernetes.io/os": "linux", **self.config.labels}

    def node_object(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if self.config.pod_cidrs:
            spec["podCIDR"] = self.config.pod_cidrs[0]
            spec["podCIDRs"] = list(self.config.pod_cidrs)
        if self.config.taints:
            spec["taints"] = [dict(t) for t in self.config.taints]
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.config.name, "labels": self.labels(),
                             "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                             "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": spec}

    async def node_info(self) -> dict[str, str]:
        if not self._runtime_version:
            try:
                v = await self.runtime.version()
                self._runtime_version = f"{v.runtime_name}://{v.runtime_version}"
            except Exception as e:  # runtime down: reported through Ready
                log.debug("runtime version: %s", e)
        os_release = {}
        for line in _read("/etc/os-release").splitlines():
            k, _, v = line.partition("=")
            os_release[k] = v.strip('"')
        return {"architecture": _arch(), "bootID": _read("/proc/sys/kernel/random/boot_id"),
                "containerRuntimeVersion": self._runtime_version, "kernelVersion": platform.release(),
                "kubeProxyVersion": "", "kubeletVersion": KUBELET_VERSION,
                "machineID": _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id"),
                "operatingSystem": "linux", "osImage": os_release.get("PRETTY_NAME", "Linux"),
                "systemUUID": _read("/sys/class/dmi/id/product_uuid").lower()}

    def _pressure(self) -> tuple[bool, bool, bool]:
        mem = _meminfo()
        memory = mem.get("MemAvailable", EVICTION_MEMORY + 1) < EVICTION_MEMORY
        st = os.statvfs(self.config.root_dir)
        disk = (st.f_blocks and st.f_bavail / st.f_blocks < EVICTION_NODEFS) or \
            (st.f_files and st.f_favail / st.f_files < EVICTION_INODES)
        pid = False
        if self.config.pid_pressure_threshold > 0:
            pid_max = int(_read("/proc/sys/kernel/pid_max") or 0)
            procs = sum(1 for d in os.listdir("/proc") if d.isdigit())
            pid = bool(pid_max) and (pid_max - procs) / pid_max < self.config.pid_pressure_threshold
        return memory, bool(disk), pid

    async def _images(self) -> list[dict[str, Any]]:
        try:
            imgs = await self.images.list_images()
        except Exception:
            return []
        out = [{"names": [*i.repo_digests, *i.repo_tags], "sizeBytes": i.size} for i in imgs
               if i.repo_digests or i.repo_tags]
        out.sort(key=lambda x: x["sizeBytes"], reverse=True)
        return out[:50]

    async def status(self, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        """The node status now; condition transition times kept from ``previous`` when unchanged."""
        memory, disk, pid = self._pressure()
        why = ""
        try:
            await self.runtime.version()
        except Exception as e:
            why = f"container runtime is down: {e}"
        if not why and self.runtime_ready is not None:
            why = self.runtime_ready()
        now = _now()
        prev = {c.get("type"): c for c in (previous or {}).get("conditions") or ()}
        conditions = []
        for t, s, r, m in condition_rows(memory_pressure=memory, disk_pressure=disk, pid_pressure=pid,
                                         ready=not why, not_ready_message=why):
            p = prev.get(t) or {}
            conditions.append({"type": t, "status": s, "lastHeartbeatTime": now,
                               "lastTransitionTime": p.get("lastTransitionTime") if p.get("status") == s and
                               p.get("lastTransitionTime") else now, "reason": r, "message": m})
        addresses = [{"type": "InternalIP", "address": ip} for ip in self.config.ips]
        addresses.append({"type": "Hostname", "address": self.config.hostname or self.config.name})
        return {"capacity": dict(self.capacity), "allocatable": dict(self.allocatable), "conditions": conditions,
                "addresses": addresses, "daemonEndpoints": {"kubeletEndpoint": {"Port": self.config.port}},
                "nodeInfo": await self.node_info(), "images": await self._images()}

    # -- API writes -----------------------------------------------------------------------------------------------

    async def register(self) -> str:
        """Create the Node or adopt the existing one (labels and taints reconciled); returns its uid.  Raises
        StatusError / connection errors."""
        path = resource_path("", "v1", "nodes")
        try:
            node = await self.client.create(path, self.node_object())
        except StatusError as e:
            if e.code != 409:
                raise
            node = await self.client.get(resource_path("", "v1", "nodes", name=self.config.name))
            want = self.node_object()
            patch: dict[str, Any] = {"metadata": {"labels": want["metadata"]["labels"]}}
            spec = node.get("spec") or {}
            if self.config.pod_cidrs and not spec.get("podCIDR"):
                patch["spec"] = {"podCIDR": want["spec"]["podCIDR"], "podCIDRs": want["spec"]["podCIDRs"]}
            node = await self.client.patch(resource_path("", "v1", "nodes", name=self.config.name), patch)
        self.uid = node["metadata"]["uid"]
        await self.update_status(force=True, node=node)
        await self.renew_lease()
        return self.uid

    async def update_status(self, *, force: bool = False, node: dict[str, Any] | None = None) -> bool:
        """Write the status when it changed (heartbeat times aside), after ``report_interval``, or when
        ``force``; returns True when written.  Conflicts are retried."""
        for attempt in range(5):
            if node is None or attempt:
                node = await self.client.get(resource_path("", "v1", "nodes", name=self.config.name))
            old = node.get("status") or {}
            new = await self.status(old)
            comparable = _without_heartbeats(new)
            if not force and self._last_reported == comparable and \
                    time.monotonic() - self._last_report_time < self.config.report_interval:
                return False
            merged = dict(old)
            merged.update(new)
            ours = {c["type"] for c in new["conditions"]}
            merged["conditions"] = [*new["conditions"],
                                    *(c for c in old.get("conditions") or () if c.get("type") not in ours)]
            body = dict(node)
            body["status"] = merged
            try:
                await self.client.update(resource_path("", "v1", "nodes", name=self.config.name,
                                                       subresource="status"), body)
            except StatusError as e:
                if e.code == 409:
                    continue
                raise
            self._last_reported = comparable
            self._last_report_time = time.monotonic()
            return True
        return False

    async def renew_lease(self) -> None:
        path = resource_path("coordination.k8s.io", "v1", "leases", LEASE_NAMESPACE, self.config.name)
        try:
            await self.client.patch(path, {"spec": {"holderIdentity": self.config.name,
                                                    "leaseDurationSeconds": LEASE_DURATION,
                                                    "renewTime": _micro_now()}})
            return
        except StatusError as e:
            if e.code != 404:
                raise
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": self.config.name, "namespace": LEASE_NAMESPACE,
                              "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": self.config.name,
                                                   "uid": self.uid}]},
                 "spec": {"holderIdentity": self.config.name, "leaseDurationSeconds": LEASE_DURATION,
                          "renewTime": _micro_now()}}
        try:
            await self.client.create(resource_path("coordination.k8s.io", "v1", "leases", LEASE_NAMESPACE), lease)
        except StatusError as e:
            if e.code != 409:
                raise

    # -- loops ----------------------------------------------------------------------------------------------------

    async def _every(self, interval: float, what: str, fn: Callable[[], Any]) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except (StatusError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
                log.warning("node %s: %s failed: %s", self.config.name, what, e)

    def start(self) -> None:
        """Start the Lease and status loops (``register`` must have succeeded)."""
        self._tasks = [asyncio.create_task(self._every(self.config.lease_interval, "lease renewal",
                                                       self.renew_lease), name="node lease"),
                       asyncio.create_task(self._every(self.config.status_interval, "status update",
                                                       self.update_status), name="node status")]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _without_heartbeats(status: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(status)
    out["conditions"] = [{k: v for k, v in c.items() if k != "lastHeartbeatTime"} for c in status["conditions"]]
    return out
