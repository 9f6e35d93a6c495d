"""The runtime end to end: real busybox containers under crun/runc in CNI-wired sandboxes (root only)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from kybernetes.cri.api import (ContainerConfig, ContainerState, DNSConfig, ImageSpec, KeyValue,
                                LinuxContainerResources, LinuxSandboxSecurityContext, Mount, NamespaceMode,
                                NamespaceOption, NotFoundError, PodSandboxConfig, RuntimeError_, SandboxState)
from tests.unit.cri.conftest import needs_containers, running, until

pytestmark = [needs_containers, pytest.mark.timeout(60)]

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) [FP] .*$")


def pod(log_dir: Path, *, host_network: bool = False, pid: NamespaceMode = NamespaceMode.CONTAINER,
        dns: DNSConfig | None = None, name: str = "web") -> PodSandboxConfig:
    uid = str(uuid.uuid4())
    return PodSandboxConfig(
        name=name, uid=uid, namespace="default", hostname=name, log_directory=str(log_dir / uid),
        dns_config=dns, labels={"app": name},
        security_context=LinuxSandboxSecurityContext(namespace_options=NamespaceOption(
            network=NamespaceMode.NODE if host_network else NamespaceMode.POD, pid=pid)))


def container(script: str, name: str = "main", **kw) -> ContainerConfig:
    return ContainerConfig(name=name, image=ImageSpec("busybox"), command=["sh", "-c", script],
                           log_path=f"{name}/0.log", **kw)


async def exited(rt, cid: str, timeout: float = 15.0):
    async def done():
        st = await rt.container_status(cid)
        return st if st.state == ContainerState.CONTAINER_EXITED else None
    return await until(done, timeout)


async def run_to_exit(rt, script: str, sandbox=None, **kw):
    """Run ``script`` in a fresh sandbox (or ``sandbox`` = (id, config)); returns (status, log text)."""
    sid, sc = sandbox
    cid = await rt.create_container(sid, container(script, **kw), sc)
    await rt.start_container(cid)
    st = await exited(rt, cid)
    return st, Path(st.log_path).read_text()


@pytest.mark.parametrize("oci_runtime", ["crun", "runc"])
async def test_echo_completes_with_cri_logs(cri_env, oci_runtime):
    async with running(cri_env, oci_runtime=oci_runtime) as rt:
        if rt.oci.name != oci_runtime:
            pytest.skip(f"{oci_runtime} not usable here")
        sc = pod(cri_env.log_dir, host_network=True)
        sid = await rt.run_pod_sandbox(sc)
        try:
            st, text = await run_to_exit(rt, "echo hello; echo oops >&2; printf 'no newline'", (sid, sc))
            assert (st.exit_code, st.reason) == (0, "Completed")
            assert st.finished_at >= st.started_at > st.created_at > 0
            assert st.log_path == os.path.join(sc.log_directory, "main/0.log")
            lines = text.splitlines()
            assert all(LOG_LINE.match(ln) for ln in lines), lines
            assert [ln.split(" ", 1)[1] for ln in lines] == ["stdout F hello", "stderr F oops",
                                                              "stdout F no newline"]
            (item,) = await rt.list_containers(pod_sandbox_id=sid)
            assert item.state == ContainerState.CONTAINER_EXITED and item.name == "main"
        finally:
            await rt.remove_pod_sandbox(sid)


async def test_exit_code_and_sigkill(cri_env):
    async with running(cri_env) as rt:
        sc = pod(cri_env.log_dir, host_network=True)
        sid = await rt.run_pod_sandbox(sc)
        try:
            st, _ = await run_to_exit(rt, "exit 3", (sid, sc))
            assert (st.exit_code, st.reason) == (3, "Error")

            cid = await rt.create_container(sid, container("echo up; exec sleep 300", name="sleeper"), sc)
            assert (await rt.container_status(cid)).state == ContainerState.CONTAINER_CREATED
            await rt.start_container(cid)
            st = await rt.container_status(cid)
            assert st.state == ContainerState.CONTAINER_RUNNING and st.pid > 0
            with pytest.raises(RuntimeError_):
                await rt.start_container(cid)
            os.kill(st.pid, signal.SIGKILL)
            st = await exited(rt, cid)
            assert (st.exit_code, st.reason) == (137, "Error")
        finally:
            await rt.remove_pod_sandbox(sid)


async def test_oom_killed(cri_env):
    async with running(cri_env) as rt:
        sc = pod(cri_env.log_dir, host_network=True)
        sid = await rt.run_pod_sandbox(sc)
        try:
            limits = LinuxContainerResources(memory_limit_in_bytes=8 * 1024 * 1024, pids_limit=64)
            st, _ = await run_to_exit(rt, "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done", (sid, sc),
                                      resources=limits)
            assert (st.exit_code, st.reason) == (137, "OOMKilled")
        finally:
            await rt.remove_pod_sandbox(sid)


async def test_dual_stack_sandbox_serves_http_and_cleans_up(cri_env):
    async with running(cri_env) as rt:
        dns = DNSConfig(servers=["10.43.0.10"], searches=["default.svc.cluster.local"], options=["ndots:5"])
        sc = pod(cri_env.log_dir, dns=dns, name="httpd")
        sid = await rt.run_pod_sandbox(sc)
        status = await rt.pod_sandbox_status(sid)
        assert status.state == SandboxState.SANDBOX_READY
        v4, v6 = status.ip, status.additional_ips[0]
        assert ":" not in v4 and ":" in v6 and not v6.startswith("fd00:")
        netns = status.network_namespace_path
        assert os.path.exists(netns)
        guard = subprocess.run(["nft", "list", "table", "inet", rt.cni.guard_table], capture_output=True,
                               text=True).stdout
        for uplink in rt.cni._uplinks():  # nothing from or to the pod network leaves through the uplink
            assert f'oifname "{uplink}" ip saddr {cri_env.network.subnets[0]} drop' in guard, guard
            assert f'oifname "{uplink}" ip6 saddr {cri_env.network.subnets[1]} drop' in guard, guard
        script = "mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"
        cid = await rt.create_container(sid, container(script, envs=[KeyValue("GREETING", "hi")]), sc)
        await rt.start_container(cid)

        def get(url: str):
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    return r.read().decode()
            except OSError:
                return None

        loop = asyncio.get_running_loop()
        for url in (f"http://{v4}:8080/", f"http://[{v6}]:8080/"):
            body = await until(lambda u=url: loop.run_in_executor(None, get, u), timeout=20, step=0.2)
            assert body == "hello-httpd\n"
        res = await rt.exec_sync(cid, ["sh", "-c", "cat /etc/resolv.conf; echo $GREETING; cat /etc/hostname"])
        assert res.exit_code == 0
        out = res.stdout.decode()
        assert "nameserver 10.43.0.10" in out and "search default.svc.cluster.local" in out
        assert "options ndots:5" in out and "hi\nhttpd\n" in out
        assert (await rt.exec_sync(cid, ["false"])).exit_code == 1

        st = await rt.container_status(cid)
        rootfs = str(Path(rt.state.container_dir(cid)) / "bundle" / "rootfs")
        assert rootfs in Path("/proc/mounts").read_text()
        cni_dir = Path(rt.cni.data_dir) / cri_env.network.network_name
        assert (cni_dir / v4).exists() and (cni_dir / v6).exists()
        pod_cgroup = Path(f"/sys/fs/cgroup/memory/kybernetes/pod{sc.uid}")
        assert (pod_cgroup / cid).is_dir() or not Path("/sys/fs/cgroup/memory").is_dir()

        await rt.stop_pod_sandbox(sid)
        assert (await rt.container_status(cid)).state == ContainerState.CONTAINER_EXITED
        assert (await rt.pod_sandbox_status(sid)).state == SandboxState.SANDBOX_NOTREADY
        await rt.remove_pod_sandbox(sid)
        assert not os.path.exists(netns)
        assert not (cni_dir / v4).exists() and not (cni_dir / v6).exists()
        assert rootfs not in Path("/proc/mounts").read_text()
        assert not pod_cgroup.exists()
        assert not rt.state.container_dir(cid).exists()
        assert not (Path(rt.state.sandboxes_dir) / sid).exists()
        with pytest.raises(NotFoundError):
            await rt.container_status(cid)
        with pytest.raises(NotFoundError):
            await rt.pod_sandbox_status(sid)
        assert Path(st.log_path).exists()  # logs belong to the kubelet


async def test_stop_waits_for_timeout_then_kills(cri_env):
    async with running(cri_env) as rt:
        sc = pod(cri_env.log_dir, host_network=True)
        sid = await rt.run_pod_sandbox(sc)
        try:
            script = "trap 'echo got-term' TERM; echo ready; while true; do sleep 0.1; done"
            cid = await rt.create_container(sid, container(script), sc)
            await rt.start_container(cid)
            log = Path((await rt.container_status(cid)).log_path)
            await until(lambda: log.exists() and "ready" in log.read_text())
            t0 = time.monotonic()
            await rt.stop_container(cid, 1)
            elapsed = time.monotonic() - t0
            st = await rt.container_status(cid)
            assert st.state == ContainerState.CONTAINER_EXITED
            assert (st.exit_code, st.reason) == (137, "Error")
            assert 1.0 <= elapsed < 10, elapsed
            assert "got-term" in log.read_text()
            await rt.stop_container(cid, 1)  # stopping again is a no-op

            cid2 = await rt.create_container(sid, container("trap 'exit 0' TERM; while true; do sleep 0.1; done",
                                                            name="polite"), sc)
            await rt.start_container(cid2)
            await asyncio.sleep(0.2)
            t0 = time.monotonic()
            await rt.stop_container(cid2, 20)
            assert time.monotonic() - t0 < 10
            st = await rt.container_status(cid2)
            assert (st.exit_code, st.reason) == (0, "Completed")
        finally:
            await rt.remove_pod_sandbox(sid)


async def test_new_runtime_adopts_running_container_and_missed_exits(cri_env):
    sc = pod(cri_env.log_dir)
    async with running(cri_env) as rt:
        sid = await rt.run_pod_sandbox(sc)
        runner = await rt.create_container(sid, container("echo up; exec sleep 300", name="runner"), sc)
        await rt.start_container(runner)
        quitter = await rt.create_container(sid, container("sleep 0.5; exit 7", name="quitter"), sc)
        await rt.start_container(quitter)
        pid = (await rt.container_status(runner)).pid
    # no runtime object alive: the quitter exits meanwhile, the shims record it
    await asyncio.sleep(0.6)
    async with running(cri_env) as rt2:
        try:
            assert [s.id for s in await rt2.list_pod_sandbox({"app": "web"}) if s.id == sid] == [sid]
            st = await rt2.container_status(runner)
            assert st.state == ContainerState.CONTAINER_RUNNING and st.pid == pid
            st = await exited(rt2, quitter)
            assert (st.exit_code, st.reason) == (7, "Error")
            running_ids = [c.id for c in await rt2.list_containers(state=ContainerState.CONTAINER_RUNNING)]
            assert runner in running_ids and quitter not in running_ids
            await rt2.stop_container(runner, 0)
            st = await rt2.container_status(runner)
            assert (st.state, st.exit_code) == (ContainerState.CONTAINER_EXITED, 137)
        finally:
            await rt2.remove_pod_sandbox(sid)


async def test_create_interrupted_before_its_record_is_removed_by_the_next_runtime(cri_env, monkeypatch):
    sc = pod(cri_env.log_dir)
    async with running(cri_env) as rt:
        sid = await rt.run_pod_sandbox(sc)
        # the process dies between the OCI create and the record: nothing of the runtime cleans up
        monkeypatch.setattr(rt.state, "save_container", lambda rec: (_ for _ in ()).throw(SystemExit(9)))
        monkeypatch.setattr(rt, "_discard_files", lambda cid: None)
        with pytest.raises(SystemExit):
            await rt.create_container(sid, container("exec sleep 300", name="half"), sc)
        monkeypatch.undo()
        [left] = [d for d in rt.state.containers_dir.iterdir() if not (d / "record.json").exists()]
        assert await rt.oci.state(left.name) is not None  # the OCI runtime made it
        assert left.name not in [c.id for c in await rt.list_containers()]
        with pytest.raises(Exception, match="another runtime"):
            await cri_env.runtime(build_busybox=False).start()
    async with running(cri_env) as rt2:
        try:
            assert not left.exists()
            assert await rt2.oci.state(left.name) is None
            assert not (cri_env.root_dir / "containers" / left.name).exists()
        finally:
            await rt2.remove_pod_sandbox(sid)


async def test_mounts_user_readonly_rootfs_and_shared_pid(cri_env, tmp_path):
    host_dir = tmp_path / "data"
    host_dir.mkdir()
    (host_dir / "f.txt").write_text("from-host\n")
    async with running(cri_env) as rt:
        sc = pod(cri_env.log_dir, host_network=True, pid=NamespaceMode.POD)
        sid = await rt.run_pod_sandbox(sc)
        try:
            cfg = container("cat /data/f.txt; id -u; touch /tmp/x 2>/dev/null || echo ro-root; "
                            "echo w > /out/w.txt", mounts=[Mount("/data", str(host_dir), readonly=True),
                                                           Mount("/out", str(tmp_path / "out"))])
            cfg.security_context.run_as_user = 33
            cfg.security_context.readonly_rootfs = True
            (tmp_path / "out").mkdir()
            os.chmod(tmp_path / "out", 0o777)
            cid = await rt.create_container(sid, cfg, sc)
            await rt.start_container(cid)
            st = await exited(rt, cid)
            text = Path(st.log_path).read_text()
            assert st.exit_code == 0, text
            assert [ln.split(" ", 3)[3] for ln in text.splitlines()] == ["from-host", "33", "ro-root"]
            assert (tmp_path / "out" / "w.txt").read_text() == "w\n"

            # two containers of a pod with a shared PID namespace see each other
            # (the kubelet copies the pod's namespace options into each container's)
            shared = NamespaceOption(network=NamespaceMode.NODE, pid=NamespaceMode.POD)
            a_cfg = container("exec sleep 300", name="a")
            a_cfg.security_context.namespace_options = shared
            a = await rt.create_container(sid, a_cfg, sc)
            await rt.start_container(a)
            b_cfg = container(
                "for i in $(seq 50); do ps -o comm | grep -q sleep && echo seen && exit 0; sleep 0.1; done; ps",
                name="b")
            b_cfg.security_context.namespace_options = shared
            b = await rt.create_container(sid, b_cfg, sc)
            await rt.start_container(b)
            st = await exited(rt, b)
            assert Path(st.log_path).read_text().split()[-1] == "seen", Path(st.log_path).read_text()
        finally:
            await rt.remove_pod_sandbox(sid)


def _read_or_empty(path: Path) -> str:
    """A log file's text, or "" when rotation renamed it away between listing and reading."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


async def test_errors_and_log_reopen(cri_env):
    async with running(cri_env, log_max_size=400, log_max_files=2) as rt:
        sc = pod(cri_env.log_dir, host_network=True)
        sid = await rt.run_pod_sandbox(sc)
        try:
            with pytest.raises(NotFoundError):
                await rt.create_container(sid, ContainerConfig(name="x", image=ImageSpec("nosuch:1")), sc)
            with pytest.raises(NotFoundError):
                await rt.create_container("nosuchsandbox", container("true"), sc)
            with pytest.raises(RuntimeError_):
                await rt.create_container(sid, ContainerConfig(name="x", image=ImageSpec("busybox"),
                                                               command=["/no/such/binary"]), sc)
            assert await rt.list_containers(pod_sandbox_id=sid) == []
            never_started = await rt.create_container(sid, container("true", name="idle"), sc)
            await rt.remove_container(never_started)
            assert await rt.list_containers(pod_sandbox_id=sid) == []

            # size rotation keeps at most max_files files; reopen after an external rename
            cid = await rt.create_container(sid, container(
                "i=0; while [ $i -lt 40 ]; do echo line-$i; i=$((i+1)); done; sleep 300"), sc)
            await rt.start_container(cid)
            log = Path((await rt.container_status(cid)).log_path)
            await until(lambda: any("line-39" in _read_or_empty(p) for p in log.parent.iterdir()))
            files = sorted(p.name for p in log.parent.iterdir())
            assert len(files) == 2 and "0.log" in files
            log.rename(log.with_name("moved"))
            await rt.reopen_container_log(cid)
            await rt.exec_sync(cid, ["sh", "-c", "echo after-reopen > /proc/1/fd/1"])
            await until(lambda: log.exists() and "after-reopen" in log.read_text())
            await rt.stop_container(cid, 0)
            with pytest.raises(RuntimeError_):
                await rt.reopen_container_log(cid)
        finally:
            await rt.remove_pod_sandbox(sid)
        await rt.remove_pod_sandbox(sid)  # idempotent
        await rt.stop_pod_sandbox(sid)


async def test_image_service(cri_env, tmp_path):
    async with running(cri_env) as rt:
        version = await rt.version()
        assert version.runtime_name == "kybernetes" and version.runtime_api_version == "v1"
        images = await rt.list_images()
        bb = await rt.image_status(ImageSpec("busybox:1.36"))
        assert bb is not None and bb.id in [i.id for i in images] and bb.uid == 0
        assert "docker.io/library/busybox:latest" in bb.repo_tags
        assert await rt.image_status(ImageSpec("nosuch")) is None
        (fs,) = await rt.image_fs_info()
        assert fs.used_bytes > 1_000_000 and fs.inodes_used > 100

        # an offline node: the pull fails (a closed loopback port) but a local image answers
        rt.images.tag("busybox", "127.0.0.1:9/local/bb:1")
        assert await rt.pull_image(ImageSpec("127.0.0.1:9/local/bb:1")) == bb.id
        with pytest.raises(RuntimeError_, match="Cannot connect"):
            await rt.pull_image(ImageSpec("127.0.0.1:9/local/none:1"))
        with pytest.raises(RuntimeError_, match="disabled"):
            await rt.pull_image(ImageSpec("quay.io/nothing/here:1"))  # never leaves the machine

        # removing an image used by a container keeps its layers mounted; the container still runs
        sc = pod(cri_env.log_dir, host_network=True)
        sid = await rt.run_pod_sandbox(sc)
        try:
            cid = await rt.create_container(sid, container("exec sleep 300"), sc)
            await rt.start_container(cid)
            await rt.remove_image(ImageSpec("busybox"))
            assert await rt.image_status(ImageSpec("busybox")) is None
            assert (await rt.exec_sync(cid, ["echo", "alive"])).stdout == b"alive\n"
            await rt.remove_image(ImageSpec("busybox"))  # already gone: fine
        finally:
            await rt.remove_pod_sandbox(sid)
        await asyncio.to_thread(rt.images.ensure_busybox)  # the other tests want it back
