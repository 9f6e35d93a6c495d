"""The storage contract: a revisioned key-value store shaped on etcd v3.

Every successful write gets the next value of one store-wide counter, the *revision*. A key's current
state is a `KeyValue` that remembers the revision that created the key (`create_revision`) and the one
that last wrote it (`mod_revision`); Kubernetes turns `mod_revision` into `metadata.resourceVersion`.
Because the store keeps a log of past writes (until it is compacted), it can answer reads "as of"
an earlier revision and replay the writes after a revision to a watcher: that is what makes
LIST-then-WATCH gap-free.

Values are opaque bytes (the JSON encoding of an API object); the store never parses them.

The store is asyncio-native: every I/O method is a coroutine and must be called from the event loop
the store was started on. Failures are the sentinel exceptions below, never raw driver errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "CompactedError",
    "Event",
    "FutureRevisionError",
    "KeyExistsError",
    "KeyNotFoundError",
    "KeyValue",
    "LeaseNotFoundError",
    "RangeResult",
    "RevisionMismatchError",
    "StorageError",
    "Store",
    "Watch",
    "WatchOverflowError",
    "prefix_end",
]


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One version of one key.

    `lease` is the id of the lease the key is attached to (0 = none).
    """

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    lease: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """One write as seen by a watcher.

    PUT: `kv` is the new state; `prev_kv` the state it replaced (None when the key was created).
    DELETE: `kv.key` is the key, `kv.mod_revision` the revision of the deletion and `kv.value` the last
    value the key had; `prev_kv` is that last state with its own mod revision.
    """

    type: Literal["PUT", "DELETE"]
    kv: KeyValue
    prev_kv: KeyValue | None

    @property
    def revision(self) -> int:
        """The revision at which this write happened."""
        return self.kv.mod_revision


@dataclass(frozen=True, slots=True)
class RangeResult:
    """The answer to a range read.

    `revision` is the store revision the read was served at; `count` the number of keys that match
    (prefix and start key) regardless of `limit`; `more` whether keys were left out by `limit`.
    """

    kvs: list[KeyValue]
    revision: int
    more: bool
    count: int


class StorageError(Exception):
    """Base of every error the store raises."""


class KeyExistsError(StorageError):
    """`create` found the key already present."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key already exists: {key}")
        self.key = key


class KeyNotFoundError(StorageError):
    """`update` or `delete` found no such key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class RevisionMismatchError(StorageError):
    """A conditional write expected another mod revision; `current` is the key's present state."""

    def __init__(self, current: KeyValue) -> None:
        super().__init__(f"mod revision of {current.key} is {current.mod_revision}")
        self.current = current


class CompactedError(StorageError):
    """The requested revision is older than the oldest revision the store still keeps."""

    def __init__(self, compacted_revision: int) -> None:
        super().__init__(f"required revision has been compacted (compacted revision {compacted_revision})")
        self.compacted_revision = compacted_revision


class FutureRevisionError(StorageError):
    """The requested revision is newer than the store's current revision."""

    def __init__(self, revision: int = 0, current: int = 0) -> None:
        super().__init__(f"required revision {revision} is a future revision (current {current})")
        self.revision = revision
        self.current = current


class LeaseNotFoundError(StorageError):
    """A write named a lease that does not exist (never granted, revoked or expired)."""

    def __init__(self, lease_id: int) -> None:
        super().__init__(f"requested lease not found: {lease_id}")
        self.lease_id = lease_id


class WatchOverflowError(StorageError):
    """A watcher fell so far behind that the store dropped it; the client must list again."""


@runtime_checkable
class Watch(Protocol):
    """A stream of write events for keys under one prefix.

    Iterating yields non-empty `list[Event]` batches in revision order, without gaps or duplicates,
    except that an empty list is a *progress notification* answering `request_progress`.
    After each yielded batch `revision` is the store revision up to which every matching event has
    been yielded. Iteration raises `CompactedError` when the start revision was compacted and
    `WatchOverflowError` when the watcher fell behind; it stops after `close()` or when the store closes.
    """

    revision: int

    def __aiter__(self) -> Watch: ...

    async def __anext__(self) -> list[Event]: ...

    def request_progress(self) -> None:
        """Ask for an empty batch once every event up to the store's current revision has been yielded."""
        ...

    def close(self) -> None:
        """Stop the watch; safe to call twice and from any coroutine."""
        ...


class Store(Protocol):
    """An etcd-v3-shaped revisioned key-value store (see the module docstring)."""

    async def start(self) -> None:
        """Open the store and start its background work; must be awaited before anything else."""
        ...

    async def close(self) -> None:
        """Finish queued writes, stop background work and close every watch."""
        ...

    async def current_revision(self) -> int:
        """The revision of the last committed write (0 for an empty store)."""
        ...

    @property
    def compacted_revision(self) -> int:
        """Reads and watches below this revision raise `CompactedError` (0 = nothing compacted)."""
        ...

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The key's state at `revision` (0 = now), or None when absent then."""
        ...

    async def range(
        self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0, count_only: bool = False
    ) -> RangeResult:
        """Keys starting with `prefix` (and >= `start_key` when given), sorted by key, at `revision`.

        `limit` 0 means no limit. `count_only` returns no kvs, only `count`. Raises `CompactedError` below
        the compacted revision and `FutureRevisionError` above the current one.
        """
        ...

    async def create(self, key: str, value: bytes, *, lease: int = 0) -> KeyValue:
        """Create the key; raises `KeyExistsError` if present, `LeaseNotFoundError` for an unknown lease."""
        ...

    async def update(self, key: str, value: bytes, *, expected_mod_revision: int, lease: int = 0) -> KeyValue:
        """Replace the key's value if its mod revision is `expected_mod_revision` (0 = unconditionally).

        Raises `KeyNotFoundError` if absent and `RevisionMismatchError(current)` on a mismatch.
        """
        ...

    async def delete(self, key: str, *, expected_mod_revision: int = 0) -> KeyValue:
        """Delete the key (if its mod revision matches, when given); returns the deleted state with the
        deletion revision as `mod_revision`. Raises `KeyNotFoundError` or `RevisionMismatchError(current)`."""
        ...

    def watch(self, prefix: str, *, start_revision: int) -> Watch:
        """Watch keys under `prefix` for events with revision >= `start_revision` (<= 0 means from now)."""
        ...

    async def compact(self, revision: int) -> None:
        """Forget history below `revision`; raises `CompactedError` if already compacted that far and
        `FutureRevisionError` beyond the current revision."""
        ...

    async def grant_lease(self, ttl_seconds: int) -> int:
        """Create a lease that expires after `ttl_seconds`; keys attached to it are deleted then."""
        ...

    async def revoke_lease(self, lease_id: int) -> None:
        """Delete the lease and every key attached to it now; raises `LeaseNotFoundError`."""
        ...


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with `prefix` (None: no bound).

    Keys compare by code point, which is also how SQLite compares UTF-8 text, so `[prefix, end)` is the
    key range of the prefix in both.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:  # surrogates cannot be stored; skip over them
                nxt = 0xE000
            chars[-1] = chr(nxt)
            return "".join(chars)
        chars.pop()
    return None
