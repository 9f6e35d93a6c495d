"""Per-key exponential back-off, as the kubelet uses it for CrashLoopBackOff and image pulls.

Each key (``<pod full name>_<uid>_<container>`` for containers, the image name for pulls) holds a back-off
duration.  The first failure of a key costs nothing: the container is restarted at once and the key's back-off is
set to the initial value (10 s).  While ``now - finished_at`` is below the key's back-off, the key is "in
back-off" and the container waits (``CrashLoopBackOff``).  When the wait is over, the restart doubles the back-off
up to the maximum (5 min).  A key whose back-off was last raised more than twice the maximum ago (10 min: the
container ran that long) starts over from the initial value.  This is client-go's ``flowcontrol.Backoff`` as the
kubelet drives it (``IsInBackOffSince`` then ``Next``).

Time comes from an injectable clock (seconds, monotonic or wall: only differences matter), so tests can move it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Backoff", "format_duration", "INITIAL", "MAXIMUM"]

INITIAL = 10.0
MAXIMUM = 300.0


@dataclass(slots=True)
class _Entry:
    backoff: float
    last_update: float


def format_duration(seconds: float) -> str:
    """Go's ``time.Duration.String`` for whole seconds: ``10s``, ``1m20s``, ``5m0s``, ``1h0m0s``."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s}s"
    h, m = divmod(m, 60)
    return f"{h}h{m}m{s}s"


class Backoff:
    """Back-off bookkeeping for many keys.  Not thread-safe (one event loop)."""

    def __init__(self, *, initial: float = INITIAL, maximum: float = MAXIMUM,
                 clock: Callable[[], float] = time.time) -> None:
        self.initial = initial
        self.maximum = maximum
        self.clock = clock
        self._entries: dict[str, _Entry] = {}

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.last_update > 2 * self.maximum

    def get(self, key: str) -> float:
        """The key's current back-off (0 when it has none)."""
        entry = self._entries.get(key)
        return entry.backoff if entry is not None else 0.0

    def in_backoff_since(self, key: str, event_time: float) -> bool:
        """True while less than the key's back-off has passed since ``event_time`` (the last exit)."""
        entry = self._entries.get(key)
        if entry is None:
            return False
        now = self.clock()
        if self._expired(entry, now):
            return False
        return now - event_time < entry.backoff

    def in_backoff_since_update(self, key: str) -> bool:
        """True while less than the key's back-off has passed since it was last raised (image pulls)."""
        entry = self._entries.get(key)
        if entry is None:
            return False
        return self.clock() - entry.last_update < entry.backoff

    def remaining(self, key: str, event_time: float) -> float:
        """Seconds until ``in_backoff_since(key, event_time)`` becomes False (0 when it already is)."""
        if not self.in_backoff_since(key, event_time):
            return 0.0
        return max(0.0, event_time + self._entries[key].backoff - self.clock())

    def next(self, key: str) -> float:
        """Record a restart: the initial back-off for a new or expired key, else double it (capped).  Returns the
        new back-off."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, now):
            entry = _Entry(self.initial, now)
            self._entries[key] = entry
        else:
            entry.backoff = min(entry.backoff * 2, self.maximum)
            entry.last_update = now
        return entry.backoff

    def reset(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_prefix(self, prefix: str) -> None:
        """Drop every key starting with ``prefix`` (a removed pod's containers)."""
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]

    def gc(self) -> None:
        """Drop entries that have expired (kept bounded on long-running nodes)."""
        now = self.clock()
        for key in [k for k, e in self._entries.items() if self._expired(e, now)]:
            del self._entries[key]
