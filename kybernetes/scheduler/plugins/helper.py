"""Small pieces several default plugins share (upstream's ``framework/plugins/helper``).

- :func:`default_normalize_score` rescales raw scores from ``[0, max]`` to ``[0, MAX_NODE_SCORE]`` (optionally
  reversed, for plugins whose raw score counts something bad, like untolerated PreferNoSchedule taints).
- :func:`missing_state` is the ERROR status a plugin answers when the cycle state an earlier phase should have
  written is absent: that is a framework bug (the earlier phase did not run), never "the pod does not fit".
- :func:`json_key` turns parts of a pod (tolerations, node affinity) into a hashable key for ``signature``.
- :func:`div_trunc` and :func:`round_half_away` do integer arithmetic the way Go does (division truncates
  toward zero; ``math.Round`` rounds halves away from zero), so scores come out exactly as upstream's.
"""

from __future__ import annotations

from typing import Any

import orjson

from kybernetes.scheduler.framework import MAX_NODE_SCORE, NodeScore, Status, error, success

__all__ = ["default_normalize_score", "missing_state", "div_trunc", "round_half_away", "json_key"]


def json_key(value: Any) -> bytes:
    """A hashable key equal for equal JSON values (object keys sorted): canonical JSON bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def default_normalize_score(scores: list[NodeScore], reverse: bool = False,
                            max_priority: int = MAX_NODE_SCORE) -> Status:
    """Scale ``scores`` (non-negative) in place so the highest becomes ``max_priority``; with ``reverse`` the
    result is ``max_priority - scaled``.  All-zero scores stay 0, or all become ``max_priority`` when reversed."""
    max_count = 0
    for s in scores:
        if s.score > max_count:
            max_count = s.score
    if max_count == 0:
        if reverse:
            for s in scores:
                s.score = max_priority
        return success()
    for s in scores:
        v = max_priority * s.score // max_count
        s.score = max_priority - v if reverse else v
    return success()


def missing_state(key: str, phase: str) -> Status:
    """The ERROR status for state ``key`` that ``phase`` (e.g. "PreFilter") should have written but did not."""
    return error(f"reading {key!r} from cycleState: not found ({phase} did not run for this pod)")


def div_trunc(a: int, b: int) -> int:
    """``a / b`` truncated toward zero (Go's integer division); ``b`` must not be 0."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def round_half_away(n: int, d: int) -> int:
    """``n / d`` rounded to the nearest integer, halves away from zero (Go's ``math.Round``); ``d > 0``."""
    if n >= 0:
        return (2 * n + d) // (2 * d)
    return -((2 * -n + d) // (2 * d))
