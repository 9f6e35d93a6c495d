"""SimulatedNodes against a real API server: registration, leases, pod lifecycle, graceful deletion."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError
from kybernetes.sim.heartbeats import Heartbeats
from kybernetes.sim.nodes import ANNOTATION_FAIL, ANNOTATION_RUN_SECONDS, SimulatedNodes, _parse_labels, _parse_taints
from tests.conftest import start_cluster


@pytest.fixture(scope="module")
def sim_cluster(tmp_path_factory: pytest.TempPathFactory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-sim"))
    yield c
    c.stop()


async def _sim(cluster, **kw):
    client = RESTClient.from_kubeconfig(cluster.kubeconfig)
    prefix = f"sim-{uuid.uuid4().hex[:6]}-"
    sim = SimulatedNodes(client, name_prefix=prefix, **{"count": 2, "ready_delay": 0.1, "run_seconds": 0.5, **kw})
    await sim.start()
    return client, sim


async def _until(fn, timeout: float = 8.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = await fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


def _pod(name: str, node: str, *, restart: str = "Always", annotations: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"nodeName": node, "restartPolicy": restart,
                     "containers": [{"name": "c", "image": "busybox:1.36"}]}}


def _phase_is(client, name: str, phase: str):
    async def check():
        pod = await client.get(resource_path("", "v1", "pods", "default", name))
        return pod if (pod.get("status") or {}).get("phase") == phase else None
    return check


def test_addresses_are_unique_and_reused_only_after_release():
    sim = SimulatedNodes(None, count=300, dual_stack=True)  # type: ignore[arg-type]
    assert sim.node_ip("sim-node-0") == "198.18.0.1" and sim.node_ip("sim-node-299") == "198.18.1.44"
    assert sim.node_ip6("sim-node-1") == "fd6b:7962:5349:ffff::2"
    seen = set()
    for node in ("sim-node-0", "sim-node-1", "sim-node-299"):
        for p in range(200):
            v4, v6 = sim.pod_ips(f"ns/{node}-{p}", node)
            assert v4 not in seen and v6 not in seen
            seen.update((v4, v6))
    assert sim.pod_ips("ns/sim-node-0-5", "sim-node-0") == sim.pod_ips("ns/sim-node-0-5", "sim-node-0")  # stable
    v4_5 = sim.pod_ips("ns/sim-node-0-5", "sim-node-0")[0]
    sim._release_ip("ns/sim-node-0-5")
    fresh = [sim.pod_ips(f"ns/new-{i}", "sim-node-0")[0] for i in range(55)]
    assert v4_5 in fresh  # the freed host number comes back once the counter wraps
    assert sim.pod_ips("ns/x", "sim-node-299")[0].startswith("10.129.43.")


def test_parse_flags():
    assert _parse_labels("a=1, b=x=y") == {"a": "1", "b": "x=y"}
    assert _parse_taints("k=v:NoSchedule,gpu:NoExecute") == [
        {"key": "k", "value": "v", "effect": "NoSchedule"}, {"key": "gpu", "effect": "NoExecute"}]
    with pytest.raises(ValueError):
        _parse_taints("novalue")


async def test_heartbeats_keep_pace_when_answers_are_slow():
    """Each node beats on its own schedule: a slow API answer delays only its node, so 20 nodes whose renewals
    take 0.25 s each still renew about every 0.75 s (interval plus answer; one after another they would need 5 s
    a round); at most ``parallelism`` calls are in flight, a stopped node skips its turns, and cancelling the
    runner cancels the calls still running."""
    for parallelism in (16, 3):
        stopped = {"n0"}
        calls: dict[str, int] = {}
        in_flight = peak = cancelled = 0

        async def slow(name: str) -> None:
            nonlocal in_flight, peak, cancelled
            calls[name] = calls.get(name, 0) + 1
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0.25)
            except asyncio.CancelledError:
                cancelled += 1
                raise
            finally:
                in_flight -= 1

        beats = Heartbeats("lease", 0.5, slow, parallelism=parallelism, stopped=stopped)
        t0 = time.monotonic()
        task = asyncio.create_task(beats.run())
        for i in range(20):
            beats.add(f"n{i}", first_in=0.5 * i / 20)  # as nodes registering one after another
        await _until(lambda: _done(len(calls) == 19 and min(calls.values()) >= 2), timeout=12, step=0.02)
        elapsed = time.monotonic() - t0
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert "n0" not in calls
        assert peak <= parallelism
        assert in_flight == 0 and cancelled >= 1
        if parallelism == 16:
            assert elapsed < 3, elapsed  # ~1.25 s; one call after another would take 10 s


async def test_heartbeats_wake_for_an_earlier_node():
    """A node added while the runner sleeps towards a later due time is served at its own time."""
    seen: list[tuple[str, float]] = []
    t0 = time.monotonic()

    async def note(name: str) -> None:
        seen.append((name, time.monotonic() - t0))

    beats = Heartbeats("status", 30.0, note, parallelism=4)
    task = asyncio.create_task(beats.run())
    try:
        beats.add("late")  # due in 30 s
        await asyncio.sleep(0.05)
        beats.add("early", first_in=0.1)
        await _until(lambda: _done(bool(seen)), timeout=5, step=0.02)
        assert seen[0][0] == "early" and seen[0][1] < 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def _done(value: bool) -> bool:
    return value


async def test_nodes_registered_and_leases_renewed(sim_cluster):
    client, sim = await _sim(sim_cluster, lease_interval=0.3, labels={"zone": "z1"},
                             taints=[{"key": "sim", "effect": "NoSchedule"}])
    try:
        name = sim.node_names[1]
        node = await client.get(resource_path("", "v1", "nodes", name=name))
        st = node["status"]
        assert st["capacity"] == {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "100Gi"}
        assert st["allocatable"]["pods"] == "110"
        conds = {c["type"]: c["status"] for c in st["conditions"]}
        assert conds == {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False", "PIDPressure": "False"}
        assert st["nodeInfo"]["kubeletVersion"] == "v1.32.0-kyb"
        assert {"type": "InternalIP", "address": "198.18.0.2"} in st["addresses"]
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/hostname"] == name and labels["zone"] == "z1"
        assert node["spec"]["taints"][0]["key"] == "sim"
        lease_path = resource_path("coordination.k8s.io", "v1", "leases", "kube-node-lease", name)
        first = (await client.get(lease_path))["spec"]["renewTime"]

        async def renewed():
            return (await client.get(lease_path))["spec"]["renewTime"] != first
        await _until(renewed, 3)
        # stop_heartbeat: the lease stays put afterwards
        sim.stop_heartbeat(name)
        await asyncio.sleep(0.4)
        frozen = (await client.get(lease_path))["spec"]["renewTime"]
        await asyncio.sleep(0.8)
        assert (await client.get(lease_path))["spec"]["renewTime"] == frozen
    finally:
        await sim.stop()
        await client.close()


async def test_pod_lifecycle(sim_cluster):
    client, sim = await _sim(sim_cluster)
    pods = resource_path("", "v1", "pods", "default")
    node = sim.node_names[0]
    try:
        await client.create(pods, _pod("runs", node))
        await client.create(pods, _pod("done", node, restart="Never"))
        await client.create(pods, _pod("fails", node, restart="OnFailure",
                                       annotations={ANNOTATION_FAIL: "true", ANNOTATION_RUN_SECONDS: "0.2"}))
        pod = await _until(_phase_is(client, "runs", "Running"))
        st = pod["status"]
        conds = {c["type"]: c["status"] for c in st["conditions"]}
        assert conds["Ready"] == conds["ContainersReady"] == conds["PodScheduled"] == conds["Initialized"] == "True"
        cs = st["containerStatuses"][0]
        assert cs["ready"] and cs["started"] and "running" in cs["state"] and cs["restartCount"] == 0
        assert cs["containerID"].startswith("sim://") and cs["imageID"].startswith("sim://sha256:")
        assert st["hostIP"] == "198.18.0.1" and st["podIP"].startswith("10.128.0.") and st["startTime"]

        done = await _until(_phase_is(client, "done", "Succeeded"))
        term = done["status"]["containerStatuses"][0]["state"]["terminated"]
        assert term["exitCode"] == 0 and term["reason"] == "Completed"
        failed = await _until(_phase_is(client, "fails", "Failed"))
        term = failed["status"]["containerStatuses"][0]["state"]["terminated"]
        assert term["exitCode"] == 1 and term["reason"] == "Error"
        # the Always pod keeps running
        assert (await client.get(f"{pods}/runs"))["status"]["phase"] == "Running"

        # graceful deletion (default 30 s grace): the simulated kubelet finishes it at once
        t0 = time.monotonic()
        await client.delete(f"{pods}/runs")

        async def gone():
            try:
                await client.get(f"{pods}/runs")
            except StatusError as e:
                return e.code == 404
            return False
        await _until(gone, 5)
        assert time.monotonic() - t0 < 5
    finally:
        await sim.stop()
        await client.close()


async def _pod_deletes(client, code: int) -> float:
    """DELETEs of single pods the API server answered with ``code``, from its /metrics."""
    async with client._get_session().get(client.server + "/metrics") as r:  # noqa: SLF001
        text = await r.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("apiserver_request_total{") and 'verb="DELETE"' in line
               and 'resource="pods"' in line and 'scope="resource"' in line and f'code="{code}"' in line)


async def test_each_deleted_pod_gets_one_final_delete(sim_cluster):
    """The terminated status and the final delete each make an event; the later one must not cause a second
    delete (it could only answer 404: the pod is gone)."""
    client, sim = await _sim(sim_cluster, count=1)
    pods = resource_path("", "v1", "pods", "default")
    node = sim.node_names[0]
    names = [f"once-{i}" for i in range(20)]
    try:
        for n in names:
            await client.create(pods, _pod(n, node))
        for n in names:
            await _until(_phase_is(client, n, "Running"))
        before, answered = await _pod_deletes(client, 404), await _pod_deletes(client, 200)
        for n in names:
            await client.delete(f"{pods}/{n}")

        async def all_gone():
            left = await client.list(pods, {"fieldSelector": f"spec.nodeName={node}"})
            return not left["items"]
        await _until(all_gone, 10)
        await asyncio.sleep(0.5)  # events still in flight would show up as late deletes
        assert await _pod_deletes(client, 404) == before
        # the test's 20 deletes and the simulated kubelet's 20 final ones were counted (the series is the right one)
        assert await _pod_deletes(client, 200) >= answered + 40
        assert not sim._deleted  # noqa: SLF001 - forgotten with the pods
    finally:
        await sim.stop()
        await client.close()


async def test_ignores_pods_of_other_nodes(sim_cluster):
    client, sim = await _sim(sim_cluster, count=1)
    pods = resource_path("", "v1", "pods", "default")
    try:
        await client.create(pods, _pod("elsewhere", "not-a-sim-node"))
        await client.create(pods, _pod("here", sim.node_names[0]))
        await _until(_phase_is(client, "here", "Running"))
        assert (await client.get(f"{pods}/elsewhere"))["status"].get("phase", "Pending") == "Pending"
    finally:
        await sim.stop()
        await client.close()


def test_main_runs_until_sigterm(sim_cluster):
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    prefix = f"cli-{uuid.uuid4().hex[:6]}-"
    proc = subprocess.Popen([sys.executable, "-m", "kybernetes.sim", "--kubeconfig", str(sim_cluster.kubeconfig),
                             "--nodes", "2", "--name-prefix", prefix, "--labels", "a=b", "--taints", "k=v:NoSchedule"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        async def registered():
            async with RESTClient.from_kubeconfig(sim_cluster.kubeconfig) as client:
                try:
                    node = await client.get(resource_path("", "v1", "nodes", name=f"{prefix}1"))
                except StatusError:
                    return None
                return node
        node = asyncio.run(_until(registered, 10, 0.2))
        assert node["metadata"]["labels"]["a"] == "b"
        assert node["spec"]["taints"] == [{"key": "k", "value": "v", "effect": "NoSchedule"}]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
