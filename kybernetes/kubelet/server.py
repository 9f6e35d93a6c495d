"""The kubelet's HTTPS API on port 10250 (the part ``kubectl logs`` needs, through the API server).

Routes:

- ``GET /healthz`` (anonymous): ``ok``.
- ``GET /pods``: a PodList of the pods this kubelet runs (static pods included).
- ``GET /containerLogs/<namespace>/<pod>/<container>``: the container's log with ``PodLogOptions`` as query
  parameters: ``follow``, ``previous``, ``tailLines`` (or ``tail``, ``all`` meaning everything), ``sinceSeconds``,
  ``sinceTime``, ``timestamps``, ``limitBytes``.  ``text/plain``, chunked, streamed while following.  Errors are
  plain text as upstream writes them: 404 ``pod "<name>" does not exist`` / ``container "<c>" not found in pod
  "<name>"``, 422 for invalid options, 400 for a container that has no log to show (``container "c" in pod "p" is
  waiting to start: ContainerCreating``, ``previous terminated container "c" in pod "p" not found``).

- ``GET /exec/<namespace>/<pod>/<container>?command=...&input=1&output=1&error=1&tty=1``: a WebSocket carrying
  the streams of a command run in the running container (:mod:`.execstream`); 404 ``container not found ("c")``
  when it is not running.

Authentication: every route but /healthz needs a client certificate signed by the client CA (the cluster CA: the
API server presents its kubelet client certificate); without one the answer is 401 ``Unauthorized``.  Any
authenticated client may read (there is no authorization webhook in this cluster).
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import tempfile
import time
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from kybernetes.kubelet.logs import parse_time, read_logs

__all__ = ["KubeletHost", "KubeletServer", "parse_log_options", "LogOptionsError", "container_log_id",
           "server_ssl_context"]

log = logging.getLogger(__name__)


class KubeletHost(Protocol):
    def pod_by_name(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    def pod_status(self, pod: Mapping[str, Any]) -> Mapping[str, Any]: ...

    def running_pods(self) -> list[dict[str, Any]]: ...

    async def log_file(self, pod: Mapping[str, Any], container_id: str) -> str: ...

    async def container_running(self, container_id: str) -> bool: ...

    def exec_argv(self, container_id: str, cmd: list[str], pid_file: str = "") -> list[str]: ...


class LogOptionsError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _bool(v: str | None) -> bool:
    return (v or "").lower() in ("true", "1", "t", "yes")


def _int(q: Mapping[str, str], name: str) -> int | None:
    if name not in q:
        return None
    try:
        return int(q[name])
    except ValueError:
        raise LogOptionsError(400, "Unable to decode query.") from None


def parse_log_options(q: Mapping[str, str]) -> dict[str, Any]:
    """PodLogOptions from query parameters; raises LogOptionsError (400 undecodable, 422 invalid)."""
    q = dict(q)
    if q.get("tail"):
        if q["tail"] == "all":
            q.pop("tailLines", None)
        else:
            q["tailLines"] = q["tail"]
    opts: dict[str, Any] = {"follow": _bool(q.get("follow")), "previous": _bool(q.get("previous")),
                            "timestamps": _bool(q.get("timestamps")), "tailLines": _int(q, "tailLines"),
                            "limitBytes": _int(q, "limitBytes"), "sinceSeconds": _int(q, "sinceSeconds"),
                            "sinceTime": None}
    if q.get("sinceTime"):
        try:
            opts["sinceTime"] = parse_time(q["sinceTime"])
        except ValueError:
            raise LogOptionsError(400, "Unable to decode query.") from None
    errs = []
    if opts["tailLines"] is not None and opts["tailLines"] < 0:
        errs.append("tailLines: Invalid value: %d: must be greater than or equal to 0" % opts["tailLines"])
    if opts["limitBytes"] is not None and opts["limitBytes"] < 1:
        errs.append("limitBytes: Invalid value: %d: must be greater than 0" % opts["limitBytes"])
    if opts["sinceSeconds"] is not None and opts["sinceTime"] is not None:
        errs.append("sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified")
    if opts["sinceSeconds"] is not None and opts["sinceSeconds"] < 1:
        errs.append("sinceSeconds: Invalid value: %d: must be greater than 0" % opts["sinceSeconds"])
    if errs:
        raise LogOptionsError(422, "invalid request: [" + ", ".join(errs) + "]")
    return opts


def container_log_id(status: Mapping[str, Any], container: str, pod_name: str, previous: bool) -> str:
    """The id of the container instance whose log to show (upstream's validateContainerLogStatus); raises
    LogOptionsError(400) saying why there is none."""
    cs = None
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for s in status.get(key) or ():
            if s.get("name") == container:
                cs = s
                break
        if cs is not None:
            break
    if cs is None:
        raise LogOptionsError(400, f'container "{container}" in pod "{pod_name}" is not available')
    last = (cs.get("lastState") or {}).get("terminated")
    state = cs.get("state") or {}
    if previous:
        if not last or not last.get("containerID"):
            raise LogOptionsError(400, f'previous terminated container "{container}" in pod "{pod_name}" not found')
        cid = last["containerID"]
    elif "running" in state:
        cid = cs.get("containerID") or ""
    elif "terminated" in state:
        cid = state["terminated"].get("containerID") or cs.get("containerID") or ""
        if not cid:
            if last and last.get("containerID"):
                cid = last["containerID"]
            else:
                raise LogOptionsError(400, f'container "{container}" in pod "{pod_name}" is terminated')
    elif last is not None:
        if not last.get("containerID"):
            raise LogOptionsError(400, f'container "{container}" in pod "{pod_name}" is terminated')
        cid = last["containerID"]
    elif "waiting" in state:
        reason = (state["waiting"] or {}).get("reason", "")
        if reason == "ErrImagePull":
            why = "image can't be pulled"
        elif reason == "ImagePullBackOff":
            why = "trying and failing to pull image"
        else:
            why = reason
        raise LogOptionsError(400, f'container "{container}" in pod "{pod_name}" is waiting to start: {why}')
    else:
        raise LogOptionsError(400, f'container "{container}" in pod "{pod_name}" is waiting to start - no logs yet')
    return cid.split("://", 1)[-1]


class KubeletServer:
    """aiohttp server over TLS.  ``await start()`` binds; ``port`` is the bound port; ``await stop()``."""

    def __init__(self, host: KubeletHost, *, address: str = "0.0.0.0", port: int = 10250,
                 ssl_context: ssl.SSLContext | None = None, require_client_cert: bool = True) -> None:
        self.host = host
        self.address = address
        self.port = port
        self.ssl_context = ssl_context
        self.require_client_cert = require_client_cert
        self._runner: web.AppRunner | None = None
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/pods", self._pods)
        app.router.add_get("/pods/", self._pods)
        app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self._logs)
        app.router.add_get("/exec/{namespace}/{pod}/{container}", self._exec)
        self.app = app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/healthz" or not self.require_client_cert:
            return await handler(request)
        peer = request.transport.get_extra_info("peercert") if request.transport is not None else None
        if not peer:
            return web.Response(status=401, text="Unauthorized")
        return await handler(request)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _pods(self, request: web.Request) -> web.Response:
        items = []
        for p in self.host.running_pods():
            item = dict(p)
            item["status"] = dict(self.host.pod_status(p))
            items.append(item)
        return web.json_response({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items})

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        ns, name, container = (request.match_info["namespace"], request.match_info["pod"],
                               request.match_info["container"])
        pod = self.host.pod_by_name(ns, name)
        if pod is None:
            return web.Response(status=404, text=f'pod "{name}" does not exist')
        spec = pod.get("spec") or {}
        names = [c.get("name") for key in ("initContainers", "containers", "ephemeralContainers")
                 for c in spec.get(key) or ()]
        if container not in names:
            return web.Response(status=404, text=f'container "{container}" not found in pod "{name}"')
        try:
            opts = parse_log_options(request.query)
            cid = container_log_id(self.host.pod_status(pod), container, name, opts["previous"])
            path = await self.host.log_file(pod, cid)
        except LogOptionsError as e:
            return web.Response(status=e.code, text=str(e))
        except Exception as e:  # the runtime lost the container
            return web.Response(status=400, text=str(e))
        since = opts["sinceTime"]
        if opts["sinceSeconds"] is not None:
            since = int((time.time() - opts["sinceSeconds"]) * 1e9)
        running = True

        async def poll_running() -> None:
            nonlocal running
            while running:
                await asyncio.sleep(0.5)
                try:
                    running = await self.host.container_running(cid)
                except Exception:
                    running = False

        resp = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        poller = asyncio.create_task(poll_running()) if opts["follow"] else None
        try:
            if opts["follow"]:
                running = await self.host.container_running(cid)
            gen = read_logs(path, tail_lines=opts["tailLines"], since_ns=since, timestamps=opts["timestamps"],
                            limit_bytes=opts["limitBytes"], follow=opts["follow"],
                            still_running=lambda: running)
            started = False
            try:
                async for chunk in gen:
                    if not started:
                        await resp.prepare(request)
                        started = True
                    await resp.write(chunk)
            except FileNotFoundError:
                if not started:
                    return web.Response(status=400, text=f'failed to try resolving symlinks in path "{path}": '
                                                         "lstat: no such file or directory")
            if not started:
                await resp.prepare(request)
            await resp.write_eof()
            return resp
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        finally:
            running = False
            if poller is not None:
                poller.cancel()

    async def _exec(self, request: web.Request) -> web.StreamResponse:
        ns, name, container = (request.match_info["namespace"], request.match_info["pod"],
                               request.match_info["container"])
        command = request.query.getall("command", [])
        if not command:
            return web.Response(status=400, text="you must specify at least 1 command")
        pod = self.host.pod_by_name(ns, name)
        if pod is None:
            return web.Response(status=404, text=f'pod "{name}" does not exist')
        statuses = self.host.pod_status(pod).get("containerStatuses") or []
        cs = next((c for c in statuses if c.get("name") == container), None)
        if cs is None or not cs.get("containerID") or "running" not in (cs.get("state") or {}):
            return web.Response(status=404, text=f'container not found ("{container}")')
        from .execstream import serve_exec_stream

        with tempfile.TemporaryDirectory(prefix="kyb-exec-") as tmp:
            pid_file = os.path.join(tmp, "pid")
            try:
                argv = self.host.exec_argv(cs["containerID"].split("://", 1)[-1], command, pid_file)
            except Exception as e:  # the runtime lost it
                return web.Response(status=404, text=f'container not found ("{container}"): {e}')
            return await serve_exec_stream(request, argv, command, stdin=_bool(request.query.get("input")),
                                           tty=_bool(request.query.get("tty")), pid_file=pid_file)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.address, self.port, ssl_context=self.ssl_context)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - the bound port when 0 was asked
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def server_ssl_context(cert: str, key: str, client_ca_pem: bytes | None) -> ssl.SSLContext:
    """TLS for the server: our certificate; client certificates verified against ``client_ca_pem`` when given
    (optional at the TLS level so /healthz stays anonymous)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    if client_ca_pem:
        ctx.load_verify_locations(cadata=client_ca_pem.decode())
        ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx
