"""End to end: a real busybox pod through the kubelet and the real runtime (crun, CNI, overlayfs, cgroups).

The pod runs in a private network (its own bridge and subnets, as the runtime's tests use) and under a private
cgroup root, so nothing else on the machine is touched; everything is removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from pathlib import Path

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.cri.cni import DEFAULT_PLUGIN_DIRS, NetworkConfig

from .conftest import running_kubelet

HAVE_CNI = any(os.path.exists(os.path.join(d, "bridge")) for d in DEFAULT_PLUGIN_DIRS)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("crun") or not HAVE_CNI or
                       not os.path.exists("/bin/busybox") or not shutil.which("nft"),
                       reason="needs root, crun, the CNI plugins, busybox-static and nftables"),
]


def _network() -> NetworkConfig:
    n = os.getpid()
    third = 250 + n % 5
    v6 = f"fd42:6b79:62{0xf0 + n % 16:02x}::/64"
    return NetworkConfig(bridge=f"kye{n % 100000}", network_name=f"kye{n}", subnets=[f"10.89.{third}.0/24", v6],
                         cluster_cidrs=[f"10.89.{third}.0/24", v6])


def _remove_cgroup_tree(name: str) -> None:
    base = Path("/sys/fs/cgroup")
    for ctrl in base.iterdir():
        top = ctrl / name
        if not top.is_dir() or top.is_symlink():
            continue
        for d in sorted((Path(p) for p, _, _ in os.walk(top)), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                d.rmdir()


@contextlib.asynccontextmanager
async def real_runtime(tmp: Path):
    from kybernetes.cri.runtime import Runtime

    rt = Runtime(tmp / "runtime", tmp / "state", tmp / "logs", cni_conf=_network())
    await rt.start()
    try:
        yield rt
    finally:
        for c in await rt.list_containers():
            with contextlib.suppress(Exception):
                await rt.stop_container(c.id, 0)
                await rt.remove_container(c.id)
        for s in await rt.list_pod_sandbox():
            with contextlib.suppress(Exception):
                await rt.remove_pod_sandbox(s.id)
        await rt.close(teardown_network=True)


async def _status(env, name):
    return (await env.get_pod(name)).get("status") or {}


async def _cs(env, name, container):
    return next((c for c in (await _status(env, name)).get("containerStatuses") or () if c["name"] == container), {})


async def test_busybox_pod_runs_restarts_probes_updates_and_goes_away(kyb, tmp_path):
    cgroup_root = f"/kyb-e2e-{os.getpid()}"
    try:
        async with real_runtime(tmp_path) as rt, \
                running_kubelet(kyb, tmp_path, runtime=rt, cgroup_mount="/sys/fs/cgroup", cgroup_root=cgroup_root,
                                node_ips=["127.0.0.1"], pod_logs_dir=str(tmp_path / "logs")) as env:
            await env.client.create(resource_path("", "v1", "configmaps", env.ns), {
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                "data": {"key": "v1", "index.html": "ok\n"}})
            pod = await env.create_pod("bb", {"terminationGracePeriodSeconds": 2, "containers": [
                {"name": "app", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                 "command": ["sh", "-c", "touch /tmp/healthy; echo hello from $(POD); exec sleep 3600"],
                 "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                 "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 1,
                                   "failureThreshold": 1},
                 "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]},
                {"name": "web", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                 "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
                 "readinessProbe": {"httpGet": {"path": "/index.html", "port": 8080}, "periodSeconds": 1},
                 "volumeMounts": [{"name": "cfg", "mountPath": "/www"}]}],
                "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}]})
            uid = pod["metadata"]["uid"]

            async def ready():
                st = await _status(env, "bb")
                return st if st.get("phase") == "Running" and any(
                    c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions") or ()) else None

            st = await env.until(ready, timeout=90)
            ips = [p["ip"] for p in st["podIPs"]]
            assert ips[0].startswith("10.89.") and st["podIP"] == ips[0]
            assert st["hostIP"] == "127.0.0.1"
            pod_cgroup = Path("/sys/fs/cgroup/memory") / cgroup_root.lstrip("/") / "kubepods" / "besteffort" / \
                f"pod{uid}"
            assert pod_cgroup.is_dir()
            # logs
            app = await _cs(env, "bb", "app")
            cid = app["containerID"].split("://", 1)[1]
            log_file = await env.kubelet.log_file(env.kubelet.pod_by_name(env.ns, "bb"), cid)
            await env.until(lambda: "hello from bb" in Path(log_file).read_text(), timeout=10)
            # the mounted ConfigMap follows its source
            await env.client.patch(resource_path("", "v1", "configmaps", env.ns, "cfg"), {"data": {"key": "v2"}})

            async def updated():
                r = await rt.exec_sync(cid, ["cat", "/etc/cfg/key"], timeout=5)
                return r.stdout.strip() == b"v2"

            await env.until(updated, timeout=60, step=0.5)
            # killing the container's process restarts it
            pid = (await rt.container_status(cid)).pid
            assert pid > 0
            os.kill(pid, signal.SIGKILL)

            async def restarted(count):
                cs = await _cs(env, "bb", "app")
                return cs if cs.get("restartCount", 0) >= count and "running" in (cs.get("state") or {}) else None

            cs = await env.until(lambda: restarted(1), timeout=60)
            assert cs["lastState"]["terminated"]["exitCode"] == 137
            # a failing liveness probe restarts it too
            cid = cs["containerID"].split("://", 1)[1]
            await rt.exec_sync(cid, ["rm", "-f", "/tmp/healthy"], timeout=5)
            await env.until(lambda: restarted(2), timeout=60)
            # deletion: the pod object goes, and everything it had on the node with it
            await env.client.delete(env.pod_path("bb"))
            await env.until(lambda: env.gone("bb"), timeout=60)
            await env.until(lambda: _nothing_left(rt, uid), timeout=30)
            assert not pod_cgroup.exists()
            assert not (tmp_path / "root" / "pods" / uid).exists()
    finally:
        await asyncio.to_thread(_remove_cgroup_tree, cgroup_root.lstrip("/"))


async def _nothing_left(rt, uid):
    sel = {"io.kubernetes.pod.uid": uid}
    return not await rt.list_containers(label_selector=sel) and not await rt.list_pod_sandbox(sel)
