"""``kyb scheduler``: the kube-scheduler process.

    kyb scheduler --kubeconfig FILE [--config FILE] [--leader-elect=true|false] [-v N]

Reads the KubeSchedulerConfiguration (``--config``; defaults otherwise), waits until the API server answers (it
may start after the scheduler, e.g. under ``kyb server``), then -- with leader election on, as by default --
campaigns for the Lease ``kube-system/kube-scheduler`` and schedules only while it leads.  Losing the lease ends the
process (exit code 1) so that a supervisor restarts it as a fresh candidate, as upstream does.  SIGTERM/SIGINT stop
it cleanly (releasing the lease).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import uuid
from pathlib import Path

import aiohttp

from kybernetes.client.leaderelection import LeaderElector
from kybernetes.client.rest import RESTClient, user_agent
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery import process

__all__ = ["main", "build_parser", "wait_for_api"]

log = logging.getLogger("kybernetes.scheduler")


def _bool_flag(value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "t", "yes"):
        return True
    if v in ("false", "0", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {value!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kyb scheduler", description="Kybernetes kube-scheduler")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server to schedule for")
    p.add_argument("--config", default="", help="KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1)")
    p.add_argument("--leader-elect", type=_bool_flag, nargs="?", const=True, default=None,
                   help="campaign for the kube-system/kube-scheduler Lease before scheduling (default true)")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    return p


async def wait_for_api(kubeconfig: str, *, max_delay: float = 5.0) -> RESTClient:
    """Retry until ``kubeconfig`` exists and the API server answers /version; returns a connected client."""
    delay = 0.2
    announced = False
    while True:
        client: RESTClient | None = None
        try:
            client = RESTClient.from_kubeconfig(kubeconfig, user_agent=user_agent("kube-scheduler"))
            await client.get("/version")
            return client
        except (OSError, ValueError, StatusError, aiohttp.ClientError, asyncio.TimeoutError) as e:
            if client is not None:
                await client.close()
            if not announced:
                log.warning("waiting for the API server (%s): %s", kubeconfig, e)
                announced = True
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


async def _run(args: argparse.Namespace) -> int:
    from kybernetes.scheduler.config import ConfigError, default_config, load_config
    from kybernetes.scheduler.profile import FrameworkError
    from kybernetes.scheduler.scheduler import Scheduler

    try:
        config = load_config(args.config) if args.config else default_config()
    except ConfigError as e:
        print(f"kyb scheduler: invalid configuration: {e}", file=sys.stderr)
        return 2
    if args.leader_elect is not None:
        config.leader_election.leader_elect = args.leader_elect
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(wait_for_api(args.kubeconfig))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if not waiter.done():
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        return 0
    stopper.cancel()
    client = waiter.result()
    try:
        try:
            scheduler = Scheduler(client, config)
        except FrameworkError as e:
            print(f"kyb scheduler: initializing profiles: {e}", file=sys.stderr)
            return 2
        le = config.leader_election
        if le.leader_elect:
            identity = f"{socket.gethostname()}_{uuid.uuid4()}"
            elector = LeaderElector(client, name=le.resource_name, namespace=le.resource_namespace,
                                    identity=identity, lease_duration=le.lease_duration,
                                    renew_deadline=le.renew_deadline, retry_period=le.retry_period)
            work = asyncio.create_task(elector.run(scheduler.run, lambda: None))
        else:
            work = asyncio.create_task(scheduler.run())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            exc = work.exception()
            if exc is not None:
                log.error("scheduler failed: %r", exc)
            else:
                log.error("leader election lost")
            stopper.cancel()
            return 1
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        return 0
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``kyb scheduler``; returns the exit code."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    level = logging.DEBUG if args.verbosity >= 4 else logging.INFO if args.verbosity >= 1 else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.config and not Path(args.config).exists():
        print(f"kyb scheduler: config file {args.config} does not exist", file=sys.stderr)
        return 2
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # Informer caches hold many small long-lived dicts: frequent full collections only cost pauses.
    try:
        return process.run(_run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
