"""The service account controller against a real API server."""

from __future__ import annotations

import asyncio
from typing import Any

from kybernetes.client.rest import resource_path
from kybernetes.controllers.serviceaccount import ServiceAccountController
from kybernetes.machinery.errors import StatusError
from tests.unit.controllers.conftest import running


def sa_path(ns: str, name: str = "default") -> str:
    return resource_path("", "v1", "serviceaccounts", ns, name)


async def get_or_none(env, path: str) -> dict[str, Any] | None:
    try:
        return await env.client.get(path)
    except StatusError as e:
        if e.code == 404:
            return None
        raise


async def make_ns(env, name: str, finalizers: list[str] | None = None) -> None:
    md: dict[str, Any] = {"name": name}
    if finalizers:
        md["finalizers"] = finalizers
    await env.client.create(resource_path("", "v1", "namespaces"),
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": md})


async def test_default_service_account_appears_and_is_recreated(kyb):
    async with running(kyb, ServiceAccountController) as env:
        first = await env.until(lambda: get_or_none(env, sa_path(env.ns)))
        other = f"{env.ns}-x"
        await make_ns(env, other)
        await env.until(lambda: get_or_none(env, sa_path(other)))
        await env.client.delete(sa_path(env.ns))
        again = await env.until(lambda: get_or_none(env, sa_path(env.ns)))
        assert again["metadata"]["uid"] != first["metadata"]["uid"]
        # other service accounts are none of its business
        await env.client.create(resource_path("", "v1", "serviceaccounts", env.ns),
                                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "mine"}})
        await env.client.delete(sa_path(env.ns, "mine"))
        await asyncio.sleep(0.5)
        assert await get_or_none(env, sa_path(env.ns, "mine")) is None


async def test_no_service_account_in_a_namespace_being_deleted(kyb):
    async with running(kyb, ServiceAccountController) as env:
        doomed = f"{env.ns}-doomed"
        await make_ns(env, doomed, finalizers=["example.com/hold"])
        await env.until(lambda: get_or_none(env, sa_path(doomed)))
        ns_path = resource_path("", "v1", "namespaces", "", doomed)
        await env.client.delete(ns_path)
        await env.client.delete(sa_path(doomed))
        await asyncio.sleep(1.0)
        assert await get_or_none(env, sa_path(doomed)) is None
        await env.client.patch(ns_path, {"metadata": {"finalizers": None}}, "merge")


async def test_restart_fills_in_what_was_missed(kyb):
    async with running(kyb) as env:
        # no controller yet: the namespace has no default service account
        await asyncio.sleep(0.3)
        assert await get_or_none(env, sa_path(env.ns)) is None
        sac = ServiceAccountController(env.ctx)
        await env.ctx.informers.wait_for_cache_sync(15)
        await sac.start()
        try:
            await env.until(lambda: get_or_none(env, sa_path(env.ns)))
        finally:
            await sac.stop()
