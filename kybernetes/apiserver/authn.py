"""Authentication: who sent a request, from its verified client certificate or its bearer token.

Chain as upstream: x509 client certificates signed by the cluster CA (user = CommonName, groups = Organizations),
then static bearer tokens from the token file (``token,user,uid,"group1,group2"``). A request that neither
authenticates is anonymous: only health checks and /version are served to it; everything else answers 401.
"""

from __future__ import annotations

import csv
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

__all__ = ["UserInfo", "Authenticator", "PUBLIC_PATHS", "read_token_file"]

PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version"})


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = field(default=())


class Authenticator:
    """Authenticates requests; cheap enough for every request (a dict lookup or a parsed peer certificate)."""

    def __init__(self, token_file: Path | None = None) -> None:
        self._tokens: dict[str, UserInfo] = {}
        # the verified peer certificate cannot change on a connection: remember its user per open transport
        # (TLS transports take no weak references; closed ones are swept out as new connections arrive)
        self._by_transport: dict[int, tuple[object, UserInfo | None]] = {}
        self._sweep_at = 256
        if token_file is not None and token_file.exists():
            self.load_tokens(token_file)

    def load_tokens(self, path: Path) -> None:
        self._tokens = read_token_file(path)

    def authenticate(self, request: web.BaseRequest) -> UserInfo | None:
        """The user of ``request``, or None when it carries no valid credential."""
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
            for known, user in self._tokens.items():
                if hmac.compare_digest(known, token):
                    return user
            return None
        transport = request.transport
        if transport is None:
            return None
        hit = self._by_transport.get(id(transport))
        if hit is not None and hit[0] is transport:
            return hit[1]
        user = self._from_certificate(transport)
        self._by_transport[id(transport)] = (transport, user)
        if len(self._by_transport) >= self._sweep_at:
            self._by_transport = {k: v for k, v in self._by_transport.items()
                                  if not v[0].is_closing()}  # type: ignore[attr-defined]
            self._sweep_at = max(256, 2 * len(self._by_transport))
        return user

    @staticmethod
    def _from_certificate(transport: object) -> UserInfo | None:
        cert = transport.get_extra_info("peercert")  # type: ignore[attr-defined]
        if not cert:
            return None
        cn = ""
        orgs: list[str] = []
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    cn = value
                elif key == "organizationName":
                    orgs.append(value)
        if not cn:
            return None
        return UserInfo(name=cn, groups=tuple(orgs) + ("system:authenticated",))


def read_token_file(path: Path) -> dict[str, UserInfo]:
    """A static token file (``token,user,uid,"group1,group2"`` per line, ``#`` comments): token -> user.
    Raises OSError when it cannot be read."""
    tokens: dict[str, UserInfo] = {}
    with path.open(newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or row[0].startswith("#"):
                continue
            groups = tuple(g for g in (row[3].split(",") if len(row) > 3 else []) if g)
            tokens[row[0]] = UserInfo(name=row[1], uid=row[2] if len(row) > 2 else "",
                                      groups=groups + ("system:authenticated",))
    return tokens
