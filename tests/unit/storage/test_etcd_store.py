"""EtcdStore against a real etcd, with the shared behavioural checks run over both backends.

A module-scoped fixture starts one etcd (Debian's etcd-server) on free 127.0.0.1 ports with a
throwaway data dir and kills it by PID afterwards; the module is skipped without the `etcd` binary
or the `aetcd` package. Revisions are shared by every test on that etcd, so each test gets its own
key prefix and checks revisions relative to where it started.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kybernetes.storage.interface import (
    CompactedError,
    Event,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    LeaseNotFoundError,
    RevisionMismatchError,
    StorageError,
    Watch,
)
from kybernetes.storage.sqlite import SQLiteStore

ETCD = shutil.which("etcd")
if ETCD is None:
    pytest.skip("the etcd binary is not installed (Debian package etcd-server)", allow_module_level=True)
pytest.importorskip("aetcd", reason="the aetcd package is not installed")

from kybernetes.storage.etcd import EtcdStore, _bytes_prefix_end, _target  # noqa: E402

_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def etcd_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running single-member etcd on 127.0.0.1; yields "127.0.0.1:port"."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # no fsync cost in tmpfs
    data_dir = tempfile.mkdtemp(prefix="kyb-etcd-", dir=base or str(tmp_path_factory.mktemp("etcd")))
    client, peer = _free_port(), _free_port()
    client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    log = Path(data_dir + ".log").open("wb")
    proc = subprocess.Popen(
        [
            str(ETCD),
            "--name=kyb-test",
            f"--data-dir={data_dir}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=kyb-test={peer_url}",
            "--log-level=error",
            "--logger=zap",
        ],
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"etcd exited with {proc.returncode}: {Path(data_dir + '.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{client_url}/health", timeout=1) as resp:
                    if b"true" in resp.read():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("etcd did not become healthy within 15s")
            time.sleep(0.05)
        yield f"127.0.0.1:{client}"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        Path(data_dir + ".log").unlink(missing_ok=True)


@pytest.fixture
async def etcd_store(etcd_endpoint: str) -> AsyncIterator[EtcdStore]:
    """A started EtcdStore under a prefix no other test uses."""
    s = EtcdStore([etcd_endpoint], prefix=f"/kyb-test-{next(_names):05d}")
    await s.start()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture(params=["sqlite", "etcd"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Each backend in turn, for the behavioural checks both must pass."""
    if request.param == "etcd":
        endpoint = request.getfixturevalue("etcd_endpoint")
        s: Any = EtcdStore([endpoint], prefix=f"/kyb-test-{next(_names):05d}")
    else:
        s = SQLiteStore(str(tmp_path / "state.db"), compact_interval=0)
    await s.start()
    try:
        yield s
    finally:
        await s.close()


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


# -- shared behaviour ---------------------------------------------------------------------------


async def test_crud_round_trip(any_store: Any) -> None:
    base = await any_store.current_revision()
    a = await any_store.create("/r/a", b'{"a":1}')
    assert a == KeyValue("/r/a", b'{"a":1}', base + 1, base + 1, 0)
    assert await any_store.get("/r/a") == a
    b = await any_store.update("/r/a", b"2", expected_mod_revision=a.mod_revision)
    assert b == KeyValue("/r/a", b"2", base + 1, base + 2, 0)
    c = await any_store.update("/r/a", b"3", expected_mod_revision=0)
    assert (c.create_revision, c.mod_revision) == (base + 1, base + 3)
    deleted = await any_store.delete("/r/a")
    assert deleted == KeyValue("/r/a", b"3", base + 1, base + 4, 0)
    assert await any_store.get("/r/a") is None
    assert await any_store.current_revision() == base + 4
    again = await any_store.create("/r/a", b"4")
    assert again.create_revision == again.mod_revision == base + 5


async def test_create_existing_key_fails(any_store: Any) -> None:
    await any_store.create("/k", b"1")
    base = await any_store.current_revision()
    with pytest.raises(KeyExistsError):
        await any_store.create("/k", b"2")
    assert (await any_store.get("/k")).value == b"1"
    assert await any_store.current_revision() == base


async def test_stale_update_and_delete_report_current(any_store: Any) -> None:
    first = await any_store.create("/k", b"1")
    current = await any_store.update("/k", b"2", expected_mod_revision=first.mod_revision)
    with pytest.raises(RevisionMismatchError) as err:
        await any_store.update("/k", b"3", expected_mod_revision=first.mod_revision)
    assert err.value.current == current
    with pytest.raises(RevisionMismatchError) as err:
        await any_store.delete("/k", expected_mod_revision=first.mod_revision)
    assert err.value.current == current
    await any_store.delete("/k", expected_mod_revision=current.mod_revision)
    assert await any_store.get("/k") is None


async def test_missing_key_is_reported(any_store: Any) -> None:
    with pytest.raises(KeyNotFoundError):
        await any_store.update("/missing", b"x", expected_mod_revision=0)
    with pytest.raises(KeyNotFoundError):
        await any_store.update("/missing", b"x", expected_mod_revision=5)
    with pytest.raises(KeyNotFoundError):
        await any_store.delete("/missing")


async def test_concurrent_conditional_updates_exactly_one_wins(any_store: Any) -> None:
    kv = await any_store.create("/k", b"0")
    results = await asyncio.gather(
        *(any_store.update("/k", str(i).encode(), expected_mod_revision=kv.mod_revision) for i in range(20)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    losers = [r for r in results if isinstance(r, RevisionMismatchError)]
    assert len(winners) == 1 and len(losers) == 19
    assert all(loser.current == winners[0] for loser in losers)


@pytest.mark.parametrize(
    ("prefix", "start_key", "limit", "keys", "more", "count"),
    [
        pytest.param("/a/", "", 0, ["/a/1", "/a/2", "/a/3", "/a/4"], False, 4, id="prefix"),
        pytest.param("/a", "", 0, ["/a/1", "/a/2", "/a/3", "/a/4", "/ab/1"], False, 5, id="prefix-without-slash"),
        pytest.param("/a/", "", 2, ["/a/1", "/a/2"], True, 4, id="limit"),
        pytest.param("/a/", "/a/2", 1, ["/a/2"], True, 3, id="start-key-and-limit"),
        pytest.param("/a/", "/a/4\x00", 0, [], False, 0, id="start-key-past-end"),
        pytest.param("/a/", "/", 0, ["/a/1", "/a/2", "/a/3", "/a/4"], False, 4, id="start-key-before-prefix"),
        pytest.param("", "", 0, ["/a/1", "/a/2", "/a/3", "/a/4", "/ab/1", "/b/1"], False, 6, id="everything"),
        pytest.param("/c/", "", 0, [], False, 0, id="no-match"),
    ],
)
async def test_range(
    any_store: Any, prefix: str, start_key: str, limit: int, keys: list[str], more: bool, count: int
) -> None:
    for name in ["/b/1", "/a/3", "/a/1", "/ab/1", "/a/4", "/a/2"]:
        await any_store.create(name, name.encode())
    current = await any_store.current_revision()
    result = await any_store.range(prefix, start_key=start_key, limit=limit)
    assert [kv.key for kv in result.kvs] == keys
    assert [kv.value for kv in result.kvs] == [k.encode() for k in keys]
    assert (result.more, result.count, result.revision) == (more, count, current)
    counted = await any_store.range(prefix, start_key=start_key, count_only=True)
    assert counted.kvs == [] and counted.count == count


async def test_reads_at_past_and_future_revisions(any_store: Any) -> None:
    one = await any_store.create("/h/a", b"1")
    await any_store.update("/h/a", b"2", expected_mod_revision=0)
    await any_store.create("/h/b", b"1")
    await any_store.delete("/h/a")
    assert await any_store.get("/h/a", revision=one.mod_revision) == one
    assert await any_store.get("/h/a") is None
    past = await any_store.range("/h/", revision=one.mod_revision + 2)
    assert [(kv.key, kv.value) for kv in past.kvs] == [("/h/a", b"2"), ("/h/b", b"1")]
    assert past.revision == one.mod_revision + 2
    current = await any_store.current_revision()
    with pytest.raises(FutureRevisionError):
        await any_store.range("/h/", revision=current + 100)


async def test_live_watch_events_carry_prev_kv(any_store: Any) -> None:
    watch = any_store.watch("/w/", start_revision=0)
    assert isinstance(watch, Watch)
    created = await any_store.create("/w/a", b"1")
    updated = await any_store.update("/w/a", b"2", expected_mod_revision=0)
    await any_store.create("/other", b"x")
    deleted = await any_store.delete("/w/a")
    events = await collect(watch, deleted.mod_revision)
    assert events == [Event("PUT", created, None), Event("PUT", updated, created), Event("DELETE", deleted, updated)]
    watch.close()


async def test_replayed_events_equal_live_events(any_store: Any) -> None:
    start = await any_store.current_revision() + 1
    live = any_store.watch("/", start_revision=start)
    kv = await any_store.create("/a", b"1")
    await any_store.update("/a", b"2", expected_mod_revision=kv.mod_revision)
    await any_store.create("/b", b"1")
    await any_store.delete("/a")
    await any_store.create("/a", b"3")
    rev = await any_store.current_revision()
    live_events = await collect(live, rev)
    replay = any_store.watch("/", start_revision=start)
    replayed = await collect(replay, rev)
    assert replayed == live_events
    assert [e.type for e in replayed] == ["PUT", "PUT", "PUT", "DELETE", "PUT"]
    assert replayed[4].prev_kv is None
    from_middle = any_store.watch("/", start_revision=start + 3)
    assert [e.revision for e in await collect(from_middle, rev)] == [start + 3, start + 4]
    for w in (live, replay, from_middle):
        w.close()


async def test_progress_reports_revisions_of_other_prefixes(any_store: Any) -> None:
    watch = any_store.watch("/quiet/", start_revision=0)
    noisy = await any_store.create("/noisy/1", b"x")
    watch.request_progress()
    assert await asyncio.wait_for(anext(watch), 2) == []
    assert watch.revision == noisy.mod_revision
    watch.close()


async def test_close_ends_iteration(any_store: Any) -> None:
    watch = any_store.watch("/", start_revision=0)
    reader = asyncio.ensure_future(anext(watch))
    await asyncio.sleep(0.05)
    watch.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 2)
    watch.close()


async def test_compaction(any_store: Any) -> None:
    first = await any_store.create("/c/a", b"1")
    await any_store.update("/c/a", b"2", expected_mod_revision=0)
    latest = await any_store.update("/c/a", b"3", expected_mod_revision=0)
    await any_store.compact(latest.mod_revision - 1)
    assert any_store.compacted_revision == latest.mod_revision - 1
    with pytest.raises(CompactedError):
        await any_store.get("/c/a", revision=first.mod_revision)
    with pytest.raises(CompactedError):
        await any_store.range("/c/", revision=first.mod_revision)
    with pytest.raises(CompactedError):
        await any_store.compact(first.mod_revision)
    assert (await any_store.get("/c/a", revision=latest.mod_revision - 1)).value == b"2"
    with pytest.raises(CompactedError):
        await collect(any_store.watch("/c/", start_revision=first.mod_revision), latest.mod_revision)
    kept = await collect(any_store.watch("/c/", start_revision=latest.mod_revision - 1), latest.mod_revision)
    assert [e.kv.value for e in kept] == [b"2", b"3"]
    with pytest.raises(FutureRevisionError):
        await any_store.compact(latest.mod_revision + 100)


async def test_leases(any_store: Any) -> None:
    with pytest.raises(LeaseNotFoundError):
        await any_store.create("/l/x", b"1", lease=12345)
    lease = await any_store.grant_lease(60)
    kv = await any_store.create("/l/a", b"1", lease=lease)
    assert kv.lease == lease and (await any_store.get("/l/a")).lease == lease
    await any_store.create("/l/b", b"1", lease=lease)
    await any_store.create("/l/c", b"1")
    await any_store.revoke_lease(lease)
    assert [kv.key for kv in (await any_store.range("/l/")).kvs] == ["/l/c"]
    with pytest.raises(LeaseNotFoundError):
        await any_store.revoke_lease(lease)
    with pytest.raises(LeaseNotFoundError):
        await any_store.update("/l/c", b"2", expected_mod_revision=0, lease=lease)


async def test_lease_expiry_deletes_keys_with_delete_events(any_store: Any) -> None:
    lease = await any_store.grant_lease(1)
    watch = any_store.watch("/e/", start_revision=0)
    attached = await any_store.create("/e/a", b"1", lease=lease)
    start = time.monotonic()
    while await any_store.get("/e/a") is not None:
        assert time.monotonic() - start < 5, "the leased key outlived its lease"
        await asyncio.sleep(0.05)
    events = await collect(watch, await any_store.current_revision())
    assert [(e.type, e.kv.key, e.prev_kv) for e in events] == [("PUT", "/e/a", None), ("DELETE", "/e/a", attached)]
    watch.close()


# -- etcd specifics -----------------------------------------------------------------------------


async def test_prefix_isolates_stores_and_is_hidden(etcd_store: EtcdStore, etcd_endpoint: str) -> None:
    other = EtcdStore([etcd_endpoint], prefix=etcd_store.prefix.replace("/kyb-test-", "/kyb-other-"))
    await other.start()
    try:
        await etcd_store.create("/x", b"mine")
        await other.create("/x", b"theirs")
        assert [(kv.key, kv.value) for kv in (await etcd_store.range("")).kvs] == [("/x", b"mine")]
        assert (await other.get("/x")).value == b"theirs"  # type: ignore[union-attr]
    finally:
        await other.close()


async def test_a_new_store_learns_the_compacted_revision(etcd_store: EtcdStore, etcd_endpoint: str) -> None:
    for i in range(5):
        await etcd_store.create(f"/n/{i}", b"x")
    target = await etcd_store.current_revision() - 2
    if target > etcd_store.compacted_revision:
        await etcd_store.compact(target)
    fresh = EtcdStore([etcd_endpoint])
    await fresh.start()
    try:
        assert fresh.compacted_revision == etcd_store.compacted_revision
    finally:
        await fresh.close()


async def test_store_close_ends_watches(etcd_endpoint: str) -> None:
    s = EtcdStore([etcd_endpoint], prefix="/kyb-close")
    await s.start()
    watch = s.watch("/", start_revision=0)
    reader = asyncio.ensure_future(anext(watch))
    await asyncio.sleep(0.05)
    await s.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 2)
    with pytest.raises(StorageError):
        await s.get("/x")


async def test_unreachable_etcd_raises_storage_error() -> None:
    s = EtcdStore([f"127.0.0.1:{_free_port()}"], timeout=0.5)
    with pytest.raises(StorageError):
        await s.start()
    await s.close()


def test_helpers() -> None:
    assert _bytes_prefix_end(b"/a/") == b"/a0"
    assert _bytes_prefix_end(b"a\xff") == b"b"
    assert _bytes_prefix_end(b"") == b"\0"
    assert _target(["http://127.0.0.1:2379"]) == "127.0.0.1:2379"
    assert _target(["127.0.0.1:1", "127.0.0.2:2"]) == "ipv4:127.0.0.1:1,127.0.0.2:2"
    assert _target(["etcd-a:2379", "etcd-b:2379"]) == "etcd-a:2379"
