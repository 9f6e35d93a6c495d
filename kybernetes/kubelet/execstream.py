"""``kubectl exec`` on the node: a command run in a container, its streams carried over a WebSocket.

The kubelet's ``GET /exec/<namespace>/<pod>/<container>?command=...&input=1&output=1&error=1&tty=1`` upgrades to
a WebSocket in the channel protocol the client offers (``v5.channel.k8s.io`` (kubectl 1.30+) or
``v4.channel.k8s.io`` (the official clients)): every binary message starts with its channel byte: 0 stdin,
1 stdout, 2 stderr, 3 the final Status (JSON), 4 terminal resize (``{"Width": w, "Height": h}``); v5 adds 255, a
close of the channel named by the next byte (stdin: end of input).

The command runs through the runtime (``crun exec``). With ``tty`` it gets a pseudo-terminal made here (its size
set by resize messages; stderr is merged into it, as upstream); otherwise pipes. When it exits and its output is
drained, the Status is sent (``Success``, or ``Failure`` / ``NonZeroExitCode`` with the exit code as upstream's
``ExitCode`` cause) and the socket closed. A closed socket kills the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import termios
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["PROTOCOLS", "exec_status", "serve_exec_stream"]

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_READ = 32 * 1024
_FIRST_RESIZE_WAIT = 0.5  # seconds a terminal session waits for the client's size before starting the command


def exec_status(argv: list[str], code: int) -> dict[str, Any]:
    """The Status that ends an exec stream, as upstream's kubelet writes it."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [{' '.join(argv)}], "
                       f"exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


async def serve_exec_stream(request: web.Request, spawn_argv: list[str], command: list[str], *, stdin: bool,
                            tty: bool, pid_file: str = "") -> web.WebSocketResponse:
    """Run ``spawn_argv`` (the runtime's command line running ``command`` in the container; it writes the
    command's host PID to ``pid_file``) and carry its streams over the WebSocket ``request`` asks for."""
    ws = web.WebSocketResponse(protocols=PROTOCOLS, heartbeat=None, max_msg_size=0)
    await ws.prepare(request)
    master = -1
    early: list[bytes | None] = []  # frames read before the command started (None: the stream ended)
    if tty:
        master, slave = pty.openpty()
        # clients send the terminal's size first: apply it before the command starts, so that it sees it
        with contextlib.suppress(asyncio.TimeoutError):
            while True:
                frame = _frame(await asyncio.wait_for(ws.receive(), _FIRST_RESIZE_WAIT))
                early.append(frame)
                if frame is None or frame[:1] == bytes([RESIZE]):
                    break
        for frame in early:
            if frame is not None and frame[:1] == bytes([RESIZE]):
                _resize(master, frame[1:])
        proc = await asyncio.create_subprocess_exec(*spawn_argv, stdin=slave, stdout=slave, stderr=slave,
                                                    start_new_session=True)
        os.close(slave)
    else:
        proc = await asyncio.create_subprocess_exec(*spawn_argv, stdin=subprocess.PIPE if stdin else
                                                    subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE, start_new_session=True)
    loop = asyncio.get_running_loop()

    async def pump(reader: asyncio.StreamReader, channel: int) -> None:
        while chunk := await reader.read(_READ):
            await ws.send_bytes(bytes([channel]) + chunk)

    async def pump_tty() -> None:
        while True:
            try:
                chunk = await loop.run_in_executor(None, os.read, master, _READ)
            except OSError:  # EIO: the terminal's last holder exited
                return
            if not chunk:
                return
            await ws.send_bytes(bytes([STDOUT]) + chunk)

    async def frames() -> Any:
        for frame in early:
            if frame is None:
                return
            yield frame
        async for msg in ws:
            frame = _frame(msg)
            if frame is None:
                return
            yield frame

    async def feed() -> None:
        async for frame in frames():
            if not frame:
                continue
            channel, data = frame[0], frame[1:]
            if channel == STDIN and stdin:
                if tty:
                    await loop.run_in_executor(None, _write_all, master, data)
                elif proc.stdin is not None:
                    proc.stdin.write(data)
                    with contextlib.suppress(ConnectionError):
                        await proc.stdin.drain()
            elif channel == RESIZE and tty:
                _resize(master, data)
            elif channel == CLOSE and data[:1] == bytes([STDIN]):
                if tty:
                    await loop.run_in_executor(None, _write_all, master, b"\x04")  # end of input on a terminal
                elif proc.stdin is not None:
                    proc.stdin.close()

    outputs = [asyncio.create_task(pump_tty())] if tty else [
        asyncio.create_task(pump(proc.stdout, STDOUT)), asyncio.create_task(pump(proc.stderr, STDERR))]
    feeder = asyncio.create_task(feed())
    try:
        waiter = asyncio.create_task(proc.wait())
        done, _ = await asyncio.wait({waiter, feeder}, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:  # the client went away: the command is ended below
            return ws
        code = await waiter
        if tty:
            await asyncio.wait(outputs, timeout=2)
        else:
            await asyncio.gather(*outputs, return_exceptions=True)
        if not ws.closed:
            await ws.send_bytes(bytes([ERROR]) + json.dumps(exec_status(command, code)).encode())
            await ws.close()
    finally:  # also when the server cancels this handler because the client's connection closed
        for t in (*outputs, feeder):
            t.cancel()
        if proc.returncode is None:  # end the command (in the container: by its PID) and the runtime's exec
            _kill_from(pid_file)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        if master >= 0:
            os.close(master)
    return ws


def _kill_from(pid_file: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        with open(pid_file) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)


def _frame(msg: Any) -> bytes | None:
    """A message's bytes (channel byte first; text frames, which the Python client sends, as UTF-8), or None at
    the end of the stream."""
    if msg.type == WSMsgType.BINARY:
        return bytes(msg.data)
    if msg.type == WSMsgType.TEXT:
        return msg.data.encode()
    return None


def _resize(master: int, data: bytes) -> None:
    with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
        size = json.loads(data)
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", int(size["Height"]), int(size["Width"]), 0, 0))


def _write_all(fd: int, data: bytes) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]
