"""The per-container supervisor: ``python -m kybernetes.cri.shim ...`` (one small process per container).

Why it exists: only the parent (or a child subreaper) of a container's init can ``waitpid`` it and learn its exit
code, and the kubelet may be down when a container exits.  The runtime starts the shim, which double-forks (so it
is nobody's child and outlives the kubelet), becomes a child subreaper (``PR_SET_CHILD_SUBREAPER``) and runs the
OCI runtime's ``create`` with two pipes as the container's stdout and stderr.  ``create`` leaves the init waiting
for ``start`` and exits; the init is re-parented to the shim.  The shim then reports ``{"ok": true, "pid": N}`` on
its original stdout (the runtime waits for that line) and goes on:

- it copies stdout/stderr into the log file in the CRI format ``<RFC3339Nano> <stream> <F|P> <text>`` (``P``
  for a partial line cut at ``MAX_LINE`` bytes, ``F`` for the end of a line), rotating the file when it grows
  over ``--max-size`` (keeping ``--max-files`` files in all) and reopening it on SIGUSR1 (ReopenContainerLog);
- when the init exits it drains the pipes, reads the container's memory cgroup ``memory.oom_control``
  ``oom_kill`` counter (the cgroup is still there: only the runtime's ``delete`` removes it) and writes the
  status file ``{"state": "exited", "pid", "exit_code", "finished_at", "oom_killed"}`` atomically, then exits.

The status file is the shim's alone; the runtime only reads it.  Exit codes: a signal N is reported as 128 + N.
The shim imports nothing outside the standard library (the runtime starts it with ``python -S``: one shim per
container must start fast and stay small).
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from typing import Any

__all__ = ["format_timestamp", "CRILogWriter", "oci_error_message", "write_json", "main"]

PR_SET_CHILD_SUBREAPER = 36
MAX_LINE = 16 * 1024  # a line longer than this is written as partial ("P") records
DRAIN_SECONDS = 2.0  # after the init exits, how long to wait for other writers of the pipes


def write_json(path: str, data: Any) -> None:
    """Replace ``path`` atomically with ``data`` as JSON."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def oci_error_message(log_file: str, fallback: str = "") -> str:
    """The last error an OCI runtime wrote to its ``--log`` file (crun: plain lines; runc: logfmt ``msg=``)."""
    try:
        with open(log_file, errors="replace") as f:
            lines = [ln.strip() for ln in f if ln.strip()]
    except OSError:
        lines = []
    if not lines:
        return fallback.strip()
    last = lines[-1]
    m = re.search(r'msg="((?:[^"\\]|\\.)*)"', last)
    if m:
        return m.group(1).replace('\\"', '"')
    if last.startswith("{"):
        try:
            return str(json.loads(last).get("msg", last))
        except ValueError:
            pass
    return last


def format_timestamp(ns: int) -> str:
    """Go's RFC3339Nano in UTC: ``2024-05-01T10:20:30.123456789Z`` (trailing fraction zeros dropped)."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        return f"{base}.{frac:09d}".rstrip("0") + "Z"
    return base + "Z"


class CRILogWriter:
    """Writes container output to ``path`` in the CRI log format, rotating by size.

    ``max_size`` <= 0 disables rotation; ``max_files`` counts the live file plus the rotated ones
    (``<path>.<YYYYmmdd-HHMMSS>``), the oldest rotated files are removed first.  Not thread-safe."""

    def __init__(self, path: str, max_size: int = 0, max_files: int = 5) -> None:
        self.path = path
        self.max_size = max_size
        self.max_files = max(1, max_files)
        self.partial: dict[str, bytes] = {"stdout": b"", "stderr": b""}
        self.f: Any = None
        self.reopen()

    def reopen(self) -> None:
        """Close and reopen the file at ``path`` (after someone else renamed it away)."""
        if self.f is not None:
            try:
                self.f.close()
            except OSError:
                pass
        if not self.path:
            self.f = None
            return
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self.f = open(self.path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the writer

    def _emit(self, stream: str, tag: str, data: bytes) -> None:
        if self.f is None:
            return
        record = b"%s %s %s %s\n" % (format_timestamp(time.time_ns()).encode(), stream.encode(), tag.encode(), data)
        self.f.write(record)

    def write(self, stream: str, data: bytes) -> None:
        """Add bytes read from ``stream`` ("stdout"/"stderr"); complete lines are written at once."""
        buf = self.partial[stream] + data
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line, buf = buf[:nl], buf[nl + 1:]
            while len(line) > MAX_LINE:
                self._emit(stream, "P", line[:MAX_LINE])
                line = line[MAX_LINE:]
            self._emit(stream, "F", line)
        while len(buf) > MAX_LINE:
            self._emit(stream, "P", buf[:MAX_LINE])
            buf = buf[MAX_LINE:]
        self.partial[stream] = buf
        self.maybe_rotate()

    def flush(self, stream: str) -> None:
        """End of ``stream``: what remains without a newline is written as a full line."""
        if self.partial[stream]:
            self._emit(stream, "F", self.partial[stream])
            self.partial[stream] = b""

    def maybe_rotate(self) -> None:
        if self.max_size <= 0 or self.f is None:
            return
        try:
            size = os.fstat(self.f.fileno()).st_size
        except OSError:
            return
        if size < self.max_size:
            return
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        target = f"{self.path}.{stamp}"
        n = 0
        while os.path.exists(target):
            n += 1
            target = f"{self.path}.{stamp}.{n}"
        try:
            os.rename(self.path, target)
        except OSError:
            return
        self.reopen()
        d, base = os.path.split(self.path)
        rotated = sorted((p for p in os.listdir(d or ".") if p.startswith(base + ".")),
                         key=lambda p: os.path.getmtime(os.path.join(d, p)))
        for old in rotated[: max(0, len(rotated) - (self.max_files - 1))]:
            try:
                os.unlink(os.path.join(d, old))
            except OSError:
                pass

    def close(self) -> None:
        for s in ("stdout", "stderr"):
            self.flush(s)
        if self.f is not None:
            self.f.close()
            self.f = None


def _oom_killed(memory_cgroup: str) -> bool:
    try:
        with open(os.path.join(memory_cgroup, "memory.oom_control")) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
    except (OSError, ValueError):
        pass
    # cgroup v2 hosts: memory.events has the same counter
    try:
        with open(os.path.join(memory_cgroup, "memory.events")) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
    except (OSError, ValueError):
        pass
    return False


def _exit_code(status: int) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 255


def _set_nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


class _Shim:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.reaped: dict[int, int] = {}
        self.reopen_requested = False

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.reaped[pid] = status

    def _status(self, **fields: Any) -> None:
        write_json(self.args.status, {"id": self.args.id, **fields})

    def run(self, sync_fd: int) -> int:
        args = self.args
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_IGN)
        wake_r, wake_w = os.pipe()
        _set_nonblocking(wake_r)
        _set_nonblocking(wake_w)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGUSR1, self._on_usr1)

        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        pid_file = os.path.join(args.bundle, "init.pid")
        oci_log = os.path.join(args.bundle, "oci.log")
        argv = [args.runtime, "--root", args.root, "--log", oci_log, "create", "--bundle", args.bundle,
                "--pid-file", pid_file, args.id]
        try:
            proc = subprocess.Popen(argv, stdin=devnull, stdout=out_w, stderr=err_w, close_fds=True, cwd=args.bundle)
        except OSError as e:
            self._sync(sync_fd, {"ok": False, "error": f"{args.runtime}: {e}"})
            return 1
        os.close(out_w)
        os.close(err_w)
        while proc.pid not in self.reaped:
            try:
                pid, status = os.waitpid(-1, 0)
                self.reaped[pid] = status
            except ChildProcessError:
                break
            except InterruptedError:
                continue
        create_status = self.reaped.pop(proc.pid, 0)
        proc.returncode = 0  # reaped here; keep Popen from waiting again
        if _exit_code(create_status) != 0:
            msg = oci_error_message(oci_log, f"{args.runtime} create failed")
            self._sync(sync_fd, {"ok": False, "error": msg})
            return 1
        try:
            with open(pid_file) as f:
                init_pid = int(f.read().strip())
        except (OSError, ValueError):
            self._sync(sync_fd, {"ok": False, "error": "the OCI runtime wrote no pid file"})
            return 1
        self._status(state="created", pid=init_pid, shim_pid=os.getpid())
        self._sync(sync_fd, {"ok": True, "pid": init_pid, "shim_pid": os.getpid()})

        writer = CRILogWriter(args.log, args.max_size, args.max_files)
        sel = selectors.DefaultSelector()
        for fd, stream in ((out_r, "stdout"), (err_r, "stderr")):
            _set_nonblocking(fd)
            sel.register(fd, selectors.EVENT_READ, stream)
        sel.register(wake_r, selectors.EVENT_READ, None)
        open_streams = 2
        exit_status: int | None = None
        drain_deadline = 0.0
        while True:
            timeout = None if exit_status is None else max(0.0, drain_deadline - time.monotonic())
            if exit_status is not None and (open_streams == 0 or timeout == 0.0):
                break
            for key, _ in sel.select(timeout):
                if key.data is None:
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                    continue
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    writer.write(key.data, data)
                else:
                    writer.flush(key.data)
                    sel.unregister(key.fd)
                    os.close(key.fd)
                    open_streams -= 1
            if self.reopen_requested:
                self.reopen_requested = False
                writer.reopen()
            self._reap()
            if exit_status is None and init_pid in self.reaped:
                exit_status = self.reaped.pop(init_pid)
                drain_deadline = time.monotonic() + DRAIN_SECONDS
        finished_at = time.time_ns()
        writer.close()
        oom = bool(args.memory_cgroup) and _oom_killed(args.memory_cgroup)
        self._status(state="exited", pid=init_pid, shim_pid=os.getpid(), exit_code=_exit_code(exit_status),
                     finished_at=finished_at, oom_killed=oom)
        return 0

    def _on_usr1(self, *_: Any) -> None:
        self.reopen_requested = True

    @staticmethod
    def _sync(fd: int, msg: dict[str, Any]) -> None:
        try:
            os.write(fd, json.dumps(msg).encode() + b"\n")
        except OSError:
            pass
        # from now on nobody listens: point stdout at /dev/null
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, double-fork, supervise.  The first process exits 0 right after forking."""
    p = argparse.ArgumentParser(prog="python -m kybernetes.cri.shim")
    p.add_argument("--id", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--runtime", required=True, help="crun or runc binary")
    p.add_argument("--root", required=True, help="the OCI runtime's state root")
    p.add_argument("--status", required=True, help="status file to write")
    p.add_argument("--log", default="", help="CRI log file")
    p.add_argument("--max-size", type=int, default=10 * 1024 * 1024)
    p.add_argument("--max-files", type=int, default=5)
    p.add_argument("--memory-cgroup", default="", help="the container's memory cgroup directory")
    p.add_argument("--no-fork", action="store_true", help="stay in the foreground (tests)")
    args = p.parse_args(argv)
    if not args.no_fork:
        if os.fork() > 0:
            os._exit(0)  # the runtime reaps this one at once; the grandchild is adopted by init
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
    os.chdir("/")
    try:
        return _Shim(args).run(sys.stdout.fileno())
    except Exception as e:  # noqa: BLE001 - the last word goes to the stderr log file
        print(f"shim {args.id}: {e!r}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
