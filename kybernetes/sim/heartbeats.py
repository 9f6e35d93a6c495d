"""Periodic per-node calls (Lease renewals, status heartbeats) that keep pace the way independent kubelets do.

Each node has its own schedule, set when it registers: its first call comes one interval after that, and each
next one an interval after the previous call returned (the kubelet's lease controller loops the same way, with
``wait.JitterUntil`` sliding), so a slow answer delays only its own node. Up to ``parallelism`` calls are in flight
at once; a node whose heartbeat is stopped skips its turns. Many thousands of nodes share one task and one heap of
due times.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable, Collection

import aiohttp

from kybernetes.machinery.errors import StatusError

__all__ = ["Heartbeats"]

log = logging.getLogger(__name__)


class Heartbeats:
    """``fn(node)`` for every added node once per ``interval`` seconds.  ``await run()`` serves them until
    cancelled; cancelling it cancels the calls in flight."""

    def __init__(self, what: str, interval: float, fn: Callable[[str], Awaitable[None]], *, parallelism: int,
                 stopped: Collection[str] = ()) -> None:
        self.what = what
        self.interval = interval
        self.fn = fn
        self.parallelism = parallelism
        self.stopped = stopped
        self._due: list[tuple[float, int, str]] = []  # (due time, tie-breaker, node)
        self._seq = 0
        self._nodes: set[str] = set()
        self._wake: asyncio.Future[None] | None = None  # the runner's wait for the earliest due time

    def add(self, node: str, first_in: float | None = None) -> None:
        """Schedule ``node``: its first call ``first_in`` seconds from now (default one interval). A node added
        twice keeps its first schedule."""
        if node in self._nodes:
            return
        self._nodes.add(node)
        self._push(asyncio.get_running_loop().time() + (self.interval if first_in is None else first_in), node)

    def _push(self, due: float, node: str) -> None:
        """Queue ``node`` at ``due``; wake the runner when that is now the earliest due time."""
        earliest = self._due[0][0] if self._due else None
        self._seq += 1
        heapq.heappush(self._due, (due, self._seq, node))
        if self._wake is not None and (earliest is None or due < earliest):
            _settle(self._wake)

    async def _call(self, node: str, slots: asyncio.Semaphore) -> None:
        try:
            await self.fn(node)
        except (StatusError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            log.warning("sim: %s of %s failed: %s", self.what, node, e)
        finally:
            slots.release()
            self._push(asyncio.get_running_loop().time() + self.interval, node)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.parallelism)
        running: set[asyncio.Task] = set()
        try:
            while True:
                if not self._due or self._due[0][0] > loop.time():
                    # sleep until the earliest due time, or until an earlier one is queued
                    self._wake = loop.create_future()
                    timer = loop.call_at(self._due[0][0], _settle, self._wake) if self._due else None
                    try:
                        await self._wake
                    finally:
                        self._wake = None
                        if timer is not None:
                            timer.cancel()
                    continue
                due, _, node = heapq.heappop(self._due)
                if node in self.stopped:
                    self._push(due + self.interval, node)
                    continue
                await slots.acquire()
                task = asyncio.create_task(self._call(node, slots))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:
            for task in running:
                task.cancel()


def _settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
