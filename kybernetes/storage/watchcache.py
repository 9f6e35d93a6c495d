"""The watch cache: one per resource prefix, so LIST and WATCH rarely touch the store.

It mirrors the keys under one prefix: `start()` lists them at the store's current revision R, then
watches the store from R + 1 and applies every event, decoding each value exactly once. It holds

- the current objects (`get`, `items`) and `revision`, the store revision it has applied up to
  (advanced by events and by the store's progress notifications, so it reaches revisions written
  under other prefixes too);
- a ring of the last `capacity` events, so a watch "from resourceVersion N" (events *after* N) can be
  replayed from memory and then continue live. A watch older than the ring can serve raises
  `TooOldError`: the client must list again (HTTP 410 Gone, "too old resource version").

Fan-out is cheap: each `CacheEvent` is built once and shared by every watcher. Watchers have bounded
queues; one that falls too far behind is terminated with `TooOldError` on its next read.

If the store watch fails (its start was compacted, it overflowed, ...) the cache lists again and
continues; watchers of the old stream are terminated with `TooOldError`, as their events may have gaps.

Everything here runs on the event loop; no method is thread-safe.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from .interface import Event, KeyValue, StorageError, Store, Watch

__all__ = ["CacheEvent", "CacheWatcher", "CachedObject", "TooOldError", "WatchCache"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Events a watcher may have pending (beyond its initial replay) before it is terminated.
WATCHER_QUEUE = 10_000  # references only; a burst of writes must not force every informer to relist
#: Delay between attempts to list again after the store watch failed.
RELIST_BACKOFF = 0.2


class TooOldError(StorageError):
    """The requested revision is older than the oldest one the cache can serve a watch from.

    `oldest_available` is the smallest start revision that would have been accepted.
    """

    def __init__(self, oldest_available: int, requested: int | None = None) -> None:
        if requested is None:
            message = f"too old resource version ({oldest_available})"
        else:
            message = f"too old resource version: {requested} ({oldest_available})"
        super().__init__(message)
        self.oldest_available = oldest_available
        self.requested = requested


@dataclass(frozen=True, slots=True)
class CachedObject(Generic[T]):
    """A current object: its key, its decoded form, and the stored version it was decoded from."""

    key: str
    obj: T
    kv: KeyValue


@dataclass(frozen=True, slots=True)
class CacheEvent(Generic[T]):
    """One change, shared by all watchers. For DELETED, `obj` is the last state decoded from the
    deleted value (at the deletion revision) and `revision` the deletion revision."""

    type: Literal["ADDED", "MODIFIED", "DELETED"]
    key: str
    obj: T
    prev_obj: T | None
    revision: int


class WatchCache(Generic[T]):
    """The cache of the keys under `prefix` in `store` (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        prefix: str,
        *,
        decode: Callable[[KeyValue], T],
        capacity: int = 2000,
        max_capacity: int = 102_400,
        fresh_seconds: float = 75.0,
        watcher_queue: int = WATCHER_QUEUE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        # Like upstream's dynamically sized watch cache: while the oldest event in a full ring is younger than
        # ``fresh_seconds``, the ring doubles (up to ``max_capacity``) instead of dropping it, so a client that
        # lists under heavy write load can still watch from its list's revision.
        self._max_capacity = max(capacity, max_capacity)
        self._fresh = fresh_seconds
        self._clock = clock
        self._times: list[float] = [0.0] * capacity
        self.store = store
        self.prefix = prefix
        self._decode = decode
        self._capacity = capacity
        self._watcher_queue = watcher_queue
        self._objects: dict[str, CachedObject[T]] = {}
        self._sorted_keys: list[str] | None = None
        self.revision = 0
        # The ring: absolute positions [_first, _next) live at index position % capacity.
        self._ring: list[CacheEvent[T] | None] = [None] * capacity
        self._first = 0
        self._next = 0
        self._list_revision = 0
        self._evicted = False
        self._watchers: set[CacheWatcher[T]] = set()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._watch: Watch | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """List the prefix at the current revision, then follow the store from the next one."""
        await self._relist()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"watchcache {self.prefix}")

    async def stop(self) -> None:
        """Stop following the store; current watchers' iteration ends, pending waits fail."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        for watcher in tuple(self._watchers):
            watcher._end(None)
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(StorageError("watch cache stopped"))
        self._waiters.clear()

    # -- reads ----------------------------------------------------------------------------------

    def get(self, key: str) -> CachedObject[T] | None:
        """The current object at `key`, or None."""
        return self._objects.get(key)

    def items(self, prefix: str = "") -> list[CachedObject[T]]:
        """A snapshot of the current objects (whose key starts with `prefix`), sorted by key."""
        keys = self._sorted_keys
        if keys is None:
            keys = self._sorted_keys = sorted(self._objects)
        objects = self._objects
        if not prefix:
            return [objects[k] for k in keys]
        lo = bisect.bisect_left(keys, prefix)
        out: list[CachedObject[T]] = []
        for k in keys[lo:]:
            if not k.startswith(prefix):
                break
            out.append(objects[k])
        return out

    def __len__(self) -> int:
        return len(self._objects)

    @property
    def oldest_available(self) -> int:
        """The smallest start revision `watch` accepts (it serves the events after it)."""
        if not self._evicted:
            return self._list_revision
        oldest = self._ring[self._first % self._capacity]
        assert oldest is not None
        return oldest.revision - 1

    async def wait_for_revision(self, revision: int, timeout: float) -> None:
        """Return once the cache has applied at least `revision`; `TimeoutError` after `timeout` s."""
        if self.revision >= revision:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (revision, waiter)
        self._waiters.append(entry)
        if self._watch is not None:
            self._watch.request_progress()
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"watch cache of {self.prefix} did not reach revision {revision} in {timeout}s "
                f"(at {self.revision})"
            ) from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    # -- watch ----------------------------------------------------------------------------------

    def watch(self, start_revision: int, *, prefix: str = "") -> CacheWatcher[T]:
        """Events with revision > `start_revision` (for keys starting with `prefix`): first those still
        in the ring, then live ones. Raises `TooOldError` if the ring no longer holds them all."""
        oldest = self.oldest_available
        if start_revision < oldest:
            raise TooOldError(oldest, start_revision)
        initial: deque[CacheEvent[T]] = deque()
        first, nxt, cap, ring = self._first, self._next, self._capacity, self._ring
        # Binary search the first position whose revision is greater than start_revision.
        lo, hi = first, nxt
        while lo < hi:
            mid = (lo + hi) // 2
            event = ring[mid % cap]
            assert event is not None
            if event.revision > start_revision:
                hi = mid
            else:
                lo = mid + 1
        for pos in range(lo, nxt):
            event = ring[pos % cap]
            assert event is not None
            if not prefix or event.key.startswith(prefix):
                initial.append(event)
        watcher = CacheWatcher(self, initial, prefix, len(initial) + self._watcher_queue, start_revision)
        if self._stopped:
            watcher._end(None)
        else:
            self._watchers.add(watcher)
        return watcher

    @property
    def watcher_count(self) -> int:
        return len(self._watchers)

    # -- following the store --------------------------------------------------------------------

    async def _relist(self) -> None:
        result = await self.store.range(self.prefix)
        objects: dict[str, CachedObject[T]] = {}
        for kv in result.kvs:
            try:
                objects[kv.key] = CachedObject(kv.key, self._decode(kv), kv)
            except Exception:  # one bad value must not stop the cache
                log.exception("watch cache %s cannot decode %s", self.prefix, kv.key)
        self._objects = objects
        self._sorted_keys = None
        self._ring = [None] * self._capacity
        self._times = [0.0] * self._capacity
        self._first = self._next = 0
        self._evicted = False
        self._list_revision = result.revision
        self.revision = max(self.revision, result.revision)
        if self._watch is not None:
            self._watch.close()
        self._watch = self.store.watch(self.prefix, start_revision=result.revision + 1)
        self._resolve_waiters()

    async def _run(self) -> None:
        while True:
            watch = self._watch
            assert watch is not None
            try:
                async for batch in watch:
                    self._apply(batch, watch.revision)
                error: Exception = StorageError("store watch ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure means: list again
                error = exc
            log.info("watch cache %s lists again: %s", self.prefix, error)
            while True:
                try:
                    await self._relist()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the store may be briefly unavailable
                    log.warning("watch cache %s cannot list: %s", self.prefix, exc)
                    await asyncio.sleep(RELIST_BACKOFF)
            too_old = TooOldError(self.oldest_available)
            for watcher in tuple(self._watchers):
                watcher._end(too_old)

    def _apply(self, batch: list[Event], watch_revision: int) -> None:
        objects = self._objects
        decode = self._decode
        for event in batch:
            kv = event.kv
            key = kv.key
            prev = objects.get(key)
            try:
                obj = decode(kv)
            except Exception:  # drop the undecodable key rather than serve a stale one
                log.exception("watch cache %s cannot decode %s at %d", self.prefix, key, kv.mod_revision)
                if prev is not None:
                    del objects[key]
                    self._sorted_keys = None
                continue
            if event.type == "PUT":
                objects[key] = CachedObject(key, obj, kv)
                if prev is None:
                    self._sorted_keys = None
                    cache_event: CacheEvent[T] = CacheEvent("ADDED", key, obj, None, kv.mod_revision)
                else:
                    cache_event = CacheEvent("MODIFIED", key, obj, prev.obj, kv.mod_revision)
            else:
                if prev is not None:
                    del objects[key]
                    self._sorted_keys = None
                cache_event = CacheEvent("DELETED", key, obj, prev.obj if prev else None, kv.mod_revision)
            self._append(cache_event)
            for watcher in tuple(self._watchers):
                watcher._push(cache_event)
        self.revision = max(self.revision, watch_revision)
        self._resolve_waiters()

    def _append(self, event: CacheEvent[T]) -> None:
        cap = self._capacity
        now = self._clock()
        if self._next - self._first == cap:
            if cap < self._max_capacity and now - self._times[self._first % cap] < self._fresh:
                self._grow(min(cap * 2, self._max_capacity))
                cap = self._capacity
            else:
                self._ring[self._first % cap] = None
                self._first += 1
                self._evicted = True
        self._ring[self._next % cap] = event
        self._times[self._next % cap] = now
        self._next += 1

    def _grow(self, new_cap: int) -> None:
        old_cap, ring, times = self._capacity, self._ring, self._times
        self._ring = [None] * new_cap
        self._times = [0.0] * new_cap
        for pos in range(self._first, self._next):
            self._ring[pos % new_cap] = ring[pos % old_cap]
            self._times[pos % new_cap] = times[pos % old_cap]
        self._capacity = new_cap

    @property
    def capacity(self) -> int:
        return self._capacity

    def _resolve_waiters(self) -> None:
        if not self._waiters:
            return
        remaining = []
        for revision, waiter in self._waiters:
            if waiter.done():
                continue
            if revision <= self.revision:
                waiter.set_result(None)
            else:
                remaining.append((revision, waiter))
        self._waiters = remaining
        if remaining and self._watch is not None:
            self._watch.request_progress()

    def _forget(self, watcher: CacheWatcher[T]) -> None:
        self._watchers.discard(watcher)


class CacheWatcher(Generic[T]):
    """A watch served by a `WatchCache`: an async iterator of `CacheEvent`. Iterate from one task."""

    __slots__ = ("_after", "_cache", "_done", "_error", "_limit", "_prefix", "_queue", "_waiter")

    def __init__(
        self, cache: WatchCache[T], initial: deque[CacheEvent[T]], prefix: str, limit: int, after: int
    ) -> None:
        self._cache = cache
        self._after = after  # only events after this revision (it may be ahead of the cache)
        self._queue = initial
        self._prefix = prefix
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._done = False

    def __aiter__(self) -> CacheWatcher[T]:
        return self

    async def __anext__(self) -> CacheEvent[T]:
        while True:
            if self._error is not None:
                raise self._error
            if self._queue:
                return self._queue.popleft()
            if self._done:
                raise StopAsyncIteration
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    def pending(self) -> int:
        """Events queued and not yet read."""
        return len(self._queue)

    def take_ready(self, limit: int) -> list[CacheEvent[T]]:
        """Up to ``limit`` events already queued, without waiting (an empty list when none is; an error or the
        end is reported by the next ``__anext__``)."""
        q = self._queue
        n = min(limit, len(q))
        return [q.popleft() for _ in range(n)]

    def close(self) -> None:
        """Stop watching: iteration ends after the events already queued. Idempotent."""
        self._end(None)

    def _push(self, event: CacheEvent[T]) -> None:
        if self._done or event.revision <= self._after:
            return
        if self._prefix and not event.key.startswith(self._prefix):
            return
        if len(self._queue) >= self._limit:
            self._queue.clear()
            self._end(TooOldError(self._cache.oldest_available))
            return
        self._queue.append(event)
        self._wake()

    def _end(self, error: BaseException | None) -> None:
        if self._done:
            return
        self._done = True
        if error is not None:
            self._queue.clear()
            self._error = error
        self._cache._forget(self)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
