"""``kyb kubelet``: the node agent's command line.

    kyb kubelet --kubeconfig FILE --root-dir DIR [--node-name N] [--pod-manifest-path DIR] [--node-ip IP[,IPv6]]
                [--pod-cidr CIDR[,CIDR]] [--cluster-dns IP[,IP]] [--cluster-domain D] [-v N] ...

The container runtime is the in-process :class:`kybernetes.cri.runtime.Runtime` (``--runtime-root``,
``--runtime-state``, ``--oci-runtime``), created by :func:`make_runtime`; its pod network uses ``--pod-cidr`` as the
node's subnets.  The HTTPS server (``--port``, default 10250) uses ``--tls-cert-file``/``--tls-private-key-file``
or a certificate made at start under ``<root-dir>/pki`` (signed by the cluster CA when ``--cluster-ca-key`` is
readable, see :mod:`~kybernetes.kubelet.certs`) and accepts client certificates signed by ``--client-ca-file``
(default: the CA of the kubeconfig).  SIGTERM/SIGINT stop the kubelet; its containers keep running and are adopted
by the next start.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

import yaml

from kybernetes.client.rest import RESTClient, user_agent
from kybernetes.kubelet.certs import ensure_serving_cert
from kybernetes.kubelet.kubelet import Kubelet, KubeletConfig
from kybernetes.kubelet.node import detect_node_ip
from kybernetes.kubelet.server import KubeletServer, server_ssl_context
from kybernetes.machinery import process

__all__ = ["main", "parser", "make_runtime", "config_from_args", "kubeconfig_ca"]

log = logging.getLogger(__name__)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _labels(value: str) -> dict[str, str]:
    out = {}
    for item in _csv(value):
        if "=" not in item:
            raise SystemExit(f"--node-labels: {item!r} is not key=value")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def _taints(value: str) -> list[dict[str, str]]:
    out = []
    for item in _csv(value):
        if ":" not in item:
            raise SystemExit(f"--register-with-taints: {item!r} is not key[=value]:Effect")
        kv, effect = item.rsplit(":", 1)
        k, _, v = kv.partition("=")
        t = {"key": k, "effect": effect}
        if v:
            t["value"] = v
        out.append(t)
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kyb kubelet", description="Run the node agent.")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig to reach the API server")
    p.add_argument("--root-dir", default="/var/lib/kubelet", help="kubelet state (default %(default)s)")
    p.add_argument("--node-name", default="", help="node name (default: the hostname)")
    p.add_argument("--hostname-override", default="", help="the Hostname address and label (default: node name)")
    p.add_argument("--pod-manifest-path", default="", help="directory of static pod manifests")
    p.add_argument("--file-check-frequency", type=float, default=20.0,
                   help="seconds between scans of --pod-manifest-path (default %(default)s)")
    p.add_argument("--node-ip", default="", help="node address(es), IPv4 and/or IPv6, comma separated "
                                                 "(default: the default route's address)")
    p.add_argument("--pod-cidr", default="", help="the node's pod CIDR(s), comma separated")
    p.add_argument("--cluster-dns", default="", help="cluster DNS server IP(s), comma separated")
    p.add_argument("--cluster-domain", default="cluster.local", help="cluster DNS domain (default %(default)s)")
    p.add_argument("--resolv-conf", default="/etc/resolv.conf", help="the node's resolver configuration")
    p.add_argument("--pod-logs-dir", default="/var/log/pods", help="container logs (default %(default)s)")
    p.add_argument("--max-pods", type=int, default=110, help="pod capacity (default %(default)s)")
    p.add_argument("--pod-max-pids", type=int, default=-1, help="pids.max of each pod cgroup (-1: unlimited)")
    p.add_argument("--cgroup-root", default="/", help="parent cgroup of kubepods (default %(default)s)")
    p.add_argument("--cgroup-mount", default="/sys/fs/cgroup",
                   help="where the cgroup v1 hierarchies are mounted (default %(default)s)")
    p.add_argument("--cgroups-per-qos", default="true", choices=("true", "false"),
                   help="make the kubepods QoS and pod cgroups (default %(default)s)")
    p.add_argument("--node-labels", default="", help="extra node labels k=v,...")
    p.add_argument("--register-with-taints", default="", help="node taints k=v:Effect,...")
    p.add_argument("--sync-frequency", type=float, default=60.0,
                   help="seconds between periodic syncs of each pod (default %(default)s)")
    p.add_argument("--address", default="0.0.0.0", help="address of the HTTPS server (default %(default)s)")
    p.add_argument("--port", type=int, default=10250, help="port of the HTTPS server (default %(default)s)")
    p.add_argument("--tls-cert-file", default="", help="serving certificate (default: made under <root-dir>/pki)")
    p.add_argument("--tls-private-key-file", default="", help="key of --tls-cert-file")
    p.add_argument("--client-ca-file", default="", help="CA of accepted client certificates "
                                                         "(default: the kubeconfig's CA)")
    p.add_argument("--cluster-ca-key", default="", help="the cluster CA key, to sign the serving certificate")
    p.add_argument("--runtime-root", default="", help="images and container layers (default <root-dir>/runtime)")
    p.add_argument("--runtime-state", default="", help="runtime records (default /run/kybernetes/runtime)")
    p.add_argument("--oci-runtime", default="crun", help="crun or runc (default %(default)s)")
    p.add_argument("--registries", default="", help="registries.yaml for image pulls")
    p.add_argument("--cni-bridge", default="kyb0", help="the pod network's bridge (default %(default)s)")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    return p


def config_from_args(args: argparse.Namespace) -> KubeletConfig:
    """The kubelet configuration the flags describe (node name and IP detected when not given)."""
    node_name = (args.node_name or socket.gethostname()).lower()
    ips = _csv(args.node_ip) or [detect_node_ip()]
    return KubeletConfig(
        node_name=node_name, root_dir=os.path.abspath(args.root_dir), pod_logs_dir=os.path.abspath(args.pod_logs_dir),
        node_ips=ips, hostname=(args.hostname_override or node_name).lower(), cluster_dns=_csv(args.cluster_dns),
        cluster_domain=args.cluster_domain, resolv_conf=args.resolv_conf,
        pod_manifest_path=os.path.abspath(args.pod_manifest_path) if args.pod_manifest_path else "",
        static_pod_interval=args.file_check_frequency, sync_frequency=args.sync_frequency,
        cgroup_root=args.cgroup_root, cgroup_mount=args.cgroup_mount, cgroups_per_qos=args.cgroups_per_qos == "true",
        pod_pids_limit=args.pod_max_pids, max_pods=args.max_pods, node_labels=_labels(args.node_labels),
        taints=_taints(args.register_with_taints), pod_cidrs=_csv(args.pod_cidr), port=args.port)


def make_runtime(args: argparse.Namespace) -> Any:
    """The in-process CRI runtime for these flags (not started: ``await runtime.start()``)."""
    from kybernetes.cri.cni import NetworkConfig
    from kybernetes.cri.runtime import Runtime

    net = NetworkConfig(bridge=args.cni_bridge)
    if _csv(args.pod_cidr):
        net.subnets = _csv(args.pod_cidr)
        # the guard keeping cluster traffic on the machine must cover the node's pod subnets too
        net.cluster_cidrs = list(dict.fromkeys([*net.cluster_cidrs, *net.subnets]))
    return Runtime(args.runtime_root or os.path.join(args.root_dir, "runtime"),
                   args.runtime_state or "/run/kybernetes/runtime", os.path.abspath(args.pod_logs_dir),
                   cni_conf=net, oci_runtime=args.oci_runtime, registries=args.registries or None)


def kubeconfig_ca(path: str) -> bytes | None:
    """The CA certificate (PEM) of the kubeconfig's current cluster, or None."""
    cfg = yaml.safe_load(Path(path).read_text()) or {}
    ctx_name = cfg.get("current-context") or ""
    ctx = next((c.get("context") or {} for c in cfg.get("contexts") or () if c.get("name") == ctx_name), {})
    cluster = next((c.get("cluster") or {} for c in cfg.get("clusters") or ()
                    if c.get("name") == ctx.get("cluster")), {})
    if cluster.get("certificate-authority-data"):
        return base64.b64decode(cluster["certificate-authority-data"])
    if cluster.get("certificate-authority"):
        return (Path(path).parent / cluster["certificate-authority"]).read_bytes()
    return None


async def serve(kubelet: Kubelet, args: argparse.Namespace, config: KubeletConfig) -> KubeletServer:
    """Start the HTTPS server of ``kubelet`` as the flags say."""
    ca = kubeconfig_ca(args.kubeconfig)
    if args.tls_cert_file and args.tls_private_key_file:
        cert, key = args.tls_cert_file, args.tls_private_key_file
    else:
        cert, key, signed = ensure_serving_cert(os.path.join(config.root_dir, "pki"), node_name=config.node_name,
                                                ips=config.node_ips, ca_cert_pem=ca,
                                                ca_key_path=args.cluster_ca_key or None)
        if not signed:
            log.warning("serving certificate is self-signed: the API server cannot verify this kubelet")
    client_ca = Path(args.client_ca_file).read_bytes() if args.client_ca_file else ca
    server = KubeletServer(kubelet, address=args.address, port=config.port,
                           ssl_context=server_ssl_context(cert, key, client_ca), require_client_cert=True)
    await server.start()
    return server


async def run(args: argparse.Namespace) -> None:
    while not os.path.exists(args.kubeconfig):  # under `kyb server` the API server writes it on its first start
        await asyncio.sleep(0.2)
    config = config_from_args(args)
    Path(config.root_dir).mkdir(parents=True, exist_ok=True)
    client = RESTClient.from_kubeconfig(args.kubeconfig, user_agent=user_agent("kubelet"))
    runtime = make_runtime(args)
    await runtime.start()
    kubelet = Kubelet(client, runtime, runtime, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = None
    try:
        await kubelet.start()
        server = await serve(kubelet, args, config)
        log.info("kubelet %s serving on %s:%d", config.node_name, args.address, server.port)
        await stop.wait()
    finally:
        if server is not None:
            await server.stop()
        await kubelet.stop()
        await runtime.close()
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """Run the kubelet until SIGTERM/SIGINT; returns the exit code (2 for bad flags, via argparse)."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbosity >= 4 else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    process.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
