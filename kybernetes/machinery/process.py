"""How a long-running component process runs: its garbage-collector settings and its event loop.

Every component keeps caches of API objects decoded from JSON: millions of small dicts, lists and strings that
live long and never form reference cycles (reference counting frees them). CPython's default thresholds run a
young-generation collection every 700 allocations and promote survivors into older generations that are then
scanned again and again, so decoding a burst of watch events costs whole-heap pauses that find nothing (a third
of the controller manager's CPU under load). Collecting rarely keeps the cycle collector for what it is for.
The loop is uvloop's when it is installed (cheaper I/O and timers), asyncio's otherwise.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run", "tune_gc"]

T = TypeVar("T")

THRESHOLDS = (50_000, 50, 1000)


def tune_gc() -> None:
    """Collect cyclic garbage rarely (call once at process start)."""
    gc.set_threshold(*THRESHOLDS)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Tune the collector, then run ``main`` to completion on a new event loop and return its result
    (KeyboardInterrupt propagates)."""
    tune_gc()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
