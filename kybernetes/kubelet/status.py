"""Pod status computation: from the pod's spec, what the runtime reports and the probes' results to the API's
``PodStatus``.  Pure functions (no I/O, the clock is an argument), as upstream's generateAPIPodStatus and its
helpers compute it:

- container statuses per container of the spec (regular containers sorted by name, init containers in spec order):
  the newest runtime instance gives ``state``, the one before it ``lastState``; containers without an instance wait
  (``ContainerCreating``, or ``PodInitializing`` while init containers run); a container the kubelet is about to
  restart shows the reason of its last sync failure (``CrashLoopBackOff``, ``ErrImagePull``...);
- ``started``/``ready`` from the startup and readiness probe results (no probe: started once running, ready once
  started); a succeeded init container is ready;
- the phase (getPhase): Pending while init containers are incomplete or a container waits, Running once every
  container started and one runs, Succeeded/Failed by the restart policy once all stopped (or the pod worker says
  the pod is terminal); a terminal phase is never left;
- the kubelet's conditions in upstream's order: PodReadyToStartContainers, Initialized, Ready, ContainersReady,
  PodScheduled, after the conditions owned by others (DisruptionTarget...);
- IPs: pod IPs from the sandbox (host IPs for host-network pods), host IPs from the node; qosClass; startTime.

:func:`finalize` applies the status manager's rules against the previous status: startTime and condition
lastTransitionTimes are kept when unchanged, and a terminal phase is never left.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from fractions import Fraction
from typing import Any

from kybernetes.cri.api import ContainerState, ContainerStatus, SandboxState
from kybernetes.kubelet.runtimepod import PodRuntime, restart_count
from kybernetes.machinery.quantity import parse_quantity

__all__ = [
    "qos_class", "get_phase", "is_restartable_init", "should_restart", "container_statuses", "sandbox_changed",
    "generate", "finalize", "rfc3339", "KUBELET_CONDITIONS", "TERMINAL_PHASES", "is_terminal_phase",
]

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
TERMINAL_PHASES = ("Succeeded", "Failed")

Json = dict[str, Any]


def rfc3339(ns_or_seconds: float, *, nanoseconds: bool = True) -> str:
    """RFC 3339 in whole seconds (the API's ``metav1.Time``)."""
    secs = ns_or_seconds / 1e9 if nanoseconds else ns_or_seconds
    return datetime.fromtimestamp(int(secs), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_terminal_phase(phase: str | None) -> bool:
    return phase in TERMINAL_PHASES


def is_restartable_init(container: Mapping[str, Any]) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always``."""
    return container.get("restartPolicy") == "Always"


# -- QoS ----------------------------------------------------------------------------------------------------------

def qos_class(pod: Mapping[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort from the cpu/memory requests and limits of all containers (GetPodQOS)."""
    spec = pod.get("spec") or {}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]:
        res = c.get("resources") or {}
        for name, q in (res.get("requests") or {}).items():
            if name in ("cpu", "memory") and parse_quantity(q) > 0:
                requests[name] = requests.get(name, Fraction(0)) + parse_quantity(q)
        found = set()
        for name, q in (res.get("limits") or {}).items():
            if name in ("cpu", "memory") and parse_quantity(q) > 0:
                found.add(name)
                limits[name] = limits.get(name, Fraction(0)) + parse_quantity(q)
        if found != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        for name, req in requests.items():
            if limits.get(name) != req:
                guaranteed = False
    if guaranteed and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


# -- phase --------------------------------------------------------------------------------------------------------

def _state(cs: Mapping[str, Any]) -> Mapping[str, Any]:
    return cs.get("state") or {}


def _by_name(statuses: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {s.get("name", ""): s for s in statuses}


def any_regular_started(spec: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]]) -> bool:
    names = {c.get("name") for c in spec.get("containers") or ()}
    return any(s.get("name") in names and ("running" in _state(s) or "terminated" in _state(s)) for s in statuses)


def get_phase(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], terminal: bool) -> str:
    """The pod phase from all container statuses (init and regular); ``terminal`` says the pod worker has
    finished with the pod (its containers will not run again)."""
    spec = pod.get("spec") or {}
    by_name = _by_name(statuses)
    pending_init = failed_init = 0
    for c in spec.get("initContainers") or ():
        cs = by_name.get(c.get("name", ""))
        if cs is None:
            pending_init += 1
            continue
        st = _state(cs)
        last = (cs.get("lastState") or {}).get("terminated")
        if is_restartable_init(c):
            if "running" in st:
                if not cs.get("started"):
                    pending_init += 1
            elif "terminated" in st:
                pass
            elif "waiting" in st:
                if last is None:
                    pending_init += 1
            else:
                pending_init += 1
            continue
        if "running" in st:
            pending_init += 1
        elif "terminated" in st:
            if st["terminated"].get("exitCode", 0) != 0:
                failed_init += 1
        elif "waiting" in st:
            if last is not None:
                if last.get("exitCode", 0) != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1
    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.get("containers") or ():
        cs = by_name.get(c.get("name", ""))
        if cs is None:
            unknown += 1
            continue
        st = _state(cs)
        if "running" in st:
            running += 1
        elif "terminated" in st:
            stopped += 1
            if st["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        elif "waiting" in st:
            if (cs.get("lastState") or {}).get("terminated") is not None:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    policy = spec.get("restartPolicy") or "Always"
    if failed_init > 0 and policy == "Never":
        return "Failed"
    if (pending_init > 0 and not any_regular_started(spec, statuses)) or waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if terminal and not _is_static(pod):
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _is_static(pod: Mapping[str, Any]) -> bool:
    ann = (pod.get("metadata") or {}).get("annotations") or {}
    return ann.get("kubernetes.io/config.source", "api") != "api"


# -- container statuses -------------------------------------------------------------------------------------------

def should_restart(container: Mapping[str, Any], pod: Mapping[str, Any], runtime: PodRuntime) -> bool:
    """Whether the next sync (re)starts ``container`` (ShouldContainerBeRestarted)."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    latest = runtime.latest(container.get("name", ""))
    if latest is None:
        return True
    if latest.state == ContainerState.CONTAINER_RUNNING:
        return False
    if latest.state in (ContainerState.CONTAINER_UNKNOWN, ContainerState.CONTAINER_CREATED):
        return True
    if is_restartable_init(container):
        return True
    policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    if policy == "Never":
        return False
    if policy == "OnFailure" and latest.exit_code == 0:
        return False
    return True


def _volume_mount_statuses(container: Mapping[str, Any]) -> list[Json]:
    out = []
    for vm in container.get("volumeMounts") or ():
        st: Json = {"name": vm.get("name", ""), "mountPath": vm.get("mountPath", "")}
        if vm.get("readOnly"):
            st["readOnly"] = True
            st["recursiveReadOnly"] = "Enabled" if vm.get("recursiveReadOnly") == "Enabled" else "Disabled"
        out.append(st)
    return out


def _convert(cs: ContainerStatus, runtime_name: str, old: Mapping[str, Any] | None,
             termination_message: str) -> Json:
    cid = f"{runtime_name}://{cs.id}"
    st: Json = {"name": cs.name, "restartCount": restart_count(cs), "image": cs.image.image,
                "imageID": cs.image_ref, "containerID": cid}
    if cs.state == ContainerState.CONTAINER_RUNNING:
        st["state"] = {"running": {"startedAt": rfc3339(cs.started_at) if cs.started_at else None}}
    elif cs.state == ContainerState.CONTAINER_CREATED:
        st["state"] = {"waiting": {}}
    elif cs.state == ContainerState.CONTAINER_EXITED:
        term: Json = {"exitCode": cs.exit_code}
        if cs.reason:
            term["reason"] = cs.reason
        message = cs.message
        if termination_message:
            message = f"{message}: {termination_message}" if message else termination_message
        if message:
            term["message"] = message
        term["startedAt"] = rfc3339(cs.started_at) if cs.started_at else None
        term["finishedAt"] = rfc3339(cs.finished_at) if cs.finished_at else None
        term["containerID"] = cid
        st["state"] = {"terminated": term}
    elif old is not None and "running" in _state(old):
        st["state"] = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                      "message": "The container could not be located when the pod was terminated"}}
    else:
        st["state"] = {"waiting": {}}
    return st


def container_statuses(pod: Mapping[str, Any], runtime: PodRuntime, old_statuses: Sequence[Mapping[str, Any]],
                       containers: Sequence[Mapping[str, Any]], *, is_init: bool, runtime_name: str,
                       waiting: Mapping[str, tuple[str, str]]) -> list[Json]:
    """API statuses for ``containers`` (the regular or the init containers of ``pod``) without started/ready
    (see :func:`apply_probe_results`).  ``waiting`` maps a container name to the (reason, message) of its last
    failed start (the kubelet's reason cache)."""
    spec = pod.get("spec") or {}
    has_init = bool(spec.get("initContainers"))
    default_reason = "PodInitializing" if has_init else "ContainerCreating"
    olds = {s.get("name", ""): s for s in old_statuses}
    statuses: dict[str, Json] = {}
    for c in containers:
        name = c.get("name", "")
        # imageID is not omitempty upstream: "" until the container exists (clients require the field)
        st: Json = {"name": name, "image": c.get("image", ""), "imageID": "",
                    "state": {"waiting": {"reason": default_reason}},
                    "lastState": {}, "ready": False, "restartCount": 0}
        vms = _volume_mount_statuses(c)
        if vms:
            st["volumeMounts"] = vms
        old = olds.get(name)
        if old is not None:
            if "terminated" in _state(old):
                st = copy.deepcopy(dict(old))
            else:
                st["restartCount"] = old.get("restartCount", 0)
                st["lastState"] = copy.deepcopy(old.get("lastState") or {})
        statuses[name] = st
    deleted = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    for c in containers:
        name = c.get("name", "")
        if any(i.state == ContainerState.CONTAINER_CREATED for i in runtime.instances(name)):
            continue
        if runtime.instances(name):
            continue
        old = olds.get(name)
        if old is None or "terminated" in _state(old) or "running" not in _state(old):
            continue
        st = statuses[name]
        if (st["state"].get("waiting") or {}).get("reason") != default_reason:
            continue
        if (st.get("lastState") or {}).get("terminated"):
            continue
        st["lastState"] = {"terminated": {
            "exitCode": 137, "reason": "ContainerStatusUnknown",
            "message": "The container could not be located when the pod was deleted.  The container used to be "
                       "Running"}}
        if not deleted:
            st["restartCount"] = st.get("restartCount", 0) + 1
    seen: dict[str, int] = {}
    for inst in runtime.containers:  # newest first
        name = inst.name
        if name not in statuses or seen.get(name, 0) >= 2:
            continue
        converted = _convert(inst, runtime_name, olds.get(name), runtime.termination_messages.get(inst.id, ""))
        if seen.get(name, 0) == 0:
            keep = statuses[name]
            converted["lastState"] = keep.get("lastState") or {}
            converted["ready"] = False
            if "volumeMounts" in keep:
                converted["volumeMounts"] = keep["volumeMounts"]
            statuses[name] = converted
        else:
            statuses[name]["lastState"] = converted["state"]
        seen[name] = seen.get(name, 0) + 1
    for c in containers:
        name = c.get("name", "")
        if is_init:
            latest = runtime.latest(name)
            if latest is not None and latest.state == ContainerState.CONTAINER_EXITED and latest.exit_code == 0:
                continue
        if not should_restart(c, pod, runtime):
            continue
        reason = waiting.get(name)
        if reason is None:
            continue
        st = statuses[name]
        if "terminated" in st["state"]:
            st["lastState"] = st["state"]
        w: Json = {"reason": reason[0]}
        if reason[1]:
            w["message"] = reason[1]
        st["state"] = {"waiting": w}
    out = [statuses[c.get("name", "")] for c in containers]
    if not is_init:
        out.sort(key=lambda s: s["name"])
    return out


def apply_probe_results(pod: Mapping[str, Any], status: Json, *, readiness: Mapping[str, bool],
                        startup: Mapping[str, bool]) -> None:
    """Set ``started`` and ``ready`` on every container status (mutates ``status``).  ``readiness``/``startup``
    map a container id (without the runtime prefix) to the probe's last result; a container with a probe but no
    result yet is not ready/started; one without a probe is started when running and ready when started."""
    spec = pod.get("spec") or {}
    specs = {c.get("name"): c for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]}

    def cid(st: Mapping[str, Any]) -> str:
        return (st.get("containerID") or "").split("://", 1)[-1]

    def started(st: Mapping[str, Any]) -> bool:
        if "running" not in _state(st):
            return False
        c = specs.get(st.get("name")) or {}
        if cid(st) in startup:
            return bool(startup[cid(st)])
        return not c.get("startupProbe")

    def ready(st: Mapping[str, Any]) -> bool:
        if "running" not in _state(st):
            return False
        c = specs.get(st.get("name")) or {}
        if readiness.get(cid(st)):
            return True
        return not c.get("readinessProbe")

    for st in status.get("containerStatuses") or ():
        s = started(st)
        st["started"] = s
        st["ready"] = ready(st) if s else False
    for st in status.get("initContainerStatuses") or ():
        s = started(st)
        st["started"] = s
        c = specs.get(st.get("name")) or {}
        if not is_restartable_init(c):
            term = _state(st).get("terminated")
            st["ready"] = bool(term is not None and term.get("exitCode", 0) == 0)
            continue
        st["ready"] = ready(st) if s else False


# -- conditions ---------------------------------------------------------------------------------------------------

def sandbox_changed(pod: Mapping[str, Any], runtime: PodRuntime) -> bool:
    """Whether the pod needs a new sandbox (none, not ready, more than one ready, or no IP without host
    networking)."""
    if not runtime.sandboxes:
        return True
    if sum(1 for s in runtime.sandboxes if s.state == SandboxState.SANDBOX_READY) > 1:
        return True
    sb = runtime.sandboxes[0]
    if sb.state != SandboxState.SANDBOX_READY:
        return True
    host_network = bool((pod.get("spec") or {}).get("hostNetwork"))
    if not host_network and not sb.ip:
        return True
    return False


def _go_list(names: Sequence[str]) -> str:
    return "[" + " ".join(names) + "]"


def initialized_condition(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], phase: str) -> Json:
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or ()
    cond: Json = {"type": "Initialized", "status": "True"}
    by_name = _by_name(statuses)
    unknown, incomplete = [], []
    for c in inits:
        cs = by_name.get(c.get("name", ""))
        if cs is None:
            unknown.append(c.get("name", ""))
            continue
        if is_restartable_init(c):
            if not cs.get("started"):
                incomplete.append(c.get("name", ""))
            continue
        term = _state(cs).get("terminated")
        if term is None or term.get("exitCode", 0) != 0:
            incomplete.append(c.get("name", ""))
    if phase == "Succeeded" and not unknown:
        return {"type": "Initialized", "status": "True", "reason": "PodCompleted"}
    if any_regular_started(spec, statuses):
        return cond
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_go_list(unknown)}")
    if incomplete:
        msgs.append(f"containers with incomplete status: {_go_list(incomplete)}")
    if msgs:
        return {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
                "message": ", ".join(msgs)}
    return cond


def containers_ready_condition(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], phase: str) -> Json:
    spec = pod.get("spec") or {}
    by_name = _by_name(statuses)
    unknown, unready = [], []
    for c in [*(c for c in spec.get("initContainers") or () if is_restartable_init(c)),
              *(spec.get("containers") or ())]:
        cs = by_name.get(c.get("name", ""))
        if cs is None:
            unknown.append(c.get("name", ""))
        elif not cs.get("ready"):
            unready.append(c.get("name", ""))
    if (phase == "Succeeded" and not unknown) or phase == "Failed":
        return {"type": "ContainersReady", "status": "False",
                "reason": "PodCompleted" if phase == "Succeeded" else "PodFailed"}
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_go_list(unknown)}")
    if unready:
        msgs.append(f"containers with unready status: {_go_list(unready)}")
    if msgs:
        return {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
                "message": ", ".join(msgs)}
    return {"type": "ContainersReady", "status": "True"}


def ready_condition(pod: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]],
                    statuses: Sequence[Mapping[str, Any]], phase: str) -> Json:
    cr = containers_ready_condition(pod, statuses, phase)
    if cr["status"] != "True":
        out = dict(cr)
        out["type"] = "Ready"
        return out
    msgs = []
    by_type = {c.get("type"): c for c in conditions}
    for gate in (pod.get("spec") or {}).get("readinessGates") or ():
        ctype = gate.get("conditionType", "")
        c = by_type.get(ctype)
        if c is None:
            msgs.append(f'corresponding condition of pod readiness gate "{ctype}" does not exist.')
        elif c.get("status") != "True":
            msgs.append(f'the status of pod readiness gate "{ctype}" is not "True", but {c.get("status")}')
    if msgs:
        return {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady", "message": ", ".join(msgs)}
    return {"type": "Ready", "status": "True"}


# -- the whole status ---------------------------------------------------------------------------------------------

def generate(pod: Mapping[str, Any], runtime: PodRuntime, *, old_status: Mapping[str, Any] | None,
             runtime_name: str, host_ips: Sequence[str], readiness: Mapping[str, bool] | None = None,
             startup: Mapping[str, bool] | None = None, waiting: Mapping[str, tuple[str, str]] | None = None,
             terminal: bool = False, evicted: tuple[str, str] | None = None) -> Json:
    """The pod's API status as the kubelet reports it now (before :func:`finalize`).  ``old_status`` is the last
    status the kubelet computed (else the API's); ``evicted`` = (reason, message) forces phase Failed."""
    spec = pod.get("spec") or {}
    api_status = pod.get("status") or {}
    old = old_status if old_status is not None else api_status
    waiting = waiting or {}
    s: Json = {}
    ips = list(runtime.ips())
    if spec.get("hostNetwork"):
        ips = []
    s["podIPs"] = [{"ip": ip} for ip in ips]
    s["qosClass"] = qos_class(pod)
    s["containerStatuses"] = container_statuses(pod, runtime, old.get("containerStatuses") or (),
                                                spec.get("containers") or (), is_init=False,
                                                runtime_name=runtime_name, waiting=waiting)
    if spec.get("initContainers"):
        s["initContainerStatuses"] = container_statuses(pod, runtime, old.get("initContainerStatuses") or (),
                                                        spec["initContainers"], is_init=True,
                                                        runtime_name=runtime_name, waiting=waiting)
    all_statuses = [*s["containerStatuses"], *(s.get("initContainerStatuses") or ())]
    phase = get_phase(pod, all_statuses, terminal)
    if not is_terminal_phase(phase):
        if is_terminal_phase(old.get("phase")):
            phase = old["phase"]
        elif is_terminal_phase(api_status.get("phase")):
            phase = api_status["phase"]
    s["phase"] = phase
    if phase == old.get("phase"):
        if old.get("reason") or api_status.get("reason"):
            s["reason"] = old.get("reason") or api_status.get("reason")
        if old.get("message") or api_status.get("message"):
            s["message"] = old.get("message") or api_status.get("message")
    if evicted is not None:
        s["phase"], s["reason"], s["message"] = "Failed", evicted[0], evicted[1]
    if is_terminal_phase(api_status.get("phase")) and s["phase"] != api_status["phase"]:
        s["phase"] = api_status["phase"]
    apply_probe_results(pod, s, readiness=readiness or {}, startup=startup or {})
    conds: list[Json] = [dict(c) for c in api_status.get("conditions") or () if c.get("type") not in
                         KUBELET_CONDITIONS and c.get("type") != "DisruptionTarget"]
    for c in old.get("conditions") or ():
        if c.get("type") == "DisruptionTarget":
            conds.append(dict(c))
    conds.append({"type": "PodReadyToStartContainers",
                  "status": "False" if sandbox_changed(pod, runtime) else "True"})
    all_statuses = [*(s.get("initContainerStatuses") or ()), *s["containerStatuses"]]
    conds.append(initialized_condition(pod, all_statuses, s["phase"]))
    conds.append(ready_condition(pod, conds, all_statuses, s["phase"]))
    conds.append(containers_ready_condition(pod, all_statuses, s["phase"]))
    conds.append({"type": "PodScheduled", "status": "True"})
    s["conditions"] = conds
    if host_ips:
        s["hostIP"] = host_ips[0]
        s["hostIPs"] = [{"ip": ip} for ip in host_ips[:2]]
        if spec.get("hostNetwork"):
            s["podIPs"] = [{"ip": ip} for ip in host_ips[:2]]
    if s["podIPs"]:
        s["podIP"] = s["podIPs"][0]["ip"]
    elif old.get("podIP") and is_terminal_phase(s["phase"]):
        # A stopped sandbox has no IP any more; keep reporting the addresses the pod had.
        s["podIP"] = old["podIP"]
        s["podIPs"] = copy.deepcopy(old.get("podIPs") or [{"ip": old["podIP"]}])
    if not s["podIPs"]:
        del s["podIPs"]
    return s


def finalize(new: Json, old: Mapping[str, Any] | None, now: str) -> Json:
    """Apply the status manager's rules (mutates and returns ``new``): keep ``startTime`` once set (else set it to
    ``now``), keep a condition's ``lastTransitionTime`` while its status is unchanged, never leave a terminal
    phase, and add ``lastProbeTime: null`` as upstream serialises it."""
    old = old or {}
    new["startTime"] = old.get("startTime") or new.get("startTime") or now
    old_conds = {c.get("type"): c for c in old.get("conditions") or ()}
    for c in new.get("conditions") or ():
        prev = old_conds.get(c.get("type"))
        c.setdefault("lastProbeTime", None)
        if "lastTransitionTime" in c and c["lastTransitionTime"]:
            continue
        if prev is not None and prev.get("status") == c.get("status") and prev.get("lastTransitionTime"):
            c["lastTransitionTime"] = prev["lastTransitionTime"]
        else:
            c["lastTransitionTime"] = now
    if is_terminal_phase(old.get("phase")) and new.get("phase") != old.get("phase"):
        new["phase"] = old["phase"]
    return new
