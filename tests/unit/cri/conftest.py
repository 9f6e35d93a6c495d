"""Fixtures for the runtime tests: a private pod network per test module and a sweep that leaves nothing behind.

Each module gets its own bridge (``kyt<pid>``), IPv4 /24 inside 10.89.0.0/16 and IPv6 /64 inside the ULA
fd42:6b79:6200::/56 (never the default ``kyb0``/10.42.0.0/24, which a real node may be using), with host-local's
allocations under the module's temporary state dir.  The sweep at the end removes every sandbox and container
left, the bridge, the guard nft table and the pod cgroups.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kybernetes.cri.cni import DEFAULT_PLUGIN_DIRS, NetworkConfig

ROOT_ONLY = os.geteuid() != 0
HAVE_OCI = bool(shutil.which("crun") or shutil.which("runc") or os.path.exists("/usr/sbin/runc"))
HAVE_CNI = any(os.path.exists(os.path.join(d, "bridge")) for d in DEFAULT_PLUGIN_DIRS)
HAVE_BUSYBOX = os.path.exists("/bin/busybox")

needs_root = pytest.mark.skipif(ROOT_ONLY, reason="needs root")
needs_containers = pytest.mark.skipif(
    ROOT_ONLY or not HAVE_OCI or not HAVE_CNI or not HAVE_BUSYBOX or not shutil.which("nft"),
    reason="needs root, crun/runc, the CNI plugins, busybox-static and nftables")


@dataclass
class Env:
    """One module's runtime directories and network."""

    root_dir: Path
    state_dir: Path
    log_dir: Path
    network: NetworkConfig

    def runtime(self, **kw):
        from kybernetes.cri.runtime import Runtime
        return Runtime(self.root_dir, self.state_dir, self.log_dir, cni_conf=self.network, **kw)


def _network(n: int) -> NetworkConfig:
    third = 10 + n % 240
    v6 = f"fd42:6b79:62{0x10 + n % 0xe0:02x}::/64"
    return NetworkConfig(bridge=f"kyt{os.getpid() % 100000}{n % 10}", network_name=f"kyt{os.getpid()}-{n}",
                         subnets=[f"10.89.{third}.0/24", v6], cluster_cidrs=[f"10.89.{third}.0/24", v6])


_counter = [0]


@pytest.fixture(scope="module")
def cri_env(tmp_path_factory: pytest.TempPathFactory):
    """Directories and a private network for one module; everything is swept at the end."""
    _counter[0] += 1
    base = tmp_path_factory.mktemp("cri")
    env = Env(base / "root", base / "state", base / "logs", _network(os.getpid() + _counter[0]))
    yield env
    asyncio.run(sweep(env))


async def sweep(env: Env) -> None:
    """Remove whatever the module's tests left: sandboxes, containers, network, pod cgroups."""
    rt = env.runtime(build_busybox=False)
    try:
        await rt.start()
        for c in await rt.list_containers():
            await rt.remove_container(c.id)
        for s in await rt.list_pod_sandbox():
            await rt.remove_pod_sandbox(s.id)
    finally:
        await rt.close(teardown_network=True)


@contextlib.asynccontextmanager
async def running(env: Env, **kw) -> AsyncIterator:
    """A started Runtime over the module's directories (closed, not torn down, afterwards)."""
    rt = env.runtime(**kw)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.close()


async def until(fn, timeout: float = 15.0, step: float = 0.05):
    """Poll ``fn`` (sync or async) until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)
