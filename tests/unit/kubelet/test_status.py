"""Pod status computation: container states, phase, conditions, IPs, QoS, and the status manager's rules."""

from __future__ import annotations

import pytest

from kybernetes.kubelet.status import finalize, generate, get_phase, qos_class

from .builders import container, cs, pod, runtime, sandbox

HOST = ["192.168.1.10"]


def gen(p, rt, **kw):
    kw.setdefault("old_status", None)
    return generate(p, rt, runtime_name="kyb", host_ips=HOST, **kw)


def cond(status, ctype):
    return next(c for c in status["conditions"] if c["type"] == ctype)


def by_name(status, name, key="containerStatuses"):
    return next(s for s in status[key] if s["name"] == name)


def test_nothing_created_yet():
    p = pod(container("b"), container("a"))
    s = gen(p, runtime(sandboxes=()))
    assert s["phase"] == "Pending"
    assert [c["name"] for c in s["containerStatuses"]] == ["a", "b"]  # sorted by name
    assert by_name(s, "a")["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert by_name(s, "a")["lastState"] == {} and by_name(s, "a")["restartCount"] == 0
    assert by_name(s, "a")["started"] is False and by_name(s, "a")["ready"] is False
    assert [c["type"] for c in s["conditions"]] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                                    "ContainersReady", "PodScheduled"]
    assert cond(s, "PodReadyToStartContainers")["status"] == "False"
    assert cond(s, "Initialized")["status"] == "True"
    assert cond(s, "Ready") == {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                                "message": "containers with unready status: [b a]"}
    assert s["hostIP"] == "192.168.1.10" and s["hostIPs"] == [{"ip": "192.168.1.10"}]
    assert "podIP" not in s and s["qosClass"] == "BestEffort"


def test_running_and_ready_with_and_without_readiness_probe():
    a = container("a")
    b = container("b", readinessProbe={"exec": {"command": ["true"]}})
    ca, cb = cs(a, "running", cid="ca"), cs(b, "running", cid="cb")
    p = pod(a, b)
    s = gen(p, runtime(ca, cb))
    assert s["phase"] == "Running" and s["podIP"] == "10.42.0.5" and s["podIPs"] == [{"ip": "10.42.0.5"}]
    assert by_name(s, "a")["ready"] is True and by_name(s, "a")["started"] is True
    assert by_name(s, "b")["ready"] is False  # probe has not succeeded yet
    assert by_name(s, "a")["containerID"] == "kyb://ca"
    assert by_name(s, "a")["state"]["running"]["startedAt"].endswith("Z")
    assert cond(s, "Ready")["message"] == "containers with unready status: [b]"
    s = gen(p, runtime(ca, cb), readiness={"cb": True})
    assert cond(s, "Ready") == {"type": "Ready", "status": "True"}
    assert cond(s, "ContainersReady")["status"] == "True" and cond(s, "PodReadyToStartContainers")["status"] == "True"


def test_startup_probe_gates_started_and_ready():
    a = container("a", startupProbe={"exec": {"command": ["true"]}})
    rt = runtime(cs(a, "running", cid="x"))
    s = gen(pod(a), rt)
    assert by_name(s, "a")["started"] is False and by_name(s, "a")["ready"] is False
    s = gen(pod(a), rt, startup={"x": True})
    assert by_name(s, "a")["started"] is True and by_name(s, "a")["ready"] is True


def test_init_containers_in_progress():
    i1, i2, app = container("i1"), container("i2"), container("app")
    p = pod(app, init=(i1, i2))
    s = gen(p, runtime(cs(i1, "exited", at=0), cs(i2, "running", at=10)))
    assert s["phase"] == "Pending"
    assert [c["name"] for c in s["initContainerStatuses"]] == ["i1", "i2"]
    assert by_name(s, "i1", "initContainerStatuses")["ready"] is True
    assert by_name(s, "i1", "initContainerStatuses")["state"]["terminated"]["reason"] == "Completed"
    assert by_name(s, "app")["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert cond(s, "Initialized") == {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
                                      "message": "containers with incomplete status: [i2]"}


def test_init_failure_with_restart_never_fails_the_pod():
    i1, app = container("i1"), container("app")
    p = pod(app, init=(i1,), restart="Never")
    s = gen(p, runtime(cs(i1, "exited", exit_code=2)))
    assert s["phase"] == "Failed"
    assert by_name(s, "i1", "initContainerStatuses")["state"]["terminated"]["exitCode"] == 2


@pytest.mark.parametrize("restart,code,phase", [
    ("Never", 0, "Succeeded"), ("Never", 1, "Failed"), ("OnFailure", 0, "Succeeded"), ("OnFailure", 1, "Running"),
    ("Always", 0, "Running"), ("Always", 1, "Running"),
])
def test_phase_after_exit(restart, code, phase):
    a = container("a")
    s = gen(pod(a, restart=restart), runtime(cs(a, "exited", exit_code=code)))
    assert s["phase"] == phase


def test_terminal_pod_phase_from_exit_codes():
    a, b = container("a"), container("b")
    p = pod(a, b)
    s = gen(p, runtime(cs(a, "exited", exit_code=0), cs(b, "exited", exit_code=137)), terminal=True)
    assert s["phase"] == "Failed"
    assert cond(s, "Ready")["reason"] == "PodFailed" and cond(s, "ContainersReady")["reason"] == "PodFailed"
    s = gen(p, runtime(cs(a, "exited"), cs(b, "exited")), terminal=True)
    assert s["phase"] == "Succeeded"
    assert cond(s, "Ready")["reason"] == "PodCompleted" and cond(s, "Initialized")["reason"] == "PodCompleted"


def test_crash_loop_shows_waiting_last_state_and_restart_count():
    a = container("a")
    old = cs(a, "exited", attempt=2, exit_code=1, at=0, cid="old")
    s = gen(pod(a), runtime(old),
            waiting={"a": ("CrashLoopBackOff", "back-off 20s restarting failed container=a pod=web_default(uid-1)")})
    st = by_name(s, "a")
    assert st["state"] == {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off 20s restarting failed container=a pod=web_default(uid-1)"}}
    assert st["lastState"]["terminated"]["exitCode"] == 1 and st["lastState"]["terminated"]["reason"] == "Error"
    assert st["lastState"]["terminated"]["containerID"] == "kyb://old"
    assert st["restartCount"] == 2 and s["phase"] == "Running"
    # the restarted instance: state running, lastState from the instance before
    new = cs(a, "running", attempt=3, at=30, cid="new")
    st = by_name(gen(pod(a), runtime(old, new)), "a")
    assert "running" in st["state"] and st["lastState"]["terminated"]["containerID"] == "kyb://old"
    assert st["restartCount"] == 3


def test_waiting_reason_ignored_when_no_restart_is_due():
    a = container("a")
    s = gen(pod(a, restart="Never"), runtime(cs(a, "exited", exit_code=1)), waiting={"a": ("CrashLoopBackOff", "x")})
    assert "terminated" in by_name(s, "a")["state"]


def test_termination_message_appended():
    a = container("a")
    c = cs(a, "exited", exit_code=3, cid="t", message="")
    rt = runtime(c)
    rt.termination_messages["t"] = "bye"
    s = gen(pod(a, restart="Never"), rt)
    assert by_name(s, "a")["state"]["terminated"]["message"] == "bye"


def test_terminal_phase_is_never_left():
    a = container("a")
    p = pod(a)
    p["status"] = {"phase": "Succeeded"}
    s = gen(p, runtime(cs(a, "running")))
    assert s["phase"] == "Succeeded"
    new = finalize({"phase": "Running", "conditions": []}, {"phase": "Failed"}, "2024-01-01T00:00:00Z")
    assert new["phase"] == "Failed"


def test_finalize_keeps_start_time_and_transition_times():
    old = {"startTime": "2024-01-01T00:00:00Z",
           "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": "2024-01-01T00:00:01Z"},
                          {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-01-01T00:00:02Z"}]}
    new = {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]}
    out = finalize(new, old, "2024-02-02T00:00:00Z")
    assert out["startTime"] == "2024-01-01T00:00:00Z"
    assert out["conditions"][0]["lastTransitionTime"] == "2024-02-02T00:00:00Z"
    assert out["conditions"][1]["lastTransitionTime"] == "2024-01-01T00:00:02Z"
    assert out["conditions"][0]["lastProbeTime"] is None
    assert finalize({"conditions": []}, None, "2024-02-02T00:00:00Z")["startTime"] == "2024-02-02T00:00:00Z"


def test_readiness_gates():
    a = container("a")
    p = pod(a, readinessGates=[{"conditionType": "example.com/lb"}])
    rt = runtime(cs(a, "running"))
    s = gen(p, rt)
    assert cond(s, "Ready") == {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady",
                                "message": 'corresponding condition of pod readiness gate "example.com/lb" does '
                                           "not exist."}
    p["status"]["conditions"] = [{"type": "example.com/lb", "status": "True"}]
    s = gen(p, rt)
    assert cond(s, "Ready")["status"] == "True"
    assert s["conditions"][0]["type"] == "example.com/lb"  # others' conditions come first and are kept


def test_host_network_pod_gets_host_ips():
    a = container("a")
    s = generate(pod(a, hostNetwork=True), runtime(cs(a, "running"), sandboxes=(sandbox(ip=""),)), old_status=None,
                 runtime_name="kyb", host_ips=["192.168.1.10", "fd01::10"])
    assert s["podIPs"] == [{"ip": "192.168.1.10"}, {"ip": "fd01::10"}] and s["podIP"] == "192.168.1.10"
    assert cond(s, "PodReadyToStartContainers")["status"] == "True"


def test_volume_mounts_in_status():
    a = container("a", volumeMounts=[{"name": "v", "mountPath": "/v", "readOnly": True},
                                     {"name": "w", "mountPath": "/w"}])
    st = by_name(gen(pod(a), runtime(cs(a, "running"))), "a")
    assert st["volumeMounts"] == [{"name": "v", "mountPath": "/v", "readOnly": True,
                                   "recursiveReadOnly": "Disabled"}, {"name": "w", "mountPath": "/w"}]


def test_sidecar_counts_as_started_init():
    side = container("side", restartPolicy="Always")
    app = container("app")
    p = pod(app, init=(side,))
    s = gen(p, runtime(cs(side, "running", at=0), cs(app, "running", at=5)))
    assert s["phase"] == "Running" and cond(s, "Initialized")["status"] == "True"
    assert by_name(s, "side", "initContainerStatuses")["ready"] is True
    assert get_phase(p, [], False) == "Pending"


def res(req=None, lim=None):
    r = {}
    if req:
        r["requests"] = req
    if lim:
        r["limits"] = lim
    return r


@pytest.mark.parametrize("resources,qos", [
    ([{}], "BestEffort"),
    ([res({"cpu": "100m"})], "Burstable"),
    ([res({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})], "Guaranteed"),
    ([res({"cpu": "1", "memory": "1Gi"}, {"cpu": "2", "memory": "1Gi"})], "Burstable"),
    ([res({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}), {}], "Burstable"),
    ([res(None, {"memory": "1Gi"})], "Burstable"),
])
def test_qos_class(resources, qos):
    p = pod(*(container(f"c{i}", resources=r) for i, r in enumerate(resources)))
    assert qos_class(p) == qos
