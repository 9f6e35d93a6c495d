"""The StatefulSet controller: pure helpers (identity, claims, retention, status, history hashing) and runs
against a real API server with simulated nodes (pods observed through a watch to check ordering)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers import statefulset_pods as sp
from kybernetes.controllers.history import (fnv32, fnv32a, go_json, hash_revision_data, new_revision,
                                            safe_encode_string, sort_revisions, template_patch)
from kybernetes.controllers.statefulset import StatefulSetController, _run_for_all
from tests.unit.controllers.conftest import running

# -- builders -----------------------------------------------------------------------------------------------------


def make_set(name: str = "web", *, replicas: int = 3, ns: str = "default", policy: str = "OrderedReady",
             partition: int | None = None, strategy: str = "RollingUpdate", max_unavailable: Any = None,
             claims: bool = True, retention: tuple[str, str] | None = None, start: int | None = None,
             image: str = "nginx:1.25", uid: str = "set-uid") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas, "serviceName": "nginx", "podManagementPolicy": policy,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "c", "image": image}]}},
        "updateStrategy": {"type": strategy},
    }
    if strategy == "RollingUpdate":
        rolling: dict[str, Any] = {}
        if partition is not None:
            rolling["partition"] = partition
        if max_unavailable is not None:
            rolling["maxUnavailable"] = max_unavailable
        spec["updateStrategy"]["rollingUpdate"] = rolling
    if claims:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "www", "labels": {"tier": "data"}},
                                         "spec": {"accessModes": ["ReadWriteOnce"],
                                                  "resources": {"requests": {"storage": "1Gi"}}}}]
    if retention:
        spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": retention[0], "whenScaled": retention[1]}
    if start is not None:
        spec["ordinals"] = {"start": start}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "generation": 1}, "spec": spec}


def make_pod(name: str, *, phase: str = "Running", ready: bool = True, uid: str = "", revision: str = "",
             terminating: bool = False, ready_since: str = "2020-01-01T00:00:00Z") -> dict[str, Any]:
    labels = {sp.REVISION_LABEL: revision} if revision else {}
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": uid or f"uid-{name}", "labels": labels}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    status: dict[str, Any] = {"phase": phase}
    if phase:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                 "lastTransitionTime": ready_since}]
    else:
        status = {}
    return {"metadata": meta, "spec": {}, "status": status}


def claim(name: str, refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "ownerReferences": refs or []}}


def ref(kind: str, name: str, uid: str, controller: bool = True) -> dict[str, Any]:
    return {"apiVersion": "apps/v1" if kind == "StatefulSet" else "v1", "kind": kind, "name": name, "uid": uid,
            "controller": controller, "blockOwnerDeletion": True}


# -- pure: identity and storage -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name,expected", [
    ("web-0", ("web", 0)), ("web-12", ("web", 12)), ("my-web-3", ("my-web", 3)), ("web", ("", -1)),
    ("web-", ("", -1)), ("web-x", ("", -1)), ("web-99999999999", ("web", -1)),
], ids=["zero", "two-digits", "dashed-parent", "no-ordinal", "empty-ordinal", "not-a-number", "beyond-int32"])
def test_parent_and_ordinal(name, expected):
    assert sp.parent_and_ordinal(name) == expected


def test_new_pod_carries_identity_storage_and_owner():
    sts = make_set(start=None)
    pod = sp.new_pod(sts, 2)
    meta = pod["metadata"]
    assert meta["name"] == "web-2" and meta["namespace"] == "default"
    assert meta["labels"] == {"app": "web", sp.POD_NAME_LABEL: "web-2", sp.POD_INDEX_LABEL: "2"}
    assert pod["spec"]["hostname"] == "web-2" and pod["spec"]["subdomain"] == "nginx"
    assert pod["spec"]["volumes"] == [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-2"}}]
    assert meta["ownerReferences"] == [ref("StatefulSet", "web", "set-uid")]
    assert sp.identity_matches(sts, pod) and sp.storage_matches(sts, pod)


def test_template_volume_named_like_a_claim_is_replaced():
    sts = make_set()
    sts["spec"]["template"]["spec"]["volumes"] = [{"name": "www", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    pod = sp.new_pod(sts, 0)
    assert pod["spec"]["volumes"] == [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}},
                                      {"name": "tmp", "emptyDir": {}}]


def test_identity_mismatch_detected():
    sts = make_set()
    pod = sp.new_pod(sts, 1)
    del pod["metadata"]["labels"][sp.POD_NAME_LABEL]
    assert not sp.identity_matches(sts, pod)
    other = sp.new_pod(make_set("db"), 1)
    assert not sp.identity_matches(sts, other)


def test_claims_for_merges_selector_labels():
    sts = make_set()
    claims = sp.claims_for(sts, 4)
    c = claims["www"]
    assert c["metadata"] == {"name": "www-web-4", "namespace": "default", "labels": {"tier": "data", "app": "web"}}
    assert c["spec"]["resources"] == {"requests": {"storage": "1Gi"}}


@pytest.mark.parametrize("ordinal,partition,expected", [
    (0, 2, "rev-a"), (1, 2, "rev-a"), (2, 2, "rev-b"), (0, 0, "rev-b"),
], ids=["below-partition", "just-below", "at-partition", "no-partition"])
def test_new_versioned_pod_respects_partition(ordinal, partition, expected):
    current = make_set(partition=partition, image="nginx:1")
    update = make_set(partition=partition, image="nginx:2")
    pod = sp.new_versioned_pod(current, update, "rev-a", "rev-b", ordinal)
    assert pod["metadata"]["labels"][sp.REVISION_LABEL] == expected
    image = pod["spec"]["containers"][0]["image"]
    assert image == ("nginx:1" if expected == "rev-a" else "nginx:2")


def test_on_delete_recreates_at_update_revision():
    current = make_set(strategy="OnDelete")
    pod = sp.new_versioned_pod(current, make_set(strategy="OnDelete", image="x"), "a", "b", 0)
    assert pod["metadata"]["labels"][sp.REVISION_LABEL] == "b"


def test_split_pods_by_ordinal_range():
    sts = make_set(replicas=2, start=3)
    pods = [make_pod(n) for n in ("web-3", "web-4", "web-5", "web-7", "web-1", "web-x")]
    replicas, condemned = sp.split_pods(sts, pods)
    assert sorted(replicas) == [3, 4]
    assert [p["metadata"]["name"] for p in condemned] == ["web-7", "web-5", "web-1"]


# -- pure: retention policy ---------------------------------------------------------------------------------------

SET_REF = ref("StatefulSet", "web", "set-uid")
POD_REF = ref("Pod", "web-2", "uid-web-2")


@pytest.mark.parametrize("retention,condemned,expected", [
    (("Retain", "Retain"), False, []),
    (("Delete", "Retain"), False, [SET_REF]),
    (("Delete", "Retain"), True, [SET_REF]),
    (("Retain", "Delete"), False, []),
    (("Retain", "Delete"), True, [POD_REF]),
    (("Delete", "Delete"), False, [SET_REF]),
    (("Delete", "Delete"), True, [POD_REF]),
], ids=["retain-retain", "deleted-delete", "deleted-delete-condemned", "scaled-delete-in-range",
        "scaled-delete-condemned", "both-delete-in-range", "both-delete-condemned"])
def test_claim_owner_refs_follow_policy(retention, condemned, expected):
    sts = make_set(replicas=1 if condemned else 3, retention=retention)
    pod = make_pod("web-2")
    c = claim("www-web-2")
    refs = sp.claim_owner_refs(c, sts, pod)
    assert refs == expected
    assert sp.is_claim_owner_up_to_date({"metadata": {"ownerReferences": refs}}, sts, pod)
    if expected:
        assert not sp.is_claim_owner_up_to_date(c, sts, pod)


def test_claim_owner_refs_keep_foreign_refs_and_skip_other_controller():
    sts = make_set(retention=("Delete", "Retain"))
    pod = make_pod("web-0")
    foreign = ref("ConfigMap", "x", "cm-uid", controller=False)
    assert sp.claim_owner_refs(claim("c", [foreign]), sts, pod) == [foreign, SET_REF]
    other = ref("Deployment", "d", "d-uid")
    c = claim("c", [other])
    assert sp.has_unexpected_controller(c, sts, pod)
    assert sp.is_claim_owner_up_to_date(c, sts, pod)  # left alone
    assert sp.claim_owner_refs(c, sts, pod) == [other]


def test_stale_pod_ref_counts_as_up_to_date():
    sts = make_set(replicas=1, retention=("Retain", "Delete"))
    pod = make_pod("web-2", uid="new-uid")
    stale = claim("www-web-2", [ref("Pod", "web-2", "old-uid")])
    assert sp.has_stale_owner_ref(stale, pod, "v1", "Pod")
    assert sp.is_claim_owner_up_to_date(stale, sts, pod)


# -- pure: status -------------------------------------------------------------------------------------------------


def test_replica_status_counts():
    pods = [make_pod("web-0", revision="a"), make_pod("web-1", revision="b"),
            make_pod("web-2", revision="b", ready=False), make_pod("web-3", revision="b", terminating=True),
            make_pod("web-4", phase="")]
    st = sp.replica_status(pods, 0, "a", "b")
    assert st == {"replicas": 4, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 1,
                  "updatedReplicas": 2}


def test_available_replicas_wait_for_min_ready_seconds():
    pods = [make_pod("web-0", ready_since="2024-01-01T00:00:00Z")]
    now = 1704067200.0  # 2024-01-01T00:00:00Z
    assert sp.replica_status(pods, 10, "a", "a", now=now + 5)["availableReplicas"] == 0
    assert sp.replica_status(pods, 10, "a", "a", now=now + 11)["availableReplicas"] == 1


def test_complete_rolling_update_only_when_all_updated_and_ready():
    sts = make_set(replicas=2)
    status = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 1, "currentReplicas": 1,
              "currentRevision": "a", "updateRevision": "b"}
    sp.complete_rolling_update(sts, status)
    assert status["currentRevision"] == "a"
    status["updatedReplicas"] = 2
    sp.complete_rolling_update(sts, status)
    assert status["currentRevision"] == "b" and status["currentReplicas"] == 2


@pytest.mark.parametrize("value,replicas,expected", [
    (None, 5, 1), (2, 5, 2), ("50%", 5, 2), ("10%", 5, 1), ("100%", 4, 4),
], ids=["default", "int", "percent-rounds-down", "at-least-one", "all"])
def test_max_unavailable(value, replicas, expected):
    assert sp.max_unavailable(make_set(replicas=replicas, max_unavailable=value)) == expected


# -- pure: history ------------------------------------------------------------------------------------------------


def test_fnv_and_safe_encoding_match_go():
    assert fnv32(b"a") == 0x050C5D7E and fnv32a(b"a") == 0xE40C292C
    assert safe_encode_string("0123") == "4567"  # '0' is 48, 48 % 27 = 21 -> '4'
    assert go_json({"b": "<&>", "a": 1}) == b'{"a":1,"b":"\\u003c\\u0026\\u003e"}'


def test_revision_hash_changes_with_template_and_collision_count():
    sts = make_set()
    data = template_patch(sts)
    assert data["spec"]["template"]["$patch"] == "replace"
    h0 = hash_revision_data(data, 0)
    assert h0 == hash_revision_data(copy.deepcopy(data), 0)
    assert h0 != hash_revision_data(data, 1)
    assert h0 != hash_revision_data(template_patch(make_set(image="other")), 0)
    rev = new_revision(sts, kind="StatefulSet", data=data, revision=3, collision_count=0)
    assert rev["metadata"]["name"] == f"web-{h0}" and rev["revision"] == 3
    assert rev["metadata"]["labels"] == {"app": "web", "controller.kubernetes.io/hash": h0}
    assert sp.apply_revision(make_set(image="other"), rev)["spec"]["template"] == sts["spec"]["template"]


def test_sort_revisions_by_number_then_time_then_name():
    revs = [{"metadata": {"name": n, "creationTimestamp": t}, "revision": r}
            for n, t, r in (("c", "2024-01-02T00:00:00Z", 1), ("b", "2024-01-01T00:00:00Z", 2),
                            ("a", "2024-01-01T00:00:00Z", 1))]
    assert [r["metadata"]["name"] for r in sort_revisions(revs)] == ["a", "c", "b"]


async def test_run_for_all_monotonic_stops_and_parallel_runs_all():
    seen: list[int] = []

    async def fn(i: int) -> bool:
        seen.append(i)
        return i == 1

    assert await _run_for_all(4, fn, True) is True and seen == [0, 1]
    seen.clear()
    assert await _run_for_all(4, fn, False) is False and sorted(seen) == [0, 1, 2, 3]

    async def boom(i: int) -> bool:
        if i == 0:
            raise RuntimeError("x")
        return False

    with pytest.raises(RuntimeError):
        await _run_for_all(3, boom, False)


# -- against the API server ---------------------------------------------------------------------------------------

STS = resource_path("apps", "v1", "statefulsets")


def sts_path(ns: str, name: str = "", sub: str = "") -> str:
    return resource_path("apps", "v1", "statefulsets", ns, name, sub)


class PodLog:
    """Watches the namespace's pods and records (event type, name, ready, terminating, revision) in order."""

    def __init__(self, env) -> None:
        self.env = env
        self.events: list[tuple[str, str, bool, bool, str, str]] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> PodLog:
        path = resource_path("", "v1", "pods", self.env.ns)
        rv = (await self.env.client.list(path))["metadata"]["resourceVersion"]
        ready = asyncio.Event()

        async def run() -> None:
            params = {"resourceVersion": rv, "timeoutSeconds": 300}
            ready.set()
            async for ev in self.env.client.watch(path, params):
                obj = ev.get("object") or {}
                meta = obj.get("metadata") or {}
                conds = (obj.get("status") or {}).get("conditions") or []
                is_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
                self.events.append((ev["type"], meta.get("name", ""), is_ready, bool(meta.get("deletionTimestamp")),
                                    (meta.get("labels") or {}).get(sp.REVISION_LABEL, ""), meta.get("uid", "")))

        self._task = asyncio.create_task(run())
        await ready.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    def first(self, pred, after: int = -1) -> int:
        """Index of the first event after index ``after`` matching ``pred`` (10**9 when none)."""
        return next((i for i, e in enumerate(self.events) if i > after and pred(e)), 10**9)

    def added(self, name: str, after: int = -1) -> int:
        return self.first(lambda e: e[0] == "ADDED" and e[1] == name, after)

    def became_ready(self, name: str) -> int:
        return self.first(lambda e: e[1] == name and e[2] and not e[3])

    def deletion_started(self, name: str, after: int = -1) -> int:
        return self.first(lambda e: e[1] == name and (e[3] or e[0] == "DELETED"), after)


async def get_set(env, name: str = "web") -> dict[str, Any]:
    return await env.client.get(sts_path(env.ns, name))


async def pods_by_name(env) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in await env.pods() if not p["metadata"].get("deletionTimestamp")}


async def settled(env, name: str, replicas: int):
    """Status says all replicas ready and updated and the update is complete."""
    st = (await get_set(env, name)).get("status") or {}
    return (st.get("readyReplicas") == replicas and st.get("updatedReplicas") == replicas
            and st.get("replicas") == replicas and st.get("currentRevision") == st.get("updateRevision")
            and st.get("observedGeneration") == (await get_set(env, name))["metadata"]["generation"])


async def patch_set(env, patch: dict[str, Any], name: str = "web") -> None:
    await env.client.patch(sts_path(env.ns, name), patch, "strategic")


def body(env, **kw) -> dict[str, Any]:
    b = make_set(ns=env.ns, **kw)
    for k in ("uid", "generation"):
        b["metadata"].pop(k)
    return b


async def test_ordered_creation_and_reverse_rolling_update(kyb):
    async with running(kyb, StatefulSetController, nodes=2) as env:
        async with PodLog(env) as log:
            await env.client.create(sts_path(env.ns), body(env))
            await env.until(lambda: settled(env, "web", 3), timeout=30)
            # each pod is created only after its predecessor became Ready
            assert log.added("web-0") < log.became_ready("web-0") < log.added("web-1")
            assert log.added("web-1") < log.became_ready("web-1") < log.added("web-2")
            pods = await pods_by_name(env)
            assert sorted(pods) == ["web-0", "web-1", "web-2"]
            p1 = pods["web-1"]
            assert p1["metadata"]["labels"][sp.POD_NAME_LABEL] == "web-1"
            assert p1["metadata"]["labels"][sp.POD_INDEX_LABEL] == "1"
            assert p1["spec"]["hostname"] == "web-1" and p1["spec"]["subdomain"] == "nginx"
            assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in p1["spec"]["volumes"]
            claims = (await env.client.list(resource_path("", "v1", "persistentvolumeclaims", env.ns)))["items"]
            assert sorted(c["metadata"]["name"] for c in claims) == ["www-web-0", "www-web-1", "www-web-2"]
            assert all(c["metadata"]["labels"] == {"tier": "data", "app": "web"} for c in claims)
            assert all(not c["metadata"].get("ownerReferences") for c in claims)  # Retain/Retain
            first = (await get_set(env))["status"]
            assert p1["metadata"]["labels"][sp.REVISION_LABEL] == first["updateRevision"]
            revs = (await env.client.list(resource_path("apps", "v1", "controllerrevisions", env.ns)))["items"]
            assert [(r["metadata"]["name"], r["revision"]) for r in revs] == [(first["updateRevision"], 1)]

            mark = len(log.events)
            await patch_set(env, {"spec": {"template": {"spec": {"containers": [{"name": "c",
                                                                                    "image": "nginx:1.26"}]}}}})
            await env.until(lambda: settled(env, "web", 3), timeout=40)
            d2, d1, d0 = (log.deletion_started(n, mark) for n in ("web-2", "web-1", "web-0"))
            assert d2 < d1 < d0 < 10**9
            # the next pod goes only once the re-created one is Ready again
            assert log.first(lambda e: e[1] == "web-2" and e[2] and e[4] != first["updateRevision"]) < d1
            final = (await get_set(env))["status"]
            assert final["currentRevision"] == final["updateRevision"] != first["updateRevision"]
            assert final["currentReplicas"] == 3 and final["availableReplicas"] == 3
            revs = (await env.client.list(resource_path("apps", "v1", "controllerrevisions", env.ns)))["items"]
            assert sorted(r["revision"] for r in revs) == [1, 2]
            pods = await pods_by_name(env)
            assert {p["spec"]["containers"][0]["image"] for p in pods.values()} == {"nginx:1.26"}

            # scale down: highest ordinal first, the next only once the previous is gone
            mark = len(log.events)
            await patch_set(env, {"spec": {"replicas": 1}})
            await env.until(lambda: settled(env, "web", 1), timeout=30)
            gone2 = log.first(lambda e: e[0] == "DELETED" and e[1] == "web-2", mark)
            assert log.deletion_started("web-2", mark) < log.deletion_started("web-1", mark)
            assert gone2 < log.deletion_started("web-1", mark)
            assert sorted(await pods_by_name(env)) == ["web-0"]
            # claims are retained on scale down by default
            claims = (await env.client.list(resource_path("", "v1", "persistentvolumeclaims", env.ns)))["items"]
            assert len(claims) == 3


async def test_partition_limits_update(kyb):
    async with running(kyb, StatefulSetController, nodes=2) as env:
        await env.client.create(sts_path(env.ns), body(env, partition=2, claims=False))
        await env.until(lambda: settled(env, "web", 3), timeout=30)
        old_rev = (await get_set(env))["status"]["updateRevision"]
        await patch_set(env, {"spec": {"template": {"metadata": {"annotations": {"v": "2"}}}}})

        async def only_top_updated():
            st = (await get_set(env)).get("status") or {}
            pods = await pods_by_name(env)
            return (st.get("updatedReplicas") == 1 and st.get("readyReplicas") == 3 and len(pods) == 3
                    and st.get("updateRevision") != old_rev and st.get("currentRevision") == old_rev)

        await env.until(only_top_updated, timeout=30)
        pods = await pods_by_name(env)
        st = (await get_set(env))["status"]
        assert pods["web-2"]["metadata"]["labels"][sp.REVISION_LABEL] == st["updateRevision"]
        assert pods["web-1"]["metadata"]["labels"][sp.REVISION_LABEL] == old_rev
        assert pods["web-0"]["metadata"]["labels"][sp.REVISION_LABEL] == old_rev
        assert st["currentReplicas"] == 2
        # A deleted pod below the partition comes back at the current (old) revision.
        uid0 = pods["web-0"]["metadata"]["uid"]
        await env.client.delete(resource_path("", "v1", "pods", env.ns, "web-0"))

        async def web0_back():
            p = (await pods_by_name(env)).get("web-0")
            return p if p and p["metadata"]["uid"] != uid0 else None

        p0 = await env.until(web0_back, timeout=20)
        assert p0["metadata"]["labels"][sp.REVISION_LABEL] == old_rev
        await patch_set(env, {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}})
        await env.until(lambda: settled(env, "web", 3), timeout=40)
        st = (await get_set(env))["status"]
        assert st["currentRevision"] != old_rev


async def test_parallel_creates_all_without_waiting(kyb):
    # No binder: pods stay Pending and never become Ready, yet Parallel creates all of them.
    async with running(kyb, StatefulSetController, nodes=1, bind=False) as env:
        await env.client.create(sts_path(env.ns), body(env, policy="Parallel", replicas=3))

        async def all_created():
            return sorted(await pods_by_name(env)) == ["web-0", "web-1", "web-2"]

        await env.until(all_created, timeout=20)
        # and OrderedReady creates only the first while it is not Ready
        await env.client.create(sts_path(env.ns), {**body(env, name="db", replicas=3)})

        async def db0():
            return "db-0" in await pods_by_name(env)

        await env.until(db0, timeout=20)
        st = await env.until(lambda: _status_of(env, "db"), timeout=10)
        assert st["replicas"] == 1 and st["availableReplicas"] == 0
        assert "readyReplicas" not in st  # zero: omitted, as Go's omitempty does
        assert "db-1" not in await pods_by_name(env)


async def _status_of(env, name: str):
    st = (await get_set(env, name)).get("status") or {}
    return st if st.get("observedGeneration") else None


async def test_max_unavailable_replaces_two_at_once(kyb):
    async with running(kyb, StatefulSetController, nodes=2) as env:
        async with PodLog(env) as log:
            await env.client.create(sts_path(env.ns), body(env, claims=False, max_unavailable=2))
            await env.until(lambda: settled(env, "web", 3), timeout=30)
            mark = len(log.events)
            await patch_set(env, {"spec": {"template": {"metadata": {"annotations": {"v": "2"}}}}})
            await env.until(lambda: settled(env, "web", 3), timeout=40)
            readded2 = log.added("web-2", mark)
            # web-1 went down together with web-2, before web-2 came back
            assert log.deletion_started("web-1", mark) < readded2 < 10**9


async def test_retention_policy_owner_references(kyb):
    async with running(kyb, StatefulSetController, nodes=2) as env:
        await env.client.create(sts_path(env.ns), body(env, replicas=2, retention=("Delete", "Delete")))
        await env.until(lambda: settled(env, "web", 2), timeout=30)
        sts = await get_set(env)
        claims_path = resource_path("", "v1", "persistentvolumeclaims", env.ns)

        async def claim_refs():
            items = (await env.client.list(claims_path))["items"]
            return {c["metadata"]["name"]: [(r["kind"], r["name"], r.get("controller"))
                                            for r in c["metadata"].get("ownerReferences") or []] for c in items}

        async def owned_by_set():
            refs = await claim_refs()
            want = [("StatefulSet", "web", True)]
            return refs if refs == {"www-web-0": want, "www-web-1": want} else None

        await env.until(owned_by_set, timeout=20)
        refs = (await env.client.get(resource_path("", "v1", "persistentvolumeclaims", env.ns, "www-web-0")))
        assert refs["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
        await patch_set(env, {"spec": {"replicas": 1}})
        await env.until(lambda: settled(env, "web", 1), timeout=30)
        refs = await claim_refs()
        # the condemned pod owns its claim now (the garbage collector deletes the claim with it)
        assert refs["www-web-1"] == [("Pod", "web-1", True)]
        assert refs["www-web-0"] == [("StatefulSet", "web", True)]


async def test_on_delete_and_failed_pod_recreated(kyb):
    async with running(kyb, StatefulSetController, nodes=2) as env:
        await env.client.create(sts_path(env.ns), body(env, replicas=2, strategy="OnDelete", claims=False,
                                                       start=5))
        await env.until(lambda: settled(env, "web", 2), timeout=30)
        assert sorted(await pods_by_name(env)) == ["web-5", "web-6"]
        old_rev = (await get_set(env))["status"]["currentRevision"]
        await patch_set(env, {"spec": {"template": {"metadata": {"annotations": {"v": "2"}}}}})

        async def new_revision():
            st = (await get_set(env)).get("status") or {}
            return st if st.get("updateRevision") not in (None, old_rev) else None

        st = await env.until(new_revision, timeout=20)
        pods = await pods_by_name(env)
        assert {p["metadata"]["labels"][sp.REVISION_LABEL] for p in pods.values()} == {old_rev}
        # OnDelete: a pod deleted by hand comes back at the update revision; the other stays
        uid6 = pods["web-6"]["metadata"]["uid"]
        await env.client.delete(resource_path("", "v1", "pods", env.ns, "web-6"))

        async def web6_updated():
            p = (await pods_by_name(env)).get("web-6")
            return p if p and p["metadata"]["uid"] != uid6 else None

        p6 = await env.until(web6_updated, timeout=20)
        assert p6["metadata"]["labels"][sp.REVISION_LABEL] == st["updateRevision"]
        assert (await pods_by_name(env))["web-5"]["metadata"]["labels"][sp.REVISION_LABEL] == old_rev
        # A Failed pod is deleted and re-created.
        uid5 = (await pods_by_name(env))["web-5"]["metadata"]["uid"]
        await env.client.patch(resource_path("", "v1", "pods", env.ns, "web-5", "status"),
                               {"status": {"phase": "Failed"}})

        async def web5_replaced():
            p = (await pods_by_name(env)).get("web-5")
            return p if p and p["metadata"]["uid"] != uid5 and p["status"].get("phase") == "Running" else None

        await env.until(web5_replaced, timeout=20)


async def test_revision_name_collision_bumps_collision_count(kyb):
    async with running(kyb, StatefulSetController, nodes=1) as env:
        wanted = body(env, replicas=1, claims=False)
        # What the server will store (defaults included) tells which revision name the controller will pick.
        stored = await env.client.create(sts_path(env.ns), wanted, {"dryRun": "All"})
        squatter = new_revision(stored, kind="StatefulSet", data={"spec": {"template": {"$patch": "replace"}}},
                                revision=1, collision_count=0)
        squatter["metadata"]["name"] = new_revision(stored, kind="StatefulSet", data=template_patch(stored),
                                                    revision=1, collision_count=0)["metadata"]["name"]
        squatter["metadata"].pop("ownerReferences")
        squatter["metadata"]["labels"] = {"other": "x"}  # not selected by the set, so never adopted
        await env.client.create(resource_path("apps", "v1", "controllerrevisions", env.ns), squatter)
        await env.client.create(sts_path(env.ns), wanted)
        await env.until(lambda: settled(env, "web", 1), timeout=30)
        st = (await get_set(env))["status"]
        assert st["collisionCount"] == 1
        assert st["updateRevision"] != squatter["metadata"]["name"]
        assert st["updateRevision"] == "web-" + hash_revision_data(template_patch(stored), 1)
