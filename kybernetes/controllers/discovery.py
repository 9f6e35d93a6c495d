"""What the API server serves, read from its discovery documents (client-go's discovery client, the parts we need).

:func:`discover` reads ``/api``, ``/api/v1``, ``/apis`` and every ``/apis/<group>/<version>`` and answers a
:class:`Discovery`: every top-level resource of every served version (subresources such as ``pods/status`` are
left out) with its kind, scope and verbs.  Two views matter to controllers that work on *all* resources:

- ``preferred()``: one entry per (group, resource), taken from the group's preferred version, or from the
  highest-priority other version that serves a resource the preferred one lacks (``ServerPreferredResources``);
- ``lookup(api_version, kind)``: the resource serving a kind in exactly that version (a REST mapping), used to
  follow an ownerReference to its owner.

Discovery is partial by nature: a group whose document cannot be read is reported in ``failed`` (group/version
-> error text) while everything else is still returned, so callers act on what they can see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from kybernetes.client.rest import RESTClient

__all__ = ["APIResource", "Discovery", "discover"]


@dataclass(frozen=True, slots=True)
class APIResource:
    """One served resource in one version."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def gvr(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.plural)

    def supports(self, *verbs: str) -> bool:
        return all(v in self.verbs for v in verbs)

    def __str__(self) -> str:
        # upstream prints a GroupVersionResource as "<resource>.<version>.<group>"
        return f"{self.plural}.{self.version}.{self.group}" if self.group else f"{self.plural}.{self.version}"


@dataclass(slots=True)
class Discovery:
    """The resources of all served versions, in discovery order (groups in ``/apis`` order, versions by
    priority).  ``failed`` maps a group/version whose document could not be read to the error."""

    resources: list[APIResource] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    preferred_versions: dict[str, str] = field(default_factory=dict)
    _by_kind: dict[tuple[str, str], APIResource] = field(default_factory=dict, repr=False)

    def preferred(self) -> list[APIResource]:
        """One resource per (group, plural): the preferred version's, else the first version serving it."""
        by_group: dict[str, list[APIResource]] = {}
        for r in self.resources:
            by_group.setdefault(r.group, []).append(r)
        out: list[APIResource] = []
        for group, items in by_group.items():
            pref = self.preferred_versions.get(group)
            seen: set[str] = set()
            ordered = [r for r in items if r.version == pref] + [r for r in items if r.version != pref]
            for r in ordered:
                if r.plural not in seen:
                    seen.add(r.plural)
                    out.append(r)
        return out

    def lookup(self, api_version: str, kind: str) -> APIResource | None:
        """The resource serving ``kind`` in ``api_version`` ("v1", "apps/v1"), or None when not served."""
        if not self._by_kind:
            for r in self.resources:
                self._by_kind.setdefault((r.api_version, r.kind), r)
        return self._by_kind.get((api_version, kind))

    def filtered(self, *verbs: str, namespaced: bool | None = None,
                 resources: Iterable[APIResource] | None = None) -> list[APIResource]:
        """The preferred resources (or ``resources``) supporting every verb, optionally of one scope."""
        pool = self.preferred() if resources is None else resources
        return [r for r in pool if r.supports(*verbs) and (namespaced is None or r.namespaced == namespaced)]


def _parse_list(doc: dict, group: str, version: str) -> list[APIResource]:
    out = []
    for r in doc.get("resources") or []:
        name = r.get("name") or ""
        if not name or "/" in name:
            continue
        out.append(APIResource(group=group, version=version, plural=name, kind=r.get("kind") or "",
                               namespaced=bool(r.get("namespaced")), verbs=frozenset(r.get("verbs") or ())))
    return out


async def discover(client: RESTClient) -> Discovery:
    """Read every discovery document.  A failing group version lands in ``Discovery.failed``; the whole call
    raises only when neither ``/api`` nor ``/apis`` can be read (StatusError or connection errors)."""
    disc = Discovery()
    core_versions: list[str] = []
    groups: list[tuple[str, list[str], str]] = []
    errors: list[BaseException] = []
    try:
        core_versions = list((await client.get("/api")).get("versions") or [])
    except Exception as e:  # noqa: BLE001 - reported below, or as a failed group
        errors.append(e)
    try:
        for g in (await client.get("/apis")).get("groups") or []:
            versions = [v.get("version", "") for v in g.get("versions") or [] if v.get("version")]
            pref = (g.get("preferredVersion") or {}).get("version") or (versions[0] if versions else "")
            groups.append((g.get("name", ""), versions, pref))
    except Exception as e:  # noqa: BLE001
        errors.append(e)
    if len(errors) == 2:
        raise errors[0]
    if core_versions:
        disc.preferred_versions[""] = "v1" if "v1" in core_versions else core_versions[0]
    targets: list[tuple[str, str, str]] = [("", v, f"/api/{v}") for v in core_versions]
    for name, versions, pref in groups:
        disc.preferred_versions[name] = pref
        targets.extend((name, v, f"/apis/{name}/{v}") for v in versions)

    async def fetch(group: str, version: str, path: str) -> list[APIResource]:
        try:
            return _parse_list(await client.get(path), group, version)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - one broken group must not hide the others
            disc.failed[f"{group}/{version}" if group else version] = str(e) or type(e).__name__
            return []

    for found in await asyncio.gather(*(fetch(*t) for t in targets)):
        disc.resources.extend(found)
    return disc
