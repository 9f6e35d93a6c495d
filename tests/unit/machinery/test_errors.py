"""Status errors and field errors render exactly as upstream's apierrors / field packages."""

from __future__ import annotations

import orjson
import pytest

from kybernetes.machinery import errors as E
from kybernetes.machinery.errors import FieldPath, StatusError

# --------------------------------------------------------------------------------------------------------------
# StatusError constructors
# --------------------------------------------------------------------------------------------------------------

STATUS_CASES = [
    pytest.param(
        E.not_found("", "pods", "x"),
        404,
        "NotFound",
        'pods "x" not found',
        {"name": "x", "kind": "pods"},
        id="not_found-core",
    ),
    pytest.param(
        E.not_found("apps", "deployments", "x"),
        404,
        "NotFound",
        'deployments.apps "x" not found',
        {"name": "x", "group": "apps", "kind": "deployments"},
        id="not_found-grouped",
    ),
    pytest.param(
        E.already_exists("", "configmaps", "demo"),
        409,
        "AlreadyExists",
        'configmaps "demo" already exists',
        {"name": "demo", "kind": "configmaps"},
        id="already_exists",
    ),
    pytest.param(
        E.generate_name_conflict("", "pods", "web-abcde", 1),
        409,
        "AlreadyExists",
        'pods "web-abcde" already exists, the server was not able to generate a unique name for the object',
        {"name": "web-abcde", "kind": "pods", "retryAfterSeconds": 1},
        id="generate_name_conflict",
    ),
    pytest.param(
        E.conflict("", "configmaps", "demo", E.OPTIMISTIC_LOCK_ERROR_MSG),
        409,
        "Conflict",
        'Operation cannot be fulfilled on configmaps "demo": the object has been modified; please apply your '
        "changes to the latest version and try again",
        {"name": "demo", "kind": "configmaps"},
        id="conflict",
    ),
    pytest.param(E.bad_request("bad"), 400, "BadRequest", "bad", None, id="bad_request"),
    pytest.param(E.expired("too old resource version: 1 (5)"), 410, "Expired", "too old resource version: 1 (5)", None, id="expired"),
    pytest.param(E.gone("gone away"), 410, "Gone", "gone away", None, id="gone"),
    pytest.param(
        E.request_entity_too_large("limit is 3145728"),
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
        None,
        id="request_entity_too_large",
    ),
    pytest.param(E.unauthorized(), 401, "Unauthorized", "Unauthorized", None, id="unauthorized-default"),
    pytest.param(E.unauthorized(""), 401, "Unauthorized", "not authorized", None, id="unauthorized-empty"),
    pytest.param(
        E.forbidden("", "pods", "x", 'User "bob" cannot get resource "pods" in API group "" in the namespace "default"'),
        403,
        "Forbidden",
        'pods "x" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "default"',
        {"name": "x", "kind": "pods"},
        id="forbidden-named",
    ),
    pytest.param(
        E.forbidden("apps", "deployments", "", "no"),
        403,
        "Forbidden",
        "deployments.apps is forbidden: no",
        {"group": "apps", "kind": "deployments"},
        id="forbidden-collection",
    ),
    pytest.param(
        E.forbidden("", "", "", 'User "system:anonymous" cannot get path "/"'),
        403,
        "Forbidden",
        'forbidden: User "system:anonymous" cannot get path "/"',
        {},
        id="forbidden-nonresource",
    ),
    pytest.param(
        E.method_not_supported("", "pods/log", "create"),
        405,
        "MethodNotAllowed",
        'create is not supported on resources of kind "pods/log"',
        {"kind": "pods/log"},
        id="method_not_supported",
    ),
    pytest.param(
        E.not_acceptable(["application/json", "application/yaml"]),
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml",
        None,
        id="not_acceptable",
    ),
    pytest.param(
        E.unsupported_media_type(["application/json-patch+json", "application/merge-patch+json"]),
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json",
        None,
        id="unsupported_media_type",
    ),
    pytest.param(
        E.internal_error("boom"),
        500,
        "InternalError",
        "Internal error occurred: boom",
        {"causes": [{"message": "boom"}]},
        id="internal_error",
    ),
    pytest.param(
        E.server_timeout("", "pods", "create", 2),
        500,
        "ServerTimeout",
        "The create operation against pods could not be completed at this time, please try again.",
        {"name": "create", "kind": "pods", "retryAfterSeconds": 2},
        id="server_timeout",
    ),
    pytest.param(E.timeout("request did not complete within 60s"), 504, "Timeout",
                 "Timeout: request did not complete within 60s", {}, id="timeout"),
    pytest.param(E.too_many_requests("slow down", 3), 429, "TooManyRequests", "slow down",
                 {"retryAfterSeconds": 3}, id="too_many_requests"),
    pytest.param(E.too_many_requests_error("queue full"), 429, "TooManyRequests", "Too many requests: queue full",
                 None, id="too_many_requests_error"),
    pytest.param(E.service_unavailable("etcd down"), 503, "ServiceUnavailable", "etcd down", None,
                 id="service_unavailable"),
]


@pytest.mark.parametrize(("err", "code", "reason", "message", "details"), STATUS_CASES)
def test_constructor(err: StatusError, code: int, reason: str, message: str, details: dict | None) -> None:
    assert (err.code, err.reason, err.message, err.details) == (code, reason, message, details)
    assert str(err) == message
    status = err.status()
    assert status["code"] == code
    assert status["reason"] == reason
    assert status["message"] == message
    assert status.get("details") == details
    assert ("details" in status) == (details is not None)


def test_status_wire_form_matches_upstream_byte_for_byte() -> None:
    got = orjson.dumps(E.not_found("", "pods", "x").status())
    assert got == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"pods \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}'
    )


def test_status_omits_empty_reason_and_returns_fresh_dicts() -> None:
    err = StatusError(500, "", "odd")
    assert "reason" not in err.status()
    e2 = E.internal_error("x")
    e2.status()["details"]["causes"].append({"message": "mutated"})
    assert e2.status()["details"]["causes"] == [{"message": "x"}]


def test_from_status_round_trip() -> None:
    original = E.conflict("apps", "deployments", "web", "boom")
    again = StatusError.from_status(original.status())
    assert again.status() == original.status()
    assert isinstance(again, Exception)


def test_internal_error_without_message_keeps_an_empty_cause() -> None:
    assert E.internal_error("").status()["details"] == {"causes": [{}]}


def test_name_is_go_quoted() -> None:
    assert E.not_found("", "configmaps", 'we"ird\n').message == 'configmaps "we\\"ird\\n" not found'


# --------------------------------------------------------------------------------------------------------------
# invalid()
# --------------------------------------------------------------------------------------------------------------


def test_invalid_single_error() -> None:
    err = E.invalid(
        "apps", "Deployment", "web",
        [E.field_invalid(FieldPath("spec", "replicas"), -1, "must be greater than or equal to 0")],
    )
    assert err.code == 422 and err.reason == "Invalid"
    assert err.message == (
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    assert err.details == {
        "name": "web",
        "group": "apps",
        "kind": "Deployment",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: -1: must be greater than or equal to 0",
                "field": "spec.replicas",
            }
        ],
    }


def test_invalid_multiple_errors_are_bracketed_and_deduplicated() -> None:
    a = E.field_required(FieldPath("metadata", "name"), "name or generateName is required")
    b = E.field_invalid("spec.replicas", -1, "must be greater than or equal to 0")
    err = E.invalid("", "ConfigMap", "", [a, b, a])
    assert err.message == (
        'ConfigMap "" is invalid: [metadata.name: Required value: name or generateName is required, '
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0]"
    )
    assert len(err.details["causes"]) == 3
    assert "group" not in err.details and "name" not in err.details


def test_invalid_without_errors() -> None:
    err = E.invalid("", "Pod", "p", [])
    assert err.message == 'Pod "p" is invalid'
    assert err.details == {"name": "p", "kind": "Pod"}


# --------------------------------------------------------------------------------------------------------------
# FieldError rendering
# --------------------------------------------------------------------------------------------------------------

FIELD_CASES = [
    pytest.param(E.field_invalid("spec.replicas", -1, "must be greater than or equal to 0"),
                 "Invalid value: -1: must be greater than or equal to 0", "FieldValueInvalid", id="invalid-int"),
    pytest.param(E.field_invalid("metadata.name", "Bad_Name", "a lowercase RFC 1123 subdomain"),
                 'Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain', "FieldValueInvalid", id="invalid-str"),
    pytest.param(E.field_invalid("x", True, "d"), "Invalid value: true: d", "FieldValueInvalid", id="invalid-bool"),
    pytest.param(E.field_invalid("x", 0.5, "d"), "Invalid value: 0.5: d", "FieldValueInvalid", id="invalid-float"),
    pytest.param(E.field_invalid("x", 1e6, "d"), "Invalid value: 1e+06: d", "FieldValueInvalid", id="invalid-float-exp"),
    pytest.param(E.field_invalid("x", None, "d"), "Invalid value: \"null\": d", "FieldValueInvalid", id="invalid-null"),
    pytest.param(E.field_invalid("x", ["a", "b"], "d"), 'Invalid value: []string{"a", "b"}: d', "FieldValueInvalid",
                 id="invalid-strings"),
    pytest.param(E.field_invalid("x", [1, 2], ""), "Invalid value: []int{1, 2}", "FieldValueInvalid", id="invalid-ints"),
    pytest.param(E.field_invalid("x", {"b": "2", "a": "1"}, ""), 'Invalid value: map[string]string{"a":"1", "b":"2"}',
                 "FieldValueInvalid", id="invalid-map"),
    pytest.param(E.field_invalid("x", ["a", 1, None], ""), 'Invalid value: []interface {}{"a", 1, interface {}(nil)}',
                 "FieldValueInvalid", id="invalid-mixed-list"),
    pytest.param(E.field_type_invalid("x", "s", "must be integer"), 'Invalid value: "s": must be integer',
                 "FieldValueTypeInvalid", id="type_invalid"),
    pytest.param(E.field_required("spec.containers"), "Required value", "FieldValueRequired", id="required"),
    pytest.param(E.field_required("spec.containers", "must have one"), "Required value: must have one",
                 "FieldValueRequired", id="required-detail"),
    pytest.param(E.field_forbidden("spec.nodeName", "may not be set"), "Forbidden: may not be set",
                 "FieldValueForbidden", id="forbidden"),
    pytest.param(E.field_not_supported("spec.restartPolicy", "Sometimes", ["Always", "OnFailure", "Never"]),
                 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
                 "FieldValueNotSupported", id="not_supported"),
    pytest.param(E.field_not_supported("x", "v", []), 'Unsupported value: "v"', "FieldValueNotSupported",
                 id="not_supported-no-list"),
    pytest.param(E.field_duplicate("spec.ports[1]", "http"), 'Duplicate value: "http"', "FieldValueDuplicate",
                 id="duplicate"),
    pytest.param(E.field_not_found("x", "cm"), 'Not found: "cm"', "FieldValueNotFound", id="not_found"),
    pytest.param(E.field_too_long("metadata.annotations", "x" * 300, 262144),
                 "Too long: may not be more than 262144 bytes", "FieldValueTooLong", id="too_long"),
    pytest.param(E.field_too_long("x", "v", -1), "Too long: value is too long", "FieldValueTooLong",
                 id="too_long-unbounded"),
    pytest.param(E.field_too_many("spec.x", 5, 3), "Too many: 5: must have at most 3 items", "FieldValueTooMany",
                 id="too_many"),
    pytest.param(E.field_too_many("spec.x", -1, 3), "Too many: must have at most 3 items", "FieldValueTooMany",
                 id="too_many-no-count"),
    pytest.param(E.field_internal_error("x", "oops"), "Internal error: oops", "InternalError", id="internal"),
]


@pytest.mark.parametrize(("err", "body", "type_"), FIELD_CASES)
def test_field_error_body(err: E.FieldError, body: str, type_: str) -> None:
    assert err.error_body() == body
    assert err.type == type_
    assert err.message == f"{err.field}: {body}"
    assert str(err) == err.message
    assert err.cause() == {"reason": type_, "message": body, "field": err.field}


def test_field_error_stringer_values_print_bare() -> None:
    class Quantity:
        def __str__(self) -> str:
            return "1Gi"

    assert E.field_invalid("x", Quantity(), "too big").error_body() == "Invalid value: 1Gi: too big"


def test_field_error_is_frozen_and_hashable() -> None:
    err = E.field_required("a")
    with pytest.raises(AttributeError):
        err.detail = "x"  # type: ignore[misc]
    assert {err, E.field_required("a")} == {err}


# --------------------------------------------------------------------------------------------------------------
# FieldPath and Go rendering helpers
# --------------------------------------------------------------------------------------------------------------

PATH_CASES = [
    pytest.param(FieldPath("spec"), "spec", id="root"),
    pytest.param(FieldPath("spec").child("template").index(0).key("app"), "spec.template[0][app]", id="mixed"),
    pytest.param(FieldPath("spec", "template", "spec"), "spec.template.spec", id="multi-names"),
    pytest.param(FieldPath("spec").child("containers", "ports").index(2), "spec.containers.ports[2]",
                 id="child-multi"),
    pytest.param(FieldPath("metadata").child("labels").key("a/b"), "metadata.labels[a/b]", id="key"),
    pytest.param(FieldPath("values").index(0).key("k"), "values[0][k]", id="index-key"),
]


@pytest.mark.parametrize(("path", "text"), PATH_CASES)
def test_field_path(path: FieldPath, text: str) -> None:
    assert str(path) == text


def test_field_path_is_immutable_value() -> None:
    base = FieldPath("spec")
    a = base.child("a")
    b = base.child("b")
    assert (str(a), str(b), str(base)) == ("spec.a", "spec.b", "spec")
    assert FieldPath("spec").child("a") == a
    assert hash(FieldPath("spec").child("a")) == hash(a)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        pytest.param("plain", '"plain"', id="plain"),
        pytest.param('a"b\\c', '"a\\"b\\\\c"', id="quote-backslash"),
        pytest.param("tab\tnl\n", '"tab\\tnl\\n"', id="escapes"),
        pytest.param("\x00\x7f", '"\\x00\\x7f"', id="control"),
        pytest.param("héllo ✓", '"héllo ✓"', id="unicode-printable"),
        pytest.param("\u200b", '"\\u200b"', id="unicode-format"),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert E.go_quote(text) == quoted


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        pytest.param({"name": 1, "a": "x"}, "map[a:x name:1]", id="map"),
        pytest.param([{"name": "a"}, None, True], "[map[name:a] <nil> true]", id="list"),
        pytest.param(1.25, "1.25", id="float"),
        pytest.param(1234567.0, "1.234567e+06", id="float-exp"),
        pytest.param(0.00001, "1e-05", id="float-small"),
    ],
)
def test_go_value(value: object, rendered: str) -> None:
    assert E.go_value(value) == rendered
