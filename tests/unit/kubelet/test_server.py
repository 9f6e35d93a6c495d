"""The kubelet's HTTPS server: serving certificate from the cluster CA, client-certificate authentication,
/containerLogs with PodLogOptions, and upstream's error texts."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509

from kybernetes.apiserver.pki import ensure_pki
from kybernetes.kubelet.certs import ensure_serving_cert
from kybernetes.kubelet.server import (
    KubeletServer, LogOptionsError, container_log_id, parse_log_options, server_ssl_context,
)


def test_serving_cert_signed_by_the_cluster_ca_and_reused(tmp_path):
    pki = ensure_pki(tmp_path / "data")
    ca = pki.ca_cert.read_bytes()
    cert, key, signed = ensure_serving_cert(tmp_path / "pki", node_name="n1", ips=["192.168.1.10"],
                                            ca_cert_pem=ca, ca_key_path=str(pki.ca_key))
    assert signed
    c = x509.load_pem_x509_certificate(Path(cert).read_bytes())
    assert c.issuer == x509.load_pem_x509_certificate(ca).subject
    assert "CN=system:node:n1" in c.subject.rfc4514_string()
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(i) for i in san.get_values_for_type(x509.IPAddress)} >= {"192.168.1.10", "127.0.0.1", "::1"}
    before = Path(cert).read_bytes()
    assert ensure_serving_cert(tmp_path / "pki", node_name="n1", ips=["192.168.1.10"], ca_cert_pem=ca,
                               ca_key_path=str(pki.ca_key))[2]
    assert Path(cert).read_bytes() == before  # kept
    ensure_serving_cert(tmp_path / "pki", node_name="n1", ips=["192.168.1.11"], ca_cert_pem=ca,
                        ca_key_path=str(pki.ca_key))
    assert Path(cert).read_bytes() != before  # a new address: re-issued
    _, _, signed = ensure_serving_cert(tmp_path / "pki2", node_name="n1", ips=[], ca_cert_pem=ca,
                                       ca_key_path=str(tmp_path / "unreadable.key"))
    assert not signed


def test_log_options():
    assert parse_log_options({"follow": "true", "tailLines": "5", "timestamps": "1"})["tailLines"] == 5
    assert parse_log_options({"tail": "all", "tailLines": "3"})["tailLines"] is None
    assert parse_log_options({"sinceTime": "2024-01-01T00:00:00Z"})["sinceTime"] == 1704067200 * 10**9
    with pytest.raises(LogOptionsError) as e:
        parse_log_options({"tailLines": "-1"})
    assert e.value.code == 422 and "must be greater than or equal to 0" in str(e.value)
    with pytest.raises(LogOptionsError) as e:
        parse_log_options({"sinceSeconds": "5", "sinceTime": "2024-01-01T00:00:00Z"})
    assert "at most one of" in str(e.value)
    with pytest.raises(LogOptionsError) as e:
        parse_log_options({"limitBytes": "x"})
    assert e.value.code == 400


@pytest.mark.parametrize("status,previous,expect", [
    ({"state": {"running": {}}, "containerID": "kyb://a"}, False, "a"),
    ({"state": {"running": {}}, "containerID": "kyb://b", "lastState": {"terminated": {"containerID": "kyb://a"}}},
     True, "a"),
    ({"state": {"running": {}}, "containerID": "kyb://b", "lastState": {}}, True,
     'previous terminated container "c" in pod "p" not found'),
    ({"state": {"waiting": {"reason": "ContainerCreating"}}}, False,
     'container "c" in pod "p" is waiting to start: ContainerCreating'),
    ({"state": {"waiting": {"reason": "ErrImagePull"}}}, False,
     'container "c" in pod "p" is waiting to start: image can\'t be pulled'),
    ({"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"containerID": "kyb://z"}}},
     False, "z"),
    ({"state": {"terminated": {"containerID": "kyb://t"}}}, False, "t"),
])
def test_which_container_instance(status, previous, expect):
    st = {"containerStatuses": [{"name": "c", **status}]}
    try:
        assert container_log_id(st, "c", "p", previous) == expect
    except LogOptionsError as e:
        assert str(e) == expect and e.code == 400


class Host:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u"},
                    "spec": {"containers": [{"name": "c"}, {"name": "w"}]}}
        self.status = {"containerStatuses": [{"name": "c", "state": {"running": {}}, "containerID": "kyb://cid"},
                                             {"name": "w", "state": {"waiting": {"reason": "ContainerCreating"}}}]}

    def pod_by_name(self, ns, name):
        return self.pod if (ns, name) == ("ns", "p") else None

    def pod_status(self, pod):
        return self.status

    def running_pods(self):
        return [self.pod]

    async def log_file(self, pod, cid):
        assert cid == "cid"
        return str(self.log)

    async def container_running(self, cid):
        return False


async def test_server_authenticates_and_serves_logs(tmp_path):
    pki = ensure_pki(tmp_path / "data")
    ca = pki.ca_cert.read_bytes()
    cert, key, _ = ensure_serving_cert(tmp_path / "pki", node_name="n1", ips=[], ca_cert_pem=ca,
                                       ca_key_path=str(pki.ca_key))
    log = tmp_path / "0.log"
    log.write_bytes(b"2024-05-01T10:00:00Z stdout F hello\n2024-05-01T10:00:01Z stderr F world\n")
    server = KubeletServer(Host(log), address="127.0.0.1", port=0, ssl_context=server_ssl_context(cert, key, ca))
    await server.start()
    base = f"https://127.0.0.1:{server.port}"
    trusted = ssl.create_default_context(cafile=str(pki.ca_cert))
    anonymous = aiohttp.TCPConnector(ssl=trusted)
    client_ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    client_ctx.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))  # any client cert of the cluster CA
    try:
        async with aiohttp.ClientSession(connector=anonymous) as s:
            async with s.get(f"{base}/healthz") as r:  # the certificate verifies against the cluster CA
                assert r.status == 200 and await r.text() == "ok"
            async with s.get(f"{base}/containerLogs/ns/p/c") as r:
                assert r.status == 401
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ctx)) as s:
            async with s.get(f"{base}/containerLogs/ns/p/c") as r:
                assert r.status == 200 and await r.text() == "hello\nworld\n"
            async with s.get(f"{base}/containerLogs/ns/p/c", params={"tailLines": "1", "timestamps": "true"}) as r:
                assert await r.text() == "2024-05-01T10:00:01Z world\n"
            async with s.get(f"{base}/containerLogs/ns/p/c", params={"follow": "true"}) as r:
                assert await r.text() == "hello\nworld\n"  # the container is not running: ends at EOF
            async with s.get(f"{base}/containerLogs/ns/p/w") as r:
                assert r.status == 400
                assert await r.text() == 'container "w" in pod "p" is waiting to start: ContainerCreating'
            async with s.get(f"{base}/containerLogs/ns/p/zzz") as r:
                assert r.status == 404 and await r.text() == 'container "zzz" not found in pod "p"'
            async with s.get(f"{base}/containerLogs/ns/nope/c") as r:
                assert r.status == 404 and await r.text() == 'pod "nope" does not exist'
            async with s.get(f"{base}/containerLogs/ns/p/c", params={"tailLines": "-2"}) as r:
                assert r.status == 422
            async with s.get(f"{base}/pods") as r:
                body = await r.json()
                assert body["kind"] == "PodList" and body["items"][0]["metadata"]["name"] == "p"
    finally:
        await server.stop()
