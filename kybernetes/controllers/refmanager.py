"""Adoption and release: which objects a controller owns (upstream's ControllerRefManager).

An object belongs to a controller when its controller ownerReference names the controller's uid.  An orphan
(no controller reference) whose labels match the controller's selector is adopted by patching in a controller
reference; an owned object whose labels no longer match is released by patching its reference out.  Nothing is
adopted by a controller that is being deleted, and before adopting the controller is re-read from the API
(uncached) to make sure it still exists with the same uid.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.podcontrol import controller_ref, get_controller_of, is_terminating
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import Selector

__all__ = ["claim_objects"]

log = logging.getLogger(__name__)


async def claim_objects(client: RESTClient, owner: dict[str, Any], selector: Selector,
                        candidates: Iterable[dict[str, Any]], *, group: str = "", version: str = "v1",
                        plural: str = "pods", recheck: Callable[[], Awaitable[dict[str, Any] | None]] | None = None,
                        match: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    """The objects ``owner`` controls after adopting matching orphans and releasing non-matching children.

    ``candidates`` are objects of the owner's namespace (e.g. every pod from the informer's namespace index);
    ``group/version/plural`` name their resource for patches; ``recheck`` returns the owner fresh from the API
    (None when gone) before the first adoption; ``match`` adds a condition to the selector (e.g. pod is active).
    Adoption and release failures for a single object are logged and skipped (404s are normal).
    """
    meta = owner["metadata"]
    uid = meta["uid"]
    ns = meta.get("namespace", "")
    claimed: list[dict[str, Any]] = []
    can_adopt: bool | None = None
    for obj in candidates:
        ref = get_controller_of(obj)
        matches = selector.matches((obj.get("metadata") or {}).get("labels") or {}) and (match is None or match(obj))
        if ref is not None:
            if ref.get("uid") != uid:
                continue
            if matches:
                claimed.append(obj)
                continue
            if is_terminating(obj) or is_terminating(owner):
                continue
            await _release(client, obj, uid, group, version, plural, ns)
            continue
        if not matches or is_terminating(obj) or is_terminating(owner):
            continue
        if can_adopt is None:
            fresh = await recheck() if recheck is not None else owner
            can_adopt = bool(fresh) and fresh["metadata"].get("uid") == uid and not is_terminating(fresh)
        if not can_adopt:
            continue
        adopted = await _adopt(client, owner, obj, group, version, plural, ns)
        if adopted is not None:
            claimed.append(adopted)
    return claimed


async def _adopt(client: RESTClient, owner: dict[str, Any], obj: dict[str, Any], group: str, version: str,
                 plural: str, ns: str) -> dict[str, Any] | None:
    m = obj["metadata"]
    body = {"metadata": {"ownerReferences": [controller_ref(owner)], "uid": m["uid"]}}
    try:
        return await client.patch(resource_path(group, version, plural, ns, m["name"]), body, "strategic")
    except StatusError as e:
        if e.code not in (404, 409, 422):
            raise
        log.debug("adopt %s/%s: %s", ns, m["name"], e)
        return None


async def _release(client: RESTClient, obj: dict[str, Any], uid: str, group: str, version: str, plural: str,
                   ns: str) -> None:
    m = obj["metadata"]
    body = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}], "uid": m["uid"]}}
    try:
        await client.patch(resource_path(group, version, plural, ns, m["name"]), body, "strategic")
    except StatusError as e:
        if e.code not in (404, 409, 422):
            raise
