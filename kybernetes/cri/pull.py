"""Pulling images over the OCI distribution API (Docker Registry HTTP API v2), with mirrors and auth.

A pull resolves the reference (``busybox`` -> registry ``docker.io``, repository ``library/busybox``, tag
``latest``), then tries each endpoint in turn: the mirrors configured for that registry, then the registry
itself (``https://``; ``http://`` for loopback registries such as ``127.0.0.1:5000``; Docker Hub is
``registry-1.docker.io``).  On an endpoint it fetches the manifest with an ``Accept`` header naming the OCI and
Docker v2 manifest and index types, chooses ``linux/amd64`` in an index, then downloads the config and the layers
into the content store, verifying every digest, and registers the image (:meth:`ImageStore.add_image`).

Authentication answers the registry's ``WWW-Authenticate`` challenge: ``Bearer realm=...,service=...,scope=...``
gets a token from the realm (with basic credentials when we have some), ``Basic`` sends the credentials.
Credentials come from the CRI AuthConfig, else from the registries file.  With ``allow_remote=False`` only
loopback registries, configured mirrors and registries named in ``configs`` are contacted (machines whose
traffic must stay local).

The registries file has k3s' ``registries.yaml`` shape::

    mirrors:
      docker.io:
        endpoint: ["http://127.0.0.1:5000"]
    configs:
      "127.0.0.1:5000":
        auth: {username: u, password: p}      # or auth: <base64 u:p>, identity_token
        tls: {insecure_skip_verify: true, ca_file: /path/ca.pem}

:func:`push_image` is the reverse (monolithic uploads), for tests and tools.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml

from kybernetes.cri.api import AuthConfig, NotFoundError, RuntimeError_
from kybernetes.cri.images import (MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST,
                                   ImageRecord, ImageStore, normalize_ref, pick_platform, split_ref)

__all__ = ["RegistryConfig", "load_registries", "Puller", "PullError", "push_image", "parse_challenge",
           "MANIFEST_ACCEPT"]

MANIFEST_ACCEPT = ", ".join([MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST])
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


class PullError(RuntimeError_):
    """The image could not be pulled from any endpoint (the message lists why per endpoint)."""


@dataclass
class RegistryConfig:
    """Mirrors (registry host -> endpoint URLs) and per-host settings (``auth``, ``tls``)."""

    mirrors: dict[str, list[str]] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_registries(path: str | None) -> RegistryConfig:
    """Read a registries.yaml (missing or empty file -> no mirrors).  Raises ValueError on a malformed file."""
    if not path or not Path(path).exists():
        return RegistryConfig()
    doc = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a mapping")
    mirrors = {host: list((m or {}).get("endpoint") or []) for host, m in (doc.get("mirrors") or {}).items()}
    configs = {host: dict(c or {}) for host, c in (doc.get("configs") or {}).items()}
    return RegistryConfig(mirrors=mirrors, configs=configs)


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="x",service="y"`` -> ("bearer", {"realm": "x", "service": "y"})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', rest)}
    return scheme.lower(), params


def _default_endpoint(host: str) -> str:
    if host == "docker.io":
        return "https://registry-1.docker.io"
    scheme = "http" if host.startswith(_LOOPBACK) else "https"
    return f"{scheme}://{host}"


def _host_of(endpoint: str) -> str:
    return endpoint.split("://", 1)[-1].split("/", 1)[0]


class _Session:
    """One endpoint's HTTP session with its credentials and cached bearer tokens (per scope)."""

    def __init__(self, http: aiohttp.ClientSession, endpoint: str, repo: str, creds: AuthConfig | None,
                 ssl_ctx: Any) -> None:
        self.http = http
        self.endpoint = endpoint.rstrip("/")
        self.repo = repo
        self.creds = creds
        self.ssl = ssl_ctx
        self.auth_header: str | None = None
        if creds and creds.registry_token:
            self.auth_header = f"Bearer {creds.registry_token}"

    def _basic(self) -> str | None:
        c = self.creds
        if c is None:
            return None
        if c.auth:
            return f"Basic {c.auth}"
        if c.username:
            return "Basic " + base64.b64encode(f"{c.username}:{c.password}".encode()).decode()
        return None

    async def _authenticate(self, challenge: str, scope_actions: str) -> None:
        scheme, params = parse_challenge(challenge)
        if scheme == "basic":
            basic = self._basic()
            if basic is None:
                raise PullError(f"{self.endpoint}: registry wants credentials")
            self.auth_header = basic
            return
        if scheme != "bearer" or "realm" not in params:
            raise PullError(f"{self.endpoint}: unsupported auth challenge {challenge!r}")
        query = {"service": params.get("service", "")} if params.get("service") else {}
        query["scope"] = params.get("scope") or f"repository:{self.repo}:{scope_actions}"
        headers = {}
        if self.creds and self.creds.identity_token:
            # OAuth2 refresh token flow would POST; registries also accept it as the password of a GET
            headers["Authorization"] = "Basic " + base64.b64encode(
                f"<token>:{self.creds.identity_token}".encode()).decode()
        elif (basic := self._basic()) is not None:
            headers["Authorization"] = basic
        async with self.http.get(params["realm"], params=query, headers=headers, ssl=self.ssl) as resp:
            if resp.status != 200:
                raise PullError(f"{self.endpoint}: token server answered {resp.status}")
            doc = await resp.json(content_type=None)
        token = doc.get("token") or doc.get("access_token")
        if not token:
            raise PullError(f"{self.endpoint}: token server gave no token")
        self.auth_header = f"Bearer {token}"

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, data: Any = None,
                      actions: str = "pull", params: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        """A request to ``/v2/...`` (or an absolute URL), authenticating once on 401.  The caller releases the
        response."""
        url = path if path.startswith("http") else f"{self.endpoint}{path}"
        for attempt in range(2):
            h = dict(headers or {})
            if self.auth_header:
                h["Authorization"] = self.auth_header
            resp = await self.http.request(method, url, headers=h, data=data, params=params, ssl=self.ssl)
            if resp.status == 401 and attempt == 0:
                challenge = resp.headers.get("WWW-Authenticate", "")
                resp.release()
                await self._authenticate(challenge, actions)
                continue
            return resp
        return resp


class Puller:
    """Pulls into an :class:`ImageStore`.  ``pull`` is a coroutine; concurrent pulls of different images are
    fine (blobs are written under temporary names and renamed)."""

    def __init__(self, store: ImageStore, registries: RegistryConfig | None = None, timeout: float = 600,
                 allow_remote: bool = True) -> None:
        self.store = store
        self.registries = registries or RegistryConfig()
        self.timeout = timeout
        self.allow_remote = allow_remote  # False: only loopback and explicitly configured endpoints are used

    def _creds_for(self, host: str, auth: AuthConfig | None) -> AuthConfig | None:
        if auth is not None and (auth.username or auth.auth or auth.identity_token or auth.registry_token):
            return auth
        conf = (self.registries.configs.get(host) or {}).get("auth") or {}
        if not conf:
            return None
        return AuthConfig(username=conf.get("username", ""), password=conf.get("password", ""),
                          auth=conf.get("auth", ""), identity_token=conf.get("identity_token", ""))

    def _ssl_for(self, host: str) -> Any:
        tls = (self.registries.configs.get(host) or {}).get("tls") or {}
        if tls.get("insecure_skip_verify"):
            return False
        if tls.get("ca_file") or tls.get("cert_file"):
            ctx = ssl.create_default_context(cafile=tls.get("ca_file") or None)
            if tls.get("cert_file"):
                ctx.load_cert_chain(tls["cert_file"], tls.get("key_file") or None)
            return ctx
        return None

    def endpoints(self, registry: str) -> list[str]:
        """The URLs tried for a registry host, in order: its mirrors (or the ``*`` mirrors), then itself."""
        mirrors = self.registries.mirrors.get(registry) or self.registries.mirrors.get("*") or []
        out = [m.rstrip("/") for m in mirrors]
        default = _default_endpoint(registry)
        if default not in out and (self.allow_remote or registry.startswith(_LOOPBACK)
                                   or registry in self.registries.configs):
            out.append(default)
        return out

    async def pull(self, image: str, auth: AuthConfig | None = None) -> ImageRecord:
        """Pull ``image`` (any reference form) and return its record.  Raises PullError (NotFoundError when
        every endpoint said the manifest does not exist)."""
        ref = normalize_ref(image)
        name, tag, digest = split_ref(ref)
        registry, _, repo = name.partition("/")
        failures: list[str] = []
        not_found = 0
        endpoints = self.endpoints(registry)
        if not endpoints:
            raise PullError(f"failed to pull {ref}: pulls from {registry} are disabled on this node (no mirror "
                            "configured and remote registries not allowed)")
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for endpoint in endpoints:
                host = _host_of(endpoint)
                creds = self._creds_for(host, auth) or self._creds_for(registry, auth)
                session = _Session(http, endpoint, repo, creds, self._ssl_for(host))
                try:
                    return await self._pull_from(session, ref, name, tag, digest)
                except NotFoundError as e:
                    not_found += 1
                    failures.append(f"{endpoint}: {e}")
                except (RuntimeError_, aiohttp.ClientError, OSError, TimeoutError) as e:
                    failures.append(f"{endpoint}: {e or type(e).__name__}")
        msg = f"failed to pull {ref}: " + "; ".join(failures)
        if not_found == len(endpoints):
            raise NotFoundError(msg)
        raise PullError(msg)

    async def _manifest(self, s: _Session, reference: str) -> tuple[bytes, str]:
        resp = await s.request("GET", f"/v2/{s.repo}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
        try:
            if resp.status == 404:
                raise NotFoundError(f"manifest {reference} not found")
            if resp.status != 200:
                raise PullError(f"manifest {reference}: HTTP {resp.status}")
            body = await resp.read()
            media = resp.headers.get("Content-Type", "").split(";")[0].strip()
            header_digest = resp.headers.get("Docker-Content-Digest", "")
        finally:
            resp.release()
        got = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and got != reference:
            raise PullError(f"manifest digest mismatch: asked {reference}, got {got}")
        if header_digest.startswith("sha256:") and header_digest != got:
            raise PullError(f"manifest digest mismatch: registry says {header_digest}, content is {got}")
        try:
            media = orjson.loads(body).get("mediaType") or media
        except orjson.JSONDecodeError:
            raise PullError("manifest is not JSON") from None
        return body, media

    async def _blob(self, s: _Session, digest: str) -> None:
        if self.store.has_blob(digest):
            return
        resp = await s.request("GET", f"/v2/{s.repo}/blobs/{digest}")
        try:
            if resp.status == 404:
                raise PullError(f"blob {digest} not found")
            if resp.status != 200:
                raise PullError(f"blob {digest}: HTTP {resp.status}")
            tmp, f = self.store.blob_writer()
            try:
                with f:
                    async for chunk in resp.content.iter_chunked(1 << 20):
                        f.write(chunk)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        finally:
            resp.release()
        self.store.commit_blob(tmp, digest)

    async def _pull_from(self, s: _Session, ref: str, name: str, tag: str, digest: str) -> ImageRecord:
        body, media = await self._manifest(s, digest or tag)
        doc = orjson.loads(body)
        if media in (MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST) or ("manifests" in doc and "layers" not in doc):
            chosen = pick_platform(doc)
            body, media = await self._manifest(s, chosen["digest"])
            doc = orjson.loads(body)
        if media not in (MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST) and "layers" not in doc:
            raise PullError(f"unsupported manifest type {media!r}")
        await self._blob(s, doc["config"]["digest"])
        for layer in doc.get("layers", []):
            if "zstd" in layer.get("mediaType", ""):
                raise PullError(f"unsupported layer type {layer['mediaType']}")
            await self._blob(s, layer["digest"])
        names = [ref] if not digest else ([f"{name}:{tag}"] if tag else [])
        return await asyncio.to_thread(self.store.add_image, body, names, name)


async def push_image(store: ImageStore, image: str, target: str, *, auth: AuthConfig | None = None,
                     insecure: bool = True) -> str:
    """Push a stored image to ``target`` (``host:port/repo:tag``) with monolithic blob uploads; returns the
    manifest digest.  Raises NotFoundError for an unknown image, PullError for registry errors."""
    rec = store.resolve(image)
    if rec is None:
        raise NotFoundError(f"image {image!r} not found")
    ref = normalize_ref(target)
    name, tag, _ = split_ref(ref)
    registry, _, repo = name.partition("/")
    endpoint = _default_endpoint(registry)
    manifest = store.read_blob(rec.manifest_digest)
    media = orjson.loads(manifest).get("mediaType") or MEDIA_OCI_MANIFEST
    async with aiohttp.ClientSession() as http:
        s = _Session(http, endpoint, repo, auth, False if insecure else None)
        for digest in [rec.config_digest, *rec.layer_blobs]:
            resp = await s.request("HEAD", f"/v2/{repo}/blobs/{digest}", actions="pull,push")
            resp.release()
            if resp.status == 200:
                continue
            resp = await s.request("POST", f"/v2/{repo}/blobs/uploads/", actions="pull,push")
            location = resp.headers.get("Location", "")
            resp.release()
            if resp.status != 202 or not location:
                raise PullError(f"upload start for {digest}: HTTP {resp.status}")
            if not location.startswith("http"):
                location = endpoint + location
            sep = "&" if "?" in location else "?"
            resp = await s.request("PUT", f"{location}{sep}digest={digest}", data=store.read_blob(digest),
                                   headers={"Content-Type": "application/octet-stream"}, actions="pull,push")
            resp.release()
            if resp.status not in (201, 204):
                raise PullError(f"upload of {digest}: HTTP {resp.status}")
        resp = await s.request("PUT", f"/v2/{repo}/manifests/{tag}", data=manifest,
                               headers={"Content-Type": media}, actions="pull,push")
        resp.release()
        if resp.status not in (201, 204):
            raise PullError(f"manifest upload: HTTP {resp.status}")
    return rec.manifest_digest
