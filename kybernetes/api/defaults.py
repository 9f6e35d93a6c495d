"""API defaulting: the values the API server fills in before it validates an object.

Upstream decodes every request body into the versioned Go type and runs that version's defaulters over it: the
hand-written ``SetDefaults_<Type>`` functions of ``pkg/apis/<group>/<version>/defaults.go``, the declarative
``+default`` markers, and the generated walkers (``zz_generated.defaults.go``) that reach every nested struct. So an
nginx Deployment comes back with ``strategy: RollingUpdate 25%/25%``, ``revisionHistoryLimit: 10`` and, in its pod
template, ``imagePullPolicy``, ``terminationMessagePath``, ``dnsPolicy``, ``schedulerName`` and friends. This module
ports those defaulters to plain JSON dicts for every API version Kubernetes 1.32 serves by default.

Where pod defaults go. A Pod gets the pod-level defaults (``enableServiceLinks: true``, requests copied from
limits, host ports under host networking) plus the pod-spec defaults; a pod *template* (PodTemplate,
ReplicationController, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob's job template) gets only the
pod-spec defaults. Both default every volume, init/regular/ephemeral container, probe and lifecycle hook.

Feature gates. Some defaulters only run behind a gate; the gates' Kubernetes 1.32 defaults are in
``FEATURE_GATES_1_32`` and ``apply_defaults`` follows them unless told otherwise. So StatefulSets get a
``persistentVolumeClaimRetentionPolicy`` and Jobs a ``podReplacementPolicy``, while alpha features (image volumes'
pull policy, pod-level resources) stay undefaulted.

What Go's encoder adds. Go prints struct-typed fields even when they are empty, so upstream answers show
``resources: {}`` on every container, ``creationTimestamp: null`` in embedded object metadata (pod templates, job
templates, claim templates), ``resources: {}`` in claim specs, ``podSelector: {}`` in network policies and the
``apiVersion``/``kind`` its conversion code writes into StatefulSet claim templates. Those are part of what
``kubectl get -o yaml`` shows after a create, so they are materialised here as well.

Quantities. Resource lists are rounded up to milli-units (``0.1m`` of CPU becomes ``1m``), as upstream does, and
written in canonical form (``1000m`` -> ``1``) because that is what upstream returns for them.

Not here: what registry strategies and admission do (Service cluster IPs and IP families, Job selectors and
controller-uid labels, Pod service accounts, tolerations, priority, QoS class, status resets). Upstream also runs
the defaulters when it decodes an object read back from storage, so a default that a strategy cleared (a PVC's
``status.phase``) or that copies a field a strategy filled (a Job's labels from its generated template labels)
shows up in responses; running ``apply_defaults`` again after the strategy reproduces that.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from kybernetes.machinery.quantity import format_quantity, parse_quantity_with_format

__all__ = ["FEATURE_GATES_1_32", "apply_defaults", "image_pull_policy"]

Obj = dict[str, Any]
Gates = Mapping[str, bool]

# The gates some defaulter consults, at their Kubernetes 1.32 defaults.
FEATURE_GATES_1_32: Gates = MappingProxyType({
    "StatefulSetAutoDeletePVC": True,  # GA in 1.32
    "JobPodReplacementPolicy": True,  # beta, on
    "JobBackoffLimitPerIndex": True,  # beta, on
    "LoadBalancerIPMode": True,  # beta, on
    "SELinuxMountReadWriteOncePod": True,  # beta, on
    "ImageVolume": False,  # alpha
})

RBAC_GROUP = "rbac.authorization.k8s.io"
MAX_INT32 = 2**31 - 1


# ---------------------------------------------------------------------------------------------------------------
# Small accessors. Defaulting runs before validation, so any field may hold a value of the wrong type; those are
# left alone for validation to report, never raised on here.

def _dict(parent: Any, key: str) -> Obj | None:
    """``parent[key]`` when both are dicts, else None."""
    if isinstance(parent, dict):
        value = parent.get(key)
        if isinstance(value, dict):
            return value
    return None


def _ensure(parent: Obj, key: str) -> Obj:
    """``parent[key]`` as a dict, created when absent or null (a Go struct field that is never nil). A value of
    another type stays untouched; the returned dict is then detached."""
    value = parent.get(key)
    if value is None:
        value = parent[key] = {}
    elif not isinstance(value, dict):
        return {}
    return value


def _dicts(parent: Any, key: str) -> list[Obj]:
    """The dict elements of the list ``parent[key]`` (empty when there is no such list)."""
    if isinstance(parent, dict):
        value = parent.get(key)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
    return []


def _default(obj: Obj, key: str, value: Any) -> None:
    """Default a pointer field: set when absent or null."""
    if obj.get(key) is None:
        obj[key] = value


def _default_str(obj: Obj, key: str, value: str) -> None:
    """Default a Go string field: set when absent, null or empty."""
    current = obj.get(key)
    if current is None or current == "":
        obj[key] = value


def _default_int(obj: Obj, key: str, value: int) -> None:
    """Default a Go integer field: set when absent, null or zero."""
    current = obj.get(key)
    if current is None or (type(current) in (int, float) and current == 0):
        obj[key] = value


def _materialize_meta(obj: Obj) -> None:
    """Embedded ObjectMeta: Go prints its zero ``creationTimestamp`` as null."""
    _ensure(obj, "metadata").setdefault("creationTimestamp", None)


# ---------------------------------------------------------------------------------------------------------------
# Quantities

def _round_up_milli(value: Any) -> Any:
    """A quantity rounded up (away from zero) to milli-units, in canonical form; unparseable values unchanged."""
    if isinstance(value, str):
        return _round_up_milli_text(value)
    return _round_up_milli_value(value)


@functools.lru_cache(maxsize=4096)
def _round_up_milli_text(value: str) -> Any:
    # the same few quantities ("100m", "64Mi") recur in every object: parse each text once
    return _round_up_milli_value(value)


def _round_up_milli_value(value: Any) -> Any:
    try:
        amount, fmt = parse_quantity_with_format(value)
    except ValueError:
        return value
    milli = amount * 1000
    if milli.denominator != 1:
        amount = Fraction(math.ceil(milli) if milli > 0 else math.floor(milli), 1000)
    return format_quantity(amount, fmt)


def _resource_list(parent: Any, key: str) -> None:
    """SetDefaults_ResourceList on ``parent[key]``."""
    resources = _dict(parent, key)
    if resources:
        for name, value in resources.items():
            resources[name] = _round_up_milli(value)


def _requirements(parent: Any, key: str) -> None:
    """Round both resource lists of a ResourceRequirements value."""
    req = _dict(parent, key)
    _resource_list(req, "limits")
    _resource_list(req, "requests")


# ---------------------------------------------------------------------------------------------------------------
# Image references (the tag decides imagePullPolicy)

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
_DIGEST_HEX_LEN = {"sha256": 64, "sha384": 96, "sha512": 128}


def _image_tag(image: Any) -> str:
    """The tag of a normalized image reference ("latest" when it has neither tag nor digest, "" when it does not
    parse), as upstream's ``parsers.ParseImageName`` reports it."""
    if not isinstance(image, str) or _IDENTIFIER.fullmatch(image):
        return ""
    slash = image.find("/")
    first = image[:slash]
    if slash == -1 or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = "docker.io", image
    else:
        domain, remainder = first, image[slash + 1:]
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    repository = remainder.split(":", 1)[0]
    if repository.lower() != repository:
        return ""
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None or len(match.group(1)) > 255:
        return ""
    tag, digest = match.group(2) or "", match.group(3)
    if digest is not None:
        algorithm, _, encoded = digest.partition(":")
        if _DIGEST_HEX_LEN.get(algorithm) != len(encoded) or not re.fullmatch(r"[a-f0-9]+", encoded):
            return ""
    elif not tag:
        tag = "latest"
    return tag


def image_pull_policy(image: Any) -> str:
    """The pull policy upstream defaults for ``image`` (see ``_image_pull_policy``); memoised per image text."""
    if isinstance(image, str):
        return _image_pull_policy_text(image)
    return _image_pull_policy(image)


@functools.lru_cache(maxsize=4096)
def _image_pull_policy_text(image: str) -> str:
    return _image_pull_policy(image)


def _image_pull_policy(image: Any) -> str:
    """The pull policy upstream defaults for ``image``: ``Always`` for the ``latest`` tag (explicit, or implied by
    a reference with neither tag nor digest), ``IfNotPresent`` otherwise (including references that do not
    parse)."""
    return "Always" if _image_tag(image) == "latest" else "IfNotPresent"


# ---------------------------------------------------------------------------------------------------------------
# core/v1: pods and what they embed

def _field_ref(parent: Any) -> None:
    ref = _dict(parent, "fieldRef")
    if ref is not None:
        _default_str(ref, "apiVersion", "v1")


def _http_get(action: Obj | None) -> None:
    if action is not None:
        _default_str(action, "path", "/")
        _default_str(action, "scheme", "HTTP")


def _probe(probe: Obj | None) -> None:
    if probe is None:
        return
    _default_int(probe, "timeoutSeconds", 1)
    _default_int(probe, "periodSeconds", 10)
    _default_int(probe, "successThreshold", 1)
    _default_int(probe, "failureThreshold", 3)
    _http_get(_dict(probe, "httpGet"))
    grpc = _dict(probe, "grpc")
    if grpc is not None:
        _default(grpc, "service", "")


def _container(container: Obj) -> None:
    """SetDefaults_Container and everything nested in a container (init, regular and ephemeral alike)."""
    _default_str(container, "imagePullPolicy", image_pull_policy(container.get("image")))
    _default_str(container, "terminationMessagePath", "/dev/termination-log")
    _default_str(container, "terminationMessagePolicy", "File")
    for port in _dicts(container, "ports"):
        _default_str(port, "protocol", "TCP")
    for env in _dicts(container, "env"):
        _field_ref(_dict(env, "valueFrom"))
    _ensure(container, "resources")
    _requirements(container, "resources")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(_dict(container, name))
    lifecycle = _dict(container, "lifecycle")
    for name in ("postStart", "preStop"):
        _http_get(_dict(_dict(lifecycle, name), "httpGet"))


def _iscsi(source: Obj | None) -> None:
    if source is not None:
        _default_str(source, "iscsiInterface", "default")


def _rbd(source: Obj | None) -> None:
    if source is not None:
        _default_str(source, "pool", "rbd")
        _default_str(source, "user", "admin")
        _default_str(source, "keyring", "/etc/ceph/keyring")


def _azure_disk(source: Obj | None) -> None:
    if source is not None:
        _default(source, "cachingMode", "ReadWrite")
        _default(source, "kind", "Shared")
        _default(source, "fsType", "ext4")
        _default(source, "readOnly", False)


def _scale_io(source: Obj | None) -> None:
    if source is not None:
        _default_str(source, "storageMode", "ThinProvisioned")
        _default_str(source, "fsType", "xfs")


def _host_path(source: Obj | None) -> None:
    if source is not None:
        _default(source, "type", "")


def _volume(volume: Obj, gates: Gates) -> None:
    """SetDefaults_Volume plus the defaults of each volume source."""
    if all(value is None for key, value in volume.items() if key != "name"):
        volume["emptyDir"] = {}
    image = _dict(volume, "image")
    if image is not None and gates.get("ImageVolume", False):
        _default_str(image, "pullPolicy", "Always" if _image_tag(image.get("reference")) == "latest"
                     else "IfNotPresent")
    _host_path(_dict(volume, "hostPath"))
    for name in ("secret", "configMap"):
        source = _dict(volume, name)
        if source is not None:
            _default(source, "defaultMode", 0o644)
    _iscsi(_dict(volume, "iscsi"))
    _rbd(_dict(volume, "rbd"))
    downward = _dict(volume, "downwardAPI")
    if downward is not None:
        _default(downward, "defaultMode", 0o644)
        for item in _dicts(downward, "items"):
            _field_ref(item)
    _azure_disk(_dict(volume, "azureDisk"))
    projected = _dict(volume, "projected")
    if projected is not None:
        _default(projected, "defaultMode", 0o644)
        for source in _dicts(projected, "sources"):
            for item in _dicts(_dict(source, "downwardAPI"), "items"):
                _field_ref(item)
            token = _dict(source, "serviceAccountToken")
            if token is not None:
                _default(token, "expirationSeconds", 3600)
    _scale_io(_dict(volume, "scaleIO"))
    claim_template = _dict(_dict(volume, "ephemeral"), "volumeClaimTemplate")
    if claim_template is not None:
        _materialize_meta(claim_template)
        _pvc_spec(_ensure(claim_template, "spec"))


def _pod_spec(spec: Obj, gates: Gates) -> None:
    """SetDefaults_PodSpec and the generated walk over volumes and containers."""
    _default_str(spec, "dnsPolicy", "ClusterFirst")
    _default_str(spec, "restartPolicy", "Always")
    _default(spec, "securityContext", {})
    _default(spec, "terminationGracePeriodSeconds", 30)
    _default_str(spec, "schedulerName", "default-scheduler")
    for volume in _dicts(spec, "volumes"):
        _volume(volume, gates)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in _dicts(spec, key):
            _container(container)
    _resource_list(spec, "overhead")
    _requirements(spec, "resources")


def _pod_template(template: Obj, gates: Gates) -> None:
    """A PodTemplateSpec: pod-spec defaults only (no pod-level defaults)."""
    _materialize_meta(template)
    _pod_spec(_ensure(template, "spec"), gates)


def _copy_limits_to_requests(container: Obj) -> None:
    resources = _dict(container, "resources")
    limits = _dict(resources, "limits")
    if not limits:
        return
    requests = resources.get("requests")
    if requests is None:
        requests = {}
    elif not isinstance(requests, dict):
        return
    for name, value in limits.items():
        requests.setdefault(name, value)
    if requests:
        resources["requests"] = requests


def _pod(obj: Obj, gates: Gates) -> None:
    """core/v1 Pod: SetDefaults_Pod, then the pod-spec walk, then the container statuses' resource lists."""
    spec = _ensure(obj, "spec")
    for key in ("containers", "initContainers"):
        for container in _dicts(spec, key):
            _copy_limits_to_requests(container)
    _default(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork") is True:
        for key in ("containers", "initContainers"):
            for container in _dicts(spec, key):
                for port in _dicts(container, "ports"):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort", 0)
    _pod_spec(spec, gates)
    status = _dict(obj, "status")
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for container_status in _dicts(status, key):
            _resource_list(container_status, "allocatedResources")
            _requirements(container_status, "resources")


def _pod_template_object(obj: Obj, gates: Gates) -> None:
    """core/v1 PodTemplate."""
    _pod_template(_ensure(obj, "template"), gates)


def _replication_controller(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    template = _dict(spec, "template")
    labels = _dict(_dict(template, "metadata"), "labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        metadata = _ensure(obj, "metadata")
        if not metadata.get("labels"):
            metadata["labels"] = dict(labels)
    _default(spec, "replicas", 1)
    if template is not None:
        _pod_template(template, gates)


# ---------------------------------------------------------------------------------------------------------------
# core/v1: everything else

def _externally_accessible(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (kind == "ClusterIP" and bool(spec.get("externalIPs")))


def _service(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default_str(spec, "sessionAffinity", "None")
    if spec.get("sessionAffinity") == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec.get("sessionAffinity") == "ClientIP":
        client_ip = _dict(_dict(spec, "sessionAffinityConfig"), "clientIP")
        if client_ip is None or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _default_str(spec, "type", "ClusterIP")
    for port in _dicts(spec, "ports"):
        _default_str(port, "protocol", "TCP")
        target = port.get("targetPort")
        if target is None or target == "" or (type(target) is int and target == 0):
            port["targetPort"] = port.get("port", 0)
    if _externally_accessible(spec):
        _default_str(spec, "externalTrafficPolicy", "Cluster")
    if spec.get("type") in ("NodePort", "LoadBalancer", "ClusterIP"):
        _default(spec, "internalTrafficPolicy", "Cluster")
    if spec.get("type") == "LoadBalancer":
        _default(spec, "allocateLoadBalancerNodePorts", True)
        if gates.get("LoadBalancerIPMode", False):
            for ingress in _dicts(_dict(_dict(obj, "status"), "loadBalancer"), "ingress"):
                if ingress.get("ip") and ingress.get("ipMode") is None:
                    ingress["ipMode"] = "VIP"


def _endpoints(obj: Obj, gates: Gates) -> None:
    for subset in _dicts(obj, "subsets"):
        for port in _dicts(subset, "ports"):
            _default_str(port, "protocol", "TCP")


def _namespace(obj: Obj, gates: Gates) -> None:
    metadata = _ensure(obj, "metadata")
    name = metadata.get("name")
    if isinstance(name, str) and name:
        labels = _ensure(metadata, "labels")
        labels["kubernetes.io/metadata.name"] = name
    _default_str(_ensure(obj, "status"), "phase", "Active")


def _node(obj: Obj, gates: Gates) -> None:
    status = _dict(obj, "status")
    if status is None:
        return
    capacity = _dict(status, "capacity")
    if capacity and status.get("allocatable") is None:
        status["allocatable"] = dict(capacity)
    _resource_list(status, "capacity")
    _resource_list(status, "allocatable")


def _pv_source(spec: Obj) -> None:
    """The generated walk over a PersistentVolumeSpec (also used for VolumeAttachment inline specs)."""
    _resource_list(spec, "capacity")
    _host_path(_dict(spec, "hostPath"))
    _rbd(_dict(spec, "rbd"))
    _iscsi(_dict(spec, "iscsi"))
    _azure_disk(_dict(spec, "azureDisk"))
    _scale_io(_dict(spec, "scaleIO"))


def _persistent_volume(obj: Obj, gates: Gates) -> None:
    _default_str(_ensure(obj, "status"), "phase", "Pending")
    spec = _ensure(obj, "spec")
    _default_str(spec, "persistentVolumeReclaimPolicy", "Retain")
    _default(spec, "volumeMode", "Filesystem")
    _pv_source(spec)


def _pvc_spec(spec: Obj) -> None:
    _default(spec, "volumeMode", "Filesystem")
    _ensure(spec, "resources")
    _requirements(spec, "resources")


def _persistent_volume_claim(obj: Obj, gates: Gates) -> None:
    status = _ensure(obj, "status")
    _default_str(status, "phase", "Pending")
    _pvc_spec(_ensure(obj, "spec"))
    _resource_list(status, "capacity")
    _resource_list(status, "allocatedResources")


def _secret(obj: Obj, gates: Gates) -> None:
    _default_str(obj, "type", "Opaque")


def _limit_range(obj: Obj, gates: Gates) -> None:
    for item in _dicts(_dict(obj, "spec"), "limits"):
        if item.get("type") == "Container":
            _fill_resource_list(item, "default", _dict(item, "max"))
            _fill_resource_list(item, "defaultRequest", _dict(item, "default"))
            _fill_resource_list(item, "defaultRequest", _dict(item, "min"))
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            _resource_list(item, key)


def _fill_resource_list(item: Obj, key: str, source: Obj | None) -> None:
    """Copy the entries of ``source`` that ``item[key]`` lacks (creating it only when there is something)."""
    target = item.get(key)
    if target is None:
        target = {}
    elif not isinstance(target, dict):
        return
    for name, value in (source or {}).items():
        target.setdefault(name, value)
    if target:
        item[key] = target


def _resource_quota(obj: Obj, gates: Gates) -> None:
    _resource_list(_dict(obj, "spec"), "hard")
    status = _dict(obj, "status")
    _resource_list(status, "hard")
    _resource_list(status, "used")


# ---------------------------------------------------------------------------------------------------------------
# apps/v1

def _deployment(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default(spec, "replicas", 1)
    strategy = _ensure(spec, "strategy")
    _default_str(strategy, "type", "RollingUpdate")
    if strategy.get("type") == "RollingUpdate":
        rolling = _ensure(strategy, "rollingUpdate")
        _default(rolling, "maxUnavailable", "25%")
        _default(rolling, "maxSurge", "25%")
    _default(spec, "revisionHistoryLimit", 10)
    _default(spec, "progressDeadlineSeconds", 600)
    _pod_template(_ensure(spec, "template"), gates)


def _daemon_set(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    strategy = _ensure(spec, "updateStrategy")
    _default_str(strategy, "type", "RollingUpdate")
    if strategy.get("type") == "RollingUpdate":
        rolling = _ensure(strategy, "rollingUpdate")
        _default(rolling, "maxUnavailable", 1)
        _default(rolling, "maxSurge", 0)
    _default(spec, "revisionHistoryLimit", 10)
    _pod_template(_ensure(spec, "template"), gates)


def _stateful_set(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default_str(spec, "podManagementPolicy", "OrderedReady")
    strategy = _ensure(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _ensure(strategy, "rollingUpdate")
    rolling = _dict(strategy, "rollingUpdate")
    if strategy.get("type") == "RollingUpdate" and rolling is not None:
        _default(rolling, "partition", 0)
    if gates.get("StatefulSetAutoDeletePVC", False):
        retention = _ensure(spec, "persistentVolumeClaimRetentionPolicy")
        _default_str(retention, "whenDeleted", "Retain")
        _default_str(retention, "whenScaled", "Retain")
    _default(spec, "replicas", 1)
    _default(spec, "revisionHistoryLimit", 10)
    _pod_template(_ensure(spec, "template"), gates)
    for claim in _dicts(spec, "volumeClaimTemplates"):
        # apps/v1 conversion writes apiVersion/kind into each claim template (upstream issue 87583).
        claim["apiVersion"] = "v1"
        claim["kind"] = "PersistentVolumeClaim"
        _materialize_meta(claim)
        _persistent_volume_claim(claim, gates)


def _replica_set(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default(spec, "replicas", 1)
    _pod_template(_ensure(spec, "template"), gates)


# ---------------------------------------------------------------------------------------------------------------
# batch/v1

def _job_spec_template(spec: Obj, gates: Gates) -> None:
    _pod_template(_ensure(spec, "template"), gates)


def _job(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _default(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        per_index = gates.get("JobBackoffLimitPerIndex", False) and spec.get("backoffLimitPerIndex") is not None
        spec["backoffLimit"] = MAX_INT32 if per_index else 6
    labels = _dict(_dict(_dict(spec, "template"), "metadata"), "labels")
    metadata = _ensure(obj, "metadata")
    if labels and not metadata.get("labels"):
        metadata["labels"] = dict(labels)
    _default(spec, "completionMode", "NonIndexed")
    _default(spec, "suspend", False)
    failure_policy = _dict(spec, "podFailurePolicy")
    for rule in _dicts(failure_policy, "rules"):
        for pattern in _dicts(rule, "onPodConditions"):
            _default_str(pattern, "status", "True")
    if gates.get("JobPodReplacementPolicy", False):
        _default(spec, "podReplacementPolicy",
                 "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed")
    _default(spec, "manualSelector", False)
    _job_spec_template(spec, gates)


def _cron_job(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default_str(spec, "concurrencyPolicy", "Allow")
    _default(spec, "suspend", False)
    _default(spec, "successfulJobsHistoryLimit", 3)
    _default(spec, "failedJobsHistoryLimit", 1)
    # Only the pod template is defaulted in a job template: SetDefaults_Job applies to Job objects alone.
    job_template = _ensure(spec, "jobTemplate")
    _materialize_meta(job_template)
    _job_spec_template(_ensure(job_template, "spec"), gates)


# ---------------------------------------------------------------------------------------------------------------
# autoscaling

def _hpa_v1(obj: Obj, gates: Gates) -> None:
    # The default CPU target of v1 is applied by conversion, which can read the object's annotations.
    _default(_ensure(obj, "spec"), "minReplicas", 1)


def _scale_up_rules() -> Obj:
    return {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ]}


def _scale_down_rules() -> Obj:
    # No stabilizationWindowSeconds: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
    return {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _scaling_rules(given: Any, defaults: Obj) -> Obj:
    """Fill the unset fields of one direction's scaling rules (all of them when the direction is unset)."""
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies"):
            if given.get(key) is not None:
                defaults[key] = given[key]
        for key, value in given.items():
            defaults.setdefault(key, value)
    return defaults


def _hpa_v2(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    behavior = _dict(spec, "behavior")
    if behavior is not None:
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), _scale_up_rules())
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), _scale_down_rules())


# ---------------------------------------------------------------------------------------------------------------
# networking.k8s.io/v1, discovery.k8s.io/v1

def _network_policy(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _ensure(spec, "podSelector")
    for direction in ("ingress", "egress"):
        for rule in _dicts(spec, direction):
            for port in _dicts(rule, "ports"):
                _default(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _ingress_class(obj: Obj, gates: Gates) -> None:
    parameters = _dict(_dict(obj, "spec"), "parameters")
    if parameters is not None:
        _default(parameters, "scope", "Cluster")


def _endpoint_slice(obj: Obj, gates: Gates) -> None:
    for port in _dicts(obj, "ports"):
        _default(port, "name", "")
        _default(port, "protocol", "TCP")


# ---------------------------------------------------------------------------------------------------------------
# rbac, storage, scheduling, node, authentication

def _role_binding(obj: Obj, gates: Gates) -> None:
    _default_str(_ensure(obj, "roleRef"), "apiGroup", RBAC_GROUP)
    for subject in _dicts(obj, "subjects"):
        if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = RBAC_GROUP


def _storage_class(obj: Obj, gates: Gates) -> None:
    _default(obj, "reclaimPolicy", "Delete")
    _default(obj, "volumeBindingMode", "Immediate")


def _csi_driver(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default(spec, "attachRequired", True)
    _default(spec, "podInfoOnMount", False)
    _default(spec, "storageCapacity", False)
    _default(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType")
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]
    _default(spec, "requiresRepublish", False)
    if gates.get("SELinuxMountReadWriteOncePod", False):
        _default(spec, "seLinuxMount", False)


def _volume_attachment(obj: Obj, gates: Gates) -> None:
    inline = _dict(_dict(_dict(obj, "spec"), "source"), "inlineVolumeSpec")
    if inline is not None:
        _pv_source(inline)


def _priority_class(obj: Obj, gates: Gates) -> None:
    _default(obj, "preemptionPolicy", "PreemptLowerPriority")


def _runtime_class(obj: Obj, gates: Gates) -> None:
    _resource_list(_dict(obj, "overhead"), "podFixed")


def _token_request(obj: Obj, gates: Gates) -> None:
    _default(_ensure(obj, "spec"), "expirationSeconds", 3600)


# ---------------------------------------------------------------------------------------------------------------
# admissionregistration.k8s.io/v1, flowcontrol.apiserver.k8s.io/v1

def _rule(rule: Obj) -> None:
    _default(rule, "scope", "*")


def _service_reference(client_config: Obj | None) -> None:
    service = _dict(client_config, "service")
    if service is not None:
        _default(service, "port", 443)


def _webhook(webhook: Obj, *, mutating: bool) -> None:
    _default(webhook, "failurePolicy", "Fail")
    _default(webhook, "matchPolicy", "Equivalent")
    _default(webhook, "namespaceSelector", {})
    _default(webhook, "objectSelector", {})
    _default(webhook, "timeoutSeconds", 10)
    if mutating:
        _default(webhook, "reinvocationPolicy", "Never")
    _service_reference(_dict(webhook, "clientConfig"))
    for rule in _dicts(webhook, "rules"):
        _rule(rule)


def _validating_webhooks(obj: Obj, gates: Gates) -> None:
    for webhook in _dicts(obj, "webhooks"):
        _webhook(webhook, mutating=False)


def _mutating_webhooks(obj: Obj, gates: Gates) -> None:
    for webhook in _dicts(obj, "webhooks"):
        _webhook(webhook, mutating=True)


def _match_resources(match: Obj | None) -> None:
    if match is None:
        return
    _default(match, "matchPolicy", "Equivalent")
    _default(match, "namespaceSelector", {})
    _default(match, "objectSelector", {})
    for key in ("resourceRules", "excludeResourceRules"):
        for rule in _dicts(match, key):
            _rule(rule)


def _validating_admission_policy(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    _default(spec, "failurePolicy", "Fail")
    _match_resources(_dict(spec, "matchConstraints"))


def _validating_admission_policy_binding(obj: Obj, gates: Gates) -> None:
    _match_resources(_dict(_dict(obj, "spec"), "matchResources"))


def _flow_schema(obj: Obj, gates: Gates) -> None:
    _default_int(_ensure(obj, "spec"), "matchingPrecedence", 1000)


def _priority_level_configuration(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    limited = _dict(spec, "limited")
    if limited is not None:
        _default(limited, "nominalConcurrencyShares", 30)
        _default(limited, "lendablePercent", 0)
        queuing = _dict(_dict(limited, "limitResponse"), "queuing")
        if queuing is not None:
            _default_int(queuing, "handSize", 8)
            _default_int(queuing, "queues", 64)
            _default_int(queuing, "queueLengthLimit", 50)
    exempt = _dict(spec, "exempt")
    if exempt is not None:
        _default(exempt, "nominalConcurrencyShares", 0)
        _default(exempt, "lendablePercent", 0)


# ---------------------------------------------------------------------------------------------------------------
# apiextensions.k8s.io/v1, apiregistration.k8s.io/v1

def _custom_resource_definition(obj: Obj, gates: Gates) -> None:
    spec = _ensure(obj, "spec")
    names = _ensure(spec, "names")
    kind = names.get("kind")
    if isinstance(kind, str) and kind:
        _default_str(names, "singular", kind.lower())
        _default_str(names, "listKind", kind + "List")
    _default(spec, "conversion", {"strategy": "None"})
    _service_reference(_dict(_dict(_dict(spec, "conversion"), "webhook"), "clientConfig"))
    status = _dict(obj, "status")
    if status is None or not status.get("storedVersions"):
        for version in _dicts(spec, "versions"):
            if version.get("storage") is True:
                _ensure(obj, "status")["storedVersions"] = [version.get("name")]
                break


def _api_service(obj: Obj, gates: Gates) -> None:
    service = _dict(_dict(obj, "spec"), "service")
    if service is not None:
        _default(service, "port", 443)


# ---------------------------------------------------------------------------------------------------------------
# Dispatch

Defaulter = Callable[[Obj, Gates], None]

_DEFAULTERS: dict[tuple[str, str, str], Defaulter] = {
    ("", "v1", "Pod"): _pod,
    ("", "v1", "PodTemplate"): _pod_template_object,
    ("", "v1", "ReplicationController"): _replication_controller,
    ("", "v1", "Service"): _service,
    ("", "v1", "Endpoints"): _endpoints,
    ("", "v1", "Namespace"): _namespace,
    ("", "v1", "Node"): _node,
    ("", "v1", "PersistentVolume"): _persistent_volume,
    ("", "v1", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("", "v1", "Secret"): _secret,
    ("", "v1", "LimitRange"): _limit_range,
    ("", "v1", "ResourceQuota"): _resource_quota,
    ("apps", "v1", "Deployment"): _deployment,
    ("apps", "v1", "DaemonSet"): _daemon_set,
    ("apps", "v1", "StatefulSet"): _stateful_set,
    ("apps", "v1", "ReplicaSet"): _replica_set,
    ("batch", "v1", "Job"): _job,
    ("batch", "v1", "CronJob"): _cron_job,
    ("autoscaling", "v1", "HorizontalPodAutoscaler"): _hpa_v1,
    ("autoscaling", "v2", "HorizontalPodAutoscaler"): _hpa_v2,
    ("networking.k8s.io", "v1", "NetworkPolicy"): _network_policy,
    ("networking.k8s.io", "v1", "IngressClass"): _ingress_class,
    ("discovery.k8s.io", "v1", "EndpointSlice"): _endpoint_slice,
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"): _role_binding,
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"): _role_binding,
    ("storage.k8s.io", "v1", "StorageClass"): _storage_class,
    ("storage.k8s.io", "v1", "CSIDriver"): _csi_driver,
    ("storage.k8s.io", "v1", "VolumeAttachment"): _volume_attachment,
    ("scheduling.k8s.io", "v1", "PriorityClass"): _priority_class,
    ("node.k8s.io", "v1", "RuntimeClass"): _runtime_class,
    ("authentication.k8s.io", "v1", "TokenRequest"): _token_request,
    ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration"): _validating_webhooks,
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration"): _mutating_webhooks,
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy"): _validating_admission_policy,
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding"):
        _validating_admission_policy_binding,
    ("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema"): _flow_schema,
    ("flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration"): _priority_level_configuration,
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"): _custom_resource_definition,
    ("apiregistration.k8s.io", "v1", "APIService"): _api_service,
}


def apply_defaults(obj: dict, group: str, version: str, kind: str, *, gates: Gates | None = None) -> None:
    """Fill in the defaults upstream Kubernetes 1.32 applies to ``obj``, an object of ``group/version, kind``
    (``group`` is "" for the core group), mutating it in place. ``<Kind>List`` kinds default each of their items.
    Kinds without defaults are left unchanged. Never raises on malformed input: fields of the wrong type are left
    for validation. ``gates`` overrides ``FEATURE_GATES_1_32``. Idempotent; pure apart from mutating ``obj``, so
    safe to call concurrently on different objects."""
    if not isinstance(obj, dict):
        return
    effective = FEATURE_GATES_1_32 if gates is None else {**FEATURE_GATES_1_32, **gates}
    defaulter = _DEFAULTERS.get((group, version, kind))
    if defaulter is not None:
        defaulter(obj, effective)
        return
    if kind.endswith("List"):
        defaulter = _DEFAULTERS.get((group, version, kind[:-4]))
        if defaulter is not None:
            for item in _dicts(obj, "items"):
                defaulter(item, effective)
