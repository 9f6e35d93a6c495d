"""Validation of Pods, pod specs and pod templates, as upstream ``pkg/apis/core/validation`` does it.

A pod spec is checked piece by piece in upstream's order: volumes, containers (name, image, ports, env, mounts,
resources, probes, lifecycle, security context), init containers, then the pod-wide settings (restart and DNS
policy, node selector, security context, affinity, DNS config, tolerations, topology spread...). Every workload
embeds a pod template, validated by :func:`pod_template_spec`. Pods themselves get :func:`validate_pod` on create
and :func:`validate_pod_update` on update, where only container images, ``activeDeadlineSeconds`` (downwards),
added tolerations and removed scheduling gates may change.

Objects are expected to be defaulted (restart policy, DNS policy, termination grace period, pull policies,
termination message policies, probe timings, port protocols...): a missing defaulted field is reported as
``Required value`` exactly as upstream would if defaulting were skipped.

Feature gates follow Kubernetes 1.32 defaults: relaxed environment variable names are on, zero-second sleep
actions, in-place resize, pod-level resources and dynamic resource allocation are off.
"""

from __future__ import annotations

import re
from typing import Any

from kybernetes.api.validation_common import (
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    canonical_quantity,
    config_map_key,
    dns1123_label,
    dns1123_subdomain,
    go_string_map,
    go_string_slice,
    go_struct,
    http_header_name,
    inclusive_range_error,
    is_int,
    label_value,
    name_is_dns_label,
    name_is_dns_subdomain,
    nonnegative,
    normalize,
    port_name,
    port_num,
    qualified_name,
    quantity,
    relaxed_env_var_name,
    valid_ip,
)
from kybernetes.api.validation_meta import (
    object_meta,
    object_meta_update,
    validate_annotations,
    validate_label_name,
    validate_label_selector,
    validate_labels,
)
from kybernetes.api.validation_volumes import (
    validate_local_descending_path,
    validate_volume_devices,
    validate_volume_mounts,
    validate_volumes,
)
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_invalid,
    field_not_found,
    field_not_supported,
    field_required,
    field_too_long,
    go_quote,
)

__all__ = [
    "pod_spec",
    "pod_template_spec",
    "validate_pod",
    "validate_pod_update",
    "validate_tolerations",
    "pull_policy",
    "object_field_selector",
    "resource_field_selector",
    "VOLUME_DOWNWARD_PATHS",
]

_SPEC = FieldPath("spec")
_META = FieldPath("metadata")

PROTOCOLS = ("SCTP", "TCP", "UDP")
ENV_DOWNWARD_PATHS = (
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
)
VOLUME_DOWNWARD_PATHS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid")
_CONTAINER_RESOURCE_PATHS = (
    "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage",
    "requests.memory",
)
_CONVERTIBLE_LABELS = frozenset({
    "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
    "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase", "status.hostIP",
    "status.hostIPs", "status.podIP", "status.podIPs", "spec.host",
})
_DIVISORS_CPU = frozenset({"1m", "1"})
_DIVISORS_BYTES = frozenset({"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"})
_STANDARD_RESOURCES = frozenset({
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services",
    "replicationcontrollers", "secrets", "configmaps", "persistentvolumeclaims", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers",
})
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_UPDATABLE_POD_FIELDS = ",".join((
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
))
_MAX_INT32 = 2**31 - 1
_MAX_ID = 2**31 - 1
_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_RE_TEXT = "^(" + _SYSCTL_SEGMENT + "[\\./])*" + _SYSCTL_SEGMENT + "$"
_SYSCTL_RE = re.compile(_SYSCTL_RE_TEXT)
_IPC_SYSCTLS = frozenset({
    "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax",
    "kernel.msgmnb", "kernel.msgmni",
})


# ---------------------------------------------------------------------------------------------------------------
# Resource names and quantities
# ---------------------------------------------------------------------------------------------------------------


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_extended(name: str) -> bool:
    if _is_native(name) or name.startswith("requests."):
        return False
    return not qualified_name("requests." + name)


def is_overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not _is_hugepages(name)


def _is_integer_resource(name: str) -> bool:
    return name in {
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    } or name.startswith("count/") or _is_extended(name)


def resource_name(name: str, path: FieldPath) -> list[FieldError]:
    """validateResourceName: a qualified name; unprefixed ones must be standard."""
    errs = [field_invalid(path, name, m) for m in qualified_name(name)]
    if errs:
        return errs
    if "/" not in name and not (name in _STANDARD_RESOURCES or name.startswith(("hugepages-", "requests.hugepages-"))):
        return [field_invalid(path, name, "must be a standard resource type or fully qualified")]
    return []


def container_resource_name(name: str, path: FieldPath) -> list[FieldError]:
    """validateContainerResourceName."""
    errs = resource_name(name, path)
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not _is_hugepages(name):
            return errs + [field_invalid(path, name, "must be a standard resource for containers")]
    elif not _is_native(name) and not _is_extended(name):
        return errs + [field_invalid(path, name, "doesn't follow extended resource name standard")]
    return errs


def go_quantity(text: Any) -> GoLiteral:
    """A resource.Quantity value as Go's ``%#v`` shows it (approximately: its canonical string is kept)."""
    canon = canonical_quantity(text)
    return GoLiteral(
        'resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, '
        f's:{go_quote(canon)}, Format:"DecimalSI"}}'
    )


def resource_quantity_value(name: str, value: Any, path: FieldPath) -> list[FieldError]:
    """ValidateResourceQuantityValue: not negative, and whole for integer resources."""
    q = quantity(value)
    if q is None:
        return []
    errs = []
    if q < 0:
        errs.append(field_invalid(path, canonical_quantity(value), "must be greater than or equal to 0"))
    if _is_integer_resource(name) and (q * 1000).denominator == 1 and int(q * 1000) % 1000 != 0:
        errs.append(field_invalid(path, go_quantity(value), "must be an integer"))
    elif _is_integer_resource(name) and (q * 1000).denominator != 1:
        errs.append(field_invalid(path, go_quantity(value), "must be an integer"))
    return errs


_HUGEPAGE_SIZES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def _hugepage_divisible(name: str, value: Any) -> bool:
    size = quantity(name[len("hugepages-"):])
    q = quantity(value)
    if size is None or q is None or size <= 0:
        return False
    return (q / size).denominator == 1


def resource_requirements(req: Any, path: FieldPath) -> list[FieldError]:
    """ValidateContainerResourceRequirements."""
    req = as_dict(req)
    errs: list[FieldError] = []
    lim_path, req_path = path.child("limits"), path.child("requests")
    limits, requests = as_dict(req.get("limits")), as_dict(req.get("requests"))
    lim_cpu_mem = req_cpu_mem = lim_huge = req_huge = False
    for name, value in sorted(limits.items()):
        p = lim_path.key(name)
        errs += container_resource_name(name, p)
        errs += resource_quantity_value(name, value, p)
        if _is_hugepages(name):
            lim_huge = True
            if not _hugepage_divisible(name, value):
                errs.append(field_invalid(p, canonical_quantity(value), f"{canonical_quantity(value)} is not positive integer multiple of {name}"))
        if name in ("cpu", "memory"):
            lim_cpu_mem = True
    for name, value in sorted(requests.items()):
        p = req_path.key(name)
        errs += container_resource_name(name, p)
        errs += resource_quantity_value(name, value, p)
        if name in limits:
            q, lq = quantity(value), quantity(limits[name])
            if q is not None and lq is not None:
                if q != lq and not is_overcommit_allowed(name):
                    errs.append(field_invalid(req_path, canonical_quantity(value), f"must be equal to {name} limit of {canonical_quantity(limits[name])}"))
                elif q > lq:
                    errs.append(field_invalid(req_path, canonical_quantity(value), f"must be less than or equal to {name} limit of {canonical_quantity(limits[name])}"))
        elif not is_overcommit_allowed(name):
            errs.append(field_required(lim_path, "Limit must be set for non overcommitable resources"))
        if _is_hugepages(name):
            req_huge = True
            if not _hugepage_divisible(name, value):
                errs.append(field_invalid(p, canonical_quantity(value), f"{canonical_quantity(value)} is not positive integer multiple of {name}"))
        if name in ("cpu", "memory"):
            req_cpu_mem = True
    if not lim_cpu_mem and not req_cpu_mem and (lim_huge or req_huge):
        errs.append(field_forbidden(path, "HugePages require cpu or memory"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Container pieces
# ---------------------------------------------------------------------------------------------------------------


def _container_ports(ports: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(as_list(ports)):
        port = as_dict(port)
        ip = path.index(i)
        name = as_str(port.get("name"))
        if name:
            msgs = port_name(name)
            if msgs:
                errs += [field_invalid(ip.child("name"), name, m) for m in msgs]
            elif name in names:
                errs.append(field_duplicate(ip.child("name"), name))
            else:
                names.add(name)
        cp = as_int(port.get("containerPort"))
        if cp == 0:
            errs.append(field_required(ip.child("containerPort"), ""))
        else:
            errs += [field_invalid(ip.child("containerPort"), cp, m) for m in port_num(cp)]
        hp = as_int(port.get("hostPort"))
        if hp != 0:
            errs += [field_invalid(ip.child("hostPort"), hp, m) for m in port_num(hp)]
        proto = as_str(port.get("protocol"))
        if not proto:
            errs.append(field_required(ip.child("protocol"), ""))
        elif proto not in PROTOCOLS:
            errs.append(field_not_supported(ip.child("protocol"), proto, PROTOCOLS))
    return errs


def _split_subscripted(path: str) -> tuple[str, str, bool]:
    if not path.endswith("']"):
        return path, "", False
    parts = path[:-2].split("['", 1)
    if len(parts) < 2 or not parts[0]:
        return path, "", False
    return parts[0], parts[1], True


def object_field_selector(fs: dict, expressions: tuple[str, ...], path: FieldPath) -> list[FieldError]:
    """validateObjectFieldSelector (downward API ``fieldRef``)."""
    api_version = as_str(fs.get("apiVersion"))
    field_path = as_str(fs.get("fieldPath"))
    if not api_version:
        return [field_required(path.child("apiVersion"), "")]
    if not field_path:
        return [field_required(path.child("fieldPath"), "")]
    if api_version != "v1":
        return [field_invalid(path.child("fieldPath"), field_path, f"error converting fieldPath: unsupported pod version: {api_version}")]
    base, sub, ok = _split_subscripted(field_path)
    if ok:
        if base not in ("metadata.annotations", "metadata.labels"):
            return [field_invalid(path.child("fieldPath"), field_path, f"error converting fieldPath: field label does not support subscript: {field_path}")]
        if base == "metadata.annotations":
            return [field_invalid(path, sub.lower(), m) for m in qualified_name(sub.lower())]
        return [field_invalid(path, sub, m) for m in qualified_name(sub)]
    if field_path not in _CONVERTIBLE_LABELS:
        return [field_invalid(path.child("fieldPath"), field_path, f"error converting fieldPath: field label not supported: {field_path}")]
    internal = "spec.nodeName" if field_path == "spec.host" else field_path
    if internal not in expressions:
        return [field_not_supported(path.child("fieldPath"), internal, sorted(expressions))]
    return []


def _divisor(resource: str, divisor: Any, path: FieldPath) -> list[FieldError]:
    q = quantity(divisor)
    if q is None or q == 0:
        return []
    text = canonical_quantity(divisor)
    if resource in ("limits.cpu", "requests.cpu"):
        if text not in _DIVISORS_CPU:
            return [field_invalid(path.child("divisor"), resource, "only divisor's values 1m and 1 are supported with the cpu resource")]
    elif resource in ("limits.memory", "requests.memory"):
        if text not in _DIVISORS_BYTES:
            return [field_invalid(path.child("divisor"), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource")]
    elif resource in ("limits.ephemeral-storage", "requests.ephemeral-storage"):
        if text not in _DIVISORS_BYTES:
            return [field_invalid(path.child("divisor"), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource")]
    if resource.startswith(("requests.hugepages-", "limits.hugepages-")) and text not in _DIVISORS_BYTES:
        return [field_invalid(path.child("divisor"), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the hugepages resource")]
    return []


def resource_field_selector(fs: dict, path: FieldPath, *, volume: bool) -> list[FieldError]:
    """validateContainerResourceFieldSelector (downward API ``resourceFieldRef``)."""
    errs: list[FieldError] = []
    resource = as_str(fs.get("resource"))
    if volume and not as_str(fs.get("containerName")):
        errs.append(field_required(path.child("containerName"), ""))
    elif not resource:
        errs.append(field_required(path.child("resource"), ""))
    elif resource not in _CONTAINER_RESOURCE_PATHS and not resource.startswith(("limits.hugepages-", "requests.hugepages-")):
        errs.append(field_not_supported(path.child("resource"), resource, _CONTAINER_RESOURCE_PATHS))
    return errs + _divisor(resource, fs.get("divisor"), path)


def _key_selector(s: dict, path: FieldPath) -> list[FieldError]:
    name = as_str(s.get("name"))
    errs = [field_invalid(path.child("name"), name, m) for m in name_is_dns_subdomain(name)]
    key = as_str(s.get("key"))
    if not key:
        errs.append(field_required(path.child("key"), ""))
    else:
        errs += [field_invalid(path.child("key"), key, m) for m in config_map_key(key)]
    return errs


def _env(env: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(as_list(env)):
        ev = as_dict(ev)
        ip = path.index(i)
        name = as_str(ev.get("name"))
        if not name:
            errs.append(field_required(ip.child("name"), ""))
        else:
            errs += [field_invalid(ip.child("name"), name, m) for m in relaxed_env_var_name(name)]
        vf = ev.get("valueFrom")
        if not isinstance(vf, dict):
            continue
        vp = ip.child("valueFrom")
        n = 0
        if isinstance(vf.get("fieldRef"), dict):
            n += 1
            errs += object_field_selector(vf["fieldRef"], ENV_DOWNWARD_PATHS, vp.child("fieldRef"))
        if isinstance(vf.get("resourceFieldRef"), dict):
            n += 1
            errs += resource_field_selector(vf["resourceFieldRef"], vp.child("resourceFieldRef"), volume=False)
        if isinstance(vf.get("configMapKeyRef"), dict):
            n += 1
            errs += _key_selector(vf["configMapKeyRef"], vp.child("configMapKeyRef"))
        if isinstance(vf.get("secretKeyRef"), dict):
            n += 1
            errs += _key_selector(vf["secretKeyRef"], vp.child("secretKeyRef"))
        if n == 0:
            errs.append(field_invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
        elif as_str(ev.get("value")):
            errs.append(field_invalid(vp, "", "may not be specified when `value` is not empty"))
        elif n > 1:
            errs.append(field_invalid(vp, "", "may not have more than one field specified at a time"))
    return errs


def _env_from(env_from: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(as_list(env_from)):
        ev = as_dict(ev)
        ip = path.index(i)
        prefix = as_str(ev.get("prefix"))
        if prefix:
            errs += [field_invalid(ip.child("prefix"), prefix, m) for m in relaxed_env_var_name(prefix)]
        n = 0
        for key in ("configMapRef", "secretRef"):
            ref = ev.get(key)
            if isinstance(ref, dict):
                n += 1
                name = as_str(ref.get("name"))
                if not name:
                    errs.append(field_required(ip.child(key, "name"), ""))
                else:
                    errs += [field_invalid(ip.child(key, "name"), name, m) for m in name_is_dns_subdomain(name, True)]
        if n == 0:
            errs.append(field_invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif n > 1:
            errs.append(field_invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def pull_policy(policy: str, path: FieldPath) -> list[FieldError]:
    """validatePullPolicy."""
    if policy in ("Always", "IfNotPresent", "Never"):
        return []
    if not policy:
        return [field_required(path, "")]
    return [field_not_supported(path, policy, ("Always", "IfNotPresent", "Never"))]


def _seccomp_field(sp: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(sp, dict):
        return []
    errs = []
    t = as_str(sp.get("type"))
    if t not in ("Localhost", "RuntimeDefault", "Unconfined"):
        if not t:
            errs.append(field_required(path.child("type"), "type is required when seccompProfile is set"))
        else:
            errs.append(field_not_supported(path.child("type"), t, ("Localhost", "RuntimeDefault", "Unconfined")))
    lp = sp.get("localhostProfile")
    if t == "Localhost":
        if lp is None:
            errs.append(field_required(path.child("localhostProfile"), "must be set when seccomp type is Localhost"))
        else:
            errs += validate_local_descending_path(as_str(lp), path.child("localhostProfile"))
    elif lp is not None:
        errs.append(field_invalid(path.child("localhostProfile"), go_struct("core.SeccompProfile", sp), "can only be set when seccomp type is Localhost"))
    return errs


def _apparmor_field(p: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(p, dict):
        return []
    t = as_str(p.get("type"))
    lp = p.get("localhostProfile")
    if t == "Localhost":
        if lp is None:
            return [field_required(path.child("localhostProfile"), "must be set when AppArmor type is Localhost")]
        lp = as_str(lp)
        errs = []
        if lp.strip() != lp:
            errs.append(field_invalid(path.child("localhostProfile"), lp, "must not be padded with whitespace"))
        elif not lp:
            errs.append(field_required(path.child("localhostProfile"), "must be set when AppArmor type is Localhost"))
        if len(lp) > 4095:
            errs.append(field_too_long(path.child("localhostProfile"), "", 4095))
        return errs
    if t in ("RuntimeDefault", "Unconfined"):
        if lp is not None:
            return [field_invalid(path.child("localhostProfile"), lp, "can only be set when AppArmor type is Localhost")]
        return []
    if not t:
        return [field_required(path.child("type"), "type is required when appArmorProfile is set")]
    return [field_not_supported(path.child("type"), t, ("Localhost", "RuntimeDefault", "Unconfined"))]


def _id_range(v: Any, path: FieldPath) -> list[FieldError]:
    if is_int(v) and not 0 <= v <= _MAX_ID:
        return [field_invalid(path, v, inclusive_range_error(0, _MAX_ID))]
    return []


def _windows_options(wo: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(wo, dict):
        return []
    errs = []
    name = wo.get("gmsaCredentialSpecName")
    if isinstance(name, str):
        errs += [field_invalid(path.child("gmsaCredentialSpecName"), name, m) for m in dns1123_subdomain(name)]
    spec = wo.get("gmsaCredentialSpec")
    if isinstance(spec, str):
        if not spec:
            errs.append(field_invalid(path.child("gmsaCredentialSpec"), spec, "gmsaCredentialSpec cannot be an empty string"))
        elif len(spec) > 64 * 1024:
            errs.append(field_invalid(path.child("gmsaCredentialSpec"), spec, "gmsaCredentialSpec size must be under 64 KiB"))
    user = wo.get("runAsUserName")
    if isinstance(user, str) and not user:
        errs.append(field_invalid(path.child("runAsUserName"), user, "runAsUserName cannot be an empty string"))
    return errs


def _security_context(sc: Any, path: FieldPath, host_users: bool) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    errs: list[FieldError] = []
    errs += _id_range(sc.get("runAsUser"), path.child("runAsUser"))
    errs += _id_range(sc.get("runAsGroup"), path.child("runAsGroup"))
    pm = sc.get("procMount")
    if isinstance(pm, str):
        if pm not in ("Default", "Unmasked"):
            errs.append(field_not_supported(path.child("procMount"), pm, ("Default", "Unmasked")))
        if host_users and pm == "Unmasked":
            errs.append(field_invalid(path.child("procMount"), pm, "`hostUsers` must be false to use `Unmasked`"))
    errs += _seccomp_field(sc.get("seccompProfile"), path.child("seccompProfile"))
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            errs.append(field_invalid(path, go_struct("core.SecurityContext", sc), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        for cap in as_list(as_dict(sc.get("capabilities")).get("add")):
            if cap == "CAP_SYS_ADMIN":
                errs.append(field_invalid(path, go_struct("core.SecurityContext", sc), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
    errs += _windows_options(sc.get("windowsOptions"), path.child("windowsOptions"))
    errs += _apparmor_field(sc.get("appArmorProfile"), path.child("appArmorProfile"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Probes and lifecycle handlers
# ---------------------------------------------------------------------------------------------------------------


def port_num_or_name(port: Any, path: FieldPath) -> list[FieldError]:
    """ValidatePortNumOrName (an int-or-string port)."""
    if isinstance(port, str):
        return [field_invalid(path, port, m) for m in port_name(port)]
    p = as_int(port)
    return [field_invalid(path, p, m) for m in port_num(p)]


def _handler(h: dict, grace: Any, path: FieldPath, *, probe: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    n = 0
    kinds = ("exec", "httpGet", "tcpSocket", "grpc") if probe else ("exec", "httpGet", "tcpSocket", "sleep")
    for kind in kinds:
        v = h.get(kind)
        if not isinstance(v, dict):
            continue
        if n > 0:
            errs.append(field_forbidden(path.child(kind), "may not specify more than 1 handler type"))
            continue
        n += 1
        kp = path.child(kind)
        if kind == "exec":
            if not as_list(v.get("command")):
                errs.append(field_required(kp.child("command"), ""))
        elif kind == "httpGet":
            if not as_str(v.get("path")):
                errs.append(field_required(kp.child("path"), ""))
            errs += port_num_or_name(v.get("port"), kp.child("port"))
            scheme = as_str(v.get("scheme"))
            if scheme not in ("HTTP", "HTTPS"):
                errs.append(field_not_supported(kp.child("scheme"), scheme, ("HTTP", "HTTPS")))
            for hdr in as_list(v.get("httpHeaders")):
                hn = as_str(as_dict(hdr).get("name"))
                errs += [field_invalid(kp.child("httpHeaders"), hn, m) for m in http_header_name(hn)]
        elif kind == "tcpSocket":
            errs += port_num_or_name(v.get("port"), kp.child("port"))
        elif kind == "grpc":
            p = as_int(v.get("port"))
            errs += [field_invalid(kp.child("port"), p, m) for m in port_num(p)]
        elif kind == "sleep":
            secs = as_int(v.get("seconds"))
            if is_int(grace) and (secs <= 0 or secs > grace):
                errs.append(
                    field_invalid(
                        kp,
                        secs,
                        f"must be greater than 0 and less than terminationGracePeriodSeconds ({grace}). Enable "
                        "AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.",
                    )
                )
    if n == 0:
        errs.append(field_required(path, "must specify a handler type"))
    return errs


def _probe(probe: Any, grace: Any, path: FieldPath, kind: str) -> list[FieldError]:
    if not isinstance(probe, dict):
        return []
    errs = _handler(probe, grace, path, probe=True)
    for f in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errs += nonnegative(as_int(probe.get(f)), path.child(f))
    tgps = probe.get("terminationGracePeriodSeconds")
    if is_int(tgps) and tgps <= 0:
        errs.append(field_invalid(path.child("terminationGracePeriodSeconds"), tgps, "must be greater than 0"))
    if kind in ("liveness", "startup") and as_int(probe.get("successThreshold")) != 1:
        errs.append(field_invalid(path.child("successThreshold"), as_int(probe.get("successThreshold")), "must be 1"))
    if kind == "readiness" and tgps is not None:
        errs.append(field_invalid(path.child("terminationGracePeriodSeconds"), tgps, "must not be set for readinessProbes"))
    return errs


def _lifecycle(lc: dict, grace: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("postStart", "preStop"):
        if isinstance(lc.get(key), dict):
            errs += _handler(lc[key], grace, path.child(key), probe=False)
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------------------------


def _container_common(c: dict, volumes: dict[str, dict], path: FieldPath, host_users: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    name = as_str(c.get("name"))
    if not name:
        errs.append(field_required(path.child("name"), ""))
    else:
        errs += [field_invalid(path.child("name"), name, m) for m in dns1123_label(name)]
    if not as_str(c.get("image")):
        errs.append(field_required(path.child("image"), ""))
    tmp = as_str(c.get("terminationMessagePolicy"))
    if tmp not in ("File", "FallbackToLogsOnError"):
        if not tmp:
            errs.append(field_required(path.child("terminationMessagePolicy"), ""))
        else:
            errs.append(field_not_supported(path.child("terminationMessagePolicy"), tmp, ("File", "FallbackToLogsOnError")))
    mounts = {as_str(m.get("name")): as_str(m.get("mountPath")) for m in map(as_dict, as_list(c.get("volumeMounts")))}
    devices = {as_str(d.get("name")): as_str(d.get("devicePath")) for d in map(as_dict, as_list(c.get("volumeDevices")))}
    errs += _container_ports(c.get("ports"), path.child("ports"))
    errs += _env(c.get("env"), path.child("env"))
    errs += _env_from(c.get("envFrom"), path.child("envFrom"))
    errs += validate_volume_mounts(c.get("volumeMounts"), devices, volumes, c, path.child("volumeMounts"))
    errs += validate_volume_devices(c.get("volumeDevices"), mounts, volumes, path.child("volumeDevices"))
    errs += pull_policy(as_str(c.get("imagePullPolicy")), path.child("imagePullPolicy"))
    errs += resource_requirements(c.get("resources"), path.child("resources"))
    errs += _security_context(c.get("securityContext"), path.child("securityContext"), host_users)
    return errs


def _host_port_conflicts(containers: list, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for ci, c in enumerate(containers):
        c = as_dict(c)
        for pi, p in enumerate(as_list(c.get("ports"))):
            p = as_dict(p)
            hp = as_int(p.get("hostPort"))
            if hp == 0:
                continue
            key = f"{as_str(p.get('protocol'))}/{as_str(p.get('hostIP'))}/{hp}"
            if key in seen:
                errs.append(field_duplicate(path.index(ci).child("ports").index(pi).child("hostPort"), key))
            else:
                seen.add(key)
    return errs


def _containers(containers: Any, volumes: dict, grace: Any, path: FieldPath, host_users: bool) -> list[FieldError]:
    containers = as_list(containers)
    if not containers:
        return [field_required(path, "")]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, c in enumerate(containers):
        c = as_dict(c)
        p = path.index(i)
        errs += _container_common(c, volumes, p, host_users)
        name = as_str(c.get("name"))
        if name in names:
            errs.append(field_duplicate(p.child("name"), name))
        else:
            names.add(name)
        if isinstance(c.get("lifecycle"), dict):
            errs += _lifecycle(c["lifecycle"], grace, p.child("lifecycle"))
        errs += _probe(c.get("livenessProbe"), grace, p.child("livenessProbe"), "liveness")
        errs += _probe(c.get("readinessProbe"), grace, p.child("readinessProbe"), "readiness")
        errs += _probe(c.get("startupProbe"), grace, p.child("startupProbe"), "startup")
        if c.get("restartPolicy") is not None:
            errs.append(field_forbidden(p.child("restartPolicy"), "may not be set for non-init containers"))
    return errs + _host_port_conflicts(containers, path)


def _init_containers(inits: Any, regular: Any, volumes: dict, grace: Any, path: FieldPath, host_users: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    names = {as_str(as_dict(c).get("name")) for c in as_list(regular)}
    for i, c in enumerate(as_list(inits)):
        c = as_dict(c)
        p = path.index(i)
        errs += _container_common(c, volumes, p, host_users)
        restart_always = False
        rp = c.get("restartPolicy")
        if rp is not None:
            if rp != "Always":
                errs.append(field_not_supported(p.child("restartPolicy"), rp, ["Always"]))
            restart_always = rp == "Always"
        name = as_str(c.get("name"))
        if name in names:
            errs.append(field_duplicate(p.child("name"), name))
        elif name:
            names.add(name)
        errs += _host_port_conflicts([c], path)
        if restart_always:
            if isinstance(c.get("lifecycle"), dict):
                errs += _lifecycle(c["lifecycle"], grace, p.child("lifecycle"))
            errs += _probe(c.get("livenessProbe"), grace, p.child("livenessProbe"), "liveness")
            errs += _probe(c.get("readinessProbe"), grace, p.child("readinessProbe"), "readiness")
            errs += _probe(c.get("startupProbe"), grace, p.child("startupProbe"), "startup")
        else:
            for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(key) is not None:
                    errs.append(field_forbidden(p.child(key), "may not be set for init containers without restartPolicy=Always"))
    return errs


_EPHEMERAL_FORBIDDEN = ("ports", "resources", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle")


def _ephemeral_containers(ecs: Any, containers: Any, inits: Any, volumes: dict, path: FieldPath, host_users: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    ecs = as_list(ecs)
    if not ecs:
        return errs
    other = {as_str(as_dict(c).get("name")) for c in as_list(containers) + as_list(inits)}
    names = set(other)
    for i, ec in enumerate(ecs):
        ec = as_dict(ec)
        p = path.index(i)
        errs += _container_common(ec, volumes, p, host_users)
        image = as_str(ec.get("image"))
        if len(image) != len(image.strip()):
            errs.append(field_invalid(p.child("image"), image, "must not have leading or trailing whitespace"))
        name = as_str(ec.get("name"))
        if name in names:
            errs.append(field_duplicate(p.child("name"), name))
        else:
            names.add(name)
        target = as_str(ec.get("targetContainerName"))
        if target and target not in other:
            errs.append(field_not_found(p.child("targetContainerName"), target))
        for key in _EPHEMERAL_FORBIDDEN:
            if ec.get(key) not in (None, {}, []):
                errs.append(field_forbidden(p.child(key), "cannot be set for an Ephemeral Container"))
        for j, vm in enumerate(as_list(ec.get("volumeMounts"))):
            vm = as_dict(vm)
            if as_str(vm.get("subPath")):
                errs.append(field_forbidden(p.child("volumeMounts").index(j).child("subPath"), "cannot be set for an Ephemeral Container"))
            if as_str(vm.get("subPathExpr")):
                errs.append(field_forbidden(p.child("volumeMounts").index(j).child("subPathExpr"), "cannot be set for an Ephemeral Container"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Scheduling: affinity, tolerations, topology spread
# ---------------------------------------------------------------------------------------------------------------


def _node_selector_requirement(rq: dict, allow_invalid_value: bool, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    op = rq.get("operator", "")
    values = as_list(rq.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            errs.append(field_required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist"):
        if values:
            errs.append(field_forbidden(path.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif op in ("Gt", "Lt"):
        if len(values) != 1:
            errs.append(field_required(path.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        errs.append(field_invalid(path.child("operator"), op, "not a valid selector operator"))
    errs += validate_label_name(rq.get("key", ""), path.child("key"))
    if not allow_invalid_value:
        for i, v in enumerate(values):
            v = v if isinstance(v, str) else ""
            errs += [field_invalid(path.child("values").index(i), v, m) for m in label_value(v)]
    return errs


def _node_field_requirement(rq: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    op = rq.get("operator", "")
    values = as_list(rq.get("values"))
    if op in ("In", "NotIn"):
        if len(values) != 1:
            errs.append(field_required(path.child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
    else:
        errs.append(field_invalid(path.child("operator"), op, "not a valid selector operator"))
    key = rq.get("key", "")
    if key != "metadata.name":
        errs.append(field_invalid(path.child("key"), key, "not a valid field selector key"))
    else:
        for i, v in enumerate(values):
            v = as_str(v)
            errs += [field_invalid(path.child("values").index(i), v, m) for m in name_is_dns_subdomain(v)]
    return errs


def _node_selector_term(term: dict, allow_invalid_value: bool, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for j, rq in enumerate(as_list(term.get("matchExpressions"))):
        errs += _node_selector_requirement(as_dict(rq), allow_invalid_value, path.child("matchExpressions").index(j))
    for j, rq in enumerate(as_list(term.get("matchFields"))):
        errs += _node_field_requirement(as_dict(rq), path.child("matchFields").index(j))
    return errs


def node_selector(ns: dict, allow_invalid_value: bool, path: FieldPath) -> list[FieldError]:
    """ValidateNodeSelector: at least one term."""
    terms = as_list(ns.get("nodeSelectorTerms"))
    tp = path.child("nodeSelectorTerms")
    if not terms:
        return [field_required(tp, "must have at least one node selector term")]
    errs: list[FieldError] = []
    for i, t in enumerate(terms):
        errs += _node_selector_term(as_dict(t), allow_invalid_value, tp.index(i))
    return errs


def _label_keys(path: FieldPath, keys: list, selector: Any) -> list[FieldError]:
    if not keys:
        return []
    if selector is None:
        return [field_forbidden(path, "must not be specified when labelSelector is not set")]
    errs: list[FieldError] = []
    for i, k in enumerate(keys):
        errs += validate_label_name(k, path.index(i))
    return errs


def _pod_affinity_term(term: dict, path: FieldPath) -> list[FieldError]:
    errs = validate_label_selector(term.get("labelSelector"), path.child("labelSelector"))
    errs += validate_label_selector(term.get("namespaceSelector"), path.child("namespaceSelector"))
    for name in as_list(term.get("namespaces")):
        name = as_str(name)
        errs += [field_invalid(path.child("namespace"), name, m) for m in name_is_dns_label(name)]
    match_keys = as_list(term.get("matchLabelKeys"))
    mismatch_keys = as_list(term.get("mismatchLabelKeys"))
    sel = term.get("labelSelector")
    errs += _label_keys(path.child("matchLabelKeys"), match_keys, sel)
    errs += _label_keys(path.child("mismatchLabelKeys"), mismatch_keys, sel)
    if isinstance(sel, dict):
        idx = {k: i for i, k in enumerate(match_keys) if isinstance(k, str)}
        seen = set(as_dict(sel.get("matchLabels")))
        for e in as_list(sel.get("matchExpressions")):
            k = as_dict(e).get("key")
            if k in idx and k in seen:
                errs.append(field_invalid(path.index(idx[k]), k, "exists in both matchLabelKeys and labelSelector"))
            seen.add(k)
    for i, k in enumerate(match_keys):
        if k in mismatch_keys:
            errs.append(field_invalid(path.child("matchLabelKeys").index(i), k, "exists in both matchLabelKeys and mismatchLabelKeys"))
    tk = as_str(term.get("topologyKey"))
    if not tk:
        errs.append(field_required(path.child("topologyKey"), "can not be empty"))
    return errs + validate_label_name(tk, path.child("topologyKey"))


def _pod_affinity(pa: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    rp = path.child("requiredDuringSchedulingIgnoredDuringExecution")
    for i, t in enumerate(as_list(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        errs += _pod_affinity_term(as_dict(t), rp.index(i))
    pp = path.child("preferredDuringSchedulingIgnoredDuringExecution")
    for i, w in enumerate(as_list(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        w = as_dict(w)
        weight = as_int(w.get("weight"))
        if weight <= 0 or weight > 100:
            errs.append(field_invalid(pp.index(i).child("weight"), weight, "must be in the range 1-100"))
        errs += _pod_affinity_term(as_dict(w.get("podAffinityTerm")), pp.index(i).child("podAffinityTerm"))
    return errs


def _affinity(aff: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(aff, dict):
        return []
    errs: list[FieldError] = []
    na = aff.get("nodeAffinity")
    if isinstance(na, dict):
        np = path.child("nodeAffinity")
        req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(req, dict):
            errs += node_selector(req, False, np.child("requiredDuringSchedulingIgnoredDuringExecution"))
        pp = np.child("preferredDuringSchedulingIgnoredDuringExecution")
        for i, t in enumerate(as_list(na.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            t = as_dict(t)
            weight = as_int(t.get("weight"))
            if weight <= 0 or weight > 100:
                errs.append(field_invalid(pp.index(i).child("weight"), weight, "must be in the range 1-100"))
            errs += _node_selector_term(as_dict(t.get("preference")), True, pp.index(i).child("preference"))
    if isinstance(aff.get("podAffinity"), dict):
        errs += _pod_affinity(aff["podAffinity"], path.child("podAffinity"))
    if isinstance(aff.get("podAntiAffinity"), dict):
        errs += _pod_affinity(aff["podAntiAffinity"], path.child("podAntiAffinity"))
    return errs


_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def taint_effect(effect: str, allow_empty: bool, path: FieldPath) -> list[FieldError]:
    """validateTaintEffect."""
    if not allow_empty and not effect:
        return [field_required(path, "")]
    if effect not in _TAINT_EFFECTS:
        return [field_not_supported(path, effect, _TAINT_EFFECTS)]
    return []


def validate_tolerations(tolerations: Any, path: FieldPath) -> list[FieldError]:
    """ValidateTolerations."""
    errs: list[FieldError] = []
    for i, t in enumerate(as_list(tolerations)):
        t = as_dict(t)
        ip = path.index(i)
        key = as_str(t.get("key"))
        op = as_str(t.get("operator"))
        effect = as_str(t.get("effect"))
        value = as_str(t.get("value"))
        if key:
            errs += validate_label_name(key, ip.child("key"))
        if not key and op != "Exists":
            errs.append(field_invalid(ip.child("operator"), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(field_invalid(ip.child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            msgs = label_value(value)
            if msgs:
                errs.append(field_invalid(ip.child("operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(field_invalid(ip.child("operator"), value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(field_not_supported(ip.child("operator"), op, ("Equal", "Exists")))
        if effect:
            errs += taint_effect(effect, True, ip.child("effect"))
    return errs


def _topology_spread(constraints: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    cs = [as_dict(c) for c in as_list(constraints)]
    for i, c in enumerate(cs):
        p = path.index(i)
        skew = as_int(c.get("maxSkew"))
        if skew <= 0:
            errs.append(field_invalid(p.child("maxSkew"), skew, "must be greater than zero"))
        tk = as_str(c.get("topologyKey"))
        if not tk:
            errs.append(field_required(p.child("topologyKey"), "can not be empty"))
        wu = as_str(c.get("whenUnsatisfiable"))
        if wu not in ("DoNotSchedule", "ScheduleAnyway"):
            errs.append(field_not_supported(p.child("whenUnsatisfiable"), wu, ("DoNotSchedule", "ScheduleAnyway")))
        for other in cs[i + 1:]:
            if as_str(other.get("topologyKey")) == tk and as_str(other.get("whenUnsatisfiable")) == wu:
                errs.append(field_duplicate(p.child("{topologyKey, whenUnsatisfiable}"), f"{{{tk}, {wu}}}"))
                break
        md = c.get("minDomains")
        if is_int(md):
            if md <= 0:
                errs.append(field_invalid(p.child("minDomains"), md, "must be greater than zero"))
            if wu != "DoNotSchedule":
                errs.append(field_invalid(p.child("minDomains"), md, f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {wu}"))
        for key in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            v = c.get(key)
            if isinstance(v, str) and v not in ("Honor", "Ignore"):
                errs.append(field_not_supported(p.child(key), v, ("Honor", "Ignore")))
        mlk = as_list(c.get("matchLabelKeys"))
        if mlk:
            sel = c.get("labelSelector")
            keys: set = set()
            if isinstance(sel, dict):
                keys = set(as_dict(sel.get("matchLabels"))) | {as_dict(e).get("key") for e in as_list(sel.get("matchExpressions"))}
            else:
                errs.append(field_forbidden(p.child("matchLabelKeys"), "must not be specified when labelSelector is not set"))
            for j, k in enumerate(mlk):
                errs += validate_label_name(k, p.child("matchLabelKeys").index(j))
                if k in keys:
                    errs.append(field_invalid(p.child("matchLabelKeys").index(j), k, "exists in both matchLabelKeys and labelSelector"))
        errs += validate_label_selector(c.get("labelSelector"), p.child("labelSelector"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Pod-level settings
# ---------------------------------------------------------------------------------------------------------------


def _sysctl_namespace(name: str) -> str:
    name = name.replace("/", ".")
    if name.startswith("net."):
        return "net"
    if name in _IPC_SYSCTLS or name.startswith("fs.mqueue."):
        return "ipc"
    return ""


def _pod_security_context(sc: Any, spec: dict, path: FieldPath) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    errs: list[FieldError] = []
    errs += _id_range(sc.get("fsGroup"), path.child("fsGroup"))
    errs += _id_range(sc.get("runAsUser"), path.child("runAsUser"))
    errs += _id_range(sc.get("runAsGroup"), path.child("runAsGroup"))
    for g, gid in enumerate(as_list(sc.get("supplementalGroups"))):
        errs += _id_range(gid, path.child("supplementalGroups").index(g))
    spn = spec.get("shareProcessNamespace")
    if spn is True and spec.get("hostPID") is True:
        errs.append(field_invalid(path.child("shareProcessNamespace"), True, "ShareProcessNamespace and HostPID cannot both be enabled"))
    sysctls = as_list(sc.get("sysctls"))
    names: set[str] = set()
    for i, s in enumerate(sysctls):
        s = as_dict(s)
        np = path.child("sysctls").index(i).child("name")
        name = as_str(s.get("name"))
        if not name:
            errs.append(field_required(np, ""))
        elif len(name) > 253 or not _SYSCTL_RE.match(name):
            errs.append(field_invalid(np, name, f"must have at most 253 characters and match regex {_SYSCTL_RE_TEXT}"))
        elif name in names:
            errs.append(field_duplicate(np, name))
        ns = _sysctl_namespace(name)
        if spec.get("hostNetwork") is True and ns == "net":
            errs.append(field_invalid(np, name, "may not be specified when 'hostNetwork' is true"))
        elif spec.get("hostIPC") is True and ns == "ipc":
            errs.append(field_invalid(np, name, "may not be specified when 'hostIPC' is true"))
        names.add(name)
    fgcp = sc.get("fsGroupChangePolicy")
    if isinstance(fgcp, str) and fgcp not in ("Always", "OnRootMismatch"):
        errs.append(field_not_supported(path.child("fsGroupChangePolicy"), fgcp, ("Always", "OnRootMismatch")))
    errs += _seccomp_field(sc.get("seccompProfile"), path.child("seccompProfile"))
    errs += _windows_options(sc.get("windowsOptions"), path.child("windowsOptions"))
    errs += _apparmor_field(sc.get("appArmorProfile"), path.child("appArmorProfile"))
    sgp = sc.get("supplementalGroupsPolicy")
    if isinstance(sgp, str) and sgp not in ("Merge", "Strict"):
        errs.append(field_not_supported(path.child("supplementalGroupsPolicy"), sgp, ("Merge", "Strict")))
    return errs


def _dns_config(cfg: Any, policy: str, path: FieldPath) -> list[FieldError]:
    if policy == "None":
        if not isinstance(cfg, dict):
            return [field_required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(cfg.get("nameservers")):
            return [field_required(path.child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    if not isinstance(cfg, dict):
        return []
    errs: list[FieldError] = []
    ns = as_list(cfg.get("nameservers"))
    if len(ns) > 3:
        errs.append(field_invalid(path.child("nameservers"), go_string_slice(ns), "must not have more than 3 nameservers"))
    for i, n in enumerate(ns):
        errs += valid_ip(path.child("nameservers").index(i), n)
    searches = as_list(cfg.get("searches"))
    if len(searches) > 32:
        errs.append(field_invalid(path.child("searches"), go_string_slice(searches), "must not have more than 32 search paths"))
    if len(" ".join(map(str, searches))) > 2048:
        errs.append(field_invalid(path.child("searches"), go_string_slice(searches), "must not have more than 2048 characters (including spaces) in the search list"))
    for i, s in enumerate(searches):
        s = as_str(s)
        if s.endswith("."):
            s = s[:-1]
        errs += [field_invalid(path.child("searches").index(i), s, m) for m in name_is_dns_subdomain(s)]
    for i, o in enumerate(as_list(cfg.get("options"))):
        if not as_str(as_dict(o).get("name")):
            errs.append(field_required(path.child("options").index(i), "must not be empty"))
    return errs


def _host_network_deps(spec: dict, path: FieldPath, resource_is_pod: bool) -> list[FieldError]:
    if spec.get("hostNetwork") is not True:
        return []
    errs: list[FieldError] = []
    cp = path.child("containers")
    for i, c in enumerate(as_list(spec.get("containers"))):
        for j, port in enumerate(as_list(as_dict(c).get("ports"))):
            port = as_dict(port)
            hp, cport = as_int(port.get("hostPort")), as_int(port.get("containerPort"))
            if (resource_is_pod or hp != 0) and hp != cport:
                errs.append(field_invalid(cp.index(i).child("ports").index(j).child("hostPort"), hp, "must match `containerPort` when `hostNetwork` is true"))
    return errs


def _image_pull_secrets(secrets: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, s in enumerate(as_list(secrets)):
        s = as_dict(s)
        if set(k for k, v in s.items() if v not in (None, "")) - {"name"}:
            errs.append(field_invalid(path.index(i), go_struct("core.LocalObjectReference", s), "only name may be set"))
    return errs


def _host_users(spec: dict, path: FieldPath) -> list[FieldError]:
    if spec.get("hostUsers") is not False:
        return []
    errs = []
    if spec.get("hostNetwork") is True:
        errs.append(field_forbidden(path.child("hostNetwork"), "when `pod.Spec.HostUsers` is false"))
    if spec.get("hostPID") is True:
        errs.append(field_forbidden(path.child("HostPID"), "when `pod.Spec.HostUsers` is false"))
    if spec.get("hostIPC") is True:
        errs.append(field_forbidden(path.child("HostIPC"), "when `pod.Spec.HostUsers` is false"))
    return errs


def _os(spec: dict, path: FieldPath) -> list[FieldError]:
    osv = spec.get("os")
    if not isinstance(osv, dict):
        return []
    name = as_str(osv.get("name"))
    if not name:
        return [field_required(path.child("os", "name"), "cannot be empty")]
    if name not in ("linux", "windows"):
        return [field_not_supported(path.child("os"), name, ("linux", "windows"))]
    errs: list[FieldError] = []
    if name == "linux":
        if isinstance(as_dict(spec.get("securityContext")).get("windowsOptions"), dict):
            errs.append(field_forbidden(path.child("securityContext", "windowsOptions"), "windows options cannot be set for a linux pod"))
        for kind in ("containers", "initContainers", "ephemeralContainers"):
            for i, c in enumerate(as_list(spec.get(kind))):
                if isinstance(as_dict(as_dict(c).get("securityContext")).get("windowsOptions"), dict):
                    errs.append(field_forbidden(path.child(kind).index(i).child("securityContext", "windowsOptions"), "windows options cannot be set for a linux pod"))
    return errs


def pod_spec(spec: Any, pod_meta: dict | None, path: FieldPath, *, resource_is_pod: bool = False) -> list[FieldError]:
    """ValidatePodSpec."""
    spec = as_dict(spec)
    errs: list[FieldError] = []
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        errs.append(field_required(path.child("terminationGracePeriodSeconds"), ""))
    host_users = spec.get("hostUsers") is not False
    vols, verrs = validate_volumes(spec.get("volumes"), pod_meta, path.child("volumes"), resource_is_pod=resource_is_pod)
    errs += verrs
    errs += _containers(spec.get("containers"), vols, grace, path.child("containers"), host_users)
    errs += _init_containers(spec.get("initContainers"), spec.get("containers"), vols, grace, path.child("initContainers"), host_users)
    errs += _ephemeral_containers(spec.get("ephemeralContainers"), spec.get("containers"), spec.get("initContainers"), vols, path.child("ephemeralContainers"), host_users)
    errs += _host_network_deps(spec, path, resource_is_pod)
    rp = as_str(spec.get("restartPolicy"))
    if rp not in ("Always", "OnFailure", "Never"):
        errs.append(field_required(path.child("restartPolicy"), "") if not rp else field_not_supported(path.child("restartPolicy"), rp, ("Always", "OnFailure", "Never")))
    dp = as_str(spec.get("dnsPolicy"))
    if dp not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        errs.append(field_required(path.child("dnsPolicy"), "") if not dp else field_not_supported(path.child("dnsPolicy"), dp, ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")))
    errs += validate_labels(spec.get("nodeSelector"), path.child("nodeSelector"))
    errs += _pod_security_context(spec.get("securityContext"), spec, path.child("securityContext"))
    errs += _image_pull_secrets(spec.get("imagePullSecrets"), path.child("imagePullSecrets"))
    errs += _affinity(spec.get("affinity"), path.child("affinity"))
    errs += _dns_config(spec.get("dnsConfig"), dp, path.child("dnsConfig"))
    for i, g in enumerate(as_list(spec.get("readinessGates"))):
        ct = as_str(as_dict(g).get("conditionType"))
        errs += [field_invalid(path.child("readinessGates").index(i).child("conditionType"), ct, m) for m in qualified_name(ct)]
    seen_gates: set[str] = set()
    for i, g in enumerate(as_list(spec.get("schedulingGates"))):
        gn = as_str(as_dict(g).get("name"))
        errs += [field_invalid(path.child("schedulingGates").index(i), gn, m) for m in qualified_name(gn)]
        if gn in seen_gates:
            errs.append(field_duplicate(path.child("schedulingGates").index(i), gn))
        seen_gates.add(gn)
    errs += _topology_spread(spec.get("topologySpreadConstraints"), path.child("topologySpreadConstraints"))
    errs += _host_users(spec, path)
    for key, fn in (("serviceAccountName", name_is_dns_subdomain), ("nodeName", name_is_dns_subdomain)):
        v = as_str(spec.get(key))
        if v:
            errs += [field_invalid(path.child(key), v, m) for m in fn(v)]
    ads = spec.get("activeDeadlineSeconds")
    if is_int(ads) and (ads < 1 or ads > _MAX_INT32):
        errs.append(field_invalid(path.child("activeDeadlineSeconds"), ads, inclusive_range_error(1, _MAX_INT32)))
    for key in ("hostname", "subdomain"):
        v = as_str(spec.get(key))
        if v:
            errs += [field_invalid(path.child(key), v, m) for m in dns1123_label(v)]
    if as_list(spec.get("tolerations")):
        errs += validate_tolerations(spec.get("tolerations"), path.child("tolerations"))
    for i, ha in enumerate(as_list(spec.get("hostAliases"))):
        ha = as_dict(ha)
        hp = path.child("hostAliases").index(i)
        errs += valid_ip(hp.child("ip"), as_str(ha.get("ip")))
        for j, h in enumerate(as_list(ha.get("hostnames"))):
            h = as_str(h)
            errs += [field_invalid(hp.child("hostnames").index(j), h, m) for m in name_is_dns_subdomain(h)]
    pcn = as_str(spec.get("priorityClassName"))
    if pcn:
        errs += [field_invalid(path.child("priorityClassName"), pcn, m) for m in name_is_dns_subdomain(pcn)]
    rcn = spec.get("runtimeClassName")
    if isinstance(rcn, str):
        errs += [field_invalid(path.child("runtimeClassName"), rcn, m) for m in name_is_dns_subdomain(rcn)]
    pp = spec.get("preemptionPolicy")
    if isinstance(pp, str) and pp not in ("PreemptLowerPriority", "Never"):
        errs.append(field_required(path.child("preemptionPolicy"), "") if not pp else field_not_supported(path.child("preemptionPolicy"), pp, ("PreemptLowerPriority", "Never")))
    if isinstance(spec.get("overhead"), dict):
        errs += resource_requirements({"limits": spec["overhead"]}, path.child("overhead"))
    errs += _os(spec, path)
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Annotations that matter to pods
# ---------------------------------------------------------------------------------------------------------------

_MIRROR = "kubernetes.io/config.mirror"
_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER = "container.seccomp.security.alpha.kubernetes.io/"
_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _seccomp_profile(p: str, path: FieldPath) -> list[FieldError]:
    if p in ("runtime/default", "docker/default", "unconfined"):
        return []
    if p.startswith("localhost/"):
        return validate_local_descending_path(p[len("localhost/"):], path)
    return [field_invalid(path, p, "must be a valid seccomp profile")]


def _container_names(spec: dict) -> set[str]:
    return {as_str(as_dict(c).get("name")) for k in ("initContainers", "containers", "ephemeralContainers") for c in as_list(spec.get(k))}


def pod_specific_annotations(annotations: Any, spec: dict, path: FieldPath) -> list[FieldError]:
    """ValidatePodSpecificAnnotations."""
    ann = as_dict(annotations)
    errs: list[FieldError] = []
    if _MIRROR in ann and not as_str(spec.get("nodeName")):
        errs.append(field_invalid(path.key(_MIRROR), ann[_MIRROR], "must set spec.nodeName if mirror pod annotation is set"))
    if _DELETION_COST in ann:
        v = ann[_DELETION_COST]
        ok = isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v) is not None and -(2**31) <= int(v) < 2**31
        if not ok:
            errs.append(field_invalid(path.key(_DELETION_COST), v, "must be a 32bit integer"))
    if _SECCOMP_POD in ann:
        errs += _seccomp_profile(as_str(ann[_SECCOMP_POD]), path.child(_SECCOMP_POD))
    for k, v in sorted(ann.items()):
        if k.startswith(_SECCOMP_CONTAINER):
            errs += _seccomp_profile(as_str(v), path.child(k))
    names = None
    for k, v in sorted(ann.items()):
        if not k.startswith(_APPARMOR_PREFIX):
            continue
        if names is None:
            names = _container_names(spec)
        cname = k[len(_APPARMOR_PREFIX):]
        if cname not in names:
            errs.append(field_invalid(path.key(k), cname, "container not found"))
        v = as_str(v)
        if v not in ("", "runtime/default", "unconfined") and not v.startswith("localhost/"):
            errs.append(field_invalid(path.key(k), v, f"invalid AppArmor profile name: {go_quote(v)}"))
    return errs


def _seccomp_annotation_match(annotation: str, field: dict, path: FieldPath) -> list[FieldError]:
    t = as_str(field.get("type"))
    if t == "Unconfined" and annotation != "unconfined":
        return [field_forbidden(path.child("type"), "seccomp type in annotation and field must match")]
    if t == "RuntimeDefault" and annotation not in ("runtime/default", "docker/default"):
        return [field_forbidden(path.child("type"), "seccomp type in annotation and field must match")]
    if t == "Localhost":
        if not annotation.startswith("localhost/"):
            return [field_forbidden(path.child("type"), "seccomp type in annotation and field must match")]
        if annotation[len("localhost/"):] != field.get("localhostProfile"):
            return [field_forbidden(path.child("localhostProfile"), "seccomp profile in annotation and field must match")]
    return []


def _visit_containers(spec: dict, path: FieldPath):
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(as_list(spec.get(kind))):
            yield as_dict(c), path.child(kind).index(i)


def _annotations_vs_fields(meta: dict, spec: dict, path: FieldPath) -> list[FieldError]:
    """validateSeccompAnnotationsAndFields + validateAppArmorAnnotationsAndFieldsMatchOnCreate."""
    ann = as_dict(meta.get("annotations"))
    errs: list[FieldError] = []
    psc = as_dict(spec.get("securityContext"))
    if isinstance(psc.get("seccompProfile"), dict) and _SECCOMP_POD in ann:
        errs += _seccomp_annotation_match(as_str(ann[_SECCOMP_POD]), psc["seccompProfile"], path.child("securityContext", "seccompProfile"))
    for c, cp in _visit_containers(spec, path):
        sp = as_dict(c.get("securityContext")).get("seccompProfile")
        key = _SECCOMP_CONTAINER + as_str(c.get("name"))
        if isinstance(sp, dict) and key in ann:
            errs += _seccomp_annotation_match(as_str(ann[key]), sp, cp.child("securityContext", "seccompProfile"))
    if as_str(as_dict(spec.get("os")).get("name")) == "windows":
        return errs
    pod_profile = psc.get("appArmorProfile")
    for c, cp in _visit_containers(spec, path):
        prof = as_dict(c.get("securityContext")).get("appArmorProfile") or pod_profile
        if not isinstance(prof, dict):
            continue
        key = _APPARMOR_PREFIX + as_str(c.get("name"))
        if key not in ann:
            continue
        a = as_str(ann[key])
        ap = cp.child("securityContext", "appArmorProfile")
        t = as_str(prof.get("type"))
        if (t == "Unconfined" and a != "unconfined") or (t == "RuntimeDefault" and a != "runtime/default") or (
            t == "Localhost" and not a.startswith("localhost/")
        ):
            errs.append(field_forbidden(ap.child("type"), "apparmor type in annotation and field must match"))
        elif t == "Localhost" and a[len("localhost/"):] != prof.get("localhostProfile"):
            errs.append(field_forbidden(ap.child("localhostProfile"), "apparmor profile in annotation and field must match"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Pod templates and pods
# ---------------------------------------------------------------------------------------------------------------


def pod_template_spec(tmpl: Any, path: FieldPath) -> list[FieldError]:
    """ValidatePodTemplateSpec."""
    tmpl = as_dict(tmpl)
    meta = as_dict(tmpl.get("metadata"))
    spec = as_dict(tmpl.get("spec"))
    errs = validate_labels(meta.get("labels"), path.child("labels"))
    errs += validate_annotations(meta.get("annotations"), path.child("annotations"))
    errs += pod_specific_annotations(meta.get("annotations"), spec, path.child("annotations"))
    errs += pod_spec(spec, None, path.child("spec"))
    errs += _annotations_vs_fields(meta, spec, path.child("spec"))
    if as_list(spec.get("ephemeralContainers")):
        errs.append(field_forbidden(path.child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
    return errs


def _pod_metadata_and_spec(pod: dict) -> list[FieldError]:
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    errs = object_meta(meta, True, name_is_dns_subdomain, _META)
    errs += pod_specific_annotations(meta.get("annotations"), spec, _META.child("annotations"))
    errs += pod_spec(spec, meta, _SPEC, resource_is_pod=True)
    if not as_str(spec.get("serviceAccountName")):
        for vi, vol in enumerate(as_list(spec.get("volumes"))):
            proj = as_dict(vol).get("projected")
            if isinstance(proj, dict):
                for si, src in enumerate(as_list(proj.get("sources"))):
                    if as_dict(src).get("serviceAccountToken") is not None:
                        errs.append(field_forbidden(_SPEC.child("volumes").index(vi).child("projected", "sources").index(si).child("serviceAccountToken"), "must not be specified when serviceAccountName is not set"))
    for kind in ("containers", "initContainers"):
        for i, c in enumerate(as_list(spec.get(kind))):
            image = as_str(as_dict(c).get("image"))
            if len(image) != len(image.strip()):
                errs.append(field_invalid(_SPEC.child(kind).index(i).child("image"), image, "must not have leading or trailing whitespace"))
    return errs


def validate_pod(pod: dict) -> list[FieldError]:
    """ValidatePodCreate."""
    errs = _pod_metadata_and_spec(pod)
    spec = as_dict(pod.get("spec"))
    if as_list(spec.get("ephemeralContainers")):
        errs.append(field_forbidden(_SPEC.child("ephemeralContainers"), "cannot be set on create"))
    if as_str(spec.get("nodeName")) and as_list(spec.get("schedulingGates")):
        errs.append(field_forbidden(_SPEC.child("nodeName"), "cannot be set until all schedulingGates have been cleared"))
    errs += _annotations_vs_fields(as_dict(pod.get("metadata")), spec, _SPEC)
    return errs


def _container_updates(new: list, old: list, path: FieldPath) -> tuple[list[FieldError], bool]:
    if len(new) != len(old):
        return [field_forbidden(path, "pod updates may not add or remove containers")], True
    errs: list[FieldError] = []
    for i, c in enumerate(new):
        image = as_str(as_dict(c).get("image"))
        if not image:
            errs.append(field_required(path.index(i).child("image"), ""))
        if len(image.strip()) != len(image):
            errs.append(field_invalid(path.index(i).child("image"), image, "must not have leading or trailing whitespace"))
    return errs, False


def _diff_lines(old: Any, new: Any, prefix: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in list(old) + [k for k in new if k not in old]:
            _diff_lines(old.get(k), new.get(k), f"{prefix}.{k}" if prefix else k, out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            _diff_lines(a, b, f"{prefix}[{i}]", out)
        return
    if old != new:
        import orjson

        if old is not None:
            out.append(f"- \t{prefix}: {orjson.dumps(old).decode()}")
        if new is not None:
            out.append(f"+ \t{prefix}: {orjson.dumps(new).decode()}")


def spec_diff(old: dict, new: dict, type_name: str = "core.PodSpec") -> str:
    """A readable diff of two specs in the spirit of upstream's ``cmp.Diff`` output."""
    lines: list[str] = []
    _diff_lines(normalize(old), normalize(new), "", lines)
    return "\n".join([f"  {type_name}{{", *lines, "  }"]) + "\n"


def validate_pod_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePodUpdate."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"), _META)
    errs += _pod_metadata_and_spec(new)
    new_ann = as_dict(as_dict(new.get("metadata")).get("annotations"))
    old_ann = as_dict(as_dict(old.get("metadata")).get("annotations"))
    ap = _META.child("annotations")
    for k, v in sorted(old_ann.items()):
        if new_ann.get(k) == v and k in new_ann:
            continue
        if k.startswith(_APPARMOR_PREFIX):
            errs.append(field_forbidden(ap.key(k), "may not remove or update AppArmor annotations"))
        if k == _MIRROR:
            errs.append(field_forbidden(ap.key(k), "may not remove or update mirror pod annotation"))
    for k in sorted(new_ann):
        if k in old_ann:
            continue
        if k.startswith(_APPARMOR_PREFIX):
            errs.append(field_forbidden(ap.key(k), "may not add AppArmor annotations"))
        if k == _MIRROR:
            errs.append(field_forbidden(ap.key(k), "may not add mirror pod annotation"))
    errs += pod_specific_annotations(new_ann, as_dict(new.get("spec")), ap)
    ns, os_ = as_dict(new.get("spec")), as_dict(old.get("spec"))
    cerrs, stop = _container_updates(as_list(ns.get("containers")), as_list(os_.get("containers")), _SPEC.child("containers"))
    errs += cerrs
    if stop:
        return errs
    cerrs, stop = _container_updates(as_list(ns.get("initContainers")), as_list(os_.get("initContainers")), _SPEC.child("initContainers"))
    errs += cerrs
    if stop:
        return errs
    nads, oads = ns.get("activeDeadlineSeconds"), os_.get("activeDeadlineSeconds")
    if is_int(nads):
        if nads < 0 or nads > _MAX_INT32:
            errs.append(field_invalid(_SPEC.child("activeDeadlineSeconds"), nads, inclusive_range_error(0, _MAX_INT32)))
            return errs
        if is_int(oads) and oads < nads:
            errs.append(field_invalid(_SPEC.child("activeDeadlineSeconds"), nads, "must be less than or equal to previous value"))
            return errs
    elif is_int(oads):
        errs.append(field_invalid(_SPEC.child("activeDeadlineSeconds"), "null", "must not update from a positive integer to nil value"))
    errs += _only_added_tolerations(as_list(ns.get("tolerations")), as_list(os_.get("tolerations")), _SPEC.child("tolerations"))
    errs += _only_deleted_gates(as_list(ns.get("schedulingGates")), as_list(os_.get("schedulingGates")), _SPEC.child("schedulingGates"))
    if normalize(ns) == normalize(os_):
        return errs
    munged = dict(ns)
    for kind in ("containers", "initContainers"):
        olds = as_list(os_.get(kind))
        if kind in munged:
            munged[kind] = [dict(as_dict(c), image=as_dict(olds[i]).get("image")) if i < len(olds) else c for i, c in enumerate(as_list(munged[kind]))]
    munged.pop("activeDeadlineSeconds", None)
    if oads is not None:
        munged["activeDeadlineSeconds"] = oads
    for key in ("schedulingGates", "tolerations"):
        munged.pop(key, None)
        if key in os_:
            munged[key] = os_[key]
    otg = os_.get("terminationGracePeriodSeconds")
    if is_int(otg) and otg < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = otg
    if as_list(os_.get("schedulingGates")):
        if normalize(munged.get("nodeSelector")) != normalize(os_.get("nodeSelector")):
            old_sel = as_dict(os_.get("nodeSelector"))
            new_sel = as_dict(munged.get("nodeSelector"))
            if any(new_sel.get(k) != v or k not in new_sel for k, v in old_sel.items()):
                errs.append(field_invalid(_SPEC.child("nodeSelector"), go_string_map(munged.get("nodeSelector")), "only additions to spec.nodeSelector are allowed (no mutations or deletions)"))
            munged["nodeSelector"] = os_.get("nodeSelector")
        old_na = as_dict(os_.get("affinity")).get("nodeAffinity")
        new_na = as_dict(munged.get("affinity")).get("nodeAffinity")
        if normalize(old_na) != normalize(new_na):
            aff = dict(as_dict(munged.get("affinity")))
            if old_na is None:
                aff.pop("nodeAffinity", None)
            else:
                aff["nodeAffinity"] = old_na
            munged["affinity"] = aff
    if normalize(munged) != normalize(os_):
        errs.append(
            field_forbidden(
                _SPEC,
                f"pod updates may not change fields other than {_UPDATABLE_POD_FIELDS}\n{spec_diff(os_, munged)}",
            )
        )
    return errs


def _only_added_tolerations(new: list, old: list, path: FieldPath) -> list[FieldError]:
    for o in old:
        o = as_dict(o)
        found = False
        for n in new:
            n = as_dict(n)
            oc = dict(o)
            oc.pop("tolerationSeconds", None)
            nc = dict(n)
            nc.pop("tolerationSeconds", None)
            if normalize(oc) == normalize(nc):
                found = True
                break
        if not found:
            return [field_forbidden(path, "existing toleration can not be modified except its tolerationSeconds")]
    return validate_tolerations(new, path)


def _only_deleted_gates(new: list, old: list, path: FieldPath) -> list[FieldError]:
    if not new:
        return []
    old_names = {as_str(as_dict(g).get("name")) for g in old}
    errs: list[FieldError] = []
    added: dict[str, int] = {}
    for i, g in enumerate(new):
        added[as_str(as_dict(g).get("name"))] = i
    for name, i in added.items():
        if name not in old_names:
            errs.append(field_forbidden(path.index(i).child("name"), f"only deletion is allowed, but found new scheduling gate '{name}'"))
    return errs
