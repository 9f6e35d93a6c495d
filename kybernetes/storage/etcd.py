"""The external store: the `Store` contract served by a real etcd v3 cluster over gRPC.

etcd is the store the interface was shaped on, so the mapping is nearly one to one:

- Keys are `prefix + key` encoded as UTF-8 (byte order equals code point order, so ranges agree with
  `prefix_end`); values are opaque bytes. A store-wide `prefix` lets several stores share one cluster.
- Conditional writes are single etcd transactions: create compares `create_revision == 0`; update and
  delete compare `mod_revision == expected` and, on failure, read the key in the same transaction so
  `RevisionMismatchError` carries the state that won.
- A `Watch` owns one gRPC watch stream with `prev_kv`; a start revision below etcd's compaction ends it
  with `CompactedError`. `request_progress` sends etcd's progress request, answered with an empty batch
  at the cluster's current revision (see `EtcdWatch._progress_answer` for etcd 3.4's ordering caveat).
  A "from now" watch starts after the newest revision this store has seen in any response.
- Leases are etcd leases; etcd itself expires them and deletes the attached keys.

The gRPC stubs come from the `aetcd` package (its generated etcdserverpb code); the rest of `aetcd` is
not used because its watcher cannot request progress. etcd never reports its compacted revision
directly, so `start` finds it by bisecting reads, and the store keeps it up to date from its own
compactions and from the errors it sees.

Differences from the embedded store: an empty etcd is at revision 1, not 0; revisions are shared by
every client of the cluster; and etcd 3.4 (3.4.23 included) answers a progress request out of band,
possibly ahead of events not yet sent to the watch (etcd issue 15220). The store confirms such answers
while a watch may still be replaying history (costing ~150 ms once per watch); a live watch can still,
rarely, see an answer overtake an event committed concurrently with the request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

from .interface import (
    CompactedError,
    Event,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    LeaseNotFoundError,
    RangeResult,
    RevisionMismatchError,
    StorageError,
)

__all__ = ["EtcdStore", "EtcdWatch"]

log = logging.getLogger(__name__)

DEFAULT_ENDPOINTS = ("127.0.0.1:2379",)
#: Pause before re-asking for progress on a watch that may still be replaying (etcd syncs every 100 ms).
CONFIRM_DELAY = 0.15


def _rpc() -> Any:
    """The generated etcd gRPC module (imported lazily so the package imports without `aetcd`)."""
    try:
        from aetcd import rpc
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise StorageError("the etcd store needs the 'aetcd' package (pip install aetcd)") from e
    return rpc


def _target(endpoints: Iterable[str]) -> str:
    """A gRPC target for the endpoints: a multi-address `ipv4:` target when every endpoint is an
    IPv4 literal, otherwise the first endpoint. Schemes (`http://`) are dropped."""
    cleaned = [e.split("://", 1)[-1].rstrip("/") for e in endpoints]
    if not cleaned:
        raise StorageError("no etcd endpoints given")
    if len(cleaned) == 1:
        return cleaned[0]
    try:
        for e in cleaned:
            ipaddress.IPv4Address(e.rsplit(":", 1)[0])
    except ValueError:
        return cleaned[0]
    return "ipv4:" + ",".join(cleaned)


def _bytes_prefix_end(prefix: bytes) -> bytes:
    """etcd's range end for every key starting with `prefix` (b"\\0" = to the end of the key space)."""
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return b"\0"


class EtcdStore:
    """A `Store` on the etcd cluster at `endpoints` ("host:port"), with every key stored under `prefix`."""

    def __init__(self, endpoints: list[str] | None = None, *, prefix: str = "", timeout: float = 30.0) -> None:
        self.endpoints = list(endpoints or DEFAULT_ENDPOINTS)
        self.prefix = prefix
        self._prefix_bytes = prefix.encode()
        self._timeout = timeout
        self._rpc: Any = None
        self._channel: Any = None
        self._kv: Any = None
        self._lease: Any = None
        self._watch_stub: Any = None
        self._compacted = 0
        self._seen = 0  # the highest revision any response has shown (where "from now" watches start)
        self._watches: set[EtcdWatch] = set()
        self._started = False
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, check the cluster answers, and learn its compacted revision."""
        if self._started:
            raise StorageError("store already started")
        self._started = True
        rpc = self._rpc = _rpc()
        self._channel = rpc.insecure_channel(_target(self.endpoints))
        self._kv = rpc.KVStub(self._channel)
        self._lease = rpc.LeaseStub(self._channel)
        self._watch_stub = rpc.WatchStub(self._channel)
        current = await self.current_revision()
        self._compacted = await self._find_compacted(current)

    async def close(self) -> None:
        """End every watch and close the connection."""
        if self._closed:
            return
        self._closed = True
        for watch in list(self._watches):
            watch.close()
        if self._channel is not None:
            await self._channel.close()

    # -- reads ----------------------------------------------------------------------------------

    async def current_revision(self) -> int:
        """The cluster's current revision (1 for an empty etcd)."""
        resp = await self._call(self._open().Range, self._rpc.RangeRequest(key=b"\0", count_only=True))
        return int(resp.header.revision)

    @property
    def compacted_revision(self) -> int:
        """The compacted revision as last learned (at start, by `compact`, or from an error)."""
        return self._compacted

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The key at `revision` (0: now), or None."""
        req = self._rpc_or_fail().RangeRequest(key=self._full(key), revision=max(revision, 0))
        resp = await self._call(self._open().Range, req, revision=revision)
        return self._kv_of(resp.kvs[0]) if resp.kvs else None

    async def range(
        self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0, count_only: bool = False
    ) -> RangeResult:
        """Keys under `prefix` from `start_key`, sorted by key, at `revision` (0: now); see `Store.range`."""
        full_prefix = self._full(prefix)
        lo = max(full_prefix, self._full(start_key)) if start_key else full_prefix
        req = self._rpc_or_fail().RangeRequest(
            key=lo or b"\0",
            range_end=_bytes_prefix_end(full_prefix),
            limit=max(limit, 0),
            revision=max(revision, 0),
            count_only=count_only,
        )
        resp = await self._call(self._open().Range, req, revision=revision)
        kvs = [] if count_only else [self._kv_of(kv) for kv in resp.kvs]
        more = bool(resp.more) and not count_only
        return RangeResult(kvs, revision or int(resp.header.revision), more, int(resp.count))

    # -- writes ---------------------------------------------------------------------------------

    async def create(self, key: str, value: bytes, *, lease: int = 0) -> KeyValue:
        """Create `key` (transaction: create_revision == 0); `KeyExistsError` if present."""
        rpc = self._rpc_or_fail()
        full = self._full(key)
        txn = rpc.TxnRequest(
            compare=[rpc.Compare(key=full, target=rpc.Compare.CREATE, result=rpc.Compare.EQUAL, create_revision=0)],
            success=[rpc.RequestOp(request_put=rpc.PutRequest(key=full, value=bytes(value), lease=lease))],
        )
        resp = await self._call(self._open().Txn, txn, lease=lease)
        if not resp.succeeded:
            raise KeyExistsError(key)
        rev = int(resp.header.revision)
        return KeyValue(key, bytes(value), rev, rev, lease)

    async def update(self, key: str, value: bytes, *, expected_mod_revision: int, lease: int = 0) -> KeyValue:
        """Replace `key` if its mod revision matches (0: whenever it exists); see `Store.update`."""
        rpc = self._rpc_or_fail()
        full = self._full(key)
        put = rpc.RequestOp(request_put=rpc.PutRequest(key=full, value=bytes(value), lease=lease, prev_kv=True))
        resp = await self._call(self._open().Txn, self._guarded(full, expected_mod_revision, put), lease=lease)
        if not resp.succeeded:
            self._raise_failed(key, resp)
        prev = resp.responses[0].response_put.prev_kv
        rev = int(resp.header.revision)
        return KeyValue(key, bytes(value), int(prev.create_revision), rev, lease)

    async def delete(self, key: str, *, expected_mod_revision: int = 0) -> KeyValue:
        """Delete `key` if its mod revision matches (0: whenever it exists); returns the last state with
        the deletion revision as `mod_revision`. See `Store.delete`."""
        rpc = self._rpc_or_fail()
        full = self._full(key)
        op = rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=full, prev_kv=True))
        resp = await self._call(self._open().Txn, self._guarded(full, expected_mod_revision, op))
        if not resp.succeeded:
            self._raise_failed(key, resp)
        deleted = resp.responses[0].response_delete_range
        if not deleted.prev_kvs:  # deleted by someone else between compare and apply: impossible in one txn
            raise KeyNotFoundError(key)
        prev = deleted.prev_kvs[0]
        return KeyValue(key, bytes(prev.value), int(prev.create_revision), int(resp.header.revision), int(prev.lease))

    def _guarded(self, full: bytes, expected: int, op: Any) -> Any:
        """A transaction running `op` if the key exists (and has mod revision `expected` when > 0),
        otherwise reading the key."""
        rpc = self._rpc
        if expected > 0:
            cmp = rpc.Compare(key=full, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL, mod_revision=expected)
        else:
            cmp = rpc.Compare(key=full, target=rpc.Compare.CREATE, result=rpc.Compare.GREATER, create_revision=0)
        read = rpc.RequestOp(request_range=rpc.RangeRequest(key=full))
        return rpc.TxnRequest(compare=[cmp], success=[op], failure=[read])

    def _raise_failed(self, key: str, resp: Any) -> None:
        kvs = resp.responses[0].response_range.kvs
        if not kvs:
            raise KeyNotFoundError(key)
        raise RevisionMismatchError(self._kv_of(kvs[0]))

    # -- leases ---------------------------------------------------------------------------------

    async def grant_lease(self, ttl_seconds: int) -> int:
        """A new etcd lease of `ttl_seconds` (at least 1); etcd deletes its keys when it expires."""
        req = self._rpc_or_fail().LeaseGrantRequest(TTL=max(int(ttl_seconds), 1), ID=0)
        resp = await self._call(self._open_lease().LeaseGrant, req)
        if resp.error:
            raise StorageError(resp.error)
        return int(resp.ID)

    async def revoke_lease(self, lease_id: int) -> None:
        """Revoke the lease and delete its keys now; `LeaseNotFoundError` if unknown."""
        req = self._rpc_or_fail().LeaseRevokeRequest(ID=lease_id)
        await self._call(self._open_lease().LeaseRevoke, req, lease=lease_id)

    # -- watch ----------------------------------------------------------------------------------

    def watch(self, prefix: str, *, start_revision: int) -> EtcdWatch:
        """Events under `prefix` with revision >= `start_revision`; see `EtcdWatch`.

        "From now" (<= 0) means after the newest revision this store has seen, so every write this
        store made or observed before the call is excluded and every later one included.
        """
        self._open()
        full = self._full(prefix)
        start = start_revision if start_revision > 0 else self._seen + 1
        watch = EtcdWatch(self, full or b"\0", _bytes_prefix_end(full), start)
        self._watches.add(watch)
        return watch

    # -- compaction -----------------------------------------------------------------------------

    async def compact(self, revision: int) -> None:
        """Compact etcd's history below `revision`; `CompactedError` if already compacted that far,
        `FutureRevisionError` beyond the current revision."""
        if revision <= self._compacted:
            raise CompactedError(self._compacted)
        req = self._rpc_or_fail().CompactionRequest(revision=revision, physical=False)
        await self._call(self._open().Compact, req, revision=revision, compacting=True)
        self._compacted = max(self._compacted, revision)

    async def _find_compacted(self, current: int) -> int:
        """Bisect for the oldest readable revision (0 when revision 1 is still readable)."""

        async def readable(rev: int) -> bool:
            try:
                await self._open().Range(self._rpc.RangeRequest(key=b"\0", count_only=True, revision=rev))
            except self._rpc.AioRpcError as e:
                if "compacted" in (e.details() or ""):
                    return False
                raise self._error(e) from None
            return True

        if current <= 1 or await readable(1):
            return 0
        lo, hi = 2, current  # the current revision is always readable
        while lo < hi:
            mid = (lo + hi) // 2
            if await readable(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    # -- plumbing -------------------------------------------------------------------------------

    def _full(self, key: str) -> bytes:
        return self._prefix_bytes + key.encode()

    def _kv_of(self, kv: Any) -> KeyValue:
        key = bytes(kv.key)[len(self._prefix_bytes) :].decode()
        return KeyValue(key, bytes(kv.value), int(kv.create_revision), int(kv.mod_revision), int(kv.lease))

    def _rpc_or_fail(self) -> Any:
        self._open()
        return self._rpc

    def _open(self) -> Any:
        if self._closed:
            raise StorageError("store is closed")
        if self._kv is None:
            raise StorageError("store is not started")
        return self._kv

    def _open_lease(self) -> Any:
        self._open()
        return self._lease

    async def _call(
        self, method: Any, request: Any, *, revision: int = 0, lease: int = 0, compacting: bool = False
    ) -> Any:
        """Run one unary RPC, turning gRPC errors into the storage sentinels."""
        try:
            resp = await method(request, timeout=self._timeout)
        except self._rpc.AioRpcError as e:
            details = e.details() or ""
            if "required revision has been compacted" in details:
                if not compacting:
                    self._compacted = max(self._compacted, revision + 1)
                raise CompactedError(self._compacted) from None
            if "future revision" in details:
                current = 0
                try:
                    current = await self.current_revision()
                except StorageError:
                    pass
                raise FutureRevisionError(revision, current) from None
            if "lease not found" in details:
                raise LeaseNotFoundError(lease) from None
            raise self._error(e) from None
        header = getattr(resp, "header", None)
        if header is not None and header.revision > self._seen:
            self._seen = int(header.revision)
        return resp

    def _error(self, e: Any) -> StorageError:
        return StorageError(f"etcd: {e.code().name}: {e.details()}")


class EtcdWatch:
    """One etcd watch stream over `[key, range_end)` (see `Watch`).

    The stream opens on first iteration. Event batches are etcd's watch responses; `revision` is the
    revision of the last event yielded, or the header revision of a progress answer (an empty batch).
    """

    def __init__(self, store: EtcdStore, key: bytes, range_end: bytes, start_revision: int) -> None:
        self._store = store
        self._key = key
        self._range_end = range_end
        self._start = start_revision
        self.revision = start_revision - 1
        self._call: Any = None
        self._progress_wanted = False
        self._synced = False  # known to have sent all history up to its creation (see _progress_answer)
        self._confirming: int | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self._closed = False
        self._failed: StorageError | None = None

    def __aiter__(self) -> EtcdWatch:
        return self

    async def __anext__(self) -> list[Event]:
        """The next event batch (or [] answering `request_progress`)."""
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise StopAsyncIteration
        rpc = self._store._rpc
        try:
            if self._call is None:
                await self._open()
            while True:
                resp = await self._call.read()
                if self._closed:
                    raise StopAsyncIteration
                if resp is _eof():
                    raise self._fail(StorageError("etcd ended the watch stream"))
                if resp.compact_revision:
                    store = self._store
                    store._compacted = max(store._compacted, int(resp.compact_revision))
                    raise self._fail(CompactedError(int(resp.compact_revision)))
                if resp.canceled:
                    raise self._fail(StorageError(f"etcd canceled the watch: {resp.cancel_reason}"))
                if resp.created:
                    self._synced = self._start > int(resp.header.revision)
                    continue
                if resp.events:
                    batch = [self._event(ev) for ev in resp.events]
                    self.revision = max(self.revision, batch[-1].revision)
                    return batch
                answered = self._progress_answer(int(resp.header.revision))
                if answered is not None:
                    self.revision = max(self.revision, answered)
                    return []
        except rpc.AioRpcError as e:
            if self._closed:
                raise StopAsyncIteration from None
            raise self._fail(self._store._error(e)) from None
        except asyncio.CancelledError:
            if self._closed:  # close() cancelled the call under a pending read
                raise StopAsyncIteration from None
            raise

    def _progress_answer(self, rev: int) -> int | None:
        """The revision a progress answer at `rev` proves, or None while it still needs confirming.

        etcd 3.4 answers progress requests out of band, possibly before a watcher that is still
        replaying history has sent it (etcd syncs such watchers every 100 ms). Until the watch is known
        to be live, an answer is confirmed by a second request sent after that sync period; the first
        answer's revision then holds.
        """
        if self._synced or rev <= self.revision:
            return rev
        if self._confirming is None:
            self._confirming = rev
            self._send(self._progress_request(), delay=CONFIRM_DELAY)
            return None
        proved, self._confirming = self._confirming, None
        self._synced = True
        return proved

    def _progress_request(self) -> Any:
        rpc = self._store._rpc
        return rpc.WatchRequest(progress_request=rpc.WatchProgressRequest())

    def request_progress(self) -> None:
        """Ask etcd for a progress answer (an empty batch at its current revision)."""
        if self._closed:
            return
        if self._call is None:
            self._progress_wanted = True
            return
        self._send(self._progress_request())

    def close(self) -> None:
        """Cancel the stream; a pending iteration ends with StopAsyncIteration. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._store._watches.discard(self)
        if self._call is not None:
            self._call.cancel()

    async def _open(self) -> None:
        rpc = self._store._rpc
        self._call = self._store._watch_stub.Watch()
        create = rpc.WatchCreateRequest(
            key=self._key, range_end=self._range_end, start_revision=self._start, prev_kv=True
        )
        await self._call.write(rpc.WatchRequest(create_request=create))
        if self._progress_wanted:
            self._progress_wanted = False
            await self._call.write(rpc.WatchRequest(progress_request=rpc.WatchProgressRequest()))

    def _send(self, request: Any, *, delay: float = 0.0) -> None:
        async def write() -> None:
            try:
                if delay:
                    await asyncio.sleep(delay)
                if self._closed:
                    return
                await self._call.write(request)
            except Exception:  # the stream is gone; the reader reports why
                log.debug("watch request not sent", exc_info=True)

        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def _fail(self, error: StorageError) -> StorageError:
        self._failed = error
        if self._call is not None:
            self._call.cancel()
        self._closed = True
        self._store._watches.discard(self)
        return error

    def _event(self, ev: Any) -> Event:
        store = self._store
        prev = store._kv_of(ev.prev_kv) if ev.HasField("prev_kv") else None
        if ev.type == 1:  # DELETE
            rev = int(ev.kv.mod_revision)
            key = bytes(ev.kv.key)[len(store._prefix_bytes) :].decode()
            if prev is None:
                return Event("DELETE", KeyValue(key, b"", 0, rev, 0), None)
            return Event("DELETE", KeyValue(key, prev.value, prev.create_revision, rev, prev.lease), prev)
        return Event("PUT", store._kv_of(ev.kv), prev)


def _eof() -> Any:
    import grpc.aio

    return grpc.aio.EOF
