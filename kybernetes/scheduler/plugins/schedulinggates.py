"""SchedulingGates: a pod with ``spec.schedulingGates`` is not scheduled until every gate is removed.

A PreEnqueue plugin: the queue keeps a gated pod parked (no scheduling attempt, no FailedScheduling event) and
lets it in once an update of the pod leaves the list empty.  The rejection is unresolvable and names the gates,
as upstream's "waiting for scheduling gates: [a b]".
"""

from __future__ import annotations

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Plugin, Status, success, unresolvable
from kybernetes.scheduler.nodeinfo import PodInfo

__all__ = ["NAME", "SchedulingGates"]

NAME = "SchedulingGates"


class SchedulingGates(Plugin):
    name = NAME
    extension_points = ("pre_enqueue",)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", ActionType.UPDATE)]

    def pre_enqueue(self, pod_info: PodInfo) -> Status:
        gates = (pod_info.pod.get("spec") or {}).get("schedulingGates") or []
        if not gates:
            return success()
        return unresolvable(f"waiting for scheduling gates: [{' '.join(g.get('name', '') for g in gates)}]")
