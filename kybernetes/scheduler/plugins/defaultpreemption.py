"""DefaultPreemption: when no node fits a pod, evict lower-priority pods from one node to make room.

It is the PostFilter of the default profile and follows upstream's evaluator step by step:

1. Eligibility: a pod with ``preemptionPolicy: Never`` never preempts; a pod already nominated to a node where a
   lower-priority pod is terminating because of preemption waits for it (unless that node now rejects the pod
   as unresolvable).
2. Candidate nodes: only nodes whose Filter rejection was UNSCHEDULABLE (removing pods might help), never
   UNSCHEDULABLE_AND_UNRESOLVABLE ones.  Starting at a random offset, nodes are dry-run until at least
   ``max(minCandidateNodesPercentage% of them, minCandidateNodesAbsolute)`` candidates (defaults 10 and 100) are
   found including one that violates no PodDisruptionBudget.
3. Victims on a node (on clones of the node and the cycle state): remove every lower-priority pod (the PreFilter
   extensions see each removal); if the pod still does not fit the node is no candidate; otherwise put pods back
   one by one, most important first (higher priority, then earlier start), PDB-violating pods before the others,
   keeping each one that still lets the pod fit.  What could not be put back are the victims.
4. Choice (upstream's pickOneNodeForPreemption): fewest PDB violations, then the lowest highest-victim priority,
   then the smallest sum of victim priorities, then the fewest victims, then the latest start time among the
   highest-priority victims; ties go to the first candidate.
5. Actions, through ``handle.client``, in a background task (the cycle does not wait, as upstream's async
   preemption): set the preemptor's ``status.nominatedNodeName``; for each victim add the ``DisruptionTarget``
   condition (reason ``PreemptionByScheduler``), delete it gracefully and record a ``Preempted`` event (a victim
   waiting at Permit is rejected instead of deleted); clear the nomination of lower-priority pods nominated to the
   same node.  While that task runs, a new PostFilter call for the same preemptor answers UNSCHEDULABLE "waiting
   for the preemption for this pod to be finished" instead of preempting again (upstream gates the pod in
   PreEnqueue; here no event would un-gate it when the task ends, so the pod rather stays in the unschedulable
   queue until the victims' deletions move it).  :meth:`DefaultPreemption.is_pod_running_preemption` tells.

When nothing helps, the status reads e.g. ``preemption: 0/3 nodes are available: 3 No preemption victims found
for incoming pod.`` (nodes that were no candidate count as "Preemption is not helpful for scheduling").

Wiring: PodDisruptionBudgets come from, first found, ``args["pdbLister"]`` (a zero-argument callable returning
PDB dicts, :data:`PDBLister`) or ``handle.informers`` (the SharedInformerFactory: its policy/v1
poddisruptionbudgets informer, created at construction, is listed); without either, no PDB is considered.
Filters run through ``handle.run_filter_plugins_with_nominated_pods`` when the handle has it (upstream's choice:
nominated pods of higher priority count as present), else ``handle.run_filter_plugins``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kybernetes.client.rest import resource_path
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import selector_from_dict
from kybernetes.scheduler.framework import (
    Code, CycleState, Handle, Plugin, PostFilterResult, Status, error, success, unresolvable, unschedulable,
)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo

__all__ = ["NAME", "DefaultPreemption", "new", "Candidate", "PDBLister", "MSG_NO_VICTIMS", "MSG_NOT_HELPFUL",
           "MSG_NOT_ELIGIBLE_NEVER", "MSG_NOT_ELIGIBLE_TERMINATING", "filter_pods_with_pdb_violation",
           "pick_one_node_for_preemption", "fit_error_message", "pod_start_time", "more_important_key",
           "pod_terminating_by_preemption"]

log = logging.getLogger(__name__)

NAME = "DefaultPreemption"

MSG_NO_VICTIMS = "No preemption victims found for incoming pod"
MSG_NOT_HELPFUL = "Preemption is not helpful for scheduling"
MSG_NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
MSG_NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
MSG_WAITING = "waiting for the preemption for this pod to be finished"

DISRUPTION_TARGET = "DisruptionTarget"
REASON_PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"

DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE = 10
DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE = 100

_PRIORITY_OFFSET = 2**31  # makes every int32 priority non-negative when summing

PDBLister = Callable[[], Iterable[Mapping[str, Any]]]
"""Returns the cluster's PodDisruptionBudget objects."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A node where evicting ``victims`` (most important first) lets the preemptor fit."""

    node_name: str
    victims: tuple[PodInfo, ...]
    num_pdb_violations: int = 0


# ---------------------------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------------------------

def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def pod_start_time(pod: Mapping[str, Any], now: float) -> float:
    """``status.startTime`` in seconds, or ``now`` for a pod not started yet."""
    t = _parse_time((pod.get("status") or {}).get("startTime"))
    return now if t is None else t


def more_important_key(pi: PodInfo, now: float) -> tuple[int, float]:
    """Sort key putting the more important pod first: higher priority, then earlier start."""
    return (-pi.priority, pod_start_time(pi.pod, now))


def pod_terminating_by_preemption(pod: Mapping[str, Any]) -> bool:
    """Whether ``pod`` is being deleted and carries the scheduler's DisruptionTarget condition."""
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == DISRUPTION_TARGET:
            return c.get("status") == "True" and c.get("reason") == REASON_PREEMPTION_BY_SCHEDULER
    return False


def filter_pods_with_pdb_violation(pods: Sequence[PodInfo], pdbs: Sequence[Mapping[str, Any]]
                                   ) -> tuple[list[PodInfo], list[PodInfo]]:
    """Split ``pods`` (order kept) into those whose eviction would exceed a matching PDB's
    ``status.disruptionsAllowed`` (counting the pods before them) and the others.  Pods already listed in a
    PDB's ``status.disruptedPods`` do not count against it; a PDB with an empty selector matches nothing."""
    allowed = [int((p.get("status") or {}).get("disruptionsAllowed") or 0) for p in pdbs]
    selectors = []
    for p in pdbs:
        try:
            selectors.append(selector_from_dict((p.get("spec") or {}).get("selector")))
        except ValueError:
            selectors.append(None)
    violating: list[PodInfo] = []
    non_violating: list[PodInfo] = []
    for pi in pods:
        violated = False
        if pi.labels:
            for i, pdb in enumerate(pdbs):
                sel = selectors[i]
                if (pdb.get("metadata") or {}).get("namespace") != pi.namespace or sel is None:
                    continue
                if sel.empty or sel.matches_nothing or not sel.matches(pi.labels):
                    continue
                if pi.name in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                    continue  # already being disrupted: the API server counted it
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else non_violating).append(pi)
    return violating, non_violating


def _earliest_start_of_highest_priority(victims: Sequence[PodInfo], now: float) -> float:
    top = max(v.priority for v in victims)
    return min(pod_start_time(v.pod, now) for v in victims if v.priority == top)


def pick_one_node_for_preemption(candidates: Sequence[Candidate], now: float) -> Candidate | None:
    """Upstream's tie-breaking chain over the candidates; the first of the remaining ones wins a full tie."""
    if not candidates:
        return None
    score_funcs: list[Callable[[Candidate], float]] = [
        lambda c: -c.num_pdb_violations,
        lambda c: -c.victims[0].priority,
        lambda c: -sum(v.priority + _PRIORITY_OFFSET for v in c.victims),
        lambda c: -len(c.victims),
        lambda c: _earliest_start_of_highest_priority(c.victims, now),
    ]
    remaining = list(candidates)
    for f in score_funcs:
        scored = [(f(c), c) for c in remaining]
        best = max(s for s, _ in scored)
        remaining = [c for s, c in scored if s == best]
        if len(remaining) == 1:
            break
    return remaining[0]


def fit_error_message(num_all_nodes: int, statuses: Mapping[str, Status], absent_reason: str) -> str:
    """Upstream's FitError text: ``0/N nodes are available: <count> <reason>, ....`` with the counts sorted as
    strings; nodes without a status count under ``absent_reason``."""
    reasons: Counter[str] = Counter()
    for st in statuses.values():
        for r in st.reasons:
            reasons[r] += 1
    absent = num_all_nodes - len(statuses)
    if absent > 0:
        reasons[absent_reason] += absent
    msg = f"0/{num_all_nodes} nodes are available:"
    histogram = sorted(f"{n} {r}" for r, n in reasons.items())
    if histogram:
        msg += f" {', '.join(histogram)}."
    return msg


def _aggregate(errors: Sequence[str]) -> str:
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------------------
# The plugin
# ---------------------------------------------------------------------------------------------------------------

class DefaultPreemption(Plugin):
    """PostFilter preempting lower-priority pods (args: ``minCandidateNodesPercentage``,
    ``minCandidateNodesAbsolute``, ``pdbLister``).  ``rand`` and ``clock`` may be replaced by tests."""

    name = NAME
    extension_points = ("post_filter",)

    def __init__(self, handle: Handle | None = None, args: dict[str, Any] | None = None) -> None:
        super().__init__(handle, args)
        pct = self.args.get("minCandidateNodesPercentage")
        absolute = self.args.get("minCandidateNodesAbsolute")
        self.min_candidate_nodes_percentage = DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE if pct is None else int(pct)
        self.min_candidate_nodes_absolute = DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE if absolute is None else int(absolute)
        if not 0 <= self.min_candidate_nodes_percentage <= 100:
            raise ValueError(f"minCandidateNodesPercentage: Invalid value: {self.min_candidate_nodes_percentage}: "
                             "not in valid range [0, 100]")
        if self.min_candidate_nodes_absolute < 0:
            raise ValueError(f"minCandidateNodesAbsolute: Invalid value: {self.min_candidate_nodes_absolute}: "
                             "not in valid range [0, inf)")
        if self.min_candidate_nodes_percentage == 0 and self.min_candidate_nodes_absolute == 0:
            raise ValueError("minCandidateNodesPercentage: Invalid value: 0: both minCandidateNodesPercentage and "
                             "minCandidateNodesAbsolute cannot be zero")
        lister = self.args.get("pdbLister")
        if lister is None:
            factory = getattr(handle, "informers", None)
            if factory is not None:
                lister = factory.informer("policy", "v1", "poddisruptionbudgets").list
        self.pdb_lister: PDBLister | None = lister
        self.rand = random.Random()
        self.clock: Callable[[], float] = time.time
        self._tasks: set[asyncio.Task[None]] = set()
        self._preempting: dict[str, int] = {}  # preemptor uid -> preparations in flight

    # -- entry point -----------------------------------------------------------------------------------------------

    def post_filter(self, state: CycleState, pod_info: PodInfo,
                    filtered_statuses: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """Find and start one preemption for ``pod_info``; SUCCESS with the nominated node, or UNSCHEDULABLE with
        a ``preemption: ...`` message (a PostFilterResult with an empty node means: clear the nomination)."""
        result, status = self.preempt(state, pod_info, filtered_statuses)
        msg = status.message()
        if msg:
            status = Status(status.code, ["preemption: " + msg], status.plugin)
        return result, status

    def preempt(self, state: CycleState, pod_info: PodInfo,
                filtered_statuses: Mapping[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """The evaluator (steps 1-5 of the module docstring) without the message prefix."""
        handle = self._handle()
        if self.is_pod_running_preemption(pod_info.uid or pod_info.key):
            return None, unschedulable(MSG_WAITING)
        nominated = ((pod_info.pod.get("status") or {}).get("nominatedNodeName")) or ""
        ok, msg = self.pod_eligible_to_preempt_others(pod_info, filtered_statuses.get(nominated) if nominated else None)
        if not ok:
            return None, unschedulable(msg)
        all_nodes = handle.snapshot.node_info_list
        if not all_nodes:
            return None, error("no nodes available")
        candidates, statuses, errors = self.find_candidates(state, pod_info, filtered_statuses)
        if errors and not candidates:
            return None, error(_aggregate(errors))
        if not candidates:
            return PostFilterResult(""), unschedulable(fit_error_message(len(all_nodes), statuses, MSG_NOT_HELPFUL))
        best = self.select_candidate(candidates)
        if best is None or not best.node_name:
            return None, unschedulable("no candidate node for preemption")
        lower = [p for p in handle.nominated_pods_for_node(best.node_name) if p.priority < pod_info.priority]
        self._start_preparation(best, pod_info, lower)
        return PostFilterResult(best.node_name), success()

    def _handle(self) -> Handle:
        if self.handle is None:
            raise RuntimeError(f"{NAME} needs a framework handle")
        return self.handle

    # -- eligibility -----------------------------------------------------------------------------------------------

    def pod_eligible_to_preempt_others(self, pod_info: PodInfo, nominated_status: Status | None) -> tuple[bool, str]:
        """(eligible, reason when not).  ``nominated_status``: the Filter status of the pod's nominated node
        (None: the node was not evaluated, which counts as unresolvable)."""
        pod = pod_info.pod
        if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return False, MSG_NOT_ELIGIBLE_NEVER
        nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
        if nominated:
            if nominated_status is None or nominated_status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return True, ""
            ni = self._handle().snapshot.get(nominated)
            if ni is not None:
                for p in ni.pods:
                    if p.priority < pod_info.priority and pod_terminating_by_preemption(p.pod):
                        return False, MSG_NOT_ELIGIBLE_TERMINATING
        return True, ""

    # -- candidates ------------------------------------------------------------------------------------------------

    def calculate_num_candidates(self, num_nodes: int) -> int:
        n = num_nodes * self.min_candidate_nodes_percentage // 100
        n = max(n, self.min_candidate_nodes_absolute)
        return min(n, num_nodes)

    def get_offset_and_num_candidates(self, num_nodes: int) -> tuple[int, int]:
        """A random start offset and how many candidates to look for."""
        return self.rand.randrange(num_nodes), self.calculate_num_candidates(num_nodes)

    def _pdbs(self) -> list[Mapping[str, Any]]:
        return list(self.pdb_lister()) if self.pdb_lister is not None else []

    def find_candidates(self, state: CycleState, pod_info: PodInfo, filtered_statuses: Mapping[str, Status]
                        ) -> tuple[list[Candidate], dict[str, Status], list[str]]:
        """(candidates: PDB-respecting ones first, statuses of the nodes tried in vain, error messages)."""
        snapshot = self._handle().snapshot
        potential = [ni for ni in snapshot.node_info_list
                     if (st := filtered_statuses.get(ni.name)) is not None and st.code == Code.UNSCHEDULABLE]
        if not potential:
            return [], {}, []
        offset, num = self.get_offset_and_num_candidates(len(potential))
        return self.dry_run_preemption(state, pod_info, potential, self._pdbs(), offset, num)

    def dry_run_preemption(self, state: CycleState, pod_info: PodInfo, nodes: Sequence[NodeInfo],
                           pdbs: Sequence[Mapping[str, Any]], offset: int, num_candidates: int
                           ) -> tuple[list[Candidate], dict[str, Status], list[str]]:
        """Try the nodes from ``offset`` (wrapping) on clones until ``num_candidates`` candidates including a
        PDB-respecting one are found.  Never mutates ``state`` or the snapshot."""
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        statuses: dict[str, Status] = {}
        errors: list[str] = []
        n = len(nodes)
        for i in range(n):
            node = nodes[(offset + i) % n].clone()
            victims, num_violations, st = self.select_victims_on_node(state.clone(), pod_info, node, pdbs)
            if st.is_success() and victims:
                c = Candidate(node.name, tuple(victims), num_violations)
                (violating if num_violations else non_violating).append(c)
                if non_violating and len(non_violating) + len(violating) >= num_candidates:
                    break
                continue
            if st.is_success():
                st = error(f'expected at least one victim pod on node "{node.name}"')
            if st.code == Code.ERROR:
                errors.append(st.message())
            statuses[node.name] = st
        return non_violating + violating, statuses, errors

    def _run_filters(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        handle = self._handle()
        run = getattr(handle, "run_filter_plugins_with_nominated_pods", None) or handle.run_filter_plugins
        return run(state, pod_info, node_info)

    def select_victims_on_node(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo,
                               pdbs: Sequence[Mapping[str, Any]]) -> tuple[list[PodInfo], int, Status]:
        """(victims most important first, how many of them violate a PDB, status).  Mutates ``state`` and
        ``node_info``: pass clones."""
        handle = self._handle()

        def remove(p: PodInfo) -> Status:
            node_info.remove_pod(p.key)
            return handle.run_pre_filter_extension_remove_pod(state, pod_info, p, node_info)

        def add(p: PodInfo) -> Status:
            node_info.add_pod(p)
            return handle.run_pre_filter_extension_add_pod(state, pod_info, p, node_info)

        potential = [p for p in node_info.pods if p.priority < pod_info.priority]
        for p in potential:
            st = remove(p)
            if not st.is_success():
                return [], 0, error(st.message())
        if not potential:
            return [], 0, unresolvable(MSG_NO_VICTIMS)
        st = self._run_filters(state, pod_info, node_info)
        if not st.is_success():
            return [], 0, st
        now = self.clock()
        potential.sort(key=lambda p: more_important_key(p, now))
        violating, non_violating = filter_pods_with_pdb_violation(potential, pdbs)
        victims: list[PodInfo] = []
        num_violations = 0
        for group, is_violating in ((violating, True), (non_violating, False)):
            for p in group:
                st = add(p)
                if not st.is_success():
                    return [], 0, error(st.message())
                if self._run_filters(state, pod_info, node_info).is_success():
                    continue  # reprieved
                st = remove(p)
                if not st.is_success():
                    return [], 0, error(st.message())
                victims.append(p)
                if is_violating:
                    num_violations += 1
        if violating and non_violating:
            victims.sort(key=lambda p: more_important_key(p, now))
        return victims, num_violations, success()

    def select_candidate(self, candidates: Sequence[Candidate]) -> Candidate | None:
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        return pick_one_node_for_preemption(candidates, self.clock())

    # -- actions ---------------------------------------------------------------------------------------------------

    def is_pod_running_preemption(self, uid: str) -> bool:
        """Whether the API actions of a preemption by pod ``uid`` are still in flight."""
        return uid in self._preempting

    async def wait_for_preemptions(self) -> None:
        """Wait until every preemption started so far has finished its API calls."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _start_preparation(self, candidate: Candidate, pod_info: PodInfo, lower_nominated: list[PodInfo]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.error("preemption of %s on %s chosen outside an event loop; its API calls were not made",
                      pod_info.key, candidate.node_name)
            return
        uid = pod_info.uid or pod_info.key
        self._preempting[uid] = self._preempting.get(uid, 0) + 1
        task = loop.create_task(self.prepare_candidate(candidate, pod_info, lower_nominated),
                                name=f"preempt for {pod_info.key}")
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            left = self._preempting.get(uid, 1) - 1
            if left > 0:
                self._preempting[uid] = left
            else:
                self._preempting.pop(uid, None)
            if not t.cancelled() and t.exception() is not None:
                log.error("preemption for %s failed", pod_info.key, exc_info=t.exception())

        task.add_done_callback(done)

    async def prepare_candidate(self, candidate: Candidate, pod_info: PodInfo,
                                lower_nominated: Sequence[PodInfo] = ()) -> None:
        """Nominate the preemptor, preempt the victims concurrently, clear lower-priority nominations.  API
        errors are logged (NotFound means the work is already done); the next scheduling attempt retries."""
        client = self._handle().client
        node = candidate.node_name
        status = pod_info.pod.get("status") or {}
        if status.get("nominatedNodeName") != node:
            path = resource_path("", "v1", "pods", pod_info.namespace, pod_info.name, "status")
            try:
                await client.patch(path, {"status": {"nominatedNodeName": node}}, "merge")
            except StatusError as e:
                if e.code == 404:
                    return  # the preemptor is gone: preempt nothing
                log.warning("could not nominate %s to %s: %s", pod_info.key, node, e)
        results = await asyncio.gather(*(self._preempt_victim(pod_info, v, node) for v in candidate.victims),
                                       return_exceptions=True)
        for victim, r in zip(candidate.victims, results):
            if isinstance(r, Exception):
                log.warning("could not preempt %s for %s: %r", victim.key, pod_info.key, r)
        for p in lower_nominated:
            if not (p.pod.get("status") or {}).get("nominatedNodeName"):
                continue
            path = resource_path("", "v1", "pods", p.namespace, p.name, "status")
            try:
                await client.patch(path, {"status": {"nominatedNodeName": None}}, "merge")
            except StatusError as e:
                if e.code != 404:
                    log.warning("could not clear the nominated node of %s: %s", p.key, e)

    async def _preempt_victim(self, preemptor: PodInfo, victim: PodInfo, node: str) -> None:
        handle = self._handle()
        message = f"Preempted by pod {preemptor.uid} on node {node}"
        get_waiting = getattr(handle, "get_waiting_pod", None)
        waiting = get_waiting(victim.uid) if get_waiting is not None and victim.uid else None
        if waiting is not None:  # assumed but not bound yet: rejecting it at Permit frees the node
            waiting.reject(NAME, "preempted")
            self._event(victim, message)
            return
        client = handle.client
        scheduler = (preemptor.pod.get("spec") or {}).get("schedulerName") or "default-scheduler"
        condition = {"type": DISRUPTION_TARGET, "status": "True", "reason": REASON_PREEMPTION_BY_SCHEDULER,
                     "message": f"{scheduler}: preempting to accommodate a higher priority pod"}
        existing = next((c for c in (victim.pod.get("status") or {}).get("conditions") or ()
                         if c.get("type") == DISRUPTION_TARGET), None)
        if existing is None or any(existing.get(k) != v for k, v in condition.items()):
            condition["lastTransitionTime"] = _rfc3339(self.clock())
            path = resource_path("", "v1", "pods", victim.namespace, victim.name, "status")
            try:
                await client.patch(path, {"status": {"conditions": [condition]}}, "strategic")
            except StatusError as e:
                if e.code == 404:
                    return
                raise
        try:
            await client.delete(resource_path("", "v1", "pods", victim.namespace, victim.name))
        except StatusError as e:
            if e.code == 404:
                return
            raise
        self._event(victim, message)

    def _event(self, victim: PodInfo, message: str) -> None:
        try:
            recorder = self._handle().recorder
        except (AttributeError, AssertionError):  # a handle without an event recorder
            return
        if recorder is not None:
            obj = victim.pod if victim.pod.get("kind") else {"kind": "Pod", "apiVersion": "v1", **victim.pod}
            recorder.event(obj, "Normal", "Preempted", message)


def new(handle: Handle | None = None, args: dict[str, Any] | None = None) -> DefaultPreemption:
    """The plugin factory."""
    return DefaultPreemption(handle, args)
