"""pods/log and pods/exec: the API server proxies to the pod's kubelet over TLS (a stand-in kubelet here; the real
kubelet's server is tested with the kubelet, and exec end to end in tests/e2e)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import subprocess
import threading
import time

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port, kubectl_binary


def _serving_cert(cluster, tmp_path):
    ca_cert = x509.load_pem_x509_certificate((cluster.data_dir / "tls" / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((cluster.data_dir / "tls" / "ca.key").read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubelet")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "k.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(cluster.data_dir / "tls" / "ca.crt"))
    ctx.load_cert_chain(str(tmp_path / "k.crt"), str(tmp_path / "k.key"))
    ctx.verify_mode = ssl.CERT_REQUIRED  # only the API server (a cluster-CA client certificate) may read logs
    return ctx


@pytest.fixture
def fake_kubelet(cluster, tmp_path):
    seen: list[tuple[str, dict]] = []

    async def logs(request: web.Request) -> web.StreamResponse:
        seen.append((request.path, dict(request.query)))
        if request.match_info["container"] == "waiting":
            return web.Response(status=400, text='container "waiting" in pod "p" is waiting to start: '
                                                 'ContainerCreating')
        resp = web.StreamResponse()
        await resp.prepare(request)
        for i in range(3):
            await resp.write(f"line {i}\n".encode())
        await resp.write_eof()
        return resp

    async def exec_(request: web.Request) -> web.StreamResponse:
        """Echoes what it was asked (command and flags) on stdout, stdin back on stderr, then succeeds."""
        seen.append((request.path, {k: request.query.getall(k) for k in request.query}))
        ws = web.WebSocketResponse(protocols=("v5.channel.k8s.io", "v4.channel.k8s.io"))
        await ws.prepare(request)
        await ws.send_bytes(b"\x01" + " ".join(request.query.getall("command")).encode() + b"\n")
        if request.query.getall("command") == ["wait"]:  # until the client goes away
            async for _ in ws:
                pass
            seen.append(("closed", {}))
            return ws
        if request.query.get("input"):
            async for msg in ws:
                if msg.data[:1] == b"\x00":
                    await ws.send_bytes(b"\x02" + msg.data[1:])
                elif msg.data[:2] == b"\xff\x00":
                    break
        await ws.send_bytes(b'\x03{"metadata":{},"status":"Success"}')
        await ws.close()
        return ws

    port = free_port()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/containerLogs/{ns}/{pod}/{container}", logs)
    app.router.add_get("/exec/{ns}/{pod}/{container}", exec_)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port, ssl_context=_serving_cert(cluster, tmp_path)).start())
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    yield port, seen
    loop.call_soon_threadsafe(loop.stop)
    t.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def _node(api, name, port):
    api.ok("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
    api.ok("PATCH", f"/api/v1/nodes/{name}/status", {"status": {
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}},
        headers={"Content-Type": "application/merge-patch+json"})


def _pod(api, ns, name, node, containers=("app",)):
    spec = {"containers": [{"name": c, "image": "busybox"} for c in containers]}
    if node:
        spec["nodeName"] = node
    api.ok("POST", f"/api/v1/namespaces/{ns}/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                                     "spec": spec})


def test_logs_are_proxied_to_the_kubelet(api, ns, cluster, fake_kubelet, tmp_path):
    port, seen = fake_kubelet
    node = f"logs-node-{port}"
    _node(api, node, port)
    _pod(api, ns, "p", node)
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/p/log?tailLines=2&timestamps=true&bogus=1")
    assert r.status == 200 and r.body == b"line 0\nline 1\nline 2\n"
    assert seen[-1] == (f"/containerLogs/{ns}/p/app", {"tailLines": "2", "timestamps": "true"})
    binary = kubectl_binary(32)
    if binary:
        out = subprocess.run([binary, "--kubeconfig", str(cluster.kubeconfig), "-n", ns, "logs", "p", "--tail=5"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and out.stdout == "line 0\nline 1\nline 2\n", out.stderr
    _pod(api, ns, "two", node, ("a", "waiting"))
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/two/log")
    assert r.status == 400 and r.json()["message"] == \
        "a container name must be specified for pod two, choose one of: [a waiting]"
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/two/log?container=waiting")
    assert r.status == 400 and "is waiting to start: ContainerCreating" in r.json()["message"]
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/two/log?container=nope")
    assert r.status == 400 and r.json()["message"] == "container nope is not valid for pod two"


def test_log_errors_without_a_kubelet(api, ns):
    _pod(api, ns, "unbound", "")
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/unbound/log")
    assert r.status == 400 and r.json()["message"] == "pod unbound does not have a host assigned"
    _node(api, "logs-node-sim", 0)
    _pod(api, ns, "sim", "logs-node-sim")
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/sim/log")
    assert r.status == 400 and "has no kubelet endpoint" in r.json()["message"]
    dead = free_port()
    _node(api, "logs-node-dead", dead)
    _pod(api, ns, "dead", "logs-node-dead")
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/dead/log")
    assert r.status == 500 and f"127.0.0.1:{dead}" in r.json()["message"]


def test_exec_is_relayed_to_the_kubelet(api, ns, cluster, fake_kubelet):
    port, seen = fake_kubelet
    node = f"exec-node-{port}"
    _node(api, node, port)
    _pod(api, ns, "p", node)
    binary = kubectl_binary(32)
    if binary is None:
        pytest.skip("kubectl.1.32 is not installed")
    out = subprocess.run([binary, "--kubeconfig", str(cluster.kubeconfig), "-n", ns, "exec", "-i", "p", "--",
                          "echo", "a b"], input="to stdin\n", capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "echo a b\n" and out.stderr == "to stdin\n"
    assert seen[-1] == (f"/exec/{ns}/p/app", {"command": ["echo", "a b"], "input": ["1"], "output": ["1"],
                                              "error": ["1"]})
    # a client that goes away closes the kubelet's stream (which ends the command there)
    waiting = subprocess.Popen([binary, "--kubeconfig", str(cluster.kubeconfig), "-n", ns, "exec", "p", "--", "wait"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert waiting.stdout.readline() == b"wait\n"
    waiting.kill()
    waiting.wait(10)
    for _ in range(100):
        if seen[-1][0] == "closed":
            break
        time.sleep(0.05)
    assert seen[-1] == ("closed", {})
    # refusals as upstream, before any kubelet is asked
    path = f"/api/v1/namespaces/{ns}/pods/p/exec"
    r = api.call("GET", path + "?stdout=true")
    assert r.status == 400 and r.json()["message"] == "you must specify at least 1 command"
    r = api.call("POST", path + "?command=ls&stdout=true")  # kubectl before 1.30: SPDY
    assert r.status == 400 and "Upgrade request required" in r.json()["message"]
    _node(api, "exec-node-sim", 0)
    _pod(api, ns, "sim", "exec-node-sim")
    r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/sim/exec?command=ls&stdout=true")
    assert r.status == 400 and r.json()["message"] == "node exec-node-sim has no kubelet endpoint to exec in"
    api.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/p/status", {"status": {"phase": "Succeeded"}},
           headers={"Content-Type": "application/merge-patch+json"})
    r = api.call("GET", path + "?command=ls&stdout=true")
    assert r.status == 400
    assert r.json()["message"] == "cannot exec into a container in a completed pod; current phase is Succeeded"
