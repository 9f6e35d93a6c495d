"""Writing pod status to the API server, and the final deletion of a pod object.

The kubelet computes a pod's status on every sync (:mod:`~kybernetes.kubelet.status`); :meth:`StatusManager.set`
remembers it as the pod's "old status" for the next computation and writes it through ``pods/<name>/status`` when
it differs from what was last written.  The write is a strategic merge patch carrying ``metadata.uid`` (a pod
recreated under the same name is never touched), with the kubelet-owned fields it no longer reports set to null;
conditions merge by type so conditions owned by others (readiness gates, DisruptionTarget) survive.  Static pods
write their status to their mirror pod.

:meth:`delete` ends a pod's life in the API once the kubelet has finished with it: ``DELETE`` with grace period 0
and a uid precondition, as upstream's status manager does for pods that carry a deletionTimestamp.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError

__all__ = ["StatusManager", "KUBELET_STATUS_FIELDS"]

log = logging.getLogger(__name__)

KUBELET_STATUS_FIELDS = ("phase", "conditions", "message", "reason", "hostIP", "hostIPs", "podIP", "podIPs",
                         "startTime", "initContainerStatuses", "containerStatuses", "qosClass")


class StatusManager:
    """Pod statuses by pod uid (the kubelet's uid; for static pods not the mirror's).  One event loop."""

    def __init__(self, client: RESTClient | None) -> None:
        self.client = client
        self._cache: dict[str, dict[str, Any]] = {}
        self._written: dict[str, tuple[str, dict[str, Any]]] = {}  # uid -> (API object uid, status written)

    def get(self, uid: str) -> dict[str, Any] | None:
        """The last status computed for pod ``uid`` (None before the first)."""
        return self._cache.get(uid)

    def forget(self, uid: str) -> None:
        self._cache.pop(uid, None)
        self._written.pop(uid, None)

    def remember(self, uid: str, status: Mapping[str, Any]) -> None:
        self._cache[uid] = copy.deepcopy(dict(status))

    async def set(self, uid: str, api_pod: Mapping[str, Any] | None, status: Mapping[str, Any]) -> bool:
        """Remember ``status`` for pod ``uid`` and write it to ``api_pod`` (the API object: the pod itself or its
        mirror) when it changed.  Returns True when a write happened.  Raises StatusError / connection errors;
        404/409/422 (the object is gone or was replaced) are swallowed and return False."""
        self.remember(uid, status)
        if api_pod is None or self.client is None:
            return False
        current = dict((api_pod.get("status") or {}))
        new = {k: v for k, v in status.items() if k in KUBELET_STATUS_FIELDS}
        meta = api_pod.get("metadata") or {}
        api_uid = meta.get("uid", "")
        written = self._written.get(uid)
        last = written[1] if written is not None and written[0] == api_uid else None
        if last is not None and last == new:
            return False
        if last is None and all(current.get(k) == new.get(k) for k in KUBELET_STATUS_FIELDS):
            self._written[uid] = (api_uid, copy.deepcopy(new))
            return False
        body_status: dict[str, Any] = dict(new)
        if "conditions" in new:
            # conditions merge by type: a reason/message the condition no longer has must be removed explicitly
            body_status["conditions"] = [{"reason": None, "message": None, **c} for c in new["conditions"]]
        for k in KUBELET_STATUS_FIELDS:
            if k not in new and (k in current or (last is not None and k in last)):
                body_status[k] = None
        path = resource_path("", "v1", "pods", meta.get("namespace", ""), meta.get("name", ""), "status")
        try:
            await self.client.patch(path, {"metadata": {"uid": meta.get("uid")}, "status": body_status},
                                    "strategic")
        except StatusError as e:
            if e.code in (404, 409, 422):
                log.info("status of pod %s/%s not written: %s", meta.get("namespace"), meta.get("name"), e)
                return False
            raise
        self._written[uid] = (api_uid, copy.deepcopy(new))
        return True

    async def delete(self, api_pod: Mapping[str, Any]) -> None:
        """Delete the pod object now (grace period 0, uid precondition).  A pod already gone is fine."""
        if self.client is None:
            return
        meta = api_pod.get("metadata") or {}
        try:
            await self.client.delete(resource_path("", "v1", "pods", meta.get("namespace", ""), meta.get("name", "")),
                                     {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                      "preconditions": {"uid": meta.get("uid")}})
        except StatusError as e:
            if e.code not in (404, 409):
                raise
