"""Tiny fake plugins and object builders for the scheduler's unit tests (no real plugin is involved)."""

from __future__ import annotations

from kybernetes.scheduler.framework import (ActionType, ClusterEvent, Code, Plugin, PostFilterResult,
                                            PreFilterResult, Status, skip, success, unschedulable)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.queuesort import PrioritySort

# -- builders ----------------------------------------------------------------------------------------------------


def pod(name, *, cpu=0, priority=0, uid=None, nominated=""):
    p = {"metadata": {"name": name, "namespace": "ns", "uid": uid or f"uid-{name}"},
         "spec": {"priority": priority,
                  "containers": [{"name": "c", "resources": {"requests": {"cpu": f"{cpu}m"}} if cpu else {}}]},
         "status": {}}
    if nominated:
        p["status"]["nominatedNodeName"] = nominated
    return PodInfo(p)


def node(name, cpu=1000):
    return NodeInfo({"metadata": {"name": name, "labels": {}}, "status": {"allocatable": {"cpu": f"{cpu}m",
                                                                                         "pods": "110"}}})


class Binder(Plugin):
    name = "Binder"
    extension_points = ("bind",)

    def __init__(self, handle=None, args=None):
        super().__init__(handle, args)
        self.bound = []

    async def bind(self, state, pod_info, node_name):
        self.bound.append((pod_info.name, node_name))
        return success()


class Fit(Plugin):
    """Rejects nodes whose free cpu is below the pod's request."""

    name = "Fit"
    extension_points = ("pre_filter", "filter")

    def pre_filter(self, state, pod_info):
        if pod_info.requests.milli_cpu == 0:
            return None, skip()
        return None, success()

    def filter(self, state, pod_info, node_info):
        free = node_info.allocatable.milli_cpu - node_info.requested.milli_cpu
        return success() if pod_info.requests.milli_cpu <= free else unschedulable("Insufficient cpu")

    def events_to_register(self):
        return [ClusterEvent("Node", ActionType.ADD)]


class Narrow(Plugin):
    """PreFilter narrows to the nodes listed in args["nodes"]."""

    name = "Narrow"
    extension_points = ("pre_filter",)

    def pre_filter(self, state, pod_info):
        return PreFilterResult(set(self.args["nodes"])), success()


class Narrow2(Narrow):
    name = "Narrow2"


class Scorer(Plugin):
    """Score = the number in the node name (n3 -> 3 * factor, modulo ``mod`` when given)."""

    name = "Scorer"
    extension_points = ("pre_score", "score")

    def __init__(self, handle=None, args=None):
        super().__init__(handle, args)
        self.scored = 0

    def pre_score(self, state, pod_info, nodes):
        return skip() if self.args.get("skip") else success()

    def score(self, state, pod_info, node_info):
        self.scored += 1
        v = int(node_info.name[1:]) * self.args.get("factor", 1)
        return v % self.args["mod"] if "mod" in self.args else v


class Scorer2(Scorer):
    name = "Scorer2"


class NormScorer(Scorer):
    name = "NormScorer"
    extension_points = ("score", "normalize_score")

    def normalize_score(self, state, pod_info, scores):
        top = max(s.score for s in scores) or 1
        for s in scores:
            s.score = 100 * s.score // top
        return success()


class Recorder(Plugin):
    """Reserve/Permit that records calls; args decide the answers."""

    name = "Recorder"
    extension_points = ("reserve", "permit", "pre_bind", "post_bind")

    def __init__(self, handle=None, args=None):
        super().__init__(handle, args)
        self.calls = []

    def reserve(self, state, pod_info, node_name):
        self.calls.append("reserve")
        return unschedulable("no room") if self.args.get("reject_reserve") else success()

    def unreserve(self, state, pod_info, node_name):
        self.calls.append("unreserve")

    def permit(self, state, pod_info, node_name):
        self.calls.append("permit")
        if self.args.get("wait"):
            return Status(Code.WAIT), self.args["wait"]
        return success(), 0.0

    async def pre_bind(self, state, pod_info, node_name):
        self.calls.append("pre_bind")
        return success()

    async def post_bind(self, state, pod_info, node_name):
        self.calls.append("post_bind")


class Recorder2(Recorder):
    name = "Recorder2"


class SkipBinder(Binder):
    name = "SkipBinder"

    async def bind(self, state, pod_info, node_name):
        return skip()


class Preempt(Plugin):
    name = "Preempt"
    extension_points = ("post_filter",)

    def post_filter(self, state, pod_info, filtered_statuses):
        self.seen = filtered_statuses
        return PostFilterResult(self.args.get("node", "")), unschedulable("preemption: not helpful")


FAKES = {c.name: c for c in (PrioritySort, Binder, Fit, Narrow, Narrow2, Scorer, Scorer2, NormScorer, Recorder, Recorder2,
                             SkipBinder, Preempt)}


