"""The scheduling queue: which pending pod is scheduled next, and when a failed one is tried again.

Upstream's PriorityQueue, three parts:

- **activeQ**, a heap ordered by the profile's QueueSort plugin (by default: priority, then the time the pod
  entered the queue).  ``pop()`` takes the head; it counts the attempt and a scheduling cycle.
- **backoffQ**, a heap by back-off expiry.  A pod that failed waits ``initial * 2^(attempts-1)`` seconds (1 s to
  10 s by default) after it re-entered the queue before it may be tried again; ``flush_backoff_completed`` moves
  expired ones to activeQ.
- **unschedulable pods**, a map of pods that no node fits.  They stay until a cluster event arrives that one of
  the plugins that rejected them registered (``events_to_register``; a plugin without registrations reacts to any
  event), their own spec/metadata changes, or 5 minutes pass (``flush_unschedulable_leftover``).  Moving goes to
  backoffQ while the pod is still backing off, else to activeQ.  A pod that failed for no plugin's reason (an
  error) goes straight to backoffQ, and so does a pod whose scheduling cycle overlapped a move request (an event
  during its cycle might have helped it) -- upstream's moveRequestCycle rule.

PreEnqueue plugins (scheduling gates) are asked before a pod enters activeQ; a rejected pod is parked as *gated*
among the unschedulable pods and reconsidered only when it is updated.

The :class:`Nominator` remembers pods that preemption nominated to a node (``status.nominatedNodeName``) so the
filters of lower-priority pods treat that room as taken.

Everything runs on one event loop; ``clock`` is injectable so tests need not sleep.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, Status
from kybernetes.scheduler.nodeinfo import PodInfo

__all__ = ["QueuedPodInfo", "SchedulingQueue", "Nominator", "pod_key", "is_pod_updated",
           "UNSCHEDULABLE_TIMEOUT", "EVENT_UNSCHEDULABLE_TIMEOUT", "EVENT_NODE_ADD", "EVENT_ASSIGNED_POD_ADD",
           "EVENT_ASSIGNED_POD_UPDATE", "EVENT_ASSIGNED_POD_DELETE", "EVENT_FORCE_ACTIVATE"]

UNSCHEDULABLE_TIMEOUT = 5 * 60.0  # podMaxInUnschedulablePodsDuration
FLUSH_UNSCHEDULABLE_INTERVAL = 30.0

EVENT_UNSCHEDULABLE_TIMEOUT = ClusterEvent("*", ActionType.ALL)
EVENT_FORCE_ACTIVATE = ClusterEvent("*", ActionType.ALL)
EVENT_NODE_ADD = ClusterEvent("Node", ActionType.ADD)
EVENT_ASSIGNED_POD_ADD = ClusterEvent("Pod", ActionType.ADD)
EVENT_ASSIGNED_POD_UPDATE = ClusterEvent("Pod", ActionType.UPDATE)
EVENT_ASSIGNED_POD_DELETE = ClusterEvent("Pod", ActionType.DELETE)

_IGNORED_META = ("resourceVersion", "generation", "managedFields", "finalizers")


def pod_key(pod: dict[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def is_pod_updated(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when the pod changed beyond status, resourceVersion, generation, managedFields and finalizers (a
    change that may make it schedulable)."""
    if old.get("spec") != new.get("spec"):
        return True
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    if om == nm:
        return False
    keys = (set(om) | set(nm)).difference(_IGNORED_META)
    return any(om.get(k) != nm.get(k) for k in keys)


class QueuedPodInfo:
    """A pod in (or popped from) the queue, with the queue's bookkeeping."""

    __slots__ = ("pod_info", "timestamp", "attempts", "initial_attempt_timestamp", "unschedulable_plugins",
                 "pending_plugins", "gated", "updated_in_flight", "deleted_in_flight", "profile")

    def __init__(self, pod_info: PodInfo, timestamp: float) -> None:
        self.pod_info = pod_info
        self.timestamp = timestamp  # when it last entered the queue: sort order and back-off base
        self.attempts = 0
        self.initial_attempt_timestamp: float | None = None
        self.unschedulable_plugins: set[str] = set()
        self.pending_plugins: set[str] = set()
        self.gated = False
        self.updated_in_flight = False
        self.deleted_in_flight = False
        self.profile: Any = None  # the scheduler's per-pod profile cache

    @property
    def priority(self) -> int:
        return self.pod_info.priority

    @property
    def key(self) -> str:
        return self.pod_info.key

    @property
    def pod(self) -> dict[str, Any]:
        return self.pod_info.pod

    def __repr__(self) -> str:
        return f"QueuedPodInfo({self.pod_info.key}, attempts={self.attempts})"


class Nominator:
    """Pods nominated to nodes by preemption, not bound yet: node name -> PodInfos.  ``lookup(key)`` (optional)
    returns the informer's current pod so a pod already bound or deleted is not nominated."""

    def __init__(self, lookup: Callable[[str], dict[str, Any] | None] | None = None) -> None:
        self._by_node: dict[str, list[PodInfo]] = {}
        self._node_of: dict[str, str] = {}
        self._lookup = lookup

    def __bool__(self) -> bool:
        return bool(self._node_of)

    def __len__(self) -> int:
        return len(self._node_of)

    def pods_for_node(self, node_name: str) -> list[PodInfo]:
        """A copy of the pods nominated to ``node_name``."""
        return list(self._by_node.get(node_name, ()))

    def node_of(self, key: str) -> str:
        return self._node_of.get(key, "")

    def add(self, pi: PodInfo, nominated_node: str | None = None) -> None:
        """Nominate ``pi``: to ``nominated_node`` when given ("" clears), else to its ``status.nominatedNodeName``
        (upstream's Override / Noop modes)."""
        self.delete(pi.key)
        node = nominated_node if nominated_node is not None else \
            ((pi.pod.get("status") or {}).get("nominatedNodeName") or "")
        if not node:
            return
        if self._lookup is not None:
            cur = self._lookup(pi.key)
            if cur is None or (cur.get("spec") or {}).get("nodeName"):
                return
        self._node_of[pi.key] = node
        self._by_node.setdefault(node, []).append(pi)

    def delete(self, key: str) -> None:
        node = self._node_of.pop(key, None)
        if node is None:
            return
        pods = [p for p in self._by_node.get(node, ()) if p.key != key]
        if pods:
            self._by_node[node] = pods
        else:
            self._by_node.pop(node, None)

    def update(self, old_pod: dict[str, Any], new_pi: PodInfo) -> None:
        """Follow an update: keep an in-memory nomination when neither version carries one (the status write
        may lag), else take the new pod's."""
        nominated: str | None = None
        old_nnn = (old_pod.get("status") or {}).get("nominatedNodeName") or ""
        new_nnn = (new_pi.pod.get("status") or {}).get("nominatedNodeName") or ""
        if not old_nnn and not new_nnn and new_pi.key in self._node_of:
            nominated = self._node_of[new_pi.key]
        self.delete(pod_key(old_pod))
        self.add(new_pi, nominated)


class _LessKey:
    """Heap key for a QueueSort plugin without ``sort_key``: compares through its ``less``."""

    __slots__ = ("qpi", "less")

    def __init__(self, qpi: QueuedPodInfo, less: Callable[[Any, Any], bool]) -> None:
        self.qpi, self.less = qpi, less

    def __lt__(self, other: _LessKey) -> bool:
        return self.less(self.qpi, other.qpi)


class SchedulingQueue:
    """activeQ + backoffQ + unschedulable pods + nominator.  Not thread-safe; one event loop."""

    def __init__(self, queue_sort: Any, *, pre_enqueue: Callable[[PodInfo], Status] | None = None,
                 enqueue_events: dict[str, list[ClusterEvent] | None] | None = None,
                 initial_backoff: float = 1.0, max_backoff: float = 10.0,
                 max_unschedulable: float = UNSCHEDULABLE_TIMEOUT, clock: Callable[[], float] = time.monotonic,
                 nominator: Nominator | None = None) -> None:
        self._sort_key = getattr(queue_sort, "sort_key", None)
        self._less = queue_sort.less
        self._pre_enqueue = pre_enqueue
        self.enqueue_events: dict[str, list[ClusterEvent] | None] = dict(enqueue_events or {})
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable = max_unschedulable
        self.clock = clock
        self.nominator = nominator if nominator is not None else Nominator()
        self._seq = itertools.count()
        self._heap: list[list[Any]] = []
        self._active: dict[str, tuple[list[Any], QueuedPodInfo]] = {}
        self._backoff_heap: list[tuple[float, int, str]] = []
        self._backoff: dict[str, tuple[tuple[float, int, str], QueuedPodInfo]] = {}
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self.scheduling_cycle = 0
        self.move_request_cycle = -1
        self._wakeup = asyncio.Event()
        self._closed = False

    # -- sizes ---------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._active) + len(self._backoff) + len(self._unschedulable)

    @property
    def active_count(self) -> int:
        return len(self._active)

    @property
    def backoff_count(self) -> int:
        return len(self._backoff)

    @property
    def unschedulable_count(self) -> int:
        return len(self._unschedulable)

    def where(self, key: str) -> str:
        """``active``, ``backoff``, ``unschedulable``, ``gated``, ``in-flight`` or "" (tests, debugging)."""
        if key in self._active:
            return "active"
        if key in self._backoff:
            return "backoff"
        if key in self._unschedulable:
            return "gated" if self._unschedulable[key].gated else "unschedulable"
        if key in self._in_flight:
            return "in-flight"
        return ""

    def get(self, key: str) -> QueuedPodInfo | None:
        for d in (self._active, self._backoff):
            e = d.get(key)
            if e is not None:
                return e[1]
        return self._unschedulable.get(key) or self._in_flight.get(key)

    # -- back-off ------------------------------------------------------------------------------------------------

    def backoff_duration(self, qpi: QueuedPodInfo) -> float:
        """``initial * 2^(attempts-1)``, capped at ``max_backoff`` (0 before the first attempt)."""
        if qpi.attempts <= 0:
            return 0.0
        d = self.initial_backoff
        for _ in range(1, qpi.attempts):
            d *= 2
            if d >= self.max_backoff:
                return self.max_backoff
        return min(d, self.max_backoff)

    def backoff_expiry(self, qpi: QueuedPodInfo) -> float:
        return qpi.timestamp + self.backoff_duration(qpi)

    def is_backing_off(self, qpi: QueuedPodInfo) -> bool:
        return self.backoff_expiry(qpi) > self.clock()

    # -- internal moves ------------------------------------------------------------------------------------------

    def _push_active(self, qpi: QueuedPodInfo) -> bool:
        """Into activeQ unless a PreEnqueue plugin rejects it (then parked as gated).  True when added."""
        if self._pre_enqueue is not None:
            s = self._pre_enqueue(qpi.pod_info)
            if s.code != Code.SUCCESS:
                qpi.gated = True
                qpi.unschedulable_plugins = {s.plugin} if s.plugin else set()
                self._unschedulable[qpi.key] = qpi
                return False
        qpi.gated = False
        key = qpi.key
        self._unschedulable.pop(key, None)
        self._remove_backoff(key)
        old = self._active.get(key)
        k = self._sort_key(qpi) if self._sort_key is not None else _LessKey(qpi, self._less)
        entry = [k, next(self._seq), key]
        if old is not None:
            old[0][2] = None  # invalidate the stale heap entry
        self._active[key] = (entry, qpi)
        heapq.heappush(self._heap, entry)
        self._wakeup.set()
        return True

    def _push_backoff(self, qpi: QueuedPodInfo) -> None:
        key = qpi.key
        self._unschedulable.pop(key, None)
        self._remove_active(key)
        self._remove_backoff(key)
        entry = (self.backoff_expiry(qpi), next(self._seq), key)
        self._backoff[key] = (entry, qpi)
        heapq.heappush(self._backoff_heap, entry)

    def _remove_active(self, key: str) -> QueuedPodInfo | None:
        old = self._active.pop(key, None)
        if old is None:
            return None
        old[0][2] = None
        return old[1]

    def _remove_backoff(self, key: str) -> QueuedPodInfo | None:
        old = self._backoff.pop(key, None)
        return None if old is None else old[1]

    def _move(self, qpi: QueuedPodInfo) -> None:
        """An unschedulable pod may be schedulable now: backoffQ while backing off, else activeQ."""
        if self.is_backing_off(qpi):
            self._push_backoff(qpi)
        else:
            self._push_active(qpi)

    # -- informer-driven changes ---------------------------------------------------------------------------------

    def add(self, pod: dict[str, Any], pod_info: PodInfo | None = None) -> QueuedPodInfo:
        """A new pending pod: into activeQ (or gated).  A pod already queued is updated instead."""
        key = pod_key(pod)
        existing = self.get(key)
        if existing is not None:
            self.update(existing.pod, pod)
            return existing
        qpi = QueuedPodInfo(pod_info or PodInfo(pod), self.clock())
        self._push_active(qpi)
        self.nominator.add(qpi.pod_info)
        return qpi

    def update(self, old_pod: dict[str, Any], new_pod: dict[str, Any]) -> None:
        """A pending pod changed.  Queued: refresh it in place (an unschedulable one moves when the change is
        more than status).  In flight: remember that it changed.  Unknown: add it."""
        key = pod_key(new_pod)
        e = self._active.get(key)
        if e is not None:
            qpi = e[1]
            qpi.pod_info = PodInfo(new_pod)
            self.nominator.update(old_pod, qpi.pod_info)
            if qpi.priority != int((old_pod.get("spec") or {}).get("priority") or 0):
                self._push_active(qpi)  # re-key
            return
        b = self._backoff.get(key)
        if b is not None:
            qpi = b[1]
            qpi.pod_info = PodInfo(new_pod)
            self.nominator.update(old_pod, qpi.pod_info)
            return
        qpi = self._unschedulable.get(key)
        if qpi is not None:
            qpi.pod_info = PodInfo(new_pod)
            self.nominator.update(old_pod, qpi.pod_info)
            if is_pod_updated(old_pod, new_pod):
                if qpi.gated:
                    self._push_active(qpi)
                else:
                    self._move(qpi)
            return
        qpi = self._in_flight.get(key)
        if qpi is not None:
            if is_pod_updated(old_pod, new_pod):
                qpi.updated_in_flight = True
            return
        self.add(new_pod)

    def delete(self, pod: dict[str, Any]) -> None:
        """The pod is gone (deleted, or bound by someone): forget it everywhere."""
        key = pod_key(pod)
        self._remove_active(key)
        self._remove_backoff(key)
        self._unschedulable.pop(key, None)
        qpi = self._in_flight.get(key)
        if qpi is not None:
            qpi.deleted_in_flight = True
        self.nominator.delete(key)

    def activate(self, keys: list[str]) -> None:
        """Move these pods (if unschedulable or backing off) to activeQ at once."""
        for key in keys:
            qpi = self._unschedulable.get(key) or (self._backoff.get(key) or (None, None))[1]
            if qpi is not None:
                self._push_active(qpi)

    # -- scheduling ----------------------------------------------------------------------------------------------

    def pop_nowait(self) -> QueuedPodInfo | None:
        """The head of activeQ (counting the attempt and the cycle), or None when activeQ is empty."""
        heap = self._heap
        while heap:
            entry = heapq.heappop(heap)
            key = entry[2]
            if key is None:
                continue
            _, qpi = self._active.pop(key)
            qpi.attempts += 1
            if qpi.initial_attempt_timestamp is None:
                qpi.initial_attempt_timestamp = self.clock()
            qpi.updated_in_flight = qpi.deleted_in_flight = False
            self.scheduling_cycle += 1
            self._in_flight[key] = qpi
            return qpi
        return None

    async def pop(self) -> QueuedPodInfo | None:
        """Wait for the head of activeQ; None once the queue is closed."""
        while not self._closed:
            qpi = self.pop_nowait()
            if qpi is not None:
                return qpi
            self._wakeup.clear()
            await self._wakeup.wait()
        return None

    def done(self, key: str) -> None:
        """The pod's scheduling attempt is over (bound, or handed back through add_unschedulable...)."""
        self._in_flight.pop(key, None)

    def add_unschedulable_if_not_present(self, qpi: QueuedPodInfo, pod_scheduling_cycle: int) -> bool:
        """Hand back a pod whose attempt failed.  Goes to backoffQ when it failed without a plugin's rejection,
        changed during the attempt, or a move request arrived since ``pod_scheduling_cycle`` began; else to the
        unschedulable pods.  False when it was dropped (deleted meanwhile, or already queued)."""
        key = qpi.key
        self._in_flight.pop(key, None)
        if qpi.deleted_in_flight or key in self._active or key in self._backoff or key in self._unschedulable:
            return False
        qpi.timestamp = self.clock()
        rejectors = qpi.unschedulable_plugins or qpi.pending_plugins
        if qpi.updated_in_flight or not rejectors or self.move_request_cycle >= pod_scheduling_cycle:
            qpi.updated_in_flight = False
            self._push_backoff(qpi)
        else:
            self._unschedulable[key] = qpi
        self.nominator.add(qpi.pod_info)
        return True

    # -- cluster events ------------------------------------------------------------------------------------------

    def pod_matches_event(self, qpi: QueuedPodInfo, event: ClusterEvent) -> bool:
        """Could ``event`` help a pod rejected by ``qpi``'s plugins?"""
        if event.resource == "*":
            return True
        rejectors = qpi.unschedulable_plugins | qpi.pending_plugins
        if not rejectors:
            return True
        for name in rejectors:
            events = self.enqueue_events.get(name, None)
            if events is None:
                return True
            for e in events:
                if (e.resource == event.resource or e.resource == "*") and e.action & event.action:
                    return True
        return False

    def move_all_to_active_or_backoff(self, event: ClusterEvent,
                                      pre_check: Callable[[QueuedPodInfo], bool] | None = None) -> int:
        """Move every unschedulable (not gated) pod that ``event`` may help; records a move request.  Returns the
        number moved."""
        moved = 0
        if self._unschedulable:
            for qpi in list(self._unschedulable.values()):
                if qpi.gated or (pre_check is not None and not pre_check(qpi)):
                    continue
                if not self.pod_matches_event(qpi, event):
                    continue
                self._move(qpi)
                moved += 1
        self.move_request_cycle = self.scheduling_cycle
        return moved

    def flush_backoff_completed(self) -> int:
        """Move pods whose back-off expired to activeQ; returns how many."""
        now = self.clock()
        heap = self._backoff_heap
        moved = 0
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            cur = self._backoff.get(entry[2])
            if cur is None or cur[0] is not entry:
                continue
            del self._backoff[entry[2]]
            self._push_active(cur[1])
            moved += 1
        return moved

    def flush_unschedulable_leftover(self) -> int:
        """Move pods that stayed unschedulable longer than ``max_unschedulable``; returns how many."""
        now = self.clock()
        stale = [q for q in self._unschedulable.values()
                 if not q.gated and now - q.timestamp > self.max_unschedulable]
        for qpi in stale:
            self._move(qpi)
        return len(stale)

    def next_backoff_expiry(self) -> float | None:
        heap = self._backoff_heap
        while heap:
            entry = heap[0]
            cur = self._backoff.get(entry[2])
            if cur is not None and cur[0] is entry:
                return entry[0]
            heapq.heappop(heap)
        return None

    async def run(self) -> None:
        """Flush backoffQ as pods expire (at least once a second) and leftover unschedulable pods every 30 s,
        until cancelled."""
        last_leftover = self.clock()
        while not self._closed:
            nxt = self.next_backoff_expiry()
            delay = 1.0 if nxt is None else min(1.0, max(0.005, nxt - self.clock()))
            await asyncio.sleep(delay)
            self.flush_backoff_completed()
            if self.clock() - last_leftover >= FLUSH_UNSCHEDULABLE_INTERVAL:
                last_leftover = self.clock()
                self.flush_unschedulable_leftover()

    def close(self) -> None:
        """Wake ``pop`` waiters with None from now on."""
        self._closed = True
        self._wakeup.set()

    def pending(self) -> list[QueuedPodInfo]:
        """Every queued pod (any sub-queue), for debugging."""
        return [e[1] for e in self._active.values()] + [e[1] for e in self._backoff.values()] + \
            list(self._unschedulable.values())
