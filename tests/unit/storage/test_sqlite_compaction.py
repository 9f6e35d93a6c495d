"""SQLiteStore compaction: history removal, bounded file size, the background compactor."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest

from kybernetes.storage.interface import CompactedError, FutureRevisionError
from kybernetes.storage.sqlite import SQLiteStore


def disk_size(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def log_rows(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM kv_log").fetchone()[0]
    finally:
        conn.close()


async def test_compact_bounds(store: SQLiteStore) -> None:
    await store.create("/k", b"1")
    await store.create("/j", b"1")
    with pytest.raises(FutureRevisionError):
        await store.compact(3)
    await store.compact(2)
    with pytest.raises(CompactedError):
        await store.compact(2)
    with pytest.raises(CompactedError):
        await store.compact(1)


async def test_compaction_removes_superseded_and_deleted_rows(store: SQLiteStore, db_path: str) -> None:
    kv = await store.create("/live", b"0")
    for i in range(1, 50):
        kv = await store.update("/live", str(i).encode(), expected_mod_revision=kv.mod_revision)
    for i in range(20):
        await store.create(f"/gone/{i}", b"x")
        await store.delete(f"/gone/{i}")
    current = await store.current_revision()
    assert log_rows(db_path) == current == 90
    await store.compact(current)
    # Kept: the state as of current - 1 (one /live row, the last /gone deletion is at current).
    assert log_rows(db_path) <= 3
    assert await store.get("/live") == kv
    assert await store.get("/live", revision=current) == kv
    assert (await store.range("/", revision=current)).count == 1


async def test_file_size_stays_bounded_under_updates(store: SQLiteStore, db_path: str) -> None:
    value = b"v" * 4000
    keys = [f"/big/{i}" for i in range(20)]
    for key in keys:
        await store.create(key, value)

    async def churn() -> None:
        for _ in range(60):
            await asyncio.gather(*(store.update(k, value, expected_mod_revision=0) for k in keys))
        await store.compact(await store.current_revision())

    await churn()  # 1200 updates, 4.8 MB of values
    first = disk_size(db_path)
    await churn()
    await churn()
    second = disk_size(db_path)
    written = 3600 * len(value)
    assert second <= first * 1.25 + 65536, (first, second)
    assert second < written / 10, (second, written)
    # Free pages go back to the file system and the WAL is truncated: close to the live data (80 kB).
    assert second < 512 * 1024, second


async def test_background_compactor_keeps_recent_revisions(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0.05, retain_revisions=10)
    await s.start()
    try:
        kv = await s.create("/k", b"0")
        for i in range(100):
            kv = await s.update("/k", str(i).encode(), expected_mod_revision=kv.mod_revision)
        for _ in range(100):
            if s.compacted_revision == 91:
                break
            await asyncio.sleep(0.02)
        assert s.compacted_revision == 91
        assert (await s.get("/k", revision=91)).value == b"89"  # type: ignore[union-attr]
        with pytest.raises(CompactedError):
            await s.get("/k", revision=90)
    finally:
        await s.close()


async def test_writes_proceed_while_compacting(store: SQLiteStore) -> None:
    await asyncio.gather(*(store.create(f"/m/{i}", b"x" * 100) for i in range(3000)))
    await asyncio.gather(*(store.update(f"/m/{i}", b"y" * 100, expected_mod_revision=0) for i in range(3000)))
    compaction = asyncio.ensure_future(store.compact(await store.current_revision()))
    writes = await asyncio.gather(*(store.create(f"/n/{i}", b"z") for i in range(200)))
    await compaction
    assert len(writes) == 200
    assert (await store.range("/m/", count_only=True)).count == 3000
    assert (await store.range("/n/", count_only=True)).count == 200
