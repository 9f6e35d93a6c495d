"""``metadata.managedFields``: who owns which fields of an object, and how ordinary writes change that.

Every object carries a list of *managers*. An entry names a manager (a client's ``fieldManager``, or its
user-agent prefix), the ``operation`` that gave it the fields (``Apply`` for server-side apply, ``Update`` for
create/update/patch), the ``apiVersion`` the fields are expressed in, an optional ``subresource`` (``status``,
``scale``), the ``time`` of its last change and a ``FieldsV1`` field set. Internally entries are keyed by a
*manager identifier*, the entry's JSON without fields and time (and without the apiVersion for appliers), so
the same client writing through two versions or two subresources owns two entries, as upstream does.

A non-apply write (:func:`update_managed_fields`) is bookkept as upstream's field manager does:

1. the request's own ``managedFields`` are honoured when it sends valid ones (an empty list resets them),
   otherwise the stored object's are used; on a subresource the stored ones always are;
2. the write is compared with the stored object; every field it changed or added is taken away from the
   other managers, every field it removed is taken away from everybody;
3. the changed and added fields, minus metadata nobody owns (``name``, ``uid``, ``resourceVersion``...),
   are given to the writer's ``Update`` entry, whose ``time`` becomes the write time; an entry left with no
   fields disappears;
4. when more than ten ``Update`` entries exist, the oldest are merged into ``ancient-changes`` buckets.

Entries are written sorted: ``Apply`` before ``Update``, then oldest first, then by manager, apiVersion and
subresource. :func:`upgrade_managed_fields` ports kubectl's client-side-apply upgrade (``csaupgrade``), which
hands a ``kubectl-client-side-apply`` ``Update`` entry to the ``kubectl`` applier.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from kybernetes.machinery.errors import go_quote
from kybernetes.machinery.jsoncopy import json_copy
from kybernetes.machinery.fieldpath import (
    ApplySchema,
    Comparison,
    FieldSet,
    PathElement,
    TypedError,
    compare,
    fields_v1,
    go_json,
    parse_fields_v1,
)

__all__ = [
    "ANCIENT_CHANGES",
    "LAST_APPLIED_ANNOTATION",
    "MAX_UPDATE_MANAGERS",
    "STRIP_SET",
    "Managed",
    "Ownership",
    "VersionedSet",
    "cap_update_managers",
    "decode_managed_fields",
    "encode_managed_fields",
    "manager_identifier",
    "manager_info",
    "manager_or_user_agent",
    "strip_meta",
    "update_managed_fields",
    "update_ownership",
    "upgrade_managed_fields",
    "upgrade_managed_fields_patch",
]

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"
APPLY = "Apply"
UPDATE = "Update"
_CURRENT_OPERATION = "current-operation"


def _f(*names: str) -> tuple[PathElement, ...]:
    return tuple(PathElement.field(n) for n in names)


# Fields that are never part of anybody's set.
STRIP_SET = FieldSet([
    _f("apiVersion"),
    _f("kind"),
    _f("metadata"),
    _f("metadata", "name"),
    _f("metadata", "namespace"),
    _f("metadata", "creationTimestamp"),
    _f("metadata", "selfLink"),
    _f("metadata", "uid"),
    _f("metadata", "clusterName"),
    _f("metadata", "generation"),
    _f("metadata", "managedFields"),
    _f("metadata", "resourceVersion"),
])


@dataclass(frozen=True, slots=True)
class VersionedSet:
    """The fields one manager owns, the apiVersion they are expressed in and whether they came from apply."""

    fields: FieldSet
    api_version: str
    applied: bool


@dataclass(slots=True)
class Managed:
    """Decoded ``managedFields``: sets and times by manager identifier. Times are RFC 3339 strings or None."""

    fields: dict[str, VersionedSet] = field(default_factory=dict)
    times: dict[str, str | None] = field(default_factory=dict)

    def copy(self) -> Managed:
        """A copy whose dicts can be changed independently (the sets themselves are never mutated)."""
        return Managed(dict(self.fields), dict(self.times))


# ---------------------------------------------------------------------------------------------------------------
# Manager identifiers
# ---------------------------------------------------------------------------------------------------------------


def manager_identifier(manager: str, operation: str, api_version: str = "", subresource: str = "") -> str:
    """The key upstream files an entry under: the entry's JSON (Go field order, empty values left out) without
    fields and time, and without ``apiVersion`` for ``Apply`` entries."""
    if type(manager) is str and type(operation) is str and type(api_version) is str and type(subresource) is str:
        return _identifier(manager, operation, api_version, subresource)
    return _identifier.__wrapped__(manager, operation, api_version, subresource)


@functools.lru_cache(maxsize=1024)
def _identifier(manager: str, operation: str, api_version: str, subresource: str) -> str:
    parts = []
    if manager:
        parts.append('"manager":' + go_json(manager))
    if operation:
        parts.append('"operation":' + go_json(operation))
    if api_version and operation != APPLY:
        parts.append('"apiVersion":' + go_json(api_version))
    if subresource:
        parts.append('"subresource":' + go_json(subresource))
    return "{" + ",".join(parts) + "}"


def manager_info(identifier: str) -> dict[str, str]:
    """The fields of a manager identifier (``manager``, ``operation``, ``apiVersion``, ``subresource``; absent
    when empty). A string that is not an identifier yields ``{}``."""
    try:
        info = json.loads(identifier)
    except ValueError:
        return {}
    return {k: v for k, v in info.items() if isinstance(v, str)} if isinstance(info, dict) else {}


def manager_or_user_agent(manager: str, user_agent: str) -> str:
    """The manager name a write is recorded under: the request's ``fieldManager``, else the user agent up to
    its first ``/`` (``kubectl/v1.32.0 (linux/amd64)`` -> ``kubectl``)."""
    if manager:
        return manager
    return user_agent.split("/")[0]


# ---------------------------------------------------------------------------------------------------------------
# Decoding and encoding entries
# ---------------------------------------------------------------------------------------------------------------


# Field sets seen recently, both ways: most writes carry the same sets as the object's previous version (and
# objects of one template share theirs), so parsing and emitting them again is the bulk of a write's bookkeeping.
# Cached sets are shared: FieldSet operations return new sets, and nothing inserts into a decoded one.
_SET_CACHE_MAX = 16384
_decoded_sets: OrderedDict[bytes, FieldSet] = OrderedDict()
_encoded_sets: OrderedDict[int, tuple[FieldSet, bytes]] = OrderedDict()


def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > _SET_CACHE_MAX:
        cache.popitem(last=False)


def _decode_set(raw: Any) -> FieldSet:
    """``parse_fields_v1`` through the cache (raises ``ValueError`` as it does)."""
    try:
        key = orjson.dumps(raw)
    except TypeError:
        return parse_fields_v1(raw)
    fs = _decoded_sets.get(key)
    if fs is None:
        fs = parse_fields_v1(raw)
        _remember(_decoded_sets, key, fs)
        _remember(_encoded_sets, id(fs), (fs, key))
    return fs


def _encode_set(fs: FieldSet) -> dict[str, Any]:
    """``fields_v1`` through the cache: a fresh dict either way."""
    hit = _encoded_sets.get(id(fs))
    if hit is not None and hit[0] is fs:
        return orjson.loads(hit[1])
    out = fields_v1(fs)
    raw = orjson.dumps(out)
    _remember(_encoded_sets, id(fs), (fs, raw))
    _remember(_decoded_sets, raw, fs)
    return out


def decode_managed_fields(entries: Iterable[Mapping[str, Any]] | None) -> Managed:
    """Decode ``metadata.managedFields``. Raises ``ValueError`` with upstream's text for an invalid entry."""
    managed = Managed()
    for i, entry in enumerate(entries or ()):
        if not isinstance(entry, Mapping):
            raise ValueError(f"managed fields entry {i} must be an object")
        operation = entry.get("operation")
        if operation not in (APPLY, UPDATE):
            raise ValueError("operation must be `Apply` or `Update`")
        api_version = entry.get("apiVersion") or ""
        if not api_version:
            raise ValueError("apiVersion must not be empty")
        fields_type = entry.get("fieldsType") or ""
        if fields_type == "":
            raise ValueError(f"missing fieldsType in managed fields entry {i}")
        if fields_type != "FieldsV1":
            raise ValueError(f"invalid fieldsType {go_quote(str(fields_type))} in managed fields entry {i}")
        identifier = manager_identifier(
            entry.get("manager") or "", operation, api_version, entry.get("subresource") or ""
        )
        try:
            fs = _decode_set(entry.get("fieldsV1"))
        except ValueError as e:
            raise ValueError(f"error decoding versioned set from entry {i}: error decoding set: {e}") from None
        managed.fields[identifier] = VersionedSet(fs, api_version, operation == APPLY)
        managed.times[identifier] = entry.get("time")
    return managed


def _unix_seconds(t: str | None) -> int:
    if not t or not isinstance(t, str):
        return 0
    return _parse_seconds(t)


@functools.lru_cache(maxsize=4096)
def _parse_seconds(t: str) -> int:
    try:
        return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def _sort_key(entry: Mapping[str, Any]) -> tuple:
    return (
        entry.get("operation", ""),
        _unix_seconds(entry.get("time")),
        entry.get("manager", ""),
        entry.get("apiVersion", ""),
        entry.get("subresource", ""),
    )


def encode_managed_fields(managed: Managed) -> list[dict[str, Any]] | None:
    """The wire form of ``managed``: entries with keys in upstream's order, sorted as upstream sorts them;
    ``None`` when there are no managers (the field is then left out)."""
    if not managed.fields:
        return None
    entries = []
    for identifier, vs in managed.fields.items():
        info = manager_info(identifier)
        entry: dict[str, Any] = {}
        if info.get("manager"):
            entry["manager"] = info["manager"]
        operation = APPLY if vs.applied else info.get("operation", "")
        if operation:
            entry["operation"] = operation
        if vs.api_version:
            entry["apiVersion"] = vs.api_version
        t = managed.times.get(identifier)
        if t:
            entry["time"] = t
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = _encode_set(vs.fields)
        if info.get("subresource"):
            entry["subresource"] = info["subresource"]
        entries.append(entry)
    entries.sort(key=_sort_key)
    return entries


def _get_managed_fields(obj: Mapping[str, Any] | None) -> Any:
    if not isinstance(obj, Mapping):
        return None
    meta = obj.get("metadata")
    return meta.get("managedFields") if isinstance(meta, Mapping) else None


def _set_managed_fields(obj: dict[str, Any], entries: list[dict[str, Any]] | None) -> None:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if entries is None:
            return
        meta = obj["metadata"] = {}
    if entries is None:
        meta.pop("managedFields", None)
    else:
        meta["managedFields"] = entries


def _without_managed_fields(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    """A shallow-ish copy of ``obj`` (``{}`` for None) whose metadata has no ``managedFields``."""
    if not isinstance(obj, Mapping):
        return {}
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _is_reset(entries: Any) -> bool:
    """Whether a request's ``managedFields`` asks to clear them: an empty list, or one empty entry."""
    if not isinstance(entries, list):
        return False
    if not entries:
        return True
    return len(entries) == 1 and isinstance(entries[0], Mapping) and not any(entries[0].values())


def _decode_or_empty(entries: Any) -> Managed:
    try:
        return decode_managed_fields(entries)
    except ValueError:
        return Managed()


# ---------------------------------------------------------------------------------------------------------------
# Ownership changes (upstream's merge.Updater.update)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ownership:
    """The outcome of one write for the managers: their new sets, what the write changed, and the fields it
    changed that other managers owned (``conflicts``, by manager identifier)."""

    fields: dict[str, VersionedSet]
    comparison: Comparison
    conflicts: dict[str, FieldSet]


def update_ownership(
    old: Any,
    new: Any,
    fields: Mapping[str, VersionedSet],
    *,
    workflow: str,
    schema: ApplySchema | None,
    force: bool,
    ignored: FieldSet | None = None,
) -> Ownership:
    """Compare ``old`` with ``new`` and take what changed away from every manager but ``workflow``.

    Fields ``new`` modified or added are conflicts for the managers owning them. Without ``force`` and with
    conflicts, nothing is taken and the returned ``fields`` are the input's; otherwise conflicting fields and
    fields ``new`` removed leave the other managers, and managers left empty (``workflow`` included) are
    dropped. ``ignored`` fields (reset by the resource's strategy) never count. All versions are assumed to
    share field paths. Raises :class:`TypedError` when an object cannot be walked."""
    cmp = compare(old, new, schema).exclude(ignored)
    changed = cmp.modified.union(cmp.added)
    conflicts: dict[str, FieldSet] = {}
    for identifier in sorted(fields):
        if identifier == workflow:
            continue
        overlap = fields[identifier].fields.intersection(changed)
        if not overlap.empty():
            conflicts[identifier] = overlap
    if conflicts and not force:
        return Ownership(dict(fields), cmp, conflicts)
    out: dict[str, VersionedSet] = {}
    for identifier, vs in fields.items():
        s = vs.fields
        if identifier != workflow:
            if identifier in conflicts:
                s = s.difference(conflicts[identifier])
            if not cmp.removed.empty():
                s = s.difference(cmp.removed)
        if not s.empty():
            out[identifier] = VersionedSet(s, vs.api_version, vs.applied) if s is not vs.fields else vs
    return Ownership(out, cmp, conflicts)


def strip_meta(managed: Managed, identifier: str) -> None:
    """Remove the never-owned metadata fields from ``identifier``'s set (dropping it when nothing is left).
    Mutates ``managed``."""
    vs = managed.fields.get(identifier)
    if vs is None:
        return
    rest = vs.fields.difference(STRIP_SET)
    if rest.empty():
        del managed.fields[identifier]
    else:
        managed.fields[identifier] = VersionedSet(rest, vs.api_version, vs.applied)


def cap_update_managers(managed: Managed, max_update_managers: int = MAX_UPDATE_MANAGERS) -> None:
    """Merge the oldest ``Update`` entries into per-apiVersion ``ancient-changes`` buckets until at most
    ``max_update_managers`` remain. Mutates ``managed``."""
    updaters = [m for m, vs in managed.fields.items() if not vs.applied]
    if len(updaters) <= max_update_managers:
        return
    updaters.sort(key=lambda m: (_unix_seconds(managed.times.get(m)), m))
    first_by_version: dict[str, str] = {}
    length = len(updaters)
    for manager in updaters:
        if length <= max_update_managers:
            break
        vs = managed.fields[manager]
        time = managed.times.get(manager)
        version = vs.api_version
        bucket = manager_identifier(ANCIENT_CHANGES, UPDATE, version)
        first = first_by_version.get(version)
        if first is None:
            first_by_version[version] = manager
            continue
        if bucket not in managed.fields:
            managed.fields[bucket] = managed.fields.pop(first)
            managed.times.pop(first, None)
        managed.fields[bucket] = VersionedSet(
            vs.fields.union(managed.fields[bucket].fields), vs.api_version, vs.applied
        )
        del managed.fields[manager]
        managed.times.pop(manager, None)
        length -= 1
        managed.times[bucket] = time


# ---------------------------------------------------------------------------------------------------------------
# Non-apply writes
# ---------------------------------------------------------------------------------------------------------------


def update_managed_fields(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    manager: str,
    api_version: str,
    schema: ApplySchema | None,
    now: str,
    subresource: str = "",
    ignored: FieldSet | None = None,
    max_update_managers: int = MAX_UPDATE_MANAGERS,
    in_place: bool = False,
) -> dict[str, Any]:
    """``new`` (a create, update or patch result; ``old`` is the stored object, None on create) with
    ``metadata.managedFields`` recording the write for ``manager`` (operation ``Update``, ``now`` as its
    time, ``subresource`` recorded). Returns a new dict and leaves the inputs alone; with ``in_place`` the
    result shares everything but its top level and metadata with ``new`` (for a caller that owns ``new``).

    ``manager`` is the request's field manager or, without one, the user-agent prefix
    (:func:`manager_or_user_agent`); empty means ``unknown``. ``ignored`` are the fields the resource's
    strategy resets for this endpoint (e.g. ``.status`` on the main resource). When an object cannot be
    walked with its schema the write is recorded without ``managedFields``, as upstream 1.32 does."""
    if in_place:
        result = dict(new)
        if isinstance(result.get("metadata"), dict):
            result["metadata"] = dict(result["metadata"])
    else:
        result = json_copy(dict(new))
    sent = _get_managed_fields(result)
    stored = _get_managed_fields(old)
    source = None  # the stored entries, when they are what this write starts from
    if subresource:
        managed = _decode_or_empty(stored)
        source = stored
    elif _is_reset(sent):
        managed = Managed()
    else:
        try:
            managed = decode_managed_fields(sent) if isinstance(sent, list) else Managed()
        except ValueError:
            managed = Managed()
        if not managed.fields:
            managed = _decode_or_empty(stored)
            source = stored
        elif sent == stored:
            source = stored
    _set_managed_fields(result, None)

    identifier = manager_identifier(manager or "unknown", UPDATE, api_version, subresource)
    base = _without_managed_fields(old)
    try:
        if _FAST_PATH and isinstance(source, list):
            entries = _same_owners(base, result, managed, source, identifier, schema, now, ignored,
                                   max_update_managers)
            if entries is not None:
                _set_managed_fields(result, entries or None)
                return result
        managed = _record_update(base, result, managed, identifier, api_version, schema, now, ignored)
    except TypedError:
        return result
    cap_update_managers(managed, max_update_managers)
    _set_managed_fields(result, encode_managed_fields(managed))
    return result


_FAST_PATH = True  # tests turn it off to compare with the general bookkeeping


def _same_owners(
    old: Any,
    new: Any,
    managed: Managed,
    source: list[Any],
    identifier: str,
    schema: ApplySchema | None,
    now: str,
    ignored: FieldSet | None,
    max_update_managers: int,
) -> list[dict[str, Any]] | None:
    """The entries after the commonest write, or None when it is not one: a manager changing only fields it
    alone already owns (a Lease renewal, a status heartbeat, a controller's status update). Then no set changes:
    the stored entries stay, with the writer's ``time`` set to ``now`` (none changes at all when the write
    changed no owned field). Equivalent to :func:`_record_update` + :func:`cap_update_managers` for those writes,
    without decoding, merging and encoding every set."""
    vs = managed.fields.get(identifier)
    if vs is None or len(managed.fields) != len(source):
        return None
    if any(v.fields.empty() for v in managed.fields.values()):
        return None
    if sum(1 for v in managed.fields.values() if not v.applied) > max_update_managers:
        return None
    cmp = compare(old, new, schema).exclude(ignored)
    if not cmp.removed.empty():
        return None
    changed = cmp.modified.union(cmp.added)
    for other, ovs in managed.fields.items():
        if other != identifier and not ovs.fields.intersection(changed).empty():
            return None
    current = changed.recursive_difference(ignored) if ignored is not None else changed
    current = current.difference(STRIP_SET)
    if current.empty():
        return [dict(e) for e in source]
    if not current.difference(vs.fields).empty():
        return None
    entries = []
    for e in source:
        e = dict(e)
        if manager_identifier(e.get("manager") or "", e.get("operation") or "", e.get("apiVersion") or "",
                              e.get("subresource") or "") == identifier:
            if "time" not in e:
                return None
            e["time"] = now
        entries.append(e)
    entries.sort(key=_sort_key)
    return entries


def _record_update(
    old: Any,
    new: Any,
    managed: Managed,
    identifier: str,
    api_version: str,
    schema: ApplySchema | None,
    now: str,
    ignored: FieldSet | None,
) -> Managed:
    # Upstream computes the write under a throw-away manager, then folds it into the real one: that way the
    # real manager's own earlier fields are treated like anybody else's.
    ownership = update_ownership(
        old, new, managed.fields, workflow=_CURRENT_OPERATION, schema=schema, force=True, ignored=ignored
    )
    cmp = ownership.comparison
    fields = dict(ownership.fields)
    current = FieldSet().union(cmp.modified).union(cmp.added).difference(cmp.removed)
    if ignored is not None:
        current = current.recursive_difference(ignored)
    current = current.difference(STRIP_SET)
    out = Managed(fields, dict(managed.times))
    for gone in set(managed.times) - set(fields):
        out.times.pop(gone, None)
    if not current.empty():
        previous = fields.get(identifier)
        merged = current.union(previous.fields) if previous is not None else current
        fields[identifier] = VersionedSet(merged, api_version, False)
        out.times[identifier] = now
    return out


# ---------------------------------------------------------------------------------------------------------------
# Client-side apply -> server-side apply (kubectl's csaupgrade)
# ---------------------------------------------------------------------------------------------------------------


def _entry_fields(entry: Mapping[str, Any]) -> FieldSet:
    try:
        return parse_fields_v1(entry.get("fieldsV1"))
    except ValueError as e:
        raise ValueError(f"failed to convert fields to set: {e}") from None


def _upgraded(entries: list[dict[str, Any]] | None, csa: str, ssa: str, subresource: str) -> list | None:
    if entries is None:
        return None
    entries = [dict(e) for e in entries]

    def is_csa(e: Mapping[str, Any]) -> bool:
        return (e.get("manager") == csa and e.get("operation") == UPDATE
                and (e.get("subresource") or "") == subresource)

    target = next((i for i, e in enumerate(entries) if e.get("manager") == ssa and e.get("operation") == APPLY
                   and (e.get("subresource") or "") == subresource), None)
    if target is None:
        # Entries are sorted oldest first within an operation; upstream takes the first match.
        target = next((i for i, e in enumerate(entries) if is_csa(e)), None)
        if target is None:
            return entries
        entries[target]["operation"] = APPLY
        entries[target]["manager"] = ssa
    combined = _entry_fields(entries[target])
    same_version = next((e for e in entries if is_csa(e) and e.get("apiVersion") == entries[target].get("apiVersion")),
                        None)
    if same_version is not None:
        combined = combined.union(_entry_fields(same_version))
    entries[target]["fieldsV1"] = fields_v1(combined)
    kept = [e for e in entries if not is_csa(e)]
    return kept or None


def upgrade_managed_fields(
    entries: list[dict[str, Any]] | None,
    csa_managers: Iterable[str],
    ssa_manager: str,
    *,
    subresource: str = "",
) -> list[dict[str, Any]] | None:
    """kubectl's ``csaupgrade.UpgradeManagedFields``: fold the ``Update`` entries of ``csa_managers`` (e.g.
    ``kubectl-client-side-apply``) into the ``Apply`` entry of ``ssa_manager`` (e.g. ``kubectl``), creating it
    from the CSA entry when missing. Only the CSA entry of the applier's apiVersion contributes fields; all
    CSA entries of ``subresource`` are dropped. Returns new entries (None when none remain); raises
    ``ValueError`` for undecodable fields."""
    out = entries
    for csa in sorted(set(csa_managers)):
        out = _upgraded(out, csa, ssa_manager, subresource)
    return out


def upgrade_managed_fields_patch(
    obj: Mapping[str, Any],
    csa_managers: Iterable[str],
    ssa_manager: str,
    *,
    subresource: str = "",
) -> list[dict[str, Any]] | None:
    """The JSON patch kubectl sends before its first server-side apply of an object managed client-side
    (``csaupgrade.UpgradeManagedFieldsPatch``): replace ``/metadata/managedFields`` with the upgraded entries
    and ``/metadata/resourceVersion`` with the current one (so a concurrent write makes it conflict). None
    when nothing needs upgrading."""
    entries = _get_managed_fields(obj)
    upgraded = upgrade_managed_fields(entries, csa_managers, ssa_manager, subresource=subresource)
    if upgraded == entries:
        return None
    meta = obj.get("metadata") or {}
    return [
        {"op": "replace", "path": "/metadata/managedFields", "value": upgraded},
        {"op": "replace", "path": "/metadata/resourceVersion", "value": meta.get("resourceVersion", "")},
    ]
