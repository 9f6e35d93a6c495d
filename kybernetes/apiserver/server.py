"""The API server process: storage, registries, watch caches, the HTTPS front and the non-resource endpoints.

``APIServer`` is assembled from a ``Store`` and a catalogue; ``start()`` starts one watch cache per stored
resource, bootstraps the default objects and listens with TLS (client certificates verified against the cluster
CA but optional, so bearer tokens and anonymous health checks work). Every request passes one dispatcher:
health -> authentication -> /version, discovery, OpenAPI, /metrics, or the resource handlers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiohttp import web

from kybernetes.api import discovery, openapi
from kybernetes.api.catalogue import Catalogue, ResourceInfo, builtin_catalogue
from kybernetes.machinery import errors
from kybernetes.storage.interface import Store

from . import bootstrap
from .admission import Admission
from .allocation import ServiceAllocator
from .authn import PUBLIC_PATHS, Authenticator, impersonated
from .handlers import ResourceAPI
from .podlogs import KubeletClientConfig
from .metrics import Metrics, request_labels
from .negotiation import json_response, path_not_found, status_response
from .registry import Registry
from .requestinfo import parse_request_info
from .satokens import ServiceAccountTokens
from .strategy import strategy_for

__all__ = ["APIServer", "ServerConfig", "VERSION_INFO"]

log = logging.getLogger("kybernetes.apiserver")

VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-kyb.0.1.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-11-27T00:00:00Z",
    "goVersion": f"python{platform.python_version()}",
    "compiler": "cpython",
    "platform": f"linux/{'amd64' if platform.machine() in ('x86_64', 'AMD64') else platform.machine()}",
}

_AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_AGG_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


@dataclass(slots=True)
class ServerConfig:
    bind_address: str = "127.0.0.1"
    secure_port: int = 6443
    service_cidrs: tuple[str, ...] = ("10.43.0.0/16",)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca: Path | None = None
    token_file: Path | None = None
    advertise_address: str = ""
    event_ttl: int = 3600
    compaction_interval: float = 0.0  # seconds; 0 = the store compacts itself (the SQLite backend does)
    kubelet_client_cert: Path | None = None  # presented to kubelets (pods/log); verified with client_ca
    kubelet_client_key: Path | None = None
    # also serve plain HTTP on this Unix socket, for components on this machine (no TLS: a third less CPU per
    # request on both ends). Its directory is made private (0700): reaching the socket means being this machine's
    # administrator, and requests still authenticate (bearer tokens; there is no client certificate)
    local_socket: Path | None = None
    # the TokenRequest API's signing key (RSA, PEM); None: service account tokens are not served
    service_account_key: Path | None = None
    service_account_issuer: str = "https://kubernetes.default.svc.cluster.local"
    api_audiences: tuple[str, ...] = ()  # default: the issuer


_OIDC_CONFIG = "/.well-known/openid-configuration"
_JWKS = "/openid/v1/jwks"


def storage_prefix(info: ResourceInfo) -> str:
    group = info.storage_group or "core"
    return f"/registry/{group}/{info.storage_resource}/"


class APIServer:
    """The API server over ``store`` (owned by the caller; started and closed by the caller)."""

    def __init__(self, store: Store, config: ServerConfig, catalogue: Catalogue | None = None) -> None:
        self.store = store
        self.config = config
        self.catalogue = catalogue or builtin_catalogue()
        self.registries: dict[tuple[str, str], Registry] = {}
        for info in self.catalogue.resources():
            key = (info.storage_group, info.storage_resource)
            if key in self.registries or not info.stored:
                continue
            if info.version != info.storage_version or info.group != info.storage_group:
                continue
            reg = Registry(store=store, strategy=strategy_for(info), kind=info.kind, api_version=info.api_version,
                           prefix=storage_prefix(info),
                           event_lease_ttl=config.event_ttl if info.storage_resource == "events" else 0)
            self.registries[key] = reg
        self.registries[("", "services")].allocator = ServiceAllocator(config.service_cidrs)
        ns = self.registries[("", "namespaces")]

        async def namespace_phase(name: str) -> str | None:
            try:
                obj = await ns.get("", name)
            except errors.StatusError:
                return None
            return (obj.get("status") or {}).get("phase", "Active")

        pcs = self.registries[("scheduling.k8s.io", "priorityclasses")]

        async def get_pc(name: str) -> dict | None:
            try:
                return await pcs.get("", name)
            except errors.StatusError:
                return None

        async def list_pcs() -> list[dict]:
            return (await pcs.list("")).items

        admission = Admission(get_priority_class=get_pc, list_priority_classes=list_pcs)
        for reg in self.registries.values():
            reg.namespace_exists = namespace_phase
            reg.admission = admission
        self.kubelets = KubeletClientConfig(config.client_ca, config.kubelet_client_cert, config.kubelet_client_key)
        self.api = ResourceAPI(self.catalogue, self.registries, self.kubelets)
        self.service_accounts: ServiceAccountTokens | None = None
        if config.service_account_key is not None:
            self.service_accounts = ServiceAccountTokens(config.service_account_key,
                                                         issuer=config.service_account_issuer,
                                                         audiences=config.api_audiences)
        self.authn = Authenticator(config.token_file, self.service_accounts, self.api.core_object)
        self.api.authn = self.authn
        self.api.service_accounts = self.service_accounts
        self.metrics = Metrics()
        self.ready = False
        self._runner: web.ServerRunner | None = None
        self._started = time.time()
        self._compactor: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.gather(*(r.start() for r in self.registries.values()))
        await bootstrap.ensure_defaults(self)
        self._runner = web.ServerRunner(web.Server(self.dispatch, access_log=None), handle_signals=False,
                                        shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host=self.config.bind_address, port=self.config.secure_port,
                           ssl_context=self._ssl_context(), backlog=1024, reuse_address=True)
        await site.start()
        if self.config.local_socket is not None:
            await self._serve_local_socket(self.config.local_socket)
        if self.config.compaction_interval > 0:
            self._compactor = asyncio.create_task(self._compact_loop(self.config.compaction_interval))
        self.ready = True

    async def _serve_local_socket(self, path: Path) -> None:
        assert self._runner is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        if path.is_socket():
            path.unlink()  # left by a server that did not stop cleanly
        await web.UnixSite(self._runner, str(path), backlog=1024).start()

    async def _compact_loop(self, interval: float) -> None:
        """Compact the store as upstream compacts etcd: every interval, up to the revision seen one interval ago,
        so watches and paged lists always have at least one interval of history."""
        previous = 0
        while True:
            await asyncio.sleep(interval)
            try:
                if previous:
                    await self.store.compact(previous)
                previous = await self.store.current_revision()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly unreachable: try again next interval
                log.exception("compaction failed")

    async def stop(self) -> None:
        self.ready = False
        if self._compactor is not None:
            self._compactor.cancel()
            await asyncio.gather(self._compactor, return_exceptions=True)
        # ending the watch caches ends every open watch stream, so the HTTP server can drain quickly
        for reg in self.registries.values():
            await reg.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.config.local_socket is not None and self.config.local_socket.is_socket():
            self.config.local_socket.unlink()
        await self.kubelets.close()

    @property
    def port(self) -> int:
        assert self._runner is not None
        for addr in self._runner.addresses:
            if isinstance(addr, tuple):  # the TLS port (the local socket's address is its path)
                return int(addr[1])
        return self.config.secure_port

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.config.tls_cert is None:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.config.tls_cert), str(self.config.tls_key))
        if self.config.client_ca is not None:
            ctx.load_verify_locations(cafile=str(self.config.client_ca))
            ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    # -- HTTP ----------------------------------------------------------------------------------------------
    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        start = time.perf_counter()
        path = request.path
        labels = (request.method.upper(), "", "", "", "", "", "")
        code = 500
        try:
            if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
                if path.startswith("/readyz") and not self.ready:
                    code = 500
                    return web.Response(text="[-]poststarthook/ready failed\nreadyz check failed", status=500)
                code = 200
                return web.Response(text="ok", content_type="text/plain")
            user = self.authn.authenticate(request)
            if user is None:
                pending = self.authn.pending_token(request)
                if pending:
                    user = (await self.authn.authenticate_token(pending)).user
            if user is None and path not in PUBLIC_PATHS:
                code = 401
                return status_response(errors.unauthorized())
            if user is not None and any(k[:12].lower() == "impersonate-" for k in request.headers):
                user = impersonated(request, user)
            request["user"] = user
            ri = parse_request_info(request.method, path, request.query.get("watch", "").lower() in ("true", "1"))
            labels = request_labels(request.method, ri, request.query, request.headers.get("Content-Type", ""))
            if ri.is_resource:
                resp = await self.api.handle(request, ri)
            else:
                resp = await self._non_resource(request, path)
            code = resp.status
            return resp
        except errors.StatusError as e:
            code = e.code
            return status_response(e)
        except (ConnectionResetError, asyncio.CancelledError):
            code = 499
            raise
        except Exception as e:  # a bug: answer 500 as upstream does, keep serving
            log.exception("internal error serving %s %s", request.method, path)
            code = 500
            return status_response(errors.internal_error(f"{type(e).__name__}: {e}"))
        finally:
            self.metrics.observe(labels, code, time.perf_counter() - start)

    async def _non_resource(self, request: web.BaseRequest, path: str) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            raise path_not_found()
        path = path.rstrip("/") or "/"
        accept = request.headers.get("Accept", "")
        if path == "/version":
            return json_response(VERSION_INFO)
        if path == "/api":
            agg = self._aggregated(accept)
            if agg:
                ctype, version = agg
                doc = discovery.aggregated_discovery(self.catalogue, legacy_core=True)
                return _with_type(doc, ctype, version)
            return json_response(discovery.api_versions(self._server_address(request)))
        if path == "/apis":
            agg = self._aggregated(accept)
            if agg:
                ctype, version = agg
                doc = discovery.aggregated_discovery(self.catalogue, legacy_core=False)
                return _with_type(doc, ctype, version)
            return json_response(discovery.api_group_list(self.catalogue))
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            doc = discovery.api_resource_list(self.catalogue, "", parts[1])
            if doc is not None:
                return json_response(doc)
        if parts[0] == "apis" and len(parts) == 2:
            doc = discovery.api_group(self.catalogue, parts[1])
            if doc is not None:
                return json_response(doc)
        if parts[0] == "apis" and len(parts) == 3:
            doc = discovery.api_resource_list(self.catalogue, parts[1], parts[2])
            if doc is not None:
                return json_response(doc)
        if path == "/openapi/v3":
            return json_response(openapi.openapi_v3_index(self.catalogue))
        if parts[0] == "openapi" and len(parts) > 2 and parts[1] == "v3":
            body = openapi.openapi_v3_document(self.catalogue, "/".join(parts[2:]))
            if body is not None:
                return web.Response(body=body, content_type="application/json",
                                    headers={"Cache-Control": "public, immutable"}
                                    if request.query.get("hash") else None)
        if path == "/metrics":
            return web.Response(text=self.metrics.render(self), content_type="text/plain")
        if self.service_accounts is not None and path in (_OIDC_CONFIG, _JWKS):
            if path == _JWKS:
                return web.Response(body=orjson.dumps(self.service_accounts.jwks()),
                                    content_type="application/jwk-set+json")
            jwks_uri = f"https://{self._server_address(request)}{_JWKS}"
            return json_response(self.service_accounts.openid_configuration(jwks_uri),
                                 headers={"Cache-Control": "public, max-age=3600"})
        if path == "/":
            return json_response({"paths": sorted(self._root_paths())})
        raise path_not_found()

    def _root_paths(self) -> list[str]:
        paths = {"/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/metrics", "/openapi/v3",
                 "/version"}
        if self.service_accounts is not None:
            paths.update((_OIDC_CONFIG, _JWKS))
        for group, versions in self.catalogue.groups():
            if group:
                paths.add(f"/apis/{group}")
                for v in versions:
                    paths.add(f"/apis/{group}/{v}")
        return list(paths)

    @staticmethod
    def _aggregated(accept: str) -> tuple[str, str] | None:
        for part in accept.split(","):
            p = part.replace(" ", "")
            if "as=APIGroupDiscoveryList" in p and "g=apidiscovery.k8s.io" in p:
                if "v=v2beta1" in p:
                    return _AGG_V2BETA1, "v2beta1"
                if "v=v2" in p:
                    return _AGG_V2, "v2"
        return None

    def _server_address(self, request: web.BaseRequest) -> str:
        host = self.config.advertise_address or self.config.bind_address
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"


def _with_type(doc: dict, ctype: str, version: str) -> web.Response:
    if version != "v2":
        doc = {**doc, "apiVersion": f"apidiscovery.k8s.io/{version}"}
    resp = json_response(doc)
    resp.headers["Content-Type"] = ctype
    return resp
