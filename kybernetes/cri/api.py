"""The Container Runtime Interface, as Python types: what the kubelet asks of a container runtime.

Kubernetes' CRI (k8s.io/cri-api, runtime.v1) is a gRPC API with two services: RuntimeService (pod sandboxes and
containers) and ImageService (images).  This module mirrors its messages as dataclasses, field for field in
snake_case, and its services as Protocols with async methods named after the RPCs.  The in-process runtime of
``cri/`` implements them; a gRPC client for containerd could implement the same Protocols later, so the kubelet
never depends on how containers are really run.

Times are nanoseconds since the epoch (int) as in CRI.  Errors: a missing sandbox/container/image raises
:class:`NotFoundError`; anything else the runtime cannot do raises :class:`RuntimeError_`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

__all__ = [
    "NotFoundError", "RuntimeError_", "NamespaceMode", "SandboxState", "ContainerState", "PortMapping",
    "DNSConfig", "NamespaceOption", "LinuxSandboxSecurityContext", "PodSandboxConfig", "PodSandboxStatus",
    "PodSandbox", "KeyValue", "Mount", "LinuxContainerResources", "Capability", "LinuxContainerSecurityContext",
    "ContainerConfig", "ContainerStatus", "Container", "ImageSpec", "Image", "ExecSyncResponse", "VersionInfo",
    "FilesystemUsage", "RuntimeService", "ImageService", "AuthConfig",
]


class NotFoundError(LookupError):
    """The sandbox, container or image does not exist."""


class RuntimeError_(Exception):  # noqa: N801 - the builtin name is taken
    """The runtime could not do what was asked (message says why)."""


class NamespaceMode(IntEnum):
    POD = 0
    CONTAINER = 1
    NODE = 2
    TARGET = 3


class SandboxState(IntEnum):
    SANDBOX_READY = 0
    SANDBOX_NOTREADY = 1


class ContainerState(IntEnum):
    CONTAINER_CREATED = 0
    CONTAINER_RUNNING = 1
    CONTAINER_EXITED = 2
    CONTAINER_UNKNOWN = 3


@dataclass
class PortMapping:
    protocol: str = "TCP"  # TCP, UDP, SCTP
    container_port: int = 0
    host_port: int = 0
    host_ip: str = ""


@dataclass
class DNSConfig:
    servers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


@dataclass
class NamespaceOption:
    network: NamespaceMode = NamespaceMode.POD
    pid: NamespaceMode = NamespaceMode.CONTAINER
    ipc: NamespaceMode = NamespaceMode.POD
    target_id: str = ""


@dataclass
class LinuxSandboxSecurityContext:
    namespace_options: NamespaceOption = field(default_factory=NamespaceOption)
    run_as_user: int | None = None
    run_as_group: int | None = None
    supplemental_groups: list[int] = field(default_factory=list)
    privileged: bool = False
    readonly_rootfs: bool = False


@dataclass
class PodSandboxConfig:
    """RunPodSandbox's config: pod identity (``name``/``uid``/``namespace``/``attempt`` form CRI's metadata),
    hostname, log directory, DNS, host ports and Linux settings."""

    name: str
    uid: str
    namespace: str
    attempt: int = 0
    hostname: str = ""
    log_directory: str = ""
    dns_config: DNSConfig | None = None
    port_mappings: list[PortMapping] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    cgroup_parent: str = ""
    security_context: LinuxSandboxSecurityContext = field(default_factory=LinuxSandboxSecurityContext)
    sysctls: dict[str, str] = field(default_factory=dict)


@dataclass
class PodSandboxStatus:
    id: str
    name: str
    uid: str
    namespace: str
    attempt: int
    state: SandboxState
    created_at: int
    ip: str = ""
    additional_ips: list[str] = field(default_factory=list)
    network_namespace_path: str = ""  # Linux: the sandbox's netns ("" for host network)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class PodSandbox:
    """ListPodSandbox item."""

    id: str
    name: str
    uid: str
    namespace: str
    attempt: int
    state: SandboxState
    created_at: int
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class KeyValue:
    key: str
    value: str


@dataclass
class Mount:
    container_path: str
    host_path: str
    readonly: bool = False
    propagation: str = "PROPAGATION_PRIVATE"  # or PROPAGATION_HOST_TO_CONTAINER, PROPAGATION_BIDIRECTIONAL
    # Linux: mount only this file/dir of host_path (subPath has already been resolved by the kubelet)


@dataclass
class LinuxContainerResources:
    cpu_period: int = 0
    cpu_quota: int = 0
    cpu_shares: int = 0
    memory_limit_in_bytes: int = 0
    oom_score_adj: int = 0
    pids_limit: int = 0  # not in CRI (the kubelet sets pids via the pod cgroup); 0 = unlimited
    hugepage_limits: dict[str, int] = field(default_factory=dict)


@dataclass
class Capability:
    add_capabilities: list[str] = field(default_factory=list)  # "NET_ADMIN" or "CAP_NET_ADMIN"; "ALL"
    drop_capabilities: list[str] = field(default_factory=list)


@dataclass
class LinuxContainerSecurityContext:
    capabilities: Capability | None = None
    privileged: bool = False
    namespace_options: NamespaceOption = field(default_factory=NamespaceOption)
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_username: str = ""
    supplemental_groups: list[int] = field(default_factory=list)
    readonly_rootfs: bool = False
    no_new_privs: bool = False
    masked_paths: list[str] | None = None
    readonly_paths: list[str] | None = None


@dataclass
class ImageSpec:
    image: str
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class ContainerConfig:
    """CreateContainer's config.  ``log_path`` is relative to the sandbox's ``log_directory``."""

    name: str
    image: ImageSpec
    attempt: int = 0
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    working_dir: str = ""
    envs: list[KeyValue] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    log_path: str = ""
    stdin: bool = False
    stdin_once: bool = False
    tty: bool = False
    resources: LinuxContainerResources = field(default_factory=LinuxContainerResources)
    security_context: LinuxContainerSecurityContext = field(default_factory=LinuxContainerSecurityContext)
    stop_signal: str = ""  # e.g. "SIGTERM" (default), from the image config when unset


@dataclass
class ContainerStatus:
    id: str
    name: str
    attempt: int
    state: ContainerState
    created_at: int
    image: ImageSpec
    image_ref: str
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    reason: str = ""  # "Completed", "Error", "OOMKilled", "ContainerCannotRun"
    message: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    log_path: str = ""
    pid: int = 0  # not in CRI's message (it is in the verbose info); the container's init pid while running


@dataclass
class Container:
    """ListContainers item."""

    id: str
    pod_sandbox_id: str
    name: str
    attempt: int
    image: ImageSpec
    image_ref: str
    state: ContainerState
    created_at: int
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class Image:
    id: str  # sha256:<config digest>
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    size: int = 0
    uid: int | None = None
    username: str = ""
    pinned: bool = False


@dataclass
class AuthConfig:
    username: str = ""
    password: str = ""
    auth: str = ""
    server_address: str = ""
    identity_token: str = ""
    registry_token: str = ""


@dataclass
class ExecSyncResponse:
    stdout: bytes
    stderr: bytes
    exit_code: int


@dataclass
class VersionInfo:
    version: str
    runtime_name: str
    runtime_version: str
    runtime_api_version: str = "v1"


@dataclass
class FilesystemUsage:
    mountpoint: str
    used_bytes: int
    inodes_used: int


class RuntimeService(Protocol):
    async def version(self) -> VersionInfo: ...

    async def run_pod_sandbox(self, config: PodSandboxConfig, runtime_handler: str = "") -> str: ...

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None: ...

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None: ...

    async def pod_sandbox_status(self, pod_sandbox_id: str) -> PodSandboxStatus: ...

    async def list_pod_sandbox(self, label_selector: dict[str, str] | None = None) -> list[PodSandbox]: ...

    async def create_container(self, pod_sandbox_id: str, config: ContainerConfig,
                               sandbox_config: PodSandboxConfig) -> str: ...

    async def start_container(self, container_id: str) -> None: ...

    async def stop_container(self, container_id: str, timeout: int) -> None:
        """Send the stop signal, wait up to ``timeout`` seconds, then SIGKILL; returns once it has exited."""
        ...

    async def remove_container(self, container_id: str) -> None: ...

    async def list_containers(self, pod_sandbox_id: str = "", label_selector: dict[str, str] | None = None,
                              state: ContainerState | None = None) -> list[Container]: ...

    async def container_status(self, container_id: str) -> ContainerStatus: ...

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: float = 0) -> ExecSyncResponse: ...

    async def reopen_container_log(self, container_id: str) -> None: ...


class ImageService(Protocol):
    async def list_images(self) -> list[Image]: ...

    async def image_status(self, image: ImageSpec) -> Image | None:
        """The image, or None when not present."""
        ...

    async def pull_image(self, image: ImageSpec, auth: AuthConfig | None = None,
                         sandbox_config: PodSandboxConfig | None = None) -> str:
        """Pull and return the image reference (``sha256:<id>``)."""
        ...

    async def remove_image(self, image: ImageSpec) -> None: ...

    async def image_fs_info(self) -> list[FilesystemUsage]: ...
