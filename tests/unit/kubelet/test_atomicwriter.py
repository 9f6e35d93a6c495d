"""Atomic volume updates: ..data swap, user-visible links, removal of stale keys, idempotence, bad paths."""

import os

import pytest

from kybernetes.kubelet.atomicwriter import write_payload


def test_write_update_and_remove(tmp_path):
    vol = tmp_path / "vol"
    assert write_payload(vol, {"a": (b"1", 0o644), "dir/b": (b"2", 0o600)})
    assert (vol / "a").read_text() == "1" and (vol / "dir" / "b").read_text() == "2"
    assert os.readlink(vol / "a") == "..data/a" and (vol / "..data").is_symlink()
    assert (vol / "dir" / "b").stat().st_mode & 0o777 == 0o600
    first = os.readlink(vol / "..data")
    assert not write_payload(vol, {"a": (b"1", 0o644), "dir/b": (b"2", 0o600)})  # unchanged
    assert os.readlink(vol / "..data") == first
    assert write_payload(vol, {"a": (b"new", 0o644)})
    assert (vol / "a").read_text() == "new"
    assert not (vol / "dir").exists() and not (vol / first).exists()
    hidden = [p.name for p in vol.iterdir() if p.name.startswith("..")]
    assert sorted(hidden)[0] != first and len(hidden) == 2  # ..data and one timestamped dir


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/../b", "..hidden"])
def test_bad_paths(tmp_path, bad):
    with pytest.raises(ValueError):
        write_payload(tmp_path / "v", {bad: (b"", 0o644)})
