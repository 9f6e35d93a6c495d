"""``pods/exec``: ``kubectl exec`` through the API server, relayed to the kubelet of the pod's node.

The client asks for a WebSocket upgrade of ``GET /api/v1/namespaces/<ns>/pods/<name>/exec`` with PodExecOptions
as query parameters (``command`` repeated, ``container``, ``stdin``, ``stdout``, ``stderr``, ``tty``) and a channel
subprotocol (``v5.channel.k8s.io`` from kubectl 1.30 on, ``v4.channel.k8s.io`` from the official clients). The
API server checks the pod as upstream does (a host assigned, not completed, the container valid), opens the same
kind of WebSocket to the kubelet's ``/exec/<ns>/<pod>/<container>`` (upstream's kubelet parameters ``input``,
``output``, ``error``, ``tty``), answers the client with the subprotocol the kubelet chose, and relays messages both
ways until one side closes. SPDY upgrades (kubectl before 1.30) are refused with 400.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import WSMsgType, web

from kybernetes.machinery import errors

from .podlogs import KubeletClientConfig, kubelet_target

if TYPE_CHECKING:
    from .handlers import ResourceAPI

__all__ = ["serve_pod_exec"]

_CHANNEL_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")


def _flag(request: web.BaseRequest, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


async def serve_pod_exec(api: ResourceAPI, request: web.BaseRequest, namespace: str, name: str,
                         kubelets: KubeletClientConfig) -> web.StreamResponse:
    command = request.query.getall("command", [])
    if not command:
        raise errors.bad_request("you must specify at least 1 command")
    stdin, stdout, stderr, tty = (_flag(request, k) for k in ("stdin", "stdout", "stderr", "tty"))
    if not (stdin or stdout or stderr):
        raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
    pod, container, hostport = await kubelet_target(api, namespace, name, request.query.get("container", ""),
                                                    "exec in")
    phase = (pod.get("status") or {}).get("phase", "")
    if phase in ("Succeeded", "Failed"):
        raise errors.bad_request(f"cannot exec into a container in a completed pod; current phase is {phase}")
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    protocols = [p for p in offered if p in _CHANNEL_PROTOCOLS]
    if request.headers.get("Upgrade", "").lower() != "websocket" or not protocols:
        raise errors.bad_request("Upgrade request required: use a WebSocket with the v5.channel.k8s.io or "
                                 "v4.channel.k8s.io subprotocol (SPDY is not served)")
    params = [("command", c) for c in command] + [
        (k, "1") for k, on in (("input", stdin), ("output", stdout), ("error", stderr), ("tty", tty)) if on]
    url = f"https://{hostport}/exec/{namespace}/{name}/{container}"
    try:
        upstream = await kubelets.session().ws_connect(url, params=params, protocols=protocols, heartbeat=None,
                                                       max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=10))
    except aiohttp.WSServerHandshakeError as e:
        code = e.status if e.status in (400, 404) else 500
        raise errors.StatusError(code, {400: "BadRequest", 404: "NotFound"}.get(code, "InternalError"),
                                 f"unable to upgrade connection: {e.message}", None) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as e:
        raise errors.internal_error(f"error dialing backend: {e}") from None
    ws = web.WebSocketResponse(protocols=[upstream.protocol] if upstream.protocol else (), heartbeat=None,
                               max_msg_size=0)
    try:
        await ws.prepare(request)  # type: ignore[arg-type]
        await _relay(ws, upstream)
    finally:
        await upstream.close()
        if not ws.closed:
            await ws.close()
    return ws


async def _relay(client: web.WebSocketResponse, kubelet: aiohttp.ClientWebSocketResponse) -> None:
    async def forward(src, dst) -> None:  # noqa: ANN001 - either side's socket
        async for msg in src:
            if msg.type == WSMsgType.BINARY:
                await dst.send_bytes(msg.data)
            elif msg.type == WSMsgType.TEXT:
                await dst.send_str(msg.data)
            else:
                break

    up = asyncio.create_task(forward(client, kubelet))
    down = asyncio.create_task(forward(kubelet, client))
    try:
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if down.done():  # the command ended: whatever the client still sends is moot
            up.cancel()
        else:  # the client left: the kubelet ends the command when its socket closes
            down.cancel()
    finally:
        for t in (up, down):
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
