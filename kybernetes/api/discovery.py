"""Discovery documents: how clients learn which groups, versions and resources the server offers.

Two generations exist and kubectl uses both:

- aggregated discovery (``apidiscovery.k8s.io/v2`` ``APIGroupDiscoveryList``): ``GET /api`` answers the core
  group alone, ``GET /apis`` every named group, each with all its versions and resources (scope, singular name,
  verbs, short names, categories, subresources and the kind every resource and subresource answers);
- legacy discovery: ``/api`` (``APIVersions``), ``/apis`` (``APIGroupList``), ``/apis/<group>`` (``APIGroup``)
  and one ``APIResourceList`` per group-version, where subresources appear as ``pods/status`` entries.  kubectl
  still reads these, e.g. drain looks for ``pods/eviction`` there.

As upstream, a resource's ``responseKind`` carries an empty group and version when the kind belongs to the
resource's own group-version; only cross-group kinds (``autoscaling/v1 Scale`` for ``deployments/scale``,
``policy/v1 Eviction`` for ``pods/eviction``) name theirs.  All functions build fresh plain dicts from a
catalogue and have no side effects.
"""

from __future__ import annotations

from .catalogue import Catalogue, ResourceInfo, SubresourceInfo

__all__ = [
    "aggregated_discovery",
    "api_versions",
    "api_group_list",
    "api_group",
    "api_resource_list",
    "AGGREGATED_CONTENT_TYPE",
]

# The Content-Type kubectl requires before it treats a response as aggregated discovery.
AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _response_kind(group: str, version: str, kind: str, owner: ResourceInfo) -> dict:
    if (group, version) == (owner.group, owner.version):
        group = version = ""
    return {"group": group, "kind": kind, "version": version}


def _aggregated_subresource(info: ResourceInfo, sub: SubresourceInfo) -> dict:
    return {
        "responseKind": _response_kind(sub.group, sub.version, sub.kind, info),
        "subresource": sub.name,
        "verbs": list(sub.verbs),
    }


def _aggregated_resource(info: ResourceInfo) -> dict:
    out: dict = {
        "resource": info.plural,
        "responseKind": _response_kind(info.group, info.version, info.kind, info),
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        out["shortNames"] = list(info.short_names)
    if info.categories:
        out["categories"] = list(info.categories)
    if info.subresources:
        out["subresources"] = [_aggregated_subresource(info, sub) for sub in info.subresources]
    return out


def _aggregated_group(catalogue: Catalogue, group: str, versions: list[str]) -> dict:
    metadata: dict = {"creationTimestamp": None}
    if group:
        metadata["name"] = group
    return {
        "metadata": metadata,
        "versions": [
            {
                "version": version,
                "resources": [_aggregated_resource(info) for info in catalogue.resources_for(group, version)],
                "freshness": "Current",
            }
            for version in versions
        ],
    }


def aggregated_discovery(catalogue: Catalogue, *, legacy_core: bool) -> dict:
    """The ``APIGroupDiscoveryList`` for ``/api`` (``legacy_core=True``: the core group alone) or ``/apis``
    (every named group, in upstream's order, versions preferred first).  Serve it with
    `AGGREGATED_CONTENT_TYPE`."""
    items = [
        _aggregated_group(catalogue, group, versions)
        for group, versions in catalogue.groups()
        if (group == "") == legacy_core
    ]
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}


def api_versions(server_address: str) -> dict:
    """``GET /api`` in legacy form.  ``server_address`` (``host:port``) is where clients reach this server."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_version(group: str, version: str) -> dict:
    return {"groupVersion": f"{group}/{version}", "version": version}


def _api_group_body(group: str, versions: list[str]) -> dict:
    return {
        "name": group,
        "versions": [_group_version(group, v) for v in versions],
        "preferredVersion": _group_version(group, versions[0]),
    }


def api_group_list(catalogue: Catalogue) -> dict:
    """``GET /apis`` in legacy form: every named group with its versions, preferred first."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_api_group_body(group, versions) for group, versions in catalogue.groups() if group],
    }


def api_group(catalogue: Catalogue, group: str) -> dict | None:
    """``GET /apis/<group>``, or None for an unknown group (and for the core group, which has no such path)."""
    if not group:
        return None
    versions = dict(catalogue.groups()).get(group)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group_body(group, versions)}


def _legacy_resource(info: ResourceInfo) -> dict:
    out: dict = {
        "name": info.plural,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        out["shortNames"] = list(info.short_names)
    if info.categories:
        out["categories"] = list(info.categories)
    if info.stored:
        out["storageVersionHash"] = info.storage_version_hash
    return out


def _legacy_subresource(info: ResourceInfo, sub: SubresourceInfo) -> dict:
    out: dict = {"name": f"{info.plural}/{sub.name}", "singularName": "", "namespaced": info.namespaced}
    if (sub.group, sub.version) != (info.group, info.version):
        out["group"] = sub.group
        out["version"] = sub.version
    out["kind"] = sub.kind
    out["verbs"] = list(sub.verbs)
    return out


def api_resource_list(catalogue: Catalogue, group: str, version: str) -> dict | None:
    """``GET /api/v1`` or ``/apis/<group>/<version>``: the ``APIResourceList``, resources and their
    subresources sorted by name; None when the group-version is not served."""
    resources = catalogue.resources_for(group, version)
    if not resources:
        return None
    entries: list[dict] = []
    for info in resources:
        entries.append(_legacy_resource(info))
        entries.extend(_legacy_subresource(info, sub) for sub in info.subresources)
    entries.sort(key=lambda e: e["name"])
    out: dict = {"kind": "APIResourceList"}
    if group:
        # Upstream's /api/v1 answer has no apiVersion; the named groups' answers do.
        out["apiVersion"] = "v1"
        out["groupVersion"] = f"{group}/{version}"
    else:
        out["groupVersion"] = version
    out["resources"] = entries
    return out
