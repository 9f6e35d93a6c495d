"""Container logs in the CRI format, read the way ``kubectl logs`` asks for them.

A runtime writes each chunk of a container's output as one line of its log file::

    2024-05-01T10:00:00.123456789Z stdout F hello world
    2024-05-01T10:00:00.223456789Z stderr P a line that was split
    2024-05-01T10:00:00.223456790Z stderr F  and its end

(RFC 3339 time with nanoseconds, stream, ``F`` for a full line or ``P`` for a partial one, content).  Reading
(:func:`read_logs`) yields the content bytes in order, joining partial lines, with the options of
``PodLogOptions``: ``tailLines`` (the last N lines), ``sinceTime``/``sinceSeconds`` (lines at or after a time),
``timestamps`` (each line prefixed with its RFC 3339 time), ``limitBytes`` (stop after so many bytes) and
``follow`` (keep reading as the file grows, across rotation, until the container stops).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ["LogLine", "parse_line", "parse_time", "format_time", "read_logs", "tail_text", "FOLLOW_POLL"]

FOLLOW_POLL = 0.2


@dataclass(frozen=True, slots=True)
class LogLine:
    time_ns: int
    stream: str
    partial: bool
    content: bytes  # without the trailing newline


def parse_time(text: str) -> int:
    """RFC 3339 (with up to 9 fractional digits, ``Z`` or an offset) -> nanoseconds since the epoch; raises
    ValueError."""
    frac_ns = 0
    main = text
    offset = "Z"
    if text.endswith("Z"):
        main = text[:-1]
    else:
        for i in range(len(text) - 1, 9, -1):
            if text[i] in "+-":
                main, offset = text[:i], text[i:]
                break
    if "." in main:
        main, frac = main.split(".", 1)
        frac_ns = int(frac[:9].ljust(9, "0"))
    dt = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S")
    if offset == "Z":
        dt = dt.replace(tzinfo=timezone.utc)
    else:
        dt = datetime.fromisoformat(main + offset)
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


def format_time(ns: int) -> str:
    """RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano), in UTC."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


def parse_line(raw: bytes) -> LogLine:
    """One CRI log line (newline optional); raises ValueError when it is not in that format."""
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    parts = raw.split(b" ", 3)
    if len(parts) < 3:
        raise ValueError(f"unexpected CRI log line {raw[:80]!r}")
    ts = parse_time(parts[0].decode())
    stream = parts[1].decode()
    if stream not in ("stdout", "stderr"):
        raise ValueError(f"unexpected stream type {stream!r}")
    tag = parts[2]
    content = parts[3] if len(parts) > 3 else b""
    return LogLine(ts, stream, tag.split(b":")[0] == b"P", content)


def _tail_offset(f, lines: int) -> int:  # type: ignore[no-untyped-def]
    """Offset of the start of the last ``lines`` lines of the open binary file ``f``."""
    if lines <= 0:
        f.seek(0, os.SEEK_END)
        return f.tell()
    f.seek(0, os.SEEK_END)
    end = f.tell()
    pos = end
    count = 0
    block = 8192
    # A final newline ends the last line; it does not start a new one.
    skip_last = True
    while pos > 0:
        step = min(block, pos)
        pos -= step
        f.seek(pos)
        data = f.read(step)
        for i in range(len(data) - 1, -1, -1):
            if data[i] == 0x0A:
                if skip_last and pos + i == end - 1:
                    skip_last = False
                    continue
                count += 1
                if count == lines:
                    return pos + i + 1
        skip_last = False
    return 0


async def read_logs(path: str, *, tail_lines: int | None = None, since_ns: int | None = None,
                    timestamps: bool = False, limit_bytes: int | None = None, follow: bool = False,
                    still_running: Callable[[], bool] | None = None,
                    poll: float = FOLLOW_POLL) -> AsyncIterator[bytes]:
    """Yield the log's content per line (with ``\\n`` after full lines).  With ``follow`` it waits for more
    until ``still_running()`` is False and the file is exhausted, reopening ``path`` when it was rotated.
    Raises FileNotFoundError when the log does not exist."""
    f = open(path, "rb")
    remaining = limit_bytes if limit_bytes is not None and limit_bytes > 0 else None
    try:
        ino = os.fstat(f.fileno()).st_ino
        if tail_lines is not None and tail_lines >= 0:
            f.seek(_tail_offset(f, tail_lines))
        else:
            f.seek(0)
        buf = b""
        new_line = True
        while True:
            chunk = f.readline()
            if chunk and not chunk.endswith(b"\n"):
                buf += chunk  # a line still being written: wait for its end
                chunk = b""
            elif chunk:
                chunk, buf = buf + chunk, b""
            if not chunk:
                if not follow:
                    return
                running = still_running() if still_running is not None else False
                try:
                    st = os.stat(path)
                    rotated = st.st_ino != ino
                except FileNotFoundError:
                    rotated = False
                if rotated:
                    f.close()
                    f = open(path, "rb")
                    ino = os.fstat(f.fileno()).st_ino
                    buf = b""
                    continue
                if not running:
                    # one last look: the container may have written just before it stopped
                    more = f.readline()
                    if more:
                        f.seek(-len(more), os.SEEK_CUR)
                        continue
                    return
                await asyncio.sleep(poll)
                continue
            try:
                line = parse_line(chunk)
            except ValueError:
                continue
            if since_ns is not None and line.time_ns < since_ns:
                continue
            out = line.content if line.partial else line.content + b"\n"
            if timestamps and new_line:
                out = format_time(line.time_ns).encode() + b" " + out
            new_line = not line.partial
            if remaining is not None:
                if len(out) >= remaining:
                    yield out[:remaining]
                    return
                remaining -= len(out)
            yield out
    finally:
        f.close()


async def tail_text(path: str, *, lines: int, max_bytes: int) -> str:
    """The last ``lines`` lines of a log, at most ``max_bytes`` (the end kept): the FallbackToLogsOnError
    termination message.  Empty when the log is missing."""
    data = b""
    try:
        async for chunk in read_logs(path, tail_lines=lines):
            data = (data + chunk)[-max_bytes:]
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", "replace")
