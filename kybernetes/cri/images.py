"""The image store: content-addressed OCI blobs, unpacked layers and per-container overlay root filesystems.

Layout under ``<root>/images``::

    oci-layout, index.json        an OCI image layout (index.json names every tagged manifest)
    blobs/sha256/<hex>            manifests, configs and layer tarballs, named by their digest
    layers/<diff-id hex>/         each layer unpacked on its own, whiteouts in overlayfs form
    images.json                   image id (sha256 of the config) -> tags, repo digests, layers, size, last use

A layer is unpacked once, into its own directory, converting whiteouts to what overlayfs understands: ``.wh.<name>``
becomes a 0:0 character device ``<name>`` and ``.wh..wh..opq`` marks its directory opaque
(``trusted.overlay.opaque=y``).  A container's rootfs is an overlay mount with the image's layer directories as
lowerdirs (top layer first) and a per-container upper/work pair.

Names follow the Docker conventions: ``busybox`` is ``docker.io/library/busybox:latest``; images are found by
name, by repo digest (``name@sha256:...``), by id or by an unambiguous id prefix.  A ``busybox`` image is built
locally from Debian's ``busybox-static`` (:meth:`ImageStore.ensure_busybox`) so an offline node runs workloads.

Methods are synchronous (file I/O); the runtime calls the slow ones in a worker thread.  One lock serialises
changes to ``images.json``.
"""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import io
import os
import shutil
import stat
import subprocess
import tarfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable

import orjson

from kybernetes.cri.api import NotFoundError, RuntimeError_
from kybernetes.cri.state import decode, encode, read_json, write_json

__all__ = ["ImageRecord", "ImageStore", "normalize_ref", "split_ref", "MEDIA_OCI_MANIFEST", "MEDIA_OCI_INDEX",
           "MEDIA_DOCKER_MANIFEST", "MEDIA_DOCKER_LIST", "MEDIA_OCI_CONFIG", "MEDIA_OCI_LAYER",
           "MEDIA_OCI_LAYER_GZIP", "BUSYBOX_TAGS", "mount_overlay", "unmount"]

MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

BUSYBOX_TAGS = ["docker.io/library/busybox:latest", "docker.io/library/busybox:1.36",
                "docker.io/library/busybox:1.35"]
BUSYBOX_BINARY = "/bin/busybox"

_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


def split_ref(ref: str) -> tuple[str, str, str]:
    """A normalized reference split into (repository, tag, digest); tag or digest may be ""."""
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    return name, tag, digest


def normalize_ref(ref: str) -> str:
    """Docker's familiar names made full: ``busybox`` -> ``docker.io/library/busybox:latest``,
    ``me/app:1`` -> ``docker.io/me/app:1``, ``127.0.0.1:5000/x`` -> ``127.0.0.1:5000/x:latest``.  A reference
    with a digest keeps it (and no default tag).  Raises ValueError for an empty reference."""
    ref = ref.strip()
    if not ref:
        raise ValueError("empty image reference")
    name, tag, digest = split_ref(ref)
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{first}"
    elif not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    elif first in ("index.docker.io", "registry-1.docker.io"):
        name = f"docker.io/{rest}"
    if name.startswith("docker.io/") and name.count("/") == 1:
        name = "docker.io/library/" + name.removeprefix("docker.io/")
    if digest:
        return f"{name}:{tag}@{digest}" if tag else f"{name}@{digest}"
    return f"{name}:{tag or 'latest'}"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mount_overlay(lowerdirs: list[str], upper: str, work: str, target: str) -> None:
    """Mount an overlayfs at ``target`` (lowerdirs top first).  Raises RuntimeError_ with errno's text."""
    opts = f"lowerdir={':'.join(lowerdirs)},upperdir={upper},workdir={work}"
    if len(opts) >= 4000:
        raise RuntimeError_("too many image layers for one overlay mount")
    if _libc.mount(b"overlay", target.encode(), b"overlay", 0, opts.encode()) != 0:
        err = ctypes.get_errno()
        raise RuntimeError_(f"mount overlay on {target}: {os.strerror(err)}")


def unmount(target: str) -> None:
    """Lazily unmount ``target``; not mounted is fine."""
    if _libc.umount2(target.encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        if err not in (22, 2):  # EINVAL: not a mount point; ENOENT
            raise RuntimeError_(f"umount {target}: {os.strerror(err)}")


@dataclass
class ImageRecord:
    """One image: its config digest is its id."""

    id: str  # sha256:<config digest hex>
    manifest_digest: str
    config_digest: str
    layers: list[str]  # diff ids (sha256:...) bottom first
    layer_blobs: list[str]  # blob digests matching ``layers``
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    size: int = 0
    last_used: float = 0.0
    pinned: bool = False


class _HashingReader(io.RawIOBase):
    """Wraps a file object; the sha256 of everything read through it is ``digest``."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.h = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.f.read(len(b))
        n = len(data)
        b[:n] = data
        self.h.update(data)
        return n

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


class ImageStore:
    """The image store under ``<root>/images`` (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root) / "images"
        self.blobs = self.root / "blobs" / "sha256"
        self.layers_dir = self.root / "layers"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.layers_dir.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        if not (self.root / "oci-layout").exists():
            write_json(self.root / "oci-layout", {"imageLayoutVersion": "1.0.0"})
        self._lock = threading.RLock()
        self._images: dict[str, ImageRecord] = {}
        data = read_json(self.root / "images.json") or {}
        for rec in data.get("images", []):
            r = decode(ImageRecord, rec)
            self._images[r.id] = r

    # ----- blobs
    def blob_path(self, digest: str) -> Path:
        algo, _, hexd = digest.partition(":")
        if algo != "sha256" or len(hexd) != 64 or not all(c in "0123456789abcdef" for c in hexd):
            raise RuntimeError_(f"unsupported digest {digest!r}")
        return self.blobs / hexd

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).exists()

    def read_blob(self, digest: str) -> bytes:
        try:
            return self.blob_path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"blob {digest} not found") from None

    def add_blob(self, data: bytes, expected: str | None = None) -> str:
        """Store ``data``; returns its digest.  Raises RuntimeError_ when it does not match ``expected``."""
        digest = "sha256:" + _sha256_hex(data)
        if expected and expected != digest:
            raise RuntimeError_(f"digest mismatch: expected {expected}, got {digest}")
        path = self.blob_path(digest)
        if not path.exists():
            tmp = self.root / "tmp" / f"{path.name}.{os.getpid()}.{threading.get_ident()}"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest

    def blob_writer(self) -> tuple[Path, Any]:
        """A temporary file to stream a blob into; finish with :meth:`commit_blob`."""
        tmp = self.root / "tmp" / f"blob.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}"
        return tmp, open(tmp, "wb")  # noqa: SIM115 - returned to the caller

    def commit_blob(self, tmp: Path, expected: str) -> str:
        """Move a streamed blob into place after checking its digest (removing it on mismatch)."""
        h = hashlib.sha256()
        with open(tmp, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = "sha256:" + h.hexdigest()
        if digest != expected:
            tmp.unlink(missing_ok=True)
            raise RuntimeError_(f"digest mismatch: expected {expected}, got {digest}")
        os.replace(tmp, self.blob_path(digest))
        return digest

    # ----- layers
    def layer_path(self, diff_id: str) -> Path:
        return self.layers_dir / diff_id.partition(":")[2]

    def unpack_layer(self, blob_digest: str, diff_id: str) -> Path:
        """Unpack a layer blob (tar, tar+gzip) into its directory, once; verifies the uncompressed digest."""
        target = self.layer_path(diff_id)
        if target.is_dir():
            return target
        tmp = self.root / "tmp" / f"layer.{target.name}.{os.getpid()}.{threading.get_ident()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            with open(self.blob_path(blob_digest), "rb") as raw:
                magic = raw.read(2)
                raw.seek(0)
                stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw  # type: ignore
                reader = _HashingReader(stream)
                buffered = io.BufferedReader(reader, 1 << 20)
                with tarfile.open(fileobj=buffered, mode="r|") as tar:
                    _extract_layer(tar, str(tmp))
                while buffered.read(1 << 20):
                    pass
            got = "sha256:" + reader.h.hexdigest()
            if diff_id and got != diff_id:
                raise RuntimeError_(f"layer {blob_digest}: uncompressed digest {got} is not {diff_id}")
            try:
                os.rename(tmp, target)
            except OSError:
                if not target.is_dir():
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
        except (OSError, tarfile.TarError, EOFError, zlib.error) as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError_(f"unpacking layer {blob_digest}: {e}") from e
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    # ----- images
    def _save(self) -> None:
        write_json(self.root / "images.json", {"images": [encode(r) for r in self._images.values()]})
        manifests = []
        for r in self._images.values():
            for tag in r.repo_tags or [""]:
                desc: dict[str, Any] = {"mediaType": MEDIA_OCI_MANIFEST, "digest": r.manifest_digest,
                                        "size": self.blob_path(r.manifest_digest).stat().st_size
                                        if self.has_blob(r.manifest_digest) else 0}
                if tag:
                    desc["annotations"] = {"org.opencontainers.image.ref.name": tag,
                                           "io.containerd.image.name": tag}
                manifests.append(desc)
        write_json(self.root / "index.json", {"schemaVersion": 2, "mediaType": MEDIA_OCI_INDEX,
                                              "manifests": manifests})

    def add_image(self, manifest: bytes, names: Iterable[str] = (), repo: str = "") -> ImageRecord:
        """Register an image whose manifest, config and layer blobs are stored: unpacks its layers, tags it with
        ``names`` (normalized) and records ``repo@<manifest digest>``.  Returns the record."""
        manifest_digest = self.add_blob(manifest)
        doc = orjson.loads(manifest)
        config_digest = doc["config"]["digest"]
        config = orjson.loads(self.read_blob(config_digest))
        diff_ids = list(config.get("rootfs", {}).get("diff_ids") or [])
        layer_blobs = [d["digest"] for d in doc.get("layers", [])]
        if len(diff_ids) != len(layer_blobs):
            raise RuntimeError_("image config and manifest disagree on the number of layers")
        for blob, diff in zip(layer_blobs, diff_ids):
            self.unpack_layer(blob, diff)
        size = len(manifest) + int(doc["config"].get("size", 0)) + sum(int(d.get("size", 0))
                                                                        for d in doc.get("layers", []))
        image_id = config_digest
        with self._lock:
            rec = self._images.get(image_id)
            if rec is None:
                rec = ImageRecord(id=image_id, manifest_digest=manifest_digest, config_digest=config_digest,
                                  layers=diff_ids, layer_blobs=layer_blobs, size=size, last_used=time.time())
                self._images[image_id] = rec
            for name in names:
                self._tag_locked(rec, normalize_ref(name))
            if repo:
                rd = f"{split_ref(normalize_ref(repo))[0]}@{manifest_digest}"
                if rd not in rec.repo_digests:
                    rec.repo_digests.append(rd)
            self._save()
        return rec

    def _tag_locked(self, rec: ImageRecord, ref: str) -> None:
        if "@" in ref:
            return
        for other in self._images.values():
            if other is not rec and ref in other.repo_tags:
                other.repo_tags.remove(ref)  # a tag moves to the newer image
        if ref not in rec.repo_tags:
            rec.repo_tags.append(ref)

    def tag(self, image: str, ref: str) -> None:
        """Add tag ``ref`` to an existing image.  Raises NotFoundError."""
        with self._lock:
            rec = self.resolve(image)
            if rec is None:
                raise NotFoundError(f"image {image!r} not found")
            self._tag_locked(rec, normalize_ref(ref))
            self._save()

    def list(self) -> list[ImageRecord]:
        with self._lock:
            return list(self._images.values())

    def resolve(self, image: str) -> ImageRecord | None:
        """The image named by tag, repo digest, id or id prefix (>= 6 hex digits), or None."""
        with self._lock:
            if not image:
                return None
            if image.startswith("sha256:") and image in self._images:
                return self._images[image]
            hexpart = image.removeprefix("sha256:")
            if len(hexpart) >= 6 and all(c in "0123456789abcdef" for c in hexpart):
                found = [r for r in self._images.values() if r.id.removeprefix("sha256:").startswith(hexpart)]
                if len(found) == 1:
                    return found[0]
            try:
                ref = normalize_ref(image)
            except ValueError:
                return None
            name, tag, digest = split_ref(ref)
            for r in self._images.values():
                if digest:
                    if f"{name}@{digest}" in r.repo_digests or (r.manifest_digest == digest
                                                                and any(split_ref(t)[0] == name for t in r.repo_tags)):
                        return r
                elif ref in r.repo_tags:
                    return r
            return None

    def config(self, rec: ImageRecord) -> dict[str, Any]:
        """The image config document (``config`` holds Entrypoint/Cmd/Env/WorkingDir/User/StopSignal)."""
        return orjson.loads(self.read_blob(rec.config_digest))

    def touch(self, rec: ImageRecord) -> None:
        with self._lock:
            rec.last_used = time.time()
            self._save()

    def remove(self, image: str, keep_layers: set[str] | None = None) -> bool:
        """Remove the image (all its tags) and the blobs and layers no other image needs; layers in
        ``keep_layers`` (diff ids mounted by containers) stay.  False when no such image."""
        with self._lock:
            rec = self.resolve(image)
            if rec is None:
                return False
            del self._images[rec.id]
            self._save()
            self._collect_locked(keep_layers or set())
            return True

    def _collect_locked(self, keep_layers: set[str]) -> None:
        live_blobs: set[str] = set()
        live_layers = set(keep_layers)
        for r in self._images.values():
            live_blobs.update([r.manifest_digest, r.config_digest, *r.layer_blobs])
            live_layers.update(r.layers)
        for p in self.blobs.iterdir():
            if f"sha256:{p.name}" not in live_blobs:
                p.unlink(missing_ok=True)
        for p in self.layers_dir.iterdir():
            if f"sha256:{p.name}" not in live_layers:
                shutil.rmtree(p, ignore_errors=True)

    def disk_usage(self) -> tuple[int, int]:
        """(bytes, inodes) used under the store."""
        used = inodes = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                inodes += 1
                if stat.S_ISREG(st.st_mode):
                    used += st.st_blocks * 512
        return used, inodes

    def gc(self, target_bytes: int, in_use: set[str], keep_layers: set[str] | None = None) -> list[str]:
        """Remove unused, unpinned images, least recently used first, until the store uses at most
        ``target_bytes`` (or nothing is left to remove).  ``in_use`` holds image ids of existing containers.
        Returns the removed ids."""
        removed: list[str] = []
        while self.disk_usage()[0] > target_bytes:
            with self._lock:
                candidates = sorted((r for r in self._images.values() if r.id not in in_use and not r.pinned),
                                    key=lambda r: r.last_used)
                if not candidates:
                    break
                victim = candidates[0]
                del self._images[victim.id]
                self._save()
                self._collect_locked(keep_layers or set())
            removed.append(victim.id)
        return removed

    # ----- root filesystems
    def lowerdirs(self, rec: ImageRecord) -> list[str]:
        """The layer directories of an image, top layer first (unpacking any missing one)."""
        dirs = []
        for blob, diff in zip(rec.layer_blobs, rec.layers):
            dirs.append(str(self.unpack_layer(blob, diff)))
        if not dirs:
            empty = self.layers_dir / "empty"
            empty.mkdir(exist_ok=True)
            dirs.append(str(empty))
        return list(reversed(dirs))

    # ----- archives
    def import_archive(self, path: str | os.PathLike[str], name: str | None = None) -> list[str]:
        """Import a ``docker save`` (docker-archive) or ``oci-archive`` tarball; returns the image ids.  Names
        come from the archive (RepoTags; OCI ``io.containerd.image.name``/``org.opencontainers.image.ref.name``
        when it is a full name), plus ``name`` when given.  Raises RuntimeError_ for an unknown format."""
        with tarfile.open(path) as tar:
            members = {m.name.removeprefix("./"): m for m in tar.getmembers()}

            def read(member: str) -> bytes:
                f = tar.extractfile(members[member.removeprefix("./")])
                if f is None:
                    raise RuntimeError_(f"{member} is not a file in {path}")
                return f.read()

            if "manifest.json" in members:
                return self._import_docker(read, orjson.loads(read("manifest.json")), name)
            if "index.json" in members:
                return self._import_oci(read, members, orjson.loads(read("index.json")), name)
        raise RuntimeError_(f"{path}: neither a docker-archive nor an oci-archive")

    def _import_docker(self, read: Any, manifest: list[dict[str, Any]], name: str | None) -> list[str]:
        ids = []
        for entry in manifest:
            config_bytes = read(entry["Config"])
            config_digest = self.add_blob(config_bytes)
            layers = []
            for layer in entry.get("Layers", []):
                data = read(layer)
                digest = self.add_blob(data)
                media = MEDIA_OCI_LAYER_GZIP if data[:2] == b"\x1f\x8b" else MEDIA_OCI_LAYER
                layers.append({"mediaType": media, "digest": digest, "size": len(data)})
            doc = {"schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
                   "config": {"mediaType": MEDIA_OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
                   "layers": layers}
            names = list(entry.get("RepoTags") or []) + ([name] if name else [])
            rec = self.add_image(orjson.dumps(doc), names)
            ids.append(rec.id)
        return ids

    def _import_oci(self, read: Any, members: dict[str, Any], index: dict[str, Any], name: str | None) -> list[str]:
        def blob(digest: str) -> bytes:
            data = read(f"blobs/{digest.replace(':', '/')}")
            if "sha256:" + _sha256_hex(data) != digest:
                raise RuntimeError_(f"archive blob {digest} is corrupt")
            return data

        ids = []
        for desc in index.get("manifests", []):
            manifest_bytes = blob(desc["digest"])
            doc = orjson.loads(manifest_bytes)
            if doc.get("mediaType") in (MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST) or "manifests" in doc:
                chosen = pick_platform(doc)
                manifest_bytes = blob(chosen["digest"])
                doc = orjson.loads(manifest_bytes)
            self.add_blob(blob(doc["config"]["digest"]))
            for layer in doc.get("layers", []):
                self.add_blob(blob(layer["digest"]))
            ann = desc.get("annotations") or {}
            names = []
            for key in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
                ref = ann.get(key, "")
                if ref and ("/" in ref or ":" in ref) and ref not in names and not _looks_like_tag(ref):
                    names.append(ref)
            if name:
                names.append(name)
            rec = self.add_image(manifest_bytes, names)
            ids.append(rec.id)
        return ids

    # ----- the built-in busybox image
    def ensure_busybox(self, binary: str = BUSYBOX_BINARY, tags: Iterable[str] = BUSYBOX_TAGS) -> ImageRecord:
        """Build (once) the ``busybox`` image from a static busybox binary and tag it.  Installs Debian's
        busybox-static when the binary is missing and we are root.  Raises RuntimeError_ when impossible."""
        if not os.path.exists(binary) and os.geteuid() == 0 and shutil.which("apt-get"):
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "install", "-y", "-qq", "busybox-static"], env=env, capture_output=True,
                           timeout=300)
        if not os.path.exists(binary):
            raise RuntimeError_(f"{binary} not found (install busybox-static)")
        layer = _busybox_layer(binary)
        layer_digest = self.add_blob(layer)
        config = {
            "architecture": "amd64", "os": "linux",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(binary).st_mtime)),
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            "history": [{"created_by": "kybernetes: busybox-static with applet links"}],
        }
        config_bytes = orjson.dumps(config)
        config_digest = self.add_blob(config_bytes)
        manifest = orjson.dumps({
            "schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
            "config": {"mediaType": MEDIA_OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
            "layers": [{"mediaType": MEDIA_OCI_LAYER, "digest": layer_digest, "size": len(layer)}],
        })
        return self.add_image(manifest, tags)


def _looks_like_tag(ref: str) -> bool:
    return "/" not in ref and ":" not in ref


def pick_platform(index: dict[str, Any], os_name: str = "linux", arch: str = "amd64") -> dict[str, Any]:
    """The manifest descriptor for os/arch in an image index.  Raises NotFoundError."""
    for desc in index.get("manifests", []):
        plat = desc.get("platform") or {}
        if plat.get("os", os_name) == os_name and plat.get("architecture", arch) == arch:
            return desc
    raise NotFoundError(f"no manifest for {os_name}/{arch} in the image index")


def _busybox_layer(binary: str) -> bytes:
    """A deterministic tar of a minimal busybox root filesystem."""
    mtime = int(os.stat(binary).st_mtime)
    listing = subprocess.run([binary, "--list-full"], capture_output=True, text=True, timeout=30).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add_dir(path: str, mode: int = 0o755) -> None:
            ti = tarfile.TarInfo(path)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, mode, mtime
            tar.addfile(ti)

        def add_file(path: str, data: bytes, mode: int = 0o644) -> None:
            ti = tarfile.TarInfo(path)
            ti.size, ti.mode, ti.mtime = len(data), mode, mtime
            tar.addfile(ti, io.BytesIO(data))

        for d in ("bin", "dev", "etc", "home", "proc", "root", "sbin", "sys", "usr", "usr/bin", "usr/sbin",
                  "var", "var/spool", "var/www"):
            add_dir(d, 0o700 if d == "root" else 0o755)
        add_dir("tmp", 0o1777)
        with open(binary, "rb") as f:
            add_file("bin/busybox", f.read(), 0o755)
        add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                               b"www-data:x:33:33:www-data:/var/www:/bin/false\n"
                               b"nobody:x:65534:65534:nobody:/home:/bin/false\n")
        add_file("etc/group", b"root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnogroup:x:65534:\n")
        for path in sorted(set(listing)):
            if "/" not in path or path == "bin/busybox":
                continue
            ti = tarfile.TarInfo(path)
            ti.type, ti.linkname, ti.mode, ti.mtime = tarfile.SYMTYPE, "/bin/busybox", 0o777, mtime
            tar.addfile(ti)
    return buf.getvalue()


def _safe_target(root: str, name: str) -> str | None:
    """``root/name`` when ``name`` stays inside ``root`` without passing through a symlink, else None."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    cur = root
    for part in parts[:-1]:
        cur = os.path.join(cur, part)
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            os.makedirs(cur, exist_ok=True)
            continue
        if not stat.S_ISDIR(st.st_mode):
            return None
    return os.path.join(cur, parts[-1])


def _remove_existing(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _extract_layer(tar: tarfile.TarFile, root: str) -> None:
    """Extract a layer stream into ``root`` converting whiteouts to overlayfs form; entries that would escape
    ``root`` are skipped.  Ownership, modes, times and xattrs are kept (we run as root)."""
    dirs: list[tuple[str, tarfile.TarInfo]] = []
    for m in tar:
        name = m.name.removeprefix("./").lstrip("/")
        base = os.path.basename(name.rstrip("/"))
        target = _safe_target(root, name.rstrip("/"))
        if target is None:
            continue
        parent = os.path.dirname(target)
        if base == ".wh..wh..opq":
            os.setxattr(parent, "trusted.overlay.opaque", b"y")
            continue
        if base.startswith(".wh."):
            victim = os.path.join(parent, base[4:])
            _remove_existing(victim)
            os.mknod(victim, stat.S_IFCHR | 0o000, os.makedev(0, 0))
            continue
        if m.isdir():
            try:
                st = os.lstat(target)
                if not stat.S_ISDIR(st.st_mode):
                    _remove_existing(target)
                    os.mkdir(target, 0o700)
            except FileNotFoundError:
                os.mkdir(target, 0o700)
            dirs.append((target, m))
            continue
        _remove_existing(target)
        if m.isreg():
            src = tar.extractfile(m)
            with open(target, "wb") as out:
                if src is not None:
                    shutil.copyfileobj(src, out, 1 << 20)
        elif m.issym():
            os.symlink(m.linkname, target)
        elif m.islnk():
            link = _safe_target(root, m.linkname.removeprefix("./").lstrip("/"))
            if link is None or not os.path.lexists(link):
                continue
            os.link(link, target, follow_symlinks=False)
            continue  # a hard link shares the inode's attributes
        elif m.ischr() or m.isblk():
            kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK
            os.mknod(target, kind | m.mode, os.makedev(m.devmajor, m.devminor))
        elif m.isfifo():
            os.mkfifo(target, m.mode)
        else:
            continue
        _set_attrs(target, m)
    for target, m in reversed(dirs):
        _set_attrs(target, m)


def _set_attrs(target: str, m: tarfile.TarInfo) -> None:
    try:
        os.lchown(target, m.uid, m.gid)
    except OSError:
        pass
    for key, value in (m.pax_headers or {}).items():
        if key.startswith("SCHILY.xattr."):
            try:
                os.setxattr(target, key[len("SCHILY.xattr."):], value.encode("utf-8", "surrogateescape"),
                            follow_symlinks=False)
            except OSError:
                pass
    if not m.issym():
        os.chmod(target, m.mode & 0o7777)
    try:
        os.utime(target, (m.mtime, m.mtime), follow_symlinks=False)
    except OSError:
        pass
