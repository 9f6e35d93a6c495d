"""Label selector parsing, validation, matching and LabelSelector conversion, checked against upstream texts."""

from __future__ import annotations

import time

import pytest

from kybernetes.machinery.labels import (
    Requirement,
    Selector,
    new_requirement,
    parse_selector,
    selector_from_dict,
    selector_from_set,
    validate_label_key,
    validate_label_value,
)

QNAME_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
OPERATORS = "in, notin, =, ==, !=, gt, lt"

# --------------------------------------------------------------------------------------------------------------
# parsing: canonical string and requirements
# --------------------------------------------------------------------------------------------------------------

PARSE_CASES = [
    pytest.param("", "", id="empty"),
    pytest.param("   ", "", id="blank"),
    pytest.param("x=a", "x=a", id="equals"),
    pytest.param("x==a", "x==a", id="double-equals"),
    pytest.param("x!=a", "x!=a", id="not-equals"),
    pytest.param("x", "x", id="exists"),
    pytest.param("!x", "!x", id="does-not-exist"),
    pytest.param("x in (b,a)", "x in (a,b)", id="in-sorted"),
    pytest.param("x notin (a)", "x notin (a)", id="notin"),
    pytest.param("x in (a,a,b)", "x in (a,b)", id="in-dedup"),
    pytest.param("y=b,x=a", "x=a,y=b", id="sorted-by-key"),
    pytest.param("  x  =  a  ,  y  ", "x=a,y", id="whitespace"),
    pytest.param("x\t=\na\r,y", "x=a,y", id="other-whitespace"),
    pytest.param("x=", "x=", id="empty-value"),
    pytest.param("x=,y=b", "x=,y=b", id="empty-value-then-more"),
    pytest.param("x in ()", "x in ()", id="in-empty-parens"),
    pytest.param("x in (,a)", "x in (,a)", id="in-leading-empty"),
    pytest.param("x in (a,)", "x in (,a)", id="in-trailing-empty"),
    pytest.param("x in (a,,b)", "x in (,a,b)", id="in-middle-empty"),
    pytest.param("x>1", "x>1", id="gt"),
    pytest.param("x<10", "x<10", id="lt"),
    pytest.param("in in (in,notin)", "in in (in,notin)", id="keywords-as-identifiers"),
    pytest.param("example.com/app=web", "example.com/app=web", id="prefixed-key"),
    pytest.param("a=1,a!=2", "a=1,a!=2", id="same-key-kept-in-order"),
    pytest.param("!x,x", "!x,x", id="contradiction-kept"),
]


@pytest.mark.parametrize(("text", "canonical"), PARSE_CASES)
def test_parse_canonical(text: str, canonical: str) -> None:
    sel = parse_selector(text)
    assert str(sel) == canonical
    assert parse_selector(canonical) == sel


def test_parse_requirements() -> None:
    sel = parse_selector("tier notin (cache), app=web, env in (prod,dev), !legacy, release")
    assert sel.requirements == (
        Requirement("app", "=", ("web",)),
        Requirement("env", "in", ("dev", "prod")),
        Requirement("legacy", "!", ()),
        Requirement("release", "exists", ()),
        Requirement("tier", "notin", ("cache",)),
    )
    assert not sel.empty


def test_empty_selector_is_everything() -> None:
    sel = parse_selector("")
    assert sel.empty and sel.requirements == () and sel == Selector.everything()
    assert sel.matches({}) and sel.matches({"a": "b"}) and sel.matches(None)


# --------------------------------------------------------------------------------------------------------------
# parse errors
# --------------------------------------------------------------------------------------------------------------

ERROR_CASES = [
    pytest.param("x=a,", "found '', expected: identifier after ','", id="trailing-comma"),
    pytest.param(",", "found ',', expected: !, identifier, or 'end of string'", id="leading-comma"),
    pytest.param("x=a b", "found 'b', expected: ',' or 'end of string'", id="two-values"),
    pytest.param("x=a=b", "found '=', expected: ',' or 'end of string'", id="double-operator"),
    pytest.param("!x=a", "found '=', expected: ',' or 'end of string'", id="negated-with-value"),
    pytest.param("x y", f"unable to parse requirement: found 'y', expected: {OPERATORS}", id="missing-operator"),
    pytest.param("x!", f"unable to parse requirement: found '!', expected: {OPERATORS}", id="bang-after-key"),
    pytest.param("!", "unable to parse requirement: found '', expected: identifier", id="bare-bang"),
    pytest.param("(a)", "found '(', expected: !, identifier, or 'end of string'", id="open-paren"),
    pytest.param("!=a", "found '!=', expected: !, identifier, or 'end of string'", id="not-equals-first"),
    pytest.param(
        "x<-1",
        f'unable to parse requirement: values[0][x]: Invalid value: "-1": {VALUE_RULE}',
        id="negative-bound-is-not-a-label-value",
    ),
    pytest.param("x in a", "unable to parse requirement: found 'a' expected: '('", id="in-without-parens"),
    pytest.param("x in (a", "unable to parse requirement: found '', expected: ',' or ')'", id="unclosed"),
    pytest.param("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'", id="in-space"),
    pytest.param("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier",
                 id="in-operator"),
    pytest.param("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier",
                 id="in-operator-after-comma"),
    pytest.param("x=(a)", "unable to parse requirement: found '(', expected: identifier", id="paren-value"),
    pytest.param(
        "x>a",
        "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be "
        "an integer",
        id="gt-not-integer",
    ),
    pytest.param(
        "x=-a",
        f'unable to parse requirement: values[0][x]: Invalid value: "-a": {VALUE_RULE}',
        id="bad-value",
    ),
    pytest.param(
        "a/b/c=x",
        f'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name {QNAME_RULE} with an '
        "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        id="bad-key-slashes",
    ),
    pytest.param("-x", f'unable to parse requirement: <nil>: Invalid value: "-x": name part {QNAME_RULE}',
                 id="bad-key-name"),
    pytest.param(
        "Bad.Prefix/x",
        f'unable to parse requirement: <nil>: Invalid value: "Bad.Prefix/x": prefix part {SUBDOMAIN_RULE}',
        id="bad-key-prefix",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERROR_CASES)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_selector(text)
    assert str(info.value) == message


# --------------------------------------------------------------------------------------------------------------
# matching
# --------------------------------------------------------------------------------------------------------------

MATCH_CASES = [
    pytest.param("x=a", {"x": "a"}, True, id="eq-hit"),
    pytest.param("x=a", {"x": "b"}, False, id="eq-miss"),
    pytest.param("x=a", {}, False, id="eq-missing"),
    pytest.param("x==a", {"x": "a"}, True, id="deq-hit"),
    pytest.param("x=", {"x": ""}, True, id="eq-empty-hit"),
    pytest.param("x=", {}, False, id="eq-empty-missing"),
    pytest.param("x!=a", {"x": "b"}, True, id="neq-other"),
    pytest.param("x!=a", {}, True, id="neq-missing"),
    pytest.param("x!=a", {"x": "a"}, False, id="neq-same"),
    pytest.param("x in (a,b)", {"x": "b"}, True, id="in-hit"),
    pytest.param("x in (a,b)", {"x": "c"}, False, id="in-miss"),
    pytest.param("x in (a,b)", {}, False, id="in-missing"),
    pytest.param("x notin (a,b)", {"x": "c"}, True, id="notin-other"),
    pytest.param("x notin (a,b)", {}, True, id="notin-missing"),
    pytest.param("x notin (a,b)", {"x": "a"}, False, id="notin-hit"),
    pytest.param("x", {"x": ""}, True, id="exists"),
    pytest.param("x", {"y": "x"}, False, id="exists-miss"),
    pytest.param("!x", {"y": "1"}, True, id="not-exists"),
    pytest.param("!x", {"x": "1"}, False, id="not-exists-miss"),
    pytest.param("x>5", {"x": "6"}, True, id="gt-hit"),
    pytest.param("x>5", {"x": "5"}, False, id="gt-equal"),
    pytest.param("x>5", {"x": "abc"}, False, id="gt-not-number"),
    pytest.param("x>5", {}, False, id="gt-missing"),
    pytest.param("x<5", {"x": "-10"}, True, id="lt-hit"),
    pytest.param("x<5", {"x": "5"}, False, id="lt-equal"),
    pytest.param("app=web,tier!=db,env in (prod)", {"app": "web", "tier": "fe", "env": "prod"}, True, id="and-hit"),
    pytest.param("app=web,tier!=db,env in (prod)", {"app": "web", "tier": "db", "env": "prod"}, False,
                 id="and-miss"),
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCH_CASES)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    sel = parse_selector(text)
    assert sel.matches(labels) is expected
    assert all(r.matches(labels) for r in sel.requirements) is expected


def test_nothing_selector() -> None:
    sel = Selector.nothing()
    assert not sel.matches({}) and not sel.matches({"a": "b"})
    assert not sel.empty and sel.matches_nothing
    assert str(sel) == ""
    assert sel.add(Requirement("a", "exists")) is sel


def test_requires_exact_match() -> None:
    sel = parse_selector("a=1,b in (2),c in (3,4),d!=5")
    assert sel.requires_exact_match("a") == "1"
    assert sel.requires_exact_match("b") == "2"
    assert sel.requires_exact_match("c") is None
    assert sel.requires_exact_match("d") is None
    assert sel.requires_exact_match("zzz") is None


def test_add_keeps_sorted() -> None:
    sel = parse_selector("b=1").add(Requirement("a", "=", ("2",)))
    assert str(sel) == "a=2,b=1"


def test_selector_from_set() -> None:
    assert selector_from_set(None).empty
    assert selector_from_set({}).empty
    sel = selector_from_set({"tier": "fe", "app": "web"})
    assert str(sel) == "app=web,tier=fe"
    assert sel.matches({"app": "web", "tier": "fe", "x": "y"})
    assert not sel.matches({"app": "web"})


def test_matching_is_fast() -> None:
    sel = parse_selector("app=web,tier!=db,env in (prod,staging),release,!legacy")
    objects = [{"app": "web" if i % 2 else "api", "tier": "fe", "env": "prod", "release": str(i)} for i in range(20000)]
    start = time.perf_counter()
    hits = sum(1 for labels in objects if sel.matches(labels))
    elapsed = time.perf_counter() - start
    assert hits == 10000
    assert elapsed < 2.0


# --------------------------------------------------------------------------------------------------------------
# LabelSelector objects
# --------------------------------------------------------------------------------------------------------------

FROM_DICT_CASES = [
    pytest.param({}, "", True, id="empty-object"),
    pytest.param({"matchLabels": {}, "matchExpressions": []}, "", True, id="empty-parts"),
    pytest.param({"matchLabels": {"tier": "fe", "app": "web"}}, "app=web,tier=fe", False, id="match-labels"),
    pytest.param(
        {"matchExpressions": [
            {"key": "env", "operator": "In", "values": ["stg", "prod"]},
            {"key": "legacy", "operator": "DoesNotExist"},
            {"key": "canary", "operator": "NotIn", "values": ["true"]},
            {"key": "app", "operator": "Exists", "values": []},
        ]},
        "app,canary notin (true),env in (prod,stg),!legacy",
        False,
        id="expressions",
    ),
    pytest.param(
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
        "app=web,app in (web)",
        False,
        id="both",
    ),
]


@pytest.mark.parametrize(("obj", "text", "empty"), FROM_DICT_CASES)
def test_selector_from_dict(obj: dict, text: str, empty: bool) -> None:
    sel = selector_from_dict(obj)
    assert str(sel) == text
    assert sel.empty is empty


def test_selector_from_none_selects_nothing() -> None:
    sel = selector_from_dict(None)
    assert sel == Selector.nothing()
    assert not sel.matches({})


def test_selector_from_dict_matches() -> None:
    sel = selector_from_dict(
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}
    )
    assert sel.matches({"app": "web"})
    assert sel.matches({"app": "web", "env": "prod"})
    assert not sel.matches({"app": "web", "env": "dev"})
    assert not sel.matches({"env": "prod"})


FROM_DICT_ERRORS = [
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Foo"}]}, '"Foo" is not a valid label selector operator',
                 id="bad-operator"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "In"}]},
                 "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
                 id="in-without-values"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]},
                 "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
                 id="notin-empty-values"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
                 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
                 id="exists-with-values"),
    pytest.param({"matchLabels": {"a b": "x"}}, f'key: Invalid value: "a b": name part {QNAME_RULE}', id="bad-key"),
    pytest.param({"matchLabels": {"app": "-x"}}, f'values[0][app]: Invalid value: "-x": {VALUE_RULE}',
                 id="bad-value"),
    pytest.param(
        {"matchExpressions": [{"key": "", "operator": "In", "values": []}]},
        "[key: Invalid value: \"\": name part must be non-empty; name part " + QNAME_RULE
        + ", values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]",
        id="aggregated",
    ),
]


@pytest.mark.parametrize(("obj", "message"), FROM_DICT_ERRORS)
def test_selector_from_dict_errors(obj: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        selector_from_dict(obj)
    assert str(info.value) == message


def test_new_requirement_unknown_operator() -> None:
    with pytest.raises(ValueError) as info:
        new_requirement("a", "like", ["x"])
    assert str(info.value) == (
        'operator: Unsupported value: "like": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", '
        '"exists", "!"'
    )


def test_requirement_is_value_object() -> None:
    assert Requirement("a", "in", ("x",)) == Requirement("a", "in", ("x",))
    assert str(Requirement("a", "in", ("y", "x"))) == "a in (x,y)"


# --------------------------------------------------------------------------------------------------------------
# key and value validation
# --------------------------------------------------------------------------------------------------------------

KEY_CASES = [
    pytest.param("app", [], id="simple"),
    pytest.param("app.kubernetes.io/name", [], id="prefixed"),
    pytest.param("A_b-c.D9", [], id="mixed-chars"),
    pytest.param("a" * 63, [], id="max-length"),
    pytest.param("a" * 64, ["name part must be no more than 63 characters"], id="too-long"),
    pytest.param("", ["name part must be non-empty", "name part " + QNAME_RULE], id="empty"),
    pytest.param("/a", ["prefix part must be non-empty"], id="empty-prefix"),
    pytest.param("a/", ["name part must be non-empty", "name part " + QNAME_RULE], id="empty-name"),
    pytest.param("Example.com/a", ["prefix part " + SUBDOMAIN_RULE], id="uppercase-prefix"),
    pytest.param("x" * 254 + "/a", ["prefix part must be no more than 253 characters"], id="long-prefix"),
    pytest.param("a_", ["name part " + QNAME_RULE], id="bad-end"),
    pytest.param(
        "a/b/c",
        ["a qualified name " + QNAME_RULE + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
        id="two-slashes",
    ),
]


@pytest.mark.parametrize(("key", "errs"), KEY_CASES)
def test_validate_label_key(key: str, errs: list[str]) -> None:
    assert validate_label_key(key) == errs


VALUE_CASES = [
    pytest.param("", [], id="empty"),
    pytest.param("v1.2_3-x", [], id="valid"),
    pytest.param("a" * 63, [], id="max-length"),
    pytest.param("a" * 64, ["must be no more than 63 characters"], id="too-long"),
    pytest.param("-a", [VALUE_RULE], id="bad-start"),
    pytest.param("a b", [VALUE_RULE], id="space"),
    pytest.param("é", [VALUE_RULE], id="non-ascii"),
]


@pytest.mark.parametrize(("value", "errs"), VALUE_CASES)
def test_validate_label_value(value: str, errs: list[str]) -> None:
    assert validate_label_value(value) == errs


def test_selector_from_dict_remembers_by_content_and_keeps_raising():
    d = {"matchLabels": {"app": "web"}}
    first = selector_from_dict(d)
    assert selector_from_dict({"matchLabels": {"app": "web"}}) is first  # same content: the same Selector
    d["matchLabels"]["app"] = "db"  # the caller's dict changed: its new content is converted
    assert selector_from_dict(d).matches({"app": "db"}) and not selector_from_dict(d).matches({"app": "web"})
    bad = {"matchLabels": {"a b": "x"}}
    for _ in range(2):  # a remembered error is raised again, every time
        with pytest.raises(ValueError, match='key: Invalid value: "a b"'):
            selector_from_dict(bad)
    # the first bad entry (in the object's order) is the one reported, as without the memo
    with pytest.raises(ValueError, match='"c d"'):
        selector_from_dict({"matchLabels": {"c d": "x", "a b": "x"}})
