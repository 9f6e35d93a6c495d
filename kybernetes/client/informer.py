"""Informers: a local cache of one resource kept current by LIST + WATCH (client-go's reflector and informer).

An :class:`Informer` lists the resource (``resourceVersion=0`` the first time, pages of 500), then watches from
the list's resourceVersion with bookmarks and a random 300-600 s timeout.  When a watch ends or its connection
breaks it watches again from the last resourceVersion seen; when the server answers ``410 Expired`` (or sends an
ERROR event) it relists from scratch and diffs the result against the cache, so handlers see exactly the adds,
updates and deletes they missed.  Connection failures are retried with exponential back-off.

The cache (``store``: ``"ns/name"`` or ``"name"`` -> object) is changed first, then handlers run: ``on_add(obj)``,
``on_update(old, new)``, ``on_delete(obj)`` (plain functions or coroutines; exceptions are logged, never stop the
informer).  Indexers map an object to index values; ``by_index`` answers the objects holding a value.  Built in:
``namespace``, ``owner-uid`` (ownerReferences uid), ``node-name`` (``spec.nodeName``) and ``label`` (``k=v``).

A :class:`SharedInformerFactory` hands out one informer per (resource, namespace, selectors) to all callers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Callable
from typing import Any

import aiohttp

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError

__all__ = ["Informer", "SharedInformerFactory", "object_key", "INDEX_NAMESPACE", "INDEX_OWNER_UID",
           "INDEX_NODE_NAME", "INDEX_LABEL"]

log = logging.getLogger(__name__)

INDEX_NAMESPACE = "namespace"
INDEX_OWNER_UID = "owner-uid"
INDEX_NODE_NAME = "node-name"
INDEX_LABEL = "label"

PAGE_SIZE = 500
BACKOFF_INITIAL = 0.8
BACKOFF_MAX = 30.0

IndexFunc = Callable[[dict[str, Any]], list[str]]
Handler = Callable[..., Any]


def object_key(obj: dict[str, Any]) -> str:
    """``namespace/name``, or ``name`` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc)."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name', '')}" if ns else meta.get("name", "")


def _index_namespace(obj: dict[str, Any]) -> list[str]:
    ns = (obj.get("metadata") or {}).get("namespace")
    return [ns] if ns else []


def _index_owner_uid(obj: dict[str, Any]) -> list[str]:
    return [ref["uid"] for ref in (obj.get("metadata") or {}).get("ownerReferences") or [] if ref.get("uid")]


def _index_node_name(obj: dict[str, Any]) -> list[str]:
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


def _index_label(obj: dict[str, Any]) -> list[str]:
    return [f"{k}={v}" for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items()]


class _Relist(Exception):
    """The watch cannot continue from the last resourceVersion: list again."""


class Informer:
    """One resource's cache.  ``start()`` runs it as a task; ``stop()`` cancels it.  Single event loop only."""

    def __init__(self, client: RESTClient, group: str, version: str, plural: str, namespace: str = "",
                 label_selector: str = "", field_selector: str = "", *, page_size: int = PAGE_SIZE,
                 watch_timeout: tuple[int, int] = (300, 600)) -> None:
        self.client = client
        self.group, self.version, self.plural = group, version, plural
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.path = resource_path(group, version, plural, namespace)
        self.api_version = f"{group}/{version}" if group else version
        self.store: dict[str, dict[str, Any]] = {}
        self.last_resource_version = ""
        self._kind = ""
        self._indexers: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self._add_handlers: list[Handler] = []
        self._update_handlers: list[Handler] = []
        self._delete_handlers: list[Handler] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.relists = 0  # how many full lists were made (observability and tests)
        for name, fn in ((INDEX_NAMESPACE, _index_namespace), (INDEX_OWNER_UID, _index_owner_uid),
                         (INDEX_NODE_NAME, _index_node_name), (INDEX_LABEL, _index_label)):
            self.add_indexer(name, fn)

    # -- handlers and indexers -----------------------------------------------------------------------------------

    def on_add(self, fn: Handler) -> Handler:
        """Register ``fn(obj)``; objects already cached are replayed to it.  Usable as a decorator."""
        self._add_handlers.append(fn)
        for obj in list(self.store.values()):
            self._spawn(fn, obj)
        return fn

    def on_update(self, fn: Handler) -> Handler:
        """Register ``fn(old, new)``."""
        self._update_handlers.append(fn)
        return fn

    def on_delete(self, fn: Handler) -> Handler:
        """Register ``fn(obj)`` (the last state the cache knew)."""
        self._delete_handlers.append(fn)
        return fn

    def add_event_handler(self, *, on_add: Handler | None = None, on_update: Handler | None = None,
                          on_delete: Handler | None = None) -> None:
        if on_add:
            self.on_add(on_add)
        if on_update:
            self.on_update(on_update)
        if on_delete:
            self.on_delete(on_delete)

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Add (or replace) an index; existing cache entries are indexed at once."""
        self._indexers[name] = fn
        index: dict[str, set[str]] = {}
        self._indices[name] = index
        for key, obj in self.store.items():
            for value in fn(obj):
                index.setdefault(value, set()).add(key)

    def by_index(self, name: str, value: str) -> list[dict[str, Any]]:
        """Cached objects whose index ``name`` holds ``value``; raises KeyError for an unknown index."""
        keys = self._indices[name].get(value, ())
        return [self.store[k] for k in sorted(keys)]

    def get(self, key: str) -> dict[str, Any] | None:
        return self.store.get(key)

    def list(self) -> list[dict[str, Any]]:
        return list(self.store.values())

    # -- sync state ----------------------------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        """True once the first list has been put in the cache."""
        return self._synced.is_set()

    async def wait_synced(self, timeout: float | None = None) -> None:
        """Wait until the first list is cached; raises asyncio.TimeoutError after ``timeout``."""
        await asyncio.wait_for(self._synced.wait(), timeout)

    # -- running -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the list/watch task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"informer {self.path}")

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def run(self) -> None:
        """List and watch forever: resume watches from the last resourceVersion, relist on Expired, back off on
        connection errors.  Ends only by cancellation."""
        backoff = BACKOFF_INITIAL
        need_list = True
        list_rv = "0"
        while True:
            try:
                if need_list:
                    await self._list(list_rv)
                    need_list = False
                await self._watch()
                backoff = BACKOFF_INITIAL
            except asyncio.CancelledError:
                raise
            except _Relist as e:
                log.info("informer %s: relisting (%s)", self.path, e)
                need_list, list_rv = True, ""
            except StatusError as e:
                if e.code == 410:
                    need_list, list_rv = True, ""
                    continue
                log.warning("informer %s: %s", self.path, e)
                await asyncio.sleep(backoff * random.uniform(1.0, 1.5))
                backoff = min(backoff * 2, BACKOFF_MAX)
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as e:
                log.info("informer %s: connection trouble: %r", self.path, e)
                await asyncio.sleep(backoff * random.uniform(1.0, 1.5))
                backoff = min(backoff * 2, BACKOFF_MAX)

    def _selectors(self) -> dict[str, str]:
        out = {}
        if self.label_selector:
            out["labelSelector"] = self.label_selector
        if self.field_selector:
            out["fieldSelector"] = self.field_selector
        return out

    async def _list(self, resource_version: str) -> None:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {**self._selectors(), "limit": self.page_size}
        if resource_version:
            params["resourceVersion"] = resource_version
        while True:
            page = await self.client.list(self.path, params)
            kind = page.get("kind") or ""
            if kind.endswith("List"):
                self._kind = kind[:-4]
            items.extend(page.get("items") or [])
            meta = page.get("metadata") or {}
            cont = meta.get("continue")
            if not cont:
                break
            params = {**self._selectors(), "limit": self.page_size, "continue": cont}
        for obj in items:
            self._fill_type(obj)
        self.relists += 1
        self._replace(items)
        self.last_resource_version = meta.get("resourceVersion") or ""
        self._synced.set()

    def _fill_type(self, obj: dict[str, Any]) -> None:
        # List items carry no kind/apiVersion on the wire; handlers (event recorder, owner refs) want them.
        if self._kind and "kind" not in obj:
            obj["kind"] = self._kind
        obj.setdefault("apiVersion", self.api_version)

    async def _watch(self) -> None:
        params: dict[str, Any] = {
            **self._selectors(),
            "resourceVersion": self.last_resource_version,
            "allowWatchBookmarks": True,
            "timeoutSeconds": random.randint(*self.watch_timeout),
        }
        async for event in self.client.watch(self.path, params):
            etype = event.get("type")
            obj = event.get("object") or {}
            if etype == "ERROR":
                raise _Relist(obj.get("message") or "watch error")
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if etype == "BOOKMARK":
                if rv:
                    self.last_resource_version = rv
                continue
            self._fill_type(obj)
            if etype in ("ADDED", "MODIFIED"):
                self._upsert(obj)
            elif etype == "DELETED":
                self._remove(object_key(obj), obj)
            if rv:
                self.last_resource_version = rv

    # -- cache changes -------------------------------------------------------------------------------------------

    def _index(self, key: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        for name, fn in self._indexers.items():
            index = self._indices[name]
            if old is not None:
                for value in fn(old):
                    keys = index.get(value)
                    if keys is not None:
                        keys.discard(key)
                        if not keys:
                            del index[value]
            if new is not None:
                for value in fn(new):
                    index.setdefault(value, set()).add(key)

    def _upsert(self, obj: dict[str, Any]) -> None:
        key = object_key(obj)
        old = self.store.get(key)
        self.store[key] = obj
        self._index(key, old, obj)
        if old is None:
            for fn in self._add_handlers:
                self._spawn(fn, obj)
        else:
            for fn in self._update_handlers:
                self._spawn(fn, old, obj)

    def _remove(self, key: str, obj: dict[str, Any]) -> None:
        old = self.store.pop(key, None)
        if old is None:
            return
        self._index(key, old, None)
        for fn in self._delete_handlers:
            self._spawn(fn, obj)

    def _replace(self, items: list[dict[str, Any]]) -> None:
        """Make the cache equal ``items``: deletes for vanished keys, adds for new ones, updates where the
        resourceVersion changed."""
        fresh = {object_key(obj): obj for obj in items}
        for key in [k for k in self.store if k not in fresh]:
            self._remove(key, self.store[key])
        for key, obj in fresh.items():
            old = self.store.get(key)
            if old is not None and (old.get("metadata") or {}).get("resourceVersion") == \
                    (obj.get("metadata") or {}).get("resourceVersion"):
                continue
            self._upsert(obj)

    def _spawn(self, fn: Handler, *args: Any) -> None:
        try:
            result = fn(*args)
        except Exception:
            log.exception("informer %s: handler %r failed", self.path, fn)
            return
        if result is not None and inspect.isawaitable(result):  # most handlers only enqueue: skip the check
            task = asyncio.ensure_future(result)
            task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Future) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("informer %s: handler failed", self.path, exc_info=task.exception())


class SharedInformerFactory:
    """One informer per (group, version, plural, namespace, label selector, field selector), shared."""

    def __init__(self, client: RESTClient) -> None:
        self.client = client
        self._informers: dict[tuple[str, ...], Informer] = {}
        self._started = False

    def informer(self, group: str, version: str, plural: str, namespace: str = "", label_selector: str = "",
                 field_selector: str = "") -> Informer:
        """The shared informer for these arguments, created on first use (and started if the factory runs)."""
        key = (group, version, plural, namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = Informer(self.client, group, version, plural, namespace, label_selector, field_selector)
            self._informers[key] = inf
            if self._started:
                inf.start()
        return inf

    def start(self) -> None:
        """Start every informer created so far and any created later."""
        self._started = True
        for inf in self._informers.values():
            inf.start()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(asyncio.gather(*(i.wait_synced() for i in self._informers.values())), timeout)

    async def stop(self) -> None:
        self._started = False
        await asyncio.gather(*(i.stop() for i in self._informers.values()))
