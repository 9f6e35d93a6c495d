"""Validation of the ``apps`` group: Deployments, ReplicaSets, StatefulSets, DaemonSets and ControllerRevisions.

A workload needs a non-empty label selector that matches its pod template's labels, a valid pod template whose
restart policy is ``Always`` and which sets no ``activeDeadlineSeconds``, non-negative counts and a sane update
strategy (``maxSurge``/``maxUnavailable`` as non-negative integers or percentages, not both zero). In ``apps/v1``
selectors are immutable (upstream checks that in the registry strategy, which this module folds into the update
functions). StatefulSets only let ``replicas``, ``ordinals``, ``template``, ``updateStrategy``,
``persistentVolumeClaimRetentionPolicy`` and ``minReadySeconds`` change, and upstream validates only the labels and
annotations of their pod template, not its spec.
"""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    go_int_or_string,
    go_label_selector,
    go_string_map,
    go_struct,
    is_int,
    immutable,
    name_is_dns_label,
    name_is_dns_subdomain,
    nonnegative,
    normalize,
    percent,
)
from kybernetes.api.validation_meta import (
    label_selector_ok,
    object_meta,
    object_meta_update,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from kybernetes.api.validation_pod import pod_specific_annotations, pod_template_spec
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
)
from kybernetes.machinery.labels import selector_from_dict

_SPEC = FieldPath("spec")


# ---------------------------------------------------------------------------------------------------------------
# Int-or-percent helpers (shared with PodDisruptionBudgets)
# ---------------------------------------------------------------------------------------------------------------


def _go_sts_rolling_update(ru: Any) -> GoLiteral:
    """``%#v`` of the internal ``apps.RollingUpdateStatefulSetStrategy`` (a set pointer prints as an address in Go;
    a fixed stand-in is used)."""
    ru = as_dict(ru)
    partition = ru.get("partition") if is_int(ru.get("partition")) else 0
    unavailable = "nil" if ru.get("maxUnavailable") is None else "0xc000010000"
    return GoLiteral(f"apps.RollingUpdateStatefulSetStrategy{{Partition:{partition}, MaxUnavailable:(*intstr.IntOrString)({unavailable})}}")


def positive_int_or_percent(v: Any, path: FieldPath) -> list[FieldError]:
    """ValidatePositiveIntOrPercent: a percentage string or a non-negative integer."""
    if isinstance(v, str):
        return [field_invalid(path, go_int_or_string(v), m) for m in percent(v)]
    return nonnegative(as_int(v), path)


def _percent_value(v: Any) -> int | None:
    if isinstance(v, str) and not percent(v):
        return int(v[:-1])
    return None


def int_or_percent_value(v: Any) -> int:
    """getIntOrPercentValue: the percentage number, or the integer (strings that are not percentages count as
    their integer value when numeric, else 0)."""
    p = _percent_value(v)
    if p is not None:
        return p
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return 0
    return as_int(v)


def not_more_than_100_percent(v: Any, path: FieldPath) -> list[FieldError]:
    """IsNotMoreThan100Percent."""
    p = _percent_value(v)
    if p is None or p <= 100:
        return []
    return [field_invalid(path, go_int_or_string(v), "must not be greater than 100%")]


# ---------------------------------------------------------------------------------------------------------------
# Templates and selectors
# ---------------------------------------------------------------------------------------------------------------


def _selector_matches(sel: Any, labels: Any) -> bool:
    try:
        s = selector_from_dict(sel)
    except (ValueError, AttributeError, TypeError):
        return True
    return s.matches(as_dict(labels))


def _template_labels(tmpl: Any) -> Any:
    return as_dict(as_dict(tmpl).get("metadata")).get("labels")


def _required_selector(sel: Any, path: FieldPath, what: str) -> list[FieldError]:
    if sel is None:
        return [field_required(path, "")]
    errs = validate_label_selector(sel, path)
    sel = as_dict(sel)
    if len(as_dict(sel.get("matchLabels"))) + len(as_list(sel.get("matchExpressions"))) == 0:
        errs.append(field_invalid(path, go_label_selector(sel), f"empty selector is invalid for {what}"))
    return errs


def pod_template_for_replica_set(tmpl: Any, sel: Any, path: FieldPath, kind: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet (also used by Deployments)."""
    errs: list[FieldError] = []
    if not isinstance(tmpl, dict):
        return [field_required(path, "")]
    labels = _template_labels(tmpl)
    s = selector_from_dict(sel) if label_selector_ok(sel) else None
    if s is not None and not s.empty and not s.matches(as_dict(labels)):
        errs.append(field_invalid(path.child("metadata", "labels"), go_string_map(labels), "`selector` does not match template `labels`"))
    errs += pod_template_spec(tmpl, path)
    tspec = as_dict(tmpl.get("spec"))
    rp = as_str(tspec.get("restartPolicy"))
    if rp != "Always":
        errs.append(field_not_supported(path.child("spec", "restartPolicy"), rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(field_forbidden(path.child("spec", "activeDeadlineSeconds"), f"activeDeadlineSeconds in {kind} is not Supported"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Deployments
# ---------------------------------------------------------------------------------------------------------------


def _go_deployment_strategy(s: dict) -> Any:
    ru = s.get("rollingUpdate")
    rus = "(*apps.RollingUpdateDeployment)(nil)" if ru is None else "&apps.RollingUpdateDeployment{...}"
    return go_struct("apps.DeploymentStrategy", {"type": as_str(s.get("type"))}).text[:-1] + f", RollingUpdate:{rus}}}"


def _deployment_strategy(s: Any, path: FieldPath) -> list[FieldError]:
    s = as_dict(s)
    t = as_str(s.get("type"))
    ru = s.get("rollingUpdate")
    if t == "Recreate":
        if ru is not None:
            return [field_forbidden(path.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if t == "RollingUpdate":
        if not isinstance(ru, dict):
            return [field_required(path.child("rollingUpdate"), "this should be defaulted and never be nil")]
        rp = path.child("rollingUpdate")
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        errs = positive_int_or_percent(mu, rp.child("maxUnavailable"))
        errs += positive_int_or_percent(ms, rp.child("maxSurge"))
        if int_or_percent_value(mu) == 0 and int_or_percent_value(ms) == 0:
            errs.append(field_invalid(rp.child("maxUnavailable"), go_int_or_string(mu), "may not be 0 when `maxSurge` is 0"))
        return errs + not_more_than_100_percent(mu, rp.child("maxUnavailable"))
    return [field_not_supported(path, GoLiteral(_go_deployment_strategy(s)), ["Recreate", "RollingUpdate"])]


def _deployment_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs = nonnegative(as_int(spec.get("replicas")), path.child("replicas"))
    sel = spec.get("selector")
    errs += _required_selector(sel, path.child("selector"), "deployment")
    if not label_selector_ok(sel):
        errs.append(field_invalid(path.child("selector"), go_label_selector(sel), "invalid label selector"))
    else:
        errs += pod_template_for_replica_set(spec.get("template"), sel, path.child("template"), "ReplicaSet")
    errs += _deployment_strategy(spec.get("strategy"), path.child("strategy"))
    errs += nonnegative(as_int(spec.get("minReadySeconds")), path.child("minReadySeconds"))
    rhl = spec.get("revisionHistoryLimit")
    if rhl is not None:
        errs += nonnegative(as_int(rhl), path.child("revisionHistoryLimit"))
    rb = spec.get("rollbackTo")
    if isinstance(rb, dict):
        errs += nonnegative(as_int(rb.get("revision")), path.child("rollback", "version"))
    pds = spec.get("progressDeadlineSeconds")
    if pds is not None:
        pds = as_int(pds)
        errs += nonnegative(pds, path.child("progressDeadlineSeconds"))
        if pds <= as_int(spec.get("minReadySeconds")):
            errs.append(field_invalid(path.child("progressDeadlineSeconds"), pds, "must be greater than minReadySeconds"))
    return errs


def validate_deployment(d: dict) -> list[FieldError]:
    return object_meta(d.get("metadata"), True, name_is_dns_subdomain) + _deployment_spec(as_dict(d.get("spec")), _SPEC)


def _selector_immutable(new: dict, old: dict) -> list[FieldError]:
    ns, os_ = as_dict(new.get("spec")).get("selector"), as_dict(old.get("spec")).get("selector")
    return immutable(ns, os_, _SPEC.child("selector"), go_label_selector(ns))


def validate_deployment_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    errs += _deployment_spec(as_dict(new.get("spec")), _SPEC)
    return errs + _selector_immutable(new, old)


# ---------------------------------------------------------------------------------------------------------------
# ReplicaSets
# ---------------------------------------------------------------------------------------------------------------


def _replica_set_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs = nonnegative(as_int(spec.get("replicas")), path.child("replicas"))
    errs += nonnegative(as_int(spec.get("minReadySeconds")), path.child("minReadySeconds"))
    sel = spec.get("selector")
    errs += _required_selector(sel, path.child("selector"), "deployment")
    if not label_selector_ok(sel):
        errs.append(field_invalid(path.child("selector"), go_label_selector(sel), "invalid label selector"))
    else:
        errs += pod_template_for_replica_set(spec.get("template"), sel, path.child("template"), "ReplicaSet")
    return errs


def validate_replica_set(rs: dict) -> list[FieldError]:
    return object_meta(rs.get("metadata"), True, name_is_dns_subdomain) + _replica_set_spec(as_dict(rs.get("spec")), _SPEC)


def validate_replica_set_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    errs += _replica_set_spec(as_dict(new.get("spec")), _SPEC)
    return errs + _selector_immutable(new, old)


# ---------------------------------------------------------------------------------------------------------------
# DaemonSets
# ---------------------------------------------------------------------------------------------------------------


def _daemon_set_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    sel = spec.get("selector")
    errs = validate_label_selector(sel, path.child("selector"))
    tmpl = as_dict(spec.get("template"))
    if label_selector_ok(sel) and (sel is None or not _selector_matches(sel, _template_labels(tmpl))):
        errs.append(field_invalid(path.child("template", "metadata", "labels"), go_string_map(_template_labels(tmpl)), "`selector` does not match template `labels`"))
    if sel is not None and len(as_dict(as_dict(sel).get("matchLabels"))) + len(as_list(as_dict(sel).get("matchExpressions"))) == 0:
        errs.append(field_invalid(path.child("selector"), go_label_selector(sel), "empty selector is invalid for daemonset"))
    errs += pod_template_spec(tmpl, path.child("template"))
    tspec = as_dict(tmpl.get("spec"))
    rp = as_str(tspec.get("restartPolicy"))
    if rp != "Always":
        errs.append(field_not_supported(path.child("template", "spec", "restartPolicy"), rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(field_forbidden(path.child("template", "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in DaemonSet is not Supported"))
    errs += nonnegative(as_int(spec.get("minReadySeconds")), path.child("minReadySeconds"))
    errs += nonnegative(as_int(spec.get("templateGeneration")), path.child("templateGeneration"))
    us = as_dict(spec.get("updateStrategy"))
    up = path.child("updateStrategy")
    t = as_str(us.get("type"))
    if t == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if not isinstance(ru, dict):
            errs.append(field_required(up.child("rollingUpdate"), ""))
        else:
            rp2 = up.child("rollingUpdate")
            mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
            errs += positive_int_or_percent(mu, rp2.child("maxUnavailable"))
            errs += positive_int_or_percent(ms, rp2.child("maxSurge"))
            errs += not_more_than_100_percent(mu, rp2.child("maxUnavailable"))
            errs += not_more_than_100_percent(ms, rp2.child("maxSurge"))
            has_u, has_s = int_or_percent_value(mu) != 0, int_or_percent_value(ms) != 0
            if has_u and has_s:
                errs.append(field_invalid(rp2.child("maxSurge"), go_int_or_string(ms), "may not be set when maxUnavailable is non-zero"))
            elif not has_u and not has_s:
                errs.append(field_required(rp2.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
    elif t != "OnDelete":
        ru = us.get("rollingUpdate")
        shown = GoLiteral(f'apps.DaemonSetUpdateStrategy{{Type:"{t}", RollingUpdate:{"(*apps.RollingUpdateDaemonSet)(nil)" if ru is None else "&apps.RollingUpdateDaemonSet{...}"}}}')
        errs.append(field_not_supported(up, shown, ["RollingUpdate", "OnDelete"]))
    rhl = spec.get("revisionHistoryLimit")
    if rhl is not None:
        errs += nonnegative(as_int(rhl), path.child("revisionHistoryLimit"))
    return errs


def validate_daemon_set(ds: dict) -> list[FieldError]:
    return object_meta(ds.get("metadata"), True, name_is_dns_subdomain) + _daemon_set_spec(as_dict(ds.get("spec")), _SPEC)


def validate_daemon_set_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    # templateGeneration is internal-only (apps/v1 has no such field): its update rules cannot fire here.
    errs += _daemon_set_spec(as_dict(new.get("spec")), _SPEC)
    return errs + _selector_immutable(new, old)


# ---------------------------------------------------------------------------------------------------------------
# StatefulSets
# ---------------------------------------------------------------------------------------------------------------


def _statefulset_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    pmp = as_str(spec.get("podManagementPolicy"))
    if not pmp:
        errs.append(field_required(path.child("podManagementPolicy"), ""))
    elif pmp not in ("OrderedReady", "Parallel"):
        errs.append(field_invalid(path.child("podManagementPolicy"), pmp, "must be 'OrderedReady' or 'Parallel'"))
    us = as_dict(spec.get("updateStrategy"))
    t = as_str(us.get("type"))
    up = path.child("updateStrategy")
    if not t:
        errs.append(field_required(up, ""))
    elif t == "OnDelete":
        if us.get("rollingUpdate") is not None:
            errs.append(field_invalid(up.child("rollingUpdate"), _go_sts_rolling_update(us.get("rollingUpdate")), "only allowed for updateStrategy 'RollingUpdate'"))
    elif t == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if isinstance(ru, dict):
            rp = up.child("rollingUpdate")
            errs += nonnegative(as_int(ru.get("partition")), rp.child("partition"))
            mu = ru.get("maxUnavailable")
            if mu is not None:
                mp = rp.child("maxUnavailable")
                errs += positive_int_or_percent(mu, mp)
                if int_or_percent_value(mu) == 0:
                    errs.append(field_invalid(mp, go_int_or_string(mu), "cannot be 0"))
                errs += not_more_than_100_percent(mu, mp)
    else:
        errs.append(field_invalid(up, go_struct("apps.StatefulSetUpdateStrategy", us), "must be 'RollingUpdate' or 'OnDelete'"))
    pvcrp = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(pvcrp, dict):
        pp = path.child("persistentVolumeClaimRetentionPolicy")
        for key in ("whenDeleted", "whenScaled"):
            v = as_str(pvcrp.get(key))
            if v not in ("Retain", "Delete"):
                errs.append(field_not_supported(pp.child(key), v, ["Retain", "Delete"]))
    errs += nonnegative(as_int(spec.get("replicas")), path.child("replicas"))
    errs += nonnegative(as_int(spec.get("minReadySeconds")), path.child("minReadySeconds"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errs += nonnegative(as_int(ordinals.get("start")), path.child("ordinals.start"))
    sel = spec.get("selector")
    errs += _required_selector(sel, path.child("selector"), "statefulset")
    tmpl = as_dict(spec.get("template"))
    tp = path.child("template")
    if not label_selector_ok(sel):
        errs.append(field_invalid(path.child("selector"), go_label_selector(sel), ""))
    else:
        s = selector_from_dict(sel)
        labels = _template_labels(tmpl)
        if not s.empty and not s.matches(as_dict(labels)):
            errs.append(field_invalid(tp.child("metadata", "labels"), go_string_map(labels), "`selector` does not match template `labels`"))
        meta = as_dict(tmpl.get("metadata"))
        errs += validate_labels(meta.get("labels"), tp.child("labels"))
        errs += validate_annotations(meta.get("annotations"), tp.child("annotations"))
        errs += pod_specific_annotations(meta.get("annotations"), as_dict(tmpl.get("spec")), tp.child("annotations"))
    tspec = as_dict(tmpl.get("spec"))
    rp = as_str(tspec.get("restartPolicy"))
    if rp != "Always":
        errs.append(field_not_supported(tp.child("spec", "restartPolicy"), rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(field_forbidden(tp.child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in StatefulSet is not Supported"))
    return errs


def validate_statefulset(ss: dict) -> list[FieldError]:
    return object_meta(ss.get("metadata"), True, name_is_dns_label) + _statefulset_spec(as_dict(ss.get("spec")), _SPEC)


_STS_MUTABLE = ("replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy")


def validate_statefulset_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    ns, os_ = as_dict(new.get("spec")), as_dict(old.get("spec"))
    errs += _statefulset_spec(ns, _SPEC)
    clone = dict(ns)
    for key in _STS_MUTABLE:
        clone.pop(key, None)
        if key in os_:
            clone[key] = os_[key]
    if normalize(clone) != normalize(os_):
        errs.append(
            field_forbidden(
                _SPEC,
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            )
        )
    return errs


# ---------------------------------------------------------------------------------------------------------------
# ControllerRevisions
# ---------------------------------------------------------------------------------------------------------------


def validate_controller_revision(cr: dict) -> list[FieldError]:
    errs = object_meta(cr.get("metadata"), True, name_is_dns_subdomain)
    if cr.get("data") is None:
        errs.append(field_required(FieldPath("data"), "data is mandatory"))
    return errs + nonnegative(as_int(cr.get("revision")), FieldPath("revision"))


def validate_controller_revision_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    errs += validate_controller_revision(new)
    if normalize(new.get("data")) != normalize(old.get("data")):
        errs.append(field_invalid(FieldPath("data"), GoLiteral("runtime.RawExtension{...}"), FIELD_IMMUTABLE))
    return errs
