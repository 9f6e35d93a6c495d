"""SQLiteStore durability: every acknowledged write survives `kill -9` of the writing process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import kybernetes
from kybernetes.storage.sqlite import SQLiteStore

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from kybernetes.storage.sqlite import SQLiteStore

    async def main(path):
        store = SQLiteStore(path, compact_interval=0)
        await store.start()
        print("ready", flush=True)

        async def worker(n):
            i = 0
            while True:
                kv = await store.create(f"/d/{n}/{i}", b'{"n": %d}' % i)
                sys.stdout.write(f"{kv.key} {kv.mod_revision}\\n")
                sys.stdout.flush()
                i += 1

        await asyncio.gather(*(worker(n) for n in range(32)))

    asyncio.run(main(sys.argv[1]))
    """
)


def test_acknowledged_writes_survive_kill_9(db_path: str) -> None:
    # Synchronous on purpose: the child process is driven with blocking pipe reads.
    env = dict(os.environ, PYTHONPATH=str(Path(kybernetes.__file__).parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, db_path], stdout=subprocess.PIPE, env=env, text=True, bufsize=1
    )
    acked: dict[str, int] = {}
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while len(acked) < 3000 and time.monotonic() < deadline:
            key, rev = proc.stdout.readline().split()
            acked[key] = int(rev)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: writes are in flight
        for line in proc.stdout:  # whatever it printed before dying was acknowledged too
            parts = line.split()
            if len(parts) == 2:
                acked[parts[0]] = int(parts[1])
    finally:
        proc.kill()
        proc.wait()
    assert len(acked) >= 3000
    asyncio.run(_check_reopened(db_path, acked))


async def _check_reopened(db_path: str, acked: dict[str, int]) -> None:
    store = SQLiteStore(db_path, compact_interval=0)
    await store.start()
    try:
        stored = {kv.key: kv.mod_revision for kv in (await store.range("/d/")).kvs}
        missing = [key for key in acked if stored.get(key) != acked[key]]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        current = await store.current_revision()
        assert current >= max(acked.values())
        assert (await store.create("/after", b"{}")).mod_revision == current + 1
    finally:
        await store.close()
