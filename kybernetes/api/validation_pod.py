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

Containers are checked by :mod:`kybernetes.api.validation_container`, placement (affinity, tolerations, topology
spread) by :mod:`kybernetes.api.validation_placement` and volumes by :mod:`kybernetes.api.validation_volumes`.

Feature gates follow Kubernetes 1.32 defaults: relaxed environment variable names are on, zero-second sleep
actions, in-place resize, pod-level resources and dynamic resource allocation are off.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from kybernetes.api.validation_common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    dns1123_label,
    go_string_map,
    go_string_slice,
    go_struct,
    inclusive_range_error,
    is_int,
    name_is_dns_subdomain,
    normalize,
    qualified_name,
    valid_ip,
)
from kybernetes.api.validation_container import (
    apparmor_field,
    id_range,
    resource_requirements,
    seccomp_field,
    validate_containers,
    validate_ephemeral_containers,
    validate_init_containers,
    windows_options,
)
from kybernetes.api.validation_meta import (
    object_meta,
    object_meta_update,
    validate_annotations,
    validate_labels,
)
from kybernetes.api.validation_placement import validate_affinity, validate_tolerations, validate_topology_spread
from kybernetes.api.validation_volumes import (
    validate_local_descending_path,
    validate_volumes,
)
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
    go_quote,
)




__all__ = ["pod_spec", "pod_specific_annotations", "pod_template_spec", "spec_diff", "validate_pod", "validate_pod_update"]

_SPEC = FieldPath("spec")
_META = FieldPath("metadata")

_UPDATABLE_POD_FIELDS = ",".join((
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
))
_MAX_INT32 = 2**31 - 1
_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_RE_TEXT = "^(" + _SYSCTL_SEGMENT + "[\\./])*" + _SYSCTL_SEGMENT + "$"
_SYSCTL_RE = re.compile(_SYSCTL_RE_TEXT)
_IPC_SYSCTLS = frozenset({
    "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax",
    "kernel.msgmnb", "kernel.msgmni",
})


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
    errs += id_range(sc.get("fsGroup"), path.child("fsGroup"))
    errs += id_range(sc.get("runAsUser"), path.child("runAsUser"))
    errs += id_range(sc.get("runAsGroup"), path.child("runAsGroup"))
    for g, gid in enumerate(as_list(sc.get("supplementalGroups"))):
        errs += id_range(gid, path.child("supplementalGroups").index(g))
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
    errs += seccomp_field(sc.get("seccompProfile"), path.child("seccompProfile"))
    errs += windows_options(sc.get("windowsOptions"), path.child("windowsOptions"))
    errs += apparmor_field(sc.get("appArmorProfile"), path.child("appArmorProfile"))
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


_SPEC_MEMO: dict[bytes, list[FieldError]] = {}
_SPEC_MEMO_MAX = 1024


def pod_spec(spec: Any, pod_meta: dict | None, path: FieldPath, *, resource_is_pod: bool = False) -> list[FieldError]:
    """ValidatePodSpec. Memoised by content: the pods of one template (a ReplicaSet's, a Job's) share their spec,
    and the answer depends only on the spec, the path and (with ephemeral volumes) the pod's name."""
    try:
        vols = spec.get("volumes") if isinstance(spec, dict) else None
        name = (as_dict(pod_meta).get("name") if any(isinstance(v, dict) and "ephemeral" in v
                                                       for v in as_list(vols)) else None)
        key = orjson.dumps([spec, name, str(path), resource_is_pod, pod_meta is None])
    except TypeError:
        return _pod_spec(spec, pod_meta, path, resource_is_pod=resource_is_pod)
    hit = _SPEC_MEMO.get(key)
    if hit is not None:
        return list(hit)
    errs = _pod_spec(spec, pod_meta, path, resource_is_pod=resource_is_pod)
    if len(_SPEC_MEMO) >= _SPEC_MEMO_MAX:
        _SPEC_MEMO.clear()
    _SPEC_MEMO[key] = list(errs)
    return errs


def _pod_spec(spec: Any, pod_meta: dict | None, path: FieldPath, *, resource_is_pod: bool = False) -> list[FieldError]:
    """ValidatePodSpec."""
    spec = as_dict(spec)
    errs: list[FieldError] = []
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        errs.append(field_required(path.child("terminationGracePeriodSeconds"), ""))
    host_users = spec.get("hostUsers") is not False
    vols, verrs = validate_volumes(spec.get("volumes"), pod_meta, path.child("volumes"), resource_is_pod=resource_is_pod)
    errs += verrs
    errs += validate_containers(spec.get("containers"), vols, grace, path.child("containers"), host_users)
    errs += validate_init_containers(spec.get("initContainers"), spec.get("containers"), vols, grace, path.child("initContainers"), host_users)
    errs += validate_ephemeral_containers(spec.get("ephemeralContainers"), spec.get("containers"), spec.get("initContainers"), vols, path.child("ephemeralContainers"), host_users)
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
    errs += validate_affinity(spec.get("affinity"), path.child("affinity"))
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
    errs += validate_topology_spread(spec.get("topologySpreadConstraints"), path.child("topologySpreadConstraints"))
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


_DELETION_COST_ERR = "must be a 32bit integer"


def _deletion_cost_valid(annotations: dict) -> bool:
    """GetDeletionCostFromPodAnnotations succeeds: absent, or a base-10 int32 without '+' or leading zeros."""
    if _DELETION_COST not in annotations:
        return True
    v = annotations[_DELETION_COST]
    if not isinstance(v, str) or not v:
        return False
    if not (v[0] == "-" or v == "0" or "1" <= v[0] <= "9"):
        return False
    if re.fullmatch(r"-?\d+", v) is None:
        return False
    return -(2**31) <= int(v) < 2**31


def pod_specific_annotation_updates(new: dict, old: dict, path: FieldPath) -> list[FieldError]:
    """ValidatePodSpecificAnnotationUpdates: mirror-pod and AppArmor annotations are fixed once the pod exists,
    and the new annotations must pass ValidatePodSpecificAnnotations. Keys are visited in sorted order (upstream
    iterates a Go map). A pod whose stored deletion-cost annotation is already invalid may keep an invalid one
    (upstream's AllowInvalidPodDeletionCost option)."""
    new_ann = as_dict(as_dict(new.get("metadata")).get("annotations"))
    old_ann = as_dict(as_dict(old.get("metadata")).get("annotations"))
    errs: list[FieldError] = []
    for k, v in sorted(old_ann.items()):
        if k in new_ann and new_ann[k] == v:
            continue
        if k.startswith(_APPARMOR_PREFIX):
            errs.append(field_forbidden(path.key(k), "may not remove or update AppArmor annotations"))
        if k == _MIRROR:
            errs.append(field_forbidden(path.key(k), "may not remove or update mirror pod annotation"))
    for k in sorted(new_ann):
        if k in old_ann:
            continue
        if k.startswith(_APPARMOR_PREFIX):
            errs.append(field_forbidden(path.key(k), "may not add AppArmor annotations"))
        if k == _MIRROR:
            errs.append(field_forbidden(path.key(k), "may not add mirror pod annotation"))
    specific = pod_specific_annotations(new_ann, as_dict(new.get("spec")), path)
    if not _deletion_cost_valid(old_ann):
        cost_path = str(path.key(_DELETION_COST))
        specific = [e for e in specific if not (e.field == cost_path and e.detail == _DELETION_COST_ERR)]
    return errs + specific


def validate_pod_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePodUpdate."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"), _META)
    errs += _pod_metadata_and_spec(new)
    errs += pod_specific_annotation_updates(new, old, _META.child("annotations"))
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
