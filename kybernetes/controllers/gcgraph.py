"""The garbage collector's dependency graph: who owns whom, built from observed objects (no I/O).

Every object the collector watches is a :class:`Node` keyed by uid, holding its identity (apiVersion, kind,
namespace, name, uid), its ownerReferences and its deletion state.  ``dependents`` maps an owner uid to the uids
of the observed objects that reference it; the owner itself need not have been observed (yet, or ever): such an
owner is what upstream calls a *virtual* node, and it has to be verified against the API server.

:meth:`Graph.observe` (an add or update) and :meth:`Graph.forget` (a delete) change the graph and answer a
:class:`Changes`: which items the collector should look at next (``attempt_delete``), which owners wait for
their dependents to be orphaned (``attempt_orphan``), which referenced-but-unobserved owners to verify
(``verify_owner``), and which dependents reference an owner in another namespace (``invalid_namespace``, for an
``OwnerRefInvalidNamespace`` event).  The graph decides nothing about deleting: that takes live reads and is the
collector's job.  :class:`AbsentOwnerCache` remembers owners verified absent so their other dependents need no
second lookup.

Single event loop; every method runs to completion without awaiting, so informer handlers may call them
directly.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Identity", "Node", "Graph", "Changes", "AbsentOwnerCache", "FOREGROUND", "ORPHAN",
           "ref_coordinates"]

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass(frozen=True, slots=True)
class Identity:
    """Where an object lives (upstream's objectReference)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str

    def __str__(self) -> str:
        return (f"[{self.api_version}/{self.kind}, namespace: {self.namespace}, name: {self.name}, "
                f"uid: {self.uid}]")


def ref_coordinates(ref: dict[str, Any], namespace: str) -> Identity:
    """The identity an ownerReference names, seen from a dependent in ``namespace``."""
    return Identity(ref.get("apiVersion", ""), ref.get("kind", ""), namespace, ref.get("name", ""),
                    ref.get("uid", ""))


def _blocks(ref: dict[str, Any]) -> bool:
    return bool(ref.get("blockOwnerDeletion"))


@dataclass(slots=True)
class Node:
    """An observed object."""

    identity: Identity
    owners: list[dict[str, Any]]
    finalizers: tuple[str, ...]
    being_deleted: bool

    @property
    def deleting_dependents(self) -> bool:
        """Deleted in the foreground: waits for its blocking dependents."""
        return self.being_deleted and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.being_deleted and ORPHAN in self.finalizers

    def owner_ref(self, owner_uid: str) -> dict[str, Any] | None:
        return next((r for r in self.owners if r.get("uid") == owner_uid), None)


@dataclass(slots=True)
class Changes:
    """What an observation asks the collector to do (sets of uids)."""

    attempt_delete: set[str] = field(default_factory=set)
    attempt_orphan: set[str] = field(default_factory=set)
    verify_owner: set[str] = field(default_factory=set)
    invalid_namespace: list[tuple[Node, dict[str, Any]]] = field(default_factory=list)


class AbsentOwnerCache:
    """A bounded LRU set of owner identities verified absent (upstream keeps 500)."""

    def __init__(self, size: int = 500) -> None:
        self.size = size
        self._items: OrderedDict[Identity, None] = OrderedDict()

    def add(self, identity: Identity) -> None:
        self._items[identity] = None
        self._items.move_to_end(identity)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __contains__(self, identity: object) -> bool:
        if identity in self._items:
            self._items.move_to_end(identity)  # type: ignore[arg-type]
            return True
        return False

    def __len__(self) -> int:
        return len(self._items)


class Graph:
    """Nodes by uid and the owner -> dependents index."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self._dependents: dict[str, set[str]] = {}

    # -- reading -------------------------------------------------------------------------------------------------

    def dependents(self, owner_uid: str) -> list[Node]:
        """The observed dependents of ``owner_uid`` (observed or not itself)."""
        return [self.nodes[d] for d in sorted(self._dependents.get(owner_uid, ())) if d in self.nodes]

    def blocking_dependents(self, owner_uid: str) -> list[Node]:
        """Dependents whose reference to ``owner_uid`` has blockOwnerDeletion=true."""
        return [d for d in self.dependents(owner_uid) if _blocks(d.owner_ref(owner_uid) or {})]

    def referenced(self, owner_uid: str) -> bool:
        return bool(self._dependents.get(owner_uid))

    # -- changing ------------------------------------------------------------------------------------------------

    def observe(self, identity: Identity, metadata: dict[str, Any]) -> Changes:
        """Record an added or updated object (``metadata`` is its ``metadata``)."""
        ch = Changes()
        uid = identity.uid
        owners = [dict(r) for r in metadata.get("ownerReferences") or [] if r.get("uid")]
        finalizers = tuple(metadata.get("finalizers") or ())
        being_deleted = bool(metadata.get("deletionTimestamp"))
        old = self.nodes.get(uid)
        node = Node(identity, owners, finalizers, being_deleted)
        self.nodes[uid] = node
        if old is None:
            added, removed, changed = owners, [], []
            # Dependents observed before this owner: their references may disagree with what we now see.
            for dep in self.dependents(uid):
                ref = dep.owner_ref(uid) or {}
                if identity.namespace and dep.identity.namespace != identity.namespace:
                    ch.invalid_namespace.append((dep, ref))
                    ch.attempt_delete.add(dep.identity.uid)
                elif not self._matches(ref, identity):
                    ch.attempt_delete.add(dep.identity.uid)
        else:
            added, removed, changed = _diff(old.owners, owners)
        for ref in removed:
            self._unlink(uid, ref["uid"])
            owner = self.nodes.get(ref["uid"])
            if owner is not None and _blocks(ref):
                ch.attempt_delete.add(owner.identity.uid)
        for before, after in changed:
            owner = self.nodes.get(after["uid"])
            if owner is not None and _blocks(before) and not _blocks(after):
                ch.attempt_delete.add(owner.identity.uid)
        for ref in added:
            self._dependents.setdefault(ref["uid"], set()).add(uid)
            owner = self.nodes.get(ref["uid"])
            if owner is None:
                ch.verify_owner.add(ref["uid"])
                continue
            oid = owner.identity
            if oid.namespace and oid.namespace != identity.namespace:
                ch.invalid_namespace.append((node, ref))
                ch.attempt_delete.add(uid)
            elif not self._matches(ref, oid) or owner.deleting_dependents:
                ch.attempt_delete.add(uid)
        # transitions into an owner's deletion modes (every add counts: a restarted collector sees them anew)
        if node.orphaning and (old is None or not old.orphaning):
            ch.attempt_orphan.add(uid)
        elif node.deleting_dependents and (old is None or not old.deleting_dependents):
            ch.attempt_delete.update(d.identity.uid for d in self.dependents(uid))
            ch.attempt_delete.add(uid)
        return ch

    def forget(self, uid: str) -> tuple[Node | None, Changes]:
        """Record that the object ``uid`` is gone; answers the removed node (None if unknown)."""
        ch = Changes()
        node = self.nodes.pop(uid, None)
        if node is None:
            return None, ch
        for ref in node.owners:
            self._unlink(uid, ref["uid"])
            owner = self.nodes.get(ref["uid"])
            if owner is not None and owner.deleting_dependents:
                ch.attempt_delete.add(owner.identity.uid)
        ch.attempt_delete.update(d.identity.uid for d in self.dependents(uid))
        return node, ch

    def _unlink(self, dep_uid: str, owner_uid: str) -> None:
        deps = self._dependents.get(owner_uid)
        if deps is not None:
            deps.discard(dep_uid)
            if not deps:
                del self._dependents[owner_uid]

    @staticmethod
    def _matches(ref: dict[str, Any], identity: Identity) -> bool:
        return (ref.get("apiVersion"), ref.get("kind"), ref.get("name")) == \
            (identity.api_version, identity.kind, identity.name)


def _diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                                          list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Owner references added, removed and changed (same uid, other fields) from ``old`` to ``new``."""
    before = {r["uid"]: r for r in old}
    after = {r["uid"]: r for r in new}
    added = [r for u, r in after.items() if u not in before]
    removed = [r for u, r in before.items() if u not in after]
    changed = [(before[u], r) for u, r in after.items() if u in before and before[u] != r]
    return added, removed, changed
