"""The in-process container runtime: CRI's RuntimeService and ImageService over crun/runc, CNI and overlayfs.

Composition (one module per concept):

- :mod:`~kybernetes.cri.sandbox` makes a sandbox's namespaces and files, :mod:`~kybernetes.cri.cni` wires its
  network namespace, :mod:`~kybernetes.cri.state` persists its record;
- :mod:`~kybernetes.cri.images` holds images and mounts each container's overlay rootfs,
  :mod:`~kybernetes.cri.oci` writes its ``config.json``, :mod:`~kybernetes.cri.shim` (a process per
  container) runs the OCI runtime's ``create``, keeps the logs and records the exit, and
  :mod:`~kybernetes.cri.oci_runtime` does start/kill/delete/exec;
- :mod:`~kybernetes.cri.pull` pulls from registries.

Directories: ``root_dir`` holds images and the containers' writable layers, ``state_dir`` the records, the
shims' status files, the bundles, the OCI runtime's state and the CNI allocations.  Logs go to the sandbox's
``log_directory`` joined with the container's ``log_path`` (the kubelet's layout), else under ``log_root``.

A new :class:`Runtime` over the same directories adopts what an earlier one left (:meth:`Runtime.start`): records
are reloaded, running containers stay supervised by their shims, and exits that happened meanwhile are read from
the status files.  Operations on one sandbox or container are serialised by a per-id lock; different ids proceed
concurrently.  Blocking work (mounts, unpacking, namespace setup) runs in worker threads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from kybernetes.cri import sandbox as sbx
from kybernetes.cri.api import (AuthConfig, Container, ContainerConfig, ContainerState, ContainerStatus,
                                FilesystemUsage, Image, ImageSpec, NamespaceMode, NotFoundError, PodSandbox,
                                PodSandboxConfig, PodSandboxStatus, RuntimeError_, SandboxState, VersionInfo)
from kybernetes.cri.api import ExecSyncResponse
from kybernetes.cri.cni import CNIError, CNINetwork, NetworkConfig, result_ips
from kybernetes.cri.images import ImageRecord, ImageStore, mount_overlay, unmount
from kybernetes.cri.oci import SandboxNamespaces, build_spec
from kybernetes.cri.oci_runtime import OCIRuntime, find_runtime
from kybernetes.cri.pull import Puller, RegistryConfig, load_registries
from kybernetes.cri.state import ContainerRecord, SandboxRecord, StateStore, decode, encode, read_json

__all__ = ["Runtime", "RUNTIME_NAME", "RUNTIME_VERSION"]

log = logging.getLogger(__name__)

RUNTIME_NAME = "kybernetes"
RUNTIME_VERSION = "0.1.0"
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent.parent)  # where ``kybernetes`` is importable
POLL = 0.05  # seconds between looks at a shim's status file while waiting for an exit


def _now() -> int:
    return time.time_ns()


def _new_id() -> str:
    return secrets.token_hex(32)


def _signal_number(name: str) -> int:
    name = (name or "SIGTERM").strip().upper()
    if name.isdigit():
        return int(name)
    if not name.startswith("SIG"):
        name = "SIG" + name
    try:
        return int(signal.Signals[name])
    except KeyError:
        return int(signal.SIGTERM)


def _matches(labels: dict[str, str], selector: dict[str, str] | None) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def _alive(pid: int, start: int) -> bool:
    return bool(pid) and sbx.process_start_time(pid) == start and start != 0


class Runtime:
    """CRI RuntimeService + ImageService (see the module docstring).

    ``cni_conf`` is a :class:`NetworkConfig`, a path to a ``.conflist`` or None (the defaults); ``registries``
    a registries.yaml path or a :class:`RegistryConfig`; ``oci_runtime`` the preferred binary ("crun" or
    "runc").  ``log_max_size``/``log_max_files`` bound each container's log (rotation by the shim).
    ``allow_remote_pulls`` (off by default: these machines must not reach the internet) lets pulls go to
    registries other than loopback ones and those configured in ``registries``."""

    def __init__(self, root_dir: str | os.PathLike[str], state_dir: str | os.PathLike[str],
                 log_root: str | os.PathLike[str] | None = None, *, cni_conf: NetworkConfig | str | None = None,
                 oci_runtime: str = "crun", registries: str | RegistryConfig | None = None,
                 log_max_size: int = 10 * 1024 * 1024, log_max_files: int = 5, build_busybox: bool = True,
                 allow_remote_pulls: bool = False) -> None:
        self.root_dir = Path(root_dir)
        self.state_dir = Path(state_dir)
        self.log_root = Path(log_root) if log_root else self.root_dir / "logs"
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.state = StateStore(self.state_dir)
        if isinstance(cni_conf, str):
            cni_conf = NetworkConfig(conflist=cni_conf)
        self.network_config = cni_conf or NetworkConfig()
        self.preferred_oci = oci_runtime
        self.registry_config = registries if isinstance(registries, RegistryConfig) else load_registries(registries)
        self.log_max_size = log_max_size
        self.log_max_files = log_max_files
        self.build_busybox = build_busybox
        self.images = ImageStore(self.root_dir)
        self.puller = Puller(self.images, self.registry_config, allow_remote=allow_remote_pulls)
        self.cni: CNINetwork | None = None
        self.oci: OCIRuntime | None = None
        self._sandboxes: dict[str, SandboxRecord] = {}
        self._containers: dict[str, ContainerRecord] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._state_lock: int | None = None
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Choose the OCI runtime, install the network guard, build the busybox image, then adopt the sandboxes
        and containers recorded under ``state_dir``.  Raises RuntimeError_ when no OCI runtime is usable."""
        self._lock_state_dir()
        self.oci = await asyncio.to_thread(OCIRuntime.choose, self.preferred_oci, self.state_dir / "oci")
        self.cni = CNINetwork(self.network_config, self.state_dir)
        if self.cni.plugin_available():
            try:
                await self.cni.setup_host()
            except CNIError as e:
                log.warning("pod network guard not installed: %s", e)
        else:
            log.warning("CNI plugins missing from %s: only host-network pods can run", self.cni.plugin_path)
        if self.build_busybox:
            try:
                await asyncio.to_thread(self.images.ensure_busybox)
            except RuntimeError_ as e:
                log.warning("no local busybox image: %s", e)
        leftovers = await asyncio.to_thread(self._adopt)
        for cid in leftovers:
            await self._discard_leftover(cid)
        self._started = True

    def _lock_state_dir(self) -> None:
        """Hold ``<state_dir>/lock`` while started: two runtimes over one state directory would remove each
        other's half-created containers."""
        if self._state_lock is not None:
            return
        fd = os.open(self.state_dir / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError_(f"another runtime is using {self.state_dir}") from None
        self._state_lock = fd

    def _unlock_state_dir(self) -> None:
        if self._state_lock is not None:
            os.close(self._state_lock)  # closing the only descriptor releases the lock
            self._state_lock = None

    async def _discard_leftover(self, cid: str) -> None:
        """Remove a container whose create was interrupted (the runtime was killed before its record was
        written): the OCI runtime may already have made it, so it is deleted there first."""
        for name in dict.fromkeys((self.preferred_oci, "crun", "runc")):
            binary = find_runtime(name)
            if binary is None:
                continue
            try:
                await OCIRuntime(name, binary, self.state_dir / "oci" / name).delete(cid, force=True)
            except Exception as e:  # noqa: BLE001 - best effort: the bundle goes either way
                log.debug("leftover container %s: %s delete: %s", cid[:12], name, e)
        log.info("removing container %s left half-created by an earlier runtime", cid[:12])
        await asyncio.to_thread(self._discard_files, cid)

    def _adopt(self) -> list[str]:
        """Load the records; returns the ids of container directories without a record (interrupted
        creates)."""
        for rec in self.state.load_sandboxes():
            gone = (rec.netns_path and not os.path.exists(rec.netns_path)) or \
                (rec.ipc_path and not os.path.ismount(rec.ipc_path))
            if rec.ready and gone:
                rec.ready = False  # the host rebooted: the namespaces are gone
                self.state.save_sandbox(rec)
            self._sandboxes[rec.id] = rec
        for crec in self.state.load_containers():
            self._containers[crec.id] = crec
        # bundles whose create never finished (no record) are leftovers of a crash; this runtime holds the
        # state directory's lock, so no create of another one is in progress
        return [d.name for d in self.state.containers_dir.iterdir()
                if d.is_dir() and not (d / "record.json").exists()]

    async def close(self, teardown_network: bool = False) -> None:
        """Forget in-memory state; containers keep running under their shims.  With ``teardown_network`` (only
        when no sandbox is left) the bridge, the guard table and the CNI allocations are removed too."""
        if teardown_network and self.cni is not None:
            await self.cni.teardown()
            await asyncio.to_thread(_remove_cgroup, "/kybernetes", recursive=False)
        self._started = False
        self._unlock_state_dir()

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def _require_oci(self) -> OCIRuntime:
        if self.oci is None:
            raise RuntimeError_("runtime not started")
        return self.oci

    def _oci_for(self, rec: ContainerRecord) -> OCIRuntime:
        oci = self._require_oci()
        if rec.oci_runtime == oci.name:
            return oci
        binary = find_runtime(rec.oci_runtime)
        if binary is None:
            raise RuntimeError_(f"{rec.oci_runtime} (used by container {rec.id}) is not installed any more")
        return OCIRuntime(rec.oci_runtime, binary, self.state_dir / "oci" / rec.oci_runtime)

    # ------------------------------------------------------------------ RuntimeService: version
    async def version(self) -> VersionInfo:
        oci = self._require_oci()
        return VersionInfo(version="0.1.0", runtime_name=RUNTIME_NAME,
                           runtime_version=f"{RUNTIME_VERSION}+{oci.name}", runtime_api_version="v1")

    # ------------------------------------------------------------------ sandboxes
    def _sandbox(self, sandbox_id: str) -> SandboxRecord:
        rec = self._sandboxes.get(sandbox_id)
        if rec is None:
            matches = [r for r in self._sandboxes.values() if r.id.startswith(sandbox_id)] if sandbox_id else []
            if len(matches) != 1:
                raise NotFoundError(f"pod sandbox {sandbox_id!r} not found")
            rec = matches[0]
        return rec

    @staticmethod
    def _sandbox_config(rec: SandboxRecord) -> PodSandboxConfig:
        return decode(PodSandboxConfig, rec.config)

    def _sandbox_dir(self, sandbox_id: str) -> Path:
        return self.state.sandboxes_dir / sandbox_id

    async def run_pod_sandbox(self, config: PodSandboxConfig, runtime_handler: str = "") -> str:
        """Create the pod's namespaces, network and files; returns the sandbox id.  Everything made is undone
        when a step fails (RuntimeError_)."""
        self._require_oci()
        sid = _new_id()
        opts = config.security_context.namespace_options
        host_network = opts.network == NamespaceMode.NODE
        sdir = self._sandbox_dir(sid)
        sdir.mkdir(parents=True)
        owned = not config.cgroup_parent
        rec = SandboxRecord(id=sid, config=encode(config), created_at=_now(), files_dir=str(sdir / "files"),
                            cgroup_parent=config.cgroup_parent or f"/kybernetes/pod{config.uid}",
                            cgroup_owned=owned)
        try:
            async with self._lock(sid):
                if not host_network:
                    if self.cni is None or not self.cni.plugin_available():
                        raise RuntimeError_("pod network unavailable: CNI plugins are not installed")
                    rec.netns_path = await asyncio.to_thread(sbx.create_netns, sid)
                if opts.ipc != NamespaceMode.NODE:
                    rec.ipc_path = await asyncio.to_thread(sbx.create_ipc_namespace, str(sdir / "ipc"))
                    await asyncio.to_thread(sbx.mount_shm, str(sdir / "shm"))
                if opts.pid == NamespaceMode.POD:
                    rec.pid_holder, rec.pid_holder_start = await asyncio.to_thread(sbx.start_pid_holder)
                self.state.save_sandbox(rec)  # from here on a crash leaves a record to clean up
                self._sandboxes[sid] = rec
                if not host_network:
                    assert self.cni is not None
                    result = await self.cni.add(sid, rec.netns_path, self._cni_args(config, sid),
                                                config.port_mappings)
                    rec.cni_result = result
                    rec.ips = result_ips(result)
                hostname = config.hostname or config.name
                await asyncio.to_thread(sbx.write_files, rec.files_dir, hostname, config.dns_config, rec.ips,
                                        host_network)
                self.state.save_sandbox(rec)
        except BaseException:
            await self._teardown_sandbox(rec, release_network=True)
            await asyncio.to_thread(sbx.remove_dir, str(sdir))
            self.state.delete_sandbox(sid)
            self._sandboxes.pop(sid, None)
            raise
        return sid

    @staticmethod
    def _cni_args(config: PodSandboxConfig, sid: str) -> str:
        return CNINetwork.cni_args(config.namespace, config.name, config.uid, sid)

    async def _teardown_sandbox(self, rec: SandboxRecord, release_network: bool) -> None:
        """Release the network (CNI DEL, netns) and the PID holder; marks the record not ready."""
        config = self._sandbox_config(rec)
        if release_network and rec.netns_path and self.cni is not None:
            try:
                await self.cni.delete(rec.id, rec.netns_path, self._cni_args(config, rec.id),
                                      config.port_mappings, rec.cni_result)
            except CNIError as e:
                log.warning("CNI DEL for sandbox %s: %s", rec.id[:12], e)
        if rec.netns_path:
            await asyncio.to_thread(sbx.delete_netns, rec.netns_path)
        if rec.pid_holder:
            sbx.stop_pid_holder(rec.pid_holder, rec.pid_holder_start)
        rec.ready = False

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Kill the sandbox's containers, release its network and namespaces.  Idempotent; an unknown sandbox
        is not an error."""
        try:
            rec = self._sandbox(pod_sandbox_id)
        except NotFoundError:
            return
        for c in [c for c in self._containers.values() if c.sandbox_id == rec.id]:
            await self.stop_container(c.id, 0)
        async with self._lock(rec.id):
            if rec.ready or rec.netns_path and os.path.exists(rec.netns_path):
                await self._teardown_sandbox(rec, release_network=True)
                self.state.save_sandbox(rec)

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Stop the sandbox, remove its containers, files and pod cgroup.  Unknown sandboxes are ignored."""
        try:
            rec = self._sandbox(pod_sandbox_id)
        except NotFoundError:
            return
        await self.stop_pod_sandbox(rec.id)
        for c in [c for c in self._containers.values() if c.sandbox_id == rec.id]:
            await self.remove_container(c.id)
        async with self._lock(rec.id):
            await asyncio.to_thread(sbx.remove_dir, str(self._sandbox_dir(rec.id)))
            if rec.cgroup_owned:
                await asyncio.to_thread(_remove_cgroup, rec.cgroup_parent)
            self.state.delete_sandbox(rec.id)
            self._sandboxes.pop(rec.id, None)
        self._locks.pop(rec.id, None)

    async def pod_sandbox_status(self, pod_sandbox_id: str) -> PodSandboxStatus:
        rec = self._sandbox(pod_sandbox_id)
        c = self._sandbox_config(rec)
        ready = rec.ready and (not rec.netns_path or os.path.exists(rec.netns_path))
        return PodSandboxStatus(
            id=rec.id, name=c.name, uid=c.uid, namespace=c.namespace, attempt=c.attempt,
            state=SandboxState.SANDBOX_READY if ready else SandboxState.SANDBOX_NOTREADY, created_at=rec.created_at,
            ip=rec.ips[0] if rec.ips and ready else "", additional_ips=rec.ips[1:] if ready else [],
            network_namespace_path=rec.netns_path, labels=dict(c.labels), annotations=dict(c.annotations))

    async def list_pod_sandbox(self, label_selector: dict[str, str] | None = None) -> list[PodSandbox]:
        out = []
        for rec in list(self._sandboxes.values()):
            c = self._sandbox_config(rec)
            if not _matches(c.labels, label_selector):
                continue
            ready = rec.ready and (not rec.netns_path or os.path.exists(rec.netns_path))
            out.append(PodSandbox(id=rec.id, name=c.name, uid=c.uid, namespace=c.namespace, attempt=c.attempt,
                                  state=SandboxState.SANDBOX_READY if ready else SandboxState.SANDBOX_NOTREADY,
                                  created_at=rec.created_at, labels=dict(c.labels),
                                  annotations=dict(c.annotations)))
        return sorted(out, key=lambda s: s.created_at)

    # ------------------------------------------------------------------ containers
    def _container(self, container_id: str) -> ContainerRecord:
        rec = self._containers.get(container_id)
        if rec is None:
            matches = [r for r in self._containers.values() if r.id.startswith(container_id)] if container_id else []
            if len(matches) != 1:
                raise NotFoundError(f"container {container_id!r} not found")
            rec = matches[0]
        return rec

    def _log_path(self, sandbox_config: PodSandboxConfig, config: ContainerConfig, sid: str, cid: str) -> str:
        if config.log_path:
            if os.path.isabs(config.log_path):
                return config.log_path
            if sandbox_config.log_directory:
                return os.path.join(sandbox_config.log_directory, config.log_path)
        return str(self.log_root / sid / f"{config.name}_{config.attempt}_{cid[:12]}.log")

    async def create_container(self, pod_sandbox_id: str, config: ContainerConfig,
                               sandbox_config: PodSandboxConfig) -> str:
        """Mount the rootfs, write the bundle, start the shim (which runs the OCI ``create``); returns the id.
        Raises NotFoundError (sandbox or image) or RuntimeError_ (the create failed: message says why)."""
        oci = self._require_oci()
        srec = self._sandbox(pod_sandbox_id)
        if not srec.ready:
            raise RuntimeError_(f"pod sandbox {srec.id[:12]} is not ready")
        image = self.images.resolve(config.image.image)
        if image is None:
            raise NotFoundError(f"image {config.image.image!r} not found")
        cid = _new_id()
        bundle = self.state.container_dir(cid) / "bundle"
        rw = self.root_dir / "containers" / cid
        image_config = (await asyncio.to_thread(self.images.config, image)).get("config") or {}
        if not config.stop_signal and image_config.get("StopSignal"):
            config = dataclasses.replace(config, stop_signal=image_config["StopSignal"])  # the caller's stays
        cgroups_path = f"{srec.cgroup_parent.rstrip('/')}/{cid}"
        mem_cgroup = (f"/sys/fs/cgroup/memory{cgroups_path}" if os.path.isdir("/sys/fs/cgroup/memory")
                      else f"/sys/fs/cgroup{cgroups_path}")
        log_path = self._log_path(sandbox_config, config, srec.id, cid)
        rec = ContainerRecord(id=cid, sandbox_id=srec.id, config=encode(config), image=config.image.image,
                              image_ref=image.id, created_at=_now(), bundle=str(bundle), log_path=log_path,
                              cgroups_path=cgroups_path, oci_runtime=oci.name, memory_cgroup=mem_cgroup,
                              rw_dir=str(rw), image_layers=list(image.layers))
        async with self._lock(cid):
            try:
                await asyncio.to_thread(self._prepare_bundle, rec, image, image_config, config, srec)
                ok = await self._spawn_shim(rec, oci)
                if not ok[0] and oci.name == "crun" and "cgroup" in ok[1] and find_runtime("runc"):
                    runc = OCIRuntime("runc", find_runtime("runc") or "runc", self.state_dir / "oci" / "runc")
                    log.warning("crun failed (%s); trying runc", ok[1])
                    rec.oci_runtime = "runc"
                    ok = await self._spawn_shim(rec, runc)
                if not ok[0]:
                    raise RuntimeError_(ok[1])
                self.state.save_container(rec)
                self._containers[cid] = rec
                self.images.touch(image)
            except BaseException:
                await asyncio.to_thread(self._discard_files, rec.id)
                raise
        return cid

    def _prepare_bundle(self, rec: ContainerRecord, image: ImageRecord, image_config: dict[str, Any],
                        config: ContainerConfig, srec: SandboxRecord) -> None:
        bundle = Path(rec.bundle)
        rootfs = bundle / "rootfs"
        rootfs.mkdir(parents=True)
        rw = Path(rec.rw_dir)
        (rw / "upper").mkdir(parents=True)
        (rw / "work").mkdir()
        mount_overlay(self.images.lowerdirs(image), str(rw / "upper"), str(rw / "work"), str(rootfs))
        rec.rootfs_mounted = True
        sconf = self._sandbox_config(srec)
        sdir = self._sandbox_dir(srec.id)
        files = Path(srec.files_dir)
        ns = SandboxNamespaces(
            netns_path=srec.netns_path, ipc_path=srec.ipc_path,
            pid_path=f"/proc/{srec.pid_holder}/ns/pid" if _alive(srec.pid_holder, srec.pid_holder_start) else "",
            shm_path=str(sdir / "shm") if srec.ipc_path else "",
            hostname_file=str(files / "hostname"), resolv_conf=str(files / "resolv.conf"),
            hosts_file=str(files / "hosts"))
        hostname = sconf.hostname or sconf.name
        spec = build_spec(container_id=rec.id, config=config, sandbox_config=sconf, sandbox=ns,
                          image_config=image_config, rootfs=str(rootfs), cgroups_path=rec.cgroups_path,
                          hostname=hostname)
        (bundle / "config.json").write_bytes(orjson.dumps(spec, option=orjson.OPT_INDENT_2))
        os.makedirs(os.path.dirname(rec.log_path), exist_ok=True)

    def _discard_files(self, cid: str) -> None:
        """Unmount and remove a container's bundle, state directory and writable layer (all named by its id)."""
        d = self.state.container_dir(cid)
        unmount(str(d / "bundle" / "rootfs"))
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self.root_dir / "containers" / cid, ignore_errors=True)

    async def _spawn_shim(self, rec: ContainerRecord, oci: OCIRuntime) -> tuple[bool, str]:
        """Start the shim and wait for its first word: (True, "") once the container is created."""
        status_path = self.state.status_path(rec.id)
        status_path.unlink(missing_ok=True)
        shim_log = open(self.state.container_dir(rec.id) / "shim.log", "ab")  # noqa: SIM115
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-S", "-m", "kybernetes.cri.shim", "--id", rec.id, "--bundle", rec.bundle,
                "--runtime", oci.binary, "--root", oci.root, "--status", str(status_path), "--log", rec.log_path,
                "--max-size", str(self.log_max_size), "--max-files", str(self.log_max_files),
                "--memory-cgroup", rec.memory_cgroup,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=shim_log, start_new_session=True,
                env={**os.environ, "PYTHONPATH": _PACKAGE_PARENT})
        finally:
            shim_log.close()
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
        except asyncio.TimeoutError:
            line = b""
        await proc.wait()
        try:
            msg = orjson.loads(line) if line.strip() else {"ok": False, "error": "the shim died before creating"}
        except orjson.JSONDecodeError:
            msg = {"ok": False, "error": f"the shim said {line[:200]!r}"}
        if not msg.get("ok"):
            return False, str(msg.get("error") or "create failed")
        rec.pid = int(msg["pid"])
        rec.pid_start = sbx.process_start_time(rec.pid)
        rec.shim_pid = int(msg.get("shim_pid", 0))
        rec.shim_start = sbx.process_start_time(rec.shim_pid)
        rec.oci_runtime = oci.name
        return True, ""

    def _status_doc(self, rec: ContainerRecord) -> dict[str, Any]:
        return read_json(self.state.status_path(rec.id)) or {}

    def _state_of(self, rec: ContainerRecord) -> tuple[ContainerState, dict[str, Any]]:
        doc = self._status_doc(rec)
        if doc.get("state") == "exited":
            return ContainerState.CONTAINER_EXITED, doc
        if _alive(rec.pid, rec.pid_start):
            return (ContainerState.CONTAINER_RUNNING if rec.started_at else ContainerState.CONTAINER_CREATED), doc
        if _alive(rec.shim_pid, rec.shim_start):
            # the init is gone but the shim has not written the exit yet (draining logs): still running
            return (ContainerState.CONTAINER_RUNNING if rec.started_at else ContainerState.CONTAINER_CREATED), doc
        # neither init nor shim: the shim was killed, the exit code is lost
        return ContainerState.CONTAINER_EXITED, {"state": "exited", "exit_code": 255, "lost": True,
                                                 "finished_at": doc.get("finished_at", 0)}

    async def start_container(self, container_id: str) -> None:
        """Start a created container.  Raises RuntimeError_ when it is not in the created state or start fails."""
        rec = self._container(container_id)
        async with self._lock(rec.id):
            state, _ = self._state_of(rec)
            if state != ContainerState.CONTAINER_CREATED:
                raise RuntimeError_(f"container {rec.id[:12]} is in state {state.name}, not CONTAINER_CREATED")
            started_at = _now()  # before: a quick container may have exited when ``start`` returns
            try:
                await self._oci_for(rec).start(rec.id, log_file=str(Path(rec.bundle) / "oci.log"))
            except RuntimeError_ as e:
                rec.message = str(e)
                self.state.save_container(rec)
                raise
            rec.started_at = started_at
            self.state.save_container(rec)

    async def _wait_exited(self, rec: ContainerRecord, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state, _ = self._state_of(rec)
            if state == ContainerState.CONTAINER_EXITED:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL)

    async def stop_container(self, container_id: str, timeout: int) -> None:
        """Send the stop signal (the config's, the image's, else SIGTERM), wait up to ``timeout`` seconds, then
        SIGKILL; returns once the container has exited.  Stopping a stopped container is a no-op; a created one
        is killed at once."""
        rec = self._container(container_id)
        async with self._lock(rec.id):
            state, _ = self._state_of(rec)
            if state == ContainerState.CONTAINER_EXITED:
                return
            oci = self._oci_for(rec)
            config = decode(ContainerConfig, rec.config)
            if timeout > 0 and state == ContainerState.CONTAINER_RUNNING:
                await oci.kill(rec.id, _signal_number(config.stop_signal))
                if await self._wait_exited(rec, timeout):
                    return
            for _ in range(3):
                await oci.kill(rec.id, signal.SIGKILL, all_processes=state != ContainerState.CONTAINER_RUNNING)
                if await self._wait_exited(rec, 10):
                    return
            raise RuntimeError_(f"container {rec.id[:12]} did not exit after SIGKILL")

    async def remove_container(self, container_id: str) -> None:
        """Kill (if needed) and remove the container: OCI state, cgroup, rootfs mount, bundle, writable layer.
        The log file stays (the kubelet owns log directories).  Unknown ids are ignored."""
        try:
            rec = self._container(container_id)
        except NotFoundError:
            return
        state, _ = self._state_of(rec)
        if state != ContainerState.CONTAINER_EXITED:
            await self.stop_container(rec.id, 0)
        async with self._lock(rec.id):
            await self._oci_for(rec).delete(rec.id, force=True)
            await asyncio.to_thread(self._discard_files, rec.id)
            await asyncio.to_thread(_remove_cgroup, rec.cgroups_path)
            self._containers.pop(rec.id, None)
        self._locks.pop(rec.id, None)

    def _container_item(self, rec: ContainerRecord, state: ContainerState) -> Container:
        c = decode(ContainerConfig, rec.config)
        return Container(id=rec.id, pod_sandbox_id=rec.sandbox_id, name=c.name, attempt=c.attempt,
                         image=c.image, image_ref=rec.image_ref, state=state, created_at=rec.created_at,
                         labels=dict(c.labels), annotations=dict(c.annotations))

    async def list_containers(self, pod_sandbox_id: str = "", label_selector: dict[str, str] | None = None,
                              state: ContainerState | None = None) -> list[Container]:
        out = []
        for rec in list(self._containers.values()):
            if pod_sandbox_id and not rec.sandbox_id.startswith(pod_sandbox_id):
                continue
            st, _ = self._state_of(rec)
            if state is not None and st != state:
                continue
            item = self._container_item(rec, st)
            if _matches(item.labels, label_selector):
                out.append(item)
        return sorted(out, key=lambda c: c.created_at)

    async def container_status(self, container_id: str) -> ContainerStatus:
        rec = self._container(container_id)
        c = decode(ContainerConfig, rec.config)
        st, doc = self._state_of(rec)
        status = ContainerStatus(
            id=rec.id, name=c.name, attempt=c.attempt, state=st, created_at=rec.created_at, image=c.image,
            image_ref=rec.image_ref, started_at=rec.started_at, labels=dict(c.labels),
            annotations=dict(c.annotations), mounts=list(c.mounts), log_path=rec.log_path, message=rec.message)
        if st == ContainerState.CONTAINER_RUNNING:
            status.pid = rec.pid
        if st == ContainerState.CONTAINER_EXITED:
            status.exit_code = int(doc.get("exit_code", 255))
            status.finished_at = int(doc.get("finished_at") or 0)
            if doc.get("oom_killed"):
                status.reason = "OOMKilled"
            elif doc.get("lost"):
                status.reason, status.message = "Error", "the container's exit code was lost (its shim died)"
            elif not rec.started_at:
                status.reason = "ContainerCannotRun" if rec.message else "Error"
            else:
                status.reason = "Completed" if status.exit_code == 0 else "Error"
        return status

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: float = 0) -> ExecSyncResponse:
        """Run ``cmd`` in the running container and collect its output.  Raises RuntimeError_ when the container
        is not running or the command timed out."""
        rec = self._container(container_id)
        st, _ = self._state_of(rec)
        if st != ContainerState.CONTAINER_RUNNING:
            raise RuntimeError_(f"container {rec.id[:12]} is not running")
        rc, out, err = await self._oci_for(rec).exec(rec.id, list(cmd), timeout)
        return ExecSyncResponse(stdout=out, stderr=err, exit_code=rc)

    def exec_argv(self, container_id: str, cmd: list[str], pid_file: str = "") -> list[str]:
        """The command line that runs ``cmd`` in the running container with the caller's stdio (the streaming
        exec of ``kubectl exec``: the caller spawns it and carries its streams; ``pid_file`` receives the host PID
        of the command, so that the caller can end it). Raises RuntimeError_ when the container is not running."""
        rec = self._container(container_id)
        st, _ = self._state_of(rec)
        if st != ContainerState.CONTAINER_RUNNING:
            raise RuntimeError_(f"container {rec.id[:12]} is not running")
        return [*self._oci_for(rec).base_argv(), "exec", *(["--pid-file", pid_file] if pid_file else []), rec.id,
                *cmd]

    async def reopen_container_log(self, container_id: str) -> None:
        """Ask the shim to reopen the log file (after the caller renamed it).  Raises RuntimeError_ when the
        container is not running."""
        rec = self._container(container_id)
        st, _ = self._state_of(rec)
        if st != ContainerState.CONTAINER_RUNNING or not _alive(rec.shim_pid, rec.shim_start):
            raise RuntimeError_(f"container {rec.id[:12]} is not running")
        os.kill(rec.shim_pid, signal.SIGUSR1)

    # ------------------------------------------------------------------ ImageService
    @staticmethod
    def _image_item(rec: ImageRecord, config: dict[str, Any]) -> Image:
        user = (config.get("config") or {}).get("User") or ""
        name = user.split(":")[0]
        uid: int | None = int(name) if name.isdigit() else (0 if not name else None)
        return Image(id=rec.id, repo_tags=list(rec.repo_tags), repo_digests=list(rec.repo_digests), size=rec.size,
                     uid=uid, username="" if name.isdigit() else name, pinned=rec.pinned)

    async def list_images(self) -> list[Image]:
        return [self._image_item(r, self.images.config(r)) for r in self.images.list()]

    async def image_status(self, image: ImageSpec) -> Image | None:
        rec = self.images.resolve(image.image)
        return None if rec is None else self._image_item(rec, self.images.config(rec))

    async def pull_image(self, image: ImageSpec, auth: AuthConfig | None = None,
                         sandbox_config: PodSandboxConfig | None = None) -> str:
        """Pull from the registry (mirrors first).  When every endpoint fails but the image is present
        locally (an offline node asked to pull ``busybox``), the local image is returned."""
        try:
            rec = await self.puller.pull(image.image, auth)
        except RuntimeError_ as e:
            local = self.images.resolve(image.image)
            if local is None:
                raise
            log.info("pull of %s failed (%s); using the local image", image.image, e)
            rec = local
        return rec.id

    async def remove_image(self, image: ImageSpec) -> None:
        """Remove the image and its unshared blobs/layers (layers mounted by containers stay).  Missing is fine."""
        keep = {layer for c in self._containers.values() for layer in c.image_layers}
        await asyncio.to_thread(self.images.remove, image.image, keep)

    async def image_fs_info(self) -> list[FilesystemUsage]:
        used, inodes = await asyncio.to_thread(self.images.disk_usage)
        return [FilesystemUsage(mountpoint=str(self.images.root), used_bytes=used, inodes_used=inodes)]

    # ------------------------------------------------------------------ extras (not CRI RPCs)
    async def import_archive(self, path: str, name: str | None = None) -> list[str]:
        """Import a docker-archive or oci-archive tarball; returns the image ids."""
        return await asyncio.to_thread(self.images.import_archive, path, name)

    async def gc_images(self, target_bytes: int) -> list[str]:
        """Remove unused images (least recently used first) until the store is under ``target_bytes``."""
        in_use = {c.image_ref for c in self._containers.values()}
        keep = {layer for c in self._containers.values() for layer in c.image_layers}
        return await asyncio.to_thread(self.images.gc, target_bytes, in_use, keep)


def _remove_cgroup(path: str, recursive: bool = True) -> None:
    """rmdir ``path`` (and, when ``recursive``, its empty children) in every cgroup hierarchy mounted under
    /sys/fs/cgroup; a cgroup still in use stays."""
    rel = path.strip("/")
    if not rel:
        return
    base = Path("/sys/fs/cgroup")
    candidates = [base / rel]
    try:
        candidates += [h / rel for h in base.iterdir() if h.is_dir()]
    except OSError:
        return
    for d in candidates:
        if not d.is_dir():
            continue
        subs = [p for p in d.rglob("*") if p.is_dir()] if recursive else []
        for sub in sorted(subs, key=lambda p: len(p.parts), reverse=True):
            try:
                sub.rmdir()
            except OSError:
                pass
        try:
            d.rmdir()
        except OSError:
            pass
