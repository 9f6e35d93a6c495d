"""Service account tokens: the TokenRequest API's JWTs, issued and verified as upstream's.

Tokens are RS256 JWTs signed with the cluster's service account key (``<data-dir>/tls/sa.key``), with upstream's
claims: ``iss`` (``--service-account-issuer``, by default ``https://kubernetes.default.svc.cluster.local``),
``sub`` (``system:serviceaccount:<ns>:<name>``), ``aud``, ``exp``/``iat``/``nbf``, ``jti`` and the private
``kubernetes.io`` claim naming the namespace, the service account and the object the token is bound to (a Pod,
Secret or Node). The header's ``kid`` is upstream's key id: the unpadded base64url SHA-256 of the DER public key.

A token authenticates while it is unexpired, its audience meets the API server's audiences, its service account
still exists with the same UID, and its bound object (if any) still exists with the same UID (a Pod also must not
be terminating): the user ``system:serviceaccount:<ns>:<name>`` in groups ``system:serviceaccounts``,
``system:serviceaccounts:<ns>`` and ``system:authenticated``, with the bound object and the token's id in
``extra`` as upstream.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kybernetes.machinery.errors import go_quote

from .authn import UserInfo

__all__ = ["DEFAULT_ISSUER", "ServiceAccountTokens", "TokenInvalid", "service_account_user"]

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"
#: Clock skew allowed on exp/nbf/iat (go-jose's default leeway, as upstream), and how long a terminating bound
#: object keeps its tokens valid past its deletionTimestamp.
LEEWAY = 60
_PRIVATE = "kubernetes.io"

#: ``get(resource, namespace, name)`` -> the stored object or None; resource is "serviceaccounts", "pods",
#: "secrets" or "nodes".
Getter = Callable[[str, str, str], Awaitable[dict[str, Any] | None]]


class TokenInvalid(Exception):
    """The token does not authenticate; the message says why (TokenReview's status.error)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def service_account_user(namespace: str, name: str, uid: str = "",
                         extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> UserInfo:
    return UserInfo(name=f"system:serviceaccount:{namespace}:{name}", uid=uid,
                    groups=("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
                    extra=extra)


@dataclass(frozen=True, slots=True)
class Issued:
    token: str
    issued: int  # unix seconds


class ServiceAccountTokens:
    """Issues and verifies the tokens of one signing key and issuer."""

    def __init__(self, key_path: Path, *, issuer: str = DEFAULT_ISSUER, audiences: tuple[str, ...] = (),
                 clock: Callable[[], float] = time.time) -> None:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path}: the service account key must be an RSA private key")
        self._key = key
        self._public = key.public_key()
        der = self._public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64url(hashlib.sha256(der).digest())
        self.issuer = issuer
        self.audiences = tuple(audiences) or (issuer,)
        self._clock = clock

    # -- issuing ---------------------------------------------------------------------------------------------
    def issue(self, *, namespace: str, service_account: dict[str, Any], audiences: list[str], seconds: int,
              bound: dict[str, Any] | None = None, bound_kind: str = "", node: dict[str, Any] | None = None,
              warn_after: int = 0) -> Issued:
        """A token for ``service_account`` valid ``seconds`` from now, bound to ``bound`` (a Pod, Secret or Node
        object of kind ``bound_kind``); ``node`` is the bound pod's node (only its name when the Node is gone).
        ``warn_after`` (seconds from now) marks an extended token, as upstream's ``warnafter``."""
        now = int(self._clock())
        md = service_account.get("metadata") or {}
        private: dict[str, Any] = {"namespace": namespace,
                                   "serviceaccount": {"name": md.get("name", ""), "uid": md.get("uid", "")}}
        if bound is not None:
            bmd = bound.get("metadata") or {}
            ref = {"name": bmd.get("name", ""), "uid": bmd.get("uid", "")}
            private[bound_kind.lower()] = ref
            if bound_kind == "Pod" and node is not None:
                nmd = node.get("metadata") or {}
                private["node"] = {"name": nmd.get("name", ""), **({"uid": nmd["uid"]} if nmd.get("uid") else {})}
        if warn_after:
            private["warnafter"] = now + warn_after
        claims = {"aud": list(audiences), "exp": now + seconds, "iat": now, "iss": self.issuer,
                  "jti": str(uuid.uuid4()), _PRIVATE: private, "nbf": now,
                  "sub": f"system:serviceaccount:{namespace}:{md.get('name', '')}"}
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        return Issued(token, now)

    # -- verifying -------------------------------------------------------------------------------------------
    @staticmethod
    def looks_like_jwt(token: str) -> bool:
        return token.count(".") == 2

    async def authenticate(self, token: str, get: Getter,
                           audiences: tuple[str, ...] = ()) -> tuple[UserInfo, tuple[str, ...]]:
        """The token's user and the audiences it was accepted for (those of ``audiences``, by default the API
        server's, that the token names); raises TokenInvalid with upstream's reason."""
        want = tuple(audiences) or self.audiences
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenInvalid("invalid bearer token") from None
        if unverified.get("iss") != self.issuer:  # not one of ours
            raise TokenInvalid("invalid bearer token")
        if header.get("alg") != "RS256" or header.get("kid", self.kid) != self.kid:
            raise TokenInvalid("invalid signature, no keys found")
        try:
            claims = jwt.decode(token, self._public, algorithms=["RS256"], leeway=LEEWAY,
                                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False})
        except jwt.PyJWTError:
            raise TokenInvalid("invalid signature") from None
        token_auds = claims.get("aud")
        token_auds = [token_auds] if isinstance(token_auds, str) else list(token_auds or [])
        accepted = tuple(a for a in want if a in token_auds)
        if not accepted:
            raise TokenInvalid(f"token audiences {_go_quoted(token_auds)} is invalid for the target audiences "
                               f"{_go_quoted(list(want))}")
        now = self._clock()
        if _num(claims.get("exp")) is None or now > claims["exp"] + LEEWAY:
            raise TokenInvalid("service account token has expired")
        if _num(claims.get("nbf")) is not None and now < claims["nbf"] - LEEWAY:
            raise TokenInvalid("service account token is not valid yet")
        if _num(claims.get("iat")) is not None and now < claims["iat"] - LEEWAY:
            raise TokenInvalid("service account token is issued in the future")
        private = claims.get(_PRIVATE)
        if not isinstance(private, dict):
            raise TokenInvalid("service account token claims could not be validated due to unexpected private claim")
        ns = private.get("namespace") or ""
        sa_ref = private.get("serviceaccount") or {}
        sa_name = sa_ref.get("name") or ""
        if not ns or not sa_name or claims.get("sub") != f"system:serviceaccount:{ns}:{sa_name}":
            raise TokenInvalid("service account token claims could not be validated due to unexpected private claim")
        deleted_before = now - LEEWAY  # a terminating object keeps its tokens valid for this long

        def gone(obj: dict[str, Any]) -> bool:
            stamp = (obj.get("metadata") or {}).get("deletionTimestamp")
            return bool(stamp) and _unix(stamp) < deleted_before

        sa = await get("serviceaccounts", ns, sa_name)
        if sa is None:
            raise TokenInvalid(f'serviceaccounts "{sa_name}" not found')
        sa_uid = (sa.get("metadata") or {}).get("uid", "")
        if sa_uid != sa_ref.get("uid"):
            raise TokenInvalid(f"service account UID ({sa_uid}) does not match claim ({sa_ref.get('uid', '')})")
        if gone(sa):
            raise TokenInvalid(f"service account {ns}/{sa_name} has been deleted")
        extra: list[tuple[str, tuple[str, ...]]] = []
        # a pod-bound token names the pod's node for information only; a node-bound one needs the node
        bound = [("secret", "secrets", ns), ("pod", "pods", ns)]
        if "pod" not in private:
            bound.append(("node", "nodes", ""))
        for kind, resource, where in bound:
            ref = private.get(kind)
            if not isinstance(ref, dict):
                continue
            obj = await get(resource, where, ref.get("name", ""))
            if obj is None:
                raise TokenInvalid("service account token has been invalidated")
            uid = (obj.get("metadata") or {}).get("uid", "")
            if uid != ref.get("uid"):
                raise TokenInvalid(f"{kind} UID ({uid}) does not match service account {kind} ref claim "
                                   f"({ref.get('uid', '')})")
            if gone(obj):
                raise TokenInvalid("service account token has been invalidated")
        for kind in ("pod", "node"):
            ref = private.get(kind)
            if isinstance(ref, dict):
                extra.append((f"authentication.kubernetes.io/{kind}-name", (ref.get("name", ""),)))
                if ref.get("uid"):
                    extra.append((f"authentication.kubernetes.io/{kind}-uid", (ref["uid"],)))
        if claims.get("jti"):
            extra.append(("authentication.kubernetes.io/credential-id", (f"JTI={claims['jti']}",)))
        extra.sort()
        return service_account_user(ns, sa_name, sa_uid, tuple(extra)), accepted

    # -- discovery -------------------------------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        nums = self._public.public_numbers()

        def b64int(n: int) -> str:
            return _b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

        return {"keys": [{"use": "sig", "kty": "RSA", "kid": self.kid, "alg": "RS256",
                          "n": b64int(nums.n), "e": b64int(nums.e)}]}

    def openid_configuration(self, jwks_uri: str) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": jwks_uri, "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]}


def _go_quoted(items: list[str]) -> str:
    """A string slice as Go's %q prints it: ["a" "b"]."""
    return "[" + " ".join(go_quote(i) for i in items) + "]"


def _num(v: Any) -> float | None:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _unix(stamp: str) -> float:
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
