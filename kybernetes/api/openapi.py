"""OpenAPI v3 documents, shaped like the ones upstream serves under ``/openapi/v3``.

``GET /openapi/v3`` answers an index: one entry per document (``api/v1``, ``apis/apps/v1``, ``apis/apps``,
``api``, ``apis``, ``version``), each with a server-relative URL carrying the document's content hash
(uppercase hex SHA-512 of the served bytes, as upstream), so clients can cache documents forever.

Each group-version document has ``paths`` for every operation of every resource of that group-version
(collection, item, all-namespaces list, deprecated watch paths and subresources) with upstream's operation ids,
``x-kubernetes-action`` and ``x-kubernetes-group-version-kind``, and ``components.schemas`` holding every
definition the operations reference, transitively.  The definitions come from `kybernetes.api.schemas`,
converted from the package's JSON-schema dialect to OpenAPI 3.0 the way upstream emits them: references point at
``#/components/schemas/<name>``, ``type`` is one string (``null`` dropped), and a reference with sibling keywords
becomes ``allOf: [{"$ref": ...}]`` beside those keywords.

kubectl reads these documents for ``explain``, for computing strategic merge patches in ``apply`` (schemas found
by ``x-kubernetes-group-version-kind``) and to decide whether the server validates fields itself (a PATCH
operation for the kind that lists a ``fieldValidation`` parameter).

Documents are built on first request and cached per catalogue; a group-version is rebuilt only when the
catalogue's resources for it change (custom resource definitions).  Functions here are not thread-safe but are
safe to call from one event loop.
"""

from __future__ import annotations

import hashlib
import weakref
from typing import Iterable

import orjson

from .catalogue import Catalogue, ResourceInfo, SubresourceInfo
from .schemas import REF_PREFIX, definition_name_for, definitions

__all__ = ["openapi_v3_index", "openapi_v3_document", "openapi_v3_document_hash", "document_paths",
           "OPENAPI_INFO_VERSION"]

OPENAPI_INFO_VERSION = "v1.32.0"
COMPONENTS = "#/components/schemas/"

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
STATUS = META + "Status"
DELETE_OPTIONS = META + "DeleteOptions"
WATCH_EVENT = META + "WatchEvent"
PATCH = META + "Patch"
API_RESOURCE_LIST = META + "APIResourceList"
API_GROUP = META + "APIGroup"
API_GROUP_LIST = META + "APIGroupList"
API_VERSIONS = META + "APIVersions"
OBJECT_META = META + "ObjectMeta"
LIST_META = META + "ListMeta"
VERSION_INFO = "io.k8s.apimachinery.pkg.version.Info"

OBJECT_TYPES = ("application/json", "application/vnd.kubernetes.protobuf", "application/yaml")
STREAM_TYPES = ("application/json", "application/json;stream=watch", "application/vnd.kubernetes.protobuf",
                "application/vnd.kubernetes.protobuf;stream=watch", "application/yaml")
PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json")
LOG_TYPES = ("application/json", "application/vnd.kubernetes.protobuf", "application/yaml", "text/plain")

# ------------------------------------------------------------------------------------------------------------
# Parameters (descriptions are ours; names, locations and types are upstream's)


def _query(name: str, typ: str, description: str) -> dict:
    return {"description": description, "in": "query", "name": name,
            "schema": {"type": typ, "uniqueItems": True}}


def _path_param(name: str, description: str) -> dict:
    return {"description": description, "in": "path", "name": name, "required": True,
            "schema": {"type": "string", "uniqueItems": True}}


P_ALLOW_BOOKMARKS = _query("allowWatchBookmarks", "boolean",
                           "Ask for BOOKMARK watch events, sent at the server's discretion. Ignored outside watches.")
P_CONTINUE = _query("continue", "string",
                    "The continue token of a previous paged list call, to fetch the next page of results.")
P_DRY_RUN = _query("dryRun", "string",
                   "When set, nothing is persisted. The only valid value is All: run every stage as a dry run.")
P_FIELD_MANAGER = _query("fieldManager", "string",
                         "Name of the actor making these changes, recorded in managedFields (printable, at most "
                         "128 characters).")
P_FIELD_MANAGER_PATCH = _query("fieldManager", "string",
                               "Name of the actor making these changes, recorded in managedFields (printable, at "
                               "most 128 characters). Required for apply patches, optional for the others.")
P_FIELD_SELECTOR = _query("fieldSelector", "string",
                          "Restrict the returned objects by their fields. Defaults to everything.")
P_FIELD_VALIDATION = _query("fieldValidation", "string",
                            "What to do with unknown or duplicate fields in the request body: Ignore drops them "
                            "silently, Warn (the default) drops them and answers a warning header for each, Strict "
                            "rejects the request with a BadRequest listing them.")
P_FORCE = _query("force", "boolean",
                 "Force an apply patch: take ownership of fields other managers own. Must be unset for other "
                 "patch types.")
P_GRACE = _query("gracePeriodSeconds", "integer",
                 "Seconds to wait before the object is deleted; zero deletes immediately. Unset means the "
                 "default for the type.")
P_IGNORE_STORE_READ_ERROR = _query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
                                   "Delete an object that cannot be read back from storage, skipping finalizers "
                                   "and preconditions. Unsafe; defaults to false.")
P_LABEL_SELECTOR = _query("labelSelector", "string",
                          "Restrict the returned objects by their labels. Defaults to everything.")
P_LIMIT = _query("limit", "integer",
                 "Maximum number of items to return; when more exist the list metadata carries a continue token. "
                 "Not supported for watches.")
P_ORPHAN = _query("orphanDependents", "boolean",
                  "Deprecated in favour of propagationPolicy: whether dependents are orphaned.")
P_PRETTY = _query("pretty", "string", "If 'true', the output is pretty printed.")
P_PROPAGATION = _query("propagationPolicy", "string",
                       "How dependents are garbage collected: Orphan, Background or Foreground.")
P_RESOURCE_VERSION = _query("resourceVersion", "string",
                            "Constrains which resource versions a request may be served from. Defaults to unset.")
P_RESOURCE_VERSION_MATCH = _query("resourceVersionMatch", "string",
                                  "How resourceVersion applies to list calls: NotOlderThan or Exact. Defaults "
                                  "to unset.")
P_SEND_INITIAL_EVENTS = _query("sendInitialEvents", "boolean",
                               "With watch=true, start the stream with synthetic ADDED events for the current "
                               "state, then a bookmark. Requires resourceVersionMatch=NotOlderThan.")
P_TIMEOUT = _query("timeoutSeconds", "integer",
                   "Timeout of the list or watch call, regardless of activity.")
P_WATCH = _query("watch", "boolean",
                 "Watch for changes to the described resources and return them as a stream of events.")

LIST_PARAMS = [P_ALLOW_BOOKMARKS, P_CONTINUE, P_FIELD_SELECTOR, P_LABEL_SELECTOR, P_LIMIT, P_RESOURCE_VERSION,
               P_RESOURCE_VERSION_MATCH, P_SEND_INITIAL_EVENTS, P_TIMEOUT, P_WATCH]
WRITE_PARAMS = [P_DRY_RUN, P_FIELD_MANAGER, P_FIELD_VALIDATION]
PATCH_PARAMS = [P_DRY_RUN, P_FIELD_MANAGER_PATCH, P_FIELD_VALIDATION, P_FORCE]
DELETE_PARAMS = [P_DRY_RUN, P_GRACE, P_IGNORE_STORE_READ_ERROR, P_ORPHAN, P_PROPAGATION]
DELETE_COLLECTION_PARAMS = [P_CONTINUE, P_DRY_RUN, P_FIELD_SELECTOR, P_GRACE, P_IGNORE_STORE_READ_ERROR,
                            P_LABEL_SELECTOR, P_LIMIT, P_ORPHAN, P_PROPAGATION, P_RESOURCE_VERSION,
                            P_RESOURCE_VERSION_MATCH, P_SEND_INITIAL_EVENTS, P_TIMEOUT]

P_NAMESPACE = _path_param("namespace", "namespace of the object: its name scope and authorization scope")

_STREAM_OPTIONS = {
    "container": ("string", "Container in which to run the command. Defaults to the only container."),
    "stderr": ("boolean", "Redirect the standard error stream of the process. Defaults to true."),
    "stdin": ("boolean", "Redirect the standard input stream of the process. Defaults to false."),
    "stdout": ("boolean", "Redirect the standard output stream of the process. Defaults to true."),
    "tty": ("boolean", "Allocate a terminal for the process. Defaults to false."),
}
CONNECT_PARAMS: dict[str, list[dict]] = {
    "attach": [_query(n, *_STREAM_OPTIONS[n]) for n in ("container", "stderr", "stdin", "stdout", "tty")],
    "exec": [_query("command", "string", "The command to run; a list, one argument per value.")]
    + [_query(n, *_STREAM_OPTIONS[n]) for n in ("container", "stderr", "stdin", "stdout", "tty")],
    "portforward": [_query("ports", "integer", "Ports to forward.")],
}
LOG_PARAMS = [
    _query("container", "string", "The container whose logs to stream. Defaults to the only container."),
    _query("follow", "boolean", "Follow the log stream. Defaults to false."),
    _query("insecureSkipTLSVerifyBackend", "boolean",
           "Do not verify the serving certificate of the kubelet the logs are read from."),
    _query("limitBytes", "integer", "Stop after this many bytes of log output."),
    P_PRETTY,
    _query("previous", "boolean", "Return the logs of the previous, terminated container. Defaults to false."),
    _query("sinceSeconds", "integer", "Only logs newer than this many seconds."),
    _query("stream", "string", "Which stream to return: All (default), Stdout or Stderr."),
    _query("tailLines", "integer", "Only this many lines from the end of the log."),
    _query("timestamps", "boolean", "Prefix every line with an RFC3339 timestamp. Defaults to false."),
]
PROXY_METHODS = ("delete", "get", "head", "options", "patch", "post", "put")

UNAUTHORIZED = {"description": "Unauthorized"}


def _by_name(params: Iterable[dict]) -> list[dict]:
    return sorted(params, key=lambda p: (p["name"], p["in"]))


# ------------------------------------------------------------------------------------------------------------
# Schema conversion (JSON-schema dialect of the package -> upstream's OpenAPI 3.0)

# The package turns the two scalar unions into bare oneOf lists; upstream describes them like this.
_SPECIAL_SCHEMAS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "description": "IntOrString holds either an int32 or a string; JSON and YAML carry the inner value, so "
                       "a field of this type accepts a number or a name.",
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "description": "Quantity is a fixed-point number with an optional SI (m, k, M, G, ...) or binary (Ki, Mi, "
                       "Gi, ...) suffix or decimal exponent, such as 100m, 1.5Gi or 1e3; serialized in canonical "
                       "form as a string.",
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
}

_converted: dict[str, dict] = {}
_direct_refs: dict[str, frozenset[str]] = {}


def _convert(schema: dict, refs: set[str], property_name: str = "") -> dict:
    out: dict = {}
    ref_name = None
    for key, value in schema.items():
        if key == "$ref":
            ref_name = value[len(REF_PREFIX):]
        elif key == "type":
            if isinstance(value, list):
                types = [t for t in value if t != "null"]
                if types:
                    out["type"] = types[0]
            else:
                out["type"] = value
        elif key == "properties":
            out["properties"] = {name: _convert(prop, refs, name) for name, prop in value.items()}
        elif key == "items" or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = _convert(value, refs)
        elif key == "oneOf":
            out["oneOf"] = [_convert(item, refs) for item in value]
        elif key == "enum" and property_name in ("apiVersion", "kind"):
            # The package pins apiVersion/kind of top-level kinds with an enum; upstream does not.
            continue
        else:
            out[key] = value
    if ref_name is None:
        return out
    refs.add(ref_name)
    ref = {"$ref": COMPONENTS + ref_name}
    if not out:
        return ref
    out["allOf"] = [ref]
    return out


def converted_schema(name: str) -> dict:
    """A definition in upstream's OpenAPI 3.0 form (cached; must not be mutated)."""
    schema = _converted.get(name)
    if schema is None:
        refs: set[str] = set()
        special = _SPECIAL_SCHEMAS.get(name)
        schema = dict(special) if special is not None else _convert(definitions()[name], refs)
        _direct_refs[name] = frozenset(refs)
        _converted[name] = schema
    return schema


def _closure(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        converted_schema(name)
        stack.extend(_direct_refs[name] - seen)
    return sorted(seen)


def _synthetic_schemas(info: ResourceInfo) -> dict[str, dict]:
    """Schemas for kinds the package does not know (custom resources): an object with the standard fields that
    keeps anything else."""
    reversed_group = ".".join(reversed(info.group.split("."))) if info.group else "io.k8s.core"
    prefix = f"{reversed_group}.{info.version}."
    gvk = {"group": info.group, "kind": info.kind, "version": info.version}
    item = {
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": COMPONENTS + OBJECT_META}]},
        },
        "type": "object",
        "x-kubernetes-group-version-kind": [gvk],
        "x-kubernetes-preserve-unknown-fields": True,
    }
    lst = {
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"items": {"$ref": COMPONENTS + prefix + info.kind}, "type": "array"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": COMPONENTS + LIST_META}]},
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [dict(gvk, kind=info.list_kind)],
    }
    return {prefix + info.kind: item, prefix + info.list_kind: lst}


# ------------------------------------------------------------------------------------------------------------
# Paths


def _group_part(group: str) -> str:
    """``CoreV1``'s first half: core, Apps, RbacAuthorization, FlowcontrolApiserver, ..."""
    if not group:
        return "Core"
    stem = group[: -len(".k8s.io")] if group.endswith(".k8s.io") else group
    return "".join(word[:1].upper() + word[1:] for word in stem.replace("-", ".").split("."))


def _tag_part(group: str) -> str:
    part = _group_part(group)
    return part[:1].lower() + part[1:]


class _DocBuilder:
    """Accumulates the paths of one document and the schema names they reference."""

    def __init__(self, group: str, version: str) -> None:
        self.group = group
        self.version = version
        self.prefix = f"/apis/{group}/{version}" if group else "/api/v1"
        self.op_prefix = _group_part(group) + version[:1].upper() + version[1:]
        self.tag = f"{_tag_part(group)}_{version}"
        self.paths: dict[str, dict] = {}
        self.schema_names: set[str] = set()
        self.extra_schemas: dict[str, dict] = {}

    # -- helpers
    def ref(self, name: str) -> dict:
        self.schema_names.add(name)
        return {"$ref": COMPONENTS + name}

    def content(self, name: str, types: Iterable[str] = OBJECT_TYPES) -> dict:
        ref = self.ref(name)
        return {t: {"schema": ref} for t in types}

    def body(self, name: str, required: bool = True) -> dict:
        body = {"content": {"*/*": {"schema": self.ref(name)}}}
        if required:
            body["required"] = True
        return body

    def op(self, *, description: str, op_id: str, action: str, gvk: dict | None, responses: dict,
           params: list[dict] | None = None, body: dict | None = None) -> dict:
        op: dict = {"description": description, "operationId": op_id}
        if params:
            op["parameters"] = _by_name(params)
        if body is not None:
            op["requestBody"] = body
        responses = dict(responses)
        responses["401"] = UNAUTHORIZED
        op["responses"] = responses
        op["tags"] = [self.tag]
        op["x-kubernetes-action"] = action
        if gvk is not None:
            op["x-kubernetes-group-version-kind"] = gvk
        return op

    def path(self, path: str, params: list[dict], **ops: dict) -> None:
        item: dict = dict(ops)
        if params:
            item["parameters"] = _by_name(params)
        self.paths[path] = item

    def schema_for(self, group: str, version: str, kind: str) -> str:
        name = definition_name_for(group, version, kind)
        if name is None:
            info = ResourceInfo(group=group, version=version, kind=kind, plural="", singular="",
                                namespaced=False, verbs=())
            extra = _synthetic_schemas(info)
            self.extra_schemas.update(extra)
            self.schema_names.add(OBJECT_META)
            self.schema_names.add(LIST_META)
            reversed_group = ".".join(reversed(group.split("."))) if group else "io.k8s.core"
            return f"{reversed_group}.{version}.{kind}"
        return name

    # -- resources
    def add_resource(self, info: ResourceInfo) -> None:
        kind = info.kind
        gvk = {"group": info.group, "kind": kind, "version": info.version}
        obj = self.schema_for(info.group, info.version, kind)
        lst = self.schema_for(info.group, info.version, info.list_kind)
        verbs = set(info.verbs)
        ns = "Namespaced" if info.namespaced else ""
        scope = "/namespaces/{namespace}" if info.namespaced else ""
        scope_params = [P_NAMESPACE] if info.namespaced else []
        collection = f"{self.prefix}{scope}/{info.plural}"
        item = collection + "/{name}"
        name_param = _path_param("name", f"name of the {kind}")
        pid = self.op_prefix
        ok_obj = {"content": self.content(obj), "description": "OK"}
        created = {"content": self.content(obj), "description": "Created"}
        accepted = {"content": self.content(obj), "description": "Accepted"}
        ok_status = {"content": self.content(STATUS), "description": "OK"}

        ops: dict[str, dict] = {}
        if "list" in verbs:
            ops["get"] = self.op(
                description=f"list or watch objects of kind {kind}", op_id=f"list{pid}{ns}{kind}", action="list",
                gvk=gvk, params=LIST_PARAMS,
                responses={"200": {"content": self.content(lst, STREAM_TYPES), "description": "OK"}})
        if "create" in verbs:
            ops["post"] = self.op(
                description=f"create {_article(kind)} {kind}", op_id=f"create{pid}{ns}{kind}", action="post",
                gvk=gvk, params=WRITE_PARAMS, body=self.body(obj),
                responses={"200": ok_obj, "201": created, "202": accepted})
        if "deletecollection" in verbs:
            ops["delete"] = self.op(
                description=f"delete collection of {kind}", op_id=f"delete{pid}Collection{ns}{kind}",
                action="deletecollection", gvk=gvk, params=DELETE_COLLECTION_PARAMS,
                body=self.body(DELETE_OPTIONS, required=False), responses={"200": ok_status})
        if ops:
            self.path(collection, scope_params + [P_PRETTY], **ops)

        ops = {}
        if "get" in verbs:
            ops["get"] = self.op(description=f"read the specified {kind}", op_id=f"read{pid}{ns}{kind}",
                                 action="get", gvk=gvk, responses={"200": ok_obj})
        if "update" in verbs:
            ops["put"] = self.op(description=f"replace the specified {kind}", op_id=f"replace{pid}{ns}{kind}",
                                 action="put", gvk=gvk, params=WRITE_PARAMS, body=self.body(obj),
                                 responses={"200": ok_obj, "201": created})
        if "patch" in verbs:
            ops["patch"] = self.op(
                description=f"partially update the specified {kind}", op_id=f"patch{pid}{ns}{kind}",
                action="patch", gvk=gvk, params=PATCH_PARAMS,
                body={"content": {t: {"schema": self.ref(PATCH)} for t in PATCH_TYPES}, "required": True},
                responses={"200": ok_obj, "201": created})
        if "delete" in verbs:
            deleted = obj if info.delete_returns_object else STATUS
            ops["delete"] = self.op(
                description=f"delete {_article(kind)} {kind}", op_id=f"delete{pid}{ns}{kind}", action="delete",
                gvk=gvk, params=DELETE_PARAMS, body=self.body(DELETE_OPTIONS, required=False),
                responses={"200": {"content": self.content(deleted), "description": "OK"},
                           "202": {"content": self.content(deleted), "description": "Accepted"}})
        if ops:
            self.path(item, [name_param] + scope_params + [P_PRETTY], **ops)

        if info.namespaced and "list" in verbs:
            self.path(
                f"{self.prefix}/{info.plural}", LIST_PARAMS + [P_PRETTY],
                get=self.op(description=f"list or watch objects of kind {kind}",
                            op_id=f"list{pid}{kind}ForAllNamespaces", action="list", gvk=gvk,
                            responses={"200": {"content": self.content(lst, STREAM_TYPES), "description": "OK"}}))
        if "watch" in verbs:
            watch_ok = {"200": {"content": self.content(WATCH_EVENT, STREAM_TYPES), "description": "OK"}}
            watch_params = LIST_PARAMS + [P_PRETTY]
            self.path(
                f"{self.prefix}/watch{scope}/{info.plural}", watch_params + scope_params,
                get=self.op(description=f"watch individual changes to a list of {kind}. deprecated: use the "
                                        f"'watch' parameter with a list operation instead.",
                            op_id=f"watch{pid}{ns}{kind}List", action="watchlist", gvk=gvk, responses=watch_ok))
            self.path(
                f"{self.prefix}/watch{scope}/{info.plural}/{{name}}", watch_params + scope_params + [name_param],
                get=self.op(description=f"watch changes to an object of kind {kind}. deprecated: use the 'watch' "
                                        f"parameter with a list operation instead, filtered to a single item "
                                        f"with the 'fieldSelector' parameter.",
                            op_id=f"watch{pid}{ns}{kind}", action="watch", gvk=gvk, responses=watch_ok))
            if info.namespaced:
                self.path(
                    f"{self.prefix}/watch/{info.plural}", watch_params,
                    get=self.op(description=f"watch individual changes to a list of {kind}. deprecated: use the "
                                            f"'watch' parameter with a list operation instead.",
                                op_id=f"watch{pid}{kind}ListForAllNamespaces", action="watchlist", gvk=gvk,
                                responses=watch_ok))

        for sub in info.subresources:
            self.add_subresource(info, sub, item, [name_param] + scope_params, ns)

    def add_subresource(self, info: ResourceInfo, sub: SubresourceInfo, item: str, params: list[dict],
                        ns: str) -> None:
        kind = info.kind
        title = sub.name[:1].upper() + sub.name[1:]
        base = f"{self.op_prefix}"
        path = f"{item}/{sub.name}"
        gvk = {"group": sub.group, "kind": sub.kind, "version": sub.version}
        verbs = set(sub.verbs)

        if sub.name == "log":
            self.path(path, params, get=self.op(
                description=f"read log of the specified {kind}", op_id=f"read{base}{ns}{kind}Log", action="get",
                gvk=gvk, params=LOG_PARAMS,
                responses={"200": {"content": {t: {"schema": {"type": "string"}} for t in LOG_TYPES},
                                   "description": "OK"}}))
            return
        if sub.name == "proxy":
            self._add_proxy(info, sub, path, params, ns, gvk)
            return
        if sub.name in CONNECT_PARAMS:
            ops = {}
            for verb, method in (("get", "get"), ("create", "post")):
                if verb in verbs:
                    ops[method] = self._connect_op(method, sub.name, kind, f"{ns}{kind}{title}", gvk)
            self.path(path, params + CONNECT_PARAMS[sub.name], **ops)
            return

        schema = self.schema_for(sub.group, sub.version, sub.kind)
        ok = {"content": self.content(schema), "description": "OK"}
        created = {"content": self.content(schema), "description": "Created"}
        accepted = {"content": self.content(schema), "description": "Accepted"}
        ops = {}
        if "get" in verbs:
            ops["get"] = self.op(description=f"read {sub.name} of the specified {kind}",
                                 op_id=f"read{base}{ns}{kind}{title}", action="get", gvk=gvk,
                                 responses={"200": ok})
        if "create" in verbs:
            ops["post"] = self.op(description=f"create {sub.name} of {_article(kind)} {kind}",
                                  op_id=f"create{base}{ns}{kind}{title}", action="post", gvk=gvk,
                                  params=WRITE_PARAMS, body=self.body(schema),
                                  responses={"200": ok, "201": created, "202": accepted})
        if "update" in verbs:
            ops["put"] = self.op(description=f"replace {sub.name} of the specified {kind}",
                                 op_id=f"replace{base}{ns}{kind}{title}", action="put", gvk=gvk,
                                 params=WRITE_PARAMS, body=self.body(schema),
                                 responses={"200": ok, "201": created})
        if "patch" in verbs:
            ops["patch"] = self.op(
                description=f"partially update {sub.name} of the specified {kind}",
                op_id=f"patch{base}{ns}{kind}{title}", action="patch", gvk=gvk, params=PATCH_PARAMS,
                body={"content": {t: {"schema": self.ref(PATCH)} for t in PATCH_TYPES}, "required": True},
                responses={"200": ok, "201": created})
        self.path(path, params + [P_PRETTY], **ops)

    def _connect_op(self, method: str, sub_name: str, kind: str, suffix: str, gvk: dict) -> dict:
        verb = method[:1].upper() + method[1:]
        return self.op(description=f"connect {method.upper()} requests to {sub_name} of {kind}",
                       op_id=f"connect{self.op_prefix}{verb}{suffix}", action="connect", gvk=gvk,
                       responses={"200": {"content": {"*/*": {"schema": {"type": "string"}}}, "description": "OK"}})

    def _add_proxy(self, info: ResourceInfo, sub: SubresourceInfo, path: str, params: list[dict], ns: str,
                   gvk: dict) -> None:
        kind = info.kind
        query_path = _query("path", "string", f"Path is the URL path to use for the current proxy request to "
                                              f"the {kind.lower()}.")
        path_path = _path_param("path", "path to the resource")
        self.path(path, params + [query_path], **{
            m: self._connect_op(m, "proxy", kind, f"{ns}{kind}Proxy", gvk) for m in PROXY_METHODS})
        self.path(path + "/{path}", params + [path_path, query_path], **{
            m: self._connect_op(m, "proxy", kind, f"{ns}{kind}ProxyWithPath", gvk) for m in PROXY_METHODS})

    def add_root(self) -> None:
        self.paths[self.prefix + "/"] = {"get": {
            "description": "get available resources",
            "operationId": f"get{self.op_prefix}APIResources",
            "responses": {"200": {"content": self.content(API_RESOURCE_LIST), "description": "OK"},
                          "401": UNAUTHORIZED},
            "tags": [self.tag],
        }}

    def build(self) -> dict:
        names = _closure(self.schema_names - set(self.extra_schemas))
        schemas = {name: converted_schema(name) for name in names}
        schemas.update(self.extra_schemas)
        return {
            "components": {"schemas": schemas},
            "info": {"title": "Kubernetes", "version": OPENAPI_INFO_VERSION},
            "openapi": "3.0.0",
            "paths": self.paths,
        }


def _article(kind: str) -> str:
    return "an" if kind[:1] in "AEIOU" else "a"


def _simple_document(path: str, op_id: str, tag: str, description: str, schema: str,
                     types: Iterable[str] = OBJECT_TYPES) -> dict:
    ref = {"$ref": COMPONENTS + schema}
    return {
        "components": {"schemas": {name: converted_schema(name) for name in _closure([schema])}},
        "info": {"title": "Kubernetes", "version": OPENAPI_INFO_VERSION},
        "openapi": "3.0.0",
        "paths": {path: {"get": {
            "description": description,
            "operationId": op_id,
            "responses": {"200": {"content": {t: {"schema": ref} for t in types}, "description": "OK"},
                          "401": UNAUTHORIZED},
            "tags": [tag],
        }}},
    }


# ------------------------------------------------------------------------------------------------------------
# Documents, hashes and the index

_cache: "weakref.WeakKeyDictionary[Catalogue, dict[str, tuple[object, bytes, str]]]" = weakref.WeakKeyDictionary()


def document_paths(catalogue: Catalogue) -> list[str]:
    """The document names the index lists, e.g. ``api``, ``api/v1``, ``apis``, ``apis/apps``,
    ``apis/apps/v1``, ``version``."""
    out = ["api", "apis", "version"]
    for group, versions in catalogue.groups():
        if not group:
            out.extend(f"api/{v}" for v in versions)
            continue
        out.append(f"apis/{group}")
        out.extend(f"apis/{group}/{v}" for v in versions)
    return sorted(out)


def _cache_key_and_builder(catalogue: Catalogue, path: str):
    """``(key, build)`` for a document name, or None.  ``key`` changes whenever the document would."""
    if path == "api":
        return ("api",), lambda: _simple_document("/api/", "getCoreAPIVersions", "core",
                                                  "get available API versions", API_VERSIONS)
    if path == "apis":
        return ("apis",), lambda: _simple_document("/apis/", "getAPIVersions", "apis",
                                                   "get available API versions", API_GROUP_LIST)
    if path == "version":
        return ("version",), lambda: _simple_document("/version/", "getCodeVersion", "version",
                                                      "get the version information for this server", VERSION_INFO,
                                                      ("application/json",))
    parts = path.split("/")
    if parts[0] == "api" and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[0] == "apis" and len(parts) == 2:
        group = parts[1]
        if not group or not dict(catalogue.groups()).get(group):
            return None
        return ("group", group), lambda: _simple_document(
            f"/apis/{group}/", f"get{_group_part(group)}APIGroup", _tag_part(group),
            "get information of a group", API_GROUP)
    elif parts[0] == "apis" and len(parts) == 3:
        group, version = parts[1], parts[2]
        if not group:
            return None
    else:
        return None
    resources = tuple(catalogue.resources_for(group, version))
    if not resources:
        return None

    def build() -> dict:
        builder = _DocBuilder(group, version)
        builder.add_root()
        for info in resources:
            builder.add_resource(info)
        return builder.build()

    return ("gv", resources), build


def _entry(catalogue: Catalogue, path: str) -> tuple[bytes, str] | None:
    found = _cache_key_and_builder(catalogue, path)
    if found is None:
        return None
    key, build = found
    per_catalogue = _cache.setdefault(catalogue, {})
    cached = per_catalogue.get(path)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    data = orjson.dumps(build(), option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha512(data).hexdigest().upper()
    per_catalogue[path] = (key, data, digest)
    return data, digest


def openapi_v3_document(catalogue: Catalogue, path: str) -> bytes | None:
    """The JSON bytes of one document (``api/v1``, ``apis/apps/v1``, ``apis/apps``, ``api``, ``apis``,
    ``version``), or None when there is no such document.  Built once and cached."""
    entry = _entry(catalogue, path.strip("/"))
    return entry[0] if entry else None


def openapi_v3_document_hash(catalogue: Catalogue, path: str) -> str | None:
    """The hash the index advertises for a document (uppercase hex SHA-512 of its bytes), or None."""
    entry = _entry(catalogue, path.strip("/"))
    return entry[1] if entry else None


def openapi_v3_index(catalogue: Catalogue) -> dict:
    """``{"paths": {name: {"serverRelativeURL": "/openapi/v3/<name>?hash=<HASH>"}}}`` for every document.
    Builds (and caches) every document, since each hash is that of the document's bytes."""
    paths = {}
    for name in document_paths(catalogue):
        entry = _entry(catalogue, name)
        if entry is not None:
            paths[name] = {"serverRelativeURL": f"/openapi/v3/{name}?hash={entry[1]}"}
    return {"paths": paths}
