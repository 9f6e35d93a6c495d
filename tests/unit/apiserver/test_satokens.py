"""Service account tokens, issued and checked with a fake clock and fake objects: claims, time limits with
upstream's one-minute leeway, bound objects (pod, secret, node) and their deletion, audiences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest

from kybernetes.apiserver.pki import ensure_pki
from kybernetes.apiserver.satokens import DEFAULT_ISSUER, ServiceAccountTokens, TokenInvalid

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def obj(name: str, uid: str, deleting: str = "") -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "uid": uid}
    if deleting:
        md["deletionTimestamp"] = deleting
    return {"metadata": md}


class Objects:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], dict[str, Any]] = {
            ("serviceaccounts", "ns", "robot"): obj("robot", "sa-1"),
            ("pods", "ns", "web"): obj("web", "pod-1"),
            ("secrets", "ns", "s"): obj("s", "sec-1"),
            ("nodes", "", "n1"): obj("n1", "node-1"),
        }

    async def __call__(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.items.get((resource, namespace, name))


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_pki(tmp_path_factory.mktemp("pki")).sa_key


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(key: Path, clock: Clock) -> ServiceAccountTokens:
    return ServiceAccountTokens(key, clock=clock)


def issue(tokens: ServiceAccountTokens, objects: Objects, *, seconds: int = 3600, kind: str = "",
          name: str = "", audiences: list[str] | None = None, **kw: Any) -> str:
    bound = None
    if kind:
        resource = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}[kind]
        bound = objects.items[(resource, "" if kind == "Node" else "ns", name)]
    return tokens.issue(namespace="ns", service_account=objects.items[("serviceaccounts", "ns", "robot")],
                        audiences=audiences or [DEFAULT_ISSUER], seconds=seconds, bound=bound, bound_kind=kind,
                        **kw).token


async def check(tokens: ServiceAccountTokens, objects: Objects, token: str, *auds: str):
    return await tokens.authenticate(token, objects, tuple(auds))


async def test_claims_and_user(tokens: ServiceAccountTokens) -> None:
    objects = Objects()
    token = issue(tokens, objects)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iat"] == claims["nbf"] == int(T0) and claims["exp"] == int(T0) + 3600
    assert claims["kubernetes.io"] == {"namespace": "ns", "serviceaccount": {"name": "robot", "uid": "sa-1"}}
    assert jwt.get_unverified_header(token)["kid"] == tokens.kid and len(tokens.kid) == 43
    user, auds = await check(tokens, objects, token)
    assert (user.name, user.uid) == ("system:serviceaccount:ns:robot", "sa-1")
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated")
    assert dict(user.extra) == {"authentication.kubernetes.io/credential-id": (f"JTI={claims['jti']}",)}
    assert auds == (DEFAULT_ISSUER,)


async def test_time_limits_with_a_minute_of_leeway(tokens: ServiceAccountTokens, clock: Clock) -> None:
    objects = Objects()
    token = issue(tokens, objects, seconds=600)
    clock.t = T0 + 600 + 59
    await check(tokens, objects, token)
    clock.t = T0 + 600 + 61
    with pytest.raises(TokenInvalid, match="^service account token has expired$"):
        await check(tokens, objects, token)
    clock.t = T0 - 59
    await check(tokens, objects, token)
    clock.t = T0 - 61
    with pytest.raises(TokenInvalid, match="^service account token is not valid yet$"):
        await check(tokens, objects, token)


async def test_audiences(tokens: ServiceAccountTokens) -> None:
    objects = Objects()
    token = issue(tokens, objects, audiences=["vault", "api"])
    with pytest.raises(TokenInvalid) as e:
        await check(tokens, objects, token)
    assert str(e.value) == f'token audiences ["vault" "api"] is invalid for the target audiences ["{DEFAULT_ISSUER}"]'
    _, auds = await check(tokens, objects, token, "api", "other")
    assert auds == ("api",)


async def test_service_account_must_still_be_the_same(tokens: ServiceAccountTokens) -> None:
    objects = Objects()
    token = issue(tokens, objects)
    await replaced_then_deleted(tokens, objects, token, ("serviceaccounts", "ns", "robot"),
                                r"^service account UID \(sa-2\) does not match claim \(sa-1\)$",
                                '^serviceaccounts "robot" not found$')


async def replaced_then_deleted(tokens: ServiceAccountTokens, objects: Objects, token: str,
                                key: tuple[str, str, str], replaced: str,
                                deleted: str = "^service account token has been invalidated$") -> None:
    """The object ``key`` recreated (a new UID: the old one's uid ends in 1, the new one's in 2), then gone."""
    old = objects.items[key]["metadata"]
    objects.items[key] = obj(old["name"], old["uid"][:-1] + "2")
    with pytest.raises(TokenInvalid, match=replaced):
        await check(tokens, objects, token)
    del objects.items[key]
    with pytest.raises(TokenInvalid, match=deleted):
        await check(tokens, objects, token)


async def test_pod_bound_token_follows_the_pod(tokens: ServiceAccountTokens, clock: Clock) -> None:
    objects = Objects()
    token = issue(tokens, objects, kind="Pod", name="web", node=obj("n1", "node-1"))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["kubernetes.io"]["pod"] == {"name": "web", "uid": "pod-1"}
    assert claims["kubernetes.io"]["node"] == {"name": "n1", "uid": "node-1"}
    user, _ = await check(tokens, objects, token)
    extra = dict(user.extra)
    assert extra["authentication.kubernetes.io/pod-name"] == ("web",)
    assert extra["authentication.kubernetes.io/pod-uid"] == ("pod-1",)
    assert extra["authentication.kubernetes.io/node-name"] == ("n1",)
    assert extra["authentication.kubernetes.io/node-uid"] == ("node-1",)
    # terminating: still valid for a minute after the deletion timestamp, then not
    objects.items[("pods", "ns", "web")] = obj("web", "pod-1", deleting="2027-01-15T08:00:00Z")
    clock.t = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    await check(tokens, objects, token)
    clock.t += 61
    with pytest.raises(TokenInvalid, match="^service account token has been invalidated$"):
        await check(tokens, objects, token)
    await replaced_then_deleted(tokens, objects, token, ("pods", "ns", "web"),
                                r"^pod UID \(pod-2\) does not match service account pod ref claim \(pod-1\)$")


async def test_secret_and_node_bound_tokens(tokens: ServiceAccountTokens) -> None:
    objects = Objects()
    secret = issue(tokens, objects, kind="Secret", name="s")
    node = issue(tokens, objects, kind="Node", name="n1")
    assert jwt.decode(node, options={"verify_signature": False})["kubernetes.io"]["node"] == {"name": "n1",
                                                                                             "uid": "node-1"}
    await check(tokens, objects, secret)
    user, _ = await check(tokens, objects, node)
    assert dict(user.extra)["authentication.kubernetes.io/node-name"] == ("n1",)
    await replaced_then_deleted(tokens, objects, secret, ("secrets", "ns", "s"),
                                r"^secret UID \(sec-2\) does not match service account secret ref claim \(sec-1\)$")
    await replaced_then_deleted(tokens, objects, node, ("nodes", "", "n1"),
                                r"^node UID \(node-2\) does not match service account node ref claim \(node-1\)$")


async def test_pod_bound_token_names_a_missing_node_by_name_only(tokens: ServiceAccountTokens) -> None:
    objects = Objects()
    token = issue(tokens, objects, kind="Pod", name="web", node={"metadata": {"name": "gone"}})
    assert jwt.decode(token, options={"verify_signature": False})["kubernetes.io"]["node"] == {"name": "gone"}
    user, _ = await check(tokens, objects, token)
    assert "authentication.kubernetes.io/node-uid" not in dict(user.extra)


async def test_extended_token_carries_warnafter(tokens: ServiceAccountTokens) -> None:
    objects = Objects()
    token = issue(tokens, objects, kind="Pod", name="web", seconds=365 * 24 * 3600, warn_after=3607)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["kubernetes.io"]["warnafter"] == int(T0) + 3607
    assert claims["exp"] == int(T0) + 365 * 24 * 3600


async def test_foreign_and_forged_tokens(tokens: ServiceAccountTokens, key: Path, tmp_path: Path) -> None:
    objects = Objects()
    other = ServiceAccountTokens(ensure_pki(tmp_path).sa_key, clock=tokens._clock)  # noqa: SLF001
    forged = issue(other, objects)
    with pytest.raises(TokenInvalid, match="^invalid signature, no keys found$"):
        await check(tokens, objects, forged)
    stranger = ServiceAccountTokens(key, issuer="https://elsewhere", clock=tokens._clock)  # noqa: SLF001
    with pytest.raises(TokenInvalid, match="^invalid bearer token$"):
        await check(tokens, objects, issue(stranger, objects))
    good = issue(tokens, objects)
    head, body, sig = good.split(".")
    with pytest.raises(TokenInvalid, match="^invalid signature$"):
        await check(tokens, objects, f"{head}.{body}.{sig[:-4]}AAAA")
    with pytest.raises(TokenInvalid, match="^invalid bearer token$"):
        await check(tokens, objects, "a.b.c")
