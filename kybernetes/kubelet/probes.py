"""Container probes: liveness, readiness and startup checks, each run by its own worker task.

A probe is one of four actions, each with ``timeoutSeconds`` (default 1):

- ``exec``: run a command in the container through the CRI's ExecSync; exit code 0 succeeds;
- ``httpGet``: ``GET scheme://host:port/path`` (host defaults to the pod IP, a named port is looked up in the
  container's ports, ``httpHeaders`` added, ``User-Agent: kube-probe/1.32``); 200-399 succeeds; redirects are
  followed on the same host only, a redirect elsewhere succeeds with a warning;
- ``tcpSocket``: a TCP connection can be opened;
- ``grpc``: the gRPC health protocol (``grpc.health.v1.Health/Check`` with ``service``) answers SERVING.

A :class:`ProbeWorker` per (pod, container, probe type) probes every ``periodSeconds`` once the container has run
for ``initialDelaySeconds``; a result counts only after ``failureThreshold`` consecutive failures or
``successThreshold`` consecutive successes.  Results start as: readiness failed, liveness succeeded, startup
unknown; liveness and readiness wait until the startup probe has succeeded, which then stops.  After a liveness or
startup failure the worker holds until the container is replaced (a new container id).  While a pod is being
deleted liveness and startup report success (the kubelet is stopping the container anyway).  A changed result
calls ``on_change(pod_uid)`` so the pod worker reacts (restart on liveness failure, new ready state).
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from kybernetes.cri.api import RuntimeService

__all__ = ["Result", "ProbeOutcome", "run_probe", "http_get", "resolve_port", "ProbeWorker", "ProbeManager",
           "USER_AGENT", "PROBE_TYPES"]

log = logging.getLogger(__name__)

USER_AGENT = "kube-probe/1.32"
PROBE_TYPES = ("liveness", "readiness", "startup")
MAX_BODY = 10 * 1024


class Result(Enum):
    SUCCESS = "success"
    WARNING = "warning"  # success, with something worth an event
    FAILURE = "failure"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    result: Result
    output: str = ""


def resolve_port(port: Any, container: Mapping[str, Any]) -> int:
    """An int port, or the containerPort of the named port; raises ValueError when it cannot be found."""
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in container.get("ports") or ():
        if p.get("name") == port:
            return int(p.get("containerPort"))
    raise ValueError(f"couldn't find port: {port} in {container.get('name', '')}")


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def http_get(url: str, *, headers: Mapping[str, str], timeout: float) -> ProbeOutcome:
    """One HTTP probe: GET ``url`` following same-host redirects (at most 10)."""
    hdrs = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for k, v in headers.items():
        hdrs[k] = v
    host_header = next((v for k, v in hdrs.items() if k.lower() == "host"), None)
    sslctx = ssl.create_default_context()
    sslctx.check_hostname = False
    sslctx.verify_mode = ssl.CERT_NONE
    start_host = urlsplit(url).hostname
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout),
                                         skip_auto_headers=("User-Agent",) if "User-Agent" in hdrs else ()) as s:
            for _ in range(11):
                req_headers = dict(hdrs)
                if host_header is not None:
                    req_headers["Host"] = host_header
                async with s.get(url, headers=req_headers, allow_redirects=False,
                                 ssl=sslctx if url.startswith("https") else False) as resp:
                    body = await resp.content.read(MAX_BODY)
                    code = resp.status
                    if code in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                        target = urljoin(url, resp.headers["Location"])
                        if urlsplit(target).hostname != start_host:
                            return ProbeOutcome(Result.WARNING, "Probe terminated redirects, Response body: "
                                                + body.decode("utf-8", "replace"))
                        url = target
                        continue
                    text = body.decode("utf-8", "replace")
                    if 200 <= code < 400:
                        return ProbeOutcome(Result.SUCCESS, text)
                    return ProbeOutcome(Result.FAILURE, f"HTTP probe failed with statuscode: {code}")
            return ProbeOutcome(Result.FAILURE, "stopped after 10 redirects")
    except asyncio.TimeoutError:
        return ProbeOutcome(Result.FAILURE, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded '
                                            "while awaiting headers)")
    except (aiohttp.ClientError, OSError) as e:
        return ProbeOutcome(Result.FAILURE, f'Get "{url}": {_dial_error(e)}')


def _dial_error(e: BaseException) -> str:
    cause = e
    while getattr(cause, "os_error", None) is not None:
        cause = cause.os_error  # type: ignore[attr-defined]
    if isinstance(cause, ConnectionRefusedError):
        return "dial tcp: connect: connection refused"
    if isinstance(cause, OSError) and cause.strerror:
        return f"dial tcp: {cause.strerror.lower()}"
    return str(e) or type(e).__name__


async def tcp_check(host: str, port: int, timeout: float) -> ProbeOutcome:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except asyncio.TimeoutError:
        return ProbeOutcome(Result.FAILURE, f"dial tcp {_hostport(host, port)}: i/o timeout")
    except ConnectionRefusedError:
        return ProbeOutcome(Result.FAILURE, f"dial tcp {_hostport(host, port)}: connect: connection refused")
    except OSError as e:
        return ProbeOutcome(Result.FAILURE, f"dial tcp {_hostport(host, port)}: {(e.strerror or str(e)).lower()}")
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return ProbeOutcome(Result.SUCCESS)


def _encode_health_request(service: str) -> bytes:
    data = service.encode()
    if not data:
        return b""
    out = bytearray(b"\x0a")
    n = len(data)
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            break
    return bytes(out) + data


def _decode_health_response(data: bytes) -> int:
    """The ``status`` field (1) of HealthCheckResponse; 0 (UNKNOWN) when absent."""
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        field_no, wire = tag >> 3, tag & 7
        if wire == 0:
            value = shift = 0
            while True:
                b = data[i]
                i += 1
                value |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            if field_no == 1:
                return value
        elif wire == 2:
            n = data[i]
            i += 1 + n
        else:
            break
    return 0


_SERVING_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


async def grpc_check(host: str, port: int, service: str, timeout: float) -> ProbeOutcome:
    """The gRPC health protocol over an insecure channel (needs the ``grpcio`` package)."""
    try:
        import grpc
        import grpc.aio
    except ImportError:
        return ProbeOutcome(Result.FAILURE, "grpc probes need the grpcio package on the node")
    target = _hostport(host, port)
    channel = grpc.aio.insecure_channel(target)
    try:
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout)
        except asyncio.TimeoutError:
            return ProbeOutcome(Result.FAILURE,
                                f'timeout: failed to connect service "{target}" within {_go_secs(timeout)}')
        call = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
        try:
            raw = await call(_encode_health_request(service), timeout=timeout)
        except grpc.aio.AioRpcError as e:
            code = e.code()
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return ProbeOutcome(Result.FAILURE, "error: this server does not implement the grpc health "
                                                    "protocol (grpc.health.v1.Health): " + (e.details() or ""))
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return ProbeOutcome(Result.FAILURE,
                                    f"timeout: health rpc did not complete within {_go_secs(timeout)}")
            return ProbeOutcome(Result.FAILURE, f"error: health rpc probe failed: {e.details() or code.name}")
        status = _decode_health_response(raw)
        if status == 1:
            return ProbeOutcome(Result.SUCCESS, "")
        return ProbeOutcome(Result.FAILURE,
                            f'service unhealthy (responded with "{_SERVING_STATUS.get(status, str(status))}")')
    finally:
        await channel.close()


def _go_secs(t: float) -> str:
    return f"{int(t)}s" if t == int(t) else f"{t}s"


async def run_probe(probe: Mapping[str, Any], *, container: Mapping[str, Any], container_id: str, pod_ip: str,
                    runtime: RuntimeService) -> ProbeOutcome:
    """Run one probe (or lifecycle-style action) once and return its outcome; never raises for probe failures."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if probe.get("exec") is not None:
            cmd = list((probe["exec"] or {}).get("command") or [])
            try:
                resp = await asyncio.wait_for(runtime.exec_sync(container_id, cmd, timeout=timeout), timeout + 1)
            except asyncio.TimeoutError:
                return ProbeOutcome(Result.FAILURE, f'command "{shlex.join(cmd)}" timed out')
            output = (resp.stdout + resp.stderr).decode("utf-8", "replace")
            return ProbeOutcome(Result.SUCCESS if resp.exit_code == 0 else Result.FAILURE, output)
        if probe.get("httpGet") is not None:
            h = probe["httpGet"]
            port = resolve_port(h.get("port"), container)
            host = h.get("host") or pod_ip
            scheme = (h.get("scheme") or "HTTP").lower()
            path = h.get("path") or "/"
            if not path.startswith("/"):
                path = "/" + path
            headers = {hh.get("name", ""): hh.get("value", "") for hh in h.get("httpHeaders") or ()}
            return await http_get(f"{scheme}://{_hostport(host, port)}{path}", headers=headers, timeout=timeout)
        if probe.get("tcpSocket") is not None:
            t = probe["tcpSocket"]
            return await tcp_check(t.get("host") or pod_ip, resolve_port(t.get("port"), container), timeout)
        if probe.get("grpc") is not None:
            g = probe["grpc"]
            return await grpc_check(pod_ip, int(g.get("port")), g.get("service") or "", timeout)
    except asyncio.CancelledError:
        raise
    except ValueError as e:
        return ProbeOutcome(Result.FAILURE, str(e))
    except Exception as e:  # the runtime failed to exec: an errored probe
        return ProbeOutcome(Result.UNKNOWN, str(e))
    return ProbeOutcome(Result.UNKNOWN, "missing probe handler")


def _parse_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def _status_of(status: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or ():
            if cs.get("name") == name:
                return cs
    return None


class ProbeWorker:
    """One probe of one container.  :meth:`observe` holds the threshold logic (pure, tested alone);
    :meth:`run` loops until cancelled or the pod is gone."""

    def __init__(self, manager: ProbeManager, uid: str, container: Mapping[str, Any], probe_type: str) -> None:
        self.manager = manager
        self.uid = uid
        self.container = container
        self.name = container.get("name", "")
        self.probe_type = probe_type
        self.spec: Mapping[str, Any] = container.get(f"{probe_type}Probe") or {}
        self.container_id = ""
        self.last_result: Result | None = None
        self.run_length = 0
        self.on_hold = False
        self.trigger = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @property
    def initial(self) -> bool | None:
        return {"readiness": False, "liveness": True, "startup": None}[self.probe_type]

    def reset(self, container_id: str) -> None:
        """A new container instance: start over with the initial result."""
        self.container_id = container_id
        self.manager.set_result(self.probe_type, container_id, self.initial, self.uid, notify=False)
        self.on_hold = False
        self.last_result = None
        self.run_length = 0

    def observe(self, result: Result) -> bool | None:
        """Count one probe result; returns the result to publish (True/False) once a threshold is reached, else
        None.  Liveness/startup failures put the worker on hold."""
        if result == Result.WARNING:
            result = Result.SUCCESS
        if result == Result.UNKNOWN:
            return None
        if self.last_result == result:
            self.run_length += 1
        else:
            self.last_result = result
            self.run_length = 1
        failure = int(self.spec.get("failureThreshold") or 3)
        success = int(self.spec.get("successThreshold") or 1)
        if (result == Result.FAILURE and self.run_length < failure) or \
                (result == Result.SUCCESS and self.run_length < success):
            return None
        if self.probe_type in ("liveness", "startup") and result == Result.FAILURE:
            self.on_hold = True
            self.run_length = 0
        return result == Result.SUCCESS

    async def step(self) -> bool:
        """One probe cycle; returns False when the worker should stop."""
        pod = self.manager.pods.get(self.uid)
        if pod is None:
            return False
        status = self.manager.statuses.get(self.uid) or {}
        if status.get("phase") in ("Succeeded", "Failed"):
            return False
        cs = _status_of(status, self.name)
        if cs is None or not cs.get("containerID"):
            return True
        cid = cs["containerID"].split("://", 1)[-1]
        if cid != self.container_id:
            self.reset(cid)
        if self.on_hold:
            return True
        state = cs.get("state") or {}
        if "running" not in state:
            self.manager.set_result(self.probe_type, cid, False, self.uid)
            return "terminated" not in state or (pod.get("spec") or {}).get("restartPolicy") != "Never"
        if (pod.get("metadata") or {}).get("deletionTimestamp") and self.probe_type in ("liveness", "startup"):
            self.manager.set_result(self.probe_type, cid, True, self.uid)
            return True
        started_at = _parse_time(state["running"].get("startedAt"))
        if started_at is not None and self.manager.clock() - started_at < int(self.spec.get("initialDelaySeconds")
                                                                               or 0):
            return True
        has_startup = bool(self.container.get("startupProbe"))
        if self.probe_type == "startup":
            if cs.get("started"):
                return True
        elif has_startup and not self.manager.startup.get(cid):
            return True
        pod_ip = status.get("podIP") or ""
        outcome = await self.manager.prober(self.spec, container=self.container, container_id=cid, pod_ip=pod_ip,
                                            runtime=self.manager.runtime)
        if outcome.result == Result.FAILURE:
            self.manager.event(pod, self.name, "Warning", "Unhealthy",
                               f"{self.probe_type.capitalize()} probe failed: {outcome.output}")
        elif outcome.result == Result.WARNING:
            self.manager.event(pod, self.name, "Warning", "ProbeWarning",
                               f"{self.probe_type.capitalize()} probe warning: {outcome.output}")
        elif outcome.result == Result.UNKNOWN:
            self.manager.event(pod, self.name, "Warning", "Unhealthy",
                               f"{self.probe_type.capitalize()} probe errored: {outcome.output}")
        published = self.observe(outcome.result)
        if published is not None:
            self.manager.set_result(self.probe_type, cid, published, self.uid)
        return True

    async def run(self) -> None:
        period = float(self.spec.get("periodSeconds") or 10)
        try:
            while await self.step():
                self.trigger.clear()
                try:
                    await asyncio.wait_for(self.trigger.wait(), period)
                except asyncio.TimeoutError:
                    pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("probe worker %s/%s/%s failed", self.uid, self.name, self.probe_type)
        finally:
            self.manager.forget_worker(self)


Prober = Callable[..., Awaitable[ProbeOutcome]]
EventFn = Callable[[Mapping[str, Any], str, str, str, str], None]


class ProbeManager:
    """All probe workers of the node and their latest results (by container id).

    ``sync(pod, status)`` (called after each pod sync with the status just computed) starts the workers the pod's
    spec asks for; ``remove(uid)`` stops a pod's workers.  ``readiness``/``liveness``/``startup`` map a container id
    to its published result.  ``on_change(uid)`` is called when a result changes."""

    def __init__(self, runtime: RuntimeService, *, on_change: Callable[[str], None],
                 event: EventFn | None = None, prober: Prober = run_probe,
                 clock: Callable[[], float] = time.time) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self._event = event
        self.prober = prober
        self.clock = clock
        self.pods: dict[str, Mapping[str, Any]] = {}
        self.statuses: dict[str, Mapping[str, Any]] = {}
        self.readiness: dict[str, bool] = {}
        self.liveness: dict[str, bool] = {}
        self.startup: dict[str, bool] = {}
        self.workers: dict[tuple[str, str, str], ProbeWorker] = {}

    def event(self, pod: Mapping[str, Any], container: str, type_: str, reason: str, message: str) -> None:
        if self._event is not None:
            self._event(pod, container, type_, reason, message)

    def _results(self, probe_type: str) -> dict[str, bool]:
        return {"readiness": self.readiness, "liveness": self.liveness, "startup": self.startup}[probe_type]

    def set_result(self, probe_type: str, container_id: str, value: bool | None, uid: str, *,
                   notify: bool = True) -> None:
        results = self._results(probe_type)
        old = results.get(container_id)
        if value is None:
            results.pop(container_id, None)
        else:
            results[container_id] = value
        if notify and old != value:
            self.on_change(uid)

    def sync(self, pod: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        """Remember the pod's latest spec/status and start missing workers (idempotent).  Wakes the readiness
        worker of a running container that has no result yet, as upstream does."""
        uid = (pod.get("metadata") or {}).get("uid", "")
        self.pods[uid] = pod
        self.statuses[uid] = status
        if status.get("phase") in ("Succeeded", "Failed"):
            self.remove(uid)
            return
        spec = pod.get("spec") or {}
        containers = [*(c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"),
                      *(spec.get("containers") or ())]
        for c in containers:
            for probe_type in PROBE_TYPES:
                if not c.get(f"{probe_type}Probe"):
                    continue
                key = (uid, c.get("name", ""), probe_type)
                worker = self.workers.get(key)
                if worker is None or worker.task is None or worker.task.done():
                    worker = ProbeWorker(self, uid, c, probe_type)
                    self.workers[key] = worker
                    worker.task = asyncio.create_task(worker.run(), name=f"probe {key}")
                else:
                    worker.container = c
                cs = _status_of(status, c.get("name", ""))
                if cs is not None and "running" in (cs.get("state") or {}) and \
                        (cs.get("containerID") or "").split("://", 1)[-1] != worker.container_id:
                    worker.trigger.set()

    def forget_worker(self, worker: ProbeWorker) -> None:
        key = (worker.uid, worker.name, worker.probe_type)
        if self.workers.get(key) is worker:
            del self.workers[key]

    def remove(self, uid: str) -> None:
        """Stop the pod's workers (their results are dropped when the containers go)."""
        for key in [k for k in self.workers if k[0] == uid]:
            w = self.workers.pop(key)
            if w.task is not None and not w.task.done() and w.task is not asyncio.current_task():
                w.task.cancel()
        self.pods.pop(uid, None)
        self.statuses.pop(uid, None)

    def forget_containers(self, container_ids: list[str]) -> None:
        for cid in container_ids:
            self.readiness.pop(cid, None)
            self.liveness.pop(cid, None)
            self.startup.pop(cid, None)

    async def stop(self) -> None:
        tasks = [w.task for w in self.workers.values() if w.task is not None]
        self.workers.clear()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
