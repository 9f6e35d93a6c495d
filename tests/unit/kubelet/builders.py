"""Builders for kubelet tests: pods as plain dicts, CRI statuses as the runtime reports them."""

from __future__ import annotations

import itertools
from typing import Any

from kybernetes.cri.api import ContainerState, ContainerStatus, ImageSpec, PodSandboxStatus, SandboxState
from kybernetes.kubelet.containers import container_hash
from kybernetes.kubelet.runtimepod import (
    ANNOTATION_HASH, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME, LABEL_POD_UID, PodRuntime,
)

_ids = itertools.count(1)
S = 1_000_000_000  # ns per second
T0 = 1_700_000_000 * S


def container(name: str, image: str = "busybox", **kw: Any) -> dict[str, Any]:
    c = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    c.update(kw)
    return c


def pod(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = (), restart: str = "Always",
        name: str = "web", ns: str = "default", uid: str = "uid-1", **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"containers": list(containers) or [container("app")], "restartPolicy": restart,
                         "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}
    if init:
        s["initContainers"] = list(init)
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "uid": uid},
            "spec": s, "status": {"phase": "Pending"}}


def cs(spec: dict[str, Any], state: str, *, attempt: int = 0, exit_code: int = 0, reason: str = "", at: int = 0,
       cid: str = "", uid: str = "uid-1", message: str = "") -> ContainerStatus:
    """A CRI container status for container ``spec`` created ``at`` seconds after T0."""
    st = {"created": ContainerState.CONTAINER_CREATED, "running": ContainerState.CONTAINER_RUNNING,
          "exited": ContainerState.CONTAINER_EXITED, "unknown": ContainerState.CONTAINER_UNKNOWN}[state]
    created = T0 + at * S
    return ContainerStatus(
        id=cid or f"c{next(_ids)}", name=spec["name"], attempt=attempt, state=st, created_at=created,
        image=ImageSpec(spec["image"]), image_ref="sha256:" + "ab" * 32,
        started_at=created + S if state != "created" else 0,
        finished_at=created + 5 * S if state == "exited" else 0, exit_code=exit_code,
        reason=reason or ("" if state != "exited" else "Completed" if exit_code == 0 else "Error"), message=message,
        labels={LABEL_POD_UID: uid, LABEL_CONTAINER_NAME: spec["name"]},
        annotations={ANNOTATION_HASH: container_hash(spec), ANNOTATION_RESTART_COUNT: str(attempt)})


def sandbox(*, ready: bool = True, ip: str = "10.42.0.5", attempt: int = 0, sid: str = "sb1",
            uid: str = "uid-1") -> PodSandboxStatus:
    return PodSandboxStatus(id=sid, name="web", uid=uid, namespace="default", attempt=attempt,
                            state=SandboxState.SANDBOX_READY if ready else SandboxState.SANDBOX_NOTREADY,
                            created_at=T0, ip=ip, labels={LABEL_POD_UID: uid})


def runtime(*containers: ContainerStatus, sandboxes: tuple[PodSandboxStatus, ...] | None = None,
            uid: str = "uid-1") -> PodRuntime:
    rt = PodRuntime(uid, sandboxes=list(sandboxes if sandboxes is not None else (sandbox(),)),
                    containers=list(containers))
    rt.containers.sort(key=lambda c: c.created_at, reverse=True)
    return rt
