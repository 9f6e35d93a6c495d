"""Validation of small cluster-level objects: PriorityClasses (``scheduling.k8s.io``), Leases
(``coordination.k8s.io``) and StorageClasses (``storage.k8s.io``), following upstream 1.32.

PriorityClass names starting with ``system-`` are reserved for the two built-in classes and user classes may not
exceed a value of one billion; value and preemption policy are immutable. A Lease's duration must be positive and
its transition count non-negative. A StorageClass needs a provisioner; its parameters, provisioner, reclaim policy
and binding mode are fixed after creation.
"""

from __future__ import annotations

from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    as_dict,
    as_list,
    as_str,
    is_int,
    name_is_dns_subdomain,
    qualified_name,
    sem_equal,
)
from kybernetes.api.validation_meta import object_meta, object_meta_update, validate_label_name
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

HIGHEST_USER_PRIORITY = 1_000_000_000
_SYSTEM_CLASSES = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}


def _known_system_class(name: str, value: int, global_default: bool) -> str | None:
    if name in _SYSTEM_CLASSES:
        if _SYSTEM_CLASSES[name] != value:
            return f"value of {name} PriorityClass must be {_SYSTEM_CLASSES[name]}"
        if global_default:
            return f"globalDefault of {name} PriorityClass must be false"
        return None
    return f"{name} is not a known system priority class"


def _preemption_policy(pp: object, path: FieldPath) -> list[FieldError]:
    if not isinstance(pp, str) or pp in ("PreemptLowerPriority", "Never"):
        return []
    if not pp:
        return [field_required(path, "")]
    return [field_not_supported(path, pp, ("PreemptLowerPriority", "Never"))]


def validate_priority_class(pc: dict) -> list[FieldError]:
    errs = object_meta(pc.get("metadata"), False, name_is_dns_subdomain)
    name = as_str(as_dict(pc.get("metadata")).get("name"))
    value = pc.get("value") if is_int(pc.get("value")) else 0
    if name.startswith("system-"):
        err = _known_system_class(name, value, pc.get("globalDefault") is True)
        if err is not None:
            errs.append(field_forbidden(FieldPath("metadata", "name"), "priority class names with 'system-' prefix are reserved for system use only. error: " + err))
    elif value > HIGHEST_USER_PRIORITY:
        errs.append(field_forbidden(FieldPath("value"), f"maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"))
    return errs + _preemption_policy(pc.get("preemptionPolicy"), FieldPath("preemptionPolicy"))


def validate_priority_class_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    if new.get("value") != old.get("value"):
        errs.append(field_forbidden(FieldPath("value"), "may not be changed in an update."))
    np_, op = new.get("preemptionPolicy"), old.get("preemptionPolicy")
    if np_ != op:
        errs.append(field_invalid(FieldPath("preemptionPolicy"), np_ if isinstance(np_, str) else "null", FIELD_IMMUTABLE))
    return errs


def _lease_spec(spec: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    path = FieldPath("spec")
    lds = spec.get("leaseDurationSeconds")
    if is_int(lds) and lds <= 0:
        errs.append(field_invalid(path.child("leaseDurationSeconds"), lds, "must be greater than 0"))
    lt = spec.get("leaseTransitions")
    if is_int(lt) and lt < 0:
        errs.append(field_invalid(path.child("leaseTransitions"), lt, "must be greater than or equal to 0"))
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        sp = path.child("strategy").child("strategy")
        if "/" not in strategy:
            if strategy != "OldestEmulationVersion":
                errs.append(field_not_supported(sp, strategy, ["OldestEmulationVersion"]))
        else:
            errs += [field_invalid(sp, strategy, m) for m in qualified_name(strategy)]
    ph = spec.get("preferredHolder")
    if isinstance(ph, str) and ph and not strategy:
        errs.append(field_forbidden(path.child("preferredHolder"), "may only be specified if `strategy` is defined"))
    return errs


def validate_lease(lease: dict) -> list[FieldError]:
    errs = object_meta(lease.get("metadata"), True, name_is_dns_subdomain, kube_finalizers=False)
    return errs + _lease_spec(as_dict(lease.get("spec")))


def validate_lease_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    return errs + _lease_spec(as_dict(new.get("spec")))


_MAX_PARAM_SIZE = 256 * 1024
_MAX_PARAMS = 512


def _allowed_topologies(terms: list, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: list[dict] = []
    for i, term in enumerate(terms):
        ip = path.index(i)
        exprs: dict[str, set] = {}
        for j, e in enumerate(as_list(as_dict(term).get("matchLabelExpressions"))):
            e = as_dict(e)
            ep = ip.child("matchLabelExpressions").index(j)
            values = as_list(e.get("values"))
            vals: set = set()
            if not values:
                errs.append(field_required(ep.child("values"), ""))
            for k, v in enumerate(values):
                if v in vals:
                    errs.append(field_duplicate(ep.child("values").index(k), v))
                vals.add(v)
            key = as_str(e.get("key"))
            errs += validate_label_name(key, ep.child("key"))
            if key in exprs:
                errs.append(field_duplicate(ep.child("key"), key))
            exprs[key] = vals
        for other in seen:
            if other == exprs:
                errs.append(field_duplicate(ip.child("matchLabelExpressions"), ""))
        seen.append(exprs)
    return errs


def validate_storage_class(sc: dict) -> list[FieldError]:
    errs = object_meta(sc.get("metadata"), False, name_is_dns_subdomain)
    prov = as_str(sc.get("provisioner"))
    pp = FieldPath("provisioner")
    if not prov:
        errs.append(field_required(pp, prov))
    else:
        errs += [field_invalid(pp, prov.lower(), m) for m in qualified_name(prov.lower())]
    params = as_dict(sc.get("parameters"))
    parp = FieldPath("parameters")
    if len(params) > _MAX_PARAMS:
        errs.append(field_too_long(parp, "Provisioner Parameters exceeded max allowed", _MAX_PARAMS))
    else:
        total = 0
        for k, v in params.items():
            if not k:
                errs.append(field_invalid(parp, k, "field can not be empty."))
            total += len(k.encode()) + len(as_str(v).encode())
        if total > _MAX_PARAM_SIZE:
            errs.append(field_too_long(parp, "", _MAX_PARAM_SIZE))
    rp = sc.get("reclaimPolicy")
    if isinstance(rp, str) and rp and rp not in ("Delete", "Retain"):
        errs.append(field_not_supported(FieldPath("reclaimPolicy"), rp, ("Delete", "Retain")))
    vbm = sc.get("volumeBindingMode")
    if vbm is None:
        errs.append(field_required(FieldPath("volumeBindingMode"), ""))
    elif vbm not in ("Immediate", "WaitForFirstConsumer"):
        errs.append(field_not_supported(FieldPath("volumeBindingMode"), vbm, ("Immediate", "WaitForFirstConsumer")))
    return errs + _allowed_topologies(as_list(sc.get("allowedTopologies")), FieldPath("allowedTopologies"))


def validate_storage_class_update(new: dict, old: dict) -> list[FieldError]:
    errs = validate_storage_class(new) + object_meta_update(new.get("metadata"), old.get("metadata"))
    if not sem_equal(new.get("parameters"), old.get("parameters")):
        errs.append(field_forbidden(FieldPath("parameters"), "updates to parameters are forbidden."))
    if as_str(new.get("provisioner")) != as_str(old.get("provisioner")):
        errs.append(field_forbidden(FieldPath("provisioner"), "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        errs.append(field_forbidden(FieldPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
    if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
        v = new.get("volumeBindingMode")
        errs.append(field_invalid(FieldPath("volumeBindingMode"), v if isinstance(v, str) else "null", FIELD_IMMUTABLE))
    return errs
