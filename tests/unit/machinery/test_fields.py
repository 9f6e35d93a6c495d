"""Field selector parsing (with upstream's escaping rules) and matching."""

from __future__ import annotations

import pytest

from kybernetes.machinery.fields import FieldSelector, escape_value, parse_field_selector, unescape_value

PARSE_CASES = [
    pytest.param("", (), "", id="empty"),
    pytest.param(",", (), "", id="only-comma"),
    pytest.param("metadata.name=web", (("metadata.name", "=", "web"),), "metadata.name=web", id="equals"),
    pytest.param("metadata.name==web", (("metadata.name", "=", "web"),), "metadata.name=web", id="double-equals"),
    pytest.param("status.phase!=Running", (("status.phase", "!=", "Running"),), "status.phase!=Running",
                 id="not-equals"),
    pytest.param(
        "status.phase!=Running,metadata.name=web",
        (("metadata.name", "=", "web"), ("status.phase", "!=", "Running")),
        "metadata.name=web,status.phase!=Running",
        id="sorted",
    ),
    pytest.param("spec.nodeName=", (("spec.nodeName", "=", ""),), "spec.nodeName=", id="empty-value"),
    pytest.param("a=b,,c=d", (("a", "=", "b"), ("c", "=", "d")), "a=b,c=d", id="empty-term-skipped"),
    pytest.param(r"a=x\,y", (("a", "=", "x,y"),), r"a=x\,y", id="escaped-comma"),
    pytest.param(r"a=x\=y", (("a", "=", "x=y"),), r"a=x\=y", id="escaped-equals"),
    pytest.param(r"a=x\\y", (("a", "=", "x\\y"),), r"a=x\\y", id="escaped-backslash"),
    pytest.param(r"a=\\,b=c", (("a", "=", "\\"), ("b", "=", "c")), r"a=\\,b=c", id="escaped-backslash-then-comma"),
    pytest.param("a!b=c", (("a!b", "=", "c"),), "a!b=c", id="bang-in-field"),
    pytest.param("a=!b", (("a", "=", "!b"),), "a=!b", id="bang-in-value"),
]


@pytest.mark.parametrize(("text", "reqs", "canonical"), PARSE_CASES)
def test_parse(text: str, reqs: tuple, canonical: str) -> None:
    sel = parse_field_selector(text)
    assert sel.requirements == reqs
    assert str(sel) == canonical
    assert sel.empty is (reqs == ())
    assert parse_field_selector(canonical) == sel


ERROR_CASES = [
    pytest.param("name", "invalid selector: 'name'; can't understand 'name'", id="no-operator"),
    pytest.param("a=b,name", "invalid selector: 'a=b,name'; can't understand 'name'", id="second-term"),
    pytest.param("a==b=c", "invalid field selector: unescaped character in value: 61", id="unescaped-equals"),
    pytest.param("a=b=c", "invalid field selector: unescaped character in value: 61", id="unescaped-equals-2"),
    pytest.param(r"a=b\c", "invalid field selector: invalid escape sequence: \\c", id="bad-escape"),
    pytest.param("a=b\\", "invalid field selector: invalid escape sequence: \\", id="trailing-backslash"),
]


@pytest.mark.parametrize(("text", "message"), ERROR_CASES)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_field_selector(text)
    assert str(info.value) == message


MATCH_CASES = [
    pytest.param("metadata.name=web", {"metadata.name": "web"}, True, id="eq-hit"),
    pytest.param("metadata.name=web", {"metadata.name": "api"}, False, id="eq-miss"),
    pytest.param("spec.nodeName=", {}, True, id="missing-is-empty"),
    pytest.param("spec.nodeName!=", {}, False, id="missing-not-empty"),
    pytest.param("spec.nodeName!=", {"spec.nodeName": "n1"}, True, id="set-not-empty"),
    pytest.param("status.phase!=Running", {}, True, id="neq-missing"),
    pytest.param("a=1,b!=2", {"a": "1", "b": "3"}, True, id="and-hit"),
    pytest.param("a=1,b!=2", {"a": "1", "b": "2"}, False, id="and-miss"),
    pytest.param("a=1,b=2,c=3", {"a": "1", "b": "2", "c": "3"}, True, id="three-terms"),
    pytest.param("", {"a": "1"}, True, id="empty-matches-all"),
]


@pytest.mark.parametrize(("text", "fields", "expected"), MATCH_CASES)
def test_matches(text: str, fields: dict[str, str], expected: bool) -> None:
    assert parse_field_selector(text).matches(fields) is expected


def test_requires_exact_match() -> None:
    sel = parse_field_selector("metadata.name=web,metadata.namespace!=kube-system")
    assert sel.requires_exact_match("metadata.name") == "web"
    assert sel.requires_exact_match("metadata.namespace") is None
    assert sel.requires_exact_match("spec.nodeName") is None


def test_transform() -> None:
    sel = parse_field_selector("involvedObject.name=x,source=kubelet")
    renamed = sel.transform(lambda f, v: ("reportingController" if f == "source" else f, v))
    assert renamed.requirements == (("involvedObject.name", "=", "x"), ("reportingController", "=", "kubelet"))

    def reject(field: str, value: str) -> tuple[str, str]:
        raise ValueError(f'field label not supported: {field}')

    with pytest.raises(ValueError, match="field label not supported: involvedObject.name"):
        sel.transform(reject)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param("plain", "plain", id="plain"),
        pytest.param("a,b=c\\d", "a\\,b\\=c\\\\d", id="all-specials"),
        pytest.param("", "", id="empty"),
    ],
)
def test_escape_round_trip(raw: str, escaped: str) -> None:
    assert escape_value(raw) == escaped
    assert unescape_value(escaped) == raw


def test_selector_equality() -> None:
    assert parse_field_selector("b=1,a=2") == parse_field_selector("a=2,b==1")
    assert FieldSelector() == parse_field_selector("")
