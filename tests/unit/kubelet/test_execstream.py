"""The kubelet's exec stream over a real WebSocket, with a local shell standing in for the runtime's exec: the
channel protocols v4 and v5 (text and binary frames), stdin and its close, stderr apart or merged into a
terminal, the terminal size before and after start, the final Status with the exit code, and a client that goes
away ending the command."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from pathlib import Path

import aiohttp
import pytest

from kybernetes.apiserver.pki import ensure_pki
from kybernetes.kubelet.certs import ensure_serving_cert
from kybernetes.kubelet.execstream import exec_status
from kybernetes.kubelet.server import KubeletServer, server_ssl_context


class Host:
    """One pod ``p`` with a running container ``c``; exec runs the command on this machine."""

    def __init__(self) -> None:
        self.pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {"containers": [{"name": "c"}]}}
        self.pid_files: list[str] = []

    def pod_by_name(self, ns, name):
        return self.pod if (ns, name) == ("ns", "p") else None

    def pod_status(self, pod):
        return {"containerStatuses": [{"name": "c", "state": {"running": {}}, "containerID": "kyb://cid"},
                                      {"name": "w", "state": {"waiting": {}}}]}

    def running_pods(self):
        return [self.pod]

    def exec_argv(self, cid, cmd, pid_file=""):
        assert cid == "cid"
        self.pid_files.append(pid_file)
        # as `crun exec --pid-file`: the command's PID is written before it runs
        return ["sh", "-c", 'echo $$ > "$0"; exec "$@"', pid_file, *cmd]


@pytest.fixture
async def kubelet(tmp_path: Path):
    pki = ensure_pki(tmp_path / "data")
    cert, key, _ = ensure_serving_cert(tmp_path / "pki", node_name="n1", ips=[], ca_cert_pem=pki.ca_cert.read_bytes(),
                                       ca_key_path=str(pki.ca_key))
    host = Host()
    server = KubeletServer(host, address="127.0.0.1", port=0,
                           ssl_context=server_ssl_context(cert, key, pki.ca_cert.read_bytes()))
    await server.start()
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    ctx.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx))
    try:
        yield session, f"wss://127.0.0.1:{server.port}/exec/ns/p/c", host
    finally:
        await session.close()
        await server.stop()


def params(*cmd: str, stdin: bool = False, tty: bool = False) -> list[tuple[str, str]]:
    return [("command", c) for c in cmd] + [("output", "1"), ("error", "1")] + \
        ([("input", "1")] if stdin else []) + ([("tty", "1")] if tty else [])


async def collect(ws: aiohttp.ClientWebSocketResponse) -> tuple[dict[int, bytes], dict]:
    out: dict[int, bytes] = {}
    status: dict = {}
    async for msg in ws:
        assert msg.type == aiohttp.WSMsgType.BINARY
        if msg.data[0] == 3:
            status = json.loads(msg.data[1:])
        else:
            out[msg.data[0]] = out.get(msg.data[0], b"") + msg.data[1:]
    return out, status


async def test_streams_stdin_and_exit_code_v5(kubelet) -> None:
    session, url, _ = kubelet
    async with session.ws_connect(url, params=params("sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3", stdin=True),
                                  protocols=["v5.channel.k8s.io", "v4.channel.k8s.io"]) as ws:
        assert ws.protocol == "v5.channel.k8s.io"
        await ws.send_bytes(b"\x00hello\n")
        await ws.send_bytes(b"\xff\x00")  # v5: close stdin
        out, status = await collect(ws)
    assert out == {1: b"HELLO\n", 2: b"oops\n"}
    assert status == exec_status(["sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"], 3)
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


async def test_success_status_and_text_frames_v4(kubelet) -> None:
    session, url, _ = kubelet
    async with session.ws_connect(url, params=params("head", "-c", "3", stdin=True),
                                  protocols=["v4.channel.k8s.io"]) as ws:
        assert ws.protocol == "v4.channel.k8s.io"
        await ws.send_str("\x00abcdef")  # the Python client writes strings as text frames
        out, status = await collect(ws)
    assert out == {1: b"abc"} and status == {"metadata": {}, "status": "Success"}


async def test_terminal_size_before_and_after_start(kubelet) -> None:
    session, url, _ = kubelet
    async with session.ws_connect(url, params=params("sh", "-c", "stty size; read x; stty size; echo err >&2",
                                                     stdin=True, tty=True),
                                  protocols=["v5.channel.k8s.io"]) as ws:
        await ws.send_bytes(b"\x04" + json.dumps({"Width": 100, "Height": 40}).encode())
        first = b""
        while b"40 100" not in first:
            msg = await asyncio.wait_for(ws.receive(), 10)
            first += msg.data[1:]
        await ws.send_bytes(b"\x04" + json.dumps({"Width": 120, "Height": 50}).encode())
        await ws.send_bytes(b"\x00go\r")
        out, status = await collect(ws)
    text = (first + out.get(1, b"")).decode()
    assert "40 100" in text and text.rstrip().endswith("50 120\r\nerr"), text  # stderr is the terminal too
    assert 2 not in out and status["status"] == "Success"


async def test_client_leaving_ends_the_command(kubelet) -> None:
    session, url, host = kubelet
    async with session.ws_connect(url, params=params("sleep", "300"), protocols=["v5.channel.k8s.io"]):
        for _ in range(100):
            if os.path.exists(host.pid_files[-1]) and open(host.pid_files[-1]).read().strip():
                break
            await asyncio.sleep(0.05)
        pid = int(open(host.pid_files[-1]).read())
        os.kill(pid, 0)
    for _ in range(100):  # closed: the sleep is killed
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the command outlived its stream")


async def test_refusals(kubelet) -> None:
    session, url, _ = kubelet
    base = url.replace("wss://", "https://")
    async with session.get(base.replace("/c", "/w"), params=params("true")) as r:
        assert r.status == 404 and await r.text() == 'container not found ("w")'
    async with session.get(base.replace("/p/", "/q/"), params=params("true")) as r:
        assert r.status == 404 and await r.text() == 'pod "q" does not exist'
    async with session.get(base) as r:
        assert r.status == 400 and await r.text() == "you must specify at least 1 command"
