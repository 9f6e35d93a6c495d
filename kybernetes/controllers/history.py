"""Controller history: ControllerRevisions, the snapshots of a pod template that StatefulSets and DaemonSets keep.

A ControllerRevision (``apps/v1``) holds ``data``, a strategic merge patch that restores its owner's pod template
(``{"spec": {"template": {..., "$patch": "replace"}}}``), and ``revision``, a number that grows with every new
template (rolling back re-numbers an old revision instead of copying it).  Revisions are named
``<owner>-<hash>``; on a name clash with a revision holding other data the owner's ``status.collisionCount`` is
bumped, which changes the hash.

Hashes follow upstream so names look alike: the patch is serialised as Go's ``encoding/json`` does for a generic
map (sorted keys, no spaces, ``<``, ``>``, ``&`` escaped), hashed with 32-bit FNV (the StatefulSet history) or
FNV-1a (the DaemonSet's template hash), printed in decimal and mapped onto the alphabet
``bcdfghjklmnpqrstvwxz2456789`` (``rand.SafeEncodeString``).  The functions here are pure except those taking a
client, which write ControllerRevisions and raise StatusError on failure.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import orjson

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.podcontrol import controller_ref
from kybernetes.machinery.errors import StatusError

__all__ = ["HASH_LABEL", "go_json", "fnv32", "fnv32a", "safe_encode_string", "hash_revision_data", "revision_name",
           "template_patch", "sort_revisions", "next_revision", "max_revision", "new_revision", "create_revision",
           "update_revision_number", "delete_revision", "template_from_revision", "data_equal"]

# The label carrying a revision's data hash (upstream history.ControllerRevisionHashLabel).
HASH_LABEL = "controller.kubernetes.io/hash"

_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def go_json(obj: Any) -> bytes:
    """``obj`` serialised as Go's ``json.Marshal`` writes a ``map[string]interface{}``: keys sorted, compact, and
    the HTML-sensitive characters escaped.  Pure."""
    raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    # These characters only ever occur inside JSON strings, so a plain substitution is exact.
    return (raw.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
            .replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029"))


def fnv32(data: bytes) -> int:
    """32-bit FNV-1 (Go's ``hash/fnv.New32``)."""
    h = _FNV_OFFSET
    for b in data:
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
        h ^= b
    return h


def fnv32a(data: bytes) -> int:
    """32-bit FNV-1a (Go's ``hash/fnv.New32a``)."""
    h = _FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(text: str) -> str:
    """Map each character onto consonants and digits so hashes never spell words (``rand.SafeEncodeString``)."""
    return "".join(_ALPHANUMS[ord(c) % len(_ALPHANUMS)] for c in text)


def hash_revision_data(data: Any, collision_count: int | None) -> str:
    """The hash of a revision's ``data`` with the collision count as probe (``history.HashControllerRevision``)."""
    raw = go_json(data)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return safe_encode_string(str(fnv32(raw)))


def revision_name(prefix: str, hash_: str) -> str:
    """``<prefix>-<hash>``, the prefix cut to 223 bytes so the name stays within 253."""
    return f"{prefix[:223]}-{hash_}"


def template_patch(owner: dict[str, Any]) -> dict[str, Any]:
    """The patch that restores ``owner``'s ``spec.template`` (replacing it whole).  Pure."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def template_from_revision(revision: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template a revision restores, or None when its data holds none.  Pure."""
    data = revision.get("data") or {}
    template = ((data.get("spec") or {}) if isinstance(data, dict) else {}).get("template")
    if not isinstance(template, dict):
        return None
    out = copy.deepcopy(template)
    out.pop("$patch", None)
    return out


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def data_equal(a: Any, b: Any) -> bool:
    """Whether two revisions' data restore the same template.  Null members are ignored: the API server may
    drop them from stored data (``creationTimestamp: null`` in a template's metadata)."""
    return a == b or _without_nulls(a) == _without_nulls(b)


def _sort_key(rev: dict[str, Any]) -> tuple[int, str, str]:
    meta = rev.get("metadata") or {}
    return (int(rev.get("revision") or 0), meta.get("creationTimestamp") or "", meta.get("name") or "")


def sort_revisions(revisions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """By revision number, then creation time, then name (upstream's ``byRevision``)."""
    return sorted(revisions, key=_sort_key)


def max_revision(revisions: Iterable[dict[str, Any]]) -> int:
    return max((int(r.get("revision") or 0) for r in revisions), default=0)


def next_revision(revisions: Iterable[dict[str, Any]]) -> int:
    """One more than the highest revision number (1 for an empty history)."""
    return max_revision(revisions) + 1


def new_revision(owner: dict[str, Any], *, kind: str, data: dict[str, Any], revision: int,
                 collision_count: int, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A ControllerRevision body (not yet created) owned by ``owner``: labels from ``labels`` (default: the pod
    template's) plus the hash label, ``owner``'s annotations, name ``<owner>-<hash>``."""
    meta = owner["metadata"]
    tmeta = ((owner.get("spec") or {}).get("template") or {}).get("metadata") or {}
    tlabels = tmeta.get("labels") or {}
    hash_ = hash_revision_data(data, collision_count)
    out_labels = dict(tlabels if labels is None else labels)
    out_labels[HASH_LABEL] = hash_
    md: dict[str, Any] = {"name": revision_name(meta["name"], hash_), "namespace": meta.get("namespace", ""),
                          "labels": out_labels,
                          "ownerReferences": [controller_ref(owner, "apps/v1", kind)]}
    if meta.get("annotations"):
        md["annotations"] = dict(meta["annotations"])
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": md, "data": data,
            "revision": revision}


async def create_revision(client: RESTClient, owner: dict[str, Any], revision: dict[str, Any],
                          collision_count: int) -> tuple[dict[str, Any], int]:
    """Create ``revision``; on a name clash with a revision holding the same data that one is returned, with
    other data the collision count is raised and the name re-hashed.  Returns (revision, collision count)."""
    meta = owner["metadata"]
    ns = meta.get("namespace", "")
    body = copy.deepcopy(revision)
    for _ in range(100):
        hash_ = hash_revision_data(body["data"], collision_count)
        body["metadata"]["name"] = revision_name(meta["name"], hash_)
        body["metadata"].setdefault("labels", {})[HASH_LABEL] = hash_
        try:
            created = await client.create(resource_path("apps", "v1", "controllerrevisions", ns), body)
            return created, collision_count
        except StatusError as e:
            if not (e.code == 409 and e.reason == "AlreadyExists"):
                raise
        existing = await client.get(resource_path("apps", "v1", "controllerrevisions", ns,
                                                  body["metadata"]["name"]))
        if data_equal(existing.get("data"), body["data"]):
            return existing, collision_count
        collision_count += 1
    raise RuntimeError(f"too many ControllerRevision name collisions for {ns}/{meta['name']}")


async def update_revision_number(client: RESTClient, revision: dict[str, Any], number: int) -> dict[str, Any]:
    """Set ``revision``'s number (a rollback to it); re-reads and retries on conflicts."""
    current = revision
    for _ in range(5):
        if int(current.get("revision") or 0) == number:
            return current
        body = copy.deepcopy(current)
        body["revision"] = number
        m = body["metadata"]
        path = resource_path("apps", "v1", "controllerrevisions", m.get("namespace", ""), m["name"])
        try:
            return await client.update(path, body)
        except StatusError as e:
            if e.code != 409:
                raise
            current = await client.get(path)
    raise RuntimeError(f"conflicts updating ControllerRevision {current['metadata']['name']}")


async def delete_revision(client: RESTClient, revision: dict[str, Any]) -> None:
    """Delete a revision; one already gone is not an error."""
    m = revision["metadata"]
    try:
        await client.delete(resource_path("apps", "v1", "controllerrevisions", m.get("namespace", ""), m["name"]))
    except StatusError as e:
        if e.code != 404:
            raise
