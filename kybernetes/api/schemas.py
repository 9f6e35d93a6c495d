"""The 1.32 object schemas: lookup by kind, strategic-merge metadata, unknown-field detection and pruning.

The definitions come from the ``kubernetes-validate`` package (``v1.32.0-local/_definitions.json``, key
``$defs``): one JSON-schema per Go type, named like ``io.k8s.api.apps.v1.Deployment``, with the Kubernetes
extensions kept (``x-kubernetes-group-version-kind``, ``x-kubernetes-patch-strategy``,
``x-kubernetes-patch-merge-key``, ``x-kubernetes-list-type``, ``x-kubernetes-list-map-keys``).  The file is read
once, on first use.

For the write path each definition is compiled, on first use, into a small tree of `_Node` objects: a struct
(named properties), a map (``additionalProperties``), an array, a scalar, or free-form (RawExtension, FieldsV1,
apiextensions JSON, ...: anything goes).  Unknown-field detection and pruning walk an object against that tree;
`SchemaPatchMeta` exposes the same tree through the ``PatchMeta`` protocol that strategic merge patch reads
(``field(name)``, ``items()``, ``patch_strategy``, ``patch_merge_key``, ``list_type``).

Everything here is read-only after loading and safe to share between tasks.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any, Iterator

import orjson

__all__ = [
    "definitions",
    "definition_for",
    "definition_name_for",
    "patch_meta_for",
    "SchemaPatchMeta",
    "unknown_fields",
    "prune",
    "REF_PREFIX",
]

REF_PREFIX = "#/$defs/"
_SCHEMA_DIR = "v1.32.0-local"

# Definitions whose Go types decode any JSON (custom unmarshalers): nothing inside them is ever "unknown".
FREE_FORM = frozenset({
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
})

_lock = threading.RLock()
_defs: dict[str, dict] | None = None
_gvk_index: dict[tuple[str, str, str], str] | None = None


def _definitions_path() -> str:
    # Locate the package without importing it: only its data file is needed, and importing it costs ~0.2 s.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes-validate package (1.32 schemas) is not installed")
    base = list(spec.submodule_search_locations)[0]
    return os.path.join(base, "kubernetes-json-schema", _SCHEMA_DIR, "_definitions.json")


def definitions() -> dict[str, dict]:
    """All definitions by name (loaded once).  The returned dicts are shared: callers must not mutate them."""
    global _defs, _gvk_index
    if _defs is None:
        with _lock:
            if _defs is None:
                with open(_definitions_path(), "rb") as f:
                    loaded = orjson.loads(f.read())["$defs"]
                index: dict[tuple[str, str, str], str] = {}
                for name, schema in loaded.items():
                    for gvk in schema.get("x-kubernetes-group-version-kind", ()):
                        index.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
                _gvk_index = index
                _defs = loaded
    return _defs


def definition_name_for(group: str, version: str, kind: str) -> str | None:
    """The definition name whose ``x-kubernetes-group-version-kind`` lists this kind, or None."""
    definitions()
    assert _gvk_index is not None
    return _gvk_index.get((group, version, kind))


def definition_for(group: str, version: str, kind: str) -> tuple[str, dict] | None:
    """``(definition name, raw schema)`` for a kind, or None when the package has no such kind."""
    name = definition_name_for(group, version, kind)
    if name is None:
        return None
    return name, definitions()[name]


# --------------------------------------------------------------------------------------------------------------
# Compiled schema tree

STRUCT, MAP, ARRAY, SCALAR, FREE = "struct", "map", "array", "scalar", "free"


class _Node:
    """One compiled schema.  ``props`` (struct) maps property names to nodes and ``ext`` holds, per property,
    the patch extensions written next to it: ``(strategy, merge key, list type, list map keys)``.  ``values`` is
    a map's value node, ``items`` an array's element node."""

    __slots__ = ("kind", "props", "ext", "values", "items", "name")

    def __init__(self, kind: str, name: str = "") -> None:
        self.kind = kind
        self.props: dict[str, _Node] = {}
        self.ext: dict[str, tuple[str, str, str, tuple[str, ...]]] = {}
        self.values: _Node | None = None
        self.items: _Node | None = None
        self.name = name

    def __repr__(self) -> str:
        return f"<_Node {self.kind} {self.name}>"


_SCALAR_NODE = _Node(SCALAR)
_FREE_NODE = _Node(FREE)
_compiled: dict[str, _Node] = {}  # includes nodes still being filled (recursion); guarded by _lock
_ready: dict[str, _Node] = {}  # top-level nodes whose whole tree is complete; read without the lock


def _types(schema: dict) -> list[str]:
    t = schema.get("type")
    if t is None:
        return []
    if isinstance(t, str):
        return [t]
    return [x for x in t if x != "null"]


def _compile_definition(name: str) -> _Node:
    """The node for a named definition, compiled on first use.  The node is registered before its properties
    are filled so recursive definitions (JSONSchemaProps) refer to themselves."""
    node = _compiled.get(name)
    if node is not None:
        return node
    schema = definitions()[name]
    if name in FREE_FORM:
        node = _Node(FREE, name)
        _compiled[name] = node
        return node
    types = _types(schema)
    if "properties" in schema or types == ["object"]:
        node = _Node(STRUCT, name)
        _compiled[name] = node
        _fill(node, schema)
        return node
    # Scalars (Time, Quantity, IntOrString, ...) and anything exotic.
    node = _compile_inline(schema)
    _compiled[name] = node
    return node


def _fill(node: _Node, schema: dict) -> None:
    props = schema.get("properties")
    if props:
        for pname, pschema in props.items():
            node.props[pname] = _compile_inline(pschema)
            ext = (
                pschema.get("x-kubernetes-patch-strategy", ""),
                pschema.get("x-kubernetes-patch-merge-key", ""),
                pschema.get("x-kubernetes-list-type", ""),
                tuple(pschema.get("x-kubernetes-list-map-keys", ())),
            )
            if ext != ("", "", "", ()):
                node.ext[pname] = ext
    elif isinstance(schema.get("additionalProperties"), dict):
        node.kind = MAP
        node.values = _compile_inline(schema["additionalProperties"])


def _compile_inline(schema: dict) -> _Node:
    ref = schema.get("$ref")
    if ref is not None:
        return _compile_definition(ref[len(REF_PREFIX):])
    types = _types(schema)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return _FREE_NODE
    if types == ["array"]:
        node = _Node(ARRAY)
        items = schema.get("items")
        node.items = _compile_inline(items) if isinstance(items, dict) else _FREE_NODE
        return node
    if types == ["object"]:
        if "properties" in schema:
            node = _Node(STRUCT)
            _fill(node, schema)
            return node
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            node = _Node(MAP)
            node.values = _compile_inline(additional)
            return node
        return _FREE_NODE
    if not types and "oneOf" not in schema:
        return _FREE_NODE  # no type at all: any JSON value
    return _SCALAR_NODE


def _node_for(group: str, version: str, kind: str) -> _Node | None:
    name = definition_name_for(group, version, kind)
    if name is None:
        return None
    node = _ready.get(name)
    if node is None:
        with _lock:
            node = _compile_definition(name)
            _ready[name] = node
    return node


# --------------------------------------------------------------------------------------------------------------
# PatchMeta


class SchemaPatchMeta:
    """Strategic-merge metadata of one position in an object, implementing the machinery ``PatchMeta``
    protocol over the compiled schema.

    ``field(name)`` and ``items()`` never return None: positions the schema does not describe answer an empty
    meta (no strategy, no merge key, atomic), which is how strategic merge treats unknown fields.
    """

    __slots__ = ("_node", "patch_strategy", "patch_merge_key", "list_type", "list_map_keys")

    def __init__(self, node: _Node, patch_strategy: str = "", patch_merge_key: str = "", list_type: str = "",
                 list_map_keys: tuple[str, ...] = ()) -> None:
        self._node = node
        self.patch_strategy = patch_strategy
        self.patch_merge_key = patch_merge_key
        self.list_type = list_type
        self.list_map_keys = list_map_keys

    @property
    def kind(self) -> str:
        """``struct``, ``map``, ``array``, ``scalar`` or ``free``."""
        return self._node.kind

    @property
    def is_known(self) -> bool:
        """False for positions the schema says nothing about (free-form or unknown fields)."""
        return self._node.kind != FREE

    def field(self, name: str) -> SchemaPatchMeta:
        node = self._node
        if node.kind == STRUCT:
            child = node.props.get(name)
            if child is None:
                return _EMPTY_META
            ext = node.ext.get(name)
            if ext is None:
                return SchemaPatchMeta(child)
            return SchemaPatchMeta(child, *ext)
        if node.kind == MAP and node.values is not None:
            return SchemaPatchMeta(node.values)
        return _EMPTY_META

    def items(self) -> SchemaPatchMeta:
        node = self._node
        if node.kind == ARRAY and node.items is not None:
            return SchemaPatchMeta(node.items)
        return _EMPTY_META

    def __repr__(self) -> str:
        return (f"SchemaPatchMeta({self._node.kind} {self._node.name!r}, strategy={self.patch_strategy!r}, "
                f"merge_key={self.patch_merge_key!r}, list_type={self.list_type!r})")


_EMPTY_META = SchemaPatchMeta(_FREE_NODE)


def patch_meta_for(group: str, version: str, kind: str) -> SchemaPatchMeta:
    """The ``PatchMeta`` of a whole object of this kind; an empty (schema-less) meta for unknown kinds, such as
    custom resources, for which strategic merge patch is not offered anyway."""
    node = _node_for(group, version, kind)
    if node is None:
        return _EMPTY_META
    return SchemaPatchMeta(node)


# --------------------------------------------------------------------------------------------------------------
# Unknown fields


def _format_path(stack: list) -> str:
    parts: list[str] = []
    for item in stack:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append("." + item)
        else:
            parts.append(item)
    return "".join(parts)


def _walk(node: _Node, value: Any, stack: list, out: list, prune_them: bool) -> None:
    kind = node.kind
    if kind == STRUCT:
        if not isinstance(value, dict):
            return
        props = node.props
        unknown = None
        for key, child_value in value.items():
            child = props.get(key)
            if child is None:
                stack.append(key)
                out.append(_format_path(stack))
                stack.pop()
                if prune_them:
                    if unknown is None:
                        unknown = []
                    unknown.append(key)
                continue
            ck = child.kind
            if ck is SCALAR or ck is FREE or child_value is None:
                continue
            stack.append(key)
            _walk(child, child_value, stack, out, prune_them)
            stack.pop()
        if unknown:
            for key in unknown:
                del value[key]
    elif kind == ARRAY:
        if not isinstance(value, list):
            return
        child = node.items
        if child is None or child.kind is SCALAR or child.kind is FREE:
            return
        for i, item in enumerate(value):
            if item is None:
                continue
            stack.append(i)
            _walk(child, item, stack, out, prune_them)
            stack.pop()
    elif kind == MAP:
        if not isinstance(value, dict):
            return
        child = node.values
        if child is None or child.kind is SCALAR or child.kind is FREE:
            return
        for key, item in value.items():
            if item is None:
                continue
            stack.append(key)
            _walk(child, item, stack, out, prune_them)
            stack.pop()


def unknown_fields(obj: dict, group: str, version: str, kind: str) -> list[str]:
    """Paths (``spec.foo``, ``spec.template.spec.containers[0].bar``) of the fields of ``obj`` that the kind's
    schema does not declare, in document order; fields inside free-form values are never reported.  Empty for
    kinds without a schema.  Does not mutate ``obj``."""
    node = _node_for(group, version, kind)
    if node is None:
        return []
    out: list[str] = []
    _walk(node, obj, [], out, False)
    return out


def prune(obj: dict, group: str, version: str, kind: str) -> dict:
    """Remove the fields `unknown_fields` would report.  Mutates ``obj`` in place and returns it."""
    node = _node_for(group, version, kind)
    if node is not None:
        _walk(node, obj, [], [], True)
    return obj


def iter_gvks() -> Iterator[tuple[str, str, str]]:
    """Every (group, version, kind) some definition declares."""
    definitions()
    assert _gvk_index is not None
    return iter(list(_gvk_index))
