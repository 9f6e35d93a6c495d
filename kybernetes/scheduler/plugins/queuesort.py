"""PrioritySort: the default QueueSort plugin -- higher ``spec.priority`` first, then whoever entered the queue
earlier.

The scheduling queue keeps its active pods in a heap ordered by this plugin.  ``less`` answers the pairwise
question as upstream's plugin does; ``sort_key`` gives the same order as a tuple so the heap can compare keys
instead of calling back into the plugin (a pod's priority never changes while it waits; its timestamp changes only
when it re-enters the queue, and the queue re-keys it then).
"""

from __future__ import annotations

from typing import Any

from kybernetes.scheduler.framework import Plugin

__all__ = ["NAME", "PrioritySort"]

NAME = "PrioritySort"


class PrioritySort(Plugin):
    """Orders queued pods by priority (descending), then by queue-entry time (ascending)."""

    name = NAME
    extension_points = ("queue_sort",)

    def less(self, a: Any, b: Any) -> bool:
        """True when ``a`` (a QueuedPodInfo) should be popped before ``b``."""
        pa, pb = a.priority, b.priority
        return pa > pb or (pa == pb and a.timestamp < b.timestamp)

    def sort_key(self, queued: Any) -> tuple[int, float]:
        """The heap key equivalent to :meth:`less` (smaller pops first)."""
        return (-queued.priority, queued.timestamp)
