"""managedFields bookkeeping for non-apply writes, entry encoding/sorting/capping and the CSA -> SSA upgrade."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.machinery.apply import apply
from kybernetes.machinery.fieldpath import FieldSet, PathElement, parse_fields_v1, path_string
from kybernetes.machinery.managedfields import (
    Managed,
    VersionedSet,
    cap_update_managers,
    decode_managed_fields,
    encode_managed_fields,
    manager_identifier,
    manager_or_user_agent,
    update_managed_fields,
    upgrade_managed_fields,
    upgrade_managed_fields_patch,
)
from tests.unit.machinery.test_fieldpath import (
    Schema,
    configmap_schema,
    deployment_schema,
    scalar,
    struct,
)

T0, T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z", "2024-05-01T10:10:00Z"
CM = configmap_schema()


def full_deployment_schema() -> Schema:
    """The test Deployment schema plus defaulted fields, with the Go-shape hints ``api`` would provide:
    ``rollingUpdate`` and the pod ``securityContext`` are pointers, ``containers`` is always serialized."""
    schema = deployment_schema()
    spec = schema.fields["spec"]
    spec.fields.update(
        revisionHistoryLimit=scalar(), progressDeadlineSeconds=scalar(),
        strategy=struct(type=scalar(), rollingUpdate=Schema(
            "struct", fields={"maxSurge": scalar(), "maxUnavailable": scalar()}, always_present=False)),
    )
    pod = spec.fields["template"].fields["spec"]
    pod.fields.update(dnsPolicy=scalar(), schedulerName=scalar(), terminationGracePeriodSeconds=scalar(),
                      securityContext=Schema("struct", fields={"runAsUser": scalar()}, always_present=False))
    pod.fields["containers"].always_present = True
    container = pod.fields["containers"].item
    container.fields.update(terminationMessagePath=scalar(), terminationMessagePolicy=scalar())
    return schema


DEPLOY = full_deployment_schema()


def created_deployment() -> dict[str, Any]:
    """What ``kubectl create deployment nginx --image=nginx`` stores after defaulting."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "uid": "u-1", "resourceVersion": "7", "generation": 1,
                     "creationTimestamp": T0, "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [{
                        "name": "nginx", "image": "nginx", "resources": {},
                        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                        "imagePullPolicy": "Always",
                    }],
                    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                    "securityContext": {}, "schedulerName": "default-scheduler",
                },
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {},
    }


# As upstream 1.32 records `kubectl create deployment nginx --image=nginx`.
KUBECTL_CREATE_FIELDS = {
    "f:metadata": {"f:labels": {"f:app": {}, ".": {}}},
    "f:spec": {
        "f:progressDeadlineSeconds": {},
        "f:replicas": {},
        "f:revisionHistoryLimit": {},
        "f:selector": {},
        "f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}, "f:maxUnavailable": {}, ".": {}}, "f:type": {}},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}, ".": {}}},
            "f:spec": {
                "f:containers": {'k:{"name":"nginx"}': {
                    "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {},
                    "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}, ".": {}}},
                "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {},
                "f:terminationGracePeriodSeconds": {},
            },
        },
    },
}


def write(old: dict | None, new: dict, manager: str, now: str = T1, schema: Any = DEPLOY, **kw: Any) -> dict:
    return update_managed_fields(old, new, manager=manager, api_version=new["apiVersion"], schema=schema, now=now,
                                 **kw)


def by_manager(obj: dict) -> dict[str, dict]:
    return {(e["manager"], e.get("subresource", "")): e for e in obj["metadata"].get("managedFields", [])}


def owned(obj: dict, manager: str, subresource: str = "") -> list[str]:
    entry = by_manager(obj)[(manager, subresource)]
    return [path_string(p) for p in parse_fields_v1(entry["fieldsV1"]).paths()]


def edited(obj: dict, fn: Any) -> dict:
    out = copy.deepcopy(obj)
    fn(out)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Update operations
# ---------------------------------------------------------------------------------------------------------------


def test_create_records_an_update_entry_like_upstream() -> None:
    out = write(None, created_deployment(), "kubectl-create", now=T0)
    assert out["metadata"]["managedFields"] == [{
        "manager": "kubectl-create",
        "operation": "Update",
        "apiVersion": "apps/v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": KUBECTL_CREATE_FIELDS,
    }]
    assert {k: v for k, v in out.items() if k != "metadata"} == {
        k: v for k, v in created_deployment().items() if k != "metadata"}


def test_another_manager_takes_the_fields_it_changes() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    scaled = write(live, edited(live, lambda o: o["spec"].update(replicas=3)), "kubectl", now=T1)
    assert ".spec.replicas" not in owned(scaled, "kubectl-create")
    assert owned(scaled, "kubectl") == [".spec.replicas"]
    entries = scaled["metadata"]["managedFields"]
    assert [(e["manager"], e["time"]) for e in entries] == [("kubectl-create", T0), ("kubectl", T1)]


def test_same_manager_accumulates_and_restamps() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    once = write(live, edited(live, lambda o: o["spec"].update(replicas=3)), "kubectl", now=T1)
    twice = write(once, edited(once, lambda o: o["spec"].update(paused=True)), "kubectl", now=T2)
    assert owned(twice, "kubectl") == [".spec.paused", ".spec.replicas"]
    assert by_manager(twice)[("kubectl", "")]["time"] == T2


def test_a_write_that_changes_nothing_keeps_managed_fields() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    again = write(live, edited(live, lambda o: o["metadata"].update(resourceVersion="8")), "other", now=T1)
    assert again["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_removed_fields_leave_every_manager() -> None:
    live = write(None, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}},
                 "creator", now=T0, schema=CM)
    out = write(live, edited(live, lambda o: o.update(data={"b": "2"})), "editor", now=T1, schema=CM)
    # .data.a left the creator; the map itself, added as a whole at creation, stays its own (".": {}).
    assert owned(out, "creator") == [".data"]
    assert by_manager(out)[("creator", "")]["fieldsV1"] == {"f:data": {}}
    gone = write(out, edited(out, lambda o: o.pop("data")), "janitor", now=T2, schema=CM)
    # Removing the map takes it (and .data.b) from everybody; a write that only removes owns nothing.
    assert "managedFields" not in gone["metadata"]
    assert owned(out, "editor") == [".data.b"]


def test_subresource_writes_are_recorded_separately() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    bogus = [{"manager": "x", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {}}]
    new = edited(live, lambda o: (o.update(status={"replicas": 1}), o["metadata"].update(managedFields=bogus)))
    out = write(live, new, "kube-controller-manager", now=T1, subresource="status")
    entry = by_manager(out)[("kube-controller-manager", "status")]
    assert entry["subresource"] == "status" and list(entry)[-1] == "subresource"
    assert owned(out, "kube-controller-manager", "status") == [".status.replicas"]
    assert ("x", "") not in by_manager(out)  # a subresource write cannot set managedFields


def test_request_managed_fields_are_honoured_or_reset() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    custom = [{"manager": "someone", "operation": "Apply", "apiVersion": "apps/v1", "time": T0,
               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]
    taken = write(live, edited(live, lambda o: o["metadata"].update(managedFields=custom)), "editor")
    assert taken["metadata"]["managedFields"] == custom
    reset = write(live, edited(live, lambda o: o["metadata"].update(managedFields=[])), "editor")
    assert "managedFields" not in reset["metadata"]
    reset_one = write(live, edited(live, lambda o: o["metadata"].update(managedFields=[{}])), "editor")
    assert "managedFields" not in reset_one["metadata"]
    invalid = [{"manager": "x", "operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"}]
    kept = write(live, edited(live, lambda o: o["metadata"].update(managedFields=invalid)), "editor")
    assert kept["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_unknown_manager_and_user_agent() -> None:
    out = write(None, created_deployment(), "", now=T0)
    assert out["metadata"]["managedFields"][0]["manager"] == "unknown"
    assert manager_or_user_agent("", "kubectl/v1.32.0 (linux/amd64) kubernetes/abc") == "kubectl"
    assert manager_or_user_agent("helm", "Go-http-client/1.1") == "helm"


def test_objects_that_do_not_fit_lose_managed_fields() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    broken = edited(live, lambda o: o["spec"]["template"]["spec"]["containers"].append({"image": "x"}))
    out = write(live, broken, "editor")
    assert "managedFields" not in out["metadata"]


def test_ignored_fields_are_not_recorded() -> None:
    live = write(None, created_deployment(), "kubectl-create", now=T0)
    both = edited(live, lambda o: (o.update(status={"replicas": 1}), o["spec"].update(replicas=4)))
    out = write(live, both, "editor", ignored=FieldSet([(PathElement.field("status"),)]))
    assert owned(out, "editor") == [".spec.replicas"]


# ---------------------------------------------------------------------------------------------------------------
# Entries: decoding, sorting, capping
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "message"), [
    ({"manager": "m", "operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"},
     "operation must be `Apply` or `Update`"),
    ({"manager": "m", "operation": "Update", "fieldsType": "FieldsV1"}, "apiVersion must not be empty"),
    ({"manager": "m", "operation": "Update", "apiVersion": "v1"}, "missing fieldsType in managed fields entry 0"),
    ({"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"},
     'invalid fieldsType "FieldsV2" in managed fields entry 0'),
])
def test_decode_errors(entry: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        decode_managed_fields([entry])
    assert str(info.value) == message


def test_entries_sort_apply_first_then_oldest() -> None:
    fs = FieldSet([(PathElement.field("a"),)])
    managed = Managed()
    for name, op, version, t in [("b", "Update", "v1", T0), ("a", "Update", "v1", T1), ("z", "Apply", "v1", T2),
                                 ("c", "Update", "v1", None), ("a", "Update", "v2", T1)]:
        ident = manager_identifier(name, op, version)
        managed.fields[ident] = VersionedSet(fs, version, op == "Apply")
        managed.times[ident] = t
    order = [(e["manager"], e["apiVersion"], e.get("time")) for e in encode_managed_fields(managed)]
    assert order == [("z", "v1", T2), ("c", "v1", None), ("b", "v1", T0), ("a", "v1", T1), ("a", "v2", T1)]
    assert encode_managed_fields(Managed()) is None
    again = decode_managed_fields(encode_managed_fields(managed))
    assert again.fields == managed.fields and again.times == managed.times


def test_identifiers_match_upstream_json() -> None:
    assert manager_identifier("kubectl", "Apply", "apps/v1") == '{"manager":"kubectl","operation":"Apply"}'
    assert manager_identifier("k", "Update", "v1", "status") == \
        '{"manager":"k","operation":"Update","apiVersion":"v1","subresource":"status"}'


def test_update_managers_are_capped_into_ancient_changes() -> None:
    managed = Managed()
    for i in range(12):
        ident = manager_identifier(f"m{i:02d}", "Update", "v1")
        managed.fields[ident] = VersionedSet(FieldSet([(PathElement.field(f"f{i}"),)]), "v1", False)
        managed.times[ident] = f"2024-05-01T10:{i:02d}:00Z"
    cap_update_managers(managed, 10)
    names = sorted(e["manager"] for e in encode_managed_fields(managed))
    assert names == ["ancient-changes"] + [f"m{i:02d}" for i in range(3, 12)]
    bucket = managed.fields[manager_identifier("ancient-changes", "Update", "v1")]
    assert [path_string(p) for p in bucket.fields.paths()] == [".f0", ".f1", ".f2"]
    assert managed.times[manager_identifier("ancient-changes", "Update", "v1")] == "2024-05-01T10:02:00Z"


def test_eleventh_update_manager_triggers_the_cap() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    for i in range(11):
        obj = write(obj, edited(obj, lambda o: o["data"].update({f"k{i}": "v"})), f"m{i}",
                    now=f"2024-05-01T10:{i:02d}:00Z", schema=CM)
    managers = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(managers) == 10 and managers[0] == "ancient-changes"


# ---------------------------------------------------------------------------------------------------------------
# Client-side apply -> server-side apply (csaupgrade)
# ---------------------------------------------------------------------------------------------------------------


def csa_entry(fields: dict, version: str = "apps/v1", t: str = T0) -> dict:
    return {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": version, "time": t,
            "fieldsType": "FieldsV1", "fieldsV1": fields}


def test_upgrade_converts_the_client_side_entry() -> None:
    entries = [csa_entry({"f:spec": {"f:replicas": {}}}),
               {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": T1,
                "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}, "subresource": "status"}]
    out = upgrade_managed_fields(entries, {"kubectl-client-side-apply"}, "kubectl")
    assert out == [
        {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": T0, "fieldsType": "FieldsV1",
         "fieldsV1": {"f:spec": {"f:replicas": {}}}},
        entries[1],
    ]
    assert entries[0]["manager"] == "kubectl-client-side-apply"  # input untouched


def test_upgrade_unions_into_an_existing_applier() -> None:
    applier = {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": T1,
               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:paused": {}}}}
    entries = [applier, csa_entry({"f:spec": {"f:replicas": {}}}), csa_entry({"f:spec": {"f:x": {}}}, "apps/v1beta2")]
    out = upgrade_managed_fields(entries, ["kubectl-client-side-apply"], "kubectl")
    assert out == [applier | {"fieldsV1": {"f:spec": {"f:paused": {}, "f:replicas": {}}}}]


def test_upgrade_patch() -> None:
    obj = {"metadata": {"name": "x", "resourceVersion": "42", "managedFields": [csa_entry({"f:spec": {}})]}}
    patch = upgrade_managed_fields_patch(obj, {"kubectl-client-side-apply"}, "kubectl")
    assert patch == [
        {"op": "replace", "path": "/metadata/managedFields",
         "value": [csa_entry({"f:spec": {}}) | {"manager": "kubectl", "operation": "Apply"}]},
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "42"},
    ]
    upgraded = {"metadata": {"resourceVersion": "43", "managedFields": patch[0]["value"]}}
    assert upgrade_managed_fields_patch(upgraded, {"kubectl-client-side-apply"}, "kubectl") is None
    assert upgrade_managed_fields(None, {"kubectl-client-side-apply"}, "kubectl") is None


def test_kubectl_flow_client_side_then_upgrade_then_server_side() -> None:
    """kubectl apply (CSA), then kubectl apply --server-side: kubectl first sends the upgrade patch, then applies
    without conflicts and the old entry is gone."""
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}}
    live = write(None, config, "kubectl-client-side-apply", now=T0, schema=CM)
    patch = upgrade_managed_fields_patch(live, {"kubectl-client-side-apply"}, "kubectl")
    assert patch is not None
    upgraded = write(live, edited(live, lambda o: o["metadata"].update(managedFields=patch[0]["value"])),
                     "kubectl", now=T1, schema=CM)
    assert [(e["manager"], e["operation"]) for e in upgraded["metadata"]["managedFields"]] == [("kubectl", "Apply")]
    out = apply(upgraded, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "9"}},
                manager="kubectl", api_version="v1", force=False, schema=CM, now=T2)
    assert out["data"] == {"a": "9"}  # b was owned by kubectl's (upgraded) entry and is no longer applied
    assert [(e["manager"], e["operation"]) for e in out["metadata"]["managedFields"]] == [("kubectl", "Apply")]


def _both_ways(monkeypatch: pytest.MonkeyPatch, old: dict | None, new: dict, manager: str, now: str,
               **kw: Any) -> dict:
    """The write through the shortcut and through the general bookkeeping: they must agree."""
    import kybernetes.machinery.managedfields as mf
    fast = write(old, new, manager, now, **kw)
    monkeypatch.setattr(mf, "_FAST_PATH", False)
    slow = write(old, new, manager, now, **kw)
    monkeypatch.setattr(mf, "_FAST_PATH", True)
    assert fast["metadata"].get("managedFields") == slow["metadata"].get("managedFields"), (manager, now)
    return fast


def test_repeat_writes_of_own_fields_match_the_general_bookkeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    import kybernetes.machinery.managedfields as mf
    shortcuts: list[bool] = []
    real = mf._same_owners

    def spy(*a: Any, **kw: Any) -> Any:
        out = real(*a, **kw)
        shortcuts.append(out is not None)
        return out

    monkeypatch.setattr(mf, "_same_owners", spy)
    times = iter(f"2026-11-27T00:00:{s:02d}Z" for s in range(60))
    obj = _both_ways(monkeypatch, None, created_deployment(), "kubectl-create", next(times))

    def step(manager: str, fn: Any, **kw: Any) -> None:
        nonlocal obj
        obj = _both_ways(monkeypatch, obj, edited(obj, fn), manager, next(times), **kw)

    def replicas(n: int) -> Any:
        return lambda o: o["spec"].__setitem__("replicas", n)

    def status(n: int) -> Any:
        return lambda o: o.__setitem__("status", {"replicas": n, "observedGeneration": n})

    step("kubectl-scale", replicas(3))           # takes a field from the creator
    step("kubectl-scale", replicas(4))           # its own field again: only its time moves
    step("kubectl-scale", lambda o: None)        # no change at all
    step("controller", status(1), subresource="status", ignored=FieldSet([(PathElement.field("spec"),)]))
    step("controller", status(2), subresource="status", ignored=FieldSet([(PathElement.field("spec"),)]))
    step("kubectl-create", replicas(5))          # takes it back
    step("kubectl-create", lambda o: o["spec"].pop("revisionHistoryLimit"))  # a removal
    step("kubectl-create", lambda o: o["metadata"]["labels"].__setitem__("tier", "web"))  # a new field
    step("kubectl-create", lambda o: o["metadata"]["labels"].__setitem__("tier", "api"))
    by = by_manager(obj)
    assert by[("kubectl-create", "")]["time"] == "2026-11-27T00:00:09Z"
    assert by[("controller", "status")]["time"] == "2026-11-27T00:00:05Z"
    assert "f:replicas" in by[("kubectl-create", "")]["fieldsV1"]["f:spec"]
    assert ("kubectl-scale", "") not in by
    # taken by the shortcut: scale 4, the no-op, the second status, the second label value
    assert [i for i, hit in enumerate(shortcuts) if hit] == [1, 2, 4, 8], shortcuts
