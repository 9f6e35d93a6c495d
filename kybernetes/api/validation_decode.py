"""Decoding failures: what upstream's JSON decoder says when a field has the wrong JSON type.

The real API server decodes a request body into typed Go structs before anything else; a string where an
``int32`` belongs fails with Go's ``encoding/json`` error (via ``sigs.k8s.io/json``), wrapped as::

    Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct
    field DeploymentSpec.spec.replicas of type int32

and answered as 400 BadRequest. :func:`decode_error` reproduces that from the 1.32 schemas: it walks the object
against the definitions of ``kubernetes-validate`` (compiled lazily, one node per definition) and reports the
decoder's first error. Like Go's decoder, plain type mismatches are remembered and decoding goes on (the first one
is reported), while failures inside custom decoders (quantities, int-or-strings, times) stop at once and win.
Unknown fields are ignored here (field validation handles them), ``null`` is accepted anywhere.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from typing import Any

from kybernetes.api.schemas import REF_PREFIX, FREE_FORM, definition_name_for, definitions
from kybernetes.machinery.quantity import parse_quantity

__all__ = ["decode_error"]

_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
_MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

# node shapes: ("struct", go_name, go_type, props) ("map", go_type, value) ("array", go_type, item)
# ("scalar", kind, go_type) ("intstr",) ("quantity",) ("time", micro) ("free",) ("ref", definition name)
_lock = threading.RLock()
_by_name: dict[str, tuple] = {}


class _Hard(Exception):
    """A decoding failure that stops the decoder (error from a custom UnmarshalJSON)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def _go_type_of_def(name: str) -> str:
    parts = name.split(".")
    return f"{parts[-2]}.{parts[-1]}"


def _compile_def(name: str) -> tuple:
    node = _by_name.get(name)
    if node is not None:
        return node
    with _lock:
        node = _by_name.get(name)
        if node is not None:
            return node
        if name in FREE_FORM:
            node = ("free",)
        elif name == _INT_OR_STRING:
            node = ("intstr",)
        elif name == _QUANTITY:
            node = ("quantity",)
        elif name in (_TIME, _MICRO_TIME):
            node = ("time", name == _MICRO_TIME)
        else:
            schema = definitions().get(name)
            if schema is None:
                node = ("free",)
            else:
                node = _compile(schema, name)
        _by_name[name] = node
        return node


def _types(schema: dict) -> list[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if x != "null"]
    return []


def _go_type(node: tuple) -> str:
    kind = node[0]
    if kind == "ref":
        name = node[1]
        if name == _INT_OR_STRING:
            return "intstr.IntOrString"
        if name == _QUANTITY:
            return "resource.Quantity"
        if name in FREE_FORM:
            return _go_type_of_def(name)
        return _go_type_of_def(name)
    if kind == "struct":
        return node[2]
    if kind in ("map", "array", "scalar"):
        return node[1] if kind != "scalar" else node[2]
    if kind == "intstr":
        return "intstr.IntOrString"
    if kind == "quantity":
        return "resource.Quantity"
    if kind == "time":
        return "v1.MicroTime" if node[1] else "v1.Time"
    return "interface {}"


def _compile(schema: dict, def_name: str | None = None) -> tuple:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        return ("ref", ref[len(REF_PREFIX):])
    if schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-int-or-string"):
        return ("free",)
    types = _types(schema)
    if "object" in types:
        props = schema.get("properties")
        if isinstance(props, dict):
            go = _go_type_of_def(def_name) if def_name else "struct"
            return ("struct", go.split(".")[-1], go, {k: _compile(v) for k, v in props.items()})
        ap = schema.get("additionalProperties")
        if isinstance(ap, dict):
            value = _compile(ap)
            vref = ap.get("$ref")
            if vref == REF_PREFIX + _QUANTITY:
                return ("map", "v1.ResourceList", value)
            return ("map", "map[string]" + _go_type(value), value)
        return ("free",)
    if "array" in types:
        items = schema.get("items")
        if not isinstance(items, dict):
            return ("free",)
        item = _compile(items)
        return ("array", "[]" + _go_type(item), item)
    if "string" in types:
        if schema.get("format") == "byte":
            return ("scalar", "bytes", "[]uint8")
        return ("scalar", "string", "string")
    if "integer" in types:
        fmt = schema.get("format") if schema.get("format") in ("int32", "int64") else "int64"
        return ("scalar", fmt, fmt)
    if "number" in types:
        return ("scalar", "float64", "float64")
    if "boolean" in types:
        return ("scalar", "bool", "bool")
    return ("free",)


def _json_kind(v: Any) -> str:
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    return "number"


def _number_text(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def _type_error(value_desc: str, struct: str, fields: list[str], go_type: str) -> str:
    if struct or fields:
        return f"json: cannot unmarshal {value_desc} into Go struct field {struct}.{'.'.join(fields)} of type {go_type}"
    return f"json: cannot unmarshal {value_desc} into Go value of type {go_type}"


_B64_ALPHABET = re.compile(r"[A-Za-z0-9+/]")


def _base64_error(s: str) -> str | None:
    try:
        base64.b64decode(s, validate=True)
        return None
    except (binascii.Error, ValueError):
        pass
    stripped = s.replace("\r", "").replace("\n", "")
    for i, ch in enumerate(s):
        if ch in "\r\n":
            continue
        if not _B64_ALPHABET.fullmatch(ch) and ch != "=":
            return f"illegal base64 data at input byte {i}"
    pad = stripped.find("=")
    if pad >= 0:
        return f"illegal base64 data at input byte {pad}"
    return f"illegal base64 data at input byte {len(stripped) - len(stripped) % 4}"


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_LAYOUT_ELEMS = (
    (re.compile(r"\d{4}"), "2006"), (re.compile(r"-"), "-"), (re.compile(r"\d{2}"), "01"), (re.compile(r"-"), "-"),
    (re.compile(r"\d{2}"), "02"), (re.compile(r"T"), "T"), (re.compile(r"\d{2}"), "15"), (re.compile(r":"), ":"),
    (re.compile(r"\d{2}"), "04"), (re.compile(r":"), ":"), (re.compile(r"\d{2}(\.\d+)?"), "05"),
    (re.compile(r"Z|[+-]\d{2}:\d{2}"), "Z07:00"),
)


def _time_error(s: str, micro: bool) -> str | None:
    if _RFC3339.fullmatch(s):
        return None
    layout = "2006-01-02T15:04:05.000000Z07:00" if micro else "2006-01-02T15:04:05Z07:00"
    rest = s
    for i, (rx, elem) in enumerate(_LAYOUT_ELEMS):
        m = rx.match(rest)
        if not m:
            shown_elem = elem
            if micro and elem == "05":
                shown_elem = "05"
            return f'parsing time "{s}" as "{layout}": cannot parse "{rest}" as "{shown_elem}"'
        rest = rest[m.end():]
    if rest:
        return f'parsing time "{s}": extra text: "{rest}"'
    return f'parsing time "{s}": month out of range'


class _Walker:
    __slots__ = ("soft",)

    def __init__(self) -> None:
        self.soft: str | None = None

    def _save(self, msg: str) -> None:
        if self.soft is None:
            self.soft = msg

    def walk(self, v: Any, node: tuple, struct: str, fields: list[str]) -> None:
        if v is None:
            return
        kind = node[0]
        if kind == "ref":
            node = _compile_def(node[1])
            kind = node[0]
        if kind == "free":
            return
        if kind == "struct":
            if not isinstance(v, dict):
                self._save(_type_error(_json_kind(v), struct, fields, node[2]))
                return
            props = node[3]
            for key, child in v.items():
                sub = props.get(key)
                if sub is None:
                    continue
                fields.append(key)
                self.walk(child, sub, node[1], fields)
                fields.pop()
            return
        if kind == "map":
            if not isinstance(v, dict):
                self._save(_type_error(_json_kind(v), struct, fields, node[1]))
                return
            for child in v.values():
                self.walk(child, node[2], struct, fields)
            return
        if kind == "array":
            if not isinstance(v, list):
                self._save(_type_error(_json_kind(v), struct, fields, node[1]))
                return
            for child in v:
                self.walk(child, node[2], struct, fields)
            return
        if kind == "scalar":
            self._scalar(v, node[1], node[2], struct, fields)
            return
        if kind == "intstr":
            if isinstance(v, str):
                return
            if isinstance(v, int) and not isinstance(v, bool):
                lo, hi = _INT_RANGES["int32"]
                if lo <= v <= hi:
                    return
                raise _Hard(_type_error(f"number {v}", struct, fields, "int32"))
            desc = f"number {_number_text(v)}" if isinstance(v, float) else _json_kind(v)
            raise _Hard(_type_error(desc, struct, fields, "int32"))
        if kind == "quantity":
            if isinstance(v, (dict, list, bool)):
                text = "true" if v is True else "false" if v is False else "{}"
            else:
                text = v if isinstance(v, str) else _number_text(v)
            try:
                parse_quantity(text.strip() if isinstance(text, str) else text)
            except ValueError as e:
                raise _Hard(str(e)) from None
            return
        if kind == "time":
            if not isinstance(v, str):
                raise _Hard(_type_error(_json_kind(v), struct, fields, "string"))
            err = _time_error(v, node[1])
            if err is not None:
                raise _Hard(err)

    def _scalar(self, v: Any, kind: str, go_type: str, struct: str, fields: list[str]) -> None:
        if kind in ("string", "bytes"):
            if not isinstance(v, str):
                self._save(_type_error(_json_kind(v), struct, fields, go_type))
            elif kind == "bytes":
                err = _base64_error(v)
                if err is not None:
                    self._save(err)
            return
        if kind == "bool":
            if not isinstance(v, bool):
                self._save(_type_error(_json_kind(v), struct, fields, go_type))
            return
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self._save(_type_error(_json_kind(v), struct, fields, go_type))
            return
        if kind == "float64":
            return
        if isinstance(v, float):
            self._save(_type_error(f"number {_number_text(v)}", struct, fields, go_type))
            return
        lo, hi = _INT_RANGES[kind]
        if not lo <= v <= hi:
            self._save(_type_error(f"number {v}", struct, fields, go_type))


def decode_error(obj: dict, group: str, version: str, kind: str) -> str | None:
    """Upstream's decoding failure message for ``obj`` as ``group/version`` ``kind`` (to be answered as 400
    BadRequest), or None when every field has an acceptable JSON type. Types without a schema decode freely."""
    name = definition_name_for(group, version, kind)
    if name is None or not isinstance(obj, dict):
        return None
    node = _compile_def(name)
    if node[0] != "struct":
        return None
    walker = _Walker()
    props = node[3]
    try:
        for key, value in obj.items():
            if key in ("apiVersion", "kind"):
                continue
            sub = props.get(key)
            if sub is None:
                continue
            walker.walk(value, sub, kind, [key])
    except _Hard as e:
        msg = e.msg
    else:
        msg = walker.soft
    if msg is None:
        return None
    return f'{kind} in version "{version}" cannot be handled as a {kind}: {msg}'
