"""What one sync of a running pod must do to its containers (upstream's computePodActions), as a pure function.

Given the pod's spec, what the runtime has (:class:`~kybernetes.kubelet.runtimepod.PodRuntime`) and the liveness
and startup results, :func:`compute` answers:

- whether the sandbox must be (re)created — then everything is killed and the pod starts over from its first init
  container, unless its containers already ran and will not be restarted (restartPolicy Never), or they all
  completed;
- which init containers to start: init containers run one at a time in order; a failed one is retried unless the
  restart policy is Never (then the pod fails); sidecars (``restartPolicy: Always`` init containers) start in order
  and keep running, the next init container starting once the sidecar has started;
- which regular containers to start (never created, or exited and the restart policy says so) and which running
  ones to kill: a changed spec (restarted whatever the policy), a failed liveness or startup probe (restarted when
  the policy allows);
- whether to kill the whole pod because nothing runs or will run any more (this stops the sandbox of a completed
  pod).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kybernetes.cri.api import ContainerState, ContainerStatus
from kybernetes.kubelet.containers import container_hash
from kybernetes.kubelet.runtimepod import ANNOTATION_HASH, PodRuntime
from kybernetes.kubelet.status import is_restartable_init, sandbox_changed, should_restart

__all__ = ["Kill", "PodActions", "compute"]


@dataclass(frozen=True, slots=True)
class Kill:
    name: str
    message: str
    reason: str = ""  # "liveness", "startup" or "" (picks the grace period)


@dataclass
class PodActions:
    kill_pod: bool = False
    create_sandbox: bool = False
    sandbox_id: str = ""
    attempt: int = 0
    init_to_start: list[int] = field(default_factory=list)  # indexes into spec.initContainers, in order
    containers_to_start: list[int] = field(default_factory=list)  # indexes into spec.containers
    containers_to_kill: dict[str, Kill] = field(default_factory=dict)  # container id -> why


def _restart_on_failure(pod: Mapping[str, Any]) -> bool:
    return ((pod.get("spec") or {}).get("restartPolicy") or "Always") != "Never"


def _succeeded(container: Mapping[str, Any], rt: PodRuntime) -> bool:
    latest = rt.latest(container.get("name", ""))
    return latest is not None and latest.state == ContainerState.CONTAINER_EXITED and latest.exit_code == 0


def _changed(container: Mapping[str, Any], status: ContainerStatus) -> bool:
    recorded = status.annotations.get(ANNOTATION_HASH)
    return recorded is not None and recorded != container_hash(container)


def _init_failed(status: ContainerStatus) -> bool:
    if status.reason == "OOMKilled":
        return True
    if status.state == ContainerState.CONTAINER_EXITED and status.exit_code != 0:
        return True
    return status.state == ContainerState.CONTAINER_UNKNOWN


def _init_actions(pod: Mapping[str, Any], rt: PodRuntime, acts: PodActions, liveness: Mapping[str, bool],
                  startup: Mapping[str, bool]) -> bool:
    """Fill the init container part; returns whether the pod has been initialized."""
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or []
    if not inits:
        return True
    initialized = False
    for c in spec.get("containers") or ():
        st = rt.latest(c.get("name", ""))
        if st is not None and st.state in (ContainerState.CONTAINER_CREATED, ContainerState.CONTAINER_RUNNING):
            initialized = True
            break
    previously = initialized
    restart = _restart_on_failure(pod)
    for i in range(len(inits) - 1, -1, -1):
        c = inits[i]
        name = c.get("name", "")
        sidecar = is_restartable_init(c)
        st = rt.latest(name)
        if st is None:
            if previously and sidecar:
                acts.init_to_start.append(i)
            continue
        if previously and not sidecar:
            continue
        if st.state == ContainerState.CONTAINER_CREATED:
            acts.init_to_start.append(i)
        elif st.state == ContainerState.CONTAINER_RUNNING:
            if sidecar:
                done = True
                if c.get("startupProbe"):
                    result = startup.get(st.id)
                    if result is None:
                        done = False
                    elif result is False:
                        acts.containers_to_kill[st.id] = Kill(name, f"Init container {name} failed startup probe",
                                                              "startup")
                        acts.init_to_start.append(i)
                        done = False
                if done:
                    if i == len(inits) - 1:
                        initialized = True
                    elif not previously:
                        acts.init_to_start.append(i + 1)
                    if _changed(c, st):
                        acts.containers_to_kill[st.id] = Kill(name, f"Init container {name} definition changed")
                        acts.init_to_start.append(i)
                    elif c.get("livenessProbe") and liveness.get(st.id) is False:
                        acts.containers_to_kill[st.id] = Kill(name, f"Init container {name} failed liveness probe",
                                                              "liveness")
                        acts.init_to_start.append(i)
        elif st.state == ContainerState.CONTAINER_EXITED:
            if sidecar:
                acts.init_to_start.append(i)
            elif _init_failed(st):
                if not restart:
                    acts.kill_pod = True
                    acts.init_to_start = []
                    return False
                acts.init_to_start.append(i)
            elif i == len(inits) - 1:
                initialized = True
            else:
                acts.init_to_start.append(i + 1)
        else:
            if sidecar:
                acts.containers_to_kill[st.id] = Kill(
                    name, f'Init container is in "{st.state.name}" state, try killing it before restart')
                acts.init_to_start.append(i)
            else:
                if not restart:
                    acts.kill_pod = True
                    acts.init_to_start = []
                    return False
                acts.init_to_start.append(i)
        previously = True
    if not previously:
        acts.init_to_start.append(0)
    acts.init_to_start.reverse()
    return initialized


def compute(pod: Mapping[str, Any], rt: PodRuntime, *, liveness: Mapping[str, bool],
            startup: Mapping[str, bool]) -> PodActions:
    """The actions of one sync (see the module docstring).  ``liveness``/``startup`` map a container id to the
    probe's published result."""
    spec = pod.get("spec") or {}
    acts = PodActions()
    if sandbox_changed(pod, rt):
        acts.kill_pod = acts.create_sandbox = True
        acts.attempt = rt.sandbox.attempt + 1 if rt.sandbox is not None else 0
        if not _restart_on_failure(pod) and acts.attempt != 0 and rt.containers:
            acts.create_sandbox = False
            return acts
        to_start = [i for i, c in enumerate(spec.get("containers") or ())
                    if not (spec.get("restartPolicy") == "OnFailure" and _succeeded(c, rt))]
        has_init = any(rt.latest(c.get("name", "")) is not None for c in spec.get("containers") or ())
        if has_init and not to_start:
            acts.create_sandbox = False
            return acts
        if spec.get("initContainers") and not has_init:
            acts.init_to_start = [0]
            return acts
        acts.containers_to_start = to_start
        return acts
    acts.sandbox_id = rt.sandbox.id if rt.sandbox is not None else ""
    acts.attempt = rt.sandbox.attempt if rt.sandbox is not None else 0
    initialized = _init_actions(pod, rt, acts, liveness, startup)
    if acts.kill_pod or not initialized:
        return acts
    keep = 0
    for i, c in enumerate(spec.get("containers") or ()):
        name = c.get("name", "")
        st = rt.latest(name)
        if st is None or st.state != ContainerState.CONTAINER_RUNNING:
            if should_restart(c, pod, rt):
                acts.containers_to_start.append(i)
                if st is not None and st.state == ContainerState.CONTAINER_UNKNOWN:
                    acts.containers_to_kill[st.id] = Kill(
                        name, 'Container is in "CONTAINER_UNKNOWN" state, try killing it before restart')
            continue
        restart = _restart_on_failure(pod)
        reason = ""
        if _changed(c, st):
            message = f"Container {name} definition changed"
            restart = True
        elif liveness.get(st.id) is False:
            message = f"Container {name} failed liveness probe"
            reason = "liveness"
        elif startup.get(st.id) is False:
            message = f"Container {name} failed startup probe"
            reason = "startup"
        else:
            keep += 1
            continue
        if restart:
            message += ", will be restarted"
            acts.containers_to_start.append(i)
        acts.containers_to_kill[st.id] = Kill(name, message, reason)
    if keep == 0 and not acts.containers_to_start:
        acts.kill_pod = True
        acts.init_to_start = []
    return acts
