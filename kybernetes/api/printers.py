"""Server-side table printing: the columns and cells that ``kubectl get`` shows for each built-in resource.

``kubectl get`` asks the API server for ``application/json;as=Table;v=v1;g=meta.k8s.io``; the server answers with
column definitions and, for every object, one row of cells computed from the object.  Which columns a resource
has and how each cell is derived (pod status reasons, ``80/TCP,443:30001/TCP`` port lists, ``5 (3m ago)``
restart counts, ``cpu: 50%/80%`` HPA targets...) is part of the API's observable behaviour: this module carries
over what upstream Kubernetes 1.32 prints for its built-in types.

One printer per resource, keyed by ``(group, plural)`` (group ``""`` for the core group) in `PRINTERS`: a list
of column definitions (dicts shaped like ``meta.k8s.io/v1`` ``TableColumnDefinition``: ``name``, ``type``,
``format``, ``description``, ``priority``) and a cells function ``(object, now) -> cells``.  The server always
computes the wide row (as upstream does): columns with priority 1 are hidden by kubectl unless ``-o wide``.
Cells are strings, ints and bools, exactly the values upstream puts in ``row.cells``; timestamps print as ages
("5m", "2d3h") through `human_duration`, or ``<unknown>`` when missing.

Objects are plain JSON dicts in their served shape.  Fields that upstream's decoder would default when reading
from storage (a missing ``spec.replicas`` is 1, a missing Service ``type`` is ClusterIP...) print with their
defaults.  Events of ``events.k8s.io`` and ``autoscaling/v1`` HPAs are read through their core/v2 field names,
since upstream prints both from one internal type.  Resources without an upstream printer (roles, cluster roles,
limit ranges, custom resource definitions...) are absent: the server falls back to Name / Created At.

Everything here is pure and safe to call concurrently.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from kybernetes.machinery.labels import selector_from_dict
from kybernetes.machinery.quantity import canonicalize

__all__ = [
    "Column",
    "CellsFunc",
    "PRINTERS",
    "LIST_SORT_KEYS",
    "human_duration",
    "short_human_duration",
    "translate_timestamp_since",
    "row_conditions",
]

Column = dict
CellsFunc = Callable[[dict, datetime], list]

_NS_PER_SECOND = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_SECOND
_NS_PER_HOUR = 60 * _NS_PER_MINUTE

UNKNOWN = "<unknown>"
NONE = "<none>"
UNSET = "<unset>"

# ---------------------------------------------------------------------------------------------------------------
# Durations and ages
# ---------------------------------------------------------------------------------------------------------------


def _trunc_div(a: int, b: int) -> int:
    """Integer division rounding toward zero, as Go's does."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _human_ns(ns: int) -> str:
    seconds = _trunc_div(ns, _NS_PER_SECOND)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = ns // _NS_PER_MINUTE
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = ns // _NS_PER_HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if dy == 0 else f"{years}y{dy}d"
    return f"{hours // 24 // 365}y"


def human_duration(seconds: float) -> str:
    """Upstream ``duration.HumanDuration``: ~2-3 significant figures ("119s", "2m", "5m30s", "3h10m", "8h",
    "2d2h", "400d", "3y20d", "12y").  Up to one second in the future prints "0s"; further is "<invalid>"."""
    return _human_ns(round(seconds * _NS_PER_SECOND))


def short_human_duration(seconds: float) -> str:
    """Upstream ``duration.ShortHumanDuration``: one unit only ("59s", "59m", "23h", "364d", "2y")."""
    ns = round(seconds * _NS_PER_SECOND)
    secs = _trunc_div(ns, _NS_PER_SECOND)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60:
        return f"{secs}s"
    minutes = ns // _NS_PER_MINUTE
    if minutes < 60:
        return f"{minutes}m"
    hours = ns // _NS_PER_HOUR
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{int(ns / _NS_PER_HOUR / 24 / 365)}y"


def _td_ns(td: timedelta) -> int:
    return ((td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds) * 1000


def _parse_time(value: Any) -> datetime | None:
    """A JSON timestamp (RFC 3339, optionally with fractional seconds) as an aware datetime; ``None`` for a
    missing, unparsable or zero (0001-01-01T00:00:00Z) time, which upstream treats as unset."""
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    if dt.year == 1 and dt == datetime(1, 1, 1, tzinfo=timezone.utc):
        return None
    return dt


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def translate_timestamp_since(timestamp: Any, now: datetime) -> str:
    """The age of ``timestamp`` at ``now`` as `human_duration` prints it, or ``<unknown>`` when unset."""
    dt = _parse_time(timestamp)
    if dt is None:
        return UNKNOWN
    return _human_ns(_td_ns(_aware(now) - dt))


def _age(obj: dict, now: datetime) -> str:
    return translate_timestamp_since(_meta(obj).get("creationTimestamp"), now)


# ---------------------------------------------------------------------------------------------------------------
# Small readers and formatters
# ---------------------------------------------------------------------------------------------------------------


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _meta(obj: dict) -> dict:
    return _d(obj.get("metadata"))


def _name(obj: dict) -> str:
    return _meta(obj).get("name") or ""


def _spec(obj: dict) -> dict:
    return _d(obj.get("spec"))


def _status(obj: dict) -> dict:
    return _d(obj.get("status"))


def _int(value: Any, default: int = 0) -> int:
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _deleting(obj: dict) -> bool:
    return _meta(obj).get("deletionTimestamp") is not None


def _condition(conditions: Any, kind: str) -> dict | None:
    for c in _l(conditions):
        if isinstance(c, dict) and c.get("type") == kind:
            return c
    return None


def _quantity(value: Any) -> str:
    """``resource.Quantity.String()``: the canonical text; a missing quantity is "0"."""
    if value is None:
        return "0"
    try:
        return canonicalize(value)
    except (ValueError, TypeError, ArithmeticError):
        return str(value)


def _quantity_ptr(value: Any) -> str:
    """``(*resource.Quantity).String()`` on an optional quantity: a missing one prints "<nil>"."""
    return "<nil>" if value is None else _quantity(value)


def _format_labels(labels: Any) -> str:
    """``labels.FormatLabels``: ``k=v`` pairs sorted by key, comma separated; ``<none>`` when empty."""
    items = sorted(_d(labels).items())
    return ",".join(f"{k}={v}" for k, v in items) or NONE


def _selector_string(selector: Any) -> str:
    """``LabelSelectorAsSelector(s).String()``; raises ``ValueError`` for an invalid selector."""
    return str(selector_from_dict(selector if isinstance(selector, dict) else None))


def _format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: the selector's text, ``<none>`` when it selects everything or nothing,
    ``<error>`` when it is invalid."""
    try:
        text = _selector_string(selector)
    except ValueError:
        return "<error>"
    return text or NONE


def _go_string_slice(values: Any) -> str:
    return "[" + " ".join(str(v) for v in _l(values)) + "]"


def _go_label_selector_struct(selector: dict) -> str:
    """The generated ``(*metav1.LabelSelector).String()`` (a Go struct dump, not selector syntax)."""
    labels = _d(selector.get("matchLabels"))
    match_labels = "map[string]string{" + "".join(f"{k}: {labels[k]}," for k in sorted(labels)) + "}"
    exprs = "[]LabelSelectorRequirement{"
    for e in _l(selector.get("matchExpressions")):
        e = _d(e)
        exprs += (
            "LabelSelectorRequirement{"
            f"Key:{e.get('key') or ''},"
            f"Operator:{e.get('operator') or ''},"
            f"Values:{_go_string_slice(e.get('values'))},"
            "},"
        )
    exprs += "}"
    return f"&LabelSelector{{MatchLabels:{match_labels},MatchExpressions:{exprs},}}"


def _containers(pod_spec: Any) -> tuple[str, str]:
    """Container names and images, each comma separated (upstream ``layoutContainerCells``)."""
    containers = [_d(c) for c in _l(_d(pod_spec).get("containers"))]
    return ",".join(c.get("name") or "" for c in containers), ",".join(c.get("image") or "" for c in containers)


def _template_spec(obj: dict) -> dict:
    return _d(_d(_spec(obj).get("template")).get("spec"))


def _bool_ptr(value: Any) -> str:
    if value is None:
        return UNSET
    return "True" if value else "False"


def _int_or_string(value: Any) -> str:
    """``intstr.IntOrString.String()``: the number or the text (``2``, ``50%``)."""
    return str(value)


def _join_host_port(host: str, port: int) -> str:
    """Go's ``net.JoinHostPort``: IPv6 literals (anything with a colon) get brackets."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _with_more(items: list[str], more: bool, count: int, limit: int) -> str:
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or UNSET


# ---------------------------------------------------------------------------------------------------------------
# Column definitions
# ---------------------------------------------------------------------------------------------------------------


def _c(name: str, type_: str, description: str, priority: int = 0, fmt: str = "") -> Column:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


def _doc(key: str) -> str:
    return _DOC.get(key, "")


def _name_col() -> Column:
    # descriptions of Name and Age come from ObjectMeta's documentation, filled in by _build
    return _c("Name", "string", "", fmt="name")


def _age_col() -> Column:
    return _c("Age", "string", "")


_CONTAINERS_DESC = "Names of each container in the template."
_IMAGES_DESC = "Images referenced by each container in the template."


def _containers_cols() -> list[Column]:
    return [
        _c("Containers", "string", _CONTAINERS_DESC, 1),
        _c("Images", "string", _IMAGES_DESC, 1),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Pods
# ---------------------------------------------------------------------------------------------------------------

_POD_COLUMNS = [
    _name_col(),
    _c("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    _c("Status", "string", "The aggregate status of the containers in this pod."),
    _c("Restarts", "string", "The number of times the containers in this pod have been restarted and when the "
       "last container in this pod has restarted."),
    _age_col(),
    _c("IP", "string", "", 1),
    _c("Node", "string", "", 1),
    _c("Nominated Node", "string", "", 1),
    _c("Readiness Gates", "string", "", 1),
]


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None:
        return current
    if current is None or current < candidate:
        return candidate
    return current


def _last_termination(cs: dict) -> tuple[bool, datetime | None]:
    terminated = _d(cs.get("lastState")).get("terminated")
    if terminated is None:
        return False, None
    return True, _parse_time(_d(terminated).get("finishedAt"))


def _is_sidecar(container: dict | None) -> bool:
    return container is not None and container.get("restartPolicy") == "Always"


def pod_status_summary(pod: dict) -> tuple[int, int, str, int, datetime | None]:
    """The pod's (ready containers, total containers, status reason, restarts, last restart time), computed
    as upstream's ``printPod`` does (init containers, sidecars, waiting/terminated reasons, deletion)."""
    spec = _spec(pod)
    status = _status(pod)
    restarts = 0
    sidecar_restarts = 0
    total = len(_l(spec.get("containers")))
    ready = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None

    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in _l(status.get("conditions")):
        cond = _d(cond)
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs: dict[str, dict] = {}
    init_list = [_d(c) for c in _l(spec.get("initContainers"))]
    for c in init_list:
        init_specs[c.get("name") or ""] = c
        if _is_sidecar(c):
            total += 1

    initializing = False
    for i, cs in enumerate(_l(status.get("initContainerStatuses"))):
        cs = _d(cs)
        count = _int(cs.get("restartCount"))
        restarts += count
        had_termination, finished = _last_termination(cs)
        if had_termination:
            last_restart = _later(last_restart, finished)
        sidecar = _is_sidecar(init_specs.get(cs.get("name") or ""))
        if sidecar:
            sidecar_restarts += count
            if had_termination:
                last_sidecar_restart = _later(last_sidecar_restart, finished)
        state = _d(cs.get("state"))
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and _int(_d(terminated).get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            terminated = _d(terminated)
            if not terminated.get("reason"):
                if _int(terminated.get("signal")) != 0:
                    reason = f"Init:Signal:{_int(terminated.get('signal'))}"
                else:
                    reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
            else:
                reason = "Init:" + terminated["reason"]
        elif waiting is not None and _d(waiting).get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_list)}"
        initializing = True
        break

    initialized = _condition(status.get("conditions"), "Initialized")
    if not initializing or (initialized is not None and initialized.get("status") == "True"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(_l(status.get("containerStatuses"))):
            cs = _d(cs)
            restarts += _int(cs.get("restartCount"))
            had_termination, finished = _last_termination(cs)
            if had_termination:
                last_restart = _later(last_restart, finished)
            state = _d(cs.get("state"))
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and _d(waiting).get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and _d(terminated).get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                terminated = _d(terminated)
                if _int(terminated.get("signal")) != 0:
                    reason = f"Signal:{_int(terminated.get('signal'))}"
                else:
                    reason = f"ExitCode:{_int(terminated.get('exitCode'))}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _ready_true(status.get("conditions")) else "NotReady"

    if _deleting(pod) and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif _deleting(pod) and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"
    return ready, total, reason, restarts, last_restart


def _ready_true(conditions: Any) -> bool:
    # upstream hasPodReadyCondition: any Ready condition that is True
    return any(_d(c).get("type") == "Ready" and _d(c).get("status") == "True" for c in _l(conditions))


def _pod_ip(status: dict) -> str:
    # v1 -> internal conversion: status.podIP wins, podIPs[0] otherwise
    ip = status.get("podIP") or ""
    if not ip:
        ips = _l(status.get("podIPs"))
        if ips:
            ip = _d(ips[0]).get("ip") or ""
    return ip or NONE


def _pod_cells(pod: dict, now: datetime) -> list:
    ready, total, reason, restarts, last_restart = pod_status_summary(pod)
    restarts_text = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_text = f"{restarts} ({translate_timestamp_since(last_restart, now)} ago)"
    spec, status = _spec(pod), _status(pod)
    gates_text = NONE
    gates = _l(spec.get("readinessGates"))
    if gates:
        true_count = 0
        for gate in gates:
            cond = _condition(status.get("conditions"), _d(gate).get("conditionType"))
            if cond is not None and cond.get("status") == "True":
                true_count += 1
        gates_text = f"{true_count}/{len(gates)}"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _age(pod, now),
        _pod_ip(status),
        spec.get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        gates_text,
    ]


def row_conditions(group: str, plural: str, obj: dict) -> list[dict] | None:
    """The ``conditions`` of an object's table row, or ``None`` when upstream sets none: pods that succeeded or
    failed carry a ``Completed`` condition."""
    if (group, plural) != ("", "pods"):
        return None
    phase = _status(obj).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return None


# ---------------------------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------------------------

_POD_TEMPLATE_COLUMNS = [
    _name_col(),
    _c("Containers", "string", _CONTAINERS_DESC),
    _c("Images", "string", _IMAGES_DESC),
    _c("Pod Labels", "string", "The labels for the pod template."),
]


def _pod_template_cells(obj: dict, now: datetime) -> list:
    template = _d(obj.get("template"))
    names, images = _containers(template.get("spec"))
    return [_name(obj), names, images, _format_labels(_d(template.get("metadata")).get("labels"))]


def _replicas(obj: dict) -> int:
    return _int(_spec(obj).get("replicas"), 1)


_RC_COLUMNS = [
    _name_col(),
    _c("Desired", "integer", ""),
    _c("Current", "integer", ""),
    _c("Ready", "integer", ""),
    _age_col(),
    *_containers_cols(),
    _c("Selector", "string", "", 1),
]


def _rc_cells(obj: dict, now: datetime) -> list:
    status = _status(obj)
    names, images = _containers(_template_spec(obj))
    return [
        _name(obj), _replicas(obj), _int(status.get("replicas")), _int(status.get("readyReplicas")), _age(obj, now),
        names, images, _format_labels(_spec(obj).get("selector")),
    ]


_RS_COLUMNS = _RC_COLUMNS  # the same columns; only the selector's form differs (map vs LabelSelector)


def _rs_cells(obj: dict, now: datetime) -> list:
    status = _status(obj)
    names, images = _containers(_template_spec(obj))
    return [
        _name(obj), _replicas(obj), _int(status.get("replicas")), _int(status.get("readyReplicas")), _age(obj, now),
        names, images, _format_label_selector(_spec(obj).get("selector")),
    ]


_DEPLOYMENT_COLUMNS = [
    _name_col(),
    _c("Ready", "string", "Number of the pod with ready state"),
    _c("Up-to-date", "string", ""),
    _c("Available", "string", ""),
    _age_col(),
    *_containers_cols(),
    _c("Selector", "string", "", 1),
]


def _deployment_cells(obj: dict, now: datetime) -> list:
    status = _status(obj)
    names, images = _containers(_template_spec(obj))
    try:
        selector = _selector_string(_spec(obj).get("selector"))
    except ValueError:
        selector = "<invalid>"
    return [
        _name(obj), f"{_int(status.get('readyReplicas'))}/{_replicas(obj)}", _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")), _age(obj, now), names, images, selector,
    ]


_STATEFULSET_COLUMNS = [
    _name_col(),
    _c("Ready", "string", "Number of the pod with ready state"),
    _age_col(),
    *_containers_cols(),
]


def _statefulset_cells(obj: dict, now: datetime) -> list:
    names, images = _containers(_template_spec(obj))
    return [_name(obj), f"{_int(_status(obj).get('readyReplicas'))}/{_replicas(obj)}", _age(obj, now), names, images]


_DAEMONSET_COLUMNS = [
    _name_col(),
    _c("Desired", "integer", ""),
    _c("Current", "integer", ""),
    _c("Ready", "integer", ""),
    _c("Up-to-date", "integer", ""),
    _c("Available", "integer", ""),
    _c("Node Selector", "string", ""),
    _age_col(),
    *_containers_cols(),
    _c("Selector", "string", "", 1),
]


def _daemonset_cells(obj: dict, now: datetime) -> list:
    status = _status(obj)
    pod_spec = _template_spec(obj)
    names, images = _containers(pod_spec)
    return [
        _name(obj),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        _format_labels(pod_spec.get("nodeSelector")),
        _age(obj, now),
        names, images, _format_label_selector(_spec(obj).get("selector")),
    ]


_CONTROLLER_REVISION_COLUMNS = [
    _name_col(),
    _c("Controller", "string", "Controller of the object"),
    _c("Revision", "string", ""),
    _age_col(),
]


def _controller_revision_cells(obj: dict, now: datetime) -> list:
    controller = NONE
    for ref in _l(_meta(obj).get("ownerReferences")):
        ref = _d(ref)
        if ref.get("controller") is True:
            api_version = ref.get("apiVersion") or ""
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            kind = ref.get("kind") or ""
            group_kind = kind if not group else f"{kind}.{group}"
            name = ref.get("name") or ""
            controller = f"{group_kind.lower()}/{name}" if (group or kind) else name
            break
    return [_name(obj), controller, _int(obj.get("revision")), _age(obj, now)]


# ---------------------------------------------------------------------------------------------------------------
# Batch
# ---------------------------------------------------------------------------------------------------------------

_JOB_COLUMNS = [
    _name_col(),
    _c("Status", "string", "Status of the job."),
    _c("Completions", "string", ""),
    _c("Duration", "string", "Time required to complete the job."),
    _age_col(),
    *_containers_cols(),
    _c("Selector", "string", "", 1),
]


def _condition_true(conditions: Any, kind: str) -> bool:
    # upstream hasJobCondition: the first condition of that type decides
    cond = _condition(conditions, kind)
    return cond is not None and cond.get("status") == "True"


def job_status(job: dict) -> str:
    """The Status column of a Job as 1.32 prints it: Complete, Failed, Terminating, Suspended, FailureTarget
    or Running, in that order of precedence."""
    conditions = _status(job).get("conditions")
    if _condition_true(conditions, "Complete"):
        return "Complete"
    if _condition_true(conditions, "Failed"):
        return "Failed"
    if _deleting(job):
        return "Terminating"
    if _condition_true(conditions, "Suspended"):
        return "Suspended"
    if _condition_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_cells(obj: dict, now: datetime) -> list:
    spec, status = _spec(obj), _status(obj)
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec.get('completions'))}"
    else:
        parallelism = _int(spec.get("parallelism"), 1)
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start = _parse_time(status.get("startTime"))
    end = _parse_time(status.get("completionTime"))
    if start is None:
        took = ""
    elif end is None:
        took = _human_ns(_td_ns(_aware(now) - start))
    else:
        took = _human_ns(_td_ns(end - start))
    names, images = _containers(_template_spec(obj))
    return [
        _name(obj), job_status(obj), completions, took, _age(obj, now),
        names, images, _format_label_selector(spec.get("selector")),
    ]


_CRONJOB_COLUMNS = [
    _name_col(),
    _c("Schedule", "string", ""),
    _c("Timezone", "string", ""),
    _c("Suspend", "boolean", ""),
    _c("Active", "integer", ""),
    _c("Last Schedule", "string", ""),
    _age_col(),
    *_containers_cols(),
    _c("Selector", "string", "", 1),
]


def _cronjob_cells(obj: dict, now: datetime) -> list:
    spec, status = _spec(obj), _status(obj)
    last = status.get("lastScheduleTime")
    last_text = NONE if last is None else translate_timestamp_since(last, now)
    tz = spec.get("timeZone")
    suspend = spec.get("suspend")
    job_spec = _d(_d(spec.get("jobTemplate")).get("spec"))
    names, images = _containers(_d(_d(job_spec.get("template")).get("spec")))
    return [
        _name(obj),
        spec.get("schedule") or "",
        NONE if tz is None else tz,
        _bool_ptr(False if suspend is None else suspend),
        len(_l(status.get("active"))),
        last_text,
        _age(obj, now),
        names, images, _format_label_selector(job_spec.get("selector")),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Services and networking
# ---------------------------------------------------------------------------------------------------------------

_SERVICE_COLUMNS = [
    _name_col(),
    _c("Type", "string", ""),
    _c("Cluster-IP", "string", ""),
    _c("External-IP", "string", ""),
    _c("Port(s)", "string", ""),
    _age_col(),
    _c("Selector", "string", "", 1),
]


def _load_balancer_addresses(lb_status: Any) -> str:
    """Unique ingress IPs (or hostnames) sorted, comma separated.  The server always prints wide, so the
    16-character clipping kubectl's own printer would do never applies here."""
    found: set[str] = set()
    for ing in _l(_d(lb_status).get("ingress")):
        ing = _d(ing)
        if ing.get("ip"):
            found.add(ing["ip"])
        elif ing.get("hostname"):
            found.add(ing["hostname"])
    return ",".join(sorted(found))


def _service_external_ip(svc: dict, svc_type: str) -> str:
    spec = _spec(svc)
    external = [str(ip) for ip in _l(spec.get("externalIPs"))]
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else NONE
    if svc_type == "LoadBalancer":
        lb = _load_balancer_addresses(_status(svc).get("loadBalancer"))
        if external:
            return ",".join((lb.split(",") if lb else []) + external)
        return lb or "<pending>"
    if svc_type == "ExternalName":
        return spec.get("externalName") or ""
    return UNKNOWN


def _service_ports(ports: Any) -> str:
    pieces = []
    for p in _l(ports):
        p = _d(p)
        port, protocol = _int(p.get("port")), p.get("protocol") or "TCP"
        node_port = _int(p.get("nodePort"))
        pieces.append(f"{port}:{node_port}/{protocol}" if node_port > 0 else f"{port}/{protocol}")
    return ",".join(pieces)


def _service_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    svc_type = spec.get("type") or "ClusterIP"
    cluster_ips = _l(spec.get("clusterIPs"))
    if cluster_ips:
        internal = str(cluster_ips[0])
    else:
        internal = spec.get("clusterIP") or NONE
    return [
        _name(obj), svc_type, internal, _service_external_ip(obj, svc_type), _service_ports(spec.get("ports")) or NONE,
        _age(obj, now), _format_labels(spec.get("selector")),
    ]


_ENDPOINTS_COLUMNS = [_name_col(), _c("Endpoints", "string", ""), _age_col()]


def _format_endpoints(subsets: Any) -> str:
    subsets = _l(subsets)
    if not subsets:
        return NONE
    listed: list[str] = []
    limit, more, count = 3, False, 0
    for ss in subsets:
        ss = _d(ss)
        addresses = [_d(a) for a in _l(ss.get("addresses"))]
        ports = [_d(p) for p in _l(ss.get("ports"))]
        if not ports:
            # headless services may have no ports
            count += len(addresses)
            for a in addresses:
                if len(listed) == limit:
                    more = True
                    break
                listed.append(a.get("ip") or "")
            continue
        for p in ports:
            count += len(addresses)
            for a in addresses:
                if len(listed) == limit:
                    more = True
                    break
                listed.append(_join_host_port(a.get("ip") or "", _int(p.get("port"))))
    text = ",".join(listed)
    if more:
        return f"{text} + {count - limit} more..."
    return text


def _endpoints_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), _format_endpoints(obj.get("subsets")), _age(obj, now)]


_ENDPOINT_SLICE_COLUMNS = [
    _name_col(),
    _c("AddressType", "string", ""),
    _c("Ports", "string", ""),
    _c("Endpoints", "string", ""),
    _age_col(),
]


def _endpoint_slice_cells(obj: dict, now: datetime) -> list:
    limit = 3
    ports: list[str] = []
    more, count = False, 0
    for p in _l(obj.get("ports")):
        p = _d(p)
        if len(ports) < limit:
            if p.get("port") is not None:
                ports.append(str(_int(p.get("port"))))
            elif p.get("name") is not None:
                ports.append(str(p.get("name")))
            else:
                ports.append("*")
        elif len(ports) == limit:
            more = True
        count += 1
    ports_text = _with_more(ports, more, count, limit)
    addresses: list[str] = []
    more, count = False, 0
    for ep in _l(obj.get("endpoints")):
        for address in _l(_d(ep).get("addresses")):
            if len(addresses) < limit:
                addresses.append(str(address))
            elif len(addresses) == limit:
                more = True
            count += 1
    return [
        _name(obj), obj.get("addressType") or "", ports_text, _with_more(addresses, more, count, limit),
        _age(obj, now),
    ]


_INGRESS_COLUMNS = [
    _name_col(),
    _c("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
    _c("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
    _c("Address", "string", "Address is a list containing ingress points for the load-balancer"),
    _c("Ports", "string", "Ports of TLS configurations that open"),
    _age_col(),
]


def _ingress_hosts(rules: Any) -> str:
    rules = _l(rules)
    hosts: list[str] = []
    limit, more = 3, False
    for rule in rules:
        if len(hosts) == limit:
            more = True
        host = _d(rule).get("host") or ""
        if not more and host:
            hosts.append(host)
    if not hosts:
        return "*"
    text = ",".join(hosts)
    if more:
        return f"{text} + {len(rules) - limit} more..."
    return text


def _ingress_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    class_name = spec.get("ingressClassName")
    return [
        _name(obj),
        NONE if class_name is None else class_name,
        _ingress_hosts(spec.get("rules")),
        _load_balancer_addresses(_status(obj).get("loadBalancer")),
        "80, 443" if _l(spec.get("tls")) else "80",
        _age(obj, now),
    ]


_INGRESS_CLASS_COLUMNS = [
    _name_col(),
    _c("Controller", "string", "Controller that is responsible for handling this class"),
    _c("Parameters", "string", "A reference to a resource with additional parameters"),
    _age_col(),
]


def _ingress_class_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    params = spec.get("parameters")
    text = NONE
    if params is not None:
        params = _d(params)
        text = params.get("kind") or ""
        if params.get("apiGroup") is not None:
            text += "." + str(params["apiGroup"])
        text += "/" + (params.get("name") or "")
    return [_name(obj), spec.get("controller") or "", text, _age(obj, now)]


_NETWORK_POLICY_COLUMNS = [_name_col(), _c("Pod-Selector", "string", ""), _age_col()]


def _network_policy_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), _format_label_selector(_d(_spec(obj).get("podSelector"))), _age(obj, now)]


# ---------------------------------------------------------------------------------------------------------------
# Nodes, namespaces and simple core kinds
# ---------------------------------------------------------------------------------------------------------------

_NODE_COLUMNS = [
    _name_col(),
    _c("Status", "string", "The status of the node"),
    _c("Roles", "string", "The roles of the node"),
    _age_col(),
    _c("Version", "string", ""),
    _c("Internal-IP", "string", "", 1),
    _c("External-IP", "string", "", 1),
    _c("OS-Image", "string", "", 1),
    _c("Kernel-Version", "string", "", 1),
    _c("Container-Runtime", "string", "", 1),
]

NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
NODE_ROLE_LABEL = "kubernetes.io/role"


def node_roles(node: dict) -> list[str]:
    """Roles from ``node-role.kubernetes.io/<role>`` label keys and the ``kubernetes.io/role`` label value,
    sorted and unique."""
    roles: set[str] = set()
    for key, value in _d(_meta(node).get("labels")).items():
        if key.startswith(NODE_ROLE_PREFIX):
            role = key[len(NODE_ROLE_PREFIX):]
            if role:
                roles.add(role)
        elif key == NODE_ROLE_LABEL and value:
            roles.add(value)
    return sorted(roles)


def _node_address(node: dict, kind: str) -> str:
    for address in _l(_status(node).get("addresses")):
        address = _d(address)
        if address.get("type") == kind:
            return address.get("address") or ""
    return NONE


def _node_cells(obj: dict, now: datetime) -> list:
    status = _status(obj)
    # the last condition of a type wins, as upstream builds a map from the list
    ready: dict | None = None
    for cond in _l(status.get("conditions")):
        if _d(cond).get("type") == "Ready":
            ready = _d(cond)
    states = []
    if ready is not None:
        states.append("Ready" if ready.get("status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if _spec(obj).get("unschedulable"):
        states.append("SchedulingDisabled")
    info = _d(status.get("nodeInfo"))
    return [
        _name(obj),
        ",".join(states),
        ",".join(node_roles(obj)) or NONE,
        _age(obj, now),
        info.get("kubeletVersion") or "",
        _node_address(obj, "InternalIP"),
        _node_address(obj, "ExternalIP"),
        info.get("osImage") or UNKNOWN,
        info.get("kernelVersion") or UNKNOWN,
        info.get("containerRuntimeVersion") or UNKNOWN,
    ]


_NAMESPACE_COLUMNS = [_name_col(), _c("Status", "string", "The status of the namespace"), _age_col()]


def _namespace_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), _status(obj).get("phase") or "Active", _age(obj, now)]


_SECRET_COLUMNS = [_name_col(), _c("Type", "string", ""), _c("Data", "string", ""), _age_col()]


def _secret_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), obj.get("type") or "Opaque", len(_d(obj.get("data"))), _age(obj, now)]


_SERVICE_ACCOUNT_COLUMNS = [_name_col(), _c("Secrets", "string", ""), _age_col()]


def _service_account_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), len(_l(obj.get("secrets"))), _age(obj, now)]


_CONFIGMAP_COLUMNS = [_name_col(), _c("Data", "string", ""), _age_col()]


def _configmap_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), len(_d(obj.get("data"))) + len(_d(obj.get("binaryData"))), _age(obj, now)]


_COMPONENT_STATUS_COLUMNS = [
    _name_col(),
    _c("Status", "string", "Status of the component conditions"),
    _c("Message", "string", "Message of the component conditions"),
    _c("Error", "string", "Error of the component conditions"),
]


def _component_status_cells(obj: dict, now: datetime) -> list:
    state, message, error = "Unknown", "", ""
    cond = _condition(obj.get("conditions"), "Healthy")
    if cond is not None:
        state = "Healthy" if cond.get("status") == "True" else "Unhealthy"
        message, error = cond.get("message") or "", cond.get("error") or ""
    return [_name(obj), state, message, error]


_RESOURCE_QUOTA_COLUMNS = [
    _name_col(),
    _c("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
    _c("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent "
       "of contention on the node."),
    _age_col(),
]


def _resource_quota_cells(obj: dict, now: datetime) -> list:
    status = _status(obj)
    hard, used = _d(status.get("hard")), _d(status.get("used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        pieces = resource.split(".")
        target = limits if len(pieces) > 1 and pieces[0] == "limits" else requests
        target.append(f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard[resource])}")
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(obj, now)]


# ---------------------------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------------------------

_EVENT_COLUMNS = [
    _c("Last Seen", "string", ""),
    _c("Type", "string", ""),
    _c("Reason", "string", ""),
    _c("Object", "string", ""),
    _c("Subobject", "string", "", 1),
    _c("Source", "string", "", 1),
    _c("Message", "string", ""),
    _c("First Seen", "string", "", 1),
    _c("Count", "string", "", 1),
    _c("Name", "string", "", 1, fmt="name"),
]

# events.k8s.io/v1 field -> core/v1 field (both are printed from one internal type upstream)
_EVENTS_V1_FIELDS = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}


def _core_event(event: dict) -> dict:
    """An Event in core/v1 field names, whichever of core/v1 and events.k8s.io it is served as."""
    api_version = str(event.get("apiVersion") or "")
    if api_version.startswith("events.k8s.io/") or (
        not api_version and any(k in event for k in _EVENTS_V1_FIELDS)
    ):
        out = {k: v for k, v in event.items() if k not in _EVENTS_V1_FIELDS}
        for new, old in _EVENTS_V1_FIELDS.items():
            if new in event:
                out[old] = event[new]
        return out
    return event


def _event_source(event: dict) -> str:
    source = _d(event.get("source"))
    component = source.get("component") or event.get("reportingComponent") or event.get("reportingController") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return component if not host else f"{component}, {host}"


def _event_cells(obj: dict, now: datetime) -> list:
    event = _core_event(obj)
    if _parse_time(event.get("firstTimestamp")) is None:
        first = translate_timestamp_since(event.get("eventTime"), now)
    else:
        first = translate_timestamp_since(event.get("firstTimestamp"), now)
    if _parse_time(event.get("lastTimestamp")) is None:
        last = first
    else:
        last = translate_timestamp_since(event.get("lastTimestamp"), now)
    count = _int(event.get("count"))
    series = event.get("series")
    if series is not None:
        series = _d(series)
        last = translate_timestamp_since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        # singleton events of the new API have no count
        count = 1
    involved = _d(event.get("involvedObject"))
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [
        last,
        event.get("type") or "",
        event.get("reason") or "",
        target,
        involved.get("fieldPath") or "",
        _event_source(event),
        str(event.get("message") or "").strip(),
        first,
        count,
        _name(event),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------------------------

_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))


def _access_modes(modes: Any) -> str:
    present = set(_l(modes))
    return ",".join(short for mode, short in _ACCESS_MODES if mode in present)


_BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"

_PV_COLUMNS = [
    _name_col(),
    _c("Capacity", "string", ""),
    _c("Access Modes", "string", ""),
    _c("Reclaim Policy", "string", ""),
    _c("Status", "string", ""),
    _c("Claim", "string", ""),
    _c("StorageClass", "string", "StorageClass of the pv"),
    _c("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
    _c("Reason", "string", ""),
    _age_col(),
    _c("VolumeMode", "string", "", 1),
]


def _pv_cells(obj: dict, now: datetime) -> list:
    spec, status = _spec(obj), _status(obj)
    claim = ""
    if spec.get("claimRef") is not None:
        ref = _d(spec.get("claimRef"))
        claim = f"{ref.get('namespace') or ''}/{ref.get('name') or ''}"
    phase = "Terminating" if _deleting(obj) else (status.get("phase") or "Pending")
    annotations = _d(_meta(obj).get("annotations"))
    if _BETA_STORAGE_CLASS_ANNOTATION in annotations:
        storage_class = annotations[_BETA_STORAGE_CLASS_ANNOTATION]
    else:
        storage_class = spec.get("storageClassName") or ""
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(obj),
        _quantity(_d(spec.get("capacity")).get("storage")),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "Retain",
        phase,
        claim,
        storage_class,
        UNSET if vac is None else vac,
        status.get("reason") or "",
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


_PVC_COLUMNS = [
    _name_col(),
    _c("Status", "string", ""),
    _c("Volume", "string", ""),
    _c("Capacity", "string", ""),
    _c("Access Modes", "string", ""),
    _c("StorageClass", "string", "StorageClass of the pvc"),
    _c("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
    _age_col(),
    _c("VolumeMode", "string", "", 1),
]


def _pvc_cells(obj: dict, now: datetime) -> list:
    spec, status = _spec(obj), _status(obj)
    phase = "Terminating" if _deleting(obj) else (status.get("phase") or "Pending")
    capacity = access = ""
    volume = spec.get("volumeName") or ""
    if volume:
        access = _access_modes(status.get("accessModes"))
        capacity = _quantity(_d(status.get("capacity")).get("storage"))
    annotations = _d(_meta(obj).get("annotations"))
    if _BETA_STORAGE_CLASS_ANNOTATION in annotations:
        storage_class = annotations[_BETA_STORAGE_CLASS_ANNOTATION]
    else:
        storage_class = spec.get("storageClassName") or ""
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(obj), phase, volume, capacity, access, storage_class, UNSET if vac is None else vac, _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


_STORAGE_CLASS_COLUMNS = [
    _name_col(),
    _c("Provisioner", "string", ""),
    _c("ReclaimPolicy", "string", ""),
    _c("VolumeBindingMode", "string", ""),
    _c("AllowVolumeExpansion", "string", ""),
    _age_col(),
]

_DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                              "storageclass.beta.kubernetes.io/is-default-class")


def _storage_class_cells(obj: dict, now: datetime) -> list:
    name = _name(obj)
    annotations = _d(_meta(obj).get("annotations"))
    if any(annotations.get(a) == "true" for a in _DEFAULT_CLASS_ANNOTATIONS):
        name += " (default)"
    return [
        name,
        obj.get("provisioner") or "",
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion") or False),
        _age(obj, now),
    ]


_CSI_DRIVER_COLUMNS = [
    _name_col(),
    _c("AttachRequired", "boolean", ""),
    _c("PodInfoOnMount", "boolean", ""),
    _c("StorageCapacity", "boolean", ""),
    _c("TokenRequests", "string", ""),
    _c("RequiresRepublish", "boolean", ""),
    _c("Modes", "string", ""),
    _age_col(),
]


def _csi_driver_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    attach = spec.get("attachRequired")
    token_requests = spec.get("tokenRequests")
    tokens = UNSET
    if token_requests is not None:
        tokens = ",".join(str(_d(t).get("audience") or "") for t in _l(token_requests))
    modes = [str(m) for m in _l(spec.get("volumeLifecycleModes"))] or ["Persistent"]
    return [
        _name(obj),
        True if attach is None else bool(attach),
        bool(spec.get("podInfoOnMount") or False),
        bool(spec.get("storageCapacity") or False),
        tokens,
        bool(spec.get("requiresRepublish") or False),
        ",".join(modes),
        _age(obj, now),
    ]


_CSI_NODE_COLUMNS = [
    _name_col(),
    _c("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"),
    _age_col(),
]


def _csi_node_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), len(_l(_spec(obj).get("drivers"))), _age(obj, now)]


_CSI_STORAGE_CAPACITY_COLUMNS = [
    _name_col(),
    _c("StorageClassName", "string", ""),
    _c("Capacity", "string", ""),
]


def _csi_storage_capacity_cells(obj: dict, now: datetime) -> list:
    capacity = obj.get("capacity")
    return [_name(obj), obj.get("storageClassName") or "", UNSET if capacity is None else _quantity(capacity)]


_VOLUME_ATTACHMENT_COLUMNS = [
    _name_col(),
    _c("Attacher", "string", "", fmt="name"),
    _c("PV", "string", ""),
    _c("Node", "string", ""),
    _c("Attached", "boolean", ""),
    _age_col(),
]


def _volume_attachment_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    return [
        _name(obj),
        spec.get("attacher") or "",
        _d(spec.get("source")).get("persistentVolumeName") or "",
        spec.get("nodeName") or "",
        bool(_status(obj).get("attached") or False),
        _age(obj, now),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Autoscaling and policy
# ---------------------------------------------------------------------------------------------------------------

_HPA_COLUMNS = [
    _name_col(),
    _c("Reference", "string", ""),
    _c("Targets", "string", ""),
    _c("MinPods", "string", ""),
    _c("MaxPods", "string", ""),
    _c("Replicas", "string", ""),
    _age_col(),
]

_DEFAULT_CPU_METRIC = {"type": "Resource", "resource": {
    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}


def _hpa_metrics(hpa: dict) -> tuple[list, list]:
    """The (spec metrics, status metrics) in autoscaling/v2 shape.  An autoscaling/v1 object contributes its
    CPU utilization target and current value; a missing metric list gets the implicit 80% CPU target."""
    spec, status = _spec(hpa), _status(hpa)
    if "metrics" in spec or not str(hpa.get("apiVersion") or "").startswith("autoscaling/v1"):
        metrics = spec.get("metrics")
        return (_l(metrics) if metrics is not None else [_DEFAULT_CPU_METRIC]), _l(status.get("currentMetrics"))
    target = spec.get("targetCPUUtilizationPercentage")
    if target is None:
        target = 80
    metrics = [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]
    current = []
    if status.get("currentCPUUtilizationPercentage") is not None:
        current = [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    return metrics, current


def format_hpa_metrics(specs: list, statuses: list) -> str:
    """The Targets column: ``current/target`` per metric (``cpu: 50%/80%``, ``<unknown>/80%``), at most two,
    then ``+ N more...``; ``<none>`` without metrics."""
    if not specs:
        return NONE
    listed: list[str] = []

    def status_part(i: int, key: str) -> dict | None:
        if i < len(statuses):
            part = _d(statuses[i]).get(key)
            if part is not None:
                return _d(part)
        return None

    for i, spec in enumerate(specs):
        spec = _d(spec)
        kind = spec.get("type")
        if kind == "External":
            target = _d(_d(spec.get("external")).get("target"))
            current_part = status_part(i, "external")
            current = UNKNOWN
            if target.get("averageValue") is not None:
                if current_part is not None and _d(current_part.get("current")).get("averageValue") is not None:
                    current = _quantity(_d(current_part.get("current"))["averageValue"])
                listed.append(f"{current}/{_quantity(target['averageValue'])} (avg)")
            else:
                if current_part is not None:
                    current = _quantity_ptr(_d(current_part.get("current")).get("value"))
                listed.append(f"{current}/{_quantity_ptr(target.get('value'))}")
        elif kind == "Pods":
            target = _d(_d(spec.get("pods")).get("target"))
            current_part = status_part(i, "pods")
            current = UNKNOWN
            if current_part is not None:
                current = _quantity_ptr(_d(current_part.get("current")).get("averageValue"))
            listed.append(f"{current}/{_quantity_ptr(target.get('averageValue'))}")
        elif kind == "Object":
            target = _d(_d(spec.get("object")).get("target"))
            current_part = status_part(i, "object")
            current = UNKNOWN
            if target.get("averageValue") is not None:
                if current_part is not None and _d(current_part.get("current")).get("averageValue") is not None:
                    current = _quantity(_d(current_part.get("current"))["averageValue"])
                listed.append(f"{current}/{_quantity(target['averageValue'])} (avg)")
            else:
                if current_part is not None:
                    current = _quantity_ptr(_d(current_part.get("current")).get("value"))
                listed.append(f"{current}/{_quantity_ptr(target.get('value'))}")
        elif kind in ("Resource", "ContainerResource"):
            key = "resource" if kind == "Resource" else "containerResource"
            source = _d(spec.get(key))
            target = _d(source.get("target"))
            resource_name = source.get("name") or ""
            current_part = status_part(i, key)
            current = UNKNOWN
            if target.get("averageValue") is not None:
                if current_part is not None:
                    current = _quantity_ptr(_d(current_part.get("current")).get("averageValue"))
                listed.append(f"{resource_name}: {current}/{_quantity(target['averageValue'])}")
            else:
                if current_part is not None:
                    utilization = _d(current_part.get("current")).get("averageUtilization")
                    if utilization is not None:
                        current = f"{_int(utilization)}%"
                target_text = "<auto>"
                if target.get("averageUtilization") is not None:
                    target_text = f"{_int(target['averageUtilization'])}%"
                listed.append(f"{resource_name}: {current}/{target_text}")
        else:
            listed.append("<unknown type>")
    limit = 2
    if len(listed) > limit:
        return ", ".join(listed[:limit]) + f" + {len(listed) - limit} more..."
    return ", ".join(listed)


def _hpa_cells(obj: dict, now: datetime) -> list:
    spec, status = _spec(obj), _status(obj)
    ref = _d(spec.get("scaleTargetRef"))
    metrics, current = _hpa_metrics(obj)
    min_replicas = spec.get("minReplicas")
    if min_replicas is None:
        min_replicas = 1
    return [
        _name(obj),
        f"{ref.get('kind') or ''}/{ref.get('name') or ''}",
        format_hpa_metrics(metrics, current),
        str(_int(min_replicas)),
        _int(spec.get("maxReplicas")),
        _int(status.get("currentReplicas")),
        _age(obj, now),
    ]


_PDB_COLUMNS = [
    _name_col(),
    _c("Min Available", "string", "The minimum number of pods that must be available."),
    _c("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
    _c("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
    _age_col(),
]


def _pdb_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    min_available = spec.get("minAvailable")
    max_unavailable = spec.get("maxUnavailable")
    return [
        _name(obj),
        "N/A" if min_available is None else _int_or_string(min_available),
        "N/A" if max_unavailable is None else _int_or_string(max_unavailable),
        _int(_status(obj).get("disruptionsAllowed")),
        _age(obj, now),
    ]


# ---------------------------------------------------------------------------------------------------------------
# RBAC, certificates, coordination, scheduling, node
# ---------------------------------------------------------------------------------------------------------------


def _binding_columns(what: str, role_ref_doc: str) -> list[Column]:
    return [
        _name_col(),
        _c("Role", "string", _doc(role_ref_doc)),
        _age_col(),
        _c("Users", "string", f"Users in the {what}", 1),
        _c("Groups", "string", f"Groups in the {what}", 1),
        _c("ServiceAccounts", "string", f"ServiceAccounts in the {what}", 1),
    ]


def _binding_cells(obj: dict, now: datetime) -> list:
    ref = _d(obj.get("roleRef"))
    users: list[str] = []
    groups: list[str] = []
    service_accounts: list[str] = []
    for subject in _l(obj.get("subjects")):
        subject = _d(subject)
        kind, name = subject.get("kind"), subject.get("name") or ""
        if kind == "ServiceAccount":
            service_accounts.append(f"{subject.get('namespace') or ''}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return [
        _name(obj), f"{ref.get('kind') or ''}/{ref.get('name') or ''}", _age(obj, now),
        ", ".join(users), ", ".join(groups), ", ".join(service_accounts),
    ]


_CSR_COLUMNS = [
    _name_col(),
    _age_col(),
    _c("SignerName", "string", ""),
    _c("Requestor", "string", ""),
    _c("RequestedDuration", "string", ""),
    _c("Condition", "string", ""),
]


def csr_condition(csr: dict) -> str:
    """The Condition column: Denied, Approved or Pending, then ``,Failed`` and ``,Issued`` when they apply."""
    kinds = {_d(c).get("type") for c in _l(_status(csr).get("conditions"))}
    text = "Denied" if "Denied" in kinds else "Approved" if "Approved" in kinds else "Pending"
    if "Failed" in kinds:
        text += ",Failed"
    if _status(csr).get("certificate"):
        text += ",Issued"
    return text


def _csr_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    expiration = spec.get("expirationSeconds")
    return [
        _name(obj),
        _age(obj, now),
        spec.get("signerName") or NONE,
        spec.get("username") or "",
        NONE if expiration is None else _human_ns(_int(expiration) * _NS_PER_SECOND),
        csr_condition(obj),
    ]


_LEASE_COLUMNS = [_name_col(), _c("Holder", "string", ""), _age_col()]


def _lease_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), _spec(obj).get("holderIdentity") or "", _age(obj, now)]


_PRIORITY_CLASS_COLUMNS = [
    _name_col(),
    _c("Value", "integer", ""),
    _c("Global-Default", "boolean", ""),
    _age_col(),
    _c("PreemptionPolicy", "string", "", 1),
]


def _priority_class_cells(obj: dict, now: datetime) -> list:
    return [
        _name(obj), _int(obj.get("value")), bool(obj.get("globalDefault") or False), _age(obj, now),
        obj.get("preemptionPolicy") or "PreemptLowerPriority",
    ]


_RUNTIME_CLASS_COLUMNS = [_name_col(), _c("Handler", "string", ""), _age_col()]


def _runtime_class_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), obj.get("handler") or "", _age(obj, now)]


# ---------------------------------------------------------------------------------------------------------------
# Admission, flow control, aggregation
# ---------------------------------------------------------------------------------------------------------------

_WEBHOOK_COLUMNS = [
    _name_col(),
    _c("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"),
    _age_col(),
]


def _webhook_cells(obj: dict, now: datetime) -> list:
    return [_name(obj), len(_l(obj.get("webhooks"))), _age(obj, now)]


_VAP_COLUMNS = [
    _name_col(),
    _c("Validations", "integer", "Validations indicates the number of validation rules defined in this "
       "configuration"),
    _c("ParamKind", "string", "ParamKind specifies the kind of resources used to parameterize this policy"),
    _age_col(),
]


def _vap_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    param_kind = UNSET
    if spec.get("paramKind") is not None:
        pk = _d(spec.get("paramKind"))
        param_kind = f"{pk.get('apiVersion') or ''}/{pk.get('kind') or ''}"
    return [_name(obj), len(_l(spec.get("validations"))), param_kind, _age(obj, now)]


_VAP_BINDING_COLUMNS = [
    _name_col(),
    _c("PolicyName", "string", "PolicyName indicates the policy definition which the policy binding binded to"),
    _c("ParamRef", "string", "ParamRef indicates the param resource which sets the configration param"),
    _age_col(),
]


def _vap_binding_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    param = UNSET
    if spec.get("paramRef") is not None:
        ref = _d(spec.get("paramRef"))
        if ref.get("name"):
            # without a namespace the param may be cluster-scoped or in the object's namespace: "*"
            param = f"{ref.get('namespace')}/{ref['name']}" if ref.get("namespace") else f"*/{ref['name']}"
        elif ref.get("selector") is not None:
            param = _go_label_selector_struct(_d(ref.get("selector")))
    return [_name(obj), spec.get("policyName") or "", param, _age(obj, now)]


_FLOW_SCHEMA_COLUMNS = [
    _name_col(),
    _c("PriorityLevel", "string", ""),
    _c("MatchingPrecedence", "string", ""),
    _c("DistinguisherMethod", "string", ""),
    _age_col(),
    _c("MissingPL", "string", "references a broken or non-existent PriorityLevelConfiguration"),
]


def _matching_precedence(obj: dict) -> int:
    return _int(_spec(obj).get("matchingPrecedence")) or 1000


def _flow_schema_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    method = spec.get("distinguisherMethod")
    missing = "?"
    cond = _condition(_status(obj).get("conditions"), "Dangling")
    if cond is not None:
        missing = cond.get("status") or ""
    return [
        _name(obj),
        _d(spec.get("priorityLevelConfiguration")).get("name") or "",
        _matching_precedence(obj),
        NONE if method is None else (_d(method).get("type") or ""),
        _age(obj, now),
        missing,
    ]


_PRIORITY_LEVEL_COLUMNS = [
    _name_col(),
    _c("Type", "string", ""),
    _c("NominalConcurrencyShares", "string", ""),
    _c("Queues", "string", ""),
    _c("HandSize", "string", ""),
    _c("QueueLengthLimit", "string", ""),
    _age_col(),
]


def _priority_level_cells(obj: dict, now: datetime) -> list:
    spec = _spec(obj)
    shares: Any = NONE
    queues: Any = NONE
    hand_size: Any = NONE
    queue_length_limit: Any = NONE
    limited = spec.get("limited")
    if limited is not None:
        limited = _d(limited)
        shares_value = limited.get("nominalConcurrencyShares")
        shares = 30 if shares_value is None else _int(shares_value)
        queuing = _d(limited.get("limitResponse")).get("queuing")
        if queuing is not None:
            queuing = _d(queuing)
            queues = _int(queuing.get("queues")) or 64
            hand_size = _int(queuing.get("handSize")) or 8
            queue_length_limit = _int(queuing.get("queueLengthLimit")) or 50
    return [_name(obj), spec.get("type") or "", shares, queues, hand_size, queue_length_limit, _age(obj, now)]


_API_SERVICE_COLUMNS = [
    _name_col(),
    _c("Service", "string", "The reference to the service that hosts this API endpoint."),
    _c("Available", "string", "Whether this service is available."),
    _age_col(),
]


def _api_service_cells(obj: dict, now: datetime) -> list:
    service = "Local"
    ref = _spec(obj).get("service")
    if ref is not None:
        ref = _d(ref)
        service = f"{ref.get('namespace') or ''}/{ref.get('name') or ''}"
    available = "Unknown"
    cond = _condition(_status(obj).get("conditions"), "Available")
    if cond is not None:
        state = cond.get("status") or ""
        if state == "True":
            available = state
        elif cond.get("reason"):
            available = f"{state} ({cond['reason']})"
        else:
            available = state
    return [_name(obj), service, available, _age(obj, now)]


# ---------------------------------------------------------------------------------------------------------------
# Column descriptions that come from the API types' documentation, then the registry
# ---------------------------------------------------------------------------------------------------------------


def _describe(columns: list[Column], docs: dict[str, str]) -> list[Column]:
    """Fill in descriptions taken from field documentation (by column name)."""
    for col in columns:
        if col["name"] in docs:
            col["description"] = _doc(docs[col["name"]])
    return columns


def _build() -> dict[tuple[str, str], tuple[list[Column], CellsFunc]]:
    core = "core.v1."
    _describe(_POD_COLUMNS, {"IP": core + "PodStatus.podIP", "Node": core + "PodSpec.nodeName",
                             "Nominated Node": core + "PodStatus.nominatedNodeName",
                             "Readiness Gates": core + "PodSpec.readinessGates"})
    _describe(_RC_COLUMNS, {"Desired": core + "ReplicationControllerSpec.replicas",
                            "Current": core + "ReplicationControllerStatus.replicas",
                            "Ready": core + "ReplicationControllerStatus.readyReplicas",
                            "Selector": core + "ReplicationControllerSpec.selector"})
    _describe(_RS_COLUMNS, {"Desired": "apps.v1.ReplicaSetSpec.replicas",
                            "Current": "apps.v1.ReplicaSetStatus.replicas",
                            "Ready": "apps.v1.ReplicaSetStatus.readyReplicas",
                            "Selector": "apps.v1.ReplicaSetSpec.selector"})
    _describe(_DEPLOYMENT_COLUMNS, {"Up-to-date": "apps.v1.DeploymentStatus.updatedReplicas",
                                    "Available": "apps.v1.DeploymentStatus.availableReplicas",
                                    "Selector": "apps.v1.DeploymentSpec.selector"})
    _describe(_DAEMONSET_COLUMNS, {"Desired": "apps.v1.DaemonSetStatus.desiredNumberScheduled",
                                   "Current": "apps.v1.DaemonSetStatus.currentNumberScheduled",
                                   "Ready": "apps.v1.DaemonSetStatus.numberReady",
                                   "Up-to-date": "apps.v1.DaemonSetStatus.updatedNumberScheduled",
                                   "Available": "apps.v1.DaemonSetStatus.numberAvailable",
                                   "Node Selector": core + "PodSpec.nodeSelector",
                                   "Selector": "apps.v1.DaemonSetSpec.selector"})
    _describe(_CONTROLLER_REVISION_COLUMNS, {"Revision": "apps.v1.ControllerRevision.revision"})
    _describe(_JOB_COLUMNS, {"Completions": "batch.v1.JobStatus.succeeded", "Selector": "batch.v1.JobSpec.selector"})
    _describe(_CRONJOB_COLUMNS, {"Schedule": "batch.v1.CronJobSpec.schedule",
                                 "Timezone": "batch.v1.CronJobSpec.timeZone",
                                 "Suspend": "batch.v1.CronJobSpec.suspend", "Active": "batch.v1.CronJobStatus.active",
                                 "Last Schedule": "batch.v1.CronJobStatus.lastScheduleTime",
                                 "Selector": "batch.v1.JobSpec.selector"})
    _describe(_SERVICE_COLUMNS, {"Type": core + "ServiceSpec.type", "Cluster-IP": core + "ServiceSpec.clusterIP",
                                 "External-IP": core + "ServiceSpec.externalIPs", "Port(s)": core + "ServiceSpec.ports",
                                 "Selector": core + "ServiceSpec.selector"})
    _describe(_ENDPOINTS_COLUMNS, {"Endpoints": core + "Endpoints.subsets"})
    _describe(_ENDPOINT_SLICE_COLUMNS, {"AddressType": "discovery.v1.EndpointSlice.addressType",
                                        "Ports": "discovery.v1.EndpointSlice.ports",
                                        "Endpoints": "discovery.v1.EndpointSlice.endpoints"})
    _describe(_NETWORK_POLICY_COLUMNS, {"Pod-Selector": "networking.v1.NetworkPolicySpec.podSelector"})
    _describe(_NODE_COLUMNS, {"Version": core + "NodeSystemInfo.kubeletVersion",
                              "Internal-IP": core + "NodeStatus.addresses",
                              "External-IP": core + "NodeStatus.addresses",
                              "OS-Image": core + "NodeSystemInfo.osImage",
                              "Kernel-Version": core + "NodeSystemInfo.kernelVersion",
                              "Container-Runtime": core + "NodeSystemInfo.containerRuntimeVersion"})
    _describe(_SECRET_COLUMNS, {"Type": core + "Secret.type", "Data": core + "Secret.data"})
    _describe(_SERVICE_ACCOUNT_COLUMNS, {"Secrets": core + "ServiceAccount.secrets"})
    _describe(_CONFIGMAP_COLUMNS, {"Data": core + "ConfigMap.data"})
    _describe(_EVENT_COLUMNS, {"Last Seen": core + "Event.lastTimestamp", "Type": core + "Event.type",
                               "Reason": core + "Event.reason", "Object": core + "Event.involvedObject",
                               "Subobject": core + "ObjectReference.fieldPath", "Source": core + "Event.source",
                               "Message": core + "Event.message", "First Seen": core + "Event.firstTimestamp",
                               "Count": core + "Event.count", "Name": "meta.ObjectMeta.name"})
    _describe(_PV_COLUMNS, {"Capacity": core + "PersistentVolumeSpec.capacity",
                            "Access Modes": core + "PersistentVolumeSpec.accessModes",
                            "Reclaim Policy": core + "PersistentVolumeSpec.persistentVolumeReclaimPolicy",
                            "Status": core + "PersistentVolumeStatus.phase",
                            "Claim": core + "PersistentVolumeSpec.claimRef",
                            "Reason": core + "PersistentVolumeStatus.reason",
                            "VolumeMode": core + "PersistentVolumeSpec.volumeMode"})
    _describe(_PVC_COLUMNS, {"Status": core + "PersistentVolumeClaimStatus.phase",
                             "Volume": core + "PersistentVolumeClaimSpec.volumeName",
                             "Capacity": core + "PersistentVolumeClaimStatus.capacity",
                             "Access Modes": core + "PersistentVolumeClaimStatus.accessModes",
                             "VolumeMode": core + "PersistentVolumeClaimSpec.volumeMode"})
    _describe(_STORAGE_CLASS_COLUMNS, {"Provisioner": "storage.v1.StorageClass.provisioner",
                                       "ReclaimPolicy": "storage.v1.StorageClass.reclaimPolicy",
                                       "VolumeBindingMode": "storage.v1.StorageClass.volumeBindingMode",
                                       "AllowVolumeExpansion": "storage.v1.StorageClass.allowVolumeExpansion"})
    _describe(_CSI_DRIVER_COLUMNS, {"AttachRequired": "storage.v1.CSIDriverSpec.attachRequired",
                                    "PodInfoOnMount": "storage.v1.CSIDriverSpec.podInfoOnMount",
                                    "StorageCapacity": "storage.v1.CSIDriverSpec.storageCapacity",
                                    "TokenRequests": "storage.v1.CSIDriverSpec.tokenRequests",
                                    "RequiresRepublish": "storage.v1.CSIDriverSpec.requiresRepublish",
                                    "Modes": "storage.v1.CSIDriverSpec.volumeLifecycleModes"})
    _describe(_CSI_STORAGE_CAPACITY_COLUMNS, {"StorageClassName": "storage.v1.CSIStorageCapacity.storageClassName",
                                              "Capacity": "storage.v1.CSIStorageCapacity.capacity"})
    _describe(_VOLUME_ATTACHMENT_COLUMNS, {"Attacher": "storage.v1.VolumeAttachmentSpec.attacher",
                                           "PV": "storage.v1.VolumeAttachmentSource.persistentVolumeName",
                                           "Node": "storage.v1.VolumeAttachmentSpec.nodeName",
                                           "Attached": "storage.v1.VolumeAttachmentStatus.attached"})
    _describe(_HPA_COLUMNS, {"Reference": "autoscaling.v2.HorizontalPodAutoscalerSpec.scaleTargetRef",
                             "Targets": "autoscaling.v2.HorizontalPodAutoscalerSpec.metrics",
                             "MinPods": "autoscaling.v2.HorizontalPodAutoscalerSpec.minReplicas",
                             "MaxPods": "autoscaling.v2.HorizontalPodAutoscalerSpec.maxReplicas",
                             "Replicas": "autoscaling.v2.HorizontalPodAutoscalerStatus.currentReplicas"})
    _describe(_CSR_COLUMNS, {"SignerName": "certificates.v1.CertificateSigningRequestSpec.signerName",
                             "Requestor": "certificates.v1.CertificateSigningRequestSpec.request",
                             "RequestedDuration": "certificates.v1.CertificateSigningRequestSpec.expirationSeconds",
                             "Condition": "certificates.v1.CertificateSigningRequestStatus.conditions"})
    _describe(_LEASE_COLUMNS, {"Holder": "coordination.v1.LeaseSpec.holderIdentity"})
    _describe(_PRIORITY_CLASS_COLUMNS, {"Value": "scheduling.v1.PriorityClass.value",
                                        "Global-Default": "scheduling.v1.PriorityClass.globalDefault",
                                        "PreemptionPolicy": "scheduling.v1.PriorityClass.preemptionPolicy"})
    _describe(_FLOW_SCHEMA_COLUMNS, {"PriorityLevel": "flowcontrol.v1.PriorityLevelConfigurationReference.name",
                                     "MatchingPrecedence": "flowcontrol.v1.FlowSchemaSpec.matchingPrecedence",
                                     "DistinguisherMethod": "flowcontrol.v1.FlowSchemaSpec.distinguisherMethod"})
    _describe(_PRIORITY_LEVEL_COLUMNS, {
        "Type": "flowcontrol.v1.PriorityLevelConfigurationSpec.type",
        "NominalConcurrencyShares": "flowcontrol.v1.LimitedPriorityLevelConfiguration.nominalConcurrencyShares",
        "Queues": "flowcontrol.v1.QueuingConfiguration.queues",
        "HandSize": "flowcontrol.v1.QueuingConfiguration.handSize",
        "QueueLengthLimit": "flowcontrol.v1.QueuingConfiguration.queueLengthLimit"})

    rbac = "rbac.authorization.k8s.io"
    printers: dict[tuple[str, str], tuple[list[Column], CellsFunc]] = {
        ("", "pods"): (_POD_COLUMNS, _pod_cells),
        ("", "podtemplates"): (_POD_TEMPLATE_COLUMNS, _pod_template_cells),
        ("", "replicationcontrollers"): (_RC_COLUMNS, _rc_cells),
        ("", "services"): (_SERVICE_COLUMNS, _service_cells),
        ("", "endpoints"): (_ENDPOINTS_COLUMNS, _endpoints_cells),
        ("", "nodes"): (_NODE_COLUMNS, _node_cells),
        ("", "namespaces"): (_NAMESPACE_COLUMNS, _namespace_cells),
        ("", "secrets"): (_SECRET_COLUMNS, _secret_cells),
        ("", "serviceaccounts"): (_SERVICE_ACCOUNT_COLUMNS, _service_account_cells),
        ("", "configmaps"): (_CONFIGMAP_COLUMNS, _configmap_cells),
        ("", "events"): (_EVENT_COLUMNS, _event_cells),
        ("", "persistentvolumes"): (_PV_COLUMNS, _pv_cells),
        ("", "persistentvolumeclaims"): (_PVC_COLUMNS, _pvc_cells),
        ("", "componentstatuses"): (_COMPONENT_STATUS_COLUMNS, _component_status_cells),
        ("", "resourcequotas"): (_RESOURCE_QUOTA_COLUMNS, _resource_quota_cells),
        ("apps", "replicasets"): (_RS_COLUMNS, _rs_cells),
        ("apps", "deployments"): (_DEPLOYMENT_COLUMNS, _deployment_cells),
        ("apps", "statefulsets"): (_STATEFULSET_COLUMNS, _statefulset_cells),
        ("apps", "daemonsets"): (_DAEMONSET_COLUMNS, _daemonset_cells),
        ("apps", "controllerrevisions"): (_CONTROLLER_REVISION_COLUMNS, _controller_revision_cells),
        ("batch", "jobs"): (_JOB_COLUMNS, _job_cells),
        ("batch", "cronjobs"): (_CRONJOB_COLUMNS, _cronjob_cells),
        ("events.k8s.io", "events"): (_EVENT_COLUMNS, _event_cells),
        ("discovery.k8s.io", "endpointslices"): (_ENDPOINT_SLICE_COLUMNS, _endpoint_slice_cells),
        ("networking.k8s.io", "ingresses"): (_INGRESS_COLUMNS, _ingress_cells),
        ("networking.k8s.io", "ingressclasses"): (_INGRESS_CLASS_COLUMNS, _ingress_class_cells),
        ("networking.k8s.io", "networkpolicies"): (_NETWORK_POLICY_COLUMNS, _network_policy_cells),
        ("autoscaling", "horizontalpodautoscalers"): (_HPA_COLUMNS, _hpa_cells),
        ("policy", "poddisruptionbudgets"): (_PDB_COLUMNS, _pdb_cells),
        (rbac, "rolebindings"): (_binding_columns("roleBinding", "rbac.v1.RoleBinding.roleRef"), _binding_cells),
        (rbac, "clusterrolebindings"): (
            _binding_columns("clusterRoleBinding", "rbac.v1.ClusterRoleBinding.roleRef"), _binding_cells),
        ("certificates.k8s.io", "certificatesigningrequests"): (_CSR_COLUMNS, _csr_cells),
        ("coordination.k8s.io", "leases"): (_LEASE_COLUMNS, _lease_cells),
        ("scheduling.k8s.io", "priorityclasses"): (_PRIORITY_CLASS_COLUMNS, _priority_class_cells),
        ("node.k8s.io", "runtimeclasses"): (_RUNTIME_CLASS_COLUMNS, _runtime_class_cells),
        ("storage.k8s.io", "storageclasses"): (_STORAGE_CLASS_COLUMNS, _storage_class_cells),
        ("storage.k8s.io", "csidrivers"): (_CSI_DRIVER_COLUMNS, _csi_driver_cells),
        ("storage.k8s.io", "csinodes"): (_CSI_NODE_COLUMNS, _csi_node_cells),
        ("storage.k8s.io", "csistoragecapacities"): (_CSI_STORAGE_CAPACITY_COLUMNS, _csi_storage_capacity_cells),
        ("storage.k8s.io", "volumeattachments"): (_VOLUME_ATTACHMENT_COLUMNS, _volume_attachment_cells),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): (_WEBHOOK_COLUMNS, _webhook_cells),
        ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): (
            [dict(c) for c in _WEBHOOK_COLUMNS], _webhook_cells),
        ("admissionregistration.k8s.io", "validatingadmissionpolicies"): (_VAP_COLUMNS, _vap_cells),
        ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): (
            _VAP_BINDING_COLUMNS, _vap_binding_cells),
        ("flowcontrol.apiserver.k8s.io", "flowschemas"): (_FLOW_SCHEMA_COLUMNS, _flow_schema_cells),
        ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): (
            _PRIORITY_LEVEL_COLUMNS, _priority_level_cells),
        ("apiregistration.k8s.io", "apiservices"): (_API_SERVICE_COLUMNS, _api_service_cells),
    }
    for columns, _ in printers.values():
        for col in columns:
            if col["name"] == "Name" and not col["description"]:
                col["description"] = _doc("meta.ObjectMeta.name")
            elif col["name"] == "Age" and not col["description"]:
                col["description"] = _doc("meta.ObjectMeta.creationTimestamp")
    return printers


# List rows whose upstream printer reorders the items: flow schemas print by matching precedence, then name.
LIST_SORT_KEYS: dict[tuple[str, str], Callable[[dict], Any]] = {
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): lambda obj: (_matching_precedence(obj), _name(obj)),
}

# Field documentation of the 1.32 API types (what upstream's SwaggerDoc() returns), by "group.version.Type.field".
_DOC = {
    'meta.ObjectMeta.name': 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
    'meta.ObjectMeta.creationTimestamp': 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    'core.v1.PodStatus.podIP': 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    'core.v1.PodStatus.nominatedNodeName': 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.',
    'core.v1.PodSpec.nodeName': 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename',
    'core.v1.PodSpec.readinessGates': 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    'core.v1.PodSpec.nodeSelector': "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
    'core.v1.ReplicationControllerSpec.replicas': 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
    'core.v1.ReplicationControllerSpec.selector': 'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    'core.v1.ReplicationControllerStatus.replicas': 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
    'core.v1.ReplicationControllerStatus.readyReplicas': 'The number of ready replicas for this replication controller.',
    'core.v1.ServiceSpec.type': 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
    'core.v1.ServiceSpec.clusterIP': 'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
    'core.v1.ServiceSpec.externalIPs': 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.',
    'core.v1.ServiceSpec.ports': 'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
    'core.v1.ServiceSpec.selector': 'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/',
    'core.v1.Endpoints.subsets': 'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.',
    'core.v1.NodeSystemInfo.kubeletVersion': 'Kubelet Version reported by the node.',
    'core.v1.NodeSystemInfo.osImage': 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
    'core.v1.NodeSystemInfo.kernelVersion': "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    'core.v1.NodeSystemInfo.containerRuntimeVersion': 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    'core.v1.NodeStatus.addresses': "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).",
    'core.v1.Event.lastTimestamp': 'The time at which the most recent occurrence of this event was recorded.',
    'core.v1.Event.type': 'Type of this event (Normal, Warning), new types could be added in the future',
    'core.v1.Event.reason': "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    'core.v1.Event.involvedObject': 'The object that this event is about.',
    'core.v1.Event.source': 'The component reporting this event. Should be a short machine understandable string.',
    'core.v1.Event.message': 'A human-readable description of the status of this operation.',
    'core.v1.Event.firstTimestamp': 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    'core.v1.Event.count': 'The number of times this event has occurred.',
    'core.v1.ObjectReference.fieldPath': 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
    'core.v1.Secret.type': 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
    'core.v1.Secret.data': "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    'core.v1.ServiceAccount.secrets': 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
    'core.v1.PersistentVolumeSpec.capacity': "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
    'core.v1.PersistentVolumeSpec.accessModes': 'accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes',
    'core.v1.PersistentVolumeSpec.persistentVolumeReclaimPolicy': 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming',
    'core.v1.PersistentVolumeSpec.claimRef': 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding',
    'core.v1.PersistentVolumeSpec.volumeMode': 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.',
    'core.v1.PersistentVolumeStatus.phase': 'phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase',
    'core.v1.PersistentVolumeStatus.reason': 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
    'core.v1.PersistentVolumeClaimStatus.phase': 'phase represents the current phase of PersistentVolumeClaim.',
    'core.v1.PersistentVolumeClaimStatus.capacity': 'capacity represents the actual resources of the underlying volume.',
    'core.v1.PersistentVolumeClaimStatus.accessModes': 'accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1',
    'core.v1.PersistentVolumeClaimSpec.volumeName': 'volumeName is the binding reference to the PersistentVolume backing this claim.',
    'core.v1.PersistentVolumeClaimSpec.volumeMode': 'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.',
    'core.v1.ConfigMap.data': "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    'apps.v1.ReplicaSetSpec.replicas': 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
    'apps.v1.ReplicaSetSpec.selector': "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    'apps.v1.ReplicaSetStatus.replicas': 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
    'apps.v1.ReplicaSetStatus.readyReplicas': 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.',
    'apps.v1.DaemonSetStatus.desiredNumberScheduled': 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
    'apps.v1.DaemonSetStatus.currentNumberScheduled': 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
    'apps.v1.DaemonSetStatus.numberReady': 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
    'apps.v1.DaemonSetStatus.updatedNumberScheduled': 'The total number of nodes that are running updated daemon pod',
    'apps.v1.DaemonSetStatus.numberAvailable': 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    'apps.v1.DaemonSetSpec.selector': "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    'apps.v1.DeploymentStatus.updatedReplicas': 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    'apps.v1.DeploymentStatus.availableReplicas': 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    'apps.v1.DeploymentSpec.selector': "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
    'apps.v1.ControllerRevision.revision': 'Revision indicates the revision of the state represented by Data.',
    'batch.v1.JobStatus.succeeded': 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
    'batch.v1.JobSpec.selector': 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    'batch.v1.CronJobSpec.schedule': 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.',
    'batch.v1.CronJobSpec.timeZone': 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
    'batch.v1.CronJobSpec.suspend': 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
    'batch.v1.CronJobStatus.active': 'A list of pointers to currently running jobs.',
    'batch.v1.CronJobStatus.lastScheduleTime': 'Information when was the last time the job was successfully scheduled.',
    'autoscaling.v2.HorizontalPodAutoscalerSpec.scaleTargetRef': 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
    'autoscaling.v2.HorizontalPodAutoscalerSpec.metrics': 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.',
    'autoscaling.v2.HorizontalPodAutoscalerSpec.minReplicas': 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.',
    'autoscaling.v2.HorizontalPodAutoscalerSpec.maxReplicas': 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
    'autoscaling.v2.HorizontalPodAutoscalerStatus.currentReplicas': 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
    'networking.v1.NetworkPolicySpec.podSelector': 'podSelector selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.',
    'rbac.v1.RoleBinding.roleRef': 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
    'rbac.v1.ClusterRoleBinding.roleRef': 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
    'certificates.v1.CertificateSigningRequestSpec.signerName': 'signerName indicates the requested signer, and is a qualified name.\n\nList/watch requests for CertificateSigningRequests can filter on this field using a "spec.signerName=NAME" fieldSelector.\n\nWell-known Kubernetes signers are:\n 1. "kubernetes.io/kube-apiserver-client": issues client certificates that can be used to authenticate to kube-apiserver.\n  Requests for this signer are never auto-approved by kube-controller-manager, can be issued by the "csrsigning" controller in kube-controller-manager.\n 2. "kubernetes.io/kube-apiserver-client-kubelet": issues client certificates that kubelets use to authenticate to kube-apiserver.\n  Requests for this signer can be auto-approved by the "csrapproving" controller in kube-controller-manager, and can be issued by the "csrsigning" controller in kube-controller-manager.\n 3. "kubernetes.io/kubelet-serving" issues serving certificates that kubelets use to serve TLS endpoints, which kube-apiserver can connect to securely.\n  Requests for this signer are never auto-approved by kube-controller-manager, and can be issued by the "csrsigning" controller in kube-controller-manager.\n\nMore details are available at https://k8s.io/docs/reference/access-authn-authz/certificate-signing-requests/#kubernetes-signers\n\nCustom signerNames can also be specified. The signer defines:\n 1. Trust distribution: how trust (CA bundles) are distributed.\n 2. Permitted subjects: and behavior when a disallowed subject is requested.\n 3. Required, permitted, or forbidden x509 extensions in the request (including whether subjectAltNames are allowed, which types, restrictions on allowed values) and behavior when a disallowed extension is requested.\n 4. Required, permitted, or forbidden key usages / extended key usages.\n 5. Expiration/certificate lifetime: whether it is fixed by the signer, configurable by the admin.\n 6. Whether or not requests for CA certificates are allowed.',
    'certificates.v1.CertificateSigningRequestSpec.request': 'request contains an x509 certificate signing request encoded in a "CERTIFICATE REQUEST" PEM block. When serialized as JSON or YAML, the data is additionally base64-encoded.',
    'certificates.v1.CertificateSigningRequestSpec.expirationSeconds': 'expirationSeconds is the requested duration of validity of the issued certificate. The certificate signer may issue a certificate with a different validity duration so a client must check the delta between the notBefore and and notAfter fields in the issued certificate to determine the actual duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long as the requested duration is not greater than the maximum duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is shorter than the requested duration\n  3. Signer whose configured minimum is longer than the requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes.',
    'certificates.v1.CertificateSigningRequestStatus.conditions': 'conditions applied to the request. Known conditions are "Approved", "Denied", and "Failed".',
    'coordination.v1.LeaseSpec.holderIdentity': 'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
    'storage.v1.StorageClass.provisioner': 'provisioner indicates the type of the provisioner.',
    'storage.v1.StorageClass.reclaimPolicy': 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
    'storage.v1.StorageClass.volumeBindingMode': 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
    'storage.v1.StorageClass.allowVolumeExpansion': 'allowVolumeExpansion shows whether the storage class allow volume expand.',
    'storage.v1.VolumeAttachmentSpec.attacher': 'attacher indicates the name of the volume driver that MUST handle this request. This is the name returned by GetPluginName().',
    'storage.v1.VolumeAttachmentSpec.nodeName': 'nodeName represents the node that the volume should be attached to.',
    'storage.v1.VolumeAttachmentSource.persistentVolumeName': 'persistentVolumeName represents the name of the persistent volume to attach.',
    'storage.v1.VolumeAttachmentStatus.attached': 'attached indicates the volume is successfully attached. This field must only be set by the entity completing the attach operation, i.e. the external-attacher.',
    'storage.v1.CSIDriverSpec.attachRequired': 'attachRequired indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting. The CSI external-attacher coordinates with CSI volume driver and updates the volumeattachment status when the attach operation is complete. If the CSIDriverRegistry feature gate is enabled and the value is specified to false, the attach operation will be skipped. Otherwise the attach operation will be called.\n\nThis field is immutable.',
    'storage.v1.CSIDriverSpec.podInfoOnMount': 'podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations, if set to true. If set to false, pod information will not be passed on mount. Default is false.\n\nThe CSI driver specifies podInfoOnMount as part of driver deployment. If true, Kubelet will pass pod information as VolumeContext in the CSI NodePublishVolume() calls. The CSI driver is responsible for parsing and validating the information passed in as VolumeContext.\n\nThe following VolumeContext will be passed if podInfoOnMount is set to true. This list might grow, but the prefix will be used. "csi.storage.k8s.io/pod.name": pod.Name "csi.storage.k8s.io/pod.namespace": pod.Namespace "csi.storage.k8s.io/pod.uid": string(pod.UID) "csi.storage.k8s.io/ephemeral": "true" if the volume is an ephemeral inline volume\n                                defined by a CSIVolumeSource, otherwise "false"\n\n"csi.storage.k8s.io/ephemeral" is a new feature in Kubernetes 1.16. It is only required for drivers which support both the "Persistent" and "Ephemeral" VolumeLifecycleMode. Other drivers can leave pod info disabled and/or ignore this field. As Kubernetes 1.15 doesn\'t support this field, drivers can only support one mode when deployed on such a cluster and the deployment determines which mode that is, for example via a command line parameter of the driver.\n\nThis field was immutable in Kubernetes < 1.29 and now is mutable.',
    'storage.v1.CSIDriverSpec.storageCapacity': 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report by creating CSIStorageCapacity objects with capacity information, if set to true.\n\nThe check can be enabled immediately when deploying a driver. In that case, provisioning new volumes with late binding will pause until the driver deployment has published some suitable CSIStorageCapacity object.\n\nAlternatively, the driver can be deployed with the field unset or false and it can be flipped later when storage capacity information has been published.\n\nThis field was immutable in Kubernetes <= 1.22 and now is mutable.',
    'storage.v1.CSIDriverSpec.tokenRequests': 'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for to do necessary authentication. Kubelet will pass the tokens in VolumeContext in the CSI NodePublishVolume calls. The CSI driver should parse and validate the following VolumeContext: "csi.storage.k8s.io/serviceAccount.tokens": {\n  "<audience>": {\n    "token": <token>,\n    "expirationTimestamp": <expiration timestamp in RFC3339>,\n  },\n  ...\n}\n\nNote: Audience in each TokenRequest should be different and at most one token is empty string. To receive a new token after expiry, RequiresRepublish can be used to trigger NodePublishVolume periodically.',
    'storage.v1.CSIDriverSpec.requiresRepublish': 'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume. This field defaults to false.\n\nNote: After a successful initial NodePublishVolume call, subsequent calls to NodePublishVolume should only update the contents of the volume. New mount points will not be seen by a running container.',
    'storage.v1.CSIDriverSpec.volumeLifecycleModes': 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. The default if the list is empty is "Persistent", which is the usage defined by the CSI specification and implemented in Kubernetes via the usual PV/PVC mechanism.\n\nThe other mode is "Ephemeral". In this mode, volumes are defined inline inside the pod spec with CSIVolumeSource and their lifecycle is tied to the lifecycle of that pod. A driver has to be aware of this because it is only going to get a NodePublishVolume call for such a volume.\n\nFor more information about implementing this mode, see https://kubernetes-csi.github.io/docs/ephemeral-local-volumes.html A driver can support one or more of these modes and more modes may be added in the future.\n\nThis field is beta. This field is immutable.',
    'storage.v1.CSIStorageCapacity.storageClassName': 'storageClassName represents the name of the StorageClass that the reported capacity applies to. It must meet the same requirements as the name of a StorageClass object (non-empty, DNS subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should be removed by its creator. This field is immutable.',
    'storage.v1.CSIStorageCapacity.capacity': 'capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.\n\nThe semantic is currently (CSI spec 1.2) defined as: The available capacity, in bytes, of the storage that can be used to provision volumes. If not set, that information is currently unavailable.',
    'scheduling.v1.PriorityClass.value': 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
    'scheduling.v1.PriorityClass.globalDefault': 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
    'scheduling.v1.PriorityClass.preemptionPolicy': 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
    'discovery.v1.EndpointSlice.addressType': 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
    'discovery.v1.EndpointSlice.ports': 'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    'discovery.v1.EndpointSlice.endpoints': 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
    'flowcontrol.v1.PriorityLevelConfigurationReference.name': '`name` is the name of the priority level configuration being referenced Required.',
    'flowcontrol.v1.FlowSchemaSpec.matchingPrecedence': '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The chosen FlowSchema is among those with the numerically lowest (which we take to be logically highest) MatchingPrecedence.  Each MatchingPrecedence value must be ranged in [1,10000]. Note that if the precedence is not specified, it will be set to 1000 as default.',
    'flowcontrol.v1.FlowSchemaSpec.distinguisherMethod': '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty string.',
    'flowcontrol.v1.PriorityLevelConfigurationSpec.type': '`type` indicates whether this priority level is subject to limitation on request execution.  A value of `"Exempt"` means that requests of this priority level are not subject to a limit (and thus are never queued) and do not detract from the capacity made available to other priority levels.  A value of `"Limited"` means that (a) requests of this priority level _are_ subject to limits and (b) some of the server\'s limited capacity is made available exclusively to this priority level. Required.',
    'flowcontrol.v1.LimitedPriorityLevelConfiguration.nominalConcurrencyShares': '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level. This is the number of execution seats available at this priority level. This is used both for requests dispatched from this priority level as well as requests dispatched from other priority levels borrowing seats from this level. The server\'s concurrency limit (ServerCL) is divided among the Limited priority levels in proportion to their NCS values:\n\nNominalCL(i)  = ceil( ServerCL * NCS(i) / sum_ncs ) sum_ncs = sum[priority level k] NCS(k)\n\nBigger numbers mean a larger nominal concurrency limit, at the expense of every other priority level.\n\nIf not specified, this field defaults to a value of 30.\n\nSetting this field to zero supports the construction of a "jail" for this priority level that is used to hold some request(s)',
    'flowcontrol.v1.QueuingConfiguration.queues': '`queues` is the number of queues for this priority level. The queues exist independently at each apiserver. The value must be positive.  Setting it to 1 effectively precludes shufflesharding and thus makes the distinguisher method of associated flow schemas irrelevant.  This field has a default value of 64.',
    'flowcontrol.v1.QueuingConfiguration.handSize': "`handSize` is a small positive number that configures the shuffle sharding of requests into queues.  When enqueuing a request at this priority level the request's flow identifier (a string pair) is hashed and the hash value is used to shuffle the list of queues and deal a hand of the size specified here.  The request is put into one of the shortest queues in that hand. `handSize` must be no larger than `queues`, and should be significantly smaller (so that a few heavy flows do not saturate most of the queues).  See the user-facing documentation for more extensive guidance on setting this field.  This field has a default value of 8.",
    'flowcontrol.v1.QueuingConfiguration.queueLengthLimit': '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time; excess requests are rejected.  This value must be positive.  If not specified, it will be defaulted to 50.',
}

PRINTERS: dict[tuple[str, str], tuple[list[Column], CellsFunc]] = _build()
