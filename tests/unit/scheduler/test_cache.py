"""The scheduler cache: pods and nodes from informers, assumed pods, incremental snapshots, zone order."""

from __future__ import annotations

import pytest

from kybernetes.client.workqueue import FakeClock
from kybernetes.scheduler.cache import CacheError, SchedulerCache, zone_key
from kybernetes.scheduler.nodeinfo import PodInfo, Snapshot


def node(name, cpu="4", zone="", labels=None):
    lab = dict(labels or {})
    if zone:
        lab["topology.kubernetes.io/zone"] = zone
    return {"metadata": {"name": name, "labels": lab},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}}


def pod(name, node_name="", cpu="100m", uid=None, labels=None, phase="Running", affinity=False):
    spec = {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}
    if node_name:
        spec["nodeName"] = node_name
    if affinity:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"a": "b"}}}]}}
    return {"metadata": {"name": name, "namespace": "ns", "uid": uid or f"u-{name}", "labels": labels or {}},
            "spec": spec, "status": {"phase": phase}}


def requested(cache, name):
    return cache.node_info(name).requested.milli_cpu


@pytest.fixture
def cache():
    c = SchedulerCache()
    c.add_node(node("n1"))
    c.add_node(node("n2"))
    return c


def test_pods_count_on_their_node(cache):
    cache.add_pod(pod("a", "n1"))
    cache.add_pod(pod("b", "n1", cpu="250m"))
    assert requested(cache, "n1") == 350
    cache.remove_pod(pod("a", "n1"))
    assert requested(cache, "n1") == 250
    assert cache.pod_count == 1


def test_unassigned_and_terminal_pods_are_not_counted(cache):
    cache.add_pod(pod("a"))
    cache.add_pod(pod("b", "n1", phase="Succeeded"))
    assert cache.pod_count == 0
    cache.add_pod(pod("c", "n1"))
    cache.update_pod(pod("c", "n1"), pod("c", "n1", phase="Failed"))
    assert cache.pod_count == 0 and requested(cache, "n1") == 0


def test_assume_confirm(cache):
    p = pod("a")
    pi = PodInfo(p)
    cache.assume_pod(pi, "n1")
    assert cache.is_assumed("u-a") and requested(cache, "n1") == 100
    with pytest.raises(CacheError):
        cache.assume_pod(pi, "n2")
    bound = pod("a", "n1")
    cache.add_pod(bound)  # the informer shows the binding
    assert not cache.is_assumed("u-a")
    assert requested(cache, "n1") == 100
    assert cache.node_info("n1").pods[0] is pi and pi.pod is bound  # confirmed without re-parsing
    cache.forget_pod(pi)  # no longer assumed: forgetting does nothing
    assert requested(cache, "n1") == 100


def test_assume_confirmed_elsewhere_moves(cache):
    pi = PodInfo(pod("a"))
    cache.assume_pod(pi, "n1")
    cache.add_pod(pod("a", "n2"))
    assert requested(cache, "n1") == 0 and requested(cache, "n2") == 100
    assert cache.pod_node("u-a") == "n2"


def test_assume_forget(cache):
    pi = PodInfo(pod("a"))
    cache.assume_pod(pi, "n1")
    cache.finish_binding(pi)
    cache.forget_pod(pi)
    assert requested(cache, "n1") == 0 and cache.pod_count == 0 and not cache.is_assumed("u-a")


def test_assumed_pods_expire_with_ttl():
    clock = FakeClock(0.0)
    c = SchedulerCache(ttl=30, clock=clock.now)
    c.add_node(node("n1"))
    pi = PodInfo(pod("a"))
    c.assume_pod(pi, "n1")
    clock.advance(100)
    assert c.cleanup_assumed_pods() == []  # binding not finished yet: never expires
    c.finish_binding(pi)
    clock.advance(29)
    assert c.cleanup_assumed_pods() == []
    clock.advance(2)
    assert c.cleanup_assumed_pods() == [pi]
    assert c.node_info("n1").requested.milli_cpu == 0


def test_status_update_does_not_reparse_but_spec_update_does(cache):
    cache.add_pod(pod("a", "n1", labels={"x": "1"}))
    pi = cache.node_info("n1").pods[0]
    gen = cache.node_info("n1").generation
    running = pod("a", "n1", labels={"x": "1"})
    running["status"]["podIP"] = "10.0.0.1"
    cache.update_pod(pod("a", "n1"), running)
    assert cache.node_info("n1").pods[0] is pi and pi.pod is running
    assert cache.node_info("n1").generation == gen
    cache.update_pod(running, pod("a", "n1", labels={"x": "2"}))
    assert cache.node_info("n1").pods[0] is not pi
    assert cache.node_info("n1").pods[0].labels == {"x": "2"}


def test_pods_before_their_node_and_node_removal(cache):
    cache.add_pod(pod("a", "n9"))
    snap = Snapshot()
    cache.update_snapshot(snap)
    assert snap.get("n9") is None  # a node-less NodeInfo is invisible
    cache.add_node(node("n9"))
    cache.update_snapshot(snap)
    assert snap.get("n9").requested.milli_cpu == 100
    cache.remove_node(node("n9"))
    cache.update_snapshot(snap)
    assert snap.get("n9") is None and len(snap) == 2
    assert cache.pod_count == 1  # the pod leaves with its own delete event
    cache.remove_pod(pod("a", "n9"))
    assert cache.node_info("n9") is None


def test_snapshot_is_incremental_and_isolated(cache):
    snap = Snapshot()
    cache.update_snapshot(snap)
    n1, n2 = snap.get("n1"), snap.get("n2")
    assert [n.name for n in snap.node_info_list] == ["n1", "n2"]
    cache.add_pod(pod("a", "n1"))
    assert snap.get("n1").requested.milli_cpu == 0  # the snapshot is a copy
    cache.update_snapshot(snap)
    assert snap.get("n1") is not n1 and snap.get("n1").requested.milli_cpu == 100
    assert snap.get("n2") is n2  # unchanged node not copied again
    assert snap.node_info_list[0] is snap.get("n1")
    gen = snap.generation
    cache.update_snapshot(snap)  # nothing changed
    assert snap.generation == gen


def test_snapshot_affinity_lists(cache):
    snap = Snapshot()
    cache.update_snapshot(snap)
    assert snap.have_pods_with_affinity == []
    cache.add_pod(pod("a", "n2", affinity=True))
    cache.update_snapshot(snap)
    assert [n.name for n in snap.have_pods_with_required_anti_affinity] == ["n2"]
    assert snap.have_pods_with_affinity[0] is snap.get("n2")
    cache.remove_pod(pod("a", "n2"))
    cache.update_snapshot(snap)
    assert snap.have_pods_with_affinity == []


def test_zones_interleave():
    c = SchedulerCache()
    for name, zone in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("b2", "b")):
        c.add_node(node(name, zone=zone))
    assert c.node_order() == ["a1", "b1", "c1", "a2", "b2", "a3"]
    snap = Snapshot()
    c.update_snapshot(snap)
    assert [n.name for n in snap.node_info_list] == ["a1", "b1", "c1", "a2", "b2", "a3"]
    c.update_node(node("a1", zone="a"), node("a1", zone="c"))  # moved zone
    c.update_snapshot(snap)
    assert [n.name for n in snap.node_info_list] == ["a2", "b1", "c1", "a3", "b2", "a1"]


def test_node_update_keeps_pods(cache):
    cache.add_pod(pod("a", "n1"))
    cache.update_node(node("n1"), node("n1", cpu="8"))
    ni = cache.node_info("n1")
    assert ni.allocatable.milli_cpu == 8000 and ni.requested.milli_cpu == 100


def test_zone_key():
    assert zone_key(node("x")) == ""
    assert zone_key(node("x", labels={"topology.kubernetes.io/region": "r", "topology.kubernetes.io/zone": "z"})) \
        == "r:\x00:z"


def _labelled_by_scan(snap, ns, key, value):
    out = {}
    for ni in snap.node_info_list:
        pods = [p for p in ni.pods if p.namespace == ns and p.labels.get(key) == value]
        if pods:
            out[ni.name] = sorted(p.key for p in pods)
    return out


def test_snapshot_label_index_follows_every_change():
    """The snapshot's pods-by-label index, built once and then kept through incremental updates (adds, label
    changes, moves, removals, assumptions and their expiry, node removal and addition), always equals a scan
    of the nodes' pods."""
    import random
    rnd = random.Random(7)
    c = SchedulerCache()
    names = [f"n{i}" for i in range(6)]
    for n in names:
        c.add_node(node(n))
    snap = Snapshot()
    c.update_snapshot(snap)
    assert snap.pods_labelled("ns", "app", "a") == {}  # index built now, on the empty cluster
    live: dict[str, dict] = {}
    queries = [("ns", "app", "a"), ("ns", "app", "b"), ("ns", "tier", "x"), ("other", "app", "a")]
    for step in range(400):
        op = rnd.random()
        name = f"p{rnd.randrange(40)}"
        labels = {"app": rnd.choice("ab"), **({"tier": "x"} if rnd.random() < 0.5 else {})}
        if op < 0.45 and name not in live:
            p = pod(name, rnd.choice(names), labels=labels)
            if rnd.random() < 0.3:  # assumed by the scheduler first, then confirmed by the informer
                c.assume_pod(PodInfo(p), p["spec"]["nodeName"])
            c.add_pod(p)
            live[name] = p
        elif op < 0.7 and name in live:  # labels change (and sometimes only the status)
            new = pod(name, live[name]["spec"]["nodeName"], labels=labels if rnd.random() < 0.7 else
                      live[name]["metadata"]["labels"])
            new["status"]["podIP"] = f"10.0.0.{step % 250}"
            c.update_pod(live[name], new)
            live[name] = new
        elif op < 0.9 and name in live:
            c.remove_pod(live.pop(name))
        elif op < 0.95:  # a node leaves and comes back (the whole list is rebuilt)
            n = rnd.choice(names)
            c.remove_node(node(n))
            c.add_node(node(n))
        if rnd.random() < 0.8:
            c.update_snapshot(snap)
            for q in queries:
                got = {k: sorted(p.key for p in v) for k, v in snap.pods_labelled(*q).items()}
                assert got == _labelled_by_scan(snap, *q), (step, q)
