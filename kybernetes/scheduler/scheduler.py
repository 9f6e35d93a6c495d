"""kube-scheduler's loop: take the next pending pod, pick a node for it, bind it in the background.

One **scheduling cycle** per pod, synchronous (no awaits, so it sees one consistent snapshot):

1. pop the pod from the queue; skip it when it is being deleted or already assumed;
2. bring the snapshot up to date from the cache (only changed nodes are copied);
3. PreFilter, then -- if the pod carries ``status.nominatedNodeName`` -- try that node alone first; else run the
   Filters over the nodes starting at a rotating index until ``percentageOfNodesToScore`` of them are found
   feasible (upstream's sampling: every node below 100 nodes, adaptively 50% down to 5% of large clusters).
   Filters that answer in bulk (``filter_batch``: a mask over the snapshot's node arrays of nodes they certainly
   pass) spare the node-by-node loop: only nodes a mask doubts, before the stopping point, are filtered one by
   one, so the nodes found, the rejections recorded and the rotation are exactly the node-by-node loop's;
4. PreScore/Score the feasible nodes (handed over as a ``NodeList`` so resource scores are array operations)
   and take the best, ties broken at random;
5. **assume** the pod on that node in the cache, run Reserve and Permit.

The **binding cycle** then runs as its own task (so the next pod is scheduled meanwhile): wait at Permit, PreBind,
Bind (``pods/binding``), a ``Scheduled`` event ("Successfully assigned ns/pod to node"), PostBind.  A failed
binding forgets the assumed pod and unreserves.

When no node fits, PostFilter (preemption) may nominate a node; then the pod goes back to the queue, a
``FailedScheduling`` event tells why (upstream's message: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s)
had untolerated taint {k: v}." with the per-reason node counts sorted as strings, then the PostFilter's message)
and ``pods/status`` gets ``PodScheduled=False`` (reason ``Unschedulable``, or ``SchedulerError`` for failures that
are not a rejection) and, when preemption nominated one, ``nominatedNodeName``.

Only pods without ``spec.nodeName`` whose ``spec.schedulerName`` names one of the profiles are scheduled.  The pod
informer watches non-terminal pods: bound ones feed the cache, pending ones the queue; the node informer feeds the
cache.  Cluster changes move unschedulable pods back to the queue (see ``queue.py``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

import aiohttp
import numpy as np

from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import Informer, SharedInformerFactory
from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError
from kybernetes.scheduler.cache import CacheError, SchedulerCache
from kybernetes.scheduler.config import SchedulerConfig, default_config, num_feasible_nodes_to_find
from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState, Status, success
from kybernetes.scheduler.nodearrays import NodeList
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from kybernetes.scheduler.plugins.registry import Registry
from kybernetes.scheduler.profile import Framework, WaitingPods, filter_failure
from kybernetes.scheduler.queue import (EVENT_ASSIGNED_POD_ADD, EVENT_ASSIGNED_POD_DELETE, EVENT_NODE_ADD,
                                        Nominator, QueuedPodInfo, SchedulingQueue)

__all__ = ["Scheduler", "FitError", "Diagnosis", "SchedulerMetrics", "RecorderPool", "fit_error_message", "node_change_action",
           "ERR_NO_NODES_AVAILABLE", "NOTE_LENGTH_LIMIT", "POD_INFORMER_FIELD_SELECTOR"]

log = logging.getLogger(__name__)

ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"
NOTE_LENGTH_LIMIT = 1024  # events' message limit (upstream validation.NoteLengthLimit)
POD_INFORMER_FIELD_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed"
_NOOP = object()  # nominating info "leave nominatedNodeName as it is"
_SUCCESS = success()


# -- failure diagnosis -------------------------------------------------------------------------------------------

class Diagnosis:
    """Why a pod fits nowhere: per-node statuses, the status of nodes not examined one by one (PreFilter
    rejected or narrowed them away), the plugins that rejected it, and the PreFilter/PostFilter messages."""

    __slots__ = ("node_to_status", "absent_status", "unschedulable_plugins", "pending_plugins", "pre_filter_msg",
                 "post_filter_msg")

    def __init__(self) -> None:
        self.node_to_status: dict[str, Status] = {}
        self.absent_status: Status | None = None
        self.unschedulable_plugins: set[str] = set()
        self.pending_plugins: set[str] = set()
        self.pre_filter_msg = ""
        self.post_filter_msg = ""

    def add_plugin_status(self, s: Status) -> None:
        if not s.plugin:
            return
        if s.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING):
            self.unschedulable_plugins.add(s.plugin)
        if s.code == Code.PENDING:
            self.pending_plugins.add(s.plugin)

    def all_statuses(self, nodes: list[NodeInfo]) -> dict[str, Status]:
        """Every node's status (absent nodes get the absent status) -- what PostFilter receives."""
        if self.absent_status is None or len(self.node_to_status) >= len(nodes):
            return dict(self.node_to_status)
        out = {ni.name: self.absent_status for ni in nodes}
        out.update(self.node_to_status)
        return out


def fit_error_message(num_all_nodes: int, d: Diagnosis) -> str:
    """Upstream's FitError text: ``0/N nodes are available: <PreFilter msg or sorted "count reason" list>.``
    followed by the PostFilter message."""
    msg = f"0/{num_all_nodes} nodes are available:"
    if d.pre_filter_msg:
        msg += f" {d.pre_filter_msg}."
    else:
        reasons: dict[str, int] = {}
        for s in d.node_to_status.values():
            for r in s.reasons:
                reasons[r] = reasons.get(r, 0) + 1
        absent = num_all_nodes - len(d.node_to_status)
        if absent > 0 and d.absent_status is not None:
            for r in d.absent_status.reasons:
                reasons[r] = reasons.get(r, 0) + absent
        parts = sorted(f"{n} {r}" for r, n in reasons.items())
        if parts:
            msg += " " + ", ".join(parts) + "."
    if d.post_filter_msg:
        msg += " " + d.post_filter_msg
    return msg


class FitError(Exception):
    """No node fits the pod."""

    def __init__(self, pod_info: PodInfo, num_all_nodes: int, diagnosis: Diagnosis) -> None:
        super().__init__()
        self.pod_info = pod_info
        self.num_all_nodes = num_all_nodes
        self.diagnosis = diagnosis

    def __str__(self) -> str:
        return fit_error_message(self.num_all_nodes, self.diagnosis)


class _CycleError(Exception):
    """A scheduling cycle failed with an ERROR status (not a fit problem)."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.message())
        self.status = status


class _NoNodes(Exception):
    pass


# -- node events -------------------------------------------------------------------------------------------------

def _pick(items: list[Any], indexes: list[int]) -> Any:
    """``[items[i] for i in indexes]`` (as a sequence), fast."""
    if len(indexes) > 1:
        return itemgetter(*indexes)(items)
    return [items[i] for i in indexes]


def _conditions(node: dict[str, Any]) -> dict[str, str]:
    return {c.get("type", ""): c.get("status", "") for c in (node.get("status") or {}).get("conditions") or ()}


def node_change_action(old: dict[str, Any], new: dict[str, Any]) -> int:
    """The ActionType bits of a Node update that may matter to scheduling (0: nothing did; heartbeats only)."""
    action = 0
    os_, ns = old.get("status") or {}, new.get("status") or {}
    if os_.get("allocatable") != ns.get("allocatable"):
        action |= ActionType.UPDATE_NODE_ALLOCATABLE
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    if om.get("labels") != nm.get("labels"):
        action |= ActionType.UPDATE_NODE_LABEL
    ospec, nspec = old.get("spec") or {}, new.get("spec") or {}
    if ospec.get("taints") != nspec.get("taints") or bool(ospec.get("unschedulable")) != \
            bool(nspec.get("unschedulable")):
        action |= ActionType.UPDATE_NODE_TAINT
    if _conditions(old) != _conditions(new):
        action |= ActionType.UPDATE_NODE_CONDITION
    return action


def _pod_update_action(old: dict[str, Any], new: dict[str, Any]) -> int:
    action = 0
    if (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels"):
        action |= ActionType.UPDATE_POD_LABEL
    if (old.get("spec") or {}).get("containers") != (new.get("spec") or {}).get("containers"):
        action |= ActionType.UPDATE_POD_REQUEST
    return action


def _assigned(pod: dict[str, Any]) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truncate(message: str) -> str:
    if len(message) <= NOTE_LENGTH_LIMIT:
        return message
    return message[:NOTE_LENGTH_LIMIT - 4] + " ..."


class RecorderPool:
    """Event recorders for one component, used as one: each object's events always go to the same recorder (so
    repeats are still aggregated into a count), while events about different objects are written concurrently --
    one recorder writes one Event at a time, far fewer than a scheduler binds per second.  16 in flight, because
    the API server commits concurrent writes together: with 4 an Event cost it 1.4 ms of CPU and at most ~410
    Events/s went through; with 16, 1.1 ms and ~570/s (5000-node benchmark machine)."""

    def __init__(self, client: RESTClient, component: str, size: int = 16) -> None:
        self.component = component
        self.recorders = [EventRecorder(client, component) for _ in range(size)]

    def _pick(self, obj: dict[str, Any]) -> EventRecorder:
        meta = obj.get("metadata") or {}
        return self.recorders[hash((meta.get("namespace"), meta.get("name"))) % len(self.recorders)]

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """Queue an Event about ``obj`` (never blocks)."""
        self._pick(obj).event(obj, type_, reason, message)

    async def record(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> dict[str, Any]:
        """Write an Event now; raises StatusError/connection errors."""
        return await self._pick(obj).record(obj, type_, reason, message)

    async def flush(self) -> None:
        await asyncio.gather(*(r.flush() for r in self.recorders))

    async def close(self) -> None:
        await asyncio.gather(*(r.close() for r in self.recorders))


class SchedulerMetrics:
    """Counters and recent latencies (seconds): ``attempt`` = pop to bound (upstream's scheduling attempt
    duration: algorithm + binding), ``e2e`` = first entry in the queue to bound."""

    __slots__ = ("scheduled", "unschedulable", "errors", "attempt", "e2e", "algorithm", "limit")

    def __init__(self, limit: int = 200_000) -> None:
        self.scheduled = 0
        self.unschedulable = 0
        self.errors = 0
        self.attempt: list[float] = []
        self.e2e: list[float] = []
        self.algorithm: list[float] = []
        self.limit = limit

    def observe(self, series: list[float], value: float) -> None:
        if len(series) < self.limit:
            series.append(value)


# -- the scheduler -----------------------------------------------------------------------------------------------

class Scheduler:
    """Profiles, queue, cache and the scheduling loop.  ``await start()`` (informers synced, loop running),
    ``await stop()``; or ``await run()`` to start and block.  One event loop."""

    def __init__(self, client: RESTClient, config: SchedulerConfig | None = None, *,
                 registry: Registry | None = None, informers: SharedInformerFactory | None = None,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None) -> None:
        """Build every profile's framework; raises FrameworkError for an unusable configuration."""
        self.client = client
        self.config = config or default_config()
        self.registry = registry or Registry()
        self._own_informers = informers is None
        self.informers = informers or SharedInformerFactory(client)
        self.clock = clock
        self.rng = rng or random.Random()
        self.cache = SchedulerCache(clock=clock)
        self.snapshot = Snapshot()
        self.pod_informer: Informer = self.informers.informer("", "v1", "pods",
                                                              field_selector=POD_INFORMER_FIELD_SELECTOR)
        self.node_informer: Informer = self.informers.informer("", "v1", "nodes")
        self.nominator = Nominator(lookup=self.pod_informer.get)
        self.waiting_pods = WaitingPods()
        self.recorders: dict[str, RecorderPool] = {}
        self.profiles: dict[str, Framework] = {}
        for prof in self.config.profiles:
            rec = RecorderPool(client, prof.scheduler_name)
            self.recorders[prof.scheduler_name] = rec
            self.profiles[prof.scheduler_name] = Framework(
                prof, self.registry, client=client, recorder=rec, informers=self.informers,
                snapshot=self.snapshot, nominator=self.nominator, waiting_pods=self.waiting_pods,
                parallelism=self.config.parallelism,
                percentage_of_nodes_to_score=self.config.percentage_of_nodes_to_score)
        events: dict[str, list[ClusterEvent] | None] = {}
        for fwk in self.profiles.values():
            for name, evs in fwk.enqueue_events().items():
                if name in events and (events[name] is None or evs is None):
                    events[name] = None
                else:
                    events[name] = (events.get(name) or []) + list(evs or [])
        first = next(iter(self.profiles.values()))
        self.queue = SchedulingQueue(first.queue_sort, pre_enqueue=self._pre_enqueue, enqueue_events=events,
                                     initial_backoff=float(self.config.pod_initial_backoff_seconds),
                                     max_backoff=float(self.config.pod_max_backoff_seconds), clock=clock,
                                     nominator=self.nominator)
        self.next_start_node_index = 0
        self.metrics = SchedulerMetrics()
        self._tasks: list[asyncio.Task[Any]] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._handlers_installed = False

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def install_handlers(self) -> None:
        """Wire the informers' handlers (idempotent)."""
        if self._handlers_installed:
            return
        self._handlers_installed = True
        self.node_informer.add_event_handler(on_add=self._on_node_add, on_update=self._on_node_update,
                                             on_delete=self._on_node_delete)
        self.pod_informer.add_event_handler(on_add=self._on_pod_add, on_update=self._on_pod_update,
                                            on_delete=self._on_pod_delete)

    async def start(self, sync_timeout: float = 60.0) -> None:
        """Start informers, wait for their first lists, then start the queue's flusher and the loop."""
        self.install_handlers()
        self.informers.start()
        await self.informers.wait_for_cache_sync(sync_timeout)
        self._tasks = [asyncio.create_task(self.queue.run(), name="scheduler queue flush"),
                       asyncio.create_task(self.schedule_loop(), name="scheduler loop")]
        log.info("scheduler started with profiles %s", ", ".join(self.profiles))

    async def stop(self) -> None:
        """Stop the loop, binding tasks, informers (when owned) and recorders."""
        self.queue.close()
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        bg = list(self._background)
        for t in bg:
            t.cancel()
        await asyncio.gather(*bg, return_exceptions=True)
        if self._own_informers:
            await self.informers.stop()
        for rec in self.recorders.values():
            try:
                await asyncio.wait_for(rec.flush(), 5)
            except asyncio.TimeoutError:
                pass
            await rec.close()

    async def run(self) -> None:
        """Start and run until cancelled (then stop)."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.shield(self.stop())

    def _spawn(self, coro: Any, name: str = "") -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name or None)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # -- which pods --------------------------------------------------------------------------------------------

    def responsible_for(self, pod: dict[str, Any]) -> bool:
        return ((pod.get("spec") or {}).get("schedulerName") or "default-scheduler") in self.profiles

    def _pre_enqueue(self, pi: PodInfo) -> Status:
        fwk = self.profiles.get((pi.pod.get("spec") or {}).get("schedulerName") or "default-scheduler")
        if fwk is None:
            return success()
        return fwk.run_pre_enqueue_plugins(pi)

    # -- informer handlers (only bookkeeping; never block) -------------------------------------------------------

    def _on_node_add(self, node: dict[str, Any]) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff(EVENT_NODE_ADD)

    def _on_node_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        action = node_change_action(old, new)
        ni = self.cache.node_info(((new.get("metadata") or {}).get("name")) or "")
        if action or ni is None or (old.get("status") or {}).get("images") != (new.get("status") or {}).get("images"):
            self.cache.update_node(old, new)
        else:
            ni.node = new  # heartbeat: nothing scheduling reads changed; keep the snapshot as it is
        if action:
            self.queue.move_all_to_active_or_backoff(ClusterEvent("Node", action))

    def _on_node_delete(self, node: dict[str, Any]) -> None:
        self.cache.remove_node(node)

    def _on_pod_add(self, pod: dict[str, Any]) -> None:
        if _assigned(pod):
            self.cache.add_pod(pod)
            self.queue.move_all_to_active_or_backoff(EVENT_ASSIGNED_POD_ADD)
        elif self.responsible_for(pod):
            self.queue.add(pod)

    def _on_pod_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if _assigned(new):
            if not _assigned(old):
                self.queue.delete(old)
                self.cache.add_pod(new)
                self.queue.move_all_to_active_or_backoff(EVENT_ASSIGNED_POD_ADD)
                return
            self.cache.update_pod(old, new)
            action = _pod_update_action(old, new)
            if action:
                self.queue.move_all_to_active_or_backoff(ClusterEvent("Pod", action))
        elif self.responsible_for(new):
            uid = (new.get("metadata") or {}).get("uid", "")
            if uid and self.cache.is_assumed(uid):
                return  # being bound; the binding (or its failure) decides
            self.queue.update(old, new)

    def _on_pod_delete(self, pod: dict[str, Any]) -> None:
        uid = (pod.get("metadata") or {}).get("uid", "")
        if _assigned(pod) or (uid and self.cache.pod_node(uid)):
            self.cache.remove_pod(pod)
            self.queue.move_all_to_active_or_backoff(EVENT_ASSIGNED_POD_DELETE)
        self.queue.delete(pod)
        if uid:
            wp = self.waiting_pods.get(uid)
            if wp is not None:
                wp.reject("", "pod deleted")

    # -- the loop ------------------------------------------------------------------------------------------------

    async def schedule_loop(self) -> None:
        """Pop and schedule pods until the queue closes; yields to the event loop between pods."""
        while True:
            qpi = await self.queue.pop()
            if qpi is None:
                return
            try:
                self.schedule_one(qpi)
            except Exception:  # noqa: BLE001 - a bug must not stop scheduling
                log.exception("scheduling %s failed unexpectedly", qpi.key)
                self.queue.done(qpi.key)
            await asyncio.sleep(0)

    def schedule_one(self, qpi: QueuedPodInfo) -> None:
        """One scheduling cycle for a popped pod; starts its binding cycle as a task when a node was found."""
        pi = qpi.pod_info
        pod = pi.pod
        fwk = self.profiles.get((pod.get("spec") or {}).get("schedulerName") or "default-scheduler")
        if fwk is None:
            self.queue.done(qpi.key)
            return
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            fwk.recorder.event(pod, "Warning", "FailedScheduling", f"skip schedule deleting pod: {pi.key}")
            self.queue.done(qpi.key)
            return
        if pi.uid and self.cache.is_assumed(pi.uid):
            self.queue.done(qpi.key)
            return
        start = self.clock()
        cycle = self.queue.scheduling_cycle
        state = CycleState()
        try:
            host = self.schedule_pod(fwk, state, pi)
        except FitError as fe:
            nominating: Any = _NOOP
            if fwk.has_post_filter_plugins:
                statuses = fe.diagnosis.all_statuses(self.snapshot.node_info_list)
                try:
                    result, ps = fwk.run_post_filter_plugins(state, pi, statuses)
                except Exception as e:  # noqa: BLE001 - a plugin bug is an error status, not a crash
                    log.exception("post-filter for %s failed", pi.key)
                    result, ps = None, Status(Code.ERROR, [repr(e)])
                fe.diagnosis.post_filter_msg = ps.message()
                if ps.code == Code.ERROR:
                    log.warning("PostFilter for %s: %s", pi.key, ps.message())
                if result is not None:
                    nominating = result.nominated_node_name
            self.handle_failure(fwk, qpi, Status(Code.UNSCHEDULABLE, [str(fe)]), nominating, cycle, fe)
            return
        except _NoNodes:
            self.handle_failure(fwk, qpi, Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, [ERR_NO_NODES_AVAILABLE]),
                                "", cycle)
            return
        except _CycleError as e:
            self.handle_failure(fwk, qpi, e.status, "", cycle)
            return
        except Exception as e:  # noqa: BLE001 - a plugin bug fails this pod, not the scheduler
            log.exception("scheduling %s: plugin failure", pi.key)
            self.handle_failure(fwk, qpi, Status(Code.ERROR, [f"internal error: {e!r}"]), "", cycle)
            return
        self.metrics.observe(self.metrics.algorithm, self.clock() - start)
        # assume, reserve, permit
        try:
            self.cache.assume_pod(pi, host)
        except CacheError as e:
            log.error("%s", e)
            self.handle_failure(fwk, qpi, Status(Code.ERROR, [str(e)]), "", cycle)
            return
        self.nominator.delete(pi.key)
        s = fwk.run_reserve_plugins_reserve(state, pi, host)
        if s.code != Code.SUCCESS:
            fwk.run_reserve_plugins_unreserve(state, pi, host)
            self.cache.forget_pod(pi)
            self._fail_at_host(fwk, qpi, s, host, cycle)
            return
        s = fwk.run_permit_plugins(state, pi, host)
        if s.code not in (Code.SUCCESS, Code.WAIT):
            fwk.run_reserve_plugins_unreserve(state, pi, host)
            self.cache.forget_pod(pi)
            self._fail_at_host(fwk, qpi, s, host, cycle)
            return
        self._spawn(self.binding_cycle(fwk, state, qpi, host, start, cycle), name=f"bind {pi.key}")

    def _fail_at_host(self, fwk: Framework, qpi: QueuedPodInfo, s: Status, host: str, cycle: int) -> None:
        if s.is_rejected():
            d = Diagnosis()
            d.node_to_status[host] = s
            d.add_plugin_status(s)
            fe = FitError(qpi.pod_info, 1, d)
            self.handle_failure(fwk, qpi, Status(s.code, [str(fe)], s.plugin), "", cycle, fe)
        else:
            self.handle_failure(fwk, qpi, s, "", cycle)

    # -- finding a node ------------------------------------------------------------------------------------------

    def schedule_pod(self, fwk: Framework, state: CycleState, pi: PodInfo) -> str:
        """The chosen node's name.  Raises FitError, _NoNodes or _CycleError."""
        self.cache.update_snapshot(self.snapshot)
        num_nodes = len(self.snapshot.node_info_list)
        if num_nodes == 0:
            raise _NoNodes()
        feasible, diagnosis = self.find_nodes_that_fit_pod(fwk, state, pi)
        if not feasible:
            raise FitError(pi, num_nodes, diagnosis)
        if len(feasible) == 1:
            return feasible[0].name
        if not fwk.has_score_plugins:
            return feasible[self.rng.randrange(len(feasible))].name
        s = fwk.run_pre_score_plugins(state, pi, feasible)
        if s.code != Code.SUCCESS:
            raise _CycleError(s)
        totals, s = fwk.score_totals(state, pi, feasible)
        if s.code != Code.SUCCESS:
            raise _CycleError(s)
        return feasible[self.select_host(totals)].name

    def select_host(self, totals: list[int] | np.ndarray) -> int:
        """Index of the highest total; among equal totals each is equally likely."""
        if isinstance(totals, np.ndarray):
            ties = np.flatnonzero(totals == totals.max())
            if len(ties) == 1:
                return int(ties[0])
            return int(ties[self.rng.randrange(len(ties))])
        best = max(totals)
        if totals.count(best) == 1:
            return totals.index(best)
        ties = [i for i, t in enumerate(totals) if t == best]
        return ties[self.rng.randrange(len(ties))]

    def find_nodes_that_fit_pod(self, fwk: Framework, state: CycleState,
                                pi: PodInfo) -> tuple[list[NodeInfo], Diagnosis]:
        """PreFilter, the nominated node first, then Filters over the (possibly narrowed) nodes."""
        d = Diagnosis()
        snap = self.snapshot
        all_nodes = snap.node_info_list
        pre_res, s, with_nodes = fwk.run_pre_filter_plugins(state, pi)
        d.unschedulable_plugins = set(with_nodes)
        if s.code != Code.SUCCESS:
            if not s.is_rejected():
                raise _CycleError(s)
            d.absent_status = s
            d.pre_filter_msg = s.message()
            d.add_plugin_status(s)
            return [], d
        nnn = (pi.pod.get("status") or {}).get("nominatedNodeName")
        if nnn:
            ni = snap.get(nnn)
            if ni is not None:
                feasible = self.find_nodes_that_pass_filters(fwk, state, pi, d, [ni], rotate=False)
                if feasible:
                    return feasible, d
        nodes = all_nodes
        if pre_res is not None and pre_res.node_names is not None:
            m = snap.node_info_map
            nodes = [m[n] for n in pre_res.node_names if n in m]
            d.absent_status = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                                     [f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(with_nodes))}]"])
        feasible = self.find_nodes_that_pass_filters(fwk, state, pi, d, nodes)
        processed = len(feasible) + len(d.node_to_status)
        if all_nodes:
            self.next_start_node_index = (self.next_start_node_index + processed) % len(all_nodes)
        return feasible, d

    def find_nodes_that_pass_filters(self, fwk: Framework, state: CycleState, pi: PodInfo, d: Diagnosis,
                                     nodes: list[NodeInfo], *, rotate: bool = True) -> list[NodeInfo]:
        """Run the Filters from the rotating start index until enough feasible nodes are found; rejections go
        into ``d``.  Raises _CycleError on a Filter ERROR."""
        num_all = len(nodes)
        if num_all == 0:
            return []
        to_find = num_feasible_nodes_to_find(fwk.percentage_of_nodes_to_score, num_all)
        if not fwk.has_score_plugins:
            to_find = 1
        start = self.next_start_node_index % num_all if rotate else 0
        if (rotate and fwk.has_filter_batch_plugins and nodes is self.snapshot.node_info_list
                and not fwk.has_nominated_pods()):
            bulk = self._filter_in_bulk(fwk, state, pi, d, to_find)
            if bulk is not None:
                return bulk
        order = nodes[start:] + nodes[:start] if start else nodes
        if not fwk.has_filter_plugins:
            return order[:to_find]
        feasible: list[NodeInfo] = []
        statuses = d.node_to_status
        if fwk.has_nominated_pods():
            run = fwk.run_filter_plugins_with_nominated_pods
            for ni in order:
                s = run(state, pi, ni)
                if s.code == Code.SUCCESS:
                    feasible.append(ni)
                    if len(feasible) >= to_find:
                        break
                elif s.code == Code.ERROR:
                    raise _CycleError(s)
                else:
                    statuses[ni.name] = s
                    d.add_plugin_status(s)
            return feasible
        memo = fwk.filter_chain_memo(state, pi)
        if memo is not None:
            return self._filter_memoized(memo, fwk.filter_funcs(state), state, pi, d, order, to_find)
        filters = fwk.filter_funcs(state, pi)
        if len(filters) == 1:
            return self._filter_one_plugin(filters[0], state, pi, d, order, to_find)
        append = feasible.append
        ok = _SUCCESS
        for ni in order:
            for name, fn in filters:
                s = fn(state, pi, ni)
                if s is not ok and s.code:
                    break
            else:
                append(ni)
                if len(feasible) >= to_find:
                    break
                continue
            s = filter_failure(name, s)
            if s.code == Code.ERROR:
                raise _CycleError(s)
            statuses[ni.name] = s
            d.add_plugin_status(s)
        return feasible

    def _filter_in_bulk(self, fwk: Framework, state: CycleState, pi: PodInfo, d: Diagnosis,
                        to_find: int) -> NodeList | None:
        """The Filter loop over the whole snapshot with the bulk Filters' masks (None when no Filter answered
        one): exactly the nodes, statuses and stopping point of the node-by-node loop, but nodes whose mask bit
        is set only go through the Filters without a mask, and with none of those they are not looked at one by
        one at all."""
        snap = self.snapshot
        arrays = snap.node_arrays()
        mask, rest, chain = fwk.run_filter_batch(state, pi, arrays)
        if mask is None:
            return None
        lst = snap.node_info_list
        n = len(lst)
        start = self.next_start_node_index % n
        ok = np.concatenate((mask[start:], mask[:start])) if start else mask  # in the order nodes are examined
        statuses = d.node_to_status
        ok_status = _SUCCESS
        if rest:
            rows: list[int] = []
            for pos, sure in enumerate(ok.tolist()):
                i = pos + start
                if i >= n:
                    i -= n
                ni = lst[i]
                for name, fn in (rest if sure else chain):
                    s = fn(state, pi, ni)
                    if s is not ok_status and s.code:
                        break
                else:
                    rows.append(i)
                    if len(rows) >= to_find:
                        break
                    continue
                s = filter_failure(name, s)
                if s.code == Code.ERROR:
                    raise _CycleError(s)
                statuses[ni.name] = s
                d.add_plugin_status(s)
            row_array = np.array(rows, dtype=np.intp)
        else:
            cum = ok.cumsum()  # sure passes up to and including each position
            passes = ok
            extra = 0
            for pos in (~ok).nonzero()[0].tolist():
                if int(cum[pos]) + extra >= to_find:
                    break  # enough nodes pass before this one: it is never examined
                i = pos + start
                if i >= n:
                    i -= n
                ni = lst[i]
                for name, fn in chain:
                    s = fn(state, pi, ni)
                    if s is not ok_status and s.code:
                        break
                else:
                    if passes is ok:
                        passes = ok.copy()
                    passes[pos] = True
                    extra += 1
                    continue
                s = filter_failure(name, s)
                if s.code == Code.ERROR:
                    raise _CycleError(s)
                statuses[ni.name] = s
                d.add_plugin_status(s)
            if extra:
                cum = passes.cumsum()
            examined = n if int(cum[-1]) < to_find else int(cum.searchsorted(to_find)) + 1
            row_array = passes[:examined].nonzero()[0] + start
            if start:
                row_array[row_array >= n] -= n
            rows = row_array.tolist()
        return NodeList(_pick(lst, rows), arrays, row_array)

    def _filter_memoized(self, memo: dict[str, tuple[int, Status | None]],
                         filters: list[tuple[str, Callable[..., Status]]], state: CycleState, pi: PodInfo,
                         d: Diagnosis, order: list[NodeInfo], to_find: int) -> list[NodeInfo]:
        """The Filter loop answering from the chain memo for nodes whose NodeInfo did not change."""
        feasible: list[NodeInfo] = []
        statuses = d.node_to_status
        ok = _SUCCESS
        get = memo.get
        for ni in order:
            gen = ni.generation
            e = get(ni.name)
            if e is not None and e[0] == gen:
                s = e[1]
            else:
                s = None
                for name, fn in filters:
                    r = fn(state, pi, ni)
                    if r is not ok and r.code:
                        s = filter_failure(name, r)
                        if s.code == Code.ERROR:
                            raise _CycleError(s)
                        break
                memo[ni.name] = (gen, s)
            if s is None:
                feasible.append(ni)
                if len(feasible) >= to_find:
                    break
            else:
                statuses[ni.name] = s
                d.add_plugin_status(s)
        return feasible

    def _filter_one_plugin(self, filt: tuple[str, Callable[..., Status]], state: CycleState, pi: PodInfo,
                           d: Diagnosis, order: list[NodeInfo], to_find: int) -> list[NodeInfo]:
        name, fn = filt
        feasible: list[NodeInfo] = []
        statuses = d.node_to_status
        ok = _SUCCESS
        for ni in order:
            s = fn(state, pi, ni)
            if s is ok or not s.code:
                feasible.append(ni)
                if len(feasible) >= to_find:
                    break
                continue
            s = filter_failure(name, s)
            if s.code == Code.ERROR:
                raise _CycleError(s)
            statuses[ni.name] = s
            d.add_plugin_status(s)
        return feasible

    # -- binding -------------------------------------------------------------------------------------------------

    async def binding_cycle(self, fwk: Framework, state: CycleState, qpi: QueuedPodInfo, host: str,
                            start: float, cycle: int) -> None:
        """Permit wait, PreBind, Bind, the Scheduled event, PostBind; failures undo the assumption."""
        pi = qpi.pod_info
        try:
            s = await fwk.wait_on_permit(pi)
            if s.code != Code.SUCCESS:
                self._binding_failed(fwk, state, qpi, host, s, cycle)
                return
            self.queue.done(qpi.key)
            s = await fwk.run_pre_bind_plugins(state, pi, host)
            if s.code == Code.SUCCESS:
                s = await fwk.run_bind_plugins(state, pi, host)
            self.cache.finish_binding(pi)
            if s.code != Code.SUCCESS:
                self._binding_failed(fwk, state, qpi, host, s, cycle)
                return
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a plugin bug fails this binding only
            log.exception("binding %s to %s failed", pi.key, host)
            self._binding_failed(fwk, state, qpi, host, Status(Code.ERROR, [repr(e)]), cycle)
            return
        now = self.clock()
        m = self.metrics
        m.scheduled += 1
        m.observe(m.attempt, now - start)
        if qpi.initial_attempt_timestamp is not None:
            m.observe(m.e2e, now - qpi.initial_attempt_timestamp)
        fwk.recorder.event(pi.pod, "Normal", "Scheduled", f"Successfully assigned {pi.key} to {host}")
        await fwk.run_post_bind_plugins(state, pi, host)

    def _binding_failed(self, fwk: Framework, state: CycleState, qpi: QueuedPodInfo, host: str, s: Status,
                        cycle: int) -> None:
        pi = qpi.pod_info
        fwk.run_reserve_plugins_unreserve(state, pi, host)
        was_assumed = pi.uid and self.cache.is_assumed(pi.uid)
        self.cache.forget_pod(pi)
        key = qpi.key
        fe: FitError | None = None
        status = s
        if s.is_rejected():
            d = Diagnosis()
            d.node_to_status[host] = s
            if s.plugin:
                d.unschedulable_plugins.add(s.plugin)
            fe = FitError(pi, 1, d)
            status = Status(s.code, [str(fe)], s.plugin)
        if was_assumed and not s.is_rejected():
            self.queue.move_all_to_active_or_backoff(EVENT_ASSIGNED_POD_DELETE)
        self.handle_failure(fwk, qpi, status, "", cycle, fe)
        if was_assumed and s.is_rejected():
            self.queue.move_all_to_active_or_backoff(EVENT_ASSIGNED_POD_DELETE, lambda q: q.key != key)

    # -- failures ------------------------------------------------------------------------------------------------

    def handle_failure(self, fwk: Framework, qpi: QueuedPodInfo, status: Status, nominating: Any, cycle: int,
                       fit_error: FitError | None = None) -> None:
        """Back to the queue (unless gone or bound meanwhile), remember the nomination, tell the user: a
        FailedScheduling event and PodScheduled=False (+ nominatedNodeName) on the pod's status."""
        pi = qpi.pod_info
        rejected = status.is_rejected()
        reason = "Unschedulable" if rejected else "SchedulerError"
        if rejected:
            self.metrics.unschedulable += 1
        else:
            self.metrics.errors += 1
        if fit_error is not None:
            qpi.unschedulable_plugins = set(fit_error.diagnosis.unschedulable_plugins)
            qpi.pending_plugins = set(fit_error.diagnosis.pending_plugins)
        else:
            qpi.unschedulable_plugins = set()
            qpi.pending_plugins = set()
        message = status.message()
        if fit_error is None and status.code != Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
            log.info("error scheduling pod %s; retrying: %s", pi.key, message)
        cached = self.pod_informer.get(pi.key)
        if cached is None or (cached.get("metadata") or {}).get("uid", pi.uid) != pi.uid:
            self.queue.done(qpi.key)
            self.nominator.delete(pi.key)
            return
        if _assigned(cached):
            self.queue.done(qpi.key)
            return
        if cached is not pi.pod:
            qpi.pod_info = PodInfo(cached)
        self.queue.add_unschedulable_if_not_present(qpi, cycle)
        nominated = None if nominating is _NOOP else nominating
        self.nominator.add(qpi.pod_info, nominated)
        fwk.recorder.event(cached, "Warning", "FailedScheduling", _truncate(message))
        cond = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                "lastTransitionTime": _now_rfc3339(), "reason": reason, "message": message}
        self._spawn(self.update_pod_status(cached, cond, nominated), name=f"status {pi.key}")

    async def update_pod_status(self, pod: dict[str, Any], condition: dict[str, Any] | None,
                                nominated_node: str | None) -> None:
        """PATCH pods/status with the condition (when it differs from the pod's) and nominatedNodeName (when
        given and different; "" clears it).  Errors are logged."""
        status = pod.get("status") or {}
        patch: dict[str, Any] = {}
        if condition is not None:
            cur = next((c for c in status.get("conditions") or () if c.get("type") == condition["type"]), None)
            if cur is None or any(cur.get(k) != condition.get(k) for k in ("status", "reason", "message")):
                if cur is not None and cur.get("status") == condition["status"]:
                    condition = {**condition, "lastTransitionTime": cur.get("lastTransitionTime")}
                patch["conditions"] = [condition]
        if nominated_node is not None and (status.get("nominatedNodeName") or "") != nominated_node:
            patch["nominatedNodeName"] = nominated_node or None
        if not patch:
            return
        meta = pod.get("metadata") or {}
        path = resource_path("", "v1", "pods", meta.get("namespace", ""), meta.get("name", ""), "status")
        for attempt in range(3):
            try:
                await self.client.patch(path, {"status": patch}, "strategic")
                return
            except StatusError as e:
                if e.code == 404:
                    return
                if e.code not in (409, 429, 500, 503) or attempt == 2:
                    log.warning("updating status of pod %s/%s: %s", meta.get("namespace"), meta.get("name"), e)
                    return
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
                if attempt == 2:
                    log.warning("updating status of pod %s/%s: %r", meta.get("namespace"), meta.get("name"), e)
                    return
            await asyncio.sleep(0.1 * (attempt + 1))
