"""Persisted records of sandboxes and containers: what the runtime needs to adopt them after a restart.

The runtime keeps one JSON file per sandbox (``<state_dir>/sandboxes/<id>.json``) and per container
(``<state_dir>/containers/<id>/record.json``), written atomically (temporary file + rename) whenever a record
changes.  A container's run-time facts (pid, start/finish times, exit code, OOM) are not in its record: the
per-container shim owns them and writes them to ``<state_dir>/containers/<id>/status.json`` (see
:mod:`kybernetes.cri.shim`), so an exit is recorded even while no runtime process is alive.

CRI dataclasses (:mod:`kybernetes.cri.api`) are stored as plain JSON through :func:`encode` and rebuilt with
:func:`decode`, which follows the dataclasses' type hints (nested dataclasses, optionals, lists, dicts, enums).
"""

from __future__ import annotations

import dataclasses
import enum
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

__all__ = ["SandboxRecord", "ContainerRecord", "StateStore", "encode", "decode", "write_json", "read_json"]

T = TypeVar("T")


def encode(obj: Any) -> Any:
    """A JSON-ready copy of ``obj`` (dataclasses become dicts, enums their values)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    return obj


_HINTS: dict[type, dict[str, Any]] = {}


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return [_convert(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp) or (Any, Any)
        return {k: _convert(item, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return decode(tp, value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    return value


def decode(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild dataclass ``cls`` from :func:`encode`'s output; unknown keys are ignored, missing ones defaulted."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    kwargs = {f.name: _convert(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data}
    return cls(**kwargs)  # type: ignore[call-arg]


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically with ``data`` as JSON (readers see the old or the new file, never half)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when the file is missing or unreadable."""
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


@dataclass
class SandboxRecord:
    """One pod sandbox: the pod's config and what the runtime set up for it."""

    id: str
    config: dict[str, Any]  # encoded PodSandboxConfig
    created_at: int
    ready: bool = True
    netns_path: str = ""  # "" for host network
    ipc_path: str = ""  # persistent IPC namespace (bind mount) shared by the pod's containers
    pid_holder: int = 0  # pid of the process holding a shared PID namespace (shareProcessNamespace), 0 if none
    pid_holder_start: int = 0  # its start time (clock ticks), to tell it from a recycled pid
    ips: list[str] = field(default_factory=list)
    cni_result: dict[str, Any] | None = None
    files_dir: str = ""  # hostname, hosts, resolv.conf
    cgroup_parent: str = ""
    cgroup_owned: bool = False  # the runtime made the pod cgroup (and removes it with the sandbox)


@dataclass
class ContainerRecord:
    """One container: its config, image, bundle and where its logs go."""

    id: str
    sandbox_id: str
    config: dict[str, Any]  # encoded ContainerConfig
    image: str  # the image reference asked for
    image_ref: str  # sha256:<image id>
    created_at: int
    bundle: str
    rootfs_mounted: bool = False
    log_path: str = ""
    cgroups_path: str = ""
    oci_runtime: str = "crun"
    shim_pid: int = 0
    shim_start: int = 0  # the shim's start time (clock ticks), to tell it from a recycled pid
    pid: int = 0  # the container's init
    pid_start: int = 0
    started_at: int = 0  # set by the runtime when ``start`` succeeded
    memory_cgroup: str = ""  # where the shim reads the OOM counter
    rw_dir: str = ""  # upper/work directories of the overlay rootfs
    image_layers: list[str] = field(default_factory=list)  # diff ids mounted as lowerdirs (kept by image GC)
    message: str = ""


class StateStore:
    """The records on disk under ``state_dir``; methods are synchronous and cheap (one small file each)."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.root = Path(state_dir)
        self.sandboxes_dir = self.root / "sandboxes"
        self.containers_dir = self.root / "containers"
        self.sandboxes_dir.mkdir(parents=True, exist_ok=True)
        self.containers_dir.mkdir(parents=True, exist_ok=True)

    def container_dir(self, container_id: str) -> Path:
        return self.containers_dir / container_id

    def status_path(self, container_id: str) -> Path:
        """The shim's status file for a container."""
        return self.container_dir(container_id) / "status.json"

    def save_sandbox(self, rec: SandboxRecord) -> None:
        write_json(self.sandboxes_dir / f"{rec.id}.json", encode(rec))

    def delete_sandbox(self, sandbox_id: str) -> None:
        (self.sandboxes_dir / f"{sandbox_id}.json").unlink(missing_ok=True)

    def save_container(self, rec: ContainerRecord) -> None:
        d = self.container_dir(rec.id)
        d.mkdir(parents=True, exist_ok=True)
        write_json(d / "record.json", encode(rec))

    def load_sandboxes(self) -> list[SandboxRecord]:
        out = []
        for p in sorted(self.sandboxes_dir.glob("*.json")):
            data = read_json(p)
            if isinstance(data, dict) and "id" in data:
                out.append(decode(SandboxRecord, data))
        return out

    def load_containers(self) -> list[ContainerRecord]:
        out = []
        for p in sorted(self.containers_dir.glob("*/record.json")):
            data = read_json(p)
            if isinstance(data, dict) and "id" in data:
                out.append(decode(ContainerRecord, data))
        return out
