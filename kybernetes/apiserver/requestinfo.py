"""What a request is about, read off its path and method, as upstream's RequestInfoFactory does.

Resource paths have the shapes::

    /api/v1/{resource}[/{name}[/{subresource}]]
    /api/v1/namespaces/{namespace}/{resource}[/{name}[/{subresource}]]
    /apis/{group}/{version}/...   (the same below)

``namespaces/{name}`` itself (and its subresources ``status``/``finalize``) is the cluster-scoped Namespace
resource. The verb is the Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection),
derived from the method and whether a name is present, with ``?watch=true`` turning list/get into watch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["RequestInfo", "parse_request_info"]

_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """A parsed resource request (``is_resource`` False for discovery, health and other non-resource paths)."""

    is_resource: bool
    verb: str
    path: str
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@functools.lru_cache(maxsize=4096)
def parse_request_info(method: str, path: str, query_watch: bool) -> RequestInfo:
    """Parse ``path`` of a request with ``method``; ``query_watch`` is whether ``?watch`` is true.

    Pure (memoised: clients repeat their paths); never raises. Paths that are not resource paths (including
    group/version discovery documents such as ``/apis/apps/v1``) come back with ``is_resource=False``.
    """
    parts = [p for p in path.split("/") if p]
    non = RequestInfo(is_resource=False, verb=method.lower(), path=path)
    if not parts or parts[0] not in ("api", "apis"):
        return non
    prefix = parts[0]
    if prefix == "api":
        if len(parts) < 3:
            return non
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return non
        group, version, rest = parts[1], parts[2], parts[3:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
        namespace = rest[1]
        rest = rest[2:]
    elif rest[0] == "namespaces" and len(rest) >= 2:
        # the namespace object itself: /api/v1/namespaces/{name}[/status|/finalize]
        namespace = rest[1]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = "/".join(rest[2:]) if len(rest) > 2 else ""
    if method == "GET" or method == "HEAD":
        if query_watch:
            verb = "watch"
        else:
            verb = "get" if name else "list"
    elif method == "DELETE" and not name:
        verb = "deletecollection"
    else:
        verb = _METHOD_VERBS.get(method, method.lower())
    return RequestInfo(
        is_resource=True,
        verb=verb,
        path=path,
        api_prefix=prefix,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        name=name,
        subresource=subresource,
    )
