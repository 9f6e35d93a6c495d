"""A de-duplicating, delaying, rate-limited work queue for controller workers (client-go's util/workqueue).

Handlers enqueue *keys* (``"ns/name"``); workers ``get()`` a key, process it and call ``done(key)``.  A key is held
at most once in the queue however often it is added; a key added while a worker processes it is not handed to a
second worker but queued again once, when ``done`` is called.  ``add_after`` holds a key back for a delay;
``add_rate_limited`` holds it back for the longer of a per-key exponential back-off (5 ms doubling up to 1000 s)
and an overall token bucket (10 per second, burst 100), as client-go's default controller rate limiter.
``forget`` resets a key's back-off after a success.  ``shut_down`` makes ``get`` return :data:`SHUTDOWN` once the
queue is drained, and drops delayed keys.

Time comes from an injectable :class:`Clock` so tests can drive delays with :class:`FakeClock`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Hashable, Protocol

__all__ = [
    "SHUTDOWN",
    "Clock",
    "RealClock",
    "FakeClock",
    "RateLimiter",
    "ItemExponentialFailureRateLimiter",
    "BucketRateLimiter",
    "MaxOfRateLimiter",
    "default_controller_rate_limiter",
    "WorkQueue",
]


class _Shutdown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "SHUTDOWN"


SHUTDOWN = _Shutdown()
"""What ``get()`` returns once the queue is shut down and drained."""


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, delay: float) -> None: ...


class RealClock:
    """Monotonic time and asyncio.sleep."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))


class FakeClock:
    """A clock that moves only when :meth:`advance` is called; sleepers wake when their deadline is passed."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + delay, next(self._seq), fut))
        await fut

    def advance(self, delta: float) -> None:
        """Move time forward and wake every sleeper whose deadline is reached (they run at the next await)."""
        self._now += delta
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)


class RateLimiter(Protocol):
    def when(self, item: Hashable) -> float:
        """The delay before ``item`` may be processed again; records one more failure."""

    def forget(self, item: Hashable) -> None: ...

    def num_requeues(self, item: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """Per-item back-off ``base * 2**failures`` capped at ``max_delay``."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        if exp > 64:  # 2**64 * base is far beyond any cap; avoid building huge numbers
            return self.max_delay
        return min(self.base_delay * (2**exp), self.max_delay)

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """An overall token bucket (``qps`` tokens a second, at most ``burst`` saved).  Each ``when`` reserves a token,
    going into debt when none is left, so the returned delays grow evenly (like golang.org/x/time/rate)."""

    def __init__(self, qps: float = 10.0, burst: int = 100, *, clock: Clock | None = None) -> None:
        self.qps = qps
        self.burst = burst
        self._clock = clock or RealClock()
        self._tokens = float(burst)
        self._last = self._clock.now()

    def when(self, item: Hashable) -> float:
        now = self._clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, item: Hashable) -> None:
        pass

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters; requeues counted by the most pessimistic one."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock | None = None) -> RateLimiter:
    """client-go's DefaultControllerRateLimiter: per item 5 ms .. 1000 s, overall 10 qps with burst 100."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100, clock=clock))


class WorkQueue:
    """The queue.  All methods are meant for one event loop; ``get`` may be awaited by many workers at once."""

    def __init__(self, *, rate_limiter: RateLimiter | None = None, clock: Clock | None = None, name: str = "") -> None:
        self.name = name
        self._clock = clock or RealClock()
        self._limiter = rate_limiter or default_controller_rate_limiter(self._clock)
        self._queue: list[Hashable] = []  # FIFO order; popped from the front
        self._head = 0
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._waiting: list[tuple[float, int, Hashable]] = []  # heap of (ready_at, seq, key)
        self._ready_at: dict[Hashable, float] = {}
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._shutting_down = False

    # -- basic queue ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._queue) - self._head

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def _notify(self) -> None:
        # Wake every current waiter; later waiters wait on a fresh event.
        self._changed.set()
        self._changed = asyncio.Event()

    def add(self, key: Hashable) -> None:
        """Queue ``key`` unless it is already queued; a key being processed is queued again after ``done``."""
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._notify()

    def _pop(self) -> Hashable:
        key = self._queue[self._head]
        self._head += 1
        if self._head > 1024 and self._head * 2 > len(self._queue):
            del self._queue[: self._head]
            self._head = 0
        return key

    def _promote_ready(self) -> None:
        now = self._clock.now()
        while self._waiting and self._waiting[0][0] <= now:
            ready_at, _, key = heapq.heappop(self._waiting)
            if self._ready_at.get(key) == ready_at:
                del self._ready_at[key]
                self.add(key)

    async def get(self) -> Hashable:
        """Wait for a key and mark it as processing; returns :data:`SHUTDOWN` once shut down and empty."""
        while True:
            self._promote_ready()
            if len(self):
                key = self._pop()
                self._processing.add(key)
                self._dirty.discard(key)
                return key
            if self._shutting_down:
                return SHUTDOWN
            changed = asyncio.ensure_future(self._changed.wait())
            waits: set[asyncio.Future] = {changed}
            if self._waiting:
                waits.add(asyncio.ensure_future(self._clock.sleep(self._waiting[0][0] - self._clock.now())))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for fut in waits:
                    fut.cancel()

    def done(self, key: Hashable) -> None:
        """Mark ``key`` as processed; if it was added meanwhile, queue it again."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._notify()

    def shut_down(self) -> None:
        """Refuse new keys, drop delayed ones, and let ``get`` return SHUTDOWN once the queue is drained."""
        self._shutting_down = True
        self._waiting.clear()
        self._ready_at.clear()
        self._notify()

    # -- delaying ------------------------------------------------------------------------------------------------

    def add_after(self, key: Hashable, delay: float) -> None:
        """Queue ``key`` after ``delay`` seconds; a key already waiting keeps the earlier of the two times."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self._clock.now() + delay
        current = self._ready_at.get(key)
        if current is not None and current <= ready_at:
            return
        self._ready_at[key] = ready_at
        heapq.heappush(self._waiting, (ready_at, next(self._seq), key))
        self._notify()

    # -- rate limiting -------------------------------------------------------------------------------------------

    def add_rate_limited(self, key: Hashable) -> None:
        """Queue ``key`` after the rate limiter's delay (and count one more failure for it)."""
        self.add_after(key, self._limiter.when(key))

    def forget(self, key: Hashable) -> None:
        """Reset ``key``'s back-off (call after it was processed successfully)."""
        self._limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return self._limiter.num_requeues(key)
