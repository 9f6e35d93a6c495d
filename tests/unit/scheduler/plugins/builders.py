"""Builders for the plugin tests: nodes, pods, NodeInfos and a minimal framework handle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kybernetes.scheduler.framework import CycleState, NodeScore, Plugin
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot

MB = 1024 * 1024


def make_node(name: str, *, cpu: str | int | None = None, memory: str | int | None = None, pods: int = 110,
              labels: dict[str, str] | None = None, taints: list[dict[str, Any]] | None = None,
              unschedulable: bool = False, images: dict[str, int] | list[tuple[list[str], int]] | None = None,
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Node dict; ``cpu`` may be millicores as an int, ``memory`` bytes as an int."""
    alloc: dict[str, Any] = {"pods": str(pods)}
    if cpu is not None:
        alloc["cpu"] = f"{cpu}m" if isinstance(cpu, int) else cpu
    if memory is not None:
        alloc["memory"] = str(memory)
    alloc.update(extra or {})
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    status: dict[str, Any] = {"allocatable": alloc}
    if images:
        items = images.items() if isinstance(images, dict) else images
        status["images"] = [{"names": [n] if isinstance(n, str) else list(n), "sizeBytes": s} for n, s in items]
    return {"metadata": {"name": name, "labels": dict(labels or {})}, "spec": spec, "status": status}


def container(*, cpu: str | int | None = None, memory: str | int | None = None, image: str = "busybox",
              ports: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None,
              restart_policy: str | None = None) -> dict[str, Any]:
    req: dict[str, Any] = {}
    if cpu is not None:
        req["cpu"] = f"{cpu}m" if isinstance(cpu, int) else cpu
    if memory is not None:
        req["memory"] = str(memory)
    req.update(extra or {})
    c: dict[str, Any] = {"name": "c", "image": image}
    if req:
        c["resources"] = {"requests": req}
    if ports:
        c["ports"] = ports
    if restart_policy:
        c["restartPolicy"] = restart_policy
    return c


_pod_seq = iter(range(1, 1 << 30))


def make_pod(*containers: dict[str, Any], name: str | None = None, init: list[dict[str, Any]] | None = None,
             **spec: Any) -> dict[str, Any]:
    """A Pod dict with the given containers (one empty ``busybox`` container when none) and extra spec fields."""
    name = name or f"p{next(_pod_seq)}"
    s: dict[str, Any] = {"containers": list(containers) or [container()]}
    if init:
        s["initContainers"] = init
    s.update(spec)
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"}, "spec": s}


def node_info(node: dict[str, Any], *pods: dict[str, Any]) -> NodeInfo:
    ni = NodeInfo(node)
    for p in pods:
        ni.add_pod(PodInfo(p))
    return ni


@dataclass
class FakeHandle:
    """Only what the plugins under test read: the snapshot."""

    snapshot: Snapshot = field(default_factory=Snapshot)


def run_scores(plugin: Plugin, pod: dict[str, Any], nodes: list[NodeInfo], *,
               normalize: bool = False) -> dict[str, int] | None:
    """PreScore + Score (+ NormalizeScore) over ``nodes``; None when PreScore answered SKIP."""
    state = CycleState()
    pi = PodInfo(pod)
    st = plugin.pre_score(state, pi, nodes)
    if st.is_skip():
        return None
    assert st.is_success(), st
    scores = [NodeScore(n.name, plugin.score(state, pi, n)) for n in nodes]
    if normalize:
        assert plugin.normalize_score(state, pi, scores).is_success()
    return {s.name: s.score for s in scores}
