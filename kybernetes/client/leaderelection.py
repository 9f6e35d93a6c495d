"""Leader election over a ``coordination.k8s.io/v1`` Lease (client-go's tools/leaderelection).

Candidates race to write their identity into the Lease's ``holderIdentity``.  Writes carry the resourceVersion
that was read, so the API server's optimistic concurrency lets exactly one of several concurrent writers win.
A holder renews ``renewTime`` every ``retry_period``; if it cannot renew within ``renew_deadline`` it gives up
leadership.  Others take the Lease over once they have seen the same record unchanged for
``lease_duration`` seconds of *their own* clock (no clock sync between nodes is assumed).  On shutdown a leader
clears ``holderIdentity`` (client-go's ReleaseOnCancel) so a successor need not wait for expiry.
``acquireTime``/``renewTime`` are MicroTime (RFC 3339, 6 fractional digits); ``leaseTransitions`` counts changes
of holder.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import aiohttp

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError

__all__ = ["LeaderElector", "micro_time"]

log = logging.getLogger(__name__)

JITTER = 1.2


def micro_time(ts: float | None = None) -> str:
    """``2024-01-02T03:04:05.123456Z`` for ``ts`` (default now)."""
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """One candidate.  ``run`` blocks: it acquires, calls ``on_started_leading`` (as a task), renews, and on loss
    or cancellation cancels that task and calls ``on_stopped_leading``."""

    def __init__(self, client: RESTClient, *, name: str, namespace: str, identity: str,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0, retry_period: float = 2.0,
                 release_on_cancel: bool = True) -> None:
        if lease_duration <= renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if renew_deadline <= JITTER * retry_period:
            raise ValueError("renew_deadline must be greater than retry_period*1.2")
        self.client = client
        self.name, self.namespace, self.identity = name, namespace, identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.release_on_cancel = release_on_cancel
        self.path = resource_path("coordination.k8s.io", "v1", "leases", namespace, name)
        self._observed: dict[str, Any] | None = None  # last lease spec seen
        self._observed_at = 0.0  # monotonic time it was first seen unchanged
        self._lease: dict[str, Any] | None = None  # last lease object (for resourceVersion)
        self.is_leader = False

    @property
    def leader(self) -> str:
        """The holder last observed ("" if none)."""
        return (self._observed or {}).get("holderIdentity") or ""

    async def run(self, on_started_leading: Callable[[], Any], on_stopped_leading: Callable[[], Any]) -> None:
        """Campaign until leading, lead until the lease is lost; returns after losing it.  Cancelling ``run``
        releases the lease (if ``release_on_cancel``) and re-raises CancelledError."""
        work: asyncio.Task | None = None
        try:
            await self._acquire()
            self.is_leader = True
            result = on_started_leading()
            if inspect.isawaitable(result):
                work = asyncio.ensure_future(result)
            await self._renew_loop()
        finally:
            was_leader = self.is_leader
            self.is_leader = False
            if work is not None and not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            if was_leader:
                if self.release_on_cancel:
                    await asyncio.shield(self._release())
                r = on_stopped_leading()
                if inspect.isawaitable(r):
                    await r

    async def _acquire(self) -> None:
        while True:
            if await self.try_acquire_or_renew():
                log.info("%s: became leader of %s/%s", self.identity, self.namespace, self.name)
                return
            await asyncio.sleep(self.retry_period * random.uniform(1.0, JITTER))

    async def _renew_loop(self) -> None:
        last_ok = time.monotonic()
        while True:
            await asyncio.sleep(self.retry_period)
            if await self.try_acquire_or_renew():
                last_ok = time.monotonic()
            elif time.monotonic() - last_ok >= self.renew_deadline:
                log.info("%s: failed to renew lease %s/%s", self.identity, self.namespace, self.name)
                return

    def _record(self, now_wall: float, old: dict[str, Any] | None) -> dict[str, Any]:
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "acquireTime": micro_time(now_wall),
            "renewTime": micro_time(now_wall),
            "leaseTransitions": 0,
        }
        if old is not None:
            transitions = int(old.get("leaseTransitions") or 0)
            if old.get("holderIdentity") == self.identity:
                spec["acquireTime"] = old.get("acquireTime") or spec["acquireTime"]
                spec["leaseTransitions"] = transitions
            else:
                spec["leaseTransitions"] = transitions + 1
        return spec

    async def try_acquire_or_renew(self) -> bool:
        """One attempt: create the lease, renew it, or take it over if expired.  False when another holder has
        a live lease, on a write conflict, or on connection trouble."""
        now = time.monotonic()
        try:
            try:
                lease = await self.client.get(self.path)
            except StatusError as e:
                if e.code != 404:
                    raise
                body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": self.name, "namespace": self.namespace},
                        "spec": self._record(time.time(), None)}
                self._lease = await self.client.create(resource_path("coordination.k8s.io", "v1", "leases",
                                                                     self.namespace), body)
                self._observe(self._lease, now)
                return True
            spec = lease.get("spec") or {}
            self._observe(lease, now)
            holder = spec.get("holderIdentity") or ""
            duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
            if holder and holder != self.identity and self._observed_at + duration > now:
                return False
            lease["spec"] = {**spec, **self._record(time.time(), spec)}
            self._lease = await self.client.update(self.path, lease)
            self._observe(self._lease, now)
            return True
        except StatusError as e:
            if e.code != 409:
                log.info("%s: lease %s/%s: %s", self.identity, self.namespace, self.name, e)
            return False
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            log.info("%s: lease %s/%s: %r", self.identity, self.namespace, self.name, e)
            return False

    def _observe(self, lease: dict[str, Any], now: float) -> None:
        spec = lease.get("spec") or {}
        if spec != self._observed:
            self._observed = dict(spec)
            self._observed_at = now
        self._lease = lease

    async def _release(self) -> None:
        """Clear the holder if we still hold the lease (best effort)."""
        lease = self._lease
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
            return
        now = micro_time()
        lease = {**lease, "spec": {**lease["spec"], "holderIdentity": "", "leaseDurationSeconds": 1,
                                   "acquireTime": now, "renewTime": now}}
        try:
            self._lease = await self.client.update(self.path, lease)
        except (StatusError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            log.info("%s: release of %s/%s failed: %r", self.identity, self.namespace, self.name, e)
