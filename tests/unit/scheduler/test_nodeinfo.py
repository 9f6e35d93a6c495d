"""PodInfo parses requests once for both views (as asked, and with scoring defaults); each equals the view
computed alone, for containers, init containers, sidecars and overhead."""

from __future__ import annotations

import random

from kybernetes.scheduler.nodeinfo import PodInfo, Resource, pod_non_zero_requests, pod_requests


def container(rng: random.Random, name: str) -> dict:
    c: dict = {"name": name}
    req = {}
    for key, values in (("cpu", [None, "0", "100m", "2"]), ("memory", [None, "0", "1Gi"]),
                        ("ephemeral-storage", [None, "1Gi"]), ("example.com/gpu", [None, "1"])):
        v = rng.choice(values)
        if v is not None:
            req[key] = v
    if req or rng.random() < 0.5:
        c["resources"] = {"requests": req}
    if rng.random() < 0.3:
        c["restartPolicy"] = "Always"
    return c


def as_tuple(r: Resource) -> tuple:
    return r.milli_cpu, r.memory, r.ephemeral_storage, r.allowed_pods, r.scalar


def test_pod_info_requests_equal_the_separate_computations():
    rng = random.Random(3)
    defaulted = 0
    for i in range(3000):
        spec: dict = {"containers": [container(rng, f"c{j}") for j in range(rng.randint(0, 3))]}
        if rng.random() < 0.5:
            spec["initContainers"] = [container(rng, f"i{j}") for j in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            spec["overhead"] = {"cpu": "10m", "memory": "5Mi"}
        pod = {"metadata": {"name": f"p{i}"}, "spec": spec}
        pi = PodInfo(pod)
        assert as_tuple(pi.requests) == as_tuple(pod_requests(pod))
        assert as_tuple(pi.non_zero_requests) == as_tuple(pod_non_zero_requests(pod))
        defaulted += pi.non_zero_requests.milli_cpu != pi.requests.milli_cpu
    assert defaulted > 100  # the two views differ often enough to matter


def test_known_values():
    pod = {"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}, {"name": "b"}],
                    "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
                    "overhead": {"cpu": "10m"}}}
    pi = PodInfo(pod)
    assert (pi.requests.milli_cpu, pi.requests.memory) == (1010, 1024 ** 3)
    # non-zero: a has 200Mi memory by default, b 100m + 200Mi; the init container (1 cpu, 1Gi) still dominates
    assert (pi.non_zero_requests.milli_cpu, pi.non_zero_requests.memory) == (1010, 1024 ** 3)


def _pod(name: str, ns: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "namespace": ns, "uid": name, "labels": labels}, "spec": {"containers": []}}


def test_pods_labelled_follows_adds_and_removes():
    from kybernetes.scheduler.nodeinfo import NodeInfo
    ni = NodeInfo({"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "1"}}})
    ni.add_pod(PodInfo(_pod("a", "x", app="web")))
    ni.add_pod(PodInfo(_pod("b", "y", app="web")))
    assert [p.name for p in ni.pods_labelled("x", "app", "web")] == ["a"]
    ni.add_pod(PodInfo(_pod("c", "x", app="web", tier="1")))
    assert [p.name for p in ni.pods_labelled("x", "app", "web")] == ["a", "c"]
    clone = ni.clone()
    clone.remove_pod("x/a")
    assert [p.name for p in clone.pods_labelled("x", "app", "web")] == ["c"]
    assert [p.name for p in ni.pods_labelled("x", "app", "web")] == ["a", "c"]
    assert ni.pods_labelled("x", "app", "db") == [] and ni.pods_labelled("x", "tier", "1")[0].name == "c"
