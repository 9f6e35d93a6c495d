"""One worker task per pod, driving it through its life on the node (upstream's podWorkers state machine).

    syncing --(terminal phase, deletion requested, or removed from the node)--> terminating
    terminating --(containers stopped, sandbox stopped)--> terminated
    terminated --(volumes and cgroups gone, final status written, API object deleted if requested)--> finished
    finished --(the pod left the API / its manifest)--> cleaned up: containers, sandboxes, directories removed

Updates (``update``) only record the latest pod and wake the worker; a worker never runs two steps of one pod at a
time, and an update that arrives during a step causes one more step afterwards.  A syncing pod is synced again
after the handler's ``retry_after`` (a back-off ending), after ``resync`` seconds, or ``error_backoff`` seconds after
a failed step.  The grace period of a termination can only shrink: a later, shorter one cancels the stop in
progress and starts it again with the new value.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["PodState", "SyncResult", "SyncHandlers", "PodWorkers", "effective_grace"]

log = logging.getLogger(__name__)


class PodState(enum.Enum):
    SYNCING = "syncing"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class SyncResult:
    terminal: bool = False
    retry_after: float | None = None


class SyncHandlers(Protocol):
    async def sync_pod(self, pod: dict[str, Any]) -> SyncResult: ...

    async def sync_terminating_pod(self, pod: dict[str, Any], grace: int) -> None: ...

    async def sync_terminated_pod(self, pod: dict[str, Any]) -> None: ...

    async def cleanup_pod(self, pod: dict[str, Any]) -> None: ...


def effective_grace(pod: Mapping[str, Any], previous: int | None) -> int:
    """The grace period for stopping ``pod``: its deletionGracePeriodSeconds, else terminationGracePeriodSeconds
    (default 30); never longer than ``previous``; at least 1."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    grace = meta.get("deletionGracePeriodSeconds")
    if grace is None:
        grace = spec.get("terminationGracePeriodSeconds", 30)
    grace = int(grace)
    if previous is not None:
        grace = min(grace, previous)
    return max(grace, 1)


@dataclass
class _Worker:
    uid: str
    pod: dict[str, Any]
    state: PodState = PodState.SYNCING
    removed: bool = False
    kill: bool = False
    grace: int | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    step: asyncio.Task[Any] | None = None
    timer: asyncio.TimerHandle | None = None
    restart: dict[str, Any] | None = None  # a pod with this uid came back while the old one was being cleaned up


class PodWorkers:
    """The per-pod workers.  ``update`` is safe to call from informer handlers (it never blocks)."""

    def __init__(self, handlers: SyncHandlers, *, resync: float = 60.0, error_backoff: float = 10.0) -> None:
        self.handlers = handlers
        self.resync = resync
        self.error_backoff = error_backoff
        self.workers: dict[str, _Worker] = {}
        self._stopping = False

    def state(self, uid: str) -> PodState | None:
        w = self.workers.get(uid)
        return w.state if w is not None else None

    def is_terminating(self, uid: str) -> bool:
        w = self.workers.get(uid)
        return w is not None and (w.state != PodState.SYNCING or w.kill or w.removed)

    def update(self, pod: dict[str, Any], *, removed: bool = False, kill: bool = False) -> None:
        """Record the latest ``pod``; ``removed``: it left the node's desired pods; ``kill``: stop it (e.g.
        eviction).  A pod with a deletionTimestamp is always stopped."""
        if self._stopping:
            return
        uid = (pod.get("metadata") or {}).get("uid", "")
        w = self.workers.get(uid)
        if w is None:
            if removed:
                # never seen alive by this kubelet: still clean up whatever the runtime may hold for it
                w = _Worker(uid, pod, state=PodState.SYNCING)
            else:
                w = _Worker(uid, pod)
            self.workers[uid] = w
            w.task = asyncio.create_task(self._run(w), name=f"pod worker {uid}")
        elif w.state == PodState.FINISHED and w.removed and not removed:
            w.restart = pod
            return
        w.pod = pod
        if removed:
            w.removed = True
        deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
        if kill or deleting or removed:
            w.kill = True
            new_grace = effective_grace(pod, w.grace)
            if w.grace is not None and new_grace < w.grace and w.state == PodState.TERMINATING and \
                    w.step is not None and not w.step.done():
                w.grace = new_grace
                w.step.cancel()  # restart the stop with the shorter grace period
            w.grace = new_grace
        self.wake(uid)

    def wake(self, uid: str, after: float = 0.0) -> None:
        """Run the pod's worker now (or after ``after`` seconds, unless something wakes it earlier)."""
        w = self.workers.get(uid)
        if w is None:
            return
        if after <= 0:
            if w.timer is not None:
                w.timer.cancel()
                w.timer = None
            w.wake.set()
            return
        if w.timer is not None:
            w.timer.cancel()
        w.timer = asyncio.get_running_loop().call_later(after, w.wake.set)

    def wake_all(self) -> None:
        for uid in list(self.workers):
            self.wake(uid)

    async def _step(self, w: _Worker, coro: Any) -> Any:
        w.step = asyncio.ensure_future(coro)
        try:
            return await w.step
        finally:
            w.step = None

    async def _run(self, w: _Worker) -> None:
        while True:
            await w.wake.wait()
            w.wake.clear()
            if w.timer is not None:
                w.timer.cancel()
                w.timer = None
            log.debug("pod worker %s (%s): %s%s", w.uid, _name(w.pod), w.state.value, " (stop requested)" if w.kill
                      else "")
            try:
                if w.state == PodState.SYNCING:
                    if w.kill:
                        w.state = PodState.TERMINATING
                    else:
                        result = await self._step(w, self.handlers.sync_pod(w.pod))
                        if result.terminal:
                            w.state = PodState.TERMINATING
                        else:
                            after = self.resync if result.retry_after is None else min(result.retry_after,
                                                                                        self.resync)
                            self.wake(w.uid, max(after, 0.05))
                            continue
                if w.state == PodState.TERMINATING:
                    grace = w.grace if w.grace is not None else effective_grace(w.pod, None)
                    try:
                        await self._step(w, self.handlers.sync_terminating_pod(w.pod, grace))
                    except asyncio.CancelledError:
                        if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                            raise
                        w.wake.set()  # the stop was restarted with a shorter grace period
                        continue
                    w.state = PodState.TERMINATED
                if w.state == PodState.TERMINATED:
                    await self._step(w, self.handlers.sync_terminated_pod(w.pod))
                    w.state = PodState.FINISHED
                    if not w.removed:
                        continue
                if w.state == PodState.FINISHED:
                    if w.removed:
                        await self._step(w, self.handlers.cleanup_pod(w.pod))
                        if self.workers.get(w.uid) is w:
                            del self.workers[w.uid]
                        if w.restart is not None and not self._stopping:
                            self.update(w.restart)
                        return
                    if (w.pod.get("metadata") or {}).get("deletionTimestamp"):
                        await self._step(w, self.handlers.sync_terminated_pod(w.pod))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pod worker %s (%s): %s step failed", w.uid, _name(w.pod), w.state.value)
                self.wake(w.uid, self.error_backoff)

    async def stop(self) -> None:
        """Cancel every worker (containers keep running: a restarted kubelet adopts them)."""
        self._stopping = True
        tasks = []
        for w in self.workers.values():
            if w.timer is not None:
                w.timer.cancel()
            if w.task is not None:
                w.task.cancel()
                tasks.append(w.task)
        await asyncio.gather(*tasks, return_exceptions=True)
        self.workers.clear()


def _name(pod: Mapping[str, Any]) -> str:
    m = pod.get("metadata") or {}
    return f"{m.get('namespace', '')}/{m.get('name', '')}"
