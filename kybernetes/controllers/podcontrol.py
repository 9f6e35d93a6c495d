"""Creating and deleting the pods a controller owns, and reading controller references.

``controller_ref(owner)`` is the ownerReference a controller stamps on what it creates (``controller: true``,
``blockOwnerDeletion: true``).  ``pod_from_template`` builds a Pod from a PodTemplateSpec the way upstream's
``GetPodFromTemplate`` does: the template's labels, annotations and spec, ``generateName`` ``<owner>-`` (so names
are random) unless a fixed name is given, and the controller reference.
"""

from __future__ import annotations

import copy
from typing import Any

from kybernetes.client.rest import RESTClient, resource_path

__all__ = ["controller_ref", "get_controller_of", "pod_from_template", "create_pod", "delete_pod", "is_pod_active",
           "is_pod_ready", "pod_ready_since", "is_terminating", "api_version_of"]


def api_version_of(obj: dict[str, Any]) -> str:
    return obj.get("apiVersion", "")


def controller_ref(owner: dict[str, Any], api_version: str = "", kind: str = "") -> dict[str, Any]:
    meta = owner["metadata"]
    return {"apiVersion": api_version or owner.get("apiVersion", ""), "kind": kind or owner.get("kind", ""),
            "name": meta["name"], "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


def get_controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The ownerReference with ``controller: true``, or None."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def pod_from_template(template: dict[str, Any], owner: dict[str, Any], *, name: str = "",
                      generate_name: str = "", ref: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Pod body (not yet created) from ``template`` (a PodTemplateSpec) owned by ``owner``."""
    tmeta = template.get("metadata") or {}
    meta: dict[str, Any] = {"namespace": owner["metadata"].get("namespace", "default")}
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = generate_name or f"{owner['metadata']['name']}-"
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["ownerReferences"] = [ref or controller_ref(owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template.get("spec") or {})}


async def create_pod(client: RESTClient, pod: dict[str, Any]) -> dict[str, Any]:
    return await client.create(resource_path("", "v1", "pods", pod["metadata"]["namespace"]), pod)


async def delete_pod(client: RESTClient, namespace: str, name: str, uid: str = "") -> None:
    """Delete a pod (with a uid precondition when given); a pod already gone is not an error."""
    body = {"kind": "DeleteOptions", "apiVersion": "v1"}
    if uid:
        body["preconditions"] = {"uid": uid}
    try:
        await client.delete(resource_path("", "v1", "pods", namespace, name), body)
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "code", None) not in (404, 409):
            raise


def is_terminating(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def is_pod_active(pod: dict[str, Any]) -> bool:
    """Not Succeeded, not Failed, not being deleted (upstream's IsPodActive)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_terminating(pod)


def _ready_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c
    return None


def is_pod_ready(pod: dict[str, Any]) -> bool:
    c = _ready_condition(pod)
    return c is not None and c.get("status") == "True"


def pod_ready_since(pod: dict[str, Any]) -> str:
    """The Ready condition's lastTransitionTime when the pod is Ready, else ``""``."""
    c = _ready_condition(pod)
    return c.get("lastTransitionTime", "") if c is not None and c.get("status") == "True" else ""
