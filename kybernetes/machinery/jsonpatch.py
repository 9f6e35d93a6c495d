"""JSON Patch (RFC 6902): ``[{"op": "replace", "path": "/spec/replicas", "value": 3}, ...]``.

Each operation addresses a location with a JSON pointer (RFC 6901: ``/``-separated tokens, ``~1`` for ``/`` and
``~0`` for ``~``; ``-`` names the position after a list's last element). Operations apply in order and the whole
patch fails on the first failing operation.

Kubernetes applies JSON patches with evanphx/json-patch v4, and this module keeps its observable behaviour:

* list indices may be negative (counted from the end) and are parsed leniently (``+1``, ``01``);
* ``replace`` of a missing object member adds it, and ``copy`` from a missing member copies ``null``;
* ``test`` of a missing member succeeds when the expected value is ``null``;
* an operation without ``value`` uses ``null``;
* the empty path addresses the whole document for ``add``, ``replace`` and ``test``;
* error texts follow the library's wording (``testing value /x failed: test failed``).
"""

from __future__ import annotations

import re
from typing import Any

from kybernetes.machinery.jsoncopy import json_copy
from kybernetes.machinery.patcherrors import PatchError

__all__ = ["PatchError", "apply_json_patch", "json_equal"]

_ERR_MISSING = "missing value"
_ERR_INVALID_INDEX = "invalid index referenced"
_ERR_TEST_FAILED = "test failed"
_INDEX_RE = re.compile(r"[+-]?[0-9]+")


def json_equal(a: Any, b: Any) -> bool:
    """Structural JSON equality: ``true`` is not ``1``, ``1`` equals ``1.0``, objects ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        return all(k in b and json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    return type(a) is type(b) and a == b


def _decode_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _find_container(doc: Any, path: str) -> tuple[Any, str] | None:
    """The container holding the last token of ``path`` and that (decoded) token, or ``None`` when an
    intermediate location does not exist or is not a container."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    node = doc
    for raw in parts[1:-1]:
        token = _decode_token(raw)
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list):
            idx = _parse_index(token)
            if idx is None or idx < 0 or idx >= len(node):
                return None
            node = node[idx]
        else:
            return None
        if not isinstance(node, (dict, list)):
            return None
    return node, _decode_token(parts[-1])


def _parse_index(token: str) -> int | None:
    if not _INDEX_RE.fullmatch(token):
        return None
    return int(token)


def _atoi_error(token: str) -> str:
    return f'strconv.Atoi: parsing "{token}": invalid syntax'


def _get(container: Any, key: str) -> Any:
    """Read ``key``; a missing object member reads as ``None``. Raises ``PatchError`` for bad list indices."""
    if isinstance(container, dict):
        return container.get(key)
    idx = _parse_index(key)
    if idx is None:
        raise PatchError(_atoi_error(key))
    if idx < 0 or idx >= len(container):
        raise PatchError(f"Unable to access invalid index: {idx}: {_ERR_INVALID_INDEX}")
    return container[idx]


def _add(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    idx = _parse_index(key)
    if idx is None:
        raise PatchError(f"value was not a proper array index: '{key}': {_atoi_error(key)}")
    size = len(container) + 1
    if idx >= size or idx < -size:
        raise PatchError(f"Unable to access invalid index: {idx}: {_ERR_INVALID_INDEX}")
    if idx < 0:
        idx += size
    container.insert(idx, value)


def _remove(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise PatchError(f"Unable to remove nonexistent key: {key}: {_ERR_MISSING}")
        return container.pop(key)
    idx = _parse_index(key)
    if idx is None:
        raise PatchError(_atoi_error(key))
    if idx >= len(container) or idx < -len(container):
        raise PatchError(f"Unable to access invalid index: {idx}: {_ERR_INVALID_INDEX}")
    return container.pop(idx)


def _string_field(op: dict[str, Any], name: str) -> str | None:
    v = op.get(name)
    return v if isinstance(v, str) else None


class _Doc:
    """The document being patched; ``root`` may be replaced by operations on the empty path."""

    __slots__ = ("root",)

    def __init__(self, root: Any) -> None:
        self.root = root


def _op_add(doc: _Doc, op: dict[str, Any]) -> None:
    path = _string_field(op, "path")
    if path is None:
        raise PatchError(f"add operation failed to decode path: {_ERR_MISSING}")
    value = json_copy(op.get("value"))
    if path == "":
        doc.root = value
        return
    found = _find_container(doc.root, path)
    if found is None:
        raise PatchError(f'add operation does not apply: doc is missing path: "{path}": {_ERR_MISSING}')
    try:
        _add(found[0], found[1], value)
    except PatchError as e:
        raise PatchError(f"error in add for path: '{path}': {e.message}") from None


def _op_remove(doc: _Doc, op: dict[str, Any]) -> None:
    path = _string_field(op, "path")
    if path is None:
        raise PatchError(f"remove operation failed to decode path: {_ERR_MISSING}")
    found = _find_container(doc.root, path)
    if found is None:
        raise PatchError(f'remove operation does not apply: doc is missing path: "{path}": {_ERR_MISSING}')
    try:
        _remove(found[0], found[1])
    except PatchError as e:
        raise PatchError(f"error in remove for path: '{path}': {e.message}") from None


def _op_replace(doc: _Doc, op: dict[str, Any]) -> None:
    path = _string_field(op, "path")
    if path is None:
        raise PatchError(f"replace operation failed to decode path: operation missing path field: {_ERR_MISSING}")
    value = json_copy(op.get("value"))
    if path == "":
        doc.root = value
        return
    found = _find_container(doc.root, path)
    if found is None:
        raise PatchError(f"replace operation does not apply: doc is missing path: {path}: {_ERR_MISSING}")
    container, key = found
    if isinstance(container, dict):
        container[key] = value
        return
    try:
        _get(container, key)
    except PatchError:
        raise PatchError(f"replace operation does not apply: doc is missing key: {path}: {_ERR_MISSING}") from None
    container[int(key)] = value


def _op_move(doc: _Doc, op: dict[str, Any]) -> None:
    src = _string_field(op, "from")
    if src is None:
        raise PatchError(f"move operation failed to decode from: operation, missing from field: {_ERR_MISSING}")
    found = _find_container(doc.root, src)
    if found is None:
        raise PatchError(f"move operation does not apply: doc is missing from path: {src}: {_ERR_MISSING}")
    container, key = found
    try:
        _get(container, key)
        value = _remove(container, key)
    except PatchError as e:
        raise PatchError(f"error in move for path: '{key}': {e.message}") from None
    path = _string_field(op, "path")
    if path is None:
        raise PatchError(f"move operation failed to decode path: operation missing path field: {_ERR_MISSING}")
    dest = _find_container(doc.root, path)
    if dest is None:
        raise PatchError(f"move operation does not apply: doc is missing destination path: {path}: {_ERR_MISSING}")
    try:
        _add(dest[0], dest[1], value)
    except PatchError as e:
        raise PatchError(f"error in move for path: '{path}': {e.message}") from None


def _op_copy(doc: _Doc, op: dict[str, Any]) -> None:
    src = _string_field(op, "from")
    if src is None:
        raise PatchError(f"copy operation failed to decode from: operation, missing from field: {_ERR_MISSING}")
    found = _find_container(doc.root, src)
    if found is None:
        raise PatchError(f"copy operation does not apply: doc is missing from path: {src}: {_ERR_MISSING}")
    try:
        value = _get(found[0], found[1])
    except PatchError as e:
        raise PatchError(f"error in copy for from: '{src}': {e.message}") from None
    path = _string_field(op, "path")
    if path is None:
        raise PatchError(f"copy operation failed to decode path: {_ERR_MISSING}")
    dest = _find_container(doc.root, path)
    if dest is None:
        raise PatchError(f"copy operation does not apply: doc is missing destination path: {path}: {_ERR_MISSING}")
    try:
        _add(dest[0], dest[1], json_copy(value))
    except PatchError as e:
        raise PatchError(f"error while adding value during copy: {e.message}") from None


def _op_test(doc: _Doc, op: dict[str, Any]) -> None:
    path = _string_field(op, "path")
    if path is None:
        raise PatchError(f"test operation failed to decode path: operation missing path field: {_ERR_MISSING}")
    expected = op.get("value")
    if path == "":
        if json_equal(doc.root, expected):
            return
        raise PatchError(f"testing value {path} failed: {_ERR_TEST_FAILED}")
    found = _find_container(doc.root, path)
    if found is None:
        raise PatchError(f"test operation does not apply: is missing path: {path}: {_ERR_MISSING}")
    try:
        actual = _get(found[0], found[1])
    except PatchError as e:
        raise PatchError(f"error in test for path: '{path}': {e.message}") from None
    if actual is None:
        if expected is None and "value" in op:
            return
        raise PatchError(f"testing value {path} failed: {_ERR_TEST_FAILED}")
    if "value" in op and json_equal(actual, expected):
        return
    raise PatchError(f"testing value {path} failed: {_ERR_TEST_FAILED}")


_OPS = {
    "add": _op_add,
    "remove": _op_remove,
    "replace": _op_replace,
    "move": _op_move,
    "copy": _op_copy,
    "test": _op_test,
}


def apply_json_patch(doc: Any, ops: Any) -> Any:
    """Apply the RFC 6902 operations ``ops`` to ``doc`` and return the patched copy (``doc`` is not modified).

    Raises ``PatchError`` with code 400 when ``ops`` is not a list of operation objects and with code 422 when
    an operation cannot be applied.
    """
    if not isinstance(ops, list):
        raise PatchError(
            f"json: cannot unmarshal {_json_kind(ops)} into Go value of type jsonpatch.Patch", code=400
        )
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(
                f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation", code=400
            )
    state = _Doc(json_copy(doc))
    for op in ops:
        kind = op.get("op")
        handler = _OPS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise PatchError(f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}")
        handler(state, op)
    return state.root


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "null"
