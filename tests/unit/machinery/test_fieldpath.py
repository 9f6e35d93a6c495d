"""Field sets, path elements and ``FieldsV1`` against upstream's golden strings, plus schema-driven walks.

The toy :class:`Schema` implements ``ApplySchema`` for Deployment- and ConfigMap-shaped objects; the other SSA
test modules import it from here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kybernetes.machinery.fieldpath import (
    FieldSet,
    PathElement,
    TypedError,
    UnknownPathElementError,
    compare,
    fields_v1,
    go_json,
    parse_fields_v1,
    parse_path_element,
    path_string,
    serialize_path_element,
    to_field_set,
    values_equal,
)

# ---------------------------------------------------------------------------------------------------------------
# A toy ApplySchema
# ---------------------------------------------------------------------------------------------------------------


class Schema:
    """An ``ApplySchema`` node. ``extra`` sets the optional attributes (``default``, ``always_present``)."""

    def __init__(
        self,
        kind: str = "scalar",
        *,
        fields: dict[str, Schema] | None = None,
        values: Schema | None = None,
        item: Schema | None = None,
        list_type: str = "",
        keys: tuple[str, ...] = (),
        map_type: str = "granular",
        **extra: Any,
    ) -> None:
        self.kind = kind
        self.fields = fields or {}
        self.values = values
        self.item = item
        self.list_type = list_type
        self.list_map_keys = keys
        self.map_type = map_type
        for k, v in extra.items():
            setattr(self, k, v)

    def field(self, name: str) -> Schema | None:
        return self.fields.get(name) if self.kind == "struct" else self.values

    def items(self) -> Schema | None:
        return self.item


def scalar(**extra: Any) -> Schema:
    return Schema("scalar", **extra)


def struct(map_type: str = "granular", **fields: Schema) -> Schema:
    return Schema("struct", fields=fields, map_type=map_type)


def string_map(map_type: str = "granular") -> Schema:
    return Schema("map", values=scalar(), map_type=map_type)


def list_of(item: Schema, list_type: str = "", keys: tuple[str, ...] = ()) -> Schema:
    return Schema("list", item=item, list_type=list_type, keys=keys)


def metadata_schema() -> Schema:
    return struct(
        name=scalar(), namespace=scalar(), uid=scalar(), resourceVersion=scalar(), generation=scalar(),
        creationTimestamp=scalar(), labels=string_map(), annotations=string_map(),
        finalizers=list_of(scalar(), "set"),
        managedFields=list_of(Schema("struct", fields={}, map_type="granular"), "atomic"),
    )


def container_schema() -> Schema:
    port = struct(containerPort=scalar(), protocol=scalar(default="TCP"), name=scalar())
    env = struct(name=scalar(), value=scalar())
    return struct(
        name=scalar(), image=scalar(), imagePullPolicy=scalar(),
        args=list_of(scalar(), "atomic"),
        ports=list_of(port, "map", ("containerPort", "protocol")),
        env=list_of(env, "map", ("name",)),
        resources=struct(limits=string_map(), requests=string_map()),
        securityContext=struct(runAsUser=scalar(), privileged=scalar()),
    )


def pod_spec_schema() -> Schema:
    return struct(
        containers=list_of(container_schema(), "map", ("name",)),
        nodeSelector=string_map("atomic"),
        tolerations=list_of(struct(key=scalar(), operator=scalar()), "atomic"),
        restartPolicy=scalar(),
    )


def deployment_schema() -> Schema:
    selector = struct("atomic", matchLabels=string_map())
    return struct(
        apiVersion=scalar(), kind=scalar(), metadata=metadata_schema(),
        spec=struct(
            replicas=scalar(), selector=selector, paused=scalar(),
            template=struct(metadata=metadata_schema(), spec=pod_spec_schema()),
        ),
        status=struct(replicas=scalar(), conditions=list_of(struct(type=scalar(), status=scalar()), "map",
                                                            ("type",))),
    )


def configmap_schema() -> Schema:
    return struct(apiVersion=scalar(), kind=scalar(), metadata=metadata_schema(), data=string_map(),
                  binaryData=string_map(), immutable=scalar())


def paths(fs: FieldSet) -> list[str]:
    return [path_string(p) for p in fs.paths()]


def compact(d: Any) -> str:
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


F = PathElement.field

# ---------------------------------------------------------------------------------------------------------------
# Path elements (upstream fieldpath/serialize-pe_test.go)
# ---------------------------------------------------------------------------------------------------------------

ROUND_TRIPS = [
    ("i:0", PathElement.index(0), None),
    ("i:1234", PathElement.index(1234), None),
    ("f:", F(""), None),
    ("f:spec", F("spec"), None),
    ("f:more-complicated-string", F("more-complicated-string"), None),
    ("f: string-with-spaces   ", F(" string-with-spaces   "), None),
    ('k:{"name":"my-container"}', PathElement.key({"name": "my-container"}), None),
    ('k:{"name":"   name with spaces   "}', PathElement.key({"name": "   name with spaces   "}), None),
    ('k:{"port":"8080","protocol":"TCP"}', PathElement.key({"protocol": "TCP", "port": "8080"}), None),
    ('k:{"optionalField":null}', PathElement.key({"optionalField": None}), None),
    ('k:{"jsonField":{"A":1,"B":null,"C":"D","E":{"F":"G"}}}',
     PathElement.key({"jsonField": {"A": 1.0, "B": None, "C": "D", "E": {"F": "G"}}}), None),
    ('k:{"listField":["1","2","3"]}', PathElement.key({"listField": ["1", "2", "3"]}), None),
    ("v:null", PathElement.of_value(None), None),
    ('v:"some-string"', PathElement.of_value("some-string"), None),
    ("v:1234", PathElement.of_value(1234.0), None),
    ('v:{"some":"json"}', PathElement.of_value({"some": "json"}), None),
    ('v:{"some":" some  with spaces  "}', PathElement.of_value({"some": " some  with spaces  "}), None),
    ('k:{"name":"app-🚀"}', PathElement.key({"name": "app-🚀"}), None),
    ('k:{"name":"你好世界"}', PathElement.key({"name": "你好世界"}), None),
    ('k:{"name":"Привет, мир"}', PathElement.key({"name": "Привет, мир"}), None),
    ("f:spec-🚀", F("spec-🚀"), None),
    ("f:spec-\\n", F("spec-\\n"), None),
    ('k:{"duplicate":"1","duplicate":"2"}', PathElement.key([("duplicate", "1"), ("duplicate", "2")]), None),
    ('v:{"duplicate":"1","duplicate":"2"}', PathElement.of_value({"duplicate": "2"}), 'v:{"duplicate":"2"}'),
]


@pytest.mark.parametrize(("text", "element", "output"), ROUND_TRIPS, ids=[t[0] for t in ROUND_TRIPS])
def test_path_element_round_trip(text: str, element: PathElement, output: str | None) -> None:
    pe = parse_path_element(text)
    assert pe == element
    assert serialize_path_element(pe) == (output or text)


BAD_ELEMENTS = [
    "", "no-colon", "i:index is not a number", "i:1.23", "i:", "v:invalid json", "v:", "k:invalid json",
    'k:{"name":invalid}', r'v:{"some":" \x41"}', "v", "k", "f", "i", 'v:{"a":"b"', 'k:{"a":"b"', "i: 0",
    "i:0 ", 'v:{"some":"json"} {"other":"json"}', 'k:{"name":"my-container"} {"other":"my-container"}',
    'v:{"some":"json"} garbage', 'k:{"name":"my-container"} garbage', "v:NaN", 'k:"string"',
]


@pytest.mark.parametrize("text", BAD_ELEMENTS)
def test_bad_path_elements_are_errors(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_path_element(text)
    assert not isinstance(info.value, UnknownPathElementError)


def test_unknown_path_element_type() -> None:
    with pytest.raises(UnknownPathElementError):
        parse_path_element("r:Hello")


@pytest.mark.parametrize(("text", "element"), [
    ('v: {"some":"json"}', PathElement.of_value({"some": "json"})),
    ('k: {"name":"my-container"}', PathElement.key({"name": "my-container"})),
    ('v:{"some":"json"} ', PathElement.of_value({"some": "json"})),
    ('k:{"name\\u002dcontainer":"my-container"}', PathElement.key({"name-container": "my-container"})),
    ('k:{"name-\\ud83d\\ude80":"my-container"}', PathElement.key({"name-🚀": "my-container"})),
    ('v:"value\\nwith\\nnewlines"', PathElement.of_value("value\nwith\nnewlines")),
    ("k:{}", PathElement.key({})),
    ("k:null", PathElement.key({})),
    ("k: null ", PathElement.key({})),
])
def test_path_element_lenient_parsing(text: str, element: PathElement) -> None:
    assert parse_path_element(text) == element


def test_path_element_order_and_text() -> None:
    elements = [PathElement.index(0), PathElement.of_value(True), PathElement.of_value("a"),
                PathElement.of_value(2), PathElement.of_value(1.5), PathElement.key({"name": "b"}),
                PathElement.key({"name": "a"}), F("z"), F("a")]
    assert [serialize_path_element(pe) for pe in sorted(elements)] == [
        "f:a", "f:z", 'k:{"name":"a"}', 'k:{"name":"b"}', "v:1.5", "v:2", 'v:"a"', "v:true", "i:0"]
    path = (F("spec"), F("containers"), PathElement.key({"name": "nginx"}), F("ports"),
            PathElement.key({"containerPort": 80, "protocol": "TCP"}), F("x"), PathElement.of_value("v"),
            PathElement.index(3))
    assert path_string(path) == '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"].x[="v"][3]'


def test_numbers_compare_across_int_and_float_but_not_bool() -> None:
    assert PathElement.of_value(80) == PathElement.of_value(80.0)
    assert PathElement.of_value(1) != PathElement.of_value(True)
    assert values_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not values_equal({"a": 1}, {"a": 1, "b": None})
    assert go_json({"z": 80.0, "a": "<&>", "f": 1e-7, "l": [None, True]}) == \
        '{"a":"\\u003c\\u0026\\u003e","f":1e-7,"l":[null,true],"z":80}'


# ---------------------------------------------------------------------------------------------------------------
# FieldsV1 (upstream fieldpath/serialize_test.go golden data)
# ---------------------------------------------------------------------------------------------------------------

GOLDEN_V1 = [
    r'{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\"name\":\"first\"}":{},"k:{\"name\":\"second\"}":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\"aa\"":{},"v:\"ab\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}',  # noqa: E501
    r'{"f:aaa":{"k:{\"name\":\"second\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":{"k:{\"port\":443,\"protocol\":\"udp\"}":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"k:{\"name\":\"first\"}":{}},"f:aac":{"f:aaa":{"v:1":{}},"f:aac":{},"v:3":{"k:{\"name\":\"second\"}":{}}},"f:aad":{"f:aac":{"v:1":{}},"f:aaf":{"k:{\"name\":\"first\"}":{"k:{\"name\":\"first\"}":{}}},"i:1":{"i:1":{},"i:3":{"v:true":{}}}},"f:aae":{"f:aae":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:4":{"f:aaf":{}}},"f:aaf":{"i:1":{"f:aac":{}},"i:2":{},"i:3":{}},"k:{\"name\":\"first\"}":{"f:aad":{"f:aaf":{}}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"f:aaa":{"f:aad":{}}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"f:aac":{},"k:{\"name\":\"first\"}":{"i:3":{}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"i:4":{}}},"v:1":{"f:aac":{"i:4":{}},"f:aaf":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{}},"v:2":{"f:aad":{"f:aaf":{}},"i:1":{}},"v:3":{"f:aaa":{},"k:{\"name\":\"first\"}":{},"i:2":{}},"v:\"aa\"":{"f:aab":{"f:aaf":{}},"f:aae":{},"k:{\"name\":\"first\"}":{"f:aad":{}},"i:2":{}},"v:\"ab\"":{"f:aaf":{"i:4":{}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:1":{"f:aae":{"i:4":{}}}},"v:true":{"k:{\"name\":\"second\"}":{"f:aaa":{}},"i:2":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{"v:1":{}}}},"i:1":{"i:3":{"f:aaf":{}}},"i:2":{"f:aae":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"v:1":{}}},"i:3":{"f:aab":{"v:true":{"v:\"aa\"":{}}},"f:aaf":{},"i:1":{}},"i:4":{"v:\"aa\"":{"f:aab":{"k:{\"name\":\"second\"}":{}}}}}',  # noqa: E501
]


@pytest.mark.parametrize("golden", GOLDEN_V1, ids=["flat", "nested"])
def test_fields_v1_golden_round_trip(golden: str) -> None:
    fs = parse_fields_v1(json.loads(golden))
    assert compact(fields_v1(fs)) == golden
    assert parse_fields_v1(json.loads(compact(fields_v1(fs)))) == fs


def test_fields_v1_golden_reordered_input_is_written_canonically() -> None:
    golden = GOLDEN_V1[0]
    shuffled = dict(reversed(list(json.loads(golden).items())))
    assert compact(fields_v1(parse_fields_v1(shuffled))) == golden


def test_fields_v1_drops_unknown_elements() -> None:
    assert compact(fields_v1(parse_fields_v1({"f:aaa": {}, "r:aab": {}}))) == '{"f:aaa":{}}'


def test_fields_v1_self_marker_comes_last() -> None:
    fs = FieldSet([(F("metadata"), F("labels")), (F("metadata"), F("labels"), F("app")),
                   (F("spec"), F("replicas"))])
    assert compact(fields_v1(fs)) == '{"f:metadata":{"f:labels":{"f:app":{},".":{}}},"f:spec":{"f:replicas":{}}}'
    assert parse_fields_v1({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}).has((F("metadata"), F("labels")))
    assert parse_fields_v1({"f:a": {".": {}}}) == FieldSet([(F("a"),)])
    assert fields_v1(FieldSet()) == {}
    assert parse_fields_v1(None) == FieldSet()


@pytest.mark.parametrize("bad", [{"f:a": []}, {"i:x": {}}, {"f:a": {"k:[": {}}}])
def test_fields_v1_malformed(bad: dict) -> None:
    with pytest.raises(ValueError):
        parse_fields_v1(bad)


# ---------------------------------------------------------------------------------------------------------------
# Set algebra (upstream fieldpath/set.go semantics)
# ---------------------------------------------------------------------------------------------------------------

A, AB, ABC, AC, D = (F("a"),), (F("a"), F("b")), (F("a"), F("b"), F("c")), (F("a"), F("c")), (F("d"),)


@pytest.mark.parametrize(("op", "left", "right", "expected"), [
    ("union", [AB], [AC, D], [".d", ".a.b", ".a.c"]),
    ("intersection", [AB, AC, D], [AC, A], [".a.c"]),
    ("difference", [AB, AC, D], [AC, D], [".a.b"]),
    ("difference", [ABC], [AB], [".a.b.c"]),          # parent - child = parent; a member doesn't remove below
    ("recursive_difference", [ABC, D], [AB], [".d"]),  # ...but a recursive difference does
    ("recursive_difference", [AB, AC], [AC], [".a.b"]),
], ids=["union", "intersection", "difference", "difference-keeps-children", "recursive", "recursive-leaf"])
def test_set_algebra(op: str, left: list, right: list, expected: list[str]) -> None:
    assert paths(getattr(FieldSet(left), op)(FieldSet(right))) == expected


def test_set_queries() -> None:
    fs = FieldSet([A, AB, ABC])
    assert fs.has(AB) and not fs.has(AC) and not fs.has(())
    assert paths(fs.leaves()) == [".a.b.c"]
    assert paths(fs.with_prefix(F("a"))) == [".b", ".b.c"]
    assert fs.with_prefix(F("zzz")).empty()
    assert FieldSet([AB]).difference(FieldSet([AB])).empty()
    assert fs.size() == 3
    assert FieldSet([A]) != FieldSet([AB])


# ---------------------------------------------------------------------------------------------------------------
# to_field_set
# ---------------------------------------------------------------------------------------------------------------

NGINX_DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["x/y"]},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{
                    "name": "nginx", "image": "nginx:1.27", "args": ["-g", "daemon off;"],
                    "ports": [{"containerPort": 80}], "resources": {},
                }],
                "nodeSelector": {"disk": "ssd"},
            },
        },
    },
}

NGINX_FIELDS_V1 = {
    "f:apiVersion": {},
    "f:kind": {},
    "f:metadata": {"f:finalizers": {'v:"x/y"': {}}, "f:labels": {"f:app": {}}, "f:name": {}},
    "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:containers": {
                    'k:{"name":"nginx"}': {
                        "f:args": {}, "f:image": {}, "f:name": {},
                        "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {"f:containerPort": {}, ".": {}}},
                        ".": {},
                    },
                },
                "f:nodeSelector": {},
            },
        },
    },
}


def test_deployment_field_set_and_fields_v1() -> None:
    fs = to_field_set(NGINX_DEPLOYMENT, deployment_schema())
    assert fields_v1(fs) == NGINX_FIELDS_V1
    # Key order is upstream's byte order, "." last.
    container = fields_v1(fs)["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert list(container) == ["f:args", "f:image", "f:name", "f:ports", "."]
    assert '.spec.template.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"]' in paths(fs)
    assert ".spec.template" not in paths(fs)
    assert ".spec.template.spec.containers[name=\"nginx\"].resources" not in paths(fs)  # empty struct: nothing


@pytest.mark.parametrize(("obj", "schema", "expected"), [
    ({"data": {"a": "1", "b": None}}, configmap_schema(), [".data.a", ".data.b"]),
    ({"immutable": None}, configmap_schema(), [".immutable"]),
    ({"data": None, "metadata": None}, configmap_schema(), []),
    ({"a": {"b": [1, {"c": 2}]}, "d": None}, None, [".a", ".d", ".a.b"]),
    ({"data": {"a": "1"}, "extra": {"x": 1}}, configmap_schema(), [".extra", ".data.a", ".extra.x"]),
    ({"spec": {"selector": None}}, deployment_schema(), [".spec.selector"]),
    ({"spec": {"template": {"spec": {"tolerations": []}}}}, deployment_schema(), [".spec.template.spec.tolerations"]),
], ids=["map-keys", "null-scalar", "null-containers", "untyped", "unknown-field", "null-atomic", "empty-atomic"])
def test_field_set_cases(obj: dict, schema: Schema | None, expected: list[str]) -> None:
    assert paths(to_field_set(obj, schema)) == expected


@pytest.mark.parametrize(("containers", "message"), [
    ([{"image": "x"}], '.spec.template.spec.containers: element 0: associative list with keys has an element '
                       'that omits key field "name" (and doesn\'t have default value)'),
    ([None], ".spec.template.spec.containers: element 0: associative list with keys may not have a null element"),
    (["x"], ".spec.template.spec.containers: element 0: associative list with keys may not have non-map elements"),
])
def test_unidentifiable_list_items(containers: list, message: str) -> None:
    obj = {"spec": {"template": {"spec": {"containers": containers}}}}
    with pytest.raises(TypedError) as info:
        to_field_set(obj, deployment_schema())
    assert str(info.value) == message


@pytest.mark.parametrize(("item", "message"), [
    ({"a": 1}, "associative list without keys has an element that's a map type"),
    ([1], "not supported: associative list with lists as elements"),
    (None, "associative list without keys has an element that's an explicit null"),
])
def test_unidentifiable_set_items(item: Any, message: str) -> None:
    with pytest.raises(TypedError) as info:
        to_field_set({"metadata": {"finalizers": ["ok", item]}}, configmap_schema())
    assert str(info.value) == f".metadata.finalizers: element 1: {message}"


def test_key_defaults() -> None:
    bare = struct(ports=list_of(struct(port=scalar(), protocol=scalar()), "map", ("port", "protocol")))
    assert paths(to_field_set({"ports": [{"port": 1}]}, bare)) == ['.ports[port=1,protocol="TCP"]',
                                                                   '.ports[port=1,protocol="TCP"].port']
    no_default = struct(ports=list_of(struct(port=scalar(), protocol=scalar(default=None)), "map",
                                      ("port", "protocol")))
    with pytest.raises(TypedError, match='omits key field "protocol"'):
        to_field_set({"ports": [{"port": 1}]}, no_default)
    other = struct(items=list_of(struct(k=scalar(default="dflt")), "map", ("k",)))
    assert paths(to_field_set({"items": [{}]}, other)) == ['.items[k="dflt"]']


# ---------------------------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------------------------


def _cmp(old: Any, new: Any, schema: Schema | None = None, **kw: Any) -> tuple[list[str], list[str], list[str]]:
    c = compare(old, new, schema if schema is not None else deployment_schema(), **kw)
    return paths(c.added), paths(c.modified), paths(c.removed)


def test_compare_leaves_and_map_keys() -> None:
    old = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}}
    new = {"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"replicas": 2.0, "paused": True}}
    assert _cmp(old, new) == (
        [".metadata.labels.c", ".spec.paused"], [".spec.replicas"], [".metadata.labels.b"])
    assert compare(old, old, deployment_schema()).is_same()
    assert compare({"spec": {"replicas": 1}}, {"spec": {"replicas": 1.0}}, deployment_schema()).is_same()


def test_compare_records_containers_that_appear_or_vanish() -> None:
    old = {"metadata": {"name": "x"}}
    new = {"metadata": {"name": "x", "labels": {"app": "y"}}}
    assert _cmp(old, new) == ([".metadata.labels", ".metadata.labels.app"], [], [])
    assert _cmp(new, old) == ([], [], [".metadata.labels", ".metadata.labels.app"])


def test_compare_go_zero_values() -> None:
    new = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "resources": {}}]}}}}
    item = '.spec.template.spec.containers[name="c"]'
    # Value structs (spec, template...) exist in upstream's zero object; the containers list does not unless the
    # schema says Go always serializes it.
    added, _, _ = _cmp({}, new)
    assert added == [".spec.replicas", ".spec.template.spec.containers", item, item + ".name", item + ".resources"]
    schema = deployment_schema()
    schema.fields["spec"].fields["template"].fields["spec"].fields["containers"].always_present = True
    added, _, _ = _cmp({}, new, schema)
    assert added == [".spec.replicas", item, item + ".name", item + ".resources"]
    added, _, _ = _cmp({}, new, go_zero_values=False)
    assert ".spec" in added and ".spec.template" in added
    explicit = struct(spec=Schema("struct", fields={"a": scalar()}, always_present=False))
    assert _cmp({}, {"spec": {"a": 1}}, explicit)[0] == [".spec", ".spec.a"]


def test_compare_lists() -> None:
    old = {"spec": {"template": {"spec": {"tolerations": [{"key": "a"}], "containers": [
        {"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}}}
    new = {"spec": {"template": {"spec": {"tolerations": [{"key": "b"}], "containers": [
        {"name": "b", "image": "2"}, {"name": "c"}]}}}}
    added, modified, removed = _cmp(old, new)
    assert added == ['.spec.template.spec.containers[name="c"]', '.spec.template.spec.containers[name="c"].name']
    assert modified == [".spec.template.spec.tolerations", '.spec.template.spec.containers[name="b"].image']
    assert removed == ['.spec.template.spec.containers[name="a"]', '.spec.template.spec.containers[name="a"].image',
                       '.spec.template.spec.containers[name="a"].name']


def test_compare_exclude() -> None:
    c = compare({"spec": {"replicas": 1}, "status": {"replicas": 1}},
                {"spec": {"replicas": 2}, "status": {"replicas": 3}}, deployment_schema())
    assert paths(c.exclude(FieldSet([(F("status"),)])).modified) == [".spec.replicas"]
    assert c.exclude(None) is c


def test_key_elements_are_shared_but_keep_value_types_apart():
    a = PathElement.key({"type": "Ready"})
    assert PathElement.key([("type", "Ready")]) is a
    # 1 == True in Python, not in JSON: distinct elements, distinct FieldsV1 keys
    one, true = PathElement.key({"port": 1}), PathElement.key({"port": True})
    assert one != true and serialize_path_element(one) == 'k:{"port":1}'
    assert serialize_path_element(true) == 'k:{"port":true}'
    # several key fields are sorted by name; a map as key value is not memoised but still works
    assert serialize_path_element(PathElement.key({"protocol": "TCP", "containerPort": 80})) == \
        'k:{"containerPort":80,"protocol":"TCP"}'
    assert PathElement.key({"k": {"x": 1}}) == PathElement.key({"k": {"x": 1}})
