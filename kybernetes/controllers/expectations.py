"""Controller expectations: how many creates and deletes a controller is still waiting to see in its informer.

After a ReplicaSet controller creates 3 pods, its pod informer has not seen them yet; syncing again right away
would count too few pods and create 3 more.  So before acting a controller records ``expect_creations(key, 3)``;
the pod informer's add handler calls ``creation_observed(key)``; and ``satisfied(key)`` is True only once every
expected add/delete was seen (or the record is older than the TTL, 5 minutes as upstream, in case an event was
missed).  A failed create must call ``creation_observed`` itself, since no event will come.

For deletions of specific pods, :class:`UIDTrackingExpectations` remembers the uids so a pod that is deleted
twice (or whose deletion was already under way) is counted once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Expectations", "UIDTrackingExpectations", "EXPECTATIONS_TTL"]

EXPECTATIONS_TTL = 300.0


@dataclass(slots=True)
class _Record:
    add: int
    delete: int
    at: float


class Expectations:
    """Per-controller-key counts of outstanding creates and deletes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = EXPECTATIONS_TTL) -> None:
        self._clock = clock
        self._ttl = ttl
        self._records: dict[str, _Record] = {}

    def satisfied(self, key: str) -> bool:
        """True when nothing is outstanding for ``key`` (or nothing was ever expected, or the record expired)."""
        r = self._records.get(key)
        if r is None:
            return True
        if r.add <= 0 and r.delete <= 0:
            return True
        return self._clock() - r.at > self._ttl

    def set(self, key: str, add: int, delete: int) -> None:
        self._records[key] = _Record(add, delete, self._clock())

    def expect_creations(self, key: str, n: int) -> None:
        self.set(key, n, 0)

    def expect_deletions(self, key: str, n: int) -> None:
        self.set(key, 0, n)

    def raise_expectations(self, key: str, add: int, delete: int) -> None:
        r = self._records.get(key)
        if r is None:
            self.set(key, add, delete)
        else:
            r.add += add
            r.delete += delete

    def creation_observed(self, key: str) -> None:
        r = self._records.get(key)
        if r is not None:
            r.add -= 1

    def deletion_observed(self, key: str) -> None:
        r = self._records.get(key)
        if r is not None:
            r.delete -= 1

    def delete(self, key: str) -> None:
        """Forget ``key`` (its owner was deleted)."""
        self._records.pop(key, None)

    def pending(self, key: str) -> tuple[int, int]:
        r = self._records.get(key)
        return (r.add, r.delete) if r else (0, 0)


class UIDTrackingExpectations(Expectations):
    """Expectations whose deletions are tracked by pod uid, so each pod's deletion is counted once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = EXPECTATIONS_TTL) -> None:
        super().__init__(clock, ttl)
        self._uids: dict[str, set[str]] = {}

    def expect_deletions_of(self, key: str, uids: Iterable[str]) -> None:
        uids = set(uids)
        self._uids[key] = uids
        self.expect_deletions(key, len(uids))

    def deletion_observed_uid(self, key: str, uid: str) -> None:
        """A pod with ``uid`` was deleted (or got a deletionTimestamp): count it once."""
        uids = self._uids.get(key)
        if uids is not None and uid in uids:
            uids.discard(uid)
            self.deletion_observed(key)

    def delete(self, key: str) -> None:
        super().delete(key)
        self._uids.pop(key, None)
