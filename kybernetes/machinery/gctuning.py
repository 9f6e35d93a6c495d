"""Garbage-collector settings for the long-running components.

Every component keeps caches of API objects decoded from JSON: millions of small dicts, lists and strings that
live long and never form reference cycles (reference counting frees them). CPython's default thresholds run a
young-generation collection every 700 allocations and promote survivors into older generations that are then
scanned again and again, so decoding a burst of watch events costs whole-heap pauses that find nothing (a third
of the controller manager's CPU under load). Collecting rarely keeps the cycle collector for what it is for.
"""

from __future__ import annotations

import gc

__all__ = ["tune_gc"]

THRESHOLDS = (50_000, 50, 1000)


def tune_gc() -> None:
    """Collect cyclic garbage rarely (call once at process start)."""
    gc.set_threshold(*THRESHOLDS)
