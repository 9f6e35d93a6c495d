"""The scheduling framework's vocabulary: statuses, cycle state, cluster events and the plugin interface.

Upstream's scheduler is a pipeline of extension points; a plugin implements some of them.  Here a plugin is a
subclass of :class:`Plugin` that overrides the methods it needs and lists them in ``extension_points`` (so the
framework calls only what a plugin really implements).  All methods are synchronous except ``permit``-waiting,
``pre_bind`` and ``bind``, which may touch the API and are coroutines.

Extension point names (as listed in ``extension_points``): ``pre_enqueue``, ``queue_sort``, ``pre_filter``,
``filter``, ``post_filter``, ``pre_score``, ``score``, ``normalize_score``, ``reserve`` (with ``unreserve``),
``permit``, ``pre_bind``, ``bind``, ``post_bind``.  ``pre_filter_add_pod``/``pre_filter_remove_pod`` are called
for every PreFilter plugin that overrides them.  A plugin that does not override ``events_to_register`` is
requeued on any cluster event (as upstream treats plugins without EnqueueExtensions).

Statuses follow upstream's codes: ``SUCCESS``; ``ERROR`` (an internal failure, the pod is retried);
``UNSCHEDULABLE`` (the pod does not fit now but preemption might help); ``UNSCHEDULABLE_AND_UNRESOLVABLE`` (no
preemption can help on this node); ``WAIT`` (Permit); ``SKIP`` (a PreFilter/PreScore saying "nothing for me to do
for this pod", so its Filter/Score are not called); ``PENDING``.  ``reasons`` are the short texts that end up in
FailedScheduling messages ("Insufficient cpu", "node(s) didn't match Pod's node affinity/selector").

Hot plugins may also answer in bulk (see ``scheduler/nodearrays.py``): ``filter_batch`` gives a mask over the
snapshot's node arrays of the nodes its Filter certainly passes, and ``score_nodes`` given a ``NodeList`` may
score from the arrays (``batch_scoring``); ``signature`` lets results be reused for identical pods.  All must
give exactly what the per-node methods give.

A :class:`Handle` is what plugins get from the framework: the current snapshot, the API client, an event
recorder, the other plugins' filters (``run_filter_plugins``, used by preemption) and the nominator (pods
nominated to nodes by preemption).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Protocol

from kybernetes.scheduler.nodearrays import NodeArrays
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot

if TYPE_CHECKING:
    from kybernetes.client.events import EventRecorder
    from kybernetes.client.informer import SharedInformerFactory
    from kybernetes.client.rest import RESTClient

__all__ = ["Code", "Status", "CycleState", "PreFilterResult", "PostFilterResult", "ClusterEvent", "ActionType",
           "Plugin", "Handle", "MAX_NODE_SCORE", "MIN_NODE_SCORE", "NodeScore", "success", "unschedulable",
           "unresolvable", "error", "skip"]

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0


class Code(IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5
    PENDING = 6


@dataclass(slots=True)
class Status:
    """The result of one plugin call.  ``plugin`` is filled by the framework when missing."""

    code: Code = Code.SUCCESS
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    def is_success(self) -> bool:
        return self.code == Code.SUCCESS

    def is_skip(self) -> bool:
        return self.code == Code.SKIP

    def is_rejected(self) -> bool:
        """Unschedulable, unresolvable or pending: the pod cannot go to this node."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING)

    def message(self) -> str:
        return ", ".join(self.reasons)


_SUCCESS = Status()


def success() -> Status:
    """The shared SUCCESS status (never mutate it)."""
    return _SUCCESS


def unschedulable(*reasons: str) -> Status:
    return Status(Code.UNSCHEDULABLE, list(reasons))


def unresolvable(*reasons: str) -> Status:
    return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, list(reasons))


def error(reason: str) -> Status:
    return Status(Code.ERROR, [reason])


def skip() -> Status:
    return Status(Code.SKIP)


class CycleState:
    """Per-pod scratch space shared by the plugins during one scheduling cycle (key -> value).

    ``clone()`` is shallow; a value that a plugin mutates in ``add_pod``/``remove_pod`` must implement ``clone()``
    itself (preemption clones the state once per candidate node).
    """

    __slots__ = ("_data", "skip_filter_plugins", "skip_score_plugins")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()

    def read(self, key: str) -> Any:
        """The value stored under ``key``; KeyError when absent."""
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def write(self, key: str, val: Any) -> None:
        self._data[key] = val

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def clone(self) -> CycleState:
        c = CycleState()
        c._data = {k: (v.clone() if hasattr(v, "clone") else v) for k, v in self._data.items()}
        c.skip_filter_plugins = set(self.skip_filter_plugins)
        c.skip_score_plugins = set(self.skip_score_plugins)
        return c


@dataclass(slots=True)
class PreFilterResult:
    """A PreFilter may narrow the candidate nodes (``node_names``; None means all nodes)."""

    node_names: set[str] | None = None


@dataclass(slots=True)
class PostFilterResult:
    """A PostFilter (preemption) may nominate a node for the pod."""

    nominated_node_name: str = ""


@dataclass(slots=True)
class NodeScore:
    name: str
    score: int


class ActionType(IntEnum):
    ADD = 1
    DELETE = 2
    UPDATE_NODE_ALLOCATABLE = 4
    UPDATE_NODE_LABEL = 8
    UPDATE_NODE_TAINT = 16
    UPDATE_NODE_CONDITION = 32
    UPDATE_POD_LABEL = 64
    UPDATE_POD_REQUEST = 128  # a pod's resources scaled down
    UPDATE = 4 | 8 | 16 | 32 | 64 | 128 | 256
    ALL = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """A change in the cluster that may make unschedulable pods schedulable: resource ``Node``/``Pod``/... and
    an action mask (``ActionType``).  Plugins list the events that could turn their rejections into success."""

    resource: str
    action: int


class Handle(Protocol):
    """What the framework offers its plugins."""

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def client(self) -> RESTClient: ...

    @property
    def recorder(self) -> EventRecorder: ...

    def run_filter_plugins(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        """Every enabled Filter on one node (first rejection wins)."""
        ...

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod_info: PodInfo, to_add: PodInfo,
                                         node_info: NodeInfo) -> Status: ...

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod_info: PodInfo, to_remove: PodInfo,
                                            node_info: NodeInfo) -> Status: ...

    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]:
        """Pods nominated (by preemption) to run on ``node_name``, not yet bound."""
        ...

    def parallelism(self) -> int: ...

    # -- added with the framework runner (scheduler/profile.py) --------------------------------------------------

    @property
    def informers(self) -> SharedInformerFactory | None:
        """The scheduler's shared informer factory (listers for PDBs, namespaces...); None in unit tests."""
        ...

    def get_waiting_pod(self, uid: str) -> Any:
        """The pod waiting at Permit with this uid (``.allow(plugin)``, ``.reject(plugin, msg)``), or None."""
        ...

    def reject_waiting_pod(self, uid: str) -> bool:
        """Reject the pod waiting at Permit with this uid (preemption of an assumed victim); False if none."""
        ...


class Plugin:
    """Base of every scheduler plugin.  Subclasses set ``name`` and override the extension points they implement,
    listing them in ``extension_points`` (e.g. ``("pre_filter", "filter", "score")``).

    ``__init__(handle, args)`` receives the framework handle and the plugin's ``pluginConfig`` args (a dict, may
    be empty).  The default implementations below are never called for points not listed.
    """

    name: str = ""
    extension_points: tuple[str, ...] = ()

    def __init__(self, handle: Handle | None = None, args: dict[str, Any] | None = None) -> None:
        self.handle = handle
        self.args = args or {}

    # -- memoization (optional)
    def signature(self, pod_info: PodInfo) -> Hashable | None:
        """Opt-in memoization of Filter and raw Score results across pods.  Return a hashable key capturing
        everything of the pod that this plugin's ``filter``/``score`` (and the PreFilter/PreScore state they read)
        depend on, when their results are a function of that key and the NodeInfo alone -- not of other nodes,
        other pods' cycle state or time.  The framework then reuses a result for a node whose NodeInfo did not
        change (same generation) when an equal key comes again (identical replicas).  None (the default): never
        memoized.  Must be cheap (cache it in ``pod_info.cache``)."""
        return None

    # -- bulk computation over the snapshot's arrays (optional; see scheduler/nodearrays.py)
    batch_scoring: bool = False
    """True when ``score_nodes`` computes from the snapshot's arrays if given a ``NodeList``: the framework then
    calls it for every node instead of memoizing this plugin's scores per node (the arrays are cheaper)."""

    def filter_batch(self, state: CycleState, pod_info: PodInfo, arrays: NodeArrays) -> Any:
        """Opt-in bulk Filter, called after PreFilter (only when this Filter is not skipped): a boolean numpy mask
        over the rows of ``arrays`` (the snapshot's nodes) that is True only where ``filter`` would certainly
        answer SUCCESS; False means "call ``filter`` for this node" (it may still pass).  None (the default): no
        bulk answer for this pod, ``filter`` runs per node."""
        return None

    # -- queue
    def events_to_register(self) -> list[ClusterEvent]:
        """Cluster events that may make a pod this plugin rejected schedulable again."""
        return []

    def pre_enqueue(self, pod_info: PodInfo) -> Status:
        """PreEnqueue: SUCCESS lets the pod into the active queue; a rejection keeps it parked (gated) until an
        update of the pod makes every PreEnqueue plugin agree."""
        return success()

    def less(self, a: Any, b: Any) -> bool:
        """QueueSort: True when ``a`` should be scheduled before ``b``.  Both are the queue's ``QueuedPodInfo``
        (``.pod_info``, ``.priority``, ``.timestamp`` = when it last entered the queue).  A QueueSort plugin may
        also offer ``sort_key(queued) -> tuple`` giving the same order; the queue then sorts by key (faster)."""
        raise NotImplementedError

    # -- filtering
    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Compute per-pod state; return SKIP to have this plugin's Filter skipped for the pod."""
        return None, success()

    def pre_filter_add_pod(self, state: CycleState, pod_info: PodInfo, to_add: PodInfo, node_info: NodeInfo) -> Status:
        """PreFilterExtensions.AddPod: update the pre-filter state as if ``to_add`` ran on ``node_info``."""
        return success()

    def pre_filter_remove_pod(self, state: CycleState, pod_info: PodInfo, to_remove: PodInfo,
                              node_info: NodeInfo) -> Status:
        """PreFilterExtensions.RemovePod: update the pre-filter state as if ``to_remove`` left ``node_info``."""
        return success()

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        return success()

    def post_filter(self, state: CycleState, pod_info: PodInfo,
                    filtered_statuses: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """Called when no node fits (``filtered_statuses``: node name -> rejection)."""
        return None, unschedulable()

    # -- scoring
    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        return success()

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        """A raw score for one node (normalized later when the plugin implements ``normalize_score``)."""
        return 0

    def score_nodes(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        """Raw scores for all ``nodes`` at once (aligned with them; a list, or a 1-D integer numpy array).  The
        framework always calls this; the default calls ``score`` per node.  A plugin on the hot path may override
        it to read its cycle state once and loop tightly, or, when ``nodes`` is a ``NodeList``, compute from the
        snapshot's arrays -- it must return exactly what ``score`` would."""
        score = self.score
        return [score(state, pod_info, ni) for ni in nodes]

    def normalize_score(self, state: CycleState, pod_info: PodInfo, scores: list[NodeScore]) -> Status:
        """Rescale ``scores`` in place to [MIN_NODE_SCORE, MAX_NODE_SCORE]."""
        return success()

    # -- after a node is chosen
    def reserve(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        return success()

    def unreserve(self, state: CycleState, pod_info: PodInfo, node_name: str) -> None:
        return None

    def permit(self, state: CycleState, pod_info: PodInfo, node_name: str) -> tuple[Status, float]:
        """SUCCESS, a rejection, or WAIT with a timeout in seconds."""
        return success(), 0.0

    async def pre_bind(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        return success()

    async def bind(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        """Bind the pod, or return SKIP to let the next Bind plugin do it."""
        return skip()

    async def post_bind(self, state: CycleState, pod_info: PodInfo, node_name: str) -> None:
        return None
