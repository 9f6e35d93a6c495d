"""The in-tree plugin registry: plugin name -> ``"module:Class"``, imported only when a profile needs it.

Plugins are looked up by the names the KubeSchedulerConfiguration uses.  Entries are strings so that importing the
registry imports no plugin (and a plugin module that does not exist yet does not break the scheduler until a
profile actually needs it).  A :class:`Registry` may also map a name straight to a class, which tests use for fake
plugins and which out-of-tree plugins could use.

:func:`Registry.load` raises :class:`PluginNotFound` for a name it does not know and :class:`PluginUnavailable`
when the entry names a module that does not exist; any other import error is a bug in the plugin and propagates.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["IN_TREE", "Registry", "PluginNotFound", "PluginUnavailable", "default_registry"]

_P = "kybernetes.scheduler.plugins."

IN_TREE: dict[str, str] = {
    "SchedulingGates": _P + "schedulinggates:SchedulingGates",
    "PrioritySort": _P + "queuesort:PrioritySort",
    "NodeUnschedulable": _P + "nodeunschedulable:NodeUnschedulable",
    "NodeName": _P + "nodename:NodeName",
    "TaintToleration": _P + "tainttoleration:TaintToleration",
    "NodeAffinity": _P + "nodeaffinity:NodeAffinity",
    "NodePorts": _P + "nodeports:NodePorts",
    "NodeResourcesFit": _P + "noderesourcesfit:NodeResourcesFit",
    "PodTopologySpread": _P + "podtopologyspread:PodTopologySpread",
    "InterPodAffinity": _P + "interpodaffinity:InterPodAffinity",
    "DefaultPreemption": _P + "defaultpreemption:DefaultPreemption",
    "NodeResourcesBalancedAllocation": _P + "balancedallocation:NodeResourcesBalancedAllocation",
    "ImageLocality": _P + "imagelocality:ImageLocality",
    "DefaultBinder": _P + "defaultbinder:DefaultBinder",
}


class PluginNotFound(KeyError):
    """No plugin of that name is registered."""

    def __str__(self) -> str:
        return f"plugin {self.args[0]!r} is not registered"


class PluginUnavailable(ImportError):
    """The plugin is registered but its module does not exist (yet)."""


class Registry(Mapping[str, Any]):
    """Plugin name -> ``"module:Class"`` string or a Plugin class.  Loaded classes are memoised."""

    def __init__(self, entries: Mapping[str, Any] | None = None) -> None:
        self._entries: dict[str, Any] = dict(IN_TREE if entries is None else entries)
        self._loaded: dict[str, type] = {}

    def __getitem__(self, name: str) -> Any:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def register(self, name: str, entry: Any) -> None:
        """Add or replace ``name`` (a ``"module:Class"`` string or a class)."""
        self._entries[name] = entry
        self._loaded.pop(name, None)

    def load(self, name: str) -> type:
        """The plugin class for ``name``.  Raises PluginNotFound / PluginUnavailable (see module doc)."""
        cls = self._loaded.get(name)
        if cls is not None:
            return cls
        try:
            entry = self._entries[name]
        except KeyError:
            raise PluginNotFound(name) from None
        if isinstance(entry, str):
            module_name, _, attr = entry.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as e:
                if e.name != module_name:
                    raise  # the plugin exists but imports something missing: a real bug
                raise PluginUnavailable(f"plugin {name!r}: module {module_name} does not exist") from None
            cls = getattr(module, attr)
        else:
            cls = entry
        self._loaded[name] = cls
        return cls

    def available(self, name: str) -> bool:
        """True when ``name`` is registered and its class can be loaded."""
        try:
            self.load(name)
        except (PluginNotFound, PluginUnavailable):
            return False
        return True


def default_registry() -> Registry:
    """A fresh registry of the in-tree plugins."""
    return Registry()
