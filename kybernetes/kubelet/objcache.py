"""The ConfigMaps and Secrets the node's pods refer to, each kept current by its own watch.

Like upstream's watch-based configmap/secret managers, the kubelet never lists every ConfigMap or Secret of the
cluster: for each object some pod on the node references (in a volume, ``env`` or ``envFrom``) it runs one informer
restricted to that object (``fieldSelector=metadata.name=<name>`` in its namespace).  ``register(uid, refs)``
declares a pod's references and stops the informers nobody needs any more; ``await get(ns, name)`` answers the
cached object (None when it does not exist), starting and syncing its informer on first use; a change of an object
calls ``on_change(namespace, name)`` so the kubelet re-syncs the pods using it (that is how mounted ConfigMaps and
Secrets are updated within seconds).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kybernetes.client.informer import Informer
from kybernetes.client.rest import RESTClient

__all__ = ["ObjectCache", "pod_references"]

log = logging.getLogger(__name__)

Ref = tuple[str, str]


def pod_references(pod: Mapping[str, Any]) -> tuple[set[Ref], set[Ref]]:
    """(configmaps, secrets) referenced by the pod's volumes, env, envFrom and imagePullSecrets, as (ns, name)."""
    ns = (pod.get("metadata") or {}).get("namespace", "")
    spec = pod.get("spec") or {}
    cms: set[Ref] = set()
    secs: set[Ref] = set()
    for v in spec.get("volumes") or ():
        if v.get("configMap"):
            cms.add((ns, v["configMap"].get("name", "")))
        if v.get("secret"):
            secs.add((ns, v["secret"].get("secretName", "")))
        for src in (v.get("projected") or {}).get("sources") or ():
            if src.get("configMap"):
                cms.add((ns, src["configMap"].get("name", "")))
            if src.get("secret"):
                secs.add((ns, src["secret"].get("name", "")))
    for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]:
        for e in c.get("env") or ():
            vf = e.get("valueFrom") or {}
            if vf.get("configMapKeyRef"):
                cms.add((ns, vf["configMapKeyRef"].get("name", "")))
            if vf.get("secretKeyRef"):
                secs.add((ns, vf["secretKeyRef"].get("name", "")))
        for src in c.get("envFrom") or ():
            if src.get("configMapRef"):
                cms.add((ns, src["configMapRef"].get("name", "")))
            if src.get("secretRef"):
                secs.add((ns, src["secretRef"].get("name", "")))
    for ref in spec.get("imagePullSecrets") or ():
        if ref.get("name"):
            secs.add((ns, ref["name"]))
    return cms, secs


class ObjectCache:
    """Per-object informers for one resource (``configmaps`` or ``secrets``).  One event loop."""

    def __init__(self, client: RESTClient, plural: str, *, on_change: Callable[[str, str], None],
                 sync_timeout: float = 10.0) -> None:
        self.client = client
        self.plural = plural
        self.on_change = on_change
        self.sync_timeout = sync_timeout
        self._informers: dict[Ref, Informer] = {}
        self._refs: dict[str, set[Ref]] = {}

    def register(self, uid: str, refs: Iterable[Ref]) -> None:
        """Set the objects pod ``uid`` uses (replacing its earlier set); unused informers are stopped."""
        self._refs[uid] = set(refs)
        self._gc()

    def unregister(self, uid: str) -> None:
        self._refs.pop(uid, None)
        self._gc()

    def users(self, ns: str, name: str) -> list[str]:
        """UIDs of the pods referencing (ns, name)."""
        return [uid for uid, refs in self._refs.items() if (ns, name) in refs]

    def _gc(self) -> None:
        wanted = set().union(*self._refs.values()) if self._refs else set()
        for ref in [r for r in self._informers if r not in wanted]:
            inf = self._informers.pop(ref)
            asyncio.ensure_future(inf.stop())

    def _informer(self, ns: str, name: str) -> Informer:
        inf = self._informers.get((ns, name))
        if inf is None:
            inf = Informer(self.client, "", "v1", self.plural, namespace=ns, field_selector=f"metadata.name={name}")
            notify = lambda *_: self.on_change(ns, name)  # noqa: E731
            inf.add_event_handler(on_add=notify, on_update=notify, on_delete=notify)
            self._informers[(ns, name)] = inf
            inf.start()
        return inf

    async def get(self, ns: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist.  Raises asyncio.TimeoutError when its watch cannot be
        established in time."""
        inf = self._informer(ns, name)
        if not inf.has_synced:
            await inf.wait_synced(self.sync_timeout)
        return inf.get(f"{ns}/{name}")

    async def stop(self) -> None:
        infs = list(self._informers.values())
        self._informers.clear()
        await asyncio.gather(*(i.stop() for i in infs), return_exceptions=True)
