"""Validation of the core group's non-pod types (Service, ConfigMap, Secret, Namespace, Node, claims, ...).

Each ``validate_<kind>`` returns upstream's create errors and each ``validate_<kind>_update`` the full update
errors (metadata update rules first, then the new object's spec, then what may not change). The rules follow
``pkg/apis/core/validation`` of Kubernetes 1.32; a few notes:

* Services are validated after the IP allocator ran (upstream allocates in ``BeginCreate``), so ``clusterIP``,
  ``clusterIPs``, ``ipFamilies`` and ``ipFamilyPolicy`` are expected to be filled in.
* Secrets are validated on the internal shape, where ``stringData`` has been merged into ``data``; this module does
  the merge itself (values decoded from base64) so either shape works.
* Events arriving through ``events.k8s.io/v1`` are mapped back to the core field names first (``note`` ->
  ``message``, ``regarding`` -> ``involvedObject``...), as upstream reports errors on the internal type.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    canonical_quantity,
    config_map_key,
    dns1123_label,
    go_string_map,
    go_string_slice,
    go_struct,
    label_value,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    non_special_ip,
    nonnegative,
    parse_cidr_sloppy,
    parse_ip_sloppy,
    port_num,
    qualified_name,
    quantity,
    sem_equal,
    valid_cidr,
    valid_ip,
)
from kybernetes.api.validation_meta import (
    kube_finalizer_name,
    object_meta,
    object_meta_update,
    validate_label_selector,
    validate_labels,
)
from kybernetes.api.validation_pod import (
    PROTOCOLS,
    container_resource_name,
    node_selector,
    pod_template_spec,
    port_num_or_name,
    resource_name,
    resource_quantity_value,
    spec_diff,
    taint_effect,
)
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
    field_too_long,
    go_quote,
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


def go_json_error(data: bytes) -> str | None:
    """The error Go's ``json.Unmarshal(data, &map[string]interface{}{})`` reports, or None when it decodes."""
    text = data.strip()
    if not text:
        return "unexpected end of JSON input"
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        first = text[:1].decode(errors="replace")
        if first not in "{[\"-0123456789tfn":
            return f"invalid character {_go_char(first)} looking for beginning of value"
        return "unexpected end of JSON input"
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        if value is None:
            return None
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


def _go_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    return f"'{c}'"


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
# Services
# ---------------------------------------------------------------------------------------------------------------

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_MAX_AFFINITY_SECONDS = 86400


def _headless(spec: dict) -> bool:
    ips = as_list(spec.get("clusterIPs"))
    return len(ips) == 1 and ips[0] == "None"


def _go_service_port_key(protocol: str, port: int, node_port: int = 0) -> GoLiteral:
    return GoLiteral(
        f'core.ServicePort{{Name:"", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), Port:{port}, '
        f'TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:{node_port}}}'
    )


def _service_port(sp: dict, require_name: bool, names: set[str], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    name = as_str(sp.get("name"))
    if require_name and not name:
        errs.append(field_required(path.child("name"), ""))
    elif name:
        errs += [field_invalid(path.child("name"), name, m) for m in dns1123_label(name)]
        if name in names:
            errs.append(field_duplicate(path.child("name"), name))
        else:
            names.add(name)
    port = as_int(sp.get("port"))
    errs += [field_invalid(path.child("port"), port, m) for m in port_num(port)]
    proto = as_str(sp.get("protocol"))
    if not proto:
        errs.append(field_required(path.child("protocol"), ""))
    elif proto not in PROTOCOLS:
        errs.append(field_not_supported(path.child("protocol"), proto, PROTOCOLS))
    errs += port_num_or_name(sp.get("targetPort"), path.child("targetPort"))
    ap = sp.get("appProtocol")
    if isinstance(ap, str):
        errs += [field_invalid(path.child("appProtocol"), ap, m) for m in qualified_name(ap)]
    return errs


def _externally_accessible(spec: dict) -> bool:
    t = as_str(spec.get("type"))
    return t in ("LoadBalancer", "NodePort") or (t == "ClusterIP" and bool(as_list(spec.get("externalIPs"))))


def _needs_health_check(spec: dict) -> bool:
    return as_str(spec.get("type")) == "LoadBalancer" and as_str(spec.get("externalTrafficPolicy")) == "Local"


def _cluster_ip_fields(spec: dict) -> list[FieldError]:
    if as_str(spec.get("type")) == "ExternalName":
        return []
    errs: list[FieldError] = []
    cips_path, fam_path = _SPEC.child("clusterIPs"), _SPEC.child("ipFamilies")
    cip = as_str(spec.get("clusterIP"))
    cips = [as_str(x) for x in as_list(spec.get("clusterIPs"))]
    if cip:
        if not cips:
            errs.append(field_required(cips_path, ""))
        elif cips[0] != cip:
            errs.append(field_invalid(cips_path, go_string_slice(cips), "first value must match `clusterIP`"))
    elif cips:
        errs.append(field_invalid(cips_path, go_string_slice(cips), "must be empty when `clusterIP` is not specified"))
    families = [as_str(x) for x in as_list(spec.get("ipFamilies"))]
    seen: set[str] = set()
    for i, fam in enumerate(families):
        if fam not in ("IPv4", "IPv6"):
            errs.append(field_not_supported(fam_path.index(i), fam, ("IPv4", "IPv6")))
        if fam in seen:
            errs.append(field_duplicate(fam_path.index(i), fam))
        seen.add(fam)
    pol = spec.get("ipFamilyPolicy")
    if isinstance(pol, str) and pol not in ("PreferDualStack", "RequireDualStack", "SingleStack"):
        errs.append(field_not_supported(_SPEC.child("ipFamilyPolicy"), pol, ("PreferDualStack", "RequireDualStack", "SingleStack")))
    bad = False
    for i, ip in enumerate(cips):
        if i == 0 and ip == "None":
            if len(cips) > 1:
                bad = True
                errs.append(field_invalid(cips_path, go_string_slice(cips), "'None' must be the first and only value"))
            continue
        e = valid_ip(cips_path.index(i), ip)
        bad = bad or bool(e)
        errs += e
    if len(cips) > 2:
        errs.append(field_invalid(cips_path, go_string_slice(cips), "may only hold up to 2 values"))
    if bad:
        return errs
    if len(cips) > 1:
        versions = {parse_ip_sloppy(ip).version for ip in cips if parse_ip_sloppy(ip) is not None}  # type: ignore[union-attr]
        if len(versions) != 2 or len(cips) > 2:
            errs.append(field_invalid(cips_path, go_string_slice(cips), "may specify no more than one IP for each IP family"))
    if not _headless(spec) and cips and families:
        for i, ip in enumerate(cips):
            if i > len(families) - 1:
                break
            addr = parse_ip_sloppy(ip)
            is6 = addr is not None and addr.version == 6
            if families[i] == "IPv4" and is6:
                errs.append(field_invalid(cips_path.index(i), ip, f"expected an IPv4 value as indicated by `ipFamilies[{i}]`"))
            if families[i] == "IPv6" and not is6:
                errs.append(field_invalid(cips_path.index(i), ip, f"expected an IPv6 value as indicated by `ipFamilies[{i}]`"))
    return errs


def _lb_class(spec: dict, old_spec: dict | None) -> list[FieldError]:
    errs: list[FieldError] = []
    path = _SPEC.child("loadBalancerClass")
    is_lb = as_str(spec.get("type")) == "LoadBalancer"
    cls = spec.get("loadBalancerClass")
    if old_spec is not None and as_str(old_spec.get("type")) == "LoadBalancer" and is_lb:
        if old_spec.get("loadBalancerClass") != cls:
            errs.append(field_invalid(path, cls if isinstance(cls, str) else "null", "may not change once set"))
    if is_lb:
        if isinstance(cls, str):
            errs += [field_invalid(path, cls, m) for m in qualified_name(cls)]
    elif cls is not None:
        errs.append(field_forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
    return errs


def validate_service(svc: dict, old: dict | None = None) -> list[FieldError]:
    """ValidateService."""
    meta = as_dict(svc.get("metadata"))
    spec = as_dict(svc.get("spec"))
    errs = object_meta(meta, True, name_is_dns1035_label)
    ann = as_dict(meta.get("annotations"))
    hints, mode = ann.get("service.kubernetes.io/topology-aware-hints"), ann.get("service.kubernetes.io/topology-mode")
    if hints is not None and mode is not None and hints != mode:
        errs.append(
            field_invalid(
                _META.child("annotations").key("service.kubernetes.io/topology-mode"),
                mode,
                "must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified",
            )
        )
    stype = as_str(spec.get("type"))
    ports = [as_dict(p) for p in as_list(spec.get("ports"))]
    headless = _headless(spec)
    if not ports and not headless and stype != "ExternalName":
        errs.append(field_required(_SPEC.child("ports"), ""))
    cips = as_list(spec.get("clusterIPs"))
    if stype == "LoadBalancer" and headless:
        errs.append(field_invalid(_SPEC.child("clusterIPs").index(0), cips[0], "may not be set to 'None' for LoadBalancer services"))
    elif stype == "NodePort" and headless:
        errs.append(field_invalid(_SPEC.child("clusterIPs").index(0), cips[0], "may not be set to 'None' for NodePort services"))
    elif stype == "ExternalName":
        if cips:
            errs.append(field_forbidden(_SPEC.child("clusterIPs"), "may not be set for ExternalName services"))
        if as_list(spec.get("ipFamilies")):
            errs.append(field_forbidden(_SPEC.child("ipFamilies"), "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(field_forbidden(_SPEC.child("ipFamilyPolicy"), "may not be set for ExternalName services"))
        cname = as_str(spec.get("externalName"))
        if cname.endswith("."):
            cname = cname[:-1]
        if cname:
            errs += [field_invalid(_SPEC.child("externalName"), cname, m) for m in name_is_dns_subdomain(cname)]
        else:
            errs.append(field_required(_SPEC.child("externalName"), ""))
    names: set[str] = set()
    for i, p in enumerate(ports):
        errs += _service_port(p, len(ports) > 1, names, _SPEC.child("ports").index(i))
    if spec.get("selector") is not None:
        errs += validate_labels(spec.get("selector"), _SPEC.child("selector"))
    sa = as_str(spec.get("sessionAffinity"))
    if not sa:
        errs.append(field_required(_SPEC.child("sessionAffinity"), ""))
    elif sa not in ("ClientIP", "None"):
        errs.append(field_not_supported(_SPEC.child("sessionAffinity"), sa, ("ClientIP", "None")))
    sac = spec.get("sessionAffinityConfig")
    sacp = _SPEC.child("sessionAffinityConfig")
    if sa == "ClientIP":
        if not isinstance(sac, dict):
            errs.append(field_required(sacp, "when session affinity type is ClientIP"))
        elif not isinstance(sac.get("clientIP"), dict):
            errs.append(field_required(sacp.child("clientIP"), "when session affinity type is ClientIP"))
        elif sac["clientIP"].get("timeoutSeconds") is None:
            errs.append(field_required(sacp.child("clientIP", "timeoutSeconds"), "when session affinity type is ClientIP"))
        else:
            t = as_int(sac["clientIP"].get("timeoutSeconds"))
            if t <= 0 or t > _MAX_AFFINITY_SECONDS:
                errs.append(field_invalid(sacp.child("clientIP", "timeoutSeconds"), t, f"must be greater than 0 and less than {_MAX_AFFINITY_SECONDS}"))
    elif sa == "None" and sac is not None:
        errs.append(field_forbidden(sacp, "must not be set when session affinity is None"))
    errs += _cluster_ip_fields(spec)
    for i, ip in enumerate(as_list(spec.get("externalIPs"))):
        p = _SPEC.child("externalIPs").index(i)
        e = valid_ip(p, ip)
        errs += e if e else non_special_ip(p, as_str(ip))
    if not stype:
        errs.append(field_required(_SPEC.child("type"), ""))
    elif stype not in _SERVICE_TYPES:
        errs.append(field_not_supported(_SPEC.child("type"), stype, _SERVICE_TYPES))
    if stype == "ClusterIP":
        for i, p in enumerate(ports):
            if as_int(p.get("nodePort")) != 0:
                errs.append(field_forbidden(_SPEC.child("ports").index(i).child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
    seen_np: set[tuple[str, int]] = set()
    for i, p in enumerate(ports):
        np_ = as_int(p.get("nodePort"))
        if np_ == 0:
            continue
        key = (as_str(p.get("protocol")), np_)
        if key in seen_np:
            errs.append(field_duplicate(_SPEC.child("ports").index(i).child("nodePort"), np_))
        seen_np.add(key)
    seen_ports: set[tuple[str, int]] = set()
    for i, p in enumerate(ports):
        key = (as_str(p.get("protocol")), as_int(p.get("port")))
        if key in seen_ports:
            errs.append(field_duplicate(_SPEC.child("ports").index(i), _go_service_port_key(*key)))
        seen_ports.add(key)
    ranges = as_list(spec.get("loadBalancerSourceRanges"))
    if ranges:
        rp = _SPEC.child("LoadBalancerSourceRanges")
        if stype != "LoadBalancer":
            errs.append(field_forbidden(rp, "may only be used when `type` is 'LoadBalancer'"))
        for i, r in enumerate(ranges):
            errs += valid_cidr(rp.index(i), as_str(r).strip())
    elif "service.beta.kubernetes.io/load-balancer-source-ranges" in ann:
        ap = _META.child("annotations").key("service.beta.kubernetes.io/load-balancer-source-ranges")
        if stype != "LoadBalancer":
            errs.append(field_forbidden(ap, "may only be used when `type` is 'LoadBalancer'"))
        val = as_str(ann["service.beta.kubernetes.io/load-balancer-source-ranges"]).strip()
        if val:
            for r in val.split(","):
                errs += valid_cidr(ap, r.strip())
    if spec.get("allocateLoadBalancerNodePorts") is not None and stype != "LoadBalancer":
        errs.append(field_forbidden(_SPEC.child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
    if stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        errs.append(field_required(FieldPath("allocateLoadBalancerNodePorts"), ""))
    errs += _lb_class(spec, as_dict(as_dict(old).get("spec")) if old is not None else None)
    etp = as_str(spec.get("externalTrafficPolicy"))
    if not _externally_accessible(spec):
        if etp:
            errs.append(field_invalid(_SPEC.child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(field_required(_SPEC.child("externalTrafficPolicy"), ""))
    elif etp not in ("Cluster", "Local"):
        errs.append(field_not_supported(_SPEC.child("externalTrafficPolicy"), etp, ("Cluster", "Local")))
    hcnp = as_int(spec.get("healthCheckNodePort"))
    if not _needs_health_check(spec):
        if hcnp != 0:
            errs.append(field_invalid(_SPEC.child("healthCheckNodePort"), hcnp, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    elif hcnp == 0:
        errs.append(field_required(_SPEC.child("healthCheckNodePort"), ""))
    else:
        errs += [field_invalid(_SPEC.child("healthCheckNodePort"), hcnp, m) for m in port_num(hcnp)]
    itp = spec.get("internalTrafficPolicy")
    if itp is None:
        if stype in ("NodePort", "LoadBalancer", "ClusterIP"):
            errs.append(field_required(_SPEC.child("internalTrafficPolicy"), ""))
    elif itp not in ("Cluster", "Local"):
        errs.append(field_not_supported(_SPEC.child("internalTrafficPolicy"), itp, ("Cluster", "Local")))
    td = spec.get("trafficDistribution")
    if td is not None and td != "PreferClose":
        errs.append(field_not_supported(_SPEC.child("trafficDistribution"), td, ["PreferClose"]))
    return errs


def validate_service_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateServiceUpdate."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    ns, os_ = as_dict(new.get("spec")), as_dict(old.get("spec"))
    cp = _SPEC.child("clusterIPs")
    if "ExternalName" not in (as_str(ns.get("type")), as_str(os_.get("type"))):
        ncips = [as_str(x) for x in as_list(ns.get("clusterIPs"))]
        ocips = [as_str(x) for x in as_list(os_.get("clusterIPs"))]
        if not (_headless(ns) and _headless(os_)):
            shown = go_string_slice(ncips if ns.get("clusterIPs") is not None else None)
            if len(ocips) == len(ncips):
                for i, ip in enumerate(ocips):
                    if ip != ncips[i]:
                        errs.append(field_invalid(cp.index(i), shown, "may not change once set"))
            elif len(ocips) > len(ncips):
                if not ncips:
                    errs.append(field_invalid(cp.index(0), shown, "primary clusterIP can not be unset"))
                if ocips and ncips and ncips[0] != ocips[0]:
                    errs.append(field_invalid(cp.index(0), shown, "may not change once set"))
                if len(ncips) == 1 and ns.get("ipFamilyPolicy") != "SingleStack":
                    errs.append(field_invalid(_SPEC.child("ipFamilyPolicy"), ns.get("ipFamilyPolicy") or "null", "must be set to 'SingleStack' when releasing the secondary clusterIP"))
            elif ocips and ncips[0] != ocips[0]:
                errs.append(field_invalid(cp.index(0), shown, "may not change once set"))
        if _headless(ns) == _headless(os_) and not _headless(ns):
            nf = [as_str(x) for x in as_list(ns.get("ipFamilies"))]
            of = [as_str(x) for x in as_list(os_.get("ipFamilies"))]
            fp = _SPEC.child("ipFamilies").index(0)
            if len(nf) == len(of):
                for i, f in enumerate(of):
                    if f != nf[i]:
                        errs.append(field_invalid(fp, go_string_slice(nf), "may not change once set"))
            elif len(of) > len(nf):
                if not ncips:
                    errs.append(field_invalid(fp, go_string_slice(nf), "primary ipFamily can not be unset"))
                if nf and nf[0] != of[0]:
                    errs.append(field_invalid(fp, go_string_slice(ncips), "may not change once set"))
                if len(nf) == 1 and ns.get("ipFamilyPolicy") != "SingleStack":
                    errs.append(field_invalid(_SPEC.child("ipFamilyPolicy"), ns.get("ipFamilyPolicy") or "null", "must be set to 'SingleStack' when releasing the secondary ipFamily"))
            elif of and nf and nf[0] != of[0]:
                errs.append(field_invalid(fp, go_string_slice(ncips), "may not change once set"))
    if _needs_health_check(os_) and _needs_health_check(ns):
        if as_int(ns.get("healthCheckNodePort")) != as_int(os_.get("healthCheckNodePort")):
            errs.append(field_forbidden(_SPEC.child("healthCheckNodePort"), "field is immutable"))
    errs += validate_service(new, old)
    return errs


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
        errs.append(field_not_supported(cp, GoLiteral("core.ResourceList{" + ", ".join(f'"{k}":{canonical_quantity(v)}' for k, v in sorted(cap.items())) + "}"), ["storage"]))
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
# Endpoints, Events, quotas and limit ranges
# ---------------------------------------------------------------------------------------------------------------


def _endpoint_address(a: dict, path: FieldPath) -> list[FieldError]:
    ip = as_str(a.get("ip"))
    errs = valid_ip(path.child("ip"), ip)
    hn = as_str(a.get("hostname"))
    if hn:
        errs += [field_invalid(path.child("hostname"), hn, m) for m in dns1123_label(hn)]
    nn = a.get("nodeName")
    if isinstance(nn, str):
        errs += [field_invalid(path.child("nodeName"), nn, m) for m in name_is_dns_subdomain(nn)]
    return errs + non_special_ip(path.child("ip"), ip)


def validate_endpoints(ep: dict) -> list[FieldError]:
    """ValidateEndpoints."""
    errs = object_meta(ep.get("metadata"), True, name_is_dns_subdomain)
    for i, ss in enumerate(as_list(ep.get("subsets"))):
        ss = as_dict(ss)
        sp = FieldPath("subsets").index(i)
        addrs, nready = as_list(ss.get("addresses")), as_list(ss.get("notReadyAddresses"))
        if not addrs and not nready:
            errs.append(field_required(sp, "must specify `addresses` or `notReadyAddresses`"))
        for j, a in enumerate(addrs):
            errs += _endpoint_address(as_dict(a), sp.child("addresses").index(j))
        for j, a in enumerate(nready):
            errs += _endpoint_address(as_dict(a), sp.child("notReadyAddresses").index(j))
        ports = as_list(ss.get("ports"))
        for j, p in enumerate(ports):
            p = as_dict(p)
            pp = sp.child("ports").index(j)
            name = as_str(p.get("name"))
            if len(ports) > 1 and not name:
                errs.append(field_required(pp.child("name"), ""))
            elif name:
                errs += [field_invalid(pp.child("name"), name, m) for m in dns1123_label(name)]
            port = as_int(p.get("port"))
            errs += [field_invalid(pp.child("port"), port, m) for m in port_num(port)]
            proto = as_str(p.get("protocol"))
            if not proto:
                errs.append(field_required(pp.child("protocol"), ""))
            elif proto not in PROTOCOLS:
                errs.append(field_not_supported(pp.child("protocol"), proto, PROTOCOLS))
            ap = p.get("appProtocol")
            if isinstance(ap, str):
                errs += [field_invalid(pp.child("appProtocol"), ap, m) for m in qualified_name(ap)]
    return errs


def validate_endpoints_update(new: dict, old: dict) -> list[FieldError]:
    return object_meta_update(new.get("metadata"), old.get("metadata")) + validate_endpoints(new)


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
