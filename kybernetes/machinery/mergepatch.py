"""JSON Merge Patch (RFC 7386): ``{"metadata": {"labels": {"app": "web", "old": null}}}``.

The patch mirrors the document's shape: objects merge key by key, ``null`` deletes a key, and any other value
(strings, numbers, lists) replaces what was there. Kubernetes applies merge patches with evanphx/json-patch,
whose observable details are kept:

* the patch must be an object or a list (anything else is a bad patch, HTTP 400);
* ``null`` inside a value that is newly added is dropped (``{"a": {"b": null}}`` adds ``a: {}``), also inside
  objects nested in lists; ``null`` list elements themselves are kept;
* a patch that is a list, or a document that is not an object, makes the result the patch itself.
"""

from __future__ import annotations

from typing import Any

from kybernetes.machinery.jsoncopy import json_copy
from kybernetes.machinery.patcherrors import PatchError

__all__ = ["PatchError", "apply_merge_patch"]

ERR_BAD_JSON_DOC = "Invalid JSON Document"
ERR_BAD_JSON_PATCH = "Invalid JSON Patch"


def _pruned(v: Any) -> Any:
    """A copy of ``v`` with ``null`` members of objects removed, recursively (list elements kept)."""
    if isinstance(v, dict):
        return {k: _pruned(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_pruned(x) for x in v]
    return v


def _merge_objects(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A new object: ``doc`` merged with ``patch``; shares no containers with either input."""
    out = {k: v for k, v in doc.items()}
    for k, pv in patch.items():
        if pv is None:
            out.pop(k, None)
            continue
        cur = out.get(k)
        if cur is None:
            out[k] = _pruned(pv)
        elif isinstance(cur, dict):
            out[k] = _merge_objects(cur, pv) if isinstance(pv, dict) else json_copy(pv)
        else:
            out[k] = _pruned(pv)
    for k, v in out.items():
        if k not in patch and isinstance(v, (dict, list)):
            out[k] = json_copy(v)
    return out


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """Apply the RFC 7386 merge ``patch`` to ``doc`` and return a new document (inputs are not modified).

    Raises ``PatchError`` (code 400) when ``patch`` is neither an object nor a list, and (code 422) when
    ``doc`` is ``null``.
    """
    if doc is None:
        raise PatchError(ERR_BAD_JSON_DOC)
    if isinstance(patch, list):
        return _pruned(patch)
    if not isinstance(patch, dict):
        raise PatchError(ERR_BAD_JSON_PATCH, code=400)
    if not isinstance(doc, dict):
        return _pruned(patch)
    return _merge_objects(doc, patch)
