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
    from .server import APIServer

__all__ = ["Metrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Request counters and latency histograms (not thread-safe: used from the event loop only)."""

    def __init__(self) -> None:
        self._count: dict[tuple[str, str, int], int] = defaultdict(int)
        self._hist: dict[tuple[str, str], list[float]] = {}
        self._started = time.time()

    def observe(self, verb: str, resource: str, code: int, seconds: float) -> None:
        self._count[(verb, resource, code)] += 1
        h = self._hist.get((verb, resource))
        if h is None:
            h = self._hist[(verb, resource)] = [0.0] * (len(_BUCKETS) + 2)  # buckets.., +Inf count, sum
        for i, b in enumerate(_BUCKETS):
            if seconds <= b:
                h[i] += 1
        h[len(_BUCKETS)] += 1
        h[len(_BUCKETS) + 1] += seconds

    def render(self, server: "APIServer | None" = None) -> str:
        out: list[str] = [
            "# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and code.",
            "# TYPE apiserver_request_total counter",
        ]
        for (verb, res, code), n in sorted(self._count.items()):
            out.append(f'apiserver_request_total{{verb="{verb}",resource="{res}",code="{code}"}} {n}')
        out += [
            "# HELP apiserver_request_duration_seconds Response latency distribution in seconds.",
            "# TYPE apiserver_request_duration_seconds histogram",
        ]
        for (verb, res), h in sorted(self._hist.items()):
            labels = f'verb="{verb}",resource="{res}"'
            for i, b in enumerate(_BUCKETS):
                out.append(f'apiserver_request_duration_seconds_bucket{{{labels},le="{b}"}} {int(h[i])}')
            out.append(f'apiserver_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(h[len(_BUCKETS)])}')
            out.append(f"apiserver_request_duration_seconds_sum{{{labels}}} {h[len(_BUCKETS) + 1]:.6f}")
            out.append(f"apiserver_request_duration_seconds_count{{{labels}}} {int(h[len(_BUCKETS)])}")
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


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * 1024

