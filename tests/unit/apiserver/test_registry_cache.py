"""The watch cache takes the documents of the registry's own writes instead of decoding their bytes again: what it
holds must be exactly what decoding the stored bytes gives (values and key order), for every kind of write."""

from __future__ import annotations

import orjson

from kybernetes.apiserver.registry import DeleteOptions, decode_kv
from kybernetes.apiserver.server import APIServer, ServerConfig
from kybernetes.storage.sqlite import SQLiteStore


async def _cached_equals_stored(reg, store, namespace: str, name: str) -> dict:
    key = reg.key(namespace, name)
    kv = await store.get(key)
    await reg.cache.wait_for_revision(kv.mod_revision, 5.0)
    cached = reg.cache.get(key).obj
    assert orjson.dumps(cached) == orjson.dumps(decode_kv(kv))  # same values, same key order
    return cached


async def test_cached_objects_of_writes_equal_their_decoded_bytes(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.db"))
    await store.start()
    try:
        server = APIServer(store, ServerConfig())
        namespaces = server.registries[("", "namespaces")]
        await namespaces.start()
        await namespaces.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
        pods = server.registries[("", "pods")]
        await pods.start()
        pod = {"metadata": {"name": "p", "namespace": "default", "labels": {}, "annotations": {"a": "b"}},
               "kind": "Pod", "apiVersion": "v1",  # not in stored order: the cache must still match the bytes
               "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]}, "status": {"phase": "Pending"}}
        created = await pods.create(pod)
        cached = await _cached_equals_stored(pods, store, "default", "p")
        assert cached["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

        def run(current: dict) -> dict:
            new = orjson.loads(orjson.dumps(current))
            new["status"] = {"phase": "Running", "podIP": "10.0.0.1"}
            return new
        updated, _ = await pods.update("default", "p", run, subresource="status")
        cached = await _cached_equals_stored(pods, store, "default", "p")
        assert cached["status"]["phase"] == "Running"
        assert cached["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"] != \
            created["metadata"]["resourceVersion"]

        deleting, deleted = await pods.delete("default", "p", DeleteOptions(grace_period_seconds=30))
        assert not deleted
        cached = await _cached_equals_stored(pods, store, "default", "p")
        assert cached["metadata"]["deletionTimestamp"] == deleting["metadata"]["deletionTimestamp"]
        assert not pods._written  # noqa: SLF001 - every document was taken by the cache
    finally:
        await store.close()
