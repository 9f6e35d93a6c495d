"""managedFields on creates: objects of one shape get the same entry (the server memoises it), and the entry is
what the general field manager computes for the defaulted request body (as upstream, before mutating admission,
so fields admission adds, such as the default tolerations, are owned by nobody)."""

from __future__ import annotations

import copy

from kybernetes.api.applyschema import apply_schema_for
from kybernetes.api.defaults import apply_defaults
from kybernetes.machinery.managedfields import update_managed_fields
from tests.integration.conftest import API


def _pod(name: str, image: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "mf"}},
            "spec": {"containers": [{"name": "c", "image": image, "ports": [{"containerPort": 80}]}]}}


def test_create_entries_match_general_computation(api: API, ns: str) -> None:
    made = []
    bodies = []
    for name, image in (("a", "nginx"), ("b", "nginx"), ("c", "busybox")):
        body = _pod(name, image)
        r = api.call("POST", f"/api/v1/namespaces/{ns}/pods?fieldManager=mf-test", body)
        assert r.status == 201, r.body
        made.append(r.json())
        bodies.append(body)
    for obj, body in zip(made, bodies):
        entries = obj["metadata"]["managedFields"]
        assert [e["manager"] for e in entries] == ["mf-test"]
        assert "f:tolerations" not in entries[0]["fieldsV1"]["f:spec"]  # added by admission: nobody's
        sent = copy.deepcopy(body)
        sent["metadata"]["namespace"] = ns
        apply_defaults(sent, "", "v1", "Pod")
        want = update_managed_fields(None, sent, manager="mf-test", api_version="v1",
                                     schema=apply_schema_for("", "v1", "Pod"), now=entries[0]["time"])
        assert entries == want["metadata"]["managedFields"], obj["metadata"]["name"]
    assert made[0]["metadata"]["managedFields"][0]["fieldsV1"] == made[1]["metadata"]["managedFields"][0]["fieldsV1"]


def test_create_entries_shared_by_shape_still_match(api: API, ns: str) -> None:
    """Objects that differ only in scalar values (an Event's message and times, a pod's label values) share the
    memoised entry; each still equals the general computation for its own body."""
    def event(i: int) -> dict:
        return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"e{i}"},
                "involvedObject": {"kind": "Pod", "name": f"p{i}", "namespace": ns, "uid": f"uid-{i}"},
                "reason": "Scheduled", "message": f"Successfully assigned {ns}/p{i} to node-{i}", "type": "Normal",
                "count": i + 1, "source": {"component": "default-scheduler"},
                "firstTimestamp": f"2026-11-27T00:00:0{i}Z", "lastTimestamp": f"2026-11-27T00:00:0{i}Z"}

    def labelled(i: int) -> dict:
        body = _pod(f"l{i}", "nginx")
        body["metadata"]["labels"] = {"app": f"v{i}"}
        return body

    for plural, kind, make in (("events", "Event", event), ("pods", "Pod", labelled)):
        for i in range(3):
            body = make(i)
            r = api.call("POST", f"/api/v1/namespaces/{ns}/{plural}?fieldManager=mf-shape", body)
            assert r.status == 201, r.body
            entries = r.json()["metadata"]["managedFields"]
            sent = copy.deepcopy(body)
            sent["metadata"]["namespace"] = ns
            apply_defaults(sent, "", "v1", kind)
            want = update_managed_fields(None, sent, manager="mf-shape", api_version="v1",
                                         schema=apply_schema_for("", "v1", kind), now=entries[0]["time"])
            assert entries == want["metadata"]["managedFields"], (kind, i)
