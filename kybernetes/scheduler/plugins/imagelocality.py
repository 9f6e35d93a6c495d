"""ImageLocality: prefer nodes that already hold the pod's container images.

For every init and app container whose image the node reports in ``status.images``, the image's size counts,
scaled by how widely the image has spread (nodes holding it / all nodes) so that a popular image does not pull
every pod onto the same few nodes.  The sum is clamped to ``[23 MiB, 1000 MiB x number of containers]`` and
mapped linearly onto 0..100 (upstream's thresholds: sizes of typical compressed images).

Image names are compared as container runtimes report them, by their normalised Docker reference: ``busybox``,
``busybox:latest``, ``library/busybox`` and ``docker.io/library/busybox:latest`` are the same image (a missing
tag means ``latest`` unless a digest is given; a first path component without ``.``/``:`` that is not
``localhost`` means Docker Hub).  Upstream only appends ``:latest``; matching the normalised reference is a
superset of that.

PreScore looks only at the candidate nodes: when none of them holds any of the pod's images (the usual case
for a simulated cluster) every score would be 0 and it answers SKIP.  Otherwise it counts, over the whole
snapshot, the nodes holding each image, and computes the candidates' scores once; Score is then a lookup.
Results depend on how widely images have spread over the whole cluster, so there is no ``signature``.
"""

from __future__ import annotations

import functools
from typing import Any

from kybernetes.scheduler.framework import MAX_NODE_SCORE, CycleState, Plugin, Status, skip, success
from kybernetes.scheduler.nodearrays import FLAG_IMAGES, NodeList
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo

__all__ = ["NAME", "ImageLocality", "normalize_image_name", "image_aliases", "calculate_priority",
           "MIN_THRESHOLD", "MAX_CONTAINER_THRESHOLD"]

NAME = "ImageLocality"
PRE_SCORE_STATE_KEY = "PreScore" + NAME

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB

_DOCKER_HUB = "docker.io"


def _split(image: str) -> tuple[str, str, str, str]:
    """(domain, path, tag, digest) of an image reference, with Docker Hub's defaults applied (no ``latest``)."""
    name, _, digest = image.partition("@")
    i = name.find("/")
    first = name[:i]
    if i == -1 or (":" not in first and "." not in first and first != "localhost" and first.lower() == first):
        domain, rest = _DOCKER_HUB, name
    else:
        domain, rest = first, name[i + 1:]
    if domain == "index.docker.io":
        domain = _DOCKER_HUB
    if domain == _DOCKER_HUB and "/" not in rest:
        rest = "library/" + rest
    colon = rest.rfind(":")
    tag = ""
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1:]
    return domain, rest, tag, digest


@functools.lru_cache(maxsize=8192)
def normalize_image_name(image: str) -> str:
    """The fully qualified reference: ``busybox`` -> ``docker.io/library/busybox:latest``."""
    domain, path, tag, digest = _split(image)
    if not tag and not digest:
        tag = "latest"
    return f"{domain}/{path}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


@functools.lru_cache(maxsize=8192)
def image_aliases(image: str) -> tuple[str, ...]:
    """Every spelling a node may report for the same image as ``image`` (the canonical one first)."""
    canonical = normalize_image_name(image)
    domain, path, tag, digest = _split(canonical)
    domains = [domain + "/"]
    paths = [path]
    if domain == _DOCKER_HUB:
        domains += ["index.docker.io/", ""]
        if path.startswith("library/") and path.count("/") == 1:
            paths.append(path[len("library/"):])
    suffixes = [(f":{tag}" if tag else "") + (f"@{digest}" if digest else "")]
    if tag == "latest" and not digest:
        suffixes.append("")
    out = [canonical]
    for d in domains:
        for p in paths:
            for s in suffixes:
                alias = d + p + s
                if alias not in out and normalize_image_name(alias) == canonical:
                    out.append(alias)
    return tuple(out)


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    """Upstream's mapping of the summed scaled image sizes onto 0..100."""
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    if sum_scores < MIN_THRESHOLD:
        sum_scores = MIN_THRESHOLD
    elif sum_scores > max_threshold:
        sum_scores = max_threshold
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


def _size_on(image_sizes: dict[str, int], aliases: tuple[str, ...]) -> int | None:
    for a in aliases:
        size = image_sizes.get(a)
        if size is not None:
            return size
    return None


def _pod_images(pod: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """The aliases of each container's image, init containers first (duplicates kept, as upstream counts)."""
    spec = pod.get("spec") or {}
    out = []
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            out.append(image_aliases(c.get("image") or ""))
    return tuple(out)


class ImageLocality(Plugin):
    """PreScore (SKIP when no candidate holds an image of the pod) and Score."""

    name = NAME
    extension_points = ("pre_score", "score")

    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        images = pod_info.cache.get(NAME)
        if images is None:
            images = pod_info.cache[NAME] = _pod_images(pod_info.pod)
        if not images:
            return skip()
        if isinstance(nodes, NodeList) and not nodes.arrays.any_flagged(FLAG_IMAGES, nodes.rows):
            return skip()  # no candidate reports any image
        distinct = tuple(dict.fromkeys(images))
        # sizes of the pod's images on each candidate that has any: node -> (size or None per distinct image)
        found: dict[str, tuple[int | None, ...]] = {}
        for ni in nodes:
            sizes = ni.image_sizes
            if sizes:
                on_node = tuple(_size_on(sizes, aliases) for aliases in distinct)
                if any(s is not None for s in on_node):
                    found[ni.name] = on_node
        if not found:
            return skip()
        all_nodes = self._all_nodes(nodes)
        total = len(all_nodes) or 1
        num_nodes = [0] * len(distinct)
        for ni in all_nodes:
            sizes = ni.image_sizes
            if sizes:
                for i, aliases in enumerate(distinct):
                    if _size_on(sizes, aliases) is not None:
                        num_nodes[i] += 1
        index = {aliases: i for i, aliases in enumerate(distinct)}
        scores: dict[str, int] = {}
        for name, on_node in found.items():
            total_size = 0
            for aliases in images:
                i = index[aliases]
                size = on_node[i]
                if size is not None:
                    total_size += int(size * (num_nodes[i] / total))
            score = calculate_priority(total_size, len(images))
            if score:
                scores[name] = score
        if not scores:
            return skip()
        state.write(PRE_SCORE_STATE_KEY, scores)
        return success()

    def _all_nodes(self, candidates: list[NodeInfo]) -> list[NodeInfo]:
        snapshot = getattr(self.handle, "snapshot", None)
        return snapshot.node_info_list if snapshot is not None else candidates

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        scores: dict[str, int] = state.read(PRE_SCORE_STATE_KEY)  # KeyError: PreScore did not run (a bug)
        return scores.get(node_info.name, 0)

    def score_nodes(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        get = state.read(PRE_SCORE_STATE_KEY).get  # KeyError: PreScore did not run (a bug)
        return [get(ni.name, 0) for ni in nodes]
