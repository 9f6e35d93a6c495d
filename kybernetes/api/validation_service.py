"""Validation of Services and Endpoints, as upstream ``pkg/apis/core/validation`` does it for Kubernetes 1.32.

Services are validated after the registry's IP allocator ran (upstream allocates in ``BeginCreate``), so
``clusterIP``, ``clusterIPs``, ``ipFamilies`` and ``ipFamilyPolicy`` are expected to be filled in; node port ranges
are the allocator's business, not validation's. On update the cluster IPs and IP families may be upgraded or
downgraded between single and dual stack but never changed (``may not change once set``).
"""

from __future__ import annotations


from kybernetes.api.validation_common import (
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    dns1123_label,
    go_string_slice,
    name_is_dns1035_label,
    name_is_dns_subdomain,
    non_special_ip,
    parse_ip_sloppy,
    port_num,
    qualified_name,
    valid_cidr,
    valid_ip,
)
from kybernetes.api.validation_meta import (
    object_meta,
    object_meta_update,
    validate_labels,
)
from kybernetes.api.validation_container import (
    PROTOCOLS,
    port_num_or_name,
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

_META = FieldPath("metadata")
_SPEC = FieldPath("spec")

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
