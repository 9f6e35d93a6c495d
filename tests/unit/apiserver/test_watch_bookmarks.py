"""Watch bookmarks never run ahead of events the client has not been sent.

A wait for the next event that times out in the loop iteration an event arrives in leaves that event queued.
The periodic bookmark, due at the same moment, must not be written then: its revision covers the queued event,
and a stream that ends at its deadline right after it would make the client resume past that event for good."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import orjson
from aiohttp.test_utils import make_mocked_request

from kybernetes.apiserver import watch as watch_module
from kybernetes.apiserver.server import APIServer, ServerConfig
from kybernetes.storage.sqlite import SQLiteStore


class _Writer:
    """A payload writer that keeps what the response writes."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.buffer_size = 0
        self.output_size = 0
        self.length = None

    async def write_headers(self, status_line: str, headers: Any) -> None:
        pass

    async def write(self, data: bytes, *a: Any, **kw: Any) -> None:
        self.data += data

    async def write_eof(self, data: bytes = b"") -> None:
        self.data += data

    async def drain(self) -> None:
        pass

    def enable_chunking(self) -> None:
        pass

    def enable_compression(self, *a: Any, **kw: Any) -> None:
        pass

    def send_headers(self, *a: Any, **kw: Any) -> None:
        pass


class _RacingWatcher:
    """A cache watcher whose wait is overtaken by its timeout just as an event arrives: the event is queued,
    the wait ends with a timeout (what asyncio does when both land in one loop iteration)."""

    def __init__(self, event: Any) -> None:
        self._queue: deque = deque()
        self._event = event
        self.closed = False

    def __aiter__(self) -> _RacingWatcher:
        return self

    async def __anext__(self) -> Any:
        if self._event is not None:
            self._queue.append(self._event)
            self._event = None
        await asyncio.sleep(3600)  # cancelled by the serving loop's timeout
        raise AssertionError("unreachable")

    def pending(self) -> int:
        return len(self._queue)

    def take_ready(self, limit: int) -> list:
        n = min(limit, len(self._queue))
        return [self._queue.popleft() for _ in range(n)]

    def close(self) -> None:
        self.closed = True


async def test_no_bookmark_ahead_of_a_queued_event(tmp_path, monkeypatch):
    store = SQLiteStore(str(tmp_path / "s.db"))
    await store.start()
    try:
        server = APIServer(store, ServerConfig())
        pods = server.registries[("", "pods")]
        await pods.start()
        info = server.api.catalogue.lookup("", "v1", "pods")
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default",
                                                               "resourceVersion": "7"}}
        queued = _Ev("MODIFIED", pods.key("default", "p"), pod, pod, 7)
        # the bookmark falls due at the stream's deadline (every second here, timeoutSeconds=1)
        monkeypatch.setattr(watch_module, "_BOOKMARK_EVERY", 1.0)
        monkeypatch.setattr(pods, "watch", lambda start, prefix="": _RacingWatcher(queued))
        monkeypatch.setattr(pods.cache, "revision", 9, raising=False)
        writer = _Writer()
        request = make_mocked_request(
            "GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=5&allowWatchBookmarks=true"
                   "&timeoutSeconds=1", writer=writer)
        await watch_module.serve_watch(server.api, request, info, "default", "")
        lines = [orjson.loads(line) for line in bytes(writer.data).splitlines() if line.strip().startswith(b"{")]
        bookmarks = [int(ln["object"]["metadata"]["resourceVersion"]) for ln in lines if ln["type"] == "BOOKMARK"]
        events = [ln for ln in lines if ln["type"] != "BOOKMARK"]
        # either the queued event went out before any bookmark covering it, or neither did
        assert not bookmarks or (events and lines.index(events[0]) < [ln["type"] for ln in lines].index("BOOKMARK"))
    finally:
        await store.close()


class _Ev:
    __slots__ = ("type", "key", "obj", "prev_obj", "revision")

    def __init__(self, etype: str, key: str, obj: dict, prev: dict, revision: int) -> None:
        self.type, self.key, self.obj, self.prev_obj, self.revision = etype, key, obj, prev, revision
