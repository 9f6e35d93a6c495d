"""Throughput of SQLiteStore: creates from 100 concurrent coroutines, gets, historical gets, ranges."""
import asyncio
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from kybernetes.storage.sqlite import SQLiteStore

N_CO = 100

async def main() -> None:
    d = tempfile.mkdtemp()
    s = SQLiteStore(os.path.join(d, "bench.db"), compact_interval=0)
    await s.start()
    value = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"default"},"data":{"k":"' + b"v" * 300 + b'"}}'
    per = 300

    async def creator(n: int) -> None:
        for i in range(per):
            await s.create(f"/registry/configmaps/default/c{n}-{i}", value)

    t = time.perf_counter()
    await asyncio.gather(*(creator(n) for n in range(N_CO)))
    dt = time.perf_counter() - t
    print(f"store_creates_per_second: {N_CO * per / dt:.0f} creates/s")

    async def updater(n: int) -> None:
        for i in range(per):
            await s.update(f"/registry/configmaps/default/c{n}-{i}", value, expected_mod_revision=0)

    t = time.perf_counter()
    await asyncio.gather(*(updater(n) for n in range(N_CO)))
    dt = time.perf_counter() - t
    print(f"store_updates_per_second: {N_CO * per / dt:.0f} updates/s")

    async def getter(n: int, rev: int) -> None:
        for i in range(per):
            assert await s.get(f"/registry/configmaps/default/c{n}-{i}", revision=rev) is not None

    t = time.perf_counter()
    await asyncio.gather(*(getter(n, 0) for n in range(N_CO)))
    dt = time.perf_counter() - t
    print(f"store_gets_per_second: {N_CO * per / dt:.0f} gets/s")

    rev = await s.current_revision()
    t = time.perf_counter()
    await asyncio.gather(*(getter(n, rev) for n in range(N_CO // 5)))
    dt = time.perf_counter() - t
    print(f"store_historical_gets_per_second: {N_CO // 5 * per / dt:.0f} gets/s")

    t = time.perf_counter()
    for _ in range(20):
        r = await s.range("/registry/configmaps/", limit=500)
    dt = time.perf_counter() - t
    print(f"store_range_500_per_second: {20 / dt:.1f} ranges/s")

    w = s.watch("/registry/", start_revision=1)
    t = time.perf_counter(); n = 0
    async for batch in w:
        n += len(batch)
        if w.revision >= rev:
            break
    print(f"store_watch_replay_per_second: {n / (time.perf_counter() - t):.0f} events/s")
    t = time.perf_counter()
    await s.compact(rev)
    print(f"store_compact_seconds: {time.perf_counter() - t:.2f} s")
    await s.close()

if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main())
