"""The pod lifecycle event generator: notices what changed in the runtime and wakes the pods concerned.

Every ``period`` seconds (1 s, as upstream's generic PLEG) it lists all sandboxes and containers, groups them by
the ``io.kubernetes.pod.uid`` label and compares each object's state with the previous listing.  A pod with a
container that started, exited or vanished, or a sandbox that changed, gets ``on_change(uid)`` — its worker syncs
it and reports the new status.  ``last_relist`` (monotonic seconds) tells the node's Ready check whether the PLEG is
healthy (upstream: not older than 3 minutes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from kybernetes.cri.api import RuntimeService
from kybernetes.kubelet.runtimepod import LABEL_POD_UID

__all__ = ["PLEG", "snapshot"]

log = logging.getLogger(__name__)

Snapshot = dict[str, dict[str, int]]  # pod uid -> object id -> state


async def snapshot(runtime: RuntimeService) -> Snapshot:
    """States of every sandbox and container, by pod uid (objects without the label are ignored)."""
    sandboxes, containers = await asyncio.gather(runtime.list_pod_sandbox(), runtime.list_containers())
    out: Snapshot = {}
    for sb in sandboxes:
        uid = sb.labels.get(LABEL_POD_UID)
        if uid:
            out.setdefault(uid, {})["sb:" + sb.id] = int(sb.state)
    for c in containers:
        uid = c.labels.get(LABEL_POD_UID)
        if uid:
            out.setdefault(uid, {})[c.id] = int(c.state)
    return out


class PLEG:
    """Relists the runtime periodically and reports changed pods."""

    def __init__(self, runtime: RuntimeService, on_change: Callable[[str], None], *, period: float = 1.0) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.period = period
        self.last: Snapshot = {}
        self.last_relist = 0.0
        self.error: str = ""
        self._task: asyncio.Task[None] | None = None

    async def relist(self) -> list[str]:
        """One relist; returns the uids reported as changed."""
        current = await snapshot(self.runtime)
        changed = [uid for uid in set(current) | set(self.last) if current.get(uid) != self.last.get(uid)]
        self.last = current
        self.last_relist = time.monotonic()
        for uid in changed:
            self.on_change(uid)
        return changed

    def healthy(self, threshold: float = 180.0) -> bool:
        return self.last_relist > 0 and time.monotonic() - self.last_relist < threshold

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="pleg")

    async def _run(self) -> None:
        while True:
            try:
                await self.relist()
                self.error = ""
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.error = str(e)
                log.warning("PLEG relist failed: %s", e)
            await asyncio.sleep(self.period)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
