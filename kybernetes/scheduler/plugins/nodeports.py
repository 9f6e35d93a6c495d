"""NodePorts: a pod asking for host ports only fits a node where none of them is taken.

The ports a pod wants are the ``hostPort``s (> 0) of its containers and of its restartable ("sidecar") init
containers, which run for the pod's whole life; each is ``(hostIP, protocol, port)`` with ``hostIP`` defaulting to
``0.0.0.0`` and ``protocol`` to ``TCP``.  A wanted port conflicts with the ports in use on the node when:

- it binds the wildcard ``0.0.0.0``: any use of the same protocol and port, on any address;
- it binds one address: a use of the same protocol and port on that address or on ``0.0.0.0``.

Rejections are ``UNSCHEDULABLE`` (preempting the pod holding the port frees it).  PreFilter answers SKIP for a pod
without host ports, so Filter costs nothing for the usual pod.
"""

from __future__ import annotations

from collections.abc import Hashable
from itertools import chain
from typing import Any

from kybernetes.scheduler.framework import (ActionType, ClusterEvent, CycleState, Plugin, PreFilterResult, Status,
                                            skip, success, unschedulable)
from kybernetes.scheduler.nodearrays import FLAG_PORTS, NodeArrays
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.helper import missing_state

__all__ = ["NAME", "NodePorts", "ERR_REASON", "wanted_host_ports", "fits_ports"]

NAME = "NodePorts"
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
WILDCARD = "0.0.0.0"
_OK = success()  # the shared SUCCESS status, returned without a call on the per-node path

HostPort = tuple[str, str, int]


def wanted_host_ports(pod: dict[str, Any]) -> tuple[HostPort, ...]:
    """The ``(hostIP, protocol, hostPort)`` triples the pod binds on its node (containers + sidecars)."""
    spec = pod.get("spec") or {}
    sidecars = (c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always")
    out: list[HostPort] = []
    for c in chain(sidecars, spec.get("containers") or ()):
        for p in c.get("ports") or ():
            hp = p.get("hostPort")
            if hp and int(hp) > 0:
                out.append((p.get("hostIP") or WILDCARD, p.get("protocol") or "TCP", int(hp)))
    return tuple(out)


def fits_ports(wanted: tuple[HostPort, ...], used: set[HostPort]) -> bool:
    """True when none of ``wanted`` conflicts with ``used`` (the node's ports in use)."""
    if not used:
        return True
    for ip, proto, port in wanted:
        if ip == WILDCARD:
            for _, uproto, uport in used:
                if uport == port and uproto == proto:
                    return False
        elif (ip, proto, port) in used or (WILDCARD, proto, port) in used:
            return False
    return True


class NodePorts(Plugin):
    """PreFilter (collect the pod's host ports, SKIP when none) and Filter (no conflict on the node)."""

    name = NAME
    extension_points = ("pre_filter", "filter")

    def events_to_register(self) -> list[ClusterEvent]:
        # a deleted pod frees its ports; a new node has all ports free (ports of a pod never change)
        return [ClusterEvent("Pod", ActionType.DELETE), ClusterEvent("Node", ActionType.ADD)]

    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        wanted = self._wanted(pod_info)
        if not wanted:
            return None, skip()
        state.write(PRE_FILTER_STATE_KEY, wanted)
        return None, success()

    def _wanted(self, pod_info: PodInfo) -> tuple[HostPort, ...]:
        wanted = pod_info.cache.get(NAME)
        if wanted is None:
            wanted = pod_info.cache[NAME] = wanted_host_ports(pod_info.pod)
        return wanted

    def signature(self, pod_info: PodInfo) -> Hashable:
        """Filter depends on the wanted host ports only."""
        return self._wanted(pod_info)

    def filter_batch(self, state: CycleState, pod_info: PodInfo, arrays: NodeArrays) -> Any:
        """Nodes with no host port in use pass."""
        return arrays.without(FLAG_PORTS)

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        try:
            wanted = state.read(PRE_FILTER_STATE_KEY)
        except KeyError:
            return missing_state(PRE_FILTER_STATE_KEY, "PreFilter")
        if fits_ports(wanted, node_info.used_ports):
            return _OK
        return unschedulable(ERR_REASON)
