"""``POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token``: the TokenRequest API (``kubectl create token``).

The request (an ``authentication.k8s.io/v1`` TokenRequest) is defaulted (audiences: the API server's;
expirationSeconds: 3600) and validated as upstream's; the service account must exist, and a bound object (a Pod
running as that service account, a Secret or a Node) must exist with the UID the reference names. The answer is
the request with ``status.token`` and ``status.expirationTimestamp``. Nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from aiohttp import web

from kybernetes.api.defaults import apply_defaults
from kybernetes.machinery import errors

from .negotiation import json_response, read_body
from .registry import now_rfc3339

if TYPE_CHECKING:
    from .handlers import ResourceAPI
    from .satokens import ServiceAccountTokens

__all__ = ["serve_token_request"]

_GROUP = "authentication.k8s.io"
_MIN_SECONDS = 600
_MAX_SECONDS = 1 << 32
#: A pod-bound token asked for exactly this long (the kubelet's kube-api-access volume) gets EXTENDED_SECONDS.
WARN_ONLY_SECONDS = 3607
EXTENDED_SECONDS = 365 * 24 * 3600


async def serve_token_request(api: ResourceAPI, request: web.BaseRequest, namespace: str, name: str,
                              tokens: ServiceAccountTokens) -> web.Response:
    body, _ = await read_body(request)
    if not isinstance(body, dict):
        raise errors.bad_request("TokenRequest must be an object")
    kind, av = body.get("kind"), body.get("apiVersion")
    if (kind and kind != "TokenRequest") or (av and av != f"{_GROUP}/v1"):
        raise errors.bad_request(f"no kind \"{kind}\" is registered for version \"{av}\" in scheme "
                                 "\"pkg/api/legacyscheme/scheme.go:30\"")
    body["kind"], body["apiVersion"] = "TokenRequest", f"{_GROUP}/v1"
    spec = body.get("spec")
    if not isinstance(spec, dict):
        spec = body["spec"] = {}
    md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    if md.get("namespace") and md["namespace"] != namespace:
        raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    if md.get("name") and md["name"] != name:
        raise errors.invalid(_GROUP, "TokenRequest", md["name"], [errors.field_invalid(
            "metadata.name", md["name"], "must match the service account name if specified")])
    sa = await api.core_object("serviceaccounts", namespace, name)
    if sa is None:
        raise errors.not_found("", "serviceaccounts", name)
    apply_defaults(body, _GROUP, "v1", "TokenRequest")
    if not spec.get("audiences"):
        spec["audiences"] = list(tokens.audiences)
    seconds = spec.get("expirationSeconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise errors.bad_request("TokenRequest in version \"v1\" cannot be handled as a TokenRequest: "
                                 "spec.expirationSeconds must be an integer")
    errs: list[errors.FieldError] = []
    if seconds < _MIN_SECONDS:
        errs.append(errors.field_invalid("spec.expirationSeconds", seconds,
                                         "may not specify a duration less than 10 minutes"))
    elif seconds > _MAX_SECONDS:
        errs.append(errors.field_invalid("spec.expirationSeconds", seconds,
                                         "may not specify a duration larger than 2^32 seconds"))
    if errs:
        raise errors.invalid(_GROUP, "TokenRequest", "", errs)
    bound, bound_kind, node = None, "", None
    ref = spec.get("boundObjectRef")
    if isinstance(ref, dict) and ref:
        bound_kind = ref.get("kind") or ""
        ref_name = ref.get("name") or ""
        group = (ref.get("apiVersion") or "").rpartition("/")[0]
        resource = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}.get(bound_kind)
        if group or resource is None:
            gvk = f"{group}/{(ref.get('apiVersion') or '').rpartition('/')[2]}, Kind={bound_kind}"
            raise errors.bad_request(f"cannot bind token to object of type {gvk}")
        bound = await api.core_object(resource, "" if resource == "nodes" else namespace, ref_name)
        if bound is None:
            raise errors.not_found("", resource, ref_name)
        bmd = bound.get("metadata") or {}
        if bound_kind == "Pod":
            if ((bound.get("spec") or {}).get("serviceAccountName") or "default") != name:
                raise errors.bad_request(f'cannot bind token for serviceaccount "{name}" to pod running with '
                                         "different serviceaccount name.")
            node_name = (bound.get("spec") or {}).get("nodeName") or ""
            if node_name:  # the node's UID too when the Node is there
                node = await api.core_object("nodes", "", node_name) or {"metadata": {"name": node_name}}
        if ref.get("uid") and ref["uid"] != bmd.get("uid"):
            raise errors.conflict("", bound_kind, ref_name,
                                  f"the UID in the bound object reference ({ref['uid']}) does not match the UID in "
                                  "record. The object might have been deleted and then recreated")
    # the kubelet's kube-api-access tokens (3607 s, bound to a pod, for the API server) live a year, warning after
    # 3607 s, so that clients that never reload their token keep working: upstream's extended expiration
    extended = (bound_kind == "Pod" and seconds == WARN_ONLY_SECONDS
                and all(a in tokens.audiences for a in spec["audiences"]))
    issued = tokens.issue(namespace=namespace, service_account=sa, audiences=list(spec["audiences"]),
                          seconds=EXTENDED_SECONDS if extended else seconds, bound=bound, bound_kind=bound_kind,
                          node=node, warn_after=seconds if extended else 0)
    body["metadata"] = {**md, "name": name, "namespace": namespace, "creationTimestamp": now_rfc3339()}
    expires = dt.datetime.fromtimestamp(issued.issued + seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body["status"] = {"token": issued.token, "expirationTimestamp": expires}
    return json_response(body, 201)

