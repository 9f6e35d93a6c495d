"""HTTP access to the API server: one keep-alive aiohttp session, JSON bodies, ``Status`` answers as errors.

A :class:`RESTClient` is built from a kubeconfig (client certificate or bearer token, server CA) and offers the
API verbs over resource paths.  Paths are built by :func:`resource_path` from group, version, plural, namespace,
name and subresource, the layout ``/api/v1/...`` for the core group and ``/apis/<group>/<version>/...`` otherwise.
Any non-2xx answer is raised as :class:`~kybernetes.machinery.errors.StatusError` rebuilt from the ``Status``
body (or synthesised from the HTTP code when the body is not a Status).  ``watch`` yields the events of a watch
stream (``{"type": ..., "object": ...}``) parsed from newline-delimited JSON.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import ssl
import stat
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import orjson
import yaml
from yarl import URL

from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.kubeconfig import LOCAL_SOCKET_EXTENSION, extension

__all__ = ["RESTClient", "resource_path", "PATCH_TYPES", "user_agent"]

PATCH_TYPES = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}

Params = Mapping[str, Any] | None


def user_agent(component: str) -> str:
    """A component's User-Agent in client-go's form (``<command>/<version> (<os>/<arch>) ...``). The API server
    records writes without a ``fieldManager`` under the part before the first ``/``, so a component's objects show
    ``kube-controller-manager``, ``kube-scheduler`` or ``kubelet`` in their managedFields, as upstream's do."""
    return f"{component}/v1.32.0 (linux/amd64) kybernetes"


DEFAULT_USER_AGENT = user_agent("kybernetes-client")


def resource_path(group: str, version: str, plural: str, namespace: str = "", name: str = "",
                  subresource: str = "") -> str:
    """The URL path of a collection (no name) or an object; ``namespaces/<ns>`` is inserted when ``namespace``
    is set.  Pure function."""
    parts = ["/api/v1"] if not group else [f"/apis/{group}/{version}"]
    if namespace:
        parts.append(f"namespaces/{namespace}")
    parts.append(plural)
    if name:
        parts.append(name)
        if subresource:
            parts.append(subresource)
    return "/".join(parts)


# one header dict per body type a request can carry (made once, shared by every request)
_CONTENT_TYPES = {t: {"Content-Type": t} for t in ("application/json", *PATCH_TYPES.values())}


def _query(params: Params) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in (params or {}).items():
        if v is None or v == "":
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def _status_error(code: int, body: bytes) -> StatusError:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and data.get("kind") == "Status":
        err = StatusError.from_status(data)
        if not err.code:
            err.code = code
        return err
    text = body.decode("utf-8", "replace").strip()
    return StatusError(code, "", text or f"the server responded with HTTP {code}")


class RESTClient:
    """An API server connection.  Safe to use from many tasks of one event loop; call :meth:`close` when done."""

    def __init__(self, server: str, *, ssl_context: ssl.SSLContext | None = None, token: str = "",
                 timeout: float = 30.0, user_agent: str = DEFAULT_USER_AGENT, unix_socket: str = "") -> None:
        """``unix_socket``: reach the server over this local socket (plain HTTP; ``server`` then only names the
        host in requests)."""
        self.server = server.rstrip("/")
        self.unix_socket = unix_socket
        self._ssl = ssl_context
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._request_timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def derived(self, *, accept: str) -> RESTClient:
        """A new client for the same server and credentials that sends ``Accept: accept``. It has its own
        connection pool: the caller closes it."""
        client = RESTClient(self.server, ssl_context=self._ssl, timeout=self._timeout,
                            unix_socket=self.unix_socket)
        client._headers = {**self._headers, "Accept": accept}
        return client

    @classmethod
    def from_kubeconfig(cls, path: str | os.PathLike[str], *, context: str = "",
                        user_agent: str = DEFAULT_USER_AGENT, local_socket: bool = True) -> RESTClient:
        """Read a kubeconfig (its current context unless ``context`` is given): server, CA (data or file),
        client certificate/key (data or file) or bearer token (or tokenFile).  Raises ValueError if incomplete.

        With ``local_socket``, a cluster whose ``kybernetes.io/local-socket`` extension names a Unix socket that
        exists here, and whose user's extension of that name carries a token, is reached over that socket (the
        API server's local listener: no TLS, so a third less CPU per request on both ends). The server must then
        be a loopback address: the socket stands in for the same machine's TLS port. kubectl and other clients
        ignore the extensions and use ``server``."""
        path = Path(path)
        cfg = yaml.safe_load(path.read_text()) or {}
        ctx_name = context or cfg.get("current-context") or ""

        def pick(kind: str, name: str) -> dict[str, Any]:
            for entry in cfg.get(kind + "s") or []:
                if entry.get("name") == name:
                    return entry.get(kind) or {}
            raise ValueError(f"kubeconfig {path}: no {kind} named {name!r}")

        ctx = pick("context", ctx_name)
        cluster = pick("cluster", ctx.get("cluster", ""))
        user = pick("user", ctx["user"]) if ctx.get("user") else {}
        base = path.parent

        def material(data_key: str, file_key: str, where: Mapping[str, Any]) -> bytes | None:
            if where.get(data_key):
                return base64.b64decode(where[data_key])
            if where.get(file_key):
                return (base / where[file_key]).read_bytes()
            return None

        sslctx = None
        server = cluster.get("server") or ""
        if not server:
            raise ValueError(f"kubeconfig {path}: cluster has no server")
        if local_socket:
            sock = str(extension(cluster, LOCAL_SOCKET_EXTENSION).get("path") or "")
            sock_token = str(extension(user, LOCAL_SOCKET_EXTENSION).get("token") or "")
            if sock and sock_token and _is_loopback(server) and _is_socket(sock):
                return cls("http://localhost", token=sock_token, user_agent=user_agent, unix_socket=sock)
        if server.startswith("https"):
            ca = material("certificate-authority-data", "certificate-authority", cluster)
            if cluster.get("insecure-skip-tls-verify"):
                sslctx = ssl.create_default_context()
                sslctx.check_hostname = False
                sslctx.verify_mode = ssl.CERT_NONE
            else:
                sslctx = ssl.create_default_context(cadata=ca.decode() if ca else None)
            cert = material("client-certificate-data", "client-certificate", user)
            key = material("client-key-data", "client-key", user)
            if cert and key:
                _load_cert_chain(sslctx, cert, key)
        token = user.get("token") or ""
        if not token and user.get("tokenFile"):
            token = (base / user["tokenFile"]).read_text().strip()
        return cls(server, ssl_context=sslctx, token=token, user_agent=user_agent)

    # -- session -------------------------------------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector: aiohttp.BaseConnector
            if self.unix_socket:
                connector = aiohttp.UnixConnector(path=self.unix_socket, limit=100)
            else:
                connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else False, limit=100)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers,
                                                  json_serialize=lambda o: orjson.dumps(o).decode())
        return self._session

    async def close(self) -> None:
        """Close the session (idempotent)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RESTClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- verbs ---------------------------------------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: Params = None, body: Any = None,
                      content_type: str = "application/json") -> Any:
        """Send one request and return the decoded JSON answer; raises StatusError on a non-2xx answer and
        aiohttp.ClientError / asyncio.TimeoutError on connection trouble."""
        data = None
        headers = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else orjson.dumps(body)
            headers = _CONTENT_TYPES.get(content_type) or {"Content-Type": content_type}
        session = self._get_session()
        url = self.server + path
        if params:
            query = _query(params)
            if query:
                url += "?" + urlencode(query, quote_via=quote)
        # The URL is sent as built (paths come from resource_path, the query is encoded above): yarl's parsing
        # and re-encoding of every request's URL is a good part of a small request's client-side cost.
        async with session.request(method, URL(url, encoded=True), data=data, headers=headers,
                                   timeout=self._request_timeout) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                raise _status_error(resp.status, raw)
            return orjson.loads(raw) if raw else None

    async def get(self, path: str, params: Params = None) -> dict[str, Any]:
        return await self.request("GET", path, params=params)

    async def list(self, path: str, params: Params = None) -> dict[str, Any]:
        return await self.request("GET", path, params=params)

    async def create(self, path: str, body: dict[str, Any], params: Params = None) -> dict[str, Any]:
        return await self.request("POST", path, params=params, body=body)

    async def update(self, path: str, body: dict[str, Any], params: Params = None) -> dict[str, Any]:
        return await self.request("PUT", path, params=params, body=body)

    async def patch(self, path: str, body: Any, patch_type: str = "merge", params: Params = None) -> dict[str, Any]:
        """``patch_type`` is ``json``, ``merge``, ``strategic`` or ``apply`` (or a full content type)."""
        return await self.request("PATCH", path, params=params, body=body,
                                  content_type=PATCH_TYPES.get(patch_type, patch_type))

    async def delete(self, path: str, body: dict[str, Any] | None = None, params: Params = None) -> Any:
        return await self.request("DELETE", path, params=params, body=body)

    async def watch(self, path: str, params: Params = None) -> AsyncIterator[dict[str, Any]]:
        """Open a watch (``watch=true`` is added) and yield each event as a dict until the server ends the
        stream.  Raises StatusError if the server refuses the watch itself; ERROR events are yielded as-is."""
        query = {**_query(params), "watch": "true"}
        session = self._get_session()
        # No overall limit; but a silent connection must not hang past the server-side timeout.
        server_timeout = int(query.get("timeoutSeconds") or 0)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._timeout,
                                        sock_read=server_timeout + 30 if server_timeout else None)
        async with session.get(self.server + path, params=query, timeout=timeout) as resp:
            if resp.status >= 300:
                raise _status_error(resp.status, await resp.read())
            buf = b""
            async for chunk in resp.content.iter_any():
                buf = buf + chunk if buf else chunk
                start = 0
                # a chunk may hold hundreds of events: walk it once instead of re-slicing the rest per line
                while (nl := buf.find(b"\n", start)) >= 0:
                    if nl > start:
                        yield orjson.loads(buf[start:nl])
                    start = nl + 1
                buf = buf[start:] if start < len(buf) else b""
            if buf.strip():
                yield orjson.loads(buf)


def _is_loopback(server: str) -> bool:
    host = URL(server).host or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _load_cert_chain(ctx: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    """ssl only loads certificates from files: write both to a private temporary directory and remove it."""
    with tempfile.TemporaryDirectory(prefix="kyb-client-") as d:
        cp, kp = Path(d) / "tls.crt", Path(d) / "tls.key"
        cp.write_bytes(cert)
        kp.touch(mode=0o600)
        kp.write_bytes(key)
        ctx.load_cert_chain(str(cp), str(kp))
