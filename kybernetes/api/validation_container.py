"""Validation of containers as upstream ``pkg/apis/core/validation`` does it: names, images, ports, environment,
resources, probes, lifecycle hooks and security contexts, for regular, init and ephemeral containers.

Used by the pod spec validation (:mod:`kybernetes.api.validation_pod`); resource name and quantity helpers are
shared with ResourceQuota, LimitRange and PersistentVolumeClaim validation.
"""

from __future__ import annotations

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
    go_struct,
    http_header_name,
    inclusive_range_error,
    is_int,
    name_is_dns_subdomain,
    nonnegative,
    port_name,
    port_num,
    qualified_name,
    quantity,
    relaxed_env_var_name,
)
from kybernetes.api.validation_volumes import (
    validate_local_descending_path,
    validate_volume_devices,
    validate_volume_mounts,
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
    "PROTOCOLS",
    "VOLUME_DOWNWARD_PATHS",
    "container_resource_name",
    "object_field_selector",
    "port_num_or_name",
    "pull_policy",
    "resource_field_selector",
    "resource_name",
    "resource_quantity_value",
    "resource_requirements",
    "validate_containers",
    "validate_ephemeral_containers",
    "validate_init_containers",
]

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
_MAX_ID = 2**31 - 1


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


def seccomp_field(sp: Any, path: FieldPath) -> list[FieldError]:
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


def apparmor_field(p: Any, path: FieldPath) -> list[FieldError]:
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


def id_range(v: Any, path: FieldPath) -> list[FieldError]:
    if is_int(v) and not 0 <= v <= _MAX_ID:
        return [field_invalid(path, v, inclusive_range_error(0, _MAX_ID))]
    return []


def windows_options(wo: Any, path: FieldPath) -> list[FieldError]:
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
    errs += id_range(sc.get("runAsUser"), path.child("runAsUser"))
    errs += id_range(sc.get("runAsGroup"), path.child("runAsGroup"))
    pm = sc.get("procMount")
    if isinstance(pm, str):
        if pm not in ("Default", "Unmasked"):
            errs.append(field_not_supported(path.child("procMount"), pm, ("Default", "Unmasked")))
        if host_users and pm == "Unmasked":
            errs.append(field_invalid(path.child("procMount"), pm, "`hostUsers` must be false to use `Unmasked`"))
    errs += seccomp_field(sc.get("seccompProfile"), path.child("seccompProfile"))
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            errs.append(field_invalid(path, go_struct("core.SecurityContext", sc), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        for cap in as_list(as_dict(sc.get("capabilities")).get("add")):
            if cap == "CAP_SYS_ADMIN":
                errs.append(field_invalid(path, go_struct("core.SecurityContext", sc), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
    errs += windows_options(sc.get("windowsOptions"), path.child("windowsOptions"))
    errs += apparmor_field(sc.get("appArmorProfile"), path.child("appArmorProfile"))
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


def validate_containers(containers: Any, volumes: dict, grace: Any, path: FieldPath, host_users: bool) -> list[FieldError]:
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


def validate_init_containers(inits: Any, regular: Any, volumes: dict, grace: Any, path: FieldPath, host_users: bool) -> list[FieldError]:
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


def validate_ephemeral_containers(ecs: Any, containers: Any, inits: Any, volumes: dict, path: FieldPath, host_users: bool) -> list[FieldError]:
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
