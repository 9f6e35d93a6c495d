"""The image store: names, the local busybox image, whiteouts under overlayfs, archives, removal and GC."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
from pathlib import Path

import orjson
import pytest

from kybernetes.cri.api import RuntimeError_
from kybernetes.cri.images import (MEDIA_OCI_CONFIG, MEDIA_OCI_LAYER, MEDIA_OCI_MANIFEST, ImageStore, mount_overlay,
                                   normalize_ref, unmount)
from tests.unit.cri.conftest import HAVE_BUSYBOX, needs_root

needs_busybox = pytest.mark.skipif(not HAVE_BUSYBOX, reason="busybox-static not installed")


@pytest.mark.parametrize("ref,expected", [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest"),
    ("docker.io/busybox", "docker.io/library/busybox:latest"),
    ("me/app:v1", "docker.io/me/app:v1"),
    ("127.0.0.1:5000/x/y", "127.0.0.1:5000/x/y:latest"),
    ("localhost/app", "localhost/app:latest"),
    ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
    ("busybox@sha256:" + "a" * 64, "docker.io/library/busybox@sha256:" + "a" * 64),
])
def test_normalize_ref(ref, expected):
    assert normalize_ref(ref) == expected


def tar_of(entries: list[tuple[str, bytes | None]]) -> bytes:
    """A layer tar: (name, data) is a file, (name/, None) a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries:
            ti = tarfile.TarInfo(name.rstrip("/"))
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(ti)
            else:
                ti.size, ti.mode = len(data), 0o644
                tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def add_layers(store: ImageStore, layers: list[bytes], names: list[str], cmd=None) -> str:
    digests = [store.add_blob(data) for data in layers]
    config = orjson.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": cmd or ["sh"]},
                           "rootfs": {"type": "layers", "diff_ids": digests}})
    cd = store.add_blob(config)
    manifest = orjson.dumps({"schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
                             "config": {"mediaType": MEDIA_OCI_CONFIG, "digest": cd, "size": len(config)},
                             "layers": [{"mediaType": MEDIA_OCI_LAYER, "digest": d, "size": len(b)}
                                        for d, b in zip(digests, layers)]})
    return store.add_image(manifest, names).id


@needs_root
def test_whiteouts_and_opaque_dirs_under_overlay(tmp_path):
    store = ImageStore(tmp_path / "store")
    lower = tar_of([("a/", None), ("a/keep", b"k"), ("a/gone", b"g"), ("d/", None), ("d/old", b"o"),
                    ("../escape", b"x"), ("top", b"1")])
    upper = tar_of([("a/.wh.gone", b""), ("d/", None), ("d/.wh..wh..opq", b""), ("d/new", b"n"), ("top", b"2")])
    image_id = add_layers(store, [lower, upper], ["example.com/wh:1"])
    rec = store.resolve("example.com/wh:1")
    assert rec is not None and rec.id == image_id
    top_dir = Path(store.lowerdirs(rec)[0])
    st = os.lstat(top_dir / "a" / "gone")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(top_dir / "d", "trusted.overlay.opaque") == b"y"
    assert not (tmp_path / "store" / "images" / "escape").exists()

    target, up, work = tmp_path / "rootfs", tmp_path / "upper", tmp_path / "work"
    for d in (target, up, work):
        d.mkdir()
    mount_overlay(store.lowerdirs(rec), str(up), str(work), str(target))
    try:
        assert sorted(os.listdir(target / "a")) == ["keep"]
        assert sorted(os.listdir(target / "d")) == ["new"]
        assert (target / "top").read_bytes() == b"2"
    finally:
        unmount(str(target))


@needs_root
@needs_busybox
def test_busybox_image_is_deterministic_and_named(tmp_path):
    a = ImageStore(tmp_path / "a").ensure_busybox()
    store = ImageStore(tmp_path / "b")
    b = store.ensure_busybox()
    assert a.id == b.id
    assert set(b.repo_tags) == {"docker.io/library/busybox:latest", "docker.io/library/busybox:1.36",
                                "docker.io/library/busybox:1.35"}
    for name in ("busybox", "busybox:1.36", "docker.io/library/busybox:1.35", b.id, b.id[7:19]):
        assert store.resolve(name) is b, name
    assert store.resolve("busybox:9") is None
    layer = Path(store.lowerdirs(b)[0])
    assert os.readlink(layer / "bin" / "sh") == "/bin/busybox"
    assert store.config(b)["config"]["Cmd"] == ["sh"]
    index = json.loads((tmp_path / "b" / "images" / "index.json").read_text())
    assert {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]} == set(b.repo_tags)


@needs_root
@needs_busybox
def test_import_docker_and_oci_archives(tmp_path):
    src = ImageStore(tmp_path / "src")
    bb = src.ensure_busybox()
    config = src.read_blob(bb.config_digest)
    layer = src.read_blob(bb.layer_blobs[0])

    docker = tmp_path / "docker.tar"
    with tarfile.open(docker, "w") as tar:
        def add(name: str, data: bytes) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
        add("cfg.json", config)
        add("abc/layer.tar", layer)
        add("manifest.json", json.dumps([{"Config": "cfg.json", "RepoTags": ["example.com/bb:docker"],
                                          "Layers": ["abc/layer.tar"]}]).encode())
    oci = tmp_path / "oci.tar"
    manifest = src.read_blob(bb.manifest_digest)
    with tarfile.open(oci, "w") as tar:
        def add(name: str, data: bytes) -> None:  # noqa: F811 - one per archive
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        for digest in (bb.manifest_digest, bb.config_digest, bb.layer_blobs[0]):
            add(f"blobs/sha256/{digest[7:]}", src.read_blob(digest))
        add("index.json", json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": MEDIA_OCI_MANIFEST, "digest": bb.manifest_digest, "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": "example.com/bb:oci"}}]}).encode())

    dst = ImageStore(tmp_path / "dst")
    assert dst.import_archive(docker) == [bb.id]
    assert dst.import_archive(oci, name="other/name:1") == [bb.id]
    rec = dst.resolve("example.com/bb:docker")
    assert rec is not None and rec is dst.resolve("example.com/bb:oci") is dst.resolve("other/name:1")
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w"):
        pass
    with pytest.raises(RuntimeError_):
        dst.import_archive(bad)


@needs_root
def test_remove_keeps_shared_and_mounted_layers_and_gc(tmp_path):
    store = ImageStore(tmp_path / "s")
    base = tar_of([("base", b"b" * 10000)])
    one = add_layers(store, [base, tar_of([("one", b"1")])], ["x/one"])
    two = add_layers(store, [base, tar_of([("two", b"2")])], ["x/two"], cmd=["two"])
    r1, r2 = store.resolve(one), store.resolve(two)
    assert r1 and r2 and r1.layers[0] == r2.layers[0]
    assert store.remove("x/one", keep_layers=set())
    assert store.resolve(one) is None and not store.remove("x/one")
    assert store.layer_path(r1.layers[0]).is_dir()  # shared with two
    assert not store.layer_path(r1.layers[1]).exists()
    assert not store.has_blob(r1.config_digest)

    three = add_layers(store, [tar_of([("three", b"3" * 50000)])], ["x/three"], cmd=["three"])
    assert store.gc(0, in_use={three}) == [two]  # everything unused goes, the used image stays
    assert store.resolve(three) is not None and store.resolve(two) is None
    assert store.gc(10**12, in_use=set()) == []
