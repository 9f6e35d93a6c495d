"""Tests for ``pods/status`` write validation (``kybernetes.api.validation_podstatus``): metadata and annotation
rules, custom conditions, nominatedNodeName, qosClass, container state transitions, resource claim statuses and
pod/host IP lists, each asserting upstream's error type, field path and message."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation_podstatus import effective_pod_ips, validate_pod_status_update

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
BAD_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
ONE_PER_FAMILY = "may specify no more than one IP for each IP family"
NON_TERMINATED = ("FieldValueForbidden", "Forbidden: may not be transitioned to non-terminated state")
MIRROR = "kubernetes.io/config.mirror"
APPARMOR = "container.apparmor.security.beta.kubernetes.io/c"
COST = "controller.kubernetes.io/pod-deletion-cost"

RUNNING = {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
WAITING = {"waiting": {"reason": "ContainerCreating"}}


def terminated(code: int = 0) -> dict:
    return {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}}


def stored_pod(restart_policy: str = "Always", **spec: Any) -> dict:
    """A bound, defaulted pod as the store would hold it, with a Running status."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "default",
            "uid": "6d1c3c0e-0000-4000-8000-000000000001",
            "resourceVersion": "7",
            "creationTimestamp": "2024-01-01T00:00:00Z",
        },
        "spec": {"containers": [{"name": "c", "image": "nginx"}], "restartPolicy": restart_policy, "nodeName": "node-1", **spec},
        "status": {
            "phase": "Running",
            "qosClass": "BestEffort",
            "hostIP": "192.168.0.10",
            "hostIPs": [{"ip": "192.168.0.10"}],
            "podIP": "10.244.0.5",
            "podIPs": [{"ip": "10.244.0.5"}],
            "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "image": "nginx", "imageID": "", "state": RUNNING}],
        },
    }
    apply_defaults(pod, "", "v1", "Pod")
    return pod


def errors(new: dict, old: dict) -> list[tuple[str, str, str]]:
    return [(e.field, e.type, e.error_body()) for e in validate_pod_status_update(new, old)]


def changed(old: dict, edit: Callable[[dict], None]) -> dict:
    new = copy.deepcopy(old)
    edit(new)
    return new


def set_status(**fields: Any) -> Callable[[dict], None]:
    def edit(pod: dict) -> None:
        for k, v in fields.items():
            if v is None:
                pod["status"].pop(k, None)
            else:
                pod["status"][k] = v

    return edit


def set_annotations(annotations: dict | None) -> Callable[[dict], None]:
    def edit(pod: dict) -> None:
        if annotations is None:
            pod["metadata"].pop("annotations", None)
        else:
            pod["metadata"]["annotations"] = annotations

    return edit


def with_annotations(pod: dict, annotations: dict) -> dict:
    pod = copy.deepcopy(pod)
    pod["metadata"]["annotations"] = annotations
    return pod


# ---------------------------------------------------------------------------------------------------------------
# IPs
# ---------------------------------------------------------------------------------------------------------------

IP_CASES = [
    pytest.param({"podIP": "10.244.0.6", "podIPs": [{"ip": "10.244.0.6"}, {"ip": "fd00::6"}]}, [], id="dual-stack-pod-ips"),
    pytest.param(
        # podIP is authoritative when it disagrees with podIPs[0]: the list is replaced by [podIP], no error
        {"podIP": "10.244.0.9", "podIPs": [{"ip": "10.244.0.6"}, {"ip": "10.244.0.7"}]},
        [],
        id="pod-ip-not-matching-pod-ips-0-wins",
    ),
    pytest.param(
        {"podIP": "10.244.0.6", "podIPs": [{"ip": "10.244.0.6"}, {"ip": "10.244.0.7"}]},
        [("status.podIPs", "FieldValueInvalid",
          'Invalid value: []core.PodIP{core.PodIP{IP:"10.244.0.6"}, core.PodIP{IP:"10.244.0.7"}}: ' + ONE_PER_FAMILY)],
        id="two-ipv4-pod-ips",
    ),
    pytest.param(
        {"podIP": None, "podIPs": [{"ip": "10.244.0.6"}, {"ip": "fd00::6"}, {"ip": "10.244.0.7"}]},
        [("status.podIPs", "FieldValueInvalid",
          'Invalid value: []core.PodIP{core.PodIP{IP:"10.244.0.6"}, core.PodIP{IP:"fd00::6"}, core.PodIP{IP:"10.244.0.7"}}: '
          + ONE_PER_FAMILY)],
        id="three-pod-ips",
    ),
    pytest.param(
        {"podIP": None, "podIPs": [{"ip": "10.244.0.6"}, {"ip": "10.244.0.6"}]},
        [
            ("status.podIPs", "FieldValueInvalid",
             'Invalid value: []core.PodIP{core.PodIP{IP:"10.244.0.6"}, core.PodIP{IP:"10.244.0.6"}}: ' + ONE_PER_FAMILY),
            ("status.podIPs[1]", "FieldValueDuplicate", 'Duplicate value: core.PodIP{IP:"10.244.0.6"}'),
        ],
        id="duplicate-pod-ip",
    ),
    pytest.param(
        {"podIP": None, "podIPs": [{"ip": "300.1.1.1"}]},
        [("status.podIPs[0]", "FieldValueInvalid", f'Invalid value: "300.1.1.1": {BAD_IP}')],
        id="invalid-pod-ip-in-list",
    ),
    pytest.param(
        {"podIP": "not-an-ip", "podIPs": None},
        [("status.podIPs[0]", "FieldValueInvalid", f'Invalid value: "not-an-ip": {BAD_IP}')],
        id="invalid-pod-ip-field",
    ),
    pytest.param(
        {"podIP": None, "podIPs": [{"ip": "10.244.0.6"}, {"ip": "fd00::zz"}]},
        [
            ("status.podIPs[1]", "FieldValueInvalid", f'Invalid value: "fd00::zz": {BAD_IP}'),
            ("status.podIPs", "InternalError", "Internal error: failed to check for dual stack with error:ip <nil> is invalid"),
            ("status.podIPs", "FieldValueInvalid",
             'Invalid value: []core.PodIP{core.PodIP{IP:"10.244.0.6"}, core.PodIP{IP:"fd00::zz"}}: ' + ONE_PER_FAMILY),
        ],
        id="invalid-ip-among-pod-ips",
    ),
    pytest.param({"podIP": None, "podIPs": None}, [], id="no-pod-ips"),
    pytest.param(
        {"hostIP": "192.168.0.10", "hostIPs": [{"ip": "192.168.0.10"}, {"ip": "192.168.0.10"}]},
        [
            ("status.hostIPs[1]", "FieldValueDuplicate", 'Duplicate value: core.HostIP{IP:"192.168.0.10"}'),
            ("status.hostIPs", "FieldValueInvalid",
             'Invalid value: []core.HostIP{core.HostIP{IP:"192.168.0.10"}, core.HostIP{IP:"192.168.0.10"}}: ' + ONE_PER_FAMILY),
        ],
        id="duplicate-host-ip",
    ),
    pytest.param(
        {"hostIP": "192.168.0.11", "hostIPs": [{"ip": "192.168.0.10"}]},
        [("status.hostIPs[0].ip", "FieldValueInvalid", 'Invalid value: "192.168.0.10": must be equal to `hostIP`')],
        id="host-ips-0-not-host-ip",
    ),
    pytest.param(
        {"hostIP": None, "hostIPs": [{"ip": "192.168.0.10"}]},
        [("status.hostIPs[0].ip", "FieldValueInvalid", 'Invalid value: "192.168.0.10": must be equal to `hostIP`')],
        id="host-ips-without-host-ip",
    ),
    pytest.param(
        {"hostIP": "192.168.0.300", "hostIPs": [{"ip": "192.168.0.300"}]},
        [("status.hostIPs[0]", "FieldValueInvalid", f'Invalid value: "192.168.0.300": {BAD_IP}')],
        id="invalid-host-ip",
    ),
    pytest.param({"hostIP": "192.168.0.10", "hostIPs": [{"ip": "192.168.0.10"}, {"ip": "fd00::10"}]}, [], id="dual-stack-host-ips"),
    pytest.param({"hostIP": "192.168.0.10", "hostIPs": None}, [], id="host-ip-without-host-ips"),
]


@pytest.mark.parametrize(("fields", "expected"), IP_CASES)
def test_ip_lists(fields: dict, expected: list) -> None:
    old = stored_pod()
    assert errors(changed(old, set_status(**fields)), old) == expected


def test_effective_pod_ips_follows_v1_conversion() -> None:
    assert effective_pod_ips({"podIP": "1.1.2.1", "podIPs": [{"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}]}) == [{"ip": "1.1.2.1"}]
    assert effective_pod_ips({"podIP": "1.1.1.1", "podIPs": [{"ip": "1.1.1.1"}, {"ip": "::1"}]}) == [{"ip": "1.1.1.1"}, {"ip": "::1"}]
    assert effective_pod_ips({"podIPs": [{"ip": "1.1.1.1"}, {"ip": "::1"}]}) == [{"ip": "1.1.1.1"}, {"ip": "::1"}]
    assert effective_pod_ips({"podIP": "1.1.1.1"}) == [{"ip": "1.1.1.1"}]
    assert effective_pod_ips({}) == []


# ---------------------------------------------------------------------------------------------------------------
# Container state transitions
# ---------------------------------------------------------------------------------------------------------------


def statuses(*states: tuple[str, dict]) -> list[dict]:
    return [{"name": n, "ready": False, "restartCount": 0, "image": "x", "imageID": "", "state": s} for n, s in states]


TWO_CONTAINERS = [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}]
SIDECAR_SPEC = {"initContainers": [{"name": "init", "image": "x"}, {"name": "side", "image": "x", "restartPolicy": "Always"}]}

TRANSITION_CASES = [
    pytest.param("Never", {}, "containerStatuses", [("c", terminated(0))], [("c", RUNNING)],
                 [("status.containerStatuses[0].state", *NON_TERMINATED)], id="never-terminated-to-running"),
    pytest.param("Never", {}, "containerStatuses", [("c", terminated(1))], [("c", WAITING)],
                 [("status.containerStatuses[0].state", *NON_TERMINATED)], id="never-failed-to-waiting"),
    pytest.param("Always", {}, "containerStatuses", [("c", terminated(0))], [("c", RUNNING)], [], id="always-may-restart"),
    pytest.param("OnFailure", {}, "containerStatuses", [("c", terminated(1))], [("c", RUNNING)], [], id="on-failure-failed-may-restart"),
    pytest.param("OnFailure", {}, "containerStatuses", [("c", terminated(0))], [("c", RUNNING)],
                 [("status.containerStatuses[0].state", *NON_TERMINATED)], id="on-failure-succeeded-may-not-restart"),
    pytest.param("Never", {}, "containerStatuses", [("c", RUNNING)], [("c", terminated(0))], [], id="running-to-terminated"),
    pytest.param("Never", {}, "containerStatuses", [("c", terminated(0))], [("c", terminated(0))], [], id="stays-terminated"),
    pytest.param("Never", {"containers": TWO_CONTAINERS}, "containerStatuses", [("a", RUNNING), ("b", terminated(0))],
                 [("b", RUNNING), ("a", RUNNING)], [("status.containerStatuses[1].state", *NON_TERMINATED)],
                 id="path-indexes-old-list-matched-by-name"),
    pytest.param("Never", SIDECAR_SPEC, "initContainerStatuses", [("init", terminated(0))], [("init", RUNNING)],
                 [("status.initContainerStatuses[0].state", *NON_TERMINATED)], id="init-container-never"),
    pytest.param("Never", SIDECAR_SPEC, "initContainerStatuses", [("init", terminated(0)), ("side", terminated(0))],
                 [("init", terminated(0)), ("side", RUNNING)], [], id="sidecar-may-restart"),
    pytest.param("Always", SIDECAR_SPEC, "initContainerStatuses", [("init", terminated(0))], [("init", RUNNING)], [],
                 id="init-container-always"),
    pytest.param("Always", {}, "ephemeralContainerStatuses", [("debug", terminated(0))], [("debug", RUNNING)],
                 [("status.ephemeralContainerStatuses[0].state", *NON_TERMINATED)], id="ephemeral-never-restarts"),
]


@pytest.mark.parametrize(("policy", "spec", "field", "before", "after", "expected"), TRANSITION_CASES)
def test_container_state_transitions(policy: str, spec: dict, field: str, before: list, after: list, expected: list) -> None:
    old = stored_pod(policy, **spec)
    old["status"][field] = statuses(*before)
    new = changed(old, set_status(**{field: statuses(*after)}))
    assert errors(new, old) == expected


# ---------------------------------------------------------------------------------------------------------------
# Metadata, annotations, conditions, node names, QoS, resource claims
# ---------------------------------------------------------------------------------------------------------------


def _plain() -> dict:
    return stored_pod()


def _mirror() -> dict:
    return with_annotations(stored_pod(), {MIRROR: "abc"})


def _apparmor() -> dict:
    return with_annotations(stored_pod(), {APPARMOR: "runtime/default"})


def _bad_cost() -> dict:
    return with_annotations(stored_pod(), {COST: "abc"})


def _claims() -> dict:
    return stored_pod(resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "t"}])


def _rename(pod: dict) -> None:
    pod["metadata"]["name"] = "q"


def _drop_rv(pod: dict) -> None:
    del pod["metadata"]["resourceVersion"]


def _move_node(pod: dict) -> None:
    pod["spec"]["nodeName"] = "node-2"


CASES = [
    pytest.param(_plain, lambda p: None, [], id="unchanged"),
    pytest.param(
        _plain,
        set_status(
            phase="Running",
            startTime="2024-01-01T00:00:00Z",
            conditions=[
                {"type": "PodScheduled", "status": "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "ContainersReady", "status": "True"},
                {"type": "Ready", "status": "True"},
                {"type": "example.com/Healthy", "status": "True"},
            ],
        ),
        [],
        id="valid-running-status",
    ),
    pytest.param(
        _plain,
        set_status(conditions=[{"type": "Ready", "status": "True"}, {"type": "my condition", "status": "True"}]),
        [("metadata.conditions[1].Type", "FieldValueInvalid", f'Invalid value: "my condition": {NAME_PART_MSG}')],
        id="custom-condition-type-must-be-qualified",
    ),
    pytest.param(
        _plain,
        set_status(nominatedNodeName="Node_1"),
        [("status.nominatedNodeName", "FieldValueInvalid", f'Invalid value: "Node_1": {SUBDOMAIN_MSG}')],
        id="invalid-nominated-node-name",
    ),
    pytest.param(_plain, set_status(nominatedNodeName="node-2"), [], id="valid-nominated-node-name"),
    pytest.param(
        _plain,
        set_status(qosClass="Burstable"),
        [("status.qosClass", "FieldValueInvalid", 'Invalid value: "Burstable": field is immutable')],
        id="qos-class-immutable",
    ),
    pytest.param(_plain, _move_node, [("status.nodeName", "FieldValueForbidden", "Forbidden: may not be changed directly")],
                 id="node-name-may-not-change"),
    pytest.param(_plain, _rename, [("metadata.name", "FieldValueInvalid", 'Invalid value: "q": field is immutable')],
                 id="metadata-name-immutable"),
    pytest.param(
        _plain,
        _drop_rv,
        [("metadata.resourceVersion", "FieldValueInvalid", 'Invalid value: "": must be specified for an update')],
        id="resource-version-required",
    ),
    pytest.param(
        _mirror,
        set_annotations({MIRROR: "def"}),
        [(f"metadata.annotations[{MIRROR}]", "FieldValueForbidden", "Forbidden: may not remove or update mirror pod annotation")],
        id="mirror-annotation-change-forbidden",
    ),
    pytest.param(
        _mirror,
        set_annotations(None),
        [(f"metadata.annotations[{MIRROR}]", "FieldValueForbidden", "Forbidden: may not remove or update mirror pod annotation")],
        id="mirror-annotation-removal-forbidden",
    ),
    pytest.param(
        _plain,
        set_annotations({MIRROR: "abc"}),
        [(f"metadata.annotations[{MIRROR}]", "FieldValueForbidden", "Forbidden: may not add mirror pod annotation")],
        id="mirror-annotation-add-forbidden",
    ),
    pytest.param(_mirror, set_annotations({MIRROR: "abc", "team": "a"}), [], id="other-annotations-may-change"),
    pytest.param(
        _plain,
        set_annotations({APPARMOR: "runtime/default"}),
        [(f"metadata.annotations[{APPARMOR}]", "FieldValueForbidden", "Forbidden: may not add AppArmor annotations")],
        id="apparmor-annotation-add-forbidden",
    ),
    pytest.param(
        _apparmor,
        set_annotations({APPARMOR: "unconfined"}),
        [(f"metadata.annotations[{APPARMOR}]", "FieldValueForbidden", "Forbidden: may not remove or update AppArmor annotations")],
        id="apparmor-annotation-change-forbidden",
    ),
    pytest.param(
        _plain,
        set_annotations({COST: "abc"}),
        [(f"metadata.annotations[{COST}]", "FieldValueInvalid", 'Invalid value: "abc": must be a 32bit integer')],
        id="invalid-deletion-cost",
    ),
    pytest.param(_bad_cost, set_annotations({COST: "xyz"}), [], id="deletion-cost-already-invalid-is-tolerated"),
    pytest.param(
        _claims,
        set_status(resourceClaimStatuses=[{"name": "gpu", "resourceClaimName": "p-gpu-x1"}, {"name": "other"}, {"name": "gpu"}]),
        [
            ("status.resourceClaimStatuses[1].name", "FieldValueInvalid",
             'Invalid value: "other": must match the name of an entry in `spec.resourceClaims`'),
            ("status.resourceClaimStatuses[2].name", "FieldValueDuplicate", 'Duplicate value: "gpu"'),
        ],
        id="resource-claim-statuses",
    ),
    pytest.param(
        _claims,
        set_status(resourceClaimStatuses=[{"name": "gpu", "resourceClaimName": "Bad_Name"}]),
        [("status.resourceClaimStatuses[0].name", "FieldValueInvalid", f'Invalid value: "Bad_Name": {SUBDOMAIN_MSG}')],
        id="resource-claim-name-format",
    ),
    pytest.param(_plain, set_status(resourceClaimStatuses=[{"name": "other"}]), [],
                 id="resource-claim-statuses-ignored-without-claims-dra-off"),
]


@pytest.mark.parametrize(("make_old", "edit", "expected"), CASES)
def test_status_update(make_old: Callable[[], dict], edit: Callable[[dict], None], expected: list) -> None:
    old = make_old()
    assert errors(changed(old, edit), old) == expected


def test_spec_is_not_revalidated() -> None:
    # an invalid stored spec (e.g. from before a validation tightening) must not block status writes
    old = stored_pod()
    old["spec"]["containers"][0]["name"] = "Bad_Name"
    assert errors(changed(old, set_status(phase="Succeeded")), old) == []


def test_inputs_are_not_modified() -> None:
    old = stored_pod()
    new = changed(old, set_status(podIP="10.0.0.1", podIPs=[{"ip": "10.0.0.2"}, {"ip": "10.0.0.3"}], qosClass="Guaranteed"))
    before_new, before_old = copy.deepcopy(new), copy.deepcopy(old)
    assert errors(new, old) != []
    assert (new, old) == (before_new, before_old)


def test_malformed_json_types_do_not_crash() -> None:
    old = stored_pod()
    new = changed(old, set_status(podIPs="x", hostIPs=[None, 3], conditions={"a": 1}, containerStatuses=[None]))
    assert errors(new, old) == [
        ("status.hostIPs[0].ip", "FieldValueInvalid", 'Invalid value: "": must be equal to `hostIP`'),
        ("status.hostIPs[0]", "FieldValueInvalid", f'Invalid value: "": {BAD_IP}'),
        ("status.hostIPs[1]", "FieldValueInvalid", f'Invalid value: "": {BAD_IP}'),
        ("status.hostIPs[1]", "FieldValueDuplicate", 'Duplicate value: core.HostIP{IP:""}'),
        ("status.hostIPs", "InternalError", "Internal error: failed to check for dual stack with error:ip <nil> is invalid"),
        ("status.hostIPs", "FieldValueInvalid",
         'Invalid value: []core.HostIP{core.HostIP{IP:""}, core.HostIP{IP:""}}: ' + ONE_PER_FAMILY),
    ]
