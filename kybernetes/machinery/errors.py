"""Kubernetes API errors: the ``Status`` object and field-level validation errors.

Every failed API request answers with a ``Status`` object (``kind: Status``, ``status: Failure``) that carries an
HTTP code, a machine-readable ``reason`` (``NotFound``, ``Conflict``, ``Invalid``...), a human ``message`` and
optional ``details`` (the object's name/group/kind and, for validation failures, one ``cause`` per bad field).
Clients such as kubectl print the message verbatim and branch on the reason, so the constructors here reproduce
upstream's ``k8s.io/apimachinery/pkg/api/errors`` wording exactly.

Validation code reports problems as :class:`FieldError` values (upstream's ``field.Error``): a type such as
``FieldValueInvalid``, the JSON path of the field (built with :class:`FieldPath`), the offending value and a
detail.  :func:`invalid` turns a list of them into the 422 ``Invalid`` status, rendering values the way Go's
``fmt`` does (strings quoted, numbers bare, lists as ``[]string{"a", "b"}``).

The ``details`` dict of a :class:`StatusError` is already in wire form: empty strings and zero numbers are left
out, as Go's ``omitempty`` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "OMITTED",
    "OPTIMISTIC_LOCK_ERROR_MSG",
    "FieldError",
    "FieldPath",
    "StatusError",
    "aggregate_message",
    "already_exists",
    "bad_request",
    "conflict",
    "expired",
    "field_duplicate",
    "field_forbidden",
    "field_internal_error",
    "field_invalid",
    "field_not_found",
    "field_not_supported",
    "field_required",
    "field_too_long",
    "field_too_many",
    "field_type_invalid",
    "forbidden",
    "generate_name_conflict",
    "go_quote",
    "go_value",
    "gone",
    "internal_error",
    "invalid",
    "method_not_supported",
    "not_acceptable",
    "not_found",
    "request_entity_too_large",
    "server_timeout",
    "service_unavailable",
    "timeout",
    "too_many_requests",
    "too_many_requests_error",
    "unauthorized",
    "unsupported_media_type",
]

OPTIMISTIC_LOCK_ERROR_MSG = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


# ---------------------------------------------------------------------------------------------------------------
# Go-style value rendering (fmt %q, %v, %#v for the JSON-ish values we handle)
# ---------------------------------------------------------------------------------------------------------------

_SIMPLE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str) -> str:
    """Quote ``s`` as Go's ``strconv.Quote`` (and ``%q``) does: double quotes, backslash escapes for quotes,
    backslashes and non-printable characters, printable Unicode kept as is."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == " " or (ch.isprintable() and not ch.isspace()):
            out.append(ch)
        elif ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        else:
            code = ord(ch)
            if code < 0x20 or code == 0x7F:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_float(f: float) -> str:
    """Render a float like Go's ``%v``: shortest digits, exponent form when the exponent is < -4 or >= 6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    _, digit_tuple, exponent = Decimal(repr(abs(f))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    exp10 = int(exponent) + len(digits) - 1
    sign = "-" if f < 0 else ""
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if exp10 >= len(digits) - 1:
        return sign + digits + "0" * (exp10 - len(digits) + 1)
    if exp10 >= 0:
        return sign + digits[: exp10 + 1] + "." + digits[exp10 + 1 :]
    return sign + "0." + "0" * (-exp10 - 1) + digits


def go_value(value: Any) -> str:
    """Render ``value`` like Go's ``%v`` for decoded JSON (``map[a:1]``, ``[x y]``, ``<nil>``)."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    return str(value)


def _go_sharp(value: Any, *, in_interface: bool = False) -> str:
    """Render ``value`` like Go's ``%#v`` for the types validation code reports."""
    if value is None:
        return "interface {}(nil)"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, str) for v in value):
            return "[]string{" + ", ".join(go_quote(v) for v in value) + "}"
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return "[]int{" + ", ".join(str(v) for v in value) + "}"
        if not value:
            return "[]interface {}{}"
        return "[]interface {}{" + ", ".join(_go_sharp(v, in_interface=True) for v in value) + "}"
    if isinstance(value, dict):
        keys = sorted(value)
        if value and all(isinstance(v, str) for v in value.values()):
            return "map[string]string{" + ", ".join(f"{go_quote(k)}:{go_quote(value[k])}" for k in keys) + "}"
        return "map[string]interface {}{" + ", ".join(f"{go_quote(k)}:{_go_sharp(value[k])}" for k in keys) + "}"
    # anything else plays the role of a fmt.Stringer
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# Field paths and field errors (upstream k8s.io/apimachinery/pkg/util/validation/field)
# ---------------------------------------------------------------------------------------------------------------


class FieldPath:
    """An immutable path from an object's root to a field: ``FieldPath("spec").child("containers").index(0)``
    renders as ``spec.containers[0]``; ``.key("app")`` subscripts a map (``[app]``)."""

    __slots__ = ("_name", "_index", "_parent", "_text")

    def __init__(self, name: str, *more: str, _parent: FieldPath | None = None, _index: str | None = None) -> None:
        if more:
            path = FieldPath(name, _parent=_parent)
            for n in more[:-1]:
                path = FieldPath(n, _parent=path)
            name, _parent = more[-1], path
        self._name = name
        self._index = _index
        self._parent = _parent
        self._text: str | None = None

    def child(self, name: str, *more: str) -> FieldPath:
        """The path of field ``name`` (then ``more`` nested names) below this one."""
        if more:
            return FieldPath(name, *more, _parent=self)
        return _link(self, name, None)

    def index(self, i: int) -> FieldPath:
        """This path subscripted by list index ``i``."""
        return _link(self, "", str(i))

    def key(self, k: str) -> FieldPath:
        """This path subscripted by map key ``k``."""
        return _link(self, "", k)

    def __str__(self) -> str:
        if self._text is None:
            parts: list[FieldPath] = []
            node: FieldPath | None = self
            while node is not None:
                parts.append(node)
                node = node._parent
            out: list[str] = []
            for p in reversed(parts):
                if p._index is not None:
                    out.append(f"[{p._index}]")
                else:
                    if p._parent is not None and p._name:
                        out.append(".")
                    out.append(p._name)
            self._text = "".join(out)
        return self._text

    def __repr__(self) -> str:
        return f"FieldPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldPath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def _link(parent: FieldPath, name: str, index: str | None) -> FieldPath:
    # validation builds tens of paths per object: skip __init__'s argument handling on this hot path
    p = object.__new__(FieldPath)
    p._name = name
    p._index = index
    p._parent = parent
    p._text = None
    return p


class _Omitted:
    """Sentinel bad value that is left out of the rendered message."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()

_TYPE_TEXT = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "InternalError": "Internal error",
    "FieldValueTypeInvalid": "Invalid value",
}
_VALUELESS_TYPES = frozenset({"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"})


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field-level validation failure (upstream ``field.Error``).

    ``type`` is the machine-readable cause type (``FieldValueInvalid``...), ``field`` the rendered path,
    ``bad_value`` the offending value and ``detail`` the explanation.
    """

    type: str
    field: str
    bad_value: Any
    detail: str

    def error_body(self) -> str:
        """The message without the field path, e.g. ``Invalid value: -1: must be greater than or equal to 0``."""
        text = _TYPE_TEXT[self.type]
        if self.type not in _VALUELESS_TYPES and self.bad_value is not OMITTED:
            value = self.bad_value
            text += ": \"null\"" if value is None else ": " + _go_sharp(value)  # Go prints nil as the string "null"
        if self.detail:
            text += ": " + self.detail
        return text

    @property
    def message(self) -> str:
        """The full message, ``<field>: <body>``, as Go's ``Error()`` renders it."""
        return f"{self.field}: {self.error_body()}"

    def cause(self) -> dict[str, str]:
        """This error as a ``Status`` cause (``reason``, ``message``, ``field``; empty parts left out)."""
        out: dict[str, str] = {}
        if self.type:
            out["reason"] = self.type
        body = self.error_body()
        if body:
            out["message"] = body
        if self.field:
            out["field"] = self.field
        return out

    def __str__(self) -> str:
        return self.message


def _path_text(path: FieldPath | str | None) -> str:
    return "<nil>" if path is None else str(path)


def field_invalid(path: FieldPath | str | None, value: Any, detail: str) -> FieldError:
    """A malformed value (``Invalid value: <value>: <detail>``)."""
    return FieldError("FieldValueInvalid", _path_text(path), value, detail)


def field_type_invalid(path: FieldPath | str | None, value: Any, detail: str) -> FieldError:
    """A value of the wrong JSON type for the schema."""
    return FieldError("FieldValueTypeInvalid", _path_text(path), value, detail)


def field_required(path: FieldPath | str | None, detail: str = "") -> FieldError:
    """A missing required value (``Required value``)."""
    return FieldError("FieldValueRequired", _path_text(path), "", detail)


def field_forbidden(path: FieldPath | str | None, detail: str) -> FieldError:
    """A well-formed value that is not allowed here (``Forbidden: <detail>``)."""
    return FieldError("FieldValueForbidden", _path_text(path), "", detail)


def field_not_supported(path: FieldPath | str | None, value: Any, valid: Iterable[str]) -> FieldError:
    """A value outside an enumeration (``Unsupported value: "x": supported values: "a", "b"``)."""
    quoted = [go_quote(str(v)) for v in valid]
    detail = "supported values: " + ", ".join(quoted) if quoted else ""
    return FieldError("FieldValueNotSupported", _path_text(path), value, detail)


def field_duplicate(path: FieldPath | str | None, value: Any) -> FieldError:
    """A value that must be unique but is not (``Duplicate value: "x"``)."""
    return FieldError("FieldValueDuplicate", _path_text(path), value, "")


def field_not_found(path: FieldPath | str | None, value: Any) -> FieldError:
    """A referenced value that does not exist (``Not found: "x"``)."""
    return FieldError("FieldValueNotFound", _path_text(path), value, "")


def field_too_long(path: FieldPath | str | None, value: Any, max_len: int) -> FieldError:
    """A value longer than allowed; the value itself is not shown (``Too long: may not be more than N bytes``)."""
    detail = f"may not be more than {max_len} bytes" if max_len >= 0 else "value is too long"
    return FieldError("FieldValueTooLong", _path_text(path), "<value omitted>", detail)


def field_too_many(path: FieldPath | str | None, actual: int, max_items: int) -> FieldError:
    """A list with too many items (``Too many: 5: must have at most 3 items``); a negative count is not shown."""
    detail = f"must have at most {max_items} items" if max_items >= 0 else "has too many items"
    return FieldError("FieldValueTooMany", _path_text(path), actual if actual >= 0 else OMITTED, detail)


def field_internal_error(path: FieldPath | str | None, detail: str) -> FieldError:
    """A failure not caused by the user's input (``Internal error: <detail>``)."""
    return FieldError("InternalError", _path_text(path), None, detail)


def aggregate_message(errs: Sequence[FieldError]) -> str:
    """Join error messages as upstream's ``ErrorList.ToAggregate().Error()``: duplicates dropped, one message
    alone, several as ``[a, b]``; empty string for no errors."""
    seen: list[str] = []
    for e in errs:
        msg = e.message
        if msg not in seen:
            seen.append(msg)
    if not seen:
        return ""
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


# ---------------------------------------------------------------------------------------------------------------
# StatusError
# ---------------------------------------------------------------------------------------------------------------


class StatusError(Exception):
    """An API failure that is answered with a ``Status`` object.

    ``details`` is ``None`` (no ``details`` key on the wire) or a dict already in wire form.
    """

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        """The full ``Status`` object, keys in upstream's wire order. Returns a fresh dict on every call."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
        }
        if self.message:
            out["message"] = self.message
        if self.reason:
            out["reason"] = self.reason
        if self.details is not None:
            out["details"] = _copy_details(self.details)
        if self.code:
            out["code"] = self.code
        return out

    @classmethod
    def from_status(cls, status: dict[str, Any]) -> StatusError:
        """Rebuild an error from a ``Status`` object received on the wire."""
        details = status.get("details")
        return cls(
            int(status.get("code") or 0),
            str(status.get("reason") or ""),
            str(status.get("message") or ""),
            dict(details) if isinstance(details, dict) else None,
        )

    def __repr__(self) -> str:
        return f"StatusError({self.code}, {self.reason!r}, {self.message!r})"


def _copy_details(details: dict[str, Any]) -> dict[str, Any]:
    out = dict(details)
    if "causes" in out:
        out["causes"] = [dict(c) for c in out["causes"]]
    return out


def _details(
    *,
    name: str = "",
    group: str = "",
    kind: str = "",
    causes: list[dict[str, str]] | None = None,
    retry_after_seconds: int = 0,
) -> dict[str, Any]:
    """StatusDetails with Go's omitempty applied, fields in wire order."""
    out: dict[str, Any] = {}
    if name:
        out["name"] = name
    if group:
        out["group"] = group
    if kind:
        out["kind"] = kind
    if causes:
        out["causes"] = causes
    if retry_after_seconds:
        out["retryAfterSeconds"] = retry_after_seconds
    return out


def _qualified(group: str, name: str) -> str:
    """GroupResource / GroupKind ``String()``: ``name`` alone for the core group, else ``name.group``."""
    return f"{name}.{group}" if group else name


def not_found(group: str, resource: str, name: str) -> StatusError:
    """404 NotFound: ``pods "x" not found``."""
    return StatusError(
        404,
        "NotFound",
        f"{_qualified(group, resource)} {go_quote(name)} not found",
        _details(name=name, group=group, kind=resource),
    )


def already_exists(group: str, resource: str, name: str) -> StatusError:
    """409 AlreadyExists: ``configmaps "x" already exists``."""
    return StatusError(
        409,
        "AlreadyExists",
        f"{_qualified(group, resource)} {go_quote(name)} already exists",
        _details(name=name, group=group, kind=resource),
    )


def generate_name_conflict(group: str, resource: str, name: str, retry_after_seconds: int) -> StatusError:
    """409 AlreadyExists when ``generateName`` produced a name that is taken."""
    return StatusError(
        409,
        "AlreadyExists",
        f"{_qualified(group, resource)} {go_quote(name)} already exists, "
        "the server was not able to generate a unique name for the object",
        _details(name=name, group=group, kind=resource, retry_after_seconds=retry_after_seconds),
    )


def conflict(group: str, resource: str, name: str, detail: str) -> StatusError:
    """409 Conflict: ``Operation cannot be fulfilled on configmaps "demo": <detail>``."""
    return StatusError(
        409,
        "Conflict",
        f"Operation cannot be fulfilled on {_qualified(group, resource)} {go_quote(name)}: {detail}",
        _details(name=name, group=group, kind=resource),
    )


def invalid(group: str, kind: str, name: str, errs: Sequence[FieldError]) -> StatusError:
    """422 Invalid: ``Deployment.apps "web" is invalid: <errors>`` with one cause per field error."""
    causes = [e.cause() for e in errs]
    agg = aggregate_message(errs)
    qualified = _qualified(group, kind)
    message = f"{qualified} {go_quote(name)} is invalid" + (f": {agg}" if agg else "")
    return StatusError(422, "Invalid", message, _details(name=name, group=group, kind=kind, causes=causes))


def bad_request(msg: str) -> StatusError:
    """400 BadRequest with ``msg`` as the message."""
    return StatusError(400, "BadRequest", msg)


def unauthorized(msg: str = "Unauthorized") -> StatusError:
    """401 Unauthorized (an empty message becomes ``not authorized``)."""
    return StatusError(401, "Unauthorized", msg or "not authorized")


def forbidden(group: str, resource: str, name: str, err_msg: str) -> StatusError:
    """403 Forbidden: ``pods "x" is forbidden: <err_msg>`` (``forbidden: <err_msg>`` without a resource)."""
    if not group and not resource:
        message = f"forbidden: {err_msg}"
    elif not name:
        message = f"{_qualified(group, resource)} is forbidden: {err_msg}"
    else:
        message = f"{_qualified(group, resource)} {go_quote(name)} is forbidden: {err_msg}"
    return StatusError(403, "Forbidden", message, _details(name=name, group=group, kind=resource))


def method_not_supported(group: str, resource: str, action: str) -> StatusError:
    """405 MethodNotAllowed: ``<action> is not supported on resources of kind "<resource>"``."""
    return StatusError(
        405,
        "MethodNotAllowed",
        f"{action} is not supported on resources of kind {go_quote(_qualified(group, resource))}",
        _details(group=group, kind=resource),
    )


def _media_types(accepted: Sequence[str] | str) -> str:
    return accepted if isinstance(accepted, str) else ", ".join(accepted)


def not_acceptable(accepted: Sequence[str] | str) -> StatusError:
    """406 NotAcceptable: no acceptable response media type; ``accepted`` lists what the server offers."""
    return StatusError(
        406, "NotAcceptable", f"only the following media types are accepted: {_media_types(accepted)}"
    )


def unsupported_media_type(accepted: Sequence[str] | str) -> StatusError:
    """415 UnsupportedMediaType: the request body's type is unknown; ``accepted`` lists the types understood."""
    return StatusError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: {_media_types(accepted)}",
    )


def gone(msg: str) -> StatusError:
    """410 Gone (deprecated upstream in favour of :func:`expired`)."""
    return StatusError(410, "Gone", msg)


def expired(msg: str) -> StatusError:
    """410 Expired: the requested resourceVersion is too old."""
    return StatusError(410, "Expired", msg)


def request_entity_too_large(msg: str) -> StatusError:
    """413 RequestEntityTooLarge: ``Request entity too large: <msg>``."""
    return StatusError(413, "RequestEntityTooLarge", f"Request entity too large: {msg}")


def too_many_requests(msg: str, retry_after_seconds: int = 0) -> StatusError:
    """429 TooManyRequests with ``msg`` as is and ``details.retryAfterSeconds`` (upstream NewTooManyRequests)."""
    return StatusError(429, "TooManyRequests", msg, _details(retry_after_seconds=retry_after_seconds))


def too_many_requests_error(msg: str) -> StatusError:
    """429 TooManyRequests: ``Too many requests: <msg>`` without details (upstream NewTooManyRequestsError)."""
    return StatusError(429, "TooManyRequests", f"Too many requests: {msg}")


def internal_error(msg: str) -> StatusError:
    """500 InternalError: ``Internal error occurred: <msg>`` with the message as the single cause."""
    return StatusError(
        500, "InternalError", f"Internal error occurred: {msg}", _details(causes=[{"message": msg} if msg else {}])
    )


def server_timeout(group: str, resource: str, operation: str, retry_after_seconds: int = 0) -> StatusError:
    """500 ServerTimeout: the operation could not finish in time and may be retried."""
    return StatusError(
        500,
        "ServerTimeout",
        f"The {operation} operation against {_qualified(group, resource)} could not be completed at this time, "
        "please try again.",
        _details(name=operation, group=group, kind=resource, retry_after_seconds=retry_after_seconds),
    )


def service_unavailable(msg: str) -> StatusError:
    """503 ServiceUnavailable with ``msg`` as the message."""
    return StatusError(503, "ServiceUnavailable", msg)


def timeout(msg: str, retry_after_seconds: int = 0) -> StatusError:
    """504 Timeout: ``Timeout: <msg>``; the operation may still complete."""
    return StatusError(504, "Timeout", f"Timeout: {msg}", _details(retry_after_seconds=retry_after_seconds))
