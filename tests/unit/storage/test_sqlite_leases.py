"""SQLiteStore leases: expiry deletes attached keys (with DELETE events), revoke, restart."""

from __future__ import annotations

import asyncio
import time

import pytest

from kybernetes.storage.interface import LeaseNotFoundError
from kybernetes.storage.sqlite import SQLiteStore


async def wait_until_absent(store: SQLiteStore, key: str, timeout: float) -> float:
    start = time.monotonic()
    while await store.get(key) is not None:
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{key} still present after {timeout}s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_lease_expiry_deletes_attached_keys(store: SQLiteStore) -> None:
    lease = await store.grant_lease(1)
    watch = store.watch("/l/", start_revision=0)
    attached = await store.create("/l/a", b"1", lease=lease)
    moved = await store.create("/l/b", b"1", lease=lease)
    moved = await store.update("/l/b", b"2", expected_mod_revision=moved.mod_revision)  # detached (lease 0)
    await store.create("/l/c", b"1")
    waited = await wait_until_absent(store, "/l/a", 4)
    assert 0.7 < waited < 3.0
    assert await store.get("/l/b") == moved
    assert await store.get("/l/c") is not None
    events = [e async for batch in _take(watch, 5) for e in batch]
    delete = events[-1]
    assert (delete.type, delete.kv.key, delete.prev_kv) == ("DELETE", "/l/a", attached)
    with pytest.raises(LeaseNotFoundError):
        await store.create("/l/d", b"1", lease=lease)


async def _take(watch, n):  # type: ignore[no-untyped-def]
    seen = 0
    async for batch in watch:
        yield batch
        seen += len(batch)
        if seen >= n:
            return


async def test_revoke_deletes_keys_now(store: SQLiteStore) -> None:
    lease = await store.grant_lease(60)
    await store.create("/r/a", b"1", lease=lease)
    await store.create("/r/b", b"1", lease=lease)
    await store.revoke_lease(lease)
    assert (await store.range("/r/")).count == 0
    with pytest.raises(LeaseNotFoundError):
        await store.revoke_lease(lease)


async def test_unknown_lease_is_refused(store: SQLiteStore) -> None:
    with pytest.raises(LeaseNotFoundError):
        await store.create("/k", b"1", lease=12345)
    await store.create("/k", b"1")
    with pytest.raises(LeaseNotFoundError):
        await store.update("/k", b"1", expected_mod_revision=0, lease=12345)


async def test_leases_survive_restart_and_expire_after_it(db_path: str) -> None:
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    short = await s.grant_lease(1)
    long = await s.grant_lease(600)
    await s.create("/s", b"1", lease=short)
    await s.create("/t", b"1", lease=long)
    await s.close()
    await asyncio.sleep(1.05)
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    try:
        await wait_until_absent(s, "/s", 1)
        assert await s.get("/t") is not None
        await s.revoke_lease(long)
        assert await s.get("/t") is None
    finally:
        await s.close()
