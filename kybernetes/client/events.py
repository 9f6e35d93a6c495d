"""Recording core/v1 Events about objects, with upstream's de-duplication.

``recorder.event(obj, type, reason, message)`` describes something that happened to ``obj`` (``Normal`` or
``Warning``).  Like client-go's EventCorrelator, an identical event (same involved object, type, reason, message
and source) seen again within 10 minutes does not create a new Event: the existing one gets ``count`` + 1 and a
new ``lastTimestamp`` by PATCH.  New Events are named ``<object name>.<nanosecond timestamp in hex>`` and live in
the object's namespace (``default`` for cluster-scoped objects).

:class:`EventCorrelator` holds the pure decision logic (no I/O, injectable wall clock) so it can be tested alone;
:class:`EventRecorder` performs the writes in a background task so ``event`` never blocks the caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import aiohttp

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError

__all__ = ["EventCorrelator", "EventRecorder", "Decision", "AGGREGATION_WINDOW", "make_event"]

log = logging.getLogger(__name__)

AGGREGATION_WINDOW = 600.0  # seconds
CACHE_SIZE = 4096


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: dict[str, Any]) -> dict[str, Any]:
    """The ObjectReference of ``obj`` (kind, namespace, name, uid, apiVersion, resourceVersion; empty fields
    left out)."""
    meta = obj.get("metadata") or {}
    ref = {"kind": obj.get("kind", ""), "namespace": meta.get("namespace", ""), "name": meta.get("name", ""),
           "uid": meta.get("uid", ""), "apiVersion": obj.get("apiVersion", ""),
           "resourceVersion": meta.get("resourceVersion", "")}
    return {k: v for k, v in ref.items() if v}


def make_event(obj: dict[str, Any], type_: str, reason: str, message: str, *, component: str, host: str,
               now: float) -> dict[str, Any]:
    """A new core/v1 Event about ``obj`` at wall time ``now`` (seconds)."""
    ref = object_reference(obj)
    source = {"component": component}
    if host:
        source["host"] = host
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{ref.get('name', '')}.{int(now * 1e9):x}",
                     "namespace": ref.get("namespace") or "default"},
        "involvedObject": ref,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": _rfc3339(now),
        "lastTimestamp": _rfc3339(now),
        "count": 1,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host,
    }


@dataclass(frozen=True, slots=True)
class Decision:
    """What to write: ``create`` the ``event``, or ``patch`` the existing Event named ``name`` with ``patch``."""

    action: str  # "create" | "patch"
    event: dict[str, Any]
    name: str = ""
    namespace: str = ""
    patch: dict[str, Any] | None = None


def _event_key(event: dict[str, Any]) -> tuple[str, ...]:
    ref = event["involvedObject"]
    src = event.get("source") or {}
    return (src.get("component", ""), src.get("host", ""), ref.get("kind", ""), ref.get("namespace", ""),
            ref.get("name", ""), ref.get("uid", ""), ref.get("apiVersion", ""), event.get("type", ""),
            event.get("reason", ""), event.get("message", ""))


class EventCorrelator:
    """Decides create vs. patch.  Remembers the last ``CACHE_SIZE`` distinct events (LRU).  Not thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.time, window: float = AGGREGATION_WINDOW) -> None:
        self.clock = clock
        self.window = window
        # key -> (name, namespace, count, firstTimestamp, last seen wall time)
        self._seen: OrderedDict[tuple[str, ...], tuple[str, str, int, str, float]] = OrderedDict()

    def observe(self, event: dict[str, Any]) -> Decision:
        """Record ``event`` (as built by make_event) and say how to write it.  Mutates ``event`` into the state
        that will be stored (count, timestamps, name)."""
        now = self.clock()
        key = _event_key(event)
        prev = self._seen.get(key)
        if prev is not None and now - prev[4] <= self.window:
            name, namespace, count, first, _ = prev
            count += 1
            event["metadata"]["name"] = name
            event["count"] = count
            event["firstTimestamp"] = first
            event["lastTimestamp"] = _rfc3339(now)
            self._remember(key, name, namespace, count, first, now)
            return Decision("patch", event, name, namespace,
                            {"count": count, "lastTimestamp": event["lastTimestamp"], "message": event["message"]})
        meta = event["metadata"]
        self._remember(key, meta["name"], meta["namespace"], 1, event["firstTimestamp"], now)
        return Decision("create", event, meta["name"], meta["namespace"])

    def forget(self, event: dict[str, Any]) -> None:
        """Drop the memory of ``event`` (its stored Event vanished): the next one is created afresh."""
        self._seen.pop(_event_key(event), None)

    def _remember(self, key: tuple[str, ...], name: str, ns: str, count: int, first: str, now: float) -> None:
        self._seen[key] = (name, ns, count, first, now)
        self._seen.move_to_end(key)
        while len(self._seen) > CACHE_SIZE:
            self._seen.popitem(last=False)


class EventRecorder:
    """Writes Events for one component.  ``event`` queues; a background task writes; ``await flush()`` waits for
    the queue to drain; ``await close()`` stops the task."""

    def __init__(self, client: RESTClient, component: str, host: str = "", *,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self.correlator = EventCorrelator(clock=clock)
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._task: asyncio.Task[None] | None = None

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """Queue an Event about ``obj`` (never blocks; drops it when 1000 are pending, as upstream does)."""
        ev = make_event(obj, type_, reason, message, component=self.component, host=self.host, now=self.clock())
        try:
            self._queue.put_nowait(ev)
        except asyncio.QueueFull:
            log.warning("event queue full, dropping event %s %s", reason, message)
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._worker(), name=f"events {self.component}")

    async def record(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> dict[str, Any]:
        """Write an Event now and return the stored Event; raises StatusError/connection errors."""
        ev = make_event(obj, type_, reason, message, component=self.component, host=self.host, now=self.clock())
        return await self._write(ev)

    async def _write(self, ev: dict[str, Any]) -> dict[str, Any]:
        decision = self.correlator.observe(ev)
        if decision.action == "patch":
            path = resource_path("", "v1", "events", decision.namespace, decision.name)
            try:
                return await self.client.patch(path, decision.patch, "strategic")
            except StatusError as e:
                if e.code != 404:
                    raise
                # The Event was deleted (or expired): create a fresh one.
                self.correlator.forget(ev)
                ev["count"] = 1
                ev["firstTimestamp"] = ev["lastTimestamp"]
                ev["metadata"]["name"] = f"{ev['involvedObject'].get('name', '')}.{int(self.clock() * 1e9):x}"
                self.correlator.observe(ev)
        return await self.client.create(resource_path("", "v1", "events", ev["metadata"]["namespace"]), ev)

    async def _worker(self) -> None:
        while True:
            ev = await self._queue.get()
            try:
                await self._write(ev)
            except asyncio.CancelledError:
                raise
            except (StatusError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
                log.warning("could not write event %s/%s: %r", ev["metadata"]["namespace"], ev["reason"], e)
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
