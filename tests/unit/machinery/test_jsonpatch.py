"""JSON Patch (RFC 6902) with the observable behaviour of evanphx/json-patch v4 used by the API server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.machinery.jsonpatch import PatchError, apply_json_patch, json_equal

APPLY_CASES = [
    pytest.param({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"},
                 id="add-member"),
    pytest.param({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
                 {"foo": ["bar", "qux", "baz"]}, id="add-array-element"),
    pytest.param({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/-", "value": "qux"}],
                 {"foo": ["bar", "baz", "qux"]}, id="add-append"),
    pytest.param({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/-1", "value": "qux"}],
                 {"foo": ["bar", "baz", "qux"]}, id="add-negative-index"),
    pytest.param({"foo": []}, [{"op": "add", "path": "/foo/-1", "value": "qux"}], {"foo": ["qux"]},
                 id="add-negative-index-empty"),
    pytest.param({"foo": ["a"]}, [{"op": "add", "path": "/foo/1", "value": "b"}], {"foo": ["a", "b"]},
                 id="add-at-end-index"),
    pytest.param({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
                 {"foo": "bar", "child": {"grandchild": {}}}, id="add-object"),
    pytest.param({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
                 {"foo": ["bar", ["abc", "def"]]}, id="add-array-value"),
    pytest.param({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": None}], {"foo": "bar", "baz": None},
                 id="add-null"),
    pytest.param({"foo": "bar"}, [{"op": "add", "path": "/foo", "value": 1}], {"foo": 1}, id="add-replaces-member"),
    pytest.param({"a": 1}, [{"op": "add", "path": "/b"}], {"a": 1, "b": None}, id="add-without-value-is-null"),
    pytest.param({"a/b": {}, "m~n": 1}, [{"op": "add", "path": "/a~1b/c~0d", "value": 2}],
                 {"a/b": {"c~d": 2}, "m~n": 1}, id="pointer-escapes"),
    pytest.param({"": 1}, [{"op": "replace", "path": "/", "value": 2}], {"": 2}, id="empty-key"),
    pytest.param({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"},
                 id="remove-member"),
    pytest.param({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]},
                 id="remove-element"),
    pytest.param({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/-2"}], {"foo": ["bar", "baz"]},
                 id="remove-negative-index"),
    pytest.param({"foo": "bar", "qux": {"baz": 1, "bar": None}}, [{"op": "remove", "path": "/qux/bar"}],
                 {"foo": "bar", "qux": {"baz": 1}}, id="remove-null-member"),
    pytest.param({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
                 {"baz": "boo", "foo": "bar"}, id="replace-member"),
    pytest.param({"foo": ["bar", "qux", "baz"]}, [{"op": "replace", "path": "/foo/1", "value": "bum"}],
                 {"foo": ["bar", "bum", "baz"]}, id="replace-element"),
    pytest.param([{"foo": ["bar", "qux", "baz"]}], [{"op": "replace", "path": "/0/foo/0", "value": "bum"}],
                 [{"foo": ["bum", "qux", "baz"]}], id="replace-in-array-document"),
    pytest.param({"bar": [{"baz": None}]}, [{"op": "replace", "path": "/bar/0/baz", "value": 1}],
                 {"bar": [{"baz": 1}]}, id="replace-null"),
    pytest.param({"bar": [1]}, [{"op": "replace", "path": "/bar/0", "value": None}], {"bar": [None]},
                 id="replace-with-null"),
    pytest.param({"foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"},
                 id="replace-missing-member-adds-like-v4"),
    pytest.param({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}], {"b": 2}, id="replace-root"),
    pytest.param({"a": 1}, [{"op": "add", "path": "", "value": {"b": 2}}], {"b": 2}, id="add-root"),
    pytest.param(
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        id="move-member",
    ),
    pytest.param({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
                 {"foo": ["all", "cows", "eat", "grass"]}, id="move-element"),
    pytest.param({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/2"}],
                 {"foo": ["all", "cows", "grass", "eat"]}, id="move-element-2"),
    pytest.param([{"foo": ["bar", "qux", "baz"], "bar": ["qux", "baz"]}],
                 [{"op": "copy", "from": "/0/foo/0", "path": "/0/bar/0"}],
                 [{"foo": ["bar", "qux", "baz"], "bar": ["bar", "qux", "baz"]}], id="copy-element"),
    pytest.param([{"foo": ["bar", "qux", "baz"], "bar": ["qux", "baz"]}],
                 [{"op": "copy", "from": "/0/foo/0", "path": "/0/bar"}],
                 [{"foo": ["bar", "qux", "baz"], "bar": "bar"}], id="copy-replaces-member"),
    pytest.param({"foo": ["bar"]}, [{"op": "copy", "path": "/foo/0", "from": "/foo"}],
                 {"foo": [["bar"], "bar"]}, id="copy-into-self"),
    pytest.param({"a": 1}, [{"op": "copy", "from": "/missing", "path": "/b"}], {"a": 1, "b": None},
                 id="copy-missing-member-copies-null-like-v4"),
    pytest.param({"baz": "qux", "foo": ["a", 2, "c"]},
                 [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
                 {"baz": "qux", "foo": ["a", 2, "c"]}, id="test-pass"),
    pytest.param({"baz": "qux"}, [{"op": "test", "path": "/foo", "value": None}], {"baz": "qux"},
                 id="test-missing-is-null"),
    pytest.param({"foo": None}, [{"op": "test", "path": "/foo", "value": None}], {"foo": None}, id="test-null"),
    pytest.param({"baz/foo": "qux"}, [{"op": "test", "path": "/baz~1foo", "value": "qux"}], {"baz/foo": "qux"},
                 id="test-escaped"),
    pytest.param({"a": {"x": 1, "y": [1, {"z": True}]}},
                 [{"op": "test", "path": "/a", "value": {"y": [1.0, {"z": True}], "x": 1}}],
                 {"a": {"x": 1, "y": [1, {"z": True}]}}, id="test-deep-equal"),
    pytest.param({"a": [1]}, [{"op": "test", "path": "", "value": {"a": [1]}}], {"a": [1]}, id="test-root"),
    pytest.param(
        {"metadata": {"labels": {"app": "web"}}, "spec": {"replicas": 1}},
        [
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels/tier", "value": "fe"},
            {"op": "remove", "path": "/metadata/labels/app"},
        ],
        {"metadata": {"labels": {"tier": "fe"}}, "spec": {"replicas": 3}},
        id="sequence",
    ),
    pytest.param({"foo": [1, 2]}, [{"op": "add", "path": "/foo/+1", "value": 9}], {"foo": [1, 9, 2]},
                 id="lenient-index-plus"),
    pytest.param({"foo": [1, 2]}, [{"op": "add", "path": "/foo/01", "value": 9}], {"foo": [1, 9, 2]},
                 id="lenient-index-leading-zero"),
    pytest.param({"a": 1}, [], {"a": 1}, id="no-ops"),
]


@pytest.mark.parametrize(("doc", "ops", "expected"), APPLY_CASES)
def test_apply(doc: Any, ops: list, expected: Any) -> None:
    before = copy.deepcopy(doc)
    ops_before = copy.deepcopy(ops)
    assert apply_json_patch(doc, ops) == expected
    assert doc == before, "input document must not be modified"
    assert ops == ops_before, "operations must not be modified"


def test_result_does_not_alias_patch_values() -> None:
    value = {"x": [1]}
    out = apply_json_patch({}, [{"op": "add", "path": "/a", "value": value}, {"op": "copy", "from": "/a", "path": "/b"}])
    out["a"]["x"].append(2)
    assert value == {"x": [1]}
    assert out["b"] == {"x": [1]}


ERROR_CASES = [
    pytest.param({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}],
                 'add operation does not apply: doc is missing path: "/baz/bat": missing value', id="add-missing-parent"),
    pytest.param({"a": {"b": {"d": 1}}}, [{"op": "remove", "path": "/a/b/c"}],
                 "error in remove for path: '/a/b/c': Unable to remove nonexistent key: c: missing value",
                 id="remove-missing"),
    pytest.param({"a": {"b": {"d": 1}}}, [{"op": "move", "from": "/a/b/c", "path": "/a/b/e"}],
                 "error in move for path: 'c': Unable to remove nonexistent key: c: missing value", id="move-missing"),
    pytest.param({"a": {"b": [1]}}, [{"op": "remove", "path": "/a/b/1"}],
                 "error in remove for path: '/a/b/1': Unable to access invalid index: 1: invalid index referenced",
                 id="remove-out-of-range"),
    pytest.param({"a": {"b": [1]}}, [{"op": "move", "from": "/a/b/1", "path": "/a/b/2"}],
                 "error in move for path: '1': Unable to access invalid index: 1: invalid index referenced",
                 id="move-out-of-range"),
    pytest.param({"foo": "bar"}, [{"op": "add", "pathz": "/baz", "value": "qux"}],
                 "add operation failed to decode path: missing value", id="add-without-path"),
    pytest.param({"foo": ["bar", "baz"]}, [{"op": "replace", "path": "/foo/2", "value": "bum"}],
                 "replace operation does not apply: doc is missing key: /foo/2: missing value",
                 id="replace-out-of-range"),
    pytest.param({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/-4", "value": "bum"}],
                 "error in add for path: '/foo/-4': Unable to access invalid index: -4: invalid index referenced",
                 id="add-negative-out-of-range"),
    pytest.param({"name": {"foo": "bat"}}, [{"op": "replace", "path": "/foo/bar", "value": "baz"}],
                 "replace operation does not apply: doc is missing path: /foo/bar: missing value",
                 id="replace-missing-parent"),
    pytest.param({"foo": ["bar"]}, [{"op": "add", "path": "/foo/2", "value": "bum"}],
                 "error in add for path: '/foo/2': Unable to access invalid index: 2: invalid index referenced",
                 id="add-past-end"),
    pytest.param({"foo": []}, [{"op": "remove", "path": "/foo/-"}],
                 "error in remove for path: '/foo/-': strconv.Atoi: parsing \"-\": invalid syntax",
                 id="remove-dash"),
    pytest.param({"foo": []}, [{"op": "remove", "path": "/foo/-1"}],
                 "error in remove for path: '/foo/-1': Unable to access invalid index: -1: invalid index referenced",
                 id="remove-negative-empty"),
    pytest.param({"foo": ["bar"]}, [{"op": "add", "path": "/foo/x", "value": 1}],
                 "error in add for path: '/foo/x': value was not a proper array index: 'x': strconv.Atoi: parsing "
                 "\"x\": invalid syntax", id="add-bad-index"),
    pytest.param({}, [{"op": None, "path": ""}], "Unexpected kind: unknown", id="null-op"),
    pytest.param({}, [{"path": "/a"}], "Unexpected kind: unknown", id="missing-op"),
    pytest.param({}, [{"op": "merge", "path": "/a"}], "Unexpected kind: merge", id="unknown-op"),
    pytest.param({}, [{"op": "copy", "from": None}],
                 "copy operation failed to decode from: operation, missing from field: missing value",
                 id="copy-null-from"),
    pytest.param({"foo": ["bar"]}, [{"op": "copy", "path": "/foo/2", "from": "/foo/0"}],
                 "error while adding value during copy: Unable to access invalid index: 2: invalid index referenced",
                 id="copy-past-end"),
    pytest.param({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/4"}],
                 "error in move for path: '/foo/4': Unable to access invalid index: 4: invalid index referenced",
                 id="move-past-end"),
    pytest.param({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "testing value /baz failed: test failed",
                 id="test-mismatch"),
    pytest.param({"baz": "qux", "foo": ["a", 2, "c"]},
                 [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": "c"}],
                 "testing value /foo/1 failed: test failed", id="test-second-fails"),
    pytest.param({"baz": "qux"}, [{"op": "test", "path": "/foo", "value": 42}], "testing value /foo failed: test failed",
                 id="test-missing"),
    pytest.param({"foo": {}}, [{"op": "test", "path": "/foo", "value": None}], "testing value /foo failed: test failed",
                 id="test-object-vs-null"),
    pytest.param({"foo": []}, [{"op": "test", "path": "/foo", "value": None}], "testing value /foo failed: test failed",
                 id="test-array-vs-null"),
    pytest.param({"foo": []}, [{"op": "test", "path": "/foo"}], "testing value /foo failed: test failed",
                 id="test-without-value"),
    pytest.param({"a": 1}, [{"op": "test", "path": "/a", "value": True}], "testing value /a failed: test failed",
                 id="test-bool-is-not-number"),
    pytest.param({"a": "1"}, [{"op": "test", "path": "/a", "value": 1}], "testing value /a failed: test failed",
                 id="test-string-is-not-number"),
    pytest.param({"a": {"x": 1}}, [{"op": "test", "path": "/a", "value": {"x": 1, "y": 2}}],
                 "testing value /a failed: test failed", id="test-extra-member"),
    pytest.param({"a": 1}, [{"op": "test", "path": "/x/y", "value": 1}],
                 "test operation does not apply: is missing path: /x/y: missing value", id="test-missing-parent"),
    pytest.param({"a": 1}, [{"op": "remove", "path": ""}],
                 'remove operation does not apply: doc is missing path: "": missing value', id="remove-root"),
    pytest.param({"a": 1}, [{"op": "add", "path": "a", "value": 1}],
                 'add operation does not apply: doc is missing path: "a": missing value', id="path-without-slash"),
    pytest.param({"a": "scalar"}, [{"op": "add", "path": "/a/b", "value": 1}],
                 'add operation does not apply: doc is missing path: "/a/b": missing value', id="through-scalar"),
]


@pytest.mark.parametrize(("doc", "ops", "message"), ERROR_CASES)
def test_errors(doc: Any, ops: list, message: str) -> None:
    before = copy.deepcopy(doc)
    with pytest.raises(PatchError) as info:
        apply_json_patch(doc, ops)
    assert str(info.value) == message
    assert info.value.code == 422
    assert isinstance(info.value, ValueError)
    assert doc == before


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        pytest.param({"op": "add"}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch", id="object"),
        pytest.param(["add"], "json: cannot unmarshal string into Go value of type jsonpatch.Operation",
                     id="string-op"),
    ],
)
def test_malformed_patch_is_bad_request(ops: Any, message: str) -> None:
    with pytest.raises(PatchError) as info:
        apply_json_patch({}, ops)
    assert info.value.code == 400
    assert str(info.value) == message


def test_failed_operation_leaves_no_partial_result() -> None:
    doc = {"a": 1}
    with pytest.raises(PatchError):
        apply_json_patch(doc, [{"op": "add", "path": "/b", "value": 2}, {"op": "test", "path": "/a", "value": 2}])
    assert doc == {"a": 1}


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param(1, 1.0, True, id="int-float"),
        pytest.param(True, 1, False, id="bool-int"),
        pytest.param(False, 0, False, id="bool-zero"),
        pytest.param(None, None, True, id="nulls"),
        pytest.param(None, 0, False, id="null-zero"),
        pytest.param({"a": [1, "x"]}, {"a": [1, "x"]}, True, id="nested"),
        pytest.param([1, 2], [2, 1], False, id="order-matters"),
        pytest.param("1", 1, False, id="string-number"),
    ],
)
def test_json_equal(a: Any, b: Any, equal: bool) -> None:
    assert json_equal(a, b) is equal
    assert json_equal(b, a) is equal
