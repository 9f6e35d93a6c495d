"""Mutating admission: what upstream's default admission plugins add to objects before they are validated.

Plugins here, in upstream's order for a Pod create:
- ServiceAccount: ``spec.serviceAccountName`` (and the deprecated ``serviceAccount``) default to ``default``.
- Priority: ``spec.priority`` and ``spec.preemptionPolicy`` from ``spec.priorityClassName`` (403 Forbidden when
  the class does not exist), else from the global default class, else 0 / PreemptLowerPriority.
- DefaultTolerationSeconds: NoExecute tolerations for ``node.kubernetes.io/not-ready`` and ``unreachable``
  (300 s) unless the pod already tolerates them.
Each plugin is a small function; ``admit_create`` runs the chain for the resource being created.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kybernetes.machinery import errors

__all__ = ["Admission"]

_DEFAULT_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
)

ListFn = Callable[[], Awaitable[list[dict]]]
GetFn = Callable[[str], Awaitable[dict | None]]


class Admission:
    """The mutating admission chain (reads PriorityClasses through ``get_priority_class``/``list_priority_classes``)."""

    def __init__(self, *, get_priority_class: GetFn, list_priority_classes: ListFn) -> None:
        self._get_pc = get_priority_class
        self._list_pc = list_priority_classes

    async def admit_create(self, group: str, resource: str, obj: dict) -> None:
        """Mutate ``obj`` (storage version) as upstream's admission plugins do on create; may raise StatusError."""
        if (group, resource) == ("", "pods"):
            spec = obj.setdefault("spec", {})
            _service_account(spec)
            await self._priority(obj, spec)
            _default_tolerations(spec)

    async def _priority(self, obj: dict, spec: dict) -> None:
        name = spec.get("priorityClassName")
        pc: dict | None = None
        if name:
            pc = await self._get_pc(name)
            if pc is None:
                raise errors.forbidden("", "pods", (obj.get("metadata") or {}).get("name", ""),
                                       f"no PriorityClass with name {name} was found")
        else:
            for candidate in await self._list_pc():
                if candidate.get("globalDefault"):
                    pc = candidate
                    spec["priorityClassName"] = (candidate.get("metadata") or {}).get("name")
                    break
        value = int(pc.get("value", 0)) if pc else 0
        policy = (pc or {}).get("preemptionPolicy") or "PreemptLowerPriority"
        if "priority" in spec and spec["priority"] != value:
            raise errors.forbidden("", "pods", (obj.get("metadata") or {}).get("name", ""),
                                   "the integer value of priority "
                                   f"({spec['priority']}) must not be provided in pod spec; priority admission "
                                   "controller computed "
                                   f"{value} from the given PriorityClass name")
        spec["priority"] = value
        spec.setdefault("preemptionPolicy", policy)


def _service_account(spec: dict) -> None:
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = sa
    spec["serviceAccount"] = sa


def _tolerates(tolerations: list[Any], key: str) -> bool:
    for t in tolerations:
        if not isinstance(t, dict):
            continue
        if t.get("effect") not in (None, "", "NoExecute"):
            continue
        if t.get("operator") == "Exists" and not t.get("key"):
            return True
        if t.get("key") == key:
            return True
    return False


def _default_tolerations(spec: dict) -> None:
    tolerations = list(spec.get("tolerations") or [])
    added = False
    for t in _DEFAULT_TOLERATIONS:
        if not _tolerates(tolerations, t["key"]):
            tolerations.append(dict(t))
            added = True
    if added:
        spec["tolerations"] = tolerations
