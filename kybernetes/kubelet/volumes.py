"""Pod volumes on the node: where they live, what they hold, and how containers see them.

Every pod owns ``<root-dir>/pods/<uid>/``; a volume lives in ``volumes/kubernetes.io~<plugin>/<name>`` below it
(upstream's layout).  Plugins:

- ``emptyDir``: a directory; ``medium: Memory`` mounts a tmpfs there, sized by ``sizeLimit`` (else by the pod's
  memory limit when every container has one).  A disk emptyDir over its ``sizeLimit`` gets the pod evicted
  (:func:`emptydir_over_limit`).
- ``hostPath``: the node path itself, after the ``type`` check (``DirectoryOrCreate``/``FileOrCreate`` create it).
- ``configMap``, ``secret``, ``downwardAPI``, ``projected``: files computed by the pure ``*_payload`` functions and
  written with :mod:`~kybernetes.kubelet.atomicwriter`, so re-running setup after the source changed swaps the
  content atomically.  ``items`` pick keys (and paths and modes), ``defaultMode`` applies otherwise (0644),
  ``optional`` turns a missing source or key into nothing instead of an error.  A projected
  ``serviceAccountToken`` is requested through the TokenRequest API (``serviceaccounts/<name>/token``) and
  refreshed after 80% of its lifetime.

Container mounts (:func:`container_mounts`) resolve ``subPath``/``subPathExpr`` inside the volume (never outside:
``..`` and symlinks leaving the volume are refused; a missing subPath is created as a directory), and add the
pod's managed ``/etc/hosts`` and each container's termination-log file.  :meth:`VolumeManager.teardown` unmounts
what it mounted and removes the pod's directory.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from kybernetes.cri.api import Mount
from kybernetes.kubelet.atomicwriter import Payload, write_payload
from kybernetes.kubelet.envvars import EnvError, expand, resource_field_value
from kybernetes.machinery.quantity import parse_quantity

__all__ = [
    "VolumeError", "configmap_payload", "secret_payload", "downward_payload", "projected_payload",
    "format_map", "field_value", "resolve_subpath", "container_mounts", "VolumeManager", "TokenSource",
    "plugin_dir_name", "emptydir_over_limit", "dir_usage", "Mounter", "hosts_file", "DEFAULT_MODE",
]

log = logging.getLogger(__name__)

DEFAULT_MODE = 0o644

Json = dict[str, Any]
Lookup = Callable[[str, str], "Json | None"]


class VolumeError(Exception):
    """A volume cannot be set up (the message is what the FailedMount event says after the volume name)."""


# -- payloads (pure) ----------------------------------------------------------------------------------------------

def format_map(m: Mapping[str, str]) -> str:
    """``key="value"`` lines sorted by key, values quoted as Go's %q (the downward API's labels/annotations)."""
    return "\n".join(f"{k}={json.dumps(m[k], ensure_ascii=False)}" for k in sorted(m))


def field_value(pod: Mapping[str, Any], path: str) -> str:
    """A downward API ``fieldRef`` value for volumes; raises VolumeError for an unsupported path."""
    meta = pod.get("metadata") or {}
    if path == "metadata.name":
        return meta.get("name", "")
    if path == "metadata.namespace":
        return meta.get("namespace", "")
    if path == "metadata.uid":
        return meta.get("uid", "")
    if path == "metadata.labels":
        return format_map(meta.get("labels") or {})
    if path == "metadata.annotations":
        return format_map(meta.get("annotations") or {})
    for kind in ("labels", "annotations"):
        prefix = f"metadata.{kind}['"
        if path.startswith(prefix) and path.endswith("']"):
            return (meta.get(kind) or {}).get(path[len(prefix):-2], "")
    raise VolumeError(f"unsupported fieldPath: {path}")


def _mode(value: Any, default: int) -> int:
    return int(value) if value is not None else default


def configmap_payload(source: Mapping[str, Any], cm: Mapping[str, Any] | None, *,
                      default_mode: int | None = None) -> Payload:
    """Files of a configMap volume (or projection) from ConfigMap ``cm`` (None when it does not exist)."""
    mode = _mode(source.get("defaultMode") if default_mode is None else default_mode, DEFAULT_MODE)
    optional = bool(source.get("optional"))
    if cm is None:
        if optional:
            return {}
        raise VolumeError(f'configmap "{source.get("name", "")}" not found')
    data = cm.get("data") or {}
    binary = cm.get("binaryData") or {}

    def value(key: str) -> bytes | None:
        if key in data:
            return data[key].encode()
        if key in binary:
            return base64.b64decode(binary[key])
        return None

    out: Payload = {}
    items = source.get("items") or ()
    if not items:
        for k in [*data, *binary]:
            out[k] = (value(k) or b"", mode)
        return out
    for item in items:
        v = value(item.get("key", ""))
        if v is None:
            if optional:
                continue
            raise VolumeError(f"configmap references non-existent config key: {item.get('key', '')}")
        out[item.get("path", "")] = (v, _mode(item.get("mode"), mode))
    return out


def secret_payload(source: Mapping[str, Any], secret: Mapping[str, Any] | None, *,
                   default_mode: int | None = None, name_field: str = "secretName") -> Payload:
    """Files of a secret volume (or projection, ``name_field="name"``) from Secret ``secret`` (or None)."""
    mode = _mode(source.get("defaultMode") if default_mode is None else default_mode, DEFAULT_MODE)
    optional = bool(source.get("optional"))
    if secret is None:
        if optional:
            return {}
        raise VolumeError(f'secret "{source.get(name_field, "")}" not found')
    data = secret.get("data") or {}
    out: Payload = {}
    items = source.get("items") or ()
    if not items:
        for k, v in data.items():
            out[k] = (base64.b64decode(v), mode)
        return out
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise VolumeError(f"references non-existent secret key: {key}")
        out[item.get("path", "")] = (base64.b64decode(data[key]), _mode(item.get("mode"), mode))
    return out


def downward_payload(items: Sequence[Mapping[str, Any]], pod: Mapping[str, Any], *, default_mode: int,
                     node_allocatable: Mapping[str, str]) -> Payload:
    """Files of a downwardAPI volume (or projection): pod fields and container resources."""
    out: Payload = {}
    containers = {c.get("name"): c for c in [*((pod.get("spec") or {}).get("initContainers") or ()),
                                             *((pod.get("spec") or {}).get("containers") or ())]}
    for item in items:
        mode = _mode(item.get("mode"), default_mode)
        if item.get("fieldRef"):
            value = field_value(pod, item["fieldRef"].get("fieldPath", ""))
        elif item.get("resourceFieldRef"):
            ref = item["resourceFieldRef"]
            c = containers.get(ref.get("containerName"))
            if c is None:
                raise VolumeError(f"container {ref.get('containerName', '')} not found in pod")
            try:
                value = resource_field_value(c, ref, node_allocatable)
            except EnvError as e:
                raise VolumeError(str(e)) from None
        else:
            continue
        out[item.get("path", "")] = (value.encode(), mode)
    return out


TokenSource = Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[str]]
"""``await token_source(pod, serviceAccountToken_projection)`` -> the token (raises VolumeError)."""


async def projected_payload(source: Mapping[str, Any], pod: Mapping[str, Any], *, configmaps: Lookup,
                            secrets: Lookup, tokens: TokenSource | None,
                            node_allocatable: Mapping[str, str]) -> Payload:
    """Files of a projected volume: its sources merged in order (later paths win)."""
    mode = _mode(source.get("defaultMode"), DEFAULT_MODE)
    ns = (pod.get("metadata") or {}).get("namespace", "")
    out: Payload = {}
    for src in source.get("sources") or ():
        if src.get("configMap") is not None:
            s = src["configMap"]
            out.update(configmap_payload(s, configmaps(ns, s.get("name", "")), default_mode=mode))
        elif src.get("secret") is not None:
            s = src["secret"]
            out.update(secret_payload(s, secrets(ns, s.get("name", "")), default_mode=mode, name_field="name"))
        elif src.get("downwardAPI") is not None:
            out.update(downward_payload(src["downwardAPI"].get("items") or (), pod, default_mode=mode,
                                        node_allocatable=node_allocatable))
        elif src.get("serviceAccountToken") is not None:
            s = src["serviceAccountToken"]
            if tokens is None:
                raise VolumeError("service account tokens are not available on this node")
            token = await tokens(pod, s)
            out[s.get("path", "token")] = (token.encode(), mode)
        elif src.get("clusterTrustBundle") is not None:
            raise VolumeError("clusterTrustBundle projections are not supported")
    return out


# -- subPath and container mounts ---------------------------------------------------------------------------------

def resolve_subpath(volume_path: str, sub_path: str) -> str:
    """The host path of ``sub_path`` inside ``volume_path``, created as a directory when missing.  Raises
    VolumeError for absolute paths, ``..`` elements, or symlinks that lead outside the volume."""
    if sub_path.startswith("/"):
        raise VolumeError(f"subPath {sub_path!r} must be a relative path")
    if any(part == ".." for part in sub_path.split("/")):
        raise VolumeError(f"subPath {sub_path!r} must not contain '..'")
    base = os.path.realpath(volume_path)
    target = os.path.join(volume_path, sub_path)
    if not os.path.lexists(target):
        os.makedirs(target, mode=0o755, exist_ok=True)
    real = os.path.realpath(target)
    if real != base and not real.startswith(base + os.sep):
        raise VolumeError(f"subpath {sub_path!r} not within volume path {volume_path!r}")
    return real


def hosts_file(pod: Mapping[str, Any], pod_ips: Sequence[str], *, cluster_domain: str,
               host_hosts: str | None = None) -> str:
    """The managed /etc/hosts of a pod (the node's own file plus aliases for host-network pods)."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    lines: list[str] = []
    if spec.get("hostNetwork"):
        lines.append("# Kubernetes-managed hosts file (host network).")
        if host_hosts:
            lines.append(host_hosts.rstrip("\n"))
    else:
        lines += ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
                  "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix",
                  "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
        hostname = (spec.get("hostname") or meta.get("name", ""))[:63].rstrip("-.")
        for ip in pod_ips:
            if spec.get("subdomain"):
                fqdn = f"{hostname}.{spec['subdomain']}.{meta.get('namespace', '')}.svc.{cluster_domain}"
                lines.append(f"{ip}\t{fqdn}\t{hostname}")
            else:
                lines.append(f"{ip}\t{hostname}")
    aliases = spec.get("hostAliases") or ()
    if aliases:
        lines.append("")
        lines.append("# Entries added by HostAliases.")
        for a in aliases:
            lines.append(f"{a.get('ip', '')}\t" + "\t".join(a.get("hostnames") or ()))
    return "\n".join(lines) + "\n"


_PROPAGATION = {None: "PROPAGATION_PRIVATE", "None": "PROPAGATION_PRIVATE",
                "HostToContainer": "PROPAGATION_HOST_TO_CONTAINER", "Bidirectional": "PROPAGATION_BIDIRECTIONAL"}


def container_mounts(pod: Mapping[str, Any], container: Mapping[str, Any], volume_paths: Mapping[str, str],
                     env: Sequence[tuple[str, str]], *, etc_hosts: str | None,
                     termination_log: str | None) -> list[Mount]:
    """The CRI mounts of one container; raises VolumeError for an unknown volume or a bad subPath."""
    mounts: list[Mount] = []
    table = dict(env)
    mounts_etc_hosts = False
    for vm in container.get("volumeMounts") or ():
        name = vm.get("name", "")
        if name not in volume_paths:
            raise VolumeError(f"cannot find volume {name!r} to mount into container {container.get('name', '')!r}")
        host = volume_paths[name]
        sub = vm.get("subPath") or ""
        if vm.get("subPathExpr"):
            sub = expand(vm["subPathExpr"], table.get)
        if sub:
            host = resolve_subpath(host, sub)
        path = vm.get("mountPath", "")
        if os.path.normpath(path) == "/etc/hosts":
            mounts_etc_hosts = True
        mounts.append(Mount(container_path=path, host_path=host, readonly=bool(vm.get("readOnly")),
                            propagation=_PROPAGATION.get(vm.get("mountPropagation"), "PROPAGATION_PRIVATE")))
    if etc_hosts and not mounts_etc_hosts:
        mounts.append(Mount(container_path="/etc/hosts", host_path=etc_hosts))
    if termination_log and container.get("terminationMessagePath"):
        mounts.append(Mount(container_path=container["terminationMessagePath"], host_path=termination_log))
    return mounts


# -- sizes --------------------------------------------------------------------------------------------------------

def dir_usage(path: str) -> int:
    """Bytes used by the files under ``path`` (no symlinks followed)."""
    total = 0
    stack = [path]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file(follow_symlinks=False):
                            total += e.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def emptydir_over_limit(pod: Mapping[str, Any], volume_paths: Mapping[str, str]) -> tuple[str, str] | None:
    """(volume name, limit) of the first disk emptyDir whose usage exceeds its sizeLimit, else None."""
    for v in (pod.get("spec") or {}).get("volumes") or ():
        ed = v.get("emptyDir")
        if ed is None or ed.get("medium") == "Memory" or not ed.get("sizeLimit"):
            continue
        path = volume_paths.get(v.get("name", ""))
        if path and dir_usage(path) > parse_quantity(ed["sizeLimit"]):
            return v.get("name", ""), ed["sizeLimit"]
    return None


# -- mounting -----------------------------------------------------------------------------------------------------

class Mounter:
    """tmpfs mounts through mount(8)/umount(8)."""

    def is_mounted(self, path: str) -> bool:
        path = os.path.realpath(path)
        try:
            with open("/proc/self/mountinfo") as f:
                return any(line.split()[4] == path for line in f)
        except OSError:
            return False

    def mounts_under(self, path: str) -> list[str]:
        path = os.path.realpath(path)
        out = []
        try:
            with open("/proc/self/mountinfo") as f:
                for line in f:
                    mp = line.split()[4].replace("\\040", " ")
                    if mp == path or mp.startswith(path + "/"):
                        out.append(mp)
        except OSError:
            pass
        return sorted(out, key=len, reverse=True)

    def mount_tmpfs(self, path: str, size: int | None) -> None:
        opts = ["-o", f"size={size}"] if size else []
        r = subprocess.run(["mount", "-t", "tmpfs", *opts, "tmpfs", path], capture_output=True, text=True)
        if r.returncode != 0:
            raise VolumeError(f"mount of tmpfs at {path} failed: {r.stderr.strip() or r.returncode}")

    def unmount(self, path: str) -> None:
        r = subprocess.run(["umount", path], capture_output=True, text=True)
        if r.returncode != 0:
            r = subprocess.run(["umount", "-l", path], capture_output=True, text=True)
            if r.returncode != 0:
                raise OSError(f"umount {path}: {r.stderr.strip()}")


def plugin_dir_name(volume: Mapping[str, Any]) -> str:
    """``kubernetes.io~<plugin>`` for a volume source."""
    for key, plugin in (("emptyDir", "empty-dir"), ("hostPath", "host-path"), ("configMap", "configmap"),
                        ("secret", "secret"), ("downwardAPI", "downward-api"), ("projected", "projected")):
        if volume.get(key) is not None:
            return f"kubernetes.io~{plugin}"
    return "kubernetes.io~unsupported"


def _check_host_path(path: str, type_: str) -> None:
    """The hostPath type check (creating for the *OrCreate types); raises VolumeError."""
    if type_ in ("", None):
        return
    if type_ == "DirectoryOrCreate":
        if not os.path.exists(path):
            os.makedirs(path, mode=0o755, exist_ok=True)
            return
        type_ = "Directory"
    if type_ == "FileOrCreate":
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
            os.close(fd)
            return
        type_ = "File"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    checks = {"Directory": (stat.S_ISDIR, "a directory"), "File": (stat.S_ISREG, "a file"),
              "Socket": (stat.S_ISSOCK, "a socket file"), "CharDevice": (stat.S_ISCHR, "a character device"),
              "BlockDevice": (stat.S_ISBLK, "a block device")}
    if type_ not in checks:
        raise VolumeError(f"hostPath type check failed: unknown type {type_!r}")
    fn, what = checks[type_]
    if st is None or not fn(st.st_mode):
        raise VolumeError(f"hostPath type check failed: {path} is not {what}")


@dataclass
class _Token:
    token: str
    issued: float
    expires: float


@dataclass
class PodVolumes:
    """What setup produced for one pod: volume name -> host path, and the tmpfs it mounted."""

    paths: dict[str, str] = field(default_factory=dict)
    tmpfs: set[str] = field(default_factory=set)


class VolumeManager:
    """Sets up and tears down pod volumes under ``<root>/pods``.  Safe for concurrent use by different pods;
    one pod's setup must not run concurrently with itself (the pod worker guarantees it)."""

    def __init__(self, root: str | os.PathLike[str], *, mounter: Mounter | None = None,
                 request_token: Callable[[str, str, Json], Awaitable[Json]] | None = None,
                 node_allocatable: Callable[[], Mapping[str, str]] = dict,
                 clock: Callable[[], float] = time.time) -> None:
        self.root = Path(root)
        self.mounter = mounter or Mounter()
        self._request_token = request_token
        self.node_allocatable = node_allocatable
        self.clock = clock
        self._tokens: dict[tuple[str, ...], _Token] = {}
        self.pods: dict[str, PodVolumes] = {}

    def pod_dir(self, uid: str) -> Path:
        return self.root / "pods" / uid

    def volume_dir(self, uid: str, volume: Mapping[str, Any]) -> Path:
        return self.pod_dir(uid) / "volumes" / plugin_dir_name(volume) / volume.get("name", "")

    async def token(self, pod: Mapping[str, Any], proj: Mapping[str, Any]) -> str:
        """A bound service account token for ``pod`` (cached; renewed after 80% of its life or 24 h)."""
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        sa = spec.get("serviceAccountName") or "default"
        audience = proj.get("audience") or ""
        seconds = int(proj.get("expirationSeconds") or 3600)
        key = (meta.get("uid", ""), sa, audience, str(seconds))
        cached = self._tokens.get(key)
        now = self.clock()
        if cached is not None and now < cached.issued + min(0.8 * (cached.expires - cached.issued), 86400):
            return cached.token
        if self._request_token is None:
            raise VolumeError("service account tokens are not available: the kubelet has no API client")
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"audiences": [audience] if audience else [], "expirationSeconds": seconds,
                         "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": meta.get("name", ""),
                                            "uid": meta.get("uid", "")}}}
        answer = await self._request_token(meta.get("namespace", ""), sa, body)
        token = ((answer or {}).get("status") or {}).get("token")
        if not token:
            raise VolumeError(f"failed to fetch token: the TokenRequest for service account {sa!r} returned none")
        self._tokens[key] = _Token(token, now, now + seconds)
        return token

    async def setup(self, pod: Mapping[str, Any], *, configmaps: Lookup, secrets: Lookup,
                    fs_group: int | None = None) -> PodVolumes:
        """Create or refresh every volume of ``pod``; returns name -> host path.  Raises VolumeError naming the
        first volume that failed (``MountVolume.SetUp failed for volume "<name>" : <why>``)."""
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        uid = meta.get("uid", "")
        state = self.pods.setdefault(uid, PodVolumes())
        pod_dir = self.pod_dir(uid)
        pod_dir.mkdir(parents=True, exist_ok=True)
        (pod_dir / "containers").mkdir(exist_ok=True)
        alloc = self.node_allocatable()
        if fs_group is None:
            fs_group = (spec.get("securityContext") or {}).get("fsGroup")
        for v in spec.get("volumes") or ():
            name = v.get("name", "")
            try:
                state.paths[name] = await self._setup_one(pod, v, state, configmaps=configmaps, secrets=secrets,
                                                          alloc=alloc, fs_group=fs_group)
            except VolumeError as e:
                raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : {e}') from None
            except OSError as e:
                raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : {e}') from None
        return state

    async def _setup_one(self, pod: Mapping[str, Any], v: Mapping[str, Any], state: PodVolumes, *,
                         configmaps: Lookup, secrets: Lookup, alloc: Mapping[str, str],
                         fs_group: int | None) -> str:
        meta = pod.get("metadata") or {}
        ns = meta.get("namespace", "")
        uid = meta.get("uid", "")
        if v.get("hostPath") is not None:
            hp = v["hostPath"]
            path = hp.get("path", "")
            await asyncio.to_thread(_check_host_path, path, hp.get("type") or "")
            return path
        d = self.volume_dir(uid, v)
        if v.get("emptyDir") is not None:
            ed = v["emptyDir"]
            d.mkdir(parents=True, exist_ok=True)
            if ed.get("medium") == "Memory":
                if not self.mounter.is_mounted(str(d)):
                    size = _tmpfs_size(pod, ed)
                    await asyncio.to_thread(self.mounter.mount_tmpfs, str(d), size)
                state.tmpfs.add(str(d))
                os.chmod(d, 0o777)
            else:
                os.chmod(d, 0o777)
            if fs_group is not None:
                os.chown(d, -1, int(fs_group))
                os.chmod(d, 0o2777)
            return str(d)
        payload: Payload
        if v.get("configMap") is not None:
            src = v["configMap"]
            payload = configmap_payload(src, configmaps(ns, src.get("name", "")))
        elif v.get("secret") is not None:
            src = v["secret"]
            payload = secret_payload(src, secrets(ns, src.get("secretName", "")))
        elif v.get("downwardAPI") is not None:
            src = v["downwardAPI"]
            payload = downward_payload(src.get("items") or (), pod,
                                       default_mode=_mode(src.get("defaultMode"), DEFAULT_MODE),
                                       node_allocatable=alloc)
        elif v.get("projected") is not None:
            payload = await projected_payload(v["projected"], pod, configmaps=configmaps, secrets=secrets,
                                              tokens=self.token, node_allocatable=alloc)
        else:
            kinds = [k for k in v if k != "name"]
            raise VolumeError(f"volume type {kinds[0] if kinds else 'unknown'!r} is not supported by this kubelet")
        await asyncio.to_thread(write_payload, d, payload, gid=int(fs_group) if fs_group is not None else None)
        return str(d)

    def teardown(self, uid: str) -> None:
        """Unmount every mount under the pod's directory and remove it (idempotent).  Raises OSError when a
        mount cannot be removed (the directory is then left in place)."""
        self.pods.pop(uid, None)
        for key in [k for k in self._tokens if k[0] == uid]:
            del self._tokens[key]
        d = self.pod_dir(uid)
        if not d.exists():
            return
        for mp in self.mounter.mounts_under(str(d)):
            self.mounter.unmount(mp)
        if self.mounter.mounts_under(str(d)):
            raise OSError(f"mounts remain under {d}")
        shutil.rmtree(d, ignore_errors=True)

    def known_pod_dirs(self) -> list[str]:
        """UIDs that have a directory under ``<root>/pods`` (orphans are removed by the kubelet)."""
        base = self.root / "pods"
        if not base.exists():
            return []
        return [p.name for p in base.iterdir() if p.is_dir()]


def _tmpfs_size(pod: Mapping[str, Any], ed: Mapping[str, Any]) -> int | None:
    if ed.get("sizeLimit"):
        return int(parse_quantity(ed["sizeLimit"]))
    total = Fraction(0)
    for c in (pod.get("spec") or {}).get("containers") or ():
        lim = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        if not lim:
            return None
        total += parse_quantity(lim)
    return int(total) or None
