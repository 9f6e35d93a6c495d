"""Atomic updates of a volume directory (the kubelet's AtomicWriter, used by configMap, secret, downwardAPI and
projected volumes).

A payload (relative path -> (bytes, mode)) is written into a fresh hidden directory ``..<timestamp>`` inside the
volume; a symlink ``..data`` is pointed at it by creating ``..data_tmp`` and renaming it over ``..data`` (one
atomic rename); every top-level entry of the payload is a symlink ``name -> ..data/name``.  A reader therefore
sees either the old or the new content, never a mix.  Old timestamped directories and user-visible links that
left the payload are removed afterwards.  Writing the same payload again changes nothing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

__all__ = ["write_payload", "validate_path", "Payload"]

Payload = dict[str, tuple[bytes, int]]

DATA = "..data"
DATA_TMP = "..data_tmp"


def validate_path(rel: str) -> None:
    """Payload paths are relative, without ``..`` elements and not starting with ``..``."""
    if not rel or rel.startswith("/") or rel.startswith(".."):
        raise ValueError(f"invalid path {rel!r}")
    if any(part == ".." for part in rel.split("/")):
        raise ValueError(f"invalid path {rel!r}: must not contain '..'")


def _current(target: Path) -> Path | None:
    link = target / DATA
    if link.is_symlink():
        return target / os.readlink(link)
    return None


def _same(current: Path, payload: Payload) -> bool:
    existing = {str(p.relative_to(current)) for p in current.rglob("*") if p.is_file()}
    if existing != set(payload):
        return False
    for rel, (data, mode) in payload.items():
        p = current / rel
        if p.read_bytes() != data or (p.stat().st_mode & 0o7777) != mode:
            return False
    return True


def write_payload(target: str | os.PathLike[str], payload: Payload, *, uid: int | None = None,
                  gid: int | None = None) -> bool:
    """Make ``target`` hold exactly ``payload``; returns True when something changed."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for rel in payload:
        validate_path(rel)
    current = _current(target)
    if current is not None and current.is_dir() and _same(current, payload):
        return False
    ts = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime()) + f"{time.time_ns() % 10**9:09d}"
    new_dir = target / ts
    new_dir.mkdir(mode=0o755)
    for rel, (data, mode) in payload.items():
        p = new_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.chmod(p, mode)
        if uid is not None or gid is not None:
            os.chown(p, -1 if uid is None else uid, -1 if gid is None else gid)
    tmp = target / DATA_TMP
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(ts, tmp)
    os.rename(tmp, target / DATA)
    top = {rel.split("/", 1)[0] for rel in payload}
    for name in top:
        link = target / name
        if not link.is_symlink():
            if link.exists():
                shutil.rmtree(link) if link.is_dir() else link.unlink()
            os.symlink(f"{DATA}/{name}", link)
    for entry in target.iterdir():
        if entry.name in (DATA, ts):
            continue
        if entry.name.startswith(".."):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            continue
        if entry.is_symlink() and entry.name not in top:
            entry.unlink()
    return True
