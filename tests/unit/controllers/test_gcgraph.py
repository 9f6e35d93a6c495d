"""The garbage collector's graph alone: what each observation asks the collector to look at."""

from __future__ import annotations

from typing import Any

import pytest

from kybernetes.controllers.gcgraph import AbsentOwnerCache, Graph, Identity


def ident(name: str, uid: str, ns: str = "ns", kind: str = "ConfigMap", api_version: str = "v1") -> Identity:
    return Identity(api_version, kind, ns, name, uid)


def ref(owner: Identity, block: bool | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"apiVersion": owner.api_version, "kind": owner.kind, "name": owner.name, "uid": owner.uid}
    if block is not None:
        r["blockOwnerDeletion"] = block
    return r


def meta(*owners: dict[str, Any], finalizers: list[str] | None = None, deleting: bool = False) -> dict[str, Any]:
    md: dict[str, Any] = {}
    if owners:
        md["ownerReferences"] = list(owners)
    if finalizers:
        md["finalizers"] = finalizers
    if deleting:
        md["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return md


OWNER = ident("owner", "u-owner")
DEP = ident("dep", "u-dep")


def test_unobserved_owner_is_verified_observed_one_is_not():
    g = Graph()
    ch = g.observe(DEP, meta(ref(OWNER)))
    assert ch.verify_owner == {"u-owner"} and not ch.attempt_delete
    assert [d.identity for d in g.dependents("u-owner")] == [DEP]
    g2 = Graph()
    g2.observe(OWNER, meta())
    ch = g2.observe(DEP, meta(ref(OWNER)))
    assert not ch.verify_owner and not ch.attempt_delete


def test_owner_deletion_queues_dependents_and_unlinks():
    g = Graph()
    g.observe(OWNER, meta())
    g.observe(DEP, meta(ref(OWNER)))
    node, ch = g.forget("u-owner")
    assert node is not None and node.identity == OWNER
    assert ch.attempt_delete == {"u-dep"}
    # the dependent still points at the owner until it changes
    assert g.referenced("u-owner")
    g.observe(DEP, meta())
    assert not g.referenced("u-owner")
    assert g.forget("nobody")[0] is None


def test_foreground_transition_queues_owner_and_dependents_once():
    g = Graph()
    g.observe(OWNER, meta())
    g.observe(DEP, meta(ref(OWNER, block=True)))
    ch = g.observe(OWNER, meta(finalizers=["foregroundDeletion"], deleting=True))
    assert ch.attempt_delete == {"u-owner", "u-dep"}
    assert g.nodes["u-owner"].deleting_dependents
    assert [d.identity for d in g.blocking_dependents("u-owner")] == [DEP]
    assert not g.observe(OWNER, meta(finalizers=["foregroundDeletion"], deleting=True)).attempt_delete
    # the dependent going away lets the owner be looked at again
    _, ch = g.forget("u-dep")
    assert ch.attempt_delete == {"u-owner"}


def test_unblocking_a_reference_requeues_the_owner():
    g = Graph()
    g.observe(OWNER, meta())
    g.observe(DEP, meta(ref(OWNER, block=True)))
    assert g.observe(DEP, meta(ref(OWNER, block=False))).attempt_delete == {"u-owner"}
    assert not g.blocking_dependents("u-owner")
    g.observe(DEP, meta(ref(OWNER, block=True)))
    assert g.observe(DEP, meta()).attempt_delete == {"u-owner"}


def test_orphan_transition():
    g = Graph()
    g.observe(OWNER, meta())
    ch = g.observe(OWNER, meta(finalizers=["orphan"], deleting=True))
    assert ch.attempt_orphan == {"u-owner"} and not ch.attempt_delete


@pytest.mark.parametrize("owner_first", [True, False], ids=["owner-first", "dependent-first"])
def test_owner_in_another_namespace_is_reported(owner_first: bool):
    g = Graph()
    owner = ident("owner", "u-owner", ns="other")
    if owner_first:
        g.observe(owner, meta())
        ch = g.observe(DEP, meta(ref(owner)))
    else:
        g.observe(DEP, meta(ref(owner)))
        ch = g.observe(owner, meta())
    events = [(n.identity, r["uid"]) for n, r in ch.invalid_namespace]
    assert events == [(DEP, "u-owner")]
    assert "u-dep" in ch.attempt_delete


def test_cluster_scoped_owner_of_namespaced_dependent_is_fine():
    g = Graph()
    owner = ident("pc", "u-pc", ns="", kind="PriorityClass", api_version="scheduling.k8s.io/v1")
    g.observe(owner, meta())
    ch = g.observe(DEP, meta(ref(owner)))
    assert not ch.invalid_namespace and not ch.attempt_delete


def test_reference_with_other_coordinates_is_checked():
    g = Graph()
    g.observe(OWNER, meta())
    wrong = {**ref(OWNER), "name": "not-the-owner"}
    assert g.observe(DEP, meta(wrong)).attempt_delete == {"u-dep"}


def test_absent_owner_cache_is_bounded_lru():
    cache = AbsentOwnerCache(size=2)
    a, b, c = ident("a", "1"), ident("b", "2"), ident("c", "3")
    cache.add(a)
    cache.add(b)
    assert a in cache  # refreshes a
    cache.add(c)
    assert a in cache and c in cache and b not in cache and len(cache) == 2
