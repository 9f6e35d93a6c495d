"""Server-side printing: objects as ``meta.k8s.io/v1`` Tables, as ``kubectl get`` asks for them.

A resource without its own printer gets upstream's default table (Name, Created At). ``includeObject`` decides
what each row carries: ``None``, ``Metadata`` (default; a PartialObjectMetadata) or ``Object`` (the whole object).
Per-type columns and cells come from ``api.printers`` (upstream's printers, keyed by group and resource).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from kybernetes.api import printers

__all__ = ["to_table", "partial_metadata"]

Column = dict[str, Any]
Printer = tuple[list[Column], Callable[[dict, dt.datetime], list[Any]]]

_NAME_COL: Column = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. Name is "
    "primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "priority": 0,
}
_CREATED_COL: Column = {
    "name": "Created At",
    "type": "date",
    "format": "",
    "description": "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this "
    "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
    "lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    "priority": 0,
}


def _default_cells(obj: dict, now: dt.datetime) -> list[Any]:
    md = obj.get("metadata") or {}
    return [md.get("name", ""), md.get("creationTimestamp")]


DEFAULT_PRINTER: Printer = ([_NAME_COL, _CREATED_COL], _default_cells)


def partial_metadata(obj: dict, version: str = "v1") -> dict:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata") or {},
    }


def to_table(
    objs: Iterable[dict],
    *,
    group: str,
    resource: str,
    include_object: str = "Metadata",
    with_columns: bool = True,
    version: str = "v1",
    list_meta: dict | None = None,
) -> dict:
    """A Table of ``objs`` (never mutates them)."""
    key = (group, resource)
    columns, cells = printers.PRINTERS.get(key, DEFAULT_PRINTER)
    now = dt.datetime.now(dt.timezone.utc)
    objs = list(objs)
    sort_key = printers.LIST_SORT_KEYS.get(key)
    if sort_key is not None and len(objs) > 1:
        objs.sort(key=sort_key)
    rows = []
    for obj in objs:
        shown = obj
        if key == ("autoscaling", "horizontalpodautoscalers") and obj.get("apiVersion") == "autoscaling/v1":
            from kybernetes.api import conversion

            shown = conversion.convert(obj, "autoscaling/v2")
        row: dict[str, Any] = {"cells": cells(shown, now)}
        conditions = printers.row_conditions(group, resource, shown)
        if conditions:
            row["conditions"] = conditions
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj, version)
        rows.append(row)
    table: dict[str, Any] = {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": list_meta or {},
    }
    if with_columns:
        table["columnDefinitions"] = columns
    table["rows"] = rows
    return table
