"""Strategic merge patch: Kubernetes' schema-aware merge patch (``kubectl apply``/``patch``'s default type).

It is a JSON merge patch (objects merge recursively, ``null`` deletes) in which the schema decides how lists
combine. A list field whose patch strategy is ``merge`` is merged element by element: lists of objects match
elements on the field's *merge key* (containers by ``name``, ports by ``containerPort``) and merge matched
elements recursively; lists of primitives are merged as sets. Other lists are replaced whole.

Directives inside the patch steer the merge:

* ``$patch: replace`` in an object replaces the object instead of merging into it; ``$patch: delete`` empties
  it. As a list element, ``{"name": "x", "$patch": "delete"}`` removes the element with that merge key and
  ``{"$patch": "replace"}`` makes the list the patch's other elements;
* ``$retainKeys: [a, b]`` drops every other key of the object before merging (``retainKeys`` strategy);
* ``$setElementOrder/<field>: [...]`` gives the final order of a merged list (elements only on the server keep
  their relative place);
* ``$deleteFromPrimitiveList/<field>: [...]`` removes those values from a primitive list.

Schema knowledge comes through the :class:`PatchMeta` protocol (``api.schemas`` implements it over the
Kubernetes OpenAPI definitions). ``meta=None`` anywhere means "nothing known": lists are replaced, exactly like
a JSON merge patch. Upstream's list type markers (``x-kubernetes-list-type``) do not influence strategic merge
(only ``patch_strategy`` and ``patch_merge_key`` do), and this module follows suit.

The algorithm, the element ordering rules and the error texts follow upstream's ``strategicpatch`` package as
applied by the API server (parallel lists merged, unmatched ``null`` dropped).
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from kybernetes.machinery.errors import go_value
from kybernetes.machinery.jsoncopy import json_copy
from kybernetes.machinery.patcherrors import PatchError

__all__ = ["PatchError", "PatchMeta", "apply_strategic_merge_patch"]

DIRECTIVE = "$patch"
DELETE = "delete"
REPLACE = "replace"
MERGE = "merge"
RETAIN_KEYS = "retainKeys"
RETAIN_KEYS_DIRECTIVE = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

ERR_BAD_JSON_DOC = "invalid JSON document"
ERR_NO_LIST_OF_LISTS = "lists of lists are not supported"
ERR_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
ERR_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
ERR_BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"


class PatchMeta(Protocol):
    """What strategic merge needs to know about one node of a schema."""

    @property
    def patch_strategy(self) -> str:
        """``""``, ``"merge"``, ``"replace"``, ``"retainKeys"`` or ``"merge,retainKeys"``."""
        ...

    @property
    def patch_merge_key(self) -> str:
        """The merge key of a list of objects, ``""`` when none."""
        ...

    @property
    def list_type(self) -> str:
        """``""``, ``"atomic"``, ``"set"`` or ``"map"`` (informational; not used by the merge)."""
        ...

    def field(self, name: str) -> PatchMeta | None:
        """The schema of field ``name`` of an object, or of a map's values; ``None`` when unknown."""
        ...

    def items(self) -> PatchMeta | None:
        """The schema of a list's items; ``None`` when unknown."""
        ...


# ---------------------------------------------------------------------------------------------------------------
# Error helpers (texts of upstream's mergepatch package)
# ---------------------------------------------------------------------------------------------------------------


def _go_type(v: Any) -> str:
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    return type(v).__name__


def _bad_arg_type(expected: str, actual: Any) -> PatchError:
    return PatchError(f"expected a {expected}, but received a {_go_type(actual)}", code=500)


def _no_merge_key(m: Any, key: str) -> PatchError:
    return PatchError(f"map: {go_value(m)} does not contain declared merge key: {key}", code=500)


def _bad_patch_type(t: Any, m: Any) -> PatchError:
    return PatchError(f"unknown patch type: {go_value(t)} in map: {go_value(m)}", code=500)


_MAP = "map[string]interface {}"
_SLICE = "[]interface {}"

# ---------------------------------------------------------------------------------------------------------------
# Value identity as Go sees it (interface equality of decoded JSON)
# ---------------------------------------------------------------------------------------------------------------


def _kind(v: Any) -> str:
    """The Go type a decoded JSON value would have (integral numbers decode as int64)."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "int" if v.is_integer() else "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "slice"
    return type(v).__name__


def _hkey(v: Any) -> Any:
    """A hashable identity for ``v``: equal exactly when Go's ``==`` on the decoded values is true."""
    k = _kind(v)
    if k in ("map", "slice"):
        return (k, orjson.dumps(v, option=orjson.OPT_SORT_KEYS))
    if k == "int":
        return (k, int(v))
    return (k, v)


def _same(a: Any, b: Any) -> bool:
    return _hkey(a) == _hkey(b)


# ---------------------------------------------------------------------------------------------------------------
# Schema lookups
# ---------------------------------------------------------------------------------------------------------------


def _field_meta(meta: PatchMeta | None, name: str) -> PatchMeta | None:
    return meta.field(name) if meta is not None else None


def _strategy(fm: PatchMeta | None) -> str:
    """The effective strategy of a field with ``retainKeys`` removed (upstream extractRetainKeysPatchStrategy)."""
    if fm is None or not fm.patch_strategy:
        return ""
    parts = fm.patch_strategy.split(",")
    if len(parts) == 1:
        return "" if parts[0] == RETAIN_KEYS else parts[0]
    if len(parts) == 2:
        if parts[0] == RETAIN_KEYS:
            return parts[1]
        if parts[1] == RETAIN_KEYS:
            return parts[0]
    raise PatchError(f"unexpected patch strategy: [{' '.join(parts)}]", code=500)


def _merge_key(fm: PatchMeta | None) -> str:
    return fm.patch_merge_key if fm is not None else ""


def _items_meta(fm: PatchMeta | None) -> PatchMeta | None:
    return fm.items() if fm is not None else None


# ---------------------------------------------------------------------------------------------------------------
# Maps
# ---------------------------------------------------------------------------------------------------------------


def _discard_nulls(v: Any) -> None:
    """Remove ``null`` members from objects, recursively (in place)."""
    if isinstance(v, dict):
        for k in [k for k, x in v.items() if x is None]:
            del v[k]
        for x in v.values():
            _discard_nulls(x)
    elif isinstance(v, list):
        for x in v:
            _discard_nulls(x)


def _remove_directives(v: Any) -> tuple[Any, bool]:
    """Drop objects carrying ``$patch`` from a value that is being added as is; returns (value, keep)."""
    if isinstance(v, dict):
        if DIRECTIVE in v:
            return None, False
        for k in list(v):
            nv, keep = _remove_directives(v[k])
            if keep:
                v[k] = nv
            else:
                del v[k]
        return v, True
    if isinstance(v, list):
        out = []
        for x in v:
            nx, keep = _remove_directives(x)
            if keep:
                out.append(nx)
        return out, True
    return v, True


def _take_patch_value(original: dict[str, Any], key: str, value: Any) -> None:
    _discard_nulls(value)
    value, keep = _remove_directives(value)
    if keep:
        original[key] = value
    else:
        original.pop(key, None)


def _directive_in_map(directive: Any, patch: dict[str, Any]) -> dict[str, Any]:
    if directive == REPLACE:
        del patch[DIRECTIVE]
        return patch
    if directive == DELETE:
        return {}
    raise _bad_patch_type(directive, patch)


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if RETAIN_KEYS_DIRECTIVE not in patch:
        return
    retain = patch.pop(RETAIN_KEYS_DIRECTIVE)
    if not isinstance(retain, list):
        raise PatchError(ERR_BAD_RETAIN_KEYS, code=400)
    keep = {v for v in retain if isinstance(v, str)}
    for k, v in patch.items():
        if v is None or k.startswith(DELETE_FROM_PRIMITIVE_LIST) or k.startswith(SET_ELEMENT_ORDER):
            continue
        if k not in keep:
            raise PatchError(ERR_BAD_RETAIN_KEYS, code=400)
    for k in [k for k in original if k not in keep]:
        del original[k]


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        if prefix == DELETE_FROM_PRIMITIVE_LIST:
            raise PatchError(ERR_BAD_PRIMITIVE_LIST, code=400)
        raise PatchError(ERR_BAD_SET_ELEMENT_ORDER, code=400)
    return rest


def _merge_map(original: dict[str, Any] | None, patch: dict[str, Any], meta: PatchMeta | None) -> dict[str, Any]:
    """Merge ``patch`` into ``original`` (both may be modified) and return the result."""
    if DIRECTIVE in patch:
        return _directive_in_map(patch[DIRECTIVE], patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_ordered_lists(original, patch, meta)

    for k, pv in list(patch.items()):
        is_delete_list = False
        if k.startswith(DELETE_FROM_PRIMITIVE_LIST):
            k = _extract_key(k, DELETE_FROM_PRIMITIVE_LIST)
            is_delete_list = True
        if pv is None:
            original.pop(k, None)
            continue
        if k not in original:
            if not is_delete_list:
                _take_patch_value(original, k, pv)
            continue
        ov = original[k]
        ok = _kind(ov)
        if ok != _kind(pv):
            if not is_delete_list:
                _take_patch_value(original, k, pv)
            continue
        if ok == "map":
            fm = _field_meta(meta, k)
            if _strategy(fm) == REPLACE:
                original[k] = pv
            else:
                original[k] = _merge_map(ov, pv, fm)
        elif ok == "slice":
            fm = _field_meta(meta, k)
            original[k] = _merge_slice_handler(ov, pv, fm, is_delete_list)
        else:
            value, keep = _remove_directives(pv)
            if keep:
                original[k] = value
            else:
                del original[k]
    return original


# ---------------------------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------------------------


def _element_kind(*lists: list[Any]) -> str:
    """The common kind of all elements (upstream sliceElementType)."""
    kind: str | None = None
    for lst in lists:
        for v in lst:
            k = _kind(v)
            if kind is None:
                kind = k
                if k == "slice":
                    raise PatchError(ERR_NO_LIST_OF_LISTS, code=422)
            elif k != kind:
                raise PatchError(
                    f"list element types are not identical: {go_value([list(x) for x in lists])}", code=500
                )
    if kind is None:
        raise PatchError("no elements in any of the given slices", code=500)
    return kind


def _merge_slice_handler(
    original: list[Any], patch: list[Any], fm: PatchMeta | None, is_delete_list: bool
) -> list[Any]:
    if _strategy(fm) == MERGE or is_delete_list:
        return _merge_slice(original, patch, _items_meta(fm), _merge_key(fm), is_delete_list)
    return patch


def _merge_slice(
    original: list[Any], patch: list[Any], items: PatchMeta | None, merge_key: str, is_delete_list: bool
) -> list[Any]:
    """Merge two lists per the ``merge`` strategy and return the merged list.

    ``original`` is updated in place the way upstream's Go code updates the array behind it (deletions shift
    elements left, new elements are written into the freed slots). The ``$setElementOrder`` handling orders
    server-only elements by that updated list, so emulating it keeps element order identical to upstream.
    """
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    if kind != "map":
        if is_delete_list:
            unwanted = {_hkey(v) for v in patch}
            return [v for v in original if _hkey(v) not in unwanted]
        if patch:
            seen: set[Any] = set()
            merged = []
            for v in original + patch:
                h = _hkey(v)
                if h not in seen:
                    seen.add(h)
                    merged.append(v)
        else:
            # appending nothing reuses the array, so upstream deduplicates the original in place
            merged = original[: _dedup_in_place(original)]
        server_order = original
    else:
        if not merge_key:
            raise PatchError("cannot merge lists without merge key", code=500)
        server_order, patch, free_slot = _apply_special_elements(original, patch, merge_key)
        merged = _merge_elements(server_order, patch, merge_key, items, original, free_slot)
    if not merge_key:
        patch_items, server_only = _partition_primitives(merged, patch)
    else:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    return _normalize_element_order(patch_items, server_only, patch, server_order, merge_key, kind)


def _dedup_in_place(s: list[Any]) -> int:
    """Upstream's in-place deduplication (a duplicate is overwritten by the last live element); returns the
    number of live elements at the front of ``s``."""
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _same(s[i], s[j]):
                s[j] = s[length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return length + 1


def _find_by_key(items: list[Any], key: str, value: Any) -> int:
    """Index of the first object whose ``key`` equals ``value``, or -1."""
    want = _hkey(value)
    for i, v in enumerate(items):
        if not isinstance(v, dict):
            raise PatchError(f"value for key {i} is not a map", code=500)
        if key in v and _hkey(v[key]) == want:
            return i
    return -1


def _apply_special_elements(
    backing: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any], int | None]:
    """Handle list elements carrying ``$patch``.

    Returns (the original list after deletions, the patch without directive elements, the first free slot of
    ``backing`` or ``None`` when the list was replaced). Deletions shift ``backing`` left in place.
    """
    plain: list[Any] = []
    replace = False
    length = len(backing)
    for v in patch:
        if DIRECTIVE not in v:
            plain.append(v)
            continue
        directive = v[DIRECTIVE]
        if directive == DELETE:
            if merge_key not in v:
                raise _no_merge_key(v, merge_key)
            want = v[merge_key]
            while (i := _find_by_key(backing[:length], merge_key, want)) >= 0:
                backing[i : length - 1] = backing[i + 1 : length]
                length -= 1
        elif directive == REPLACE:
            replace = True
        elif directive == MERGE:
            raise PatchError("merging lists cannot yet be specified in the patch", code=500)
        else:
            raise _bad_patch_type(directive, v)
    if replace:
        return plain, [], None
    return backing[:length], plain, length


def _merge_elements(
    original: list[Any],
    patch: list[Any],
    merge_key: str,
    items: PatchMeta | None,
    backing: list[Any],
    free_slot: int | None,
) -> list[Any]:
    """Merge patch elements into matching originals and append the rest; appended elements also land in the
    free slots of ``backing`` as they would in upstream's shared array."""
    result = list(original)
    position: dict[Any, int] = {}
    for i, v in enumerate(result):
        if not isinstance(v, dict):
            raise PatchError(f"value for key {i} is not a map", code=500)
        if merge_key in v:
            position.setdefault(_hkey(v[merge_key]), i)
    for v in patch:
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        h = _hkey(v[merge_key])
        i = position.get(h, -1)
        if i >= 0:
            result[i] = _merge_map(result[i], v, items)
        else:
            position[h] = len(result)
            result.append(v)
            if free_slot is not None and free_slot < len(backing):
                backing[free_slot] = v
                free_slot += 1
    return result


def _order_key(item: Any, merge_key: str, kind: str) -> Any:
    if kind == "map":
        return _hkey(item.get(merge_key) if isinstance(item, dict) else None)
    return _hkey(item)


def _index_of(order: list[Any], merge_key: str, kind: str) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for i, v in enumerate(order):
        out.setdefault(_order_key(v, merge_key, kind), i)
    return out


def _partition_primitives(items: list[Any], by: list[Any]) -> tuple[list[Any], list[Any]]:
    present = {_hkey(v) for v in by}
    inside = [v for v in items if _hkey(v) in present]
    outside = [v for v in items if _hkey(v) not in present]
    return inside, outside


def _partition_maps(items: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    present: set[Any] = set()
    for i, v in enumerate(by):
        if not isinstance(v, dict):
            raise PatchError(f"value for key {i} is not a map", code=500)
        if merge_key in v:
            present.add(_hkey(v[merge_key]))
    inside: list[Any] = []
    outside: list[Any] = []
    for v in items:
        if not isinstance(v, dict):
            raise _bad_arg_type(_MAP, v)
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        (inside if _hkey(v[merge_key]) in present else outside).append(v)
    return inside, outside


def _normalize_slice_order(to_sort: list[Any], order: list[Any], merge_key: str, kind: str) -> list[Any]:
    """Sort ``to_sort`` by position in ``order`` (stable); deletion elements go last."""
    to_delete: list[Any] = []
    if kind == "map":
        for lst in (to_sort, order):
            for item in lst:
                if not isinstance(item, dict):
                    raise _bad_arg_type(_MAP, item)
                if merge_key not in item:
                    raise _no_merge_key(item, merge_key)
        to_delete = [v for v in to_sort if v.get(DIRECTIVE) == DELETE]
        to_sort = [v for v in to_sort if v.get(DIRECTIVE) != DELETE]
    index = _index_of(order, merge_key, kind)
    positions = [index.get(_order_key(v, merge_key, kind), -1) for v in to_sort]
    if all(p >= 0 for p in positions):
        ranked = sorted(range(len(to_sort)), key=positions.__getitem__)
        return [to_sort[i] for i in ranked] + to_delete
    # some elements are not in ``order``: emulate Go's insertion sort with upstream's "not found sorts
    # first" comparator so the outcome matches
    items = list(zip(positions, to_sort))
    for i in range(1, len(items)):
        j = i
        while j > 0:
            a, b = items[j][0], items[j - 1][0]
            less = a < b if a >= 0 and b >= 0 else True
            if not less:
                break
            items[j], items[j - 1] = items[j - 1], items[j]
            j -= 1
    return [v for _, v in items] + to_delete


def _merge_sorted(left: list[Any], right: list[Any], server_order: list[Any], merge_key: str, kind: str) -> list[Any]:
    """Interleave server-only items (``left``) into patch items (``right``) by their place on the server."""
    index = _index_of(server_order, merge_key, kind)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = index.get(_order_key(left[i], merge_key, kind), -1)
            ri = index.get(_order_key(right[j], merge_key, kind), -1)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _normalize_element_order(
    patch: list[Any], server_only: list[Any], patch_order: list[Any], server_order: list[Any], merge_key: str, kind: str
) -> list[Any]:
    patch = _normalize_slice_order(patch, patch_order, merge_key, kind)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, kind)
    return _merge_sorted(server_only, patch, server_order, merge_key, kind)


def _merge_key_value_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _same(left, right)
    if not isinstance(left, dict):
        raise _bad_arg_type(_MAP, left)
    if not isinstance(right, dict):
        raise _bad_arg_type(_MAP, right)
    if merge_key not in left:
        raise _no_merge_key(left, merge_key)
    if merge_key not in right:
        raise _no_merge_key(right, merge_key)
    return _same(left[merge_key], right[merge_key])


def _validate_against_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """The patch list must be a subsequence of ``$setElementOrder`` (deletions aside)."""
    if not order or not patch_list:
        return
    if merge_key:
        for v in patch_list:
            if not isinstance(v, dict):
                raise _bad_arg_type(_MAP, v)
        plain = [v for v in patch_list if v.get(DIRECTIVE) != DELETE]
    else:
        plain = patch_list
    pi = si = 0
    while pi < len(plain) and si < len(order):
        if isinstance(plain[pi], dict) and DIRECTIVE in plain[pi]:
            pi += 1
            continue
        if _merge_key_value_equal(plain[pi], order[si], merge_key):
            pi += 1
        si += 1
    if pi < len(plain) and si >= len(order):
        raise PatchError(
            f"The order in patch list:\n{go_value(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} list:\n"
            f"{go_value(order)}\n",
            code=500,
        )


def _merge_ordered_lists(original: dict[str, Any], patch: dict[str, Any], meta: PatchMeta | None) -> None:
    """Process every ``$setElementOrder/<field>`` of ``patch`` together with ``<field>``, removing both from
    the patch."""
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _bad_arg_type(_SLICE, order)
        field = _extract_key(key, SET_ELEMENT_ORDER)
        found_original = field in original
        found_patch = field in patch
        original_list = original.get(field)
        patch_list = patch.get(field)
        if found_original and not isinstance(original_list, list):
            raise _bad_arg_type(_SLICE, original_list)
        if found_patch and not isinstance(patch_list, list):
            raise _bad_arg_type(_SLICE, patch_list)
        fm = _field_meta(meta, field)
        merge_key = _merge_key(fm)
        _strategy(fm)  # a malformed strategy fails here even when the lists need no merging, as upstream
        _validate_against_order(patch_list or [], order, merge_key)
        if found_original and not found_patch:
            merged = original_list
        elif found_patch and not found_original:
            merged, _ = _remove_directives(patch_list)
        elif found_original and found_patch:
            merged = _merge_slice_handler(original_list, patch_list, fm, False)
        else:
            continue
        if not merge_key:
            patch_items, server_only = _partition_primitives(merged, order)
        else:
            patch_items, server_only = _partition_maps(merged, order, merge_key)
        kind = _element_kind(original_list or [], patch_list or [])
        original[field] = _normalize_element_order(
            patch_items, server_only, order, original_list or [], merge_key, kind
        )
        patch.pop(field, None)


# ---------------------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------------------


def apply_strategic_merge_patch(doc: dict[str, Any], patch: dict[str, Any], meta: PatchMeta | None) -> dict[str, Any]:
    """Apply strategic merge ``patch`` to ``doc`` using schema ``meta`` and return a new document.

    Neither input is modified. Raises ``PatchError`` (its ``code`` is the HTTP status upstream answers with)
    when either document is not an object or the patch cannot be applied.
    """
    if not isinstance(doc, dict) or not isinstance(patch, dict):
        raise PatchError(ERR_BAD_JSON_DOC, code=400)
    return _merge_map(json_copy(doc), json_copy(patch), meta)
