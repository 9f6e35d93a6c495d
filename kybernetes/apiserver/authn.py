"""Authentication: who sent a request, from its verified client certificate or its bearer token.

Chain as upstream: x509 client certificates signed by the cluster CA (user = CommonName, groups = Organizations),
then static bearer tokens from the token file (``token,user,uid,"group1,group2"``), then service account tokens
(JWTs of the TokenRequest API, :mod:`.satokens`; checking them may read the store, so they take the asynchronous
:meth:`Authenticator.authenticate_token`). A request that authenticates by none of these is anonymous: only health
checks and /version are served to it; everything else answers 401.
"""

from __future__ import annotations

import csv
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .satokens import ServiceAccountTokens

__all__ = ["UserInfo", "Authenticator", "PUBLIC_PATHS", "TokenResult", "impersonated", "read_token_file"]

PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version"})


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = field(default=())
    extra: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())  # sorted (key, values) pairs


@dataclass(frozen=True, slots=True)
class TokenResult:
    """What a bearer token is worth (a TokenReview's answer): its user, or why it has none."""

    user: UserInfo | None
    audiences: tuple[str, ...] = ()
    error: str = ""


class Authenticator:
    """Authenticates requests; cheap enough for every request (a dict lookup or a parsed peer certificate)."""

    def __init__(self, token_file: Path | None = None, service_accounts: ServiceAccountTokens | None = None,
                 get: Callable[[str, str, str], Awaitable[dict[str, Any] | None]] | None = None) -> None:
        self._tokens: dict[str, UserInfo] = {}
        self.service_accounts = service_accounts
        self._get = get  # reads objects for service account token checks
        # the verified peer certificate cannot change on a connection: remember its user per open transport
        # (TLS transports take no weak references; closed ones are swept out as new connections arrive)
        self._by_transport: dict[int, tuple[object, UserInfo | None]] = {}
        self._sweep_at = 256
        if token_file is not None and token_file.exists():
            self.load_tokens(token_file)

    def load_tokens(self, path: Path) -> None:
        self._tokens = read_token_file(path)

    def authenticate(self, request: web.BaseRequest) -> UserInfo | None:
        """The user of ``request``, or None when it carries no valid credential that can be checked at once (a
        service account token needs :meth:`authenticate_token`: see :meth:`pending_token`)."""
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            return self._static(auth[7:].strip())
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

    def _static(self, token: str) -> UserInfo | None:
        for known, user in self._tokens.items():
            if hmac.compare_digest(known, token):
                return user
        return None

    def pending_token(self, request: web.BaseRequest) -> str:
        """The request's bearer token when it may be a service account token (to check asynchronously), else ""."""
        auth = request.headers.get("Authorization", "")
        if self.service_accounts is None or auth[:7].lower() != "bearer ":
            return ""
        token = auth[7:].strip()
        return token if self.service_accounts.looks_like_jwt(token) else ""

    async def authenticate_token(self, token: str, audiences: tuple[str, ...] = ()) -> TokenResult:
        """Check a bearer token against every token authenticator (static tokens, service account tokens).

        ``audiences`` are the audiences the caller accepts (a TokenReview's spec.audiences); by default the API
        server's. Static tokens are not bound to an audience: they are accepted for the requested audiences that
        the API server itself accepts, as upstream's audience-agnostic authenticators are."""
        sat = self.service_accounts
        api_audiences = sat.audiences if sat is not None else ()
        user = self._static(token)
        if user is not None:
            if not audiences:
                return TokenResult(user, api_audiences)
            accepted = tuple(a for a in audiences if a in api_audiences)
            if api_audiences and not accepted:
                return TokenResult(None, (), "token audiences are invalid for the target audiences")
            return TokenResult(user, accepted)
        if sat is not None and self._get is not None and sat.looks_like_jwt(token):
            from .satokens import TokenInvalid

            try:
                user, accepted = await sat.authenticate(token, self._get, tuple(audiences))
            except TokenInvalid as e:
                return TokenResult(None, (), str(e))
            return TokenResult(user, accepted)
        return TokenResult(None, (), "invalid bearer token")

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


_EXTRA_PREFIX = "impersonate-extra-"
_SA_PREFIX = "system:serviceaccount:"


def impersonated(request: web.BaseRequest, user: UserInfo) -> UserInfo:
    """The user a request acts as: ``user``, or the one its ``Impersonate-*`` headers name (``kubectl --as``,
    ``--as-group``, ``--as-uid``), as upstream's impersonation filter builds it. Every user may impersonate (no
    RBAC yet: upstream's AlwaysAllow mode). Raises StatusError 400 for groups, a uid or extras without a user."""
    headers = request.headers
    name = headers.get("Impersonate-User", "")
    groups = headers.getall("Impersonate-Group", [])
    uid = headers.get("Impersonate-Uid", "")
    extra: dict[str, list[str]] = {}
    for key, value in headers.items():
        if key.lower().startswith(_EXTRA_PREFIX):
            extra.setdefault(unquote(key[len(_EXTRA_PREFIX):]).lower(), []).append(value)
    if not name:
        if groups or uid or extra:
            from kybernetes.machinery import errors

            asked = [f"{{Group  {g}   }}" for g in groups] + ([f"{{UID    {uid}  }}"] if uid else [])
            raise errors.bad_request(f"requested [{' '.join(asked) or 'extra'}] without impersonating a user")
        return user
    group_list = list(groups)
    if name.startswith(_SA_PREFIX) and not groups:
        ns = name[len(_SA_PREFIX):].partition(":")[0]
        group_list = ["system:serviceaccounts", f"system:serviceaccounts:{ns}"]
    if name != "system:anonymous" and not {"system:authenticated", "system:unauthenticated"} & set(group_list):
        group_list.append("system:authenticated")
    return UserInfo(name=name, uid=uid, groups=tuple(group_list),
                    extra=tuple(sorted((k, tuple(v)) for k, v in extra.items())))
