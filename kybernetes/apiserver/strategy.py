"""Per-resource API behaviour consumed by the one generic registry (upstream's "registry strategies").

A ``Strategy`` answers the questions the registry's fixed pipeline asks about a resource: does it track
``metadata.generation``, does it have a status subresource (so writes to the main resource leave status alone and
writes to status leave the rest alone), how is it deleted (gracefully, like pods bound to a node), which fields can
a field selector use, and what does a delete answer. The pipeline (``registry.py``) calls, in order:
``prepare_for_create`` -> ``validate`` on create; ``prepare_for_update`` -> ``validate_update`` on update.
``prepare_*`` mutate the object passed in; ``validate*`` never mutate and return field errors.
Defaulting and type-specific validation come from ``api`` modules as they arrive.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kybernetes.api.catalogue import ResourceInfo
from kybernetes.api import validation
from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation_podstatus import effective_pod_ips
from kybernetes.machinery.quantity import parse_quantity
from kybernetes.machinery.errors import FieldError

__all__ = ["Strategy", "strategy_for", "FieldsFunc"]

FieldsFunc = Callable[[dict], Mapping[str, str]]

# Resources whose strategies set metadata.generation (upstream PrepareForCreate sets 1, bumps on spec change).
_GENERATION = {
    ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
    ("", "replicationcontrollers"), ("batch", "jobs"), ("batch", "cronjobs"),
    ("autoscaling", "horizontalpodautoscalers"), ("policy", "poddisruptionbudgets"),
    ("networking.k8s.io", "ingresses"), ("networking.k8s.io", "networkpolicies"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"),
}

# The status a create resets to, as Go's encoder writes the empty struct (fields without omitempty stay).
_EMPTY_STATUS: dict[tuple[str, str], dict] = {
    ("", "services"): {"loadBalancer": {}},
    ("networking.k8s.io", "ingresses"): {"loadBalancer": {}},
    ("policy", "poddisruptionbudgets"): {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0,
                                         "expectedPods": 0},
    ("apps", "deployments"): {},
    ("apps", "replicasets"): {"replicas": 0},
    ("apps", "statefulsets"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "daemonsets"): {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                             "numberReady": 0},
    ("", "replicationcontrollers"): {"replicas": 0},
    ("batch", "jobs"): {},
    ("batch", "cronjobs"): {},
    ("autoscaling", "horizontalpodautoscalers"): {"desiredReplicas": 0},
}

# PUT of a missing object creates it (upstream AllowCreateOnUpdate).
_CREATE_ON_UPDATE = {
    ("", "endpoints"), ("", "events"), ("", "limitranges"), ("", "serviceaccounts"),
    ("coordination.k8s.io", "leases"), ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"), ("discovery.k8s.io", "endpointslices"),
    ("events.k8s.io", "events"), ("apiregistration.k8s.io", "apiservices"),
}


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(p)
    return cur


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _meta_fields(obj: dict) -> dict[str, str]:
    md = obj.get("metadata") or {}
    out = {"metadata.name": md.get("name", "")}
    if "namespace" in md:
        out["metadata.namespace"] = md.get("namespace", "")
    return out


def _pod_fields(obj: dict) -> dict[str, str]:
    out = _meta_fields(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    out["spec.nodeName"] = _s(spec.get("nodeName"))
    out["spec.restartPolicy"] = _s(spec.get("restartPolicy"))
    out["spec.schedulerName"] = _s(spec.get("schedulerName"))
    out["spec.serviceAccountName"] = _s(spec.get("serviceAccountName"))
    out["spec.hostNetwork"] = _s(bool(spec.get("hostNetwork", False)))
    out["status.phase"] = _s(status.get("phase"))
    ips = status.get("podIPs") or []
    out["status.podIP"] = _s(ips[0].get("ip")) if ips else _s(status.get("podIP"))
    out["status.nominatedNodeName"] = _s(status.get("nominatedNodeName"))
    return out


def _event_fields(obj: dict) -> dict[str, str]:
    out = _meta_fields(obj)
    io = obj.get("involvedObject") or {}
    for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"):
        out[f"involvedObject.{k}"] = _s(io.get(k))
    out["reason"] = _s(obj.get("reason"))
    out["reportingComponent"] = _s(obj.get("reportingComponent"))
    out["source"] = _s(_get(obj, "source", "component"))
    out["type"] = _s(obj.get("type"))
    return out


def _field_funcs() -> dict[tuple[str, str], FieldsFunc]:
    def simple(**paths: tuple[str, ...]) -> FieldsFunc:
        def f(obj: dict) -> dict[str, str]:
            out = _meta_fields(obj)
            for name, p in paths.items():
                out[name.replace("__", ".")] = _s(_get(obj, *p))
            return out

        return f

    return {
        ("", "pods"): _pod_fields,
        ("", "events"): _event_fields,
        ("", "secrets"): simple(type=("type",)),
        ("", "nodes"): simple(spec__unschedulable=("spec", "unschedulable")),
        ("", "namespaces"): simple(status__phase=("status", "phase")),
        ("", "replicationcontrollers"): simple(status__replicas=("status", "replicas")),
        ("", "services"): simple(spec__clusterIP=("spec", "clusterIP"), spec__type=("spec", "type")),
        ("", "persistentvolumeclaims"): simple(),
        ("apps", "replicasets"): simple(status__replicas=("status", "replicas")),
        ("batch", "jobs"): simple(status__successful=("status", "successful")),
        ("certificates.k8s.io", "certificatesigningrequests"): simple(spec__signerName=("spec", "signerName")),
        ("events.k8s.io", "events"): _event_fields,
    }


_FIELDS = _field_funcs()

DS_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


@dataclass(slots=True)
class Strategy:
    """How one resource behaves at the API (see module docstring)."""

    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    has_status: bool
    track_generation: bool
    return_deleted_object: bool
    allow_create_on_update: bool
    fields: FieldsFunc = field(default=_meta_fields)

    # -- create -------------------------------------------------------------------------------------------
    def prepare_for_create(self, obj: dict) -> None:
        """Reset what a client may not set on create (mutates ``obj``)."""
        md = obj["metadata"]
        if (self.group, self.resource) == ("", "secrets"):
            _merge_string_data(obj)
        if self.track_generation:
            md["generation"] = 1
        if self.has_status and self.resource != "pods":
            obj.pop("status", None)
            empty = _EMPTY_STATUS.get((self.group, self.resource))
            if empty is not None:
                obj["status"] = copy.deepcopy(empty)
        if (self.group, self.resource) == ("", "pods"):
            obj["status"] = {"phase": "Pending", "qosClass": pod_qos_class(obj.get("spec") or {})}
        if (self.group, self.resource) == ("batch", "jobs"):
            _generate_job_selector(obj)
        if (self.group, self.resource) == ("", "services"):
            _normalize_cluster_ips(obj, None)
        if (self.group, self.resource) == ("rbac.authorization.k8s.io", "clusterroles"):
            obj.setdefault("rules", None)  # Go writes the nil slice as null (no omitempty)
        if (self.group, self.resource) == ("apps", "daemonsets"):
            # apps/v1 carries the internal templateGeneration in this annotation (1 at creation)
            md.setdefault("annotations", {})[DS_TEMPLATE_GENERATION] = "1"
        if (self.group, self.resource) == ("", "namespaces"):
            obj["spec"] = {"finalizers": ["kubernetes"], **(obj.get("spec") or {})}
            obj["status"] = {"phase": "Active"}
        # upstream defaults again when it reads the stored object back (e.g. a reset status gets its phase)
        apply_defaults(obj, self.group, self.version, self.kind)

    def validate(self, obj: dict) -> list[FieldError]:
        """Errors of a new object (never mutates): upstream's validation of the kind."""
        return validation.validate(obj, self.group, self.version, self.kind, namespaced=self.namespaced)

    # -- update -------------------------------------------------------------------------------------------
    def prepare_for_update(self, new: dict, old: dict, *, subresource: str = "") -> None:
        """Carry over what a write of ``subresource`` ("" or "status") may not change (mutates ``new``)."""
        if (self.group, self.resource) == ("", "secrets"):
            _merge_string_data(new)
        if (self.group, self.resource) == ("", "services"):
            _normalize_cluster_ips(new, old)
        if (self.group, self.resource) == ("rbac.authorization.k8s.io", "clusterroles"):
            new.setdefault("rules", None)
        if self.has_status:
            if subresource == "status":
                for k in list(new):
                    if k not in ("status", "metadata", "apiVersion", "kind"):
                        del new[k]
                for k, v in old.items():
                    if k not in ("status", "metadata", "apiVersion", "kind"):
                        new[k] = v
                if (self.group, self.resource) == ("", "pods"):
                    _prepare_pod_status(new, old)
            elif subresource == "binding":
                pass  # pods/binding sets spec.nodeName and the PodScheduled condition together
            elif "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if (self.group, self.resource) == ("apps", "daemonsets") and subresource == "":
            old_gen = ((old.get("metadata") or {}).get("annotations") or {}).get(DS_TEMPLATE_GENERATION, "1")
            try:
                tgen = int(old_gen)
            except ValueError:
                tgen = 1
            if (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
                tgen += 1
            new["metadata"].setdefault("annotations", {})[DS_TEMPLATE_GENERATION] = str(tgen)
        if self.track_generation:
            gen = (old.get("metadata") or {}).get("generation") or 1
            if _spec_changed(new, old):
                gen += 1
            new["metadata"]["generation"] = gen
        apply_defaults(new, self.group, self.version, self.kind)

    def validate_update(self, new: dict, old: dict, *, subresource: str = "") -> list[FieldError]:
        """Errors of replacing ``old`` with ``new`` through ``subresource`` (never mutates)."""
        if subresource == "status" and self.has_status:
            return validation.validate_status_update(new, old, self.group, self.version, self.kind,
                                                     namespaced=self.namespaced)
        return validation.validate_update(new, old, self.group, self.version, self.kind, namespaced=self.namespaced)

    # -- delete -------------------------------------------------------------------------------------------
    def graceful_seconds(self, obj: dict, requested: int | None) -> int:
        """Seconds of graceful deletion for ``obj`` (0 = delete now), as upstream's CheckGracefulDelete."""
        if (self.group, self.resource) != ("", "pods"):
            return 0
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(0, requested)
        tg = spec.get("terminationGracePeriodSeconds")
        return 30 if tg is None else max(0, int(tg))


def _spec_changed(new: dict, old: dict) -> bool:
    skip = ("metadata", "status", "apiVersion", "kind")
    keys = (set(new) | set(old)) - set(skip)
    return any(new.get(k) != old.get(k) for k in keys)


def strategy_for(info: ResourceInfo) -> Strategy:
    """The strategy of the resource stored as ``info`` (a storage-version ResourceInfo)."""
    key = (info.storage_group, info.storage_resource)
    return Strategy(
        group=info.storage_group,
        version=info.storage_version,
        kind=info.kind,
        resource=info.storage_resource,
        namespaced=info.namespaced,
        has_status=any(s.name == "status" for s in info.subresources),
        track_generation=key in _GENERATION,
        return_deleted_object=info.delete_returns_object,
        allow_create_on_update=key in _CREATE_ON_UPDATE,
        fields=_FIELDS.get(key, _meta_fields),
    )


_QOS_RESOURCES = ("cpu", "memory")


def pod_qos_class(spec: dict) -> str:
    """Upstream's QoS class of a pod spec: Guaranteed, Burstable or BestEffort."""
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    for c in containers:
        res = (c or {}).get("resources") or {}
        c_limits = set()
        for name, q in (res.get("requests") or {}).items():
            if name in _QOS_RESOURCES:
                try:
                    v = parse_quantity(q)
                except ValueError:
                    continue
                if v != 0:
                    requests[name] = requests.get(name, 0) + v
        for name, q in (res.get("limits") or {}).items():
            if name in _QOS_RESOURCES:
                try:
                    v = parse_quantity(q)
                except ValueError:
                    continue
                if v != 0:
                    c_limits.add(name)
                    limits[name] = limits.get(name, 0) + v
        if c_limits != set(_QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(requests.get(k, limits.get(k)) == limits.get(k) for k in _QOS_RESOURCES):
        return "Guaranteed"
    return "Burstable"


def _generate_job_selector(job: dict) -> None:
    """Job selector and template labels from the job's uid, as upstream's job strategy (unless manualSelector)."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector") is True:
        return
    uid = job["metadata"]["uid"]
    name = job["metadata"].get("name", "")
    template_md = spec.setdefault("template", {}).setdefault("metadata", {})
    labels = template_md.setdefault("labels", {})
    labels.setdefault("batch.kubernetes.io/controller-uid", uid)
    labels.setdefault("batch.kubernetes.io/job-name", name)
    labels.setdefault("controller-uid", uid)
    labels.setdefault("job-name", name)
    if not spec.get("selector"):
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def _merge_string_data(secret: dict) -> None:
    """Fold ``stringData`` into base64 ``data`` (upstream does this when decoding a v1 Secret)."""
    string_data = secret.pop("stringData", None)
    if not isinstance(string_data, dict) or not string_data:
        return
    data = secret.get("data")
    if not isinstance(data, dict):
        data = secret["data"] = {}
    for k, v in string_data.items():
        data[k] = base64.b64encode(str(v).encode()).decode()


def _normalize_cluster_ips(svc: dict, old: dict | None) -> None:
    """Keep ``clusterIP`` and ``clusterIPs[0]`` in step before validation, as upstream's normalizeClusterIPs."""
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        return
    ip, ips = spec.get("clusterIP"), spec.get("clusterIPs")
    old_spec = (old or {}).get("spec") or {}
    if old is not None and ip == old_spec.get("clusterIP") and ips == old_spec.get("clusterIPs"):
        return
    if ip and not ips:
        spec["clusterIPs"] = [ip]
    elif old is not None and ip and ips and ip != old_spec.get("clusterIP") and ips == old_spec.get("clusterIPs"):
        spec["clusterIPs"] = [ip]
    elif ips and not ip and isinstance(ips, list) and ips:
        spec["clusterIP"] = ips[0]


def _prepare_pod_status(new: dict, old: dict) -> None:
    """What upstream's pods/status strategy keeps from the stored pod: owner references (old kubelets corrupted
    them), the QoS class when the write dropped it; and ``podIP`` winning over a disagreeing ``podIPs``."""
    md, old_md = new.setdefault("metadata", {}), old.get("metadata") or {}
    if "ownerReferences" in old_md:
        md["ownerReferences"] = old_md["ownerReferences"]
    else:
        md.pop("ownerReferences", None)
    status = new.get("status")
    if not isinstance(status, dict):
        return
    qos = (old.get("status") or {}).get("qosClass")
    if not status.get("qosClass") and qos:
        status["qosClass"] = qos
    ips = effective_pod_ips(status)
    if ips != (status.get("podIPs") or []):
        status["podIPs"] = ips
