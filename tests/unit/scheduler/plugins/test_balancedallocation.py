"""NodeResourcesBalancedAllocation (cases after upstream 1.32's balanced_allocation_test.go; expected values
derived from score = (1 - std) * 100, std = |f_cpu - f_mem| / 2 for two resources)."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.framework import CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.balancedallocation import NAME, NodeResourcesBalancedAllocation
from tests.unit.scheduler.plugins.builders import container, make_node, make_pod, node_info, run_scores

CPU_ONLY = make_pod(container(cpu=1000), container(cpu=2000))  # 3000m, no memory request
CPU_AND_MEMORY = make_pod(container(cpu=1000, memory=2000), container(cpu=2000, memory=3000))  # 3000m, 5000


def scores(pod, nodes, args=None):
    return run_scores(NodeResourcesBalancedAllocation(args=args), pod, [node_info(n, *p) for n, *p in nodes])


def test_nothing_scheduled_nothing_requested():
    # fractions 0 and 0 -> std 0 -> 100 (plain requests: no 100m/200Mi defaults)
    nodes = [(make_node("node1", cpu=4000, memory=10000),), (make_node("node2", cpu=4000, memory=10000),)]
    assert scores(make_pod(), nodes) == {"node1": 100, "node2": 100}


def test_nothing_scheduled_resources_requested_differently_sized_nodes():
    # node1: 3000/4000 = 0.75, 5000/10000 = 0.5 -> std 0.125 -> 87; node2: 0.5, 0.5 -> 100
    nodes = [(make_node("node1", cpu=4000, memory=10000),), (make_node("node2", cpu=6000, memory=10000),)]
    assert scores(CPU_AND_MEMORY, nodes) == {"node1": 87, "node2": 100}


def test_no_resources_requested_pods_scheduled_with_resources():
    # node1 holds two cpu-only pods: 6000/10000 = 0.6, 0/20000 = 0 -> std 0.3 -> 70
    # node2 holds cpu-only + cpu-and-memory: 0.6, 5000/20000 = 0.25 -> std 0.175 -> 82
    nodes = [(make_node("node1", cpu=10000, memory=20000), CPU_ONLY, CPU_ONLY),
             (make_node("node2", cpu=10000, memory=20000), CPU_ONLY, CPU_AND_MEMORY)]
    assert scores(make_pod(), nodes) == {"node1": 70, "node2": 82}


def test_resources_requested_pods_scheduled_with_resources():
    # node1 (cpu-only there): 6000/10000, 5000/20000 -> 82; node2 (cpu-and-memory there): 0.6, 0.5 -> 95
    nodes = [(make_node("node1", cpu=10000, memory=20000), CPU_ONLY),
             (make_node("node2", cpu=10000, memory=20000), CPU_AND_MEMORY)]
    assert scores(CPU_AND_MEMORY, nodes) == {"node1": 82, "node2": 95}
    # differently sized: node2 memory 10000/50000 = 0.2 -> std 0.2 -> 80
    nodes[1] = (make_node("node2", cpu=10000, memory=50000), CPU_AND_MEMORY)
    assert scores(CPU_AND_MEMORY, nodes) == {"node1": 82, "node2": 80}


def test_requested_resources_exceed_capacity():
    # cpu 6000/4000 is capped at 1; memory 0 (node1) -> std 0.5 -> 50; 5000/10000 (node2) -> std 0.25 -> 75
    nodes = [(make_node("node1", cpu=4000, memory=10000), CPU_ONLY),
             (make_node("node2", cpu=4000, memory=10000), CPU_AND_MEMORY)]
    assert scores(CPU_ONLY, nodes) == {"node1": 50, "node2": 75}


def test_zero_node_resources():
    # no resource has allocatable: no fractions -> std 0 -> 100
    assert scores(make_pod(), [(make_node("n", cpu=0, memory=0), CPU_ONLY)]) == {"n": 100}


def test_three_resources_use_the_standard_deviation():
    # fractions cpu 0.6, memory 0.25, gpu 1/4 = 0.25: mean 1.1/3, variance ((0.6-m)^2 + 2(0.25-m)^2)/3,
    # std 0.16499... -> (1 - std) * 100 = 83.5 -> 83
    args = {"resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1},
                          {"name": "example.com/gpu", "weight": 1}]}
    pod = make_pod(container(cpu=3000, memory=5000, extra={"example.com/gpu": "1"}))
    nodes = [(make_node("n", cpu=10000, memory=20000, extra={"example.com/gpu": "4"}), CPU_ONLY)]
    assert scores(pod, nodes, args) == {"n": 83}
    # a pod not asking for the gpu leaves it out: 0.6, 0.25 -> 82
    assert scores(CPU_AND_MEMORY, nodes, args) == {"n": 82}


def test_single_resource_scores_max():
    args = {"resources": [{"name": "cpu", "weight": 1}]}
    assert scores(CPU_ONLY, [(make_node("n", cpu=4000, memory=10000),)], args) == {"n": 100}


def test_score_without_pre_score_computes_requests():
    pl = NodeResourcesBalancedAllocation()
    ni = node_info(make_node("node1", cpu=4000, memory=10000))
    assert pl.score(CycleState(), PodInfo(CPU_AND_MEMORY), ni) == 87


def test_invalid_args():
    with pytest.raises(ValueError):
        NodeResourcesBalancedAllocation(args={"resources": [{"name": "cpu", "weight": 1}, {"name": "cpu"}]})


def test_plugin_identity():
    pl = NodeResourcesBalancedAllocation()
    assert pl.name == NAME == "NodeResourcesBalancedAllocation"
    assert set(pl.extension_points) == {"pre_score", "score"}
    assert pl.events_to_register() == []
