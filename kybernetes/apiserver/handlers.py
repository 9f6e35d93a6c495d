"""One handler per Kubernetes verb: HTTP in, registry calls, HTTP out.

``ResourceAPI.handle`` receives every request under ``/api`` and ``/apis`` that names a resource, finds the
resource in the catalogue, checks the verb and scope, and dispatches to ``_get``, ``_list``, ``_create``,
``_update``, ``_patch``, ``_delete``, ``_deletecollection`` or ``watch.serve_watch``, or to a subresource handler
(``status``, ``scale``, ``binding``, ``eviction``). Objects cross this layer in the served version; the registry
holds them in the storage version (``_to_storage``/``_from_storage`` convert when the two differ).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from kybernetes.api.catalogue import Catalogue, ResourceInfo
from kybernetes.api import schemas as _schemas
from kybernetes.api.applyschema import apply_schema_for
from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation_decode import decode_error
from kybernetes.machinery import errors
from kybernetes.machinery.fields import parse_field_selector
from kybernetes.machinery.jsoncopy import json_copy
from kybernetes.machinery.jsonpatch import apply_json_patch
from kybernetes.machinery.labels import parse_selector
from kybernetes.machinery.mergepatch import apply_merge_patch
from kybernetes.machinery.apply import ApplyConflict, ApplyError, apply
from kybernetes.machinery.fieldpath import FieldSet, parse_fields_v1
from kybernetes.machinery.managedfields import manager_or_user_agent, update_managed_fields
from kybernetes.machinery.patcherrors import PatchError
from kybernetes.machinery.strategicpatch import apply_strategic_merge_patch

from . import tables
from .negotiation import json_response, method_not_allowed, parse_accept, path_not_found, read_body
from .podlogs import KubeletClientConfig
from .registry import DeleteOptions, Registry, now_rfc3339, with_resource_version
from .requestinfo import RequestInfo

if TYPE_CHECKING:
    from .authn import Authenticator
    from .satokens import ServiceAccountTokens

__all__ = ["ResourceAPI"]

_IGNORED_ON_MAIN = parse_fields_v1({"f:status": {}})
_IGNORED_ON_STATUS = parse_fields_v1({"f:spec": {}})
_MISSING = object()  # a key absent from an object (distinct from any JSON value)

_PATCH_TYPES = {
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
}


def _qbool(v: str | None) -> bool:
    return (v or "").lower() in ("true", "1")


def _dry_run(request: web.BaseRequest) -> bool:
    vals = request.query.getall("dryRun", [])
    for v in vals:
        if v != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{v}": supported values: "All"')
    return bool(vals)


class ResourceAPI:
    """The resource handlers over a catalogue and its registries."""

    def __init__(self, catalogue: Catalogue, registries: dict[tuple[str, str], Registry],
                 kubelets: KubeletClientConfig | None = None) -> None:
        self.catalogue = catalogue
        self.registries = registries
        self.kubelets = kubelets
        self.authn: Authenticator | None = None  # for TokenReview
        self.service_accounts: ServiceAccountTokens | None = None  # for TokenRequest (serviceaccounts/token)

    # -- lookup --------------------------------------------------------------------------------------------
    def registry_for(self, info: ResourceInfo) -> Registry:
        return self.registries[(info.storage_group, info.storage_resource)]

    async def core_object(self, resource: str, namespace: str, name: str) -> dict | None:
        """The current object of a core (``v1``) resource, None when there is none."""
        try:
            return (await self.registries[("", resource)].get_cached(namespace, name)).obj
        except errors.StatusError as e:
            if e.code == 404:
                return None
            raise

    def _to_storage(self, info: ResourceInfo, obj: dict) -> dict:
        if info.api_version == info.storage_api_version:
            return obj
        from kybernetes.api import conversion

        return conversion.convert(obj, info.storage_api_version)

    def _from_storage(self, info: ResourceInfo, obj: dict) -> dict:
        if obj.get("apiVersion") == info.api_version:
            return obj
        from kybernetes.api import conversion

        return conversion.convert(obj, info.api_version)

    # -- entry ---------------------------------------------------------------------------------------------
    async def handle(self, request: web.BaseRequest, ri: RequestInfo) -> web.StreamResponse:
        info = self.catalogue.lookup(ri.group, ri.version, ri.resource)
        if info is None:
            raise path_not_found()
        namespace = ri.namespace if info.namespaced else ""
        name = ri.name
        if not info.namespaced and ri.namespace and ri.resource != "namespaces":
            raise path_not_found()
        sub = ri.subresource
        verb = ri.verb
        if sub:
            return await self._subresource(request, info, namespace, name, sub, verb)
        if not info.stored:
            from .reviews import serve_virtual

            return await serve_virtual(self, request, info, namespace, name, verb)
        if info.namespaced and name and not namespace and verb != "create":
            raise path_not_found()
        if verb not in info.verbs:
            raise method_not_allowed()
        if verb == "get":
            return await self._get(request, info, namespace, name)
        if verb == "list":
            return await self._list(request, info, namespace)
        if verb == "watch":
            from .watch import serve_watch

            return await serve_watch(self, request, info, namespace, name)
        if verb == "create":
            if name:
                raise method_not_allowed()
            return await self._create(request, info, namespace)
        if verb == "update":
            return await self._update(request, info, namespace, name)
        if verb == "patch":
            return await self._patch(request, info, namespace, name)
        if verb == "delete":
            return await self._delete(request, info, namespace, name)
        if verb == "deletecollection":
            return await self._deletecollection(request, info, namespace)
        raise method_not_allowed()

    # -- reads ---------------------------------------------------------------------------------------------
    def _respond_object(self, request: web.BaseRequest, info: ResourceInfo, obj: dict, status: int = 200,
                        headers: dict[str, str] | None = None) -> web.Response:
        accept = parse_accept(request.headers.get("Accept", ""))
        if accept.as_ == "Table":
            table = tables.to_table([obj], group=info.group, resource=info.plural,
                                    include_object=request.query.get("includeObject", "Metadata"),
                                    version=accept.version,
                                    list_meta={"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")})
            return json_response(table, status, headers)
        if accept.as_ == "PartialObjectMetadata":
            return json_response(tables.partial_metadata(obj, accept.version), status, headers)
        return json_response(obj, status, headers)

    async def _get(self, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str) -> web.Response:
        reg = self.registry_for(info)
        co = await reg.get_cached(namespace, name)
        if self._plain(request, info):
            return json_response(with_resource_version(co.kv.value, co.kv.mod_revision))
        return self._respond_object(request, info, self._from_storage(info, co.obj))

    def _plain(self, request: web.BaseRequest, info: ResourceInfo) -> bool:
        """Whether the answer is the stored JSON as is (no Table/metadata form, no version conversion)."""
        if parse_accept(request.headers.get("Accept", "")).as_:
            return False
        return info.api_version == info.storage_api_version

    def _matcher(self, request: web.BaseRequest, info: ResourceInfo, reg: Registry) -> Callable[[dict], bool] | None:
        ls = request.query.get("labelSelector", "")
        fs = request.query.get("fieldSelector", "")
        label_sel = None
        field_sel = None
        if ls:
            try:
                label_sel = parse_selector(ls)
            except ValueError as e:
                raise errors.bad_request(f"unable to parse requirement: {e}") if "unable to parse" not in str(
                    e) else errors.bad_request(str(e)) from None
            if label_sel.empty:
                label_sel = None
        if fs:
            try:
                field_sel = parse_field_selector(fs)
            except ValueError as e:
                raise errors.bad_request(str(e)) from None
            if field_sel.empty:
                field_sel = None
            else:
                sample = reg.strategy.fields({"metadata": {"name": "", "namespace": ""}})
                for req in field_sel.requirements:
                    if req[0] not in sample:
                        raise errors.bad_request(f'field label not supported: {req[0]}')
        if label_sel is None and field_sel is None:
            return None
        fields_of = reg.strategy.fields

        def match(obj: dict) -> bool:
            if label_sel is not None and not label_sel.matches((obj.get("metadata") or {}).get("labels") or {}):
                return False
            if field_sel is not None and not field_sel.matches(fields_of(obj)):
                return False
            return True

        return match

    async def _list(self, request: web.BaseRequest, info: ResourceInfo, namespace: str) -> web.Response:
        reg = self.registry_for(info)
        q = request.query
        try:
            limit = int(q.get("limit", "0") or 0)
        except ValueError:
            raise errors.bad_request(f'invalid value for limit: {q.get("limit")}') from None
        rv_match = q.get("resourceVersionMatch", "")
        rv = q.get("resourceVersion", "")
        if rv_match and rv_match not in ("Exact", "NotOlderThan"):
            raise errors.bad_request(f'resourceVersionMatch: Unsupported value: "{rv_match}": supported values: '
                                     f'"Exact", "NotOlderThan"')
        if rv_match and not rv:
            raise errors.bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided")
        if q.get("continue") and rv:
            raise errors.bad_request("specifying resource version is not allowed when using continue")
        if rv_match == "Exact" and rv == "0":
            raise errors.bad_request('resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        result = await reg.list(namespace, match=self._matcher(request, info, reg), limit=limit,
                                continue_token=q.get("continue", ""), resource_version=rv,
                                resource_version_match=rv_match)
        items = result.items
        if info.api_version != info.storage_api_version:
            items = [self._from_storage(info, o) for o in items]
        meta: dict[str, Any] = {"resourceVersion": result.resource_version}
        if result.continue_token:
            meta["continue"] = result.continue_token
        if result.remaining:
            meta["remainingItemCount"] = result.remaining
        accept = parse_accept(request.headers.get("Accept", ""))
        if accept.as_ == "Table":
            return json_response(tables.to_table(items, group=info.group, resource=info.plural,
                                                 include_object=q.get("includeObject", "Metadata"),
                                                 version=accept.version, list_meta=meta))
        if accept.as_ in ("PartialObjectMetadataList", "PartialObjectMetadata"):
            return json_response({"kind": "PartialObjectMetadataList", "apiVersion": f"meta.k8s.io/{accept.version}",
                                  "metadata": meta,
                                  "items": [tables.partial_metadata(o, accept.version) for o in items]})
        if result.kvs is not None and self._plain(request, info):
            # splice the stored bytes: no object of the list is encoded again
            head = orjson.dumps({"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta})
            body = b"".join((head[:-1], b',"items":[',
                             b",".join(with_resource_version(kv.value, kv.mod_revision) for kv in result.kvs),
                             b"]}"))
            return json_response(body)
        return json_response({"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta,
                              "items": items})

    # -- writes --------------------------------------------------------------------------------------------
    def _check_type(self, info: ResourceInfo, obj: Any, base: dict | None = None) -> dict:
        """``obj`` as upstream decodes it into its Go type: kind and apiVersion checked (filled in when missing),
        null members dropped. ``base`` is the stored object a patch started from: stored objects hold no nulls,
        so top-level fields the patch left equal to it are not walked."""
        if not isinstance(obj, dict):
            raise errors.bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a '
                                     f'{info.kind}: json: cannot unmarshal {_json_type(obj)} into Go value of type '
                                     f'struct')
        av = obj.get("apiVersion")
        kind = obj.get("kind")
        if not kind:
            obj["kind"] = info.kind
        elif kind != info.kind:
            raise errors.bad_request(
                f"the API version in the data ({av}) does not match the expected API version ({info.api_version})"
                if av and av != info.api_version else
                f"{kind} in version \"{info.version}\" cannot be handled as a {info.kind}: "
                f"no kind \"{kind}\" is registered for version \"{info.api_version}\" in scheme "
                f"\"pkg/api/legacyscheme/scheme.go:30\"")
        if not av:
            obj["apiVersion"] = info.api_version
        elif av != info.api_version:
            raise errors.bad_request(
                f"the API version in the data ({av}) does not match the expected API version ({info.api_version})")
        raw = obj.pop("data", _ABSENT) if info.plural == "controllerrevisions" else _ABSENT
        if base is None:
            _drop_nulls(obj)
        else:
            for k in [k for k, v in obj.items() if v is None]:
                del obj[k]
            for k, v in obj.items():
                if isinstance(v, (dict, list)) and base.get(k, _MISSING) != v:
                    _drop_nulls(v)
        if raw is not _ABSENT:
            obj["data"] = raw  # a RawExtension: kept byte for byte (nulls included), as upstream stores it
        md = obj.get("metadata")
        if md is None:
            obj["metadata"] = {}
        elif not isinstance(md, dict):
            raise errors.bad_request(f"{info.kind} in version \"{info.version}\" cannot be handled as a "
                                     f"{info.kind}: json: cannot unmarshal {type(md).__name__} into Go struct field "
                                     f"{info.kind}.metadata of type v1.ObjectMeta")
        return obj

    def _field_validation(self, request: web.BaseRequest, info: ResourceInfo, obj: dict,
                          headers: dict[str, str], base: dict | None = None) -> None:
        """Apply ?fieldValidation (default Warn) to unknown fields: 400, Warning headers, or silent pruning.

        ``base`` is the stored object a patch started from: it passed these checks when it was written (unknown
        fields are never stored), so top-level fields the patch left equal to it are not walked again."""
        mode = request.query.get("fieldValidation", "Warn") or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise errors.bad_request(f'fieldValidation: Unsupported value: "{mode}": supported values: '
                                     f'"Ignore", "Strict", "Warn"')
        view = obj
        if base is not None:
            view = {k: v for k, v in obj.items() if k in ("apiVersion", "kind") or base.get(k, _MISSING) != v}
        decode_problem = decode_error(view, info.group, info.version, info.kind)
        if decode_problem:
            raise errors.bad_request(decode_problem)
        unknown = _schemas.unknown_fields(view, info.group, info.version, info.kind)
        if not unknown:
            return
        if base is not None:
            # upstream decodes a patch's result re-encoded from Go maps, keys sorted at every level
            unknown = sorted(unknown, key=lambda p: p.split("."))
        if mode == "Strict":
            msg = ", ".join(f'unknown field "{p}"' for p in unknown)
            raise errors.bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a '
                                     f'{info.kind}: strict decoding error: {msg}')
        _schemas.prune(obj, info.group, info.version, info.kind)
        if mode == "Warn":
            headers["Warning"] = ", ".join(f'299 - "unknown field \\"{p}\\""' for p in unknown)

    async def _create(self, request: web.BaseRequest, info: ResourceInfo, namespace: str) -> web.Response:
        reg = self.registry_for(info)
        dry = _dry_run(request)
        body, _ = await read_body(request)
        obj = self._check_type(info, body)
        md = obj["metadata"]
        if info.namespaced:
            ns = md.get("namespace")
            if ns and namespace and ns != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            if not namespace:
                raise path_not_found()
            md["namespace"] = namespace
        headers: dict[str, str] = {}
        self._field_validation(request, info, obj, headers)
        apply_defaults(obj, info.group, info.version, info.kind)
        obj = self._record(request, info, None, obj, "")
        stored = await reg.create(self._to_storage(info, obj), dry_run=dry)
        return self._respond_object(request, info, self._from_storage(info, stored), 201, headers)

    async def _update(self, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str,
                      subresource: str = "") -> web.Response:
        reg = self.registry_for(info)
        dry = _dry_run(request)
        body, _ = await read_body(request)
        obj = self._check_type(info, body)
        md = obj["metadata"]
        if md.get("name") and md["name"] != name:
            raise errors.bad_request(f"the name of the object ({md['name']}) does not match the name on the URL "
                                     f"({name})")
        if info.namespaced and md.get("namespace") and md["namespace"] != namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                     "the request")
        md["name"] = name
        headers: dict[str, str] = {}
        self._field_validation(request, info, obj, headers)
        apply_defaults(obj, info.group, info.version, info.kind)
        rv = md.get("resourceVersion") or None

        def mutate(current: dict | None) -> dict:
            new = json_copy(obj)
            old = self._from_storage(info, current) if current is not None else None
            return self._to_storage(info, self._record(request, info, old, new, subresource))

        stored, created = await reg.update(
            namespace, name, mutate, subresource=subresource, dry_run=dry,
            allow_create=reg.strategy.allow_create_on_update and not subresource, precondition_rv=rv,
            copy_current=False)  # the stored object is only read: the new one is the request's own
        return self._respond_object(request, info, self._from_storage(info, stored), 201 if created else 200,
                                    headers)

    def _apply_patch(self, info: ResourceInfo, ctype: str, current: dict, patch: Any) -> dict:
        try:
            if ctype == "application/json-patch+json":
                if not isinstance(patch, list):
                    raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
                return apply_json_patch(current, patch)
            if not isinstance(patch, dict):
                raise errors.bad_request("the body of the request was in an unknown format - accepted media types "
                                         "include: application/json-patch+json, application/merge-patch+json, "
                                         "application/apply-patch+yaml")
            if ctype == "application/merge-patch+json":
                return apply_merge_patch(current, patch)
            meta = _schemas.patch_meta_for(info.group, info.version, info.kind)
            return apply_strategic_merge_patch(current, patch, meta)
        except errors.StatusError:
            raise
        except PatchError as e:
            if e.code == 400:
                raise errors.bad_request(e.message) from None
            if e.code >= 500:
                raise errors.internal_error(e.message) from None
            raise errors.StatusError(422, "Invalid", e.message) from None

    async def _patch(self, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str,
                     subresource: str = "") -> web.Response:
        reg = self.registry_for(info)
        dry = _dry_run(request)
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in _PATCH_TYPES:
            raise errors.unsupported_media_type(sorted(_PATCH_TYPES))
        if ctype == "application/apply-patch+yaml":
            return await self._server_side_apply(request, info, namespace, name, subresource)
        if request.query.get("force"):
            raise errors.bad_request("force: Invalid value: \"true\": may not be specified for non-apply patch")
        patch, _ = await read_body(request)
        headers: dict[str, str] = {}
        precondition: list[str | None] = [None]
        if isinstance(patch, dict):
            prv = (patch.get("metadata") or {}).get("resourceVersion") if isinstance(patch.get("metadata"),
                                                                                   dict) else None
            precondition[0] = prv or None

        def mutate(current: dict | None) -> dict:
            assert current is not None
            served = self._from_storage(info, current)
            patched = self._apply_patch(info, ctype, served, patch)
            patched = self._check_type(info, patched, served)
            if (patched.get("metadata") or {}).get("name", name) != name:
                raise errors.bad_request(f"the name of the object ({patched['metadata']['name']}) does not match "
                                         f"the name on the URL ({name})")
            self._field_validation(request, info, patched, headers, served)
            apply_defaults(patched, info.group, info.version, info.kind)
            return self._to_storage(info, self._record(request, info, served, patched, subresource))

        # patch application builds a fresh document: the cached object is read, never copied first
        stored, _ = await reg.update(namespace, name, mutate, subresource=subresource, dry_run=dry,
                                     precondition_rv=precondition[0], copy_current=False)
        return self._respond_object(request, info, self._from_storage(info, stored), 200, headers)

    # -- field management ----------------------------------------------------------------------------------
    @staticmethod
    def _manager(request: web.BaseRequest) -> str:
        fm = request.query.get("fieldManager", "")
        if len(fm) > 128:
            raise errors.invalid("", "", "", [errors.field_too_long("fieldManager", fm, 128)])
        return manager_or_user_agent(fm, request.headers.get("User-Agent", ""))

    def _ignored(self, info: ResourceInfo, subresource: str, old: dict | None = None,
                 new: dict | None = None) -> FieldSet | None:
        """Fields the write cannot change (its strategy resets them), so nobody comes to own them by it.

        With ``old``/``new`` given, None when the write leaves that part as it was: ignoring it then changes
        nothing, and skipping the set arithmetic keeps the common write cheap."""
        reg = self.registry_for(info)
        if not reg.strategy.has_status:
            return None
        part, ignored = ("spec", _IGNORED_ON_STATUS) if subresource == "status" else ("status", _IGNORED_ON_MAIN)
        if new is not None and (new.get(part) == (old or {}).get(part) or (old is None and part not in new)):
            return None
        return ignored

    def _record(self, request: web.BaseRequest, info: ResourceInfo, old: dict | None, new: dict,
                subresource: str) -> dict:
        """``new`` (the caller's own object, shared with the result) with managedFields updated for this
        (non-apply) write, as upstream's field manager does.

        Creates are memoised: the entry depends only on the object's shape, and objects made from one template
        (the pods of a ReplicaSet, a benchmark's pods) differ only in identity metadata, which is never owned."""
        manager = self._manager(request)
        ignored = self._ignored(info, subresource, old, new)
        now = now_rfc3339()
        md = new.get("metadata")
        if old is None and isinstance(md, dict) and "managedFields" not in md:
            key = _create_shape_key(new, manager, info.api_version, ignored is not None)
            entries = _CREATE_MEMO.get(key)
            if entries is not None:
                md["managedFields"] = [{**e, "time": now} for e in entries]
                return new
            result = update_managed_fields(
                None, new, manager=manager, api_version=info.api_version,
                schema=apply_schema_for(info.group, info.version, info.kind), now=now, ignored=ignored)
            entries = (result.get("metadata") or {}).get("managedFields")
            if entries is not None:
                if len(_CREATE_MEMO) >= _CREATE_MEMO_MAX:
                    _CREATE_MEMO.clear()
                _CREATE_MEMO[key] = entries
            return result
        return update_managed_fields(
            old, new, manager=manager, api_version=info.api_version,
            schema=apply_schema_for(info.group, info.version, info.kind), now=now,
            subresource=subresource, ignored=ignored, in_place=True)

    async def _server_side_apply(self, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str,
                                 subresource: str) -> web.Response:
        """PATCH with application/apply-patch+yaml: merge the applied configuration by field ownership."""
        reg = self.registry_for(info)
        dry = _dry_run(request)
        manager = request.query.get("fieldManager", "")
        if not manager:
            raise errors.bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
        self._manager(request)
        force = _qbool(request.query.get("force"))
        body, _ = await read_body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("error decoding YAML: the applied configuration must be an object")
        if not body.get("apiVersion") or not body.get("kind"):
            raise errors.bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a '
                                     f'{info.kind}: Object \'Kind\' is missing in applied configuration'
                                     if not body.get("kind") else
                                     f'{info.kind} in version "{info.version}" cannot be handled as a '
                                     f'{info.kind}: apiVersion must be set in applied configuration')
        applied = self._check_type(info, body)
        amd = applied["metadata"]
        if amd.get("name") and amd["name"] != name:
            raise errors.bad_request(f"the name of the object ({amd['name']}) does not match the name on the URL "
                                     f"({name})")
        if info.namespaced and amd.get("namespace") and amd["namespace"] != namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                     "the request")
        headers: dict[str, str] = {}
        self._field_validation(request, info, applied, headers)
        schema = apply_schema_for(info.group, info.version, info.kind)
        precondition = amd.get("resourceVersion") or None

        def mutate(current: dict | None) -> dict:
            live = self._from_storage(info, current) if current is not None else None
            try:
                new = apply(live, applied, manager=manager, api_version=info.api_version, force=force,
                            schema=schema, now=now_rfc3339(), subresource=subresource,
                            ignored=self._ignored(info, subresource), kind=info.kind)
            except ApplyConflict as e:
                raise e.status_error() from None
            except ApplyError as e:
                raise e.status_error() from None
            new = self._check_type(info, dict(new))
            new["metadata"]["name"] = name
            if info.namespaced:
                new["metadata"]["namespace"] = namespace
            apply_defaults(new, info.group, info.version, info.kind)
            return self._to_storage(info, new)

        stored, created = await reg.update(namespace, name, mutate, subresource=subresource, dry_run=dry,
                                           allow_create=not subresource, precondition_rv=precondition)
        return self._respond_object(request, info, self._from_storage(info, stored), 201 if created else 200,
                                    headers)

    async def _delete_options(self, request: web.BaseRequest) -> DeleteOptions:
        opts = DeleteOptions(dry_run=_dry_run(request))
        body: dict = {}
        if request.can_read_body and (request.content_length or 0) != 0:
            value, _ = await read_body(request, allow_empty=True)
            if value is not None:
                if not isinstance(value, dict):
                    raise errors.bad_request("DeleteOptions must be an object")
                body = value
        q = request.query
        gp = q.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
        if gp is not None and gp != "":
            try:
                opts.grace_period_seconds = int(gp)
            except (TypeError, ValueError):
                raise errors.bad_request(f"invalid gracePeriodSeconds: {gp}") from None
        pp = q.get("propagationPolicy", body.get("propagationPolicy"))
        if pp:
            if pp not in ("Orphan", "Background", "Foreground"):
                raise errors.invalid("", "DeleteOptions", "", [errors.field_not_supported(
                    "propagationPolicy", pp, ["Foreground", "Background", "Orphan", "nil"])])
            opts.propagation_policy = pp
        od = q.get("orphanDependents", body.get("orphanDependents"))
        if od is not None:
            opts.orphan_dependents = od if isinstance(od, bool) else _qbool(str(od))
        pre = body.get("preconditions") or {}
        opts.precondition_uid = pre.get("uid")
        opts.precondition_rv = pre.get("resourceVersion")
        if body.get("dryRun"):
            opts.dry_run = True
        return opts

    def _delete_answer(self, info: ResourceInfo, reg: Registry, obj: dict, deleted: bool) -> dict:
        if deleted and not reg.strategy.return_deleted_object:
            md = obj.get("metadata") or {}
            details = {"name": md.get("name", ""), "group": info.group, "kind": info.plural, "uid": md.get("uid", "")}
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {k: v for k, v in details.items() if v}}
        return self._from_storage(info, obj)

    async def _delete(self, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str) -> web.Response:
        reg = self.registry_for(info)
        opts = await self._delete_options(request)
        obj, deleted = await reg.delete(namespace, name, opts)
        status = 200
        if not deleted and opts.orphan_dependents is False:
            status = 202
        return json_response(self._delete_answer(info, reg, obj, deleted), status)

    async def _deletecollection(self, request: web.BaseRequest, info: ResourceInfo, namespace: str) -> web.Response:
        reg = self.registry_for(info)
        opts = await self._delete_options(request)
        result = await reg.list(namespace, match=self._matcher(request, info, reg))
        deleted_items = []
        for obj in list(result.items):
            md = obj["metadata"]
            try:
                out, _ = await reg.delete(md.get("namespace", ""), md["name"], opts)
                deleted_items.append(self._from_storage(info, out))
            except errors.StatusError as e:
                if e.code != 404:
                    raise
        return json_response({"kind": info.list_kind, "apiVersion": info.api_version,
                              "metadata": {"resourceVersion": str(reg.cache.revision)}, "items": deleted_items})

    # -- subresources --------------------------------------------------------------------------------------
    async def _subresource(self, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str, sub: str,
                           verb: str) -> web.StreamResponse:
        subinfo = next((s for s in info.subresources if s.name == sub), None)
        if subinfo is None or not name:
            raise path_not_found()
        if verb not in subinfo.verbs:
            raise method_not_allowed()
        if sub == "status":
            if verb == "get":
                return await self._get(request, info, namespace, name)
            if verb == "update":
                return await self._update(request, info, namespace, name, "status")
            return await self._patch(request, info, namespace, name, "status")
        if sub == "finalize" and info.plural == "namespaces":
            return await self._finalize_namespace(request, info, name)
        if sub == "log" and info.plural == "pods" and self.kubelets is not None:
            from .podlogs import serve_pod_log

            return await serve_pod_log(self, request, namespace, name, self.kubelets)
        if sub == "scale":
            from .subresources import serve_scale

            return await serve_scale(self, request, info, namespace, name, verb)
        if sub == "binding":
            from .subresources import serve_binding

            return await serve_binding(self, request, info, namespace, name)
        if sub == "eviction":
            from .subresources import serve_eviction

            return await serve_eviction(self, request, info, namespace, name)
        if sub == "exec" and info.plural == "pods" and self.kubelets is not None:
            from .podexec import serve_pod_exec

            return await serve_pod_exec(self, request, namespace, name, self.kubelets)
        if sub == "token" and info.plural == "serviceaccounts" and self.service_accounts is not None:
            from .tokenrequest import serve_token_request

            return await serve_token_request(self, request, namespace, name, self.service_accounts)
        raise errors.StatusError(
            503, "ServiceUnavailable",
            f"{info.plural}/{sub} is not served yet by this server (see docs/COMPATIBILITY.md)", None)

    async def _finalize_namespace(self, request: web.BaseRequest, info: ResourceInfo, name: str) -> web.Response:
        reg = self.registry_for(info)
        body, _ = await read_body(request)
        obj = self._check_type(info, body)
        finalizers = ((obj.get("spec") or {}).get("finalizers")) or []

        def mutate(cur: dict | None) -> dict:
            assert cur is not None
            cur.setdefault("spec", {})["finalizers"] = finalizers
            return cur

        # once both spec.finalizers and metadata.finalizers are empty on a deleted namespace, the update removes it
        stored, _ = await reg.update("", name, mutate, subresource="finalize")
        return json_response(self._from_storage(info, stored))


_CREATE_MEMO: dict[bytes, list[dict]] = {}
_CREATE_MEMO_MAX = 2048
_IDENTITY_META = ("name", "namespace", "uid", "creationTimestamp", "resourceVersion")


def _create_shape_key(obj: dict, manager: str, api_version: str, ignoring: bool) -> bytes:
    """Everything a create's managedFields entry can depend on: the manager, the version, whether reset fields are
    ignored, and the object's shape without its identity metadata (which managedFields never records).

    The shape keeps every object key and every list whole, but not the scalar values outside lists: a field set
    names struct fields and map keys (kept) and list items by their key fields or values (kept with the list);
    a scalar leaf only counts as present. So Events that differ in message and time, or pods that differ in
    label values, share one entry."""
    md = obj["metadata"]
    stripped = {**obj, "metadata": {k: v for k, v in md.items() if k not in _IDENTITY_META}}
    return orjson.dumps([manager, api_version, ignoring, _shape(stripped)], option=orjson.OPT_SORT_KEYS)


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if value is None or isinstance(value, list):
        return value
    return 0


_ABSENT = object()


def _drop_nulls(value: Any) -> None:
    """Remove null members of objects, recursively (mutates): decoding into upstream's typed structs drops them."""
    if isinstance(value, dict):
        for k in [k for k, v in value.items() if v is None]:
            del value[k]
        for v in value.values():
            if isinstance(v, (dict, list)):
                _drop_nulls(v)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)):
                _drop_nulls(v)


def _json_type(v: Any) -> str:
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return "null"
