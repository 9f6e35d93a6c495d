"""The shape every controller shares: informers feed keys into a rate-limited work queue; workers call ``sync``.

A controller is level-triggered: ``sync(key)`` reads the current state from informer caches (never from the
event that queued the key), acts through the API, and either returns (done; the key's back-off is forgotten),
raises (the key is re-queued with exponential back-off) or calls ``enqueue_after`` to look again later.  A key
is never processed by two workers at once (the work queue guarantees it), so a controller can be killed at any
moment and, restarted, converges from what the API holds.

:class:`ControllerContext` is what the manager hands every controller: the API client, the shared informer
factory, an event recorder factory and options (``options`` are controller-manager flags such as
``node_monitor_grace_period``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import Informer, SharedInformerFactory, object_key
from kybernetes.client.rest import RESTClient
from kybernetes.client.workqueue import SHUTDOWN, WorkQueue
from kybernetes.machinery.errors import StatusError

__all__ = ["Controller", "ControllerContext", "object_key", "is_not_found", "is_conflict", "is_already_exists"]

log = logging.getLogger(__name__)


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, StatusError) and exc.code == 404


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, StatusError) and exc.code == 409 and exc.reason == "Conflict"


def is_already_exists(exc: BaseException) -> bool:
    return isinstance(exc, StatusError) and exc.code == 409 and exc.reason == "AlreadyExists"


@dataclass
class ControllerContext:
    client: RESTClient
    informers: SharedInformerFactory
    options: dict[str, Any] = field(default_factory=dict)
    recorders: dict[str, EventRecorder] = field(default_factory=dict)

    def recorder(self, component: str) -> EventRecorder:
        """One event recorder per component name (``deployment-controller``...)."""
        rec = self.recorders.get(component)
        if rec is None:
            rec = self.recorders[component] = EventRecorder(self.client, component)
        return rec

    def informer(self, group: str, version: str, plural: str, **kw: Any) -> Informer:
        return self.informers.informer(group, version, plural, **kw)


class Controller:
    """Base class: subclasses set ``name``, register informer handlers in ``__init__`` and implement ``sync``."""

    name = "controller"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.queue = WorkQueue(name=self.name)
        self._tasks: list[asyncio.Task[Any]] = []

    # -- queue helpers -----------------------------------------------------------------------------------------
    def enqueue(self, obj_or_key: dict[str, Any] | str) -> None:
        self.queue.add(obj_or_key if isinstance(obj_or_key, str) else object_key(obj_or_key))

    def enqueue_after(self, obj_or_key: dict[str, Any] | str, delay: float) -> None:
        key = obj_or_key if isinstance(obj_or_key, str) else object_key(obj_or_key)
        self.queue.add_after(key, delay)

    def watch(self, informer: Informer, key_of: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        """Enqueue ``key_of(obj)`` (default: the object's own key) on every add, update and delete."""
        def handle(obj: dict[str, Any]) -> None:
            key = key_of(obj) if key_of else object_key(obj)
            if key:
                self.queue.add(key)
        informer.add_event_handler(on_add=handle, on_update=lambda old, new: handle(new), on_delete=handle)

    # -- running -----------------------------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        """Called once the informers have synced; starts the workers (override to add periodic tasks, calling
        ``super().start()``)."""
        for i in range(self.workers):
            self._tasks.append(asyncio.create_task(self._worker(), name=f"{self.name}-worker-{i}"))

    def spawn(self, coro: Any, name: str = "") -> asyncio.Task[Any]:
        """Run a background coroutine that is cancelled with the controller."""
        t = asyncio.create_task(coro, name=name or f"{self.name}-task")
        self._tasks.append(t)
        return t

    async def stop(self) -> None:
        self.queue.shut_down()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            if key is SHUTDOWN:
                return
            try:
                await self.sync(key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure re-queues the key with back-off
                if is_conflict(exc):
                    log.debug("%s: %s: conflict, retrying", self.name, key)
                else:
                    log.warning("%s: sync %s failed: %s", self.name, key, exc, exc_info=not isinstance(exc, StatusError))
                self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
            finally:
                self.queue.done(key)
