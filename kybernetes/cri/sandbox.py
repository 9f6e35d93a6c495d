"""Pod sandboxes without a pause container: the sandbox is its namespaces and files.

A sandbox owns (all under its directory ``<state_dir>/sandboxes/<id>/`` unless said otherwise):

- a network namespace ``/run/netns/kyb-<id>`` (none with host network), which the CNI plugins wire up and every
  container joins by path;
- a persistent IPC namespace (a bind mount of an nsfs file, made with ``unshare --ipc=<file>``) and a tmpfs for
  ``/dev/shm``, shared by the containers (IPC mode POD);
- when the pod shares one PID namespace (PID mode POD), a tiny holder process that is pid 1 of that namespace and
  reaps orphans (a PID namespace dies with its init, so something must stay);
- ``hostname``, ``resolv.conf`` (from the DNSConfig, else the host's) and ``hosts`` files bind-mounted into each
  container.

Functions here are blocking and quick (a few ms each); the runtime calls them from a worker thread.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from kybernetes.cri.api import DNSConfig, RuntimeError_

__all__ = ["NETNS_DIR", "create_netns", "delete_netns", "create_ipc_namespace", "mount_shm", "release_mount",
           "start_pid_holder", "stop_pid_holder", "process_start_time", "write_files", "resolv_conf",
           "hosts_file"]

NETNS_DIR = "/run/netns"
_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2

_HOLDER = r"""
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x20000000) != 0:
    sys.exit(1)
pid = os.fork()
if pid:
    sys.stdout.write(f"{pid}\n"); sys.stdout.flush(); os._exit(0)
os.setsid()
fd = os.open(os.devnull, os.O_RDWR)
for i in (0, 1, 2):
    os.dup2(fd, i)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
signal.signal(signal.SIGCHLD, lambda *a: None)
while True:
    try:
        os.wait()
    except ChildProcessError:
        signal.pause()
    except InterruptedError:
        pass
"""


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise RuntimeError_(f"{' '.join(argv)}: {proc.stderr.strip() or proc.returncode}")


def create_netns(sandbox_id: str) -> str:
    """Create the sandbox's network namespace; returns its path.  Raises RuntimeError_."""
    name = f"kyb-{sandbox_id}"
    path = os.path.join(NETNS_DIR, name)
    if not os.path.exists(path):
        _run(["ip", "netns", "add", name])
    return path


def delete_netns(path: str) -> None:
    """Remove a network namespace made by :func:`create_netns` (missing is fine)."""
    if not path:
        return
    if os.path.exists(path):
        release_mount(path)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def release_mount(path: str) -> None:
    """Lazily unmount ``path`` when it is a mount point (errors other than "not mounted" raise)."""
    if _libc.umount2(os.fsencode(path), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        if err not in (22, 2):  # EINVAL: not mounted, ENOENT
            raise RuntimeError_(f"umount {path}: {os.strerror(err)}")


def create_ipc_namespace(path: str) -> str:
    """A new IPC namespace kept alive by a bind mount on ``path``.  Raises RuntimeError_."""
    Path(path).touch()
    _run(["unshare", f"--ipc={path}", "true"])
    return path


def mount_shm(path: str, size: str = "64m") -> str:
    """A tmpfs at ``path`` for the pod's /dev/shm.  Raises RuntimeError_."""
    os.makedirs(path, exist_ok=True)
    opts = f"mode=1777,size={size}".encode()
    if _libc.mount(b"shm", os.fsencode(path), b"tmpfs", 0x2 | 0x4 | 0x8, opts) != 0:  # nosuid, nodev, noexec
        err = ctypes.get_errno()
        raise RuntimeError_(f"mount shm at {path}: {os.strerror(err)}")
    return path


def process_start_time(pid: int) -> int:
    """The process' start time in clock ticks since boot (to tell it from a recycled pid), or 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def start_pid_holder() -> tuple[int, int]:
    """Start the process that is pid 1 of a new PID namespace for the pod; returns (pid, start time)."""
    proc = subprocess.run([sys.executable, "-S", "-c", _HOLDER], capture_output=True, text=True, timeout=30,
                          start_new_session=True)
    try:
        pid = int(proc.stdout.strip())
    except ValueError:
        raise RuntimeError_(f"could not start the PID namespace holder: {proc.stderr.strip()}") from None
    for _ in range(100):
        start = process_start_time(pid)
        if start:
            return pid, start
        time.sleep(0.01)
    raise RuntimeError_("the PID namespace holder vanished")


def stop_pid_holder(pid: int, start: int) -> None:
    """Kill the holder (and with it every process left in the pod's PID namespace) if it is still the same
    process."""
    if pid and process_start_time(pid) == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def resolv_conf(dns: DNSConfig | None) -> str:
    """resolv.conf text for the pod: the DNSConfig's servers/searches/options, else the host's file."""
    if dns is None or not (dns.servers or dns.searches or dns.options):
        try:
            return Path("/etc/resolv.conf").read_text()
        except OSError:
            return ""
    lines = []
    if dns.searches:
        lines.append("search " + " ".join(dns.searches))
    lines += [f"nameserver {s}" for s in dns.servers]
    if dns.options:
        lines.append("options " + " ".join(dns.options))
    return "\n".join(lines) + "\n"


def hosts_file(hostname: str, ips: list[str]) -> str:
    """A default /etc/hosts: localhost entries and the pod's addresses under its hostname."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
             "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    lines += [f"{ip}\t{hostname}" for ip in ips if hostname]
    return "\n".join(lines) + "\n"


def write_files(files_dir: str, hostname: str, dns: DNSConfig | None, ips: list[str],
                host_network: bool) -> tuple[str, str, str]:
    """Write hostname, resolv.conf and hosts for a sandbox; returns their paths in that order."""
    os.makedirs(files_dir, exist_ok=True)
    d = Path(files_dir)
    if host_network:
        hostname = socket.gethostname()
        try:
            hosts = Path("/etc/hosts").read_text()
        except OSError:
            hosts = hosts_file(hostname, [])
    else:
        hosts = hosts_file(hostname, ips)
    (d / "hostname").write_text(hostname + "\n")
    (d / "resolv.conf").write_text(resolv_conf(dns))
    (d / "hosts").write_text(hosts)
    return str(d / "hostname"), str(d / "resolv.conf"), str(d / "hosts")


def remove_dir(path: str) -> None:
    """Remove a sandbox directory after unmounting what may still be mounted in it (ipc, shm)."""
    if not path or not os.path.isdir(path):
        return
    for name in ("ipc", "shm"):
        release_mount(os.path.join(path, name))
    shutil.rmtree(path, ignore_errors=True)
