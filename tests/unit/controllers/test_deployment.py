"""Deployment controller: the pure arithmetic (deployment_util), proportional scaling on stub writes, and
rollouts against a real API server with simulated nodes."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from kybernetes.client.informer import SharedInformerFactory
from kybernetes.client.rest import resource_path
from kybernetes.controllers import deployment_util as du
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.deployment import DeploymentController
from kybernetes.controllers.replicaset import ReplicaSetController
from tests.controllers_support import (UNSERVED_NODE, ControllerSet, ObjectWatch, PodWatch, active, eventually,
                                      pin_to_node)
from tests.unit.controllers.conftest import running

# -- builders -----------------------------------------------------------------------------------------------------


def deployment(replicas: int = 3, surge: Any = "25%", unavailable: Any = "25%", *, strategy: str = "RollingUpdate",
               image: str = "busybox", generation: int = 1, status: dict | None = None, **spec: Any) -> dict:
    strat: dict[str, Any] = {"type": strategy}
    if strategy == "RollingUpdate":
        strat["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "ns", "uid": "d-uid", "generation": generation},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "strategy": strat,
                     "template": template(image), **spec},
            "status": status or {}}


def template(image: str = "busybox", **labels: str) -> dict:
    return {"metadata": {"labels": {"app": "web", **labels}},
            "spec": {"containers": [{"name": "c", "image": image}]}}


def rs(name: str, replicas: int, *, available: int | None = None, status_replicas: int | None = None,
       created: str = "2024-01-01T00:00:00Z", revision: str | None = None, image: str = "busybox",
       annotations: dict | None = None) -> dict:
    ann = dict(annotations or {})
    if revision is not None:
        ann[du.REVISION_ANNOTATION] = revision
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "creationTimestamp": created,
                         "annotations": ann},
            "spec": {"replicas": replicas, "template": template(image, **{du.POD_TEMPLATE_HASH_LABEL: name})},
            "status": {"replicas": replicas if status_replicas is None else status_replicas,
                       "availableReplicas": replicas if available is None else available}}


# -- maxSurge / maxUnavailable ------------------------------------------------------------------------------------

@pytest.mark.parametrize("surge,unavailable,desired,want", [
    pytest.param("25%", "25%", 4, (1, 1), id="quarters-of-4"),
    pytest.param("25%", "25%", 5, (2, 1), id="surge-rounds-up-unavailable-down"),
    pytest.param("25%", "25%", 10, (3, 2), id="quarters-of-10"),
    pytest.param("0%", "10%", 5, (0, 1), id="both-zero-becomes-unavailable-1"),
    pytest.param(0, 0, 3, (0, 1), id="ints-both-zero"),
    pytest.param(3, 0, 10, (3, 0), id="ints"),
    pytest.param("50%", "50%", 3, (2, 1), id="halves-of-3"),
    pytest.param("100%", "0%", 1, (1, 0), id="all-surge"),
    pytest.param(None, "30%", 10, (0, 3), id="unset-is-zero"),
    pytest.param("1%", "99%", 0, (0, 1), id="zero-desired"),
])
def test_resolve_fenceposts(surge, unavailable, desired, want):
    assert du.resolve_fenceposts(surge, unavailable, desired) == want


@pytest.mark.parametrize("value,msg", [
    ("5", "string is not a percentage"),
    ("x%", 'invalid value "x%"'),
])
def test_scaled_value_rejects_non_percentages(value, msg):
    with pytest.raises(ValueError, match=msg):
        du.scaled_value(value, 10, True)


@pytest.mark.parametrize("d,surge,unavailable", [
    pytest.param(deployment(10, "25%", "25%"), 3, 2, id="rolling"),
    pytest.param(deployment(2, 1, 5), 1, 2, id="unavailable-capped-at-replicas"),
    pytest.param(deployment(0, 1, 1), 1, 0, id="zero-replicas-no-unavailability"),
    pytest.param(deployment(5, strategy="Recreate"), 0, 0, id="recreate"),
    pytest.param(deployment(5, "bad", "1"), 0, 0, id="malformed-is-zero"),
])
def test_max_surge_and_unavailable(d, surge, unavailable):
    assert (du.max_surge(d), du.max_unavailable(d)) == (surge, unavailable)


# -- pod-template-hash --------------------------------------------------------------------------------------------

def test_safe_encode_string_uses_upstream_alphabet():
    assert du.safe_encode_string("0123456789") == "456789bcdf"


def test_compute_hash_is_stable_and_sensitive():
    t = template("nginx:1.25")
    h = du.compute_hash(t)
    # a fixed value: the hash must not change between releases or processes (it names ReplicaSets)
    assert h == du.compute_hash(copy.deepcopy(t)) == "5bdcdff586"
    assert set(h) <= set("bcdfghjklmnpqrstvwxz2456789") and 1 <= len(h) <= 10
    reordered = {"spec": t["spec"], "metadata": t["metadata"]}
    assert du.compute_hash(reordered) == h
    assert du.compute_hash(template("nginx:1.26")) != h
    assert du.compute_hash(t, 1) != h
    assert du.compute_hash(t, 1) != du.compute_hash(t, 2)


def test_equal_ignore_hash():
    a = template("x", **{du.POD_TEMPLATE_HASH_LABEL: "abc"})
    b = template("x")
    b["metadata"]["creationTimestamp"] = None
    b["spec"]["volumes"] = []
    assert du.equal_ignore_hash(a, b)
    assert not du.equal_ignore_hash(a, template("y"))
    assert not du.equal_ignore_hash(a, template("x", tier="web"))


# -- revisions and annotations ------------------------------------------------------------------------------------

def test_new_replica_set_annotations_on_create():
    d = deployment(4, 1, 1)
    d["metadata"]["annotations"] = {du.CHANGE_CAUSE_ANNOTATION: "kubectl set image", du.LAST_APPLIED_ANNOTATION: "{}",
                                    du.REVISION_ANNOTATION: "7"}
    new = {"metadata": {}}
    assert du.set_new_replica_set_annotations(d, new, "3", exists=False)
    assert new["metadata"]["annotations"] == {
        du.CHANGE_CAUSE_ANNOTATION: "kubectl set image", du.REVISION_ANNOTATION: "3",
        du.DESIRED_REPLICAS_ANNOTATION: "4", du.MAX_REPLICAS_ANNOTATION: "5"}


def test_rollback_moves_revision_up_and_keeps_history():
    d = deployment()
    old = rs("a", 0, revision="1", annotations={du.REVISION_HISTORY_ANNOTATION: ""})
    assert du.set_new_replica_set_annotations(d, old, "4", exists=True)
    assert old["metadata"]["annotations"][du.REVISION_ANNOTATION] == "4"
    assert old["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1"
    assert du.set_new_replica_set_annotations(d, old, "6", exists=True)
    assert old["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1,4"
    # never lowered, and nothing changes when already current
    assert not du.set_new_replica_set_annotations(d, old, "5", exists=True)
    assert old["metadata"]["annotations"][du.REVISION_ANNOTATION] == "6"


def test_revision_history_drops_oldest_beyond_limit():
    old = rs("a", 0, revision="9", annotations={du.REVISION_HISTORY_ANNOTATION: "1,2,3"})
    du.set_new_replica_set_annotations(deployment(), old, "10", exists=True, history_limit=4)
    assert old["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "3,9"


def test_max_and_last_revision_skip_garbage():
    rss = [rs("a", 0, revision="3"), rs("b", 0, revision="x"), rs("c", 0, revision="5"), rs("d", 0)]
    assert du.max_revision(rss) == 5
    assert du.last_revision(rss) == 3


# -- finding ReplicaSets ------------------------------------------------------------------------------------------

def test_find_new_replica_set_prefers_oldest_match():
    d = deployment(image="v2")
    newer = rs("newer", 1, image="v2", created="2024-01-02T00:00:00Z")
    older = rs("older", 1, image="v2", created="2024-01-01T00:00:00Z")
    other = rs("other", 1, image="v1")
    assert du.find_new_replica_set(d, [newer, other, older]) is older
    required, every = du.find_old_replica_sets(d, [newer, other, older, rs("empty", 0, image="v0")])
    assert [r["metadata"]["name"] for r in required] == ["newer", "other"]
    assert len(every) == 3


@pytest.mark.parametrize("new,olds,want", [
    pytest.param(rs("n", 2), [rs("o", 0)], "n", id="only-new-active"),
    pytest.param(rs("n", 0), [rs("o", 3)], "o", id="only-old-active"),
    pytest.param(rs("n", 0), [rs("o", 0)], "n", id="none-active-new"),
    pytest.param(None, [rs("o1", 0, created="2024-01-01T00:00:00Z"), rs("o2", 0, created="2024-02-01T00:00:00Z")],
                 "o2", id="none-active-newest-old"),
    pytest.param(rs("n", 1), [rs("o", 1)], None, id="two-active"),
])
def test_find_active_or_latest(new, olds, want):
    got = du.find_active_or_latest(new, olds)
    assert (got["metadata"]["name"] if got else None) == want


# -- rolling arithmetic -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("d,olds,new,want", [
    pytest.param(deployment(10, "25%", "25%"), [rs("o", 10)], rs("n", 0), 3, id="first-step-surge-3"),
    pytest.param(deployment(10, "25%", "25%"), [rs("o", 8)], rs("n", 3), 5, id="grow-into-freed-room"),
    pytest.param(deployment(10, "25%", "25%"), [rs("o", 10)], rs("n", 3), 3, id="no-room"),
    pytest.param(deployment(4, 10, 0), [rs("o", 4)], rs("n", 0), 4, id="never-past-replicas"),
    pytest.param(deployment(10, "25%", "25%"), [rs("o", 8, status_replicas=10)], rs("n", 3), 3,
                 id="pods-still-being-deleted-count"),
    pytest.param(deployment(5, strategy="Recreate"), [rs("o", 5)], rs("n", 0), 5, id="recreate-full-size"),
])
def test_new_rs_new_replicas(d, olds, new, want):
    assert du.new_rs_new_replicas(d, olds + [new], new) == want


@pytest.mark.parametrize("rs_,d,to_add,added,want", [
    pytest.param(rs("a", 8, annotations={du.MAX_REPLICAS_ANNOTATION: "13"}), deployment(20, 3, 2), 10, 0, 6,
                 id="share-of-growth"),
    pytest.param(rs("a", 5, annotations={du.MAX_REPLICAS_ANNOTATION: "13"}), deployment(20, 3, 2), 10, 6, 4,
                 id="bounded-by-what-is-left"),
    pytest.param(rs("a", 8, annotations={du.MAX_REPLICAS_ANNOTATION: "13"}), deployment(5, 3, 2), -5, 0, -3,
                 id="share-of-shrink"),
    pytest.param(rs("a", 4), deployment(0, 1, 1), -5, 0, -4, id="to-zero-takes-all"),
    pytest.param(rs("a", 0), deployment(20, 3, 2), 10, 0, 0, id="empty-rs-gets-nothing"),
])
def test_get_proportion(rs_, d, to_add, added, want):
    assert du.get_proportion(rs_, d, to_add, added) == want


# -- progress and status ------------------------------------------------------------------------------------------

def test_set_condition_keeps_transition_time_and_skips_same_reason():
    status: dict = {}
    du.set_condition(status, du.new_condition("Progressing", "True", "A", "m", 1000))
    du.set_condition(status, du.new_condition("Progressing", "True", "A", "other", 2000))
    assert status["conditions"][0]["message"] == "m"
    du.set_condition(status, du.new_condition("Progressing", "True", "B", "n", 2000))
    c = status["conditions"][0]
    assert (c["reason"], c["lastTransitionTime"], c["lastUpdateTime"]) == \
        ("B", du.format_time(1000), du.format_time(2000))
    du.set_condition(status, du.new_condition("Progressing", "False", "C", "n", 3000))
    assert status["conditions"][0]["lastTransitionTime"] == du.format_time(3000)


def test_deployment_timed_out():
    d = deployment(progressDeadlineSeconds=10)
    cond = du.new_condition("Progressing", "True", du.RS_UPDATED_REASON, "m", 1000)
    assert not du.deployment_timed_out(d, {"conditions": [cond]}, 1005)
    assert du.deployment_timed_out(d, {"conditions": [cond]}, 1011)
    done = du.new_condition("Progressing", "True", du.NEW_RS_AVAILABLE_REASON, "m", 1000)
    assert not du.deployment_timed_out(d, {"conditions": [done]}, 5000)
    assert not du.deployment_timed_out(deployment(progressDeadlineSeconds=2**31 - 1), {"conditions": [cond]}, 5000)


def test_deployment_progressing():
    d = deployment(status={"replicas": 5, "updatedReplicas": 2, "readyReplicas": 4, "availableReplicas": 4})
    assert not du.deployment_progressing(d, dict(d["status"]))
    assert du.deployment_progressing(d, {**d["status"], "updatedReplicas": 3})
    assert du.deployment_progressing(d, {**d["status"], "replicas": 4})
    assert du.deployment_progressing(d, {**d["status"], "availableReplicas": 5})


def test_calculate_status():
    d = deployment(4, 1, 1, generation=3)
    new, old = rs("n", 3, available=2), rs("o", 2, available=1)
    st = du.calculate_status([old, new], new, d, 1000)
    assert {k: v for k, v in st.items() if k != "conditions"} == {
        "observedGeneration": 3, "replicas": 5, "updatedReplicas": 3, "availableReplicas": 3,
        "unavailableReplicas": 2}
    assert du.get_condition(st, "Available")["reason"] == du.MIN_AVAILABLE_REASON
    st = du.calculate_status([rs("o", 4, available=2)], None, d, 1000)
    assert du.get_condition(st, "Available")["status"] == "False"


def test_old_pods_running():
    old = rs("o", 0, status_replicas=0)
    finished = {"status": {"phase": "Succeeded"}}
    running_pod = {"status": {"phase": "Running"}}
    assert not du.old_pods_running(None, [old], {"uid-o": [finished]})
    assert du.old_pods_running(None, [old], {"uid-o": [finished, running_pod]})
    assert not du.old_pods_running(rs("n", 1), [old], {"uid-n": [running_pod]})
    assert du.old_pods_running(None, [rs("o", 0, status_replicas=1)], {})


# -- proportional scaling with stub writes -------------------------------------------------------------------------

class _Recording(DeploymentController):
    """A controller whose ReplicaSet writes are recorded instead of sent (its informers never run)."""

    def __init__(self) -> None:
        no_client: Any = None
        super().__init__(ControllerContext(client=no_client, informers=SharedInformerFactory(no_client)))
        self.writes: list[tuple[str, int]] = []
        self.events: list[str] = []
        self.recorder.event = lambda obj, type_, reason, msg: self.events.append(f"{reason}: {msg}")  # type: ignore

    async def update_rs(self, rs_: dict, body: dict) -> dict:
        self.writes.append((body["metadata"]["name"], body["spec"]["replicas"]))
        rs_.clear()
        rs_.update(body)
        return rs_


async def test_scale_spreads_a_resize_over_a_rollout_in_proportion():
    dc = _Recording()
    d = deployment(20, 3, 2, image="v2")
    ann = {du.MAX_REPLICAS_ANNOTATION: "13", du.DESIRED_REPLICAS_ANNOTATION: "10"}
    old = rs("old", 8, created="2024-01-01T00:00:00Z", annotations=ann)
    new = rs("new", 5, available=0, created="2024-01-02T00:00:00Z", image="v2", annotations=ann)
    await dc.scale(d, new, [old])
    assert sorted(dc.writes) == [("new", 9), ("old", 14)]
    assert sorted(dc.events) == ["ScalingReplicaSet: Scaled up replica set new from 5 to 9",
                                 "ScalingReplicaSet: Scaled up replica set old from 8 to 14"]
    assert all(r["metadata"]["annotations"][du.MAX_REPLICAS_ANNOTATION] == "23" for r in (old, new))


async def test_scale_down_to_zero_and_single_active():
    dc = _Recording()
    only = rs("only", 3)
    await dc.scale(deployment(7), only, [rs("o", 0)])
    assert dc.writes == [("only", 7)]
    dc.writes.clear()
    old, new = rs("old", 3), rs("new", 3, image="v2")
    await dc.scale(deployment(0, 1, 1, image="v2"), new, [old])
    assert sorted(dc.writes) == [("new", 0), ("old", 0)]
    assert "ScalingReplicaSet: Scaled down replica set old from 3 to 0" in dc.events


# -- against a real server ----------------------------------------------------------------------------------------

def api_deployment(name: str, node: str, replicas: int = 3, image: str = "busybox", **spec: Any) -> dict:
    t = pin_to_node({"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": image}]}},
                    node)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": t, **spec}}


def dpath(ns: str, name: str = "") -> str:
    return resource_path("apps", "v1", "deployments", ns, name)


def rspath(ns: str, name: str = "") -> str:
    return resource_path("apps", "v1", "replicasets", ns, name)


async def rollout_done(env, name: str) -> dict | None:
    d = await env.client.get(dpath(env.ns, name))
    st, want = d.get("status") or {}, d["spec"]["replicas"]
    ok = (st.get("observedGeneration", 0) >= d["metadata"]["generation"] and st.get("updatedReplicas", 0) == want
          and st.get("replicas", 0) == want and st.get("availableReplicas", 0) == want)
    return d if ok else None


async def replica_sets(env) -> list[dict]:
    return sorted((await env.client.list(rspath(env.ns)))["items"], key=lambda r: r["metadata"]["name"])


async def set_image(env, name: str, image: str, node: str | None = None) -> None:
    d = await env.client.get(dpath(env.ns, name))
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    if node:
        d["spec"]["template"]["spec"]["nodeName"] = node
    await env.client.update(dpath(env.ns, name), d)


CONTROLLERS = (ReplicaSetController, DeploymentController)


async def test_create_makes_hashed_replica_set_and_reports_complete(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0]))
        d = await eventually(lambda: rollout_done(env, "web"), what="rollout")
        [r] = await replica_sets(env)
        h = r["metadata"]["labels"][du.POD_TEMPLATE_HASH_LABEL]
        assert r["metadata"]["name"] == f"web-{h}"
        assert h == du.compute_hash(d["spec"]["template"])
        assert r["spec"]["selector"]["matchLabels"] == {"app": "web", du.POD_TEMPLATE_HASH_LABEL: h}
        assert r["spec"]["template"]["metadata"]["labels"][du.POD_TEMPLATE_HASH_LABEL] == h
        assert r["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
        assert r["metadata"]["annotations"] == {du.REVISION_ANNOTATION: "1", du.DESIRED_REPLICAS_ANNOTATION: "3",
                                                du.MAX_REPLICAS_ANNOTATION: "4"}
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "1"
        conds = {c["type"]: c for c in d["status"]["conditions"]}
        assert (conds["Available"]["status"], conds["Available"]["reason"]) == ("True", "MinimumReplicasAvailable")
        assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
        assert conds["Progressing"]["message"] == f'ReplicaSet "web-{h}" has successfully progressed.'
        assert d["status"]["readyReplicas"] == 3 and "unavailableReplicas" not in d["status"]

        async def scaled_event():
            evs = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
            return [e for e in evs if e["reason"] == "ScalingReplicaSet"
                    and e["message"] == f"Scaled up replica set web-{h} from 0 to 3"
                    and e["source"]["component"] == "deployment-controller"]
        await eventually(scaled_event, what="ScalingReplicaSet event")


async def test_recreate_never_runs_old_and_new_together(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        node = env.sim.node_names[0]
        await env.client.create(dpath(env.ns), api_deployment("web", node, 3, strategy={"type": "Recreate"}))
        await eventually(lambda: rollout_done(env, "web"), what="first rollout")

        def check(pods: dict) -> None:
            hashes = {p["metadata"]["labels"].get(du.POD_TEMPLATE_HASH_LABEL) for p in pods.values()
                      if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")}
            assert len(hashes) <= 1, f"pods of two templates at once: {hashes}"

        watch = await PodWatch.begin(env.client, env.ns, check)
        await set_image(env, "web", "v2")
        await asyncio.sleep(0.2)
        await eventually(lambda: rollout_done(env, "web"), what="recreate rollout")
        await watch.stop()
        assert watch.events > 0
        pods = [p for p in await env.pods() if active(p)]
        assert len(pods) == 3 and {p["spec"]["containers"][0]["image"] for p in pods} == {"v2"}


async def test_resize_during_stuck_rollout_is_proportional(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        spec = {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}}
        await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0], 10, **spec))
        await eventually(lambda: rollout_done(env, "web"), what="first rollout")
        await set_image(env, "web", "v2", node=UNSERVED_NODE)  # new pods never run

        async def sizes():
            return sorted(r["spec"]["replicas"] for r in await replica_sets(env))
        await eventually(lambda: _eq(sizes(), [5, 8]), what="stuck at 8 old + 5 new")
        # a patch, not GET + PUT: the controller writes the status concurrently (a PUT could meet a 409)
        await env.client.patch(dpath(env.ns, "web"), {"spec": {"replicas": 20}})
        await eventually(lambda: _eq(sizes(), [9, 14]), what="proportional 14 old + 9 new")
        for r in await replica_sets(env):
            assert r["metadata"]["annotations"][du.DESIRED_REPLICAS_ANNOTATION] == "20"
            assert r["metadata"]["annotations"][du.MAX_REPLICAS_ANNOTATION] == "23"


async def _eq(coro, want) -> bool:
    return (await coro) == want


async def test_progress_deadline_exceeded(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        await env.client.create(dpath(env.ns), api_deployment("web", UNSERVED_NODE, 2, progressDeadlineSeconds=2))

        async def timed_out():
            d = await env.client.get(dpath(env.ns, "web"))
            c = du.get_condition(d.get("status"), "Progressing")
            return c if c and c["reason"] == du.TIMED_OUT_REASON else None
        c = await eventually(timed_out, timeout=20, what="ProgressDeadlineExceeded")
        [r] = await replica_sets(env)
        assert c["status"] == "False"
        assert c["message"] == f'ReplicaSet "{r["metadata"]["name"]}" has timed out progressing.'


def progressing_reasons(watch: ObjectWatch) -> list[str]:
    """The Progressing reasons the watched Deployments went through, repeats collapsed."""
    out: list[str] = []
    for d in watch.history:
        c = du.get_condition(d.get("status"), "Progressing")
        if c and (not out or out[-1] != c["reason"]):
            out.append(c["reason"])
    return out


def is_subsequence(want: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(w in it for w in want)


async def test_progressing_reasons_through_rollouts(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        watch = await ObjectWatch.begin(env.client, dpath(env.ns))
        await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0], 3))
        await eventually(lambda: rollout_done(env, "web"), what="first rollout")
        # the watch may deliver the last write a little after a GET shows it
        await eventually(lambda: progressing_reasons(watch)[-1:] == [du.NEW_RS_AVAILABLE_REASON], what="watch")
        first = progressing_reasons(watch)
        assert first[0] == du.NEW_RS_REASON and first[-1] == du.NEW_RS_AVAILABLE_REASON
        assert set(first) <= {du.NEW_RS_REASON, du.RS_UPDATED_REASON, du.NEW_RS_AVAILABLE_REASON}
        await set_image(env, "web", "v2")
        await asyncio.sleep(0.2)
        await eventually(lambda: rollout_done(env, "web"), what="second rollout")
        await eventually(lambda: progressing_reasons(watch)[len(first):][-1:] == [du.NEW_RS_AVAILABLE_REASON],
                         what="watch")
        await watch.stop()
        second = progressing_reasons(watch)[len(first):]
        assert is_subsequence([du.NEW_RS_REASON, du.RS_UPDATED_REASON, du.NEW_RS_AVAILABLE_REASON], second), second
        available = [du.get_condition(d.get("status"), "Available") for d in watch.history]
        assert any(c and c["reason"] == du.MIN_UNAVAILABLE_REASON for c in available)  # while pods started


async def test_min_ready_seconds_flows_to_the_replica_set(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        # a window of several seconds in which the pods are Ready but not yet Available: a loaded machine must
        # not let the controller's status writes skip the intermediate state
        await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0], 2, minReadySeconds=4))

        async def ready_not_available():
            d = await env.client.get(dpath(env.ns, "web"))
            st = d.get("status") or {}
            return st.get("readyReplicas") == 2 and not st.get("availableReplicas")
        await eventually(ready_not_available, what="ready but not yet available", step=0.05)
        await eventually(lambda: rollout_done(env, "web"), what="available after minReadySeconds")
        [r] = await replica_sets(env)
        assert r["spec"]["minReadySeconds"] == 4
        await env.client.patch(dpath(env.ns, "web"), {"spec": {"minReadySeconds": 0}})

        async def rs_updated():
            rss = await replica_sets(env)
            return len(rss) == 1 and not rss[0]["spec"].get("minReadySeconds")
        await eventually(rs_updated, what="minReadySeconds copied, same ReplicaSet")


async def test_pause_scales_but_does_not_roll_out(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        watch = await ObjectWatch.begin(env.client, dpath(env.ns))
        await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0], 2))
        await eventually(lambda: rollout_done(env, "web"), what="first rollout")
        await env.client.patch(dpath(env.ns, "web"), {"spec": {"paused": True}})

        async def progressing_reason():
            d = await env.client.get(dpath(env.ns, "web"))
            c = du.get_condition(d.get("status"), "Progressing")
            return c and c["reason"]
        await eventually(lambda: _eq(progressing_reason(), du.PAUSED_REASON), what="DeploymentPaused")
        await env.client.patch(dpath(env.ns, "web"), {"spec": {"replicas": 4, "template": {"spec": {
            "containers": [{"name": "c", "image": "v2"}]}}}}, "strategic")

        async def scaled():
            d = await env.client.get(dpath(env.ns, "web"))
            st = d.get("status") or {}
            # the template changed but no new ReplicaSet exists: nothing counts as updated
            return (st.get("observedGeneration") == d["metadata"]["generation"] and st.get("replicas") == 4
                    and st.get("availableReplicas") == 4 and "updatedReplicas" not in st)
        await eventually(scaled, what="scale while paused")
        rss = await replica_sets(env)
        assert [r["spec"]["replicas"] for r in rss] == [4]
        assert rss[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox"
        await env.client.patch(dpath(env.ns, "web"), {"spec": {"paused": False}})
        await eventually(lambda: _eq(progressing_reason(), du.NEW_RS_AVAILABLE_REASON), what="resumed rollout")
        d = await eventually(lambda: rollout_done(env, "web"), what="rollout after resume")
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "2"
        await eventually(lambda: progressing_reasons(watch)[-1:] == [du.NEW_RS_AVAILABLE_REASON], what="watch")
        await watch.stop()
        assert is_subsequence([du.PAUSED_REASON, du.RESUMED_REASON, du.NEW_RS_AVAILABLE_REASON],
                              progressing_reasons(watch))
        assert sorted(r["spec"]["replicas"] for r in await replica_sets(env)) == [0, 4]


async def test_template_back_to_old_moves_revision_and_history_is_trimmed(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        node = env.sim.node_names[0]
        await env.client.create(dpath(env.ns), api_deployment("web", node, 2, revisionHistoryLimit=1))
        await eventually(lambda: rollout_done(env, "web"), what="v1")
        for image in ("v2", "busybox"):  # busybox again: the first ReplicaSet becomes new once more
            await set_image(env, "web", image)
            await asyncio.sleep(0.2)
            await eventually(lambda: rollout_done(env, "web"), what=image)

        async def two_left():
            rss = await replica_sets(env)
            return rss if len(rss) == 2 else None
        rss = await eventually(two_left, what="history trimmed to 1 old ReplicaSet")
        by_image = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r for r in rss}
        assert by_image["busybox"]["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
        assert by_image["busybox"]["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1"
        assert by_image["v2"]["metadata"]["annotations"][du.REVISION_ANNOTATION] == "2"
        d = await env.client.get(dpath(env.ns, "web"))
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
        # one more rollout: the lowest revision (v2, revision 2) is the one deleted
        await set_image(env, "web", "v4")
        await asyncio.sleep(0.2)
        await eventually(lambda: rollout_done(env, "web"), what="v4")
        rss = await eventually(two_left, what="trimmed again")
        assert {r["spec"]["template"]["spec"]["containers"][0]["image"] for r in rss} == {"busybox", "v4"}


async def test_orphan_replica_set_is_adopted_not_duplicated(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        d = api_deployment("web", env.sim.node_names[0], 2)
        t = copy.deepcopy(d["spec"]["template"])
        t["metadata"]["labels"][du.POD_TEMPLATE_HASH_LABEL] = "manual"
        orphan = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-manual",
                  "labels": dict(t["metadata"]["labels"])},
                  "spec": {"replicas": 2, "selector": {"matchLabels": dict(t["metadata"]["labels"])}, "template": t}}
        await env.client.create(rspath(env.ns), orphan)
        watch = await ObjectWatch.begin(env.client, dpath(env.ns))
        await env.client.create(dpath(env.ns), d)
        await eventually(lambda: rollout_done(env, "web"), what="rollout over the adopted ReplicaSet")
        await watch.stop()
        assert progressing_reasons(watch)[0] == du.FOUND_NEW_RS_REASON
        [r] = await replica_sets(env)
        assert r["metadata"]["name"] == "web-manual"
        assert r["metadata"]["ownerReferences"][0]["name"] == "web"
        assert r["metadata"]["annotations"][du.REVISION_ANNOTATION] == "1"


async def test_legacy_rollback_annotation(kyb):
    async with running(kyb, *CONTROLLERS, nodes=1, bind=False) as env:
        await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0], 1))
        await eventually(lambda: rollout_done(env, "web"), what="v1")
        await set_image(env, "web", "v2")
        await asyncio.sleep(0.2)
        await eventually(lambda: rollout_done(env, "web"), what="v2")
        await env.client.patch(dpath(env.ns, "web"), {"metadata": {"annotations": {du.ROLLBACK_TO_ANNOTATION: "1"}}})

        async def rolled_back():
            d = await env.client.get(dpath(env.ns, "web"))
            img = d["spec"]["template"]["spec"]["containers"][0]["image"]
            return d if img == "busybox" and du.ROLLBACK_TO_ANNOTATION not in d["metadata"]["annotations"] else None
        d = await eventually(rolled_back, what="template restored, annotation cleared")
        assert du.POD_TEMPLATE_HASH_LABEL not in d["spec"]["template"]["metadata"]["labels"]
        d = await eventually(lambda: rollout_done(env, "web"), what="rollback rollout")
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"


async def test_hash_collision_bumps_collision_count(kyb):
    async with running(kyb, nodes=1, bind=False) as env:  # controllers start once the trap is set
        d = await env.client.create(dpath(env.ns), api_deployment("web", env.sim.node_names[0], 1))
        taken = du.compute_hash(d["spec"]["template"])
        blocker = api_deployment("other", env.sim.node_names[0], 0)  # a foreign ReplicaSet with our name
        await env.client.create(rspath(env.ns), {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                 "metadata": {"name": f"web-{taken}"},
                                                 "spec": {k: blocker["spec"][k] for k in ("replicas", "selector",
                                                                                          "template")}})
        cs = await ControllerSet(kyb.kubeconfig, list(CONTROLLERS)).start()
        try:
            d = await eventually(lambda: rollout_done(env, "web"), what="rollout past the collision")
        finally:
            await cs.stop()
        assert d["status"]["collisionCount"] == 1
        names = {r["metadata"]["name"] for r in await replica_sets(env)}
        assert names == {f"web-{taken}", f"web-{du.compute_hash(d['spec']['template'], 1)}"}
