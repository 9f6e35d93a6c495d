"""PodTopologySpread on small hand-made snapshots: hard constraints (skew, minDomains, inclusion policies,
matchLabelKeys, missing labels), the preemption extensions, cluster defaults and scoring."""

from __future__ import annotations

from typing import Any

import pytest

from kybernetes.machinery.labels import selector_from_set
from kybernetes.scheduler.framework import Code, CycleState, NodeScore
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from kybernetes.scheduler.plugins.podtopologyspread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, NAME, PRE_SCORE_STATE_KEY, PodTopologySpread,
    default_selector,
)

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


# -- builders -----------------------------------------------------------------------------------------------------

def node(name: str, zone: str | None = None, taints: list[dict[str, Any]] | None = None,
         **labels: str) -> dict[str, Any]:
    lab = {HOST: name, **labels}
    if zone is not None:
        lab[ZONE] = zone
    return {"metadata": {"name": name, "labels": lab}, "spec": {"taints": taints or []},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}


def pod(name: str, labels: dict[str, str] | None = None, *, ns: str = "default", node_name: str = "",
        constraints: list[dict[str, Any]] | None = None, terminating: bool = False,
        owner: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": labels or {}}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    if owner:
        meta["ownerReferences"] = [owner]
    s: dict[str, Any] = {"containers": [{"name": "c"}], **spec}
    if node_name:
        s["nodeName"] = node_name
    if constraints:
        s["topologySpreadConstraints"] = constraints
    return {"metadata": meta, "spec": s}


def spread(key: str = ZONE, max_skew: int = 1, when: str = "DoNotSchedule", selector: dict[str, str] | None = None,
           **extra: Any) -> dict[str, Any]:
    return {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": selector if selector is not None else {"app": "web"}}, **extra}


class FakeHandle:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot


def cluster(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> Snapshot:
    infos = {n["metadata"]["name"]: NodeInfo(n) for n in nodes}
    for p in pods:
        infos[p["spec"]["nodeName"]].add_pod(PodInfo(p))
    return Snapshot(list(infos.values()))


def filter_all(plugin: PodTopologySpread, snap: Snapshot, incoming: dict[str, Any]) -> dict[str, tuple[Code, str]]:
    state = CycleState()
    pi = PodInfo(incoming)
    _, st = plugin.pre_filter(state, pi)
    assert st.is_success(), st
    out = {}
    for ni in snap.node_info_list:
        r = plugin.filter(state, pi, ni)
        out[ni.name] = (r.code, r.message())
    return out


OK = (Code.SUCCESS, "")
SKEW = (Code.UNSCHEDULABLE, ERR_REASON_CONSTRAINTS_NOT_MATCH)
NO_LABEL = (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ERR_REASON_NODE_LABEL_NOT_MATCH)

WEB = {"app": "web"}

# node-a, node-b in zone1; node-x, node-y in zone2
FOUR_NODES = [node("node-a", "zone1"), node("node-b", "zone1"), node("node-x", "zone2"), node("node-y", "zone2")]


# -- filtering ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("existing,incoming,want", [
    pytest.param([], pod("p", WEB, constraints=[spread()]),
                 {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK}, id="no-existing-pods"),
    pytest.param([pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a"),
                  pod("b1", WEB, node_name="node-b"), pod("x1", WEB, node_name="node-x")],
                 pod("p", WEB, constraints=[spread()]),
                 {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK}, id="zone1-3-zone2-1"),
    pytest.param([pod("a1", WEB, node_name="node-a"), pod("x1", WEB, node_name="node-x")],
                 pod("p", WEB, constraints=[spread()]),
                 {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK}, id="balanced"),
    pytest.param([pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a")],
                 pod("p", {"app": "other"}, constraints=[spread()]),
                 # the incoming pod does not match its own selector: zone1 skew 2 - 0 + 0 > 1
                 {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK}, id="no-self-match"),
    pytest.param([pod("a1", WEB, node_name="node-a")],
                 pod("p", {"app": "other"}, constraints=[spread()]),
                 {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK}, id="no-self-match-skew-1-ok"),
    pytest.param([pod("a1", WEB, ns="other", node_name="node-a"), pod("a2", WEB, node_name="node-a",
                                                                        terminating=True)],
                 pod("p", WEB, constraints=[spread(max_skew=1)]),
                 {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK}, id="other-namespace-and-terminating"),
    pytest.param([pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a")],
                 pod("p", WEB, constraints=[spread(max_skew=2)]),
                 {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK}, id="max-skew-2"),
    pytest.param([pod("a1", WEB, node_name="node-a"), pod("x1", WEB, node_name="node-x")],
                 pod("p", WEB, constraints=[spread(), spread(HOST)]),
                 # hostname: min is 0 (node-b, node-y empty), so node-a and node-x would reach skew 2
                 {"node-a": SKEW, "node-b": OK, "node-x": SKEW, "node-y": OK}, id="zone-and-hostname"),
])
def test_filter_skew(existing: list[dict[str, Any]], incoming: dict[str, Any],
                     want: dict[str, tuple[Code, str]]) -> None:
    snap = cluster(FOUR_NODES, existing)
    assert filter_all(PodTopologySpread(FakeHandle(snap)), snap, incoming) == want


def test_node_without_topology_label_is_unresolvable_and_not_a_domain() -> None:
    nodes = FOUR_NODES + [node("node-nozone")]
    existing = [pod("n1", WEB, node_name="node-nozone"), pod("a1", WEB, node_name="node-a"),
                pod("x1", WEB, node_name="node-x")]
    snap = cluster(nodes, existing)
    # Two domains only (the unlabelled node is none), fewer than minDomains 3: the global minimum is 0.
    got = filter_all(PodTopologySpread(FakeHandle(snap)), snap, pod("p", WEB, constraints=[spread(minDomains=3)]))
    assert got == {"node-a": SKEW, "node-b": SKEW, "node-x": SKEW, "node-y": SKEW, "node-nozone": NO_LABEL}
    got = filter_all(PodTopologySpread(FakeHandle(snap)), snap, pod("p", WEB, constraints=[spread()]))
    assert got == {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK, "node-nozone": NO_LABEL}


@pytest.mark.parametrize("min_domains,max_skew,want", [
    pytest.param(None, 1, OK, id="default-1"),
    pytest.param(2, 1, OK, id="enough-domains"),
    pytest.param(3, 1, SKEW, id="too-few-domains-min-is-zero"),
    pytest.param(3, 2, OK, id="too-few-domains-larger-skew"),
])
def test_min_domains(min_domains: int | None, max_skew: int, want: tuple[Code, str]) -> None:
    snap = cluster(FOUR_NODES, [pod("a1", WEB, node_name="node-a"), pod("x1", WEB, node_name="node-x")])
    extra = {} if min_domains is None else {"minDomains": min_domains}
    got = filter_all(PodTopologySpread(FakeHandle(snap)), snap,
                     pod("p", WEB, constraints=[spread(max_skew=max_skew, **extra)]))
    assert set(got.values()) == {want}


@pytest.mark.parametrize("policy,want_a", [
    pytest.param(None, OK, id="honor-by-default"),
    pytest.param("Honor", OK, id="honor"),
    pytest.param("Ignore", SKEW, id="ignore"),
])
def test_node_affinity_policy(policy: str | None, want_a: tuple[Code, str]) -> None:
    # zone1 holds 2 pods; zone2 is empty but the pod may only go to zone1 (nodeSelector).
    snap = cluster(FOUR_NODES, [pod("a1", WEB, node_name="node-a"), pod("b1", WEB, node_name="node-b")])
    extra = {} if policy is None else {"nodeAffinityPolicy": policy}
    incoming = pod("p", WEB, constraints=[spread(max_skew=1, **extra)], nodeSelector={ZONE: "zone1"})
    got = filter_all(PodTopologySpread(FakeHandle(snap)), snap, incoming)
    assert got["node-a"] == want_a


@pytest.mark.parametrize("policy,tolerate,want_a", [
    pytest.param(None, False, SKEW, id="ignore-by-default"),
    pytest.param("Honor", False, OK, id="honor-excludes-tainted"),
    pytest.param("Honor", True, SKEW, id="honor-tolerated-counts"),
])
def test_node_taints_policy(policy: str | None, tolerate: bool, want_a: tuple[Code, str]) -> None:
    taint = {"key": "dedicated", "value": "x", "effect": "NoSchedule"}
    nodes = [node("node-a", "zone1"), node("node-t", "zone2", taints=[taint])]
    snap = cluster(nodes, [pod("a1", WEB, node_name="node-a")])
    extra = {} if policy is None else {"nodeTaintsPolicy": policy}
    spec = {"tolerations": [{"key": "dedicated", "operator": "Exists"}]} if tolerate else {}
    got = filter_all(PodTopologySpread(FakeHandle(snap)), snap,
                     pod("p", WEB, constraints=[spread(max_skew=1, **extra)], **spec))
    assert got["node-a"] == want_a


def test_match_label_keys_narrow_the_selector() -> None:
    existing = [pod("a1", {"app": "web", "rev": "1"}, node_name="node-a"),
                pod("a2", {"app": "web", "rev": "1"}, node_name="node-a")]
    snap = cluster(FOUR_NODES, existing)
    plugin = PodTopologySpread(FakeHandle(snap))
    new_rev = pod("p", {"app": "web", "rev": "2"}, constraints=[spread(matchLabelKeys=["rev"])])
    same_rev = pod("p", {"app": "web", "rev": "1"}, constraints=[spread(matchLabelKeys=["rev"])])
    assert set(filter_all(plugin, snap, new_rev).values()) == {OK}
    assert filter_all(plugin, snap, same_rev)["node-a"] == SKEW


@pytest.mark.parametrize("incoming", [
    pytest.param(pod("p", WEB), id="no-constraints"),
    pytest.param(pod("p", WEB, constraints=[spread(when="ScheduleAnyway")]), id="only-soft"),
])
def test_pre_filter_skips_without_hard_constraints(incoming: dict[str, Any]) -> None:
    snap = cluster(FOUR_NODES, [])
    _, st = PodTopologySpread(FakeHandle(snap)).pre_filter(CycleState(), PodInfo(incoming))
    assert st.code == Code.SKIP


def test_filter_without_pre_filter_is_an_error() -> None:
    snap = cluster(FOUR_NODES, [])
    st = PodTopologySpread(FakeHandle(snap)).filter(CycleState(), PodInfo(pod("p", WEB)), snap.node_info_list[0])
    assert st.code == Code.ERROR


def test_add_and_remove_pod_update_counts_on_a_clone() -> None:
    existing = [pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a")]
    snap = cluster(FOUR_NODES, existing)
    plugin = PodTopologySpread(FakeHandle(snap))
    incoming = PodInfo(pod("p", WEB, constraints=[spread()]))
    state = CycleState()
    plugin.pre_filter(state, incoming)
    node_a, node_x = snap.get("node-a"), snap.get("node-x")
    assert plugin.filter(state, incoming, node_a).code == Code.UNSCHEDULABLE

    clone = state.clone()
    for victim in list(node_a.pods):
        assert plugin.pre_filter_remove_pod(clone, incoming, victim, node_a).is_success()
    assert plugin.filter(clone, incoming, node_a).is_success()
    assert plugin.filter(state, incoming, node_a).code == Code.UNSCHEDULABLE  # the original is untouched

    # adding two matching pods in zone2 makes zone1 the minimum again
    for name in ("x1", "x2"):
        plugin.pre_filter_add_pod(clone, incoming, PodInfo(pod(name, WEB, node_name="node-x")), node_x)
    assert plugin.filter(clone, incoming, node_x).code == Code.UNSCHEDULABLE
    assert plugin.filter(clone, incoming, node_a).is_success()
    # pods of other namespaces or not matching the selector change nothing
    plugin.pre_filter_add_pod(clone, incoming, PodInfo(pod("o", WEB, ns="other", node_name="node-a")), node_a)
    plugin.pre_filter_add_pod(clone, incoming, PodInfo(pod("q", {"app": "db"}, node_name="node-a")), node_a)
    assert plugin.filter(clone, incoming, node_a).is_success()


def test_extensions_are_noops_when_the_plugin_was_skipped() -> None:
    snap = cluster(FOUR_NODES, [])
    plugin = PodTopologySpread(FakeHandle(snap))
    state = CycleState()
    state.skip_filter_plugins.add(NAME)
    incoming = PodInfo(pod("p", WEB))
    assert plugin.pre_filter_add_pod(state, incoming, PodInfo(pod("x", WEB)), snap.get("node-a")).is_success()


# -- cluster default constraints -----------------------------------------------------------------------------------

def test_default_selector_merges_services_and_controller() -> None:
    p = pod("p", {"app": "web", "tier": "fe", "pod-template-hash": "abc"},
            owner={"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs1", "controller": True})
    services = [
        {"metadata": {"name": "s1", "namespace": "default"}, "spec": {"selector": {"app": "web"}}},
        {"metadata": {"name": "s2", "namespace": "default"}, "spec": {"selector": {"app": "db"}}},
        {"metadata": {"name": "s3", "namespace": "default"}, "spec": {}},  # no selector: selects nothing
    ]
    rs = {"spec": {"selector": {"matchLabels": {"pod-template-hash": "abc"}}}}
    got = default_selector(p, services=services,
                           get_controller=lambda kind, ns, name: rs if (kind, ns, name) == ("ReplicaSet", "default",
                                                                                                "rs1") else None)
    assert str(got) == "app=web,pod-template-hash=abc"
    assert default_selector(pod("q", {"x": "y"}), services=services, get_controller=lambda *a: None).empty


def test_system_defaults_score_but_never_filter() -> None:
    snap = cluster(FOUR_NODES, [pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a")])
    plugin = PodTopologySpread(FakeHandle(snap), {"selectorLookup": lambda p: selector_from_set(WEB)})
    incoming = PodInfo(pod("p", WEB))
    state = CycleState()
    assert plugin.pre_filter(state, incoming)[1].code == Code.SKIP  # defaults are ScheduleAnyway
    assert plugin.pre_score(state, incoming, snap.node_info_list).is_success()
    scores = [NodeScore(ni.name, plugin.score(state, incoming, ni)) for ni in snap.node_info_list]
    plugin.normalize_score(state, incoming, scores)
    by_name = {s.name: s.score for s in scores}
    assert by_name["node-a"] < by_name["node-b"] < by_name["node-x"] == by_name["node-y"] == 100


def test_system_defaults_need_a_selecting_object() -> None:
    snap = cluster(FOUR_NODES, [])
    plugin = PodTopologySpread(FakeHandle(snap), {"selectorLookup": lambda p: selector_from_set({})})
    assert plugin.pre_score(CycleState(), PodInfo(pod("p", WEB)), snap.node_info_list).code == Code.SKIP


def test_list_defaults_can_be_hard() -> None:
    snap = cluster(FOUR_NODES, [pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a")])
    args = {"defaultingType": "List",
            "defaultConstraints": [{"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule"}],
            "selectorLookup": lambda p: selector_from_set(WEB)}
    got = filter_all(PodTopologySpread(FakeHandle(snap), args), snap, pod("p", WEB))
    assert got == {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK}
    # a pod with its own constraints ignores the defaults
    own = pod("p", WEB, constraints=[spread(HOST, max_skew=5)])
    assert set(filter_all(PodTopologySpread(FakeHandle(snap), args), snap, own).values()) == {OK}


def test_informers_on_the_handle_provides_the_lookup() -> None:
    class FakeInformer:
        def __init__(self, objs: list[dict[str, Any]]) -> None:
            self.objs = objs

        def by_index(self, name: str, value: str) -> list[dict[str, Any]]:
            return [o for o in self.objs if o["metadata"].get("namespace") == value]

        def get(self, key: str) -> dict[str, Any] | None:
            return next((o for o in self.objs if f"{o['metadata']['namespace']}/{o['metadata']['name']}" == key),
                        None)

    class FakeFactory:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def informer(self, group: str, version: str, plural: str) -> FakeInformer:
            self.asked.append(plural)
            if plural == "services":
                return FakeInformer([{"metadata": {"name": "s", "namespace": "default"},
                                      "spec": {"selector": WEB}}])
            return FakeInformer([])

    snap = cluster(FOUR_NODES, [])
    handle = FakeHandle(snap)
    handle.informers = FakeFactory()  # type: ignore[attr-defined]
    plugin = PodTopologySpread(handle)
    assert sorted(handle.informers.asked) == ["replicasets", "replicationcontrollers", "services",
                                                     "statefulsets"]
    assert plugin.pre_score(CycleState(), PodInfo(pod("p", WEB)), snap.node_info_list).is_success()


# -- scoring ------------------------------------------------------------------------------------------------------

def run_score(plugin: PodTopologySpread, incoming: dict[str, Any], nodes: list[NodeInfo]) -> dict[str, int]:
    state = CycleState()
    pi = PodInfo(incoming)
    assert plugin.pre_score(state, pi, nodes).is_success()
    scores = [NodeScore(ni.name, plugin.score(state, pi, ni)) for ni in nodes]
    plugin.normalize_score(state, pi, scores)
    return {s.name: s.score for s in scores}


def test_score_hostname_constraint_matches_upstream() -> None:
    nodes = [node("node-a"), node("node-b"), node("node-c"), node("node-d")]
    existing = [pod("a1", {"foo": ""}, node_name="node-a"), pod("a2", {"foo": ""}, node_name="node-a"),
                pod("b1", {"foo": ""}, node_name="node-b"),
                pod("d1", {"foo": ""}, node_name="node-d"), pod("d2", {"foo": ""}, node_name="node-d"),
                pod("d3", {"foo": ""}, node_name="node-d")]
    snap = cluster(nodes, existing)
    incoming = pod("p", {"foo": ""}, constraints=[spread(HOST, when="ScheduleAnyway", selector={"foo": ""})])
    got = run_score(PodTopologySpread(FakeHandle(snap)), incoming, snap.node_info_list)
    assert got == {"node-a": 20, "node-b": 60, "node-c": 100, "node-d": 0}


def test_score_zone_constraint_and_ignored_nodes() -> None:
    nodes = FOUR_NODES + [node("node-nozone")]
    existing = [pod("a1", WEB, node_name="node-a"), pod("a2", WEB, node_name="node-a"),
                pod("x1", WEB, node_name="node-x")]
    snap = cluster(nodes, existing)
    incoming = pod("p", WEB, constraints=[spread(when="ScheduleAnyway")])
    got = run_score(PodTopologySpread(FakeHandle(snap)), incoming, snap.node_info_list)
    # zone1: 2 pods, zone2: 1 pod, weight log(2+2): raw 3 and 1 -> 100*(3+1-3)/3 = 33, 100*(3+1-1)/3 = 100
    assert got == {"node-a": 33, "node-b": 33, "node-x": 100, "node-y": 100, "node-nozone": 0}


def test_pre_score_skips_without_soft_constraints() -> None:
    snap = cluster(FOUR_NODES, [])
    plugin = PodTopologySpread(FakeHandle(snap))
    assert plugin.pre_score(CycleState(), PodInfo(pod("p", WEB, constraints=[spread()])),
                            snap.node_info_list).code == Code.SKIP


def test_nodes_without_the_topology_key_count_for_no_domain() -> None:
    # node-e has an empty zone value (the key is present); node-n has no zone label at all: its pods must not
    # be counted into the "" zone (upstream skips nodes lacking the key when counting domains)
    nodes = [node("node-e", zone=""), node("node-n"), node("node-z", zone="z1")]
    pods = [pod(f"n{i}", WEB, node_name="node-n") for i in range(3)]
    snap = cluster(nodes, pods)
    plugin = PodTopologySpread(FakeHandle(snap), {"selectorLookup": lambda p: selector_from_set(WEB)})
    incoming = PodInfo(pod("p", WEB))
    state = CycleState()
    assert plugin.pre_score(state, incoming, snap.node_info_list).is_success()
    raw = {ni.name: plugin.score(state, incoming, ni) for ni in snap.node_info_list}
    # node-e and node-z both hold no matching pod in their own zone and on themselves: equal raw scores
    assert raw["node-e"] == raw["node-z"]
    assert raw["node-n"] > raw["node-e"]


@pytest.mark.parametrize("seed", range(4))
def test_bulk_scores_equal_per_node_scores(seed: int) -> None:
    """``score_nodes`` (the hot path) gives exactly what ``score`` gives node by node: own soft constraints over
    hostname and zone with set-based and equality selectors, and the system defaults; some nodes lack a zone,
    some pods terminate or live in another namespace."""
    import random

    rng = random.Random(seed)
    nodes = [node(f"n{i}", rng.choice(["a", "b", "c", None])) for i in range(30)]
    existing = [pod(f"e{i}", {"app": rng.choice(["web", "db"]), "tier": rng.choice(["x", "y"])},
                    ns=rng.choice(["default", "other"]), node_name=f"n{rng.randrange(30)}",
                    terminating=rng.random() < 0.1) for i in range(120)]
    snap = cluster(nodes, existing)
    selectors = [{"matchLabels": {"app": "web"}}, {"matchLabels": {"app": "db", "tier": "x"}},
                 {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]}]
    for k in range(20):
        own = [{"maxSkew": rng.randint(1, 3), "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": rng.choice(selectors)} for key in rng.sample([HOST, ZONE], rng.randint(1, 2))]
        incoming = PodInfo(pod(f"p{k}", {"app": "web", "tier": "x"}, constraints=own if k % 3 else None))
        plugin = PodTopologySpread(FakeHandle(snap), {"selectorLookup": lambda p: selector_from_set({"app": "web"})})
        state = CycleState()
        assert plugin.pre_score(state, incoming, snap.node_info_list).is_success()
        want = [plugin.score(state, incoming, ni) for ni in snap.node_info_list]
        assert plugin.score_nodes(state, incoming, snap.node_info_list) == want
        assert any(want)
        # PreScore's per-zone counts (taken from the snapshot's label index) equal a scan of every node's pods
        ps = state.read(PRE_SCORE_STATE_KEY)
        for c, counts in zip(ps.constraints, ps.counts):
            if c.topology_key != ZONE:
                continue
            scan: dict[str, int] = {}
            for ni in snap.node_info_list:
                zone = ni.labels.get(ZONE)
                if ni.name in ps.ignored_nodes:
                    continue
                if zone is None:  # with the system defaults, a node without a zone is in the "" domain, counting 0
                    scan.setdefault("", 0)
                    continue
                scan[zone] = scan.get(zone, 0) + sum(
                    1 for p in ni.pods if p.namespace == "default" and c.selector.matches(p.labels)
                    and not p.pod["metadata"].get("deletionTimestamp"))
            assert counts == scan
