"""Validation of pod volumes, volume sources, mounts and devices (upstream ``ValidateVolumes`` and friends).

A pod volume names exactly one source (``emptyDir``, ``configMap``, ``secret``, ``persistentVolumeClaim``,
``projected``, ``hostPath``, ...); each source has a few required fields (a ConfigMap name, a host path, a claim
name) and file modes within 0-0777. Volume names are DNS-1123 labels, unique within the pod. Containers then mount
volumes by name (``volumeMounts``, which must name an existing volume and use unique mount paths) or attach block
devices (``volumeDevices``, only from claims). Upstream reports a second source as ``may not specify more than 1
volume type`` on that source's field and a missing one as ``must specify a volume type`` on the volume itself.
"""

from __future__ import annotations

import re
from typing import Any

from kybernetes.api.validation_common import (
    as_dict,
    as_list,
    as_str,
    dns1123_label,
    dns1123_subdomain,
    go_string_slice,
    inclusive_range_error,
    is_int,
    name_is_dns_subdomain,
    quantity,
)
from kybernetes.api.validation_meta import template_object_meta
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

__all__ = ["validate_volumes", "validate_volume_mounts", "validate_volume_devices", "validate_local_descending_path"]

FILE_MODE_ERR = "must be a number between 0 and 0777 (octal), both inclusive"
_MORE_THAN_ONE = "may not specify more than 1 volume type"

# (JSON key of the source, path child used for its own errors)
_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
    "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc",
    "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk",
    "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
)
# upstream's path for the "more than 1" error differs from the JSON key for two sources
_FORBIDDEN_CHILD = {"cephfs": "cephFS", "downwardAPI": "downwarAPI"}
# upstream's path for a source's own errors differs from the JSON key for one source
_VALIDATE_CHILD = {"gcePersistentDisk": "persistentDisk"}

_HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")


def _mode(v: Any, path: FieldPath) -> list[FieldError]:
    if is_int(v) and (v > 0o777 or v < 0):
        return [field_invalid(path, v, FILE_MODE_ERR)]
    return []


def _path_no_backsteps(target: str, path: FieldPath) -> list[FieldError]:
    for item in target.split("/"):
        if item == "..":
            return [field_invalid(path, target, "must not contain '..'")]
    return []


def validate_local_descending_path(target: str, path: FieldPath) -> list[FieldError]:
    """validateLocalDescendingPath: relative and without '..' elements."""
    errs = []
    if target.startswith("/"):
        errs.append(field_invalid(path, target, "must be a relative path"))
    return errs + _path_no_backsteps(target, path)


def local_non_reserved_path(target: str, path: FieldPath) -> list[FieldError]:
    """ValidateLocalNonReservedPath: a local descending path that does not start with '..'."""
    errs = validate_local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        errs.append(field_invalid(path, target, "must not start with '..'"))
    return errs


def _key_to_path(kp: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(kp.get("key")):
        errs.append(field_required(path.child("key"), ""))
    p = as_str(kp.get("path"))
    if not p:
        errs.append(field_required(path.child("path"), ""))
    errs += local_non_reserved_path(p, path.child("path"))
    return errs + _mode(kp.get("mode"), path.child("mode"))


def _host_path(src: dict, path: FieldPath) -> list[FieldError]:
    p = as_str(src.get("path"))
    if not p:
        return [field_required(path.child("path"), "")]
    errs = _path_no_backsteps(p, path.child("path"))
    t = src.get("type")
    if isinstance(t, str) and t not in _HOST_PATH_TYPES:
        errs.append(field_not_supported(path.child("type"), t, _HOST_PATH_TYPES))
    return errs


def _git_repo(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(src.get("repository")):
        errs.append(field_required(path.child("repository"), ""))
    return errs + validate_local_descending_path(as_str(src.get("directory")), path.child("directory"))


def _partition(src: dict, key: str, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(src.get(key)):
        errs.append(field_required(path.child(key), ""))
    part = src.get("partition")
    if is_int(part) and (part < 0 or part > 255):
        errs.append(field_invalid(path.child("partition"), part, inclusive_range_error(1, 255)))
    return errs


def _secret(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(src.get("secretName")):
        errs.append(field_required(path.child("secretName"), ""))
    errs += _mode(src.get("defaultMode"), path.child("defaultMode"))
    for i, kp in enumerate(as_list(src.get("items"))):
        errs += _key_to_path(as_dict(kp), path.child("items").index(i))
    return errs


def _config_map(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(src.get("name")):
        errs.append(field_required(path.child("name"), ""))
    errs += _mode(src.get("defaultMode"), path.child("defaultMode"))
    for i, kp in enumerate(as_list(src.get("items"))):
        errs += _key_to_path(as_dict(kp), path.child("items").index(i))
    return errs


def _nfs(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(src.get("server")):
        errs.append(field_required(path.child("server"), ""))
    p = as_str(src.get("path"))
    if not p:
        errs.append(field_required(path.child("path"), ""))
    if not p.startswith("/"):
        errs.append(field_invalid(path.child("path"), p, "must be an absolute path"))
    return errs


_IQN = re.compile(r"iqn\.\d{4}-\d{2}\.([A-Za-z0-9\-.]+)(:[^,;*&$|\s]+)$")
_EUI = re.compile(r"eui.[A-Za-z0-9]{16}")
_NAA = re.compile(r"naa.[A-Za-z0-9]{32}")


def _iqn_ok(v: str) -> bool:
    if v.startswith("iqn"):
        return bool(_IQN.search(v))
    if v.startswith("eui"):
        return bool(_EUI.fullmatch(v))
    if v.startswith("naa"):
        return bool(_NAA.fullmatch(v))
    return False


def _iscsi(src: dict, path: FieldPath, vol_name: str) -> list[FieldError]:
    errs = []
    if not as_str(src.get("targetPortal")):
        errs.append(field_required(path.child("targetPortal"), ""))
    iqn = as_str(src.get("iqn"))
    if not iqn:
        errs.append(field_required(path.child("iqn"), ""))
    elif not iqn.startswith(("iqn", "eui", "naa")):
        errs.append(field_invalid(path.child("iqn"), iqn, "must be valid format starting with iqn, eui, or naa"))
    elif not _iqn_ok(iqn):
        errs.append(field_invalid(path.child("iqn"), iqn, "must be valid format"))
    lun = src.get("lun")
    if is_int(lun) and (lun < 0 or lun > 255):
        errs.append(field_invalid(path.child("lun"), lun, inclusive_range_error(0, 255)))
    if (src.get("chapAuthDiscovery") or src.get("chapAuthSession")) and src.get("secretRef") is None:
        errs.append(field_required(path.child("secretRef"), ""))
    init = src.get("initiatorName")
    if isinstance(init, str):
        if not init.startswith(("iqn", "eui", "naa")):
            errs.append(field_invalid(path.child("initiatorname"), init, "must be valid format starting with iqn, eui, or naa"))
        elif not _iqn_ok(init):
            errs.append(field_invalid(path.child("initiatorname"), init, "must be valid format"))
    return errs


def _required(src: dict, path: FieldPath, *keys: str) -> list[FieldError]:
    return [field_required(path.child(k), "") for k in keys if not src.get(k)]


def _fc(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    wwns, wwids = as_list(src.get("targetWWNs")), as_list(src.get("wwids"))
    if not wwns and not wwids:
        errs.append(field_required(path.child("targetWWNs"), "must specify either targetWWNs or wwids, but not both"))
    if wwns and wwids:
        errs.append(field_invalid(path.child("targetWWNs"), go_string_slice(wwns), "targetWWNs and wwids can not be specified simultaneously"))
    if wwns:
        lun = src.get("lun")
        if lun is None:
            errs.append(field_required(path.child("lun"), "lun is required if targetWWNs is specified"))
        elif is_int(lun) and (lun < 0 or lun > 255):
            errs.append(field_invalid(path.child("lun"), lun, inclusive_range_error(0, 255)))
    return errs


def _flex(src: dict, path: FieldPath) -> list[FieldError]:
    errs = _required(src, path, "driver")
    for k in sorted(as_dict(src.get("options"))):
        ns = k.split("/", 1)[0] if "/" in k else k
        norm = "." + ns.lower()
        if norm.endswith(".kubernetes.io") or norm.endswith(".k8s.io"):
            errs.append(field_invalid(path.child("options").key(k), k, "kubernetes.io and k8s.io namespaces are reserved"))
    return errs


def _azure_disk(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    if not as_str(src.get("diskName")):
        errs.append(field_required(path.child("diskName"), ""))
    uri = as_str(src.get("diskURI"))
    if not uri:
        errs.append(field_required(path.child("diskURI"), ""))
    cm = src.get("cachingMode")
    if isinstance(cm, str) and cm not in ("None", "ReadOnly", "ReadWrite"):
        errs.append(field_not_supported(path.child("cachingMode"), cm, ("None", "ReadOnly", "ReadWrite")))
    kind = src.get("kind")
    if isinstance(kind, str):
        if kind not in ("Dedicated", "Managed", "Shared"):
            errs.append(field_not_supported(path.child("kind"), kind, ("Dedicated", "Managed", "Shared")))
        if kind == "Managed" and not uri.startswith("/subscriptions/"):
            errs.append(field_not_supported(path.child("diskURI"), uri, ["/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"]))
        if kind != "Managed" and not uri.startswith("https://"):
            errs.append(field_not_supported(path.child("diskURI"), uri, ["https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"]))
    return errs


def _storageos(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    name = as_str(src.get("volumeName"))
    if not name:
        errs.append(field_required(path.child("volumeName"), ""))
    else:
        errs += [field_invalid(path.child("volumeName"), name, m) for m in dns1123_label(name)]
    ns = as_str(src.get("volumeNamespace"))
    if ns:
        errs += [field_invalid(path.child("volumeNamespace"), ns, m) for m in dns1123_label(ns)]
    ref = src.get("secretRef")
    if isinstance(ref, dict) and not as_str(ref.get("name")):
        errs.append(field_required(path.child("secretRef", "name"), ""))
    return errs


def _csi(src: dict, path: FieldPath) -> list[FieldError]:
    errs = []
    driver = as_str(src.get("driver"))
    dp = path.child("driver")
    if not driver:
        errs.append(field_required(dp, ""))
    if len(driver) > 63:
        errs.append(field_too_long(dp, "", 63))
    errs += [field_invalid(dp, driver, m) for m in dns1123_subdomain(driver.lower())]
    ref = src.get("nodePublishSecretRef")
    if isinstance(ref, dict):
        name = as_str(ref.get("name"))
        if not name:
            errs.append(field_required(path.child("nodePublishSecretRef", "name"), ""))
        else:
            errs += [field_invalid(path.child("name"), name, m) for m in name_is_dns_subdomain(name)]
    return errs


def _downward_api_file(f: dict, path: FieldPath) -> list[FieldError]:
    from kybernetes.api.validation_container import VOLUME_DOWNWARD_PATHS, object_field_selector, resource_field_selector

    errs = []
    p = as_str(f.get("path"))
    if not p:
        errs.append(field_required(path.child("path"), ""))
    errs += local_non_reserved_path(p, path.child("path"))
    if isinstance(f.get("fieldRef"), dict):
        errs += object_field_selector(f["fieldRef"], VOLUME_DOWNWARD_PATHS, path.child("fieldRef"))
        if f.get("resourceFieldRef") is not None:
            errs.append(field_invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
    elif isinstance(f.get("resourceFieldRef"), dict):
        errs += resource_field_selector(f["resourceFieldRef"], path.child("resourceFieldRef"), volume=True)
    else:
        errs.append(field_required(path, "one of fieldRef and resourceFieldRef is required"))
    return errs + _mode(f.get("mode"), path.child("mode"))


def _downward_api(src: dict, path: FieldPath) -> list[FieldError]:
    errs = _mode(src.get("defaultMode"), path.child("defaultMode"))
    for f in as_list(src.get("items")):
        errs += _downward_api_file(as_dict(f), path)
    return errs


def _projected(src: dict, path: FieldPath, resource_is_pod: bool) -> list[FieldError]:
    errs = _mode(src.get("defaultMode"), path.child("defaultMode"))
    seen: set[str] = set()
    for i, s in enumerate(as_list(src.get("sources"))):
        s = as_dict(s)
        n = 0
        sp = path.child("sources").index(i)
        for key in ("secret", "configMap"):
            if isinstance(s.get(key), dict):
                n += 1
                sub = s[key]
                pp = sp.child(key)
                if not as_str(sub.get("name")):
                    errs.append(field_required(pp.child("name"), ""))
                for j, kp in enumerate(as_list(sub.get("items"))):
                    kp = as_dict(kp)
                    errs += _key_to_path(kp, pp.child("items").index(j))
                    kpp = as_str(kp.get("path"))
                    if kpp:
                        if kpp in seen:
                            errs.append(field_invalid(path, as_str(sub.get("name")), "conflicting duplicate paths"))
                        seen.add(kpp)
        if isinstance(s.get("downwardAPI"), dict):
            n += 1
            for f in as_list(s["downwardAPI"].get("items")):
                f = as_dict(f)
                errs += _downward_api_file(f, sp.child("downwardAPI"))
                fp = as_str(f.get("path"))
                if fp:
                    if fp in seen:
                        errs.append(field_invalid(path, fp, "conflicting duplicate paths"))
                    seen.add(fp)
        if isinstance(s.get("serviceAccountToken"), dict):
            n += 1
            sat = s["serviceAccountToken"]
            exp = sat.get("expirationSeconds")
            if is_int(exp):
                if exp < 600:
                    errs.append(field_invalid(sp.child("serviceAccountToken", "expirationSeconds"), exp, "may not specify a duration less than 10 minutes"))
                if exp > 1 << 32:
                    errs.append(field_invalid(sp.child("serviceAccountToken", "expirationSeconds"), exp, "may not specify a duration larger than 2^32 seconds"))
            tp = as_str(sat.get("path"))
            if not tp:
                errs.append(field_required(path.child("path"), ""))
            else:
                errs += local_non_reserved_path(tp, path.child("path"))
        if isinstance(s.get("clusterTrustBundle"), dict):
            n += 1
            ctb = s["clusterTrustBundle"]
            cp = sp.child("clusterTrustBundle")
            if ctb.get("name") is None and ctb.get("signerName") is None:
                errs.append(field_required(cp, "either name or signerName must be specified"))
            cpath = as_str(ctb.get("path"))
            if not cpath:
                errs.append(field_required(cp.child("path"), ""))
            errs += local_non_reserved_path(cpath, cp.child("path"))
            if cpath in seen:
                errs.append(field_invalid(path, cpath, "conflicting duplicate paths"))
            seen.add(cpath)
        if n > 1:
            errs.append(field_forbidden(sp, "may not specify more than 1 volume type per source"))
    return errs


def _ephemeral(src: dict, path: FieldPath) -> list[FieldError]:
    tmpl = src.get("volumeClaimTemplate")
    if not isinstance(tmpl, dict):
        return [field_required(path.child("volumeClaimTemplate"), "")]
    from kybernetes.api.validation_claims import pvc_spec

    tp = path.child("volumeClaimTemplate")
    return template_object_meta(tmpl.get("metadata"), tp.child("metadata")) + pvc_spec(as_dict(tmpl.get("spec")), tp.child("spec"))


def _image(src: dict, path: FieldPath, resource_is_pod: bool) -> list[FieldError]:
    from kybernetes.api.validation_container import pull_policy

    errs = []
    if resource_is_pod and not as_str(src.get("reference")):
        errs.append(field_required(path.child("reference"), ""))
    return errs + pull_policy(as_str(src.get("pullPolicy")), path.child("pullPolicy"))


def _source(key: str, src: dict, path: FieldPath, vol_name: str, pod_name: str, resource_is_pod: bool) -> list[FieldError]:
    if key == "emptyDir":
        q = quantity(src.get("sizeLimit"))
        if q is not None and q < 0:
            return [field_forbidden(path.child("sizeLimit"), "SizeLimit field must be a valid resource quantity")]
        return []
    if key == "hostPath":
        return _host_path(src, path)
    if key == "gitRepo":
        return _git_repo(src, path)
    if key == "gcePersistentDisk":
        return _partition(src, "pdName", path)
    if key == "awsElasticBlockStore":
        return _partition(src, "volumeID", path)
    if key == "secret":
        return _secret(src, path)
    if key == "nfs":
        return _nfs(src, path)
    if key == "iscsi":
        return _iscsi(src, path, vol_name)
    if key == "glusterfs":
        return _required(src, path, "endpoints", "path")
    if key == "flocker":
        errs = []
        name, uuid = as_str(src.get("datasetName")), as_str(src.get("datasetUUID"))
        if not name and not uuid:
            errs.append(field_required(path, "one of datasetName and datasetUUID is required"))
        if name and uuid:
            errs.append(field_invalid(path, "resource", "datasetName and datasetUUID can not be specified simultaneously"))
        if "/" in name:
            errs.append(field_invalid(path.child("datasetName"), name, "must not contain '/'"))
        return errs
    if key == "persistentVolumeClaim":
        return _required(src, path, "claimName")
    if key == "rbd":
        return _required(src, path, "monitors", "image")
    if key == "cinder":
        errs = _required(src, path, "volumeID")
        ref = src.get("secretRef")
        if isinstance(ref, dict) and not as_str(ref.get("name")):
            errs.append(field_required(path.child("secretRef", "name"), ""))
        return errs
    if key == "cephfs":
        return _required(src, path, "monitors")
    if key == "quobyte":
        errs = []
        if not as_str(src.get("registry")):
            errs.append(field_required(path.child("registry"), "must be a host:port pair or multiple pairs separated by commas"))
        elif len(as_str(src.get("tenant"))) >= 65:
            errs.append(field_required(path.child("tenant"), "must be a UUID and may not exceed a length of 64 characters"))
        else:
            reg = as_str(src.get("registry"))
            for pair in reg.split(","):
                host, sep, port = pair.rpartition(":")
                if not sep or (":" in host and not (host.startswith("[") and host.endswith("]"))):
                    errs.append(field_invalid(path.child("registry"), reg, "must be a host:port pair or multiple pairs separated by commas"))
        return errs + _required(src, path, "volume")
    if key == "downwardAPI":
        return _downward_api(src, path)
    if key == "fc":
        return _fc(src, path)
    if key == "flexVolume":
        return _flex(src, path)
    if key == "configMap":
        return _config_map(src, path)
    if key == "azureFile":
        return _required(src, path, "secretName", "shareName")
    if key == "vsphereVolume":
        return _required(src, path, "volumePath")
    if key == "photonPersistentDisk":
        return _required(src, path, "pdID")
    if key == "portworxVolume":
        return _required(src, path, "volumeID")
    if key == "azureDisk":
        return _azure_disk(src, path)
    if key == "storageos":
        return _storageos(src, path)
    if key == "projected":
        return _projected(src, path, resource_is_pod)
    if key == "scaleIO":
        return _required(src, path, "gateway", "system", "volumeName")
    if key == "csi":
        return _csi(src, path)
    if key == "ephemeral":
        errs = _ephemeral(src, path)
        if pod_name and vol_name:
            pvc = f"{pod_name}-{vol_name}"
            errs += [field_invalid(path.child("name"), vol_name, f"PVC name {go_quote(pvc)}: {m}") for m in name_is_dns_subdomain(pvc)]
        return errs
    if key == "image":
        return _image(src, path, resource_is_pod)
    return []


def volume_source(vol: dict, path: FieldPath, vol_name: str, pod_name: str, resource_is_pod: bool) -> list[FieldError]:
    """validateVolumeSource: exactly one source, each validated."""
    errs: list[FieldError] = []
    n = 0
    for key in _SOURCES:
        src = vol.get(key)
        if src is None:
            continue
        if n > 0:
            errs.append(field_forbidden(path.child(_FORBIDDEN_CHILD.get(key, key)), _MORE_THAN_ONE))
            continue
        n += 1
        errs += _source(key, as_dict(src), path.child(_VALIDATE_CHILD.get(key, key)), vol_name, pod_name, resource_is_pod)
        if key == "iscsi" and as_dict(src).get("initiatorName") is not None:
            tp = as_str(as_dict(src).get("targetPortal"))
            if len(vol_name + ":" + tp) > 64:
                errs.append(
                    field_invalid(
                        path.child("name"),
                        vol_name,
                        "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if "
                        "iscsi.initiatorName is specified.",
                    )
                )
    if n == 0:
        errs.append(field_required(path, "must specify a volume type"))
    return errs


def validate_volumes(volumes: Any, pod_meta: dict | None, path: FieldPath, *, resource_is_pod: bool = False) -> tuple[dict[str, dict], list[FieldError]]:
    """ValidateVolumes: returns the valid volumes by name and the errors."""
    errs: list[FieldError] = []
    names: set[str] = set()
    vols: dict[str, dict] = {}
    pod_name = as_str(as_dict(pod_meta).get("name")) if pod_meta is not None else ""
    created_pvcs = set()
    vlist = as_list(volumes)
    if pod_name:
        for v in vlist:
            v = as_dict(v)
            if v.get("ephemeral") is not None:
                created_pvcs.add(f"{pod_name}-{as_str(v.get('name'))}")
    for i, vol in enumerate(vlist):
        vol = as_dict(vol)
        ip = path.index(i)
        np = ip.child("name")
        name = as_str(vol.get("name"))
        el = volume_source(vol, ip, name, pod_name, resource_is_pod)
        if not name:
            el.append(field_required(np, ""))
        else:
            el += [field_invalid(np, name, m) for m in dns1123_label(name)]
        if name in names:
            el.append(field_duplicate(np, name))
        if not el:
            names.add(name)
            vols[name] = vol
        else:
            errs += el
        pvc = vol.get("persistentVolumeClaim")
        if isinstance(pvc, dict) and as_str(pvc.get("claimName")) in created_pvcs:
            errs.append(
                field_invalid(ip.child("persistentVolumeClaim", "claimName"), as_str(pvc.get("claimName")),
                              "must not reference a PVC that gets created for an ephemeral volume")
            )
    return vols, errs


# ---------------------------------------------------------------------------------------------------------------
# Mounts and devices
# ---------------------------------------------------------------------------------------------------------------

_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")


def validate_volume_mounts(mounts: Any, devices: dict[str, str], volumes: dict[str, dict], container: dict, path: FieldPath) -> list[FieldError]:
    """ValidateVolumeMounts."""
    errs: list[FieldError] = []
    mountpoints: set[str] = set()
    for i, m in enumerate(as_list(mounts)):
        m = as_dict(m)
        ip = path.index(i)
        name = as_str(m.get("name"))
        mp = as_str(m.get("mountPath"))
        if not name:
            errs.append(field_required(ip.child("name"), ""))
        if name not in volumes:
            errs.append(field_not_found(ip.child("name"), name))
        if not mp:
            errs.append(field_required(ip.child("mountPath"), ""))
        if mp in mountpoints:
            errs.append(field_invalid(ip.child("mountPath"), mp, "must be unique"))
        mountpoints.add(mp)
        if name in devices:
            errs.append(field_invalid(ip.child("name"), name, "must not already exist in volumeDevices"))
        if mp in devices.values():
            errs.append(field_invalid(ip.child("mountPath"), mp, "must not already exist as a path in volumeDevices"))
        sub = as_str(m.get("subPath"))
        sub_expr = as_str(m.get("subPathExpr"))
        if name in volumes and volumes[name].get("image") is not None:
            if sub:
                errs.append(field_invalid(ip.child("subPath"), sub, "not allowed in image volume sources"))
            if sub_expr:
                errs.append(field_invalid(ip.child("subPathExpr"), sub_expr, "not allowed in image volume sources"))
        if sub:
            errs += validate_local_descending_path(sub, path.child("subPath"))
        if sub_expr:
            if sub:
                errs.append(field_invalid(ip.child("subPathExpr"), sub_expr, "subPathExpr and subPath are mutually exclusive"))
            errs += validate_local_descending_path(sub_expr, path.child("subPathExpr"))
        prop = m.get("mountPropagation")
        if isinstance(prop, str):
            pp = path.child("mountPropagation")
            if prop not in _PROPAGATIONS:
                errs.append(field_not_supported(pp, prop, _PROPAGATIONS))
            sc = as_dict(container.get("securityContext"))
            if prop == "Bidirectional" and sc.get("privileged") is not True:
                errs.append(field_forbidden(pp, "Bidirectional mount propagation is available only to privileged containers"))
        rro = m.get("recursiveReadOnly")
        if isinstance(rro, str):
            rp = path.child("recursiveReadOnly")
            if rro in ("Enabled", "IfPossible"):
                if not m.get("readOnly"):
                    errs.append(field_forbidden(rp, "may only be specified when readOnly is true"))
                if isinstance(prop, str) and prop != "None":
                    errs.append(field_forbidden(rp, "may only be specified when mountPropagation is None or not specified"))
            elif rro != "Disabled":
                errs.append(field_not_supported(rp, rro, ("Disabled", "Enabled", "IfPossible")))
    return errs


def validate_volume_devices(devices: Any, mounts: dict[str, str], volumes: dict[str, dict], path: FieldPath) -> list[FieldError]:
    """ValidateVolumeDevices: block devices come from claims only."""
    errs: list[FieldError] = []
    paths: set[str] = set()
    names: set[str] = set()
    for i, d in enumerate(as_list(devices)):
        d = as_dict(d)
        ip = path.index(i)
        name = as_str(d.get("name"))
        dp = as_str(d.get("devicePath"))
        vol = volumes.get(name)
        matched = vol is not None
        is_pvc = matched and (vol.get("persistentVolumeClaim") is not None or vol.get("ephemeral") is not None)
        if not name:
            errs.append(field_required(ip.child("name"), ""))
        if name in names:
            errs.append(field_invalid(ip.child("name"), name, "must be unique"))
        if matched and not is_pvc:
            errs.append(field_invalid(ip.child("name"), name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"))
        if not matched:
            errs.append(field_not_found(ip.child("name"), name))
        if not dp:
            errs.append(field_required(ip.child("devicePath"), ""))
        if dp in paths:
            errs.append(field_invalid(ip.child("devicePath"), dp, "must be unique"))
        if dp and _path_no_backsteps(dp, path):
            errs.append(field_invalid(ip.child("devicePath"), dp, "can not contain backsteps ('..')"))
        else:
            paths.add(dp)
        if name in mounts:
            errs.append(field_invalid(ip.child("name"), name, "must not already exist in volumeMounts"))
        if dp in mounts.values():
            errs.append(field_invalid(ip.child("devicePath"), dp, "must not already exist as a path in volumeMounts"))
        if name:
            names.add(name)
    return errs

