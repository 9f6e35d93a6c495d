"""Validation of PersistentVolumeClaims and PersistentVolumes, as upstream ``pkg/apis/core/validation`` does it.

A claim's spec is immutable after creation except ``resources.requests`` (growing only while the claim is bound)
and ``volumeAttributesClassName``; the refusal carries a diff of what changed, as upstream's does. The claim spec
check (:func:`pvc_spec`) is shared with ephemeral volume claim templates.
"""

from __future__ import annotations


from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    GoLiteral,
    as_dict,
    as_list,
    as_str,
    canonical_quantity,
    name_is_dns_label,
    name_is_dns_subdomain,
    quantity,
    sem_equal,
)
from kybernetes.api.validation_meta import (
    object_meta,
    object_meta_update,
    validate_label_selector,
)
from kybernetes.api.validation_container import (
    resource_quantity_value,
)
from kybernetes.api.validation_placement import node_selector
from kybernetes.api.validation_pod import spec_diff
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
    field_too_long,
)

_META = FieldPath("metadata")
_SPEC = FieldPath("spec")

# ---------------------------------------------------------------------------------------------------------------
# Persistent volume claims and volumes
# ---------------------------------------------------------------------------------------------------------------

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")


def _access_modes(modes: list, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    rwop = other = False
    for m in modes:
        if m not in _ACCESS_MODES:
            errs.append(field_not_supported(path, m, _ACCESS_MODES))
        if m == "ReadWriteOncePod":
            rwop = True
        elif m in _ACCESS_MODES:
            other = True
    if rwop and other:
        errs.append(field_forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _data_source(ds: dict, path: FieldPath, ref: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    if not as_str(ds.get("name")):
        errs.append(field_required(path.child("name"), ""))
    kind = as_str(ds.get("kind"))
    if not kind:
        errs.append(field_required(path.child("kind"), ""))
    group = as_str(ds.get("apiGroup"))
    if not group and kind != "PersistentVolumeClaim":
        errs.append(field_invalid(path, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
    if group:
        errs += [field_invalid(path.child("apiGroup"), group, m) for m in name_is_dns_subdomain(group)]
    if ref:
        ns = ds.get("namespace")
        if isinstance(ns, str) and ns:
            errs += [field_invalid(path.child("namespace"), ns, m) for m in name_is_dns_label(ns)]
    return errs


def pvc_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    """ValidatePersistentVolumeClaimSpec."""
    errs: list[FieldError] = []
    modes = as_list(spec.get("accessModes"))
    if not modes:
        errs.append(field_required(path.child("accessModes"), "at least 1 access mode is required"))
    if spec.get("selector") is not None:
        errs += validate_label_selector(spec.get("selector"), path.child("selector"))
    errs += _access_modes(modes, path.child("accessModes"))
    requests = as_dict(as_dict(spec.get("resources")).get("requests"))
    sp = path.child("resources").key("storage")
    if "storage" not in requests:
        errs.append(field_required(sp, ""))
    else:
        q = quantity(requests["storage"])
        if q is not None and q <= 0:
            errs.append(field_invalid(sp, canonical_quantity(requests["storage"]), "must be greater than zero"))
        else:
            errs += resource_quantity_value("storage", requests["storage"], sp)
    scn = spec.get("storageClassName")
    if isinstance(scn, str) and scn:
        errs += [field_invalid(path.child("storageClassName"), scn, m) for m in name_is_dns_subdomain(scn)]
    vm = spec.get("volumeMode")
    if isinstance(vm, str) and vm not in ("Block", "Filesystem"):
        errs.append(field_not_supported(path.child("volumeMode"), vm, ("Block", "Filesystem")))
    ds, dsr = spec.get("dataSource"), spec.get("dataSourceRef")
    if isinstance(ds, dict):
        errs += _data_source(ds, path.child("dataSource"), False)
    if isinstance(dsr, dict):
        errs += _data_source(dsr, path.child("dataSourceRef"), True)
    if isinstance(dsr, dict) and as_str(dsr.get("namespace")):
        if isinstance(ds, dict):
            errs.append(field_invalid(path, GoLiteral(str(path.child("dataSource"))), "may not be specified when dataSourceRef.namespace is specified"))
    elif isinstance(ds, dict) and isinstance(dsr, dict):
        if (ds.get("apiGroup"), as_str(ds.get("kind")), as_str(ds.get("name"))) != (dsr.get("apiGroup"), as_str(dsr.get("kind")), as_str(dsr.get("name"))):
            errs.append(field_invalid(path, GoLiteral(str(path.child("dataSource"))), "must match dataSourceRef"))
    return errs


def validate_pvc(pvc: dict) -> list[FieldError]:
    errs = object_meta(pvc.get("metadata"), True, name_is_dns_subdomain)
    return errs + pvc_spec(as_dict(pvc.get("spec")), _SPEC)


_BETA_SC = "volume.beta.kubernetes.io/storage-class"


def validate_pvc_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePersistentVolumeClaimUpdate."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    errs += validate_pvc(new)
    ns, os_ = dict(as_dict(new.get("spec"))), dict(as_dict(old.get("spec")))
    nann = as_dict(as_dict(new.get("metadata")).get("annotations"))
    oann = as_dict(as_dict(old.get("metadata")).get("annotations"))
    if not as_str(os_.get("volumeName")):
        os_["volumeName"] = ns.get("volumeName")
    osc, nsc = os_.get("storageClassName"), ns.get("storageClassName")
    if _BETA_SC in oann and osc is None and nsc is not None and nsc == oann[_BETA_SC] and (_BETA_SC not in nann or nann[_BETA_SC] == oann[_BETA_SC]):
        ns.pop("storageClassName", None)
    else:
        if as_str(nann.get(_BETA_SC)) != as_str(oann.get(_BETA_SC)):
            errs.append(field_invalid(_META.child("annotations", _BETA_SC), as_str(nann.get(_BETA_SC)), FIELD_IMMUTABLE))
        if nsc is not None and osc is None and (_BETA_SC not in oann or nsc == oann[_BETA_SC]):
            ns["storageClassName"] = osc
    bound = as_str(as_dict(new.get("status")).get("phase")) == "Bound"
    nres = as_dict(ns.get("resources"))
    if bound and nres.get("requests") is not None:
        reqs = dict(as_dict(nres.get("requests")))
        old_storage = as_dict(as_dict(os_.get("resources")).get("requests")).get("storage")
        if old_storage is None:
            reqs.pop("storage", None)
        else:
            reqs["storage"] = old_storage
        ns["resources"] = dict(nres, requests=reqs)
    if bound and ns.get("volumeAttributesClassName") is not None:
        ns["volumeAttributesClassName"] = os_.get("volumeAttributesClassName")
    if not sem_equal(ns, os_):
        errs.append(
            field_forbidden(
                _SPEC,
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound "
                "claims\n" + spec_diff(os_, ns, "core.PersistentVolumeClaimSpec"),
            )
        )
    new_size = quantity(as_dict(as_dict(as_dict(new.get("spec")).get("resources")).get("requests")).get("storage")) or 0
    old_size = quantity(as_dict(as_dict(as_dict(old.get("spec")).get("resources")).get("requests")).get("storage")) or 0
    status_size = quantity(as_dict(as_dict(old.get("status")).get("capacity")).get("storage")) or 0
    if new_size < old_size and new_size <= status_size:
        errs.append(field_forbidden(FieldPath("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
    nvm, ovm = as_dict(new.get("spec")).get("volumeMode"), as_dict(old.get("spec")).get("volumeMode")
    if nvm != ovm:
        errs.append(field_invalid(FieldPath("volumeMode"), nvm if isinstance(nvm, str) else "null", FIELD_IMMUTABLE))
    return errs


_PV_SOURCES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flocker", "nfs", "rbd", "quobyte", "cephfs",
    "iscsi", "cinder", "fc", "flexVolume", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume",
    "azureDisk", "scaleIO", "local", "storageos", "csi",
)


def _pv_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    modes = as_list(spec.get("accessModes"))
    if not modes:
        errs.append(field_required(path.child("accessModes"), ""))
    errs += _access_modes(modes, path.child("accessModes"))
    cap = as_dict(spec.get("capacity"))
    cp = path.child("capacity")
    if not cap:
        errs.append(field_required(cp, ""))
    if "storage" not in cap or len(cap) > 1:
        shown = "core.ResourceList(nil)" if spec.get("capacity") is None else (
            "core.ResourceList{" + ", ".join(f'"{k}":{canonical_quantity(v)}' for k, v in sorted(cap.items())) + "}"
        )
        errs.append(field_not_supported(cp, GoLiteral(shown), ["storage"]))
    for k, v in sorted(cap.items()):
        q = quantity(v)
        if q is not None and q < 0:
            errs.append(field_invalid(cp.key(k), int(q), "must be a valid resource quantity"))
        if q is not None and q <= 0:
            errs.append(field_invalid(cp.key(k), canonical_quantity(v), "must be greater than zero"))
    rp = spec.get("persistentVolumeReclaimPolicy")
    if isinstance(rp, str) and rp and rp not in ("Delete", "Recycle", "Retain"):
        errs.append(field_not_supported(path.child("persistentVolumeReclaimPolicy"), rp, ("Delete", "Recycle", "Retain")))
    na = spec.get("nodeAffinity")
    if isinstance(na, dict):
        if isinstance(na.get("required"), dict):
            errs += node_selector(na["required"], False, path.child("nodeAffinity", "required"))
        else:
            errs.append(field_required(path.child("nodeAffinity", "required"), "must specify required node constraints"))
    n = 0
    for key in _PV_SOURCES:
        src = spec.get(key)
        if src is None:
            continue
        if n > 0:
            errs.append(field_forbidden(path.child(key), "may not specify more than 1 volume type"))
            continue
        n += 1
        src = as_dict(src)
        sp = path.child(key)
        if key in ("hostPath", "local"):
            if not as_str(src.get("path")):
                errs.append(field_required(sp.child("path"), ""))
            elif ".." in as_str(src.get("path")).split("/"):
                errs.append(field_invalid(sp.child("path"), as_str(src.get("path")), "must not contain '..'"))
            if key == "local" and not isinstance(na, dict):
                errs.append(field_required(path.child("nodeAffinity"), "Local volume requires node affinity"))
        elif key == "nfs":
            if not as_str(src.get("server")):
                errs.append(field_required(sp.child("server"), ""))
            p = as_str(src.get("path"))
            if not p:
                errs.append(field_required(sp.child("path"), ""))
            if not p.startswith("/"):
                errs.append(field_invalid(sp.child("path"), p, "must be an absolute path"))
        elif key == "csi":
            driver = as_str(src.get("driver"))
            if not driver:
                errs.append(field_required(sp.child("driver"), ""))
            if len(driver) > 63:
                errs.append(field_too_long(sp.child("driver"), "", 63))
            errs += [field_invalid(sp.child("driver"), driver, m) for m in name_is_dns_subdomain(driver.lower())]
            if not as_str(src.get("volumeHandle")):
                errs.append(field_required(sp.child("volumeHandle"), ""))
    if n == 0:
        errs.append(field_required(path, "must specify a volume type"))
    scn = as_str(spec.get("storageClassName"))
    if scn:
        errs += [field_invalid(path.child("storageClassName"), scn, m) for m in name_is_dns_subdomain(scn)]
    vm = spec.get("volumeMode")
    if isinstance(vm, str) and vm not in ("Block", "Filesystem"):
        errs.append(field_not_supported(path.child("volumeMode"), vm, ("Block", "Filesystem")))
    return errs


def validate_pv(pv: dict) -> list[FieldError]:
    return object_meta(pv.get("metadata"), False, name_is_dns_subdomain) + _pv_spec(as_dict(pv.get("spec")), _SPEC)


def validate_pv_update(new: dict, old: dict) -> list[FieldError]:
    errs = validate_pv(new)
    ns, os_ = as_dict(new.get("spec")), as_dict(old.get("spec"))
    nsrc = {k: ns.get(k) for k in _PV_SOURCES if ns.get(k) is not None}
    osrc = {k: os_.get(k) for k in _PV_SOURCES if os_.get(k) is not None}
    if not sem_equal(nsrc, osrc):
        errs.append(field_forbidden(FieldPath("spec", "persistentvolumesource"), "spec.persistentvolumesource is immutable after creation\n" + spec_diff(osrc, nsrc, "core.PersistentVolumeSource")))
    if ns.get("volumeMode") != os_.get("volumeMode"):
        errs.append(field_invalid(FieldPath("volumeMode"), ns.get("volumeMode") or "null", FIELD_IMMUTABLE))
    return errs
