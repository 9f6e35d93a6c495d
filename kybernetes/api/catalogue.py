"""The resource catalogue: every REST resource the API server serves, as data.

A resource is named by its group, version and plural (``apps/v1 deployments``); it holds one kind, has a scope
(namespaced or cluster-wide), supports a set of verbs, may carry short names and categories (``deploy``; ``all``
for ``kubectl get all``) and subresources (``deployments/scale`` answers ``autoscaling/v1 Scale``).  Several
served versions may share one stored representation: ``autoscaling/v1`` and ``autoscaling/v2``
HorizontalPodAutoscalers are both kept as ``autoscaling/v2``; core ``v1`` and ``events.k8s.io/v1`` Events are both
kept as core ``v1`` under the ``events`` key segment.  The storage version also feeds the ``storageVersionHash``
of discovery.

The built-in catalogue lists what Kubernetes 1.32 serves with its default configuration (GA, enabled by default;
no alpha or disabled beta versions).  Verbs, short names, categories and subresources are those upstream's
discovery documents show.  Custom resource definitions extend a catalogue at run time through `Catalogue.add`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "ResourceInfo",
    "SubresourceInfo",
    "Catalogue",
    "builtin_catalogue",
    "version_priority_key",
]

# The verb sets upstream uses over and over.
FULL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
GET_PATCH_UPDATE = ("get", "patch", "update")
CREATE_ONLY = ("create",)
CREATE_GET = ("create", "get")
PROXY_VERBS = ("create", "delete", "get", "patch", "update")


@dataclass(frozen=True, slots=True)
class SubresourceInfo:
    """A subresource such as ``pods/status``: the kind it reads and writes (with its group and version, which
    differ from the parent's for e.g. ``pods/eviction`` -> ``policy/v1 Eviction``) and its verbs."""

    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """One served resource of one group-version.

    ``storage_group``/``storage_version``/``storage_resource`` name the representation objects are stored in;
    they default to the resource's own group, version and plural.  ``stored`` is False for virtual resources
    that keep nothing (reviews, bindings, componentstatuses); those carry no storage version hash.
    ``delete_returns_object`` is True where upstream's DELETE answers the deleted object rather than a Status
    (pods, services, persistent volumes, ...).
    """

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[SubresourceInfo, ...] = ()
    storage_group: str = ""
    storage_version: str = ""
    storage_resource: str = ""
    stored: bool = True
    delete_returns_object: bool = False

    def __post_init__(self) -> None:
        # Frozen dataclass: fill the storage defaults through object.__setattr__.
        if not self.storage_version:
            object.__setattr__(self, "storage_group", self.group)
            object.__setattr__(self, "storage_version", self.version)
        if not self.storage_resource:
            object.__setattr__(self, "storage_resource", self.plural)

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, ``<group>/<version>`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_api_version(self) -> str:
        """The apiVersion objects of this resource are stored in (differs for versions sharing storage)."""
        return f"{self.storage_group}/{self.storage_version}" if self.storage_group else self.storage_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def storage_version_hash(self) -> str:
        """Upstream's opaque hash of the storage group/version/kind (base64 of the first 8 bytes of its sha256);
        empty for resources that store nothing."""
        if not self.stored:
            return ""
        gvk = f"{self.storage_group}/{self.storage_version}/{self.kind}"
        return base64.b64encode(hashlib.sha256(gvk.encode()).digest()[:8]).decode()

    def subresource(self, name: str) -> SubresourceInfo | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None


_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority_key(version: str) -> tuple:
    """Sort key ordering versions as Kubernetes does: GA before beta before alpha, higher numbers first, then
    anything not shaped like a Kubernetes version, alphabetically."""
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0, version)
    major = int(m.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, "")


class Catalogue:
    """An ordered, mutable set of `ResourceInfo`, indexed by path and by kind.

    Not safe for concurrent mutation from several threads; the API server mutates it from its event loop only.
    ``generation`` increases on every change so caches derived from a catalogue can notice.
    """

    def __init__(self, resources: list[ResourceInfo] = (), group_order: list[tuple[str, list[str]]] = ()) -> None:
        self._by_path: dict[tuple[str, str, str], ResourceInfo] = {}
        self._by_kind: dict[tuple[str, str, str], ResourceInfo] = {}
        # group -> served versions, preferred first; dict order is the upstream group order.
        self._groups: dict[str, list[str]] = {group: list(versions) for group, versions in group_order}
        self.generation = 0
        for info in resources:
            self.add(info)

    def add(self, info: ResourceInfo) -> None:
        """Add or replace a resource (keyed by group, version and plural).  A group seen for the first time is
        placed after all known groups; a new version of a known group is placed by version priority."""
        key = (info.group, info.version, info.plural)
        old = self._by_path.get(key)
        if old is not None and self._by_kind.get((old.group, old.version, old.kind)) is old:
            del self._by_kind[(old.group, old.version, old.kind)]
        self._by_path[key] = info
        self._by_kind.setdefault((info.group, info.version, info.kind), info)
        versions = self._groups.setdefault(info.group, [])
        if info.version not in versions:
            versions.append(info.version)
            versions.sort(key=version_priority_key)
        self.generation += 1

    def remove(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        """Remove a resource (a deleted CRD version); drops the version and group once nothing is left in them."""
        info = self._by_path.pop((group, version, plural), None)
        if info is None:
            return None
        if self._by_kind.get((group, version, info.kind)) is info:
            del self._by_kind[(group, version, info.kind)]
            for other in self._by_path.values():
                if (other.group, other.version, other.kind) == (group, version, info.kind):
                    self._by_kind[(group, version, info.kind)] = other
                    break
        if not any(g == group and v == version for g, v, _ in self._by_path):
            self._groups[group].remove(version)
            if not self._groups[group]:
                del self._groups[group]
        self.generation += 1
        return info

    def resources(self) -> list[ResourceInfo]:
        """All resources, in group order, then preferred-version order, then by plural."""
        out: list[ResourceInfo] = []
        for group, versions in self._groups.items():
            for version in versions:
                out.extend(self.resources_for(group, version))
        return out

    def resources_for(self, group: str, version: str) -> list[ResourceInfo]:
        """The resources of one group-version sorted by plural (upstream's discovery order)."""
        found = [info for (g, v, _), info in self._by_path.items() if g == group and v == version]
        found.sort(key=lambda info: info.plural)
        return found

    def lookup(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceInfo | None:
        return self._by_kind.get((group, version, kind))

    def groups(self) -> list[tuple[str, list[str]]]:
        """``(group, served versions with the preferred one first)`` in upstream's order; the core group ``""``
        comes first."""
        return [(group, list(versions)) for group, versions in self._groups.items() if versions]

    def preferred_version(self, group: str) -> str | None:
        versions = self._groups.get(group)
        return versions[0] if versions else None


# --------------------------------------------------------------------------------------------------------------
# The built-in resources of Kubernetes 1.32.


def _sub(name: str, kind: str, verbs: tuple[str, ...], group: str, version: str) -> SubresourceInfo:
    return SubresourceInfo(name=name, group=group, version=version, kind=kind, verbs=verbs)


def _res(
    group: str,
    version: str,
    kind: str,
    plural: str,
    *,
    namespaced: bool,
    verbs: tuple[str, ...] = FULL_VERBS,
    short: tuple[str, ...] = (),
    cats: tuple[str, ...] = (),
    subs: tuple[tuple, ...] = (),
    singular: str | None = None,
    storage: tuple[str, str, str] | None = None,
    stored: bool = True,
    returns_deleted: bool = False,
) -> ResourceInfo:
    """Shorthand: ``subs`` items are ``(name, verbs)`` for the parent's own kind or ``(name, verbs, kind)`` /
    ``(name, verbs, kind, group, version)`` for other kinds."""
    subresources = []
    for item in sorted(subs, key=lambda s: s[0]):
        name, sub_verbs, *rest = item
        sub_kind = rest[0] if rest else kind
        sub_group, sub_version = (rest[1], rest[2]) if len(rest) == 3 else (group, version)
        subresources.append(_sub(name, sub_kind, sub_verbs, sub_group, sub_version))
    storage_group, storage_version, storage_resource = storage or ("", "", "")
    return ResourceInfo(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=singular if singular is not None else kind.lower(),
        namespaced=namespaced,
        verbs=verbs,
        short_names=short,
        categories=cats,
        subresources=tuple(subresources),
        storage_group=storage_group,
        storage_version=storage_version,
        storage_resource=storage_resource,
        stored=stored,
        delete_returns_object=returns_deleted,
    )


STATUS = ("status", GET_PATCH_UPDATE)
SCALE = ("scale", GET_PATCH_UPDATE, "Scale", "autoscaling", "v1")
ALL = ("all",)
API_EXTENSIONS = ("api-extensions",)

# Upstream's group order (the order /apis lists groups in) and the versions each serves by default.
BUILTIN_GROUPS: list[tuple[str, list[str]]] = [
    ("", ["v1"]),
    ("apiregistration.k8s.io", ["v1"]),
    ("apps", ["v1"]),
    ("events.k8s.io", ["v1"]),
    ("authentication.k8s.io", ["v1"]),
    ("authorization.k8s.io", ["v1"]),
    ("autoscaling", ["v2", "v1"]),
    ("batch", ["v1"]),
    ("certificates.k8s.io", ["v1"]),
    ("networking.k8s.io", ["v1"]),
    ("policy", ["v1"]),
    ("rbac.authorization.k8s.io", ["v1"]),
    ("storage.k8s.io", ["v1"]),
    ("admissionregistration.k8s.io", ["v1"]),
    ("apiextensions.k8s.io", ["v1"]),
    ("scheduling.k8s.io", ["v1"]),
    ("coordination.k8s.io", ["v1"]),
    ("node.k8s.io", ["v1"]),
    ("discovery.k8s.io", ["v1"]),
    ("flowcontrol.apiserver.k8s.io", ["v1"]),
]


def _core() -> list[ResourceInfo]:
    g, v = "", "v1"
    return [
        _res(g, v, "Binding", "bindings", namespaced=True, verbs=CREATE_ONLY, stored=False),
        _res(g, v, "ComponentStatus", "componentstatuses", namespaced=False, verbs=("get", "list"), short=("cs",),
             stored=False),
        _res(g, v, "ConfigMap", "configmaps", namespaced=True, short=("cm",)),
        _res(g, v, "Endpoints", "endpoints", namespaced=True, short=("ep",), singular="endpoints"),
        _res(g, v, "Event", "events", namespaced=True, short=("ev",)),
        _res(g, v, "LimitRange", "limitranges", namespaced=True, short=("limits",)),
        _res(g, v, "Namespace", "namespaces", namespaced=False,
             verbs=("create", "delete", "get", "list", "patch", "update", "watch"), short=("ns",),
             subs=(("finalize", ("update",)), STATUS)),
        _res(g, v, "Node", "nodes", namespaced=False, short=("no",),
             subs=(("proxy", PROXY_VERBS, "NodeProxyOptions"), STATUS)),
        _res(g, v, "PersistentVolumeClaim", "persistentvolumeclaims", namespaced=True, short=("pvc",),
             subs=(STATUS,), returns_deleted=True),
        _res(g, v, "PersistentVolume", "persistentvolumes", namespaced=False, short=("pv",), subs=(STATUS,),
             returns_deleted=True),
        _res(g, v, "Pod", "pods", namespaced=True, short=("po",), cats=ALL, returns_deleted=True, subs=(
            ("attach", CREATE_GET, "PodAttachOptions"),
            ("binding", CREATE_ONLY, "Binding"),
            ("ephemeralcontainers", GET_PATCH_UPDATE),
            ("eviction", CREATE_ONLY, "Eviction", "policy", "v1"),
            ("exec", CREATE_GET, "PodExecOptions"),
            ("log", ("get",)),
            ("portforward", CREATE_GET, "PodPortForwardOptions"),
            ("proxy", PROXY_VERBS, "PodProxyOptions"),
            STATUS,
        )),
        _res(g, v, "PodTemplate", "podtemplates", namespaced=True, returns_deleted=True),
        _res(g, v, "ReplicationController", "replicationcontrollers", namespaced=True, short=("rc",), cats=ALL,
             subs=(SCALE, STATUS)),
        _res(g, v, "ResourceQuota", "resourcequotas", namespaced=True, short=("quota",), subs=(STATUS,),
             returns_deleted=True),
        _res(g, v, "Secret", "secrets", namespaced=True),
        _res(g, v, "ServiceAccount", "serviceaccounts", namespaced=True, short=("sa",), returns_deleted=True,
             subs=(("token", CREATE_ONLY, "TokenRequest", "authentication.k8s.io", "v1"),)),
        # Services do not support deletecollection in 1.32 (their deletion releases IPs and ports one by one).
        _res(g, v, "Service", "services", namespaced=True,
             verbs=("create", "delete", "get", "list", "patch", "update", "watch"), short=("svc",), cats=ALL,
             returns_deleted=True,
             subs=(("proxy", PROXY_VERBS, "ServiceProxyOptions"), STATUS)),
    ]


def _named() -> list[ResourceInfo]:
    out: list[ResourceInfo] = []
    add = out.append

    g = "apiregistration.k8s.io"
    add(_res(g, "v1", "APIService", "apiservices", namespaced=False, cats=API_EXTENSIONS, subs=(STATUS,)))

    g = "apps"
    add(_res(g, "v1", "ControllerRevision", "controllerrevisions", namespaced=True))
    add(_res(g, "v1", "DaemonSet", "daemonsets", namespaced=True, short=("ds",), cats=ALL, subs=(STATUS,)))
    add(_res(g, "v1", "Deployment", "deployments", namespaced=True, short=("deploy",), cats=ALL,
             subs=(SCALE, STATUS)))
    add(_res(g, "v1", "ReplicaSet", "replicasets", namespaced=True, short=("rs",), cats=ALL, subs=(SCALE, STATUS)))
    add(_res(g, "v1", "StatefulSet", "statefulsets", namespaced=True, short=("sts",), cats=ALL,
             subs=(SCALE, STATUS)))

    add(_res("events.k8s.io", "v1", "Event", "events", namespaced=True, short=("ev",),
             storage=("", "v1", "events")))

    g = "authentication.k8s.io"
    add(_res(g, "v1", "SelfSubjectReview", "selfsubjectreviews", namespaced=False, verbs=CREATE_ONLY, stored=False))
    add(_res(g, "v1", "TokenReview", "tokenreviews", namespaced=False, verbs=CREATE_ONLY, stored=False))

    g = "authorization.k8s.io"
    add(_res(g, "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", namespaced=True, verbs=CREATE_ONLY,
             stored=False))
    add(_res(g, "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", namespaced=False, verbs=CREATE_ONLY,
             stored=False))
    add(_res(g, "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", namespaced=False, verbs=CREATE_ONLY,
             stored=False))
    add(_res(g, "v1", "SubjectAccessReview", "subjectaccessreviews", namespaced=False, verbs=CREATE_ONLY,
             stored=False))

    for version in ("v2", "v1"):
        add(_res("autoscaling", version, "HorizontalPodAutoscaler", "horizontalpodautoscalers", namespaced=True,
                 short=("hpa",), cats=ALL, subs=(STATUS,), storage=("autoscaling", "v2", "horizontalpodautoscalers")))

    g = "batch"
    add(_res(g, "v1", "CronJob", "cronjobs", namespaced=True, short=("cj",), cats=ALL, subs=(STATUS,)))
    add(_res(g, "v1", "Job", "jobs", namespaced=True, cats=ALL, subs=(STATUS,)))

    add(_res("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests",
             namespaced=False, short=("csr",), subs=(("approval", GET_PATCH_UPDATE), STATUS)))

    g = "networking.k8s.io"
    add(_res(g, "v1", "IngressClass", "ingressclasses", namespaced=False))
    add(_res(g, "v1", "Ingress", "ingresses", namespaced=True, short=("ing",), subs=(STATUS,)))
    add(_res(g, "v1", "NetworkPolicy", "networkpolicies", namespaced=True, short=("netpol",)))

    add(_res("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", namespaced=True, short=("pdb",),
             subs=(STATUS,)))

    g = "rbac.authorization.k8s.io"
    add(_res(g, "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False))
    add(_res(g, "v1", "ClusterRole", "clusterroles", namespaced=False))
    add(_res(g, "v1", "RoleBinding", "rolebindings", namespaced=True))
    add(_res(g, "v1", "Role", "roles", namespaced=True))

    g = "storage.k8s.io"
    add(_res(g, "v1", "CSIDriver", "csidrivers", namespaced=False, returns_deleted=True))
    add(_res(g, "v1", "CSINode", "csinodes", namespaced=False, returns_deleted=True))
    add(_res(g, "v1", "CSIStorageCapacity", "csistoragecapacities", namespaced=True))
    add(_res(g, "v1", "StorageClass", "storageclasses", namespaced=False, short=("sc",), returns_deleted=True))
    add(_res(g, "v1", "VolumeAttachment", "volumeattachments", namespaced=False, subs=(STATUS,),
             returns_deleted=True))

    g = "admissionregistration.k8s.io"
    add(_res(g, "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", namespaced=False,
             cats=API_EXTENSIONS))
    add(_res(g, "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", namespaced=False,
             cats=API_EXTENSIONS, subs=(STATUS,)))
    add(_res(g, "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", namespaced=False,
             cats=API_EXTENSIONS))
    add(_res(g, "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", namespaced=False,
             cats=API_EXTENSIONS))

    add(_res("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
             namespaced=False, short=("crd", "crds"), cats=API_EXTENSIONS, subs=(STATUS,)))

    add(_res("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", namespaced=False, short=("pc",)))
    add(_res("coordination.k8s.io", "v1", "Lease", "leases", namespaced=True))
    add(_res("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", namespaced=False))
    add(_res("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", namespaced=True))

    g = "flowcontrol.apiserver.k8s.io"
    add(_res(g, "v1", "FlowSchema", "flowschemas", namespaced=False, subs=(STATUS,)))
    add(_res(g, "v1", "PriorityLevelConfiguration", "prioritylevelconfigurations", namespaced=False,
             subs=(STATUS,)))
    return out


def builtin_catalogue() -> Catalogue:
    """A fresh catalogue holding the built-in resources of Kubernetes 1.32 (callers may extend it)."""
    return Catalogue(_core() + _named(), BUILTIN_GROUPS)
