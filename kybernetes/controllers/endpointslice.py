"""The EndpointSlice controller: discovery.k8s.io/v1 EndpointSlices for every Service with a selector.

A Service's endpoints are spread over slices of at most 100 endpoints (``max_endpoints_per_slice`` option), one
address type per slice: ``IPv4`` and/or ``IPv6`` as ``spec.ipFamilies`` says, each endpoint carrying the pod IPs of
that family (from ``status.podIPs``).  Pods whose Service ports resolve to different port numbers (named
``targetPort`` s) land in different slices, since a slice has one port list.  An endpoint is a pod with an IP that
is not terminal; terminating pods stay listed with the upstream conditions:

- ``serving``: the pod is Ready;
- ``terminating``: the pod has a deletionTimestamp;
- ``ready``: serving and not terminating (always true with ``publishNotReadyAddresses``).

``nodeName``, ``zone`` (the node's ``topology.kubernetes.io/zone``) and ``hostname`` are omitted when unknown or
not applicable; ``hints`` are never set (topology-aware routing is not implemented).  A pod on a Node that does not
exist is left out (and the Service retried), unless the Service publishes not-ready addresses.

Each slice is named ``<service>-<random>`` (generateName), is owned by the Service (controller ownerReference, so
the garbage collector removes it with the Service) and carries the Service's labels plus
``kubernetes.io/service-name``, ``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`` and
``service.kubernetes.io/headless`` when headless.  A Service without endpoints keeps one empty placeholder slice
per address type.

Updates keep churn low as upstream's reconciler does: endpoints that are still wanted stay in the slice they are in
(updated in place when their conditions changed), slices that lost endpoints take new ones first, leftovers go into
the unchanged slice closest to full that can take them all, and only then into new slices; a slice that would be
deleted while another would be created is reused instead.  Every write is remembered by resourceVersion so a sync
against an informer cache that does not show it yet is retried instead of writing twice.

Services without a selector are left alone (their slices are mirrored from Endpoints by the mirroring controller).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from kybernetes.client.informer import INDEX_NAMESPACE
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_not_found
from kybernetes.controllers.endpoints import (
    ANNOTATION_TRIGGER_TIME,
    LABEL_HEADLESS,
    STALE_RETRY_DELAY,
    StaleCacheError,
    TriggerTimeTracker,
    canonical,
    find_port,
    has_selector,
    is_ipv6,
    is_pod_ready,
    is_service_ip_set,
    pod_endpoint_relevant,
    pod_services,
    rv_int,
    service_selects,
    should_pod_be_in_endpoints,
    should_set_hostname,
)

__all__ = ["EndpointSliceController", "CONTROLLER_NAME", "LABEL_SERVICE_NAME", "LABEL_MANAGED_BY",
           "MAX_ENDPOINTS_PER_SLICE", "LABEL_ZONE", "SlicePlan", "SliceTracker", "address_types_for_service",
           "endpoint_ports", "pod_to_endpoint", "endpoint_identity", "port_map_key", "reconcile_slices",
           "slice_labels", "recycle"]

log = logging.getLogger(__name__)

CONTROLLER_NAME = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_ZONE = "topology.kubernetes.io/zone"
MAX_ENDPOINTS_PER_SLICE = 100
INDEX_SERVICE = "kyb-endpointslice-service"  # slice informer index: "<ns>/<kubernetes.io/service-name>"
_RESERVED = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)


def slice_service_index(obj: dict[str, Any]) -> list[str]:
    meta = obj.get("metadata") or {}
    svc = (meta.get("labels") or {}).get(LABEL_SERVICE_NAME)
    return [f"{meta.get('namespace', '')}/{svc}"] if svc else []


# -- desired state (pure) --------------------------------------------------------------------------------------

def address_types_for_service(service: dict[str, Any]) -> list[str]:
    """``IPv4``/``IPv6`` per ``spec.ipFamilies``; without families, the cluster IP's family, or both when
    headless (an old API server's Service)."""
    spec = service.get("spec") or {}
    out = []
    for fam in spec.get("ipFamilies") or []:
        if fam in ("IPv4", "IPv6") and fam not in out:
            out.append(fam)
    if out:
        return out
    if is_service_ip_set(service):
        return ["IPv6" if is_ipv6(spec.get("clusterIP") or "") else "IPv4"]
    return ["IPv4", "IPv6"]


def endpoint_ports(service: dict[str, Any], pod: dict[str, Any]) -> list[dict[str, Any]]:
    """The slice ports for ``pod``: one per Service port whose targetPort resolves in the pod."""
    spec = service.get("spec") or {}
    out: list[dict[str, Any]] = []
    if not spec.get("ports") and spec.get("clusterIP") == "None":
        return out
    for sp in spec.get("ports") or []:
        number = find_port(pod, sp)
        if number is None:
            continue
        port: dict[str, Any] = {"name": sp.get("name") or "", "port": number, "protocol": sp.get("protocol") or "TCP"}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def port_map_key(ports: list[dict[str, Any]] | None) -> tuple[Any, ...]:
    """Slices with equal keys have the same set of ports (order does not matter)."""
    return tuple(sorted((p.get("name") or "", p.get("port") or 0, p.get("protocol") or "TCP",
                         p.get("appProtocol") or "") for p in ports or ()))


def pod_to_endpoint(pod: dict[str, Any], node: dict[str, Any] | None, service: dict[str, Any],
                    address_type: str) -> dict[str, Any]:
    """The Endpoint for ``pod`` among ``address_type`` addresses (``addresses`` may be empty)."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    serving = is_pod_ready(pod)
    terminating = bool(meta.get("deletionTimestamp"))
    ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    ips = [i.get("ip") for i in status.get("podIPs") or () if i.get("ip")] or \
        ([status["podIP"]] if status.get("podIP") else [])
    addresses = [ip for ip in ips if is_ipv6(ip) == (address_type == "IPv6")]
    ep: dict[str, Any] = {"addresses": addresses,
                          "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
    if should_set_hostname(pod, service):
        ep["hostname"] = spec["hostname"]
    ep["targetRef"] = {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"],
                       "uid": meta.get("uid", "")}
    if spec.get("nodeName"):
        ep["nodeName"] = spec["nodeName"]
    zone = (((node or {}).get("metadata") or {}).get("labels") or {}).get(LABEL_ZONE)
    if zone:
        ep["zone"] = zone
    return ep


def endpoint_identity(ep: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two endpoints "the same" (upstream hashes addresses, hostname and the target's name)."""
    ref = ep.get("targetRef") or {}
    return (tuple(ep.get("addresses") or ()), ep.get("hostname") or "", ref.get("namespace") or "",
            ref.get("name") or "")


def _endpoints_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return canonical(a) == canonical(b)


def slice_labels(existing: dict[str, Any] | None, service: dict[str, Any],
                 managed_by: str = CONTROLLER_NAME) -> tuple[dict[str, str], bool]:
    """The labels a slice of ``service`` should carry, and whether its user-visible (non-reserved) labels differ
    from the Service's."""
    ep_labels = {k: v for k, v in (((existing or {}).get("metadata") or {}).get("labels") or {}).items()
                 if k not in _RESERVED}
    svc_labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items() if k not in _RESERVED}
    changed = ep_labels != svc_labels
    labels = dict(svc_labels)
    if not is_service_ip_set(service):
        labels[LABEL_HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = service["metadata"]["name"]
    labels[LABEL_MANAGED_BY] = managed_by
    return labels, changed


def _owned_by(slice_: dict[str, Any], service: dict[str, Any]) -> bool:
    uid = service["metadata"].get("uid")
    return any(r.get("uid") == uid and r.get("kind") == "Service" and r.get("apiVersion") == "v1"
               for r in (slice_.get("metadata") or {}).get("ownerReferences") or ())


def _new_slice(service: dict[str, Any], ports: list[dict[str, Any]], address_type: str) -> dict[str, Any]:
    meta = service["metadata"]
    labels, _ = slice_labels(None, service)
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"generateName": f"{meta['name']}-", "namespace": meta.get("namespace", ""),
                         "labels": labels,
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": meta["name"],
                                              "uid": meta.get("uid", ""), "controller": True,
                                              "blockOwnerDeletion": True}]},
            "addressType": address_type, "endpoints": [], "ports": copy.deepcopy(ports)}


def _is_placeholder_like(existing: dict[str, Any], placeholder: dict[str, Any]) -> bool:
    em, pm = existing.get("metadata") or {}, placeholder["metadata"]
    refs = [(r.get("apiVersion"), r.get("kind"), r.get("name"), r.get("uid"), bool(r.get("controller")))
            for r in em.get("ownerReferences") or ()]
    prefs = [(r.get("apiVersion"), r.get("kind"), r.get("name"), r.get("uid"), bool(r.get("controller")))
             for r in pm.get("ownerReferences") or ()]
    return (em.get("namespace") == pm.get("namespace") and (em.get("labels") or {}) == pm["labels"]
            and refs == prefs and not existing.get("endpoints") and not existing.get("ports")
            and existing.get("addressType") == placeholder["addressType"])


@dataclass
class SlicePlan:
    """Writes that bring a Service's slices to the desired state; ``errors`` are reasons to retry later."""

    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[dict[str, Any]] = field(default_factory=list)
    delete: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def extend(self, other: SlicePlan) -> None:
        self.create += other.create
        self.update += other.update
        self.delete += other.delete
        self.errors += other.errors


def _fill(slice_: dict[str, Any], desired: dict[tuple[Any, ...], dict[str, Any]], limit: int) -> None:
    while desired and len(slice_["endpoints"]) < limit:
        key = next(iter(desired))
        slice_["endpoints"].append(desired.pop(key))


def _by_port_mapping(service: dict[str, Any], existing: list[dict[str, Any]],
                     desired: dict[tuple[Any, ...], dict[str, Any]], ports: list[dict[str, Any]],
                     address_type: str, limit: int) -> SlicePlan:
    """Upstream's reconcileByPortMapping for one set of ports: ``desired`` is consumed."""
    plan = SlicePlan()
    by_name: dict[str, dict[str, Any]] = {}
    unchanged: list[str] = []
    to_update: list[str] = []
    for s in existing:
        name = s["metadata"]["name"]
        by_name[name] = s
        kept = []
        updated = False
        for ep in s.get("endpoints") or []:
            want = desired.pop(endpoint_identity(ep), None)
            if want is not None:
                kept.append(want)
                if not _endpoints_equal(want, ep):
                    updated = True
        labels, labels_changed = slice_labels(s, service)
        if updated or len(kept) != len(s.get("endpoints") or []):
            if not kept:
                plan.delete.append(s)
            else:
                new = copy.deepcopy(s)
                new["endpoints"] = kept
                new["metadata"]["labels"] = labels
                by_name[name] = new
                to_update.append(name)
        elif labels_changed:
            new = copy.deepcopy(s)
            new["metadata"]["labels"] = labels
            by_name[name] = new
            to_update.append(name)
        else:
            unchanged.append(name)
    # 2. Slices being updated anyway take new endpoints first, fullest first.
    if desired and to_update:
        for name in sorted(to_update, key=lambda n: -len(by_name[n]["endpoints"])):
            _fill(by_name[name], desired, limit)
    # 3. Leftovers: into the unchanged slice closest to full that takes them all, else new slices.
    while desired:
        target = None
        if len(desired) < limit and unchanged:
            best = limit
            for name in unchanged:
                diff = limit - (len(desired) + len(by_name[name].get("endpoints") or []))
                if 0 <= diff < best:
                    best, target = diff, name
        if target is not None:
            new = copy.deepcopy(by_name[target])
            new["endpoints"] = list(new.get("endpoints") or [])
            by_name[target] = new
            _fill(new, desired, limit)
            unchanged.remove(target)
            to_update.append(target)
        else:
            new = _new_slice(service, ports, address_type)
            _fill(new, desired, limit)
            plan.create.append(new)
    plan.update = [by_name[n] for n in to_update]
    return plan


def recycle(plan: SlicePlan, owned: Callable[[dict[str, Any]], bool]) -> None:
    """Turn creates into updates of slices the plan would delete (same address type, owned), in place."""
    i = 0
    while i < len(plan.delete) and plan.create:
        victim = plan.delete[i]
        new = plan.create[-1]
        if victim.get("addressType") == new.get("addressType") and owned(victim):
            plan.create.pop()
            new = copy.deepcopy(new)
            new["metadata"].pop("generateName", None)
            new["metadata"]["name"] = victim["metadata"]["name"]
            new["metadata"]["resourceVersion"] = victim["metadata"].get("resourceVersion", "")
            plan.update.append(new)
            plan.delete.pop(i)
        else:
            i += 1


def reconcile_slices(service: dict[str, Any], pods: list[dict[str, Any]],
                     get_node: Callable[[str], dict[str, Any] | None], existing: list[dict[str, Any]], *,
                     limit: int = MAX_ENDPOINTS_PER_SLICE) -> SlicePlan:
    """The writes that make ``existing`` (this controller's slices of ``service``) represent ``pods`` (the pods
    the selector picks).  Pure apart from ``get_node``; never mutates its arguments."""
    plan = SlicePlan()
    types = address_types_for_service(service)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for s in existing:
        if s.get("addressType") not in types:
            plan.delete.append(s)
        else:
            by_type.setdefault(s["addressType"], []).append(s)
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    ordered = sorted(pods, key=lambda p: p["metadata"]["name"])
    for address_type in types:
        sub = SlicePlan()
        type_slices = by_type.get(address_type, [])
        existing_by_ports: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for s in type_slices:
            if _owned_by(s, service):
                existing_by_ports.setdefault(port_map_key(s.get("ports")), []).append(s)
            else:
                sub.delete.append(s)
        desired: dict[tuple[Any, ...], dict[tuple[Any, ...], dict[str, Any]]] = {}
        ports_of: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for pod in ordered:
            if not should_pod_be_in_endpoints(pod, True):
                continue
            ports = endpoint_ports(service, pod)
            pkey = port_map_key(ports)
            desired.setdefault(pkey, {})
            ports_of.setdefault(pkey, ports)
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            node = get_node(node_name) if node_name else None
            if node is None and not publish:
                sub.errors.append(f"skipping Pod {pod['metadata']['name']} for Service "
                                  f"{service['metadata'].get('namespace')}/{service['metadata']['name']}: "
                                  f"Node {node_name} Not Found")
                continue
            ep = pod_to_endpoint(pod, node, service, address_type)
            if ep["addresses"]:
                desired[pkey][endpoint_identity(ep)] = ep
        for pkey, want in desired.items():
            sub.extend(_by_port_mapping(service, existing_by_ports.get(pkey, []), want, ports_of[pkey],
                                        address_type, limit))
        for pkey, slices in existing_by_ports.items():
            if pkey not in desired:
                sub.delete.extend(slices)
        if len(type_slices) == len(sub.delete) and not sub.create:
            placeholder = _new_slice(service, [], address_type)
            if len(sub.delete) == 1 and _is_placeholder_like(sub.delete[0], placeholder):
                sub.delete = []
            else:
                sub.create.append(placeholder)
        plan.extend(sub)
    recycle(plan, lambda s: _owned_by(s, service))
    return plan


# -- tracking our own writes ------------------------------------------------------------------------------------

class SliceTracker:
    """Remembers, per Service key, the resourceVersion of every slice this controller wrote and the slices it
    deleted, so a sync can tell when the informer cache is behind its own writes (upstream's
    EndpointSliceTracker)."""

    def __init__(self) -> None:
        self._written: dict[str, dict[str, int]] = {}
        self._deleted: dict[str, set[str]] = {}

    def wrote(self, key: str, stored: dict[str, Any]) -> None:
        self._written.setdefault(key, {})[stored["metadata"]["name"]] = rv_int(stored)
        self._deleted.get(key, set()).discard(stored["metadata"]["name"])

    def deleted(self, key: str, name: str) -> None:
        self._written.get(key, {}).pop(name, None)
        self._deleted.setdefault(key, set()).add(name)

    def stale(self, key: str, cached: list[dict[str, Any]]) -> bool:
        """True when ``cached`` (the informer's slices of the Service) misses a write or shows a deleted slice.
        Deletions that the cache reflects are forgotten."""
        by_name = {s["metadata"]["name"]: s for s in cached}
        for name, rv in self._written.get(key, {}).items():
            s = by_name.get(name)
            if s is None or rv_int(s) < rv:
                return True
        gone = self._deleted.get(key)
        if gone:
            if any(n in by_name for n in gone):
                return True
            gone.clear()
        return False

    def observed_deletion(self, key: str, name: str) -> None:
        """The informer saw slice ``name`` go (whoever deleted it): stop expecting our last write of it."""
        self._written.get(key, {}).pop(name, None)

    def delete_service(self, key: str) -> None:
        self._written.pop(key, None)
        self._deleted.pop(key, None)


# -- the controller ---------------------------------------------------------------------------------------------

async def apply_plan(client: Any, namespace: str, key: str, plan: SlicePlan, tracker: SliceTracker,
                     trigger: str | None, *, creates_allowed: bool = True) -> None:
    """Perform ``plan``'s creates, updates and deletes in that order (the trigger-time annotation set on every
    written slice).  Raises StatusError/connection errors; slices already gone are fine to delete."""
    path = resource_path("discovery.k8s.io", "v1", "endpointslices", namespace)
    if creates_allowed:
        for s in plan.create:
            _set_trigger(s, trigger)
            stored = await client.create(path, s)
            tracker.wrote(key, stored)
    for s in plan.update:
        _set_trigger(s, trigger)
        stored = await client.update(f"{path}/{s['metadata']['name']}", s)
        tracker.wrote(key, stored)
    for s in plan.delete:
        try:
            await client.delete(f"{path}/{s['metadata']['name']}")
        except Exception as exc:  # noqa: BLE001
            if not is_not_found(exc):
                raise
        tracker.deleted(key, s["metadata"]["name"])


def _set_trigger(slice_: dict[str, Any], trigger: str | None) -> None:
    """Set the trigger-time annotation, or remove it when no tracked change caused this write (upstream)."""
    ann = slice_["metadata"].setdefault("annotations", {})
    if trigger is None:
        ann.pop(ANNOTATION_TRIGGER_TIME, None)
    else:
        ann[ANNOTATION_TRIGGER_TIME] = trigger


class EndpointSliceController(Controller):
    """Keeps the EndpointSlices of every selector Service (see the module docstring).  Keys are Service keys."""

    name = "endpointslice"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.limit = int(ctx.options.get("max_endpoints_per_slice", MAX_ENDPOINTS_PER_SLICE))
        self.services = ctx.informer("", "v1", "services")
        self.pods = ctx.informer("", "v1", "pods")
        self.nodes = ctx.informer("", "v1", "nodes")
        self.slices = ctx.informer("discovery.k8s.io", "v1", "endpointslices")
        self.slices.add_indexer(INDEX_SERVICE, slice_service_index)
        self.recorder = ctx.recorder("endpoint-slice-controller")
        self.triggers = TriggerTimeTracker()
        self.tracker = SliceTracker()
        self.services.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                        on_delete=self.enqueue)
        self.pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                    on_delete=self._pod_added)
        self.slices.add_event_handler(on_add=self._slice_changed, on_update=self._slice_updated,
                                      on_delete=self._slice_deleted)
        self.nodes.add_event_handler(on_update=self._node_updated, on_add=self._node_added)

    # -- handlers (only enqueue) ----------------------------------------------------------------------------------

    def _pod_added(self, pod: dict[str, Any]) -> None:
        for key in pod_services(self.services, pod):
            self.queue.add(key)

    def _pod_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if pod_endpoint_relevant(old) == pod_endpoint_relevant(new):
            return
        for key in pod_services(self.services, old) | pod_services(self.services, new):
            self.queue.add(key)

    def _slice_changed(self, s: dict[str, Any]) -> None:
        if ((s.get("metadata") or {}).get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME:
            for key in slice_service_index(s):
                self.queue.add(key)

    def _slice_deleted(self, s: dict[str, Any]) -> None:
        for key in slice_service_index(s):
            self.tracker.observed_deletion(key, s["metadata"]["name"])
        self._slice_changed(s)

    def _slice_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_labels = (old.get("metadata") or {}).get("labels") or {}
        new_labels = (new.get("metadata") or {}).get("labels") or {}
        if old_labels.get(LABEL_SERVICE_NAME) != new_labels.get(LABEL_SERVICE_NAME) or \
                (old_labels.get(LABEL_MANAGED_BY) == CONTROLLER_NAME) != (new_labels.get(LABEL_MANAGED_BY)
                                                                          == CONTROLLER_NAME):
            for key in slice_service_index(old) + slice_service_index(new):
                self.queue.add(key)
            return
        self._slice_changed(new)

    def _pods_on_node(self, node_name: str) -> None:
        for pod in self.pods.by_index("node-name", node_name):
            self._pod_added(pod)

    def _node_added(self, node: dict[str, Any]) -> None:
        self._pods_on_node(node["metadata"]["name"])

    def _node_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        zone = lambda n: ((n.get("metadata") or {}).get("labels") or {}).get(LABEL_ZONE)  # noqa: E731
        if zone(old) != zone(new):
            self._pods_on_node(new["metadata"]["name"])

    # -- sync ------------------------------------------------------------------------------------------------------

    def _our_slices(self, key: str) -> list[dict[str, Any]]:
        return [s for s in self.slices.by_index(INDEX_SERVICE, key)
                if ((s["metadata"].get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME)]

    async def sync(self, key: str) -> None:
        """Make the slices of Service ``key`` match its pods.  Raises to retry (API errors, pods on unknown nodes);
        a cache that does not show our last writes yet means looking again shortly."""
        try:
            await self._sync(key)
        except StaleCacheError as exc:
            log.debug("endpointslice: %s", exc)
            self.enqueue_after(key, STALE_RETRY_DELAY)

    async def _sync(self, key: str) -> None:
        ns, _, name = key.partition("/")
        service = self.services.get(key)
        if service is None:
            # The slices go with the Service through their ownerReference (garbage collector).
            self.triggers.delete(key)
            self.tracker.delete_service(key)
            return
        spec = service.get("spec") or {}
        if spec.get("type") == "ExternalName" or not has_selector(service):
            return
        pods = [p for p in self.pods.by_index(INDEX_NAMESPACE, ns)
                if service_selects(service, (p.get("metadata") or {}).get("labels"))]
        slices = [s for s in self._our_slices(key) if not s["metadata"].get("deletionTimestamp")]
        if self.tracker.stale(key, slices):
            raise StaleCacheError(f"EndpointSlice informer cache is out of date for {key}")
        trigger = self.triggers.compute(key, service, pods)
        plan = reconcile_slices(service, pods, self.nodes.get, slices, limit=self.limit)
        try:
            await apply_plan(self.client, ns, key, plan, self.tracker, trigger,
                             creates_allowed=not service["metadata"].get("deletionTimestamp"))
        except Exception as exc:
            if getattr(exc, "code", 0) != 409:
                self.recorder.event(service, "Warning", "FailedToUpdateEndpointSlices",
                                    f"Error updating Endpoint Slices for Service {ns}/{name}: {exc}")
            raise
        self.triggers.commit(key)
        if plan.errors:
            raise RuntimeError("; ".join(plan.errors))
