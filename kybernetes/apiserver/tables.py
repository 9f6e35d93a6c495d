"""Server-side printing: objects as ``meta.k8s.io/v1`` Tables, as ``kubectl get`` asks for them.

A resource without its own printer gets upstream's default table (Name, Created At). ``includeObject`` decides
what each row carries: ``None``, ``Metadata`` (default; a PartialObjectMetadata) or ``Object`` (the whole object).
Per-type printers register in ``PRINTERS`` keyed by (group, resource).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["to_table", "partial_metadata", "PRINTERS", "Printer"]

Column = dict[str, Any]
Printer = tuple[list[Column], Callable[[dict], list[Any]]]

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


def _default_cells(obj: dict) -> list[Any]:
    md = obj.get("metadata") or {}
    return [md.get("name", ""), md.get("creationTimestamp")]


DEFAULT_PRINTER: Printer = ([_NAME_COL, _CREATED_COL], _default_cells)
PRINTERS: dict[tuple[str, str], Printer] = {}


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
    columns, cells = PRINTERS.get((group, resource), DEFAULT_PRINTER)
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": cells(obj)}
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
