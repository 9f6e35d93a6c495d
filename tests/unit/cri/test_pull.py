"""Pulling over the distribution API: a fake registry with token auth and indexes, mirrors, digest checks, and
(when Debian's docker-registry is installed) a real registry on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import socket
import subprocess
import time

import orjson
import pytest
from aiohttp import web

from kybernetes.cri.api import AuthConfig, NotFoundError
from kybernetes.cri.images import MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, ImageStore
from kybernetes.cri.pull import (MANIFEST_ACCEPT, Puller, PullError, RegistryConfig, load_registries,
                                 parse_challenge, push_image)
from tests.unit.cri.conftest import HAVE_BUSYBOX, needs_root

pytestmark = [needs_root, pytest.mark.skipif(not HAVE_BUSYBOX, reason="busybox-static not installed"),
              pytest.mark.timeout(60)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeRegistry:
    """Serves one image (an index with amd64 + arm64 entries) under any repository, behind Bearer tokens that
    the /token realm hands out for user:secret."""

    def __init__(self, store: ImageStore, image_id: str) -> None:
        rec = store.resolve(image_id)
        assert rec is not None
        self.blobs = {d: store.read_blob(d) for d in (rec.config_digest, *rec.layer_blobs, rec.manifest_digest)}
        manifest = self.blobs[rec.manifest_digest]
        index = orjson.dumps({"schemaVersion": 2, "mediaType": MEDIA_OCI_INDEX, "manifests": [
            {"mediaType": MEDIA_OCI_MANIFEST, "digest": "sha256:" + "0" * 64, "size": 1,
             "platform": {"os": "linux", "architecture": "arm64"}},
            {"mediaType": MEDIA_OCI_MANIFEST, "digest": rec.manifest_digest, "size": len(manifest),
             "platform": {"os": "linux", "architecture": "amd64"}}]})
        self.index_digest = "sha256:" + hashlib.sha256(index).hexdigest()
        self.manifests = {rec.manifest_digest: (manifest, MEDIA_OCI_MANIFEST),
                          self.index_digest: (index, MEDIA_OCI_INDEX)}
        self.tags = {"latest": self.index_digest, "mirror": self.index_digest}
        self.corrupt = False
        self.paths: list[str] = []
        self.port = free_port()
        self.runner: web.AppRunner | None = None

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == "Bearer tok-123"

    def _challenge(self, request: web.Request, repo: str) -> web.Response:
        realm = f"http://127.0.0.1:{self.port}/token"
        return web.Response(status=401, headers={"WWW-Authenticate": (
            f'Bearer realm="{realm}",service="fake",scope="repository:{repo}:pull"')})

    async def token(self, request: web.Request) -> web.Response:
        want = "Basic " + base64.b64encode(b"user:secret").decode()
        if request.headers.get("Authorization") != want or request.query.get("service") != "fake":
            return web.Response(status=401)
        return web.json_response({"token": "tok-123"})

    async def manifest(self, request: web.Request) -> web.Response:
        repo, ref = request.match_info["repo"], request.match_info["ref"]
        self.paths.append(request.path)
        if not self._authorized(request):
            return self._challenge(request, repo)
        if MEDIA_OCI_MANIFEST not in request.headers.get("Accept", ""):
            return web.Response(status=404)
        digest = self.tags.get(ref, ref)
        if digest not in self.manifests:
            return web.json_response({"errors": [{"code": "MANIFEST_UNKNOWN"}]}, status=404)
        body, media = self.manifests[digest]
        return web.Response(body=body, content_type=media, headers={"Docker-Content-Digest": digest})

    async def blob(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._challenge(request, request.match_info["repo"])
        data = self.blobs.get(request.match_info["digest"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data + (b"junk" if self.corrupt else b""))

    async def __aenter__(self) -> FakeRegistry:
        app = web.Application()
        app.router.add_get("/token", self.token)
        app.router.add_get(r"/v2/{repo:.+}/manifests/{ref}", self.manifest)
        app.router.add_get(r"/v2/{repo:.+}/blobs/{digest}", self.blob)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    store = ImageStore(tmp_path_factory.mktemp("src"))
    return store, store.ensure_busybox().id


def test_parse_challenge_and_registries_file(tmp_path):
    assert parse_challenge('Bearer realm="https://a/token",service="reg",scope="repository:x:pull"') == (
        "bearer", {"realm": "https://a/token", "service": "reg", "scope": "repository:x:pull"})
    assert parse_challenge('Basic realm="r"') == ("basic", {"realm": "r"})
    f = tmp_path / "registries.yaml"
    f.write_text("mirrors:\n  docker.io:\n    endpoint: ['http://127.0.0.1:5000']\n"
                 "configs:\n  '127.0.0.1:5000':\n    auth: {username: u, password: p}\n"
                 "    tls: {insecure_skip_verify: true}\n")
    conf = load_registries(str(f))
    assert conf.mirrors == {"docker.io": ["http://127.0.0.1:5000"]}
    assert conf.configs["127.0.0.1:5000"]["auth"] == {"username": "u", "password": "p"}
    puller = Puller(ImageStore(tmp_path / "s"), conf)
    assert puller.endpoints("docker.io") == ["http://127.0.0.1:5000", "https://registry-1.docker.io"]
    assert puller.endpoints("127.0.0.1:5000") == ["http://127.0.0.1:5000"]
    assert puller.endpoints("quay.io") == ["https://quay.io"]
    assert load_registries(str(tmp_path / "missing.yaml")) == RegistryConfig()
    assert "application/vnd.oci.image.manifest.v1+json" in MANIFEST_ACCEPT


async def test_pull_with_token_auth_index_and_digest_checks(source, tmp_path):
    src, image_id = source
    async with FakeRegistry(src, image_id) as reg:
        host = f"127.0.0.1:{reg.port}"
        conf = RegistryConfig(configs={host: {"auth": {"username": "user", "password": "secret"}}})
        store = ImageStore(tmp_path / "a")
        rec = await Puller(store, conf).pull(f"{host}/lib/bb:latest")
        assert rec.id == image_id
        assert rec.repo_tags == [f"{host}/lib/bb:latest"]
        assert rec.repo_digests == [f"{host}/lib/bb@{rec.manifest_digest}"]
        assert store.resolve(f"{host}/lib/bb@{rec.manifest_digest}") is rec
        assert os.path.isdir(store.lowerdirs(rec)[0])

        # credentials from the CRI AuthConfig, pull by digest
        store = ImageStore(tmp_path / "b")
        rec = await Puller(store).pull(f"{host}/lib/bb@{reg.index_digest}", AuthConfig(username="user",
                                                                                      password="secret"))
        assert rec.id == image_id and rec.repo_tags == []

        with pytest.raises(PullError, match="token server answered 401"):
            await Puller(ImageStore(tmp_path / "c")).pull(f"{host}/lib/bb:latest",
                                                          AuthConfig(username="user", password="wrong"))
        with pytest.raises(NotFoundError):
            await Puller(ImageStore(tmp_path / "d"), conf).pull(f"{host}/lib/bb:nosuchtag")
        reg.corrupt = True
        with pytest.raises(PullError, match="digest mismatch"):
            await Puller(ImageStore(tmp_path / "e"), conf).pull(f"{host}/lib/bb:latest")
        assert os.listdir(tmp_path / "e" / "images" / "blobs" / "sha256") == []


async def test_mirror_serves_docker_hub_names(source, tmp_path):
    src, image_id = source
    async with FakeRegistry(src, image_id) as reg:
        host = f"127.0.0.1:{reg.port}"
        conf = RegistryConfig(mirrors={"docker.io": [f"http://{host}"]},
                              configs={host: {"auth": {"auth": base64.b64encode(b"user:secret").decode()}}})
        store = ImageStore(tmp_path / "m")
        rec = await Puller(store, conf).pull("busybox:mirror")
        assert rec.id == image_id and "docker.io/library/busybox:mirror" in rec.repo_tags
        assert "/v2/library/busybox/manifests/mirror" in reg.paths


@pytest.mark.skipif(not shutil.which("docker-registry"), reason="docker-registry not installed")
async def test_push_and_pull_with_a_real_registry(source, tmp_path):
    src, image_id = source
    port = free_port()
    config = tmp_path / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("docker-registry did not start")
                await asyncio.sleep(0.1)
        digest = await push_image(src, image_id, f"127.0.0.1:{port}/tests/busybox:v1")
        store = ImageStore(tmp_path / "pulled")
        rec = await Puller(store).pull(f"127.0.0.1:{port}/tests/busybox:v1")
        assert rec.id == image_id and rec.manifest_digest == digest
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
