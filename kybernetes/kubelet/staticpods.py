"""Static pods: pods the kubelet runs from manifest files (``--pod-manifest-path``), and their mirror pods.

Every non-hidden file of the directory holding one Pod (YAML or JSON) becomes a pod of this node, as upstream's
file source makes it: name ``<name>-<node>``, namespace ``default`` unless set, ``spec.nodeName`` this node, a
toleration of every NoExecute taint, the API defaults, and a uid that is the md5 of the manifest, the node name and
the source, so it is the same after a kubelet restart (and changes when the file changes: the old pod is stopped,
the new one started).  Annotations: ``kubernetes.io/config.hash`` (= uid), ``kubernetes.io/config.source``
(``file``), ``kubernetes.io/config.seen``.  The directory is rescanned every ``interval`` seconds.

A static pod is shown in the API by its mirror pod: the same pod created through the API with the annotation
``kubernetes.io/config.mirror`` (the hash) and the Node as controlling owner.  The kubelet never runs mirror pods;
it recreates one that is missing or stale and writes the static pod's status to it (:func:`mirror_pod`,
:func:`is_mirror`).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import orjson
import yaml

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import validate

__all__ = ["StaticPodSource", "load_manifest", "mirror_pod", "is_mirror", "is_static", "ANNOTATION_MIRROR",
           "ANNOTATION_HASH", "ANNOTATION_SOURCE", "ANNOTATION_SEEN"]

log = logging.getLogger(__name__)

ANNOTATION_MIRROR = "kubernetes.io/config.mirror"
ANNOTATION_HASH = "kubernetes.io/config.hash"
ANNOTATION_SOURCE = "kubernetes.io/config.source"
ANNOTATION_SEEN = "kubernetes.io/config.seen"


def is_mirror(pod: Mapping[str, Any]) -> bool:
    return ANNOTATION_MIRROR in ((pod.get("metadata") or {}).get("annotations") or {})


def is_static(pod: Mapping[str, Any]) -> bool:
    return ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_SOURCE, "api") != "api"


def load_manifest(text: str, *, node_name: str, source: str = "file") -> dict[str, Any]:
    """The static pod of one manifest; raises ValueError for a file that is not one valid Pod."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        raise ValueError(f"invalid YAML/JSON: {e}") from None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise ValueError("a manifest must hold exactly one object")
    pod = docs[0]
    if pod.get("kind") != "Pod" or pod.get("apiVersion") not in ("v1", None):
        raise ValueError(f"kind {pod.get('kind')!r} is not a v1 Pod")
    pod.setdefault("apiVersion", "v1")
    meta = pod.setdefault("metadata", {})
    h = hashlib.md5(orjson.dumps(pod, option=orjson.OPT_SORT_KEYS))
    h.update(f"host:{node_name}".encode())
    h.update(f"file:{source}".encode())
    uid = h.hexdigest()
    meta["uid"] = uid
    if not meta.get("name"):
        raise ValueError("metadata.name is required")
    meta["name"] = f"{meta['name']}-{node_name}"
    meta.setdefault("namespace", "default")
    ann = meta.setdefault("annotations", {})
    ann[ANNOTATION_HASH] = uid
    ann[ANNOTATION_SOURCE] = source
    ann[ANNOTATION_SEEN] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spec = pod.setdefault("spec", {})
    spec["nodeName"] = node_name
    tolerations = spec.setdefault("tolerations", [])
    if not any(t.get("operator") == "Exists" and not t.get("key") and t.get("effect") == "NoExecute"
               for t in tolerations):
        tolerations.append({"operator": "Exists", "effect": "NoExecute"})
    apply_defaults(pod, "", "v1", "Pod")
    check = copy.deepcopy(pod)
    errs = validate(check, "", "v1", "Pod")
    if errs:
        raise ValueError("; ".join(str(e) for e in errs))
    pod["status"] = {"phase": "Pending"}
    return pod


def mirror_pod(pod: Mapping[str, Any], *, node_uid: str) -> dict[str, Any]:
    """The API object mirroring static ``pod`` (no uid/resourceVersion/status; owner: the Node)."""
    mirror = copy.deepcopy(dict(pod))
    meta = mirror["metadata"]
    meta.pop("uid", None)
    meta.pop("resourceVersion", None)
    meta.setdefault("annotations", {})[ANNOTATION_MIRROR] = meta["annotations"].get(ANNOTATION_HASH, "")
    node = (pod.get("spec") or {}).get("nodeName", "")
    if node_uid:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": node_uid,
                                    "controller": True}]
    mirror.pop("status", None)
    return mirror


class StaticPodSource:
    """Watches the manifest directory; ``on_change(added_or_updated, removed)`` receives pods by uid."""

    def __init__(self, path: str, node_name: str, *,
                 on_change: Callable[[list[dict[str, Any]], list[dict[str, Any]]], None],
                 interval: float = 20.0) -> None:
        self.path = path
        self.node_name = node_name
        self.on_change = on_change
        self.interval = interval
        self.pods: dict[str, dict[str, Any]] = {}  # uid -> pod
        self._files: dict[str, tuple[float, int, str]] = {}  # file -> (mtime, size, uid)
        self.synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def scan(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Read the directory; returns (new pods, removed pods) relative to the last scan."""
        found: dict[str, dict[str, Any]] = {}
        files: dict[str, tuple[float, int, str]] = {}
        try:
            names = sorted(os.listdir(self.path))
        except FileNotFoundError:
            names = []
        for name in names:
            if name.startswith("."):
                continue
            full = os.path.join(self.path, name)
            try:
                st = os.stat(full)
            except OSError:
                continue
            if not os.path.isfile(full):
                continue
            prev = self._files.get(full)
            if prev is not None and prev[:2] == (st.st_mtime, st.st_size) and prev[2] in self.pods:
                found[prev[2]] = self.pods[prev[2]]
                files[full] = prev
                continue
            try:
                with open(full) as f:
                    pod = load_manifest(f.read(), node_name=self.node_name)
            except (OSError, ValueError, UnicodeDecodeError) as e:
                log.warning("static pod manifest %s skipped: %s", full, e)
                continue
            uid = pod["metadata"]["uid"]
            if uid in self.pods:
                pod = self.pods[uid]  # unchanged content: keep the pod we already run (and its seen time)
            found[uid] = pod
            files[full] = (st.st_mtime, st.st_size, uid)
        added = [p for uid, p in found.items() if uid not in self.pods]
        removed = [p for uid, p in self.pods.items() if uid not in found]
        self.pods = found
        self._files = files
        return added, removed

    async def run(self) -> None:
        while True:
            try:
                added, removed = await asyncio.to_thread(self.scan)
                if added or removed:
                    self.on_change(added, removed)
                self.synced.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("static pod scan of %s failed", self.path)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="static pods")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
