"""What the container runtime knows about one pod, and the labels that tie runtime objects back to pods.

The kubelet keeps no database: after a restart it rebuilds everything from the runtime.  Every sandbox and container
it creates carries the pod's identity as CRI labels (``io.kubernetes.pod.uid``/``name``/``namespace`` and, for
containers, ``io.kubernetes.container.name``) and the facts needed to manage it later as annotations (spec hash,
restart count, termination message path and policy, grace period, preStop handler).  :class:`PodRuntime` is one
snapshot of a pod's sandboxes and container instances, newest first, as :func:`fetch` reads it through the CRI.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from kybernetes.cri.api import (
    ContainerState, ContainerStatus, NotFoundError, PodSandboxStatus, RuntimeService, SandboxState,
)

__all__ = [
    "LABEL_POD_NAME", "LABEL_POD_NAMESPACE", "LABEL_POD_UID", "LABEL_CONTAINER_NAME", "ANNOTATION_HASH",
    "ANNOTATION_RESTART_COUNT", "ANNOTATION_TERMINATION_MESSAGE_PATH", "ANNOTATION_TERMINATION_MESSAGE_POLICY",
    "ANNOTATION_POD_GRACE", "ANNOTATION_PRESTOP", "ANNOTATION_PORTS", "ANNOTATION_INIT", "ANNOTATION_TERMINATION_LOG",
    "PodRuntime", "fetch",
    "restart_count",
]

LABEL_POD_NAME = "io.kubernetes.pod.name"
LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace"
LABEL_POD_UID = "io.kubernetes.pod.uid"
LABEL_CONTAINER_NAME = "io.kubernetes.container.name"
ANNOTATION_HASH = "io.kubernetes.container.hash"
ANNOTATION_RESTART_COUNT = "io.kubernetes.container.restartCount"
ANNOTATION_TERMINATION_MESSAGE_PATH = "io.kubernetes.container.terminationMessagePath"
ANNOTATION_TERMINATION_MESSAGE_POLICY = "io.kubernetes.container.terminationMessagePolicy"
ANNOTATION_POD_GRACE = "io.kubernetes.pod.terminationGracePeriod"
ANNOTATION_PRESTOP = "io.kubernetes.container.preStopHandler"
ANNOTATION_PORTS = "io.kubernetes.container.ports"
ANNOTATION_INIT = "kybernetes.io/init-container"  # "true" on init containers (ours; upstream reads the spec)
ANNOTATION_TERMINATION_LOG = "kybernetes.io/termination-log"  # host path of the termination-log file (ours)


def restart_count(status: ContainerStatus) -> int:
    """The restart count recorded on a container instance (its annotation, else its CRI attempt)."""
    try:
        return int(status.annotations.get(ANNOTATION_RESTART_COUNT, status.attempt))
    except ValueError:
        return status.attempt


@dataclass
class PodRuntime:
    """One pod as the runtime has it.  ``sandboxes`` and ``containers`` are sorted newest first;
    ``termination_messages`` maps container id -> message read from its termination-log file (filled by the
    kubelet, which can read the host side of the mount)."""

    uid: str
    sandboxes: list[PodSandboxStatus] = field(default_factory=list)
    containers: list[ContainerStatus] = field(default_factory=list)
    termination_messages: dict[str, str] = field(default_factory=dict)

    @property
    def sandbox(self) -> PodSandboxStatus | None:
        """The newest sandbox (ready or not)."""
        return self.sandboxes[0] if self.sandboxes else None

    def ready_sandbox(self) -> PodSandboxStatus | None:
        s = self.sandbox
        return s if s is not None and s.state == SandboxState.SANDBOX_READY else None

    def ips(self) -> list[str]:
        s = self.ready_sandbox()
        if s is None or not s.ip:
            return []
        return [s.ip, *s.additional_ips]

    def latest(self, name: str) -> ContainerStatus | None:
        """The newest instance of container ``name``."""
        for c in self.containers:
            if c.name == name:
                return c
        return None

    def instances(self, name: str) -> list[ContainerStatus]:
        return [c for c in self.containers if c.name == name]

    def running(self) -> list[ContainerStatus]:
        return [c for c in self.containers if c.state == ContainerState.CONTAINER_RUNNING]

    def is_empty(self) -> bool:
        return not self.sandboxes and not self.containers


async def fetch(runtime: RuntimeService, uid: str) -> PodRuntime:
    """Read pod ``uid``'s sandboxes and containers through the CRI (objects that vanish meanwhile are skipped).
    Raises the runtime's errors otherwise."""
    sel = {LABEL_POD_UID: uid}
    sandboxes, containers = await asyncio.gather(runtime.list_pod_sandbox(sel), runtime.list_containers(
        label_selector=sel))
    out = PodRuntime(uid)
    for sb in sandboxes:
        try:
            out.sandboxes.append(await runtime.pod_sandbox_status(sb.id))
        except NotFoundError:
            continue
    for c in containers:
        try:
            out.containers.append(await runtime.container_status(c.id))
        except NotFoundError:
            continue
    out.sandboxes.sort(key=lambda s: (s.created_at, s.attempt), reverse=True)
    out.containers.sort(key=lambda c: (c.created_at, c.attempt), reverse=True)
    return out
