"""Every SQL statement of the SQLite backend, as data.

The backend keeps one append-only *log* table (the kine design): each write to a key appends a row
whose `id` is the store revision of that write. A row records whether it created the key (`created`)
or deleted it (`deleted`), the key's `create_revision`, the id of the row it superseded
(`prev_revision`), the lease, and the value. A deletion row repeats the last value so that a DELETE
event can carry it. The state "as of revision R" of a key is its row with the largest id <= R, unless
that row is a deletion. Compaction removes rows no read at or above the compacted revision can need.

`kv_meta` holds named integers (the compacted revision); `kv_lease` the granted leases with their
expiry as a wall-clock time, so leases outlive a restart.

Statements take named parameters. A key range `[lo, hi)` is always bounded above: a prefix with no
upper bound passes `UNBOUNDED`, a BLOB, which SQLite orders after every TEXT value.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PRAGMAS", "SCHEMA", "SQL", "UNBOUNDED"]

#: Upper bound of a key range that has none: SQLite sorts every BLOB after every TEXT.
UNBOUNDED: Final = b""

#: Pragmas for every connection. auto_vacuum only takes effect before the first table is created.
PRAGMAS: Final = (
    "PRAGMA auto_vacuum = INCREMENTAL",
    "PRAGMA journal_mode = WAL",
    # NORMAL in WAL mode: a commit is in the OS page cache before it returns, so it survives the
    # process being killed (not power loss), and commits need no fsync.
    "PRAGMA synchronous = NORMAL",
    # Truncate the WAL file back to this size after a checkpoint so the disk footprint stays bounded.
    "PRAGMA journal_size_limit = 16777216",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA cache_size = -32768",
    "PRAGMA temp_store = MEMORY",
)

SCHEMA: Final = (
    """
    CREATE TABLE IF NOT EXISTS kv_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL,
        lease INTEGER NOT NULL,
        value BLOB NOT NULL
    )
    """,
    # Covers "latest row per key at or below a revision" (and whether it is a deletion) without
    # touching the table.
    "CREATE INDEX IF NOT EXISTS kv_log_name_id ON kv_log (name, id, deleted)",
    "CREATE TABLE IF NOT EXISTS kv_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS kv_lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, expires_at REAL NOT NULL)",
)

# The latest live row id per key at or below :rev within [:lo, :hi), in key order. SQLite takes the
# bare column `deleted` from the row holding max(id); the scan reads only the covering index and
# streams groups in key order, so a LIMIT stops it early.
_LATEST_LIVE_AT = """
    SELECT max(m.id) AS id, m.deleted AS deleted FROM kv_log AS m
    WHERE m.name >= :lo AND m.name < :hi AND m.id <= :rev
    GROUP BY m.name
    HAVING deleted = 0
"""


class SQL:
    """The statements, named after what they do."""

    # The revision counter survives the deletion of the newest rows (AUTOINCREMENT keeps the high mark).
    current_revision: Final = """
        SELECT max(
            coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'kv_log'), 0),
            coalesce((SELECT max(id) FROM kv_log), 0))
    """
    get_meta: Final = "SELECT value FROM kv_meta WHERE name = :name"
    set_meta: Final = """
        INSERT INTO kv_meta (name, value) VALUES (:name, :value)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value
    """

    # Rows: id, name, create_revision, lease, value.
    live_keys: Final = """
        SELECT l.id, l.name, l.create_revision, l.lease, l.value
        FROM kv_log AS l
        JOIN (SELECT max(id) AS id FROM kv_log GROUP BY name) AS latest ON latest.id = l.id
        WHERE l.deleted = 0
    """
    # Rows: id, deleted, create_revision, lease, value.
    get_at: Final = """
        SELECT id, deleted, create_revision, lease, value FROM kv_log
        WHERE name = :name AND id <= :rev
        ORDER BY id DESC LIMIT 1
    """
    # Rows: id, name, create_revision, lease, value, in key order. :limit -1 means no limit.
    # CROSS JOIN keeps the ordered subquery as the outer loop, so the rows come out in its order
    # without a second sort (the caller still re-sorts, which costs one pass on sorted input).
    range_at: Final = f"""
        SELECT l.id, l.name, l.create_revision, l.lease, l.value
        FROM ({_LATEST_LIVE_AT} ORDER BY m.name LIMIT :limit) AS latest
        CROSS JOIN kv_log AS l ON l.id = latest.id
    """
    count_at: Final = f"SELECT count(*) FROM ({_LATEST_LIVE_AT})"
    # Events in [:from_rev, :to_rev] for keys in [:lo, :hi), oldest first, with the superseded row.
    # Rows: id, name, created, deleted, create_revision, lease, value,
    #       prev id, prev create_revision, prev lease, prev value (NULL for creations).
    history: Final = """
        SELECT l.id, l.name, l.created, l.deleted, l.create_revision, l.lease, l.value,
               p.id, p.create_revision, p.lease, p.value
        FROM kv_log AS l
        LEFT JOIN kv_log AS p ON p.id = l.prev_revision AND l.created = 0
        WHERE l.id >= :from_rev AND l.id <= :to_rev AND l.name >= :lo AND l.name < :hi
        ORDER BY l.id
        LIMIT :limit
    """
    insert: Final = """
        INSERT INTO kv_log (id, name, created, deleted, create_revision, prev_revision, lease, value)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    """

    # Compaction to revision C keeps the state as of C - 1 (= :keep) and everything after, so reads at
    # C and watches from C still find every row and every superseded row they need. It works through
    # the ids up to :keep in windows of :batch rows, one transaction each.
    compact_window_end: Final = """
        SELECT max(id) FROM (
            SELECT id FROM kv_log WHERE id > :after AND id <= :keep ORDER BY id LIMIT :batch)
    """
    compact_window: Final = """
        DELETE FROM kv_log WHERE id IN (
            SELECT l.id FROM kv_log AS l
            WHERE l.id > :after AND l.id <= :upto
              AND (l.deleted = 1 OR EXISTS (
                    SELECT 1 FROM kv_log AS n WHERE n.name = l.name AND n.id > l.id AND n.id <= :keep)))
    """
    freelist_count: Final = "PRAGMA freelist_count"
    incremental_vacuum: Final = "PRAGMA incremental_vacuum({pages:d})"  # pragmas take no parameters
    checkpoint_truncate: Final = "PRAGMA wal_checkpoint(TRUNCATE)"

    lease_all: Final = "SELECT id, ttl, expires_at FROM kv_lease"
    lease_insert: Final = "INSERT INTO kv_lease (id, ttl, expires_at) VALUES (?, ?, ?)"
    lease_delete: Final = "DELETE FROM kv_lease WHERE id = ?"

    compact_revision_name: Final = "compact_revision"
