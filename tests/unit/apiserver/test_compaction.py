"""The API server's compactor (used for stores that do not compact themselves, such as etcd)."""

import asyncio

from kybernetes.apiserver.server import APIServer, ServerConfig
from kybernetes.storage.sqlite import SQLiteStore


async def test_compacts_to_the_revision_seen_one_interval_earlier(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.db"), compact_interval=0)
    await store.start()
    try:
        server = APIServer(store, ServerConfig(compaction_interval=0.2))
        for i in range(5):
            await store.create(f"/k/{i}", b"{}")
        first = await store.current_revision()
        task = asyncio.create_task(server._compact_loop(0.2))
        await asyncio.sleep(0.3)  # first tick: remembers `first`, compacts nothing
        assert store.compacted_revision < first
        for i in range(5, 8):
            await store.create(f"/k/{i}", b"{}")
        for _ in range(100):  # the second tick compacts to `first` (polled: robust to a loaded machine)
            if store.compacted_revision >= first:
                break
            await asyncio.sleep(0.05)
        assert first <= store.compacted_revision <= await store.current_revision()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await store.close()
