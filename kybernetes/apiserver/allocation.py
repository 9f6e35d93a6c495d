"""Service address and port allocation at admission: ClusterIPs from the service CIDRs, NodePorts from 30000-32767.

The allocator's state is the set of addresses and ports held by stored Services (loaded from the watch cache at
start) plus those reserved by writes in flight. Everything runs on the event loop without awaiting, so concurrent
creates can never take the same address; a write that fails returns what it reserved (``Reservation.undo``), and
one that succeeds frees what the old object held and the new one no longer does (``Reservation.commit``).

Rules as upstream 1.32: ExternalName Services get no ClusterIP; ``clusterIP: None`` is headless; a requested IP
must lie in a service CIDR and be free; ``ipFamilyPolicy`` (SingleStack, PreferDualStack, RequireDualStack) and
``ipFamilies`` decide how many families are allocated; NodePort and LoadBalancer Services get a node port per
port (requested ones must be free), LoadBalancer with ``externalTrafficPolicy: Local`` a healthCheckNodePort.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kybernetes.machinery import errors
from kybernetes.machinery.errors import FieldError, field_invalid

__all__ = ["ServiceAllocator", "Reservation", "IPRange", "PortRange"]

NODE_PORT_RANGE = (30000, 32767)


class IPRange:
    """Free/used bookkeeping of one service CIDR (network and broadcast addresses excluded for IPv4)."""

    def __init__(self, cidr: str) -> None:
        self.net = ipaddress.ip_network(cidr, strict=False)
        self.family = "IPv6" if self.net.version == 6 else "IPv4"
        self.first = int(self.net.network_address) + 1
        last = int(self.net.broadcast_address) - (1 if self.net.version == 4 else 0)
        self.size = max(0, min(last - self.first + 1, 1 << 20))  # upstream caps v6 ranges too
        self.used: set[int] = set()

    def contains(self, ip: str) -> bool:
        try:
            a = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return a.version == self.net.version and self.first <= int(a) < self.first + self.size

    def take(self, ip: str) -> bool:
        n = int(ipaddress.ip_address(ip))
        if n in self.used:
            return False
        self.used.add(n)
        return True

    def next_free(self) -> str | None:
        if len(self.used) >= self.size:
            return None
        # upstream prefers the upper band for dynamic allocation; a random start keeps collisions rare
        start = random.randrange(self.size)
        for i in range(self.size):
            n = self.first + (start + i) % self.size
            if n not in self.used:
                self.used.add(n)
                return str(ipaddress.ip_address(n))
        return None

    def release(self, ip: str) -> None:
        try:
            self.used.discard(int(ipaddress.ip_address(ip)))
        except ValueError:
            pass


class PortRange:
    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.used: set[int] = set()

    def contains(self, port: int) -> bool:
        return self.lo <= port <= self.hi

    def take(self, port: int) -> bool:
        if port in self.used:
            return False
        self.used.add(port)
        return True

    def next_free(self) -> int | None:
        size = self.hi - self.lo + 1
        if len(self.used) >= size:
            return None
        start = random.randrange(size)
        for i in range(size):
            p = self.lo + (start + i) % size
            if p not in self.used:
                self.used.add(p)
                return p
        return None

    def release(self, port: int) -> None:
        self.used.discard(port)


@dataclass(slots=True)
class Reservation:
    """What one write reserved (undo on failure) and what it frees once stored (commit on success)."""

    ips: list[tuple[IPRange, str]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    release_on_commit: Callable[[], None] | None = None
    _ports: PortRange | None = None

    def undo(self) -> None:
        for rng, ip in self.ips:
            rng.release(ip)
        if self._ports is not None:
            for p in self.ports:
                self._ports.release(p)
        self.ips.clear()
        self.ports.clear()

    def commit(self) -> None:
        if self.release_on_commit is not None:
            self.release_on_commit()


def _ips_of(svc: dict) -> list[str]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [ip for ip in ips if ip and ip != "None"]


def _node_ports_of(svc: dict) -> list[int]:
    spec = svc.get("spec") or {}
    out = [p["nodePort"] for p in spec.get("ports") or [] if isinstance(p, dict) and p.get("nodePort")]
    if spec.get("healthCheckNodePort"):
        out.append(spec["healthCheckNodePort"])
    return out


class ServiceAllocator:
    """ClusterIP and NodePort allocation for Services (see module docstring)."""

    def __init__(self, cidrs: Iterable[str], node_ports: tuple[int, int] = NODE_PORT_RANGE) -> None:
        self.ranges = [IPRange(c) for c in cidrs]
        self.ports = PortRange(*node_ports)

    @property
    def families(self) -> list[str]:
        return [r.family for r in self.ranges]

    def _range(self, family: str) -> IPRange | None:
        return next((r for r in self.ranges if r.family == family), None)

    def load(self, services: Iterable[dict]) -> None:
        """Mark what stored Services hold (at start, from the watch cache)."""
        for svc in services:
            for ip in _ips_of(svc):
                for r in self.ranges:
                    if r.contains(ip):
                        r.take(ip)
            for p in _node_ports_of(svc):
                if self.ports.contains(p):
                    self.ports.take(p)

    # -- create ------------------------------------------------------------------------------------------
    def allocate(self, svc: dict, old: dict | None = None) -> Reservation:
        """Fill in ClusterIPs, families and node ports of ``svc`` (mutated); raises 422 Invalid on conflicts."""
        res = Reservation(_ports=self.ports)
        try:
            self._allocate(svc, old, res)
        except BaseException:
            res.undo()
            raise
        if old is not None:
            keep_ips = set(_ips_of(svc))
            keep_ports = set(_node_ports_of(svc))
            gone_ips = [ip for ip in _ips_of(old) if ip not in keep_ips]
            gone_ports = [p for p in _node_ports_of(old) if p not in keep_ports]

            def release() -> None:
                for ip in gone_ips:
                    for r in self.ranges:
                        if r.contains(ip):
                            r.release(ip)
                for p in gone_ports:
                    self.ports.release(p)

            res.release_on_commit = release
        return res

    def release(self, svc: dict) -> None:
        """Return everything a deleted Service held."""
        for ip in _ips_of(svc):
            for r in self.ranges:
                if r.contains(ip):
                    r.release(ip)
        for p in _node_ports_of(svc):
            self.ports.release(p)

    def _invalid(self, svc: dict, errs: list[FieldError]) -> errors.StatusError:
        return errors.invalid("", "Service", (svc.get("metadata") or {}).get("name", ""), errs)

    def _allocate(self, svc: dict, old: dict | None, res: Reservation) -> None:
        spec = svc.setdefault("spec", {})
        stype = spec.get("type") or "ClusterIP"
        old_spec = (old or {}).get("spec") or {}
        if stype == "ExternalName":
            for k in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if old is None or k not in old_spec:
                    spec.pop(k, None)
        else:
            self._allocate_ips(svc, spec, old_spec, old is not None, res)
        self._allocate_node_ports(svc, spec, old_spec, stype, res)

    def _allocate_ips(self, svc: dict, spec: dict, old_spec: dict, updating: bool, res: Reservation) -> None:
        if updating and old_spec.get("clusterIPs") and (old_spec.get("type") or "ClusterIP") != "ExternalName":
            # ClusterIPs are immutable (validation reports changes); carry over what was allocated
            spec.setdefault("clusterIP", old_spec.get("clusterIP"))
            spec.setdefault("clusterIPs", old_spec.get("clusterIPs"))
            spec.setdefault("ipFamilies", old_spec.get("ipFamilies"))
            spec.setdefault("ipFamilyPolicy", old_spec.get("ipFamilyPolicy"))
            return
        requested = list(spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []))
        if spec.get("clusterIP") and requested and spec["clusterIP"] != requested[0]:
            raise self._invalid(svc, [field_invalid("spec.clusterIPs", requested,
                                                    "element [0] must match clusterIP")])
        headless = bool(requested) and requested[0] == "None"
        policy = spec.get("ipFamilyPolicy") or ""
        families = list(spec.get("ipFamilies") or [])
        for ip in requested:
            if ip != "None":
                fam = "IPv6" if ":" in ip else "IPv4"
                if fam not in families:
                    families.append(fam)
        if not families:
            families = [self.families[0]]
        if not policy:
            policy = "SingleStack" if len(families) < 2 else "RequireDualStack"
        if policy not in ("SingleStack", "PreferDualStack", "RequireDualStack"):
            raise self._invalid(svc, [errors.field_not_supported(
                "spec.ipFamilyPolicy", policy, ["PreferDualStack", "RequireDualStack", "SingleStack"])])
        if policy != "SingleStack" and len(families) == 1:
            other = next((f for f in self.families if f != families[0]), None)
            if other:
                families.append(other)
            elif policy == "RequireDualStack" and not headless:
                raise self._invalid(svc, [field_invalid(
                    "spec.ipFamilyPolicy", policy,
                    "this cluster is not configured for dual-stack services")])
        if policy == "SingleStack":
            families = families[:1]
        for fam in families:
            if self._range(fam) is None and not headless:
                raise self._invalid(svc, [errors.field_not_supported(
                    f"spec.ipFamilies[{families.index(fam)}]", fam, self.families)])
        spec["ipFamilies"] = families
        spec["ipFamilyPolicy"] = policy
        if headless:
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
            return
        allocated: list[str] = []
        for i, fam in enumerate(families):
            rng = self._range(fam)
            assert rng is not None
            want = requested[i] if i < len(requested) else ""
            if want:
                if not rng.contains(want):
                    raise self._invalid(svc, [field_invalid(
                        "spec.clusterIPs", requested,
                        f"failed to allocate IP {want}: the provided IP ({want}) is not in the valid range. The "
                        f"range of valid IPs is {rng.net}")])
                if not rng.take(want):
                    raise self._invalid(svc, [field_invalid(
                        "spec.clusterIPs", requested,
                        f"failed to allocate IP {want}: provided IP is already allocated")])
                res.ips.append((rng, want))
                allocated.append(str(ipaddress.ip_address(want)))
            else:
                ip = rng.next_free()
                if ip is None:
                    raise errors.internal_error("failed to allocate a serviceIP: range is full")
                res.ips.append((rng, ip))
                allocated.append(ip)
        spec["clusterIP"] = allocated[0]
        spec["clusterIPs"] = allocated

    def _allocate_node_ports(self, svc: dict, spec: dict, old_spec: dict, stype: str, res: Reservation) -> None:
        ports = spec.get("ports") or []
        wants_node_ports = stype in ("NodePort", "LoadBalancer") and not (
            stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False)
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                     for p in old_spec.get("ports") or [] if isinstance(p, dict)}
        old_held = set(_node_ports_of({"spec": old_spec}))
        for i, p in enumerate(ports):
            if not isinstance(p, dict):
                continue
            if not wants_node_ports:
                if stype in ("ClusterIP", "ExternalName") and p.get("nodePort"):
                    if stype == "ClusterIP":
                        raise self._invalid(svc, [errors.field_forbidden(
                            f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'")])
                continue
            np = p.get("nodePort")
            if not np:
                carried = old_ports.get((p.get("port"), p.get("protocol", "TCP")))
                if carried:
                    p["nodePort"] = carried
                    continue
                # ports of one number on TCP and UDP share a node port upstream; keep it simple: one each
                got = self.ports.next_free()
                if got is None:
                    raise errors.internal_error("failed to allocate a nodePort: range is full")
                res.ports.append(got)
                p["nodePort"] = got
                continue
            if np in old_held:
                continue
            if not self.ports.contains(np):
                raise self._invalid(svc, [field_invalid(
                    f"spec.ports[{i}].nodePort", np,
                    f"provided port is not in the valid range. The range of valid ports is "
                    f"{self.ports.lo}-{self.ports.hi}")])
            if not self.ports.take(np):
                raise self._invalid(svc, [field_invalid(f"spec.ports[{i}].nodePort", np,
                                                        "provided port is already allocated")])
            res.ports.append(np)
        if (stype == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
                and not spec.get("healthCheckNodePort")):
            held = old_spec.get("healthCheckNodePort")
            if held:
                spec["healthCheckNodePort"] = held
            else:
                got = self.ports.next_free()
                if got is None:
                    raise errors.internal_error("failed to allocate a nodePort: range is full")
                res.ports.append(got)
                spec["healthCheckNodePort"] = got

