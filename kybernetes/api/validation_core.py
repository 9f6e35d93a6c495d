"""Validation of the core group's other kinds: Namespace, ServiceAccount, ConfigMap, Secret, ReplicationController,
PodTemplate, Node, Event, ResourceQuota and LimitRange (Pods, Services and claims have their own modules).

Each ``validate_<kind>`` returns upstream's create errors and each ``validate_<kind>_update`` the full update
errors (metadata update rules first, then the new object's spec, then what may not change). The rules follow
``pkg/apis/core/validation`` of Kubernetes 1.32; a few notes:

* Secrets are validated on the internal shape, where ``stringData`` has been merged into ``data``; this module does
  the merge itself (values decoded from base64) so either shape works.
* Events arriving through ``events.k8s.io/v1`` are mapped back to the core field names first (``note`` ->
  ``message``, ``regarding`` -> ``involvedObject``...), as upstream reports errors on the internal type.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    canonical_quantity,
    config_map_key,
    go_string_map,
    go_string_slice,
    go_struct,
    label_value,
    name_is_dns_label,
    name_is_dns_subdomain,
    nonnegative,
    parse_cidr_sloppy,
    qualified_name,
    quantity,
    sem_equal,
    valid_cidr,
)
from kybernetes.api.validation_gojson import go_json_error
from kybernetes.api.validation_meta import (
    kube_finalizer_name,
    object_meta,
    object_meta_update,
)
from kybernetes.api.validation_container import (
    container_resource_name,
    resource_name,
    resource_quantity_value,
)
from kybernetes.api.validation_placement import taint_effect
from kybernetes.api.validation_pod import pod_template_spec
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
    field_too_long,
)

_META = FieldPath("metadata")
_SPEC = FieldPath("spec")
MAX_SECRET_SIZE = 1024 * 1024


# ---------------------------------------------------------------------------------------------------------------
# Namespace, ServiceAccount, ConfigMap, Secret
# ---------------------------------------------------------------------------------------------------------------


def validate_namespace(ns: dict) -> list[FieldError]:
    """ValidateNamespace."""
    errs = object_meta(ns.get("metadata"), False, name_is_dns_label)
    fp = FieldPath("spec", "finalizers")
    for f in as_list(as_dict(ns.get("spec")).get("finalizers")):
        f = as_str(f)
        errs += [field_invalid(fp, f, m) for m in qualified_name(f)]
        errs += kube_finalizer_name(f, fp)
    return errs


def validate_namespace_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateNamespaceUpdate."""
    return object_meta_update(new.get("metadata"), old.get("metadata"))


def validate_service_account(sa: dict) -> list[FieldError]:
    return object_meta(sa.get("metadata"), True, name_is_dns_subdomain)


def validate_service_account_update(new: dict, old: dict) -> list[FieldError]:
    return object_meta_update(new.get("metadata"), old.get("metadata")) + validate_service_account(new)


def _b64_len(v: Any) -> int:
    if not isinstance(v, str):
        return 0
    try:
        return len(base64.b64decode(v, validate=False))
    except (binascii.Error, ValueError):
        return len(v) * 3 // 4


def validate_config_map(cm: dict) -> list[FieldError]:
    """ValidateConfigMap."""
    errs = object_meta(cm.get("metadata"), True, name_is_dns_subdomain)
    data, binary = as_dict(cm.get("data")), as_dict(cm.get("binaryData"))
    total = 0
    dp, bp = FieldPath("data"), FieldPath("binaryData")
    for k, v in sorted(data.items()):
        errs += [field_invalid(dp.key(k), k, m) for m in config_map_key(k)]
        if k in binary:
            errs.append(field_invalid(dp.key(k), k, "duplicate of key present in binaryData"))
        total += len(v.encode()) if isinstance(v, str) else 0
    for k, v in sorted(binary.items()):
        errs += [field_invalid(bp.key(k), k, m) for m in config_map_key(k)]
        total += _b64_len(v)
    if total > MAX_SECRET_SIZE:
        errs.append(field_too_long(FieldPath(""), "", MAX_SECRET_SIZE))
    return errs


def validate_config_map_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            errs.append(field_forbidden(FieldPath("immutable"), "field is immutable when `immutable` is set"))
        if as_dict(new.get("data")) != as_dict(old.get("data")):
            errs.append(field_forbidden(FieldPath("data"), "field is immutable when `immutable` is set"))
        if as_dict(new.get("binaryData")) != as_dict(old.get("binaryData")):
            errs.append(field_forbidden(FieldPath("binaryData"), "field is immutable when `immutable` is set"))
    return errs + validate_config_map(new)


def _secret_data(secret: dict) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for k, v in as_dict(secret.get("data")).items():
        try:
            out[k] = base64.b64decode(v) if isinstance(v, str) else b""
        except (binascii.Error, ValueError):
            out[k] = b""
    for k, v in as_dict(secret.get("stringData")).items():
        out[k] = v.encode() if isinstance(v, str) else b""
    return out


def validate_secret(secret: dict) -> list[FieldError]:
    """ValidateSecret."""
    meta = as_dict(secret.get("metadata"))
    errs = object_meta(meta, True, name_is_dns_subdomain)
    data = _secret_data(secret)
    dp = FieldPath("data")
    total = 0
    for k in sorted(data):
        errs += [field_invalid(dp.key(k), k, m) for m in config_map_key(k)]
        total += len(data[k])
    if total > MAX_SECRET_SIZE:
        errs.append(field_too_long(dp, "", MAX_SECRET_SIZE))
    t = as_str(secret.get("type"))
    if t == "kubernetes.io/service-account-token":
        if not as_str(as_dict(meta.get("annotations")).get("kubernetes.io/service-account.name")):
            errs.append(field_required(FieldPath("metadata", "annotations").key("kubernetes.io/service-account.name"), ""))
    elif t in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if t == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            errs.append(field_required(dp.key(key), ""))
        else:
            msg = go_json_error(data[key])
            if msg:
                errs.append(field_invalid(dp.key(key), "<secret contents redacted>", msg))
    elif t == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(field_required(dp.key("username"), ""))
            errs.append(field_required(dp.key("password"), ""))
    elif t == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errs.append(field_required(dp.key("ssh-privatekey"), ""))
    elif t == "kubernetes.io/tls":
        if "tls.crt" not in data:
            errs.append(field_required(dp.key("tls.crt"), ""))
        if "tls.key" not in data:
            errs.append(field_required(dp.key("tls.key"), ""))
    return errs


def validate_secret_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    nt, ot = as_str(new.get("type")), as_str(old.get("type"))
    if nt != ot:
        errs.append(field_invalid(FieldPath("type"), nt, FIELD_IMMUTABLE))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            errs.append(field_forbidden(FieldPath("immutable"), "field is immutable when `immutable` is set"))
        if _secret_data(new) != _secret_data(old):
            errs.append(field_forbidden(FieldPath("data"), "field is immutable when `immutable` is set"))
    return errs + validate_secret(new)


# ---------------------------------------------------------------------------------------------------------------
# ReplicationController, PodTemplate
# ---------------------------------------------------------------------------------------------------------------


def _rc_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs = nonnegative(as_int(spec.get("minReadySeconds")), path.child("minReadySeconds"))
    selector = as_dict(spec.get("selector"))
    if not selector:
        errs.append(field_required(path.child("selector"), ""))
    errs += nonnegative(as_int(spec.get("replicas")), path.child("replicas"))
    tmpl = spec.get("template")
    tp = path.child("template")
    if not isinstance(tmpl, dict):
        errs.append(field_required(tp, ""))
        return errs
    labels = as_dict(as_dict(tmpl.get("metadata")).get("labels"))
    if selector and any(labels.get(k) != v for k, v in selector.items()):
        errs.append(field_invalid(tp.child("metadata", "labels"), _labels_value(as_dict(tmpl.get("metadata")).get("labels")), "`selector` does not match template `labels`"))
    errs += pod_template_spec(tmpl, tp)
    tspec = as_dict(tmpl.get("spec"))
    if as_str(tspec.get("restartPolicy")) != "Always":
        errs.append(field_not_supported(tp.child("spec", "restartPolicy"), as_str(tspec.get("restartPolicy")), ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(field_forbidden(tp.child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicationController is not Supported"))
    return errs


def _labels_value(labels: Any) -> Any:
    return go_string_map(labels if isinstance(labels, dict) else None)


def validate_replication_controller(rc: dict) -> list[FieldError]:
    errs = object_meta(rc.get("metadata"), True, name_is_dns_subdomain)
    return errs + _rc_spec(as_dict(rc.get("spec")), _SPEC)


def validate_replication_controller_update(new: dict, old: dict) -> list[FieldError]:
    return object_meta_update(new.get("metadata"), old.get("metadata")) + _rc_spec(as_dict(new.get("spec")), _SPEC)


def validate_pod_template(pt: dict) -> list[FieldError]:
    errs = object_meta(pt.get("metadata"), True, name_is_dns_subdomain)
    return errs + pod_template_spec(pt.get("template"), FieldPath("template"))


def validate_pod_template_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    return errs + pod_template_spec(new.get("template"), FieldPath("template"))


# ---------------------------------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------------------------------


def _node_taints(taints: list, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    unique: dict[str, set[str]] = {}
    for i, t in enumerate(taints):
        t = as_dict(t)
        ip = path.index(i)
        key, value, effect = as_str(t.get("key")), as_str(t.get("value")), as_str(t.get("effect"))
        errs += [field_invalid(ip.child("key"), key, m) for m in qualified_name(key)]
        msgs = label_value(value)
        if msgs:
            errs.append(field_invalid(ip.child("value"), value, ";".join(msgs)))
        errs += taint_effect(effect, False, ip.child("effect"))
        if key in unique.get(effect, set()):
            e = field_duplicate(ip, go_struct("core.Taint", t))
            errs.append(type(e)(e.type, e.field, e.bad_value, "taints must be unique by key and effect pair"))
            continue
        unique.setdefault(effect, set()).add(key)
    return errs


def _node_resources(node: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    status = as_dict(node.get("status"))
    for key in ("capacity", "allocatable"):
        for k, v in sorted(as_dict(status.get(key)).items()):
            errs += resource_quantity_value(k, v, FieldPath("status", key, k))
    return errs


def _pod_cidrs(spec: dict) -> list:
    """The node's pod CIDRs as the internal type holds them: v1 ``podCIDR`` stands in when ``podCIDRs`` is unset."""
    if spec.get("podCIDRs") is None and isinstance(spec.get("podCIDR"), str) and spec["podCIDR"]:
        return [spec["podCIDR"]]
    return as_list(spec.get("podCIDRs"))


def validate_node(node: dict) -> list[FieldError]:
    """ValidateNode."""
    errs = object_meta(node.get("metadata"), False, name_is_dns_subdomain)
    spec = as_dict(node.get("spec"))
    if as_list(spec.get("taints")):
        errs += _node_taints(as_list(spec.get("taints")), _META.child("taints"))
    errs += _node_resources(node)
    cidrs = _pod_cidrs(spec)
    cp = FieldPath("spec", "podCIDRs")
    for i, c in enumerate(cidrs):
        errs += valid_cidr(cp.index(i), c)
    if len(cidrs) > 1:
        nets = [parse_cidr_sloppy(c) for c in cidrs]
        if None not in nets and (len({n.version for n in nets if n}) != 2 or len(cidrs) > 2):
            errs.append(field_invalid(cp, go_string_slice(cidrs), "may specify no more than one CIDR for each IP family"))
        seen: set = set()
        for i, c in enumerate(cidrs):
            if c in seen:
                errs.append(field_duplicate(cp.index(i), c))
            seen.add(c)
    return errs


def validate_node_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateNodeUpdate."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    errs += _node_resources(new)
    ns, os_ = as_dict(new.get("spec")), as_dict(old.get("spec"))
    seen: list = []
    for i, a in enumerate(as_list(as_dict(new.get("status")).get("addresses"))):
        if a in seen:
            errs.append(field_duplicate(FieldPath("status", "addresses").index(i), go_struct("core.NodeAddress", a)))
        seen.append(a)
    ocidrs, ncidrs = _pod_cidrs(os_), _pod_cidrs(ns)
    if ocidrs:
        msg = 'node updates may not change podCIDR except from "" to valid'
        if len(ocidrs) != len(ncidrs):
            errs.append(field_forbidden(FieldPath("spec", "podCIDRs"), msg))
        else:
            for a, b in zip(ocidrs, ncidrs):
                if a != b:
                    errs.append(field_forbidden(FieldPath("spec", "podCIDRs"), msg))
    opid = as_str(os_.get("providerID"))
    if opid and opid != as_str(ns.get("providerID")):
        errs.append(field_forbidden(FieldPath("spec", "providerID"), 'node updates may not change providerID except from "" to valid'))
    if as_list(ns.get("taints")):
        errs += _node_taints(as_list(ns.get("taints")), _META.child("taints"))
    if as_str(ns.get("externalID")) != as_str(os_.get("externalID")):
        errs.append(field_forbidden(FieldPath("spec", "externalID"), "may not be updated"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Events, quotas and limit ranges
# ---------------------------------------------------------------------------------------------------------------

_EVENTS_V1_TO_CORE = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}


def events_v1_to_core(ev: dict) -> dict:
    """An events.k8s.io/v1 Event in the core field names (``regarding`` -> ``involvedObject``...)."""
    out = {}
    for k, v in ev.items():
        if k == "series" and isinstance(v, dict):
            v = {"count": v.get("count"), "lastObservedTime": v.get("lastObservedTime")}
        out[_EVENTS_V1_TO_CORE.get(k, k)] = v
    return out


def _legacy_event(ev: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    meta = as_dict(ev.get("metadata"))
    ns = as_str(meta.get("namespace"))
    io = as_dict(ev.get("involvedObject"))
    io_ns = as_str(io.get("namespace"))
    iop = FieldPath("involvedObject", "namespace")
    if not ev.get("eventTime"):
        if not io_ns:
            if ns not in ("", "default"):
                errs.append(field_invalid(iop, io_ns, "does not match event.namespace"))
        elif ns != io_ns:
            errs.append(field_invalid(iop, io_ns, "does not match event.namespace"))
    else:
        if not io_ns and ns not in ("default", "kube-system"):
            errs.append(field_invalid(iop, io_ns, "does not match event.namespace"))
        rc = as_str(ev.get("reportingComponent") or ev.get("reportingController"))
        if not rc:
            errs.append(field_required(FieldPath("reportingController"), ""))
        errs += [field_invalid(FieldPath("reportingController"), rc, m) for m in qualified_name(rc)]
        ri = as_str(ev.get("reportingInstance"))
        if not ri:
            errs.append(field_required(FieldPath("reportingInstance"), ""))
        if len(ri) > 128:
            errs.append(field_invalid(FieldPath("reportingInstance"), "", "can have at most 128 characters"))
        action = as_str(ev.get("action"))
        if not action:
            errs.append(field_required(FieldPath("action"), ""))
        if len(action) > 128:
            errs.append(field_invalid(FieldPath("action"), "", "can have at most 128 characters"))
        reason = as_str(ev.get("reason"))
        if not reason:
            errs.append(field_required(FieldPath("reason"), ""))
        if len(reason) > 128:
            errs.append(field_invalid(FieldPath("reason"), "", "can have at most 128 characters"))
        if len(as_str(ev.get("message"))) > 1024:
            errs.append(field_invalid(FieldPath("message"), "", "can have at most 1024 characters"))
    errs += [field_invalid(FieldPath("namespace"), ns, m) for m in name_is_dns_subdomain(ns)]
    return errs


def _event_series(ev: dict) -> list[FieldError]:
    s = ev.get("series")
    if not isinstance(s, dict):
        return []
    errs = []
    if as_int(s.get("count")) < 2:
        errs.append(field_invalid(FieldPath("series.count"), "", "should be at least 2"))
    if not s.get("lastObservedTime"):
        errs.append(field_required(FieldPath("series.lastObservedTime"), ""))
    return errs


def validate_event(ev: dict, group: str) -> list[FieldError]:
    """ValidateEventCreate (core/v1 keeps only the legacy checks; events.k8s.io/v1 is strict)."""
    if group == "events.k8s.io":
        ev = events_v1_to_core(ev)
    errs = _legacy_event(ev)
    if group != "events.k8s.io":
        return errs
    errs += object_meta(ev.get("metadata"), True, name_is_dns_subdomain)
    errs += _event_series(ev)
    if not ev.get("eventTime"):
        errs.append(field_required(FieldPath("eventTime"), ""))
    t = as_str(ev.get("type"))
    if t not in ("Normal", "Warning"):
        errs.append(field_invalid(FieldPath("type"), "", f"has invalid value: {t}"))
    for key in ("firstTimestamp", "lastTimestamp"):
        if ev.get(key):
            errs.append(field_invalid(FieldPath(key), "", "needs to be unset"))
    if as_int(ev.get("count")) != 0:
        errs.append(field_invalid(FieldPath("count"), "", "needs to be unset"))
    src = as_dict(ev.get("source"))
    if as_str(src.get("component")) or as_str(src.get("host")):
        errs.append(field_invalid(FieldPath("source"), "", "needs to be unset"))
    return errs


def validate_event_update(new: dict, old: dict, group: str) -> list[FieldError]:
    """ValidateEventUpdate."""
    if group == "events.k8s.io":
        new, old = events_v1_to_core(new), events_v1_to_core(old)
    errs = _legacy_event(new)
    if group != "events.k8s.io":
        return errs
    errs += object_meta_update(new.get("metadata"), old.get("metadata"))
    if new.get("series") != old.get("series"):
        errs += _event_series(new)
    for key in ("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "reason",
                "type", "eventTime", "action", "related", "reportingController", "reportingInstance"):
        if not sem_equal(new.get(key), old.get(key)):
            v = new.get(key)
            shown = go_struct("core." + key[:1].upper() + key[1:], v) if isinstance(v, dict) else (v if v is not None else "")
            errs.append(field_invalid(FieldPath(key), shown, FIELD_IMMUTABLE))
    return errs


def _quota_resource_name(name: str, path: FieldPath) -> list[FieldError]:
    errs = resource_name(name, path)
    quota_std = {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "persistentvolumeclaims",
        "configmaps", "services.nodeports", "services.loadbalancers", "cpu", "memory", "ephemeral-storage",
        "requests.cpu", "requests.memory", "requests.ephemeral-storage", "requests.storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage",
    }
    if "/" not in name and name not in quota_std and not name.startswith(("hugepages-", "requests.hugepages-")):
        errs.append(field_invalid(path, name, "must be a standard resource for quota"))
    return errs


def validate_resource_quota(rq: dict) -> list[FieldError]:
    errs = object_meta(rq.get("metadata"), True, name_is_dns_subdomain)
    spec, status = as_dict(rq.get("spec")), as_dict(rq.get("status"))
    for base, m in ((FieldPath("spec", "hard"), spec.get("hard")), (FieldPath("status", "hard"), status.get("hard")), (FieldPath("status", "used"), status.get("used"))):
        for k, v in sorted(as_dict(m).items()):
            errs += _quota_resource_name(k, base.key(k))
            errs += resource_quantity_value(k, v, base.key(k))
    return errs


def validate_resource_quota_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    for k, v in sorted(as_dict(as_dict(new.get("spec")).get("hard")).items()):
        p = FieldPath("spec", "hard").key(k)
        errs += _quota_resource_name(k, p) + resource_quantity_value(k, v, p)
    ns = set(map(str, as_list(as_dict(new.get("spec")).get("scopes"))))
    os_ = set(map(str, as_list(as_dict(old.get("spec")).get("scopes"))))
    if ns != os_:
        errs.append(field_invalid(FieldPath("spec", "scopes"), go_string_slice(as_list(as_dict(new.get("spec")).get("scopes"))), FIELD_IMMUTABLE))
    return errs


_LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")


def validate_limit_range(lr: dict) -> list[FieldError]:
    """ValidateLimitRange (type and resource names, min <= default request <= default <= max)."""
    errs = object_meta(lr.get("metadata"), True, name_is_dns_subdomain)
    seen: set[str] = set()
    for i, limit in enumerate(as_list(as_dict(lr.get("spec")).get("limits"))):
        limit = as_dict(limit)
        ip = FieldPath("spec", "limits").index(i)
        t = as_str(limit.get("type"))
        msgs = qualified_name(t)
        errs += [field_invalid(ip.child("type"), t, m) for m in msgs]
        if not msgs and "/" not in t and t not in _LIMIT_TYPES:
            errs.append(field_invalid(ip.child("type"), t, "must be a standard limit type or fully qualified"))
        if t in seen:
            errs.append(field_duplicate(ip.child("type"), t))
        seen.add(t)
        name_fn = container_resource_name if t in ("Pod", "Container") else resource_name
        maps = {}
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            m = as_dict(limit.get(key))
            if t == "Pod" and key in ("default", "defaultRequest"):
                if m:
                    errs.append(field_forbidden(ip.child(key), "may not be specified when `type` is 'Pod'"))
                continue
            for k in sorted(m):
                errs += name_fn(k, ip.child(key).key(k))
            maps[key] = m
        if t == "PersistentVolumeClaim" and "storage" not in maps.get("min", {}) and "storage" not in maps.get("max", {}):
            errs.append(field_required(ip.child("limits"), "either minimum or maximum storage value is required, but neither was provided"))
        keys = set().union(*[set(m) for m in maps.values()]) if maps else set()
        for k in sorted(keys):
            mn, mx = quantity(maps.get("min", {}).get(k)), quantity(maps.get("max", {}).get(k))
            df, dr = quantity(maps.get("default", {}).get(k)), quantity(maps.get("defaultRequest", {}).get(k))
            c = canonical_quantity
            if mn is not None and mx is not None and mn > mx:
                errs.append(field_invalid(ip.child("min").key(k), GoLiteral(c(maps["min"][k])), f"min value {c(maps['min'][k])} is greater than max value {c(maps['max'][k])}"))
            if dr is not None and mn is not None and mn > dr:
                errs.append(field_invalid(ip.child("defaultRequest").key(k), GoLiteral(c(maps["defaultRequest"][k])), f"min value {c(maps['min'][k])} is greater than default request value {c(maps['defaultRequest'][k])}"))
            if dr is not None and mx is not None and dr > mx:
                errs.append(field_invalid(ip.child("defaultRequest").key(k), GoLiteral(c(maps["defaultRequest"][k])), f"default request value {c(maps['defaultRequest'][k])} is greater than max value {c(maps['max'][k])}"))
            if dr is not None and df is not None and dr > df:
                errs.append(field_invalid(ip.child("defaultRequest").key(k), GoLiteral(c(maps["defaultRequest"][k])), f"default request value {c(maps['defaultRequest'][k])} is greater than default limit value {c(maps['default'][k])}"))
            if df is not None and mn is not None and mn > df:
                errs.append(field_invalid(ip.child("default").key(k), GoLiteral(c(maps["min"][k])), f"min value {c(maps['min'][k])} is greater than default value {c(maps['default'][k])}"))
            if df is not None and mx is not None and df > mx:
                errs.append(field_invalid(ip.child("default").key(k), GoLiteral(c(maps["max"][k])), f"default value {c(maps['default'][k])} is greater than max value {c(maps['max'][k])}"))
            ratio = quantity(maps.get("maxLimitRequestRatio", {}).get(k))
            if ratio is not None and ratio < 1:
                errs.append(field_invalid(ip.child("maxLimitRequestRatio").key(k), GoLiteral(c(maps["maxLimitRequestRatio"][k])), f"ratio {c(maps['maxLimitRequestRatio'][k])} is less than 1"))
    return errs


def validate_limit_range_update(new: dict, old: dict) -> list[FieldError]:
    """LimitRange updates are validated like creates (upstream's strategy does the same)."""
    return validate_limit_range(new)
