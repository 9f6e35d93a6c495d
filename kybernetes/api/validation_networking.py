"""Validation of networking objects: Ingress, IngressClass, NetworkPolicy (``networking.k8s.io``) and EndpointSlice
(``discovery.k8s.io``), following upstream 1.32.

An Ingress needs rules or a default backend; each HTTP path has a ``pathType`` and a backend naming either a
Service (DNS-1035 name plus a port name or number) or a resource. Hosts are DNS names, optionally with a leading
``*.`` wildcard, never IP addresses. NetworkPolicy ports, peers (pod/namespace selectors or an IP block whose
``except`` ranges lie strictly inside its CIDR) and policy types are checked. EndpointSlices have an address type
(IPv4, IPv6 or FQDN) that every endpoint address must match and that may not change.
"""

from __future__ import annotations

from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    dns1123_label,
    dns1123_subdomain,
    go_string_slice,
    is_domain_prefixed_path,
    is_fully_qualified_domain_name,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    non_special_ip,
    parse_cidr_sloppy,
    parse_ip_sloppy,
    path_segment_name,
    port_name,
    port_num,
    qualified_name,
    valid_cidr,
    wildcard_dns1123_subdomain,
)
from kybernetes.api.validation_meta import object_meta, object_meta_update, validate_label_name, validate_label_selector, validate_labels
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
    field_too_long,
    field_too_many,
)

_SPEC = FieldPath("spec")
_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
_INVALID_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_SUFFIXES = ("/..", "/.")


# ---------------------------------------------------------------------------------------------------------------
# Ingress
# ---------------------------------------------------------------------------------------------------------------


def _typed_ref(ref: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    group = ref.get("apiGroup")
    if isinstance(group, str):
        errs += [field_invalid(path.child("apiGroup"), group, m) for m in dns1123_subdomain(group)]
    for key in ("kind", "name"):
        v = as_str(ref.get(key))
        if not v:
            errs.append(field_required(path.child(key), ""))
        else:
            errs += [field_invalid(path.child(key), v, m) for m in path_segment_name(v)]
    return errs


def _backend(b: dict, path: FieldPath) -> list[FieldError]:
    res, svc = b.get("resource"), b.get("service")
    if res is not None and svc is not None:
        return [field_invalid(path, "", "cannot set both resource and service backends")]
    if isinstance(res, dict):
        return _typed_ref(res, path.child("resource"))
    if not isinstance(svc, dict):
        return [field_invalid(path, "", "resource or service backend is required")]
    errs: list[FieldError] = []
    name = as_str(svc.get("name"))
    if not name:
        errs.append(field_required(path.child("service", "name"), ""))
    else:
        errs += [field_invalid(path.child("service", "name"), name, m) for m in name_is_dns1035_label(name)]
    port = as_dict(svc.get("port"))
    pname, pnum = as_str(port.get("name")), as_int(port.get("number"))
    if pname and pnum:
        errs.append(field_invalid(path, "", "cannot set both port name & port number"))
    elif pname:
        errs += [field_invalid(path.child("service", "port", "name"), pname, m) for m in port_name(pname)]
    elif pnum:
        errs += [field_invalid(path.child("service", "port", "number"), pnum, m) for m in port_num(pnum)]
    else:
        errs.append(field_required(path, "port name or number is required"))
    return errs


def _http_path(p: dict, path: FieldPath) -> list[FieldError]:
    pt = p.get("pathType")
    if not isinstance(pt, str):
        return [field_required(path.child("pathType"), "pathType must be specified")]
    errs: list[FieldError] = []
    text = as_str(p.get("path"))
    pp = path.child("path")
    if pt in ("Exact", "Prefix"):
        if not text.startswith("/"):
            errs.append(field_invalid(pp, text, "must be an absolute path"))
        if text:
            for seq in _INVALID_SEQUENCES:
                if seq in text:
                    errs.append(field_invalid(pp, text, f"must not contain '{seq}'"))
            for suf in _INVALID_SUFFIXES:
                if text.endswith(suf):
                    errs.append(field_invalid(pp, text, f"cannot end with '{suf}'"))
    elif pt == "ImplementationSpecific":
        if text and not text.startswith("/"):
            errs.append(field_invalid(pp, text, "must be an absolute path"))
    else:
        errs.append(field_not_supported(path.child("pathType"), pt, _PATH_TYPES))
    return errs + _backend(as_dict(p.get("backend")), path.child("backend"))


def _rule_value(rule: dict, path: FieldPath) -> list[FieldError]:
    http = rule.get("http")
    if not isinstance(http, dict):
        return []
    hp = path.child("http")
    paths = as_list(http.get("paths"))
    errs: list[FieldError] = []
    if not paths:
        errs.append(field_required(hp.child("paths"), ""))
    for i, p in enumerate(paths):
        errs += _http_path(as_dict(p), hp.child("paths").index(i))
    return errs


def _ingress_spec(spec: dict, path: FieldPath, allow_invalid_secret: bool, allow_invalid_wildcard: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    rules = as_list(spec.get("rules"))
    if not rules and spec.get("defaultBackend") is None:
        shown = GoLiteral("[]networking.IngressRule(nil)" if spec.get("rules") is None else "[]networking.IngressRule{}")
        errs.append(field_invalid(path, shown, "either `defaultBackend` or `rules` must be specified"))
    if isinstance(spec.get("defaultBackend"), dict):
        errs += _backend(spec["defaultBackend"], path.child("defaultBackend"))
    for i, rule in enumerate(rules):
        rule = as_dict(rule)
        rp = path.child("rules").index(i)
        host = as_str(rule.get("host"))
        wildcard = False
        if host:
            if parse_ip_sloppy(host) is not None:
                errs.append(field_invalid(rp.child("host"), host, "must be a DNS name, not an IP address"))
            if "*" in host:
                errs += [field_invalid(rp.child("host"), host, m) for m in wildcard_dns1123_subdomain(host)]
                wildcard = True
            else:
                errs += [field_invalid(rp.child("host"), host, m) for m in dns1123_subdomain(host)]
        if not wildcard or not allow_invalid_wildcard:
            errs += _rule_value(rule, rp)
    for ti, tls in enumerate(as_list(spec.get("tls"))):
        tls = as_dict(tls)
        tp = path.child("tls").index(ti)
        for i, host in enumerate(as_list(tls.get("hosts"))):
            host = as_str(host)
            fn = wildcard_dns1123_subdomain if "*" in host else dns1123_subdomain
            errs += [field_invalid(tp.child("hosts").index(i), host, m) for m in fn(host)]
        if not allow_invalid_secret:
            sn = as_str(tls.get("secretName"))
            if sn:
                errs += [field_invalid(tp.child("secretName"), sn, m) for m in name_is_dns_subdomain(sn)]
    icn = spec.get("ingressClassName")
    if isinstance(icn, str):
        errs += [field_invalid(path.child("ingressClassName"), icn, m) for m in name_is_dns_subdomain(icn)]
    return errs


def validate_ingress(ing: dict) -> list[FieldError]:
    """ValidateIngressCreate."""
    errs = object_meta(ing.get("metadata"), True, name_is_dns_subdomain)
    spec = as_dict(ing.get("spec"))
    errs += _ingress_spec(spec, _SPEC, False, False)
    ann = as_dict(as_dict(ing.get("metadata")).get("annotations"))
    cls = spec.get("ingressClassName")
    if "kubernetes.io/ingress.class" in ann and isinstance(cls, str) and ann["kubernetes.io/ingress.class"] != cls:
        errs.append(field_invalid(FieldPath("annotations").child("kubernetes.io/ingress.class"), ann["kubernetes.io/ingress.class"], "must match `ingressClassName` when both are specified"))
    return errs


def validate_ingress_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateIngressUpdate (old invalid secret names and wildcard rules stay tolerated)."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    ospec = as_dict(old.get("spec"))
    allow_secret = any(as_str(as_dict(t).get("secretName")) and name_is_dns_subdomain(as_str(as_dict(t).get("secretName"))) for t in as_list(ospec.get("tls")))
    allow_wildcard = any("*" in as_str(as_dict(r).get("host")) and _rule_value(as_dict(r), FieldPath("x")) for r in as_list(ospec.get("rules")))
    errs += object_meta(new.get("metadata"), True, name_is_dns_subdomain)
    return errs + _ingress_spec(as_dict(new.get("spec")), _SPEC, bool(allow_secret), bool(allow_wildcard))


def _ingress_class_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    ctrl = as_str(spec.get("controller"))
    cp = path.child("controller")
    if not ctrl:
        errs.append(field_required(cp, ""))
    else:
        if len(ctrl) > 250:
            errs.append(field_too_long(cp, "", 250))
        errs += is_domain_prefixed_path(cp, ctrl)
    params = spec.get("parameters")
    if isinstance(params, dict):
        pp = path.child("parameters")
        group = params.get("apiGroup")
        if isinstance(group, str):
            errs += [field_invalid(pp.child("apiGroup"), group, m) for m in dns1123_subdomain(group)]
        for key in ("kind", "name"):
            v = as_str(params.get(key))
            if not v:
                errs.append(field_required(pp.child(key), ""))
            else:
                errs += [field_invalid(pp.child(key), v, m) for m in path_segment_name(v)]
        scope = params.get("scope")
        if scope is None:
            errs.append(field_required(pp.child("scope"), ""))
        elif scope not in ("Cluster", "Namespace"):
            errs.append(field_not_supported(pp.child("scope"), scope, ("Cluster", "Namespace")))
        else:
            ns = params.get("namespace")
            if scope == "Namespace":
                if ns is None:
                    errs.append(field_required(pp.child("namespace"), "`parameters.scope` is set to 'Namespace'"))
                else:
                    errs += [field_invalid(pp.child("namespace"), ns, m) for m in name_is_dns_label(as_str(ns))]
            if scope == "Cluster" and ns is not None:
                errs.append(field_forbidden(pp.child("namespace"), "`parameters.scope` is set to 'Cluster'"))
    return errs


def validate_ingress_class(ic: dict) -> list[FieldError]:
    return object_meta(ic.get("metadata"), False, name_is_dns_subdomain) + _ingress_class_spec(as_dict(ic.get("spec")), _SPEC)


def validate_ingress_class_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    nc, oc = as_str(as_dict(new.get("spec")).get("controller")), as_str(as_dict(old.get("spec")).get("controller"))
    if nc != oc:
        errs.append(field_invalid(_SPEC.child("controller"), nc, FIELD_IMMUTABLE))
    return errs + validate_ingress_class(new)


# ---------------------------------------------------------------------------------------------------------------
# NetworkPolicy
# ---------------------------------------------------------------------------------------------------------------


def _np_port(port: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    proto = port.get("protocol")
    if isinstance(proto, str) and proto not in ("TCP", "UDP", "SCTP"):
        errs.append(field_not_supported(path.child("protocol"), proto, ["TCP", "UDP", "SCTP"]))
    p = port.get("port")
    end = port.get("endPort")
    if p is not None:
        if isinstance(p, str):
            if end is not None:
                errs.append(field_invalid(path.child("endPort"), as_int(end), "may not be specified when `port` is non-numeric"))
            errs += [field_invalid(path.child("port"), p, m) for m in port_name(p)]
        else:
            p = as_int(p)
            errs += [field_invalid(path.child("port"), p, m) for m in port_num(p)]
            if end is not None:
                end = as_int(end)
                if end < p:
                    errs.append(field_invalid(path.child("endPort"), end, "must be greater than or equal to `port`"))
                errs += [field_invalid(path.child("endPort"), end, m) for m in port_num(end)]
    elif end is not None:
        errs.append(field_invalid(path.child("endPort"), as_int(end), "may not be specified when `port` is not specified"))
    return errs


def _ip_block(ipb: dict, path: FieldPath) -> list[FieldError]:
    cidr = as_str(ipb.get("cidr"))
    if not cidr:
        return [field_required(path.child("cidr"), "")]
    errs = valid_cidr(path.child("cidr"), cidr)
    net = parse_cidr_sloppy(cidr)
    if net is None:
        return errs
    for i, exc in enumerate(as_list(ipb.get("except"))):
        ep = path.child("except").index(i)
        exc = as_str(exc)
        e = valid_cidr(ep, exc)
        errs += e
        enet = parse_cidr_sloppy(exc)
        if enet is None:
            continue
        if enet.version != net.version or enet.network_address not in net or net.prefixlen >= enet.prefixlen:
            errs.append(field_invalid(ep, exc, "must be a strict subset of `cidr`"))
    return errs


def _np_peer(peer: dict, path: FieldPath, allow_invalid_value: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    n = 0
    if peer.get("podSelector") is not None:
        n += 1
        errs += validate_label_selector(peer["podSelector"], path.child("podSelector"), allow_invalid_label_value=allow_invalid_value)
    if peer.get("namespaceSelector") is not None:
        n += 1
        errs += validate_label_selector(peer["namespaceSelector"], path.child("namespaceSelector"), allow_invalid_label_value=allow_invalid_value)
    if isinstance(peer.get("ipBlock"), dict):
        n += 1
        errs += _ip_block(peer["ipBlock"], path.child("ipBlock"))
    if n == 0:
        errs.append(field_required(path, "must specify a peer"))
    elif n > 1 and peer.get("ipBlock") is not None:
        errs.append(field_forbidden(path, "may not specify both ipBlock and another peer"))
    return errs


def _np_spec(spec: dict, path: FieldPath, allow_invalid_value: bool = False) -> list[FieldError]:
    errs = validate_label_selector(as_dict(spec.get("podSelector")), path.child("podSelector"), allow_invalid_label_value=allow_invalid_value)
    for kind, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(spec.get(kind))):
            rule = as_dict(rule)
            rp = path.child(kind).index(i)
            for j, port in enumerate(as_list(rule.get("ports"))):
                errs += _np_port(as_dict(port), rp.child("ports").index(j))
            for j, peer in enumerate(as_list(rule.get(peers_key))):
                errs += _np_peer(as_dict(peer), rp.child(peers_key).index(j), allow_invalid_value)
    types = as_list(spec.get("policyTypes"))
    if len(types) > 2:
        errs.append(field_invalid(path.child("policyTypes"), GoLiteral("&" + go_string_slice(types).text.replace("[]string", "[]networking.PolicyType")), "may not specify more than two policyTypes"))
        return errs
    for i, t in enumerate(types):
        if t not in ("Ingress", "Egress"):
            errs.append(field_not_supported(path.child("policyTypes").index(i), t, ["Ingress", "Egress"]))
    return errs


def validate_network_policy(np_: dict) -> list[FieldError]:
    return object_meta(np_.get("metadata"), True, name_is_dns_subdomain) + _np_spec(as_dict(np_.get("spec")), _SPEC)


def validate_network_policy_update(new: dict, old: dict) -> list[FieldError]:
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    allow = bool(validate_label_selector(as_dict(as_dict(old.get("spec")).get("podSelector")), FieldPath("x")))
    return errs + _np_spec(as_dict(new.get("spec")), _SPEC, allow)


# ---------------------------------------------------------------------------------------------------------------
# EndpointSlice
# ---------------------------------------------------------------------------------------------------------------

_ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")


def _ipv_address(path: FieldPath, addr: str, version: int) -> list[FieldError]:
    ip = parse_ip_sloppy(addr)
    if ip is None or ip.version != version:
        return [field_invalid(path, addr, f"must be a valid IPv{version} address")]
    return non_special_ip(path, addr)


def validate_endpoint_slice(es: dict) -> list[FieldError]:
    """ValidateEndpointSlice."""
    errs = object_meta(es.get("metadata"), True, name_is_dns_subdomain)
    at = as_str(es.get("addressType"))
    if not at:
        errs.append(field_required(FieldPath("addressType"), ""))
    elif at not in _ADDRESS_TYPES:
        errs.append(field_not_supported(FieldPath("addressType"), at, _ADDRESS_TYPES))
    eps = as_list(es.get("endpoints"))
    ep_path = FieldPath("endpoints")
    if len(eps) > 1000:
        errs.append(field_too_many(ep_path, len(eps), 1000))
    else:
        for i, ep in enumerate(eps):
            ep = as_dict(ep)
            ip = ep_path.index(i)
            ap = ip.child("addresses")
            addrs = as_list(ep.get("addresses"))
            if not addrs:
                errs.append(field_required(ap, "must contain at least 1 address"))
            elif len(addrs) > 100:
                errs.append(field_too_many(ap, len(addrs), 100))
            for j, a in enumerate(addrs):
                a = as_str(a)
                if at == "IPv4":
                    errs += _ipv_address(ap.index(j), a, 4)
                elif at == "IPv6":
                    errs += _ipv_address(ap.index(j), a, 6)
                elif at == "FQDN":
                    errs += is_fully_qualified_domain_name(ap.index(j), a)
            nn = ep.get("nodeName")
            if isinstance(nn, str):
                errs += [field_invalid(ip.child("nodeName"), nn, m) for m in name_is_dns_subdomain(nn)]
            topo = as_dict(ep.get("deprecatedTopology"))
            tp = ip.child("deprecatedTopology")
            if len(topo) > 16:
                errs.append(field_too_many(tp, len(topo), 16))
            errs += validate_labels(topo, tp)
            zone = ep.get("zone")
            if isinstance(zone, str):
                errs += validate_label_name(zone, ip.child("zone"))
            hn = ep.get("hostname")
            if isinstance(hn, str):
                errs += [field_invalid(ip.child("hostname"), hn, m) for m in dns1123_label(hn)]
            hints = ep.get("hints")
            if isinstance(hints, dict):
                zp = ip.child("hints", "forZones")
                zones = as_list(hints.get("forZones"))
                if len(zones) > 8:
                    errs.append(field_too_many(zp, len(zones), 8))
                    continue
                seen: set[str] = set()
                for k, fz in enumerate(zones):
                    name = as_str(as_dict(fz).get("name"))
                    if name in seen:
                        errs.append(field_duplicate(zp.index(k), name))
                    else:
                        seen.add(name)
                    errs += validate_label_name(name, zp.index(k).child("name"))
    ports = as_list(es.get("ports"))
    pp = FieldPath("ports")
    if len(ports) > 20000:
        errs.append(field_too_many(pp, len(ports), 20000))
        return errs
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = as_dict(port)
        ip = pp.index(i)
        name = as_str(port.get("name"))
        if name:
            errs += [field_invalid(ip.child("name"), name, m) for m in dns1123_label(name)]
        if name in names:
            errs.append(field_duplicate(ip.child("name"), name))
        else:
            names.add(name)
        proto = port.get("protocol")
        if proto is None:
            errs.append(field_required(ip.child("protocol"), ""))
        elif proto not in ("SCTP", "TCP", "UDP"):
            errs.append(field_not_supported(ip.child("protocol"), proto, ("SCTP", "TCP", "UDP")))
        ap_ = port.get("appProtocol")
        if isinstance(ap_, str):
            errs += [field_invalid(ip.child("appProtocol"), ap_, m) for m in qualified_name(ap_)]
    return errs


def validate_endpoint_slice_update(new: dict, old: dict) -> list[FieldError]:
    errs = validate_endpoint_slice(new)
    errs += object_meta_update(new.get("metadata"), old.get("metadata"))
    na, oa = as_str(new.get("addressType")), as_str(old.get("addressType"))
    if na != oa:
        errs.append(field_invalid(FieldPath("addressType"), na, FIELD_IMMUTABLE))
    return errs

