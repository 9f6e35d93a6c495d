"""Starting and stopping a pod's sandbox and containers through the CRI, as upstream's kuberuntime manager does.

Starting a container is four steps: make sure the image is there (``imagePullPolicy``; failed pulls back off
10 s doubling to 5 min: ``ErrImagePull`` then ``ImagePullBackOff``), build its config (environment, mounts,
command/args, resources, security context, labels/annotations that let a restarted kubelet manage it), create and
start it, then run the ``postStart`` hook (a failing hook kills the container: ``PostStartHookError``).  Failures
raise :class:`StartError` with the reason the container status shows while it waits.

Stopping a container runs its ``preStop`` hook within the grace period, then asks the runtime to stop it with what
remains of the grace period (at least 2 s) before SIGKILL.  The grace period is the pod's
``deletionGracePeriodSeconds`` when it is being deleted, else the probe's ``terminationGracePeriodSeconds`` for a
liveness/startup failure, else ``terminationGracePeriodSeconds``.

Pure helpers build the CRI messages: :func:`container_hash`, :func:`linux_resources`, :func:`sandbox_config`,
:func:`container_security`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import secrets as _secrets
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from kybernetes.cri.api import (
    AuthConfig, Capability, ContainerConfig, ContainerState, DNSConfig, ImageService, ImageSpec, KeyValue,
    LinuxContainerResources, LinuxContainerSecurityContext, LinuxSandboxSecurityContext, Mount, NamespaceMode,
    NamespaceOption, NotFoundError, PodSandboxConfig, PortMapping, RuntimeService,
)
from kybernetes.kubelet.backoff import Backoff, format_duration
from kybernetes.kubelet.cgroups import CPU_PERIOD, milli_cpu_to_quota, milli_cpu_to_shares
from kybernetes.kubelet.envvars import expand_command
from kybernetes.kubelet.probes import Result, http_get, resolve_port
from kybernetes.kubelet.runtimepod import (
    ANNOTATION_HASH, ANNOTATION_INIT, ANNOTATION_POD_GRACE, ANNOTATION_PORTS, ANNOTATION_PRESTOP,
    ANNOTATION_RESTART_COUNT, ANNOTATION_TERMINATION_LOG, ANNOTATION_TERMINATION_MESSAGE_PATH,
    ANNOTATION_TERMINATION_MESSAGE_POLICY, LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID,
    PodRuntime, restart_count,
)
from kybernetes.kubelet.status import qos_class
from kybernetes.machinery.quantity import parse_quantity

__all__ = [
    "StartError", "RuntimeManager", "container_hash", "linux_resources", "sandbox_config", "container_security",
    "pod_full_name", "grace_period", "log_directory", "image_pull_policy", "MIN_GRACE", "OptionsFn", "EventFn",
]

log = logging.getLogger(__name__)

MIN_GRACE = 2
Json = dict[str, Any]
EventFn = Callable[[Mapping[str, Any], str, str, str, str], None]
"""``event(pod, container_name_or_empty, type, reason, message)``."""
OptionsFn = Callable[[Mapping[str, Any]], Awaitable[tuple[list[tuple[str, str]], list[Mount]]]]
"""``await options(container)`` -> (environment, mounts); raises StartError (CreateContainerConfigError)."""


class StartError(Exception):
    """A container could not be started; ``reason`` is what its waiting state shows (``ErrImagePull``,
    ``CreateContainerConfigError``, ``CrashLoopBackOff``...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


def pod_full_name(pod: Mapping[str, Any]) -> str:
    """``name_namespace(uid)`` as upstream's format.Pod prints a pod."""
    m = pod.get("metadata") or {}
    return f"{m.get('name', '')}_{m.get('namespace', '')}({m.get('uid', '')})"


def log_directory(root: str | os.PathLike[str], pod: Mapping[str, Any]) -> str:
    """``<root>/<namespace>_<name>_<uid>`` (upstream's /var/log/pods layout)."""
    m = pod.get("metadata") or {}
    return os.path.join(root, f"{m.get('namespace', '')}_{m.get('name', '')}_{m.get('uid', '')}")


def container_hash(container: Mapping[str, Any]) -> str:
    """A stable hash of a container's spec: a changed spec restarts the container."""
    return hashlib.sha256(orjson.dumps(container, option=orjson.OPT_SORT_KEYS)).hexdigest()[:8]


def image_pull_policy(container: Mapping[str, Any]) -> str:
    policy = container.get("imagePullPolicy")
    if policy:
        return policy
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1]
    if "@" in tag:
        return "IfNotPresent"
    return "Always" if ":" not in tag or tag.endswith(":latest") else "IfNotPresent"


def _milli(q: Any) -> int:
    if q is None:
        return 0
    v = parse_quantity(q) * 1000
    return int(v) + (1 if v != int(v) else 0)


def linux_resources(pod: Mapping[str, Any], container: Mapping[str, Any], *, memory_capacity: int,
                    is_init: bool = False) -> LinuxContainerResources:
    """cpu shares/quota, memory limit and OOM score adjustment of a container (upstream's formulas)."""
    res = container.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    cpu_req = req.get("cpu", lim.get("cpu"))
    out = LinuxContainerResources(cpu_period=CPU_PERIOD)
    out.cpu_shares = milli_cpu_to_shares(_milli(cpu_req))
    out.cpu_quota = milli_cpu_to_quota(_milli(lim.get("cpu"))) if lim.get("cpu") else 0
    if lim.get("memory"):
        out.memory_limit_in_bytes = int(parse_quantity(lim["memory"]))
    for k, v in lim.items():
        if k.startswith("hugepages-"):
            out.hugepage_limits[k[len("hugepages-"):]] = int(parse_quantity(v))
    qos = qos_class(pod)
    if qos == "Guaranteed":
        out.oom_score_adj = -997
    elif qos == "BestEffort":
        out.oom_score_adj = 1000
    else:
        mem_req = int(parse_quantity(req.get("memory", "0")))
        score = 1000 - (1000 * mem_req) // max(1, memory_capacity)
        score = max(score, 3)
        if score >= 1000:
            score = 999
        out.oom_score_adj = score
    return out


def _namespaces(pod: Mapping[str, Any]) -> NamespaceOption:
    spec = pod.get("spec") or {}
    return NamespaceOption(
        network=NamespaceMode.NODE if spec.get("hostNetwork") else NamespaceMode.POD,
        pid=NamespaceMode.NODE if spec.get("hostPID") else
        NamespaceMode.POD if spec.get("shareProcessNamespace") else NamespaceMode.CONTAINER,
        ipc=NamespaceMode.NODE if spec.get("hostIPC") else NamespaceMode.POD)


def _groups(psc: Mapping[str, Any]) -> list[int]:
    groups = [int(g) for g in psc.get("supplementalGroups") or ()]
    if psc.get("fsGroup") is not None and int(psc["fsGroup"]) not in groups:
        groups.append(int(psc["fsGroup"]))
    return groups


def sandbox_config(pod: Mapping[str, Any], *, attempt: int, log_dir: str, cgroup_parent: str,
                   dns: DNSConfig | None) -> PodSandboxConfig:
    """RunPodSandbox's config for ``pod``."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    psc = spec.get("securityContext") or {}
    hostname = "" if spec.get("hostNetwork") else (spec.get("hostname") or meta.get("name", ""))[:63].rstrip("-.")
    ports = []
    for c in spec.get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("hostPort"):
                ports.append(PortMapping(protocol=p.get("protocol") or "TCP", container_port=int(p["containerPort"]),
                                         host_port=int(p["hostPort"]), host_ip=p.get("hostIP") or ""))
    labels = dict(meta.get("labels") or {})
    labels.update({LABEL_POD_NAME: meta.get("name", ""), LABEL_POD_NAMESPACE: meta.get("namespace", ""),
                   LABEL_POD_UID: meta.get("uid", "")})
    privileged = any(((c.get("securityContext") or {}).get("privileged")) for c in
                     [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())])
    sc = LinuxSandboxSecurityContext(namespace_options=_namespaces(pod), run_as_user=psc.get("runAsUser"),
                                     run_as_group=psc.get("runAsGroup"), supplemental_groups=_groups(psc),
                                     privileged=bool(privileged))
    return PodSandboxConfig(
        name=meta.get("name", ""), uid=meta.get("uid", ""), namespace=meta.get("namespace", ""), attempt=attempt,
        hostname=hostname, log_directory=log_dir, dns_config=dns, port_mappings=ports, labels=labels,
        annotations=dict(meta.get("annotations") or {}), cgroup_parent=cgroup_parent, security_context=sc,
        sysctls={s.get("name", ""): str(s.get("value", "")) for s in psc.get("sysctls") or ()})


def container_security(pod: Mapping[str, Any], container: Mapping[str, Any]) -> LinuxContainerSecurityContext:
    """The container's Linux security context (container settings override the pod's)."""
    psc = (pod.get("spec") or {}).get("securityContext") or {}
    csc = container.get("securityContext") or {}
    caps = csc.get("capabilities") or {}
    out = LinuxContainerSecurityContext(
        capabilities=Capability(add_capabilities=list(caps.get("add") or ()),
                                drop_capabilities=list(caps.get("drop") or ())) if caps else None,
        privileged=bool(csc.get("privileged")), namespace_options=_namespaces(pod),
        run_as_user=csc.get("runAsUser", psc.get("runAsUser")),
        run_as_group=csc.get("runAsGroup", psc.get("runAsGroup")),
        supplemental_groups=_groups(psc), readonly_rootfs=bool(csc.get("readOnlyRootFilesystem")),
        no_new_privs=csc.get("allowPrivilegeEscalation") is False)
    if csc.get("procMount") == "Unmasked":
        out.masked_paths = []
        out.readonly_paths = []
    return out


def grace_period(pod: Mapping[str, Any], container: Mapping[str, Any] | None, reason: str = "") -> int:
    """Seconds a container gets to stop (before the minimum of 2 s is applied)."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if meta.get("deletionGracePeriodSeconds") is not None:
        return int(meta["deletionGracePeriodSeconds"])
    if spec.get("terminationGracePeriodSeconds") is not None:
        if container is not None and reason in ("liveness", "startup"):
            probe = container.get(f"{reason}Probe") or {}
            if probe.get("terminationGracePeriodSeconds") is not None:
                return int(probe["terminationGracePeriodSeconds"])
        return int(spec["terminationGracePeriodSeconds"])
    return MIN_GRACE


def _docker_auth(pull_secrets: Sequence[Mapping[str, Any]], image: str) -> AuthConfig | None:
    """Credentials for ``image``'s registry from kubernetes.io/dockerconfigjson (or dockercfg) secrets."""
    first = image.split("/", 1)[0]
    registry = first if ("." in first or ":" in first or first == "localhost") and "/" in image else "docker.io"
    for sec in pull_secrets:
        data = sec.get("data") or {}
        raw = data.get(".dockerconfigjson") or data.get(".dockercfg")
        if not raw:
            continue
        try:
            cfg = orjson.loads(base64.b64decode(raw))
        except (ValueError, orjson.JSONDecodeError):
            continue
        auths = cfg.get("auths", cfg) if isinstance(cfg, dict) else {}
        for server, entry in auths.items():
            host = server.split("://", 1)[-1].split("/", 1)[0]
            if host in (registry, f"index.{registry}") or (registry == "docker.io" and "docker.io" in host):
                return AuthConfig(username=entry.get("username", ""), password=entry.get("password", ""),
                                  auth=entry.get("auth", ""), server_address=server)
    return None


class RuntimeManager:
    """The kubelet's container operations for pods.  Stateless apart from the back-off books; safe for
    concurrent use across pods."""

    def __init__(self, runtime: RuntimeService, images: ImageService, *, event: EventFn, runtime_name: str,
                 pod_dir: Callable[[str], Path], memory_capacity: int, backoff: Backoff | None = None,
                 image_backoff: Backoff | None = None, clock: Callable[[], float] = time.time) -> None:
        self.runtime = runtime
        self.images = images
        self.event = event
        self.runtime_name = runtime_name
        self.pod_dir = pod_dir
        self.memory_capacity = memory_capacity
        self.clock = clock
        self.backoff = backoff or Backoff(clock=clock)
        self.image_backoff = image_backoff or Backoff(clock=clock)
        self._image_errors: dict[str, str] = {}

    def forget_pod(self, pod: Mapping[str, Any]) -> None:
        """Drop the back-off books of a removed pod."""
        m = pod.get("metadata") or {}
        self.backoff.forget_prefix(f"{m.get('name', '')}_{m.get('namespace', '')}_{m.get('uid', '')}_")
        self.image_backoff.forget_prefix(f"{m.get('uid', '')}_")
        for key in [k for k in self._image_errors if k.startswith(f"{m.get('uid', '')}_")]:
            del self._image_errors[key]

    # -- sandbox --------------------------------------------------------------------------------------------------

    async def create_sandbox(self, pod: Mapping[str, Any], config: PodSandboxConfig) -> str:
        """Run the sandbox; raises StartError("CreatePodSandboxError") with the runtime's message."""
        os.makedirs(config.log_directory, mode=0o755, exist_ok=True)
        try:
            return await self.runtime.run_pod_sandbox(config, (pod.get("spec") or {}).get("runtimeClassName") or "")
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.event(pod, "", "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {e}")
            raise StartError("CreatePodSandboxError", f"Failed to create pod sandbox: {e}") from None

    # -- images ---------------------------------------------------------------------------------------------------

    async def ensure_image(self, pod: Mapping[str, Any], container: Mapping[str, Any],
                           pull_secrets: Sequence[Mapping[str, Any]], sandbox: PodSandboxConfig) -> str:
        """The image reference to create the container from, pulling as the policy says.  Raises StartError."""
        name = container.get("name", "")
        image = container.get("image", "")
        if not image or any(c.isspace() for c in image):
            msg = f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": ' \
                  "invalid reference format"
            self.event(pod, name, "Warning", "InspectFailed", msg)
            raise StartError("InvalidImageName", msg)
        policy = image_pull_policy(container)
        spec = ImageSpec(image=image)
        present = await self.images.image_status(spec)
        if policy == "Never":
            if present is not None:
                return present.id
            msg = f'Container image "{image}" is not present with pull policy of Never'
            self.event(pod, name, "Warning", "ErrImageNeverPull", msg)
            raise StartError("ErrImageNeverPull", msg)
        if policy == "IfNotPresent" and present is not None:
            self.event(pod, name, "Normal", "Pulled", f'Container image "{image}" already present on machine')
            return present.id
        key = f"{(pod.get('metadata') or {}).get('uid', '')}_{image}"
        if self.image_backoff.in_backoff_since_update(key):
            msg = f'Back-off pulling image "{image}"'
            self.event(pod, name, "Normal", "BackOff", msg)
            err = self._image_errors.get(key)
            raise StartError("ImagePullBackOff", f"{msg}: ErrImagePull: {err}" if err else msg)
        self.event(pod, name, "Normal", "Pulling", f'Pulling image "{image}"')
        t0 = time.monotonic()
        try:
            ref = await self.images.pull_image(spec, _docker_auth(pull_secrets, image), sandbox)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.image_backoff.next(key)
            self._image_errors[key] = str(e)
            self.event(pod, name, "Warning", "Failed", f'Failed to pull image "{image}": {e}')
            self.event(pod, name, "Warning", "Failed", "Error: ErrImagePull")
            raise StartError("ErrImagePull", str(e)) from None
        self.image_backoff.reset(key)
        self._image_errors.pop(key, None)
        took = time.monotonic() - t0
        size = 0
        try:
            img = await self.images.image_status(spec)
            size = img.size if img is not None else 0
        except Exception:  # size is only for the event
            pass
        self.event(pod, name, "Normal", "Pulled", f'Successfully pulled image "{image}" in {took:.3f}s '
                                                  f"({took:.3f}s including waiting). Image size: {size} bytes.")
        return ref

    # -- start ----------------------------------------------------------------------------------------------------

    def backoff_key(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> str:
        m = pod.get("metadata") or {}
        return f"{m.get('name', '')}_{m.get('namespace', '')}_{m.get('uid', '')}_{container.get('name', '')}_" \
               f"{container_hash(container)}"

    def check_backoff(self, pod: Mapping[str, Any], container: Mapping[str, Any], rt: PodRuntime) -> float:
        """Raise StartError("CrashLoopBackOff") while the container's restart is backed off; else record the
        restart and return 0.  The error's ``retry_after`` attribute says when to try again."""
        # the newest instance that exited (the running one may be about to be killed, e.g. by its liveness probe)
        latest = next((c for c in rt.instances(container.get("name", ""))
                       if c.state == ContainerState.CONTAINER_EXITED), None)
        if latest is None:
            return 0.0
        key = self.backoff_key(pod, container)
        finished = latest.finished_at / 1e9 if latest.finished_at else self.clock()
        if self.backoff.in_backoff_since(key, finished):
            self.event(pod, container.get("name", ""), "Warning", "BackOff",
                       f"Back-off restarting failed container {container.get('name', '')} in pod "
                       f"{pod_full_name(pod)}")
            err = StartError("CrashLoopBackOff",
                             f"back-off {format_duration(self.backoff.get(key))} restarting failed container="
                             f"{container.get('name', '')} pod={pod_full_name(pod)}")
            err.retry_after = self.backoff.remaining(key, finished)  # type: ignore[attr-defined]
            raise err
        self.backoff.next(key)
        return 0.0

    async def start_container(self, pod: Mapping[str, Any], container: Mapping[str, Any], *, sandbox_id: str,
                              sandbox: PodSandboxConfig, rt: PodRuntime, options: OptionsFn,
                              pull_secrets: Sequence[Mapping[str, Any]], pod_ip: str, is_init: bool) -> str:
        """Pull, create, start and run postStart for one container; returns its id.  Raises StartError."""
        name = container.get("name", "")
        image_ref = await self.ensure_image(pod, container, pull_secrets, sandbox)
        latest = rt.latest(name)
        restart = 0
        if latest is not None:
            restart = restart_count(latest) + 1
        else:
            restart = _restart_count_from_logs(os.path.join(sandbox.log_directory, name))
        try:
            env, mounts = await options(container)
        except StartError as e:
            self.event(pod, name, "Warning", "Failed", f"Error: {e.message}")
            raise
        await self._check_non_root(pod, container, image_ref)
        term_log = self._termination_log(pod, container)
        if term_log is not None:
            mounts = [*mounts, Mount(container_path=container["terminationMessagePath"], host_path=term_log)]
        config = self.container_config(pod, container, image=image_ref, attempt=restart, env=env, mounts=mounts,
                                       is_init=is_init, termination_log=term_log)
        os.makedirs(os.path.join(sandbox.log_directory, name), mode=0o755, exist_ok=True)
        try:
            cid = await self.runtime.create_container(sandbox_id, config, sandbox)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.event(pod, name, "Warning", "Failed", f"Error: {e}")
            raise StartError("CreateContainerError", str(e)) from None
        self.event(pod, name, "Normal", "Created", f"Created container: {name}")
        try:
            await self.runtime.start_container(cid)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.event(pod, name, "Warning", "Failed", f"Error: {e}")
            raise StartError("RunContainerError", str(e)) from None
        self.event(pod, name, "Normal", "Started", f"Started container {name}")
        hook = (container.get("lifecycle") or {}).get("postStart")
        if hook:
            ok, msg = await self.run_handler(pod, container, cid, hook, pod_ip)
            if not ok:
                self.event(pod, name, "Warning", "FailedPostStartHook", "PostStartHook failed")
                await self.kill_container(pod, container, cid, name, message="FailedPostStartHook")
                raise StartError("PostStartHookError", msg)
        return cid

    def container_config(self, pod: Mapping[str, Any], container: Mapping[str, Any], *, image: str, attempt: int,
                         env: Sequence[tuple[str, str]], mounts: Sequence[Mount], is_init: bool,
                         termination_log: str | None = None) -> ContainerConfig:
        """CreateContainer's config (pure apart from reading the memory capacity given at construction)."""
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        name = container.get("name", "")
        labels = {LABEL_POD_NAME: meta.get("name", ""), LABEL_POD_NAMESPACE: meta.get("namespace", ""),
                  LABEL_POD_UID: meta.get("uid", ""), LABEL_CONTAINER_NAME: name}
        annotations = {ANNOTATION_HASH: container_hash(container), ANNOTATION_RESTART_COUNT: str(attempt),
                       ANNOTATION_TERMINATION_MESSAGE_PATH: container.get("terminationMessagePath") or "",
                       ANNOTATION_TERMINATION_MESSAGE_POLICY: container.get("terminationMessagePolicy") or "File",
                       ANNOTATION_POD_GRACE: str(spec.get("terminationGracePeriodSeconds", 30))}
        if is_init:
            annotations[ANNOTATION_INIT] = "true"
        if termination_log:
            annotations[ANNOTATION_TERMINATION_LOG] = termination_log
        prestop = (container.get("lifecycle") or {}).get("preStop")
        if prestop:
            annotations[ANNOTATION_PRESTOP] = orjson.dumps(prestop).decode()
        if container.get("ports"):
            annotations[ANNOTATION_PORTS] = orjson.dumps(container["ports"]).decode()
        return ContainerConfig(
            name=name, image=ImageSpec(image=container.get("image", ""), annotations={"io.kubernetes.image.ref":
                                                                                       image}),
            attempt=attempt, command=expand_command(container.get("command"), env),
            args=expand_command(container.get("args"), env), working_dir=container.get("workingDir") or "",
            envs=[KeyValue(k, v) for k, v in env], mounts=list(mounts), labels=labels, annotations=annotations,
            log_path=f"{name}/{attempt}.log", stdin=bool(container.get("stdin")),
            stdin_once=bool(container.get("stdinOnce")), tty=bool(container.get("tty")),
            resources=linux_resources(pod, container, memory_capacity=self.memory_capacity, is_init=is_init),
            security_context=container_security(pod, container))

    async def _check_non_root(self, pod: Mapping[str, Any], container: Mapping[str, Any], image_ref: str) -> None:
        psc = (pod.get("spec") or {}).get("securityContext") or {}
        csc = container.get("securityContext") or {}
        if not csc.get("runAsNonRoot", psc.get("runAsNonRoot")):
            return
        uid = csc.get("runAsUser", psc.get("runAsUser"))
        if uid is None:
            try:
                img = await self.images.image_status(ImageSpec(image=container.get("image", "")))
            except Exception:
                img = None
            if img is not None and img.uid is not None:
                uid = img.uid
            elif img is not None and img.username and not img.username.isdigit():
                msg = (f"container has runAsNonRoot and image has non-numeric user ({img.username}), cannot verify "
                       "user is non-root (pod: \"%s\", container: %s)" % (pod_full_name(pod),
                                                                          container.get("name", "")))
                self.event(pod, container.get("name", ""), "Warning", "Failed", f"Error: {msg}")
                raise StartError("CreateContainerConfigError", msg)
            else:
                uid = 0
        if int(uid) == 0:
            msg = ("container has runAsNonRoot and image will run as root (pod: \"%s\", container: %s)"
                   % (pod_full_name(pod), container.get("name", "")))
            self.event(pod, container.get("name", ""), "Warning", "Failed", f"Error: {msg}")
            raise StartError("CreateContainerConfigError", msg)

    def _termination_log(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> str | None:
        if not container.get("terminationMessagePath"):
            return None
        uid = (pod.get("metadata") or {}).get("uid", "")
        d = self.pod_dir(uid) / "containers" / container.get("name", "")
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{_secrets.randbits(32):08x}"
        path.touch()
        os.chmod(path, 0o666)
        return str(path)

    # -- hooks ----------------------------------------------------------------------------------------------------

    async def run_handler(self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str,
                          handler: Mapping[str, Any], pod_ip: str) -> tuple[bool, str]:
        """Run a lifecycle handler (exec, httpGet, sleep; tcpSocket is accepted and does nothing).  Returns
        (succeeded, message)."""
        name = container.get("name", "")
        if handler.get("exec") is not None:
            cmd = list((handler["exec"] or {}).get("command") or ())
            try:
                resp = await self.runtime.exec_sync(container_id, cmd, timeout=0)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                return False, (f"Exec lifecycle hook ({shlex.join(cmd)}) for Container \"{name}\" in Pod "
                               f"\"{pod_full_name(pod)}\" failed - error: {e}, message: \"\"")
            if resp.exit_code != 0:
                out = (resp.stdout + resp.stderr).decode("utf-8", "replace")
                return False, (f"Exec lifecycle hook ({shlex.join(cmd)}) for Container \"{name}\" in Pod "
                               f"\"{pod_full_name(pod)}\" failed - error: command '{shlex.join(cmd)}' exited with "
                               f"{resp.exit_code}: {out}, message: \"{out}\"")
            return True, ""
        if handler.get("httpGet") is not None:
            h = handler["httpGet"]
            try:
                port = resolve_port(h.get("port"), container)
            except ValueError as e:
                return False, str(e)
            host = h.get("host") or pod_ip
            scheme = (h.get("scheme") or "HTTP").lower()
            path = h.get("path") or "/"
            if not path.startswith("/"):
                path = "/" + path
            hp = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            headers = {x.get("name", ""): x.get("value", "") for x in h.get("httpHeaders") or ()}
            outcome = await http_get(f"{scheme}://{hp}{path}", headers=headers, timeout=30)
            if outcome.result == Result.FAILURE and not outcome.output.startswith("HTTP probe failed"):
                return False, f"HTTP lifecycle hook ({path}) for Container \"{name}\" in Pod " \
                              f"\"{pod_full_name(pod)}\" failed - error: {outcome.output}"
            return True, ""
        if handler.get("sleep") is not None:
            await asyncio.sleep(float((handler["sleep"] or {}).get("seconds") or 0))
            return True, ""
        return True, ""

    # -- stop -----------------------------------------------------------------------------------------------------

    async def kill_container(self, pod: Mapping[str, Any], container: Mapping[str, Any] | None, container_id: str,
                             name: str, *, message: str = "", reason: str = "",
                             grace_override: int | None = None, pod_ip: str = "") -> None:
        """preStop within the grace period, then stop (SIGTERM, SIGKILL after the rest of it).  A container
        that is already gone is fine; other runtime errors propagate."""
        grace = grace_period(pod, container, reason)
        if grace_override is not None:
            grace = grace_override
        self.event(pod, name, "Normal", "Killing", message or f"Stopping container {name}")
        log.info("stopping container %s of pod %s (grace period %ss, preStop: %s)", name, pod_full_name(pod), grace,
                 bool(((container or {}).get("lifecycle") or {}).get("preStop")))
        prestop = ((container or {}).get("lifecycle") or {}).get("preStop")
        if prestop and grace > 0:
            t0 = time.monotonic()
            try:
                ok, _ = await asyncio.wait_for(
                    self.run_handler(pod, container or {"name": name}, container_id, prestop, pod_ip), grace)
                if not ok:
                    self.event(pod, name, "Warning", "FailedPreStopHook", "PreStopHook failed")
            except asyncio.TimeoutError:
                log.info("preStop hook of %s/%s did not finish within %ss", pod_full_name(pod), name, grace)
            grace -= int(time.monotonic() - t0)
        grace = max(grace, MIN_GRACE)
        try:
            await self.runtime.stop_container(container_id, grace)
        except NotFoundError:
            pass

    async def kill_pod(self, pod: Mapping[str, Any], rt: PodRuntime, *, grace_override: int | None = None,
                       pod_ip: str = "") -> None:
        """Stop every running container (in parallel; sidecars after the others) then every ready sandbox."""
        spec = pod.get("spec") or {}
        specs = {c.get("name"): c for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]}
        sidecars = {c.get("name") for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"}
        running = [c for c in rt.containers if c.state in (ContainerState.CONTAINER_RUNNING,
                                                          ContainerState.CONTAINER_CREATED,
                                                          ContainerState.CONTAINER_UNKNOWN)]

        async def kill(c: Any) -> None:
            spec_c = specs.get(c.name)
            if spec_c is None:
                spec_c = _restored_spec(c)
            await self.kill_container(pod, spec_c, c.id, c.name, grace_override=grace_override, pod_ip=pod_ip)

        first = [c for c in running if c.name not in sidecars]
        await asyncio.gather(*(kill(c) for c in first))
        await asyncio.gather(*(kill(c) for c in running if c.name in sidecars))
        for sb in rt.sandboxes:
            try:
                await self.runtime.stop_pod_sandbox(sb.id)
            except NotFoundError:
                pass

    async def remove_pod(self, rt: PodRuntime) -> None:
        """Remove every container and sandbox of the pod (they must be stopped)."""
        for c in rt.containers:
            try:
                await self.runtime.remove_container(c.id)
            except NotFoundError:
                pass
        for sb in rt.sandboxes:
            try:
                await self.runtime.stop_pod_sandbox(sb.id)
            except NotFoundError:
                pass
            try:
                await self.runtime.remove_pod_sandbox(sb.id)
            except NotFoundError:
                pass

    async def prune(self, pod: Mapping[str, Any], rt: PodRuntime) -> None:
        """Keep, per container name, the newest instance and the newest exited one before it (for ``--previous``
        logs and lastState); remove older exited instances and their termination-log files."""
        seen: dict[str, int] = {}
        for c in rt.containers:
            n = seen.get(c.name, 0)
            seen[c.name] = n + 1
            if n >= 2 and c.state == ContainerState.CONTAINER_EXITED:
                try:
                    await self.runtime.remove_container(c.id)
                except NotFoundError:
                    pass
                for m in c.mounts:
                    if "/containers/" in m.host_path and m.host_path.startswith(str(self.pod_dir(rt.uid))):
                        try:
                            os.unlink(m.host_path)
                        except OSError:
                            pass
        for sb in rt.sandboxes[1:]:
            # older sandboxes of this pod: stopped when replaced; remove them once no container refers to them
            try:
                await self.runtime.stop_pod_sandbox(sb.id)
                await self.runtime.remove_pod_sandbox(sb.id)
            except NotFoundError:
                pass
            except Exception as e:  # a sandbox with containers left: try again next time
                log.debug("sandbox %s not removed yet: %s", sb.id, e)


def _restored_spec(c: Any) -> Json:
    """A container spec rebuilt from a container's annotations (to run preStop when the pod spec is gone)."""
    spec: Json = {"name": c.name}
    raw = (c.annotations or {}).get(ANNOTATION_PRESTOP)
    if raw:
        try:
            spec["lifecycle"] = {"preStop": orjson.loads(raw)}
        except orjson.JSONDecodeError:
            pass
    return spec


def _restart_count_from_logs(log_dir: str) -> int:
    """After the runtime lost a container's instances: one more than the highest ``<n>.log`` in its log
    directory (so a new log file never overwrites an old one), else 0."""
    try:
        names = os.listdir(log_dir)
    except OSError:
        return 0
    counts = [int(n[:-4]) for n in names if n.endswith(".log") and n[:-4].isdigit()]
    return max(counts) + 1 if counts else 0

