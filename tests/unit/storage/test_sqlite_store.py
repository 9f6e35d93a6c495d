"""SQLiteStore: CRUD, conditions, ranges, historical reads, restart."""

from __future__ import annotations

import asyncio

import pytest

from kybernetes.storage.interface import (
    CompactedError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RevisionMismatchError,
    StorageError,
    prefix_end,
)
from kybernetes.storage.sqlite import SQLiteStore


async def test_empty_store_starts_at_revision_zero(store: SQLiteStore) -> None:
    assert await store.current_revision() == 0
    assert store.compacted_revision == 0
    assert await store.get("/nothing") is None
    result = await store.range("/")
    assert (result.kvs, result.revision, result.more, result.count) == ([], 0, False, 0)


async def test_create_assigns_consecutive_revisions(store: SQLiteStore) -> None:
    a = await store.create("/r/a", b'{"a":1}')
    b = await store.create("/r/b", b'{"b":1}')
    assert a == KeyValue("/r/a", b'{"a":1}', 1, 1, 0)
    assert b == KeyValue("/r/b", b'{"b":1}', 2, 2, 0)
    assert await store.current_revision() == 2
    assert await store.get("/r/a") == a


async def test_create_existing_key_fails(store: SQLiteStore) -> None:
    await store.create("/k", b"1")
    with pytest.raises(KeyExistsError):
        await store.create("/k", b"2")
    assert (await store.get("/k")).value == b"1"  # type: ignore[union-attr]
    assert await store.current_revision() == 1


async def test_update_keeps_create_revision_and_bumps_mod_revision(store: SQLiteStore) -> None:
    first = await store.create("/k", b"1")
    second = await store.update("/k", b"2", expected_mod_revision=first.mod_revision)
    assert second == KeyValue("/k", b"2", 1, 2, 0)
    third = await store.update("/k", b"3", expected_mod_revision=0)  # unconditional
    assert third.mod_revision == 3 and third.create_revision == 1


async def test_update_with_stale_revision_reports_current(store: SQLiteStore) -> None:
    first = await store.create("/k", b"1")
    current = await store.update("/k", b"2", expected_mod_revision=first.mod_revision)
    with pytest.raises(RevisionMismatchError) as err:
        await store.update("/k", b"3", expected_mod_revision=first.mod_revision)
    assert err.value.current == current
    assert await store.get("/k") == current


async def test_update_missing_key_fails(store: SQLiteStore) -> None:
    with pytest.raises(KeyNotFoundError):
        await store.update("/missing", b"x", expected_mod_revision=0)


async def test_delete_returns_last_value_at_deletion_revision(store: SQLiteStore) -> None:
    kv = await store.create("/k", b"v")
    deleted = await store.delete("/k")
    assert deleted == KeyValue("/k", b"v", kv.create_revision, 2, 0)
    assert await store.get("/k") is None
    with pytest.raises(KeyNotFoundError):
        await store.delete("/k")


async def test_conditional_delete(store: SQLiteStore) -> None:
    kv = await store.create("/k", b"v")
    updated = await store.update("/k", b"w", expected_mod_revision=kv.mod_revision)
    with pytest.raises(RevisionMismatchError) as err:
        await store.delete("/k", expected_mod_revision=kv.mod_revision)
    assert err.value.current == updated
    await store.delete("/k", expected_mod_revision=updated.mod_revision)
    assert await store.get("/k") is None


async def test_recreate_after_delete_gets_new_create_revision(store: SQLiteStore) -> None:
    await store.create("/k", b"1")
    await store.delete("/k")
    again = await store.create("/k", b"2")
    assert again.create_revision == again.mod_revision == 3


async def test_concurrent_conditional_updates_exactly_one_wins(store: SQLiteStore) -> None:
    kv = await store.create("/k", b"0")
    results = await asyncio.gather(
        *(store.update("/k", str(i).encode(), expected_mod_revision=kv.mod_revision) for i in range(50)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    losers = [r for r in results if isinstance(r, RevisionMismatchError)]
    assert len(winners) == 1 and len(losers) == 49
    assert all(loser.current == winners[0] for loser in losers)


async def test_concurrent_creates_of_one_key_exactly_one_wins(store: SQLiteStore) -> None:
    results = await asyncio.gather(*(store.create("/k", b"x") for _ in range(20)), return_exceptions=True)
    assert sum(isinstance(r, KeyValue) for r in results) == 1
    assert sum(isinstance(r, KeyExistsError) for r in results) == 19


async def _fill(store: SQLiteStore) -> None:
    for name in ["/a/1", "/a/2", "/a/3", "/a/4", "/ab/1", "/b/1"]:
        await store.create(name, name.encode())


@pytest.mark.parametrize(
    ("prefix", "start_key", "limit", "keys", "more", "count"),
    [
        pytest.param("/a/", "", 0, ["/a/1", "/a/2", "/a/3", "/a/4"], False, 4, id="prefix"),
        pytest.param("/a", "", 0, ["/a/1", "/a/2", "/a/3", "/a/4", "/ab/1"], False, 5, id="prefix-without-slash"),
        pytest.param("/a/", "", 2, ["/a/1", "/a/2"], True, 4, id="limit"),
        pytest.param("/a/", "/a/3", 0, ["/a/3", "/a/4"], False, 2, id="start-key"),
        pytest.param("/a/", "/a/2", 1, ["/a/2"], True, 3, id="start-key-and-limit"),
        pytest.param("/a/", "/a/4\x00", 0, [], False, 0, id="start-key-past-end"),
        pytest.param("/a/", "/", 0, ["/a/1", "/a/2", "/a/3", "/a/4"], False, 4, id="start-key-before-prefix"),
        pytest.param("", "", 0, ["/a/1", "/a/2", "/a/3", "/a/4", "/ab/1", "/b/1"], False, 6, id="everything"),
        pytest.param("/c/", "", 0, [], False, 0, id="no-match"),
        pytest.param("/a/", "", 4, ["/a/1", "/a/2", "/a/3", "/a/4"], False, 4, id="limit-equals-count"),
    ],
)
async def test_range(
    store: SQLiteStore, prefix: str, start_key: str, limit: int, keys: list[str], more: bool, count: int
) -> None:
    await _fill(store)
    result = await store.range(prefix, start_key=start_key, limit=limit)
    assert [kv.key for kv in result.kvs] == keys
    assert [kv.value for kv in result.kvs] == [k.encode() for k in keys]
    assert (result.more, result.count, result.revision) == (more, count, 6)
    counted = await store.range(prefix, start_key=start_key, count_only=True)
    assert counted.kvs == [] and counted.count == count


async def test_paging_through_a_range(store: SQLiteStore) -> None:
    for i in range(25):
        await store.create(f"/p/{i:03d}", b"x")
    seen: list[str] = []
    start = ""
    rev = 0
    while True:
        page = await store.range("/p/", start_key=start, limit=10, revision=rev)
        rev = page.revision
        seen += [kv.key for kv in page.kvs]
        await store.create(f"/p/{len(seen):03d}x", b"late")  # later writes do not leak into the pages
        if not page.more:
            break
        start = page.kvs[-1].key + "\x00"
    assert seen == [f"/p/{i:03d}" for i in range(25)]


async def test_historical_reads(store: SQLiteStore) -> None:
    a1 = await store.create("/h/a", b"1")  # rev 1
    await store.create("/h/b", b"1")  # rev 2
    a2 = await store.update("/h/a", b"2", expected_mod_revision=0)  # rev 3
    await store.delete("/h/b")  # rev 4
    await store.create("/h/c", b"1")  # rev 5
    assert await store.get("/h/a", revision=1) == a1
    assert await store.get("/h/a", revision=2) == a1
    assert await store.get("/h/a", revision=3) == a2
    assert await store.get("/h/b", revision=3) is not None
    assert await store.get("/h/b", revision=4) is None
    assert await store.get("/h/c", revision=4) is None
    expected = {1: ["/h/a"], 2: ["/h/a", "/h/b"], 3: ["/h/a", "/h/b"], 4: ["/h/a"], 5: ["/h/a", "/h/c"]}
    for rev, keys in expected.items():
        result = await store.range("/h/", revision=rev)
        assert [kv.key for kv in result.kvs] == keys, rev
        assert result.revision == rev
    at3 = await store.range("/h/", revision=3)
    assert [kv.value for kv in at3.kvs] == [b"2", b"1"]


async def test_future_revision_is_refused(store: SQLiteStore) -> None:
    await store.create("/k", b"1")
    with pytest.raises(FutureRevisionError):
        await store.get("/k", revision=2)
    with pytest.raises(FutureRevisionError):
        await store.range("/", revision=5)


async def test_compacted_revision_is_refused(store: SQLiteStore) -> None:
    for i in range(10):
        await store.create(f"/c/{i}", b"x")
    await store.compact(5)
    assert store.compacted_revision == 5
    with pytest.raises(CompactedError) as err:
        await store.range("/c/", revision=4)
    assert err.value.compacted_revision == 5
    with pytest.raises(CompactedError):
        await store.get("/c/1", revision=1)
    assert (await store.range("/c/", revision=5)).count == 5
    assert (await store.get("/c/1", revision=5)) is not None


async def test_restart_resumes_revision_and_state(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    await s.create("/k/1", b"1")
    kv = await s.create("/k/2", b"2")
    await s.update("/k/2", b"3", expected_mod_revision=kv.mod_revision)
    await s.delete("/k/1")
    await s.compact(3)
    await s.close()

    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    try:
        assert await s.current_revision() == 4
        assert s.compacted_revision == 3
        assert await s.get("/k/1") is None
        assert (await s.get("/k/2")) == KeyValue("/k/2", b"3", 2, 3, 0)
        assert (await s.create("/k/3", b"x")).mod_revision == 5
    finally:
        await s.close()


async def test_revision_survives_compacting_away_the_newest_row(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    await s.create("/k", b"1")
    await s.delete("/k")  # rev 2: the newest row is a deletion
    await s.create("/other", b"1")  # rev 3
    await s.delete("/other")  # rev 4
    await s.compact(4)  # keeps state as of rev 3; the deletion at 4 stays
    await s.close()
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    try:
        assert await s.current_revision() == 4
        assert (await s.create("/k", b"2")).mod_revision == 5
    finally:
        await s.close()


async def test_closed_store_refuses_requests(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    await s.close()
    with pytest.raises(StorageError):
        await s.create("/k", b"1")
    with pytest.raises(StorageError):
        await s.get("/k")
    await s.close()  # idempotent


async def test_writes_queued_before_close_are_committed(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    tasks = [asyncio.ensure_future(s.create(f"/q/{i}", b"x")) for i in range(200)]
    await asyncio.sleep(0)
    await s.close()
    results = await asyncio.gather(*tasks)
    assert len(results) == 200
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    try:
        assert (await s.range("/q/", count_only=True)).count == 200
    finally:
        await s.close()


@pytest.mark.parametrize(
    ("prefix", "end"),
    [("/a/", "/a0"), ("a", "b"), ("", None), ("a\U0010ffff", "b"), ("\U0010ffff", None), ("\ud7ff", "\ue000")],
)
def test_prefix_end(prefix: str, end: str | None) -> None:
    assert prefix_end(prefix) == end
