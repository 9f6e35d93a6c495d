"""InterPodAffinity on small hand-made snapshots: required affinity / anti-affinity / symmetry, namespaces and
namespace selectors, matchLabelKeys, the first pod of a self-affine group, the preemption extensions and scoring."""

from __future__ import annotations

from typing import Any

import pytest

from kybernetes.scheduler.framework import Code, CycleState, NodeScore
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from kybernetes.scheduler.plugins.interpodaffinity import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH, InterPodAffinity,
)

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


# -- builders -----------------------------------------------------------------------------------------------------

def node(name: str, zone: str | None = None) -> dict[str, Any]:
    labels = {HOST: name}
    if zone is not None:
        labels[ZONE] = zone
    return {"metadata": {"name": name, "labels": labels}, "status": {"allocatable": {"cpu": "4", "pods": "110"}}}


def term(selector: dict[str, str] | None, key: str = ZONE, **extra: Any) -> dict[str, Any]:
    t: dict[str, Any] = {"topologyKey": key, **extra}
    if selector is not None:
        t["labelSelector"] = {"matchLabels": selector}
    return t


def pod(name: str, labels: dict[str, str] | None = None, *, ns: str = "default", node_name: str = "",
        affinity: list[dict[str, Any]] | None = None, anti: list[dict[str, Any]] | None = None,
        pref_affinity: list[tuple[int, dict[str, Any]]] | None = None,
        pref_anti: list[tuple[int, dict[str, Any]]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c"}]}
    if node_name:
        spec["nodeName"] = node_name
    aff: dict[str, Any] = {}
    if affinity or pref_affinity:
        aff["podAffinity"] = {}
        if affinity:
            aff["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = affinity
        if pref_affinity:
            aff["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": w, "podAffinityTerm": t} for w, t in pref_affinity]
    if anti or pref_anti:
        aff["podAntiAffinity"] = {}
        if anti:
            aff["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = anti
        if pref_anti:
            aff["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": w, "podAffinityTerm": t} for w, t in pref_anti]
    if aff:
        spec["affinity"] = aff
    return {"metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": labels or {}}, "spec": spec}


class FakeHandle:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot


def cluster(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> Snapshot:
    infos = {n["metadata"]["name"]: NodeInfo(n) for n in nodes}
    for p in pods:
        infos[p["spec"]["nodeName"]].add_pod(PodInfo(p))
    return Snapshot(list(infos.values()))


OK = (Code.SUCCESS, "")
AFF = (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ERR_REASON_AFFINITY_RULES_NOT_MATCH)
ANTI = (Code.UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
EXISTING = (Code.UNSCHEDULABLE, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)

# n1, n2 in zone-a; n3 in zone-b; n4 has no zone label
NODES = [node("n1", "zone-a"), node("n2", "zone-a"), node("n3", "zone-b"), node("n4")]
DB = {"app": "db"}
WEB = {"app": "web"}


def filter_all(snap: Snapshot, incoming: dict[str, Any], args: dict[str, Any] | None = None
               ) -> dict[str, tuple[Code, str]]:
    plugin = InterPodAffinity(FakeHandle(snap), args)
    state = CycleState()
    pi = PodInfo(incoming)
    _, st = plugin.pre_filter(state, pi)
    if st.code == Code.SKIP:  # the framework then calls no Filter: every node passes
        return {ni.name: OK for ni in snap.node_info_list}
    assert st.is_success(), st
    return {ni.name: ((r := plugin.filter(state, pi, ni)).code, r.message()) for ni in snap.node_info_list}


# -- filtering ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("existing,incoming,want", [
    pytest.param([pod("db", DB, node_name="n1")], pod("p", WEB, affinity=[term(DB)]),
                 {"n1": OK, "n2": OK, "n3": AFF, "n4": AFF}, id="affinity-zone"),
    pytest.param([pod("db", DB, node_name="n1")], pod("p", WEB, affinity=[term(DB, HOST)]),
                 {"n1": OK, "n2": AFF, "n3": AFF, "n4": AFF}, id="affinity-host"),
    pytest.param([pod("db", DB, node_name="n1")], pod("p", WEB, affinity=[term(DB), term({"app": "cache"})]),
                 {"n1": AFF, "n2": AFF, "n3": AFF, "n4": AFF}, id="affinity-all-terms-must-match-one-pod"),
    pytest.param([pod("db", DB, ns="other", node_name="n1")], pod("p", WEB, affinity=[term(DB)]),
                 {"n1": AFF, "n2": AFF, "n3": AFF, "n4": AFF}, id="affinity-own-namespace-only"),
    pytest.param([pod("db", DB, ns="other", node_name="n3")], pod("p", WEB, affinity=[term(DB, namespaces=["other"])]),
                 {"n1": AFF, "n2": AFF, "n3": OK, "n4": AFF}, id="affinity-namespaces"),
    pytest.param([pod("db", DB, ns="other", node_name="n3")], pod("p", WEB, affinity=[term(DB, namespaceSelector={})]),
                 {"n1": AFF, "n2": AFF, "n3": OK, "n4": AFF}, id="affinity-empty-namespace-selector-means-all"),
    pytest.param([], pod("p", WEB, affinity=[term(WEB)]),
                 {"n1": OK, "n2": OK, "n3": OK, "n4": AFF}, id="first-pod-of-self-affine-group"),
    pytest.param([pod("w", WEB, node_name="n3")], pod("p", WEB, affinity=[term(WEB)]),
                 {"n1": AFF, "n2": AFF, "n3": OK, "n4": AFF}, id="self-affine-group-already-started"),
    pytest.param([], pod("p", WEB, affinity=[term(DB)]),
                 {"n1": AFF, "n2": AFF, "n3": AFF, "n4": AFF}, id="no-self-match-no-pods"),
    pytest.param([pod("w", WEB, node_name="n1")], pod("p", WEB, anti=[term(WEB, HOST)]),
                 {"n1": ANTI, "n2": OK, "n3": OK, "n4": OK}, id="anti-affinity-host"),
    pytest.param([pod("w", WEB, node_name="n1")], pod("p", WEB, anti=[term(WEB)]),
                 {"n1": ANTI, "n2": ANTI, "n3": OK, "n4": OK}, id="anti-affinity-zone-node-without-key-fits"),
    pytest.param([pod("w", WEB, node_name="n1", anti=[term(WEB)])], pod("p", WEB),
                 {"n1": EXISTING, "n2": EXISTING, "n3": OK, "n4": OK}, id="existing-anti-affinity-symmetry"),
    pytest.param([pod("w", WEB, node_name="n1", anti=[term(WEB)])], pod("p", WEB, ns="other"),
                 {"n1": OK, "n2": OK, "n3": OK, "n4": OK}, id="existing-anti-affinity-other-namespace"),
    pytest.param([pod("d", DB, node_name="n1"), pod("w2", WEB, node_name="n2", anti=[term(DB, HOST)]),
                  pod("w3", WEB, node_name="n3", anti=[term(DB, HOST)])],
                 pod("p", DB, affinity=[term(DB)]),
                 # n3 breaks both rules: the affinity rejection (unresolvable) is the one reported
                 {"n1": OK, "n2": EXISTING, "n3": AFF, "n4": AFF}, id="affinity-checked-before-symmetry"),
])
def test_filter(existing: list[dict[str, Any]], incoming: dict[str, Any], want: dict[str, tuple[Code, str]]) -> None:
    assert filter_all(cluster(NODES, existing), incoming) == want


def test_pre_filter_skips_when_nothing_concerns_the_pod() -> None:
    snap = cluster(NODES, [pod("w", WEB, node_name="n1", anti=[term(DB)]), pod("x", WEB, node_name="n2")])
    _, st = InterPodAffinity(FakeHandle(snap)).pre_filter(CycleState(), PodInfo(pod("p", WEB)))
    assert st.code == Code.SKIP


def test_namespace_selector_uses_the_lookup() -> None:
    snap = cluster(NODES, [pod("db", DB, ns="prod", node_name="n3"), pod("db2", DB, ns="dev", node_name="n1")])
    labels = {"prod": {"env": "prod"}, "dev": {"env": "dev"}}
    calls: list[str] = []

    def lookup(name: str) -> dict[str, str] | None:
        calls.append(name)
        return labels.get(name)

    incoming = pod("p", WEB, affinity=[term(DB, namespaceSelector={"matchLabels": {"env": "prod"}})])
    got = filter_all(snap, incoming, {"namespaceLabels": lookup})
    assert got == {"n1": AFF, "n2": AFF, "n3": OK, "n4": AFF}
    assert sorted(set(calls)) == sorted(calls)  # each namespace looked up once per cycle
    # the same selector matched by an existing pod's anti-affinity against the incoming pod's namespace
    snap = cluster(NODES, [pod("w", WEB, node_name="n1",
                               anti=[term(WEB, namespaceSelector={"matchLabels": {"env": "prod"}})])])
    assert filter_all(snap, pod("p", WEB, ns="prod"), {"namespaceLabels": lookup})["n1"] == EXISTING
    assert filter_all(snap, pod("p", WEB, ns="dev"), {"namespaceLabels": lookup})["n1"] == OK


@pytest.mark.parametrize("keys,incoming_rev,want_n1", [
    pytest.param({"matchLabelKeys": ["rev"]}, "1", ANTI, id="match-same-rev"),
    pytest.param({"matchLabelKeys": ["rev"]}, "2", OK, id="match-other-rev"),
    pytest.param({"mismatchLabelKeys": ["rev"]}, "1", OK, id="mismatch-same-rev"),
    pytest.param({"mismatchLabelKeys": ["rev"]}, "2", ANTI, id="mismatch-other-rev"),
])
def test_match_label_keys(keys: dict[str, list[str]], incoming_rev: str, want_n1: tuple[Code, str]) -> None:
    snap = cluster(NODES, [pod("w", {"app": "web", "rev": "1"}, node_name="n1")])
    incoming = pod("p", {"app": "web", "rev": incoming_rev}, anti=[term(WEB, HOST, **keys)])
    assert filter_all(snap, incoming)["n1"] == want_n1


def test_bad_selector_on_incoming_pod_is_unresolvable() -> None:
    snap = cluster(NODES, [])
    bad = pod("p", WEB)
    bad["spec"]["affinity"] = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"topologyKey": ZONE, "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}}]}}
    _, st = InterPodAffinity(FakeHandle(snap)).pre_filter(CycleState(), PodInfo(bad))
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_remove_and_add_pod_on_a_clone() -> None:
    victim = pod("w", WEB, node_name="n1", anti=[term(WEB, HOST)])
    snap = cluster(NODES, [victim, pod("x", WEB, node_name="n2")])
    plugin = InterPodAffinity(FakeHandle(snap))
    incoming = PodInfo(pod("p", WEB, anti=[term(WEB, HOST)]))
    state = CycleState()
    plugin.pre_filter(state, incoming)
    n1, n3 = snap.get("n1"), snap.get("n3")
    assert plugin.filter(state, incoming, n1).code == Code.UNSCHEDULABLE

    clone = state.clone()
    assert plugin.pre_filter_remove_pod(clone, incoming, n1.pods[0], n1).is_success()
    assert plugin.filter(clone, incoming, n1).is_success()  # both its anti-affinity and its match are gone
    assert plugin.filter(state, incoming, n1).code == Code.UNSCHEDULABLE  # original untouched

    plugin.pre_filter_add_pod(clone, incoming, PodInfo(pod("y", WEB, node_name="n3")), n3)
    assert plugin.filter(clone, incoming, n3).message() == ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH
    plugin.pre_filter_add_pod(clone, incoming, PodInfo(pod("z", DB, node_name="n1", anti=[term(WEB, HOST)])), n1)
    assert plugin.filter(clone, incoming, n1).message() == ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH


def test_remove_pod_ends_affinity_match() -> None:
    snap = cluster(NODES, [pod("db", DB, node_name="n1")])
    plugin = InterPodAffinity(FakeHandle(snap))
    incoming = PodInfo(pod("p", WEB, affinity=[term(DB)]))
    state = CycleState()
    plugin.pre_filter(state, incoming)
    n1 = snap.get("n1")
    assert plugin.filter(state, incoming, n1).is_success()
    plugin.pre_filter_remove_pod(state, incoming, n1.pods[0], n1)
    assert plugin.filter(state, incoming, n1).code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


# -- scoring ------------------------------------------------------------------------------------------------------

def run_score(snap: Snapshot, incoming: dict[str, Any], args: dict[str, Any] | None = None) -> dict[str, int] | None:
    plugin = InterPodAffinity(FakeHandle(snap), args)
    state = CycleState()
    pi = PodInfo(incoming)
    st = plugin.pre_score(state, pi, snap.node_info_list)
    if st.code == Code.SKIP:
        return None
    assert st.is_success()
    scores = [NodeScore(ni.name, plugin.score(state, pi, ni)) for ni in snap.node_info_list]
    plugin.normalize_score(state, pi, scores)
    return {s.name: s.score for s in scores}


def test_preferred_affinity_and_anti_affinity() -> None:
    snap = cluster(NODES, [pod("db", DB, node_name="n1"), pod("cache", {"app": "cache"}, node_name="n3")])
    got = run_score(snap, pod("p", WEB, pref_affinity=[(5, term(DB))]))
    assert got == {"n1": 100, "n2": 100, "n3": 0, "n4": 0}
    # raw: zone-a +8, zone-b -4, n4 (no zone) 0 -> normalized over [-4, 8]
    got = run_score(snap, pod("p", WEB, pref_affinity=[(8, term(DB))], pref_anti=[(4, term({"app": "cache"}))]))
    assert got == {"n1": 100, "n2": 100, "n3": 0, "n4": 33}


def test_existing_pods_terms_score_symmetrically() -> None:
    existing = [pod("a", DB, node_name="n1", affinity=[term(WEB)]),  # hard affinity: hardPodAffinityWeight
                pod("b", DB, node_name="n3", pref_anti=[(3, term(WEB))])]
    snap = cluster(NODES, existing)
    # raw zone-a +1 (hard term, default weight 1), zone-b -3, n4 0
    assert run_score(snap, pod("p", WEB)) == {"n1": 100, "n2": 100, "n3": 0, "n4": 75}
    # raw zone-a 10, zone-b -3, n4 0
    assert run_score(snap, pod("p", WEB), {"hardPodAffinityWeight": 10}) == {"n1": 100, "n2": 100, "n3": 0,
                                                                            "n4": 23}
    # weight 0 ignores the hard term
    assert run_score(snap, pod("p", WEB), {"hardPodAffinityWeight": 0}) == {"n1": 100, "n2": 100, "n3": 0,
                                                                           "n4": 100}


def test_pre_score_skips() -> None:
    snap = cluster(NODES, [pod("x", DB, node_name="n1")])
    assert run_score(snap, pod("p", WEB)) is None  # nobody has terms
    snap = cluster(NODES, [pod("a", DB, node_name="n1", pref_affinity=[(3, term(WEB))])])
    assert run_score(snap, pod("p", WEB), {"ignorePreferredTermsOfExistingPods": True}) is None
    assert run_score(snap, pod("p", WEB)) == {"n1": 100, "n2": 100, "n3": 0, "n4": 0}
