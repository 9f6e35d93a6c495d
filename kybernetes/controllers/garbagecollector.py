"""The garbage collector: deletes objects whose owners are gone, and carries out foreground and orphan deletion.

Upstream's model, in short.  Every resource the server serves with ``list``, ``watch`` and ``delete`` (found by
discovery, refreshed every ``gc_discovery_period`` seconds; Events are ignored) is watched by a metadata-only
informer ("monitor").  Their events build a :class:`~kybernetes.controllers.gcgraph.Graph` of owner references.
The graph queues work on three kinds of keys:

- ``delete:<uid>`` (attempt to delete): read the object live; if it is an owner being deleted in the
  *foreground* (``foregroundDeletion`` finalizer), delete its dependents and remove the finalizer once no
  dependent with ``blockOwnerDeletion`` is left; otherwise classify each ownerReference by a live GET of the
  owner (by name, compared by uid) as *solid* (exists), *dangling* (absent, or another object with that name)
  or *waiting* (the owner is being deleted in the foreground).  With a solid owner, dangling and waiting
  references are removed from the object; with none, the object is deleted (preconditioned on its uid and
  resourceVersion) in the foreground if a waiting owner needs its own dependents gone first, else with the
  policy its finalizers ask for (Background by default);
- ``orphan:<uid>``: an owner being deleted with the ``orphan`` finalizer: its reference is removed from every
  dependent, then the finalizer;
- ``owner:<uid>``: an owner referenced but never observed: its dependents are looked at (their live lookup
  decides).

A cluster-scoped object may own namespaced ones; a namespaced owner of an object in another namespace (or of a
cluster-scoped object) is invalid and reported with an ``OwnerRefInvalidNamespace`` Warning event on the
dependent; a cluster-scoped dependent with a namespaced owner is never collected.

Decisions use live reads and preconditioned writes only, so the collector can be killed at any moment and,
restarted, rebuilds the graph from its informers and converges.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_conflict, is_not_found
from kybernetes.controllers.discovery import APIResource, Discovery, discover
from kybernetes.controllers.gcgraph import (
    FOREGROUND,
    ORPHAN,
    AbsentOwnerCache,
    Changes,
    Graph,
    Identity,
    Node,
    ref_coordinates,
)
from kybernetes.controllers.metadata import MetadataInformer, metadata_client
from kybernetes.machinery.errors import StatusError

__all__ = ["GarbageCollector", "IGNORED_RESOURCES"]

log = logging.getLogger(__name__)

COMPONENT = "garbage-collector-controller"
# Resources the collector never watches (upstream's DefaultIgnoredResources).
IGNORED_RESOURCES = frozenset({("", "events"), ("events.k8s.io", "events")})
DISCOVERY_PERIOD = 30.0
SYNC_TIMEOUT = 30.0
UNMAPPED_RETRY = 30.0
PATCH_RETRIES = 5


class _Unmapped(Exception):
    """An ownerReference names a kind the server does not serve (yet)."""


class _Unresolvable(Exception):
    """A cluster-scoped object refers to a namespaced owner: never decidable, never retried."""


class GarbageCollector(Controller):
    """Owner-reference garbage collection over every deletable resource."""

    name = "garbagecollector"
    workers = 10

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        # the owner graph, fed by the monitors' handlers
        self.graph = Graph()
        # owner identities verified absent
        self.absent = AbsentOwnerCache()
        # the last successful discovery (REST mappings for owner references)
        self.discovery = Discovery()
        # (group, version, plural) -> metadata informer
        self.monitors: dict[tuple[str, str, str], MetadataInformer] = {}
        self.recorder = ctx.recorder(COMPONENT)
        self.discovery_period = float(ctx.options.get("gc_discovery_period", DISCOVERY_PERIOD))
        self.sync_timeout = float(ctx.options.get("gc_sync_timeout", SYNC_TIMEOUT))
        # metadata clients: one for the monitors' long watches, one for the workers' reads and writes (a client
        # pools at most 100 connections: watches must not starve the workers)
        self._watch_client: RESTClient | None = None
        self._mclient: RESTClient | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------------

    @property
    def mclient(self) -> RESTClient:
        if self._mclient is None:
            self._mclient = metadata_client(self.client)
        return self._mclient

    @property
    def watch_client(self) -> RESTClient:
        if self._watch_client is None:
            self._watch_client = metadata_client(self.client)
        return self._watch_client

    async def start(self) -> None:
        """Discover, start the monitors, wait (up to ``gc_sync_timeout``) for their first lists, start workers."""
        try:
            await self.resync_monitors()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - the discovery loop tries again
            log.warning("garbage collector: discovery failed: %s", e)
        try:
            await asyncio.wait_for(asyncio.gather(*(m.wait_synced() for m in self.monitors.values())),
                                   self.sync_timeout)
        except asyncio.TimeoutError:
            log.warning("garbage collector: monitors not synced after %ss, starting anyway", self.sync_timeout)
        await super().start()
        self.spawn(self._discovery_loop(), name="garbagecollector-discovery")

    async def stop(self) -> None:
        await super().stop()
        monitors, self.monitors = self.monitors, {}
        await asyncio.gather(*(m.stop() for m in monitors.values()), return_exceptions=True)
        for client in (self._mclient, self._watch_client):
            if client is not None:
                await client.close()
        self._mclient = self._watch_client = None

    async def _discovery_loop(self) -> None:
        while True:
            await asyncio.sleep(self.discovery_period)
            try:
                await self.resync_monitors()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - keep the monitors we have
                log.warning("garbage collector: discovery failed: %s", e)

    async def resync_monitors(self) -> None:
        """Rediscover; start monitors for new deletable resources and stop those no longer served."""
        disc = await discover(self.mclient)
        self.discovery = disc
        wanted = {r.gvr: r for r in disc.filtered("list", "watch", "delete")
                  if (r.group, r.plural) not in IGNORED_RESOURCES}
        if disc.failed:
            # a group we could not read keeps its monitors: absence from a failed document proves nothing
            failed = set(disc.failed)
            keep = {gvr for gvr in self.monitors
                    if (f"{gvr[0]}/{gvr[1]}" if gvr[0] else gvr[1]) in failed}
        else:
            keep = set()
        for gvr in [g for g in self.monitors if g not in wanted and g not in keep]:
            await self.monitors.pop(gvr).stop()
        for gvr, res in wanted.items():
            if gvr not in self.monitors:
                inf = MetadataInformer(self.watch_client, res.group, res.version, res.plural, res.kind)
                self._register(inf, res)
                self.monitors[gvr] = inf
                inf.start()

    # -- graph building (informer handlers: synchronous, never await) ---------------------------------------------

    def _register(self, inf: MetadataInformer, res: APIResource) -> None:
        def identity(obj: dict[str, Any]) -> Identity:
            md = obj.get("metadata") or {}
            return Identity(res.api_version, res.kind, md.get("namespace") or "", md.get("name", ""),
                            md.get("uid", ""))

        def on_add(obj: dict[str, Any]) -> None:
            ident = identity(obj)
            if ident.uid:
                self._apply(self.graph.observe(ident, obj.get("metadata") or {}))

        def on_update(old: dict[str, Any], new: dict[str, Any]) -> None:
            old_uid = (old.get("metadata") or {}).get("uid")
            if old_uid and old_uid != (new.get("metadata") or {}).get("uid"):
                self._forget(old_uid)  # deleted and recreated under the same name between two looks
            on_add(new)

        def on_delete(obj: dict[str, Any]) -> None:
            uid = (obj.get("metadata") or {}).get("uid")
            if uid:
                self._forget(uid)

        inf.add_event_handler(on_add=on_add, on_update=on_update, on_delete=on_delete)

    def _forget(self, uid: str) -> None:
        referenced = self.graph.referenced(uid)
        node, changes = self.graph.forget(uid)
        if node is not None and referenced:
            self.absent.add(node.identity)
        self._apply(changes)

    def _apply(self, ch: Changes) -> None:
        for uid in ch.attempt_delete:
            self.queue.add(f"delete:{uid}")
        for uid in ch.attempt_orphan:
            self.queue.add(f"orphan:{uid}")
        for uid in ch.verify_owner:
            self.queue.add(f"owner:{uid}")
        for dep, ref in ch.invalid_namespace:
            self._report_invalid_namespace(dep, ref)

    def _report_invalid_namespace(self, dep: Node, ref: dict[str, Any]) -> None:
        d = dep.identity
        owner = ref_coordinates(ref, d.namespace)
        self.recorder.event(
            {"apiVersion": d.api_version, "kind": d.kind,
             "metadata": {"name": d.name, "namespace": d.namespace, "uid": d.uid}},
            "Warning", "OwnerRefInvalidNamespace", f'ownerRef {owner} does not exist in namespace "{d.namespace}"')

    # -- workers -------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        action, _, uid = key.partition(":")
        try:
            if action == "delete":
                await self._attempt_to_delete(uid)
            elif action == "orphan":
                await self._attempt_to_orphan(uid)
            elif action == "owner":
                self._verify_owner(uid)
        except _Unmapped as e:
            # a kind not (yet) served: look again after the next discovery rather than backing off for ever
            log.info("garbage collector: %s: %s", key, e)
            self.enqueue_after(key, max(self.discovery_period, UNMAPPED_RETRY))
        except _Unresolvable:
            log.debug("garbage collector: %s: cluster-scoped object refers to a namespaced owner", key)

    def _verify_owner(self, uid: str) -> None:
        """A referenced owner never observed: let its dependents' live lookups decide."""
        if uid in self.graph.nodes:
            return
        for dep in self.graph.dependents(uid):
            self.queue.add(f"delete:{dep.identity.uid}")

    async def _attempt_to_delete(self, uid: str) -> None:
        node = self.graph.nodes.get(uid)
        if node is None:
            return
        if node.being_deleted and not node.deleting_dependents:
            return  # a one-way trip: its dependents are looked at once it is gone
        latest = await self._get_live(node.identity)
        if latest is None:
            self._virtual_delete(node)
            return
        if node.deleting_dependents:
            await self._process_deleting_dependents(node)
            return
        md = latest.get("metadata") or {}
        refs = [r for r in md.get("ownerReferences") or [] if r.get("uid")]
        if not refs:
            return
        solid, dangling, waiting = await self._classify(node, refs)
        if solid:
            if dangling or waiting:
                gone = {r["uid"] for r in dangling + waiting}
                await self._patch_owner_refs(node, lambda rs: [r for r in rs if r.get("uid") not in gone])
            return
        if waiting and self.graph.dependents(uid):
            if any(d.deleting_dependents for d in self.graph.dependents(uid)):
                # an owner and a dependent both wait on their dependents: stop blocking to break a cycle
                await self._patch_owner_refs(node, _unblocked)
            await self._delete(node, latest, "Foreground")
            return
        finalizers = md.get("finalizers") or []
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        await self._delete(node, latest, policy)

    async def _process_deleting_dependents(self, node: Node) -> None:
        uid = node.identity.uid
        blocking = self.graph.blocking_dependents(uid)
        if not blocking:
            await self._remove_finalizer(node, FOREGROUND)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self.queue.add(f"delete:{dep.identity.uid}")

    async def _attempt_to_orphan(self, uid: str) -> None:
        node = self.graph.nodes.get(uid)
        if node is None or not node.orphaning:
            return
        results = await asyncio.gather(
            *(self._patch_owner_refs(dep, lambda rs: [r for r in rs if r.get("uid") != uid])
              for dep in self.graph.dependents(uid)),
            return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException) and not is_not_found(r):
                raise r
        await self._remove_finalizer(node, ORPHAN)

    # -- owner references --------------------------------------------------------------------------------------

    async def _classify(self, node: Node, refs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], ...]:
        """(solid, dangling, waiting) references of ``node``, by live lookups of the owners."""
        solid: list[dict[str, Any]] = []
        dangling: list[dict[str, Any]] = []
        waiting: list[dict[str, Any]] = []
        ns = node.identity.namespace
        for ref in refs:
            cluster_key, ns_key = ref_coordinates(ref, ""), ref_coordinates(ref, ns)
            if cluster_key in self.absent or ns_key in self.absent:
                dangling.append(ref)
                continue
            res = self._mapping(ref.get("apiVersion", ""), ref.get("kind", ""))
            if res.namespaced and not ns:
                raise _Unresolvable()
            key = ns_key if res.namespaced else cluster_key
            try:
                owner = await self.mclient.get(resource_path(res.group, res.version, res.plural,
                                                             ns if res.namespaced else "", ref.get("name", "")))
            except StatusError as e:
                if not is_not_found(e):
                    raise
                self.absent.add(key)
                dangling.append(ref)
                continue
            omd = owner.get("metadata") or {}
            if omd.get("uid") != ref.get("uid"):
                self.absent.add(key)
                dangling.append(ref)
            elif omd.get("deletionTimestamp") and FOREGROUND in (omd.get("finalizers") or []):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def _mapping(self, api_version: str, kind: str) -> APIResource:
        res = self.discovery.lookup(api_version, kind)
        if res is None:
            raise _Unmapped(f"no resource serves kind {kind!r} in {api_version!r}")
        return res

    def _path(self, ident: Identity) -> str:
        res = self._mapping(ident.api_version, ident.kind)
        return resource_path(res.group, res.version, res.plural, ident.namespace if res.namespaced else "",
                             ident.name)

    async def _get_live(self, ident: Identity) -> dict[str, Any] | None:
        """The object's metadata as the server has it now; None if it is gone (or another object took its name)."""
        try:
            obj = await self.mclient.get(self._path(ident))
        except StatusError as e:
            if is_not_found(e):
                return None
            raise
        return obj if (obj.get("metadata") or {}).get("uid") == ident.uid else None

    def _virtual_delete(self, node: Node) -> None:
        """The object is gone though no informer said so yet: forget it now (its dependents are looked at)."""
        if self.graph.nodes.get(node.identity.uid) is node:
            self._forget(node.identity.uid)

    # -- writes --------------------------------------------------------------------------------------------------

    async def _delete(self, node: Node, latest: dict[str, Any], policy: str) -> None:
        """Delete with ``policy``, preconditioned on uid and resourceVersion; a conflict caused by a change that
        left the ownerReferences alone is retried on the uid alone."""
        md = latest.get("metadata") or {}
        path = self._path(node.identity)
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": policy,
                                "preconditions": {"uid": node.identity.uid,
                                                  "resourceVersion": md.get("resourceVersion")}}
        log.info("garbage collector: deleting %s (propagationPolicy=%s)", node.identity, policy)
        try:
            await self.mclient.delete(path, body)
            return
        except StatusError as e:
            if is_not_found(e):
                self._virtual_delete(node)
                return
            if not is_conflict(e):
                raise
            live = await self._get_live(node.identity)
            if live is None:
                self._virtual_delete(node)
                return
            lmd = live.get("metadata") or {}
            if lmd.get("ownerReferences") != md.get("ownerReferences"):
                raise
        body["preconditions"] = {"uid": node.identity.uid}
        try:
            await self.mclient.delete(path, body)
        except StatusError as e:
            if not is_not_found(e):
                raise
            self._virtual_delete(node)

    async def _update_metadata(self, node: Node, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
        """Read-modify-write of metadata: ``change(metadata)`` answers the metadata fields to merge (None: nothing
        to do).  Preconditioned on resourceVersion, retried on conflicts; a vanished object is success."""
        for _ in range(PATCH_RETRIES):
            latest = await self._get_live(node.identity)
            if latest is None:
                return
            md = latest.get("metadata") or {}
            fields = change(md)
            if fields is None:
                return
            patch = {"metadata": {**fields, "resourceVersion": md.get("resourceVersion")}}
            try:
                await self.mclient.patch(self._path(node.identity), patch, "merge")
                return
            except StatusError as e:
                if is_not_found(e):
                    return
                if not is_conflict(e):
                    raise
        raise StatusError(409, "Conflict", f"garbage collector: {node.identity} kept changing; will retry")

    async def _patch_owner_refs(self, node: Node, fn: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
        def change(md: dict[str, Any]) -> dict[str, Any] | None:
            refs = md.get("ownerReferences") or []
            new = fn(refs)
            return None if new == refs else {"ownerReferences": new or None}

        await self._update_metadata(node, change)

    async def _remove_finalizer(self, node: Node, finalizer: str) -> None:
        def change(md: dict[str, Any]) -> dict[str, Any] | None:
            fins = md.get("finalizers") or []
            if finalizer not in fins:
                return None
            rest = [f for f in fins if f != finalizer]
            return {"finalizers": rest or None}

        log.info("garbage collector: removing finalizer %s from %s", finalizer, node.identity)
        await self._update_metadata(node, change)


def _unblocked(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "blockOwnerDeletion": False} if r.get("blockOwnerDeletion") else r for r in refs]
