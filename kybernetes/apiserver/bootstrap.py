"""Objects every cluster has from its first start, made (or repaired) idempotently at each start.

Namespaces ``default``, ``kube-system``, ``kube-public``, ``kube-node-lease``; the ``kubernetes`` Service in
``default`` on the first address of each service CIDR, with its Endpoints and EndpointSlice pointing at the API
server; the PriorityClasses ``system-cluster-critical`` and ``system-node-critical``.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import socket
import struct
from typing import TYPE_CHECKING

from kybernetes.machinery import errors

if TYPE_CHECKING:
    from .server import APIServer

__all__ = ["ensure_defaults", "first_service_ips", "advertise_address"]

log = logging.getLogger("kybernetes.apiserver.bootstrap")

NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def first_service_ips(cidrs: tuple[str, ...]) -> list[str]:
    """The first usable address of each service CIDR (the ``kubernetes`` Service's ClusterIPs)."""
    out = []
    for c in cidrs:
        net = ipaddress.ip_network(c.strip(), strict=False)
        out.append(str(net.network_address + 1))
    return out


async def _ensure(server: "APIServer", group: str, resource: str, obj: dict) -> None:
    reg = server.registries[(group, resource)]
    md = obj["metadata"]
    try:
        await reg.get(md.get("namespace", ""), md["name"])
    except errors.StatusError as e:
        if e.code != 404:
            raise
        try:
            await reg.create(obj)
        except errors.StatusError as e2:
            if e2.reason != "AlreadyExists":
                raise


async def ensure_defaults(server: "APIServer") -> None:
    """Create the default objects that are missing (never overwrites user changes)."""
    for ns in NAMESPACES:
        await _ensure(server, "", "namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
        })
    for name, value, desc in (
        ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their "
                                             "current node."),
        ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but "
                                                "can be moved to another node if necessary."),
    ):
        await _ensure(server, "scheduling.k8s.io", "priorityclasses", {
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, "globalDefault": False, "description": desc,
            "preemptionPolicy": "PreemptLowerPriority",
        })
    ips = first_service_ips(server.config.service_cidrs)
    families = ["IPv6" if ":" in ip else "IPv4" for ip in ips]
    await _ensure(server, "", "services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {
            "type": "ClusterIP", "clusterIP": ips[0], "clusterIPs": ips, "sessionAffinity": "None",
            "ipFamilies": families, "ipFamilyPolicy": "RequireDualStack" if len(ips) > 1 else "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": server.config.secure_port}],
        },
        "status": {"loadBalancer": {}},
    })
    address = advertise_address(server.config.advertise_address, server.config.bind_address)
    if address is None:
        log.warning("no non-loopback address to advertise: the kubernetes Endpoints are not published")
        return
    await _ensure(server, "", "endpoints", {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": address}],
                     "ports": [{"name": "https", "port": server.config.secure_port, "protocol": "TCP"}]}],
    })
    await _ensure(server, "discovery.k8s.io", "endpointslices", {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv6" if ":" in address else "IPv4",
        "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": server.config.secure_port, "protocol": "TCP"}],
    })


def _default_route_interface() -> str | None:
    try:
        with open("/proc/net/route") as f:
            next(f)
            for line in f:
                fields = line.split()
                if len(fields) > 2 and fields[1] == "00000000":
                    return fields[0]
    except (OSError, StopIteration):
        return None
    return None


def _interface_ipv4(ifname: str) -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", ifname[:15].encode()))  # SIOCGIFADDR
        return socket.inet_ntoa(packed[20:24])
    except OSError:
        return None


def advertise_address(configured: str, bind_address: str) -> str | None:
    """The address the ``kubernetes`` Endpoints name, as upstream picks it: ``--advertise-address``, else the bind
    address, else (loopback or wildcard binds) the address of the default route's interface. Endpoints may not
    hold loopback addresses, so None when nothing else exists. Reads local interface state only; sends nothing."""
    for candidate in (configured, bind_address):
        if candidate and candidate not in ("0.0.0.0", "::"):
            try:
                if not ipaddress.ip_address(candidate).is_loopback:
                    return candidate
            except ValueError:
                continue
    iface = _default_route_interface()
    return _interface_ipv4(iface) if iface else None
