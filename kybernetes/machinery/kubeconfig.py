"""Kybernetes' own kubeconfig extension: where this machine's API server listens on a Unix socket.

A kubeconfig's clusters and users may carry named ``extensions`` that other clients ignore. The API server's
admin kubeconfig carries ``kybernetes.io/local-socket`` twice: on the cluster, ``{"path": <socket>}``; on the
user, ``{"token": <bearer token>}`` to present there (the socket has no TLS, so no client certificate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LOCAL_SOCKET_EXTENSION", "extension", "add_local_socket"]

LOCAL_SOCKET_EXTENSION = "kybernetes.io/local-socket"


def extension(entry: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The ``extension`` object of the named extension ``name`` of a kubeconfig cluster or user, or {}."""
    for e in entry.get("extensions") or ():
        if isinstance(e, Mapping) and e.get("name") == name and isinstance(e.get("extension"), Mapping):
            return e["extension"]
    return {}


def add_local_socket(cluster: dict[str, Any], user: dict[str, Any], *, path: str, token: str) -> None:
    """Add the local-socket extensions to a kubeconfig ``cluster`` and ``user`` (mutates them)."""
    cluster.setdefault("extensions", []).append({"name": LOCAL_SOCKET_EXTENSION, "extension": {"path": path}})
    user.setdefault("extensions", []).append({"name": LOCAL_SOCKET_EXTENSION, "extension": {"token": token}})
