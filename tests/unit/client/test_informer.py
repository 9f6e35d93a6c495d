"""Informers against a real API server: list+watch, indexers, resume across a restart, relist on 410."""

import asyncio

from kybernetes.client.informer import Informer, SharedInformerFactory
from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery import errors
from tests.conftest import start_cluster


def cm(name, ns, labels=None, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}}, "data": data}


class Recorder:
    """Collects handler calls as (verb, name) tuples and lets a test wait for a given one."""

    def __init__(self, informer):
        self.calls = []
        self._changed = asyncio.Event()
        informer.on_add(lambda o: self._rec("add", o))
        informer.on_update(lambda old, new: self._rec("update", new, old))
        informer.on_delete(lambda o: self._rec("delete", o))

    def _rec(self, verb, obj, old=None):
        self.calls.append((verb, obj["metadata"]["name"]))
        self._changed.set()

    async def wait_for(self, call, timeout=15):
        async def loop():
            while call not in self.calls:
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(loop(), timeout)


async def ensure_ns(c, ns):
    try:
        await c.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    except errors.StatusError as e:
        if e.code != 409:
            raise


async def test_list_watch_adds_updates_deletes_and_indexes(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c:
        ns = "inf-basic"
        await ensure_ns(c, ns)
        coll = resource_path("", "v1", "configmaps", ns)
        await c.create(coll, cm("pre", ns, {"app": "x"}))
        inf = Informer(c, "", "v1", "configmaps", ns)
        rec = Recorder(inf)
        inf.start()
        try:
            await inf.wait_synced(10)
            assert inf.has_synced and set(inf.store) == {f"{ns}/pre"}
            assert inf.store[f"{ns}/pre"]["kind"] == "ConfigMap"
            assert rec.calls == [("add", "pre")]
            await c.create(coll, cm("new", ns, {"app": "y"}))
            await rec.wait_for(("add", "new"))
            await c.patch(resource_path("", "v1", "configmaps", ns, "new"), {"metadata": {"labels": {"app": "x"}}})
            await rec.wait_for(("update", "new"))
            assert [o["metadata"]["name"] for o in inf.by_index("label", "app=x")] == ["new", "pre"]
            assert inf.by_index("label", "app=y") == []
            assert len(inf.by_index("namespace", ns)) == 2
            await c.delete(resource_path("", "v1", "configmaps", ns, "pre"))
            await rec.wait_for(("delete", "pre"))
            assert set(inf.store) == {f"{ns}/new"}
            assert [o["metadata"]["name"] for o in inf.by_index("label", "app=x")] == ["new"]
        finally:
            await inf.stop()


async def test_paging_and_label_selector(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c:
        ns = "inf-paging"
        await ensure_ns(c, ns)
        coll = resource_path("", "v1", "configmaps", ns)
        for i in range(7):
            await c.create(coll, cm(f"p{i}", ns, {"even": str(i % 2 == 0).lower()}))
        inf = Informer(c, "", "v1", "configmaps", ns, label_selector="even=true", page_size=2)
        inf.start()
        try:
            await inf.wait_synced(10)
            assert sorted(inf.store) == [f"{ns}/p{i}" for i in (0, 2, 4, 6)]
        finally:
            await inf.stop()


async def test_custom_indexer_and_shared_factory(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c:
        factory = SharedInformerFactory(c)
        a = factory.informer("", "v1", "configmaps", "inf-basic")
        assert factory.informer("", "v1", "configmaps", "inf-basic") is a
        assert factory.informer("", "v1", "configmaps", "inf-paging") is not a
        a.add_indexer("first-letter", lambda o: [o["metadata"]["name"][0]])
        factory.start()
        try:
            await factory.wait_for_cache_sync(10)
            assert [o["metadata"]["name"] for o in a.by_index("first-letter", "n")] == ["new"]
        finally:
            await factory.stop()


class ExpiringClient(RESTClient):
    """Answers the first watch with the ERROR event the server sends for a too-old resourceVersion."""

    expire_next = False

    async def watch(self, path, params=None):
        if self.expire_next:
            self.expire_next = False
            yield {"type": "ERROR", "object": errors.expired(
                f"too old resource version: {params['resourceVersion']} (999)").status()}
            return
        async for ev in super().watch(path, params):
            yield ev


async def test_relist_on_expired_emits_the_missed_changes(kyb):
    c = ExpiringClient.from_kubeconfig(kyb.kubeconfig)
    async with c:
        ns = "inf-relist"
        await ensure_ns(c, ns)
        coll = resource_path("", "v1", "configmaps", ns)
        for name in ("keep", "change", "gone"):
            await c.create(coll, cm(name, ns))
        inf = Informer(c, "", "v1", "configmaps", ns)
        inf.start()
        await inf.wait_synced(10)
        await inf.stop()
        # Changes the informer misses while it is not watching.
        await c.delete(resource_path("", "v1", "configmaps", ns, "gone"))
        await c.patch(resource_path("", "v1", "configmaps", ns, "change"), {"data": {"x": "1"}})
        await c.create(coll, cm("fresh", ns))
        rec = Recorder(inf)
        rec.calls.clear()  # on_add replays the cache
        c.expire_next = True
        inf.start()
        try:
            await rec.wait_for(("add", "fresh"))
            await rec.wait_for(("delete", "gone"))
            await rec.wait_for(("update", "change"))
            assert inf.relists == 2
            assert ("update", "keep") not in rec.calls, "unchanged objects are not reported"
            assert sorted(inf.store) == [f"{ns}/change", f"{ns}/fresh", f"{ns}/keep"]
        finally:
            await inf.stop()


async def test_resume_after_server_restart(tmp_path):
    cluster = start_cluster(tmp_path / "data")
    try:
        c = RESTClient.from_kubeconfig(cluster.kubeconfig)
        async with c:
            coll = resource_path("", "v1", "configmaps", "default")
            await c.create(coll, cm("before", "default"))
            inf = Informer(c, "", "v1", "configmaps", "default")
            rec = Recorder(inf)
            inf.start()
            try:
                await inf.wait_synced(10)
                await rec.wait_for(("add", "before"))
                port = cluster.port
                await asyncio.to_thread(cluster.stop)
                cluster = await asyncio.to_thread(start_cluster, tmp_path / "data", port)
                await c.create(coll, cm("after", "default"))
                await rec.wait_for(("add", "after"), timeout=20)
                assert ("add", "before") in rec.calls and rec.calls.count(("add", "before")) == 1
                assert set(inf.store) == {"default/before", "default/after"}
                assert inf.relists == 1, "the watch resumes from the last resourceVersion without listing again"
            finally:
                await inf.stop()
    finally:
        cluster.stop()
