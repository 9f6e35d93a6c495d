"""CRI log files read as kubectl logs asks: partial lines, tail, since, timestamps, limitBytes, follow."""

from __future__ import annotations

import asyncio

from kybernetes.kubelet.logs import format_time, parse_line, parse_time, read_logs, tail_text

LOG = (b"2024-05-01T10:00:00.100000000Z stdout F first\n"
       b"2024-05-01T10:00:01.000000000Z stderr P par\n"
       b"2024-05-01T10:00:01.500000000Z stderr F tial\n"
       b"garbage line\n"
       b"2024-05-01T10:00:02.000000000Z stdout F third\n")


async def collect(path, **kw):
    return b"".join([c async for c in read_logs(str(path), **kw)])


def test_parse():
    line = parse_line(b"2024-05-01T10:00:00.123456789Z stdout F hello world\n")
    assert (line.stream, line.partial, line.content) == ("stdout", False, b"hello world")
    assert format_time(line.time_ns) == "2024-05-01T10:00:00.123456789Z"
    assert format_time(parse_time("2024-05-01T12:00:00.5+02:00")) == "2024-05-01T10:00:00.5Z"
    assert parse_line(b"2024-05-01T10:00:00Z stdout F \n").content == b""


async def test_read_options(tmp_path):
    p = tmp_path / "0.log"
    p.write_bytes(LOG)
    assert await collect(p) == b"first\npartial\nthird\n"
    assert await collect(p, tail_lines=1) == b"third\n"
    assert await collect(p, tail_lines=0) == b""
    assert await collect(p, since_ns=parse_time("2024-05-01T10:00:01Z")) == b"partial\nthird\n"
    assert await collect(p, timestamps=True) == (b"2024-05-01T10:00:00.1Z first\n2024-05-01T10:00:01Z partial\n"
                                                 b"2024-05-01T10:00:02Z third\n")
    assert await collect(p, limit_bytes=8) == b"first\npa"
    assert await tail_text(str(p), lines=2, max_bytes=4) == "ird\n"
    assert await tail_text(str(tmp_path / "missing"), lines=2, max_bytes=4) == ""


async def test_follow_until_the_container_stops_across_rotation(tmp_path):
    p = tmp_path / "0.log"
    p.write_bytes(b"2024-05-01T10:00:00Z stdout F one\n")
    running = True
    got = []

    async def reader():
        async for chunk in read_logs(str(p), follow=True, still_running=lambda: running, poll=0.01):
            got.append(chunk)

    task = asyncio.create_task(reader())
    await asyncio.sleep(0.05)
    with open(p, "ab") as f:
        f.write(b"2024-05-01T10:00:01Z stdout F tw")
        f.flush()
        await asyncio.sleep(0.05)
        f.write(b"o\n")
    await asyncio.sleep(0.05)
    p.rename(tmp_path / "0.log.1")  # rotation: a new file at the same path
    p.write_bytes(b"2024-05-01T10:00:02Z stdout F three\n")
    await asyncio.sleep(0.1)
    running = False
    await asyncio.wait_for(task, 5)
    assert got == [b"one\n", b"two\n", b"three\n"]
