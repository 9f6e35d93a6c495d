"""Acceptance: an acknowledged write survives `kill -9` of the API server, and a watch resumed after a crash from
the last resourceVersion it saw delivers every later event exactly once, in order.
"""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Cluster, start_cluster
from tests.integration.conftest import API

pytestmark = pytest.mark.slow

WORKERS = 8


class WatchReader:
    """A raw watch stream read in a thread: decoded events in arrival order, until EOF or `close()`."""

    def __init__(self, cluster: Cluster, path: str, timeout: float = 30.0) -> None:
        self.events: list[dict] = []
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.conn = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=cluster.ssl_context(),
                                                timeout=timeout)
        self.conn.request("GET", path, headers={"Accept": "application/json"})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200, self.resp.read()[:2000]
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                if line.strip():
                    self.events.append(json.loads(line))
        except BaseException as e:  # the server was killed, or close() was called
            self.error = e
        finally:
            self.done.set()

    def last_rv(self) -> int:
        return max((int(e["object"]["metadata"]["resourceVersion"]) for e in self.events), default=0)

    def wait(self, pred, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.events):
                return True
            if self.done.is_set():
                return pred(self.events)
            time.sleep(0.02)
        return False

    def close(self) -> None:
        try:
            self.conn.sock and self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(5)


def kill9(cluster: Cluster) -> None:
    cluster.proc.send_signal(signal.SIGKILL)
    cluster.proc.wait(10)


def test_acknowledged_writes_survive_kill_and_watch_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    servers: list[Cluster] = []
    try:
        c1 = start_cluster(data)
        servers.append(c1)
        api1 = API(c1)
        ns = api1.create_namespace("durable")
        base = f"/api/v1/namespaces/{ns}/configmaps"

        # ---- phase 1: concurrent creates, kill -9 while they are in flight
        acked: dict[str, int] = {}
        failed: list[str] = []  # attempts cut off by the kill
        lock = threading.Lock()
        stop = threading.Event()

        def writer(w: int) -> None:
            i = 0
            while not stop.is_set():
                name = f"w{w}-{i}"
                i += 1
                try:
                    r = api1.call("POST", base, {"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": name}, "data": {"w": str(w)}}, timeout=10)
                except OSError:
                    failed.append(name)  # the server is gone: not acknowledged
                    continue
                if r.status == 201:
                    with lock:
                        acked[name] = int(r.json()["metadata"]["resourceVersion"])

        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [pool.submit(writer, w) for w in range(WORKERS)]
            deadline = time.monotonic() + 20
            while len(acked) < 150 and time.monotonic() < deadline:
                time.sleep(0.01)
            kill9(c1)
            time.sleep(0.2)
            stop.set()
            for f in futures:
                f.result(30)
        assert len(acked) >= 50, f"only {len(acked)} writes acknowledged before the kill"
        assert failed, "the kill did not interrupt any write"

        c2 = start_cluster(data)
        servers.append(c2)
        api2 = API(c2)
        lst = api2.ok("GET", base)
        present = {i["metadata"]["name"]: i for i in lst["items"]}
        lost = sorted(set(acked) - set(present))
        assert not lost, f"{len(lost)} acknowledged writes lost after kill -9: {lost[:10]}"
        for name, rv in acked.items():
            assert int(present[name]["metadata"]["resourceVersion"]) == rv
            assert present[name]["data"] == {"w": name[1:].split("-")[0]}
        assert int(lst["metadata"]["resourceVersion"]) >= max(acked.values())

        # ---- phase 2: a watch open across a second kill, resumed from the last resourceVersion it saw
        start_rv = lst["metadata"]["resourceVersion"]
        watch1 = WatchReader(c2, f"{base}?watch=1&resourceVersion={start_rv}")
        writes: list[tuple[str, str, int | None]] = []  # (event type, name, rv or None for deletes)

        def write(a: API, op: str, name: str, value: str = "") -> None:
            if op == "ADDED":
                obj = a.ok("POST", base, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                                          "data": {"v": value}})
            elif op == "MODIFIED":
                obj = a.ok("PATCH", f"{base}/{name}", {"data": {"v": value}},
                           headers={"Content-Type": "application/merge-patch+json"})
            else:
                a.ok("DELETE", f"{base}/{name}")
                obj = None
            writes.append((op, name, int(obj["metadata"]["resourceVersion"]) if obj else None))

        for i in range(20):
            write(api2, "ADDED", f"p2-{i}", "a")
        assert watch1.wait(lambda evs: len(evs) >= 5), watch1.events
        for i in range(10):
            write(api2, "MODIFIED", f"p2-{i}", "b")
            if f"w0-{i}" in present:
                write(api2, "DELETED", f"w0-{i}")
        kill9(c2)  # no write in flight: every committed write was acknowledged
        watch1.done.wait(10)
        watch1.close()
        recorded = watch1.last_rv()
        assert recorded > int(start_rv), "the watch saw nothing before the kill"
        seen_before = [(e["type"], e["object"]["metadata"]["name"]) for e in watch1.events]
        assert seen_before == [(op, n) for op, n, _ in writes[:len(seen_before)]], "watch events out of order"

        c3 = start_cluster(data)
        servers.append(c3)
        api3 = API(c3)
        for i in range(10, 20):
            write(api3, "MODIFIED", f"p2-{i}", "c")
        for i in range(5):
            write(api3, "DELETED", f"p2-{i}")
        write(api3, "ADDED", "after-restart", "z")

        # the watch saw a prefix of the writes (checked above); it must resume with exactly the rest
        expected = writes[len(seen_before):]
        assert expected, "nothing to resume"
        print(f"acked={len(acked)} cut={len(failed)} seen_before_kill={len(seen_before)} resumed={len(expected)}")

        watch2 = WatchReader(c3, f"{base}?watch=1&resourceVersion={recorded}&timeoutSeconds=10")
        try:
            watch2.wait(lambda evs: any(e["object"]["metadata"]["name"] == "after-restart" for e in evs))
            time.sleep(0.5)  # anything extra (duplicates) would arrive now
        finally:
            watch2.close()
        got = [(e["type"], e["object"]["metadata"]["name"], int(e["object"]["metadata"]["resourceVersion"]))
               for e in watch2.events]
        assert [g[:2] for g in got] == [x[:2] for x in expected], (recorded, got, expected)
        for (_, _, rv_got), (_, _, rv_want) in zip(got, expected):
            assert rv_want is None or rv_got == rv_want
            assert rv_got > recorded
        rvs = [g[2] for g in got]
        assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), rvs

        final = {i["metadata"]["name"]: i for i in api3.ok("GET", base)["items"]}
        assert "p2-0" not in final and final["p2-15"]["data"] == {"v": "c"} and final["p2-7"]["data"] == {"v": "b"}
    finally:
        for s in servers:
            s.stop(signal.SIGKILL)


def test_sigterm_ends_open_watches_and_exits_cleanly(tmp_path: Path) -> None:
    """Graceful shutdown does not wait for watch streams: they are ended, and the process exits 0 promptly."""
    data = tmp_path / "data"
    c = start_cluster(data)
    try:
        api = API(c)
        api.create_configmap("default", "before-term", {"k": "v"})
        w = WatchReader(c, "/api/v1/namespaces/default/configmaps?watch=1")
        t0 = time.monotonic()
        c.proc.send_signal(signal.SIGTERM)
        try:
            rc = c.proc.wait(10)
        except Exception:
            pytest.fail("the server did not exit within 10 s of SIGTERM with a watch open")
        assert rc == 0
        assert time.monotonic() - t0 < 10
        assert w.done.wait(5), "the watch stream was not ended"
        w.close()
    finally:
        c.stop(signal.SIGKILL)
    c2 = start_cluster(data)
    try:
        assert API(c2).ok("GET", "/api/v1/namespaces/default/configmaps/before-term")["data"] == {"k": "v"}
    finally:
        c2.stop(signal.SIGKILL)
