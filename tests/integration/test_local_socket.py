"""The API server's local Unix socket: plain HTTP for Kybernetes' own components on the same machine.

`kyb apiserver` also listens on ``<data-dir>/run/apiserver.sock`` (directory 0700) and writes the socket's path
and the admin's bearer token into the admin kubeconfig as ``kybernetes.io/local-socket`` extensions. Our client
uses the socket when the kubeconfig's server is a loopback address and the socket exists; kubectl and the
official client ignore the extensions and use TLS (every kubectl test runs with this kubeconfig).
"""

from __future__ import annotations

import asyncio
import signal
import stat
from pathlib import Path

import aiohttp
import yaml

from kybernetes.client.rest import RESTClient
from kybernetes.controllers.metadata import metadata_client
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.kubeconfig import LOCAL_SOCKET_EXTENSION, extension
from tests.conftest import Cluster, start_cluster


def _socket(cluster: Cluster) -> Path:
    return cluster.data_dir / "run" / "apiserver.sock"


async def _raw_get(sock: Path, path: str, token: str = "") -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(sock))) as s:
        async with s.get(f"http://localhost{path}", headers=headers) as r:
            return r.status


def test_components_reach_the_server_over_the_socket(cluster: Cluster, tmp_path: Path) -> None:
    sock = _socket(cluster)
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700  # only root reaches it
    cfg = yaml.safe_load(cluster.kubeconfig.read_text())
    cl_entry, user_entry = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
    assert extension(cl_entry, LOCAL_SOCKET_EXTENSION) == {"path": str(sock)}
    token = extension(user_entry, LOCAL_SOCKET_EXTENSION)["token"]
    assert "token" not in user_entry  # kubectl keeps authenticating with the client certificate over TLS

    async def go() -> None:
        client = RESTClient.from_kubeconfig(cluster.kubeconfig)
        tls = RESTClient.from_kubeconfig(cluster.kubeconfig, local_socket=False)
        try:
            assert client.unix_socket == str(sock) and tls.unix_socket == ""
            ns = await client.get("/api/v1/namespaces/default")
            assert ns["metadata"]["name"] == "default"
            # one store behind both listeners: a write over the socket is read back over TLS, and watched
            name = f"sock-{tmp_path.name[-8:].lower().replace('_', '-')}"
            created = await client.create("/api/v1/namespaces/default/configmaps",
                                          {"metadata": {"name": name}, "data": {"a": "1"}})
            got = await tls.get(f"/api/v1/namespaces/default/configmaps/{name}")
            assert got["metadata"]["uid"] == created["metadata"]["uid"]
            events = [ev async for ev in client.watch("/api/v1/namespaces/default/configmaps",
                                                     {"resourceVersion": "0", "timeoutSeconds": 1})]
            assert any(ev["object"]["metadata"]["name"] == name for ev in events)
            await client.delete(f"/api/v1/namespaces/default/configmaps/{name}")
            # the socket still authenticates: no token or a wrong one is 401, as over TLS
            assert await _raw_get(sock, "/api/v1/namespaces") == 401
            assert await _raw_get(sock, "/api/v1/namespaces", "not-" + token) == 401
            assert await _raw_get(sock, "/api/v1/namespaces", token) == 200
            assert await _raw_get(sock, "/readyz") == 200
            # a metadata client made from it keeps the socket
            meta = metadata_client(client)
            try:
                assert meta.unix_socket == str(sock)
                lst = await meta.list("/api/v1/namespaces")
                assert lst["kind"] == "PartialObjectMetadataList"
            finally:
                await meta.close()
        finally:
            await client.close()
            await tls.close()

    asyncio.run(go())


def test_socket_is_used_only_for_this_machines_server(cluster: Cluster, tmp_path: Path) -> None:
    """A kubeconfig naming a remote server, or a socket that is not there, is served over TLS."""
    cfg = yaml.safe_load(cluster.kubeconfig.read_text())
    remote = tmp_path / "remote.yaml"
    cfg["clusters"][0]["cluster"]["server"] = "https://192.0.2.10:6443"
    remote.write_text(yaml.safe_dump(cfg))
    assert RESTClient.from_kubeconfig(remote).unix_socket == ""
    cfg = yaml.safe_load(cluster.kubeconfig.read_text())
    cfg["clusters"][0]["cluster"]["extensions"][0]["extension"]["path"] = str(tmp_path / "missing.sock")
    missing = tmp_path / "missing.yaml"
    missing.write_text(yaml.safe_dump(cfg))
    client = RESTClient.from_kubeconfig(missing)
    assert client.unix_socket == "" and client.server == cluster.url

    async def go() -> None:
        try:
            assert (await client.get("/api/v1/namespaces/default"))["metadata"]["name"] == "default"
        finally:
            await client.close()

    asyncio.run(go())


def test_socket_survives_a_crash_and_leaves_with_a_clean_stop(tmp_path: Path) -> None:
    c = start_cluster(tmp_path / "data")
    sock = _socket(c)
    try:
        c.stop(signal.SIGKILL)  # the socket file stays behind
        assert sock.exists()
        c = start_cluster(tmp_path / "data", port=c.port)

        async def go() -> None:
            client = RESTClient.from_kubeconfig(c.kubeconfig)
            try:
                assert client.unix_socket == str(sock)
                assert (await client.get("/api/v1/namespaces/default"))["metadata"]["name"] == "default"
            finally:
                await client.close()

        asyncio.run(go())
        c.stop(signal.SIGTERM)
        assert not sock.exists()

        async def refused() -> None:
            client = RESTClient.from_kubeconfig(c.kubeconfig)
            try:
                assert client.unix_socket == ""  # no socket: TLS, and nobody listens there either
                try:
                    await client.get("/api/v1/namespaces/default")
                except (aiohttp.ClientError, OSError, StatusError):
                    return
                raise AssertionError("a stopped server answered")
            finally:
                await client.close()

        asyncio.run(refused())
    finally:
        c.stop(signal.SIGKILL)
