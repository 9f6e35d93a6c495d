"""Server-side apply: merging an applied configuration into the stored object and settling field ownership.

An apply request (``PATCH`` with ``application/apply-patch+yaml``) carries a *partial* object: the fields its
manager wants to own, with the values it wants. The server (upstream's ``structured-merge-diff`` ``Updater``):

1. merges the configuration into the live object: maps and structs field by field, lists typed ``map`` item by
   item on their keys, ``set`` lists by value, atomic values replaced; items keep the live order unless the
   configuration reorders items it names;
2. records the configuration's field set as the manager's ``Apply`` entry;
3. *prunes* what the manager applied last time but no longer sends, unless another manager owns it;
4. compares the result with the live object: a changed or added field owned by another manager is a
   *conflict*. Conflicts fail the request (409, :class:`ApplyConflict`) unless ``force``, which moves the fields
   to the applier. Setting a field to the value it already has is no conflict: both managers then share it.
   Removed fields leave every manager.

``apply`` also ports the two pieces of client-side-apply compatibility upstream keeps for the ``kubectl``
manager: conflicts with fields recorded in the ``kubectl.kubernetes.io/last-applied-configuration`` annotation
(still matching the live object) do not fail ``kubectl apply --server-side``, and that annotation, when present,
is rewritten to the newly applied configuration.

Merging, pruning and the walks are schema-driven through :class:`~kybernetes.machinery.fieldpath.ApplySchema`.
All functions are pure: they return new objects and never modify their arguments.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kybernetes.machinery.errors import StatusError, bad_request, go_quote
from kybernetes.machinery.fieldpath import (
    ABSENT,
    LIST_MAP,
    LIST_SET,
    MAP,
    STRUCT,
    ApplySchema,
    FieldSet,
    Path,
    PathElement,
    TypedError,
    compare,
    go_json,
    index_list,
    list_item_path_element,
    path_string,
    to_field_set,
    value_shape,
)
from kybernetes.machinery.managedfields import (
    APPLY,
    LAST_APPLIED_ANNOTATION,
    Managed,
    VersionedSet,
    decode_managed_fields,
    encode_managed_fields,
    manager_identifier,
    manager_info,
    strip_meta,
    update_ownership,
)

__all__ = [
    "ApplyConflict",
    "ApplyError",
    "Conflict",
    "apply",
    "build_last_applied",
    "conflict_error_message",
    "merge",
    "remove_items",
]

_GRANULAR = frozenset({STRUCT, MAP, LIST_SET, LIST_MAP})
_ANNOTATIONS_SIZE_LIMIT = 256 * 1024


# ---------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """One conflicting field: the owning manager's identifier (see ``managedfields.manager_identifier``) and
    the field's path text (``.spec.replicas``)."""

    manager: str
    path: str
    elements: Path = field(default=(), compare=False, repr=False)

    @property
    def manager_name(self) -> str:
        return manager_info(self.manager).get("manager", self.manager)

    def describe_manager(self) -> str:
        """Upstream's ``printManager``: ``"kubectl"``, ``"m" using apps/v1``,
        ``"m" with subresource "status" using v1``."""
        info = manager_info(self.manager)
        if not info:
            return go_quote(self.manager)
        text = go_quote(info.get("manager", ""))
        if info.get("subresource"):
            text += f" with subresource {go_quote(info['subresource'])}"
        if info.get("operation") == "Update":
            text += f" using {info.get('apiVersion', '')}"
        return text


def _as_conflicts(conflicts: Iterable[Conflict | tuple[str, str]]) -> list[Conflict]:
    return [c if isinstance(c, Conflict) else Conflict(c[0], c[1]) for c in conflicts]


def conflict_error_message(kind: str, name: str, conflicts: Iterable[Conflict | tuple[str, str]]) -> str:
    """Upstream's apply conflict message, e.g. ``Apply failed with 1 conflict: conflict with
    "kubectl-client-side-apply" using apps/v1: .spec.replicas``; several conflicts are grouped by manager
    (sorted), one ``- <path>`` line each. ``kind`` and ``name`` are accepted for the caller's convenience but,
    as upstream, not part of the text. Tuples are ``(manager identifier or name, path)``."""
    items = _as_conflicts(conflicts)
    if len(items) == 1:
        c = items[0]
        return f"Apply failed with 1 conflict: conflict with {c.describe_manager()}: {c.path}"
    by_manager: dict[str, list[Conflict]] = {}
    for c in items:
        by_manager.setdefault(c.manager, []).append(c)
    lines = []
    for manager in sorted(by_manager):
        group = by_manager[manager]
        lines.append(f"conflicts with {group[0].describe_manager()}:")
        lines.extend(f"- {c.path}" for c in group)
    return f"Apply failed with {len(items)} conflicts: " + "\n".join(lines)


class ApplyConflict(Exception):
    """An apply changed fields other managers own. ``conflicts`` lists ``(manager name, field path)``;
    ``entries`` keeps the full :class:`Conflict` records; :meth:`status_error` is the 409 upstream answers."""

    def __init__(self, entries: Sequence[Conflict]) -> None:
        self.entries = list(entries)
        self.conflicts = [(c.manager_name, c.path) for c in self.entries]
        self.message = conflict_error_message("", "", self.entries)
        super().__init__(self.message)

    def causes(self) -> list[dict[str, str]]:
        """One ``FieldManagerConflict`` cause per conflict (``reason``, ``message``, ``field``)."""
        return [
            {"reason": "FieldManagerConflict", "message": f"conflict with {c.describe_manager()}", "field": c.path}
            for c in self.entries
        ]

    def status_error(self) -> StatusError:
        """409 ``Conflict`` with the message and causes (upstream's ``NewApplyConflict``)."""
        return StatusError(409, "Conflict", self.message, {"causes": self.causes()})


class ApplyError(ValueError):
    """An object cannot be handled with its schema (an unidentifiable list item, a duplicate key...).
    ``str()`` is upstream's text; :meth:`status_error` is the 500 without a reason upstream 1.32 answers."""

    def status_error(self) -> StatusError:
        return StatusError(500, "", str(self))


def _gvk_string(obj: Mapping[str, Any]) -> str:
    """Upstream's ``GroupVersionKind.String()`` of an object: ``apps/v1, Kind=Deployment``, ``/v1, Kind=Pod``."""
    api_version = obj.get("apiVersion") if isinstance(obj.get("apiVersion"), str) else ""
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={obj.get('kind') or ''}"


def _object_description(obj: Mapping[str, Any], api_version: str) -> str:
    """Upstream's ``objectGVKNN``: ``<namespace>/<name>; <group>/<version>, Kind=<kind>``."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    group, _, version = api_version.rpartition("/")
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}; {group}/{version}, Kind={obj.get('kind', '')}"


# ---------------------------------------------------------------------------------------------------------------
# Merge and removal
# ---------------------------------------------------------------------------------------------------------------


def merge(live: Any, config: Any, schema: ApplySchema | None) -> Any:
    """``config`` merged into ``live`` (upstream's ``TypedValue.Merge``): nothing is removed; leaves and atomic
    values take ``config``'s value; granular containers merge recursively. Raises :class:`TypedError` for an
    unidentifiable or duplicated item in ``config`` (and an unidentifiable one in ``live``)."""
    out = _merge(live if live is not None else ABSENT, config, schema, ())
    return None if out is ABSENT else copy.deepcopy(out)


def _shapes(schema: ApplySchema | None, lhs: Any, rhs: Any) -> tuple[str, bool]:
    lshape = value_shape(schema, lhs) if lhs is not ABSENT else None
    rshape = value_shape(schema, rhs) if rhs is not ABSENT else None
    shape = rshape if rshape is not None else lshape
    granular = shape in _GRANULAR and lshape in (None, shape) and rshape in (None, shape)
    return shape, granular  # type: ignore[return-value]


def _empty(v: Any) -> bool:
    return v is ABSENT or v is None or (isinstance(v, (dict, list)) and not v)


def _merge(lhs: Any, rhs: Any, schema: ApplySchema | None, path: Path) -> Any:
    shape, granular = _shapes(schema, lhs, rhs)
    if not granular or (_empty(lhs) and _empty(rhs)):
        return rhs if rhs is not ABSENT else lhs
    if shape == STRUCT or shape == MAP:
        lmap = lhs if isinstance(lhs, dict) else {}
        rmap = rhs if isinstance(rhs, dict) else {}
        out: dict[str, Any] = {}
        for k in list(lmap) + [k for k in rmap if k not in lmap]:
            v = _merge(lmap.get(k, ABSENT), rmap.get(k, ABSENT), schema.field(k) if schema else None,
                       path + (PathElement.field(k),))
            if v is not ABSENT:
                out[k] = v
        return out if out else ABSENT
    return _merge_list(schema, shape, lhs, rhs, path)


def _merge_list(schema: ApplySchema | None, shape: str, lhs: Any, rhs: Any, path: Path) -> Any:
    items = schema.items() if schema else None
    rorder, robs = index_list(schema, shape, rhs, path, strict=True)
    lorder, lobs = index_list(schema, shape, lhs, path, strict=False)
    shared = [pe for pe in rorder if pe in lobs]
    shared_iter = iter(shared)
    next_shared = next(shared_iter, None)
    out: list[Any] = []
    done: set[PathElement] = set()

    def emit(pe: PathElement, left: Any, right: Any) -> None:
        done.add(pe)
        v = _merge(left, right, items, path + (pe,))
        if v is not ABSENT:
            out.append(v)

    li = ri = 0
    while li < len(lorder) or ri < len(rorder):
        if li < len(lorder) and ri < len(rorder):
            pe = lorder[li]
            if pe == rorder[ri]:
                emit(pe, lobs[pe], robs[pe])
                li += 1
                ri += 1
                next_shared = next(shared_iter, None)
                continue
            if pe in robs and next_shared is not None and next_shared != pe:
                li += 1  # a shared item, but not the one wanted in this round
                continue
        if li < len(lorder):
            pe = lorder[li]
            if pe in done:
                li += 1
                continue
            if pe not in robs:
                emit(pe, lobs[pe], ABSENT)
                li += 1
                continue
        if ri < len(rorder):
            pe = rorder[ri]
            emit(pe, lobs.get(pe, ABSENT), robs[pe])
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = next(shared_iter, None)
        elif li < len(lorder):
            li += 1  # only a shared item already merged from the config remains
    return out if out else ABSENT


class _EmptiedMap(dict):
    """A map that removal emptied (upstream turns it into null; the final object drops it)."""


class _EmptiedList(list):
    """A list that removal emptied."""


def remove_items(value: Any, fields: FieldSet, schema: ApplySchema | None) -> Any:
    """``value`` without the members of ``fields`` (and everything below them); upstream's
    ``TypedValue.RemoveItems``. A container emptied this way is dropped from its parent."""
    return _drop_emptied(_remove(value, fields, schema))


def _remove(value: Any, fields: FieldSet, schema: ApplySchema | None) -> Any:
    shape = value_shape(schema, value)
    if shape not in _GRANULAR:
        return value
    if not value:
        return _EmptiedList() if isinstance(value, list) else _EmptiedMap()
    if shape == STRUCT or shape == MAP:
        out: dict[str, Any] = {}
        for k, v in value.items():
            pe = PathElement.field(k)
            if pe in fields.members:
                continue
            sub = fields.children.get(pe)
            if sub is not None and not sub.empty():
                v = _remove(v, sub, schema.field(k) if schema else None)
            out[k] = v
        return out if out else _EmptiedMap()
    items_schema = schema.items() if schema else None
    kept: list[Any] = []
    for i, item in enumerate(value):
        try:
            pe = list_item_path_element(schema, shape, i, item)
        except TypedError:
            kept.append(item)
            continue
        if pe in fields.members:
            continue
        sub = fields.children.get(pe)
        if sub is not None and not sub.empty():
            item = _remove(item, sub, items_schema)
        kept.append(item)
    return kept if kept else _EmptiedList()


def _drop_emptied(value: Any) -> Any:
    if isinstance(value, (_EmptiedMap, _EmptiedList)):
        return None
    if isinstance(value, dict):
        return {k: _drop_emptied(v) for k, v in value.items() if not isinstance(v, (_EmptiedMap, _EmptiedList))}
    if isinstance(value, list):
        return [_drop_emptied(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------
# Apply
# ---------------------------------------------------------------------------------------------------------------


def build_last_applied(applied: Mapping[str, Any]) -> str:
    """The ``last-applied-configuration`` value for ``applied``: the object without that annotation, as Go's
    JSON encoder writes it (sorted keys, newline-terminated)."""
    obj = copy.deepcopy(dict(applied))
    meta = obj.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        meta["annotations"].pop(LAST_APPLIED_ANNOTATION, None)
    return go_json(obj) + "\n"


def _annotations(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = obj.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, Mapping) else None
    return ann if isinstance(ann, dict) else None


def _set_last_applied(obj: dict[str, Any], value: str) -> None:
    meta = obj.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations[LAST_APPLIED_ANNOTATION] = value
    if sum(len(k) + len(v) for k, v in annotations.items() if isinstance(v, str)) > _ANNOTATIONS_SIZE_LIMIT:
        del annotations[LAST_APPLIED_ANNOTATION]
    meta["annotations"] = annotations


def _without_managed_fields(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        return {}
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _allowed_from_last_applied(
    live: Mapping[str, Any], api_version: str, schema: ApplySchema | None
) -> FieldSet | None:
    """The fields of the last-applied annotation whose values still match ``live`` (None when there is no
    usable annotation)."""
    text = (_annotations(live) or {}).get(LAST_APPLIED_ANNOTATION)
    if not text or not isinstance(text, str):
        return None
    try:
        last = json.loads(text)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("apiVersion") != api_version:
        return None
    try:
        last_set = to_field_set(last, schema)
        cmp = compare(last, _without_managed_fields(live), schema, go_zero_values=False)
    except TypedError:
        return None
    return last_set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed)


def _prune(
    merged: Any, fields: Mapping[str, VersionedSet], last: VersionedSet | None, schema: ApplySchema | None
) -> Any:
    """Remove what the applier owned last time but no longer applies, unless somebody still owns it."""
    if last is None or last.fields.empty():
        return merged
    pruned = _remove(merged, last.fields, schema)
    managed = FieldSet()
    for vs in fields.values():
        managed = managed.union(vs.fields)
    merged_set = to_field_set(merged, schema)
    pruned = _remove(merged, merged_set.difference(to_field_set(pruned, schema).union(managed)), schema)
    dangling = merged_set.difference(to_field_set(pruned, schema)).intersection(last.fields)
    return _remove(merged, dangling, schema)


def _apply_once(
    live: dict[str, Any],
    config: Mapping[str, Any],
    managed: Managed,
    identifier: str,
    *,
    api_version: str,
    force: bool,
    schema: ApplySchema | None,
    now: str,
    ignored: FieldSet | None,
) -> tuple[dict[str, Any], Managed]:
    try:
        config_set = to_field_set(config, schema)
    except TypedError as e:
        raise ApplyError(f"failed to create typed patch object ({_object_description(config, api_version)}): {e}") \
            from None
    try:
        to_field_set(live, schema)
    except TypedError as e:
        raise ApplyError(f"failed to create typed live object ({_object_description(live, api_version)}): {e}") \
            from None
    try:
        merged = _merge(live, config, schema, ())
    except TypedError as e:
        raise ApplyError(f"failed to merge config: {e}") from None
    if ignored is not None:
        config_set = config_set.recursive_difference(ignored)
    fields = dict(managed.fields)
    last = fields.get(identifier)
    fields[identifier] = VersionedSet(config_set, api_version, True)
    new = _prune(merged, fields, last, schema)
    ownership = update_ownership(live, new, fields, workflow=identifier, schema=schema, force=force,
                                 ignored=ignored)
    if ownership.conflicts and not force:
        raise ApplyConflict([
            Conflict(manager, path_string(p), p)
            for manager in sorted(ownership.conflicts)
            for p in ownership.conflicts[manager].paths()
        ])
    result = Managed(dict(ownership.fields), dict(managed.times))
    strip_meta(result, identifier)
    if ownership.comparison.is_same():
        return copy.deepcopy(live), result
    result.times[identifier] = now
    return _drop_emptied(new), result


def apply(
    live: Mapping[str, Any] | None,
    applied: Mapping[str, Any],
    *,
    manager: str,
    api_version: str,
    force: bool,
    schema: ApplySchema | None,
    now: str,
    subresource: str = "",
    ignored: FieldSet | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """Server-side apply ``applied`` (the request body, already decoded) onto ``live`` (None to create).

    Returns the new object with ``metadata.managedFields`` updated: ``manager``'s ``Apply`` entry holds the
    applied fields, stamped ``now`` when the object changed. When nothing but ownership changed the live object
    comes back with new ``managedFields`` only. Defaulting and the strategy's resets are the caller's; pass the
    reset fields as ``ignored``.

    Raises ``StatusError`` 400 when ``applied`` is not of ``api_version`` (and ``kind``, when given: upstream
    checks the whole group/version/kind first) or carries ``managedFields``,
    :class:`ApplyConflict` when fields owned by others would change and ``force`` is false (for manager
    ``kubectl`` fields still matching the last-applied annotation are not conflicts), and :class:`ApplyError`
    when an object does not fit its schema."""
    if kind is not None and (applied.get("apiVersion"), applied.get("kind")) != (api_version, kind):
        raise bad_request(f"invalid object type: {_gvk_string(applied)}")
    if applied.get("apiVersion") != api_version:
        raise bad_request(
            "Incorrect version specified in apply patch. "
            f"Specified patch version: {applied.get('apiVersion') or ''}, expected: {api_version}"
        )
    meta = applied.get("metadata")
    if isinstance(meta, Mapping) and isinstance(meta.get("managedFields"), list):
        raise bad_request("metadata.managedFields must be nil")
    live_obj = copy.deepcopy(dict(live)) if live is not None else {}
    try:
        managed = decode_managed_fields((live_obj.get("metadata") or {}).get("managedFields"))
    except ValueError as e:
        raise ApplyError(f"failed to decode managed fields: {e}") from None
    base = _without_managed_fields(live_obj)
    identifier = manager_identifier(manager or "unknown", APPLY, api_version, subresource)

    def once(with_force: bool) -> tuple[dict[str, Any], Managed]:
        return _apply_once(base, applied, managed, identifier, api_version=api_version, force=with_force,
                           schema=schema, now=now, ignored=ignored)

    try:
        result, new_managed = once(force)
    except ApplyConflict as conflict:
        if manager != "kubectl":
            raise
        allowed = _allowed_from_last_applied(live_obj, api_version, schema)
        if allowed is None:
            raise
        remaining = [c for c in conflict.entries if not allowed.has(c.elements)]
        if remaining:
            raise ApplyConflict(remaining) from None
        result, new_managed = once(True)

    if manager == "kubectl" and (_annotations(result) or {}).get(LAST_APPLIED_ANNOTATION):
        _set_last_applied(result, build_last_applied(applied))
    entries = encode_managed_fields(new_managed)
    if entries is not None:
        result.setdefault("metadata", {})["managedFields"] = entries
    elif isinstance(result.get("metadata"), dict):
        result["metadata"].pop("managedFields", None)
    return result
