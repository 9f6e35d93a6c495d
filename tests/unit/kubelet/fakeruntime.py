"""An in-memory CRI runtime for kubelet tests (a test double: the real runtime is tested end to end elsewhere).

It implements cri/api.py's RuntimeService and ImageService over dicts.  Containers "run" until stopped, unless
their command says otherwise:

- ``["exit", "<code>"]``: the container exits with that code right after it started;
- ``["run-then-exit", "<seconds>", "<code>"]``: it exits after that many seconds.

Each started container writes one CRI log line (``started <name> attempt <n>``) to its log file.  ``stop_container``
ends a running container with ``term_exit_code`` (143, as a shell killed by SIGTERM).  ``exec_results`` maps a command
(joined with spaces) to an exit code (default 0); ``pullable`` is the set of images a pull can fetch.  Every call is
recorded in ``calls`` as (method, args...).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from dataclasses import dataclass, field

from kybernetes.cri.api import (
    AuthConfig, Container, ContainerConfig, ContainerState, ContainerStatus, ExecSyncResponse, FilesystemUsage, Image,
    ImageSpec, NotFoundError, PodSandbox, PodSandboxConfig, PodSandboxStatus, RuntimeError_, SandboxState,
    VersionInfo,
)


def _matches(labels: dict[str, str], selector: dict[str, str] | None) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


@dataclass
class _Sandbox:
    id: str
    config: PodSandboxConfig
    state: SandboxState
    created_at: int
    ip: str


@dataclass
class _Container:
    id: str
    sandbox_id: str
    config: ContainerConfig
    sandbox_config: PodSandboxConfig
    state: ContainerState
    created_at: int
    image_ref: str
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    reason: str = ""
    log_path: str = ""
    task: asyncio.Task | None = field(default=None, repr=False)


class FakeRuntime:
    def __init__(self, *, images: tuple[str, ...] = ("busybox",), pullable: tuple[str, ...] = ("busybox",
                                                                                               "busybox:1.36")):
        self.images: dict[str, Image] = {}
        for name in images:
            self._add_image(name)
        self.pullable = set(pullable)
        self.sandboxes: dict[str, _Sandbox] = {}
        self.containers: dict[str, _Container] = {}
        self.calls: list[tuple] = []
        self.exec_results: dict[str, int] = {}
        self.term_exit_code = 143
        self._ids = itertools.count(1)
        self._ips = itertools.count(2)

    # -- helpers for tests ----------------------------------------------------------------------------------------

    def _add_image(self, name: str) -> Image:
        img = Image(id="sha256:" + f"{abs(hash(name)):064x}"[-64:], repo_tags=[name],
                    repo_digests=[f"{name.split(':')[0]}@sha256:{'0' * 64}"], size=1234)
        self.images[name] = img
        return img

    def calls_of(self, method: str) -> list[tuple]:
        return [c for c in self.calls if c[0] == method]

    def running(self, name: str | None = None) -> list[_Container]:
        return [c for c in self.containers.values() if c.state == ContainerState.CONTAINER_RUNNING and
                (name is None or c.config.name == name)]

    def by_name(self, name: str) -> list[_Container]:
        return sorted((c for c in self.containers.values() if c.config.name == name), key=lambda c: c.created_at)

    def exit(self, container_id: str, code: int, reason: str = "") -> None:
        """Make a running container exit now."""
        c = self.containers[container_id]
        if c.state != ContainerState.CONTAINER_RUNNING:
            return
        c.state = ContainerState.CONTAINER_EXITED
        c.exit_code = code
        c.finished_at = time.time_ns()
        c.reason = reason or ("Completed" if code == 0 else "Error")
        if c.task is not None and c.task is not asyncio.current_task():
            c.task.cancel()

    # -- RuntimeService -------------------------------------------------------------------------------------------

    async def version(self) -> VersionInfo:
        return VersionInfo(version="0.1.0", runtime_name="fake", runtime_version="0.1")

    async def run_pod_sandbox(self, config: PodSandboxConfig, runtime_handler: str = "") -> str:
        self.calls.append(("run_pod_sandbox", config))
        sid = f"sb{next(self._ids)}"
        host = config.security_context.namespace_options.network == 2
        self.sandboxes[sid] = _Sandbox(sid, config, SandboxState.SANDBOX_READY, time.time_ns(),
                                       "" if host else f"10.88.0.{next(self._ips)}")
        return sid

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        self.calls.append(("stop_pod_sandbox", pod_sandbox_id))
        sb = self._sandbox(pod_sandbox_id)
        for c in self.containers.values():
            if c.sandbox_id == sb.id and c.state == ContainerState.CONTAINER_RUNNING:
                self.exit(c.id, 137)
        sb.state = SandboxState.SANDBOX_NOTREADY

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        self.calls.append(("remove_pod_sandbox", pod_sandbox_id))
        sb = self._sandbox(pod_sandbox_id)
        for cid in [c.id for c in self.containers.values() if c.sandbox_id == sb.id]:
            await self.remove_container(cid)
        del self.sandboxes[sb.id]

    def _sandbox(self, sid: str) -> _Sandbox:
        try:
            return self.sandboxes[sid]
        except KeyError:
            raise NotFoundError(f"sandbox {sid} not found") from None

    def _container(self, cid: str) -> _Container:
        try:
            return self.containers[cid]
        except KeyError:
            raise NotFoundError(f"container {cid} not found") from None

    async def pod_sandbox_status(self, pod_sandbox_id: str) -> PodSandboxStatus:
        sb = self._sandbox(pod_sandbox_id)
        c = sb.config
        return PodSandboxStatus(id=sb.id, name=c.name, uid=c.uid, namespace=c.namespace, attempt=c.attempt,
                                state=sb.state, created_at=sb.created_at,
                                ip=sb.ip if sb.state == SandboxState.SANDBOX_READY else "",
                                labels=dict(c.labels), annotations=dict(c.annotations))

    async def list_pod_sandbox(self, label_selector: dict[str, str] | None = None) -> list[PodSandbox]:
        return [PodSandbox(id=s.id, name=s.config.name, uid=s.config.uid, namespace=s.config.namespace,
                           attempt=s.config.attempt, state=s.state, created_at=s.created_at,
                           labels=dict(s.config.labels), annotations=dict(s.config.annotations))
                for s in self.sandboxes.values() if _matches(s.config.labels, label_selector)]

    async def create_container(self, pod_sandbox_id: str, config: ContainerConfig,
                               sandbox_config: PodSandboxConfig) -> str:
        self.calls.append(("create_container", pod_sandbox_id, config))
        sb = self._sandbox(pod_sandbox_id)
        if sb.state != SandboxState.SANDBOX_READY:
            raise RuntimeError_(f"sandbox {pod_sandbox_id} is not ready")
        img = self.images.get(config.image.image)
        if img is None:
            raise RuntimeError_(f"image {config.image.image} not found")
        cid = f"ctr{next(self._ids)}"
        log_path = os.path.join(sandbox_config.log_directory, config.log_path) if config.log_path else ""
        self.containers[cid] = _Container(cid, sb.id, config, sandbox_config, ContainerState.CONTAINER_CREATED,
                                          time.time_ns(), img.id, log_path=log_path)
        return cid

    async def start_container(self, container_id: str) -> None:
        self.calls.append(("start_container", container_id))
        c = self._container(container_id)
        c.state = ContainerState.CONTAINER_RUNNING
        c.started_at = time.time_ns()
        if c.log_path:
            os.makedirs(os.path.dirname(c.log_path), exist_ok=True)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000001Z"
            with open(c.log_path, "a") as f:
                f.write(f"{stamp} stdout F started {c.config.name} attempt {c.config.attempt}\n")
        cmd = list(c.config.command) + list(c.config.args)
        if cmd[:1] == ["exit"]:
            self.exit(container_id, int(cmd[1]))
        elif cmd[:1] == ["run-then-exit"]:
            async def later() -> None:
                await asyncio.sleep(float(cmd[1]))
                self.exit(container_id, int(cmd[2]))
            c.task = asyncio.create_task(later())

    async def stop_container(self, container_id: str, timeout: int) -> None:
        self.calls.append(("stop_container", container_id, timeout))
        c = self._container(container_id)
        if c.state in (ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_CREATED):
            self.exit(container_id, self.term_exit_code)

    async def remove_container(self, container_id: str) -> None:
        self.calls.append(("remove_container", container_id))
        c = self._container(container_id)
        if c.state == ContainerState.CONTAINER_RUNNING:
            raise RuntimeError_(f"container {container_id} is running")
        del self.containers[container_id]

    async def list_containers(self, pod_sandbox_id: str = "", label_selector: dict[str, str] | None = None,
                              state: ContainerState | None = None) -> list[Container]:
        return [Container(id=c.id, pod_sandbox_id=c.sandbox_id, name=c.config.name, attempt=c.config.attempt,
                          image=c.config.image, image_ref=c.image_ref, state=c.state, created_at=c.created_at,
                          labels=dict(c.config.labels), annotations=dict(c.config.annotations))
                for c in self.containers.values()
                if (not pod_sandbox_id or c.sandbox_id == pod_sandbox_id) and
                _matches(c.config.labels, label_selector) and (state is None or c.state == state)]

    async def container_status(self, container_id: str) -> ContainerStatus:
        c = self._container(container_id)
        return ContainerStatus(id=c.id, name=c.config.name, attempt=c.config.attempt, state=c.state,
                               created_at=c.created_at, image=c.config.image, image_ref=c.image_ref,
                               started_at=c.started_at, finished_at=c.finished_at, exit_code=c.exit_code,
                               reason=c.reason, labels=dict(c.config.labels), annotations=dict(c.config.annotations),
                               mounts=list(c.config.mounts), log_path=c.log_path)

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: float = 0) -> ExecSyncResponse:
        self.calls.append(("exec_sync", container_id, list(cmd)))
        c = self._container(container_id)
        if c.state != ContainerState.CONTAINER_RUNNING:
            raise RuntimeError_(f"container {container_id} is not running")
        code = self.exec_results.get(" ".join(cmd), 0)
        return ExecSyncResponse(b"" if code == 0 else b"unhealthy\n", b"", code)

    async def reopen_container_log(self, container_id: str) -> None:
        self._container(container_id)

    # -- ImageService ---------------------------------------------------------------------------------------------

    async def list_images(self) -> list[Image]:
        return list(self.images.values())

    async def image_status(self, image: ImageSpec) -> Image | None:
        return self.images.get(image.image)

    async def pull_image(self, image: ImageSpec, auth: AuthConfig | None = None,
                         sandbox_config: PodSandboxConfig | None = None) -> str:
        self.calls.append(("pull_image", image.image, auth))
        if image.image not in self.pullable:
            raise RuntimeError_(f'failed to pull "{image.image}": not found')
        return self._add_image(image.image).id

    async def remove_image(self, image: ImageSpec) -> None:
        self.images.pop(image.image, None)

    async def image_fs_info(self) -> list[FilesystemUsage]:
        return [FilesystemUsage(mountpoint="/", used_bytes=0, inodes_used=0)]
