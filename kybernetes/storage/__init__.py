"""Storage: a revisioned key-value store shaped on etcd v3, and the watch caches in front of it.

- `interface`: the `Store` and `Watch` protocols, `KeyValue`/`Event`/`RangeResult`, the sentinel errors.
- `sqlite`: `SQLiteStore`, the embedded backend (log table, group commit, watch fan-out, compaction,
  leases), built from `sqlite_dialect` (all SQL), `sqlite_writer` and `sqlite_watch`.
- `watchcache`: `WatchCache`, one per resource prefix, serving LIST and WATCH from memory.

Nothing outside this package sees SQL; callers program against `interface.Store`.
"""
