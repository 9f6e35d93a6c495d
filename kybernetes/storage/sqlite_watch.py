"""In-process watches of the SQLite backend: history replay, then live fan-out, with no gap.

The `WatchHub` lives on the event loop. After each committed batch the store calls `publish(events,
revision)`; the hub filters the batch once per distinct watched prefix and hands the same filtered
list to every watcher of that prefix. `hub.revision` is the last revision published.

A watcher created with a start revision at or below `hub.revision` needs history first. It is
registered for live batches at once (so nothing published afterwards is missed) and remembers
`replay_upto = hub.revision`; its first reads page through the log for `[start, replay_upto]` while
live batches (all above `replay_upto`) wait in its queue. Replay then live, each in revision order:
no gap and no duplicate.

Writers never wait for watchers: each watcher queue is bounded (in events); a watcher that overflows
is dropped and its next read raises `WatchOverflowError`, so its client lists again.

Progress notifications: `request_progress()` makes the watch yield an empty batch whose `revision`
covers everything published so far (immediately if something was published since the watcher's last
queued batch, otherwise with the next published batch).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from .interface import CompactedError, Event, StorageError, WatchOverflowError

__all__ = ["REPLAY_PAGE", "HistoryFetcher", "SQLiteWatch", "WatchHub"]

#: fetch(prefix, from_revision, to_revision, limit) -> events in [from, to], oldest first.
HistoryFetcher = Callable[[str, int, int, int], Awaitable[list[Event]]]

#: Rows read from the log per replay step.
REPLAY_PAGE = 1000


class WatchHub:
    """Registry of live watchers, grouped by prefix. Loop-thread only."""

    def __init__(self, revision: int, fetch_history: HistoryFetcher, *, queue_limit: int) -> None:
        self.revision = revision
        self.compacted = 0
        self._fetch = fetch_history
        self._queue_limit = queue_limit
        self._groups: dict[str, set[SQLiteWatch]] = {}
        # watched prefixes that do not end at a "/" ("" and single keys): matched by scanning; the others are
        # found by looking up each event key's own "/"-ended prefixes
        self._unaligned: set[str] = set()
        self._want_progress: set[SQLiteWatch] = set()
        self._closed = False

    def subscribe(self, prefix: str, start_revision: int) -> SQLiteWatch:
        """A new watch of `prefix` from `start_revision` (<= 0: from the next published revision)."""
        watch = SQLiteWatch(self, prefix, start_revision, self._queue_limit)
        if self._closed:
            watch._end()
        elif 0 < start_revision < self.compacted:
            watch._fail(CompactedError(self.compacted))
        else:
            self._groups.setdefault(prefix, set()).add(watch)
            if not prefix.endswith("/"):
                self._unaligned.add(prefix)
        return watch

    def unsubscribe(self, watch: SQLiteWatch) -> None:
        group = self._groups.get(watch.prefix)
        if group is not None:
            group.discard(watch)
            if not group:
                del self._groups[watch.prefix]
                self._unaligned.discard(watch.prefix)
        self._want_progress.discard(watch)

    def publish(self, events: list[Event], revision: int) -> None:
        """Fan out one committed batch (events in revision order, `revision` the batch's last)."""
        if revision <= self.revision:
            return
        self.revision = revision
        if events:
            for prefix, matched in self._match(events).items():
                for watch in tuple(self._groups.get(prefix, ())):
                    watch._push(matched, revision)
        if self._want_progress:
            wanting, self._want_progress = self._want_progress, set()
            for watch in wanting:
                watch._push_progress(revision)

    def _match(self, events: list[Event]) -> dict[str, list[Event]]:
        """The events of a batch per watched prefix (in batch order), without trying every prefix on every
        event: a key's "/"-ended prefixes are looked up, the few other watched prefixes are scanned."""
        groups = self._groups
        matched: dict[str, list[Event]] = {}
        for e in events:
            key = e.kv.key
            i = key.find("/")
            while i >= 0:
                prefix = key[:i + 1]
                if prefix in groups:
                    bucket = matched.get(prefix)
                    if bucket is None:
                        matched[prefix] = [e]
                    else:
                        bucket.append(e)
                i = key.find("/", i + 1)
        for prefix in self._unaligned:
            found = events if not prefix else [e for e in events if e.kv.key.startswith(prefix)]
            if found:
                matched[prefix] = found
        return matched

    def want_progress(self, watch: SQLiteWatch) -> None:
        self._want_progress.add(watch)

    @property
    def watcher_count(self) -> int:
        return sum(len(group) for group in self._groups.values())

    def close(self) -> None:
        """End every watch (their iteration stops)."""
        self._closed = True
        groups, self._groups = self._groups, {}
        self._unaligned.clear()
        self._want_progress.clear()
        for group in groups.values():
            for watch in group:
                watch._end()


class SQLiteWatch:
    """One watch (see the module docstring). Iterate from one task at a time."""

    __slots__ = (
        "_cursor",
        "_done",
        "_error",
        "_hub",
        "_limit",
        "_min_rev",
        "_pending",
        "_pending_events",
        "_queued_rev",
        "_replay_upto",
        "_waiter",
        "prefix",
        "revision",
    )

    def __init__(self, hub: WatchHub, prefix: str, start_revision: int, limit: int) -> None:
        self.prefix = prefix
        self._hub = hub
        self._limit = limit
        now = hub.revision
        if start_revision <= 0:
            start_revision = now + 1
        self._min_rev = start_revision
        self.revision = start_revision - 1
        # Replay [start, now] from the log first when the start is already published.
        self._cursor: int | None = start_revision if start_revision <= now else None
        self._replay_upto = now
        self._queued_rev = now
        self._pending: deque[tuple[list[Event], int]] = deque()
        self._pending_events = 0
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._done = False

    # -- consumer side --------------------------------------------------------------------------

    def __aiter__(self) -> SQLiteWatch:
        return self

    async def __anext__(self) -> list[Event]:
        while True:
            if self._error is not None:
                raise self._error
            if self._done:
                raise StopAsyncIteration
            if self._cursor is not None:
                return await self._replay_page()
            if self._pending:
                events, rev = self._pending.popleft()
                self._pending_events -= len(events)
                self.revision = rev
                return events
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    async def _replay_page(self) -> list[Event]:
        cursor = self._cursor
        assert cursor is not None
        upto = self._replay_upto
        try:
            events = await self._hub._fetch(self.prefix, cursor, upto, REPLAY_PAGE)
        except StorageError as exc:
            self._fail(exc)
            raise
        if self._error is not None:
            raise self._error
        if self._done:
            raise StopAsyncIteration
        if len(events) < REPLAY_PAGE or events[-1].kv.mod_revision >= upto:
            self._cursor = None
            self.revision = upto
        else:
            last = events[-1].kv.mod_revision
            self._cursor = last + 1
            self.revision = last
        return events

    def request_progress(self) -> None:
        """Ask for an empty batch once everything published so far has been yielded."""
        if self._done or self._error is not None:
            return
        if self._hub.revision > self._queued_rev:
            self._queue_batch([], self._hub.revision)
        else:
            self._hub.want_progress(self)

    def close(self) -> None:
        """Stop the watch; iteration ends. Idempotent."""
        if not self._done:
            self._end()

    # -- hub side -------------------------------------------------------------------------------

    def _push(self, matched: list[Event], revision: int) -> None:
        if self._done or revision < self._min_rev:
            return
        if matched[0].kv.mod_revision < self._min_rev:
            matched = [e for e in matched if e.kv.mod_revision >= self._min_rev]
            if not matched:
                return
        self._pending_events += len(matched)
        if self._pending_events > self._limit:
            self._fail(
                WatchOverflowError(f"watcher of {self.prefix!r} fell more than {self._limit} events behind")
            )
            return
        self._queue_batch(matched, revision)

    def _push_progress(self, revision: int) -> None:
        if not self._done and revision > self._queued_rev:
            self._queue_batch([], revision)

    def _queue_batch(self, events: list[Event], revision: int) -> None:
        self._pending.append((events, revision))
        self._queued_rev = revision
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        self._error = error
        self._done = True
        self._pending.clear()
        self._pending_events = 0
        self._hub.unsubscribe(self)
        self._wake()

    def _end(self) -> None:
        self._done = True
        self._pending.clear()
        self._pending_events = 0
        self._hub.unsubscribe(self)
        self._wake()
