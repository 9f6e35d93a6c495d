"""Prometheus metrics of the API server (``/metrics``, text exposition format 0.0.4).

Counters and a latency histogram per (verb, resource, code), plus gauges read at scrape time (watch cache sizes,
store revision). Recording is a dict update on the request path; rendering happens only when scraped.
"""

from __future__ import annotations

import resource as _resource
import time
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multidict import MultiMapping

    from .requestinfo import RequestInfo
    from .server import APIServer

__all__ = ["Metrics", "request_labels"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Request counters and latency histograms (not thread-safe: used from the event loop only)."""

    def __init__(self) -> None:
        self._count: dict[tuple[tuple[str, ...], int], int] = defaultdict(int)
        self._hist: dict[tuple[str, ...], list[float]] = {}
        self._started = time.time()

    def observe(self, labels: tuple[str, ...], code: int, seconds: float) -> None:
        """Count one request; ``labels`` from :func:`request_labels`."""
        self._count[(labels, code)] += 1
        h = self._hist.get(labels)
        if h is None:
            h = self._hist[labels] = [0.0] * (len(_BUCKETS) + 2)  # buckets.., +Inf count, sum
        for i, b in enumerate(_BUCKETS):
            if seconds <= b:
                h[i] += 1
        h[len(_BUCKETS)] += 1
        h[len(_BUCKETS) + 1] += seconds

    def render(self, server: "APIServer | None" = None) -> str:
        out: list[str] = [
            "# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, "
            "group, version, resource, scope, component, and HTTP response code.",
            "# TYPE apiserver_request_total counter",
        ]
        for (labels, code), n in sorted(self._count.items()):
            out.append(f'apiserver_request_total{{code="{code}",{_render(labels)}}} {n}')
        out += [
            "# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, dry run "
            "value, group, version, resource, subresource, scope and component.",
            "# TYPE apiserver_request_duration_seconds histogram",
        ]
        for labels, h in sorted(self._hist.items()):
            text = _render(labels)
            for i, b in enumerate(_BUCKETS):
                out.append(f'apiserver_request_duration_seconds_bucket{{{text},le="{b}"}} {int(h[i])}')
            out.append(f'apiserver_request_duration_seconds_bucket{{{text},le="+Inf"}} {int(h[len(_BUCKETS)])}')
            out.append(f"apiserver_request_duration_seconds_sum{{{text}}} {h[len(_BUCKETS) + 1]:.6f}")
            out.append(f"apiserver_request_duration_seconds_count{{{text}}} {int(h[len(_BUCKETS)])}")
        if server is not None:
            out += ["# HELP apiserver_storage_objects Number of stored objects per resource.",
                    "# TYPE apiserver_storage_objects gauge"]
            for (group, res), reg in sorted(server.registries.items()):
                name = f"{res}.{group}" if group else res
                out.append(f'apiserver_storage_objects{{resource="{name}"}} {len(reg.cache.items())}')
        rss = _rss_bytes()
        out += ["# HELP process_resident_memory_bytes Resident memory size in bytes.",
                "# TYPE process_resident_memory_bytes gauge", f"process_resident_memory_bytes {rss}",
                "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
                "# TYPE process_start_time_seconds gauge", f"process_start_time_seconds {self._started:.3f}"]
        return "\n".join(out) + "\n"


# upstream's label values: the HTTP method, GET split into GET and LIST, WATCH, APPLY and CONNECT told apart
_VERBS = frozenset({"APPLY", "CONNECT", "CREATE", "DELETE", "DELETECOLLECTION", "GET", "LIST", "PATCH", "POST",
                    "PROXY", "PUT", "UPDATE", "WATCH", "WATCHLIST", "HEAD", "OPTIONS"})
_CONNECT_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "proxy"})
_APPLY = "application/apply-patch+yaml"
# label order of a key: verb, dry_run, group, version, resource, subresource, scope
_LABEL_NAMES = ("verb", "dry_run", "group", "version", "resource", "subresource", "scope")


def request_labels(method: str, info: RequestInfo, query: MultiMapping[str], content_type: str) -> tuple[str, ...]:
    """The labels upstream's apiserver_request_total gives a request (``info`` its RequestInfo): scope ``resource``
    for a named object or a create, ``namespace``, ``cluster`` or empty; verb the HTTP method with GET/HEAD of a
    collection as LIST, watches as WATCH, apply patches as APPLY, exec/attach/portforward/proxy as CONNECT."""
    if info.is_resource and (info.name or info.verb == "create"):
        scope = "resource"
    elif info.namespace:
        scope = "namespace"
    elif info.is_resource:
        scope = "cluster"
    else:
        scope = ""
    verb = method.upper()
    if verb in ("GET", "HEAD") and scope not in ("resource", ""):
        verb = "LIST"
    if info.is_resource and info.verb in ("watch", "watchlist"):
        verb = "WATCH"
    elif verb == "PATCH" and content_type.split(";")[0].strip().lower() == _APPLY:
        verb = "APPLY"
    elif info.is_resource and info.subresource in _CONNECT_SUBRESOURCES:
        verb = "CONNECT"
    if verb not in _VERBS:
        verb = "other"
    dry_run = ",".join(sorted(set(query.getall("dryRun", []))))
    if not info.is_resource:
        return (verb, dry_run, "", "", "", "", "")
    return (verb, dry_run, info.group, info.version, info.resource, info.subresource, scope)


def _render(labels: tuple[str, ...]) -> str:
    named = dict(zip(_LABEL_NAMES, labels))
    named["component"] = "apiserver"
    return ",".join(f'{k}="{named[k]}"' for k in sorted(named))


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * 1024

