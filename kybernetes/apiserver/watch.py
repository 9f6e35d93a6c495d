"""Watch streams: newline-delimited JSON events over chunked HTTP, served from the watch cache.

``resourceVersion`` unset or "0" starts with synthetic ADDED events for every current object, then follows
changes; ``N`` sends every change after N (410 Expired as an ERROR event when N is older than the cache holds).
Label and field selectors are applied with upstream's transitions: an object that starts matching arrives as
ADDED, one that stops matching leaves as DELETED (its previous state, at the new resourceVersion). Bookmarks go
out when asked (``allowWatchBookmarks``), ``sendInitialEvents`` ends its initial burst with the
``k8s.io/initial-events-end`` bookmark, ``timeoutSeconds`` ends the stream cleanly. Each event's JSON is encoded
once per served version and shared by all watchers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from kybernetes.api.catalogue import ResourceInfo
from kybernetes.machinery import errors

from . import tables
from .negotiation import parse_accept

if TYPE_CHECKING:
    from .handlers import ResourceAPI

__all__ = ["serve_watch"]

_BATCH = 256  # most events written at once by a watch
# A watch that wrote less than _BUSY ago is under a stream of changes: after its next event it waits _GATHER for
# more before writing, so a busy watch sends a few large writes instead of one TLS record and syscall per event
# (an idle watch writes each event at once).
_BUSY = 0.02
_GATHER = 0.005
_BOOKMARK_EVERY = 30.0
_MIN_TIMEOUT = 1800

_encoded: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
_ENCODED_MAX = 4096


def _encode_object(key: str, revision: int, api_version: str, obj: dict) -> bytes:
    k = (key, revision, api_version)
    b = _encoded.get(k)
    if b is None:
        b = orjson.dumps(obj)
        _encoded[k] = b
        if len(_encoded) > _ENCODED_MAX:
            _encoded.popitem(last=False)
    return b


def _line(etype: str, obj_bytes: bytes) -> bytes:
    return b'{"type":"' + etype.encode() + b'","object":' + obj_bytes + b"}\n"


async def serve_watch(api: ResourceAPI, request: web.BaseRequest, info: ResourceInfo, namespace: str,
                      name: str) -> web.StreamResponse:
    """Serve a watch of ``info`` (in ``namespace``, of one ``name`` when given) until timeout or disconnect."""
    reg = api.registry_for(info)
    q = request.query
    rv = q.get("resourceVersion", "")
    bookmarks = q.get("allowWatchBookmarks", "").lower() == "true"
    send_initial = q.get("sendInitialEvents", "").lower()
    try:
        timeout = int(q["timeoutSeconds"]) if q.get("timeoutSeconds") else random.randint(_MIN_TIMEOUT,
                                                                                          2 * _MIN_TIMEOUT)
    except ValueError:
        raise errors.bad_request(f"invalid timeoutSeconds: {q.get('timeoutSeconds')}") from None
    match = api._matcher(request, info, reg)
    if name:
        base = match

        def match(obj: dict, _b=base) -> bool:  # type: ignore[misc]
            return (obj.get("metadata") or {}).get("name") == name and (_b is None or _b(obj))

    accept = parse_accept(request.headers.get("Accept", ""))
    as_table = accept.as_ == "Table"
    as_metadata = accept.as_ in ("PartialObjectMetadata", "PartialObjectMetadataList")
    include_object = q.get("includeObject", "Metadata")
    prefix = reg.list_prefix(namespace)
    storage_av = info.storage_api_version
    convert = info.api_version != storage_av

    initial: list[dict] = []
    if send_initial == "true":
        if not bookmarks:
            raise errors.invalid("", "ListOptions", "", [errors.field_forbidden(
                "allowWatchBookmarks", "allowWatchBookmarks must be set to true when sendInitialEvents is set")])
        if rv and rv != "0":
            await reg.cache.wait_for_revision(int(rv), 3.0)
        else:
            await reg._fresh()
        start = reg.cache.revision
        initial = [c.obj for c in reg.cache.items(prefix)]
        watcher = reg.watch(start, prefix)
    elif rv in ("", "0"):
        if rv == "":
            await reg._fresh()
        start = reg.cache.revision
        initial = [c.obj for c in reg.cache.items(prefix)]
        watcher = reg.watch(start, prefix)
    else:
        try:
            start = int(rv)
        except ValueError:
            raise errors.bad_request(f'invalid resource version "{rv}"') from None
        try:
            watcher = reg.watch(start, prefix)
        except errors.StatusError as e:
            # upstream answers 200 and sends the 410 as an ERROR event
            resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            await resp.write(_line("ERROR", orjson.dumps(e.status())))
            await resp.write_eof()
            return resp

    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                   "Cache-Control": "no-cache, private"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    sent_columns = [False]

    def render(etype: str, key: str, revision: int, obj: dict) -> bytes:
        if as_table:
            out = api._from_storage(info, obj) if convert else obj
            table = tables.to_table([out], group=info.group, resource=info.plural, include_object=include_object,
                                    with_columns=not sent_columns[0], version=accept.version,
                                    list_meta={"resourceVersion": str(revision)})
            sent_columns[0] = True
            return _line(etype, orjson.dumps(table))
        if as_metadata:
            return _line(etype, orjson.dumps(tables.partial_metadata(obj, accept.version)))
        if convert:
            return _line(etype, _encode_object(key, revision, info.api_version, api._from_storage(info, obj)))
        return _line(etype, _encode_object(key, revision, storage_av, obj))

    def bookmark(revision: int, initial_end: bool = False) -> bytes:
        md: dict[str, Any] = {"resourceVersion": str(revision)}
        if initial_end:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        if as_metadata:
            return _line("BOOKMARK", orjson.dumps({"kind": "PartialObjectMetadata",
                                                   "apiVersion": f"meta.k8s.io/{accept.version}", "metadata": md}))
        return _line("BOOKMARK", orjson.dumps({"kind": info.kind, "apiVersion": info.api_version, "metadata": md}))

    deadline = time.monotonic() + timeout
    try:
        if initial:
            buf = bytearray()
            for obj in initial:
                if match is None or match(obj):
                    md = obj["metadata"]
                    buf += render("ADDED", reg.key(md.get("namespace", ""), md["name"]), int(md["resourceVersion"]),
                                  obj)
                    if len(buf) > 65536:
                        await resp.write(bytes(buf))
                        buf.clear()
            if buf:
                await resp.write(bytes(buf))
        if send_initial == "true":
            await resp.write(bookmark(start, initial_end=True))
        last_bookmark = time.monotonic()
        last_write = 0.0
        it = watcher.__aiter__()
        take_ready = getattr(watcher, "take_ready", None)
        # periodic bookmarks need to know that nothing is queued for this watch; a watch replayed from the store
        # (the cache started after its revision) cannot tell, and gets none: bookmarks are optional
        pending = getattr(watcher, "pending", None)
        while True:
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                break
            # events already queued go out together: one write (one TLS record, one syscall) for a burst
            batch = take_ready(_BATCH) if take_ready is not None else []
            if not batch:
                wait = min(remaining, _BOOKMARK_EVERY - (now - last_bookmark)) if bookmarks else remaining
                try:
                    async with asyncio.timeout(max(wait, 0.01)):  # no task per wait, unlike wait_for
                        ev = await it.__anext__()
                except (asyncio.TimeoutError, TimeoutError):
                    # A timeout that expires in the loop iteration an event arrives in leaves that event queued
                    # (the wait is cancelled after the event was pushed). A bookmark then must wait: its revision
                    # would be ahead of an event not yet sent, and a client resuming from it (this stream may end
                    # at its deadline right here) would never see that event.
                    if (bookmarks and pending is not None and not pending()
                            and time.monotonic() - last_bookmark >= _BOOKMARK_EVERY - 0.01):
                        await resp.write(bookmark(reg.cache.revision))
                        last_bookmark = time.monotonic()
                    continue
                except StopAsyncIteration:
                    break
                except Exception as e:  # the cache dropped us (too slow or re-listed): tell the client to re-list
                    err = errors.expired(f"too old resource version: {start} ({getattr(e, 'oldest', start)})")
                    await resp.write(_line("ERROR", orjson.dumps(err.status())))
                    break
                batch = [ev]
                if take_ready is not None and time.monotonic() - last_write < _BUSY:
                    await asyncio.sleep(_GATHER)
                    batch += take_ready(_BATCH - 1)
            lines = []
            for ev in batch:
                if ev.key.startswith(prefix):
                    data = _event_line(ev, match, render)
                    if data:
                        lines.append(data)
            if lines:
                await resp.write(lines[0] if len(lines) == 1 else b"".join(lines))
                last_write = time.monotonic()
    except ConnectionResetError:
        return resp  # the client went away: nothing to tell it
    finally:
        watcher.close()
    try:
        await resp.write_eof()
    except ConnectionResetError:
        pass
    return resp


def _event_line(ev: Any, match: Any, render: Any) -> bytes | None:
    if match is None:
        return render(ev.type, ev.key, ev.revision, ev.obj)
    if ev.type == "ADDED":
        return render("ADDED", ev.key, ev.revision, ev.obj) if match(ev.obj) else None
    if ev.type == "DELETED":
        return render("DELETED", ev.key, ev.revision, ev.obj) if match(ev.obj) else None
    cur = match(ev.obj)
    prev = ev.prev_obj is not None and match(ev.prev_obj)
    if cur and prev:
        return render("MODIFIED", ev.key, ev.revision, ev.obj)
    if cur:
        return render("ADDED", ev.key, ev.revision, ev.obj)
    if prev:
        old = dict(ev.prev_obj)
        old["metadata"] = {**old["metadata"], "resourceVersion": str(ev.revision)}
        return render("DELETED", ev.key, -ev.revision, old)
    return None
