"""The plugins' fast paths on random clusters: bulk Filter masks only vouch for nodes Filter passes (and do vouch
for the ordinary ones), bulk and batch scores equal per-node scores exactly, pods of equal ``signature`` get equal
Filter and Score results everywhere, and PreScore's quick SKIP agrees with the slow one."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from kybernetes.scheduler.framework import Code, CycleState, Plugin
from kybernetes.scheduler.nodearrays import FLAG_INEXACT, NodeArrays, NodeList
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from kybernetes.scheduler.plugins.balancedallocation import NodeResourcesBalancedAllocation
from kybernetes.scheduler.plugins.imagelocality import ImageLocality
from kybernetes.scheduler.plugins.nodeaffinity import NodeAffinity
from kybernetes.scheduler.plugins.nodename import NodeName
from kybernetes.scheduler.plugins.nodeports import NodePorts
from kybernetes.scheduler.plugins.noderesourcesfit import NodeResourcesFit
from kybernetes.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from kybernetes.scheduler.plugins.tainttoleration import TaintToleration
from tests.unit.scheduler import randomcluster
from tests.unit.scheduler.plugins.builders import FakeHandle

SCORING = [
    {},
    {"scoringStrategy": {"type": "MostAllocated"}},
    {"scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 3},
                                                                 {"name": "memory", "weight": 1}]}},
    {"scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "memory", "weight": 2},
                                                                {"name": "cpu", "weight": 5}]}},
    {"scoringStrategy": {"type": "LeastAllocated", "resources": [
        {"name": "cpu"}, {"name": "memory"}, {"name": "ephemeral-storage"}, {"name": randomcluster.GPU}]}},
    {"scoringStrategy": {"type": "RequestedToCapacityRatio", "requestedToCapacityRatio": {
        "shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]}}},
]
BALANCED = [{}, {"resources": [{"name": "cpu"}, {"name": "memory"}, {"name": "ephemeral-storage"}]}]


def cluster(seed: int, n: int = 200, pods: int = 60) -> tuple[list[NodeInfo], list[PodInfo]]:
    rng = random.Random(seed)
    nodes = []
    for i in range(n):
        ni = NodeInfo(randomcluster.node(rng, f"n{i}"))
        for j in range(rng.randint(0, 3)):
            ni.add_pod(PodInfo(randomcluster.pod(rng, f"e{i}-{j}", node_name=ni.name)))
        nodes.append(ni)
    return nodes, [PodInfo(randomcluster.pod(rng, f"p{k}")) for k in range(pods)]


def pre_filter(pl: Plugin, pi: PodInfo) -> CycleState | None:
    """A cycle state after the plugin's PreFilter; None when it skips the pod."""
    state = CycleState()
    if "pre_filter" in pl.extension_points:
        _, s = pl.pre_filter(state, pi)
        if s.code == Code.SKIP:
            return None
    return state


@pytest.mark.parametrize("plugin", [NodeResourcesFit, TaintToleration, NodeUnschedulable, NodePorts])
def test_filter_masks_only_vouch_for_passing_nodes(plugin):
    nodes, pods = cluster(1)
    arrays = NodeArrays(nodes)
    pl = plugin(FakeHandle(Snapshot(nodes)))
    vouched = doubted = 0
    for pi in pods:
        state = pre_filter(pl, pi)
        if state is None:
            continue
        mask = pl.filter_batch(state, pi, arrays)
        if mask is None:
            continue
        assert mask.dtype == bool and mask.shape == (len(nodes),)
        for ni, sure in zip(nodes, mask.tolist()):
            passes = pl.filter(state, pi, ni).code == Code.SUCCESS
            if sure:
                assert passes, (pi, ni)
                vouched += 1
            elif passes:
                doubted += 1
    assert vouched > 100  # masks are useful, not all-False


def test_fit_mask_is_the_fast_path_exactly():
    nodes, pods = cluster(2)
    arrays = NodeArrays(nodes)
    pl = NodeResourcesFit()
    seen = 0
    for pi in pods:
        state = pre_filter(pl, pi)
        mask = pl.filter_batch(state, pi, arrays)
        s = state.read("PreFilterNodeResourcesFit")
        if s.scalars or pi.requests.memory >= 2**52:
            assert mask is None
            continue
        seen += 1
        for i, ni in enumerate(nodes):
            a, r = ni.allocatable, ni.requested
            fast = (len(ni.pods) < a.allowed_pods and s.milli_cpu <= a.milli_cpu - r.milli_cpu
                    and s.memory <= a.memory - r.memory
                    and s.ephemeral_storage <= a.ephemeral_storage - r.ephemeral_storage)
            if arrays.flags[i] & FLAG_INEXACT:
                assert not mask[i]
            else:
                assert bool(mask[i]) == fast
    assert seen > 30


def node_list(nodes: list[NodeInfo], arrays: NodeArrays, rng: random.Random) -> NodeList:
    rows = np.array(sorted(rng.sample(range(len(nodes)), len(nodes) // 2)), dtype=np.intp)
    rng.shuffle(rows)
    return NodeList([nodes[i] for i in rows], arrays, rows)


@pytest.mark.parametrize("plugin,args", [(NodeResourcesFit, a) for a in SCORING]
                         + [(NodeResourcesBalancedAllocation, a) for a in BALANCED])
def test_bulk_scores_equal_per_node_scores(plugin, args):
    nodes, pods = cluster(3)
    arrays = NodeArrays(nodes)
    rng = random.Random(4)
    pl = plugin(FakeHandle(Snapshot(nodes)), args)
    for pi in pods:
        nl = node_list(nodes, arrays, rng)
        state = CycleState()
        assert pl.pre_score(state, pi, nl).code == Code.SUCCESS
        want = [pl.score(state, pi, ni) for ni in nl]
        bulk = pl.score_nodes(state, pi, nl)
        plain = pl.score_nodes(state, pi, list(nl))
        assert list(bulk) == want == list(plain), pi
        assert isinstance(plain, list)
        if not args and pi.requests.memory < 2**52:
            assert isinstance(bulk, np.ndarray)  # the default configuration does take the array path


def test_batch_scores_of_lookup_plugins():
    nodes, pods = cluster(5)
    arrays = NodeArrays(nodes)
    rng = random.Random(6)
    for plugin in (TaintToleration, ImageLocality, NodeAffinity):
        pl = plugin(FakeHandle(Snapshot(nodes)))
        scored = 0
        for pi in pods:
            nl = node_list(nodes, arrays, rng)
            state = CycleState()
            if pl.pre_score(state, pi, nl).code == Code.SKIP:
                continue
            scored += 1
            assert pl.score_nodes(state, pi, nl) == [pl.score(state, pi, ni) for ni in nl]
        assert scored or plugin is NodeAffinity  # the generator has no preferred node affinity


@pytest.mark.parametrize("plugin", [TaintToleration, ImageLocality])
def test_quick_pre_score_skip_agrees_with_the_slow_one(plugin):
    nodes, pods = cluster(7)
    arrays = NodeArrays(nodes)
    rng = random.Random(8)
    pl = plugin(FakeHandle(Snapshot(nodes)))
    outcomes = set()
    for pi in pods:
        for take in (5, 40):
            rows = np.array(rng.sample(range(len(nodes)), take), dtype=np.intp)
            nl = NodeList([nodes[i] for i in rows], arrays, rows)
            fast = pl.pre_score(CycleState(), pi, nl).code
            slow = pl.pre_score(CycleState(), pi, list(nl)).code
            assert fast == slow
            outcomes.add(fast)
    assert outcomes == {Code.SUCCESS, Code.SKIP}


def results(pl: Plugin, pi: PodInfo, nodes: list[NodeInfo]) -> tuple[Any, Any]:
    """(Filter (code, reasons) per node, raw Score per node) as a fresh cycle computes them."""
    state = pre_filter(pl, pi)
    filt = None
    if state is not None and "filter" in pl.extension_points:
        filt = [(s.code, tuple(s.reasons)) for s in (pl.filter(state, pi, ni) for ni in nodes)]
    score = None
    if "score" in pl.extension_points:
        state = CycleState()
        if pl.pre_score(state, pi, nodes).code == Code.SUCCESS:
            score = [pl.score(state, pi, ni) for ni in nodes]
    return filt, score


@pytest.mark.parametrize("plugin,args", [
    (NodeResourcesFit, {}), (NodeResourcesFit, SCORING[4]), (NodeResourcesBalancedAllocation, {}),
    (TaintToleration, {}), (NodeUnschedulable, {}), (NodeName, {}), (NodePorts, {}), (NodeAffinity, {}),
])
def test_equal_signatures_mean_equal_results(plugin, args):
    nodes, pods = cluster(9, n=80, pods=120)
    pl = plugin(FakeHandle(Snapshot(nodes)), args)
    pods.append(PodInfo({**pods[0].pod, "metadata": {**pods[0].pod["metadata"], "name": "named"},
                         "spec": {**pods[0].pod["spec"], "nodeName": "n3"}}))
    by_sig: dict[Any, tuple[Any, Any]] = {}
    repeats = 0
    for pi in pods:
        sig = pl.signature(pi)
        assert sig is not None and hash(sig) == hash(pl.signature(pi))
        got = results(pl, pi, nodes)
        if sig in by_sig:
            repeats += 1
            assert got == by_sig[sig], (pi, sig)
        else:
            by_sig[sig] = got
    assert repeats > 10 and len(by_sig) > 1
