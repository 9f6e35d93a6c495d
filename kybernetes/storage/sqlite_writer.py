"""The single writer of the SQLite backend: conditional writes committed in groups.

Callers on the event loop put `Request`s on a queue. One thread takes whatever is queued (up to
`MAX_BATCH` requests), checks each request's condition in order against the latest state (the
committed state plus the earlier requests of the same batch), appends one log row per successful
write, and commits the whole batch in one transaction: *group commit*, so a hundred concurrent creates
cost one commit, not a hundred. Only after the commit does it publish: it updates its in-memory index
of live keys and leases, and hands the outcomes and the events to the event loop in a single
`call_soon_threadsafe`, where the callers' futures are resolved and the events fanned out to watchers.

Being the only writer, the thread knows the next revision (the log row id) and the latest state of
every key without asking the database, so checking conditions costs a dict lookup. The index it keeps
(`latest`, live keys only) is read by the event loop for current-state gets; a dict lookup is atomic
under the GIL, and the index only ever holds committed state.

Maintenance work (compaction windows, vacuum) runs as `JOB` requests on the same thread and
connection, each in its own transaction, interleaved with the client batches so it never holds the
write lock for long.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .interface import (
    Event,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    LeaseNotFoundError,
    RevisionMismatchError,
    StorageError,
)
from .sqlite_dialect import PRAGMAS, SCHEMA, SQL

__all__ = ["MAX_BATCH", "Lease", "Op", "Request", "Writer", "open_connection"]

log = logging.getLogger(__name__)

#: The most requests committed in one transaction.
MAX_BATCH = 1000

#: What a committed batch hands to the event loop: (future, result or exception) pairs, the events
#: in revision order, and the revision after the batch.
OnCommit = Callable[[list[tuple["asyncio.Future[Any] | None", Any]], list[Event], int], None]


class Op(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    GRANT = "grant"  # value: ttl seconds; result (lease id, expires_at)
    REVOKE = "revoke"  # lease: the lease id
    EXPIRE = "expire"  # like REVOKE, but only when due, and silent when the lease is gone
    JOB = "job"  # job(connection) runs alone, managing its own transaction


@dataclass(slots=True)
class Request:
    """One queued write. `future` belongs to the event loop (None: nobody waits)."""

    op: Op
    future: asyncio.Future[Any] | None
    key: str = ""
    value: bytes = b""
    lease: int = 0
    expected: int = 0
    ttl: int = 0
    job: Callable[[sqlite3.Connection], Any] | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    id: int
    ttl: int
    expires_at: float  # wall-clock seconds, so it means the same after a restart


_STOP = object()


def open_connection(path: str, *, read_only: bool = False) -> sqlite3.Connection:
    """Open `path` in autocommit mode (transactions are explicit) with the backend's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    if read_only:
        conn.execute("PRAGMA query_only = 1")
    return conn


class Writer:
    """Owns the write connection and the thread that commits queued requests.

    `start()` opens the database and loads the live keys and leases; `submit()` is safe from any
    thread; `stop()` commits what is queued, then ends the thread.
    """

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop, on_commit: OnCommit) -> None:
        self._path = path
        self._loop = loop
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        # Committed state, owned by the writer thread (readers on the loop only look keys up).
        self.latest: dict[str, KeyValue] = {}
        self.leases: dict[int, Lease] = {}
        self.lease_keys: dict[int, set[str]] = {}
        self.revision = 0
        self.compacted = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> concurrent.futures.Future[None]:
        """Start the thread; the returned future resolves once the database is open and loaded."""
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="kyb-sqlite-writer", daemon=True)
        self._thread.start()
        return ready

    def submit(self, request: Request) -> None:
        """Queue a request; its outcome reaches `request.future` on the loop after the commit."""
        self._queue.put(request)

    def stop(self) -> None:
        """Commit everything queued so far, then end the thread (blocking; call from a worker thread)."""
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join()

    # -- the thread -----------------------------------------------------------------------------

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            self._open()
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            ready.set_exception(exc)
            return
        ready.set_result(None)
        stop = False
        try:
            while not stop:
                item = self._queue.get()
                batch: list[Request] = []
                while True:
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                    if len(batch) >= MAX_BATCH:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    self._process(batch)
        finally:
            assert self._conn is not None
            self._conn.close()

    def _open(self) -> None:
        conn = open_connection(self._path)
        self._conn = conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.revision = conn.execute(SQL.current_revision).fetchone()[0]
        row = conn.execute(SQL.get_meta, {"name": SQL.compact_revision_name}).fetchone()
        self.compacted = row[0] if row else 0
        for rev, name, create_rev, lease, value in conn.execute(SQL.live_keys):
            self.latest[name] = KeyValue(name, value, create_rev, rev, lease)
        for lease_id, ttl, expires_at in conn.execute(SQL.lease_all):
            self.leases[lease_id] = Lease(lease_id, ttl, expires_at)
        for kv in self.latest.values():
            if kv.lease:
                self.lease_keys.setdefault(kv.lease, set()).add(kv.key)

    def _process(self, batch: list[Request]) -> None:
        group: list[Request] = []
        for request in batch:
            if request.op is Op.JOB:
                if group:
                    self._commit_group(group)
                    group = []
                self._run_job(request)
            else:
                group.append(request)
        if group:
            self._commit_group(group)

    def _run_job(self, request: Request) -> None:
        assert self._conn is not None and request.job is not None
        try:
            outcome: Any = request.job(self._conn)
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            outcome = exc if isinstance(exc, StorageError) else StorageError(f"storage job failed: {exc!r}")
        self._deliver([(request.future, outcome)], [], self.revision)

    def _commit_group(self, group: list[Request]) -> None:
        """Check and apply `group` in order, commit it as one transaction, then publish."""
        batch = _Batch(self)
        outcomes: list[tuple[asyncio.Future[Any] | None, Any]] = []
        for request in group:
            try:
                result = batch.apply(request)
            except StorageError as exc:
                result = exc
            outcomes.append((request.future, result))
        if batch.rows or batch.lease_inserts or batch.lease_deletes:
            conn = self._conn
            assert conn is not None
            try:
                conn.execute("BEGIN IMMEDIATE")
                if batch.rows:
                    conn.executemany(SQL.insert, batch.rows)
                if batch.lease_inserts:
                    conn.executemany(SQL.lease_insert, batch.lease_inserts)
                if batch.lease_deletes:
                    conn.executemany(SQL.lease_delete, batch.lease_deletes)
                conn.execute("COMMIT")
            except Exception as exc:  # every caller of the batch learns of it
                log.exception("sqlite commit of %d writes failed", len(group))
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                failure = StorageError(f"commit failed: {exc!r}")
                self._deliver([(future, failure) for future, _ in outcomes], [], self.revision)
                return
        batch.publish()
        self._deliver(outcomes, batch.events, self.revision)

    def _deliver(self, outcomes: list[tuple[asyncio.Future[Any] | None, Any]], events: list[Event], rev: int) -> None:
        try:
            self._loop.call_soon_threadsafe(self._on_commit, outcomes, events, rev)
        except RuntimeError:  # the loop is closed: nobody is left to tell
            pass


class _Batch:
    """The writes of one group: conditions are checked against the committed state overlaid with the
    group's own earlier writes; nothing touches the committed state until `publish()`."""

    __slots__ = ("events", "keys", "lease_deletes", "lease_inserts", "leases", "revision", "rows", "w")

    def __init__(self, writer: Writer) -> None:
        self.w = writer
        self.revision = writer.revision
        self.keys: dict[str, KeyValue | None] = {}
        self.leases: dict[int, Lease | None] = {}
        self.rows: list[tuple[Any, ...]] = []
        self.events: list[Event] = []
        self.lease_inserts: list[tuple[int, int, float]] = []
        self.lease_deletes: list[tuple[int]] = []

    def current(self, key: str) -> KeyValue | None:
        keys = self.keys
        return keys[key] if key in keys else self.w.latest.get(key)

    def lease(self, lease_id: int) -> Lease | None:
        leases = self.leases
        return leases[lease_id] if lease_id in leases else self.w.leases.get(lease_id)

    def apply(self, r: Request) -> Any:
        op = r.op
        if op is Op.CREATE:
            if self.current(r.key) is not None:
                raise KeyExistsError(r.key)
            self._check_lease(r.lease)
            rev = self.revision = self.revision + 1
            kv = KeyValue(r.key, r.value, rev, rev, r.lease)
            self.rows.append((rev, r.key, 1, 0, rev, 0, r.lease, r.value))
            self.keys[r.key] = kv
            self.events.append(Event("PUT", kv, None))
            return kv
        if op is Op.UPDATE:
            cur = self._existing(r.key, r.expected)
            self._check_lease(r.lease)
            rev = self.revision = self.revision + 1
            kv = KeyValue(r.key, r.value, cur.create_revision, rev, r.lease)
            self.rows.append((rev, r.key, 0, 0, cur.create_revision, cur.mod_revision, r.lease, r.value))
            self.keys[r.key] = kv
            self.events.append(Event("PUT", kv, cur))
            return kv
        if op is Op.DELETE:
            return self._delete(self._existing(r.key, r.expected))
        if op is Op.GRANT:
            lease_id = secrets.randbits(62) + 1
            while self.lease(lease_id) is not None:
                lease_id = secrets.randbits(62) + 1
            lease = Lease(lease_id, r.ttl, time.time() + r.ttl)
            self.leases[lease_id] = lease
            self.lease_inserts.append((lease_id, lease.ttl, lease.expires_at))
            return lease
        if op is Op.REVOKE or op is Op.EXPIRE:
            held = self.lease(r.lease)
            if held is None:
                if op is Op.EXPIRE:
                    return None
                raise LeaseNotFoundError(r.lease)
            if op is Op.EXPIRE and held.expires_at > time.time() + 0.001:
                return None
            attached = set(self.w.lease_keys.get(held.id, ()))
            attached.update(k for k, kv in self.keys.items() if kv is not None and kv.lease == held.id)
            for key in sorted(attached):
                state = self.current(key)
                if state is not None and state.lease == held.id:
                    self._delete(state)
            self.leases[held.id] = None
            self.lease_deletes.append((held.id,))
            return None
        raise StorageError(f"unknown write operation {op}")

    def _existing(self, key: str, expected: int) -> KeyValue:
        cur = self.current(key)
        if cur is None:
            raise KeyNotFoundError(key)
        if expected and cur.mod_revision != expected:
            raise RevisionMismatchError(cur)
        return cur

    def _check_lease(self, lease_id: int) -> None:
        if lease_id and self.lease(lease_id) is None:
            raise LeaseNotFoundError(lease_id)

    def _delete(self, cur: KeyValue) -> KeyValue:
        rev = self.revision = self.revision + 1
        kv = KeyValue(cur.key, cur.value, cur.create_revision, rev, cur.lease)
        self.rows.append((rev, cur.key, 0, 1, cur.create_revision, cur.mod_revision, cur.lease, cur.value))
        self.keys[cur.key] = None
        self.events.append(Event("DELETE", kv, cur))
        return kv

    def publish(self) -> None:
        """Make the committed group the writer's state."""
        w = self.w
        latest = w.latest
        for key, kv in self.keys.items():
            if kv is None:
                latest.pop(key, None)
            else:
                latest[key] = kv
        lease_keys = w.lease_keys
        for event in self.events:
            prev = event.prev_kv
            if prev is not None and prev.lease:
                attached = lease_keys.get(prev.lease)
                if attached is not None:
                    attached.discard(prev.key)
            if event.type == "PUT" and event.kv.lease:
                lease_keys.setdefault(event.kv.lease, set()).add(event.kv.key)
        for lease_id, lease in self.leases.items():
            if lease is None:
                w.leases.pop(lease_id, None)
                lease_keys.pop(lease_id, None)
            else:
                w.leases[lease_id] = lease
        w.revision = self.revision
