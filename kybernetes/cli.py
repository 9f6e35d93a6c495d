"""``kyb``: the command line, and the only place that wires components together.

``kyb server`` starts a single-node cluster: a supervisor that runs each component as a child process and restarts
it when it crashes (today the API server on the embedded SQLite store; the scheduler, controller manager and node
agent join as they arrive). ``kyb apiserver`` runs the API server alone. Flags follow upstream's names.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from kybernetes.machinery import process

__all__ = ["main"]

DEFAULT_DATA_DIR = "/var/lib/kybernetes"


def _add_apiserver_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=os.environ.get("KYB_DATA_DIR", DEFAULT_DATA_DIR),
                   help="state, credentials and kubeconfig live here (default %(default)s)")
    p.add_argument("--bind-address", default="127.0.0.1", help="address to serve HTTPS on (default %(default)s)")
    p.add_argument("--secure-port", type=int, default=6443, help="HTTPS port (default %(default)s; 0 = any)")
    p.add_argument("--advertise-address", default="", help="address other members use to reach this server")
    p.add_argument("--service-cluster-ip-range", default="10.43.0.0/16",
                   help="CIDR (or an IPv4,IPv6 pair) for Service ClusterIPs (default %(default)s)")
    p.add_argument("--event-ttl", type=int, default=3600, help="seconds Events are kept (default %(default)s)")
    p.add_argument("--etcd-servers", default="",
                   help="comma-separated etcd endpoints (host:port); default: the embedded SQLite store")
    p.add_argument("--service-account-issuer", default="https://kubernetes.default.svc.cluster.local",
                   help="the iss of service account tokens (default %(default)s)")
    p.add_argument("--api-audiences", default="",
                   help="comma-separated audiences the API server accepts tokens for (default: the issuer)")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")


def _service_cidrs(value: str) -> tuple[str, ...]:
    import ipaddress

    cidrs = tuple(c.strip() for c in value.split(",") if c.strip())
    if not 1 <= len(cidrs) <= 2:
        raise SystemExit("--service-cluster-ip-range: one CIDR, or an IPv4 and an IPv6 CIDR")
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    if len(nets) == 2 and nets[0].version == nets[1].version:
        raise SystemExit("--service-cluster-ip-range: a pair must be one IPv4 and one IPv6 CIDR")
    return cidrs


async def run_apiserver(args: argparse.Namespace, *, announce: bool) -> None:
    from kybernetes.apiserver.bootstrap import first_service_ips
    from kybernetes.apiserver.pki import ensure_pki, write_kubeconfig
    from kybernetes.apiserver.server import APIServer, ServerConfig
    from kybernetes.storage.interface import Store
    from kybernetes.storage.sqlite import SQLiteStore

    t0 = time.monotonic()
    data_dir = Path(args.data_dir).resolve()
    (data_dir / "db").mkdir(parents=True, exist_ok=True)
    cidrs = _service_cidrs(args.service_cluster_ip_range)
    pki = ensure_pki(data_dir, service_ips=tuple(first_service_ips(cidrs)), bind_address=args.bind_address)
    if args.etcd_servers:
        from kybernetes.storage.etcd import EtcdStore

        store: Store = EtcdStore([e.strip().removeprefix("http://") for e in args.etcd_servers.split(",") if e.strip()])
    else:
        store = SQLiteStore(str(data_dir / "db" / "state.db"))
    await store.start()
    config = ServerConfig(
        bind_address=args.bind_address, secure_port=args.secure_port, service_cidrs=cidrs,
        tls_cert=pki.serving_cert, tls_key=pki.serving_key, client_ca=pki.ca_cert, token_file=pki.token_file,
        advertise_address=args.advertise_address, event_ttl=args.event_ttl,
        compaction_interval=300.0 if args.etcd_servers else 0.0,
        kubelet_client_cert=pki.kubelet_client_cert, kubelet_client_key=pki.kubelet_client_key,
        local_socket=data_dir / "run" / "apiserver.sock",
        service_account_key=pki.sa_key, service_account_issuer=args.service_account_issuer,
        api_audiences=tuple(a.strip() for a in args.api_audiences.split(",") if a.strip()),
    )
    server = APIServer(store, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        host = args.bind_address if args.bind_address not in ("0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        url = f"https://{host}:{server.port}"
        kubeconfig = write_kubeconfig(data_dir / "kubeconfig" / "admin.yaml", server=url, pki=pki,
                                      local_socket=config.local_socket)
        print(f"kybernetes: API server ready at {url} in {time.monotonic() - t0:.2f}s", flush=True)
        if announce:
            print(f"kybernetes: admin kubeconfig: {kubeconfig}", flush=True)
            print(f"kybernetes: use it with:  export KUBECONFIG={kubeconfig}; kubectl get all -A", flush=True)
        await stop.wait()
    finally:
        await server.stop()
        await store.close()


def _component_argv(component: str, args: argparse.Namespace) -> tuple[str, ...]:
    flags = ["--data-dir", args.data_dir, "--bind-address", args.bind_address, "--secure-port",
             str(args.secure_port), "--service-cluster-ip-range", args.service_cluster_ip_range, "--event-ttl",
             str(args.event_ttl), "-v", str(args.verbosity)]
    if args.advertise_address:
        flags += ["--advertise-address", args.advertise_address]
    if args.etcd_servers:
        flags += ["--etcd-servers", args.etcd_servers]
    flags += ["--service-account-issuer", args.service_account_issuer]
    if args.api_audiences:
        flags += ["--api-audiences", args.api_audiences]
    return (sys.executable, "-m", "kybernetes", component, *flags)


def _kubelet_argv(args: argparse.Namespace, kubeconfig: str) -> tuple[str, ...]:
    """The local node's kubelet: state under ``<data-dir>/agent``, serving certificate signed by the cluster CA."""
    data = Path(args.data_dir).resolve()
    agent = data / "agent"
    return (sys.executable, "-m", "kybernetes", "kubelet", "--kubeconfig", kubeconfig,
            "--root-dir", str(agent / "kubelet"), "--runtime-root", str(agent / "runtime"),
            "--runtime-state", str(agent / "run"), "--pod-logs-dir", str(agent / "logs" / "pods"),
            "--pod-manifest-path", str(agent / "pod-manifests"), "--cluster-ca-key", str(data / "tls" / "ca.key"),
            *(["--node-ip", args.node_ip] if args.node_ip else []), "-v", str(args.verbosity))


async def run_server(args: argparse.Namespace) -> None:
    """``kyb server``: every component of a single-node cluster as a supervised child process: the API server,
    the controller manager, the scheduler and (unless ``--disable-agent``) the local node's kubelet."""
    from kybernetes.supervisor import Child, Supervisor

    kubeconfig = str(Path(args.data_dir).resolve() / "kubeconfig" / "admin.yaml")
    children = [
        Child("apiserver", _component_argv("apiserver", args)),
        Child("controller-manager", (sys.executable, "-m", "kybernetes", "controller-manager", "--kubeconfig",
                                     kubeconfig, "-v", str(args.verbosity))),
        # like the controller manager, waits (retrying) until the kubeconfig exists and the API server answers
        Child("scheduler", (sys.executable, "-m", "kybernetes", "scheduler", "--kubeconfig", kubeconfig,
                            "-v", str(args.verbosity))),
    ]
    if not args.disable_agent:
        children.append(Child("kubelet", _kubelet_argv(args, kubeconfig)))
    await Supervisor(children).run()


def _setup_logging(verbosity: int) -> None:
    logging.basicConfig(level=logging.DEBUG if verbosity >= 4 else logging.INFO if verbosity >= 1
                        else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _run(coro_fn, args: argparse.Namespace, **kw) -> int:
    try:
        process.run(coro_fn(args, **kw))
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kyb", description="Kybernetes: Kubernetes in Python")
    sub = parser.add_subparsers(dest="command", required=True)
    p_server = sub.add_parser("server", help="run a single-node cluster (control plane + local node)")
    _add_apiserver_flags(p_server)
    p_server.add_argument("--disable-agent", action="store_true", help="run the control plane without a node")
    p_server.add_argument("--node-ip", default="", help="the local node's address(es), IPv4 and/or IPv6 "
                          "(default: the default route's address)")
    p_api = sub.add_parser("apiserver", help="run the API server alone")
    _add_apiserver_flags(p_api)
    sub.add_parser("sim", help="simulated nodes for tests and benchmarks (see kyb sim --help)", add_help=False)
    sub.add_parser("controller-manager", help="run the controllers (see kyb controller-manager --help)",
                   add_help=False)
    sub.add_parser("scheduler", help="run the scheduler (see kyb scheduler --help)", add_help=False)
    sub.add_parser("kubelet", help="run the node agent (see kyb kubelet --help)", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sim"]:
        from kybernetes.sim import main as sim_main

        return sim_main(argv[1:])
    if argv[:1] == ["controller-manager"]:
        from kybernetes.controllers.app import main as cm_main

        return cm_main(argv[1:])
    if argv[:1] == ["kubelet"]:
        from kybernetes.kubelet.app import main as kubelet_main

        return kubelet_main(argv[1:])
    if argv[:1] == ["scheduler"]:
        from kybernetes.scheduler.app import main as scheduler_main

        return scheduler_main(argv[1:])
    args = parser.parse_args(argv)
    _setup_logging(args.verbosity)
    if args.command == "apiserver":
        return _run(run_apiserver, args, announce=True)
    if args.command == "server":
        return _run(run_server, args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
