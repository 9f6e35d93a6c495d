"""Probes against real local servers (HTTP, TCP, gRPC on 127.0.0.1) and an in-memory exec, plus the workers'
threshold, hold and startup-gating logic."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from kybernetes.cri.api import ExecSyncResponse
from kybernetes.kubelet.probes import ProbeManager, ProbeOutcome, ProbeWorker, Result, run_probe


class ExecRuntime:
    def __init__(self, code: int = 0, out: bytes = b"", delay: float = 0.0) -> None:
        self.code, self.out, self.delay, self.calls = code, out, delay, []

    async def exec_sync(self, container_id, cmd, timeout=0):
        self.calls.append((container_id, cmd, timeout))
        await asyncio.sleep(self.delay)
        return ExecSyncResponse(self.out, b"", self.code)


@pytest.fixture
async def http_server():
    seen = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        path = request.path
        if path == "/ok":
            return web.Response(text="fine")
        if path == "/redirect-same":
            raise web.HTTPFound("/ok")
        if path == "/redirect-away":
            raise web.HTTPFound("http://192.0.2.1/elsewhere")
        if path == "/slow":
            await asyncio.sleep(3)
        return web.Response(status=500, text="broken")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield port, seen
    await runner.cleanup()


async def probe(spec, container=None, runtime=None):
    return await run_probe(spec, container=container or {"name": "c"}, container_id="cid", pod_ip="127.0.0.1",
                           runtime=runtime or ExecRuntime())


async def test_http_probe_success_failure_headers_named_port_and_redirects(http_server):
    port, seen = http_server
    out = await probe({"httpGet": {"path": "/ok", "port": port, "httpHeaders": [{"name": "X-Test", "value": "1"}]}})
    assert out == ProbeOutcome(Result.SUCCESS, "fine")
    assert seen[-1]["User-Agent"] == "kube-probe/1.32" and seen[-1]["X-Test"] == "1"
    out = await probe({"httpGet": {"path": "/bad", "port": "web"}},
                      container={"name": "c", "ports": [{"name": "web", "containerPort": port}]})
    assert out == ProbeOutcome(Result.FAILURE, "HTTP probe failed with statuscode: 500")
    assert (await probe({"httpGet": {"path": "/redirect-same", "port": port}})).result == Result.SUCCESS
    out = await probe({"httpGet": {"path": "/redirect-away", "port": port}})
    assert out.result == Result.WARNING and out.output.startswith("Probe terminated redirects")
    out = await probe({"httpGet": {"path": "/x", "port": "nope"}})
    assert out == ProbeOutcome(Result.FAILURE, "couldn't find port: nope in c")


async def test_http_probe_timeout(http_server):
    port, _ = http_server
    t0 = time.monotonic()
    out = await probe({"httpGet": {"path": "/slow", "port": port}, "timeoutSeconds": 1})
    assert out.result == Result.FAILURE and "Client.Timeout" in out.output
    assert time.monotonic() - t0 < 2.5


async def test_tcp_probe():
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert (await probe({"tcpSocket": {"port": port}})).result == Result.SUCCESS
    finally:
        server.close()
        await server.wait_closed()
    out = await probe({"tcpSocket": {"port": port}})
    assert out == ProbeOutcome(Result.FAILURE, f"dial tcp 127.0.0.1:{port}: connect: connection refused")


async def test_exec_probe():
    rt = ExecRuntime(code=0, out=b"ok")
    assert await probe({"exec": {"command": ["cat", "/tmp/healthy"]}, "timeoutSeconds": 3}, runtime=rt) == \
        ProbeOutcome(Result.SUCCESS, "ok")
    assert rt.calls == [("cid", ["cat", "/tmp/healthy"], 3.0)]
    assert (await probe({"exec": {"command": ["false"]}}, runtime=ExecRuntime(code=1))).result == Result.FAILURE
    out = await probe({"exec": {"command": ["sleep", "9"]}, "timeoutSeconds": 0.2},
                      runtime=ExecRuntime(delay=5))
    assert out == ProbeOutcome(Result.FAILURE, 'command "sleep 9" timed out')


async def test_grpc_probe():
    pytest.importorskip("grpc")
    import grpc
    import grpc.aio

    status = {"value": 1}

    async def check(request, context):
        assert request in (b"", b"\x0a\x03app")
        return bytes([0x08, status["value"]])

    handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(check, request_deserializer=lambda b: b,
                                                     response_serializer=lambda b: b)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        assert (await probe({"grpc": {"port": port}})).result == Result.SUCCESS
        status["value"] = 2
        out = await probe({"grpc": {"port": port, "service": "app"}})
        assert out == ProbeOutcome(Result.FAILURE, 'service unhealthy (responded with "NOT_SERVING")')
    finally:
        await server.stop(0)
    out = await probe({"grpc": {"port": port}, "timeoutSeconds": 1})
    assert out.result == Result.FAILURE and "failed to connect" in out.output


def worker(probe_type, **spec):
    m = ProbeManager(ExecRuntime(), on_change=lambda uid: None)
    c = {"name": "c", f"{probe_type}Probe": spec}
    return ProbeWorker(m, "uid", c, probe_type)


def test_thresholds():
    w = worker("readiness", failureThreshold=3, successThreshold=2)
    assert [w.observe(Result.FAILURE) for _ in range(3)] == [None, None, False]
    assert w.observe(Result.SUCCESS) is None and w.observe(Result.SUCCESS) is True
    assert w.observe(Result.UNKNOWN) is None
    w = worker("liveness", failureThreshold=2)
    assert w.observe(Result.FAILURE) is None and w.observe(Result.FAILURE) is False and w.on_hold


def running_status(cid, started_ago=100.0, **extra):
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - started_ago))
    st = {"name": "c", "containerID": f"kyb://{cid}", "state": {"running": {"startedAt": started}}}
    st.update(extra)
    return {"phase": "Running", "podIP": "127.0.0.1", "containerStatuses": [st]}


async def test_manager_publishes_liveness_failure_and_holds_until_new_container():
    changes = []
    outcomes = []

    async def prober(spec, **kw):
        outcomes.append(kw["container_id"])
        return ProbeOutcome(Result.FAILURE, "down")

    events = []
    m = ProbeManager(ExecRuntime(), on_change=changes.append, prober=prober,
                     event=lambda pod, c, t, r, msg: events.append((t, r, msg)))
    pod = {"metadata": {"uid": "u1"}, "spec": {"containers": [
        {"name": "c", "livenessProbe": {"exec": {"command": ["x"]}, "periodSeconds": 0.02, "failureThreshold": 2}}]}}
    m.sync(pod, running_status("a"))
    deadline = time.monotonic() + 5
    while m.liveness.get("a") is not False:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert changes == ["u1"] and events[0] == ("Warning", "Unhealthy", "Liveness probe failed: down")
    n = len(outcomes)
    await asyncio.sleep(0.1)
    assert len(outcomes) == n  # on hold
    m.sync(pod, running_status("b"))  # restarted: a new container id
    while len(outcomes) == n:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert outcomes[-1] == "b" and m.liveness["b"] is True  # reset to the initial result first
    m.remove("u1")
    await m.stop()


async def test_manager_initial_delay_and_startup_gate():
    calls = []

    async def prober(spec, **kw):
        calls.append(spec["tag"])
        return ProbeOutcome(Result.SUCCESS)

    m = ProbeManager(ExecRuntime(), on_change=lambda uid: None, prober=prober)
    c = {"name": "c", "readinessProbe": {"tag": "ready", "periodSeconds": 0.02},
         "startupProbe": {"tag": "startup", "periodSeconds": 0.02, "initialDelaySeconds": 50}}
    pod = {"metadata": {"uid": "u2"}, "spec": {"containers": [c]}}
    m.sync(pod, running_status("x", started_ago=10))
    await asyncio.sleep(0.15)
    assert calls == []  # startup waits its initial delay; readiness waits for startup
    m.sync(pod, running_status("x", started_ago=100))
    deadline = time.monotonic() + 5
    while "ready" not in calls:
        assert time.monotonic() < deadline
        m.sync(pod, running_status("x", started_ago=100, started=bool(m.startup.get("x"))))
        await asyncio.sleep(0.02)
    assert calls[0] == "startup" and m.startup["x"] is True and m.readiness["x"] is True
    await m.stop()
