"""JSON Merge Patch (RFC 7386), including evanphx/json-patch's handling of nulls and non-object documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.machinery.mergepatch import PatchError, apply_merge_patch

# The first block is RFC 7386 Appendix A; the rest pin down behaviour the API server relies on.
CASES = [
    pytest.param({"a": "b"}, {"a": "c"}, {"a": "c"}, id="rfc-replace-member"),
    pytest.param({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}, id="rfc-add-member"),
    pytest.param({"a": "b"}, {"a": None}, {}, id="rfc-delete-member"),
    pytest.param({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}, id="rfc-delete-one"),
    pytest.param({"a": ["b"]}, {"a": "c"}, {"a": "c"}, id="rfc-array-to-string"),
    pytest.param({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}, id="rfc-string-to-array"),
    pytest.param({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}, id="rfc-nested"),
    pytest.param({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}, id="rfc-array-replaced"),
    pytest.param(["a", "b"], ["c", "d"], ["c", "d"], id="rfc-array-document"),
    pytest.param({"a": "b"}, ["c"], ["c"], id="rfc-array-patch"),
    pytest.param({"e": None}, {"a": 1}, {"e": None, "a": 1}, id="rfc-existing-null-kept"),
    pytest.param([1, 2], {"a": "b", "c": None}, {"a": "b"}, id="rfc-array-document-object-patch"),
    pytest.param({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}, id="rfc-nested-null-dropped"),
    pytest.param("scalar", {"a": 1}, {"a": 1}, id="scalar-document"),
    pytest.param({"a": 1}, {}, {"a": 1}, id="empty-patch"),
    pytest.param({"a": {"b": 1}}, {"a": {}}, {"a": {"b": 1}}, id="empty-nested-patch"),
    pytest.param({"a": 1}, {"b": None}, {"a": 1}, id="delete-missing"),
    pytest.param({"a": None}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}, id="null-member-treated-as-missing"),
    pytest.param({}, {"a": [{"b": None, "c": 1}, None]}, {"a": [{"c": 1}, None]}, id="added-list-keeps-null-elements"),
    pytest.param({"a": 1}, {"a": {"b": None}}, {"a": {}}, id="scalar-replaced-by-object-nulls-dropped"),
    pytest.param({"a": {"x": 1}}, {"a": [{"b": None}]}, {"a": [{"b": None}]}, id="object-replaced-by-list-kept-raw"),
    pytest.param({"a": {"x": 1}}, {"a": "s"}, {"a": "s"}, id="object-replaced-by-string"),
    pytest.param(
        {"metadata": {"name": "x", "labels": {"app": "web", "old": "1"}}, "spec": {"replicas": 1, "paused": True}},
        {"metadata": {"labels": {"old": None, "tier": "fe"}}, "spec": {"replicas": 3}},
        {"metadata": {"name": "x", "labels": {"app": "web", "tier": "fe"}}, "spec": {"replicas": 3, "paused": True}},
        id="kubernetes-object",
    ),
    pytest.param({"a": 1}, [{"x": None}, 2], [{}, 2], id="array-patch-nulls-pruned-in-objects"),
]


@pytest.mark.parametrize(("doc", "patch", "expected"), CASES)
def test_apply(doc: Any, patch: Any, expected: Any) -> None:
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    assert apply_merge_patch(doc, patch) == expected
    assert doc == doc_before and patch == patch_before, "inputs must not be modified"


def test_result_does_not_alias_inputs() -> None:
    doc = {"keep": {"x": [1]}}
    patch = {"new": {"y": [2]}}
    out = apply_merge_patch(doc, patch)
    out["keep"]["x"].append(9)
    out["new"]["y"].append(9)
    assert doc == {"keep": {"x": [1]}}
    assert patch == {"new": {"y": [2]}}


@pytest.mark.parametrize(
    "patch",
    [pytest.param(None, id="null"), pytest.param("x", id="string"), pytest.param(1, id="number"),
     pytest.param(True, id="bool")],
)
def test_bad_patch_is_bad_request(patch: Any) -> None:
    with pytest.raises(PatchError) as info:
        apply_merge_patch({"a": 1}, patch)
    assert str(info.value) == "Invalid JSON Patch"
    assert info.value.code == 400


def test_null_document() -> None:
    with pytest.raises(PatchError, match="Invalid JSON Document"):
        apply_merge_patch(None, {"a": 1})
