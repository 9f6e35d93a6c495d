"""A DaemonSet's pods: where they may run, what they look like, and how a rollout counts them (pure functions).

Placement follows upstream's ``NodeShouldRunDaemonPod``: a node is *eligible* when the template's ``nodeName``
(if any) names it, its labels satisfy the template's ``nodeSelector`` and required node affinity, and every
NoSchedule/NoExecute taint is tolerated -- by the template's tolerations plus those upstream adds to every daemon
pod (``node.kubernetes.io/not-ready`` and ``unreachable`` NoExecute; ``disk-pressure``, ``memory-pressure``,
``pid-pressure``, ``unschedulable`` NoSchedule; ``network-unavailable`` NoSchedule for host-network pods).  A pod
already on a node may *continue running* while only NoSchedule taints are untolerated.

A daemon pod names its node in a required node affinity term ``metadata.name In [<node>]`` (matchFields), which
replaces the template's required node affinity; the scheduler binds it there.  Its labels add
``controller-revision-hash`` (the current template hash) and ``pod-template-generation``; a pod is *updated* when
either matches the set.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kybernetes.api.placement import find_untolerated_taint, pod_matches_node_selector_and_affinity
from kybernetes.controllers.apps_util import scaled_value
from kybernetes.controllers.history import fnv32a, go_json, safe_encode_string
from kybernetes.controllers.podcontrol import is_terminating

__all__ = ["HASH_LABEL", "TEMPLATE_GENERATION_LABEL", "TEMPLATE_GENERATION_ANNOTATION", "DAEMON_TOLERATIONS",
           "daemon_tolerations", "node_should_run", "target_node_name", "replace_node_affinity", "compute_hash",
           "template_generation", "create_pod_template", "is_pod_updated", "pod_order", "FailedPodBackoff",
           "group_by_node", "updated_pods_on_node", "rolling_update_of", "surge_count", "unavailable_count",
           "allows_surge"]

HASH_LABEL = "controller-revision-hash"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"

DAEMON_TOLERATIONS: tuple[tuple[str, str], ...] = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")

Obj = dict[str, Any]


# -- placement (pure) ---------------------------------------------------------------------------------------------

def daemon_tolerations(pod_spec: Obj) -> list[Obj]:
    """The spec's tolerations with the automatic daemon tolerations added; one with the same key, operator and
    effect is replaced (dropping its tolerationSeconds), as upstream's AddOrUpdateTolerationInPodSpec does.
    Pure."""
    tolerations = [dict(t) for t in pod_spec.get("tolerations") or []]
    wanted = list(DAEMON_TOLERATIONS) + ([NETWORK_UNAVAILABLE] if pod_spec.get("hostNetwork") else [])
    for key, effect in wanted:
        tol = {"key": key, "operator": "Exists", "effect": effect}
        for i, t in enumerate(tolerations):
            if (t.get("key", "") == key and (t.get("operator") or "Equal") == "Exists"
                    and t.get("effect", "") == effect and not t.get("value")):
                tolerations[i] = tol  # replaced whole: daemon pods tolerate these forever
                break
        else:
            tolerations.append(tol)
    return tolerations


def node_should_run(node: Obj, ds: Obj) -> tuple[bool, bool]:
    """(should_run, should_continue_running) for ``ds`` on ``node`` (upstream NodeShouldRunDaemonPod)."""
    spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    node_name = (node.get("metadata") or {}).get("name", "")
    if spec.get("nodeName") and spec["nodeName"] != node_name:
        return False, False
    pod = {"spec": spec}
    if not pod_matches_node_selector_and_affinity(pod, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = daemon_tolerations(spec)
    if find_untolerated_taint(taints, tolerations, ("NoSchedule", "NoExecute")) is not None:
        return False, find_untolerated_taint(taints, tolerations, ("NoExecute",)) is None
    return True, True


def target_node_name(pod: Obj) -> str | None:
    """``spec.nodeName``, else the single node a ``metadata.name In [...]`` matchFields term names, else None."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or []:
        for req in term.get("matchFields") or []:
            if req.get("key") == "metadata.name" and req.get("operator") == "In":
                values = req.get("values") or []
                return values[0] if len(values) == 1 else None
    return None


def replace_node_affinity(affinity: Obj | None, node_name: str) -> Obj:
    """``affinity`` with its required node affinity replaced by one term selecting ``node_name`` by
    ``metadata.name`` (preferred terms and pod (anti-)affinity kept).  Returns a copy."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    out = copy.deepcopy(affinity) if affinity else {}
    node_affinity = out.setdefault("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    else:
        required["nodeSelectorTerms"] = [term]
    return out


# -- revisions and pod templates (pure) ---------------------------------------------------------------------------

def compute_hash(template: Obj, collision_count: int | None) -> str:
    """The template hash naming the set's revisions and labelling its pods: FNV-1a over the template's JSON
    (upstream hashes a Go dump of the struct instead, so values differ) and the collision count as 8 bytes."""
    raw = go_json(template)
    if collision_count is not None:
        raw += int(collision_count).to_bytes(4, "little") + b"\x00" * 4
    return safe_encode_string(str(fnv32a(raw)))


def template_generation(ds: Obj) -> int | None:
    """The template generation: upstream's deprecated annotation when present, else ``metadata.generation``."""
    meta = ds.get("metadata") or {}
    text = (meta.get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    if text is not None:
        try:
            return int(text)
        except ValueError:
            return None
    gen = meta.get("generation")
    return int(gen) if gen is not None else None


def create_pod_template(template: Obj, generation: int | None, hash_: str) -> Obj:
    """The template daemon pods are made from: daemon tolerations added, generation and hash labels set.
    Returns a copy."""
    out = copy.deepcopy(template)
    spec = out.setdefault("spec", {})
    spec["tolerations"] = daemon_tolerations(spec)
    labels = out.setdefault("metadata", {}).setdefault("labels", {})
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = str(generation)
    if hash_:
        labels[HASH_LABEL] = hash_
    return out


def is_pod_updated(pod: Obj, hash_: str, generation: int | None) -> bool:
    """The pod runs the current template: its hash label (or its template generation label) matches."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    if hash_ and labels.get(HASH_LABEL) == hash_:
        return True
    return generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == str(generation)


def pod_order(pod: Obj) -> tuple[int, str, str]:
    """Scheduled pods first, then oldest first, then by name (upstream podByCreationTimestampAndPhase)."""
    meta = pod.get("metadata") or {}
    return (0 if (pod.get("spec") or {}).get("nodeName") else 1, meta.get("creationTimestamp") or "",
            meta.get("name") or "")


def _phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


@dataclass
class _Backoff:
    delay: float
    updated: float


class FailedPodBackoff:
    """Per-key exponential back-off for deleting failed daemon pods (1 s doubling to 15 min, as upstream), so a
    kubelet that keeps rejecting a pod is not hot-looped."""

    def __init__(self, initial: float = 1.0, maximum: float = 900.0, clock: Any = time.monotonic) -> None:
        self.initial, self.maximum, self.clock = initial, maximum, clock
        self._entries: dict[str, _Backoff] = {}

    def in_backoff(self, key: str) -> bool:
        e = self._entries.get(key)
        return e is not None and self.clock() - e.updated < e.delay

    def delay(self, key: str) -> float:
        e = self._entries.get(key)
        return e.delay if e else 0.0

    def next(self, key: str) -> None:
        now = self.clock()
        e = self._entries.get(key)
        if e is None or now - e.updated > 2 * self.maximum:
            self._entries[key] = _Backoff(self.initial, now)
        else:
            e.delay = min(e.delay * 2, self.maximum)
            e.updated = now

    def gc(self) -> None:
        """Forget keys idle for twice the maximum delay."""
        now = self.clock()
        for k in [k for k, e in self._entries.items() if now - e.updated > 2 * self.maximum]:
            del self._entries[k]


# -- grouping and rollout bounds --------------------------------------------------------------------------------

def group_by_node(pods: Iterable[Obj]) -> dict[str, list[Obj]]:
    """Pods by target node; terminal pods already being deleted are left out (nothing more to do for them)."""
    out: dict[str, list[Obj]] = {}
    for pod in pods:
        if _phase(pod) in ("Failed", "Succeeded") and is_terminating(pod):
            continue
        node = target_node_name(pod)
        if node:
            out.setdefault(node, []).append(pod)
    return out


def updated_pods_on_node(pods: Iterable[Obj], hash_: str,
                         generation: int | None) -> tuple[Obj | None, Obj | None, bool]:
    """(new pod, old pod, ok) among the node's live pods; ok is False with more than one of either kind."""
    new = old = None
    for pod in pods:
        if is_terminating(pod):
            continue
        if is_pod_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def rolling_update_of(ds: Obj) -> Obj | None:
    """``spec.updateStrategy.rollingUpdate`` ({} when unset), or None for OnDelete."""
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {}


def surge_count(ds: Obj, total: int) -> int:
    """``maxSurge`` out of ``total`` nodes, rounded up (0 when unset or OnDelete); ValueError when malformed."""
    rolling = rolling_update_of(ds)
    if rolling is None or rolling.get("maxSurge") is None:
        return 0
    return scaled_value(rolling["maxSurge"], total, round_up=True)


def unavailable_count(ds: Obj, total: int) -> int:
    """``maxUnavailable`` out of ``total`` nodes, rounded up (0 for OnDelete); ValueError when malformed."""
    rolling = rolling_update_of(ds)
    if rolling is None:
        return 0
    return scaled_value(rolling.get("maxUnavailable"), total, round_up=True)


def allows_surge(ds: Obj) -> bool:
    try:
        return surge_count(ds, 1) > 0
    except ValueError:
        return False
