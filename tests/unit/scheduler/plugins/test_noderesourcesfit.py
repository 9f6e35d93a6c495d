"""NodeResourcesFit: Filter reasons (cases after upstream's fit_test.go TestEnoughRequests /
TestNotEnoughRequests / TestStorageRequests) and the three scoring strategies (least_allocated_test.go,
most_allocated_test.go, requested_to_capacity_ratio_test.go)."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.noderesourcesfit import NAME, NodeResourcesFit
from kybernetes.scheduler.plugins.resourceallocation import broken_linear
from tests.unit.scheduler.plugins.builders import container, make_node, make_pod, node_info, run_scores

EXT_A = "example.com/aaa"
EXT_B = "example.com/bbb"
K8S_IO = "kubernetes.io/something"
SUB_K8S_IO = "subdomain.kubernetes.io/something"
HUGE = "hugepages-2Mi"


def res_pod(cpu=0, mem=0, scalars=None, *, init=None, overhead=None):
    """A pod with one container requesting ``cpu`` millicores, ``mem`` bytes and the ``scalars`` (name -> n)."""
    c = container(cpu=cpu or None, memory=mem or None, extra={k: str(v) for k, v in (scalars or {}).items()})
    spec = {"overhead": overhead} if overhead else {}
    return make_pod(c, init=init, **spec)


def used_pod(cpu=0, mem=0, scalars=None):
    return res_pod(cpu, mem, scalars)


def fit_node(*pods, pods_allowed=32):
    node = make_node("node", cpu=10, memory=20, pods=pods_allowed,
                     extra={EXT_A: "5", "ephemeral-storage": "20", HUGE: "5", K8S_IO: "5", SUB_K8S_IO: "5"})
    return node_info(node, *pods)


def filter_reasons(pod, ni, args=None):
    pl = NodeResourcesFit(args=args)
    state, pi = CycleState(), PodInfo(pod)
    _, st = pl.pre_filter(state, pi)
    assert st.is_success()
    got = pl.filter(state, pi, ni)
    if got.is_success():
        return []
    assert got.code == Code.UNSCHEDULABLE
    return got.reasons


FILTER_CASES = [
    ("no resources requested always fits", res_pod(), [used_pod(10, 20)], None, []),
    ("too many resources fails", res_pod(1, 1), [used_pod(10, 20)], None, ["Insufficient cpu", "Insufficient memory"]),
    ("too many resources fails due to init container cpu",
     res_pod(1, 1, init=[container(cpu=3, memory=1)]), [used_pod(8, 19)], None, ["Insufficient cpu"]),
    ("too many resources fails due to highest init container cpu",
     res_pod(1, 1, init=[container(cpu=3, memory=1), container(cpu=2, memory=1)]), [used_pod(8, 19)], None,
     ["Insufficient cpu"]),
    ("too many resources fails due to init container memory",
     res_pod(1, 1, init=[container(cpu=1, memory=3)]), [used_pod(9, 19)], None, ["Insufficient memory"]),
    ("init container fits because it's the max, not sum, of containers and init containers",
     res_pod(1, 1, init=[container(cpu=1, memory=1)]), [used_pod(9, 19)], None, []),
    ("sidecar init containers add to the containers",
     res_pod(1, 1, init=[container(cpu=1, memory=1, restart_policy="Always")]), [used_pod(9, 18)], None,
     ["Insufficient cpu"]),
    ("both resources fit", res_pod(1, 1), [used_pod(5, 5)], None, []),
    ("one resource memory fits", res_pod(2, 1), [used_pod(9, 5)], None, ["Insufficient cpu"]),
    ("one resource cpu fits", res_pod(1, 2), [used_pod(5, 19)], None, ["Insufficient memory"]),
    ("equal edge case", res_pod(5, 1), [used_pod(5, 19)], None, []),
    ("overhead counts", res_pod(1, 1, overhead={"cpu": "5m", "memory": "13"}), [used_pod(5, 5)], None,
     ["Insufficient cpu"]),
    ("extended resource fits", res_pod(scalars={EXT_A: 1}), [used_pod()], None, []),
    ("extended resource capacity enforced", res_pod(scalars={EXT_A: 10}), [used_pod()], None,
     ["Insufficient example.com/aaa"]),
    ("extended resource capacity enforced with existing usage", res_pod(scalars={EXT_A: 1}),
     [used_pod(scalars={EXT_A: 5})], None, ["Insufficient example.com/aaa"]),
    ("extended resource allocatable enforced for unknown resource", res_pod(scalars={EXT_B: 1}), [used_pod()], None,
     ["Insufficient example.com/bbb"]),
    ("kubernetes.io resource capacity enforced", res_pod(scalars={K8S_IO: 10}), [used_pod()], None,
     ["Insufficient kubernetes.io/something"]),
    ("hugepages resource capacity enforced", res_pod(scalars={HUGE: 10}), [used_pod()], None,
     ["Insufficient hugepages-2Mi"]),
    ("skip checking ignored extended resource", res_pod(scalars={EXT_B: 2}), [used_pod()],
     {"ignoredResources": [EXT_B]}, []),
    ("skip checking ignored extended resource via resource groups", res_pod(scalars={EXT_A: 10}), [used_pod()],
     {"ignoredResourceGroups": ["example.com"]}, []),
    ("native resources are never ignored", res_pod(scalars={HUGE: 10, SUB_K8S_IO: 10}),
     [used_pod()], {"ignoredResources": [HUGE], "ignoredResourceGroups": ["subdomain.kubernetes.io"]},
     ["Insufficient hugepages-2Mi", "Insufficient subdomain.kubernetes.io/something"]),
    ("ephemeral storage", make_pod(container(extra={"ephemeral-storage": "25"})), [used_pod()], None,
     ["Insufficient ephemeral-storage"]),
    ("ephemeral storage with existing usage", make_pod(container(extra={"ephemeral-storage": "10"})),
     [make_pod(container(extra={"ephemeral-storage": "11"}))], None, ["Insufficient ephemeral-storage"]),
    ("every failing resource is listed, in order",
     make_pod(container(cpu=11, memory=21, extra={"ephemeral-storage": "21", EXT_A: "6"})), [], None,
     ["Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage", "Insufficient example.com/aaa"]),
]


@pytest.mark.parametrize("pod, existing, args, reasons", [pytest.param(*c[1:], id=c[0]) for c in FILTER_CASES])
def test_filter(pod, existing, args, reasons):
    assert filter_reasons(pod, fit_node(*existing), args) == reasons


def test_too_many_pods():
    # upstream TestNotEnoughRequests: a node allowing 1 pod that already runs one
    assert filter_reasons(res_pod(), fit_node(used_pod(), pods_allowed=1)) == ["Too many pods"]
    assert filter_reasons(res_pod(1, 1), fit_node(used_pod(10, 20), pods_allowed=1)) == [
        "Too many pods", "Insufficient cpu", "Insufficient memory"]
    assert filter_reasons(res_pod(), fit_node(pods_allowed=1)) == []


def test_filter_without_pre_filter_is_an_error():
    st = NodeResourcesFit().filter(CycleState(), PodInfo(res_pod(1, 1)), fit_node())
    assert st.code == Code.ERROR


def test_ignored_resources_depend_on_the_instance():
    pod = PodInfo(res_pod(scalars={EXT_A: 10}))
    ni = fit_node()
    for args, fits in (({"ignoredResources": [EXT_A]}, True), (None, False)):
        pl = NodeResourcesFit(args=args)
        state = CycleState()
        pl.pre_filter(state, pod)
        assert pl.filter(state, pod, ni).is_success() is fits


# -- scoring ------------------------------------------------------------------------------------------------------

def cpu_mem_pod(cpu, mem):
    """Two containers splitting the request, as upstream's cpuAndMemory pod (1000m/2000 + 2000m/3000)."""
    c1, m1 = cpu // 3, mem * 2 // 5
    return make_pod(container(cpu=c1, memory=m1), container(cpu=cpu - c1, memory=mem - m1))


def scores(pod, nodes, args=None):
    return run_scores(NodeResourcesFit(args=args), pod, [node_info(n, *p) for n, *p in nodes])


SIZED = [(make_node("node1", cpu=4000, memory=10000),), (make_node("node2", cpu=6000, memory=10000),)]


def test_least_allocated_differently_sized_nodes():
    # upstream "nothing scheduled, resources requested, differently sized nodes":
    # node1 cpu (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 -> 37; node2 50 and 50 -> 50
    assert scores(cpu_mem_pod(3000, 5000), SIZED) == {"node1": 37, "node2": 50}


def test_least_allocated_is_the_default_and_counts_existing_pods():
    # node1 already has 3000m/5000: cpu 6000 > 4000 -> 0; memory (10000-10000) -> 0; node2: 0 and 0
    nodes = [(make_node("node1", cpu=4000, memory=10000), cpu_mem_pod(3000, 5000)),
             (make_node("node2", cpu=6000, memory=10000), cpu_mem_pod(3000, 5000))]
    assert scores(cpu_mem_pod(3000, 5000), nodes) == {"node1": 0, "node2": 0}
    # node2 with 2000m/2000 used: cpu (6000-5000)*100/6000 = 16, memory (10000-7000)*100/10000 = 30 -> 23
    nodes[1] = (make_node("node2", cpu=6000, memory=10000), cpu_mem_pod(2000, 2000))
    assert scores(cpu_mem_pod(3000, 5000), nodes)["node2"] == 23


def test_least_allocated_uses_non_zero_requests():
    # a pod without requests counts 100m / 200Mi: cpu (4000-100)*100/4000 = 97, memory (10Gi-200Mi)*100/10Gi = 98
    assert scores(make_pod(), [(make_node("n", cpu=4000, memory=10 * 1024 ** 3),)]) == {"n": 97}
    # and so does an existing pod without requests: cpu 100+400 of 1000 -> 50, memory 200Mi+300Mi of 1000Mi -> 50
    mi = 1024 ** 2
    nodes = [(make_node("n", cpu=1000, memory=1000 * mi), make_pod())]
    assert scores(make_pod(container(cpu=400, memory=300 * mi)), nodes) == {"n": 50}


def test_least_allocated_weights():
    # cpu weight 2, memory weight 1 on node1: (25*2 + 50*1) / 3 = 33
    args = {"scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 2},
                                                                        {"name": "memory", "weight": 1}]}}
    assert scores(cpu_mem_pod(3000, 5000), SIZED, args) == {"node1": 33, "node2": 50}


def test_least_allocated_extended_resource():
    # cpu 25 (w1), memory 50 (w1), gpu (4-1)*100/4 = 75 (w3): (25 + 50 + 225) / 5 = 60; a node without the gpu
    # leaves it out: (25 + 50) / 2 = 37; a pod not asking for the gpu leaves it out too
    args = {"scoringStrategy": {"resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1},
                                              {"name": "example.com/gpu", "weight": 3}]}}
    gpu_pod = make_pod(container(cpu=3000, memory=5000, extra={"example.com/gpu": "1"}))
    nodes = [(make_node("gpu", cpu=4000, memory=10000, extra={"example.com/gpu": "4"}),),
             (make_node("plain", cpu=4000, memory=10000),)]
    assert scores(gpu_pod, nodes, args) == {"gpu": 60, "plain": 37}
    assert scores(cpu_mem_pod(3000, 5000), nodes, args) == {"gpu": 37, "plain": 37}


def test_least_allocated_zero_allocatable():
    assert scores(cpu_mem_pod(3000, 5000), [(make_node("n", cpu=0, memory=0),)]) == {"n": 0}


def test_most_allocated():
    # upstream most_allocated_test "nothing scheduled, resources requested, differently sized nodes":
    # node1 cpu 3000*100/4000 = 75, memory 50 -> 62; node2 50, 50 -> 50
    args = {"scoringStrategy": {"type": "MostAllocated"}}
    assert scores(cpu_mem_pod(3000, 5000), SIZED, args) == {"node1": 62, "node2": 50}
    # requests above capacity count as full: cpu 100, memory 50 -> 75
    assert scores(cpu_mem_pod(3000, 5000), [(make_node("n", cpu=2000, memory=10000),)], args) == {"n": 75}


def rtcr(*points, resources=None):
    s = {"type": "RequestedToCapacityRatio",
         "requestedToCapacityRatio": {"shape": [{"utilization": u, "score": sc} for u, sc in points]}}
    if resources:
        s["resources"] = resources
    return {"scoringStrategy": s}


def test_requested_to_capacity_ratio_rounds_half_away_from_zero():
    # shape 0->0, 100->10 (x10): cpu util 75 -> 75, memory util 50 -> 50; (75 + 50) / 2 = 62.5 -> 63
    assert scores(cpu_mem_pod(3000, 5000), SIZED[:1], rtcr((0, 0), (100, 10))) == {"node1": 63}


def test_requested_to_capacity_ratio_truncates_like_go():
    # shape (0,100) -> (30,0): util 10 -> 100 + (-100 * 10) / 30 = 100 - 33 = 67 (Go truncates toward zero)
    assert broken_linear(((0, 100), (30, 0)), 10) == 67
    got = scores(make_pod(container(cpu=400, memory=1000)), [(make_node("n", cpu=4000, memory=10000),)],
                 rtcr((0, 10), (30, 0)))
    assert got == {"n": 67}


def test_requested_to_capacity_ratio_drops_zero_scores():
    # shape (50,0) -> (100,100): cpu util 75 -> 50; memory util 10 -> 0 and drops out of the mean -> 50
    got = scores(make_pod(container(cpu=3000, memory=1000)), [(make_node("n", cpu=4000, memory=10000),)],
                 rtcr((50, 0), (100, 10)))
    assert got == {"n": 50}
    # over capacity counts as utilization 100 -> 100 for both
    got = scores(make_pod(container(cpu=5000, memory=20000)), [(make_node("n", cpu=4000, memory=10000),)],
                 rtcr((50, 0), (100, 10)))
    assert got == {"n": 100}


def test_requested_to_capacity_ratio_weights_and_flat_ends():
    # shape (20,10)->(80,2): util below 20 -> 100, above 80 -> 20; cpu util 90 -> 20 (w3), memory util 10 -> 100
    # (w1): (60 + 100) / 4 = 40
    got = scores(make_pod(container(cpu=3600, memory=1000)), [(make_node("n", cpu=4000, memory=10000),)],
                 rtcr((20, 10), (80, 2), resources=[{"name": "cpu", "weight": 3}, {"name": "memory"}]))
    assert got == {"n": 40}
    # in between: util 50 -> 100 + (20-100)*(50-20)/(80-20) = 60
    assert broken_linear(((20, 100), (80, 20)), 50) == 60


@pytest.mark.parametrize("args", [
    pytest.param({"scoringStrategy": {"type": "Bogus"}}, id="unknown strategy"),
    pytest.param(rtcr(), id="shape required"),
    pytest.param(rtcr((50, 1), (40, 2)), id="utilization must increase"),
    pytest.param(rtcr((50, 11)), id="score above 10"),
    pytest.param({"scoringStrategy": {"resources": [{"name": "cpu", "weight": 101}]}}, id="weight above 100"),
])
def test_invalid_args(args):
    with pytest.raises(ValueError):
        NodeResourcesFit(args=args)


def test_plugin_identity():
    pl = NodeResourcesFit()
    assert pl.name == NAME == "NodeResourcesFit"
    assert set(pl.extension_points) == {"pre_filter", "filter", "pre_score", "score"}
    assert pl.events_to_register() == [
        ClusterEvent("Pod", ActionType.DELETE),
        ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE)]


def test_zero_request_on_an_overcommitted_node_fits():
    # the node's pods already request more cpu than allocatable (allocatable shrank): a pod asking for no cpu is
    # not refused for cpu
    ni = fit_node(used_pod(12, 1))
    assert filter_reasons(res_pod(0, 1), ni) == []
    assert filter_reasons(res_pod(1, 1), ni) == ["Insufficient cpu"]


@pytest.mark.parametrize("strategy", ["LeastAllocated", "MostAllocated", "Balanced"])
def test_cpu_memory_fast_path_agrees_with_the_general_path(strategy):
    import random

    from kybernetes.scheduler.plugins.resourceallocation import ResourceAllocationScorer
    rng = random.Random(7)
    for use_requested in (False, True):
        scorer = ResourceAllocationScorer(strategy, (("cpu", rng.randint(1, 5)), ("memory", rng.randint(1, 5))),
                                          use_requested=use_requested)
        assert scorer.score != scorer._general  # the specialised function is in use
        for _ in range(300):
            node = make_node("n", cpu=rng.choice([0, rng.randint(1, 8000)]),
                             memory=rng.choice([0, rng.randint(1, 10**6)]))
            existing = [make_pod(container(cpu=rng.randint(0, 3000) or None, memory=rng.randint(0, 10**6) or None))
                        for _ in range(rng.randint(0, 3))]
            ni = node_info(node, *existing)
            pod = PodInfo(make_pod(container(cpu=rng.randint(0, 3000) or None, memory=rng.randint(0, 10**6) or None)))
            pr = scorer.pod_requests(pod)
            assert scorer.score(ni, pr) == scorer._general(ni, pr)
