"""The endpoints controller: a core/v1 Endpoints object per Service with a selector, listing its pods' addresses.

For every Service that has a (non-empty) ``spec.selector`` and is not of type ExternalName, the Endpoints object of
the same name holds the pods the selector picks:

- a pod counts once it has an IP, is not terminal (Succeeded/Failed) and, unless the Service publishes not-ready
  addresses, is not being deleted;
- its address is the pod IP of the Service's first IP family (``spec.ipFamilies[0]``), with ``nodeName``, a
  ``targetRef`` to the pod and, when the pod's ``spec.subdomain`` names the Service, its ``hostname``;
- it is listed under ``addresses`` when the pod is Ready (or ``publishNotReadyAddresses`` is set), otherwise under
  ``notReadyAddresses``;
- each Service port becomes an EndpointPort per pod (named ``targetPort`` s are resolved in the pod's container
  ports; a pod without the named port does not serve that port), and the per-port address sets are repacked into
  subsets: ports offered by exactly the same addresses share a subset (upstream's ``RepackSubsets``);
- a headless Service without ports gets one subset of bare addresses.

The object carries the Service's labels (plus ``service.kubernetes.io/headless`` when it has no cluster IP), the
``endpoints.kubernetes.io/last-change-trigger-time`` annotation (the earliest change that caused this write: a pod
becoming Ready/unready or the Service's creation) and, above 1000 addresses, is truncated (ready addresses first,
spread proportionally over the subsets) with ``endpoints.kubernetes.io/over-capacity: truncated``.

Services without a selector are left alone: their Endpoints are written by users (and mirrored into EndpointSlices
by the mirroring controller).  As upstream, an Endpoints object whose Service is deleted is deleted, and at start
every existing Endpoints is checked once so leftovers of Services deleted while the controller was down go too
(leader-election records are skipped).  Losing the selector leaves the last Endpoints in place (upstream does the
same: from then on the object is the user's).

The helpers at the top (pod membership, port lookup, the trigger-time tracker) are shared with the EndpointSlice
controllers.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import math
from datetime import datetime, timezone
from typing import Any

from kybernetes.client.informer import INDEX_NAMESPACE, object_key
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_already_exists, is_not_found

__all__ = [
    "EndpointsController", "ANNOTATION_TRIGGER_TIME", "ANNOTATION_OVER_CAPACITY", "LABEL_HEADLESS", "MAX_CAPACITY",
    "LEADER_ANNOTATION", "STALE_RETRY_DELAY", "StaleCacheError", "has_selector", "service_selects", "is_pod_ready",
    "should_pod_be_in_endpoints", "should_set_hostname", "find_port", "is_ipv6", "is_service_ip_set",
    "pod_services", "pod_endpoint_relevant", "TriggerTimeTracker", "format_time", "parse_time",
    "desired_subsets", "repack_subsets", "truncate_subsets", "canonical", "rv_int",
]

log = logging.getLogger(__name__)

ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
LABEL_HEADLESS = "service.kubernetes.io/headless"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
MAX_CAPACITY = 1000
TRUNCATED = "truncated"
STALE_RETRY_DELAY = 0.1  # seconds before looking again when the cache is behind our own writes


class StaleCacheError(Exception):
    """The informer cache does not yet show a write this controller made: look again shortly (not an error)."""


# -- time ----------------------------------------------------------------------------------------------------------

def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp (``...Z``, optional fraction) -> epoch seconds; None when absent or unparsable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def format_time(ts: float) -> str:
    """Epoch seconds -> RFC 3339 with nanosecond precision and trailing zeros trimmed (Go's RFC3339Nano)."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{dt.microsecond:06d}".rstrip("0")
    return f"{text}.{frac}Z" if frac else f"{text}Z"


def rv_int(obj: dict[str, Any] | None) -> int:
    """An object's resourceVersion as an integer (0 when absent or not numeric)."""
    try:
        return int(((obj or {}).get("metadata") or {}).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


# -- services and pods -----------------------------------------------------------------------------------------

def has_selector(service: dict[str, Any]) -> bool:
    """True when the Service selects pods.  An empty selector is no selector: upstream's JSON drops it."""
    return bool((service.get("spec") or {}).get("selector"))


def service_selects(service: dict[str, Any], labels: dict[str, str] | None) -> bool:
    """True when every ``spec.selector`` pair is among ``labels`` (False for a Service without selector)."""
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def is_service_ip_set(service: dict[str, Any]) -> bool:
    cip = (service.get("spec") or {}).get("clusterIP") or ""
    return cip not in ("", "None")


def is_pod_ready(pod: dict[str, Any]) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def should_pod_be_in_endpoints(pod: dict[str, Any], include_terminating: bool) -> bool:
    """Upstream's ShouldPodBeInEndpoints: not terminal, has an IP, and not being deleted unless allowed."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    if not include_terminating and (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return True


def should_set_hostname(pod: dict[str, Any], service: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    return bool(spec.get("hostname")) and spec.get("subdomain") == service["metadata"]["name"] and \
        (pod.get("metadata") or {}).get("namespace") == service["metadata"].get("namespace")


def find_port(pod: dict[str, Any], service_port: dict[str, Any]) -> int | None:
    """The container port a Service port's ``targetPort`` designates in ``pod``: a number is taken as is, a name is
    looked up among the containers' (and restartable init containers') ports of the same protocol; None when a
    named port is missing."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for c in containers:
        for p in c.get("ports") or ():
            if p.get("name") == target and (p.get("protocol") or "TCP") == protocol:
                return int(p.get("containerPort") or 0)
    return None


def is_ipv6(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).version == 6
    except ValueError:
        return False


def pod_services(services: Any, pod: dict[str, Any]) -> set[str]:
    """Keys of the Services (from the service informer ``services``) in the pod's namespace that select it."""
    meta = pod.get("metadata") or {}
    ns = meta.get("namespace") or ""
    labels = meta.get("labels") or {}
    out = set()
    for svc in services.by_index(INDEX_NAMESPACE, ns):
        if service_selects(svc, labels):
            out.add(f"{ns}/{svc['metadata']['name']}")
    return out


def pod_endpoint_relevant(pod: dict[str, Any]) -> tuple[Any, ...]:
    """What of a pod can change its endpoints; two pod versions with equal tuples need no resync."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    ports = [(c.get("name"), tuple((p.get("name"), p.get("containerPort"), p.get("protocol"))
                                   for p in c.get("ports") or ()))
             for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or [])]
    return (tuple(sorted((meta.get("labels") or {}).items())), bool(meta.get("deletionTimestamp")),
            is_pod_ready(pod), status.get("phase"), status.get("podIP"),
            tuple(i.get("ip") for i in status.get("podIPs") or ()), spec.get("nodeName"), spec.get("hostname"),
            spec.get("subdomain"), tuple(ports), meta.get("uid"))


class TriggerTimeTracker:
    """Computes the last-change-trigger-time annotation (upstream's TriggerTimeTracker).

    Per Service it remembers the trigger times seen at the last sync that completed: each pod's Ready condition
    lastTransitionTime and the Service's creationTimestamp.  The answer is the earliest trigger time that changed
    since then, the Service's creation time for a Service never synced, or None when nothing changed.
    ``compute`` only stages the new state; ``commit`` (after the write succeeded, or when none was needed) makes it
    the reference, so a sync that fails keeps its trigger for the retry.  Not safe for concurrent calls with the
    same key (the work queue guarantees there are none)."""

    def __init__(self) -> None:
        self._states: dict[str, tuple[float | None, dict[str, float]]] = {}
        self._staged: dict[str, tuple[float | None, dict[str, float]]] = {}

    def compute(self, key: str, service: dict[str, Any], pods: list[dict[str, Any]]) -> str | None:
        known = key in self._states
        last_svc, last_pods = self._states.get(key, (None, {}))
        changed: float | None = None
        pod_times: dict[str, float] = {}
        for pod in pods:
            t = None
            for c in (pod.get("status") or {}).get("conditions") or ():
                if c.get("type") == "Ready":
                    t = parse_time(c.get("lastTransitionTime"))
            if t is None:
                continue
            name = pod["metadata"]["name"]
            pod_times[name] = t
            if t > last_pods.get(name, float("-inf")):
                changed = t if changed is None else min(changed, t)
        svc_time = parse_time(service["metadata"].get("creationTimestamp"))
        if svc_time is not None and (last_svc is None or svc_time > last_svc):
            changed = svc_time if changed is None else min(changed, svc_time)
        self._staged[key] = (svc_time, pod_times)
        if not known:
            return format_time(svc_time) if svc_time is not None else None
        return format_time(changed) if changed is not None else None

    def commit(self, key: str) -> None:
        staged = self._staged.pop(key, None)
        if staged is not None:
            self._states[key] = staged

    def delete(self, key: str) -> None:
        self._states.pop(key, None)
        self._staged.pop(key, None)


# -- desired state (pure) --------------------------------------------------------------------------------------

def canonical(value: Any) -> Any:
    """``value`` with empty strings/lists/dicts and None dropped from dicts and ``targetRef.resourceVersion``
    removed, so objects read back from the API compare equal to freshly computed ones."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "resourceVersion":
                continue
            v = canonical(v)
            if v in (None, "", [], {}):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _address_for(service: dict[str, Any], pod: dict[str, Any]) -> dict[str, Any] | None:
    spec, status = service.get("spec") or {}, pod.get("status") or {}
    families = spec.get("ipFamilies") or []
    if families:
        want6 = families[0] == "IPv6"
    elif is_service_ip_set(service):
        want6 = is_ipv6(spec.get("clusterIP") or "")
    else:
        want6 = is_ipv6(status.get("podIP") or "")
    ips = [i.get("ip") for i in status.get("podIPs") or () if i.get("ip")] or \
        ([status["podIP"]] if status.get("podIP") else [])
    ip = next((i for i in ips if is_ipv6(i) == want6), None)
    if ip is None:
        return None
    meta = pod["metadata"]
    addr: dict[str, Any] = {"ip": ip}
    if should_set_hostname(pod, service):
        addr["hostname"] = pod["spec"]["hostname"]
    if (pod.get("spec") or {}).get("nodeName"):
        addr["nodeName"] = pod["spec"]["nodeName"]
    addr["targetRef"] = {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"],
                         "uid": meta.get("uid", "")}
    return addr


def _endpoint_port(service_port: dict[str, Any], number: int) -> dict[str, Any]:
    port: dict[str, Any] = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port["port"] = number
    port["protocol"] = service_port.get("protocol") or "TCP"
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _port_key(port: dict[str, Any]) -> tuple[Any, ...]:
    return (port.get("name") or "", port.get("port") or 0, port.get("protocol") or "", port.get("appProtocol") or "")


def _addr_key(addr: dict[str, Any]) -> tuple[str, str]:
    return (addr.get("ip", ""), (addr.get("targetRef") or {}).get("uid", ""))


def _ip_sort_key(ip: str) -> tuple[int, int, str]:
    try:
        a = ipaddress.ip_address(ip)
        return (a.version, int(a), "")
    except ValueError:
        return (9, 0, ip)


def _addr_sort_key(addr: dict[str, Any]) -> tuple[Any, ...]:
    return (_ip_sort_key(addr.get("ip", "")), (addr.get("targetRef") or {}).get("uid", ""))


def repack_subsets(subsets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upstream's RepackSubsets: map each port to the (address, ready) pairs offering it, then give the ports that
    share one address set a single subset.  Addresses, ports and subsets come out in a fixed order."""
    addrs: dict[tuple[str, str], dict[str, Any]] = {}
    by_port: dict[tuple[Any, ...], tuple[dict[str, Any] | None, dict[tuple[str, str], bool]]] = {}
    sentinel = ("", -1, "", "")
    for subset in subsets:
        ports = subset.get("ports") or []
        entries = [(True, a) for a in subset.get("addresses") or []] + \
                  [(False, a) for a in subset.get("notReadyAddresses") or []]
        for port in ports or [None]:
            pkey = _port_key(port) if port is not None else sentinel
            _, members = by_port.setdefault(pkey, (port, {}))
            for ready, a in entries:
                k = _addr_key(a)
                addrs.setdefault(k, a)
                # An address ready for a port in one subset and not in another counts as ready (upstream's
                # addressSet keeps the first value it was given; pods only ever contribute one).
                members[k] = members.get(k, False) or ready
    groups: dict[tuple[Any, ...], tuple[dict[tuple[str, str], bool], list[dict[str, Any]]]] = {}
    for pkey, (port, members) in by_port.items():
        skey = tuple(sorted((k, r) for k, r in members.items()))
        _, ports = groups.setdefault(skey, (members, []))
        if port is not None:
            ports.append(port)
    out = []
    for members, ports in groups.values():
        ready = sorted((addrs[k] for k, r in members.items() if r), key=_addr_sort_key)
        not_ready = sorted((addrs[k] for k, r in members.items() if not r), key=_addr_sort_key)
        subset: dict[str, Any] = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if ports:
            subset["ports"] = sorted(ports, key=_port_key)
        out.append(subset)

    def subset_key(s: dict[str, Any]) -> tuple[Any, ...]:
        first = (s.get("addresses") or s.get("notReadyAddresses") or [{}])[0]
        return (tuple(_port_key(p) for p in s.get("ports") or []), _addr_sort_key(first))

    return sorted(out, key=subset_key)


def desired_subsets(service: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The subsets the Endpoints of ``service`` should hold for ``pods`` (already selected), repacked."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    service_ports = spec.get("ports") or []
    raw: list[dict[str, Any]] = []
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, publish):
            continue
        addr = _address_for(service, pod)
        if addr is None:
            continue
        field = "addresses" if publish or is_pod_ready(pod) else "notReadyAddresses"
        if not service_ports:
            if spec.get("clusterIP") == "None":
                raw.append({field: [addr]})
            continue
        for sp in service_ports:
            number = find_port(pod, sp)
            if number is None:
                continue
            raw.append({field: [addr], "ports": [_endpoint_port(sp, number)]})
    return repack_subsets(raw)


def truncate_subsets(subsets: list[dict[str, Any]], max_capacity: int = MAX_CAPACITY) -> bool:
    """Upstream's truncateEndpoints, in place: when more than ``max_capacity`` addresses are listed, keep ready
    ones first, spread over the subsets in proportion to their size (rounded up).  True when it truncated."""
    total_ready = sum(len(s.get("addresses") or []) for s in subsets)
    total_not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    if total_ready + total_not_ready <= max_capacity:
        return False
    truncate_ready = total_ready > max_capacity
    limit = max_capacity if truncate_ready else max_capacity - total_ready
    num_total = total_ready if truncate_ready else total_not_ready
    can_add = limit
    for s in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        n = len(s.get(field) or [])
        to_add = min(int(math.ceil(n / num_total * limit)) if num_total else 0, can_add)
        kept = (s.get(field) or [])[:to_add]
        if kept:
            s[field] = kept
        else:
            s.pop(field, None)
        if truncate_ready:
            s.pop("notReadyAddresses", None)
        can_add -= len(kept)
    return True


def _capacity_annotation_correct(annotations: dict[str, str], subsets: list[dict[str, Any]]) -> bool:
    n = sum(len(s.get("addresses") or []) + len(s.get("notReadyAddresses") or []) for s in subsets)
    if n > MAX_CAPACITY:
        return False
    return ANNOTATION_OVER_CAPACITY not in annotations


# -- the controller ---------------------------------------------------------------------------------------------

class EndpointsController(Controller):
    """Keeps one Endpoints per selector Service (see the module docstring).  Keys are Service keys."""

    name = "endpoints"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.services = ctx.informer("", "v1", "services")
        self.pods = ctx.informer("", "v1", "pods")
        self.endpoints = ctx.informer("", "v1", "endpoints")
        self.recorder = ctx.recorder("endpoint-controller")
        self.triggers = TriggerTimeTracker()
        self._written: dict[str, int] = {}  # key -> resourceVersion of our last write, to spot a stale cache
        self.services.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                        on_delete=self.enqueue)
        self.pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                    on_delete=self._pod_added)
        self.endpoints.add_event_handler(on_delete=self._endpoints_deleted)

    # -- handlers (only enqueue) ----------------------------------------------------------------------------------

    def _pod_added(self, pod: dict[str, Any]) -> None:
        for key in pod_services(self.services, pod):
            self.queue.add(key)

    def _endpoints_deleted(self, ep: dict[str, Any]) -> None:
        self._written.pop(object_key(ep), None)  # whoever deleted it, the cache now rightly shows nothing
        self.enqueue(ep)

    def _pod_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if pod_endpoint_relevant(old) == pod_endpoint_relevant(new):
            return
        for key in pod_services(self.services, old) | pod_services(self.services, new):
            self.queue.add(key)

    async def start(self) -> None:
        await super().start()
        # Leftovers: Endpoints whose Service went away while no controller ran (checkLeftoverEndpoints).
        for ep in self.endpoints.list():
            if LEADER_ANNOTATION not in ((ep.get("metadata") or {}).get("annotations") or {}):
                self.enqueue(ep)

    # -- sync ------------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        """Make the Endpoints of Service ``key`` match its pods.  Raises to retry (API errors); a cache that does
        not show our last write yet means looking again shortly."""
        try:
            await self._sync(key)
        except StaleCacheError as exc:
            log.debug("endpoints: %s", exc)
            self.enqueue_after(key, STALE_RETRY_DELAY)

    async def _sync(self, key: str) -> None:
        ns, _, name = key.partition("/")
        service = self.services.get(key)
        if service is None:
            try:
                await self.client.delete(resource_path("", "v1", "endpoints", ns, name))
            except Exception as exc:  # noqa: BLE001
                if not is_not_found(exc):
                    raise
            self.triggers.delete(key)
            self._written.pop(key, None)
            return
        spec = service.get("spec") or {}
        if spec.get("type") == "ExternalName" or not has_selector(service):
            return
        pods = [p for p in self.pods.by_index(INDEX_NAMESPACE, ns)
                if service_selects(service, (p.get("metadata") or {}).get("labels"))]
        current = self.endpoints.get(key)
        written = self._written.get(key)
        if written is not None and (current is None or rv_int(current) < written):
            raise StaleCacheError(f"endpoints informer cache is out of date for {key}")
        trigger = self.triggers.compute(key, service, pods)
        subsets = desired_subsets(service, pods)
        svc_labels = dict(service["metadata"].get("labels") or {})
        if current is not None:
            cur_labels = dict((current.get("metadata") or {}).get("labels") or {})
            cur_labels.pop(LABEL_HEADLESS, None)
            cur_ann = (current.get("metadata") or {}).get("annotations") or {}
            if canonical(current.get("subsets") or []) == canonical(subsets) and cur_labels == svc_labels and \
                    _capacity_annotation_correct(cur_ann, current.get("subsets") or []):
                self.triggers.commit(key)
                return
            new = copy.deepcopy(current)
        else:
            new = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns}}
        meta = new["metadata"]
        labels = dict(svc_labels)
        if is_service_ip_set(service):
            labels.pop(LABEL_HEADLESS, None)
        else:
            labels[LABEL_HEADLESS] = ""
        meta["labels"] = labels
        annotations = dict(meta.get("annotations") or {})
        if trigger:
            annotations[ANNOTATION_TRIGGER_TIME] = trigger
        else:
            annotations.pop(ANNOTATION_TRIGGER_TIME, None)
        if truncate_subsets(subsets):
            annotations[ANNOTATION_OVER_CAPACITY] = TRUNCATED
        else:
            annotations.pop(ANNOTATION_OVER_CAPACITY, None)
        meta["annotations"] = annotations
        new["subsets"] = subsets
        try:
            if current is None:
                stored = await self.client.create(resource_path("", "v1", "endpoints", ns), new)
            else:
                stored = await self.client.update(resource_path("", "v1", "endpoints", ns, name), new)
        except Exception as exc:
            if current is None and is_already_exists(exc):
                raise StaleCacheError(f"endpoints {key} exists but is not cached yet") from exc
            if (getattr(exc, "code", 0) == 403 and current is None
                    and "NamespaceTerminating" in str(getattr(exc, "details", "") or "")):
                return  # the namespace is going away: creates keep failing, drop the key
            if not getattr(exc, "code", 0) == 409:
                verb = "create" if current is None else "update"
                reason = "FailedToCreateEndpoint" if current is None else "FailedToUpdateEndpoint"
                message = (f"Failed to create endpoint for service {ns}/{name}: {exc}" if current is None
                           else f"Failed to update endpoint {ns}/{name}: {exc}")
                log.debug("endpoints: %s %s failed: %s", verb, key, exc)
                self.recorder.event(new, "Warning", reason, message)
            raise
        self._written[key] = rv_int(stored)
        self.triggers.commit(key)
