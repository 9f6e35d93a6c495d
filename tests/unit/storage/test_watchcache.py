"""WatchCache: listing, applying events, watch from N, TooOldError, consistent reads, relisting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from kybernetes.storage.interface import KeyValue, StorageError
from kybernetes.storage.sqlite import SQLiteStore
from kybernetes.storage.watchcache import CacheEvent, CacheWatcher, TooOldError, WatchCache

Obj = dict[str, Any]


def decode(kv: KeyValue) -> Obj:
    obj = orjson.loads(kv.value)
    obj["rv"] = kv.mod_revision
    return obj


def value(name: str, n: int = 0) -> bytes:
    return orjson.dumps({"name": name, "n": n})


async def take(watcher: CacheWatcher[Obj], count: int, timeout: float = 2.0) -> list[CacheEvent[Obj]]:
    async def run() -> list[CacheEvent[Obj]]:
        return [await anext(watcher) for _ in range(count)]

    return await asyncio.wait_for(run(), timeout)


def brief(events: list[CacheEvent[Obj]]) -> list[tuple[str, str, int]]:
    return [(e.type, e.key, e.revision) for e in events]


@pytest.fixture
async def cache(store: SQLiteStore) -> AsyncIterator[WatchCache[Obj]]:
    await store.create("/pods/b", value("b"))
    await store.create("/pods/a", value("a"))
    await store.create("/nodes/x", value("x"))
    c: WatchCache[Obj] = WatchCache(store, "/pods/", decode=decode, capacity=5, max_capacity=5)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


async def test_start_lists_current_objects(cache: WatchCache[Obj]) -> None:
    assert cache.revision == 3
    assert [o.key for o in cache.items()] == ["/pods/a", "/pods/b"]
    got = cache.get("/pods/b")
    assert got is not None and got.obj == {"name": "b", "n": 0, "rv": 1} and got.kv.mod_revision == 1
    assert cache.get("/nodes/x") is None
    assert len(cache) == 2


async def test_events_are_applied_and_broadcast(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    watcher = cache.watch(cache.revision)
    kv = await store.create("/pods/c", value("c"))
    await store.update("/pods/c", value("c", 1), expected_mod_revision=kv.mod_revision)
    await store.delete("/pods/a")
    await store.create("/nodes/y", value("y"))
    events = await take(watcher, 3)
    assert brief(events) == [("ADDED", "/pods/c", 4), ("MODIFIED", "/pods/c", 5), ("DELETED", "/pods/a", 6)]
    assert events[1].prev_obj == {"name": "c", "n": 0, "rv": 4}
    assert events[1].obj == {"name": "c", "n": 1, "rv": 5}
    # The deleted object is its last state, stamped with the deletion revision.
    assert events[2].obj == {"name": "a", "n": 0, "rv": 6}
    assert events[2].prev_obj == {"name": "a", "n": 0, "rv": 2}
    await cache.wait_for_revision(7, timeout=1)
    assert [o.key for o in cache.items()] == ["/pods/b", "/pods/c"]
    assert cache.get("/pods/c").obj["n"] == 1  # type: ignore[union-attr]


async def test_watchers_share_event_objects(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    watchers = [cache.watch(cache.revision) for _ in range(50)]
    await store.create("/pods/z", value("z"))
    firsts = [(await take(w, 1))[0] for w in watchers]
    assert all(e is firsts[0] for e in firsts)


async def test_watch_from_n_replays_events_after_n(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    for name in ["c", "d", "e"]:
        await store.create(f"/pods/{name}", value(name))  # revs 4, 5, 6
    await cache.wait_for_revision(6, timeout=1)
    watcher = cache.watch(4)
    await store.create("/pods/f", value("f"))  # rev 7
    assert brief(await take(watcher, 3)) == [("ADDED", "/pods/d", 5), ("ADDED", "/pods/e", 6), ("ADDED", "/pods/f", 7)]


async def test_watch_from_list_revision_is_served(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    watcher = cache.watch(3)  # the revision the cache listed at: nothing missed
    await store.create("/pods/c", value("c"))
    assert brief(await take(watcher, 1)) == [("ADDED", "/pods/c", 4)]
    with pytest.raises(TooOldError) as err:
        cache.watch(2)
    assert (err.value.oldest_available, err.value.requested) == (3, 2)
    assert str(err.value) == "too old resource version: 2 (3)"


async def test_too_old_once_the_ring_has_moved_on(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    for i in range(8):
        await store.create(f"/pods/n{i}", value(str(i)))  # revs 4..11; the ring (5) keeps 7..11
    await cache.wait_for_revision(11, timeout=1)
    assert cache.oldest_available == 6
    with pytest.raises(TooOldError) as err:
        cache.watch(5)
    assert err.value.oldest_available == 6
    watcher = cache.watch(6)
    assert [e.revision for e in await take(watcher, 5)] == [7, 8, 9, 10, 11]


async def test_watch_from_a_revision_ahead_of_the_cache(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    watcher = cache.watch(5)  # the cache is at 3
    for name in ["c", "d", "e"]:
        await store.create(f"/pods/{name}", value(name))  # revs 4, 5, 6
    assert brief(await take(watcher, 1)) == [("ADDED", "/pods/e", 6)]


async def test_watch_with_key_prefix(store: SQLiteStore, cache: WatchCache[Obj]) -> None:
    watcher = cache.watch(cache.revision, prefix="/pods/ns1/")
    await store.create("/pods/ns2/a", value("a"))
    await store.create("/pods/ns1/a", value("a"))
    assert brief(await take(watcher, 1)) == [("ADDED", "/pods/ns1/a", 5)]
    await cache.wait_for_revision(5, timeout=1)
    assert [o.key for o in cache.items("/pods/ns2/")] == ["/pods/ns2/a"]


async def test_wait_for_revision_follows_writes_under_other_prefixes(
    store: SQLiteStore, cache: WatchCache[Obj]
) -> None:
    await store.create("/nodes/y", value("y"))
    await store.create("/nodes/z", value("z"))
    await cache.wait_for_revision(await store.current_revision(), timeout=1)
    assert cache.revision == 5

    waiting = asyncio.ensure_future(cache.wait_for_revision(6, timeout=2))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await store.create("/nodes/w", value("w"))
    await waiting
    with pytest.raises(TimeoutError):
        await cache.wait_for_revision(100, timeout=0.1)


async def test_slow_watcher_is_terminated_with_too_old(store: SQLiteStore) -> None:
    c: WatchCache[Obj] = WatchCache(store, "/s/", decode=decode, capacity=100, watcher_queue=10)
    await c.start()
    try:
        slow = c.watch(c.revision)
        fast = c.watch(c.revision)
        for i in range(30):
            await store.create(f"/s/{i}", value(str(i)))
            await take(fast, 1)
        with pytest.raises(TooOldError):
            await anext(slow)
        assert c.watcher_count == 1
    finally:
        await c.stop()


async def test_close_ends_iteration(cache: WatchCache[Obj]) -> None:
    watcher = cache.watch(cache.revision)
    reader = asyncio.ensure_future(anext(watcher))
    await asyncio.sleep(0)
    watcher.close()
    with pytest.raises(StopAsyncIteration):
        await reader
    assert cache.watcher_count == 0


async def test_relists_when_the_store_watch_fails(db_path: str) -> None:
    store = SQLiteStore(db_path, compact_interval=0, watch_queue_limit=5)
    await store.start()
    c: WatchCache[Obj] = WatchCache(store, "/x/", decode=decode)
    try:
        await store.create("/x/old", value("old"))
        await c.start()
        watcher = c.watch(c.revision)
        # One batch of 50 events overflows the cache's store watch (limit 5): the cache lists again.
        await asyncio.gather(*(store.create(f"/x/{i:02d}", value(str(i))) for i in range(50)))
        await store.delete("/x/old")
        await c.wait_for_revision(await store.current_revision(), timeout=2)
        assert [o.key for o in c.items()] == [f"/x/{i:02d}" for i in range(50)]
        with pytest.raises(TooOldError):
            while True:
                await asyncio.wait_for(anext(watcher), 1)
        # It keeps following the store afterwards.
        fresh = c.watch(c.revision)
        await store.create("/x/new", value("new"))
        assert brief(await take(fresh, 1))[0][:2] == ("ADDED", "/x/new")
    finally:
        await c.stop()
        await store.close()


async def test_stop_fails_pending_waits_and_ends_watchers(store: SQLiteStore) -> None:
    c: WatchCache[Obj] = WatchCache(store, "/y/", decode=decode)
    await c.start()
    watcher = c.watch(c.revision)
    waiting = asyncio.ensure_future(c.wait_for_revision(50, timeout=5))
    await asyncio.sleep(0)
    await c.stop()
    with pytest.raises(StorageError):
        await waiting
    with pytest.raises(StopAsyncIteration):
        await anext(watcher)


async def test_ring_grows_while_its_events_are_fresh(store: SQLiteStore) -> None:
    now = [1000.0]
    c: WatchCache[Obj] = WatchCache(store, "/g/", decode=decode, capacity=4, max_capacity=16, fresh_seconds=10,
                                    clock=lambda: now[0])
    await c.start()
    try:
        start = c.revision
        for i in range(12):  # all within the fresh window: nothing may be dropped
            await store.create(f"/g/{i}", value(str(i)))
        await c.wait_for_revision(start + 12, timeout=2)
        assert c.capacity == 16
        assert len(await take(c.watch(start), 12)) == 12
        now[0] += 60  # old events are no longer fresh: a full ring drops them instead of growing
        for i in range(12, 20):
            await store.create(f"/g/{i}", value(str(i)))
        await c.wait_for_revision(start + 20, timeout=2)
        assert c.capacity == 16
        with pytest.raises(TooOldError):
            c.watch(start)
    finally:
        await c.stop()
