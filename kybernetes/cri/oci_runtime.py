"""The low-level OCI runtime (crun, or runc as the fallback): create/start/kill/delete/state/exec by command line.

``crun`` is preferred (faster cold starts); on a hybrid cgroup host it refuses to run while the hugetlb
controller sits on the cgroup2 hierarchy, so :meth:`OCIRuntime.prepare` mounts the v1 hugetlb hierarchy at
``/sys/fs/cgroup/hugetlb`` first (PLATFORM.md).  When crun is missing or unusable, runc is used.  Every call keeps
its own state root (``--root``) so this runtime never sees containers started by anybody else, and passes
``--log`` so a failure's message can be read back from the bundle's ``oci.log``.

``create`` itself is run by the per-container shim (:mod:`kybernetes.cri.shim`), which must be the parent of the
container's init to learn its exit code; :meth:`OCIRuntime.create_argv` gives it the command line.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import orjson

from kybernetes.cri.api import NotFoundError, RuntimeError_
from kybernetes.cri.shim import oci_error_message

__all__ = ["OCIRuntime", "ensure_hugetlb_mounted", "oci_error_message", "find_runtime"]

HUGETLB_DIR = "/sys/fs/cgroup/hugetlb"


def ensure_hugetlb_mounted() -> bool:
    """Mount the v1 hugetlb hierarchy when the host is hybrid (cgroup2 at /sys/fs/cgroup/unified) and it is not
    mounted yet.  True when crun can run here afterwards (pure cgroup2 hosts need nothing)."""
    if not os.path.isdir("/sys/fs/cgroup/unified"):
        return True
    if os.path.ismount(HUGETLB_DIR):
        return True
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            if not f.read().split():
                return True
    except OSError:
        pass
    try:
        os.makedirs(HUGETLB_DIR, exist_ok=True)
        subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", HUGETLB_DIR], check=True,
                       capture_output=True, timeout=10)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def find_runtime(name: str) -> str | None:
    """The path of the ``crun``/``runc`` binary, or None."""
    return shutil.which(name) or next((p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}", f"/usr/local/bin/{name}")
                                       if os.access(p, os.X_OK)), None)


class OCIRuntime:
    """One OCI runtime binary with its own state root.  Methods are coroutines safe to call concurrently for
    different containers; failures raise RuntimeError_ (NotFoundError when the container is unknown to it)."""

    def __init__(self, name: str, binary: str, root: str | os.PathLike[str]) -> None:
        self.name = name
        self.binary = binary
        self.root = str(root)
        os.makedirs(self.root, exist_ok=True)

    @classmethod
    def choose(cls, preferred: str, root: str | os.PathLike[str]) -> OCIRuntime:
        """The preferred runtime when usable (crun needs the hugetlb mount on hybrid hosts), else the other one.
        Raises RuntimeError_ when neither is installed."""
        order = [preferred] + [n for n in ("crun", "runc") if n != preferred]
        for name in order:
            binary = find_runtime(name)
            if not binary:
                continue
            if name == "crun" and not ensure_hugetlb_mounted():
                continue
            return cls(name, binary, Path(root) / name)
        raise RuntimeError_("no OCI runtime found (install crun or runc)")

    def base_argv(self, log_file: str = "") -> list[str]:
        argv = [self.binary, "--root", self.root]
        if log_file:
            argv += ["--log", log_file]
        return argv

    def create_argv(self, container_id: str, bundle: str, pid_file: str, log_file: str) -> list[str]:
        """The ``create`` command line (run by the shim, whose stdout/stderr pipes become the container's)."""
        return [*self.base_argv(log_file), "create", "--bundle", bundle, "--pid-file", pid_file, container_id]

    async def _run(self, *args: str, log_file: str = "", timeout: float = 30.0,
                   ok_codes: tuple[int, ...] = (0,)) -> tuple[int, bytes, bytes]:
        proc = await asyncio.create_subprocess_exec(*self.base_argv(log_file), *args, stdin=subprocess.DEVNULL,
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError_(f"{self.name} {args[0]} timed out after {timeout}s") from None
        rc = proc.returncode or 0
        if rc not in ok_codes:
            msg = oci_error_message(log_file, err.decode(errors="replace")) if log_file else \
                err.decode(errors="replace").strip()
            if "does not exist" in msg or "not found" in msg.lower() and "container" in msg.lower():
                raise NotFoundError(msg)
            raise RuntimeError_(f"{self.name} {args[0]}: {msg or f'exit status {rc}'}")
        return rc, out, err

    async def start(self, container_id: str, log_file: str = "") -> None:
        await self._run("start", container_id, log_file=log_file)

    async def kill(self, container_id: str, sig: int | str = signal.SIGTERM, all_processes: bool = False) -> None:
        """Send ``sig`` to the init (or every process with ``all_processes``).  A container that already stopped
        is not an error."""
        signame = sig if isinstance(sig, str) else signal.Signals(sig).name
        args = ["kill", *(["--all"] if all_processes else []), container_id, signame.removeprefix("SIG")]
        try:
            await self._run(*args)
        except RuntimeError_ as e:
            text = str(e).lower()
            if "not running" in text or "no such process" in text or "stopped" in text or "container not" in text:
                return
            raise

    async def delete(self, container_id: str, force: bool = True) -> None:
        """Forget the container (killing it first with ``force``); unknown containers are ignored."""
        try:
            await self._run("delete", *(["--force"] if force else []), container_id)
        except NotFoundError:
            pass

    async def state(self, container_id: str) -> dict[str, Any] | None:
        """The runtime's state document (``status``: created/running/stopped, ``pid``), or None when unknown."""
        try:
            _, out, _ = await self._run("state", container_id)
        except (NotFoundError, RuntimeError_):
            return None
        try:
            return orjson.loads(out)
        except orjson.JSONDecodeError:
            return None

    async def exec(self, container_id: str, argv: list[str], timeout: float = 0,
                   env: list[str] | None = None) -> tuple[int, bytes, bytes]:
        """Run ``argv`` inside the running container; returns (exit code, stdout, stderr).  With ``timeout`` > 0
        the process is killed after that many seconds and RuntimeError_ is raised."""
        envargs: list[str] = []
        for item in env or []:
            envargs += ["--env", item]
        proc = await asyncio.create_subprocess_exec(*self.base_argv(), "exec", *envargs, container_id, *argv,
                                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout if timeout and timeout > 0 else None)
        except asyncio.TimeoutError:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await proc.wait()
            raise RuntimeError_(f"command {argv!r} timed out after {timeout}s") from None
        return proc.returncode or 0, out, err
