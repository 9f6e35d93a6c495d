"""What the StatefulSet and DaemonSet controllers share: pod availability and int-or-percent rollout bounds.

A pod is *available* when it is Ready and has been Ready for at least ``minReadySeconds`` (upstream's
``podutil.IsPodAvailable``): the Ready condition's ``lastTransitionTime`` plus ``minReadySeconds`` lies in the
past.  With ``minReadySeconds`` 0 Ready alone is enough.

Rollout bounds such as ``maxUnavailable: 25%`` are IntOrString values: an integer is taken as is, a percentage is
scaled against a total and rounded up or down (upstream's ``intstr.GetScaledValueFromIntOrPercent``).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from kybernetes.controllers.podcontrol import is_pod_ready, pod_ready_since

__all__ = ["parse_time", "is_pod_available", "available_in", "scaled_value"]


def parse_time(value: Any) -> float | None:
    """RFC 3339 text (``2024-01-01T10:00:00Z``, fractions allowed) -> seconds since the epoch; None when absent or
    unparsable."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def is_pod_available(pod: dict[str, Any], min_ready_seconds: int, now: float | None = None) -> bool:
    """Ready, and Ready since at least ``min_ready_seconds`` before ``now`` (default: the wall clock)."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = parse_time(pod_ready_since(pod))
    if since is None:
        return False
    return since + min_ready_seconds <= (time.time() if now is None else now)


def available_in(pod: dict[str, Any], min_ready_seconds: int, now: float | None = None) -> float | None:
    """Seconds until a Ready pod becomes available (0 when it already is); None when it is not Ready."""
    if not is_pod_ready(pod):
        return None
    since = parse_time(pod_ready_since(pod))
    if not min_ready_seconds or since is None:
        return 0.0
    return max(0.0, since + min_ready_seconds - (time.time() if now is None else now))


def scaled_value(value: Any, total: int, *, round_up: bool, default: int | str = 0) -> int:
    """An IntOrString (``3`` or ``"25%"``) as a count out of ``total``; ``None`` means ``default``.  Raises
    ValueError for anything else, as upstream (a string must be a percentage)."""
    if value is None:
        value = default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if not value.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        pct = int(value[:-1])
    except ValueError:
        raise ValueError(f"invalid value for IntOrString: invalid value {value!r}") from None
    return -(-pct * total // 100) if round_up else pct * total // 100
