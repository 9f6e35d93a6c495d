"""Strategic merge patch against the behaviours upstream's own patch tests pin down, plus Pod-shaped cases.

Two toy schemas drive the merge through a tiny dict-based PatchMeta:

* ``MERGE_ITEM`` mirrors the struct upstream's tests use (``mergingList`` merged by ``name``,
  ``mergingIntList`` merged as a set, ``retainKeysMap`` / ``retainKeysMergingList`` with ``retainKeys``...);
* ``POD`` models the parts of a Pod that matter (containers by ``name``, ports by ``containerPort``, env by
  ``name``, volumes ``merge,retainKeys`` by ``name``, finalizers as a merged set, tolerations atomic).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from kybernetes.machinery.strategicpatch import PatchError, PatchMeta, apply_strategic_merge_patch


class Meta:
    """A PatchMeta node: named fields, map values (``values``) and list items (``item``)."""

    def __init__(
        self,
        *,
        strategy: str = "",
        merge_key: str = "",
        list_type: str = "",
        fields: dict[str, Meta] | None = None,
        values: Meta | None = None,
        item: Meta | None = None,
    ) -> None:
        self.patch_strategy = strategy
        self.patch_merge_key = merge_key
        self.list_type = list_type
        self.fields = fields if fields is not None else {}
        self.values = values
        self.item = item

    def field(self, name: str) -> Meta | None:
        return self.fields.get(name, self.values)

    def items(self) -> Meta | None:
        return self.item


def _merge_item_schema() -> Meta:
    item = Meta()
    retain = Meta()
    string_map = Meta(values=Meta())
    item.fields.update(
        name=Meta(),
        value=Meta(),
        other=Meta(),
        mergingList=Meta(strategy="merge", merge_key="name", list_type="map", item=item),
        nonMergingList=Meta(list_type="atomic", item=item),
        mergingIntList=Meta(strategy="merge", list_type="set", item=Meta()),
        nonMergingIntList=Meta(item=Meta()),
        mergeItemPtr=Meta(strategy="merge", merge_key="name", item=item),
        simpleMap=string_map,
        replacingItem=Meta(strategy="replace"),
        retainKeysMap=Meta(strategy="retainKeys", fields=retain.fields),
        retainKeysMergingList=Meta(strategy="merge,retainKeys", merge_key="name", item=item),
    )
    retain.fields.update(
        name=Meta(),
        value=Meta(),
        other=Meta(),
        simpleMap=string_map,
        mergingIntList=Meta(strategy="merge", item=Meta()),
        mergingList=Meta(strategy="merge", merge_key="name", item=item),
        nonMergingList=Meta(item=item),
    )
    return item


def _pod_schema() -> Meta:
    string_map = Meta(values=Meta())
    container = Meta(
        fields={
            "name": Meta(),
            "image": Meta(),
            "args": Meta(list_type="atomic", item=Meta()),
            "ports": Meta(strategy="merge", merge_key="containerPort", list_type="map",
                          item=Meta(fields={"containerPort": Meta(), "protocol": Meta(), "name": Meta()})),
            "env": Meta(strategy="merge", merge_key="name", list_type="map",
                        item=Meta(fields={"name": Meta(), "value": Meta(), "valueFrom": Meta()})),
            "volumeMounts": Meta(strategy="merge", merge_key="mountPath", item=Meta()),
            "resources": Meta(fields={"limits": string_map, "requests": string_map}),
        }
    )
    volume = Meta(fields={"name": Meta(), "emptyDir": Meta(), "hostPath": Meta(), "configMap": Meta()})
    metadata = Meta(
        fields={
            "name": Meta(),
            "labels": string_map,
            "annotations": string_map,
            "finalizers": Meta(strategy="merge", list_type="set", item=Meta()),
            "ownerReferences": Meta(strategy="merge", merge_key="uid", item=Meta()),
        }
    )
    spec = Meta(
        fields={
            "containers": Meta(strategy="merge", merge_key="name", list_type="map", item=container),
            "initContainers": Meta(strategy="merge", merge_key="name", list_type="map", item=container),
            "volumes": Meta(strategy="merge,retainKeys", merge_key="name", list_type="map", item=volume),
            "tolerations": Meta(list_type="atomic", item=Meta()),
            "nodeSelector": string_map,
        }
    )
    return Meta(fields={"apiVersion": Meta(), "kind": Meta(), "metadata": metadata, "spec": spec})


MERGE_ITEM = _merge_item_schema()
POD = _pod_schema()


def _meta_is_a_patchmeta(m: PatchMeta) -> PatchMeta:
    return m


_meta_is_a_patchmeta(MERGE_ITEM)  # the toy schema satisfies the protocol for type checkers


def _cases(text: str) -> list[Any]:
    out = []
    for case in yaml.safe_load(text):
        out.append(pytest.param(case["doc"], case["patch"], case.get("result"), case.get("error"), id=case["name"]))
    return out


# --------------------------------------------------------------------------------------------------------------
# Behaviour pinned by upstream's tests (re-expressed as doc + patch -> result)
# --------------------------------------------------------------------------------------------------------------

UPSTREAM_CASES = _cases(
    """
- name: unique scalars when merging lists
  doc: {mergingIntList: [1, 2]}
  patch: {mergingIntList: [2, 3]}
  result: {mergingIntList: [1, 2, 3]}
- name: delete map from nested map leaves it empty
  doc: {simpleMap: {key1: 1, key2: 1}}
  patch: {simpleMap: {$patch: delete}}
  result: {simpleMap: {}}
- name: delete all items from merging list
  doc: {mergingList: [{name: 1}, {name: 2}]}
  patch: {mergingList: [{$patch: replace}]}
  result: {mergingList: []}
- name: merge empty merging lists
  doc: {mergingList: []}
  patch: {mergingList: []}
  result: {mergingList: []}
- name: delete all keys from map
  doc: {name: 1, value: 1}
  patch: {$patch: replace}
  result: {}
- name: add key and delete all keys from map
  doc: {name: 1, value: 1}
  patch: {other: a, $patch: replace}
  result: {other: a}
- name: delete all duplicate entries in a merging list
  doc: {mergingList: [{name: 1}, {name: 1}, {name: 2, value: a}, {name: 3}, {name: 3}]}
  patch: {mergingList: [{name: 1, $patch: delete}, {name: 3, $patch: delete}]}
  result: {mergingList: [{name: 2, value: a}]}
- name: retainKeys map can add a field when no retainKeys directive present
  doc: {retainKeysMap: {name: foo}}
  patch: {retainKeysMap: {value: bar}}
  result: {retainKeysMap: {name: foo, value: bar}}
- name: retainKeys map can delete a field when no retainKeys directive present
  doc: {retainKeysMap: {name: foo, value: a}}
  patch: {retainKeysMap: {value: null}}
  result: {retainKeysMap: {name: foo}}
- name: retainKeys map merge an empty map
  doc: {retainKeysMap: {name: foo, value: a}}
  patch: {retainKeysMap: {}}
  result: {retainKeysMap: {name: foo, value: a}}
- name: retainKeys list can add a field when no retainKeys directive present
  doc: {retainKeysMergingList: [{name: bar}, {name: foo}]}
  patch: {retainKeysMergingList: [{name: foo, value: a}]}
  result: {retainKeysMergingList: [{name: bar}, {name: foo, value: a}]}
- name: retainKeys list can delete a field when no retainKeys directive present
  doc: {retainKeysMergingList: [{name: bar}, {name: foo, value: a}]}
  patch: {retainKeysMergingList: [{name: foo, value: null}]}
  result: {retainKeysMergingList: [{name: bar}, {name: foo}]}
- name: preserve the order from the patch in a merging list
  doc: {mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]}
  patch: {mergingList: [{name: 3, value: c}, {name: 1, value: a}, {name: 2, other: x}]}
  result: {mergingList: [{name: 3, value: c}, {name: 1, value: a}, {name: 2, value: b, other: x}]}
- name: server-only items keep their place among patch items
  doc: {mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]}
  patch: {mergingList: [{name: 3, value: c}, {name: 1, value: a}]}
  result: {mergingList: [{name: 2, value: b}, {name: 3, value: c}, {name: 1, value: a}]}
- name: preserve the order from the patch in a merging int list
  doc: {mergingIntList: [1, 2, 3]}
  patch: {mergingIntList: [3, 1, 2]}
  result: {mergingIntList: [3, 1, 2]}
- name: server-only ints keep their place
  doc: {mergingIntList: [1, 2, 3]}
  patch: {mergingIntList: [3, 1]}
  result: {mergingIntList: [2, 3, 1]}
- name: setElementOrder naming an item absent from the list
  doc: {mergingList: [{name: 1}, {name: 3}]}
  patch:
    $setElementOrder/mergingList: [{name: 3}, {name: 2}, {name: 1}]
    mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]
  result: {mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]}
- name: setElementOrder alone reorders an int list
  doc: {mergingIntList: [1, 3]}
  patch: {$setElementOrder/mergingIntList: [3, 2, 1]}
  result: {mergingIntList: [3, 1]}
- name: setElementOrder must agree with the patch list
  doc: {mergingList: [{name: 1}, {name: 3}, {name: 2}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 2}, {name: 3}]
    mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]
  error: doesn't match $setElementOrder list
- name: setElementOrder must agree with the patch int list
  doc: {mergingIntList: [1, 3, 2]}
  patch:
    $setElementOrder/mergingIntList: [1, 2, 3]
    mergingIntList: [3, 1]
  error: doesn't match $setElementOrder list
- name: missing merge key
  doc: {mergingList: [{name: 1, value: a}]}
  patch: {mergingList: [{value: b}]}
  error: "map: map[value:b] does not contain declared merge key: name"
- name: deleteFromPrimitiveList of absent item
  doc: {mergingIntList: [1, 2]}
  patch: {$deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: [1, 2]}
- name: deleteFromPrimitiveList on null list
  doc: {mergingIntList: null}
  patch: {$deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: null}
- name: deleteFromPrimitiveList on absent list adds nothing
  doc: {foo: [bar]}
  patch: {$deleteFromPrimitiveList/mergingIntList: [3]}
  result: {foo: [bar]}
- name: deleteFromPrimitiveList on merging list
  doc: {mergingIntList: [1, 2, 3]}
  patch: {$deleteFromPrimitiveList/mergingIntList: [2]}
  result: {mergingIntList: [1, 3]}
- name: deleteFromPrimitiveList on non-merging list
  doc: {nonMergingIntList: [1, 2, 3]}
  patch: {$deleteFromPrimitiveList/nonMergingIntList: [2]}
  result: {nonMergingIntList: [1, 3]}
- name: add field to map
  doc: {name: 1, other: a}
  patch: {value: 1}
  result: {name: 1, value: 1, other: a}
- name: add field and delete field from map
  doc: {name: 1, other: a}
  patch: {name: null, value: 1}
  result: {value: 1, other: a}
- name: delete field from nested map
  doc: {simpleMap: {key1: 1, key2: 1, other: a}}
  patch: {simpleMap: {key2: null}}
  result: {simpleMap: {key1: 1, other: a}}
- name: replace list of scalars
  doc: {nonMergingIntList: [1, 4]}
  patch: {nonMergingIntList: [2, 3]}
  result: {nonMergingIntList: [2, 3]}
- name: delete all maps from merging list
  doc: {mergingList: [{name: 1, other: a}, {name: 2, other: b}]}
  patch: {mergingList: [{name: 1, $patch: delete}, {name: 2, $patch: delete}]}
  result: {mergingList: []}
- name: delete all maps from empty merging list
  doc: {mergingList: []}
  patch: {mergingList: [{name: 1, $patch: delete}, {name: 2, $patch: delete}]}
  result: {mergingList: []}
- name: defined nulls remove fields and are not added
  doc: {name: a, other: a}
  patch: {name: 1, value: 1, other: null}
  result: {name: 1, value: 1}
- name: new list drops delete directives
  doc: {name: hi}
  patch: {mergingList: [{name: hello}, {$patch: delete, name: doesntexist}]}
  result: {name: hi, mergingList: [{name: hello}]}
- name: nested patch merge with empty list
  doc: {name: hi, mergingList: [{name: hello2}]}
  patch:
    $setElementOrder/mergingList: [{name: hello}, {name: doesntexist}]
    mergingList: [{name: hello}]
  result: {name: hi, mergingList: [{name: hello}, {name: hello2}]}
- name: delete items in lists of scalars
  doc: {mergingIntList: [1, 2, 3, 4]}
  patch: {$setElementOrder/mergingIntList: [1, 2], $deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: [1, 2, 4]}
- name: delete all duplicate items in lists of scalars
  doc: {mergingIntList: [1, 2, 3, 3, 4]}
  patch: {$setElementOrder/mergingIntList: [1, 2], $deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: [1, 2, 4]}
- name: add and delete items in lists of scalars
  doc: {mergingIntList: [1, 2, 3]}
  patch:
    $setElementOrder/mergingIntList: [1, 2, 4]
    $deleteFromPrimitiveList/mergingIntList: [3]
    mergingIntList: [4]
  result: {mergingIntList: [1, 2, 4]}
- name: merge lists of maps
  doc: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 4}, {name: 1}, {name: 2}, {name: 3}]
    mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]
  result: {mergingList: [{name: 4, value: 4}, {name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]}
- name: merge lists of maps with conflict
  doc: {mergingList: [{name: 1, other: a}, {name: 2, value: 3, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 2}, {name: 3}]
    mergingList: [{name: 2, value: 2}, {name: 3, value: 3}]
  result: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]}
- name: add field to map in merging list with conflict
  doc: {mergingList: [{name: 1, other: a}, {name: 3, value: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 2}]
    mergingList: [{name: 1, value: 1}, {name: 2, value: 2}]
  result: {mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2}, {name: 3, value: 2, other: b}]}
- name: delete missing map from merging list with conflict
  doc: {mergingList: [{name: 3, other: a}]}
  patch:
    $setElementOrder/mergingList: [{name: 2}]
    mergingList: [{name: 2}, {name: 1, $patch: delete}]
  result: {mergingList: [{name: 2}, {name: 3, other: a}]}
- name: add map and delete map from merging list
  doc: {mergingList: [{name: 1}, {name: 2, other: b}, {name: 4, other: c}]}
  patch:
    $setElementOrder/mergingList: [{name: 2}, {name: 3}]
    mergingList: [{name: 3}, {name: 1, $patch: delete}]
  result: {mergingList: [{name: 2, other: b}, {name: 4, other: c}, {name: 3}]}
- name: add map and delete map from merging list with conflict
  doc: {mergingList: [{name: 1, other: a}, {name: 4, other: c}]}
  patch:
    $setElementOrder/mergingList: [{name: 2}, {name: 3}]
    mergingList: [{name: 2}, {name: 3}, {name: 1, $patch: delete}]
  result: {mergingList: [{name: 4, other: c}, {name: 2}, {name: 3}]}
- name: replace non merging list nested in merging list
  doc: {mergingList: [{name: 1, other: a, nonMergingList: [{name: 1}, {name: 2, value: 2}]}, {name: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 2}]
    mergingList: [{name: 1, nonMergingList: [{name: 1, value: 1}]}]
  result: {mergingList: [{name: 1, other: a, nonMergingList: [{name: 1, value: 1}]}, {name: 2, other: b}]}
- name: reorder merging list nested in merging list
  doc: {mergingList: [{name: 1, other: a, mergingList: [{name: 2, value: 2, other: d}]}, {name: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 2}]
    mergingList:
    - $setElementOrder/mergingList: [{name: 2}, {name: 1}]
      name: 1
      mergingList: [{name: 1, value: 1}]
  result:
    mergingList:
    - {name: 1, other: a, mergingList: [{name: 2, value: 2, other: d}, {name: 1, value: 1}]}
    - {name: 2, other: b}
- name: add map to merging list by pointer
  doc: {mergeItemPtr: [{name: 1, other: a}, {name: 3}]}
  patch:
    $setElementOrder/mergeItemPtr: [{name: 1}, {name: 2}]
    mergeItemPtr: [{name: 2}]
  result: {mergeItemPtr: [{name: 1, other: a}, {name: 2}, {name: 3}]}
- name: merge lists of scalars
  doc: {mergingIntList: [1, 2, 4]}
  patch: {$setElementOrder/mergingIntList: [1, 2, 3], mergingIntList: [3]}
  result: {mergingIntList: [1, 2, 3, 4]}
- name: add an item in a list of primitives and preserve order
  doc: {mergingIntList: [1, 4, 2]}
  patch: {$setElementOrder/mergingIntList: [3, 1, 2], mergingIntList: [3]}
  result: {mergingIntList: [3, 1, 4, 2]}
- name: delete an item in a list of primitives and preserve order
  doc: {mergingIntList: [1, 2, 3]}
  patch: {$setElementOrder/mergingIntList: [2, 1], $deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: [2, 1]}
- name: add an item in a list and preserve order
  doc: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 3}, {name: 1}, {name: 2}]
    mergingList: [{name: 3, value: 3}]
  result: {mergingList: [{name: 3, value: 3}, {name: 1, other: a}, {name: 2, value: 2, other: b}]}
- name: add multiple items in a list and preserve order
  doc: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 4}, {name: 2}, {name: 3}]
    mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]
  result: {mergingList: [{name: 1, other: a}, {name: 4, value: 4}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]}
- name: delete an item in a list and preserve order
  doc: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]}
  patch:
    $setElementOrder/mergingList: [{name: 2}, {name: 1}]
    mergingList: [{name: 3, $patch: delete}]
  result: {mergingList: [{name: 2, value: 2, other: b}, {name: 1, other: a}]}
- name: change an item in a list and preserve order
  doc: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]}
  patch:
    $setElementOrder/mergingList: [{name: 2}, {name: 3}, {name: 1}]
    mergingList: [{name: 3, value: x}]
  result: {mergingList: [{name: 2, value: 2, other: b}, {name: 3, value: x}, {name: 1, other: a}]}
- name: retainKeys map clears unlisted keys and merges the rest
  doc: {retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key2: b, key3: c}}}
  patch: {retainKeysMap: {$retainKeys: [name, simpleMap, value], simpleMap: {key2: null}}}
  result: {retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key3: c}}}
- name: retainKeys map deletes nested non-merging list
  doc: {retainKeysMap: {name: foo, nonMergingList: [{name: a}, {name: b}, {name: c}]}}
  patch: {retainKeysMap: {$retainKeys: [name, value], value: bar, nonMergingList: null}}
  result: {retainKeysMap: {name: foo, value: bar}}
- name: retainKeys map adds an item in nested merging int list
  doc: {retainKeysMap: {name: foo, mergingIntList: [1, 2, 3]}}
  patch:
    retainKeysMap:
      $setElementOrder/mergingIntList: [1, 2, 4]
      $retainKeys: [mergingIntList, name]
      mergingIntList: [4]
  result: {retainKeysMap: {name: foo, mergingIntList: [1, 2, 4, 3]}}
- name: retainKeys map deletes an item in nested merging int list
  doc: {retainKeysMap: {name: foo, mergingIntList: [1, 2, 3, 4]}}
  patch:
    retainKeysMap:
      $retainKeys: [mergingIntList, name]
      $deleteFromPrimitiveList/mergingIntList: [2]
      $setElementOrder/mergingIntList: [1, 3]
  result: {retainKeysMap: {name: foo, mergingIntList: [1, 3, 4]}}
- name: retainKeys map adds and deletes in nested merging int list
  doc: {retainKeysMap: {name: foo, mergingIntList: [1, 2, 3, 4]}}
  patch:
    retainKeysMap:
      $retainKeys: [mergingIntList, name]
      mergingIntList: [5]
      $deleteFromPrimitiveList/mergingIntList: [2]
      $setElementOrder/mergingIntList: [1, 3, 5]
  result: {retainKeysMap: {name: foo, mergingIntList: [1, 3, 5, 4]}}
- name: retainKeys map deletes an item in nested merging list
  doc: {retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: x}]}}
  patch:
    retainKeysMap:
      $retainKeys: [mergingList, name]
      $setElementOrder/mergingList: [{name: a}]
      mergingList: [{name: b, $patch: delete}]
  result: {retainKeysMap: {name: foo, mergingList: [{name: a}, {name: x}]}}
- name: retainKeys map changes an item in nested merging list
  doc: {retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b, value: foo}, {name: x}]}}
  patch:
    retainKeysMap:
      $retainKeys: [mergingList, name]
      $setElementOrder/mergingList: [{name: a}, {name: b}]
      mergingList: [{name: b, value: bar}]
  result: {retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b, value: bar}, {name: x}]}}
- name: retainKeys list of maps clears a field
  doc: {retainKeysMergingList: [{name: bar}, {name: foo, value: a, other: x}]}
  patch:
    $setElementOrder/retainKeysMergingList: [{name: bar}, {name: foo}]
    retainKeysMergingList: [{$retainKeys: [name, value], name: foo}]
  result: {retainKeysMergingList: [{name: bar}, {name: foo, value: a}]}
"""
)


@pytest.mark.parametrize(("doc", "patch", "result", "error"), UPSTREAM_CASES)
def test_upstream_behaviour(doc: dict, patch: dict, result: dict | None, error: str | None) -> None:
    _check(doc, patch, MERGE_ITEM, result, error)


def _check(doc: dict, patch: dict, meta: Meta | None, result: dict | None, error: str | None) -> None:
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    if error is None:
        assert apply_strategic_merge_patch(doc, patch, meta) == result
    else:
        with pytest.raises(PatchError) as info:
            apply_strategic_merge_patch(doc, patch, meta)
        assert error in str(info.value)
    assert doc == doc_before and patch == patch_before, "inputs must not be modified"


# --------------------------------------------------------------------------------------------------------------
# Directives, nulls, types and errors
# --------------------------------------------------------------------------------------------------------------

EDGE_CASES = _cases(
    """
- name: replace strategy replaces the object
  doc: {replacingItem: {a: 1, b: 2}}
  patch: {replacingItem: {c: 3}}
  result: {replacingItem: {c: 3}}
- name: nested $patch replace replaces only that map
  doc: {simpleMap: {a: x}, name: n}
  patch: {simpleMap: {$patch: replace, b: y}}
  result: {simpleMap: {b: y}, name: n}
- name: nulls inside a new value are dropped
  doc: {}
  patch: {simpleMap: {a: null, b: x}, mergingList: [{name: 1, value: null}]}
  result: {simpleMap: {b: x}, mergingList: [{name: 1}]}
- name: directives inside a new value are dropped
  doc: {}
  patch: {mergingList: [{name: 1}, {name: 2, $patch: delete}], simpleMap: {$patch: delete}}
  result: {mergingList: [{name: 1}]}
- name: type change takes the patch value without nulls
  doc: {simpleMap: str}
  patch: {simpleMap: {a: 1, b: null}}
  result: {simpleMap: {a: 1}}
- name: scalar replaced
  doc: {name: a, value: 1}
  patch: {value: "2"}
  result: {name: a, value: "2"}
- name: null for absent key is ignored
  doc: {name: a}
  patch: {gone: null}
  result: {name: a}
- name: deleteFromPrimitiveList null deletes the list
  doc: {mergingIntList: [1]}
  patch: {$deleteFromPrimitiveList/mergingIntList: null}
  result: {}
- name: merge keys compare by JSON type
  doc: {mergingList: [{name: 80, value: int}]}
  patch: {mergingList: [{name: "80", value: str}]}
  result: {mergingList: [{name: "80", value: str}, {name: 80, value: int}]}
- name: booleans are not numbers in sets
  doc: {mergingIntList: [1]}
  patch: {mergingIntList: [true]}
  error: "list element types are not identical: [[1] [true]]"
- name: map $patch merge is rejected
  doc: {simpleMap: {a: x}}
  patch: {simpleMap: {$patch: merge}}
  error: "unknown patch type: merge in map: map[$patch:merge]"
- name: list element $patch merge is rejected
  doc: {mergingList: [{name: 1}]}
  patch: {mergingList: [{name: 1, $patch: merge}]}
  error: merging lists cannot yet be specified in the patch
- name: unknown list element directive
  doc: {mergingList: [{name: 1}]}
  patch: {mergingList: [{name: 1, $patch: bogus}]}
  error: "unknown patch type: bogus in map: map[$patch:bogus name:1]"
- name: delete directive without merge key
  doc: {mergingList: [{name: 1}]}
  patch: {mergingList: [{$patch: delete}]}
  error: "map: map[$patch:delete] does not contain declared merge key: name"
- name: lists of lists
  doc: {mergingIntList: [[1]]}
  patch: {mergingIntList: [[2]]}
  error: lists of lists are not supported
- name: mixed element types
  doc: {mergingIntList: [1]}
  patch: {mergingIntList: [a]}
  error: "list element types are not identical: [[1] [a]]"
- name: retainKeys must list patched keys
  doc: {retainKeysMap: {name: a}}
  patch: {retainKeysMap: {$retainKeys: [name], value: x}}
  error: invalid patch format of retainKeys
- name: retainKeys must be a list
  doc: {retainKeysMap: {name: a}}
  patch: {retainKeysMap: {$retainKeys: name}}
  error: invalid patch format of retainKeys
- name: retainKeys ignores null and directive keys when validating
  doc: {retainKeysMap: {name: a, value: b, other: c}}
  patch: {retainKeysMap: {$retainKeys: [name], value: null}}
  result: {retainKeysMap: {name: a}}
- name: malformed deleteFromPrimitiveList key
  doc: {mergingIntList: [1]}
  patch: {$deleteFromPrimitiveListmergingIntList: [1]}
  error: invalid patch format of primitive list
- name: malformed setElementOrder key
  doc: {mergingIntList: [1]}
  patch: {$setElementOrdermergingIntList: [1]}
  error: invalid patch format of setElementOrder list
- name: setElementOrder must be a list
  doc: {mergingIntList: [1]}
  patch: {$setElementOrder/mergingIntList: 1}
  error: "expected a []interface {}, but received a int64"
- name: setElementOrder with list added by the patch
  doc: {}
  patch: {$setElementOrder/mergingIntList: [3, 2, 1], mergingIntList: [2, 1]}
  result: {mergingIntList: [2, 1]}
- name: duplicates in a primitive list are removed in place as upstream does
  doc: {mergingIntList: [1, 1, 3, 2]}
  patch: {$setElementOrder/mergingIntList: [2], mergingIntList: []}
  result: {mergingIntList: [1, 2, 3]}
- name: deleted and added elements reuse the server list's slots when ordering
  doc: {mergingList: [{name: a}, {name: b}, {name: c}]}
  patch:
    $setElementOrder/mergingList: [{name: c}, {name: d}]
    mergingList: [{name: d}, {name: a, $patch: delete}]
  result: {mergingList: [{name: b}, {name: c}, {name: d}]}
- name: setElementOrder disagreeing with a new list
  doc: {}
  patch: {$setElementOrder/mergingIntList: [2, 1], mergingIntList: [1, 2]}
  error: doesn't match $setElementOrder list
"""
)


@pytest.mark.parametrize(("doc", "patch", "result", "error"), EDGE_CASES)
def test_edge_cases(doc: dict, patch: dict, result: dict | None, error: str | None) -> None:
    _check(doc, patch, MERGE_ITEM, result, error)


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        pytest.param({"retainKeysMap": {"$retainKeys": "x"}}, 400, id="retain-keys-bad-request"),
        pytest.param({"$setElementOrderx": []}, 400, id="set-element-order-bad-request"),
        pytest.param({"mergingIntList": [[1]]}, 422, id="list-of-lists-invalid"),
        pytest.param({"mergingList": [{"value": 1}]}, 500, id="missing-merge-key-internal"),
    ],
)
def test_error_codes(patch: dict, code: int) -> None:
    doc = {"retainKeysMap": {}, "mergingIntList": [[0]], "mergingList": [{"name": 1}]}
    with pytest.raises(PatchError) as info:
        apply_strategic_merge_patch(doc, patch, MERGE_ITEM)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("doc", "patch"),
    [pytest.param([], {}, id="list-doc"), pytest.param({}, [], id="list-patch"), pytest.param({}, None, id="null")],
)
def test_documents_must_be_objects(doc: Any, patch: Any) -> None:
    with pytest.raises(PatchError) as info:
        apply_strategic_merge_patch(doc, patch, None)
    assert str(info.value) == "invalid JSON document"
    assert info.value.code == 400


def test_without_schema_lists_are_replaced() -> None:
    doc = {"mergingList": [{"name": 1}, {"name": 2}], "simpleMap": {"a": "x"}}
    patch = {"mergingList": [{"name": 3}], "simpleMap": {"b": "y", "a": None}}
    assert apply_strategic_merge_patch(doc, patch, None) == {"mergingList": [{"name": 3}], "simpleMap": {"b": "y"}}


def test_unknown_field_has_no_schema() -> None:
    doc = {"unknownList": [1, 2]}
    assert apply_strategic_merge_patch(doc, {"unknownList": [3]}, MERGE_ITEM) == {"unknownList": [3]}


def test_result_shares_nothing_with_inputs() -> None:
    doc = {"mergingList": [{"name": 1, "simpleMap": {"a": "x"}}]}
    patch = {"simpleMap": {"k": "v"}}
    out = apply_strategic_merge_patch(doc, patch, MERGE_ITEM)
    out["mergingList"][0]["simpleMap"]["a"] = "changed"
    out["simpleMap"]["k"] = "changed"
    assert doc == {"mergingList": [{"name": 1, "simpleMap": {"a": "x"}}]}
    assert patch == {"simpleMap": {"k": "v"}}


# --------------------------------------------------------------------------------------------------------------
# Pod-shaped patches
# --------------------------------------------------------------------------------------------------------------

POD_DOC = yaml.safe_load(
    """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: fe}
  finalizers: [a.example.com/x, b.example.com/y]
spec:
  nodeSelector: {disk: ssd}
  tolerations: [{key: k1, operator: Exists}]
  volumes:
  - {name: data, emptyDir: {}}
  - {name: conf, configMap: {name: web-conf}}
  containers:
  - name: web
    image: nginx:1.25
    args: [--a, --b]
    ports: [{containerPort: 80, protocol: TCP}]
    env: [{name: A, value: "1"}, {name: B, value: "2"}]
    resources: {limits: {cpu: "1", memory: 1Gi}}
  - name: sidecar
    image: busybox
"""
)

POD_CASES = _cases(
    """
- name: set image keeps other containers and fields
  doc: null
  patch: {spec: {containers: [{name: web, image: "nginx:1.27"}]}}
  result: {spec: {containers: [{name: web, image: "nginx:1.27"}, {name: sidecar, image: busybox}]}}
- name: new container goes before server-only ones
  doc: null
  patch: {spec: {containers: [{name: logger, image: fluentbit}]}}
  result: {spec: {containers: [{name: logger, image: fluentbit}, {name: web}, {name: sidecar}]}}
- name: delete a container
  doc: null
  patch: {spec: {containers: [{name: sidecar, $patch: delete}]}}
  result: {spec: {containers: [{name: web}]}}
- name: replace all containers
  doc: null
  patch: {spec: {containers: [{$patch: replace}, {name: only, image: alpine}]}}
  result: {spec: {containers: [{name: only, image: alpine}]}}
- name: add a port merges by containerPort
  doc: null
  patch: {spec: {containers: [{name: web, ports: [{containerPort: 443}]}]}}
  result:
    spec:
      containers:
      - {name: web, ports: [{containerPort: 443}, {containerPort: 80, protocol: TCP}]}
      - {name: sidecar}
- name: change and add env by name
  doc: null
  patch:
    spec:
      $setElementOrder/containers: [{name: web}, {name: sidecar}]
      containers:
      - name: web
        $setElementOrder/env: [{name: A}, {name: B}, {name: C}]
        env: [{name: B, value: "20"}, {name: C, value: "3"}]
  result:
    spec:
      containers:
      - {name: web, env: [{name: A, value: "1"}, {name: B, value: "20"}, {name: C, value: "3"}]}
      - {name: sidecar}
- name: atomic args are replaced
  doc: null
  patch: {spec: {containers: [{name: web, args: [--c]}]}}
  result: {spec: {containers: [{name: web, args: [--c]}, {name: sidecar}]}}
- name: resource limits merge as a map
  doc: null
  patch: {spec: {containers: [{name: web, resources: {limits: {memory: 2Gi}, requests: {cpu: 100m}}}]}}
  result:
    spec:
      containers:
      - {name: web, resources: {limits: {cpu: "1", memory: 2Gi}, requests: {cpu: 100m}}}
      - {name: sidecar}
- name: finalizers merge as a set
  doc: null
  patch: {metadata: {finalizers: [c.example.com/z, a.example.com/x]}}
  result: {metadata: {finalizers: [c.example.com/z, a.example.com/x, b.example.com/y]}}
- name: finalizer removed with deleteFromPrimitiveList
  doc: null
  patch: {metadata: {$deleteFromPrimitiveList/finalizers: [a.example.com/x]}}
  result: {metadata: {finalizers: [b.example.com/y]}}
- name: labels added and removed
  doc: null
  patch: {metadata: {labels: {tier: null, track: stable}, annotations: {note: hi}}}
  result: {metadata: {labels: {app: web, track: stable}, annotations: {note: hi}}}
- name: volume source switched with retainKeys
  doc: null
  patch:
    spec:
      volumes:
      - {name: data, $retainKeys: [hostPath, name], hostPath: {path: /srv}}
  result: {spec: {volumes: [{name: data, hostPath: {path: /srv}}, {name: conf, configMap: {name: web-conf}}]}}
- name: volume source merged without retainKeys keeps both
  doc: null
  patch: {spec: {volumes: [{name: data, hostPath: {path: /srv}}]}}
  result: {spec: {volumes: [{name: data, emptyDir: {}, hostPath: {path: /srv}}, {name: conf}]}}
- name: tolerations are atomic
  doc: null
  patch: {spec: {tolerations: [{key: k2, operator: Exists}]}}
  result: {spec: {tolerations: [{key: k2, operator: Exists}]}}
- name: node selector replaced with $patch replace
  doc: null
  patch: {spec: {nodeSelector: {$patch: replace, zone: a}}}
  result: {spec: {nodeSelector: {zone: a}}}
"""
)


def _subset(expected: Any, actual: Any) -> bool:
    """Every key of ``expected`` dicts is in ``actual`` with a matching value; lists match element-wise."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            _subset(e, a) for e, a in zip(expected, actual)
        )
    return expected == actual


@pytest.mark.parametrize(("doc", "patch", "result", "error"), POD_CASES)
def test_pod_patches(doc: None, patch: dict, result: dict, error: None) -> None:
    before = copy.deepcopy(POD_DOC)
    out = apply_strategic_merge_patch(POD_DOC, patch, POD)
    assert _subset(result, out), out
    assert POD_DOC == before


def test_pod_exact_result_for_image_change() -> None:
    out = apply_strategic_merge_patch(POD_DOC, {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}, POD)
    expected = copy.deepcopy(POD_DOC)
    expected["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert out == expected


def test_pod_without_schema_replaces_containers() -> None:
    out = apply_strategic_merge_patch(POD_DOC, {"spec": {"containers": [{"name": "web", "image": "x"}]}}, None)
    assert out["spec"]["containers"] == [{"name": "web", "image": "x"}]
    assert out["spec"]["volumes"] == POD_DOC["spec"]["volumes"]


def test_subset_helper_rejects_mismatches() -> None:
    assert _subset({"a": [1]}, {"a": [1], "b": 2})
    assert not _subset({"a": [1]}, {"a": [1, 2]})
    assert not _subset({"a": 1}, {"b": 1})
