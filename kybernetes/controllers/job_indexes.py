"""Completion indexes of Indexed Jobs: which indexes succeeded, failed, or still need a pod.

An Indexed Job with ``completions: n`` is done when every index ``0..n-1`` has one succeeded pod.  Each pod carries
its index in the annotation (and, since PodIndexLabel went GA, the label) ``batch.kubernetes.io/job-completion-index``,
a hostname ``<job>-<index>`` and the environment variable ``JOB_COMPLETION_INDEX`` read from that label through the
downward API.  Sets of indexes travel in the Job status in a compressed text form, ``"1,3-5,7"`` (two neighbours
are written ``"3,4"``, three or more as a range), held here as :class:`Intervals`: sorted, non-overlapping,
non-adjacent ``(first, last)`` pairs.

With ``backoffLimitPerIndex`` each pod also carries ``batch.kubernetes.io/job-index-failure-count`` (failures of
its index before it, counted against the limit) and ``...-index-ignored-failure-count`` (failures a pod failure
policy rule said to ignore); the replacement pod inherits the counts of the failed pod it replaces.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

__all__ = [
    "COMPLETION_INDEX_ANNOTATION", "INDEX_FAILURE_COUNT_ANNOTATION", "INDEX_IGNORED_FAILURE_COUNT_ANNOTATION",
    "COMPLETION_INDEX_ENV", "Intervals", "completion_index", "add_completion_index_env", "pod_generate_name",
    "index_failure_count", "index_ignored_failure_count", "MAX_GENERATED_NAME_LENGTH",
]

COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-ignored-failure-count"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
MAX_GENERATED_NAME_LENGTH = 58  # 63 minus the 5 random characters the API server appends
_MAX_INT32 = 2**31 - 1


class Intervals:
    """An immutable ordered set of indexes kept as merged ``(first, last)`` intervals."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[tuple[int, int]] = ()) -> None:
        self.items: tuple[tuple[int, int], ...] = tuple(items)

    @classmethod
    def parse(cls, text: str | None, completions: int) -> Intervals:
        """Read ``"1,3-5"``; intervals at or past ``completions`` are cut off, corrupt pieces skipped (as
        upstream's parseIndexesFromString, which logs and ignores them)."""
        out: list[tuple[int, int]] = []
        if not text:
            return cls()
        for piece in text.split(","):
            limits = piece.split("-")
            try:
                first = int(limits[0])
            except ValueError:
                continue
            if first >= completions:
                break
            if len(limits) > 1:
                try:
                    last = int(limits[1])
                except ValueError:
                    continue
                last = min(last, completions - 1)
            else:
                last = first
            if out and out[-1][1] == first - 1:
                out[-1] = (out[-1][0], last)
            else:
                out.append((first, last))
        return cls(out)

    def merge(self, other: Intervals) -> Intervals:
        """The union of two interval sets."""
        out: list[tuple[int, int]] = []
        for first, last in sorted(self.items + other.items):
            if out and first <= out[-1][1] + 1:
                if last > out[-1][1]:
                    out[-1] = (out[-1][0], last)
            else:
                out.append((first, last))
        return Intervals(out)

    def with_indexes(self, indexes: Iterable[int]) -> Intervals:
        """The union with single indexes."""
        return self.merge(Intervals((i, i) for i in sorted(set(indexes))))

    def total(self) -> int:
        return sum(last - first + 1 for first, last in self.items)

    def has(self, ix: int) -> bool:
        lo, hi = 0, len(self.items)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.items[mid][1] >= ix:
                hi = mid
            else:
                lo = mid + 1
        return hi < len(self.items) and self.items[hi][0] <= ix

    def __iter__(self):
        for first, last in self.items:
            yield from range(first, last + 1)

    def __len__(self) -> int:
        return len(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Intervals) and self.items == other.items

    def __repr__(self) -> str:
        return f"Intervals({self!s})"

    def __str__(self) -> str:
        parts = []
        for first, last in self.items:
            if last == first:
                parts.append(str(first))
            elif last == first + 1:
                parts.append(f"{first},{last}")
            else:
                parts.append(f"{first}-{last}")
        return ",".join(parts)


def completion_index(pod: dict[str, Any]) -> int | None:
    """The pod's completion index from its annotation; None when missing, not a number or negative."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(COMPLETION_INDEX_ANNOTATION)
    try:
        ix = int(value) if value is not None else -1
    except (TypeError, ValueError):
        return None
    return ix if ix >= 0 else None


def _count_annotation(pod: dict[str, Any], key: str) -> int:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(key)
    try:
        n = int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0
    return n if 0 <= n <= _MAX_INT32 else 0


def index_failure_count(pod: dict[str, Any]) -> int:
    """``job-index-failure-count`` as a number (0 when missing, bad or out of int32 range)."""
    return _count_annotation(pod, INDEX_FAILURE_COUNT_ANNOTATION)


def index_ignored_failure_count(pod: dict[str, Any]) -> int:
    return _count_annotation(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)


def add_completion_index_env(template: dict[str, Any]) -> None:
    """Give every container and init container of ``template`` (a PodTemplateSpec, mutated) the
    ``JOB_COMPLETION_INDEX`` variable read from the index label, unless it already defines one."""
    spec = template.get("spec") or {}
    ref = {"fieldRef": {"fieldPath": f"metadata.labels['{COMPLETION_INDEX_ANNOTATION}']"}}
    for group in ("initContainers", "containers"):
        for c in spec.get(group) or ():
            env = c.setdefault("env", [])
            if any(v.get("name") == COMPLETION_INDEX_ENV for v in env):
                continue
            env.append({"name": COMPLETION_INDEX_ENV, "valueFrom": copy.deepcopy(ref)})


def pod_generate_name(job_name: str, index: int) -> str:
    """``<job>-<index>-``, the job name cut so the generated name stays within 63 characters."""
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > MAX_GENERATED_NAME_LENGTH:
        prefix = prefix[:MAX_GENERATED_NAME_LENGTH - len(suffix)] + suffix
    return prefix
