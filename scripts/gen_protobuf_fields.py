#!/usr/bin/env python3
"""Generate ``kybernetes/api/protobuf_fields.py``: the field table of Kubernetes 1.32's protobuf wire format.

The wire format of every built-in type is fixed by upstream's ``generated.proto`` files (one per API group
version plus ``meta/v1``, ``runtime``, ``resource`` and ``intstr``).  Two facts the ``.proto`` text does not say
decide what a decoded object looks like as JSON, and they live in the Go struct definitions instead:

* the JSON name and ``omitempty`` of each field, and whether it is ``,inline`` (an embedded struct such as
  ``Volume.volumeSource`` whose fields appear directly in the parent's JSON);
* whether the Go field is a pointer (present only when set, so an explicit zero survives) or a value (always on
  the wire, and in JSON unless ``omitempty`` drops its zero).

Both are read from a real kubectl 1.32 binary, which carries them exactly:

* every ``generated.proto`` of the release, compiled: each is registered at start-up as a gzipped
  ``FileDescriptorProto`` (message names, field names, numbers, types, labels, map entries);
* Go's runtime type information for every struct that kubectl (de)serializes: field names, Go kinds
  (pointer, slice, map, struct, scalar) and the struct tags (``json:"replicas,omitempty"
  protobuf:"varint,1,opt,name=replicas"``).

``--proto-dir DIR`` reads message definitions from ``.proto`` text files under DIR instead of the descriptors
(paths as in the descriptors, e.g. ``DIR/k8s.io/api/apps/v1/generated.proto``); both sources must describe the
same messages, which ``--check-proto-dir`` verifies.  The top-level kinds (apiVersion, kind) come from the
``x-kubernetes-group-version-kind`` of the 1.32 definitions shipped by ``kubernetes-validate``.

Usage::

    python scripts/gen_protobuf_fields.py [--kubectl PATH] [--proto-dir DIR] [--check-proto-dir DIR]
        [-o kybernetes/api/protobuf_fields.py]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "kybernetes" / "api" / "protobuf_fields.py"

# FieldDescriptorProto.Type numbers -> our kind names.
_PROTO_TYPES = {1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32",
                8: "bool", 9: "string", 11: "message", 12: "bytes", 13: "uint32", 14: "enum", 15: "sfixed32",
                16: "sfixed64", 17: "sint32", 18: "sint64"}
_SCALARS = set(_PROTO_TYPES.values()) - {"message", "enum"}

# Go reflect kinds (internal/abi).
_GO_BOOL, _GO_MAP, _GO_PTR, _GO_SLICE, _GO_STRING, _GO_STRUCT = 1, 21, 22, 23, 24, 25


# --------------------------------------------------------------------------------------------------------------
# Message definitions: an intermediate form both sources produce.

@dataclass
class ProtoField:
    name: str
    number: int
    kind: str                      # a scalar kind, "message" or "map"
    type_name: str | None          # full message name (no leading dot) for messages and map entries
    repeated: bool


@dataclass
class ProtoMessage:
    name: str                      # full name, e.g. k8s.io.api.apps.v1.Deployment
    fields: list[ProtoField] = field(default_factory=list)
    map_entry: bool = False


# --------------------------------------------------------------------------------------------------------------
# A minimal protobuf reader for descriptors.

def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def _fields(data: bytes):
    """Yield (number, wire type, value) of a serialized message; value is int or bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = _varint(data, pos)
        elif wt == 2:
            n, pos = _varint(data, pos)
            v, pos = data[pos:pos + n], pos + n
        elif wt == 1:
            v, pos = data[pos:pos + 8], pos + 8
        elif wt == 5:
            v, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unexpected wire type {wt}")
        yield num, wt, v


def _parse_descriptor_message(data: bytes, prefix: str, out: dict[str, ProtoMessage]) -> None:
    msg_name = ""
    raw_fields: list[bytes] = []
    nested: list[bytes] = []
    map_entry = False
    for num, _wt, v in _fields(data):
        if num == 1:
            msg_name = v.decode()
        elif num == 2:
            raw_fields.append(v)
        elif num == 3:
            nested.append(v)
        elif num == 7:
            for onum, _owt, ov in _fields(v):
                if onum == 7 and ov:
                    map_entry = True
    full = f"{prefix}.{msg_name}"
    msg = ProtoMessage(full, map_entry=map_entry)
    for raw in raw_fields:
        name = type_name = ""
        number = label = ftype = 0
        for num, _wt, v in _fields(raw):
            if num == 1:
                name = v.decode()
            elif num == 3:
                number = v
            elif num == 4:
                label = v
            elif num == 5:
                ftype = v
            elif num == 6:
                type_name = v.decode().lstrip(".")
        kind = _PROTO_TYPES[ftype]
        msg.fields.append(ProtoField(name, number, kind, type_name or None, label == 3))
    out[full] = msg
    for n in nested:
        _parse_descriptor_message(n, full, out)


def _mark_maps(messages: dict[str, ProtoMessage]) -> None:
    """Turn repeated fields of map-entry type into kind "map" (as protoc's map<K, V> syntax means)."""
    for msg in messages.values():
        for f in msg.fields:
            if f.kind == "message" and f.type_name in messages and messages[f.type_name].map_entry:
                f.kind, f.repeated = "map", False


# --------------------------------------------------------------------------------------------------------------
# The kubectl binary: ELF sections, embedded descriptors, Go runtime type information.

class Binary:
    """A statically linked Go ELF executable (little-endian, 64-bit), read whole into memory."""

    def __init__(self, path: str) -> None:
        self.data = Path(path).read_bytes()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2:
            raise SystemExit(f"{path}: not a 64-bit ELF executable")
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        sections = []
        for i in range(shnum):
            name, _t, _f, addr, off, size = struct.unpack_from("<IIQQQQ", d, shoff + i * shentsize)
            sections.append((name, addr, off, size))
        strtab_off = sections[shstrndx][2]
        self.sections = {}
        for name, addr, off, size in sections:
            end = d.index(b"\0", strtab_off + name)
            self.sections[d[strtab_off + name:end].decode()] = (addr, off, size)
        self.ro_addr, self.ro_off, self.ro_size = self.sections[".rodata"]

    def descriptors(self) -> dict[str, bytes]:
        """Every gzipped FileDescriptorProto in the file, by .proto path."""
        found: dict[str, bytes] = {}
        for m in re.finditer(rb"\x1f\x8b\x08\x00\x00\x00\x00\x00", self.data):
            try:
                raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(self.data[m.start():m.start() + (1 << 21)])
            except zlib.error:
                continue
            if raw[:1] != b"\x0a":
                continue
            try:
                name = next(v for n, _w, v in _fields(raw) if n == 1).decode()
            except (ValueError, IndexError, StopIteration, UnicodeDecodeError):
                continue
            if name.endswith(".proto"):
                found[name] = raw
        return found

    # Go runtime types (internal/abi.Type, 64-bit): size 0, ptrdata 8, hash 16, tflag 20, align 21,
    # fieldAlign 22, kind 23, equal 24, gcdata 32, str (nameOff) 40, ptrToThis 44; StructType adds pkgPath 48 and
    # fields (ptr, len, cap) 56; an UncommonType (tflag & 1) follows at 80 with pkgPath (nameOff) first.
    def _ro(self, addr: int, n: int) -> bytes:
        o = addr - self.ro_addr + self.ro_off
        return self.data[o:o + n]

    def _in_ro(self, addr: int) -> bool:
        return self.ro_addr <= addr < self.ro_addr + self.ro_size

    def _name(self, addr: int) -> tuple[int, str, str]:
        """A runtime name: flags byte, varint length, bytes, then (flags & 2) a varint-prefixed tag."""
        o = addr - self.ro_addr + self.ro_off
        flags = self.data[o]
        n, p = _varint(self.data, o + 1)
        text = self.data[p:p + n].decode("utf-8", "replace")
        p += n
        tag = ""
        if flags & 2:
            tn, p = _varint(self.data, p)
            tag = self.data[p:p + tn].decode("utf-8", "replace")
        return flags, text, tag

    def _type_string(self, t: int) -> str:
        tflag = self._ro(t + 20, 1)[0]
        off, = struct.unpack("<i", self._ro(t + 40, 4))
        text = self._name(self.ro_addr + off)[1]
        return text[1:] if tflag & 2 else text

    def _kind(self, t: int) -> int:
        return self._ro(t + 23, 1)[0] & 0x1F

    def go_structs(self, packages: set[str]) -> dict[tuple[str, str], list[dict]]:
        """Struct types of the given Go packages: (package path, type name) -> fields in declaration order.

        Each field: go name, tag, embedded?, Go kind of the field's type, and for pointers/slices the kind of
        the element, plus the type strings (for diagnostics)."""
        out: dict[tuple[str, str], list[dict]] = {}
        base, size = self.ro_addr, self.ro_size
        data, ro_off = self.data, self.ro_off
        for o in range(ro_off, ro_off + size - 96, 8):
            if data[o + 23] & 0x1F != _GO_STRUCT or not data[o + 20] & 1:
                continue
            fp, fl, fc = struct.unpack_from("<QQQ", data, o + 56)
            if not (fl == fc and (fl == 0 or (fl < 1000 and self._in_ro(fp)))):
                continue
            a = base + o - ro_off
            try:
                pk_off, = struct.unpack_from("<i", data, o + 80)
                pkg = self._name(base + pk_off)[1]
                if pkg not in packages:
                    continue
                tname = self._type_string(a).split(".", 1)[-1]
                fields = []
                for i in range(fl):
                    n_addr, t_addr, _off = struct.unpack("<QQQ", self._ro(fp + 24 * i, 24))
                    flags, gname, tag = self._name(n_addr)
                    kind = self._kind(t_addr)
                    elem_kind = None
                    if kind in (_GO_PTR, _GO_SLICE):
                        elem, = struct.unpack("<Q", self._ro(t_addr + 48, 8))
                        elem_kind = self._kind(elem)
                    fields.append({"go": gname, "tag": tag, "embedded": bool(flags & 8), "kind": kind,
                                   "elem_kind": elem_kind, "type": self._type_string(t_addr)})
            except (struct.error, IndexError, UnicodeDecodeError):
                continue
            out.setdefault((pkg, tname), fields)
        return out

    def go_named_kinds(self, packages: set[str]) -> dict[tuple[str, str], int]:
        """Go kinds of all named types (with methods or a package path) in the given packages."""
        out: dict[tuple[str, str], int] = {}
        data, ro_off, base = self.data, self.ro_off, self.ro_addr
        for o in range(ro_off, ro_off + self.ro_size - 96, 8):
            tflag, kind = data[o + 20], data[o + 23] & 0x1F
            if not tflag & 1 or tflag & ~0x0F or kind not in (_GO_SLICE, _GO_MAP, _GO_STRUCT, _GO_STRING):
                continue
            unc = o + {_GO_SLICE: 56, _GO_MAP: 88, _GO_STRUCT: 80, _GO_STRING: 48}[kind]
            try:
                pk_off, = struct.unpack_from("<i", data, unc)
                if not 0 <= pk_off < self.ro_size:
                    continue
                pkg = self._name(base + pk_off)[1]
                if pkg not in packages:
                    continue
                name = self._type_string(base + o - ro_off)
            except (struct.error, IndexError, UnicodeDecodeError):
                continue
            if "." in name and not name.startswith(("*", "[", "map[", "func", "struct")):
                out.setdefault((pkg, name.split(".", 1)[1]), kind)
        return out


def messages_from_descriptors(descriptors: dict[str, bytes]) -> tuple[dict[str, ProtoMessage], dict[str, str]]:
    """All messages of the k8s.io descriptors, and each message's file."""
    messages: dict[str, ProtoMessage] = {}
    files: dict[str, str] = {}
    for path, raw in sorted(descriptors.items()):
        if not path.startswith("k8s.io/"):
            continue
        package = next(v for n, _w, v in _fields(raw) if n == 2).decode()
        before = set(messages)
        for n, _w, v in _fields(raw):
            if n == 4:
                _parse_descriptor_message(v, package, messages)
        for name in set(messages) - before:
            files[name] = path
    _mark_maps(messages)
    return messages, files


# --------------------------------------------------------------------------------------------------------------
# The .proto text form.

_TOKEN = re.compile(r'\s*(?:(//[^\n]*)|(/\*.*?\*/)|("(?:[^"\\]|\\.)*")|([A-Za-z_][\w.]*)|(-?\d+)|(.))', re.S)


def _tokens(text: str) -> list[str]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(1) or m.group(2):
            continue
        tok = m.group(0).strip()
        if tok:
            out.append(tok)
    return out


def _entry_name(field_name: str) -> str:
    """protoc's name of the entry message of a map field: foo_bar -> FooBarEntry."""
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), field_name)
    return camel[0].upper() + camel[1:] + "Entry"


def messages_from_proto_text(text: str) -> tuple[dict[str, ProtoMessage], list[tuple[ProtoField, str]]]:
    """Parse the messages of one proto2 file (package, message, optional/repeated/map fields, nested messages).

    Options, imports, enums and reserved ranges are skipped.  Message-typed fields keep the type as written in
    ``type_name``; the returned references (field, scope) are resolved once all files are read."""
    toks = _tokens(text)
    package = ""
    messages: dict[str, ProtoMessage] = {}
    refs: list[tuple[ProtoField, str]] = []

    def skip_statement(j: int) -> int:
        depth = 0
        while j < len(toks):
            if toks[j] == "{":
                depth += 1
            elif toks[j] == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
            elif toks[j] == ";" and depth == 0:
                return j + 1
            j += 1
        return j

    def parse_message(j: int, scope: str) -> int:
        full = f"{scope}.{toks[j + 1]}" if scope else toks[j + 1]
        msg = messages.setdefault(full, ProtoMessage(full))
        if toks[j + 2] != "{":
            raise ValueError(f"expected '{{' after message {full}")
        j += 3
        while toks[j] != "}":
            t = toks[j]
            if t == "message":
                j = parse_message(j, full)
                continue
            if t in ("option", "reserved", "extensions", "enum", "oneof", "extend"):
                j = skip_statement(j)
                continue
            if t == "map":            # map < K , V > name = N ;
                k, v, fname, num = toks[j + 2], toks[j + 4], toks[j + 6], int(toks[j + 8])
                entry = f"{full}.{_entry_name(fname)}"
                em = messages[entry] = ProtoMessage(entry, map_entry=True)
                for ename, etype, enumber in (("key", k, 1), ("value", v, 2)):
                    ef = ProtoField(ename, enumber, etype if etype in _SCALARS else "message",
                                    None if etype in _SCALARS else etype, False)
                    em.fields.append(ef)
                    if ef.kind == "message":
                        refs.append((ef, full))
                msg.fields.append(ProtoField(fname, num, "map", entry, False))
            elif t in ("optional", "repeated", "required"):
                ftype, fname, num = toks[j + 1], toks[j + 2], int(toks[j + 4])
                scalar = ftype in _SCALARS
                f = ProtoField(fname, num, ftype if scalar else "message", None if scalar else ftype,
                               t == "repeated")
                if not scalar:
                    refs.append((f, full))
                msg.fields.append(f)
            elif t != ";":
                raise ValueError(f"unexpected token {t!r} in message {full}")
            j = skip_statement(j)
        return j + 1

    i = 0
    while i < len(toks):
        if toks[i] == "package":
            package = toks[i + 1]
            i += 3
        elif toks[i] == "message":
            i = parse_message(i, package)
        else:
            i = skip_statement(i)
    return messages, refs


def proto_dir_messages(root: Path, paths: list[str], known: set[str] = frozenset()) -> dict[str, ProtoMessage]:
    """Parse DIR/<path> for each descriptor path that exists there; resolve references across those files and
    the ``known`` message names (those of files not given as text)."""
    messages: dict[str, ProtoMessage] = {}
    refs: list[tuple[ProtoField, str]] = []
    for rel in paths:
        p = root / rel
        if p.exists():
            parsed, prefs = messages_from_proto_text(p.read_text())
            messages.update(parsed)
            refs.extend(prefs)
    names = set(messages) | set(known)
    for f, scope in refs:
        f.type_name = _lookup(f.type_name or "", scope, names)
    return messages


def _lookup(written: str, scope: str, messages: set[str] | dict[str, ProtoMessage]) -> str:
    """Resolve a type reference as protoc does: relative to each enclosing scope, innermost first."""
    if written.startswith("."):
        return written[1:]
    parts = scope.split(".")
    while parts:
        candidate = ".".join(parts + [written])
        if candidate in messages:
            return candidate
        parts.pop()
    if written in messages:
        return written
    raise ValueError(f"cannot resolve type {written!r} from {scope}")


# --------------------------------------------------------------------------------------------------------------
# Joining messages with Go structs.

_PROTO_TAG = re.compile(r'protobuf:"(\w+),(\d+)')
_JSON_TAG = re.compile(r'json:"([^"]*)"')

# Messages whose JSON form is custom (a Marshaler in Go); the codec knows each by name.
SPECIAL = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "time",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "microtime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "duration",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "fieldsv1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intorstring",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "rawextension",
}


def go_package(proto_message: str) -> tuple[str, str]:
    """k8s.io.api.apps.v1.DeploymentSpec -> ("k8s.io/api/apps/v1", "DeploymentSpec")."""
    pkg, name = proto_message.rsplit(".", 1)
    return "k8s.io/" + pkg[len("k8s.io."):].replace(".", "/"), name


def build_table(messages: dict[str, ProtoMessage], structs: dict[tuple[str, str], list[dict]],
                named: dict[tuple[str, str], int], roots: list[str]) -> tuple[dict, dict, list[str]]:
    """The emitted table for all messages reachable from roots: (fields, wrappers, notes)."""
    table: dict[str, dict[int, tuple]] = {}
    wrappers: dict[str, str] = {}
    notes: list[str] = []
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        msg = messages[name]
        for f in msg.fields:
            if f.type_name:
                todo.append(f.type_name)
        if name in SPECIAL:
            continue
        if msg.map_entry:
            table[name] = {f.number: (f.name, f.kind, f.type_name, f.repeated, "") for f in msg.fields}
            continue
        key = go_package(name)
        gofields = structs.get(key)
        if gofields is None:
            kind = named.get(key)
            if kind == _GO_SLICE and [f.name for f in msg.fields] == ["items"]:
                wrappers[name] = "items"      # a named []T (ExtraValue, Verbs): JSON is the plain array
                table[name] = {f.number: (f.name, f.kind, f.type_name, f.repeated, "") for f in msg.fields}
                continue
            raise SystemExit(f"no Go struct for {name} (named kind {kind})")
        by_number: dict[int, dict] = {}
        for g in gofields:
            m = _PROTO_TAG.search(g["tag"])
            if m:
                by_number[int(m.group(2))] = g
        entry: dict[int, tuple] = {}
        for f in msg.fields:
            g = by_number.get(f.number)
            if g is None:
                raise SystemExit(f"{name}.{f.name} = {f.number}: no Go field with that protobuf number")
            jm = _JSON_TAG.search(g["tag"])
            jparts = (jm.group(1) if jm else g["go"]).split(",")
            json_name, opts = jparts[0], set(jparts[1:])
            flags = ""
            if "inline" in opts or (g["embedded"] and not json_name):
                flags += "i"
                json_name = ""
            if g["kind"] == _GO_PTR:
                flags += "p"
            if "omitempty" in opts:
                flags += "o"
            if json_name and json_name != f.name:
                notes.append(f"{name}.{f.name}: JSON name {json_name!r}")
            if json_name == "-":
                notes.append(f"{name}.{f.name}: not in JSON")
            entry[f.number] = (json_name, f.kind, f.type_name, f.repeated, flags)
        table[name] = entry
    return table, wrappers, notes


def top_level_kinds(messages: dict[str, ProtoMessage]) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> message, from x-kubernetes-group-version-kind of the 1.32 definitions."""
    import kubernetes_validate
    path = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.32.0-local" / "_definitions.json"
    defs = json.loads(path.read_text())["$defs"]
    kinds: dict[tuple[str, str], str] = {}
    for def_name, schema in defs.items():
        if not def_name.startswith("io.k8s."):
            continue
        msg = "k8s.io." + def_name[len("io.k8s."):]
        if msg not in messages:
            continue
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            if gvk["kind"] != msg.rsplit(".", 1)[1]:
                continue
            kinds.setdefault((api_version, gvk["kind"]), msg)
    return kinds


def render(table: dict, wrappers: dict, kinds: dict, source: str) -> str:
    out = [
        '"""The field table of Kubernetes 1.32\'s protobuf wire format (data; generated, do not edit).',
        "",
        f"Generated by scripts/gen_protobuf_fields.py from {source}.",
        "",
        "MESSAGES: message full name -> {field number: (json name, kind, message type, repeated, flags)}.",
        "  kind: a scalar kind (string, bytes, bool, int32, int64, uint32, uint64, sint32, sint64, fixed32, fixed64,",
        "  sfixed32, sfixed64, double, float), \"message\" or \"map\" (then the message type is the map entry: key = 1,",
        "  value = 2).  json name \"\" means the field is inlined into its parent's JSON.",
        "  flags: \"p\" Go pointer (present only when set; an explicit zero is kept), \"o\" omitempty (a zero value",
        "  is left out of JSON), \"i\" inline (an embedded struct whose fields appear in the parent).  A value field",
        "  without \"o\" is always in JSON (its zero when absent); a nil slice or map without \"o\" is null.",
        "SPECIAL: messages with a custom JSON form (time, microtime, duration, fieldsv1, quantity, intorstring,",
        "  rawextension) and named slices (items) whose JSON is the bare array.",
        "KINDS: (apiVersion, kind) -> message of the top-level object.",
        '"""',
        "",
        "# fmt: off",
        "SPECIAL: dict[str, str] = {",
    ]
    special = dict(SPECIAL)
    special.update(wrappers)
    for k in sorted(special):
        out.append(f"    {k!r}: {special[k]!r},")
    out.append("}")
    out.append("")
    out.append("KINDS: dict[tuple[str, str], str] = {")
    for k in sorted(kinds):
        out.append(f"    {k!r}: {kinds[k]!r},")
    out.append("}")
    out.append("")
    out.append("MESSAGES: dict[str, dict[int, tuple[str, str, str | None, bool, str]]] = {")
    for name in sorted(table):
        out.append(f"    {name!r}: {{")
        for num in sorted(table[name]):
            out.append(f"        {num}: {table[name][num]!r},")
        out.append("    },")
    out.append("}")
    out.append("")
    return "\n".join(out)


def compare(a: dict[str, ProtoMessage], b: dict[str, ProtoMessage], names: set[str]) -> list[str]:
    """Differences between two sources for the given messages."""
    diffs = []
    for name in sorted(names):
        if name not in a or name not in b:
            diffs.append(f"{name}: only in {'first' if name in a else 'second'} source")
            continue
        fa = {f.number: (f.name, f.kind, f.type_name, f.repeated) for f in a[name].fields}
        fb = {f.number: (f.name, f.kind, f.type_name, f.repeated) for f in b[name].fields}
        if fa != fb:
            diffs.append(f"{name}: {fa} != {fb}")
    return diffs


def find_kubectl() -> str:
    for cand in ("kubectl.1.32",):
        p = shutil.which(cand)
        if p:
            return os.path.realpath(p)
    k = shutil.which("kubectl")
    if k:
        p = Path(os.path.realpath(k)).parent / "kubectl.1.32"
        if p.exists():
            return str(p)
    raise SystemExit("kubectl 1.32 not found; pass --kubectl PATH")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kubectl", help="a kubectl 1.32 binary (default: kubectl.1.32 on PATH or beside kubectl)")
    ap.add_argument("--proto-dir", help="read messages from .proto text under this directory instead")
    ap.add_argument("--check-proto-dir", help="verify that .proto text under this directory matches the binary")
    ap.add_argument("-o", "--output", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)

    kubectl = args.kubectl or find_kubectl()
    binary = Binary(kubectl)
    descriptors = binary.descriptors()
    messages, files = messages_from_descriptors(descriptors)
    source = "the descriptors and Go type information embedded in kubectl 1.32"
    paths = sorted(p for p in descriptors if p.startswith("k8s.io/"))
    if args.proto_dir:
        text_messages = proto_dir_messages(Path(args.proto_dir), paths, set(messages))
        missing = set(messages) - set(text_messages)
        if missing:
            print(f"note: {len(missing)} messages not in --proto-dir; taken from the binary", file=sys.stderr)
        messages.update(text_messages)
        source = "generated.proto text and the Go type information embedded in kubectl 1.32"
    if args.check_proto_dir:
        text_messages = proto_dir_messages(Path(args.check_proto_dir), paths, set(messages))
        diffs = compare(messages, text_messages, {n for n in text_messages})
        for d in diffs:
            print("DIFF", d, file=sys.stderr)
        print(f"checked {len(text_messages)} messages from .proto text: {len(diffs)} differences", file=sys.stderr)
        if diffs:
            return 1

    packages = {go_package(n)[0] for n in messages}
    structs = binary.go_structs(packages)
    named = binary.go_named_kinds(packages)
    kinds = top_level_kinds(messages)
    roots = sorted(set(kinds.values()))
    table, wrappers, notes = build_table(messages, structs, named, roots)
    for n in notes:
        print("note:", n, file=sys.stderr)
    Path(args.output).write_text(render(table, wrappers, kinds, source))
    print(f"wrote {args.output}: {len(kinds)} kinds, {len(table)} messages, "
          f"{sum(len(v) for v in table.values())} fields", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
