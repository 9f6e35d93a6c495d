"""The Kubernetes protobuf wire format (``application/vnd.kubernetes.protobuf``) for built-in types.

A protobuf body is the four magic bytes ``k8s\\x00`` followed by a ``runtime.Unknown`` message: ``typeMeta``
(field 1: ``apiVersion`` = 1, ``kind`` = 2), ``raw`` (2: the object's own message), ``contentEncoding`` (3) and
``contentType`` (4).  The object's message is the Go struct of its kind serialized field by field, with the
numbers of upstream's ``generated.proto``; the table of those numbers, with what each field looks like in JSON,
is :mod:`kybernetes.api.protobuf_fields` (generated from kubectl 1.32, see ``scripts/gen_protobuf_fields.py``).

The rest of the server speaks JSON dicts, so :func:`decode` produces exactly what Go would print for the same
object as JSON (what ``kubectl create ... --dry-run=client -o json`` shows) and :func:`encode` writes what Go's
marshaller would write for a JSON dict.  Go's rules, as the table's flags carry them:

* a value (non-pointer) scalar is always on the wire; in JSON it is left out only when it is zero and its tag
  says ``omitempty``; when absent from the wire it takes its zero value;
* a pointer scalar or struct is on the wire only when set, so an explicit zero (``replicas: 0``) survives;
* a value struct is always in JSON, even empty (``"status": {}``, ``"strategy": {}``), and an inline one
  (``Volume``'s volume source, ``Probe``'s handler, ``IngressRule``'s value) spreads its fields into the parent;
* a nil slice or map is left out with ``omitempty`` and is ``null`` without it;
* special messages have their own JSON: ``Time`` (RFC 3339, seconds; zero is ``null``), ``MicroTime`` (six
  fractional digits), ``Duration`` (Go's ``1m0s``), ``Quantity`` (canonical string), ``IntOrString`` (number or
  string), ``RawExtension`` (the embedded JSON), ``FieldsV1`` (its JSON), named slices such as ``ExtraValue``
  (the bare array), and ``bytes`` (base64).

Decoding never drops data: an unknown field number, a wrong wire type, a truncated varint or length, or an unknown
kind raises :class:`ProtobufError`.  Both functions are pure and safe to call concurrently.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import re
import struct
from typing import Any

import orjson

from kybernetes.api.protobuf_fields import KINDS, MESSAGES, SPECIAL
from kybernetes.machinery.quantity import canonicalize as _canonicalize

__all__ = ["CONTENT_TYPE", "MAGIC", "ProtobufError", "decode", "decode_message", "encode", "encode_message",
           "format_duration", "message_for", "parse_duration", "supports"]

CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

_META = "k8s.io.apimachinery.pkg.apis.meta.v1."


@functools.lru_cache(maxsize=4096)
def canonicalize(text: str | int | float) -> str:
    """The canonical form of a quantity (cached: the same few values recur in every object)."""
    return _canonicalize(text)


class ProtobufError(ValueError):
    """A body that is not a valid Kubernetes protobuf message of a known kind, or an object that cannot be
    written as one."""


# --------------------------------------------------------------------------------------------------------------
# Wire primitives.

_VARINT_KINDS = frozenset({"int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool", "enum"})
_FIXED64_KINDS = frozenset({"fixed64", "sfixed64", "double"})
_FIXED32_KINDS = frozenset({"fixed32", "sfixed32", "float"})
_WIRE_TYPE = {k: 0 for k in _VARINT_KINDS}
_WIRE_TYPE.update({k: 1 for k in _FIXED64_KINDS})
_WIRE_TYPE.update({k: 5 for k in _FIXED32_KINDS})
_WIRE_TYPE.update({"string": 2, "bytes": 2, "message": 2, "map": 2})
_ZERO: dict[str, Any] = {k: 0 for k in _VARINT_KINDS | _FIXED32_KINDS | _FIXED64_KINDS}
_ZERO.update({"bool": False, "string": "", "double": 0.0, "float": 0.0})
_WIRE_NAMES = {0: "varint", 1: "fixed64", 2: "length-delimited", 3: "start-group", 4: "end-group", 5: "fixed32"}


def _read_varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    result = shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise ProtobufError(f"{where}: truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            if result >= 1 << 64:
                raise ProtobufError(f"{where}: varint overflows 64 bits")
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"{where}: varint too long")


def _iter_fields(data: bytes, where: str):
    """Yield (field number, wire type, value): an int for varints, bytes for the other wire types."""
    pos, end = 0, len(data)
    while pos < end:
        key = data[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = _read_varint(data, pos, where)
        number, wt = key >> 3, key & 7
        if number == 0:
            raise ProtobufError(f"{where}: invalid field number 0")
        if wt == 0:
            if pos < end and data[pos] < 0x80:
                value = data[pos]
                pos += 1
            else:
                value, pos = _read_varint(data, pos, where)
        elif wt == 2:
            if pos < end and data[pos] < 0x80:
                n = data[pos]
                pos += 1
            else:
                n, pos = _read_varint(data, pos, where)
            if pos + n > end:
                raise ProtobufError(f"{where}: field {number}: length {n} runs past the end of the data")
            value, pos = data[pos:pos + n], pos + n
        elif wt == 1 or wt == 5:
            size = 8 if wt == 1 else 4
            if pos + size > end:
                raise ProtobufError(f"{where}: field {number}: truncated fixed{size * 8} value")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ProtobufError(f"{where}: field {number}: unsupported wire type {wt} ({_WIRE_NAMES.get(wt, '?')})")
        yield number, wt, value


def _write_varint(out: bytearray, value: int) -> None:
    if value < 0:
        value += 1 << 64
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _write_key(out: bytearray, number: int, wire_type: int) -> None:
    _write_varint(out, (number << 3) | wire_type)


def _write_bytes(out: bytearray, number: int, payload: bytes | bytearray) -> None:
    _write_key(out, number, 2)
    _write_varint(out, len(payload))
    out += payload


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _scalar_from_varint(kind: str, v: int) -> Any:
    if kind == "int32" or kind == "enum":
        return _signed(v, 32)
    if kind == "int64":
        return _signed(v, 64)
    if kind == "bool":
        return v != 0
    if kind == "uint32":
        return v & 0xFFFFFFFF
    if kind == "uint64":
        return v
    if kind == "sint32" or kind == "sint64":
        return (v >> 1) ^ -(v & 1)
    raise AssertionError(kind)


def _scalar_from_fixed(kind: str, raw: bytes) -> Any:
    fmt = {"fixed64": "<Q", "sfixed64": "<q", "double": "<d", "fixed32": "<I", "sfixed32": "<i", "float": "<f"}
    return struct.unpack(fmt[kind], raw)[0]


def _unpack_packed(kind: str, raw: bytes, where: str) -> list:
    out = []
    if kind in _VARINT_KINDS:
        pos = 0
        while pos < len(raw):
            v, pos = _read_varint(raw, pos, where)
            out.append(_scalar_from_varint(kind, v))
        return out
    size = 8 if kind in _FIXED64_KINDS else 4
    if len(raw) % size:
        raise ProtobufError(f"{where}: packed {kind} data is not a multiple of {size} bytes")
    return [_scalar_from_fixed(kind, raw[i:i + size]) for i in range(0, len(raw), size)]


# --------------------------------------------------------------------------------------------------------------
# Special messages.

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_GO_ZERO_SECONDS = -62135596800          # 0001-01-01T00:00:00Z, Go's zero time.Time


def _timestamp_parts(data: bytes, where: str) -> tuple[int, int]:
    seconds = nanos = 0
    for number, wt, value in _iter_fields(data, where):
        if wt != 0 or number not in (1, 2):
            raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in a timestamp")
        if number == 1:
            seconds = _signed(value, 64)
        else:
            nanos = _signed(value, 32)
    return seconds, nanos


def _format_time(seconds: int, nanos: int, micro: bool, where: str) -> str | None:
    if seconds == _GO_ZERO_SECONDS and (nanos == 0 or not micro):
        return None
    try:
        t = _EPOCH + _dt.timedelta(seconds=seconds)
    except OverflowError as exc:
        raise ProtobufError(f"{where}: timestamp {seconds} out of range") from exc
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if len(text) != 19:                  # years before 1000 print short on some platforms
        text = f"{t.year:04d}" + text[text.index("-"):]
    if micro:
        return f"{text}.{nanos // 1000:06d}Z"
    return text + "Z"


_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$")


def _parse_time(text: Any, where: str) -> tuple[int, int]:
    if not isinstance(text, str):
        raise ProtobufError(f"{where}: a time must be an RFC 3339 string, not {type(text).__name__}")
    m = _RFC3339.match(text)
    if not m:
        raise ProtobufError(f"{where}: {text!r} is not an RFC 3339 time")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        t = _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)
    except ValueError as exc:
        raise ProtobufError(f"{where}: {text!r} is not a valid time") from exc
    seconds = (t - _EPOCH) // _dt.timedelta(seconds=1)
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60
        seconds -= offset if m.group(9) == "+" else -offset
    nanos = int((m.group(7) or "0").ljust(9, "0"))
    return seconds, nanos


_UNITS = (("h", 3600 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6), ("us", 10**3), ("µs", 10**3),
          ("μs", 10**3), ("ns", 1))


def format_duration(nanos: int) -> str:
    """Go's time.Duration.String(): ``0s``, ``1.5s``, ``1m0s``, ``2h3m4.5s``, ``500ms``, ``1µs``, ``3ns``."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    u = abs(nanos)
    if u < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if u >= size:
                return sign + _fraction(u, size) + unit
    hours, rest = divmod(u, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = _fraction(rest, 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def _fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(frac).rjust(digits, '0').rstrip('0')}"


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|μs|ns|m|s)")


def parse_duration(text: Any, where: str = "duration") -> int:
    """Go's time.ParseDuration, in nanoseconds."""
    if not isinstance(text, str) or not text:
        raise ProtobufError(f"{where}: invalid duration {text!r}")
    s = text
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    total = 0
    pos = 0
    sizes = dict(_UNITS)
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m:
            raise ProtobufError(f"{where}: invalid duration {text!r}")
        number, unit = m.group(1), m.group(2)
        whole, _, frac = number.partition(".")
        size = sizes[unit]
        total += int(whole or "0") * size
        if frac:
            total += int(frac) * size // 10 ** len(frac)
        pos = m.end()
    if not s:
        raise ProtobufError(f"{where}: invalid duration {text!r}")
    return sign * total


def _decode_special(special: str, data: bytes, where: str) -> Any:
    if special == "time" or special == "microtime":
        if not data:
            return None
        seconds, nanos = _timestamp_parts(data, where)
        return _format_time(seconds, nanos, special == "microtime", where)
    if special == "quantity":
        text = None
        for number, wt, value in _iter_fields(data, where):
            if number != 1 or wt != 2:
                raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in a quantity")
            text = value.decode("utf-8", "strict")
        if text is None:
            return "0"
        try:
            return canonicalize(text)
        except ValueError as exc:
            raise ProtobufError(f"{where}: {exc}") from exc
    if special == "intorstring":
        kind, int_val, str_val = 0, 0, ""
        for number, wt, value in _iter_fields(data, where):
            if number == 1 and wt == 0:
                kind = _signed(value, 64)
            elif number == 2 and wt == 0:
                int_val = _signed(value, 32)
            elif number == 3 and wt == 2:
                str_val = value.decode("utf-8", "strict")
            else:
                raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in an IntOrString")
        if kind == 0:
            return int_val
        if kind == 1:
            return str_val
        raise ProtobufError(f"{where}: impossible IntOrString type {kind}")
    if special == "duration":
        nanos = 0
        for number, wt, value in _iter_fields(data, where):
            if number != 1 or wt != 0:
                raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in a duration")
            nanos = _signed(value, 64)
        return format_duration(nanos)
    if special == "rawextension" or special == "fieldsv1":
        raw = None
        for number, wt, value in _iter_fields(data, where):
            if number != 1 or wt != 2:
                raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in a {special}")
            raw = value
        if not raw:
            return None
        if raw[:4] == MAGIC:
            return decode(raw)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ProtobufError(f"{where}: embedded object is not JSON: {exc}") from exc
    if special == "items":
        items: list = []
        for number, wt, value in _iter_fields(data, where):
            if number != 1 or wt != 2:
                raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in a string list")
            items.append(value.decode("utf-8", "strict"))
        return items or None
    raise AssertionError(special)


def _encode_special(special: str, value: Any, where: str) -> bytes:
    out = bytearray()
    if special == "time" or special == "microtime":
        if value is None:
            return b""
        seconds, nanos = _parse_time(value, where)
        _write_key(out, 1, 0)
        _write_varint(out, seconds)
        _write_key(out, 2, 0)
        _write_varint(out, nanos)
    elif special == "quantity":
        if value is None:
            value = "0"
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ProtobufError(f"{where}: a quantity must be a string or a number")
        try:
            text = canonicalize(value)
        except ValueError as exc:
            raise ProtobufError(f"{where}: {exc}") from exc
        _write_bytes(out, 1, text.encode())
    elif special == "intorstring":
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ProtobufError(f"{where}: an IntOrString must be an integer or a string")
        is_str = isinstance(value, str)
        _write_key(out, 1, 0)
        _write_varint(out, 1 if is_str else 0)
        _write_key(out, 2, 0)
        _write_varint(out, 0 if is_str else _check_int(value, 32, where))
        _write_bytes(out, 3, value.encode() if is_str else b"")
    elif special == "duration":
        _write_key(out, 1, 0)
        _write_varint(out, parse_duration(value, where) if value is not None else 0)
    elif special == "rawextension" or special == "fieldsv1":
        if value is not None:
            _write_bytes(out, 1, orjson.dumps(value))
    elif special == "items":
        if value is not None:
            if not isinstance(value, list):
                raise ProtobufError(f"{where}: expected a list of strings")
            for item in value:
                _write_bytes(out, 1, _check_str(item, where))
    else:
        raise AssertionError(special)
    return bytes(out)


# --------------------------------------------------------------------------------------------------------------
# Messages.

def _zero_json(kind: str, mtype: str | None, where: str) -> Any:
    if kind == "message":
        special = SPECIAL.get(mtype)
        if special:
            return _decode_special(special, b"", where)
        return decode_message(b"", mtype, where)
    return _ZERO.get(kind)


def _scalar_wire(kind: str, wt: int, value: Any, where: str) -> Any:
    if kind in _VARINT_KINDS:
        return _scalar_from_varint(kind, value)
    if kind in _FIXED32_KINDS or kind in _FIXED64_KINDS:
        return _scalar_from_fixed(kind, value)
    if kind == "string":
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtobufError(f"{where}: string is not valid UTF-8") from exc
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    raise AssertionError(kind)


def _message_value(mtype: str, data: bytes, where: str) -> Any:
    special = SPECIAL.get(mtype)
    if special:
        return _decode_special(special, data, where)
    return decode_message(data, mtype, where)


def decode_message(data: bytes, message: str, where: str = "") -> dict:
    """Decode one serialized message of the given full name into its JSON form (a new dict).

    Raises ProtobufError for unknown field numbers, wrong wire types and malformed data."""
    spec = MESSAGES.get(message)
    if spec is None:
        raise ProtobufError(f"{where or message}: no protobuf definition for {message}")
    where = where or message.rsplit(".", 1)[1]
    values: dict[int, Any] = {}
    for number, wt, raw in _iter_fields(data, where):
        field = spec.get(number)
        if field is None:
            raise ProtobufError(f"{where}: unknown field number {number} (wire type {wt}) "
                                f"in {message.rsplit('.', 1)[1]}")
        json_name, kind, mtype, repeated, _flags = field
        expected = _WIRE_TYPE[kind]
        if wt != expected:
            fwhere = f"{where}.{json_name}" if json_name else where
            if repeated and wt == 2 and expected != 2:
                values.setdefault(number, []).extend(_unpack_packed(kind, raw, fwhere))
                continue
            raise ProtobufError(f"{fwhere}: field {number} has wire type {_WIRE_NAMES.get(wt, wt)}, expected "
                                f"{_WIRE_NAMES[expected]} for {kind}")
        if kind == "map":
            key, value = _decode_entry(raw, mtype, f"{where}.{json_name}")
            values.setdefault(number, {})[key] = value
        elif kind == "message":
            value = _message_value(mtype, raw, f"{where}.{json_name}" if json_name else where)
            if repeated:
                values.setdefault(number, []).append(value)
            else:
                values[number] = value
        else:
            if kind == "string":
                try:
                    value = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtobufError(f"{where}.{json_name}: string is not valid UTF-8") from None
            else:
                value = _scalar_wire(kind, wt, raw, f"{where}.{json_name}")
            if repeated:
                values.setdefault(number, []).append(value)
            else:
                values[number] = value
    out: dict[str, Any] = {}
    for number, (json_name, kind, mtype, repeated, flags) in spec.items():
        present = number in values
        if repeated or kind == "map":
            if present:
                out[json_name] = values[number]
            elif "o" not in flags:
                out[json_name] = None
            continue
        if "p" in flags:
            if present:
                out[json_name] = values[number]
            elif "o" not in flags:
                out[json_name] = None
            continue
        if kind == "bytes":             # a []byte: nil when absent, empty-but-present when sent empty
            if present and (values[number] or "o" not in flags):
                out[json_name] = values[number]
            elif not present and "o" not in flags:
                out[json_name] = None
            continue
        value = values[number] if present else _zero_json(kind, mtype, f"{where}.{json_name}")
        if kind == "message":
            if "i" in flags:
                out.update(value)
            else:
                out[json_name] = value
        elif "o" in flags and not value:
            continue
        else:
            out[json_name] = value
    return out


def _decode_entry(data: bytes, entry: str, where: str) -> tuple[str, Any]:
    spec = MESSAGES[entry]
    _kname, kkind, _kt, _kr, _kf = spec[1]
    _vname, vkind, vtype, _vr, _vf = spec[2]
    key: Any = None
    value: Any = None
    for number, wt, raw in _iter_fields(data, where):
        if number == 1 and wt == _WIRE_TYPE[kkind]:
            key = _scalar_wire(kkind, wt, raw, where)
        elif number == 2 and wt == _WIRE_TYPE[vkind]:
            value = _message_value(vtype, raw, where) if vkind == "message" else _scalar_wire(vkind, wt, raw, where)
        else:
            raise ProtobufError(f"{where}: unexpected field {number} (wire type {wt}) in a map entry")
    if key is None:
        key = _ZERO.get(kkind, "")
    if value is None:
        if vkind == "message":
            value = _zero_json("message", vtype, where) if SPECIAL.get(vtype) != "items" else None
        elif vkind == "bytes":
            value = None                 # a nil []byte; an empty one is sent as an empty value field
        else:
            value = _ZERO.get(vkind)
    return key, value


def _check_int(value: Any, bits: int, where: str, unsigned: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ProtobufError(f"{where}: expected an integer, got {type(value).__name__}")
    lo, hi = (0, (1 << bits) - 1) if unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if not lo <= value <= hi:
        raise ProtobufError(f"{where}: {value} does not fit in {'u' if unsigned else ''}int{bits}")
    return value


def _check_str(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise ProtobufError(f"{where}: expected a string, got {type(value).__name__}")
    return value.encode("utf-8")


def _write_scalar(out: bytearray, number: int, kind: str, value: Any, where: str) -> None:
    if kind == "string":
        _write_bytes(out, number, _check_str(value, where))
    elif kind == "bytes":
        if not isinstance(value, str):
            raise ProtobufError(f"{where}: bytes must be a base64 string")
        try:
            _write_bytes(out, number, base64.b64decode(value, validate=True))
        except binascii.Error as exc:
            raise ProtobufError(f"{where}: invalid base64: {exc}") from exc
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ProtobufError(f"{where}: expected a boolean, got {type(value).__name__}")
        _write_key(out, number, 0)
        out.append(1 if value else 0)
    elif kind in ("int32", "enum"):
        _write_key(out, number, 0)
        _write_varint(out, _check_int(value, 32, where))
    elif kind == "int64":
        _write_key(out, number, 0)
        _write_varint(out, _check_int(value, 64, where))
    elif kind in ("uint32", "uint64"):
        _write_key(out, number, 0)
        _write_varint(out, _check_int(value, 32 if kind == "uint32" else 64, where, unsigned=True))
    elif kind in ("sint32", "sint64"):
        v = _check_int(value, 32 if kind == "sint32" else 64, where)
        _write_key(out, number, 0)
        _write_varint(out, (v << 1) ^ (v >> 63))
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtobufError(f"{where}: expected a number")
        _write_key(out, number, 1 if kind == "double" else 5)
        out += struct.pack("<d" if kind == "double" else "<f", float(value))
    else:
        size = 8 if kind in _FIXED64_KINDS else 4
        signed = kind.startswith("s")
        v = _check_int(value, size * 8, where, unsigned=not signed)
        _write_key(out, number, 1 if size == 8 else 5)
        out += struct.pack({(8, False): "<Q", (8, True): "<q", (4, False): "<I", (4, True): "<i"}[size, signed], v)


def _message_bytes(mtype: str, value: Any, where: str) -> bytes:
    special = SPECIAL.get(mtype)
    if special:
        return _encode_special(special, value, where)
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ProtobufError(f"{where}: expected an object, got {type(value).__name__}")
    return encode_message(value, mtype, where)


_KEYS_CACHE: dict[str, frozenset[str]] = {}


def _json_keys(message: str) -> frozenset[str]:
    """The JSON keys a message reads, its inline members' included."""
    keys = _KEYS_CACHE.get(message)
    if keys is None:
        names: set[str] = set()
        for json_name, _kind, mtype, _rep, flags in MESSAGES[message].values():
            if "i" in flags:
                names |= _json_keys(mtype)
            else:
                names.add(json_name)
        keys = _KEYS_CACHE[message] = frozenset(names)
    return keys


_TYPE_META_KEYS = frozenset({"apiVersion", "kind"})
_SORTED_CACHE: dict[str, list] = {}


def _sorted_fields(message: str) -> list:
    """A message's fields in number order, the order Go's marshaller writes them."""
    fields = _SORTED_CACHE.get(message)
    if fields is None:
        spec = MESSAGES[message]
        fields = _SORTED_CACHE[message] = [(n, spec[n]) for n in sorted(spec)]
    return fields


def encode_message(obj: dict, message: str, where: str = "", *, strict: bool = True) -> bytes:
    """Serialize a JSON object as the given message, the way Go's generated marshaller writes the same struct:
    fields in number order, value fields always (their zero when absent), pointer fields when set, map entries
    sorted by key.  Raises ProtobufError for values of the wrong type and (strict) for keys the message lacks;
    ``apiVersion``/``kind`` keys that are not fields are type metadata and are skipped."""
    spec = MESSAGES.get(message)
    if spec is None:
        raise ProtobufError(f"{where or message}: no protobuf definition for {message}")
    where = where or message.rsplit(".", 1)[1]
    if strict:
        extra = obj.keys() - _json_keys(message) - _TYPE_META_KEYS
        if extra:
            raise ProtobufError(f"{where}: field {sorted(extra)[0]!r} has no protobuf field in "
                                f"{message.rsplit('.', 1)[1]}")
    out = bytearray()
    for number, (json_name, kind, mtype, repeated, flags) in _sorted_fields(message):
        if "i" in flags:
            _write_bytes(out, number, encode_message(obj, mtype, where, strict=False))
            continue
        value = obj.get(json_name)
        if value is None and kind not in ("message", "map") and not repeated and ("p" in flags or kind == "bytes"):
            continue
        fwhere = f"{where}.{json_name}"
        if kind == "map":
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ProtobufError(f"{fwhere}: expected an object")
            entry = MESSAGES[mtype]
            vkind, vtype = entry[2][1], entry[2][2]
            for key in sorted(value):
                e = bytearray()
                _write_scalar(e, 1, entry[1][1], key, fwhere)
                item = value[key]
                if vkind == "message":
                    _write_bytes(e, 2, _message_bytes(vtype, item, f"{fwhere}[{key}]"))
                elif item is not None:
                    _write_scalar(e, 2, vkind, item, f"{fwhere}[{key}]")
                _write_bytes(out, number, e)
            continue
        if repeated:
            if value is None:
                continue
            if not isinstance(value, list):
                raise ProtobufError(f"{fwhere}: expected a list, got {type(value).__name__}")
            for i, item in enumerate(value):
                if kind == "message":
                    _write_bytes(out, number, _message_bytes(mtype, item, f"{fwhere}[{i}]"))
                else:
                    _write_scalar(out, number, kind, item, f"{fwhere}[{i}]")
            continue
        if kind == "message":
            if value is None and "p" in flags:
                continue
            _write_bytes(out, number, _message_bytes(mtype, value, fwhere))
            continue
        if value is None:
            if "p" in flags or kind == "bytes":
                continue
            value = _ZERO[kind]
        _write_scalar(out, number, kind, value, fwhere)
    return bytes(out)


# --------------------------------------------------------------------------------------------------------------
# The envelope.

def supports(api_version: str, kind: str) -> bool:
    """Whether objects of this apiVersion and kind have a protobuf form here."""
    return (api_version, kind) in KINDS


def message_for(api_version: str, kind: str) -> str:
    """The full protobuf message name of a top-level kind; ProtobufError when there is none."""
    try:
        return KINDS[api_version, kind]
    except KeyError:
        raise ProtobufError(f"no protobuf message for kind {kind!r} in version {api_version!r}") from None


def decode(data: bytes) -> dict:
    """Decode a ``k8s\\x00``-prefixed protobuf body into the object's JSON form, apiVersion and kind set.

    Raises ProtobufError for a bad magic prefix, malformed data, an unknown kind or an unknown field."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtobufError("protobuf data must be bytes")
    data = bytes(data)
    if data[:4] != MAGIC:
        raise ProtobufError("not a Kubernetes protobuf message: missing the 'k8s\\x00' prefix")
    api_version = kind = ""
    raw = b""
    encoding = ""
    for number, wt, value in _iter_fields(data[4:], "envelope"):
        if number == 1 and wt == 2:
            for n2, wt2, v2 in _iter_fields(value, "envelope.typeMeta"):
                if wt2 != 2 or n2 not in (1, 2):
                    raise ProtobufError(f"envelope.typeMeta: unexpected field {n2} (wire type {wt2})")
                if n2 == 1:
                    api_version = v2.decode("utf-8", "replace")
                else:
                    kind = v2.decode("utf-8", "replace")
        elif number == 2 and wt == 2:
            raw = value
        elif number == 3 and wt == 2:
            encoding = value.decode("utf-8", "replace")
        elif number == 4 and wt == 2:
            pass                          # contentType: the body's own type, always protobuf here
        else:
            raise ProtobufError(f"envelope: unknown field {number} (wire type {wt}) in runtime.Unknown")
    if encoding:
        raise ProtobufError(f"envelope: unsupported content encoding {encoding!r}")
    if not kind:
        raise ProtobufError("envelope: the object has no kind")
    message = message_for(api_version, kind)
    obj = decode_message(raw, message, kind)
    result = {"kind": kind, "apiVersion": api_version}
    result.update(obj)
    return result


def encode(obj: dict) -> bytes:
    """Encode a JSON object (with apiVersion and kind) as a ``k8s\\x00``-prefixed protobuf body.

    Raises ProtobufError for an unknown kind, a value of the wrong type, or a key the kind's message lacks."""
    if not isinstance(obj, dict):
        raise ProtobufError("can only encode an object")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise ProtobufError("the object needs string apiVersion and kind to be encoded as protobuf")
    raw = encode_message(obj, message_for(api_version, kind), kind)
    type_meta = bytearray()
    _write_bytes(type_meta, 1, api_version.encode())
    _write_bytes(type_meta, 2, kind.encode())
    out = bytearray(MAGIC)
    _write_bytes(out, 1, type_meta)
    _write_bytes(out, 2, raw)
    _write_bytes(out, 3, b"")
    _write_bytes(out, 4, b"")
    return bytes(out)
