"""A pod's DNS configuration (its /etc/resolv.conf), from ``dnsPolicy`` and ``dnsConfig`` as upstream computes it.

- ``ClusterFirst`` (the default): the cluster DNS servers (``--cluster-dns``), searches ``<ns>.svc.<domain>``,
  ``svc.<domain>``, ``<domain>`` then the node's own searches, ``options ndots:5``.  A host-network pod gets the
  node's configuration instead, unless the policy is ``ClusterFirstWithHostNet``.  Without cluster DNS servers the
  pod falls back to the node's configuration.
- ``Default``: the node's resolv.conf.
- ``None``: only what ``dnsConfig`` says.
``dnsConfig`` then adds nameservers and searches (duplicates dropped) and options (by name, later wins).  At most 3
nameservers and 32 search domains are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kybernetes.cri.api import DNSConfig

__all__ = ["HostResolv", "parse_resolv_conf", "pod_dns_config", "MAX_NAMESERVERS", "MAX_SEARCHES"]

MAX_NAMESERVERS = 3
MAX_SEARCHES = 32


@dataclass
class HostResolv:
    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


def parse_resolv_conf(text: str) -> HostResolv:
    """The nameservers, search domains and options of a resolv.conf."""
    out = HostResolv()
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        word, *rest = line.split()
        if word == "nameserver" and rest:
            out.nameservers.append(rest[0])
        elif word in ("search", "domain"):
            out.searches = [s.rstrip(".") for s in rest] if word == "search" else [rest[0].rstrip(".")] if rest \
                else []
        elif word == "options":
            out.options.extend(rest)
    return out


def _dedupe(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _merge_options(base: Sequence[str], extra: Sequence[Mapping[str, Any]]) -> list[str]:
    opts: dict[str, str | None] = {}
    for o in base:
        name, _, value = o.partition(":")
        opts[name] = value if _ else None
    for o in extra:
        opts[o.get("name", "")] = o.get("value")
    return [k if v is None else f"{k}:{v}" for k, v in opts.items() if k]


def pod_dns_config(pod: Mapping[str, Any], *, cluster_dns: Sequence[str], cluster_domain: str,
                   host: HostResolv) -> tuple[DNSConfig, str | None]:
    """The pod's DNS config and a warning (e.g. the MissingClusterDNS event message) or None."""
    spec = pod.get("spec") or {}
    ns = (pod.get("metadata") or {}).get("namespace", "")
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    warning = None
    if policy == "ClusterFirst" and spec.get("hostNetwork"):
        policy = "Default"
    if policy == "ClusterFirstWithHostNet":
        policy = "ClusterFirst"
    if policy == "ClusterFirst" and not cluster_dns:
        warning = ("pod: %s. kubelet does not have ClusterDNS IP configured and cannot create Pod using "
                   '"ClusterFirst" policy. Falling back to "Default" policy.' % (pod.get("metadata") or {})
                   .get("name", ""))
        policy = "Default"
    cfg = DNSConfig()
    if policy == "ClusterFirst":
        cfg.servers = list(cluster_dns)
        cfg.searches = [f"{ns}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain, *host.searches]
        cfg.options = ["ndots:5"]
    elif policy == "Default":
        cfg.servers = list(host.nameservers)
        cfg.searches = list(host.searches)
        cfg.options = list(host.options)
    dc = spec.get("dnsConfig") or {}
    cfg.servers = _dedupe([*cfg.servers, *(dc.get("nameservers") or ())])[:MAX_NAMESERVERS]
    cfg.searches = _dedupe([*cfg.searches, *(dc.get("searches") or ())])[:MAX_SEARCHES]
    cfg.options = _merge_options(cfg.options, dc.get("options") or ())
    return cfg, warning
