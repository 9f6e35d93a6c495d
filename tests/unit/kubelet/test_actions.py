"""computePodActions: sandbox (re)creation, init container order, restarts by policy, probe and spec-change kills."""

from __future__ import annotations

from kybernetes.kubelet.actions import compute

from .builders import container, cs, pod, runtime, sandbox


def acts(p, rt, liveness=None, startup=None):
    return compute(p, rt, liveness=liveness or {}, startup=startup or {})


def test_new_pod_creates_sandbox_and_starts_everything():
    a = compute(pod(container("a"), container("b")), runtime(sandboxes=()), liveness={}, startup={})
    assert a.create_sandbox and a.kill_pod and a.attempt == 0 and a.containers_to_start == [0, 1]


def test_new_pod_with_init_containers_starts_the_first_init_only():
    p = pod(container("app"), init=(container("i1"), container("i2")))
    a = acts(p, runtime(sandboxes=()))
    assert a.create_sandbox and a.init_to_start == [0] and a.containers_to_start == []


def test_dead_sandbox_is_recreated_with_next_attempt_but_not_for_finished_never_pods():
    app = container("app")
    rt = runtime(cs(app, "exited", exit_code=1), sandboxes=(sandbox(ready=False, attempt=2),))
    a = acts(pod(app), rt)
    assert a.create_sandbox and a.attempt == 3 and a.containers_to_start == [0]
    a = acts(pod(app, restart="Never"), rt)
    assert a.kill_pod and not a.create_sandbox
    a = acts(pod(app, restart="OnFailure"), runtime(cs(app, "exited"), sandboxes=(sandbox(ready=False),)))
    assert not a.create_sandbox  # succeeded: nothing to start again


def test_init_containers_run_in_order():
    i1, i2, app = container("i1"), container("i2"), container("app")
    p = pod(app, init=(i1, i2))
    assert acts(p, runtime(cs(i1, "running"))).init_to_start == []
    a = acts(p, runtime(cs(i1, "exited")))
    assert a.init_to_start == [1] and a.containers_to_start == []
    a = acts(p, runtime(cs(i1, "exited", at=0), cs(i2, "exited", at=5)))
    assert a.init_to_start == [] and a.containers_to_start == [0]


def test_failed_init_is_retried_or_fails_the_pod():
    i1, app = container("i1"), container("app")
    a = acts(pod(app, init=(i1,)), runtime(cs(i1, "exited", exit_code=1)))
    assert a.init_to_start == [0] and not a.kill_pod
    a = acts(pod(app, init=(i1,), restart="Never"), runtime(cs(i1, "exited", exit_code=1)))
    assert a.kill_pod and a.init_to_start == []


def test_sidecar_starts_next_init_once_started_and_keeps_running():
    side, i2, app = container("side", restartPolicy="Always"), container("i2"), container("app")
    p = pod(app, init=(side, i2))
    a = acts(p, runtime(cs(side, "running", at=0)))
    assert a.init_to_start == [1]
    a = acts(p, runtime(cs(side, "running", at=0), cs(i2, "exited", at=1)))
    assert a.init_to_start == [] and a.containers_to_start == [0]
    # a sidecar that exits after initialization is restarted while the app keeps running
    a = acts(p, runtime(cs(side, "exited", at=0), cs(i2, "exited", at=1), cs(app, "running", at=2)))
    assert a.init_to_start == [0] and a.containers_to_start == []


def test_restart_policy_decides_restarts():
    app = container("app")
    assert acts(pod(app), runtime(cs(app, "exited"))).containers_to_start == [0]
    assert acts(pod(app, restart="OnFailure"), runtime(cs(app, "exited", exit_code=2))).containers_to_start == [0]
    a = acts(pod(app, restart="OnFailure"), runtime(cs(app, "exited")))
    assert a.containers_to_start == [] and a.kill_pod  # all done: the sandbox is stopped
    assert acts(pod(app, restart="Never"), runtime(cs(app, "exited", exit_code=2))).containers_to_start == []


def test_liveness_and_startup_failures_kill_and_restart():
    app = container("app", livenessProbe={"exec": {"command": ["x"]}})
    rt = runtime(cs(app, "running", cid="c1"))
    a = acts(pod(app), rt, liveness={"c1": False})
    assert a.containers_to_kill["c1"].message == "Container app failed liveness probe, will be restarted"
    assert a.containers_to_kill["c1"].reason == "liveness" and a.containers_to_start == [0]
    a = acts(pod(app, restart="Never"), rt, liveness={"c1": False})
    assert a.containers_to_kill["c1"].message == "Container app failed liveness probe"
    assert a.containers_to_start == [] and a.kill_pod
    a = acts(pod(app), rt, startup={"c1": False})
    assert a.containers_to_kill["c1"].message == "Container app failed startup probe, will be restarted"
    assert not acts(pod(app), rt, liveness={"c1": True}).containers_to_kill


def test_changed_spec_restarts_whatever_the_policy():
    old = container("app", image="busybox:1.35")
    new = container("app", image="busybox:1.36")
    a = acts(pod(new, restart="Never"), runtime(cs(old, "running", cid="c1")))
    assert a.containers_to_kill["c1"].message == "Container app definition changed, will be restarted"
    assert a.containers_to_start == [0]
