"""The framework runner: one scheduling profile's plugins, instantiated and run extension point by extension point.

A :class:`Framework` is built from a :class:`~kybernetes.scheduler.config.Profile` and a plugin
:class:`~kybernetes.scheduler.plugins.registry.Registry`.  Building it follows upstream's frameworkImpl:

- every plugin enabled anywhere (at a point or through ``multiPoint``) is instantiated once, with its
  ``pluginConfig`` arguments and this framework as its handle;
- a plugin enabled explicitly at a point must implement it (``plugin "X" does not extend FilterPlugin plugin``)
  and may appear only once there; ``multiPoint`` plugins join every point they implement unless disabled there
  (``"*"`` disables all); a plugin both in ``multiPoint`` and explicitly at a point is placed first, keeping the
  explicit settings (upstream's override order: overrides, then multiPoint, then the other explicit ones);
- exactly one QueueSort and at least one Bind plugin; every Score plugin has a weight (missing or 0 means 1; an
  explicit Score weight wins over the multiPoint one).

An in-tree default plugin whose module does not exist yet is skipped with a warning (the default set still works
while plugins are being written); a plugin named explicitly in a configuration must load.

Plugins may opt into memoization (``Plugin.signature``): for pods of equal signature, a Filter result or raw
Score computed for a node is reused while that node's NodeInfo keeps its generation (identical replicas then cost
one plugin call per changed node, not per node).

``run_filter_batch`` collects the bulk Filters' masks for the scheduler's array path; Score plugins may return
numpy arrays, and ``score_totals`` then keeps the totals as one.

Running follows upstream's semantics: PreFilter plugins answering SKIP have their Filter (and PreFilter
extensions) skipped for the pod, PreScore SKIP skips the plugin's Score; PreFilterResults narrow the candidate
nodes by intersection (an empty intersection is ``UnschedulableAndUnresolvable``: "node(s) didn't satisfy plugin(s)
[A B] simultaneously"); a PreFilter rejection that is merely Unschedulable lets the remaining PreFilters run
(preemption may need their state); Filters stop at the first rejection; scores are normalized by the plugins that
implement NormalizeScore, checked to lie in [0, 100] and multiplied by the weights.  The framework is the
:class:`~kybernetes.scheduler.framework.Handle` its plugins receive.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from kybernetes.scheduler.config import DEFAULT_PLUGINS, EXTENSION_POINTS, Profile
from kybernetes.scheduler.framework import (MAX_NODE_SCORE, MIN_NODE_SCORE, ClusterEvent, Code, CycleState,
                                            NodeScore, Plugin, PostFilterResult, PreFilterResult, Status, success)
from kybernetes.scheduler.nodearrays import NodeArrays, NodeList
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from kybernetes.scheduler.plugins.registry import PluginNotFound, PluginUnavailable, Registry

if TYPE_CHECKING:
    from kybernetes.client.events import EventRecorder
    from kybernetes.client.informer import SharedInformerFactory
    from kybernetes.client.rest import RESTClient

__all__ = ["Framework", "FrameworkError", "WaitingPod", "WaitingPods", "ANY_EVENT", "MAX_PERMIT_TIMEOUT"]

log = logging.getLogger(__name__)

MAX_PERMIT_TIMEOUT = 15 * 60.0
MEMO_SIGNATURES = 16  # per plugin and extension point: distinct pod shapes remembered
ANY_EVENT = ClusterEvent("*", 0x7FFFFFFF)

# Upstream's extension point order (frameworkImpl.getExtensionPoints) and Go interface names for messages.
_POINT_ORDER = ("pre_filter", "filter", "post_filter", "reserve", "pre_score", "score", "pre_bind", "bind",
                "post_bind", "permit", "pre_enqueue", "queue_sort")
_GO_NAMES = {
    "pre_enqueue": "PreEnqueuePlugin", "queue_sort": "QueueSortPlugin", "pre_filter": "PreFilterPlugin",
    "filter": "FilterPlugin", "post_filter": "PostFilterPlugin", "pre_score": "PreScorePlugin",
    "score": "ScorePlugin", "reserve": "ReservePlugin", "permit": "PermitPlugin", "pre_bind": "PreBindPlugin",
    "bind": "BindPlugin", "post_bind": "PostBindPlugin",
}
_CONFIG_KEY = {v: k for k, v in EXTENSION_POINTS.items()}
# Only plugins at these points requeue pods (upstream: PreEnqueue, PreFilter, Filter, Reserve, Permit).
_REQUEUE_POINTS = ("pre_enqueue", "pre_filter", "filter", "reserve", "permit")
_DEFAULT_NAMES = frozenset(n for n, _ in DEFAULT_PLUGINS)


class FrameworkError(ValueError):
    """The profile cannot be turned into a framework (unknown plugin, wrong extension point, ...)."""


def _err(msg: str, plugin: str = "") -> Status:
    return Status(Code.ERROR, [msg], plugin)


def _overrides(p: Plugin, method: str) -> bool:
    return getattr(type(p), method, None) is not getattr(Plugin, method)


class WaitingPod:
    """A pod held at Permit until every waiting plugin allows it, one rejects it, or a plugin's timeout passes."""

    def __init__(self, pod_info: PodInfo, timeouts: dict[str, float]) -> None:
        loop = asyncio.get_running_loop()
        self.pod_info = pod_info
        self.pending: set[str] = set(timeouts)
        self._future: asyncio.Future[Status] = loop.create_future()
        self._timers = [loop.call_later(t, self.reject, name, f"rejected due to timeout after waiting {t:g}s at "
                                        f"plugin {name}") for name, t in timeouts.items()]

    def allow(self, plugin: str) -> None:
        """Plugin ``plugin`` lets the pod go; the pod is released once no plugin is pending."""
        self.pending.discard(plugin)
        if not self.pending:
            self._finish(success())

    def reject(self, plugin: str, message: str) -> None:
        """Release the pod as Unschedulable (``message`` becomes the reason)."""
        self._finish(Status(Code.UNSCHEDULABLE, [message], plugin))

    def _finish(self, status: Status) -> None:
        if not self._future.done():
            self._future.set_result(status)
        for t in self._timers:
            t.cancel()

    async def wait(self) -> Status:
        return await self._future


class WaitingPods:
    """All pods waiting at Permit, by uid (shared by every profile of a scheduler)."""

    def __init__(self) -> None:
        self.pods: dict[str, WaitingPod] = {}

    def get(self, uid: str) -> WaitingPod | None:
        return self.pods.get(uid)


class Framework:
    """One profile: its plugins per extension point and the runners.  Also the plugins' Handle.  Single event
    loop; the synchronous runners never await, so a scheduling cycle sees one consistent snapshot."""

    def __init__(self, profile: Profile, registry: Registry, *, client: RESTClient | None = None,
                 recorder: EventRecorder | None = None, informers: SharedInformerFactory | None = None,
                 snapshot: Snapshot | None = None, nominator: Any = None, waiting_pods: WaitingPods | None = None,
                 parallelism: int = 16, percentage_of_nodes_to_score: int | None = None) -> None:
        """Instantiate and arrange the profile's plugins; raises FrameworkError for an unusable profile."""
        self.profile_name = profile.scheduler_name
        self.percentage_of_nodes_to_score = (profile.percentage_of_nodes_to_score
                                             if profile.percentage_of_nodes_to_score is not None
                                             else percentage_of_nodes_to_score)
        self._client = client
        self._recorder = recorder
        self._informers = informers
        self._snapshot = snapshot if snapshot is not None else Snapshot()
        self.nominator = nominator
        self.waiting_pods = waiting_pods if waiting_pods is not None else WaitingPods()
        self._parallelism = parallelism
        self.plugins: dict[str, Plugin] = {}
        self.points: dict[str, list[Plugin]] = {p: [] for p in _POINT_ORDER}
        self.score_weights: dict[str, int] = {}
        self._build(profile, registry)
        self._freeze()

    # -- building ------------------------------------------------------------------------------------------------

    def _build(self, profile: Profile, registry: Registry) -> None:
        needed: list[str] = []
        for ps in profile.plugins.values():
            for ref in ps.enabled:
                if ref.name not in needed:
                    needed.append(ref.name)
        unavailable: set[str] = set()
        for name in needed:
            try:
                cls = registry.load(name)
            except PluginNotFound:
                raise FrameworkError(f'plugin "{name}" does not exist') from None
            except PluginUnavailable as e:
                if name in _DEFAULT_NAMES:
                    log.warning("profile %s: default plugin %s is not available yet (%s); running without it",
                                self.profile_name, name, e)
                    unavailable.add(name)
                    continue
                raise FrameworkError(str(e)) from None
            try:
                plugin = cls(self, profile.plugin_config.get(name) or {})
            except Exception as e:  # noqa: BLE001 - any failure of a plugin constructor is a config problem
                raise FrameworkError(f'initializing plugin "{name}": {e}') from e
            if not plugin.name:
                plugin.name = name
            self.plugins[name] = plugin
        self.unavailable = unavailable
        explicit: dict[str, list[str]] = {}
        for point in _POINT_ORDER:
            ps = profile.plugin_set(_CONFIG_KEY[point])
            names: list[str] = []
            for ref in ps.enabled:
                if ref.name in unavailable:
                    continue
                pl = self.plugins[ref.name]
                if point not in pl.extension_points:
                    raise FrameworkError(f'plugin "{ref.name}" does not extend {_GO_NAMES[point]} plugin')
                if ref.name in names:
                    raise FrameworkError(f'plugin "{ref.name}" already registered as "{_GO_NAMES[point]}"')
                names.append(ref.name)
            explicit[point] = names
        multi = profile.plugin_set("multiPoint")
        for point in _POINT_ORDER:
            enabled = explicit[point]
            disabled = set(profile.plugin_set(_CONFIG_KEY[point]).disabled)
            if "*" in disabled or not multi.enabled:
                self.points[point] = [self.plugins[n] for n in enabled]
                continue
            overrides: list[str] = []
            from_multi: list[str] = []
            for ref in multi.enabled:
                if ref.name in unavailable:
                    continue
                pl = self.plugins[ref.name]
                if point not in pl.extension_points or ref.name in disabled:
                    continue
                if ref.name in enabled:
                    overrides.append(ref.name)
                    continue
                if ref.name in from_multi:
                    raise FrameworkError(f'plugin "{ref.name}" already registered as "{_GO_NAMES[point]}"')
                from_multi.append(ref.name)
            order = [n for n in enabled if n in overrides] + from_multi + [n for n in enabled if n not in overrides]
            self.points[point] = [self.plugins[n] for n in order]
        if len(self.points["queue_sort"]) != 1:
            raise FrameworkError(f"only one queue sort plugin required for profile with scheduler name "
                                 f'"{self.profile_name}", but got {len(self.points["queue_sort"])}')
        if not self.points["bind"]:
            raise FrameworkError(f'at least one bind plugin is needed for profile with scheduler name '
                                 f'"{self.profile_name}"')
        scored = {p.name for p in self.points["score"]}
        for ref in list(profile.plugin_set("score").enabled) + list(multi.enabled):
            if ref.name in scored and ref.name not in self.score_weights:
                self.score_weights[ref.name] = ref.weight or 1

    def _freeze(self) -> None:
        """Precompute what the hot paths need."""
        pts = self.points
        self.queue_sort: Plugin = pts["queue_sort"][0]
        self._pre_enqueue = pts["pre_enqueue"]
        self._pre_filter = pts["pre_filter"]
        self._pre_filter_ext = [p for p in pts["pre_filter"]
                                if _overrides(p, "pre_filter_add_pod") or _overrides(p, "pre_filter_remove_pod")]
        self._filter = [(p.name, p.filter) for p in pts["filter"]]
        self._filter_memo_plugins = [p for p in pts["filter"] if _overrides(p, "signature")]
        self._filter_batch_plugins = [p for p in pts["filter"] if _overrides(p, "filter_batch")]
        self._score_memo_plugins = {p.name for p in pts["score"] if _overrides(p, "signature")}
        # plugin name -> signature -> node name -> (NodeInfo generation, result)
        self._memo: dict[tuple[str, str], OrderedDict[Any, dict[str, tuple[int, Any]]]] = {}
        self._post_filter = pts["post_filter"]
        self._pre_score = pts["pre_score"]
        self._score = [(p, self.score_weights.get(p.name, 1), "normalize_score" in p.extension_points
                        or _overrides(p, "normalize_score")) for p in pts["score"]]
        self._reserve = pts["reserve"]
        self._permit = pts["permit"]
        self._pre_bind = pts["pre_bind"]
        self._bind = pts["bind"]
        self._post_bind = pts["post_bind"]

    # -- Handle --------------------------------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @snapshot.setter
    def snapshot(self, snap: Snapshot) -> None:
        self._snapshot = snap

    @property
    def client(self) -> RESTClient:
        assert self._client is not None, "this framework has no API client"
        return self._client

    @property
    def recorder(self) -> EventRecorder:
        assert self._recorder is not None, "this framework has no event recorder"
        return self._recorder

    @property
    def informers(self) -> SharedInformerFactory | None:
        return self._informers

    def parallelism(self) -> int:
        return self._parallelism

    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]:
        if self.nominator is None:
            return []
        return self.nominator.pods_for_node(node_name)

    def get_waiting_pod(self, uid: str) -> WaitingPod | None:
        return self.waiting_pods.get(uid)

    def reject_waiting_pod(self, uid: str) -> bool:
        wp = self.waiting_pods.get(uid)
        if wp is None:
            return False
        wp.reject("", "removed")
        return True

    def iterate_over_waiting_pods(self, fn: Callable[[WaitingPod], None]) -> None:
        for wp in list(self.waiting_pods.pods.values()):
            fn(wp)

    # -- facts ---------------------------------------------------------------------------------------------------

    @property
    def has_filter_plugins(self) -> bool:
        return bool(self._filter)

    @property
    def has_filter_batch_plugins(self) -> bool:
        return bool(self._filter_batch_plugins)

    @property
    def has_score_plugins(self) -> bool:
        return bool(self._score)

    @property
    def has_post_filter_plugins(self) -> bool:
        return bool(self._post_filter)

    def list_plugins(self) -> dict[str, list[str]]:
        """Extension point -> plugin names in run order (for logs and tests)."""
        return {p: [pl.name for pl in pls] for p, pls in self.points.items() if pls}

    def enqueue_events(self) -> dict[str, list[ClusterEvent] | None]:
        """Plugin name -> the cluster events that may make pods it rejected schedulable (None: any event).  Only
        plugins at PreEnqueue/PreFilter/Filter/Reserve/Permit count, as upstream."""
        out: dict[str, list[ClusterEvent] | None] = {}
        for point in _REQUEUE_POINTS:
            for pl in self.points[point]:
                if pl.name in out:
                    continue
                out[pl.name] = pl.events_to_register() if _overrides(pl, "events_to_register") else None
        return out

    # -- queue ---------------------------------------------------------------------------------------------------

    def run_pre_enqueue_plugins(self, pod_info: PodInfo) -> Status:
        """SUCCESS, or the first rejection (with its plugin name)."""
        for pl in self._pre_enqueue:
            s = pl.pre_enqueue(pod_info)
            if s.code != Code.SUCCESS:
                if not s.plugin:
                    s.plugin = pl.name
                return s
        return success()

    # -- filtering -----------------------------------------------------------------------------------------------

    def run_pre_filter_plugins(self, state: CycleState,
                               pod_info: PodInfo) -> tuple[PreFilterResult | None, Status, set[str]]:
        """Run every PreFilter: (merged result, status, plugins that narrowed the nodes).  Records the plugins
        answering SKIP in ``state.skip_filter_plugins``."""
        skipped: set[str] = set()
        names: set[str] | None = None
        with_nodes: set[str] = set()
        returned = success()
        try:
            for pl in self._pre_filter:
                r, s = pl.pre_filter(state, pod_info)
                code = s.code
                if code == Code.SKIP:
                    skipped.add(pl.name)
                    continue
                if code != Code.SUCCESS:
                    if not s.plugin:
                        s.plugin = pl.name
                    if code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                        return None, s, set()
                    if code == Code.UNSCHEDULABLE:
                        returned = s
                        continue
                    return None, _err(f'running PreFilter plugin "{pl.name}": {s.message()}', pl.name), set()
                if r is not None and r.node_names is not None:
                    with_nodes.add(pl.name)
                    names = set(r.node_names) if names is None else names & r.node_names
                    if not names:
                        listed = sorted(with_nodes)
                        msg = (f"node(s) didn't satisfy plugin {listed[0]}" if len(listed) == 1 else
                               f"node(s) didn't satisfy plugin(s) [{' '.join(listed)}] simultaneously")
                        return PreFilterResult(names), Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, [msg]), with_nodes
            return (PreFilterResult(names) if names is not None else None), returned, with_nodes
        finally:
            state.skip_filter_plugins = skipped

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod_info: PodInfo, to_add: PodInfo,
                                         node_info: NodeInfo) -> Status:
        skip = state.skip_filter_plugins
        for pl in self._pre_filter_ext:
            if pl.name in skip:
                continue
            s = pl.pre_filter_add_pod(state, pod_info, to_add, node_info)
            if s.code != Code.SUCCESS:
                return _err(f'running AddPod on PreFilter plugin "{pl.name}": {s.message()}', pl.name)
        return success()

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod_info: PodInfo, to_remove: PodInfo,
                                            node_info: NodeInfo) -> Status:
        skip = state.skip_filter_plugins
        for pl in self._pre_filter_ext:
            if pl.name in skip:
                continue
            s = pl.pre_filter_remove_pod(state, pod_info, to_remove, node_info)
            if s.code != Code.SUCCESS:
                return _err(f'running RemovePod on PreFilter plugin "{pl.name}": {s.message()}', pl.name)
        return success()

    def _memo_table(self, point: str, plugin: str, sig: Any) -> dict[str, tuple[int, Any]]:
        tables = self._memo.get((point, plugin))
        if tables is None:
            tables = self._memo[(point, plugin)] = OrderedDict()
        table = tables.get(sig)
        if table is None:
            table = tables[sig] = {}
            if len(tables) > MEMO_SIGNATURES:
                tables.popitem(last=False)
        else:
            tables.move_to_end(sig)
        return table

    def filter_funcs(self, state: CycleState, pod_info: PodInfo | None = None) -> list[tuple[str, Callable[..., Status]]]:
        """The (name, Filter) pairs to run for this cycle, skipped plugins left out; Filters of plugins that
        give ``pod_info`` a signature answer from the memo for unchanged nodes."""
        skip = state.skip_filter_plugins
        funcs = self._filter if not skip else [(n, f) for n, f in self._filter if n not in skip]
        if pod_info is None or not self._filter_memo_plugins:
            return funcs
        memoized: dict[str, Callable[..., Status]] = {}
        for pl in self._filter_memo_plugins:
            if pl.name in skip:
                continue
            sig = pl.signature(pod_info)
            if sig is not None:
                memoized[pl.name] = _memoized(pl.filter, self._memo_table("filter", pl.name, sig))
        if not memoized:
            return funcs
        return [(n, memoized.get(n, f)) for n, f in funcs]

    def run_filter_batch(self, state: CycleState, pod_info: PodInfo, arrays: NodeArrays) -> tuple[
            Any, list[tuple[str, Callable[..., Status]]], list[tuple[str, Callable[..., Status]]]]:
        """The bulk Filters over the snapshot's arrays: ``(mask, rest, chain)`` where ``mask`` is the AND of the
        masks the active Filters answered (True: the node passes all of them; None when none answered), ``rest``
        the (name, Filter) pairs of the active Filters that gave no mask and ``chain`` all active ones, both in
        order and memoized as :meth:`filter_funcs` gives them.  A node passes every Filter when its mask bit is
        True and each of ``rest`` passes it; any other node must go through ``chain``."""
        skip = state.skip_filter_plugins
        mask = None
        answered: set[str] = set()
        for pl in self._filter_batch_plugins:
            if pl.name in skip:
                continue
            m = pl.filter_batch(state, pod_info, arrays)
            if m is None:
                continue
            answered.add(pl.name)
            mask = m if mask is None else mask & m
        if mask is None:
            return None, [], []
        chain = self.filter_funcs(state, pod_info)
        return mask, [(n, f) for n, f in chain if n not in answered], chain

    def filter_chain_memo(self, state: CycleState, pod_info: PodInfo) -> dict[str, tuple[int, Status | None]] | None:
        """When every Filter that runs for this pod has a signature, the memo of the whole chain for pods of
        this shape (node name -> (NodeInfo generation, first rejection with its plugin, or None when the node
        passed)); else None.  Callers store only rejections and passes, never ERRORs."""
        skip = state.skip_filter_plugins
        memo_plugins = self._filter_memo_plugins
        if not memo_plugins:
            return None
        sigs = []
        for pl in self.points["filter"]:
            name = pl.name
            if name in skip:
                continue
            if pl not in memo_plugins:
                return None
            sig = pl.signature(pod_info)
            if sig is None:
                return None
            sigs.append((name, sig))
        if not sigs:
            return None
        return self._memo_table("filter-chain", "", tuple(sigs))

    def run_filter_plugins(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        """Every Filter not skipped, in order; the first non-success wins (anything but a rejection becomes an
        ERROR naming the plugin)."""
        for name, fn in self.filter_funcs(state, pod_info):
            s = fn(state, pod_info, node_info)
            if s.code != Code.SUCCESS:
                return _filter_failure(name, s)
        return success()

    def has_nominated_pods(self) -> bool:
        return self.nominator is not None and bool(self.nominator)

    def run_filter_plugins_with_nominated_pods(self, state: CycleState, pod_info: PodInfo,
                                               node_info: NodeInfo) -> Status:
        """Upstream's two passes: with the pods nominated to this node of equal or higher priority added (state
        and NodeInfo cloned), then -- only when that passed and some pod was added -- without them."""
        nominated = self.nominated_pods_for_node(node_info.name) if self.nominator is not None else ()
        if nominated:
            ni_out: NodeInfo | None = None
            state_out: CycleState | None = None
            prio = pod_info.priority
            for npi in nominated:
                if npi.priority >= prio and npi.uid != pod_info.uid:
                    if ni_out is None:
                        ni_out = node_info.clone()
                        state_out = state.clone()
                    ni_out.add_pod(npi)
                    s = self.run_pre_filter_extension_add_pod(state_out, pod_info, npi, ni_out)  # type: ignore[arg-type]
                    if s.code != Code.SUCCESS:
                        return s
            if ni_out is not None:
                s = self.run_filter_plugins(state_out, pod_info, ni_out)  # type: ignore[arg-type]
                if s.code != Code.SUCCESS:
                    return s
        return self.run_filter_plugins(state, pod_info, node_info)

    def run_post_filter_plugins(self, state: CycleState, pod_info: PodInfo,
                                statuses: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """Until the first SUCCESS, ERROR or UnschedulableAndUnresolvable; otherwise the Unschedulable reasons of
        all of them (the last meaningful result is kept)."""
        result: PostFilterResult | None = None
        reasons: list[str] = []
        rejector = ""
        for pl in self._post_filter:
            r, s = pl.post_filter(state, pod_info, statuses)
            code = s.code
            if code == Code.SUCCESS:
                return r, s
            if code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                if not s.plugin:
                    s.plugin = pl.name
                return r, s
            if code != Code.UNSCHEDULABLE:
                return None, _err(s.message(), pl.name)
            if r is not None:
                result = r
            reasons.extend(s.reasons)
            rejector = rejector or pl.name
        return result, Status(Code.UNSCHEDULABLE, reasons, rejector)

    # -- scoring -------------------------------------------------------------------------------------------------

    def run_pre_score_plugins(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        """Every PreScore; SKIP records the plugin in ``state.skip_score_plugins``; anything else but SUCCESS is
        an ERROR."""
        skipped: set[str] = set()
        try:
            for pl in self._pre_score:
                s = pl.pre_score(state, pod_info, nodes)
                if s.code == Code.SKIP:
                    skipped.add(pl.name)
                elif s.code != Code.SUCCESS:
                    return _err(f'running PreScore plugin "{pl.name}": {s.message()}', pl.name)
            return success()
        finally:
            state.skip_score_plugins = skipped

    def run_score_plugins(self, state: CycleState, pod_info: PodInfo,
                          nodes: list[NodeInfo]) -> tuple[list[int], Status]:
        """Weighted total score per node (aligned with ``nodes``).  Scores are normalized where the plugin does
        it and must then lie in [0, 100]; otherwise an ERROR status (totals then meaningless).  Given a
        ``NodeList``, plugins with ``batch_scoring`` compute from the arrays and are not memoized."""
        totals, s = self.score_totals(state, pod_info, nodes)
        return _as_list(totals), s

    def score_totals(self, state: CycleState, pod_info: PodInfo,
                     nodes: list[NodeInfo]) -> tuple[list[int] | np.ndarray, Status]:
        """:meth:`run_score_plugins`, with the totals possibly a numpy array (when plugins computed in bulk)."""
        totals: Any = [0] * len(nodes)
        skip = state.skip_score_plugins
        batch = isinstance(nodes, NodeList)
        memoized: dict[str, list[int]] = {}
        if self._score_memo_plugins:
            sigs = []
            for pl, _, _ in self._score:
                if pl.name in self._score_memo_plugins and pl.name not in skip and not (batch and pl.batch_scoring):
                    sig = pl.signature(pod_info)
                    if sig is not None:
                        sigs.append((pl, sig))
            if sigs:
                memoized = self._memo_scores(sigs, state, pod_info, nodes)
        for pl, weight, normalize in self._score:
            if pl.name in skip:
                continue
            raw: Any = memoized.get(pl.name)
            if raw is None:
                raw = pl.score_nodes(state, pod_info, nodes)
            if normalize:
                if isinstance(raw, np.ndarray):
                    raw = raw.tolist()
                ns = [NodeScore(ni.name, s) for ni, s in zip(nodes, raw)]
                s = pl.normalize_score(state, pod_info, ns)
                if s.code != Code.SUCCESS:
                    return totals, _err(f'running Normalize on Score plugins: plugin "{pl.name}" failed with: '
                                        f"{s.message()}", pl.name)
                raw = [x.score for x in ns]
            if isinstance(raw, np.ndarray):
                bad_range = raw.size and (raw.max() > MAX_NODE_SCORE or raw.min() < MIN_NODE_SCORE)
            else:
                bad_range = raw and (max(raw) > MAX_NODE_SCORE or min(raw) < MIN_NODE_SCORE)
            if bad_range:
                bad = next(v for v in _as_list(raw) if v > MAX_NODE_SCORE or v < MIN_NODE_SCORE)
                return totals, _err(f'applying score defaultWeights on Score plugins: plugin "{pl.name}" returns '
                                    f"an invalid score {bad}, it should in the range of [{MIN_NODE_SCORE}, "
                                    f"{MAX_NODE_SCORE}] after normalizing", pl.name)
            if isinstance(raw, np.ndarray):
                totals = (raw if weight == 1 else raw * weight) + (totals if isinstance(totals, np.ndarray)
                                                                  else np.asarray(totals, dtype=np.int64))
            elif isinstance(totals, np.ndarray):
                totals = totals + np.asarray(raw if weight == 1 else [weight * v for v in raw], dtype=np.int64)
            elif weight == 1:
                totals = [t + v for t, v in zip(totals, raw)]
            else:
                totals = [t + weight * v for t, v in zip(totals, raw)]
        return totals, success()

    def _memo_scores(self, sigs: list[tuple[Plugin, Any]], state: CycleState, pod_info: PodInfo,
                     nodes: list[NodeInfo]) -> dict[str, list[int]]:
        """Raw scores of the memoizable plugins (one memo for all of them: node -> (generation, scores))."""
        table = self._memo_table("score", "", tuple((pl.name, sig) for pl, sig in sigs))
        rows: list[tuple[int, ...] | None] = []
        missing: list[int] = []
        get = table.get
        for i, ni in enumerate(nodes):
            e = get(ni.name)
            if e is not None and e[0] == ni.generation:
                rows.append(e[1])
            else:
                rows.append(None)
                missing.append(i)
        if missing:
            todo = [nodes[i] for i in missing]
            fresh = list(zip(*(pl.score_nodes(state, pod_info, todo) for pl, _ in sigs)))
            for i, row in zip(missing, fresh):
                rows[i] = row
                ni = nodes[i]
                table[ni.name] = (ni.generation, row)
        return {pl.name: [r[k] for r in rows] for k, (pl, _) in enumerate(sigs)}  # type: ignore[index]

    # -- reserve and permit --------------------------------------------------------------------------------------

    def run_reserve_plugins_reserve(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        for pl in self._reserve:
            s = pl.reserve(state, pod_info, node_name)
            if s.code != Code.SUCCESS:
                if s.is_rejected():
                    if not s.plugin:
                        s.plugin = pl.name
                    return s
                return _err(f'running Reserve plugin "{pl.name}": {s.message()}', pl.name)
        return success()

    def run_reserve_plugins_unreserve(self, state: CycleState, pod_info: PodInfo, node_name: str) -> None:
        """Every Reserve plugin's Unreserve, in reverse order (must be idempotent)."""
        for pl in reversed(self._reserve):
            try:
                pl.unreserve(state, pod_info, node_name)
            except Exception:  # noqa: BLE001 - one plugin's bug must not leak the others' reservations
                log.exception("unreserve of %s failed for %s", pl.name, pod_info.key)

    def run_permit_plugins(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        """SUCCESS, a rejection, an ERROR, or WAIT (the pod is then registered in ``waiting_pods``)."""
        timeouts: dict[str, float] = {}
        for pl in self._permit:
            s, timeout = pl.permit(state, pod_info, node_name)
            code = s.code
            if code == Code.SUCCESS:
                continue
            if s.is_rejected():
                if not s.plugin:
                    s.plugin = pl.name
                return s
            if code == Code.WAIT:
                timeouts[pl.name] = min(max(timeout, 0.0), MAX_PERMIT_TIMEOUT)
                continue
            return _err(f'running Permit plugin "{pl.name}": {s.message()}', pl.name)
        if timeouts:
            self.waiting_pods.pods[pod_info.uid] = WaitingPod(pod_info, timeouts)
            return Status(Code.WAIT, [f'one or more plugins asked to wait and no plugin rejected pod '
                                      f'"{pod_info.name}"'])
        return success()

    async def wait_on_permit(self, pod_info: PodInfo) -> Status:
        """Wait until a pod held at Permit is allowed or rejected (SUCCESS at once when it is not waiting)."""
        wp = self.waiting_pods.get(pod_info.uid)
        if wp is None:
            return success()
        try:
            return await wp.wait()
        finally:
            self.waiting_pods.pods.pop(pod_info.uid, None)

    # -- binding -------------------------------------------------------------------------------------------------

    async def run_pre_bind_plugins(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        for pl in self._pre_bind:
            s = await pl.pre_bind(state, pod_info, node_name)
            if s.code == Code.SKIP:
                continue
            if s.code != Code.SUCCESS:
                if s.is_rejected():
                    if not s.plugin:
                        s.plugin = pl.name
                    return s
                return _err(f'running PreBind plugin "{pl.name}": {s.message()}', pl.name)
        return success()

    async def run_bind_plugins(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        """The first Bind plugin not answering SKIP decides."""
        status = Status(Code.SKIP)
        for pl in self._bind:
            status = await pl.bind(state, pod_info, node_name)
            if status.code == Code.SKIP:
                continue
            if status.code != Code.SUCCESS:
                if status.is_rejected():
                    if not status.plugin:
                        status.plugin = pl.name
                    return status
                return _err(f'running Bind plugin "{pl.name}": {status.message()}', pl.name)
            return status
        return status

    async def run_post_bind_plugins(self, state: CycleState, pod_info: PodInfo, node_name: str) -> None:
        for pl in self._post_bind:
            try:
                await pl.post_bind(state, pod_info, node_name)
            except Exception:  # noqa: BLE001 - informational only
                log.exception("post-bind of %s failed for %s", pl.name, pod_info.key)


def _as_list(values: Any) -> list[int]:
    return values.tolist() if isinstance(values, np.ndarray) else values


def _memoized(fn: Callable[..., Status], table: dict[str, tuple[int, Any]]) -> Callable[..., Status]:
    """``fn`` (a Filter) answering from ``table`` for a node whose generation is unchanged."""
    get = table.get

    def run(state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        e = get(node_info.name)
        gen = node_info.generation
        if e is not None and e[0] == gen:
            return e[1]
        s = fn(state, pod_info, node_info)
        table[node_info.name] = (gen, s)
        return s

    return run


def _filter_failure(name: str, s: Status) -> Status:
    if s.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING):
        if not s.plugin:
            s.plugin = name
        return s
    return _err(f'running "{name}" filter plugin: {s.message()}', name)


def filter_failure(name: str, s: Status) -> Status:
    """The status a Filter's non-success answer becomes (plugin name filled; non-rejections are ERRORs)."""
    return _filter_failure(name, s)


