"""The EndpointSlice mirroring controller: EndpointSlices copied from user-written Endpoints.

A Service without a selector gets its endpoints from an Endpoints object somebody writes by hand; consumers that
read only EndpointSlices (kube-proxy, DNS) would not see them.  For each such Endpoints this controller keeps
mirrored slices, managed by ``endpointslicemirroring-controller.k8s.io``:

- only when the Service of the same name exists, is not being deleted and has no selector; an Endpoints labelled
  ``endpointslice.kubernetes.io/skip-mirror: "true"`` (the API server's own ``kubernetes`` Endpoints) or carrying
  a leader-election record is never mirrored;
- one slice per (address type, port set) of the Endpoints' subsets: ``addresses`` become ready endpoints,
  ``notReadyAddresses`` not-ready ones, with ``nodeName``, ``hostname`` and ``targetRef`` copied; IPs are
  re-formatted canonically and invalid ones skipped (Warning event ``InvalidIPAddress``); at most 1000 addresses
  of a subset are mirrored (Warning event ``TooManyAddressesToMirror``);
- the slices are owned by the Endpoints and carry its labels and annotations (except the trigger-time and
  last-applied-configuration annotations) plus ``kubernetes.io/service-name`` and the managed-by label;
- when any condition above stops holding (the Service gains a selector, the Endpoints is deleted or marked
  skip-mirror...) the mirrored slices are deleted.

Each port set keeps a single slice, updated in place; extra slices are deleted and, as upstream, a slice about to
be deleted is reused for a slice about to be created.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
from typing import Any

from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_not_found
from kybernetes.controllers.endpoints import (
    LEADER_ANNOTATION,
    STALE_RETRY_DELAY,
    StaleCacheError,
    canonical,
    has_selector,
)
from kybernetes.controllers.endpointslice import (
    INDEX_SERVICE,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    SlicePlan,
    SliceTracker,
    apply_plan,
    endpoint_identity,
    port_map_key,
    recycle,
    slice_service_index,
)

__all__ = ["EndpointSliceMirroringController", "CONTROLLER_NAME", "LABEL_SKIP_MIRROR",
           "MAX_ENDPOINTS_PER_SUBSET", "should_mirror", "mirror_plan"]

log = logging.getLogger(__name__)

CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io"
LABEL_SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
MAX_ENDPOINTS_PER_SUBSET = 1000
_SKIPPED_ANNOTATIONS = ("endpoints.kubernetes.io/last-change-trigger-time",
                        "kubectl.kubernetes.io/last-applied-configuration")


def should_mirror(endpoints: dict[str, Any] | None) -> bool:
    if endpoints is None:
        return False
    meta = endpoints.get("metadata") or {}
    if (meta.get("labels") or {}).get(LABEL_SKIP_MIRROR) == "true":
        return False
    return LEADER_ANNOTATION not in (meta.get("annotations") or {})


def _address_to_endpoint(address: dict[str, Any], ready: bool) -> tuple[dict[str, Any], str] | None:
    try:
        ip = ipaddress.ip_address(address.get("ip") or "")
    except ValueError:
        return None
    ep: dict[str, Any] = {"addresses": [str(ip)], "conditions": {"ready": ready}}
    if address.get("hostname"):
        ep["hostname"] = address["hostname"]
    if address.get("targetRef"):
        ep["targetRef"] = copy.deepcopy(address["targetRef"])
    if address.get("nodeName"):
        ep["nodeName"] = address["nodeName"]
    return ep, ("IPv6" if ip.version == 6 else "IPv4")


def _slice_ports(ports: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for p in ports or ():
        port: dict[str, Any] = {"name": p.get("name") or "", "port": p.get("port"),
                                "protocol": p.get("protocol") or "TCP"}
        if p.get("appProtocol"):
            port["appProtocol"] = p["appProtocol"]
        out.append(port)
    return out


def _mirror_meta(endpoints: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    meta = endpoints["metadata"]
    labels = dict(meta.get("labels") or {})
    labels[LABEL_SERVICE_NAME] = meta["name"]
    labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SKIPPED_ANNOTATIONS}
    return labels, annotations


def _new_slice(endpoints: dict[str, Any], ports: list[dict[str, Any]], address_type: str,
               name: str = "") -> dict[str, Any]:
    meta = endpoints["metadata"]
    labels, annotations = _mirror_meta(endpoints)
    smeta: dict[str, Any] = {"namespace": meta.get("namespace", ""), "labels": labels, "annotations": annotations,
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Endpoints", "name": meta["name"],
                                                  "uid": meta.get("uid", ""), "controller": True,
                                                  "blockOwnerDeletion": True}]}
    if name:
        smeta["name"] = name
    else:
        smeta["generateName"] = f"{meta['name']}-"
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": smeta,
            "addressType": address_type, "endpoints": [], "ports": copy.deepcopy(ports)}


def mirror_plan(endpoints: dict[str, Any], existing: list[dict[str, Any]], *,
                limit: int = MAX_ENDPOINTS_PER_SUBSET) -> tuple[SlicePlan, int, int]:
    """The writes that make ``existing`` (the mirrored slices) mirror ``endpoints``; also the number of invalid
    addresses and of addresses skipped for exceeding ``limit`` per subset.  Pure."""
    desired: dict[tuple[Any, ...], dict[tuple[Any, ...], dict[str, Any]]] = {}
    ports_of: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    invalid = skipped = 0
    for subset in endpoints.get("subsets") or []:
        ports = _slice_ports(subset.get("ports"))
        pkey = port_map_key(ports)
        entries = [(a, True) for a in subset.get("addresses") or []] + \
                  [(a, False) for a in subset.get("notReadyAddresses") or []]
        added = 0
        for address, ready in entries:
            if added >= limit:
                break
            conv = _address_to_endpoint(address, ready)
            if conv is None:
                invalid += 1
                continue
            ep, address_type = conv
            key = (address_type, pkey)
            ports_of.setdefault(key, ports)
            desired.setdefault(key, {})[endpoint_identity(ep)] = ep
            added += 1
        skipped += len(entries) - added
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for s in sorted(existing, key=lambda s: s["metadata"].get("creationTimestamp") or ""):
        by_key.setdefault((s.get("addressType"), port_map_key(s.get("ports"))), []).append(s)
    labels, annotations = _mirror_meta(endpoints)
    plan = SlicePlan()
    for key, want in desired.items():
        slices = by_key.get(key, [])
        if not want:
            plan.delete.extend(slices)
            continue
        wanted = list(want.values())
        if slices:
            plan.delete.extend(slices[1:])
            first = slices[0]
            fmeta = first.get("metadata") or {}
            if canonical(first.get("endpoints") or []) == canonical(wanted) and \
                    (fmeta.get("labels") or {}) == labels and (fmeta.get("annotations") or {}) == annotations:
                continue
            new = _new_slice(endpoints, ports_of[key], key[0], fmeta["name"])
            new["metadata"]["resourceVersion"] = fmeta.get("resourceVersion", "")
            new["endpoints"] = wanted
            plan.update.append(new)
        else:
            new = _new_slice(endpoints, ports_of[key], key[0])
            new["endpoints"] = wanted
            plan.create.append(new)
    for key, slices in by_key.items():
        if key not in desired:
            plan.delete.extend(slices)
    uid = endpoints["metadata"].get("uid")
    recycle(plan, lambda s: any(r.get("uid") == uid for r in (s.get("metadata") or {}).get("ownerReferences") or ()))
    return plan, invalid, skipped


class EndpointSliceMirroringController(Controller):
    """Mirrors selector-less Services' Endpoints into EndpointSlices.  Keys are Endpoints (= Service) keys."""

    name = "endpointslicemirroring"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.limit = int(ctx.options.get("mirroring_max_endpoints_per_subset", MAX_ENDPOINTS_PER_SUBSET))
        self.services = ctx.informer("", "v1", "services")
        self.endpoints = ctx.informer("", "v1", "endpoints")
        self.slices = ctx.informer("discovery.k8s.io", "v1", "endpointslices")
        self.slices.add_indexer(INDEX_SERVICE, slice_service_index)
        self.recorder = ctx.recorder("endpoint-slice-mirroring-controller")
        self.tracker = SliceTracker()
        self.watch(self.endpoints)
        self.watch(self.services)
        self.slices.add_event_handler(on_add=self._slice_changed, on_update=self._slice_updated,
                                      on_delete=self._slice_deleted)

    def _slice_changed(self, s: dict[str, Any]) -> None:
        if ((s.get("metadata") or {}).get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME:
            for key in slice_service_index(s):
                self.queue.add(key)

    def _slice_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self._slice_changed(old)
        self._slice_changed(new)

    def _slice_deleted(self, s: dict[str, Any]) -> None:
        for key in slice_service_index(s):
            self.tracker.observed_deletion(key, s["metadata"]["name"])
        self._slice_changed(s)

    def _mirrored(self, key: str) -> list[dict[str, Any]]:
        return [s for s in self.slices.by_index(INDEX_SERVICE, key)
                if (s["metadata"].get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME]

    async def _delete_all(self, key: str, slices: list[dict[str, Any]]) -> None:
        ns = key.partition("/")[0]
        for s in slices:
            try:
                await self.client.delete(resource_path("discovery.k8s.io", "v1", "endpointslices", ns,
                                                       s["metadata"]["name"]))
            except Exception as exc:  # noqa: BLE001
                if not is_not_found(exc):
                    raise
            self.tracker.deleted(key, s["metadata"]["name"])

    async def sync(self, key: str) -> None:
        """Mirror Endpoints ``key`` (or delete its mirrored slices).  Raises to retry; a cache behind our own writes
        means looking again shortly."""
        try:
            await self._sync(key)
        except StaleCacheError as exc:
            log.debug("endpointslicemirroring: %s", exc)
            self.enqueue_after(key, STALE_RETRY_DELAY)

    async def _sync(self, key: str) -> None:
        ns = key.partition("/")[0]
        slices = self._mirrored(key)
        endpoints = self.endpoints.get(key)
        service = self.services.get(key)
        if not should_mirror(endpoints) or service is None or has_selector(service):
            await self._delete_all(key, slices)
            if endpoints is None and service is None:
                self.tracker.delete_service(key)
            return
        if service["metadata"].get("deletionTimestamp"):
            return  # going away together with its Endpoints
        assert endpoints is not None
        live = [s for s in slices if not s["metadata"].get("deletionTimestamp")]
        if self.tracker.stale(key, live):
            raise StaleCacheError(f"EndpointSlice informer cache is out of date for {key}")
        plan, invalid, skipped = mirror_plan(endpoints, live, limit=self.limit)
        if invalid:
            self.recorder.event(endpoints, "Warning", "InvalidIPAddress",
                                f"Skipped {invalid} invalid IP addresses when mirroring to EndpointSlices")
        if skipped > invalid:
            self.recorder.event(endpoints, "Warning", "TooManyAddressesToMirror",
                                f"A max of {self.limit} addresses can be mirrored to EndpointSlices per Endpoints "
                                f"subset. {skipped} addresses were skipped")
        await apply_plan(self.client, ns, key, plan, self.tracker, None,
                         creates_allowed=not endpoints["metadata"].get("deletionTimestamp"))
