"""The shim's log writer (CRI log format, partial lines, rotation, reopen) and timestamps."""

from __future__ import annotations

import os
import re

from kybernetes.cri.shim import MAX_LINE, CRILogWriter, format_timestamp, oci_error_message, write_json


def records(path) -> list[tuple[str, str, str]]:
    out = []
    for line in open(path, "rb").read().decode().split("\n")[:-1]:
        ts, stream, tag, text = line.split(" ", 3)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", ts), ts
        out.append((stream, tag, text))
    return out


def test_format_timestamp_is_rfc3339nano_utc():
    assert format_timestamp(1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123456789Z"
    assert format_timestamp(1_700_000_000_120_000_000) == "2023-11-14T22:13:20.12Z"
    assert format_timestamp(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


def test_lines_partial_lines_and_streams(tmp_path):
    w = CRILogWriter(str(tmp_path / "c" / "0.log"))
    w.write("stdout", b"one\ntw")
    w.write("stderr", b"err\n")
    w.write("stdout", b"o\n" + b"x" * (MAX_LINE + 5) + b"\nlast")
    w.close()
    assert records(tmp_path / "c" / "0.log") == [
        ("stdout", "F", "one"), ("stderr", "F", "err"), ("stdout", "F", "two"),
        ("stdout", "P", "x" * MAX_LINE), ("stdout", "F", "xxxxx"), ("stdout", "F", "last")]


def test_rotation_keeps_max_files_and_reopen(tmp_path):
    path = tmp_path / "0.log"
    w = CRILogWriter(str(path), max_size=200, max_files=3)
    for i in range(50):
        w.write("stdout", b"line %d\n" % i)
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 3 and "0.log" in files
    everything = "".join(open(tmp_path / f).read() for f in files)
    assert "line 49" in everything and "line 0\n" not in everything
    os.rename(path, tmp_path / "moved")
    w.write("stdout", b"still old\n")
    w.reopen()
    w.write("stdout", b"new file\n")
    w.close()
    assert records(path) == [("stdout", "F", "new file")]
    assert "still old" in (tmp_path / "moved").read_text()


def test_oci_error_message(tmp_path):
    p = tmp_path / "oci.log"
    assert oci_error_message(str(p), "fallback ") == "fallback"
    p.write_text('time="x" level=error msg="runc create failed: exec: \\"/x\\": not found"\n')
    assert oci_error_message(str(p)) == 'runc create failed: exec: "/x": not found'
    p.write_text("warn: a\nexecutable file `/x` not found in $PATH\n")
    assert oci_error_message(str(p)) == "executable file `/x` not found in $PATH"
    write_json(str(tmp_path / "s.json"), {"a": 1})
    assert (tmp_path / "s.json").read_text() == '{"a": 1}'
