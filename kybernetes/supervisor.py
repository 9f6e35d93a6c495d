"""The process supervisor behind ``kyb server``: runs each component as a child process and heals crashes.

Each child is a ``Child`` (a name and an argv). The supervisor starts them all, restarts one that exits while the
supervisor is running (back-off 1 s doubling to 30 s, reset once the child has stayed up for a minute), forwards
SIGTERM/SIGINT to every child, waits for them to exit (SIGKILL after a grace period) and returns. Children share
the supervisor's stdout and stderr. A crash of a component therefore loses nothing the API acknowledged (the store
is durable) and the component comes back by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass

__all__ = ["Child", "Supervisor"]

log = logging.getLogger("kybernetes.supervisor")

_BACKOFF_START = 1.0
_BACKOFF_MAX = 30.0
_HEALTHY_AFTER = 60.0
_STOP_GRACE = 15.0


@dataclass(frozen=True, slots=True)
class Child:
    name: str
    argv: tuple[str, ...]


class Supervisor:
    """Runs ``children`` until ``stop()`` (or SIGTERM/SIGINT when ``handle_signals``)."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stopping = asyncio.Event()
        self._procs: dict[str, asyncio.subprocess.Process] = {}
        self.restarts: dict[str, int] = {c.name: 0 for c in children}

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, self.stop)
        tasks = [asyncio.create_task(self._keep(c)) for c in self.children]
        try:
            await self._stopping.wait()
        finally:
            await self._terminate_all()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, child: Child) -> None:
        backoff = _BACKOFF_START
        while not self._stopping.is_set():
            started = time.monotonic()
            proc = await asyncio.create_subprocess_exec(*child.argv)
            self._procs[child.name] = proc
            code = await proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > _HEALTHY_AFTER:
                backoff = _BACKOFF_START
            self.restarts[child.name] += 1
            log.warning("%s exited with %s; restarting in %.0fs", child.name, code, backoff)
            print(f"kybernetes: {child.name} exited with {code}; restarting in {backoff:.0f}s", flush=True)
            try:
                await asyncio.wait_for(self._stopping.wait(), backoff)
                return
            except asyncio.TimeoutError:
                pass
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _terminate_all(self) -> None:
        running = [p for p in self._procs.values() if p.returncode is None]
        for p in running:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        for p in running:
            try:
                await asyncio.wait_for(p.wait(), _STOP_GRACE)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
                await p.wait()
