"""Field sets: which fields of an object someone set, and the ``FieldsV1`` format that records them.

Server-side apply tracks ownership per *field path*: a path walks from the object's root through struct fields
(``.spec``), map keys (``.metadata.labels.app``), items of keyed lists (``[name="nginx"]``, selected by the
values of the list's map keys), items of set lists (``[="a"]``, selected by value) and, for lists without
identity, indexes (``[0]``). A :class:`FieldSet` is a trie of such paths; every node records which of its
children are *members* (owned) and which merely lead to deeper members. A struct field such as ``.spec`` is
normally not a member itself (only its leaves are); a map key or a list item is, which is why the wire format
shows ``".": {}`` under ``f:labels`` when the labels map was added as a whole.

``FieldsV1`` (``metadata.managedFields[].fieldsV1``) serializes that trie as nested JSON objects whose keys
are path elements: ``f:<field>``, ``k:<JSON object of the item's keys>``, ``v:<JSON value>`` and ``i:<index>``;
``{}`` marks a member leaf and ``".": {}`` marks a node that is a member *and* has children. Elements are
written in upstream's order (fields, then keys, then values, then indexes; each sorted), with ``"."`` last,
and JSON inside ``k:``/``v:`` is written as Go writes it, so the bytes match upstream's.

What an object "sets" depends on its schema, read through the :class:`ApplySchema` protocol (``api`` implements
it over the Kubernetes OpenAPI definitions): scalars and *atomic* lists/maps are leaves; granular maps own
each key; lists typed ``map`` own each item by its keys and ``set`` lists own each value. Values with no
schema (``None`` or kind ``untyped``) are *deduced* as upstream does: objects are granular maps, lists are
atomic, anything else is a leaf. :func:`to_field_set` computes an object's set and :func:`compare` which fields
two versions of an object added, modified or removed (upstream's ``TypedValue.Compare``).

Everything here is pure and works on plain JSON values (``dict``, ``list``, ``str``, ``int``, ``float``,
``bool``, ``None``); inputs are never mutated.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from kybernetes.machinery.errors import go_quote, go_value

__all__ = [
    "ABSENT",
    "ApplySchema",
    "Comparison",
    "FieldSet",
    "Path",
    "PathElement",
    "TypedError",
    "UnknownPathElementError",
    "compare",
    "fields_v1",
    "go_json",
    "index_list",
    "list_item_path_element",
    "parse_fields_v1",
    "parse_path_element",
    "path_string",
    "serialize_path_element",
    "to_field_set",
    "value_shape",
    "values_equal",
]


class TypedError(ValueError):
    """An object does not fit its schema the way server-side apply needs (upstream's typed validation errors),
    e.g. ``.spec.ports: element 0: associative list with keys has an element that omits key field "port" (and
    doesn't have default value)``. ``str(err)`` is upstream's text."""


class UnknownPathElementError(ValueError):
    """A serialized path element has a type prefix other than ``f``, ``k``, ``v`` or ``i``; readers drop such
    elements so that a later version's additions survive."""


class _Absent:
    """Marker for "no value here" (distinct from JSON ``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


# ---------------------------------------------------------------------------------------------------------------
# Values: identity and order as upstream's value package defines them
# ---------------------------------------------------------------------------------------------------------------


def _value_key(v: Any) -> tuple:
    """A total-order key for a JSON value: numbers (ints and floats compared numerically) < strings < booleans
    < lists < maps < null, lists and maps compared lexically. Equal keys mean equal values."""
    if v is None:
        return (5,)
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, (int, float)):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    if isinstance(v, list):
        return (3, tuple(_value_key(x) for x in v))
    if isinstance(v, dict):
        return (4, tuple((k, _value_key(v[k])) for k in sorted(v)))
    raise TypeError(f"not a JSON value: {type(v).__name__}")


def values_equal(a: Any, b: Any) -> bool:
    """Upstream's ``value.Equals``: deep equality where ``1 == 1.0`` but ``true != 1``."""
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int or ta is bool):
        return a == b
    return _value_key(a) == _value_key(b)


def _value_string(v: Any) -> str:
    """Upstream's ``value.ToString`` (used when printing paths): strings quoted, maps as ``k=v`` runs."""
    if v is None:
        return "null"
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, list):
        return "[" + ",".join(_value_string(x) for x in v) + "]"
    if isinstance(v, dict):
        return "".join(f"{k}={_value_string(v[k])}" for k in sorted(v))
    return go_value(v)


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_NEEDS_ESCAPE = re.compile('["\\\\<>&\u2028\u2029\x00-\x1f]')


def _json_string(s: str) -> str:
    def esc(m: re.Match[str]) -> str:
        ch = m.group(0)
        return _JSON_ESCAPES.get(ch) or f"\\u{ord(ch):04x}"

    return '"' + _NEEDS_ESCAPE.sub(esc, s) + '"'


def _json_float(f: float) -> str:
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"unsupported value: {f}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        text = repr(f)
        # Go writes "1e-07" as "1e-7" (but keeps two-digit positive exponents such as "1e+21").
        return re.sub(r"e-0(\d)$", r"e-\1", text)
    return format(Decimal(repr(f)).normalize(), "f")


def go_json(v: Any) -> str:
    """Compact JSON as Go's encoders write it: map keys sorted, ``<``, ``>``, ``&`` escaped, floats without a
    trailing ``.0``. Used for ``k:``/``v:`` elements, manager identifiers and the last-applied annotation."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _json_float(v)
    if isinstance(v, str):
        return _json_string(v)
    if isinstance(v, list):
        return "[" + ",".join(go_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_json_string(k) + ":" + go_json(v[k]) for k in sorted(v)) + "}"
    raise TypeError(f"not a JSON value: {type(v).__name__}")


# ---------------------------------------------------------------------------------------------------------------
# Path elements and paths
# ---------------------------------------------------------------------------------------------------------------

_FIELD, _KEY, _VALUE, _INDEX = 0, 1, 2, 3


_FIELDS: dict[str, PathElement] = {}
_KEYS: dict[tuple, PathElement] = {}


class PathElement:
    """One step of a field path. Build with :meth:`field`, :meth:`key`, :meth:`of_value` or :meth:`index`.

    Elements are immutable, hashable and ordered the way upstream orders them (field names < keys < values <
    indexes). ``str()`` gives upstream's human form (``.spec``, ``[name="a"]``, ``[="x"]``, ``[0]``)."""

    __slots__ = ("kind", "payload", "_key", "_hash", "_text")

    def __init__(self, kind: int, payload: Any) -> None:
        self.kind = kind
        self.payload = payload
        self._text: str | None = None  # the FieldsV1 key, once serialized
        if kind == _FIELD or kind == _INDEX:
            self._key: tuple = (kind, payload)
        elif kind == _KEY:
            self._key = (kind, tuple((n, _value_key(v)) for n, v in payload))
        else:
            self._key = (kind, _value_key(payload))
        self._hash = hash(self._key)

    @classmethod
    def field(cls, name: str) -> PathElement:
        """A struct field or map key (elements are immutable: one shared instance per name)."""
        pe = _FIELDS.get(name)
        if pe is None:
            pe = cls(_FIELD, name)
            if len(_FIELDS) < 65536:
                _FIELDS[name] = pe
        return pe

    @classmethod
    def key(cls, fields: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> PathElement:
        """A keyed-list item selected by its key fields (sorted by name, as upstream keeps them)."""
        pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
        if len(pairs) > 1:
            pairs.sort(key=lambda p: p[0])
        # the items of keyed lists repeat across objects (condition types, container names): one shared element
        # per distinct key of scalars; the value's type is part of the memo key, as 1 == True in Python
        try:
            memo = tuple((n, type(v), v) for n, v in pairs)
            pe = _KEYS.get(memo)
        except TypeError:  # a list or map as key value: not hashable, not shared
            return cls(_KEY, tuple(pairs))
        if pe is None:
            pe = cls(_KEY, tuple(pairs))
            if len(_KEYS) >= 65536:
                _KEYS.clear()
            _KEYS[memo] = pe
        return pe

    @classmethod
    def of_value(cls, value: Any) -> PathElement:
        """A set-list item selected by its value."""
        return cls(_VALUE, value)

    @classmethod
    def index(cls, i: int) -> PathElement:
        """An item of a list without identity, by position."""
        return cls(_INDEX, i)

    @property
    def is_field(self) -> bool:
        return self.kind == _FIELD

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, PathElement) and self._key == other._key)

    def __lt__(self, other: PathElement) -> bool:
        return self._key < other._key

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        if self.kind == _FIELD:
            return "." + self.payload
        if self.kind == _KEY:
            return "[" + ",".join(f"{n}={_value_string(v)}" for n, v in self.payload) + "]"
        if self.kind == _VALUE:
            return f"[={_value_string(self.payload)}]"
        return f"[{self.payload}]"

    def __repr__(self) -> str:
        return f"PathElement({serialize_path_element(self)!r})"


Path = tuple[PathElement, ...]


def path_string(path: Iterable[PathElement]) -> str:
    """Upstream's ``Path.String()``: ``.spec.template.spec.containers[name="nginx"].image``."""
    return "".join(str(pe) for pe in path)


def serialize_path_element(pe: PathElement) -> str:
    """The ``FieldsV1`` key of ``pe``: ``f:name``, ``k:{"name":"x"}``, ``v:"x"`` or ``i:0``."""
    text = pe._text
    if text is None:
        if pe.kind == _FIELD:
            text = "f:" + pe.payload
        elif pe.kind == _KEY:
            text = "k:{" + ",".join(_json_string(n) + ":" + go_json(v) for n, v in pe.payload) + "}"
        elif pe.kind == _VALUE:
            text = "v:" + go_json(pe.payload)
        else:
            text = f"i:{pe.payload}"
        pe._text = text
    return text


class _Pairs(list):
    """A decoded JSON object kept as its (name, value) pairs, duplicates included."""


def _plain(v: Any) -> Any:
    if isinstance(v, _Pairs):
        return {k: _plain(x) for k, x in v}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def _loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_Pairs, parse_constant=_reject_constant)


_INT = re.compile(r"[+-]?[0-9]+")


def parse_path_element(s: str) -> PathElement:
    """Parse a ``FieldsV1`` key. Raises :class:`UnknownPathElementError` for an unknown type prefix and
    ``ValueError`` for a malformed element."""
    pe = _PARSED.get(s)
    if pe is None:
        pe = _parse_path_element(s)
        if len(_PARSED) >= 65536:
            _PARSED.clear()
        _PARSED[s] = pe
    return pe


# Keys parsed before (elements are immutable, so one instance serves every set): list keys such as a
# container's ``k:{"name":"c"}`` recur in every object of a kind, and each parse is a JSON decode.
_PARSED: dict[str, PathElement] = {}


def _parse_path_element(s: str) -> PathElement:
    if len(s) < 2:
        raise ValueError("key must be 2 characters long:")
    if s[1] != ":":
        raise ValueError(f"missing colon: {s}")
    kind, body = s[0], s[2:]
    if kind == "f":
        return PathElement.field(body)
    if kind == "i":
        if not _INT.fullmatch(body):
            raise ValueError(f'strconv.Atoi: parsing {go_quote(body)}: invalid syntax')
        return PathElement.index(int(body))
    if kind == "v":
        try:
            return PathElement.of_value(_plain(_loads(body)))
        except json.JSONDecodeError as e:
            raise ValueError(str(e)) from None
    if kind == "k":
        try:
            raw = _loads(body)
        except json.JSONDecodeError as e:
            raise ValueError(str(e)) from None
        if raw is None:
            return PathElement.key(())
        if not isinstance(raw, _Pairs):
            raise ValueError("expected object")
        return PathElement.key([(k, _plain(v)) for k, v in raw])
    raise UnknownPathElementError("unknown path element type")


# ---------------------------------------------------------------------------------------------------------------
# FieldSet
# ---------------------------------------------------------------------------------------------------------------


class FieldSet:
    """A set of field paths stored as a trie: ``members`` are owned elements at this level and ``children``
    lead to deeper paths (appearing there does not imply membership). The empty path is never a member.

    Set operations never modify their operands, and their results may share subtrees with them (no copying of
    parts that do not change); only :meth:`insert` mutates, for building a fresh set, so never insert into the
    result of an operation (take :meth:`copy` first)."""

    __slots__ = ("members", "children")

    def __init__(self, paths: Iterable[Iterable[PathElement]] = ()) -> None:
        self.members: set[PathElement] = set()
        self.children: dict[PathElement, FieldSet] = {}
        for p in paths:
            self.insert(p)

    # -- building and queries ---------------------------------------------------------------------------------

    def insert(self, path: Iterable[PathElement]) -> None:
        """Add ``path`` (its parents are not added). Mutates this set."""
        elements = tuple(path)
        if not elements:
            return
        node = self
        for pe in elements[:-1]:
            child = node.children.get(pe)
            if child is None:
                child = node.children[pe] = FieldSet()
            node = child
        node.members.add(elements[-1])

    def has(self, path: Iterable[PathElement]) -> bool:
        """Whether ``path`` is a member."""
        elements = tuple(path)
        if not elements:
            return False
        node: FieldSet | None = self
        for pe in elements[:-1]:
            node = node.children.get(pe)
            if node is None:
                return False
        return elements[-1] in node.members

    def empty(self) -> bool:
        """True when no path is a member."""
        return not self.members and (not self.children or all(c.empty() for c in self.children.values()))

    def with_prefix(self, pe: PathElement) -> FieldSet:
        """The paths below ``pe``, without ``pe`` (an empty set when none)."""
        child = self.children.get(pe)
        return child if child is not None else FieldSet()

    def paths(self) -> Iterator[Path]:
        """Every member path, depth first: a node's members (sorted) before its children's paths (sorted)."""
        yield from self._paths(())

    def _paths(self, prefix: Path) -> Iterator[Path]:
        for pe in sorted(self.members, key=_ORDER):
            yield prefix + (pe,)
        for pe in sorted(self.children, key=_ORDER):
            yield from self.children[pe]._paths(prefix + (pe,))

    def size(self) -> int:
        return len(self.members) + sum(c.size() for c in self.children.values())

    # -- set algebra (upstream semantics) ---------------------------------------------------------------------

    def union(self, other: FieldSet) -> FieldSet:
        if other.empty():
            return self
        if self.empty():
            return other
        out = FieldSet()
        out.members = self.members | other.members
        for pe in self.children.keys() | other.children.keys():
            a, b = self.children.get(pe), other.children.get(pe)
            merged = a.union(b) if a is not None and b is not None else (a or b)  # type: ignore[assignment]
            if not merged.empty():  # type: ignore[union-attr]
                out.children[pe] = merged
        return out

    def intersection(self, other: FieldSet) -> FieldSet:
        out = FieldSet()
        out.members = self.members & other.members
        for pe in self.children.keys() & other.children.keys():
            sub = self.children[pe].intersection(other.children[pe])
            if not sub.empty():
                out.children[pe] = sub
        return out

    def difference(self, other: FieldSet) -> FieldSet:
        """Members of ``self`` not in ``other``; a member of ``other`` does not remove paths below it."""
        if other.empty():
            return self
        out = FieldSet()
        out.members = self.members - other.members
        for pe, child in self.children.items():
            theirs = other.children.get(pe)
            sub = child.difference(theirs) if theirs is not None else child
            if not sub.empty():
                out.children[pe] = sub
        return out

    def recursive_difference(self, other: FieldSet) -> FieldSet:
        """Like :meth:`difference`, but a member of ``other`` also removes everything below it."""
        out = FieldSet()
        out.members = self.members - other.members
        for pe, child in self.children.items():
            if pe in other.members:
                continue
            theirs = other.children.get(pe)
            sub = child.recursive_difference(theirs) if theirs is not None else child
            if not sub.empty():
                out.children[pe] = sub
        return out

    def leaves(self) -> FieldSet:
        """Only the members that have no children in this set."""
        out = FieldSet()
        out.members = {pe for pe in self.members if pe not in self.children}
        for pe, child in self.children.items():
            sub = child.leaves()
            if not sub.empty():
                out.children[pe] = sub
        return out

    def copy(self) -> FieldSet:
        out = FieldSet()
        out.members = set(self.members)
        out.children = {pe: c.copy() for pe, c in self.children.items() if not c.empty()}
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSet):
            return NotImplemented
        if self.members != other.members:
            return False
        mine = {pe: c for pe, c in self.children.items() if not c.empty()}
        theirs = {pe: c for pe, c in other.children.items() if not c.empty()}
        return mine.keys() == theirs.keys() and all(mine[pe] == theirs[pe] for pe in mine)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "\n".join(path_string(p) for p in self.paths())

    def __repr__(self) -> str:
        return f"FieldSet({[path_string(p) for p in self.paths()]!r})"


# ---------------------------------------------------------------------------------------------------------------
# FieldsV1
# ---------------------------------------------------------------------------------------------------------------


_ORDER = operator.attrgetter("_key")  # PathElement order as a C-level sort key (what ``__lt__`` compares)


def fields_v1(fs: FieldSet) -> dict[str, Any]:
    """``fs`` in the ``FieldsV1`` JSON form (a fresh dict whose key order is upstream's byte order)."""
    return _emit(fs, include_self=False)


def _emit(node: FieldSet, *, include_self: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    live_children = {pe: c for pe, c in node.children.items() if not c.empty()}
    for pe in sorted(node.members | live_children.keys(), key=_ORDER):
        child = live_children.get(pe)
        if child is not None:
            out[serialize_path_element(pe)] = _emit(child, include_self=pe in node.members)
        else:
            out[serialize_path_element(pe)] = {}
    if include_self and out:
        out["."] = {}
    return out


def parse_fields_v1(d: Mapping[str, Any] | None) -> FieldSet:
    """Read a ``FieldsV1`` object. Elements of unknown type are dropped; malformed elements raise
    ``ValueError``."""
    if d is None:
        return FieldSet()
    if not isinstance(d, Mapping):
        raise ValueError("FieldsV1 must be a JSON object")
    found, _ = _read(d)
    return found if found is not None else FieldSet()


def _read(d: Mapping[str, Any]) -> tuple[FieldSet | None, bool]:
    children: FieldSet | None = None
    is_member = False
    for k, v in d.items():
        if k == ".":
            is_member = True
            continue
        try:
            pe = parse_path_element(k)
        except UnknownPathElementError:
            continue
        except ValueError as e:
            raise ValueError(f"parsing key as path element: {e}") from None
        if not isinstance(v, Mapping):
            raise ValueError(f"FieldsV1 value of {k!r} must be a JSON object")
        grandchildren, child_is_member = _read(v)
        if child_is_member or grandchildren is not None:
            if children is None:
                children = FieldSet()
            if child_is_member:
                children.members.add(pe)
            if grandchildren is not None:
                existing = children.children.get(pe)
                children.children[pe] = existing.union(grandchildren) if existing else grandchildren
    if children is None:
        is_member = True
    return children, is_member


# ---------------------------------------------------------------------------------------------------------------
# Schema access and object walks
# ---------------------------------------------------------------------------------------------------------------


class ApplySchema(Protocol):
    """What server-side apply needs to know about one node of a schema.

    ``kind`` is ``"struct"`` (named fields), ``"map"`` (``additionalProperties``), ``"list"``, ``"scalar"``
    or ``"untyped"`` (deduced from the value). ``field(name)`` returns a struct field's schema (``None`` for
    an unknown field, which is then treated as untyped) or, for a map, the schema of every value.
    ``list_type`` is ``x-kubernetes-list-type`` (``""`` means atomic), ``list_map_keys`` its keys and
    ``map_type`` ``x-kubernetes-map-type`` (``"granular"`` or ``"atomic"``; atomic structs are leaves too).

    Two optional attributes refine the result when present (read with ``getattr``):

    * ``default``: a field's OpenAPI default. A keyed-list item that omits a key field takes the key's
      default (how ``ports`` items without ``protocol`` get ``"TCP"``). When a key's schema has no ``default``
      attribute at all, the built-in Kubernetes default ``protocol: TCP`` is used;
    * ``always_present``: whether upstream's Go types always serialize this field (value structs and slices
      without ``omitempty``), so a write never adds or removes it as a whole. Defaults to "is a granular
      struct". It only decides which containers ``managedFields`` records as members (``".": {}``).
    """

    kind: str
    list_type: str
    list_map_keys: tuple[str, ...]
    map_type: str

    def field(self, name: str) -> ApplySchema | None: ...

    def items(self) -> ApplySchema | None: ...


_NO_DEFAULT: Any = object()
_KNOWN_KEY_DEFAULTS = {"protocol": "TCP"}

# Shapes a value takes under a schema.
SCALAR, ATOMIC, STRUCT, MAP, LIST_SET, LIST_MAP = "scalar", "atomic", "struct", "map", "set", "listmap"
_GRANULAR = frozenset({STRUCT, MAP, LIST_SET, LIST_MAP})


def _deduced_shape(value: Any) -> str:
    if isinstance(value, dict) or value is None:
        return MAP
    if isinstance(value, list):
        return ATOMIC
    return SCALAR


def value_shape(schema: ApplySchema | None, value: Any) -> str:
    """How ``value`` is walked under ``schema``: ``scalar``, ``atomic``, ``struct``, ``map``, ``set`` or
    ``listmap``. A value whose JSON type contradicts the schema is deduced from the value."""
    kind = schema.kind if schema is not None else "untyped"
    if kind in ("struct", "map"):
        if value is None or isinstance(value, dict):
            return ATOMIC if getattr(schema, "map_type", "") == "atomic" else (STRUCT if kind == "struct" else MAP)
        return _deduced_shape(value)
    if kind == "list":
        if value is None or isinstance(value, list):
            list_type = schema.list_type  # type: ignore[union-attr]
            if list_type == "map" and schema.list_map_keys:  # type: ignore[union-attr]
                return LIST_MAP
            if list_type in ("set", "map"):
                return LIST_SET
            return ATOMIC
        return _deduced_shape(value)
    if kind == "scalar":
        return ATOMIC if isinstance(value, (dict, list)) else SCALAR
    return _deduced_shape(value)


def _child_schema(schema: ApplySchema | None, name: str) -> ApplySchema | None:
    return schema.field(name) if schema is not None else None


def _items_schema(schema: ApplySchema | None) -> ApplySchema | None:
    return schema.items() if schema is not None else None


def _key_default(items: ApplySchema | None, name: str) -> Any:
    key_schema = _child_schema(items, name) if items is not None and items.kind == "struct" else None
    if key_schema is not None and hasattr(key_schema, "default"):
        d = getattr(key_schema, "default")
        return _NO_DEFAULT if d is None else d
    return _KNOWN_KEY_DEFAULTS.get(name, _NO_DEFAULT)


def _element_error(path: Path, index: int, msg: str) -> TypedError:
    prefix = path_string(path)
    return TypedError(f"{prefix}: element {index}: {msg}" if prefix else f"element {index}: {msg}")


def list_item_path_element(
    schema: ApplySchema | None, shape: str, index: int, item: Any, path: Path = ()
) -> PathElement:
    """The element that identifies ``item`` (at ``index``) in a list of ``shape`` ``listmap`` or ``set``.
    Raises :class:`TypedError` with upstream's text when the item cannot be identified (``path`` is the
    list's path, for the message)."""
    if shape == LIST_MAP:
        if item is None:
            raise _element_error(path, index, "associative list with keys may not have a null element")
        if not isinstance(item, dict):
            raise _element_error(path, index, "associative list with keys may not have non-map elements")
        pairs = []
        items = _items_schema(schema)
        for name in schema.list_map_keys:  # type: ignore[union-attr]
            if name in item:
                pairs.append((name, item[name]))
                continue
            default = _key_default(items, name)
            if default is _NO_DEFAULT:
                raise _element_error(
                    path, index,
                    f"associative list with keys has an element that omits key field {go_quote(name)} "
                    "(and doesn't have default value)",
                )
            pairs.append((name, default))
        return PathElement.key(pairs)
    if isinstance(item, dict):
        raise _element_error(path, index, "associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise _element_error(path, index, "not supported: associative list with lists as elements")
    if item is None:
        raise _element_error(path, index, "associative list without keys has an element that's an explicit null")
    return PathElement.of_value(item)


def to_field_set(obj: Any, schema: ApplySchema | None) -> FieldSet:
    """Every field path ``obj`` sets (upstream's ``TypedValue.ToFieldSet``): leaves, atomic values, map keys
    and list items; struct fields only when they are leaves. Raises :class:`TypedError` for list items that
    cannot be identified."""
    out = FieldSet()
    _collect(obj, schema, (), out)
    return out


def _collect(value: Any, schema: ApplySchema | None, path: Path, out: FieldSet) -> None:
    shape = value_shape(schema, value)
    if shape == SCALAR or shape == ATOMIC:
        out.insert(path)
        return
    if shape == STRUCT or shape == MAP:
        if not value:
            return
        for k, v in value.items():
            child = _child_schema(schema, k)
            p = path + (PathElement.field(k),)
            _collect(v, child, p, out)
            if shape == MAP or child is None:
                out.insert(p)
        return
    if not value:
        return
    items = _items_schema(schema)
    for i, item in enumerate(value):
        p = path + (list_item_path_element(schema, shape, i, item, path),)
        _collect(item, items, p, out)
        out.insert(p)


# ---------------------------------------------------------------------------------------------------------------
# Compare
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """What changed between two versions of an object; no path appears in more than one set."""

    added: FieldSet
    modified: FieldSet
    removed: FieldSet

    def is_same(self) -> bool:
        return self.added.empty() and self.modified.empty() and self.removed.empty()

    def exclude(self, fields: FieldSet | None) -> Comparison:
        """This comparison without ``fields`` and everything below them."""
        if fields is None or fields.empty():
            return self
        return Comparison(
            self.added.recursive_difference(fields),
            self.modified.recursive_difference(fields),
            self.removed.recursive_difference(fields),
        )


def compare(old: Any, new: Any, schema: ApplySchema | None, *, go_zero_values: bool = True) -> Comparison:
    """The fields ``new`` added, modified and removed relative to ``old`` (upstream's ``TypedValue.Compare``).

    Leaves are compared by value; a container (map key, list item, struct) that appears or disappears is
    recorded too. With ``go_zero_values`` a missing field that upstream's Go types always serialize (see
    ``ApplySchema.always_present``) counts as present and empty, which is how upstream sees typed objects.
    Raises :class:`TypedError` for list items that cannot be identified."""
    c = Comparison(FieldSet(), FieldSet(), FieldSet())
    _cmp(old, new, schema, (), c, go_zero_values)
    return c


def _is_empty(v: Any) -> bool:
    return v is ABSENT or v is None or ((isinstance(v, (dict, list))) and not v)


def _always_present(schema: ApplySchema | None) -> bool:
    if schema is None:
        return False
    flag = getattr(schema, "always_present", None)
    if flag is not None:
        return bool(flag)
    return schema.kind == "struct" and getattr(schema, "map_type", "") != "atomic"


def _zero(schema: ApplySchema) -> Any:
    return {} if schema.kind == "struct" else None


def index_list(schema: ApplySchema | None, shape: str, value: Any, path: Path, *, strict: bool) -> tuple[
    list[PathElement], dict[PathElement, Any]
]:
    """The items of a granular list keyed by their path elements, in order. A repeated element is an error
    when ``strict`` (``duplicate entries for key ...``) and otherwise keeps its first occurrence."""
    order: list[PathElement] = []
    seen: dict[PathElement, Any] = {}
    if not isinstance(value, list):
        return order, seen
    for i, item in enumerate(value):
        pe = list_item_path_element(schema, shape, i, item, path)
        if pe in seen:
            if strict:
                prefix = path_string(path)
                msg = f"duplicate entries for key {pe}"
                raise TypedError(f"{prefix}: {msg}" if prefix else msg)
            continue
        seen[pe] = item
        order.append(pe)
    return order, seen


def _leaf(old: Any, new: Any, path: Path, c: Comparison) -> None:
    if old is ABSENT:
        c.added.insert(path)
    elif new is ABSENT:
        c.removed.insert(path)
    elif not values_equal(old, new):
        c.modified.insert(path)


def _cmp(old: Any, new: Any, schema: ApplySchema | None, path: Path, c: Comparison, zero: bool) -> None:
    if old is new or (type(old) is type(new) and isinstance(old, (dict, list)) and old == new):
        # identical subtrees hold no change: one C-speed equality instead of a walk. Python's ``==`` equates
        # ``true`` with ``1`` inside containers, so a bool swapped for the same-valued number deep in untyped
        # data is not reported (typed fields cannot change type: validation rejects it)
        return
    old_shape = value_shape(schema, old) if old is not ABSENT else None
    new_shape = value_shape(schema, new) if new is not ABSENT else None
    shape = new_shape if new_shape is not None else old_shape
    granular = shape in _GRANULAR and old_shape in (None, shape) and new_shape in (None, shape)
    if not granular or (_is_empty(old) and _is_empty(new)):
        _leaf(old, new, path, c)
        return
    if shape == STRUCT or shape == MAP:
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        keys = list(old_map)
        keys.extend(k for k in new_map if k not in old_map)
        for k in keys:
            child = _child_schema(schema, k)
            o, n = old_map.get(k, ABSENT), new_map.get(k, ABSENT)
            if zero and shape == STRUCT and child is not None and _always_present(child):
                if o is ABSENT and isinstance(old, dict):
                    o = _zero(child)
                elif n is ABSENT and isinstance(new, dict):
                    n = _zero(child)
            _cmp(o, n, child, path + (PathElement.field(k),), c, zero)
    else:
        items = _items_schema(schema)
        old_order, old_items = index_list(schema, shape, old, path, strict=False)
        new_order, new_items = index_list(schema, shape, new, path, strict=False)
        for pe in old_order + [pe for pe in new_order if pe not in old_items]:
            _cmp(old_items.get(pe, ABSENT), new_items.get(pe, ABSENT), items, path + (pe,), c, zero)
    if old is ABSENT:
        c.added.insert(path)
    elif new is ABSENT:
        c.removed.insert(path)
