"""``kyb kubelet`` flags: the configuration they describe, the kubeconfig's CA, and the HTTPS server they start."""

from __future__ import annotations

import ssl

import aiohttp
import pytest

from kybernetes.apiserver.pki import ensure_pki, write_kubeconfig
from kybernetes.kubelet.app import config_from_args, kubeconfig_ca, parser, serve

from .test_server import Host


def test_flags_make_the_config(tmp_path):
    args = parser().parse_args([
        "--kubeconfig", "k.yaml", "--root-dir", str(tmp_path / "root"), "--node-name", "Node-A",
        "--pod-manifest-path", str(tmp_path / "manifests"), "--node-ip", "192.0.2.1,2001:db8::1",
        "--pod-cidr", "10.42.1.0/24,fd42::/64", "--cluster-dns", "10.43.0.10", "--node-labels", "zone=a,gpu=no",
        "--register-with-taints", "dedicated=infra:NoSchedule", "--cgroup-root", "/kyb", "-v", "4"])
    c = config_from_args(args)
    assert c.node_name == "node-a" and c.hostname == "node-a"
    assert c.node_ips == ["192.0.2.1", "2001:db8::1"] and c.pod_cidrs == ["10.42.1.0/24", "fd42::/64"]
    assert c.cluster_dns == ["10.43.0.10"] and c.node_labels == {"zone": "a", "gpu": "no"}
    assert c.taints == [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]
    assert c.pod_manifest_path == str(tmp_path / "manifests") and c.cgroup_root == "/kyb"
    assert c.cgroup_mount == "/sys/fs/cgroup" and c.max_pods == 110 and c.port == 10250
    with pytest.raises(SystemExit):
        parser().parse_args([])  # --kubeconfig is required


async def test_serve_with_a_cluster_ca_signed_certificate(tmp_path):
    pki = ensure_pki(tmp_path / "data")
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig.yaml", server="https://127.0.0.1:6443", pki=pki)
    assert kubeconfig_ca(str(kubeconfig)) == pki.ca_cert.read_bytes()
    log = tmp_path / "0.log"
    log.write_bytes(b"2024-05-01T10:00:00Z stdout F hi\n")
    args = parser().parse_args(["--kubeconfig", str(kubeconfig), "--root-dir", str(tmp_path / "root"),
                                "--node-name", "n1", "--node-ip", "127.0.0.1", "--address", "127.0.0.1",
                                "--port", "0", "--cluster-ca-key", str(pki.ca_key)])
    config = config_from_args(args)
    server = await serve(Host(log), args, config)
    try:
        ctx = ssl.create_default_context(cafile=str(pki.ca_cert))  # verified with the cluster CA
        ctx.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
            async with s.get(f"https://127.0.0.1:{server.port}/containerLogs/ns/p/c") as r:
                assert r.status == 200 and await r.text() == "hi\n"
    finally:
        await server.stop()
    assert (tmp_path / "root" / "pki" / "kubelet.crt").exists()
