"""The node lifecycle controller: notices nodes that stopped reporting, taints them and evicts their pods.

**Health.**  Every ``node_monitor_period`` seconds (default 5) each Node is checked.  A node counts as heard from
when its Ready condition's ``lastHeartbeatTime`` changes or its Lease in ``kube-node-lease`` is renewed; the time
is the controller's own clock when it noticed (so clock skew with kubelets does not matter).  A node not heard from
for ``node_monitor_grace_period`` (default 40 s; ``node_startup_grace_period``, 60 s, from its creation for a node
that never posted a Ready condition) gets its Ready, MemoryPressure, DiskPressure and PIDPressure conditions set to
``Unknown`` with reason ``NodeStatusUnknown`` and message "Kubelet stopped posting node status." (a condition
never posted is added with ``NodeStatusNeverUpdated`` / "Kubelet never posted node status.").  When Ready leaves
True the node gets a ``NodeNotReady`` event and its pods get their Ready condition set to False (event
``NodeNotReady`` "Node is not ready"); pods that show up on a not-ready node later are marked the same way.

**Taints by condition** (NoSchedule, kept in line on every node change): Ready False ->
``node.kubernetes.io/not-ready``, Ready Unknown -> ``node.kubernetes.io/unreachable``, MemoryPressure /
DiskPressure / PIDPressure / NetworkUnavailable True -> ``node.kubernetes.io/{memory,disk,pid}-pressure`` /
``network-unavailable``, ``spec.unschedulable`` -> ``node.kubernetes.io/unschedulable``.

**NoExecute taints.**  A node whose Ready is False gets ``node.kubernetes.io/not-ready:NoExecute``, Unknown gets
``node.kubernetes.io/unreachable:NoExecute`` (the two are swapped at once when Ready changes between them), with
``timeAdded``; both are removed when Ready is True again.  Adding them is rate-limited per zone (the zone is the
``topology.kubernetes.io/region`` + ``zone`` labels) by a token bucket with burst 1, whose rate follows the zone's
state, computed from its nodes' Ready conditions as upstream does:

- *normal*: ``node_eviction_rate`` (0.1 nodes/s);
- *partialDisruption* (more than 2 not-ready nodes making up at least ``unhealthy_zone_threshold``, 55 %):
  ``secondary_node_eviction_rate`` (0.01/s) in zones larger than ``large_cluster_size_threshold`` (50 nodes),
  else 0: a partition should not empty a small zone;
- *fullDisruption* (no ready node): back to ``node_eviction_rate``, unless every zone is fully disrupted: then
  the controller assumes it is itself cut off, stops tainting and removes the NoExecute taints from all nodes.

**Taint-based eviction** (the NoExecute taint manager, upstream's taint-eviction-controller, run here as part of
this controller): a pod on a node with NoExecute taints that it does not tolerate is deleted at once; if it
tolerates them all, it is deleted after the smallest ``tolerationSeconds`` of the tolerations used (never, when
none sets one).  The wait counts from the latest ``timeAdded`` of the node's NoExecute taints (from when this
controller first saw the pod there when the taints carry none), so a restarted controller does not restart the
clocks.  Before deleting, the pod gets the condition ``DisruptionTarget=True`` (reason ``DeletionByTaintManager``,
"Taint manager: deleting due to NoExecute taint") and a ``TaintManagerEviction`` event ("Marking for deletion Pod
ns/name"); a pending eviction that is no longer needed gets "Cancelling deletion of Pod ns/name".

Pods of a deleted Node are not touched here: the pod garbage collector (podgc) deletes them, as upstream.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kybernetes.api.placement import tolerates_taint
from kybernetes.client.informer import object_key
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_conflict, is_not_found

__all__ = ["NodeLifecycleController", "UNREACHABLE_TAINT", "NOT_READY_TAINT", "STATE_NORMAL",
           "STATE_PARTIAL_DISRUPTION", "STATE_FULL_DISRUPTION", "STATE_INITIAL", "compute_zone_state",
           "zone_key", "no_schedule_taints", "TokenBucket", "min_toleration_seconds", "matching_tolerations"]

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
UNREACHABLE_TAINT = {"key": TAINT_UNREACHABLE, "effect": "NoExecute"}
NOT_READY_TAINT = {"key": TAINT_NOT_READY, "effect": "NoExecute"}

# condition type -> condition status -> NoSchedule taint key (upstream nodeConditionToTaintKeyStatusMap)
CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
_MANAGED_NO_SCHEDULE = {k for m in CONDITION_TAINTS.values() for k in m.values()} | {TAINT_UNSCHEDULABLE}
_UNKNOWN_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

STATE_INITIAL = "Initial"
STATE_NORMAL = "Normal"
STATE_FULL_DISRUPTION = "FullDisruption"
STATE_PARTIAL_DISRUPTION = "PartialDisruption"

DEFAULTS = {
    "node_monitor_grace_period": 40.0,
    "node_startup_grace_period": 60.0,
    "node_monitor_period": 5.0,
    "node_eviction_rate": 0.1,
    "secondary_node_eviction_rate": 0.01,
    "large_cluster_size_threshold": 50,
    "unhealthy_zone_threshold": 0.55,
}
TAINTER_PERIOD = 0.1  # upstream nodeEvictionPeriod
PATCH_RETRIES = 5

NODE_PREFIX = "n:"
POD_PREFIX = "p:"


# -- small pure pieces -----------------------------------------------------------------------------------------

def _now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _condition(node: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def ready_status(node: dict[str, Any] | None) -> str | None:
    """The node's Ready condition status (``True``/``False``/``Unknown``), None when it has none."""
    c = _condition(node or {}, "Ready")
    return c.get("status") if c is not None else None


def zone_key(node: dict[str, Any]) -> str:
    """Upstream's GetZoneKey: ``region:\\x00:zone`` from the topology labels (or their beta forms), ``""`` when
    the node has neither."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    zone = labels.get("topology.kubernetes.io/zone", labels.get("failure-domain.beta.kubernetes.io/zone", ""))
    region = labels.get("topology.kubernetes.io/region",
                        labels.get("failure-domain.beta.kubernetes.io/region", ""))
    if not zone and not region:
        return ""
    return f"{region}:\x00:{zone}"


def compute_zone_state(ready_statuses: list[str | None], unhealthy_threshold: float = 0.55) -> tuple[int, str]:
    """(not-ready count, zone state) from the Ready statuses of a zone's nodes (None: no Ready condition)."""
    ready = sum(1 for s in ready_statuses if s == "True")
    not_ready = len(ready_statuses) - ready
    if ready == 0 and not_ready > 0:
        return not_ready, STATE_FULL_DISRUPTION
    if not_ready > 2 and not_ready / (not_ready + ready) >= unhealthy_threshold:
        return not_ready, STATE_PARTIAL_DISRUPTION
    return not_ready, STATE_NORMAL


def no_schedule_taints(node: dict[str, Any]) -> set[str]:
    """The NoSchedule taint keys the node's conditions and ``spec.unschedulable`` call for."""
    out = set()
    for c in (node.get("status") or {}).get("conditions") or ():
        key = CONDITION_TAINTS.get(c.get("type", ""), {}).get(c.get("status", ""))
        if key:
            out.add(key)
    if (node.get("spec") or {}).get("unschedulable"):
        out.add(TAINT_UNSCHEDULABLE)
    return out


def _matches(taint: dict[str, Any], template: dict[str, Any]) -> bool:
    return taint.get("key") == template["key"] and taint.get("effect") == template["effect"]


def _has_taint(node: dict[str, Any], template: dict[str, Any]) -> bool:
    return any(_matches(t, template) for t in (node.get("spec") or {}).get("taints") or ())


def matching_tolerations(taints: list[dict[str, Any]],
                         tolerations: list[dict[str, Any]]) -> tuple[bool, list[dict[str, Any]]]:
    """(every taint tolerated, the first toleration tolerating each taint) - upstream's GetMatchingTolerations."""
    used = []
    for taint in taints:
        tol = next((t for t in tolerations if tolerates_taint(t, taint)), None)
        if tol is None:
            return False, []
        used.append(tol)
    return True, used


def min_toleration_seconds(tolerations: list[dict[str, Any]]) -> float:
    """The smallest tolerationSeconds (0 for non-positive ones, 0 with no tolerations); -1 when none sets one."""
    if not tolerations:
        return 0.0
    best: float | None = None
    for t in tolerations:
        secs = t.get("tolerationSeconds")
        if secs is None:
            continue
        if secs <= 0:
            return 0.0
        best = secs if best is None else min(best, secs)
    return -1.0 if best is None else float(best)


class TokenBucket:
    """A token bucket (``qps`` tokens per second, holding at most ``burst``), starting full; qps <= 0 never
    accepts.  Time comes from ``clock`` (monotonic seconds)."""

    def __init__(self, qps: float, burst: int = 1, clock: Any = time.monotonic) -> None:
        self.qps = qps
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.last = clock()

    def try_accept(self) -> bool:
        if self.qps <= 0:
            return False
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.qps)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class _Tainter:
    """A zone's queue of nodes waiting for their NoExecute taint, and its rate limiter.  A node is queued once;
    the monitor queues it again on a later round only if it still lacks the taint (level-triggered, where
    upstream's queue remembers every node it ever processed)."""

    bucket: TokenBucket
    pending: deque[str] = field(default_factory=deque)

    def add(self, name: str) -> bool:
        if name in self.pending:
            return False
        self.pending.append(name)
        return True

    def remove(self, name: str) -> None:
        try:
            self.pending.remove(name)
        except ValueError:
            pass


@dataclass
class _Health:
    probe: float  # monotonic time the node was last heard from
    ready_transition: float
    ready: dict[str, Any] | None = None  # the Ready condition seen at the last check
    lease_renew: float | None = None


# -- the controller ---------------------------------------------------------------------------------------------

class NodeLifecycleController(Controller):
    """See the module docstring.  Queue keys: ``n:<node>`` (NoSchedule taints) and ``p:<ns>/<pod>`` (NotReady
    marking and taint-based eviction of one pod); a monitor task and a tainter task run alongside."""

    name = "nodelifecycle"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        opt = {k: ctx.options.get(k, v) for k, v in DEFAULTS.items()}
        self.grace = float(opt["node_monitor_grace_period"])
        self.startup_grace = float(opt["node_startup_grace_period"])
        self.period = float(opt["node_monitor_period"])
        self.eviction_rate = float(opt["node_eviction_rate"])
        self.secondary_rate = float(opt["secondary_node_eviction_rate"])
        self.large_cluster = int(opt["large_cluster_size_threshold"])
        self.unhealthy_threshold = float(opt["unhealthy_zone_threshold"])
        self.nodes = ctx.informer("", "v1", "nodes")
        self.leases = ctx.informer("coordination.k8s.io", "v1", "leases", namespace=LEASE_NAMESPACE)
        self.pods = ctx.informer("", "v1", "pods")
        self.recorder = ctx.recorder("node-controller")
        self.eviction_recorder = ctx.recorder("taint-eviction-controller")
        self.health: dict[str, _Health] = {}
        self.known: set[str] = set()
        self.zone_states: dict[str, str] = {}
        self.tainters: dict[str, _Tainter] = {}
        self.evictions: dict[str, float] = {}  # pod key -> wall time its toleration clock started
        self.nodes.add_event_handler(on_add=self._node_added, on_update=self._node_updated,
                                     on_delete=self._node_deleted)
        self.pods.add_event_handler(on_add=self._pod_changed, on_update=lambda old, new: self._pod_changed(new),
                                    on_delete=self._pod_deleted)

    # -- handlers (only enqueue) ----------------------------------------------------------------------------------

    def _enqueue_pods_on(self, node_name: str) -> None:
        for pod in self.pods.by_index("node-name", node_name):
            self.queue.add(POD_PREFIX + object_key(pod))

    def _node_added(self, node: dict[str, Any]) -> None:
        self.queue.add(NODE_PREFIX + node["metadata"]["name"])
        self._enqueue_pods_on(node["metadata"]["name"])

    def _node_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        name = new["metadata"]["name"]
        self.queue.add(NODE_PREFIX + name)
        no_exec = lambda n: sorted((t.get("key"), t.get("value"), t.get("timeAdded"))  # noqa: E731
                                   for t in (n.get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute")
        if no_exec(old) != no_exec(new) or ready_status(old) != ready_status(new):
            self._enqueue_pods_on(name)

    def _node_deleted(self, node: dict[str, Any]) -> None:
        self._enqueue_pods_on(node["metadata"]["name"])

    def _pod_changed(self, pod: dict[str, Any]) -> None:
        # Only pods that may need something: on a not-ready node, on a node with NoExecute taints, or with an
        # eviction pending.  (Node changes enqueue all their pods themselves.)
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            return
        key = object_key(pod)
        node = self.nodes.get(node_name)
        if key in self.evictions or (node is not None and (
                ready_status(node) not in (None, "True")
                or any(t.get("effect") == "NoExecute" for t in (node.get("spec") or {}).get("taints") or ()))):
            self.queue.add(POD_PREFIX + key)

    def _pod_deleted(self, pod: dict[str, Any]) -> None:
        self.evictions.pop(object_key(pod), None)

    # -- running ---------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await super().start()
        self.spawn(self._every(self.period, self.monitor), name="nodelifecycle-monitor")
        self.spawn(self._every(TAINTER_PERIOD, self.run_tainters), name="nodelifecycle-tainter")

    async def _every(self, period: float, fn: Any) -> None:
        while True:
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("nodelifecycle: %s failed", getattr(fn, "__name__", fn))
            await asyncio.sleep(period)

    async def sync(self, key: str) -> None:
        """``n:<node>``: keep the node's condition taints; ``p:<ns>/<name>``: mark the pod NotReady on a not-ready
        node and apply taint-based eviction.  Raises to retry."""
        if key.startswith(NODE_PREFIX):
            await self.sync_node_taints(key[len(NODE_PREFIX):])
        elif key.startswith(POD_PREFIX):
            await self.sync_pod(key[len(POD_PREFIX):])

    # -- writes ----------------------------------------------------------------------------------------------------

    async def _swap_taints(self, node: dict[str, Any], add: list[dict[str, Any]],
                           remove: list[dict[str, Any]]) -> bool:
        """Add taints (replacing ones with the same key and effect) and remove others, with optimistic concurrency
        (refetching on conflict).  Returns False when the node is gone; raises other API errors."""
        name = node["metadata"]["name"]
        current = node
        for attempt in range(PATCH_RETRIES):
            taints = list((current.get("spec") or {}).get("taints") or [])
            new = []
            for t in taints:
                if any(_matches(t, r) for r in remove):
                    continue
                want = next((a for a in add if _matches(t, a)), None)
                if want is not None and (want.get("value") or "") != (t.get("value") or ""):
                    continue  # replaced below
                new.append(t)  # kept as is (an added taint already present keeps its timeAdded)
            new += [dict(a) for a in add if not any(_matches(t, a) for t in new)]
            if new == taints:
                return True
            body = {"metadata": {"resourceVersion": current["metadata"].get("resourceVersion")},
                    "spec": {"taints": new or None}}
            try:
                await self.client.patch(resource_path("", "v1", "nodes", name=name), body)
                return True
            except Exception as exc:  # noqa: BLE001
                if is_not_found(exc):
                    return False
                if not is_conflict(exc) or attempt == PATCH_RETRIES - 1:
                    raise
            try:
                current = await self.client.get(resource_path("", "v1", "nodes", name=name))
            except Exception as exc:  # noqa: BLE001
                if is_not_found(exc):
                    return False
                raise
        return False

    def _taint(self, template: dict[str, Any]) -> dict[str, Any]:
        return {**template, "timeAdded": _now_rfc3339()}

    async def _mark_reachable(self, node: dict[str, Any]) -> None:
        if _has_taint(node, UNREACHABLE_TAINT) or _has_taint(node, NOT_READY_TAINT):
            await self._swap_taints(node, [], [UNREACHABLE_TAINT, NOT_READY_TAINT])
        tainter = self.tainters.get(zone_key(node))
        if tainter is not None:
            tainter.remove(node["metadata"]["name"])

    def _node_event(self, name: str, type_: str, reason: str, message: str) -> None:
        # Upstream refers to nodes by name with the name as UID and no namespace.
        self.recorder.event({"kind": "Node", "metadata": {"name": name, "uid": name}}, type_, reason, message)

    # -- NoSchedule taints by condition ------------------------------------------------------------------------------

    async def sync_node_taints(self, name: str) -> None:
        node = self.nodes.get(name)
        if node is None:
            return
        want = no_schedule_taints(node)
        have = {t.get("key") for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("effect") == "NoSchedule" and t.get("key") in _MANAGED_NO_SCHEDULE}
        add = [{"key": k, "effect": "NoSchedule"} for k in sorted(want - have)]
        remove = [{"key": k, "effect": "NoSchedule"} for k in sorted(have - want)]
        if add or remove:
            await self._swap_taints(node, add, remove)

    # -- health monitor ----------------------------------------------------------------------------------------------

    async def monitor(self) -> None:
        """One monitoring round over all nodes (upstream's monitorNodeHealth).  Never raises for one node's
        trouble; that node is looked at again next round."""
        nodes = self.nodes.list()
        names = {n["metadata"]["name"] for n in nodes}
        for node in nodes:
            name = node["metadata"]["name"]
            if name not in self.known:
                self.known.add(name)
                self._node_event(name, "Normal", "RegisteredNode", f"Registered Node {name} in Controller")
                zone = zone_key(node)
                if zone not in self.tainters:
                    self.tainters[zone] = _Tainter(TokenBucket(self.eviction_rate))
        for name in [n for n in self.known if n not in names]:
            self.known.discard(name)
            self.health.pop(name, None)
            for tainter in self.tainters.values():
                tainter.remove(name)
            self._node_event(name, "Normal", "RemovingNode", f"Removing Node {name} from Controller")

        zone_statuses: dict[str, list[str | None]] = {}
        for node in nodes:
            name = node["metadata"]["name"]
            try:
                observed, current = await self._update_health(node)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.warning("nodelifecycle: updating health of node %s: %s", name, exc)
                continue
            zone = zone_key(node)
            zone_statuses.setdefault(zone, []).append(current)
            if current is None:
                continue
            fresh = self.nodes.get(name) or node
            try:
                await self._process_taint_eviction(fresh, current)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.warning("nodelifecycle: tainting node %s: %s", name, exc)
            if current != "True" and observed == "True":
                self._node_event(name, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
                self._enqueue_pods_on(name)
        await self._handle_disruption(zone_statuses, nodes)

    async def _update_health(self, node: dict[str, Any]) -> tuple[str | None, str | None]:
        """Upstream's tryUpdateNodeHealth: note heartbeats and lease renewals, and set the conditions to Unknown
        once the grace period passed.  Returns the Ready status before and after (None: no Ready condition).
        Raises API errors other than conflicts (a conflict waits for the next round)."""
        name = node["metadata"]["name"]
        now = time.monotonic()
        ready = _condition(node, "Ready")
        observed = ready.get("status", "Unknown") if ready is not None else None
        health = self.health.get(name)
        if health is None:
            if ready is None:
                # Never posted: count the startup grace period from the node's creation.
                created = _parse_time(node["metadata"].get("creationTimestamp")) or time.time()
                health = _Health(probe=now - max(0.0, time.time() - created), ready_transition=now)
            else:
                health = _Health(probe=now, ready_transition=now)
        elif (health.ready is None) != (ready is None):
            health.probe = health.ready_transition = now
        elif ready is not None and health.ready is not None and \
                health.ready.get("lastHeartbeatTime") != ready.get("lastHeartbeatTime"):
            if health.ready.get("lastTransitionTime") != ready.get("lastTransitionTime"):
                health.ready_transition = now
            health.probe = now
        health.ready = copy.deepcopy(ready)
        self.health[name] = health
        lease = self.leases.get(f"{LEASE_NAMESPACE}/{name}")
        renew = _parse_time(((lease or {}).get("spec") or {}).get("renewTime"))
        if renew is not None and (health.lease_renew is None or renew > health.lease_renew):
            health.lease_renew = renew
            health.probe = now
        grace = self.grace if ready is not None else self.startup_grace
        if now <= health.probe + grace:
            return observed, observed
        updated = copy.deepcopy(node)
        conditions = updated.setdefault("status", {}).setdefault("conditions", [])
        stamp = _now_rfc3339()
        for ctype in _UNKNOWN_CONDITIONS:
            c = next((c for c in conditions if c.get("type") == ctype), None)
            if c is None:
                conditions.append({"type": ctype, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.",
                                   "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                                   "lastTransitionTime": stamp})
            elif c.get("status") != "Unknown":
                c.update(status="Unknown", reason="NodeStatusUnknown",
                         message="Kubelet stopped posting node status.", lastTransitionTime=stamp)
        new_ready = _condition(updated, "Ready")
        if new_ready == ready:
            return observed, observed
        try:
            await self.client.update(resource_path("", "v1", "nodes", name=name, subresource="status"), updated)
        except Exception as exc:  # noqa: BLE001
            if is_conflict(exc) or is_not_found(exc):
                return observed, observed
            raise
        health.ready = copy.deepcopy(new_ready)
        health.ready_transition = time.monotonic()
        log.info("nodelifecycle: node %s not heard from for %.1fs: conditions set to Unknown", name,
                 now - health.probe)
        return observed, "Unknown"

    async def _process_taint_eviction(self, node: dict[str, Any], status: str) -> None:
        """NoExecute taints for the Ready ``status``: swap at once between the two, else queue for the zone's
        rate-limited tainter; remove both when Ready."""
        name = node["metadata"]["name"]
        if status == "False":
            if _has_taint(node, UNREACHABLE_TAINT):
                await self._swap_taints(node, [self._taint(NOT_READY_TAINT)], [UNREACHABLE_TAINT])
            elif not _has_taint(node, NOT_READY_TAINT):
                self._tainter_for(node).add(name)
        elif status == "Unknown":
            if _has_taint(node, NOT_READY_TAINT):
                await self._swap_taints(node, [self._taint(UNREACHABLE_TAINT)], [NOT_READY_TAINT])
            elif not _has_taint(node, UNREACHABLE_TAINT):
                self._tainter_for(node).add(name)
        elif status == "True":
            await self._mark_reachable(node)

    def _tainter_for(self, node: dict[str, Any]) -> _Tainter:
        zone = zone_key(node)
        tainter = self.tainters.get(zone)
        if tainter is None:
            tainter = self.tainters[zone] = _Tainter(TokenBucket(self.eviction_rate))
        return tainter

    def _zone_rate(self, state: str, size: int) -> float:
        if state == STATE_PARTIAL_DISRUPTION:
            return self.secondary_rate if size > self.large_cluster else 0.0
        return self.eviction_rate  # normal, and full disruption of one zone among healthy ones

    def _set_zone_rate(self, zone: str, state: str, size: int) -> None:
        tainter = self.tainters.get(zone)
        rate = self._zone_rate(state, size)
        if tainter is not None and tainter.bucket.qps != rate:
            tainter.bucket = TokenBucket(rate)

    async def _handle_disruption(self, zone_statuses: dict[str, list[str | None]],
                                 nodes: list[dict[str, Any]]) -> None:
        """Zone states and tainting rates (upstream's handleDisruption)."""
        new_states: dict[str, str] = {}
        all_fully = True
        for zone, statuses in zone_statuses.items():
            _, state = compute_zone_state(statuses, self.unhealthy_threshold)
            if state != STATE_FULL_DISRUPTION:
                all_fully = False
            new_states[zone] = state
            self.zone_states.setdefault(zone, STATE_INITIAL)
        all_were_fully = True
        for zone in list(self.zone_states):
            if zone not in zone_statuses:
                del self.zone_states[zone]
                self.tainters.pop(zone, None)
                continue
            if self.zone_states[zone] != STATE_FULL_DISRUPTION:
                all_were_fully = False
        if not zone_statuses:
            return
        if all_fully and all_were_fully:
            return
        if all_fully:
            log.info("nodelifecycle: all nodes are not ready: entering master disruption mode (no evictions)")
            for node in nodes:
                try:
                    await self._mark_reachable(node)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001
                    log.warning("nodelifecycle: removing taints of %s: %s", node["metadata"]["name"], exc)
            for zone in self.zone_states:
                if zone in self.tainters:
                    self.tainters[zone].bucket = TokenBucket(0.0)
                self.zone_states[zone] = STATE_FULL_DISRUPTION
            return
        if all_were_fully:
            log.info("nodelifecycle: some nodes are ready again: exiting master disruption mode")
            now = time.monotonic()
            for health in self.health.values():
                health.probe = health.ready_transition = now
            for zone in self.zone_states:
                self._set_zone_rate(zone, new_states[zone], len(zone_statuses[zone]))
                self.zone_states[zone] = new_states[zone]
            return
        for zone, state in list(self.zone_states.items()):
            if state == new_states[zone]:
                continue
            log.info("nodelifecycle: zone %r is now in state %s", zone, new_states[zone])
            self._set_zone_rate(zone, new_states[zone], len(zone_statuses[zone]))
            self.zone_states[zone] = new_states[zone]

    async def run_tainters(self) -> None:
        """Take nodes off each zone's queue as its rate allows and give them the NoExecute taint their Ready
        condition calls for (upstream's doNoExecuteTaintingPass)."""
        for tainter in list(self.tainters.values()):
            while tainter.pending and tainter.bucket.try_accept():
                name = tainter.pending[0]
                node = self.nodes.get(name)
                status = ready_status(node)
                try:
                    if node is not None and status == "False":
                        await self._swap_taints(node, [self._taint(NOT_READY_TAINT)], [UNREACHABLE_TAINT])
                    elif node is not None and status == "Unknown":
                        await self._swap_taints(node, [self._taint(UNREACHABLE_TAINT)], [NOT_READY_TAINT])
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - stays at the head; tried again next pass
                    log.warning("nodelifecycle: tainting node %s: %s", name, exc)
                    break
                if tainter.pending and tainter.pending[0] == name:
                    tainter.pending.popleft()

    # -- pods: NotReady marking and taint-based eviction -------------------------------------------------------------

    async def sync_pod(self, key: str) -> None:
        pod = self.pods.get(key)
        if pod is None:
            self.evictions.pop(key, None)
            return
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            return
        node = self.nodes.get(node_name)
        if node is None:
            return
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            self.evictions.pop(key, None)
            return
        if ready_status(node) not in (None, "True"):
            await self._mark_pod_not_ready(pod)
        await self._taint_manager(key, pod, node)

    async def _mark_pod_not_ready(self, pod: dict[str, Any]) -> None:
        cond = next((c for c in (pod.get("status") or {}).get("conditions") or () if c.get("type") == "Ready"), None)
        if cond is None or cond.get("status") == "False":
            return
        meta = pod["metadata"]
        body = {"metadata": {"uid": meta.get("uid")},
                "status": {"conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": _now_rfc3339()}]}}
        try:
            await self.client.patch(resource_path("", "v1", "pods", meta.get("namespace", ""), meta["name"], "status"),
                                    body, "strategic")
        except Exception as exc:  # noqa: BLE001
            if is_not_found(exc):
                return
            raise
        self.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    async def _taint_manager(self, key: str, pod: dict[str, Any], node: dict[str, Any]) -> None:
        taints = [t for t in (node.get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]
        if not taints:
            self._cancel(key, pod)
            return
        ok, used = matching_tolerations(taints, list((pod.get("spec") or {}).get("tolerations") or ()))
        if not ok:
            await self._evict(key, pod)
            return
        wait = min_toleration_seconds(used)
        if wait < 0:
            self._cancel(key, pod)
            return
        now = time.time()
        start = self.evictions.get(key)
        if start is None:
            added = [t for t in (_parse_time(x.get("timeAdded")) for x in taints) if t is not None]
            start = min(now, max(added)) if added else now
            self.evictions[key] = start
        due = start + wait
        if now >= due:
            await self._evict(key, pod)
        else:
            self.enqueue_after(POD_PREFIX + key, due - now)

    def _cancel(self, key: str, pod: dict[str, Any]) -> None:
        if self.evictions.pop(key, None) is not None:
            self.eviction_recorder.event(pod, "Normal", "TaintManagerEviction", f"Cancelling deletion of Pod {key}")

    async def _evict(self, key: str, pod: dict[str, Any]) -> None:
        """DisruptionTarget condition, then delete (uid precondition).  Raises API errors to retry."""
        meta = pod["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        self.eviction_recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {key}")
        cond = next((c for c in (pod.get("status") or {}).get("conditions") or ()
                     if c.get("type") == "DisruptionTarget"), None)
        try:
            if cond is None or cond.get("status") != "True" or cond.get("reason") != "DeletionByTaintManager":
                body = {"metadata": {"uid": meta.get("uid")},
                        "status": {"conditions": [{"type": "DisruptionTarget", "status": "True",
                                                   "reason": "DeletionByTaintManager",
                                                   "message": "Taint manager: deleting due to NoExecute taint",
                                                   "lastTransitionTime": _now_rfc3339()}]}}
                await self.client.patch(resource_path("", "v1", "pods", ns, name, "status"), body, "strategic")
            await self.client.delete(resource_path("", "v1", "pods", ns, name),
                                     {"apiVersion": "v1", "kind": "DeleteOptions",
                                      "preconditions": {"uid": meta.get("uid")}})
        except Exception as exc:  # noqa: BLE001
            # Gone, or replaced by a pod of the same name (uid precondition failed): nothing left to evict.
            if not (is_not_found(exc) or getattr(exc, "code", 0) == 409):
                raise
        self.evictions.pop(key, None)
