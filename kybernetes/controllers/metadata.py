"""Metadata-only access to any resource (client-go's metadata client and metadata informers).

Controllers that look at *every* resource (the garbage collector, the namespace deleter) need only
``metadata``: names, uids, ownerReferences, finalizers, deletionTimestamp.  :func:`metadata_client` builds a
second :class:`~kybernetes.client.rest.RESTClient` for the same server and credentials whose requests ask for
``PartialObjectMetadata`` (``Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1``), so the
server sends metadata instead of whole objects for GET, LIST and PATCH answers.

:class:`MetadataInformer` is an :class:`~kybernetes.client.informer.Informer` whose cache holds only
``{"apiVersion", "kind", "metadata"}`` of each object, typed with the real kind of the resource (the server
answers ``PartialObjectMetadata`` in lists; watch events may carry whole objects and are cut down the same way).
"""

from __future__ import annotations

from typing import Any

from kybernetes.client.informer import Informer
from kybernetes.client.rest import RESTClient

__all__ = ["PARTIAL_OBJECT_METADATA_ACCEPT", "metadata_client", "MetadataInformer", "to_metadata"]

PARTIAL_OBJECT_METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


def metadata_client(base: RESTClient) -> RESTClient:
    """A new client for ``base``'s server and credentials that asks for PartialObjectMetadata answers.  It has
    its own connection pool: the caller closes it."""
    return base.derived(accept=PARTIAL_OBJECT_METADATA_ACCEPT)


def to_metadata(obj: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    """``obj`` cut down to its metadata, typed as ``api_version``/``kind`` (mutates and returns ``obj``)."""
    for key in [k for k in obj if k != "metadata"]:
        del obj[key]
    obj["apiVersion"] = api_version
    obj["kind"] = kind
    obj.setdefault("metadata", {})
    return obj


class MetadataInformer(Informer):
    """An informer over a metadata client whose cache keeps only metadata, typed as ``kind``."""

    def __init__(self, client: RESTClient, group: str, version: str, plural: str, kind: str, **kw: Any) -> None:
        super().__init__(client, group, version, plural, **kw)
        self.kind = kind

    def _fill_type(self, obj: dict[str, Any]) -> None:
        # Every listed or watched object passes through here before it is cached.
        to_metadata(obj, self.api_version, self.kind)
