"""The one generic registry: create, get, list, update, delete and watch for any resource, in a fixed pipeline.

One ``Registry`` per stored resource (versions that share storage, such as autoscaling v1 and v2, share one; the
HTTP layer converts). Objects are stored as JSON bytes without ``metadata.resourceVersion``, which is the store's
mod revision and is set when an object is read. Reads of current state come from the watch cache after it has
caught up with the newest write this server made to the resource (read-your-writes); paginated and exact-revision
lists read the store at a revision so every page comes from one snapshot.

Pipeline of a write: decode -> strategy.prepare_* -> strategy.validate* -> store (create, or update if the mod
revision still matches, retried from a fresh read when the client gave no resourceVersion) -> decoded result.
Deletes honour preconditions, finalizers (the object stays with deletionTimestamp until they are gone), graceful
deletion (pods bound to a node) and propagation policy (orphan and foregroundDeletion finalizers).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from kybernetes.machinery import errors
from kybernetes.machinery.jsoncopy import json_copy
from kybernetes.storage.interface import (
    CompactedError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RevisionMismatchError,
    Store,
)
from kybernetes.storage.watchcache import CachedObject, TooOldError, WatchCache

from .admission import Admission
from .allocation import ServiceAllocator
from .strategy import Strategy

__all__ = ["Registry", "ListResult", "now_rfc3339", "DeleteOptions"]

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
# Unconditional writes retry on a concurrent change as upstream's GuaranteedUpdate does: every round commits at
# least one contender, so writers racing on one object all get through; the bound only catches a bug.
_MAX_RETRIES = 1000


_last_stamp: list = [0, ""]


def now_rfc3339() -> str:
    """The current UTC time at second precision (formatted once per second: many writes share a second)."""
    t = int(time.time())
    if t != _last_stamp[0]:
        _last_stamp[0], _last_stamp[1] = t, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    return _last_stamp[1]


def _rfc3339_in(seconds: int, since: str = "") -> str:
    """The time ``seconds`` after ``since`` (an RFC 3339 time; now when empty or unreadable)."""
    t = dt.datetime.now(dt.timezone.utc)
    if since:
        try:
            t = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            pass
    return (t + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    """A random (version 4) UUID string, without the cost of building a uuid.UUID or a getrandom() call.

    Uniqueness, not secrecy, is what a uid needs; the generator is seeded from the OS at start."""
    b = bytearray(random.getrandbits(128).to_bytes(16, "little"))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_WRITTEN_MAX = 4096
_OMIT_EMPTY_META = ("labels", "annotations", "finalizers", "ownerReferences", "managedFields")


def stored_form(obj: dict) -> tuple[bytes, dict]:
    """The stored bytes of ``obj`` and the document they encode. The bytes leave out resourceVersion and the empty
    metadata collections Go's encoder omits (``annotations: {}`` and the like), so what is read back matches
    upstream. The document is a new top level in the stored key order, sharing ``obj``'s values (its metadata
    copied when it held a resourceVersion), so that ``orjson.loads(bytes)`` would equal it."""
    md = obj.get("metadata")
    if md:
        for k in _OMIT_EMPTY_META:
            if k in md and not md[k]:
                del md[k]
    if md is not None and "resourceVersion" in md:
        md = dict(md)
        del md["resourceVersion"]
    # apiVersion, kind and metadata first: `with_resource_version` splices into the first "metadata" object
    head = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": md if md is not None else {}}
    doc = {**head, **{k: v for k, v in obj.items() if k not in head}}
    return orjson.dumps(doc), doc


_META_OPEN = b'"metadata":{'


def with_resource_version(value: bytes, revision: int) -> bytes:
    """The JSON of a stored object with its resourceVersion, spliced into the stored bytes without decoding them.

    Stored values start with apiVersion, kind and metadata (``stored_form``), so the first ``"metadata":{``
    is the object's own."""
    i = value.find(_META_OPEN)
    if i < 0:
        obj = orjson.loads(value)
        obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
        return orjson.dumps(obj)
    j = i + len(_META_OPEN)
    rv = b'"resourceVersion":"%d"' % revision
    return value[:j] + rv + (b"" if value[j:j + 1] == b"}" else b",") + value[j:]


def decode_kv(kv: KeyValue) -> dict:
    obj = orjson.loads(kv.value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
    return obj


@dataclass(slots=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None  # Orphan | Background | Foreground
    orphan_dependents: bool | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False


@dataclass(slots=True)
class ListResult:
    items: list[dict]
    resource_version: str
    continue_token: str = ""
    remaining: int | None = None
    kvs: list[KeyValue] | None = None  # the stored versions of ``items`` (same order), for byte splicing


Filter = Callable[[dict], bool]


class Registry:
    """CRUD and watch for one stored resource (safe to use concurrently from many requests)."""

    def __init__(
        self,
        *,
        store: Store,
        strategy: Strategy,
        kind: str,
        api_version: str,
        prefix: str,
        event_lease_ttl: int = 0,
    ) -> None:
        self.store = store
        self.strategy = strategy
        self.kind = kind  # storage kind
        self.api_version = api_version  # storage apiVersion
        self.prefix = prefix  # ends with "/"
        # The documents of this server's own writes, by their stored bytes, until the watch cache takes them in
        # place of decoding the bytes again (see ``_encode``).
        self._written: dict[bytes, dict] = {}
        self.cache = WatchCache(store, prefix, decode=self._decode)
        self._last_write = 0
        self._lease_ttl = event_lease_ttl
        self._lease: tuple[int, float] | None = None
        self._lease_lock = asyncio.Lock()
        self.namespace_exists: Callable[[str], Awaitable[str | None]] | None = None
        self.allocator: ServiceAllocator | None = None
        self.admission: Admission | None = None

    # -- stored form ---------------------------------------------------------------------------------------
    def _encode(self, obj: dict) -> bytes:
        """The bytes to store for ``obj``; the document they encode is kept for the watch cache, which would
        otherwise decode the bytes of every write it sees again. It shares values with ``obj``, which the caller
        returns: objects a write returns are read, never changed, as the cache's own objects are. A write that
        fails leaves an entry nobody asks for, dropped when the table fills."""
        data, doc = stored_form(obj)
        written = self._written
        if len(written) >= _WRITTEN_MAX:
            written.clear()
        written[data] = doc
        return data

    def _decode(self, kv: KeyValue) -> dict:
        """The object of a stored value: the document this server encoded it from, else decoded (equal bytes
        encode equal documents, so a value written by another server decodes the same)."""
        doc = self._written.pop(kv.value, None)
        if doc is None:
            return decode_kv(kv)
        doc["metadata"]["resourceVersion"] = str(kv.mod_revision)
        return doc

    # -- keys ----------------------------------------------------------------------------------------------
    @property
    def group(self) -> str:
        return self.strategy.group

    @property
    def resource(self) -> str:
        return self.strategy.resource

    def key(self, namespace: str, name: str) -> str:
        if self.strategy.namespaced:
            return f"{self.prefix}{namespace}/{name}"
        return f"{self.prefix}{name}"

    def list_prefix(self, namespace: str) -> str:
        if self.strategy.namespaced and namespace:
            return f"{self.prefix}{namespace}/"
        return self.prefix

    async def start(self) -> None:
        await self.cache.start()
        if self.allocator is not None:
            self.allocator.load(co.obj for co in self.cache.items())

    async def stop(self) -> None:
        await self.cache.stop()

    def _wrote(self, rev: int) -> None:
        if rev > self._last_write:
            self._last_write = rev

    async def _fresh(self) -> None:
        if self.cache.revision < self._last_write:
            await self.cache.wait_for_revision(self._last_write, 5.0)

    def _not_found(self, name: str) -> errors.StatusError:
        return errors.not_found(self.group, self.resource, name)

    # -- reads ---------------------------------------------------------------------------------------------
    async def get(self, namespace: str, name: str) -> dict:
        """The current object (a shared dict: callers must not mutate it). Raises NotFound."""
        return (await self.get_cached(namespace, name)).obj

    async def get_cached(self, namespace: str, name: str) -> CachedObject:
        """The current object with the stored version it was decoded from. Raises NotFound."""
        await self._fresh()
        co = self.cache.get(self.key(namespace, name))
        if co is None:
            raise self._not_found(name)
        return co

    async def list(
        self,
        namespace: str,
        *,
        match: Filter | None = None,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> ListResult:
        """List objects (shared dicts) as upstream: see the module docstring for where each form is served."""
        prefix = self.list_prefix(namespace)
        if continue_token:
            rev, start = self._decode_continue(continue_token, prefix)
            return await self._list_store(prefix, match, limit, rev, start)
        if resource_version_match == "Exact":
            rev = self._parse_rv(resource_version)
            return await self._list_store(prefix, match, limit, rev, "")
        if limit > 0 and resource_version == "":
            return await self._list_store(prefix, match, limit, 0, "")
        if resource_version not in ("", "0"):
            rev = self._parse_rv(resource_version)
            if self.cache.revision < rev:
                try:
                    await self.cache.wait_for_revision(rev, 3.0)
                except (TimeoutError, asyncio.TimeoutError):
                    raise errors.timeout(f"Too large resource version: {rev}, current: {self.cache.revision}")
        elif resource_version == "":
            await self._fresh()
        items = []
        kvs = []
        rev = self.cache.revision
        for co in self.cache.items(prefix):
            if match is None or match(co.obj):
                items.append(co.obj)
                kvs.append(co.kv)
        return ListResult(items=items, resource_version=str(max(rev, self._last_write)), kvs=kvs)

    def _parse_rv(self, rv: str) -> int:
        try:
            n = int(rv)
            if n < 0:
                raise ValueError
            return n
        except ValueError:
            raise errors.bad_request(f'invalid resource version "{rv}"') from None

    async def _list_store(self, prefix: str, match: Filter | None, limit: int, rev: int, start: str) -> ListResult:
        items: list[dict] = []
        want = limit if limit > 0 else 0
        start_key = prefix + start if start else ""
        remaining: int | None = None
        last_key = ""
        more = False
        try:
            while True:
                batch = max(want - len(items), 1) if want else 0
                if want and match is not None:
                    batch = max(batch, 100)
                res = await self.store.range(prefix, start_key=start_key, limit=batch, revision=rev)
                rev = res.revision
                for i, kv in enumerate(res.kvs):
                    obj = decode_kv(kv)
                    last_key = kv.key
                    if match is None or match(obj):
                        items.append(obj)
                        if want and len(items) >= want:
                            more = res.more or i < len(res.kvs) - 1
                            if match is None:
                                remaining = res.count - (i + 1)
                            break
                else:
                    more = False
                    if res.more and res.kvs:
                        start_key = res.kvs[-1].key + "\x00"
                        continue
                    break
                break
        except CompactedError:
            raise errors.expired(
                "The provided continue parameter is too old to display a consistent list result. You can start "
                "a new list without the continue parameter, or use the continue token in this response to "
                "retrieve the remainder of the results. Continuing with the provided token results in an "
                "inconsistent list - objects that were created, modified, or deleted between the time the first "
                "chunk was returned and now may show up in the list."
                if start
                else f"too old resource version: {rev}"
            ) from None
        except FutureRevisionError:
            raise errors.timeout(f"Too large resource version: {rev}") from None
        token = ""
        if more and last_key:
            token = self._encode_continue(rev, last_key[len(prefix):] + "\x00")
        else:
            remaining = None
        return ListResult(items=items, resource_version=str(rev), continue_token=token,
                          remaining=remaining if remaining else None)

    @staticmethod
    def _encode_continue(rev: int, start: str) -> str:
        raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": start})
        return base64.b64encode(raw).decode()

    @staticmethod
    def _decode_continue(token: str, prefix: str) -> tuple[int, str]:
        try:
            pad = "=" * (-len(token) % 4)
            try:
                raw = base64.b64decode(token + pad, validate=True)
            except Exception:
                raw = base64.urlsafe_b64decode(token + pad)
            data = orjson.loads(raw)
            if data.get("v") != "meta.k8s.io/v1":
                raise ValueError
            rev = int(data["rv"])
            start = str(data["start"])
            if start.startswith("/") or ".." in start.split("/"):
                raise ValueError
            return rev, start
        except Exception:
            raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                     "(version meta.k8s.io/v1)") from None

    def watch(self, start_revision: int, prefix: str = "") -> Any:
        """Events after ``start_revision`` under ``prefix``: from the watch cache, or replayed from the store's
        history when the cache started later (e.g. a watch resumed across a restart). 410 when compacted."""
        try:
            return self.cache.watch(start_revision, prefix=prefix)
        except TooOldError as e:
            if start_revision >= self.store.compacted_revision:
                return _StoreWatcher(self.store.watch(prefix or self.prefix, start_revision=start_revision + 1))
            raise errors.expired(f"too old resource version: {start_revision} ({e.oldest_available})") from None

    # -- writes --------------------------------------------------------------------------------------------
    async def _lease_id(self) -> int:
        if not self._lease_ttl:
            return 0
        async with self._lease_lock:
            now = time.monotonic()
            if self._lease is None or now - self._lease[1] > 60:
                lid = await self.store.grant_lease(self._lease_ttl + 60)
                self._lease = (lid, now)
            return self._lease[0]

    async def create(self, obj: dict, *, dry_run: bool = False) -> dict:
        """Create ``obj`` (a dict owned by the caller, mutated). Returns the stored object."""
        md = obj.setdefault("metadata", {})
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + "".join(random.choice(_NAME_CHARS) for _ in range(5))
        name = md.get("name") or ""
        namespace = md.get("namespace", "") if self.strategy.namespaced else ""
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            md.pop(k, None)
        if not self.strategy.namespaced:
            md.pop("namespace", None)
        md["uid"] = new_uid()
        md["creationTimestamp"] = now_rfc3339()
        if self.admission is not None:
            await self.admission.admit_create(self.group, self.resource, obj)
        self.strategy.prepare_for_create(obj)
        errs = self.strategy.validate(obj)
        if errs:
            raise errors.invalid(self.group, self.kind, name, errs)
        if self.strategy.namespaced and self.namespace_exists is not None:
            phase = await self.namespace_exists(namespace)
            if phase is None:
                raise errors.not_found("", "namespaces", namespace)
            if phase == "Terminating":
                raise errors.forbidden(
                    self.group, self.resource, name,
                    f"unable to create new content in namespace {namespace} because it is being terminated")
        await self._fresh()
        if self.cache.get(self.key(namespace, name)) is not None:
            raise errors.already_exists(self.group, self.resource, name)
        reservation = self.allocator.allocate(obj) if self.allocator is not None else None
        if dry_run:
            if reservation is not None:
                reservation.undo()
            return obj
        data = self._encode(obj)
        try:
            kv = await self.store.create(self.key(namespace, name), data, lease=await self._lease_id())
        except KeyExistsError:
            if reservation is not None:
                reservation.undo()
            raise errors.already_exists(self.group, self.resource, name) from None
        except BaseException:
            if reservation is not None:
                reservation.undo()
            raise
        self._wrote(kv.mod_revision)
        md["resourceVersion"] = str(kv.mod_revision)
        return obj

    async def update(
        self,
        namespace: str,
        name: str,
        mutate: Callable[[dict | None], dict],
        *,
        subresource: str = "",
        dry_run: bool = False,
        allow_create: bool = False,
        precondition_rv: str | None = None,
        copy_current: bool = True,
    ) -> tuple[dict, bool]:
        """Read-modify-write: ``mutate(copy_of_current | None)`` returns the new object (may raise StatusError).
        With ``copy_current`` False, ``mutate`` gets the cached object itself and must build its result without
        changing it or sharing containers with it (a patch, whose application makes a fresh document).

        ``precondition_rv`` (from the client's object) makes the write conditional on that resourceVersion and
        disables retries; otherwise a concurrent change is retried from a fresh read. A missing object is created
        when ``allow_create``; else NotFound. Returns (stored object, created?). A write that changes nothing is
        not stored and returns the current object unchanged.
        """
        key = self.key(namespace, name)
        for _attempt in range(_MAX_RETRIES):
            await self._fresh()
            co = self.cache.get(key)
            current = co.obj if co is not None else None
            if current is None:
                if not allow_create:
                    raise self._not_found(name)
                new = mutate(None)
                new.setdefault("metadata", {}).setdefault("name", name)
                if self.strategy.namespaced:
                    new["metadata"]["namespace"] = namespace
                if precondition_rv:
                    raise self._not_found(name)
                try:
                    return await self.create(new, dry_run=dry_run), True
                except errors.StatusError as e:
                    if e.reason == "AlreadyExists":
                        continue
                    raise
            old_md = current["metadata"]
            if precondition_rv is not None and precondition_rv != old_md.get("resourceVersion"):
                raise errors.conflict(self.group, self.resource, name, errors.OPTIMISTIC_LOCK_ERROR_MSG)
            new = mutate(json_copy(current) if copy_current else current)
            md = new.setdefault("metadata", {})
            if md.get("uid") and md["uid"] != old_md.get("uid"):
                # a uid in the written object is a precondition (as upstream's update/patch)
                raise errors.conflict(self.group, self.resource, name,
                                      f"Precondition failed: UID in precondition: {md['uid']}, "
                                      f"UID in object meta: {old_md.get('uid', '')}")
            for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "generation", "name"):
                if k in old_md:
                    md[k] = old_md[k]
                else:
                    md.pop(k, None)
            if self.strategy.namespaced:
                md["namespace"] = namespace
            else:
                md.pop("namespace", None)
            md["resourceVersion"] = old_md.get("resourceVersion")
            self.strategy.prepare_for_update(new, current, subresource=subresource)
            # pods/binding only sets spec.nodeName (checked by its handler); like upstream's BindingREST it is
            # not a pod update, so ValidatePodUpdate (which forbids spec changes) does not apply.
            errs = (self.strategy.validate_update(new, current, subresource=subresource)
                    if subresource != "binding" else [])
            if errs:
                raise errors.invalid(self.group, self.kind, name, errs)
            if (old_md.get("deletionTimestamp") and old_md.get("deletionGracePeriodSeconds") == 0
                    and not md.get("finalizers") and not self._spec_finalizers(new)):
                # the last finalizer is gone and no grace period is pending (upstream's shouldDeleteDuringUpdate;
                # a pod in graceful deletion stays until its kubelet deletes it with grace period 0)
                if dry_run:
                    return new, False
                try:
                    kv = await self.store.delete(key, expected_mod_revision=int(old_md["resourceVersion"]))
                except RevisionMismatchError:
                    if precondition_rv is not None:
                        raise errors.conflict(self.group, self.resource, name,
                                              errors.OPTIMISTIC_LOCK_ERROR_MSG) from None
                    continue
                except KeyNotFoundError:
                    raise self._not_found(name) from None
                self._wrote(kv.mod_revision)
                if self.allocator is not None:
                    self.allocator.release(current)
                return new, False
            reservation = self.allocator.allocate(new, current) if self.allocator is not None else None
            if new == current:
                if reservation is not None:
                    reservation.undo()
                return current, False
            if dry_run:
                if reservation is not None:
                    reservation.undo()
                return new, False
            try:
                kv = await self.store.update(key, self._encode(new),
                                             expected_mod_revision=int(old_md["resourceVersion"]),
                                             lease=co.kv.lease if co is not None else 0)
            except RevisionMismatchError:
                if reservation is not None:
                    reservation.undo()
                if precondition_rv is not None:
                    raise errors.conflict(self.group, self.resource, name, errors.OPTIMISTIC_LOCK_ERROR_MSG) from None
                continue
            except KeyNotFoundError:
                if reservation is not None:
                    reservation.undo()
                if precondition_rv is not None or not allow_create:
                    raise self._not_found(name) from None
                continue
            except BaseException:
                if reservation is not None:
                    reservation.undo()
                raise
            if reservation is not None:
                reservation.commit()
            self._wrote(kv.mod_revision)
            md["resourceVersion"] = str(kv.mod_revision)
            return new, False
        raise errors.conflict(self.group, self.resource, name, errors.OPTIMISTIC_LOCK_ERROR_MSG)

    async def delete(self, namespace: str, name: str, options: DeleteOptions) -> tuple[dict, bool]:
        """Delete as upstream: returns (object, deleted_now). Pending finalizers or grace keep the object."""
        key = self.key(namespace, name)
        for _attempt in range(_MAX_RETRIES):
            await self._fresh()
            co = self.cache.get(key)
            if co is None:
                raise self._not_found(name)
            current = co.obj
            md = current["metadata"]
            if options.precondition_uid is not None and options.precondition_uid != md.get("uid"):
                raise errors.conflict(
                    self.group, self.resource, name,
                    f"Precondition failed: UID in precondition: {options.precondition_uid}, "
                    f"UID in object meta: {md.get('uid', '')}")
            if options.precondition_rv is not None and options.precondition_rv != md.get("resourceVersion"):
                raise errors.conflict(
                    self.group, self.resource, name,
                    f"Precondition failed: ResourceVersion in precondition: {options.precondition_rv}, "
                    f"ResourceVersion in object meta: {md.get('resourceVersion', '')}")
            new = json_copy(current)
            nmd = new["metadata"]
            finalizers = list(nmd.get("finalizers") or [])
            policy = options.propagation_policy
            if policy is None and options.orphan_dependents is not None:
                policy = "Orphan" if options.orphan_dependents else "Background"
            if policy == "Orphan":
                finalizers = [f for f in finalizers if f != "foregroundDeletion"]
                if "orphan" not in finalizers:
                    finalizers.append("orphan")
            elif policy == "Foreground":
                finalizers = [f for f in finalizers if f != "orphan"]
                if "foregroundDeletion" not in finalizers:
                    finalizers.append("foregroundDeletion")
            elif policy == "Background":
                finalizers = [f for f in finalizers if f not in ("orphan", "foregroundDeletion")]
            grace = self.strategy.graceful_seconds(current, options.grace_period_seconds)
            if self._is_namespaces:
                # A namespace is emptied by the namespace controller before it goes: it turns Terminating and
                # stays while spec.finalizers (or metadata finalizers) are pending.
                if md.get("deletionTimestamp"):
                    if not finalizers and not self._spec_finalizers(current):
                        try:
                            return await self._delete_now(key, current, co.kv, options, name)
                        except _Retry:
                            continue
                    if finalizers == (md.get("finalizers") or []):
                        return current, False
                    nmd["finalizers"] = finalizers
                elif not finalizers and not self._spec_finalizers(current):
                    try:
                        return await self._delete_now(key, current, co.kv, options, name)
                    except _Retry:
                        continue
                else:
                    nmd["deletionTimestamp"] = now_rfc3339()
                    nmd["deletionGracePeriodSeconds"] = 0
                    if finalizers:
                        nmd["finalizers"] = finalizers
                    else:
                        nmd.pop("finalizers", None)
                    new.setdefault("status", {})["phase"] = "Terminating"
            elif md.get("deletionTimestamp"):
                # Already being deleted (upstream's BeforeDelete): with no grace period pending it goes now unless
                # finalizers hold it; otherwise only a shorter requested grace period (down to 0) or a finalizer
                # change applies.
                old_grace = md.get("deletionGracePeriodSeconds")
                requested = options.grace_period_seconds
                changed = finalizers != (md.get("finalizers") or [])
                shorter = max(0, requested) if requested is not None else None
                if old_grace and shorter is not None and shorter < old_grace:
                    # the deadline moves to the time of the first request plus the new period
                    nmd["deletionTimestamp"] = _rfc3339_in(shorter - old_grace, md["deletionTimestamp"])
                    nmd["deletionGracePeriodSeconds"] = old_grace = shorter
                    changed = True
                if not old_grace and not finalizers and not self._spec_finalizers(current):
                    try:
                        return await self._delete_now(key, current, co.kv, options, name)
                    except _Retry:
                        continue
                if not changed:
                    return current, False
                nmd["finalizers"] = finalizers
            elif finalizers or grace > 0:
                nmd["deletionTimestamp"] = _rfc3339_in(grace) if grace > 0 else now_rfc3339()
                nmd["deletionGracePeriodSeconds"] = grace
                if finalizers:
                    nmd["finalizers"] = finalizers
                else:
                    nmd.pop("finalizers", None)
                if self.strategy.track_generation:
                    nmd["generation"] = (md.get("generation") or 1) + 1
            else:
                try:
                    return await self._delete_now(key, current, co.kv, options, name)
                except _Retry:
                    continue
            if options.dry_run:
                return new, False
            try:
                kv = await self.store.update(key, self._encode(new), expected_mod_revision=co.kv.mod_revision,
                                             lease=co.kv.lease)
            except RevisionMismatchError:
                continue
            except KeyNotFoundError:
                raise self._not_found(name) from None
            self._wrote(kv.mod_revision)
            nmd["resourceVersion"] = str(kv.mod_revision)
            return new, False
        raise errors.conflict(self.group, self.resource, name, errors.OPTIMISTIC_LOCK_ERROR_MSG)

    def _spec_finalizers(self, obj: dict) -> list:
        """A namespace's ``spec.finalizers`` (other resources have none)."""
        return ((obj.get("spec") or {}).get("finalizers") or []) if self._is_namespaces else []

    @property
    def _is_namespaces(self) -> bool:
        return self.group == "" and self.resource == "namespaces"

    async def _delete_now(self, key: str, current: dict, kv: KeyValue, options: DeleteOptions,
                          name: str) -> tuple[dict, bool]:
        if options.dry_run:
            return current, True
        try:
            dkv = await self.store.delete(key, expected_mod_revision=kv.mod_revision)
        except RevisionMismatchError:
            # changed underneath: the caller's loop re-reads; surface as a conflict only after retries
            raise _Retry() from None
        except KeyNotFoundError:
            raise self._not_found(name) from None
        self._wrote(dkv.mod_revision)
        if self.allocator is not None:
            self.allocator.release(current)
        return current, True


class _Retry(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _StoreEvent:
    type: str
    key: str
    obj: dict
    prev_obj: dict | None
    revision: int


class _StoreWatcher:
    """Adapts a store watch to the watch cache's event shape (used when the cache cannot serve a revision)."""

    def __init__(self, watch: Any) -> None:
        self._watch = watch
        self._it = watch.__aiter__()
        self._pending: list[_StoreEvent] = []

    def __aiter__(self) -> "_StoreWatcher":
        return self

    async def __anext__(self) -> _StoreEvent:
        while not self._pending:
            try:
                batch = await self._it.__anext__()
            except CompactedError as e:
                raise TooOldError(e.compacted_revision) from None
            for ev in batch:
                prev = decode_kv(ev.prev_kv) if ev.prev_kv is not None else None
                if ev.type == "DELETE":
                    self._pending.append(_StoreEvent("DELETED", ev.kv.key, decode_kv(ev.kv), prev, ev.kv.mod_revision))
                else:
                    etype = "ADDED" if ev.prev_kv is None else "MODIFIED"
                    self._pending.append(_StoreEvent(etype, ev.kv.key, decode_kv(ev.kv), prev, ev.kv.mod_revision))
        return self._pending.pop(0)

    def close(self) -> None:
        self._watch.close()
