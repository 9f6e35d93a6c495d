"""``kyb controller-manager``: the controller manager as a process (flags follow kube-controller-manager's)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from kybernetes.client.rest import RESTClient, user_agent
from kybernetes.controllers.manager import ControllerManager
from kybernetes.machinery import process

__all__ = ["main"]

log = logging.getLogger(__name__)


def _bool(v: str) -> bool:
    if v.lower() in ("true", "1", "yes"):
        return True
    if v.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {v!r}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kyb controller-manager", description="run the controllers")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig with the API server's address and credentials")
    p.add_argument("--controllers", default="*", help="controllers to run: '*' for all, 'name' to enable, "
                   "'-name' to disable (default %(default)s)")
    p.add_argument("--leader-elect", type=_bool, default=True, nargs="?", const=True,
                   help="campaign for the kube-system/kube-controller-manager Lease (default true)")
    p.add_argument("--node-monitor-grace-period", type=float, default=40.0,
                   help="seconds without a heartbeat before a node is marked Unknown (default %(default)s)")
    p.add_argument("--terminated-pod-gc-threshold", type=int, default=12500,
                   help="terminated pods kept before pod GC deletes the oldest (default %(default)s)")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    return p


async def _wait_for_api(client: RESTClient) -> None:
    delay = 0.1
    while True:
        try:
            await client.get("/version")  # JSON; /readyz answers plain "ok", which the client cannot decode
            return
        except Exception as exc:  # noqa: BLE001 - the API server may still be starting
            log.info("waiting for the API server: %s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def _wait_for_file(path: str) -> None:
    """Under ``kyb server`` the API server writes the kubeconfig on its first start: wait for it."""
    import os

    while not os.path.exists(path):
        await asyncio.sleep(0.2)


async def run(args: argparse.Namespace) -> None:
    await _wait_for_file(args.kubeconfig)
    client = RESTClient.from_kubeconfig(args.kubeconfig, user_agent=user_agent("kube-controller-manager"))
    options = {"node_monitor_grace_period": args.node_monitor_grace_period,
               "terminated_pod_gc_threshold": args.terminated_pod_gc_threshold}
    manager = ControllerManager(client, controllers=args.controllers, options=options,
                                leader_elect=args.leader_elect)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, task.cancel)
    try:
        await _wait_for_api(client)
        await manager.run()
        log.error("lost the controller manager lease; exiting")
    except asyncio.CancelledError:
        pass
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.verbosity >= 4 else logging.INFO if args.verbosity >= 1
                        else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        process.run(run(args))
    return 0
