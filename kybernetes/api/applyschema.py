"""The schemas as server-side apply sees them: the ``machinery.fieldpath.ApplySchema`` protocol over the 1.32
OpenAPI definitions.

Each position of an object is one ``ApplyNode``: a ``struct`` (named properties), a ``map``
(``additionalProperties``), a ``list`` (with ``x-kubernetes-list-type`` atomic, set or map and its
``x-kubernetes-list-map-keys``), a ``scalar``, or ``untyped`` (free-form JSON such as RawExtension, decided by the
value). ``x-kubernetes-map-type: atomic`` makes a struct or map one leaf. Lists the schemas leave untyped are
atomic, as in structured-merge-diff. Nodes are built lazily and cached, so a hot write path pays for each schema
position once.
"""

from __future__ import annotations

from typing import Any

from . import schemas

__all__ = ["ApplyNode", "apply_schema_for"]

_REF = schemas.REF_PREFIX
_UNTYPED_DEFS = schemas.FREE_FORM


class ApplyNode:
    """One schema position (implements ``machinery.fieldpath.ApplySchema``)."""

    __slots__ = ("kind", "list_type", "list_map_keys", "map_type", "default", "_props", "_values", "_items",
                 "_children", "_item_node", "_value_node")

    def __init__(self, kind: str, *, list_type: str = "", list_map_keys: tuple[str, ...] = (),
                 map_type: str = "granular", default: Any = None) -> None:
        self.kind = kind
        self.list_type = list_type
        self.list_map_keys = list_map_keys
        self.map_type = map_type
        if default is not None:  # left unset otherwise: "no default" differs from a null default
            self.default = default
        self._props: dict[str, dict] = {}
        self._values: dict | None = None
        self._items: dict | None = None
        self._children: dict[str, ApplyNode | None] = {}
        self._item_node: ApplyNode | None = None
        self._value_node: ApplyNode | None = None

    def field(self, name: str) -> ApplyNode | None:
        if self.kind == "struct":
            try:
                return self._children[name]
            except KeyError:
                prop = self._props.get(name)
                node = _node(prop) if prop is not None else None
                self._children[name] = node
                return node
        if self.kind == "map" and self._values is not None:
            if self._value_node is None:
                self._value_node = _node(self._values)
            return self._value_node
        return None

    def items(self) -> ApplyNode | None:
        if self.kind == "list" and self._items is not None:
            if self._item_node is None:
                self._item_node = _node(self._items)
            return self._item_node
        return None

    def __repr__(self) -> str:
        return f"ApplyNode({self.kind}, list_type={self.list_type!r}, map_type={self.map_type!r})"


_cache: dict[tuple[int, str], ApplyNode] = {}
_UNTYPED = ApplyNode("untyped")
_SCALAR = ApplyNode("scalar")


def _types(schema: dict) -> list[str]:
    t = schema.get("type")
    if t is None:
        return []
    if isinstance(t, str):
        return [t]
    return [x for x in t if x != "null"]


def _node(schema: dict) -> ApplyNode:
    """The node of a property schema (which may be a $ref plus the extensions written beside it)."""
    key = (id(schema), "")  # property schemas belong to the loaded definitions: their ids are stable
    hit = _cache.get(key)
    if hit is not None:
        return hit
    node = _build(schema)
    _cache[key] = node
    return node


def _build(schema: dict) -> ApplyNode:
    target = schema
    ref = schema.get("$ref")
    if ref is not None:
        name = ref[len(_REF):]
        if name in _UNTYPED_DEFS:
            return _UNTYPED
        target = schemas.definitions()[name]
    if target.get("x-kubernetes-preserve-unknown-fields"):
        return _UNTYPED
    types = _types(target)
    map_type = schema.get("x-kubernetes-map-type") or target.get("x-kubernetes-map-type") or "granular"
    if "properties" in target or (types == ["object"] and not isinstance(target.get("additionalProperties"),
                                                                         dict)):
        if not target.get("properties"):
            return _UNTYPED if map_type != "atomic" else ApplyNode("struct", map_type="atomic")
        node = ApplyNode("struct", map_type=map_type, default=schema.get("default"))
        node._props = target["properties"]
        return node
    if isinstance(target.get("additionalProperties"), dict):
        node = ApplyNode("map", map_type=map_type)
        node._values = target["additionalProperties"]
        return node
    if types == ["array"]:
        list_type = schema.get("x-kubernetes-list-type") or target.get("x-kubernetes-list-type") or "atomic"
        keys = tuple(schema.get("x-kubernetes-list-map-keys") or target.get("x-kubernetes-list-map-keys") or ())
        node = ApplyNode("list", list_type=list_type, list_map_keys=keys)
        items = target.get("items")
        node._items = items if isinstance(items, dict) else None
        return node
    if not types and "oneOf" not in target and "anyOf" not in target:
        return _UNTYPED
    if schema.get("default") is not None:
        return ApplyNode("scalar", default=schema.get("default"))
    return _SCALAR


def apply_schema_for(group: str, version: str, kind: str) -> ApplyNode:
    """The apply schema of a whole object of this kind (untyped for kinds without a definition, e.g. CRs)."""
    found = schemas.definition_for(group, version, kind)
    if found is None:
        return _UNTYPED
    name, _ = found
    node = _roots.get(name)
    if node is None:
        node = _roots[name] = _build({"$ref": _REF + name})
    return node


# Roots by definition name. (_cache is keyed by the identity of property schemas, which live as long as the
# loaded definitions; temporary dicts must never enter it.)
_roots: dict[str, ApplyNode] = {}
