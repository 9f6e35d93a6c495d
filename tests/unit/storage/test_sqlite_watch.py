"""SQLiteStore watches: replay then live, ordering, gap-freeness, overflow, progress."""

from __future__ import annotations

import asyncio
import random

import pytest

from kybernetes.storage.interface import CompactedError, Event, KeyValue, Watch, WatchOverflowError
from kybernetes.storage.sqlite import SQLiteStore
from kybernetes.storage.sqlite_watch import WatchHub


async def collect(watch: Watch, until_revision: int, timeout: float = 5.0) -> list[Event]:
    """Read `watch` until it has yielded everything up to `until_revision`."""
    events: list[Event] = []

    async def run() -> None:
        watch.request_progress()
        async for batch in watch:
            events.extend(batch)
            if watch.revision >= until_revision:
                return
            if not batch:
                watch.request_progress()

    await asyncio.wait_for(run(), timeout)
    return events


def summary(events: list[Event]) -> list[tuple[str, str, int]]:
    return [(e.type, e.kv.key, e.kv.mod_revision) for e in events]


async def test_watch_is_a_watch(store: SQLiteStore) -> None:
    assert isinstance(store.watch("/", start_revision=0), Watch)


async def test_live_events_carry_prev_kv(store: SQLiteStore) -> None:
    watch = store.watch("/w/", start_revision=0)
    created = await store.create("/w/a", b"1")
    updated = await store.update("/w/a", b"2", expected_mod_revision=0)
    await store.create("/other", b"x")
    deleted = await store.delete("/w/a")
    events = await collect(watch, deleted.mod_revision)
    assert events == [
        Event("PUT", created, None),
        Event("PUT", updated, created),
        Event("DELETE", deleted, updated),
    ]
    watch.close()


async def test_replayed_events_equal_live_events(store: SQLiteStore) -> None:
    live = store.watch("/", start_revision=1)
    kv = await store.create("/a", b"1")
    kv = await store.update("/a", b"2", expected_mod_revision=kv.mod_revision, lease=0)
    await store.create("/b", b"1")
    await store.delete("/a")
    await store.create("/a", b"3")
    rev = await store.current_revision()
    live_events = await collect(live, rev)
    replayed = await collect(store.watch("/", start_revision=1), rev)
    assert replayed == live_events
    assert [e.type for e in replayed] == ["PUT", "PUT", "PUT", "DELETE", "PUT"]
    assert replayed[4].prev_kv is None  # a re-creation has no previous state


async def test_resume_from_a_revision(store: SQLiteStore) -> None:
    for i in range(10):
        await store.create(f"/r/{i}", b"x")
    watch = store.watch("/r/", start_revision=6)
    await store.create("/r/10", b"x")
    events = await collect(watch, 11)
    assert [e.kv.mod_revision for e in events] == [6, 7, 8, 9, 10, 11]


async def test_watch_from_a_future_revision_skips_earlier_events(store: SQLiteStore) -> None:
    watch = store.watch("/f/", start_revision=3)
    for i in range(5):
        await store.create(f"/f/{i}", b"x")
    events = await collect(watch, 5)
    assert [e.kv.mod_revision for e in events] == [3, 4, 5]


async def test_replay_spans_several_pages(store: SQLiteStore) -> None:
    await asyncio.gather(*(store.create(f"/big/{i:05d}", b"x") for i in range(2500)))
    watch = store.watch("/big/", start_revision=1)
    events = await collect(watch, 2500)
    assert [e.kv.mod_revision for e in events] == list(range(1, 2501))


async def test_watch_below_compaction_fails(store: SQLiteStore) -> None:
    for i in range(10):
        await store.create(f"/c/{i}", b"x")
    await store.compact(6)
    with pytest.raises(CompactedError):
        await anext(aiter(store.watch("/c/", start_revision=5)))
    events = await collect(store.watch("/c/", start_revision=6), 10)
    assert [e.kv.mod_revision for e in events] == [6, 7, 8, 9, 10]


async def test_compaction_keeps_what_a_watch_from_the_compacted_revision_needs(store: SQLiteStore) -> None:
    kv = await store.create("/k", b"1")
    for i in range(2, 6):
        kv = await store.update("/k", str(i).encode(), expected_mod_revision=kv.mod_revision)
    doomed = await store.create("/gone", b"x")  # rev 6
    await store.delete("/gone")  # rev 7, deleted at the compaction revision
    await store.compact(7)
    events = await collect(store.watch("/", start_revision=7), 7)
    assert summary(events) == [("DELETE", "/gone", 7)]
    assert events[0].prev_kv == doomed
    assert (await store.get("/k", revision=7)) == kv


async def test_many_watchers_see_concurrent_writers_gap_free_and_in_order(store: SQLiteStore) -> None:
    rng = random.Random(7)
    acked: list[tuple[str, str, int]] = []

    async def writer(n: int) -> None:
        live: dict[str, KeyValue] = {}
        for i in range(150):
            key = f"/w/{n}/{rng.randrange(8)}"
            if key not in live:
                live[key] = await store.create(key, f"{n}-{i}".encode())
                acked.append(("PUT", key, live[key].mod_revision))
            elif rng.random() < 0.3:
                deleted = await store.delete(key, expected_mod_revision=live.pop(key).mod_revision)
                acked.append(("DELETE", key, deleted.mod_revision))
            else:
                live[key] = await store.update(key, f"{n}-{i}".encode(), expected_mod_revision=live[key].mod_revision)
                acked.append(("PUT", key, live[key].mod_revision))
            if i % 10 == 0:
                await asyncio.sleep(0)

    prefixes = ["", "/w/", "/w/1/", "/w/2/", "/w/1"]
    watchers: list[tuple[str, int, Watch]] = []
    for i in range(40):
        watchers.append((prefixes[i % len(prefixes)], 1, store.watch(prefixes[i % len(prefixes)], start_revision=1)))

    async def late_watchers() -> None:
        # Watchers that start mid-stream at revisions already written: replay then live.
        for _ in range(20):
            await asyncio.sleep(0.002)
            rev = max(1, await store.current_revision() - rng.randrange(50))
            prefix = rng.choice(prefixes)
            watchers.append((prefix, rev, store.watch(prefix, start_revision=rev)))

    await asyncio.gather(*(writer(n) for n in range(8)), late_watchers())
    final = await store.current_revision()
    acked.sort(key=lambda t: t[2])
    assert [t[2] for t in acked] == list(range(1, final + 1))  # revisions are gap-free too
    results = await asyncio.gather(*(collect(w, final) for _, _, w in watchers))
    for (prefix, start, _), events in zip(watchers, results):
        expected = [t for t in acked if t[1].startswith(prefix) and t[2] >= start]
        assert summary(events) == expected, (prefix, start)


async def test_slow_watcher_is_dropped_without_blocking_writers(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0, watch_queue_limit=20)
    await s.start()
    try:
        slow = s.watch("/", start_revision=0)
        fast = s.watch("/", start_revision=0)
        for i in range(50):
            await s.create(f"/k/{i}", b"x")
            assert len(await anext(fast)) == 1
        with pytest.raises(WatchOverflowError):
            async for _ in slow:
                pass
    finally:
        await s.close()


async def test_progress_notification_reports_revisions_of_other_prefixes(store: SQLiteStore) -> None:
    watch = store.watch("/quiet/", start_revision=0)
    await store.create("/noisy/1", b"x")
    watch.request_progress()
    assert await asyncio.wait_for(anext(watch), 1) == []
    assert watch.revision == 1
    watch.request_progress()  # nothing new yet: answered with the next commit
    waiting = asyncio.ensure_future(anext(watch))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await store.create("/noisy/2", b"x")
    assert await asyncio.wait_for(waiting, 1) == []
    assert watch.revision == 2


async def test_close_ends_iteration(store: SQLiteStore) -> None:
    watch = store.watch("/", start_revision=0)
    reader = asyncio.ensure_future(anext(watch))
    await asyncio.sleep(0)
    watch.close()
    with pytest.raises(StopAsyncIteration):
        await reader
    watch.close()


async def test_store_close_ends_watches(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    watch = s.watch("/", start_revision=0)
    reader = asyncio.ensure_future(anext(watch))
    await asyncio.sleep(0)
    await s.close()
    with pytest.raises(StopAsyncIteration):
        await reader


def test_hub_matches_batches_to_prefixes_like_a_scan():
    """The hub's per-prefix batches equal a scan of every watched prefix over the batch: "/"-ended prefixes
    (resource and namespace collections), the empty prefix, single keys and prefixes ending mid-segment."""
    rng = random.Random(7)
    keys = [f"/registry/{r}/{ns}/{n}" for r in ("pods", "leases", "apps/deployments") for ns in ("a", "b", "ab")
            for n in ("x", "y", "xy")] + ["/registry/nodes/n1", "/other"]
    prefixes = ["", "/", "/registry/", "/registry/pods/", "/registry/pods/a/", "/registry/pods/a", "/registry/apps/",
                "/registry/apps/deployments/ab/", "/registry/leases/b/xy", "/registry/nodes/n1", "/registry/nodes/",
                "/registry/po", "/nothing/"]
    hub = WatchHub(0, None, queue_limit=1000)  # type: ignore[arg-type]
    for p in prefixes:
        hub.subscribe(p, 0)
    for _ in range(200):
        batch = [Event("PUT", KeyValue(rng.choice(keys), b"", 1, 1), None) for _ in range(rng.randint(1, 6))]
        want = {p: [e for e in batch if e.kv.key.startswith(p)] for p in prefixes}
        want = {p: m for p, m in want.items() if m}
        assert hub._match(batch) == want
