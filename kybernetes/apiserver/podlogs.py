"""``pods/log``: the API server fetches a container's log from the kubelet of the pod's node and streams it back.

The kubelet serves ``GET /containerLogs/<namespace>/<pod>/<container>`` over HTTPS (port from the Node's
``status.daemonEndpoints.kubeletEndpoint.Port``, address its InternalIP, else Hostname) with the query
parameters of PodLogOptions (follow, previous, sinceSeconds, sinceTime, timestamps, tailLines, limitBytes).
The API server verifies the kubelet's serving certificate against the cluster CA and authenticates with its own
client certificate (``kubelet-client.crt``, group system:masters), as upstream's --kubelet-client-certificate.

Errors as upstream: a pod without a node -> 400 "pod X does not have a host assigned"; several containers and no
``container`` -> 400 "a container name must be specified for pod X, choose one of: [a b]"; an unknown container
-> 400 "container c is not valid for pod X"; a node without a kubelet endpoint (simulated nodes publish port 0)
-> 400; a kubelet that cannot be reached -> 500 with the dial error, never a hang (connect timeout 10 s).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from kybernetes.machinery import errors

if TYPE_CHECKING:
    from .handlers import ResourceAPI

__all__ = ["serve_pod_log", "kubelet_target", "KubeletClientConfig", "LOG_PARAMS"]

LOG_PARAMS = ("follow", "previous", "sinceSeconds", "sinceTime", "timestamps", "tailLines", "limitBytes")


class KubeletClientConfig:
    """How the API server reaches kubelets: CA to verify them, client certificate to present."""

    def __init__(self, ca: Path | None, cert: Path | None, key: Path | None) -> None:
        self.ca, self.cert, self.key = ca, cert, key
        self._ctx: ssl.SSLContext | None = None
        self._session: aiohttp.ClientSession | None = None

    def ssl_context(self) -> ssl.SSLContext:
        if self._ctx is None:
            ctx = ssl.create_default_context(cafile=str(self.ca) if self.ca else None)
            ctx.check_hostname = False  # kubelets are reached by IP; the CA signature is what is checked
            if self.cert and self.key:
                ctx.load_cert_chain(str(self.cert), str(self.key))
            self._ctx = ctx
        return self._ctx

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.ssl_context()))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _node_address(node: dict) -> tuple[str, int]:
    status = node.get("status") or {}
    port = int((((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")) or 0)
    addrs = status.get("addresses") or []
    for kind in ("InternalIP", "Hostname", "ExternalIP"):
        for a in addrs:
            if a.get("type") == kind and a.get("address"):
                return a["address"], port
    return "", port


async def kubelet_target(api: ResourceAPI, namespace: str, name: str, container: str,
                         purpose: str) -> tuple[dict, str, str]:
    """(the pod, the container asked for or its only one, ``host:port`` of its node's kubelet), or the
    StatusError upstream answers. ``purpose`` completes "node X has no kubelet endpoint to ..."."""
    pods = api.registries[("", "pods")]
    pod = await pods.get(namespace, name)
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or ()]
    init_names = [c.get("name", "") for c in spec.get("initContainers") or ()]
    eph_names = [c.get("name", "") for c in spec.get("ephemeralContainers") or ()]
    if not container:
        if len(names) == 1:
            container = names[0]
        else:
            msg = f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
            if init_names:
                msg += f" or one of the init containers: [{' '.join(init_names)}]"
            raise errors.bad_request(msg)
    elif container not in names + init_names + eph_names:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    node_name = spec.get("nodeName")
    if not node_name:
        raise errors.bad_request(f"pod {name} does not have a host assigned")
    try:
        node = await api.registries[("", "nodes")].get("", node_name)
    except errors.StatusError:
        raise errors.bad_request(f"node {node_name} of pod {name} does not exist") from None
    host, port = _node_address(node)
    if not host or not port:
        raise errors.bad_request(f"node {node_name} has no kubelet endpoint to {purpose}")
    return pod, container, f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve_pod_log(api: ResourceAPI, request: web.BaseRequest, namespace: str, name: str,
                        kubelets: KubeletClientConfig) -> web.StreamResponse:
    _, container, hostport = await kubelet_target(api, namespace, name, request.query.get("container", ""),
                                                  "fetch logs from")
    params = {k: v for k, v in request.query.items() if k in LOG_PARAMS}
    url = f"https://{hostport}/containerLogs/{namespace}/{name}/{container}"
    follow = params.get("follow") in ("true", "1")
    timeout = aiohttp.ClientTimeout(total=None if follow else 60, sock_connect=10)
    try:
        upstream = await kubelets.session().get(url, params=params, timeout=timeout)
    except (aiohttp.ClientError, OSError, TimeoutError) as e:
        raise errors.internal_error(f"Get \"{url}\": {e}") from None
    try:
        if upstream.status != 200:
            body = (await upstream.read()).decode("utf-8", "replace").strip()
            code = upstream.status if upstream.status in (400, 404, 422) else 500
            reason = {400: "BadRequest", 404: "NotFound", 422: "Invalid"}.get(code, "InternalError")
            raise errors.StatusError(code, reason,
                                     body or f"kubelet answered {upstream.status}", None)
        resp = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        if follow:
            resp.enable_chunked_encoding()
        await resp.prepare(request)
        async for chunk in upstream.content.iter_any():
            await resp.write(chunk)
        await resp.write_eof()
        return resp
    finally:
        upstream.release()
