"""Pod cgroups on cgroup v1 with the cgroupfs driver: one cgroup per pod under its QoS class, as upstream lays
them out.

    <root>/kubepods                       all pods (cpu.shares = allocatable cpu)
    <root>/kubepods/pod<uid>              Guaranteed pods
    <root>/kubepods/burstable/pod<uid>    Burstable pods (burstable's cpu.shares = sum of their cpu requests)
    <root>/kubepods/besteffort/pod<uid>   BestEffort pods (besteffort's cpu.shares = 2)

``<root>`` is upstream's ``--cgroup-root`` (default ``/``).  The same path is created in every v1 controller
hierarchy mounted under the mount point (``/sys/fs/cgroup``: cpu,
cpuacct, cpuset, memory, pids, hugetlb, blkio, devices, freezer); cpuset children inherit the parent's cpus and
mems.  A pod's cgroup gets ``cpu.shares`` from the sum of its cpu requests, ``cpu.cfs_quota_us`` and
``memory.limit_in_bytes`` when every container has the limit, and ``pids.max`` from the node's pod pid limit.  The
runtime receives the pod cgroup's path as the sandbox's ``cgroup_parent`` and creates the containers' cgroups
below it.  :meth:`CgroupManager.remove_pod` kills what is still inside and removes the pod's cgroups, children
first.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import time
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from kybernetes.kubelet.status import qos_class
from kybernetes.machinery.quantity import parse_quantity

__all__ = ["CgroupManager", "pod_cgroup_name", "milli_cpu_to_shares", "milli_cpu_to_quota", "pod_requests",
           "CONTROLLERS", "CPU_PERIOD"]

log = logging.getLogger(__name__)

CONTROLLERS = ("cpu", "cpuacct", "cpuset", "memory", "pids", "hugetlb", "blkio", "devices", "freezer")
CPU_PERIOD = 100_000
MIN_SHARES = 2
MAX_SHARES = 262_144
MIN_QUOTA = 1_000


def milli_cpu_to_shares(milli: int) -> int:
    """cpu.shares for a cpu request in millicores (2 for none, as upstream)."""
    if milli == 0:
        return MIN_SHARES
    return max(MIN_SHARES, min(MAX_SHARES, milli * 1024 // 1000))


def milli_cpu_to_quota(milli: int, period: int = CPU_PERIOD) -> int:
    """cfs quota (µs per period) for a cpu limit in millicores (0 = no limit)."""
    if milli == 0:
        return 0
    return max(MIN_QUOTA, milli * period // 1000)


def _milli(q: Any) -> int:
    return int(parse_quantity(q) * 1000 + Fraction(999, 1000)) if q is not None else 0


def pod_requests(pod: Mapping[str, Any]) -> tuple[int, int | None, int | None]:
    """(cpu request millicores, cpu limit millicores or None, memory limit bytes or None) of the pod: regular
    containers summed, then raised to the largest init container (upstream's effective request); a limit is None
    when some container has none."""
    spec = pod.get("spec") or {}

    def res(c: Mapping[str, Any], kind: str, name: str) -> Any:
        return ((c.get("resources") or {}).get(kind) or {}).get(name)

    cpu_req = sum(_milli(res(c, "requests", "cpu")) for c in spec.get("containers") or ())
    cpu_lim: int | None = 0
    mem_lim: int | None = 0
    for c in spec.get("containers") or ():
        lc, lm = res(c, "limits", "cpu"), res(c, "limits", "memory")
        cpu_lim = None if cpu_lim is None or lc is None else cpu_lim + _milli(lc)
        mem_lim = None if mem_lim is None or lm is None else mem_lim + int(parse_quantity(lm))
    for c in spec.get("initContainers") or ():
        cpu_req = max(cpu_req, _milli(res(c, "requests", "cpu")))
        lc, lm = res(c, "limits", "cpu"), res(c, "limits", "memory")
        if cpu_lim is not None:
            cpu_lim = None if lc is None else max(cpu_lim, _milli(lc))
        if mem_lim is not None:
            mem_lim = None if lm is None else max(mem_lim, int(parse_quantity(lm)))
    if not spec.get("containers"):
        cpu_lim = mem_lim = None
    return cpu_req, cpu_lim, mem_lim


def _join(root: str, rel: str) -> str:
    return "/" + "/".join(p for p in (root.strip("/"), rel.strip("/")) if p)


def pod_cgroup_name(pod: Mapping[str, Any], root: str = "/") -> str:
    """The pod's cgroup path, e.g. ``/kubepods/burstable/pod<uid>`` under the cgroup root ``root``."""
    uid = (pod.get("metadata") or {}).get("uid", "")
    qos = qos_class(pod)
    if qos == "Guaranteed":
        return _join(root, f"kubepods/pod{uid}")
    return _join(root, f"kubepods/{qos.lower()}/pod{uid}")


class CgroupManager:
    """Creates and removes the QoS and pod cgroups below ``cgroup_root`` in the hierarchies mounted under ``mount``
    (``/sys/fs/cgroup``).  ``enabled=False`` keeps the names (cgroup_parent) but touches nothing."""

    def __init__(self, mount: str | os.PathLike[str] = "/sys/fs/cgroup", *, cgroup_root: str = "/",
                 enabled: bool = True, pod_pids_limit: int = -1, node_cpu_milli: int = 0) -> None:
        self.root = Path(mount)
        self.cgroup_root = cgroup_root or "/"
        self.kubepods = _join(self.cgroup_root, "kubepods")
        self.enabled = enabled
        self.pod_pids_limit = pod_pids_limit
        self.node_cpu_milli = node_cpu_milli
        self._burstable: dict[str, int] = {}  # uid -> cpu request of burstable pods

    def controllers(self) -> list[Path]:
        """The distinct controller hierarchies present under the root (``cpu`` and ``cpuacct`` are often one)."""
        seen: dict[str, Path] = {}
        for name in CONTROLLERS:
            p = self.root / name
            if p.is_dir():
                seen.setdefault(os.path.realpath(p), p)
        return list(seen.values())

    def _dirs(self, rel: str) -> list[Path]:
        return [c / rel.lstrip("/") for c in self.controllers()]

    @staticmethod
    def _write(path: Path, value: str) -> None:
        try:
            path.write_text(value)
        except OSError as e:
            log.debug("cgroup write %s=%s failed: %s", path, value, e)

    def _mkdir(self, rel: str) -> None:
        for c in self.controllers():
            cpuset = "cpuset" in os.path.basename(os.path.realpath(c))
            parts = [p for p in rel.split("/") if p]
            for i in range(1, len(parts) + 1):
                d = c.joinpath(*parts[:i])
                if d.is_dir():
                    continue
                d.mkdir(exist_ok=True)
                if cpuset:
                    self._inherit_cpuset(d)

    def _inherit_cpuset(self, d: Path) -> None:
        for f in ("cpuset.cpus", "cpuset.mems"):
            target = d / f
            try:
                if target.exists() and target.read_text().strip():
                    continue
            except OSError:
                pass
            parent = d.parent
            while parent != parent.parent and not (parent / f).exists():
                parent = parent.parent
            try:
                value = (parent / f).read_text().strip()
            except OSError:
                continue
            if value:
                self._write(target, value)

    def _controller_dir(self, name: str, rel: str) -> Path | None:
        p = self.root / name
        return p / rel.lstrip("/") if p.is_dir() else None

    def ensure_qos(self) -> None:
        """Create kubepods, kubepods/burstable and kubepods/besteffort (idempotent)."""
        if not self.enabled:
            return
        kp = self.kubepods
        for rel in (kp, f"{kp}/burstable", f"{kp}/besteffort"):
            self._mkdir(rel)
        if self.node_cpu_milli:
            self._set("cpu", kp, "cpu.shares", milli_cpu_to_shares(self.node_cpu_milli))
        self._set("cpu", f"{kp}/besteffort", "cpu.shares", MIN_SHARES)
        self._update_burstable()

    def _set(self, controller: str, rel: str, file: str, value: int | str) -> None:
        d = self._controller_dir(controller, rel)
        if d is not None and d.is_dir():
            self._write(d / file, str(value))

    def _update_burstable(self) -> None:
        self._set("cpu", f"{self.kubepods}/burstable", "cpu.shares",
                  milli_cpu_to_shares(sum(self._burstable.values())))

    def ensure_pod(self, pod: Mapping[str, Any]) -> str:
        """Create (or update) the pod's cgroups and return the cgroup_parent for the runtime."""
        name = pod_cgroup_name(pod, self.cgroup_root)
        if not self.enabled:
            return name
        self.ensure_qos()
        self._mkdir(name)
        cpu_req, cpu_lim, mem_lim = pod_requests(pod)
        qos = qos_class(pod)
        uid = (pod.get("metadata") or {}).get("uid", "")
        if qos == "BestEffort":
            self._set("cpu", name, "cpu.shares", MIN_SHARES)
        else:
            self._set("cpu", name, "cpu.shares", milli_cpu_to_shares(cpu_req))
            if cpu_lim:
                self._set("cpu", name, "cpu.cfs_period_us", CPU_PERIOD)
                self._set("cpu", name, "cpu.cfs_quota_us", milli_cpu_to_quota(cpu_lim))
            if mem_lim:
                self._set("memory", name, "memory.limit_in_bytes", mem_lim)
        if qos == "Burstable" and self._burstable.get(uid) != cpu_req:
            self._burstable[uid] = cpu_req
            self._update_burstable()
        if self.pod_pids_limit > 0:
            self._set("pids", name, "pids.max", self.pod_pids_limit)
        return name

    def exists(self, pod: Mapping[str, Any]) -> bool:
        if not self.enabled:
            return False
        return any(d.is_dir() for d in self._dirs(pod_cgroup_name(pod, self.cgroup_root)))

    def pids(self, rel: str) -> set[int]:
        """Every pid in ``rel`` and its descendants (all hierarchies)."""
        out: set[int] = set()
        for d in self._dirs(rel):
            for sub, _, files in os.walk(d):
                if "cgroup.procs" in files:
                    try:
                        out.update(int(x) for x in Path(sub, "cgroup.procs").read_text().split())
                    except (OSError, ValueError):
                        continue
        return out

    def remove_pod(self, pod: Mapping[str, Any], *, kill: bool = True, timeout: float = 5.0) -> bool:
        """Kill leftover processes (when ``kill``) and remove the pod's cgroups, deepest first.  Returns True when
        nothing is left."""
        if not self.enabled:
            return True
        rel = pod_cgroup_name(pod, self.cgroup_root)
        uid = (pod.get("metadata") or {}).get("uid", "")
        if self._burstable.pop(uid, None) is not None:
            self._update_burstable()
        return self.remove(rel, kill=kill, timeout=timeout)

    def remove_orphan(self, uid: str) -> bool:
        """Remove pod ``uid``'s cgroups whatever its QoS class (its spec is not known any more)."""
        ok = True
        for rel in (f"{self.kubepods}/pod{uid}", f"{self.kubepods}/burstable/pod{uid}",
                    f"{self.kubepods}/besteffort/pod{uid}"):
            ok = self.remove(rel) and ok
        return ok

    def remove(self, rel: str, *, kill: bool = True, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if kill:
                for pid in self.pids(rel):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            left = False
            for d in self._dirs(rel):
                if not d.exists():
                    continue
                for sub in sorted((Path(p) for p, _, _ in os.walk(d)), key=lambda p: len(p.parts), reverse=True):
                    try:
                        sub.rmdir()
                    except FileNotFoundError:
                        pass
                    except OSError as e:
                        if e.errno == errno.ENOTEMPTY:  # not a cgroupfs (tests imitate one with plain files)
                            _rm_plain(sub)
                        else:
                            left = True
            if not left or time.monotonic() > deadline:
                return not left
            time.sleep(0.05)

    def pod_cgroups(self) -> Iterable[str]:
        """UIDs of the pod cgroups that exist (to find orphans after a restart)."""
        out = set()
        for c in self.controllers():
            kp = c / self.kubepods.lstrip("/")
            for parent in (kp, kp / "burstable", kp / "besteffort"):
                if parent.is_dir():
                    for d in parent.iterdir():
                        if d.is_dir() and d.name.startswith("pod"):
                            out.add(d.name[3:])
        return sorted(out)


def _rm_plain(d: Path) -> None:
    """Remove a directory of plain files (a cgroup tree imitated on an ordinary filesystem, as tests do)."""
    for f in d.iterdir():
        if f.is_file():
            f.unlink()
    d.rmdir()
