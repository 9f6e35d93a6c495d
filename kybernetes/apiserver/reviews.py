"""The resources that are never stored: a create is a question the server answers in the returned object.

- ``authentication.k8s.io/v1`` SelfSubjectReview (``kubectl auth whoami``): the requesting user.
- ``authentication.k8s.io/v1`` TokenReview: whether a bearer token authenticates, and as whom.
- ``authorization.k8s.io/v1`` SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview and
  SelfSubjectRulesReview (``kubectl auth can-i``): this server authorizes as upstream's ``AlwaysAllow`` mode does
  (every authenticated request is allowed; there is no RBAC yet), so every review is allowed and the rules review
  lists upstream's AlwaysAllow rules (``*`` verbs on ``*`` resources of ``*`` groups, and ``*`` non-resource URLs).
- core ``v1`` Binding (``POST /api/v1/namespaces/{ns}/bindings``): the same as ``pods/{name}/binding``.

Requests are validated as upstream validates them (422 Invalid with the field), and dry run changes nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from kybernetes.api.catalogue import ResourceInfo
from kybernetes.machinery import errors

from .authn import UserInfo
from .negotiation import json_response, method_not_allowed, read_body
from .registry import now_rfc3339

if TYPE_CHECKING:
    from .handlers import ResourceAPI

__all__ = ["serve_virtual", "user_info_json"]

_AUTHN = "authentication.k8s.io"
_AUTHZ = "authorization.k8s.io"


def user_info_json(user: UserInfo) -> dict[str, Any]:
    """``authentication.k8s.io/v1`` UserInfo: empty members omitted, as upstream's JSON omits them."""
    out: dict[str, Any] = {"username": user.name}
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = {k: list(v) for k, v in user.extra}
    return out


async def serve_virtual(api: ResourceAPI, request: web.BaseRequest, info: ResourceInfo, namespace: str,
                        name: str, verb: str) -> web.StreamResponse:
    """Serve a request for a resource that is not stored (``info.stored`` is false)."""
    if verb != "create" or name:
        if info.group == "" and info.plural == "componentstatuses" and verb in ("get", "list"):
            raise errors.service_unavailable("componentstatuses are not served yet by this server "
                                             "(see docs/COMPATIBILITY.md)")
        raise method_not_allowed()
    body, _ = await read_body(request)
    obj = api._check_type(info, body)  # noqa: SLF001 - the same decoding as for stored kinds
    user: UserInfo | None = request.get("user")
    if user is None:  # only public paths are served without a user, and these are not
        raise errors.unauthorized()
    key = (info.group, info.plural)
    if key == ("", "bindings"):
        from .subresources import serve_binding

        bname = (obj.get("metadata") or {}).get("name") or ""
        if not bname:
            raise errors.invalid("", "Binding", "", [errors.field_required("metadata.name", "name or generateName "
                                                                                             "is required")])
        return await serve_binding(api, request, api.catalogue.lookup("", "v1", "pods"), namespace, bname,
                                   body=obj)
    if key == (_AUTHN, "selfsubjectreviews"):
        return json_response(_answer(obj, {"userInfo": user_info_json(user)}, stamp=True), 201)
    if key == (_AUTHN, "tokenreviews"):
        return json_response(await _token_review(api, obj), 201)
    if info.group == _AUTHZ:
        return json_response(_access_review(info, obj, namespace), 201)
    raise method_not_allowed()


def _answer(obj: dict[str, Any], status: dict[str, Any], *, stamp: bool = False) -> dict[str, Any]:
    """The request echoed back with its status, as upstream returns the review object it was sent (stamped with
    a creation time only where upstream stamps it: SelfSubjectReview)."""
    md = obj.get("metadata") or {}
    obj["metadata"] = {**md, "creationTimestamp": now_rfc3339() if stamp else md.get("creationTimestamp")}
    obj["status"] = status
    return obj


async def _token_review(api: ResourceAPI, obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    token = spec.get("token") or ""
    if not isinstance(token, str) or not token:
        raise errors.bad_request("token is required for TokenReview in authentication")
    audiences = spec.get("audiences") or []
    authn = api.authn
    if authn is None:
        return _answer(obj, {"user": {}, "error": "no authenticator"})
    result = await authn.authenticate_token(token, tuple(audiences))
    status: dict[str, Any] = {"user": {}}
    if result.user is not None:
        status = {"authenticated": True, "user": user_info_json(result.user)}
        if result.audiences:
            status["audiences"] = list(result.audiences)
    elif result.error:
        status["error"] = result.error
    return _answer(obj, status)


def _access_review(info: ResourceInfo, obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """Validate an access review as upstream does; every valid one is allowed (AlwaysAllow)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    md = obj.get("metadata") or {}
    name = md.get("name") or ""
    if info.kind == "SelfSubjectRulesReview":
        if not spec.get("namespace"):
            raise errors.bad_request("no namespace on request")
        obj["spec"] = {}  # upstream answers with an empty spec
        return _answer(obj, {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                             "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                             "incomplete": False})
    errs: list[errors.FieldError] = []
    res, non = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if res is None and non is None:
        errs.append(errors.field_invalid("spec.resourceAttributes", None,
                                         "exactly one of nonResourceAttributes or resourceAttributes must be "
                                         "specified"))
    elif res is not None and non is not None:
        errs.append(errors.field_invalid("spec.nonResourceAttributes", non,
                                         "cannot be specified in combination with resourceAttributes"))
    if info.kind in ("SubjectAccessReview", "LocalSubjectAccessReview"):
        if not spec.get("user") and not spec.get("groups"):
            errs.append(errors.field_invalid("spec.user", spec.get("user", ""),
                                             "at least one of user or group must be specified"))
    if info.kind == "LocalSubjectAccessReview":
        if set(md) - {"namespace", "creationTimestamp"}:
            errs.append(errors.field_invalid("metadata", md, "must be empty except for namespace"))
        md_ns = md.get("namespace") or namespace
        if res is not None and (res.get("namespace") or "") != md_ns:
            errs.append(errors.field_invalid("spec.resourceAttributes.namespace", res.get("namespace") or "",
                                             "must match metadata.namespace"))
        if non is not None:
            errs.append(errors.field_invalid("spec.nonResourceAttributes", non,
                                             "disallowed on this kind of request"))
    elif set(md) - {"creationTimestamp"}:
        errs.append(errors.field_invalid("metadata", md, "must be empty"))
    if errs:
        raise errors.invalid(_AUTHZ, info.kind, name, errs)
    return _answer(obj, {"allowed": True})
