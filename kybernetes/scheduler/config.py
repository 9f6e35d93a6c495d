"""KubeSchedulerConfiguration (``kubescheduler.config.k8s.io/v1``): parsing, upstream's defaults, validation.

A configuration file is YAML (or JSON).  Decoding is strict as upstream's: unknown fields and wrong types are
errors.  Defaulting follows upstream's v1 defaults:

- ``parallelism`` 16, ``percentageOfNodesToScore`` 0 (adaptive: 50% - nodes/125, at least 5%, at least 100 nodes,
  see :func:`num_feasible_nodes_to_find`), ``podInitialBackoffSeconds`` 1, ``podMaxBackoffSeconds`` 10;
- leader election on, Lease ``kube-system/kube-scheduler``, 15 s lease, 10 s renew deadline, 2 s retry period;
- one profile named ``default-scheduler`` when none is given (a single unnamed profile gets that name);
- each profile's plugins are merged into the default set (all default plugins enabled through ``multiPoint``):
  a plugin disabled at a point (``"*"`` disables all defaults there) leaves that point, a default plugin enabled
  again is re-configured in place (its new weight), other enabled plugins are appended;
- every plugin with arguments gets its default arguments (``NodeResourcesFit`` scores with ``LeastAllocated``
  over cpu and memory, ``PodTopologySpread`` uses ``System`` defaulting, ...), and configured arguments are
  completed with the defaults of the fields they leave out.

Validation renders upstream's field errors (``profiles[0].schedulerName: Required value``); all errors of a file
are reported together in one :class:`ConfigError`.  Which extension points a ``multiPoint`` plugin joins depends on
the plugin's class, so that expansion happens when the framework is built (``scheduler/profile.py``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kybernetes.machinery.errors import (FieldError, field_duplicate, field_forbidden, field_invalid,
                                         field_not_supported, field_required)

__all__ = ["API_VERSION", "KIND", "DEFAULT_SCHEDULER_NAME", "EXTENSION_POINTS", "DEFAULT_PLUGINS", "ConfigError",
           "PluginRef", "PluginSet", "Profile", "LeaderElection", "SchedulerConfig", "parse_config", "load_config",
           "default_config", "parse_duration", "num_feasible_nodes_to_find", "default_plugin_args"]

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
DEFAULT_SCHEDULER_NAME = "default-scheduler"

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
MAX_CUSTOM_PRIORITY_SCORE = 10

# config key -> framework extension point name (scheduler/framework.py)
EXTENSION_POINTS: dict[str, str] = {
    "preEnqueue": "pre_enqueue", "queueSort": "queue_sort", "preFilter": "pre_filter", "filter": "filter",
    "postFilter": "post_filter", "preScore": "pre_score", "score": "score", "reserve": "reserve",
    "permit": "permit", "preBind": "pre_bind", "bind": "bind", "postBind": "post_bind",
}

# Upstream's v1 default plugin set (all through multiPoint), minus the volume plugins Kybernetes does not have.
DEFAULT_PLUGINS: tuple[tuple[str, int | None], ...] = (
    ("SchedulingGates", None),
    ("PrioritySort", None),
    ("NodeUnschedulable", None),
    ("NodeName", None),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", None),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", None),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", None),
)

_SCORING_STRATEGIES = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")


class ConfigError(ValueError):
    """An invalid configuration; ``errors`` holds the field errors (rendered together in the message)."""

    def __init__(self, errors: list[FieldError | str]) -> None:
        self.errors = errors
        texts = [str(e) for e in errors]
        super().__init__(texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]")


@dataclass(frozen=True, slots=True)
class PluginRef:
    """One enabled plugin; ``weight`` only matters for Score (None: not given)."""

    name: str
    weight: int | None = None


@dataclass(slots=True)
class PluginSet:
    enabled: list[PluginRef] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Profile:
    """One scheduling profile: the plugins per extension point (config keys, plus ``multiPoint``) after merging
    with the defaults, and every plugin's arguments (defaults applied)."""

    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    percentage_of_nodes_to_score: int | None = None
    plugins: dict[str, PluginSet] = field(default_factory=dict)
    plugin_config: dict[str, dict[str, Any]] = field(default_factory=dict)

    def plugin_set(self, point: str) -> PluginSet:
        """The PluginSet of config key ``point`` (``multiPoint``, ``filter``...), empty when absent."""
        return self.plugins.get(point) or PluginSet()


@dataclass(slots=True)
class LeaderElection:
    leader_elect: bool = True
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    resource_lock: str = "leases"
    resource_name: str = "kube-scheduler"
    resource_namespace: str = "kube-system"


@dataclass(slots=True)
class SchedulerConfig:
    parallelism: int = 16
    percentage_of_nodes_to_score: int = 0
    pod_initial_backoff_seconds: int = 1
    pod_max_backoff_seconds: int = 10
    profiles: list[Profile] = field(default_factory=list)
    leader_election: LeaderElection = field(default_factory=LeaderElection)
    qps: float = 50.0
    burst: int = 100
    content_type: str = "application/vnd.kubernetes.protobuf"
    enable_profiling: bool = True
    enable_contention_profiling: bool = True
    delay_cache_until_active: bool = False

    def profile(self, scheduler_name: str) -> Profile | None:
        for p in self.profiles:
            if p.scheduler_name == scheduler_name:
                return p
        return None


# -- durations ---------------------------------------------------------------------------------------------------

_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: Any) -> float:
    """A Go duration (``15s``, ``1m30s``, ``250ms``, ``0``) in seconds; ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"time: invalid duration {text!r}")
    s = text.strip()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    pos, total = 0, 0.0
    for m in _DURATION_RE.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


# -- strict decoding helpers -------------------------------------------------------------------------------------

class _Decoder:
    """Collects errors while walking the document."""

    def __init__(self) -> None:
        self.errors: list[FieldError | str] = []

    def obj(self, value: Any, path: str, known: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.errors.append(field_invalid(path or "<root>", value, "must be an object"))
            return {}
        for k in value:
            if k not in known:
                self.errors.append(f'unknown field "{path + "." if path else ""}{k}"')
        return value

    def list(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(field_invalid(path, value, "must be a list"))
            return []
        return value

    def int(self, value: Any, path: str, default: int | None) -> int | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append(field_invalid(path, value, "must be an integer"))
            return default
        return value

    def number(self, value: Any, path: str, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.errors.append(field_invalid(path, value, "must be a number"))
            return default
        return float(value)

    def bool(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.errors.append(field_invalid(path, value, "must be a boolean"))
            return default
        return value

    def str(self, value: Any, path: str, default: str) -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            self.errors.append(field_invalid(path, value, "must be a string"))
            return default
        return value

    def duration(self, value: Any, path: str, default: float) -> float:
        if value is None:
            return default
        try:
            return parse_duration(value)
        except ValueError as e:
            self.errors.append(field_invalid(path, value, str(e)))
            return default


# -- plugin sets -------------------------------------------------------------------------------------------------

def _parse_plugin_set(d: _Decoder, value: Any, path: str) -> PluginSet:
    doc = d.obj(value, path, ("enabled", "disabled"))
    ps = PluginSet()
    for i, item in enumerate(d.list(doc.get("enabled"), f"{path}.enabled")):
        p = f"{path}.enabled[{i}]"
        it = d.obj(item, p, ("name", "weight"))
        name = d.str(it.get("name"), f"{p}.name", "")
        if not name:
            d.errors.append(field_required(f"{p}.name", ""))
            continue
        weight = d.int(it.get("weight"), f"{p}.weight", None)
        ps.enabled.append(PluginRef(name, weight))
    for i, item in enumerate(d.list(doc.get("disabled"), f"{path}.disabled")):
        p = f"{path}.disabled[{i}]"
        it = d.obj(item, p, ("name", "weight"))
        name = d.str(it.get("name"), f"{p}.name", "")
        if name:
            ps.disabled.append(name)
    return ps


def _merge_plugin_set(default: PluginSet, custom: PluginSet) -> PluginSet:
    """Upstream's mergePluginSet: disabled defaults leave, re-enabled defaults are replaced in place, other custom
    plugins are appended (duplicates are left for the framework to reject)."""
    disabled = set(custom.disabled) | set(default.disabled)
    custom_by_name: dict[str, int] = {}
    for i, p in enumerate(custom.enabled):
        custom_by_name[p.name] = i
    replaced: set[int] = set()
    enabled: list[PluginRef] = []
    if "*" not in disabled:
        for p in default.enabled:
            if p.name in disabled:
                continue
            idx = custom_by_name.get(p.name)
            if idx is not None:
                p = custom.enabled[idx]
                replaced.add(idx)
            enabled.append(p)
    for i, p in enumerate(custom.enabled):
        if i not in replaced:
            enabled.append(p)
    return PluginSet(enabled, list(custom.disabled) + list(default.disabled))


def _default_plugins() -> dict[str, PluginSet]:
    return {"multiPoint": PluginSet([PluginRef(n, w) for n, w in DEFAULT_PLUGINS])}


# -- plugin arguments --------------------------------------------------------------------------------------------

def _resources_default(resources: Any) -> list[dict[str, Any]]:
    if not resources:
        return [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
    out = []
    for r in resources:
        r = dict(r) if isinstance(r, dict) else {"name": r}
        if not r.get("weight"):
            r["weight"] = 1
        out.append(r)
    return out


def default_plugin_args(name: str, args: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """``args`` completed with upstream's v1 defaults for plugin ``name`` (a new dict), or None when the plugin
    takes no arguments and none were given."""
    a = copy.deepcopy(args) if args else {}
    a.pop("apiVersion", None)
    a.pop("kind", None)
    if name == "NodeResourcesFit":
        strategy = a.get("scoringStrategy")
        if strategy is None:
            a["scoringStrategy"] = {"type": "LeastAllocated", "resources": _resources_default(None)}
        elif isinstance(strategy, dict):
            strategy.setdefault("type", "LeastAllocated")
            strategy["resources"] = _resources_default(strategy.get("resources"))
    elif name == "NodeResourcesBalancedAllocation":
        a["resources"] = _resources_default(a.get("resources"))
    elif name == "PodTopologySpread":
        if not a.get("defaultingType"):
            a["defaultingType"] = "System"
        a.setdefault("defaultConstraints", [])
    elif name == "InterPodAffinity":
        if a.get("hardPodAffinityWeight") is None:
            a["hardPodAffinityWeight"] = 1
        a.setdefault("ignorePreferredTermsOfExistingPods", False)
    elif name == "DefaultPreemption":
        if a.get("minCandidateNodesPercentage") is None:
            a["minCandidateNodesPercentage"] = 10
        if a.get("minCandidateNodesAbsolute") is None:
            a["minCandidateNodesAbsolute"] = 100
    elif name == "NodeAffinity":
        pass
    elif not a and args is None:
        return None
    return a


_LABEL_NAME_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                            r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _validate_resources(errs: list, resources: list[dict[str, Any]], path: str) -> None:
    for i, r in enumerate(resources):
        w = r.get("weight")
        if not isinstance(w, int) or w <= 0 or w > 100:
            errs.append(field_invalid(f"{path}[{i}].weight", w,
                                      f"resource weight of {r.get('name', '')} not in valid range (0, 100]"))


def _validate_shape(errs: list, shape: Any, path: str) -> None:
    if not shape:
        errs.append(field_required(path, "at least one point must be specified"))
        return
    for i in range(1, len(shape)):
        if shape[i - 1].get("utilization", 0) >= shape[i].get("utilization", 0):
            errs.append(field_invalid(f"{path}[{i}].utilization", shape[i].get("utilization", 0),
                                      "values must be sorted in increasing order"))
            break
    for i, pt in enumerate(shape):
        u, s = pt.get("utilization", 0), pt.get("score", 0)
        if not 0 <= u <= 100:
            errs.append(field_invalid(f"{path}[{i}].utilization", u, "not in valid range [0, 100]"))
        if not 0 <= s <= MAX_CUSTOM_PRIORITY_SCORE:
            errs.append(field_invalid(f"{path}[{i}].score", s, f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"))


def _validate_plugin_args(name: str, a: dict[str, Any], path: str) -> list[FieldError | str]:
    """Upstream's ValidateXxxArgs for the plugins that take arguments."""
    errs: list[FieldError | str] = []
    if name == "NodeResourcesFit":
        sp = f"{path}.scoringStrategy"
        strategy = a.get("scoringStrategy")
        if not isinstance(strategy, dict):
            errs.append(field_required(sp, "ScoringStrategy field is required"))
        else:
            t = strategy.get("type")
            if t not in _SCORING_STRATEGIES:
                errs.append(field_not_supported(f"{sp}.type", t, sorted(_SCORING_STRATEGIES)))
            _validate_resources(errs, strategy.get("resources") or [], f"{sp}.resources")
            rtcr = strategy.get("requestedToCapacityRatio")
            if t == "RequestedToCapacityRatio":
                if rtcr is None:
                    errs.append(field_required(f"{sp}.requestedToCapacityRatio",
                                               "must be specified when type is RequestedToCapacityRatio"))
                else:
                    _validate_shape(errs, (rtcr or {}).get("shape"), f"{sp}.requestedToCapacityRatio.shape")
            elif rtcr is not None:
                errs.append(field_forbidden(f"{sp}.requestedToCapacityRatio",
                                            "must be nil when type is not RequestedToCapacityRatio"))
        for i, res in enumerate(a.get("ignoredResources") or []):
            if not isinstance(res, str) or not _LABEL_NAME_RE.match(res):
                errs.append(field_invalid(f"{path}.ignoredResources[{i}]", res, "name part must consist of "
                                          "alphanumeric characters, '-', '_' or '.'"))
        for i, g in enumerate(a.get("ignoredResourceGroups") or []):
            if isinstance(g, str) and "/" in g:
                errs.append(field_invalid(f"{path}.ignoredResourceGroups[{i}]", g,
                                          "resource group name can't contain '/'"))
    elif name == "NodeResourcesBalancedAllocation":
        seen: set[str] = set()
        for i, r in enumerate(a.get("resources") or []):
            rn = r.get("name", "")
            if rn in seen:
                errs.append(field_duplicate(f"{path}.resources[{i}].name", rn))
            seen.add(rn)
            if r.get("weight") != 1:
                errs.append(field_invalid(f"{path}.resources[{i}].weight", r.get("weight"), "must be 1"))
    elif name == "PodTopologySpread":
        dt = a.get("defaultingType")
        constraints = a.get("defaultConstraints") or []
        if dt not in ("System", "List"):
            errs.append(field_not_supported(f"{path}.defaultingType", dt, ["System", "List"]))
        elif dt == "System" and constraints:
            errs.append(field_invalid(f"{path}.defaultingType", dt, "when .defaultConstraints are not empty"))
        seen_c: list[tuple[Any, Any]] = []
        for i, c in enumerate(constraints):
            p = f"{path}.defaultConstraints[{i}]"
            if not isinstance(c, dict):
                errs.append(field_invalid(p, c, "must be an object"))
                continue
            if not isinstance(c.get("maxSkew"), int) or c.get("maxSkew", 0) <= 0:
                errs.append(field_invalid(f"{p}.maxSkew", c.get("maxSkew", 0), "not in valid range (0, inf)"))
            tk = c.get("topologyKey") or ""
            if not tk:
                errs.append(field_required(f"{p}.topologyKey", "can not be empty"))
            elif not _LABEL_NAME_RE.match(tk):
                errs.append(field_invalid(f"{p}.topologyKey", tk, "name part must consist of alphanumeric "
                                          "characters, '-', '_' or '.'"))
            wu = c.get("whenUnsatisfiable") or ""
            if not wu:
                errs.append(field_required(f"{p}.whenUnsatisfiable", "can not be empty"))
            elif wu not in ("DoNotSchedule", "ScheduleAnyway"):
                errs.append(field_not_supported(f"{p}.whenUnsatisfiable", wu, ["DoNotSchedule", "ScheduleAnyway"]))
            if c.get("labelSelector") is not None:
                errs.append(field_forbidden(f"{p}.labelSelector",
                                            "constraint must not define a selector, as they deduced for each pod"))
            if (tk, wu) in seen_c:
                errs.append(field_duplicate(f"{path}.defaultConstraints[{i}]", f"{{{tk}, {wu}}}"))
            seen_c.append((tk, wu))
    elif name == "InterPodAffinity":
        w = a.get("hardPodAffinityWeight")
        if not isinstance(w, int) or not 0 <= w <= 100:
            errs.append(field_invalid(f"{path}.hardPodAffinityWeight", w, "not in valid range [0, 100]"))
    elif name == "DefaultPreemption":
        pct, absn = a.get("minCandidateNodesPercentage"), a.get("minCandidateNodesAbsolute")
        if not isinstance(pct, int) or not 0 <= pct <= 100:
            errs.append(field_invalid(f"{path}.minCandidateNodesPercentage", pct, "not in valid range [0, 100]"))
        if not isinstance(absn, int) or absn < 0:
            errs.append(field_invalid(f"{path}.minCandidateNodesAbsolute", absn, "not in valid range [0, inf)"))
        if pct == 0 and absn == 0:
            errs.append(field_invalid(f"{path}.minCandidateNodesPercentage", pct,
                                      "cannot be zero at the same time as minCandidateNodesAbsolute"))
            errs.append(field_invalid(f"{path}.minCandidateNodesAbsolute", absn,
                                      "cannot be zero at the same time as minCandidateNodesPercentage"))
    return errs


# -- profiles ----------------------------------------------------------------------------------------------------

_PROFILE_FIELDS = ("schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig")


def _parse_profile(d: _Decoder, value: Any, path: str, single: bool) -> Profile:
    doc = d.obj(value, path, _PROFILE_FIELDS)
    name = doc.get("schedulerName")
    if name is None and single:
        name = DEFAULT_SCHEDULER_NAME
    prof = Profile(scheduler_name=d.str(name, f"{path}.schedulerName", ""))
    prof.percentage_of_nodes_to_score = d.int(doc.get("percentageOfNodesToScore"),
                                              f"{path}.percentageOfNodesToScore", None)
    pdoc = d.obj(doc.get("plugins"), f"{path}.plugins", ("multiPoint", *EXTENSION_POINTS))
    merged = _default_plugins()
    for key in ("multiPoint", *EXTENSION_POINTS):
        custom = _parse_plugin_set(d, pdoc.get(key), f"{path}.plugins.{key}")
        merged[key] = _merge_plugin_set(merged.get(key) or PluginSet(), custom)
    prof.plugins = merged
    configured: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(d.list(doc.get("pluginConfig"), f"{path}.pluginConfig")):
        p = f"{path}.pluginConfig[{i}]"
        it = d.obj(item, p, ("name", "args"))
        pname = d.str(it.get("name"), f"{p}.name", "")
        if not pname:
            d.errors.append(field_required(f"{p}.name", ""))
            continue
        if pname in configured:
            d.errors.append(field_duplicate(p, pname))
            continue
        args = it.get("args")
        if args is not None and not isinstance(args, dict):
            d.errors.append(field_invalid(f"{p}.args", args, "must be an object"))
            continue
        kind = (args or {}).get("kind")
        if kind and kind != pname + "Args":
            d.errors.append(field_invalid(f"{p}.args", kind, "has to match plugin args"))
            continue
        full = default_plugin_args(pname, args or {}) or {}
        d.errors.extend(_validate_plugin_args(pname, full, f"{p}.args"))
        configured[pname] = full
    # default arguments for every enabled plugin that takes some and was not configured
    for ps in prof.plugins.values():
        for ref in ps.enabled:
            if ref.name not in configured:
                defaults = default_plugin_args(ref.name)
                if defaults is not None:
                    configured[ref.name] = defaults
    prof.plugin_config = configured
    return prof


def _validate_percentage(errs: list, value: int | None, path: str) -> None:
    if value is not None and not 0 <= value <= 100:
        errs.append(field_invalid(path, value, "not in valid range [0-100]"))


def parse_config(doc: dict[str, Any] | None) -> SchedulerConfig:
    """Decode, default and validate a KubeSchedulerConfiguration document (None/empty: all defaults).  Raises
    ConfigError listing every problem.  Pure function."""
    d = _Decoder()
    doc = doc or {}
    if not isinstance(doc, dict):
        raise ConfigError(["a KubeSchedulerConfiguration must be a YAML object"])
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if doc and api_version is None:
        raise ConfigError(["Object 'apiVersion' is missing in the configuration"])
    if doc and kind is None:
        raise ConfigError(["Object 'Kind' is missing in the configuration"])
    if doc and api_version != API_VERSION:
        raise ConfigError([f'no kind "{kind}" is registered for version "{api_version}"'])
    if doc and kind != KIND:
        raise ConfigError([f'no kind "{kind}" is registered for version "{api_version}"'])
    top = d.obj(doc, "", ("apiVersion", "kind", "parallelism", "leaderElection", "clientConnection",
                          "enableProfiling", "enableContentionProfiling", "percentageOfNodesToScore",
                          "podInitialBackoffSeconds", "podMaxBackoffSeconds", "profiles", "extenders",
                          "delayCacheUntilActive"))
    cfg = SchedulerConfig()
    cfg.parallelism = d.int(top.get("parallelism"), "parallelism", 16)  # type: ignore[assignment]
    pct = d.int(top.get("percentageOfNodesToScore"), "percentageOfNodesToScore", 0)
    cfg.percentage_of_nodes_to_score = pct  # type: ignore[assignment]
    cfg.pod_initial_backoff_seconds = d.int(top.get("podInitialBackoffSeconds"), "podInitialBackoffSeconds", 1)  # type: ignore[assignment]
    cfg.pod_max_backoff_seconds = d.int(top.get("podMaxBackoffSeconds"), "podMaxBackoffSeconds", 10)  # type: ignore[assignment]
    cfg.enable_profiling = d.bool(top.get("enableProfiling"), "enableProfiling", True)
    cfg.enable_contention_profiling = d.bool(top.get("enableContentionProfiling"), "enableContentionProfiling",
                                             cfg.enable_profiling)
    cfg.delay_cache_until_active = d.bool(top.get("delayCacheUntilActive"), "delayCacheUntilActive", False)
    le = d.obj(top.get("leaderElection"), "leaderElection",
               ("leaderElect", "leaseDuration", "renewDeadline", "retryPeriod", "resourceLock", "resourceName",
                "resourceNamespace"))
    cfg.leader_election = LeaderElection(
        leader_elect=d.bool(le.get("leaderElect"), "leaderElection.leaderElect", True),
        lease_duration=d.duration(le.get("leaseDuration"), "leaderElection.leaseDuration", 15.0),
        renew_deadline=d.duration(le.get("renewDeadline"), "leaderElection.renewDeadline", 10.0),
        retry_period=d.duration(le.get("retryPeriod"), "leaderElection.retryPeriod", 2.0),
        resource_lock=d.str(le.get("resourceLock"), "leaderElection.resourceLock", "") or "leases",
        resource_name=d.str(le.get("resourceName"), "leaderElection.resourceName", "") or "kube-scheduler",
        resource_namespace=d.str(le.get("resourceNamespace"), "leaderElection.resourceNamespace", "")
        or "kube-system",
    )
    cc = d.obj(top.get("clientConnection"), "clientConnection",
               ("kubeconfig", "acceptContentTypes", "contentType", "qps", "burst"))
    cfg.qps = d.number(cc.get("qps"), "clientConnection.qps", 0.0) or 50.0
    cfg.burst = d.int(cc.get("burst"), "clientConnection.burst", 0) or 100
    cfg.content_type = d.str(cc.get("contentType"), "clientConnection.contentType", "") or cfg.content_type
    if d.list(top.get("extenders"), "extenders"):
        d.errors.append(field_forbidden("extenders", "scheduler extenders are not supported by Kybernetes"))
    raw_profiles = d.list(top.get("profiles"), "profiles") or [{}]
    for i, p in enumerate(raw_profiles):
        cfg.profiles.append(_parse_profile(d, p, f"profiles[{i}]", len(raw_profiles) == 1))
    errs = d.errors
    errs.extend(_validate(cfg))
    if errs:
        raise ConfigError(errs)
    return cfg


def _validate(cfg: SchedulerConfig) -> list[FieldError | str]:
    errs: list[FieldError | str] = []
    le = cfg.leader_election
    if le.leader_elect:
        if le.lease_duration <= 0:
            errs.append(field_invalid("leaderElection.leaseDuration", le.lease_duration, "must be greater than zero"))
        if le.renew_deadline <= 0:
            errs.append(field_invalid("leaderElection.renewDeadline", le.renew_deadline, "must be greater than zero"))
        if le.retry_period <= 0:
            errs.append(field_invalid("leaderElection.retryPeriod", le.retry_period, "must be greater than zero"))
        if le.lease_duration <= le.renew_deadline:
            errs.append(field_invalid("leaderElection.leaseDuration", le.renew_deadline,
                                      "LeaseDuration must be greater than RenewDeadline"))
        if le.resource_lock != "leases":
            errs.append(field_invalid("leaderElection.resourceLock", le.resource_lock,
                                      'resourceLock value must be "leases"'))
    if cfg.qps < 0:
        errs.append(field_invalid("clientConnection.qps", cfg.qps, "must be non-negative"))
    if cfg.parallelism <= 0:
        errs.append(field_invalid("parallelism", cfg.parallelism, "should be an integer value greater than zero"))
    seen: dict[str, int] = {}
    for i, p in enumerate(cfg.profiles):
        path = f"profiles[{i}]"
        if not p.scheduler_name:
            errs.append(field_required(f"{path}.schedulerName", ""))
        _validate_percentage(errs, p.percentage_of_nodes_to_score, f"{path}.percentageOfNodesToScore")
        if p.scheduler_name in seen:
            errs.append(field_duplicate(f"{path}.schedulerName", p.scheduler_name))
        seen[p.scheduler_name] = i
        for key, ps in p.plugins.items():
            for j, ref in enumerate(ps.enabled):
                if ref.weight is not None and ref.weight < 0:
                    errs.append(field_invalid(f"{path}.plugins.{key}.enabled[{j}].weight", ref.weight,
                                              "must be a non-negative integer"))
    if cfg.profiles:
        canon = _queue_sort_of(cfg.profiles[0])
        explicit = [r for r in cfg.profiles[0].plugin_set("queueSort").enabled]
        if len(explicit) > 1:
            errs.append(field_invalid("profiles[0].plugins.queueSort.Enabled", len(explicit),
                                      "only one queue sort plugin can be enabled"))
        for i, p in enumerate(cfg.profiles[1:], start=1):
            if _queue_sort_of(p) != canon:
                errs.append(field_invalid(f"profiles[{i}].plugins.queueSort", str(_queue_sort_of(p)),
                                          "must be the same for all profiles"))
    _validate_percentage(errs, cfg.percentage_of_nodes_to_score, "percentageOfNodesToScore")
    if cfg.pod_initial_backoff_seconds <= 0:
        errs.append(field_invalid("podInitialBackoffSeconds", cfg.pod_initial_backoff_seconds,
                                  "must be greater than 0"))
    if cfg.pod_max_backoff_seconds < cfg.pod_initial_backoff_seconds:
        errs.append(field_invalid("podMaxBackoffSeconds", cfg.pod_max_backoff_seconds,
                                  "must be greater than or equal to PodInitialBackoffSeconds"))
    return errs


def _queue_sort_of(p: Profile) -> tuple[Any, ...]:
    qs = p.plugin_set("queueSort")
    return (tuple(qs.enabled), tuple(sorted(qs.disabled)))


def load_config(path: str | Path) -> SchedulerConfig:
    """Read and parse a configuration file.  Raises ConfigError (also for unreadable or malformed YAML)."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ConfigError([f"unable to read config file {path}: {e.strerror or e}"]) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError([f"couldn't decode {path}: {e}"]) from None
    return parse_config(doc or {})


def default_config() -> SchedulerConfig:
    """The configuration a scheduler without ``--config`` runs with."""
    return parse_config({})


def num_feasible_nodes_to_find(percentage: int | None, num_all_nodes: int) -> int:
    """How many feasible nodes to look for before scoring (upstream's numFeasibleNodesToFind): every node below
    100 nodes; else ``percentage`` of them (0 = adaptive ``50 - nodes/125``, at least 5), at least 100."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    pct = percentage or 0
    if pct == 0:
        pct = 50 - num_all_nodes // 125
        if pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND:
            pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND
    n = num_all_nodes * pct // 100
    return max(n, MIN_FEASIBLE_NODES_TO_FIND)
