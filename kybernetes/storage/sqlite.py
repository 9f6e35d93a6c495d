"""The embedded store: an etcd-v3-shaped `Store` on one SQLite file.

The stack, bottom up:

- `sqlite_dialect`: the log-table schema and every SQL statement, as data.
- `sqlite_writer.Writer`: one thread and connection that group-commits conditional writes and keeps
  the in-memory index of live keys and leases.
- `sqlite_watch.WatchHub`: fan-out of committed batches to watchers, with history replay.
- `SQLiteStore` (here): the `Store` API on the event loop. Current-state gets come from the writer's
  index; point reads at a past revision run inline on the loop (one index seek); ranges and watch
  replays run on a small pool of read connections. Each read runs inside one transaction (a WAL
  snapshot) that also re-checks the compacted revision. Two background
  tasks expire leases and compact history every `compact_interval` seconds, keeping the last
  `retain_revisions` revisions.

Durability: WAL with synchronous=NORMAL; a write is acknowledged only after its batch committed, so
it survives the process being killed (power loss may lose the last commits). Restarting on the file
resumes the revision counter, the compacted revision and the leases.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .interface import (
    CompactedError,
    Event,
    FutureRevisionError,
    KeyValue,
    RangeResult,
    StorageError,
    prefix_end,
)
from .sqlite_dialect import SQL, UNBOUNDED
from .sqlite_watch import SQLiteWatch, WatchHub
from .sqlite_writer import Lease, Op, Request, Writer, open_connection

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Compaction removes rows in windows of this many log rows, one transaction each.
COMPACT_BATCH = 500
#: Free pages returned to the file system per vacuum step.
VACUUM_PAGES = 2000


class SQLiteStore:
    """A `Store` on the SQLite file at `path` (see the module docstring).

    `compact_interval` <= 0 disables automatic compaction. `watch_queue_limit` is the number of events
    a watcher may have pending before it is dropped.
    """

    def __init__(
        self,
        path: str,
        *,
        compact_interval: float = 60.0,
        retain_revisions: int = 1000,
        watch_queue_limit: int = 10_000,
        read_threads: int = 2,
    ) -> None:
        self.path = path
        self._compact_interval = compact_interval
        self._retain = retain_revisions
        self._watch_queue_limit = watch_queue_limit
        self._read_threads = read_threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: Writer | None = None
        self._hub: WatchHub | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._read_conns: list[sqlite3.Connection] = []
        self._loop_conn: sqlite3.Connection | None = None
        self._read_conns_lock = threading.Lock()
        self._compacted = 0
        self._compact_lock = asyncio.Lock()
        self._lease_heap: list[tuple[float, int]] = []
        self._lease_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open (or create) the file, load the live keys and leases, start background tasks."""
        if self._started:
            raise StorageError("store already started")
        self._started = True
        loop = self._loop = asyncio.get_running_loop()
        writer = self._writer = Writer(self.path, loop, self._on_commit)
        await asyncio.wrap_future(writer.start())
        self._compacted = writer.compacted
        self._hub = WatchHub(writer.revision, self._fetch_history, queue_limit=self._watch_queue_limit)
        self._hub.compacted = self._compacted
        self._readers = ThreadPoolExecutor(self._read_threads, thread_name_prefix="kyb-sqlite-read")
        self._loop_conn = open_connection(self.path, read_only=True)
        self._read_conns.append(self._loop_conn)
        for lease in list(writer.leases.values()):
            heapq.heappush(self._lease_heap, (lease.expires_at, lease.id))
        self._tasks.append(loop.create_task(self._lease_loop(), name="kyb-sqlite-leases"))
        if self._compact_interval > 0:
            self._tasks.append(loop.create_task(self._compact_loop(), name="kyb-sqlite-compactor"))

    async def close(self) -> None:
        """Commit queued writes, stop background tasks, end every watch, close the file."""
        if self._closed or not self._started:
            self._closed = True
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # the task logs its own failures
                log.debug("background task of %s ended with an error", self.path, exc_info=True)
        self._tasks.clear()
        assert self._writer is not None and self._hub is not None and self._readers is not None
        await asyncio.to_thread(self._writer.stop)
        await asyncio.sleep(0)  # let the last commit callbacks run
        self._hub.close()
        readers = self._readers
        await asyncio.to_thread(readers.shutdown, True)
        with self._read_conns_lock:
            for conn in self._read_conns:
                conn.close()
            self._read_conns.clear()

    # -- reads ----------------------------------------------------------------------------------

    async def current_revision(self) -> int:
        """The revision of the last committed write."""
        return self._open_writer().revision

    @property
    def compacted_revision(self) -> int:
        return self._compacted

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The key at `revision` (0: now, answered from memory). Safe concurrently."""
        writer = self._open_writer()
        if revision == 0:
            return writer.latest.get(key)
        self._check_revision(revision)
        # One index seek: cheaper inline on the loop than a hop to a read thread.
        conn = self._loop_conn
        assert conn is not None
        conn.execute("BEGIN")
        try:
            return self._get_at(conn, key, revision)
        finally:
            conn.execute("COMMIT")

    async def range(
        self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0, count_only: bool = False
    ) -> RangeResult:
        """Keys under `prefix` from `start_key`, sorted, at `revision` (0: now); see `Store.range`."""
        writer = self._open_writer()
        rev = revision or writer.revision
        if revision:
            self._check_revision(revision)
        lo = max(prefix, start_key)
        hi: str | bytes = prefix_end(prefix) or UNBOUNDED
        return await self._read(self._range_at, lo, hi, rev, limit, count_only)

    # -- writes ---------------------------------------------------------------------------------

    async def create(self, key: str, value: bytes, *, lease: int = 0) -> KeyValue:
        """Create `key`; `KeyExistsError` if present. Safe concurrently (group-committed)."""
        kv: KeyValue = await self._submit(Request(Op.CREATE, None, key, bytes(value), lease))
        return kv

    async def update(self, key: str, value: bytes, *, expected_mod_revision: int, lease: int = 0) -> KeyValue:
        """Replace `key` if its mod revision matches (0: always); see `Store.update`."""
        kv: KeyValue = await self._submit(Request(Op.UPDATE, None, key, bytes(value), lease, expected_mod_revision))
        return kv

    async def delete(self, key: str, *, expected_mod_revision: int = 0) -> KeyValue:
        """Delete `key` if its mod revision matches (0: always); see `Store.delete`."""
        kv: KeyValue = await self._submit(Request(Op.DELETE, None, key, expected=expected_mod_revision))
        return kv

    async def grant_lease(self, ttl_seconds: int) -> int:
        """A new lease expiring in `ttl_seconds` (persisted, so it also expires after a restart)."""
        lease: Lease = await self._submit(Request(Op.GRANT, None, ttl=max(int(ttl_seconds), 1)))
        heapq.heappush(self._lease_heap, (lease.expires_at, lease.id))
        self._lease_wake.set()
        return lease.id

    async def revoke_lease(self, lease_id: int) -> None:
        """Delete the lease and its keys now; `LeaseNotFoundError` if unknown."""
        await self._submit(Request(Op.REVOKE, None, lease=lease_id))

    # -- watch ----------------------------------------------------------------------------------

    def watch(self, prefix: str, *, start_revision: int) -> SQLiteWatch:
        """Events under `prefix` with revision >= `start_revision` (<= 0: from now). See `sqlite_watch`."""
        if self._hub is None:
            raise StorageError("store is not started")
        return self._hub.subscribe(prefix, start_revision)

    # -- compaction -----------------------------------------------------------------------------

    async def compact(self, revision: int) -> None:
        """Forget history below `revision`: reads and watches below it raise `CompactedError` from now
        on; superseded and deleted rows go in small transactions; then free pages are returned."""
        writer = self._open_writer()
        if revision <= self._compacted:
            raise CompactedError(self._compacted)
        if revision > writer.revision:
            raise FutureRevisionError(revision, writer.revision)
        async with self._compact_lock:
            if revision <= self._compacted:
                raise CompactedError(self._compacted)
            await self._job(_set_compacted(revision))
            self._compacted = revision
            assert self._hub is not None
            self._hub.compacted = revision
            after, keep = 0, revision - 1
            while True:
                upto = await self._job(_compact_window(after, keep, COMPACT_BATCH))
                if upto is None:
                    break
                after = upto
            while await self._job(_vacuum_step):
                pass
            await self._job(_checkpoint)

    async def _compact_loop(self) -> None:
        while True:
            await asyncio.sleep(self._compact_interval)
            try:
                target = self._open_writer().revision - self._retain
                if target > self._compacted:
                    await self.compact(target)
            except asyncio.CancelledError:
                raise
            except CompactedError:
                pass
            except Exception:  # try again next interval
                log.exception("compaction of %s failed", self.path)

    # -- leases ---------------------------------------------------------------------------------

    async def _lease_loop(self) -> None:
        heap = self._lease_heap
        while True:
            now = time.time()
            while heap and heap[0][0] <= now:
                _, lease_id = heapq.heappop(heap)
                self._writer_submit(Request(Op.EXPIRE, None, lease=lease_id))
            delay = heap[0][0] - now if heap else 3600.0
            self._lease_wake.clear()
            try:
                await asyncio.wait_for(self._lease_wake.wait(), timeout=max(delay, 0.001))
            except TimeoutError:
                pass

    # -- plumbing -------------------------------------------------------------------------------

    def _open_writer(self) -> Writer:
        if self._closed:
            raise StorageError("store is closed")
        if self._writer is None or self._hub is None:
            raise StorageError("store is not started")
        return self._writer

    def _writer_submit(self, request: Request) -> None:
        self._open_writer().submit(request)

    def _submit(self, request: Request) -> asyncio.Future[Any]:
        writer = self._open_writer()
        assert self._loop is not None
        future = request.future = self._loop.create_future()
        writer.submit(request)
        return future

    def _job(self, job: Callable[[sqlite3.Connection], Any]) -> asyncio.Future[Any]:
        return self._submit(Request(Op.JOB, None, job=job))

    def _on_commit(self, outcomes: list[tuple[asyncio.Future[Any] | None, Any]], events: list[Event], rev: int) -> None:
        """On the loop: resolve the callers of a committed batch, then fan out its events."""
        for future, outcome in outcomes:
            if future is None or future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if events and self._hub is not None:
            self._hub.publish(events, rev)

    def _check_revision(self, revision: int) -> None:
        if revision < self._compacted:
            raise CompactedError(self._compacted)
        current = self._open_writer().revision
        if revision > current:
            raise FutureRevisionError(revision, current)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._loop is not None and self._readers is not None
        return await self._loop.run_in_executor(self._readers, self._in_read_txn, fn, args)

    def _in_read_txn(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        """Run `fn(conn, *args)` inside one read transaction (a consistent WAL snapshot)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_connection(self.path, read_only=True)
            self._local.conn = conn
            with self._read_conns_lock:
                self._read_conns.append(conn)
        conn.execute("BEGIN")
        try:
            return fn(conn, *args)
        finally:
            conn.execute("COMMIT")

    async def _fetch_history(self, prefix: str, from_rev: int, to_rev: int, limit: int) -> list[Event]:
        hi: str | bytes = prefix_end(prefix) or UNBOUNDED
        return await self._read(_history, prefix, hi, from_rev, to_rev, limit)

    # Read-thread bodies (each runs inside `_in_read_txn`).

    @staticmethod
    def _get_at(conn: sqlite3.Connection, key: str, revision: int) -> KeyValue | None:
        _check_compacted(conn, revision)
        row = conn.execute(SQL.get_at, {"name": key, "rev": revision}).fetchone()
        if row is None or row[1]:
            return None
        rev, _, create_rev, lease, value = row
        return KeyValue(key, value, create_rev, rev, lease)

    @staticmethod
    def _range_at(
        conn: sqlite3.Connection, lo: str, hi: str | bytes, rev: int, limit: int, count_only: bool
    ) -> RangeResult:
        _check_compacted(conn, rev)
        params = {"lo": lo, "hi": hi, "rev": rev, "limit": limit if limit > 0 else -1}
        if count_only:
            count = conn.execute(SQL.count_at, params).fetchone()[0]
            return RangeResult([], rev, False, count)
        kvs = [
            KeyValue(name, value, create_rev, mod_rev, lease)
            for mod_rev, name, create_rev, lease, value in conn.execute(SQL.range_at, params)
        ]
        kvs.sort(key=_by_key)  # already sorted: one linear pass that guarantees the contract
        if 0 < limit <= len(kvs):
            count = conn.execute(SQL.count_at, params).fetchone()[0]
        else:
            count = len(kvs)
        return RangeResult(kvs, rev, count > len(kvs), count)


def _by_key(kv: KeyValue) -> str:
    return kv.key


def _check_compacted(conn: sqlite3.Connection, revision: int) -> None:
    """Inside a read transaction: raise `CompactedError` if `revision` is below the compacted one."""
    row = conn.execute(SQL.get_meta, {"name": SQL.compact_revision_name}).fetchone()
    if row is not None and revision < row[0]:
        raise CompactedError(row[0])


def _history(conn: sqlite3.Connection, lo: str, hi: str | bytes, from_rev: int, to_rev: int, limit: int) -> list[Event]:
    _check_compacted(conn, from_rev)
    params = {"lo": lo, "hi": hi, "from_rev": from_rev, "to_rev": to_rev, "limit": limit}
    events: list[Event] = []
    for rev, name, created, deleted, create_rev, lease, value, p_rev, p_create, p_lease, p_value in conn.execute(
        SQL.history, params
    ):
        kv = KeyValue(name, value, create_rev, rev, lease)
        prev = KeyValue(name, p_value, p_create, p_rev, p_lease) if p_rev is not None else None
        events.append(Event("DELETE" if deleted else "PUT", kv, prev))
    return events


# Writer-thread jobs (each manages its own transaction).


def _set_compacted(revision: int) -> Callable[[sqlite3.Connection], None]:
    def job(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(SQL.set_meta, {"name": SQL.compact_revision_name, "value": revision})
        conn.execute("COMMIT")

    return job


def _compact_window(after: int, keep: int, batch: int) -> Callable[[sqlite3.Connection], int | None]:
    """Delete the unneeded rows among the next `batch` rows above `after`; returns the window's end
    (None when no rows up to `keep` remain)."""

    def job(conn: sqlite3.Connection) -> int | None:
        conn.execute("BEGIN IMMEDIATE")
        upto: int | None = conn.execute(
            SQL.compact_window_end, {"after": after, "keep": keep, "batch": batch}
        ).fetchone()[0]
        if upto is not None:
            conn.execute(SQL.compact_window, {"after": after, "upto": upto, "keep": keep})
        conn.execute("COMMIT")
        return upto

    return job


def _vacuum_step(conn: sqlite3.Connection) -> bool:
    """Return up to VACUUM_PAGES free pages to the file system; True if free pages remain."""
    if conn.execute(SQL.freelist_count).fetchone()[0] == 0:
        return False
    conn.execute(SQL.incremental_vacuum.format(pages=VACUUM_PAGES)).fetchall()
    remaining: int = conn.execute(SQL.freelist_count).fetchone()[0]
    return remaining > 0


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute(SQL.checkpoint_truncate).fetchall()
