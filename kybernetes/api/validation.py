"""API validation: the 422 ``Invalid`` checks of Kubernetes 1.32, per kind, on create and on update.

The API server calls :func:`validate` for a new object and :func:`validate_update` for a replacement, after
decoding (see :func:`decode_error`, which answers the 400 of a wrongly typed field) and defaulting. Both return
upstream's field errors, in upstream's order, ready for ``machinery.errors.invalid``.

Dispatch follows upstream's registry: each kind has a create validator and an update validator (in the
``validation_<area>`` modules). The generic steps upstream's ``rest.BeforeCreate``/``rest.BeforeUpdate`` add are
done here too:

* on create, once the kind's own validation passed, the generic metadata check (names as path segments, namespace
  by scope) runs; it matters for kinds whose validators ignore metadata (PodDisruptionBudget, core/v1 Event);
* on update, the generic metadata checks (create-style plus immutability) come first, then the kind's update
  validation, which repeats some of them. Callers run only :func:`validate_update` on update, never
  :func:`validate` as well.

Kinds without specific rules (custom resources included) get metadata validation only, with DNS-subdomain names.
Scope comes from the built-in catalogue unless ``namespaced`` is passed (custom resources).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from kybernetes.api import (
    validation_apps as apps,
    validation_batch as batch,
    validation_claims as claims,
    validation_cluster as cluster,
    validation_core as core,
    validation_networking as net,
    validation_pod as pod,
    validation_rbac as rbac,
    validation_scaling as scaling,
    validation_service as service,
)
from kybernetes.api.validation_common import name_is_dns_subdomain, path_segment_name
from kybernetes.api.validation_decode import decode_error
from kybernetes.api.validation_meta import object_meta, object_meta_update
from kybernetes.api.validation_podstatus import validate_pod_status_update
from kybernetes.machinery.errors import FieldError

__all__ = ["validate", "validate_update", "validate_status_update", "decode_error", "generate_job_selector"]

generate_job_selector = batch.generate_job_selector

Create = Callable[[dict, str], list[FieldError]]
Update = Callable[[dict, dict, str], list[FieldError]]


@dataclass(frozen=True, slots=True)
class _Rules:
    """The validators of one kind (``version`` is passed for kinds whose wire shape differs by version)."""

    create: Create
    update: Update


def _r(create: Callable[[dict], list[FieldError]], update: Callable[[dict, dict], list[FieldError]]) -> _Rules:
    return _Rules(lambda o, v: create(o), lambda n, o, v: update(n, o))


_RULES: dict[tuple[str, str], _Rules] = {
    ("", "Pod"): _r(pod.validate_pod, pod.validate_pod_update),
    ("", "PodTemplate"): _r(core.validate_pod_template, core.validate_pod_template_update),
    ("", "Service"): _r(service.validate_service, service.validate_service_update),
    ("", "ConfigMap"): _r(core.validate_config_map, core.validate_config_map_update),
    ("", "Secret"): _r(core.validate_secret, core.validate_secret_update),
    ("", "Namespace"): _r(core.validate_namespace, core.validate_namespace_update),
    ("", "ServiceAccount"): _r(core.validate_service_account, core.validate_service_account_update),
    ("", "Node"): _r(core.validate_node, core.validate_node_update),
    ("", "PersistentVolumeClaim"): _r(claims.validate_pvc, claims.validate_pvc_update),
    ("", "PersistentVolume"): _r(claims.validate_pv, claims.validate_pv_update),
    ("", "ReplicationController"): _r(core.validate_replication_controller, core.validate_replication_controller_update),
    ("", "Endpoints"): _r(service.validate_endpoints, service.validate_endpoints_update),
    ("", "Event"): _Rules(lambda o, v: core.validate_event(o, ""), lambda n, o, v: core.validate_event_update(n, o, "")),
    ("", "ResourceQuota"): _r(core.validate_resource_quota, core.validate_resource_quota_update),
    ("", "LimitRange"): _r(core.validate_limit_range, core.validate_limit_range_update),
    ("events.k8s.io", "Event"): _Rules(
        lambda o, v: core.validate_event(o, "events.k8s.io"), lambda n, o, v: core.validate_event_update(n, o, "events.k8s.io")
    ),
    ("apps", "Deployment"): _r(apps.validate_deployment, apps.validate_deployment_update),
    ("apps", "ReplicaSet"): _r(apps.validate_replica_set, apps.validate_replica_set_update),
    ("apps", "StatefulSet"): _r(apps.validate_statefulset, apps.validate_statefulset_update),
    ("apps", "DaemonSet"): _r(apps.validate_daemon_set, apps.validate_daemon_set_update),
    ("apps", "ControllerRevision"): _r(apps.validate_controller_revision, apps.validate_controller_revision_update),
    ("batch", "Job"): _r(batch.validate_job, batch.validate_job_update),
    ("batch", "CronJob"): _r(batch.validate_cron_job, batch.validate_cron_job_update),
    ("networking.k8s.io", "Ingress"): _r(net.validate_ingress, net.validate_ingress_update),
    ("networking.k8s.io", "IngressClass"): _r(net.validate_ingress_class, net.validate_ingress_class_update),
    ("networking.k8s.io", "NetworkPolicy"): _r(net.validate_network_policy, net.validate_network_policy_update),
    ("discovery.k8s.io", "EndpointSlice"): _r(net.validate_endpoint_slice, net.validate_endpoint_slice_update),
    ("rbac.authorization.k8s.io", "Role"): _r(rbac.validate_role, rbac.validate_role_update),
    ("rbac.authorization.k8s.io", "ClusterRole"): _r(rbac.validate_cluster_role, rbac.validate_cluster_role_update),
    ("rbac.authorization.k8s.io", "RoleBinding"): _r(rbac.validate_role_binding, rbac.validate_role_binding_update),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _r(rbac.validate_cluster_role_binding, rbac.validate_cluster_role_binding_update),
    ("autoscaling", "HorizontalPodAutoscaler"): _Rules(scaling.validate_hpa, scaling.validate_hpa_update),
    ("policy", "PodDisruptionBudget"): _r(scaling.validate_pdb, scaling.validate_pdb_update),
    ("scheduling.k8s.io", "PriorityClass"): _r(cluster.validate_priority_class, cluster.validate_priority_class_update),
    ("coordination.k8s.io", "Lease"): _r(cluster.validate_lease, cluster.validate_lease_update),
    ("storage.k8s.io", "StorageClass"): _r(cluster.validate_storage_class, cluster.validate_storage_class_update),
}


@lru_cache(maxsize=1)
def _catalogue():  # type: ignore[no-untyped-def]
    from kybernetes.api.catalogue import builtin_catalogue

    return builtin_catalogue()


def _namespaced(group: str, version: str, kind: str, namespaced: bool | None) -> bool | None:
    if namespaced is not None:
        return namespaced
    info = _catalogue().by_kind(group, version, kind)
    return info.namespaced if info is not None else None


def validate(obj: dict, group: str, version: str, kind: str, *, namespaced: bool | None = None) -> list[FieldError]:
    """Upstream's create-time field errors for ``obj`` (a defaulted ``group/version`` ``kind``); empty when valid.
    ``namespaced`` gives the scope of kinds the built-in catalogue does not know (custom resources). Never mutates
    ``obj``; safe to call concurrently."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    scope = _namespaced(group, version, kind, namespaced)
    rules = _RULES.get((group, kind))
    if rules is None:
        return object_meta(meta, scope, name_is_dns_subdomain, kube_finalizers=False)
    errs = rules.create(obj, version)
    if errs:
        return errs
    return object_meta(meta, scope, path_segment_name, kube_finalizers=False)


def validate_update(new: dict, old: dict, group: str, version: str, kind: str, *, namespaced: bool | None = None) -> list[FieldError]:
    """Upstream's update-time field errors for replacing ``old`` with ``new`` (both defaulted, ``new`` carrying
    the resourceVersion the update applies to): the generic metadata rules, then the kind's own update rules
    (which include validating ``new`` itself). Never mutates its arguments."""
    scope = _namespaced(group, version, kind, namespaced)
    new_meta, old_meta = new.get("metadata"), old.get("metadata")
    errs = object_meta(new_meta, scope, path_segment_name, kube_finalizers=False)
    errs += object_meta_update(new_meta, old_meta, kube_finalizers=False)
    rules = _RULES.get((group, kind))
    if rules is None:
        # custom resources: upstream's update validator checks the metadata update once more (its causes list
        # repeats a metadata error three times, as here)
        return errs + object_meta_update(new_meta, old_meta, kube_finalizers=False)
    return errs + rules.update(new, old, version)


def validate_status_update(new: dict, old: dict, group: str, version: str, kind: str, *,
                           namespaced: bool | None = None) -> list[FieldError]:
    """Errors of a write through the ``status`` subresource (the strategy has already put the stored spec back).
    Pods have upstream's own rules (ValidatePodStatusUpdate: metadata, status; not the unchanged spec); other
    kinds are validated as a whole update."""
    if (group, kind) == ("", "Pod"):
        return validate_pod_status_update(new, old)
    return validate_update(new, old, group, version, kind, namespaced=namespaced)
