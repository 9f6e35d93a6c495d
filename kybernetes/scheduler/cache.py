"""The scheduler cache: what every node holds, kept by the node and pod informers plus the scheduler's own
*assumed* pods, and the incremental snapshot each scheduling cycle reads.

Binding is asynchronous: once a cycle picks a node the pod is **assumed** there (its requests count against the
node at once) and the next pod is scheduled without waiting for the API.  The assumption ends one of three ways:

- the pod informer shows the pod bound: the assumption is **confirmed** (moved if the pod landed elsewhere);
- binding fails: the scheduler **forgets** the pod and the node's resources are free again;
- with a ``ttl``, an assumed pod whose binding finished but that the informer never showed **expires** (upstream
  runs with no expiry; ``cleanup_assumed_pods`` is there for a non-zero ttl).

Pods are keyed by uid.  Pods whose node is not (yet) known are kept on a NodeInfo without a Node, invisible to
snapshots until the Node arrives.

**Snapshots** are incremental: each NodeInfo change marks its node dirty, and ``update_snapshot`` re-clones only
the dirty ones (a cycle then costs work proportional to what changed, not to 5000 nodes), and rewrites their
columns of the snapshot's node arrays (``Snapshot.node_arrays``; rebuilt on first use after nodes come or go).
The snapshot's node order interleaves zones (upstream's node tree: one node of each zone in turn) so that
sampling a percentage of the nodes spreads over zones; it is recomputed only when nodes come, go or change zone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot, next_generation

__all__ = ["SchedulerCache", "CacheError", "zone_key"]

log = logging.getLogger(__name__)

_REGION = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
_ZONE = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
_TERMINAL = ("Succeeded", "Failed")


class CacheError(Exception):
    """An impossible transition (assuming a pod twice, ...): a scheduler bug, logged by callers."""


def zone_key(node: dict[str, Any]) -> str:
    """``region:\\x00:zone`` from the node's topology labels ("" when it has neither)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    region = next((labels[k] for k in _REGION if labels.get(k)), "")
    zone = next((labels[k] for k in _ZONE if labels.get(k)), "")
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def _uid_key(pod: dict[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _node_name(pod: dict[str, Any]) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""


class _PodState:
    __slots__ = ("pod_info", "node_name", "binding_finished", "deadline")

    def __init__(self, pod_info: PodInfo, node_name: str) -> None:
        self.pod_info = pod_info
        self.node_name = node_name
        self.binding_finished = False
        self.deadline: float | None = None


class SchedulerCache:
    """Nodes and their pods (bound and assumed).  One event loop; not thread-safe."""

    def __init__(self, *, ttl: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._nodes: dict[str, NodeInfo] = {}
        self._pods: dict[str, _PodState] = {}
        self._assumed: set[str] = set()
        self._dirty: set[str] = set()
        self._zones: dict[str, list[str]] = {}
        self._zone_of: dict[str, str] = {}
        self._tree_changed = True
        self._snap_pos: dict[str, int] = {}

    # -- queries -------------------------------------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return len(self._zone_of)

    @property
    def pod_count(self) -> int:
        return len(self._pods)

    @property
    def assumed_count(self) -> int:
        return len(self._assumed)

    def node_info(self, name: str) -> NodeInfo | None:
        """The live NodeInfo (do not mutate; snapshots hold copies)."""
        return self._nodes.get(name)

    def is_assumed(self, uid: str) -> bool:
        return uid in self._assumed

    def pod_node(self, uid: str) -> str:
        """The node a cached pod (bound or assumed) is on, "" when not cached."""
        st = self._pods.get(uid)
        return st.node_name if st is not None else ""

    # -- nodes ---------------------------------------------------------------------------------------------------

    def _node_info_for(self, name: str) -> NodeInfo:
        ni = self._nodes.get(name)
        if ni is None:
            ni = NodeInfo()
            ni.name = name
            self._nodes[name] = ni
        return ni

    def add_node(self, node: dict[str, Any]) -> NodeInfo:
        """Install a Node (also used for an update: the NodeInfo keeps its pods)."""
        name = (node.get("metadata") or {}).get("name", "")
        ni = self._node_info_for(name)
        ni.set_node(node)
        self._dirty.add(name)
        zone = zone_key(node)
        old_zone = self._zone_of.get(name)
        if old_zone != zone:
            if old_zone is not None:
                self._tree_remove(name, old_zone)
            self._zone_of[name] = zone
            self._zones.setdefault(zone, []).append(name)
            self._tree_changed = True
        return ni

    def update_node(self, old: dict[str, Any] | None, new: dict[str, Any]) -> NodeInfo:
        return self.add_node(new)

    def remove_node(self, node: dict[str, Any]) -> None:
        """The Node is gone; its pods stay (they are deleted by their own events) on a node-less NodeInfo."""
        name = (node.get("metadata") or {}).get("name", "")
        ni = self._nodes.get(name)
        if ni is None:
            return
        ni.remove_node()
        zone = self._zone_of.pop(name, None)
        if zone is not None:
            self._tree_remove(name, zone)
            self._tree_changed = True
        if not ni.pods:
            del self._nodes[name]
        self._dirty.add(name)

    def _tree_remove(self, name: str, zone: str) -> None:
        names = self._zones.get(zone)
        if names is None:
            return
        try:
            names.remove(name)
        except ValueError:
            pass
        if not names:
            del self._zones[zone]

    def node_order(self) -> list[str]:
        """Node names, zones interleaved (the first node of each zone, then the second of each, ...)."""
        zones = list(self._zones.values())
        if len(zones) == 1:
            return list(zones[0])
        out: list[str] = []
        longest = max((len(z) for z in zones), default=0)
        for i in range(longest):
            for z in zones:
                if i < len(z):
                    out.append(z[i])
        return out

    # -- pods ----------------------------------------------------------------------------------------------------

    def _add_to_node(self, pi: PodInfo, node_name: str) -> None:
        self._node_info_for(node_name).add_pod(pi)
        self._dirty.add(node_name)

    def _remove_from_node(self, pi: PodInfo, node_name: str) -> None:
        ni = self._nodes.get(node_name)
        if ni is None:
            return
        ni.remove_pod(pi.key)
        self._dirty.add(node_name)
        if ni.node is None and not ni.pods:
            del self._nodes[node_name]

    def add_pod(self, pod: dict[str, Any], pod_info: PodInfo | None = None) -> None:
        """A bound pod seen by the informer: confirms an assumed pod (moving it if it landed elsewhere), or adds
        it.  Terminal pods are not counted."""
        node = _node_name(pod)
        if not node:
            return
        if (pod.get("status") or {}).get("phase") in _TERMINAL:
            self.remove_pod(pod)
            return
        key = _uid_key(pod)
        st = self._pods.get(key)
        if st is not None and key in self._assumed:
            self._assumed.discard(key)
            st.binding_finished = False
            st.deadline = None
            old_pi = st.pod_info
            if st.node_name != node or (old_pi.pod.get("metadata") or {}).get("labels") != \
                    (pod.get("metadata") or {}).get("labels"):
                self._remove_from_node(old_pi, st.node_name)
                st.pod_info = pod_info or PodInfo(pod)
                st.node_name = node
                self._add_to_node(st.pod_info, node)
            else:
                # Only nodeName, status and bookkeeping changed: the parsed facts still hold.
                old_pi.pod = pod
            return
        if st is not None:
            self.update_pod(st.pod_info.pod, pod)
            return
        pi = pod_info or PodInfo(pod)
        self._pods[key] = _PodState(pi, node)
        self._add_to_node(pi, node)

    def update_pod(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """A bound pod changed.  Status-only changes just swap the object; spec or label changes re-parse; a
        terminal pod leaves the cache."""
        key = _uid_key(new)
        st = self._pods.get(key)
        if st is None or key in self._assumed:
            self.add_pod(new)
            return
        if (new.get("status") or {}).get("phase") in _TERMINAL or not _node_name(new):
            self.remove_pod(new)
            return
        cur = st.pod_info.pod
        node = _node_name(new)
        if node == st.node_name and cur.get("spec") == new.get("spec") and \
                (cur.get("metadata") or {}).get("labels") == (new.get("metadata") or {}).get("labels"):
            st.pod_info.pod = new
            return
        self._remove_from_node(st.pod_info, st.node_name)
        st.pod_info = PodInfo(new)
        st.node_name = node
        self._add_to_node(st.pod_info, node)

    def remove_pod(self, pod: dict[str, Any]) -> None:
        """A pod is gone (deleted or finished)."""
        key = _uid_key(pod)
        st = self._pods.pop(key, None)
        if st is None:
            return
        self._assumed.discard(key)
        self._remove_from_node(st.pod_info, st.node_name)

    def assume_pod(self, pod_info: PodInfo, node_name: str) -> None:
        """Count ``pod_info`` on ``node_name`` before the binding is confirmed.  Raises CacheError when the pod
        is already in the cache."""
        key = pod_info.uid or pod_info.key
        if key in self._pods:
            raise CacheError(f"pod {pod_info.key}({key}) is in the cache, so can't be assumed")
        self._pods[key] = _PodState(pod_info, node_name)
        self._assumed.add(key)
        self._add_to_node(pod_info, node_name)

    def finish_binding(self, pod_info: PodInfo) -> None:
        """The binding call returned; start the expiry clock (when a ttl is set)."""
        key = pod_info.uid or pod_info.key
        st = self._pods.get(key)
        if st is not None and key in self._assumed:
            st.binding_finished = True
            if self.ttl > 0:
                st.deadline = self.clock() + self.ttl

    def forget_pod(self, pod_info: PodInfo) -> None:
        """Undo an assumption (binding failed).  A pod that is no longer assumed (already confirmed) stays."""
        key = pod_info.uid or pod_info.key
        if key not in self._assumed:
            return
        self._assumed.discard(key)
        st = self._pods.pop(key)
        self._remove_from_node(st.pod_info, st.node_name)

    def cleanup_assumed_pods(self) -> list[PodInfo]:
        """Expire assumed pods whose binding finished more than ``ttl`` ago; returns them."""
        now = self.clock()
        expired = []
        for key in list(self._assumed):
            st = self._pods[key]
            if st.binding_finished and st.deadline is not None and now >= st.deadline:
                log.warning("assumed pod %s on %s expired", st.pod_info.key, st.node_name)
                self._assumed.discard(key)
                del self._pods[key]
                self._remove_from_node(st.pod_info, st.node_name)
                expired.append(st.pod_info)
        return expired

    # -- snapshots -----------------------------------------------------------------------------------------------

    def update_snapshot(self, snap: Snapshot) -> None:
        """Bring ``snap`` up to date, re-cloning only the NodeInfos that changed since the last call.  The cache
        serves one snapshot object (the scheduler's)."""
        dirty = self._dirty
        if not dirty and not self._tree_changed:
            return
        nodes = self._nodes
        smap = snap.node_info_map
        if self._tree_changed:
            for name in dirty:
                ni = nodes.get(name)
                if ni is None or ni.node is None:
                    smap.pop(name, None)
                else:
                    smap[name] = ni.clone()
            order = self.node_order()
            lst: list[NodeInfo] = []
            for name in order:
                c = smap.get(name)
                if c is None:
                    ni = nodes.get(name)
                    if ni is None or ni.node is None:
                        continue
                    c = ni.clone()
                lst.append(c)
            snap.set_nodes(lst)  # arrays and label index rebuilt on first use
            self._snap_pos = {c.name: i for i, c in enumerate(lst)}
            self._tree_changed = False
        else:
            lst = snap.node_info_list
            pos = self._snap_pos
            arrays = snap.arrays
            affinity = False
            for name in dirty:
                ni = nodes.get(name)
                i = pos.get(name)
                if ni is None or ni.node is None or i is None:
                    continue  # node-less NodeInfos are not in snapshots
                c = ni.clone()
                old = lst[i]
                lst[i] = c
                smap[name] = c
                snap.replace_node(old, c)
                if arrays is not None:
                    arrays.set(i, c)
                if c.pods_with_affinity or old.pods_with_affinity:
                    affinity = True
            if affinity:
                snap.refresh_affinity_lists()
        dirty.clear()
        snap.generation = next_generation()

    def dump(self) -> dict[str, Any]:
        """Counts for debugging: nodes, pods, assumed pods."""
        return {"nodes": self.node_count, "pods": self.pod_count, "assumed": sorted(self._assumed)}
