"""DefaultBinder: binds a pod to its chosen node through the ``pods/binding`` subresource.

The Binding carries the pod's uid, so a pod deleted and re-created under the same name while this one was being
scheduled is not bound by mistake (the API server answers a conflict).  Any API error becomes an ERROR status: the
scheduler then forgets the assumed pod and retries it after back-off.
"""

from __future__ import annotations

import asyncio

import aiohttp

from kybernetes.client.rest import resource_path
from kybernetes.machinery.errors import StatusError
from kybernetes.scheduler.framework import CycleState, Plugin, Status, error, success
from kybernetes.scheduler.nodeinfo import PodInfo

__all__ = ["NAME", "DefaultBinder", "binding_body"]

NAME = "DefaultBinder"


def binding_body(pod_info: PodInfo, node_name: str) -> dict:
    """The core/v1 Binding that assigns ``pod_info``'s pod to ``node_name``."""
    meta = {"name": pod_info.name, "namespace": pod_info.namespace}
    if pod_info.uid:
        meta["uid"] = pod_info.uid
    return {"apiVersion": "v1", "kind": "Binding", "metadata": meta,
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name}}


class DefaultBinder(Plugin):
    """POST /api/v1/namespaces/{ns}/pods/{name}/binding."""

    name = NAME
    extension_points = ("bind",)

    async def bind(self, state: CycleState, pod_info: PodInfo, node_name: str) -> Status:
        """Bind through the API; SUCCESS, or ERROR with the API's message.  Safe to run concurrently."""
        assert self.handle is not None, "DefaultBinder needs a framework handle"
        path = resource_path("", "v1", "pods", pod_info.namespace, pod_info.name, "binding")
        try:
            await self.handle.client.create(path, binding_body(pod_info, node_name))
        except StatusError as e:
            return error(e.message or str(e))
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            return error(f"binding pod {pod_info.key} to {node_name}: {e!r}")
        return success()
