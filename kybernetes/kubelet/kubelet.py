"""The kubelet: the node agent that runs the pods bound to its node through a CRI runtime.

Sources of pods: the API (one informer over ``spec.nodeName=<node>``) and, optionally, the static pod manifests.
Mirror pods in the API stand for static pods and are never run.  Each pod gets a worker
(:mod:`~kybernetes.kubelet.podworkers`) that calls the three sync steps below; the PLEG, probe results, changed
ConfigMaps/Secrets and back-off timers wake workers.

- :meth:`Kubelet.sync_pod` (a pod that should run): compute and write its status; stop here when it is terminal;
  create the mirror pod of a static pod; make its cgroup; set up its volumes (FailedMount on error); evict it when a
  disk emptyDir outgrew its sizeLimit; start its probes; compute the actions (:mod:`~kybernetes.kubelet.actions`) and
  carry them out: kill what must go, (re)create the sandbox, start init containers then containers (each failure
  remembered as the container's waiting reason); write the status again.
- :meth:`Kubelet.sync_terminating_pod`: stop every container with the grace period (preStop, SIGTERM, SIGKILL) and
  the sandbox; status with the terminal phase.
- :meth:`Kubelet.sync_terminated_pod`: unmount and remove volumes, remove the pod's cgroups, write the final status,
  and delete the pod object (grace period 0, uid precondition) when deletion was requested.
- :meth:`Kubelet.cleanup_pod` (the pod left the API or its manifest): remove its containers, sandboxes, directories,
  logs and cgroups, and a static pod's mirror.

After a restart nothing is lost: running containers are found through their labels and kept when their spec hash
still matches.  Housekeeping (every 10 s) stops and removes what the runtime, the pods directory, the log
directory or the cgroup tree hold for pods the kubelet no longer knows.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import Informer
from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.cri.api import ContainerState, ImageService, NotFoundError, RuntimeService
from kybernetes.kubelet.actions import PodActions, compute
from kybernetes.kubelet.cgroups import CgroupManager
from kybernetes.kubelet.containers import RuntimeManager, StartError, log_directory, sandbox_config
from kybernetes.kubelet.dns import HostResolv, parse_resolv_conf, pod_dns_config
from kybernetes.kubelet.envvars import EnvError, container_env
from kybernetes.kubelet.logs import tail_text
from kybernetes.kubelet.node import NodeAgent, NodeConfig
from kybernetes.kubelet.objcache import ObjectCache, pod_references
from kybernetes.kubelet.pleg import PLEG, snapshot
from kybernetes.kubelet.podworkers import PodWorkers, SyncResult
from kybernetes.kubelet.probes import ProbeManager
from kybernetes.kubelet.runtimepod import (
    ANNOTATION_POD_GRACE, ANNOTATION_TERMINATION_LOG, ANNOTATION_TERMINATION_MESSAGE_POLICY, LABEL_POD_NAME,
    LABEL_POD_NAMESPACE, PodRuntime, fetch,
)
from kybernetes.kubelet.staticpods import ANNOTATION_MIRROR, StaticPodSource, is_mirror, is_static, mirror_pod
from kybernetes.kubelet.status import finalize, generate, is_terminal_phase, rfc3339
from kybernetes.kubelet.statusmanager import StatusManager
from kybernetes.kubelet.volumes import (
    PodVolumes, VolumeError, VolumeManager, container_mounts, emptydir_over_limit, hosts_file,
)
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.quantity import parse_quantity

__all__ = ["KubeletConfig", "Kubelet"]

log = logging.getLogger(__name__)

MAX_TERMINATION_MESSAGE = 4096
FALLBACK_LOG_LINES = 80
FALLBACK_LOG_BYTES = 2048
MOUNT_RETRY = 10.0
START_RETRY = 10.0

Json = dict[str, Any]


@dataclass
class KubeletConfig:
    """Everything the kubelet is told at start (see app.py for the flags)."""

    node_name: str
    root_dir: str
    pod_logs_dir: str = "/var/log/pods"
    node_ips: list[str] = field(default_factory=list)
    hostname: str = ""
    cluster_dns: list[str] = field(default_factory=list)
    cluster_domain: str = "cluster.local"
    resolv_conf: str = "/etc/resolv.conf"
    pod_manifest_path: str = ""
    static_pod_interval: float = 20.0
    sync_frequency: float = 60.0
    housekeeping_interval: float = 10.0
    pleg_period: float = 1.0
    cgroup_mount: str = "/sys/fs/cgroup"  # where the v1 hierarchies are mounted
    cgroup_root: str = "/"  # upstream's --cgroup-root: the parent of kubepods
    cgroups_per_qos: bool = True
    pod_pids_limit: int = -1
    max_pods: int = 110
    node_labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    pod_cidrs: list[str] = field(default_factory=list)
    port: int = 10250
    node_status_interval: float = 10.0
    node_lease_interval: float = 10.0


def _significant(pod: Mapping[str, Any]) -> bytes:
    """What of a pod, when changed, needs a sync (its status is written by us; resourceVersion always moves)."""
    meta = dict(pod.get("metadata") or {})
    for k in ("resourceVersion", "managedFields", "generation"):
        meta.pop(k, None)
    return orjson.dumps([meta, pod.get("spec")], option=orjson.OPT_SORT_KEYS)


class Kubelet:
    """One node's kubelet.  ``await start()`` registers the node and starts everything; ``await stop()`` stops
    the agent (containers keep running, a restarted kubelet adopts them)."""

    def __init__(self, client: RESTClient, runtime: RuntimeService, images: ImageService,
                 config: KubeletConfig) -> None:
        self.client = client
        self.runtime = runtime
        self.images = images
        self.config = config
        self.runtime_name = ""
        self.recorder = EventRecorder(client, "kubelet", config.node_name)
        self.node = NodeAgent(client, NodeConfig(
            name=config.node_name, root_dir=config.root_dir, ips=list(config.node_ips), hostname=config.hostname,
            labels=dict(config.node_labels), taints=list(config.taints), pod_cidrs=list(config.pod_cidrs),
            max_pods=config.max_pods, port=config.port, lease_interval=config.node_lease_interval,
            status_interval=config.node_status_interval), runtime, images, runtime_ready=self._runtime_ready)
        mem = int(parse_quantity(self.node.capacity.get("memory", "1Gi")))
        cpu_milli = int(parse_quantity(self.node.capacity.get("cpu", "1")) * 1000)
        self.volumes = VolumeManager(config.root_dir, request_token=self._request_token,
                                     node_allocatable=lambda: self.node.allocatable)
        self.cgroups = CgroupManager(config.cgroup_mount, cgroup_root=config.cgroup_root,
                                     enabled=config.cgroups_per_qos,
                                     pod_pids_limit=config.pod_pids_limit, node_cpu_milli=cpu_milli)
        self.statuses = StatusManager(client)
        self.probes = ProbeManager(runtime, on_change=self._wake, event=self._event)
        self.workers = PodWorkers(self, resync=config.sync_frequency)
        self.pleg = PLEG(runtime, self._wake, period=config.pleg_period)
        self.rm = RuntimeManager(runtime, images, event=self._event, runtime_name="", pod_dir=self.volumes.pod_dir,
                                 memory_capacity=mem)
        self.configmaps = ObjectCache(client, "configmaps", on_change=self._source_changed)
        self.secrets = ObjectCache(client, "secrets", on_change=self._source_changed)
        self.pod_informer = Informer(client, "", "v1", "pods", field_selector=f"spec.nodeName={config.node_name}")
        self.services = Informer(client, "", "v1", "services")
        self.static: StaticPodSource | None = None
        if config.pod_manifest_path:
            self.static = StaticPodSource(config.pod_manifest_path, config.node_name,
                                          on_change=self._static_changed, interval=config.static_pod_interval)
        self.pods: dict[str, Json] = {}  # uid -> desired pod (API pods and static pods)
        self.mirrors: dict[tuple[str, str], Json] = {}  # (ns, name) -> mirror pod
        self.waiting: dict[str, dict[str, tuple[str, str]]] = {}  # uid -> container -> (reason, message)
        self.evicted: dict[str, tuple[str, str]] = {}
        self._term_messages: dict[str, str] = {}
        self._host_resolv: HostResolv | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = False

    # -- lifecycle ------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Register the node and start every loop.  Raises when the runtime or the API server cannot be
        reached."""
        v = await self.runtime.version()
        self.runtime_name = v.runtime_name
        self.rm.runtime_name = v.runtime_name
        await asyncio.to_thread(self.cgroups.ensure_qos)
        await self.node.register()
        self.node.start()
        self.services.start()
        self.pod_informer.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                            on_delete=self._pod_deleted)
        self.pod_informer.start()
        if self.static is not None:
            self.static.start()
        await self.pod_informer.wait_synced(60)
        try:
            await self.services.wait_synced(30)
        except asyncio.TimeoutError:
            log.warning("services not listed yet: service environment variables may be missing")
        if self.static is not None:
            await asyncio.wait_for(self.static.synced.wait(), 60)
        self.pleg.start()
        self._ready = True
        self._tasks.append(asyncio.create_task(self._housekeeping_loop(), name="kubelet housekeeping"))
        log.info("kubelet %s started (runtime %s %s)", self.config.node_name, v.runtime_name, v.runtime_version)

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.pleg.stop()
        if self.static is not None:
            await self.static.stop()
        await self.workers.stop()
        await self.probes.stop()
        await self.node.stop()
        await self.pod_informer.stop()
        await self.services.stop()
        await self.configmaps.stop()
        await self.secrets.stop()
        await self.recorder.close()

    def _runtime_ready(self) -> str:
        if self.pleg.error:
            return f"container runtime is down: {self.pleg.error}"
        if self._ready and not self.pleg.healthy():
            return "PLEG is not healthy: pleg has yet to be successful"
        return ""

    # -- pod sources ----------------------------------------------------------------------------------------------

    def _pod_added(self, pod: Json) -> None:
        if is_mirror(pod):
            self._mirror_changed(pod, gone=False)
            return
        uid = pod["metadata"]["uid"]
        self.pods[uid] = pod
        self.workers.update(pod)

    def _pod_updated(self, old: Json, new: Json) -> None:
        if is_mirror(new):
            self._mirror_changed(new, gone=False)
            return
        uid = new["metadata"]["uid"]
        self.pods[uid] = new
        if _significant(old) != _significant(new) or \
                (is_terminal_phase((new.get("status") or {}).get("phase")) and
                 not is_terminal_phase((old.get("status") or {}).get("phase"))):
            self.workers.update(new)

    def _pod_deleted(self, pod: Json) -> None:
        if is_mirror(pod):
            self._mirror_changed(pod, gone=True)
            return
        uid = pod["metadata"]["uid"]
        self.pods.pop(uid, None)
        self.workers.update(pod, removed=True)

    def _mirror_changed(self, mirror: Json, *, gone: bool) -> None:
        key = (mirror["metadata"].get("namespace", ""), mirror["metadata"].get("name", ""))
        if gone:
            if (self.mirrors.get(key) or {}).get("metadata", {}).get("uid") == mirror["metadata"].get("uid"):
                self.mirrors.pop(key, None)
        else:
            self.mirrors[key] = mirror
        for uid, p in self.pods.items():
            if is_static(p) and (p["metadata"].get("namespace"), p["metadata"].get("name")) == key:
                self.workers.wake(uid)

    def _static_changed(self, added: list[Json], removed: list[Json]) -> None:
        for p in removed:
            self.pods.pop(p["metadata"]["uid"], None)
            self.workers.update(p, removed=True)
        for p in added:
            self.pods[p["metadata"]["uid"]] = p
            self.workers.update(p)

    def _wake(self, uid: str) -> None:
        self.workers.wake(uid)

    def _source_changed(self, ns: str, name: str) -> None:
        for cache in (self.configmaps, self.secrets):
            for uid in cache.users(ns, name):
                self.workers.wake(uid)

    # -- lookups --------------------------------------------------------------------------------------------------

    def api_pod(self, pod: Mapping[str, Any]) -> Json | None:
        """The API object standing for ``pod``: its mirror for a static pod, else the latest informer copy."""
        meta = pod.get("metadata") or {}
        if is_static(pod):
            mirror = self.mirrors.get((meta.get("namespace", ""), meta.get("name", "")))
            if mirror is not None and (mirror["metadata"].get("annotations") or {}).get(ANNOTATION_MIRROR) == \
                    meta.get("uid") and not mirror["metadata"].get("deletionTimestamp"):
                return mirror
            return None
        obj = self.pod_informer.get(f"{meta.get('namespace', '')}/{meta.get('name', '')}")
        if obj is not None and (obj.get("metadata") or {}).get("uid") == meta.get("uid"):
            return obj
        return None

    def pod_by_name(self, namespace: str, name: str) -> Json | None:
        for p in self.pods.values():
            m = p.get("metadata") or {}
            if m.get("namespace") == namespace and m.get("name") == name:
                return p
        return None

    def pod_status(self, pod: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.statuses.get((pod.get("metadata") or {}).get("uid", "")) or pod.get("status") or {}

    def running_pods(self) -> list[Json]:
        return list(self.pods.values())

    async def log_file(self, pod: Mapping[str, Any], container_id: str) -> str:
        cs = await self.runtime.container_status(container_id)
        if os.path.isabs(cs.log_path):
            return cs.log_path
        return os.path.join(log_directory(self.config.pod_logs_dir, pod), cs.log_path)

    def exec_argv(self, container_id: str, cmd: list[str], pid_file: str = "") -> list[str]:
        return self.runtime.exec_argv(container_id, cmd, pid_file)

    async def container_running(self, container_id: str) -> bool:
        try:
            return (await self.runtime.container_status(container_id)).state == ContainerState.CONTAINER_RUNNING
        except NotFoundError:
            return False

    def _event(self, pod: Mapping[str, Any], container: str, type_: str, reason: str, message: str) -> None:
        obj = dict(self.api_pod(pod) or pod)
        obj["kind"] = "Pod"
        obj["apiVersion"] = "v1"
        try:
            self.recorder.event(obj, type_, reason, message)
        except RuntimeError:  # no running loop (shutdown)
            pass

    def host_resolv(self) -> HostResolv:
        if self._host_resolv is None:
            try:
                self._host_resolv = parse_resolv_conf(Path(self.config.resolv_conf).read_text())
            except OSError:
                self._host_resolv = HostResolv()
        return self._host_resolv

    async def _request_token(self, namespace: str, sa: str, body: Json) -> Json:
        try:
            return await self.client.create(resource_path("", "v1", "serviceaccounts", namespace, sa, "token"), body)
        except StatusError as e:
            if e.code in (405, 501, 503) or (e.code == 404 and f'"{sa}" not found' not in (e.message or "")):
                raise VolumeError("the API server does not serve the TokenRequest API "
                                  f"(serviceaccounts/token): {e.message}") from None
            raise VolumeError(f"failed to fetch token: {e.message}") from None

    # -- runtime state and status ---------------------------------------------------------------------------------

    async def runtime_pod(self, pod: Mapping[str, Any]) -> PodRuntime:
        """The runtime's view of the pod, with the termination messages of exited containers."""
        uid = (pod.get("metadata") or {}).get("uid", "")
        rt = await fetch(self.runtime, uid)
        for c in rt.containers:
            if c.state != ContainerState.CONTAINER_EXITED:
                continue
            if c.id not in self._term_messages:
                self._term_messages[c.id] = await self._termination_message(pod, c)
            rt.termination_messages[c.id] = self._term_messages[c.id]
        return rt

    async def _termination_message(self, pod: Mapping[str, Any], c: Any) -> str:
        path = c.annotations.get(ANNOTATION_TERMINATION_LOG)
        msg = ""
        if path:
            try:
                with open(path, "rb") as f:
                    msg = f.read(MAX_TERMINATION_MESSAGE).decode("utf-8", "replace")
            except OSError:
                msg = ""
        policy = c.annotations.get(ANNOTATION_TERMINATION_MESSAGE_POLICY)
        if not msg and policy == "FallbackToLogsOnError" and c.exit_code != 0 and c.reason != "ContainerCannotRun":
            log_path = c.log_path if os.path.isabs(c.log_path or "") else \
                os.path.join(log_directory(self.config.pod_logs_dir, pod), c.log_path or "")
            msg = await tail_text(log_path, lines=FALLBACK_LOG_LINES, max_bytes=FALLBACK_LOG_BYTES)
        return msg

    def compute_status(self, pod: Mapping[str, Any], rt: PodRuntime, *, terminal: bool = False) -> Json:
        uid = (pod.get("metadata") or {}).get("uid", "")
        api = self.api_pod(pod)
        base = dict(pod)
        if api is not None and not is_static(pod):
            base["status"] = api.get("status") or {}
        old = self.statuses.get(uid)
        s = generate(base, rt, old_status=old, runtime_name=self.runtime_name, host_ips=self.config.node_ips,
                     readiness=self.probes.readiness, startup=self.probes.startup, waiting=self.waiting.get(uid),
                     terminal=terminal, evicted=self.evicted.get(uid))
        prev = old if old is not None else (api or {}).get("status") or {}
        return finalize(s, prev, rfc3339(time.time(), nanoseconds=False))

    async def write_status(self, pod: Mapping[str, Any], status: Json) -> None:
        uid = (pod.get("metadata") or {}).get("uid", "")
        await self.statuses.set(uid, self.api_pod(pod), status)

    # -- sync steps -----------------------------------------------------------------------------------------------

    async def sync_pod(self, pod: Json) -> SyncResult:
        uid = pod["metadata"]["uid"]
        pod = self.pods.get(uid, pod)
        rt = await self.runtime_pod(pod)
        status = self.compute_status(pod, rt)
        await self.write_status(pod, status)
        if is_terminal_phase(status["phase"]):
            return SyncResult(terminal=True)
        if is_static(pod):
            await self._ensure_mirror(pod)
        cgroup_parent = await asyncio.to_thread(self.cgroups.ensure_pod, pod)
        cms, secs = pod_references(pod)
        self.configmaps.register(uid, cms)
        self.secrets.register(uid, secs)
        try:
            cm_data, sec_data = await self._fetch_sources(cms, secs)
            vols = await self.volumes.setup(pod, configmaps=lambda ns, n: cm_data.get((ns, n)),
                                            secrets=lambda ns, n: sec_data.get((ns, n)))
        except (VolumeError, asyncio.TimeoutError) as e:
            self._event(pod, "", "Warning", "FailedMount", str(e) or "timed out fetching volume sources")
            return SyncResult(retry_after=MOUNT_RETRY)
        over = await asyncio.to_thread(emptydir_over_limit, pod, vols.paths)
        if over is not None:
            msg = f'Usage of EmptyDir volume "{over[0]}" exceeds the limit "{over[1]}". '
            self.evicted[uid] = ("Evicted", msg)
            self._event(pod, "", "Warning", "Evicted", msg)
            await self.write_status(pod, self.compute_status(pod, rt))
            return SyncResult(terminal=True)
        self.probes.sync(pod, status)
        acts = compute(pod, rt, liveness=self.probes.liveness, startup=self.probes.startup)
        retry = await self._apply(pod, rt, acts, cgroup_parent, vols, cm_data, sec_data)
        rt = await self.runtime_pod(pod)
        status = self.compute_status(pod, rt)
        await self.write_status(pod, status)
        self.probes.sync(pod, status)
        await self.rm.prune(pod, rt)
        if is_terminal_phase(status["phase"]):
            return SyncResult(terminal=True)
        return SyncResult(retry_after=retry)

    async def _fetch_sources(self, cms: set[tuple[str, str]], secs: set[tuple[str, str]]
                             ) -> tuple[dict[tuple[str, str], Json], dict[tuple[str, str], Json]]:
        cm_data: dict[tuple[str, str], Json] = {}
        sec_data: dict[tuple[str, str], Json] = {}
        for ref in cms:
            obj = await self.configmaps.get(*ref)
            if obj is not None:
                cm_data[ref] = obj
        for ref in secs:
            obj = await self.secrets.get(*ref)
            if obj is not None:
                sec_data[ref] = obj
        return cm_data, sec_data

    async def _apply(self, pod: Json, rt: PodRuntime, acts: PodActions, cgroup_parent: str, vols: PodVolumes,
                     cm_data: Mapping[tuple[str, str], Json], sec_data: Mapping[tuple[str, str], Json]
                     ) -> float | None:
        """Carry out one sync's actions; returns when to sync again for a back-off (None: no hurry)."""
        uid = pod["metadata"]["uid"]
        spec = pod.get("spec") or {}
        waiting = self.waiting.setdefault(uid, {})
        pod_ips = rt.ips()
        specs = {c.get("name"): c for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]}
        if acts.kill_pod:
            if acts.create_sandbox and rt.sandboxes:
                self._event(pod, "", "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and "
                                                                 "re-created.")
            await self.rm.kill_pod(pod, rt, pod_ip=pod_ips[0] if pod_ips else "")
            if acts.create_sandbox:
                inits = {c.get("name") for c in spec.get("initContainers") or ()}
                for c in rt.containers:
                    if c.name in inits and c.state == ContainerState.CONTAINER_EXITED:
                        try:
                            await self.runtime.remove_container(c.id)
                        except NotFoundError:
                            pass
        else:
            for cid, k in acts.containers_to_kill.items():
                await self.rm.kill_container(pod, specs.get(k.name), cid, k.name, message=k.message, reason=k.reason,
                                             pod_ip=pod_ips[0] if pod_ips else "")
        if acts.kill_pod and not acts.create_sandbox:
            return None
        dns, warning = pod_dns_config(pod, cluster_dns=self.config.cluster_dns,
                                      cluster_domain=self.config.cluster_domain, host=self.host_resolv())
        if warning and acts.create_sandbox:
            self._event(pod, "", "Warning", "MissingClusterDNS", warning)
        sb_config = sandbox_config(pod, attempt=acts.attempt,
                                   log_dir=log_directory(self.config.pod_logs_dir, pod),
                                   cgroup_parent=cgroup_parent, dns=dns)
        sandbox_id = acts.sandbox_id
        if acts.create_sandbox:
            if self.workers.is_terminating(uid):
                return None
            try:
                sandbox_id = await self.rm.create_sandbox(pod, sb_config)
            except StartError:
                return START_RETRY
            sb = await self.runtime.pod_sandbox_status(sandbox_id)
            pod_ips = [sb.ip, *sb.additional_ips] if sb.ip else []
        if spec.get("hostNetwork"):
            pod_ips = list(self.config.node_ips)
        etc_hosts = self.volumes.pod_dir(uid) / "etc-hosts"
        host_hosts = None
        if spec.get("hostNetwork"):
            try:
                host_hosts = Path("/etc/hosts").read_text()
            except OSError:
                host_hosts = ""
        etc_hosts.write_text(hosts_file(pod, pod_ips, cluster_domain=self.config.cluster_domain,
                                        host_hosts=host_hosts))
        env_pod = copy.copy(pod)
        env_status = dict(pod.get("status") or {})
        if pod_ips:
            env_status["podIP"] = pod_ips[0]
            env_status["podIPs"] = [{"ip": ip} for ip in pod_ips]
        if self.config.node_ips:
            env_status["hostIP"] = self.config.node_ips[0]
            env_status["hostIPs"] = [{"ip": ip} for ip in self.config.node_ips[:2]]
        env_pod["status"] = env_status
        pull_secrets = [sec_data[(pod["metadata"].get("namespace", ""), r.get("name", ""))]
                        for r in spec.get("imagePullSecrets") or ()
                        if (pod["metadata"].get("namespace", ""), r.get("name", "")) in sec_data]

        async def options(container: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[Any]]:
            return self._container_options(env_pod, container, vols, cm_data, sec_data, str(etc_hosts))

        retry: float | None = None

        async def start(container: Mapping[str, Any], is_init: bool) -> bool:
            nonlocal retry
            name = container.get("name", "")
            try:
                self.rm.check_backoff(pod, container, rt)
                await self.rm.start_container(pod, container, sandbox_id=sandbox_id, sandbox=sb_config, rt=rt,
                                              options=options, pull_secrets=pull_secrets,
                                              pod_ip=pod_ips[0] if pod_ips else "", is_init=is_init)
            except StartError as e:
                waiting[name] = (e.reason, e.message)
                after = getattr(e, "retry_after", None) or START_RETRY
                retry = after if retry is None else min(retry, after)
                return False
            waiting.pop(name, None)
            return True

        inits = spec.get("initContainers") or []
        for idx in acts.init_to_start:
            c = inits[idx]
            if not await start(c, True) and c.get("restartPolicy") != "Always":
                return retry
        containers = spec.get("containers") or []
        for idx in acts.containers_to_start:
            await start(containers[idx], False)
        return retry

    def _container_options(self, pod: Mapping[str, Any], container: Mapping[str, Any], vols: PodVolumes,
                           cm_data: Mapping[tuple[str, str], Json], sec_data: Mapping[tuple[str, str], Json],
                           etc_hosts: str) -> tuple[list[tuple[str, str]], list[Any]]:
        ns = (pod.get("metadata") or {}).get("namespace", "")
        services = [s for s in self.services.list() if (s.get("metadata") or {}).get("namespace") == ns]
        master = [s for s in self.services.list() if (s.get("metadata") or {}).get("namespace") == "default" and
                  (s.get("metadata") or {}).get("name") == "kubernetes"]
        name = container.get("name", "")
        try:
            env = container_env(pod, container, configmaps=lambda n, x: cm_data.get((n, x)),
                                secrets=lambda n, x: sec_data.get((n, x)), services=services,
                                master_services=master, node_allocatable=self.node.allocatable,
                                warn=lambda m: self._event(pod, name, "Warning", "InvalidEnvironmentVariableNames", m))
        except EnvError as e:
            raise StartError("CreateContainerConfigError", str(e)) from None
        try:
            mounts = container_mounts(pod, container, vols.paths, env, etc_hosts=etc_hosts, termination_log=None)
        except (VolumeError, OSError) as e:
            raise StartError("CreateContainerConfigError", str(e)) from None
        return env, mounts

    async def sync_terminating_pod(self, pod: Json, grace: int) -> None:
        uid = pod["metadata"]["uid"]
        pod = self.pods.get(uid, pod)
        rt = await self.runtime_pod(pod)
        await self.write_status(pod, self.compute_status(pod, rt))
        ips = rt.ips()
        await self.rm.kill_pod(pod, rt, grace_override=grace, pod_ip=ips[0] if ips else "")
        self.probes.remove(uid)
        rt = await self.runtime_pod(pod)
        if rt.running():
            raise RuntimeError(f"{len(rt.running())} containers still running after being stopped")
        await self.write_status(pod, self.compute_status(pod, rt, terminal=True))

    async def sync_terminated_pod(self, pod: Json) -> None:
        uid = pod["metadata"]["uid"]
        pod = self.pods.get(uid, pod)
        rt = await self.runtime_pod(pod)
        status = self.compute_status(pod, rt, terminal=True)
        _mark_terminated(pod, status)
        await asyncio.to_thread(self.volumes.teardown, uid)
        if not await asyncio.to_thread(self.cgroups.remove_pod, pod):
            raise RuntimeError("pod cgroup could not be removed yet")
        self.probes.remove(uid)
        await self.write_status(pod, status)
        if pod["metadata"].get("deletionTimestamp") and not is_static(pod) and not is_mirror(pod):
            api = self.api_pod(pod)
            if api is not None:
                await self.statuses.delete(api)

    async def cleanup_pod(self, pod: Json) -> None:
        meta = pod.get("metadata") or {}
        uid = meta.get("uid", "")
        rt = await fetch(self.runtime, uid)
        if rt.running():
            await self.rm.kill_pod(pod, rt, grace_override=1)
        await self.rm.remove_pod(rt)
        await asyncio.to_thread(self.volumes.teardown, uid)
        await asyncio.to_thread(shutil.rmtree, log_directory(self.config.pod_logs_dir, pod), True)
        await asyncio.to_thread(self.cgroups.remove_pod, pod)
        self.probes.remove(uid)
        self.probes.forget_containers([c.id for c in rt.containers])
        for c in rt.containers:
            self._term_messages.pop(c.id, None)
        self.rm.forget_pod(pod)
        self.statuses.forget(uid)
        self.waiting.pop(uid, None)
        self.evicted.pop(uid, None)
        self.configmaps.unregister(uid)
        self.secrets.unregister(uid)
        if is_static(pod):
            mirror = self.mirrors.get((meta.get("namespace", ""), meta.get("name", "")))
            if mirror is not None and (mirror["metadata"].get("annotations") or {}).get(ANNOTATION_MIRROR) == uid:
                await self.statuses.delete(mirror)

    async def _ensure_mirror(self, pod: Json) -> None:
        """Create the static pod's mirror, replacing one that is stale (another hash) or being deleted."""
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta.get("name", ""))
        mirror = self.mirrors.get(key)
        if mirror is not None:
            ann = mirror["metadata"].get("annotations") or {}
            if ann.get(ANNOTATION_MIRROR) == meta.get("uid") and not mirror["metadata"].get("deletionTimestamp"):
                return
            # stale or being deleted: remove it now (grace period 0) and make a new one
            await self.statuses.delete(mirror)
            self.mirrors.pop(key, None)
        body = mirror_pod(pod, node_uid=self.node.uid)
        try:
            created = await self.client.create(resource_path("", "v1", "pods", key[0]), body)
        except StatusError as e:
            if e.code != 409:
                log.warning("mirror pod %s/%s not created: %s", key[0], key[1], e)
            return
        created.setdefault("kind", "Pod")
        created.setdefault("apiVersion", "v1")
        self.mirrors[key] = created

    # -- housekeeping ---------------------------------------------------------------------------------------------

    async def housekeeping(self) -> None:
        """Stop and remove what belongs to pods the kubelet does not know (after a restart, or leftovers)."""
        known = set(self.pods) | set(self.workers.workers)
        snap = await snapshot(self.runtime)
        for uid in snap:
            if uid in known:
                continue
            rt = await fetch(self.runtime, uid)
            labels = (rt.sandbox.labels if rt.sandbox is not None else
                      rt.containers[0].labels if rt.containers else {})
            grace = 30
            for c in rt.containers:
                try:
                    grace = int(c.annotations.get(ANNOTATION_POD_GRACE, grace))
                except ValueError:
                    pass
            orphan = {"metadata": {"uid": uid, "name": labels.get(LABEL_POD_NAME, ""),
                                   "namespace": labels.get(LABEL_POD_NAMESPACE, "")},
                      "spec": {"terminationGracePeriodSeconds": grace}}
            log.info("removing orphaned pod %s/%s (%s)", orphan["metadata"]["namespace"],
                     orphan["metadata"]["name"], uid)
            self.workers.update(orphan, removed=True)
            known.add(uid)
        for uid in self.volumes.known_pod_dirs():
            if uid not in known:
                try:
                    await asyncio.to_thread(self.volumes.teardown, uid)
                except OSError as e:
                    log.warning("orphaned pod directory %s: %s", uid, e)
        for uid in await asyncio.to_thread(self.cgroups.pod_cgroups):
            if uid not in known:
                await asyncio.to_thread(self.cgroups.remove_orphan, uid)
        try:
            entries = os.listdir(self.config.pod_logs_dir)
        except OSError:
            entries = []
        for entry in entries:
            uid = entry.rsplit("_", 1)[-1]
            if "_" in entry and uid not in known and uid not in snap:
                await asyncio.to_thread(shutil.rmtree, os.path.join(self.config.pod_logs_dir, entry), True)
        self.rm.backoff.gc()
        self.rm.image_backoff.gc()

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                await self.housekeeping()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(self.config.housekeeping_interval)


def _mark_terminated(pod: Mapping[str, Any], status: Json) -> None:
    """The status manager's TerminatePod: every container shown terminated, a non-static pod in a terminal
    phase."""
    unknown = {"exitCode": 137, "reason": "ContainerStatusUnknown",
               "message": "The container could not be located when the pod was terminated"}
    for cs in status.get("containerStatuses") or ():
        if "terminated" not in (cs.get("state") or {}):
            cs["state"] = {"terminated": dict(unknown)}
            cs["ready"] = False
            cs["started"] = False
    inits = status.get("initContainerStatuses") or []
    # init containers after the last one that ran never will: mark all but a trailing never-started suffix
    started = [i for i, cs in enumerate(inits) if "waiting" not in (cs.get("state") or {}) or
               (cs.get("lastState") or {}).get("terminated")]
    last = started[-1] if started else -1
    for cs in inits[:last + 1]:
        if "terminated" not in (cs.get("state") or {}):
            cs["state"] = {"terminated": dict(unknown)}
            cs["ready"] = False
    if not is_static(pod) and not is_terminal_phase(status.get("phase")):
        status["phase"] = "Failed"
