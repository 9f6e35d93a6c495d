"""Helpers for the integration tests: raw HTTPS calls with the admin certificate, unique namespaces, kubectl runs.

Every call here is bounded in time: a hung server must fail a test, never hang the suite.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cluster, kubectl_binary

KUBECTL_MINORS = (30, 31, 32, 33)
CALL_TIMEOUT = 60.0


@dataclass
class Response:
    """One HTTP answer: status code, headers (lower-cased names) and raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, method: str = "GET", body: Any = None, *, ctx: ssl.SSLContext,
            headers: dict[str, str] | None = None, timeout: float = 30.0) -> Response:
    """Send one HTTPS request; `body` may be bytes (sent as is) or a JSON-able value. Never raises on HTTP codes."""
    data: bytes | None
    hdrs = {"Accept": "application/json", **(headers or {})}
    if body is None:
        data = None
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    else:
        data = json.dumps(body).encode()
    if data is not None:
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=timeout) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


class API:
    """Raw HTTPS access to one cluster as the admin (or, with `anonymous_ctx`, as nobody)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.ctx = cluster.ssl_context()
        self.anonymous_ctx = ssl.create_default_context(cafile=str(cluster.ca))

    def call(self, method: str, path: str, body: Any = None, *, anonymous: bool = False,
             headers: dict[str, str] | None = None, timeout: float = 30.0) -> Response:
        return request(self.cluster.url + path, method, body, ctx=self.anonymous_ctx if anonymous else self.ctx,
                       headers=headers, timeout=timeout)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """Like call() but asserts a 2xx answer and returns the decoded JSON body."""
        r = self.call(method, path, body, **kw)
        assert 200 <= r.status < 300, f"{method} {path} -> {r.status}: {r.body[:2000]!r}"
        return r.json()

    def create_namespace(self, prefix: str = "it") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.ok("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        return name

    def create_configmap(self, ns: str, name: str, data: dict[str, str] | None = None,
                         labels: dict[str, str] | None = None) -> dict:
        meta: dict[str, Any] = {"name": name}
        if labels:
            meta["labels"] = labels
        return self.ok("POST", f"/api/v1/namespaces/{ns}/configmaps",
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {}})


@pytest.fixture(scope="session")
def api(cluster: Cluster) -> API:
    return API(cluster)


@pytest.fixture
def ns(api: API) -> str:
    """A fresh namespace for one test."""
    return api.create_namespace()


class Kubectl:
    """One kubectl binary against the cluster, with its own discovery cache dir."""

    def __init__(self, binary: str, minor: int, kubeconfig: Path, cache_dir: Path) -> None:
        self.binary = binary
        self.minor = minor
        self.kubeconfig = kubeconfig
        self.cache_dir = cache_dir

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache_dir), *args]

    def run(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = CALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run kubectl with `args`; with `check`, assert exit code 0 (showing stdout/stderr on failure)."""
        r = subprocess.run(self.argv(*args), input=input, capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, (f"kubectl 1.{self.minor} {' '.join(args)} -> rc {r.returncode}\n"
                                       f"stdout: {r.stdout[-3000:]}\nstderr: {r.stderr[-3000:]}")
        return r

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)


@pytest.fixture(params=KUBECTL_MINORS, ids=lambda m: f"kubectl1.{m}")
def kubectl(request: pytest.FixtureRequest, cluster: Cluster, tmp_path: Path) -> Kubectl:
    minor = request.param
    binary = kubectl_binary(minor)
    if binary is None:
        pytest.skip(f"kubectl.1.{minor} is not installed")
    return Kubectl(binary, minor, cluster.kubeconfig, tmp_path / "kube-cache")
