"""Fixtures for the storage tests: a started SQLite store in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kybernetes.storage.sqlite import SQLiteStore


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "state.db")


@pytest.fixture
async def store(db_path: str) -> AsyncIterator[SQLiteStore]:
    """A started store with automatic compaction off (tests compact explicitly)."""
    s = SQLiteStore(db_path, compact_interval=0)
    await s.start()
    try:
        yield s
    finally:
        await s.close()
