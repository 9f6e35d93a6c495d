"""The OCI runtime-spec ``config.json`` of a container, built from CRI's ContainerConfig and its sandbox.

What goes in (the same choices containerd's CRI plugin makes, written from the runtime-spec):

- process: args from ``command``/``args`` falling back to the image's Entrypoint/Cmd, env (image Env, then the
  container's, then HOSTNAME), cwd (container, image WorkingDir, "/"), user (runAsUser/runAsGroup/runAsUsername,
  else the image's User resolved against the rootfs' /etc/passwd and /etc/group), capabilities (the default
  set, adds/drops, "ALL"), noNewPrivileges, oomScoreAdj, terminal false.
- root: the overlay rootfs, readonly when asked; hostname from the sandbox (unless host network).
- mounts: proc, /dev tmpfs, devpts, the sandbox's /dev/shm, mqueue, sysfs and cgroup (read-only unless
  privileged), the sandbox's hostname/resolv.conf/hosts files, then the CRI mounts as rbind with their
  propagation (rprivate / rslave / rshared) and ``ro``.
- linux: namespaces (mount, uts, pid and ipc new or joined by path or the host's, network by the sandbox netns
  path), cgroupsPath for the cgroupfs driver, resources (cpu shares/quota/period, memory + swap, pids,
  hugepages, the default device rules), sysctls from the sandbox, maskedPaths/readonlyPaths defaults;
  privileged containers get every capability, no masks, rw sysfs and the host's devices.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kybernetes.cri.api import ContainerConfig, NamespaceMode, PodSandboxConfig, RuntimeError_

__all__ = ["SandboxNamespaces", "build_spec", "process_args", "resolve_user", "DEFAULT_CAPABILITIES",
           "ALL_CAPABILITIES", "DEFAULT_MASKED_PATHS", "DEFAULT_READONLY_PATHS", "DEFAULT_PATH"]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The capabilities a non-privileged container gets (the set Docker and containerd grant).
DEFAULT_CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE",
]

# Every capability Linux knows (in number order, 0..40).
ALL_CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]

DEFAULT_MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
]
DEFAULT_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

_PROPAGATION = {
    "PROPAGATION_PRIVATE": "rprivate",
    "PROPAGATION_HOST_TO_CONTAINER": "rslave",
    "PROPAGATION_BIDIRECTIONAL": "rshared",
}


@dataclass(frozen=True)
class SandboxNamespaces:
    """What a sandbox offers its containers: namespace files to join and the files it generated.

    Empty strings mean "none": a host-network sandbox has no ``netns_path``; ``pid_path`` is set only when the
    pod shares one PID namespace."""

    netns_path: str = ""
    ipc_path: str = ""
    pid_path: str = ""
    shm_path: str = ""
    hostname_file: str = ""
    resolv_conf: str = ""
    hosts_file: str = ""


def process_args(config: ContainerConfig, image_config: dict[str, Any]) -> list[str]:
    """The argv: ``command`` (else the image Entrypoint) followed by ``args`` (else, only when ``command`` is
    empty too, the image Cmd).  Raises RuntimeError_ when nothing is left to run."""
    command, args = list(config.command), list(config.args)
    if not command:
        if not args:
            args = list(image_config.get("Cmd") or [])
        command = list(image_config.get("Entrypoint") or [])
    argv = command + args
    if not argv:
        raise RuntimeError_("no command specified")
    return argv


def _lookup(rootfs: str, rel: str) -> list[list[str]]:
    """Colon-separated records of a file inside the rootfs (never following a link out of it)."""
    root = os.path.realpath(rootfs)
    path = os.path.realpath(os.path.join(root, rel))
    if not path.startswith(root + os.sep):
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip() and not line.startswith("#")]
    except OSError:
        return []


def resolve_user(rootfs: str, user: str) -> tuple[int, int, list[int]]:
    """``user`` as the image's User field writes it (``uid``, ``name``, ``uid:gid``, ``name:group``) resolved
    against the rootfs' /etc/passwd and /etc/group: (uid, gid, additional gids of the user).  An empty
    ``user`` is root.  Raises RuntimeError_ for a name that is not in the rootfs."""
    if not user:
        return 0, 0, []
    name, _, group = user.partition(":")
    passwd = _lookup(rootfs, "etc/passwd")
    uid: int | None = None
    gid: int | None = None
    username = ""
    if name.isdigit():
        uid = int(name)
        for rec in passwd:
            if len(rec) > 3 and rec[2] == name:
                username, gid = rec[0], int(rec[3]) if rec[3].isdigit() else 0
                break
    else:
        for rec in passwd:
            if len(rec) > 3 and rec[0] == name:
                username, uid, gid = name, int(rec[2]), int(rec[3]) if rec[3].isdigit() else 0
                break
        if uid is None:
            raise RuntimeError_(f"unable to find user {name}: no matching entries in passwd file")
    groups = _lookup(rootfs, "etc/group")
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            found = [int(rec[2]) for rec in groups if len(rec) > 2 and rec[0] == group and rec[2].isdigit()]
            if not found:
                raise RuntimeError_(f"unable to find group {group}: no matching entries in group file")
            gid = found[0]
    extra: list[int] = []
    if username:
        for rec in groups:
            if len(rec) > 3 and username in rec[3].split(",") and rec[2].isdigit() and int(rec[2]) != gid:
                extra.append(int(rec[2]))
    return uid, gid if gid is not None else 0, extra


def _capabilities(config: ContainerConfig) -> list[str]:
    sc = config.security_context
    if sc.privileged:
        return list(ALL_CAPABILITIES)

    def norm(name: str) -> str:
        name = name.upper()
        return name if name.startswith("CAP_") or name == "ALL" else "CAP_" + name

    caps = list(DEFAULT_CAPABILITIES)
    if sc.capabilities is not None:
        adds = [norm(c) for c in sc.capabilities.add_capabilities]
        drops = [norm(c) for c in sc.capabilities.drop_capabilities]
        if "ALL" in adds:
            caps = list(ALL_CAPABILITIES)
        else:
            caps += [c for c in adds if c not in caps]
        if "ALL" in drops:
            caps = [c for c in adds if c != "ALL"] if "ALL" not in adds else []
        else:
            caps = [c for c in caps if c not in drops]
    return caps


def _host_devices() -> list[dict[str, Any]]:
    """The host's device nodes under /dev (for privileged containers), skipping pts and shm."""
    out: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk("/dev"):
        dirnames[:] = [d for d in dirnames if d not in ("pts", "shm", "mqueue", "fd")]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISCHR(st.st_mode):
                kind = "c"
            elif stat.S_ISBLK(st.st_mode):
                kind = "b"
            else:
                continue
            if path in ("/dev/console", "/dev/ptmx", "/dev/tty"):
                continue
            out.append({"path": path, "type": kind, "major": os.major(st.st_rdev), "minor": os.minor(st.st_rdev),
                        "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid})
    return out


def _env(config: ContainerConfig, image_config: dict[str, Any], hostname: str) -> list[str]:
    env: dict[str, str] = {}
    for item in image_config.get("Env") or []:
        k, _, v = item.partition("=")
        env[k] = v
    if "PATH" not in env:
        env["PATH"] = DEFAULT_PATH
    if hostname:
        env["HOSTNAME"] = hostname
    for kv in config.envs:
        env[kv.key] = kv.value
    return [f"{k}={v}" for k, v in env.items()]


def build_spec(*, container_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig,
               sandbox: SandboxNamespaces, image_config: dict[str, Any], rootfs: str, cgroups_path: str,
               hostname: str) -> dict[str, Any]:
    """The runtime-spec document for one container (pure apart from reading the rootfs' passwd/group files and,
    for privileged containers, listing /dev).  Raises RuntimeError_ for an unknown user or an empty argv."""
    sc = config.security_context
    privileged = sc.privileged
    ns_opts = sc.namespace_options
    host_network = not sandbox.netns_path

    # user
    if sc.run_as_user is not None:
        uid, gid, extra = resolve_user(rootfs, str(sc.run_as_user))
    elif sc.run_as_username:
        uid, gid, extra = resolve_user(rootfs, sc.run_as_username)
    else:
        uid, gid, extra = resolve_user(rootfs, image_config.get("User") or "")
    if sc.run_as_group is not None:
        gid = sc.run_as_group
    additional = sorted(set(extra) | set(sc.supplemental_groups)
                        | set(sandbox_config.security_context.supplemental_groups))

    caps = _capabilities(config)
    process: dict[str, Any] = {
        "terminal": False,
        "user": {"uid": uid, "gid": gid, **({"additionalGids": additional} if additional else {})},
        "args": process_args(config, image_config),
        "env": _env(config, image_config, hostname),
        "cwd": config.working_dir or image_config.get("WorkingDir") or "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": bool(sc.no_new_privs),
    }
    if config.resources.oom_score_adj:
        process["oomScoreAdj"] = config.resources.oom_score_adj

    ro = [] if privileged else ["ro"]
    mounts: list[dict[str, Any]] = [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", *ro]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", *ro]},
    ]
    if ns_opts.ipc == NamespaceMode.NODE:
        mounts.append({"destination": "/dev/shm", "type": "bind", "source": "/dev/shm", "options": ["rbind", "rw"]})
    elif sandbox.shm_path and ns_opts.ipc == NamespaceMode.POD:
        mounts.append({"destination": "/dev/shm", "type": "bind", "source": sandbox.shm_path,
                       "options": ["rbind", "rw", "nosuid", "nodev", "noexec"]})
    else:
        mounts.append({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                       "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]})
    cri_destinations = {m.container_path.rstrip("/") or "/" for m in config.mounts}
    for dest, src in (("/etc/hostname", sandbox.hostname_file), ("/etc/resolv.conf", sandbox.resolv_conf),
                      ("/etc/hosts", sandbox.hosts_file)):
        if src and dest not in cri_destinations:
            mounts.append({"destination": dest, "type": "bind", "source": src,
                           "options": ["rbind", "rprivate", "ro" if sc.readonly_rootfs else "rw"]})
    rootfs_propagation = ""
    for m in config.mounts:
        if not os.path.exists(m.host_path):
            os.makedirs(m.host_path, exist_ok=True)  # as containerd does for a missing host path
        prop = _PROPAGATION.get(m.propagation, "rprivate")
        if prop == "rshared":
            rootfs_propagation = "rshared"
        elif prop == "rslave" and rootfs_propagation != "rshared":
            rootfs_propagation = "rslave"
        mounts.append({"destination": m.container_path, "type": "bind", "source": m.host_path,
                       "options": ["rbind", prop, "ro" if m.readonly else "rw"]})

    namespaces: list[dict[str, Any]] = [{"type": "mount"}]
    if not host_network:
        namespaces.append({"type": "network", "path": sandbox.netns_path})
        namespaces.append({"type": "uts"})
    if ns_opts.pid == NamespaceMode.POD and sandbox.pid_path:
        namespaces.append({"type": "pid", "path": sandbox.pid_path})
    elif ns_opts.pid != NamespaceMode.NODE:
        namespaces.append({"type": "pid"})
    if ns_opts.ipc == NamespaceMode.POD and sandbox.ipc_path:
        namespaces.append({"type": "ipc", "path": sandbox.ipc_path})
    elif ns_opts.ipc != NamespaceMode.NODE:
        namespaces.append({"type": "ipc"})

    res = config.resources
    resources: dict[str, Any] = {"devices": [{"allow": True, "access": "rwm"}] if privileged
                                 else [{"allow": False, "access": "rwm"}]}
    cpu: dict[str, Any] = {}
    if res.cpu_shares:
        cpu["shares"] = res.cpu_shares
    if res.cpu_quota:
        cpu["quota"] = res.cpu_quota
    if res.cpu_period:
        cpu["period"] = res.cpu_period
    if cpu:
        resources["cpu"] = cpu
    if res.memory_limit_in_bytes:
        resources["memory"] = {"limit": res.memory_limit_in_bytes}
        if os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"):
            resources["memory"]["swap"] = res.memory_limit_in_bytes  # no swap on top of the limit
    if res.pids_limit:
        resources["pids"] = {"limit": res.pids_limit}
    if res.hugepage_limits:
        resources["hugepageLimits"] = [{"pageSize": k, "limit": v} for k, v in sorted(res.hugepage_limits.items())]

    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "cgroupsPath": cgroups_path,
        "resources": resources,
    }
    sysctls = {k: v for k, v in sandbox_config.sysctls.items() if not (host_network and k.startswith("net."))}
    if sysctls:
        linux["sysctl"] = sysctls
    if privileged:
        linux["devices"] = _host_devices()
    else:
        masked = sc.masked_paths if sc.masked_paths is not None else DEFAULT_MASKED_PATHS
        readonly = sc.readonly_paths if sc.readonly_paths is not None else DEFAULT_READONLY_PATHS
        linux["maskedPaths"] = list(masked)
        linux["readonlyPaths"] = list(readonly)
    if rootfs_propagation:
        linux["rootfsPropagation"] = rootfs_propagation

    spec: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": rootfs, "readonly": bool(sc.readonly_rootfs)},
        "mounts": mounts,
        "linux": linux,
        "annotations": {
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.container-name": config.name,
            "io.kubernetes.cri.sandbox-name": sandbox_config.name,
            "io.kubernetes.cri.sandbox-namespace": sandbox_config.namespace,
            "io.kubernetes.cri.sandbox-uid": sandbox_config.uid,
            "io.kubernetes.cri.image-name": config.image.image,
        },
    }
    if not host_network and hostname:
        spec["hostname"] = hostname
    return spec


def rootfs_path_in(bundle: str | os.PathLike[str]) -> str:
    """Where a bundle's rootfs is mounted."""
    return str(Path(bundle) / "rootfs")
