"""ImageLocality (cases after upstream's image_locality_test.go; expected values from
score = 100 * (clamp(sum of size * spread) - 23MiB) / (1000MiB * containers - 23MiB))."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.framework import CycleState
from kybernetes.scheduler.nodeinfo import PodInfo, Snapshot
from kybernetes.scheduler.plugins.imagelocality import (NAME, ImageLocality, calculate_priority, image_aliases,
                                                        normalize_image_name)
from tests.unit.scheduler.plugins.builders import MB, FakeHandle, container, make_node, make_pod, node_info, run_scores


def pod_with(*images, init=()):
    return make_pod(*[container(image=i) for i in images], init=[container(image=i) for i in init] or None)


def run(pod, nodes, candidates=None):
    infos = [node_info(n) for n in nodes]
    pl = ImageLocality(FakeHandle(Snapshot(infos)))
    cands = [i for i in infos if candidates is None or i.name in candidates]
    return run_scores(pl, pod, cands)


def test_two_images_spread_on_two_nodes_prefer_the_larger():
    # node1 holds gcr.io/40 (40MiB): 40 * 1/2 = 20MiB < 23MiB -> 0
    # node2 holds gcr.io/250 (250MiB): 125MiB -> 100 * (125 - 23) / (2000 - 23) = 5
    nodes = [make_node("node1", images={"gcr.io/40:latest": 40 * MB}),
             make_node("node2", images={"gcr.io/250:latest": 250 * MB})]
    assert run(pod_with("gcr.io/40", "gcr.io/250"), nodes) == {"node1": 0, "node2": 5}


def test_spread_scales_the_size():
    # 300MiB held by 2 of 3 nodes: 200MiB -> 100 * (200 - 23) / (1000 - 23) = 18 on both, 0 on the third
    nodes = [make_node("node1", images={"gcr.io/300:latest": 300 * MB}),
             make_node("node2", images={"gcr.io/300:latest": 300 * MB}),
             make_node("node3")]
    assert run(pod_with("gcr.io/300"), nodes) == {"node1": 18, "node2": 18, "node3": 0}


def test_spread_counts_nodes_outside_the_candidates():
    # node3 holds the image too but is not a candidate: spread is 3/4 -> 225MiB -> 100 * 202 / 977 = 20
    nodes = [make_node(f"node{i}", images={"gcr.io/300:v1": 300 * MB}) for i in (1, 2, 3)] + [make_node("node4")]
    assert run(pod_with("gcr.io/300:v1"), nodes, candidates={"node1", "node4"}) == {"node1": 20, "node4": 0}


def test_large_image_is_clamped():
    # 2000MiB on the only node: clamped to 1000MiB -> 100
    assert run(pod_with("gcr.io/2000"), [make_node("n", images={"gcr.io/2000:latest": 2000 * MB})]) == {"n": 100}


def test_init_containers_count():
    # init gcr.io/a 600MiB + app gcr.io/b 600MiB on the only node: 1200MiB of 2 containers -> 100*1177/1977 = 59
    node = make_node("n", images={"gcr.io/a:latest": 600 * MB, "gcr.io/b:latest": 600 * MB})
    assert run(pod_with("gcr.io/b", init=["gcr.io/a"]), [node]) == {"n": 59}


def test_image_names_are_normalised():
    # the node reports the runtime's full name; the pod says "busybox": 500MiB -> 100 * 477 / 977 = 48
    node = make_node("n", images=[(["docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:ab"],
                                   500 * MB)])
    assert run(pod_with("busybox"), [node]) == {"n": 48}
    assert run(pod_with("library/busybox:latest"), [node]) == {"n": 48}
    assert run(pod_with("busybox:1.36"), [node]) is None  # another tag is another image


@pytest.mark.parametrize("image, canonical", [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest"),
    ("index.docker.io/busybox", "docker.io/library/busybox:latest"),
    ("myuser/app:v1", "docker.io/myuser/app:v1"),
    ("gcr.io/foo/bar", "gcr.io/foo/bar:latest"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("busybox@sha256:abc", "docker.io/library/busybox@sha256:abc"),
    ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
])
def test_normalize_image_name(image, canonical):
    assert normalize_image_name(image) == canonical
    assert image in image_aliases(image) or normalize_image_name(image) == image
    assert all(normalize_image_name(a) == canonical for a in image_aliases(image))


def test_small_images_or_absent_images_skip():
    # nothing on any candidate -> SKIP; images under the 23MiB threshold score 0 everywhere -> SKIP too
    assert run(pod_with("gcr.io/x"), [make_node("n")]) is None
    assert run(pod_with("gcr.io/x"), [make_node("n", images={"gcr.io/x:latest": 20 * MB})]) is None


def test_calculate_priority_thresholds():
    assert calculate_priority(0, 1) == 0
    assert calculate_priority(23 * MB, 1) == 0
    assert calculate_priority(1000 * MB, 1) == 100
    assert calculate_priority(511 * MB, 1) == 100 * (488 * MB) // (977 * MB)


def test_score_reads_pre_score_state():
    pl = ImageLocality(FakeHandle(Snapshot([node_info(make_node("n"))])))
    with pytest.raises(KeyError):
        pl.score(CycleState(), PodInfo(pod_with("x")), node_info(make_node("n")))


def test_plugin_identity():
    pl = ImageLocality()
    assert pl.name == NAME == "ImageLocality"
    assert set(pl.extension_points) == {"pre_score", "score"}
