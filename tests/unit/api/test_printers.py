"""Tests for kybernetes.api.printers: the columns and cells ``kubectl get`` shows, as upstream 1.32 prints them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kybernetes.api.printers import (
    LIST_SORT_KEYS,
    PRINTERS,
    human_duration,
    row_conditions,
    short_human_duration,
    translate_timestamp_since,
)

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
MIN = 60
HOUR = 60 * MIN
DAY = 24 * HOUR
YEAR = 365 * DAY


def ago(seconds: float) -> str:
    """An RFC 3339 timestamp ``seconds`` before NOW."""
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cells(group: str, plural: str, obj: dict) -> list:
    columns, fn = PRINTERS[(group, plural)]
    row = fn(obj, NOW)
    assert len(row) == len(columns)
    return row


def named(group: str, plural: str, obj: dict) -> dict:
    """The row as {column name: cell}."""
    columns, _ = PRINTERS[(group, plural)]
    return dict(zip([c["name"] for c in columns], cells(group, plural, obj)))


def meta(name: str = "x", age: float = 5 * MIN, **extra) -> dict:
    return {"name": name, "creationTimestamp": ago(age), **extra}


# ---------------------------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------------------------

HUMAN_CASES = [
    ("zero", 0, "0s"),
    ("one second in the future", -1, "0s"),
    ("one and a half seconds in the future", -1.5, "0s"),
    ("two seconds in the future", -2, "<invalid>"),
    ("59s", 59, "59s"),
    ("just under two minutes", 119, "119s"),
    ("119.9s truncates", 119.9, "119s"),
    ("two minutes", 120, "2m"),
    ("two minutes one", 121, "2m1s"),
    ("9m59s", 9 * MIN + 59, "9m59s"),
    ("five minutes flat", 5 * MIN, "5m"),
    ("10m5s drops seconds", 10 * MIN + 5, "10m"),
    ("179 minutes", 179 * MIN + 59, "179m"),
    ("three hours", 3 * HOUR, "3h"),
    ("3h30m", 3 * HOUR + 30 * MIN, "3h30m"),
    ("7h59m", 7 * HOUR + 59 * MIN, "7h59m"),
    ("8h30m drops minutes", 8 * HOUR + 30 * MIN, "8h"),
    ("47 hours", 47 * HOUR + 59 * MIN, "47h"),
    ("48 hours", 48 * HOUR, "2d"),
    ("50 hours", 50 * HOUR, "2d2h"),
    ("7d23h", 7 * DAY + 23 * HOUR, "7d23h"),
    ("eight days", 8 * DAY + 5 * HOUR, "8d"),
    ("400 days", 400 * DAY, "400d"),
    ("729 days", 729 * DAY + 23 * HOUR, "729d"),
    ("two years", 2 * YEAR, "2y"),
    ("three years", 3 * YEAR, "3y"),
    ("three years twenty days", 3 * YEAR + 20 * DAY, "3y20d"),
    ("seven years 364 days", 7 * YEAR + 364 * DAY, "7y364d"),
    ("eight years", 8 * YEAR + 100 * DAY, "8y"),
    ("twelve years", 12 * YEAR, "12y"),
]


@pytest.mark.parametrize("seconds,expected", [c[1:] for c in HUMAN_CASES], ids=[c[0] for c in HUMAN_CASES])
def test_human_duration(seconds, expected):
    assert human_duration(seconds) == expected


SHORT_CASES = [
    ("two seconds in the future", -2, "<invalid>"),
    ("one second in the future", -1, "0s"),
    ("59s", 59, "59s"),
    ("one minute", 60, "1m"),
    ("59m59s", 3599, "59m"),
    ("one hour", HOUR, "1h"),
    ("23h59m", DAY - 1, "23h"),
    ("one day", DAY, "1d"),
    ("364 days", 364 * DAY, "364d"),
    ("one year", YEAR, "1y"),
    ("three years", 3 * YEAR + 100 * DAY, "3y"),
]


@pytest.mark.parametrize("seconds,expected", [c[1:] for c in SHORT_CASES], ids=[c[0] for c in SHORT_CASES])
def test_short_human_duration(seconds, expected):
    assert short_human_duration(seconds) == expected


@pytest.mark.parametrize("timestamp,expected", [
    (None, "<unknown>"),
    ("", "<unknown>"),
    ("0001-01-01T00:00:00Z", "<unknown>"),
    ("not a time", "<unknown>"),
    (ago(90), "90s"),
    (micro_ago(3 * HOUR), "3h"),
    ("2024-06-01T11:55:00.123456789Z", "4m59s"),
    (ago(-30), "<invalid>"),
], ids=["none", "empty", "zero", "garbage", "rfc3339", "micro", "nanos", "future"])
def test_translate_timestamp_since(timestamp, expected):
    assert translate_timestamp_since(timestamp, NOW) == expected


def test_naive_now_is_utc():
    assert translate_timestamp_since(ago(90), NOW.replace(tzinfo=None)) == "90s"


# ---------------------------------------------------------------------------------------------------------------
# The registry itself
# ---------------------------------------------------------------------------------------------------------------


def test_every_column_is_a_table_column_definition():
    for key, (columns, _) in PRINTERS.items():
        for col in columns:
            assert list(col) == ["name", "type", "format", "description", "priority"], key
            assert col["type"] in ("string", "integer", "boolean"), key
            assert col["priority"] in (0, 1), key
        names = [c["name"] for c in columns]
        assert len(names) == len(set(names)), key


def test_every_printer_handles_an_empty_object():
    for key, (columns, fn) in PRINTERS.items():
        row = fn({"metadata": {"name": "x", "creationTimestamp": ago(10)}}, NOW)
        assert len(row) == len(columns), key
        assert all(isinstance(c, (str, int, bool)) for c in row), key
        if key[1] != "events":
            assert columns[0]["name"] == "Name" and columns[0]["format"] == "name" and row[0] == "x", key


def test_name_and_age_columns_carry_object_meta_docs():
    name, _, _, _, age = PRINTERS[("", "pods")][0][:5]
    assert name["description"].startswith("Name must be unique within a namespace.")
    assert age["description"].startswith("CreationTimestamp is a timestamp")


@pytest.mark.parametrize("key", [
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("", "limitranges"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("", "bindings"),
])
def test_no_printer_where_upstream_has_none(key):
    assert key not in PRINTERS


WIDE_COLUMNS = {
    ("", "pods"): ["IP", "Node", "Nominated Node", "Readiness Gates"],
    ("apps", "deployments"): ["Containers", "Images", "Selector"],
    ("", "services"): ["Selector"],
    ("", "nodes"): ["Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"],
    ("", "events"): ["Subobject", "Source", "First Seen", "Count", "Name"],
    ("batch", "jobs"): ["Containers", "Images", "Selector"],
    ("apps", "statefulsets"): ["Containers", "Images"],
    ("", "persistentvolumes"): ["VolumeMode"],
    ("rbac.authorization.k8s.io", "rolebindings"): ["Users", "Groups", "ServiceAccounts"],
    ("scheduling.k8s.io", "priorityclasses"): ["PreemptionPolicy"],
}


@pytest.mark.parametrize("key", list(WIDE_COLUMNS), ids=["/".join(k) for k in WIDE_COLUMNS])
def test_wide_columns(key):
    columns, _ = PRINTERS[key]
    assert [c["name"] for c in columns if c["priority"] == 1] == WIDE_COLUMNS[key]


COLUMN_NAMES = {
    ("", "pods"): ["Name", "Ready", "Status", "Restarts", "Age"],
    ("", "services"): ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"],
    ("", "nodes"): ["Name", "Status", "Roles", "Age", "Version"],
    ("", "events"): ["Last Seen", "Type", "Reason", "Object", "Message"],
    ("batch", "jobs"): ["Name", "Status", "Completions", "Duration", "Age"],
    ("batch", "cronjobs"): ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"],
    ("apps", "deployments"): ["Name", "Ready", "Up-to-date", "Available", "Age"],
    ("apps", "replicasets"): ["Name", "Desired", "Current", "Ready", "Age"],
    ("autoscaling", "horizontalpodautoscalers"): ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas",
                                                  "Age"],
    ("", "persistentvolumeclaims"): ["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
                                     "VolumeAttributesClass", "Age"],
    ("certificates.k8s.io", "certificatesigningrequests"): ["Name", "Age", "SignerName", "Requestor",
                                                            "RequestedDuration", "Condition"],
    ("storage.k8s.io", "csistoragecapacities"): ["Name", "StorageClassName", "Capacity"],
}


@pytest.mark.parametrize("key", list(COLUMN_NAMES), ids=["/".join(k) for k in COLUMN_NAMES])
def test_default_columns(key):
    columns, _ = PRINTERS[key]
    assert [c["name"] for c in columns if c["priority"] == 0] == COLUMN_NAMES[key]


def test_column_types_follow_upstream():
    types = {c["name"]: c["type"] for c in PRINTERS[("", "pods")][0]}
    assert types["Restarts"] == "string"
    types = {c["name"]: c["type"] for c in PRINTERS[("batch", "cronjobs")][0]}
    assert types["Suspend"] == "boolean" and types["Active"] == "integer"
    types = {c["name"]: c["type"] for c in PRINTERS[("apps", "daemonsets")][0]}
    assert types["Desired"] == "integer" and types["Node Selector"] == "string"


# ---------------------------------------------------------------------------------------------------------------
# Pods
# ---------------------------------------------------------------------------------------------------------------


def running(ready: bool = True, restarts: int = 0, finished: float | None = None, name: str = "app") -> dict:
    cs = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": ago(60)}}}
    if finished is not None:
        cs["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": ago(finished)}}
    return cs


def waiting(reason: str, restarts: int = 0, finished: float | None = None, name: str = "app") -> dict:
    cs = {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}
    if finished is not None:
        cs["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": ago(finished)}}
    return cs


def terminated(reason: str = "", exit_code: int = 0, signal: int = 0, name: str = "app") -> dict:
    term: dict = {"exitCode": exit_code}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": term}}


def pod(phase: str = "Running", statuses=(), containers=("app",), init=(), init_statuses=(), conditions=(),
        reason: str | None = None, deleting: bool = False, **spec) -> dict:
    obj: dict = {
        "metadata": meta("web-1"),
        "spec": {"containers": [{"name": n, "image": "img"} for n in containers], **spec},
        "status": {"phase": phase, "containerStatuses": list(statuses), "conditions": list(conditions)},
    }
    if init:
        obj["spec"]["initContainers"] = [dict(c) for c in init]
        obj["status"]["initContainerStatuses"] = list(init_statuses)
    if reason is not None:
        obj["status"]["reason"] = reason
    if deleting:
        obj["metadata"]["deletionTimestamp"] = ago(1)
    return obj


READY_TRUE = {"type": "Ready", "status": "True"}
INITIALIZED_TRUE = {"type": "Initialized", "status": "True"}
SIDECAR = {"name": "proxy", "image": "envoy", "restartPolicy": "Always"}
INIT_A = {"name": "init-a", "image": "busybox"}
INIT_B = {"name": "init-b", "image": "busybox"}


def started(cs: dict, value: bool) -> dict:
    return {**cs, "started": value}


POD_CASES = [
    ("running", pod(statuses=[running()], conditions=[READY_TRUE]), "1/1", "Running", "0"),
    ("pending without statuses", pod(phase="Pending", statuses=[]), "0/1", "Pending", "0"),
    ("container creating", pod(phase="Pending", statuses=[waiting("ContainerCreating")]), "0/1",
     "ContainerCreating", "0"),
    ("crash loop", pod(statuses=[waiting("CrashLoopBackOff", restarts=5, finished=3 * MIN)]), "0/1",
     "CrashLoopBackOff", "5 (3m ago)"),
    ("image pull backoff", pod(phase="Pending", statuses=[waiting("ImagePullBackOff")]), "0/1",
     "ImagePullBackOff", "0"),
    ("completed", pod(phase="Succeeded", statuses=[terminated("Completed")]), "0/1", "Completed", "0"),
    ("error", pod(phase="Failed", statuses=[terminated("Error", exit_code=1)]), "0/1", "Error", "0"),
    ("oom killed", pod(phase="Running", statuses=[terminated("OOMKilled", exit_code=137)]), "0/1", "OOMKilled",
     "0"),
    ("exit code without reason", pod(phase="Failed", statuses=[terminated(exit_code=137)]), "0/1", "ExitCode:137",
     "0"),
    ("signal without reason", pod(phase="Failed", statuses=[terminated(exit_code=137, signal=9)]), "0/1",
     "Signal:9", "0"),
    ("terminating", pod(statuses=[running()], conditions=[READY_TRUE], deleting=True), "1/1", "Terminating", "0"),
    ("terminating beats crash loop", pod(statuses=[waiting("CrashLoopBackOff", restarts=2)], deleting=True),
     "0/1", "Terminating", "2"),
    ("deleted succeeded pod stays completed",
     pod(phase="Succeeded", statuses=[terminated("Completed")], deleting=True), "0/1", "Completed", "0"),
    ("node lost is unknown", pod(statuses=[running()], reason="NodeLost", deleting=True), "1/1", "Unknown", "0"),
    ("node lost without deletion keeps reason", pod(statuses=[], reason="NodeLost"), "0/1", "NodeLost", "0"),
    ("evicted", pod(phase="Failed", statuses=[], reason="Evicted"), "0/1", "Evicted", "0"),
    ("completed with a running container and ready",
     pod(statuses=[running(name="b"), terminated("Completed", name="a")], containers=("b", "a"),
         conditions=[READY_TRUE]), "1/2", "Running", "0"),
    ("completed with a running container not ready",
     pod(statuses=[running(name="b"), terminated("Completed", name="a")], containers=("b", "a")), "1/2",
     "NotReady", "0"),
    ("first container status decides (read last to first)",
     pod(statuses=[waiting("CrashLoopBackOff", name="a"), running(name="b")], containers=("a", "b")), "1/2",
     "CrashLoopBackOff", "0"),
    ("scheduling gated",
     pod(phase="Pending", statuses=[], conditions=[{"type": "PodScheduled", "status": "False",
                                                    "reason": "SchedulingGated"}]), "0/1", "SchedulingGated", "0"),
    ("unschedulable stays pending",
     pod(phase="Pending", statuses=[], conditions=[{"type": "PodScheduled", "status": "False",
                                                    "reason": "Unschedulable"}]), "0/1", "Pending", "0"),
    ("init 0/2", pod(phase="Pending", init=[INIT_A, INIT_B],
                     init_statuses=[running(ready=False, name="init-a"), waiting("PodInitializing", name="init-b")],
                     statuses=[waiting("PodInitializing")]), "0/1", "Init:0/2", "0"),
    ("init 1/2", pod(phase="Pending", init=[INIT_A, INIT_B],
                     init_statuses=[terminated("Completed", name="init-a"), running(ready=False, name="init-b")],
                     statuses=[waiting("PodInitializing")]), "0/1", "Init:1/2", "0"),
    ("init waiting PodInitializing counts", pod(phase="Pending", init=[INIT_A],
                                                init_statuses=[waiting("PodInitializing", name="init-a")]),
     "0/1", "Init:0/1", "0"),
    ("init crash loop", pod(phase="Pending", init=[INIT_A],
                            init_statuses=[waiting("CrashLoopBackOff", restarts=4, finished=2 * MIN,
                                                   name="init-a")],
                            statuses=[waiting("PodInitializing")]), "0/1", "Init:CrashLoopBackOff", "4 (2m ago)"),
    ("init error", pod(phase="Pending", init=[INIT_A], init_statuses=[terminated("Error", 1, name="init-a")]),
     "0/1", "Init:Error", "0"),
    ("init exit code", pod(phase="Pending", init=[INIT_A], init_statuses=[terminated(exit_code=3, name="init-a")]),
     "0/1", "Init:ExitCode:3", "0"),
    ("init signal", pod(phase="Pending", init=[INIT_A],
                        init_statuses=[terminated(exit_code=3, signal=15, name="init-a")]), "0/1",
     "Init:Signal:15", "0"),
    ("pod initializing", pod(phase="Pending", init=[INIT_A], init_statuses=[terminated("Completed", name="init-a")],
                             statuses=[waiting("PodInitializing")]), "0/1", "PodInitializing", "0"),
    ("initialized: containers are counted, a stale init reason stays (upstream quirk)",
     pod(init=[INIT_A], init_statuses=[waiting("CrashLoopBackOff", restarts=1, name="init-a")],
         statuses=[running()], conditions=[INITIALIZED_TRUE, READY_TRUE]), "1/1", "Init:CrashLoopBackOff", "0"),
    ("initialized: a container reason replaces the init reason",
     pod(init=[INIT_A], init_statuses=[waiting("CrashLoopBackOff", restarts=1, name="init-a")],
         statuses=[waiting("ImagePullBackOff", restarts=2)], conditions=[INITIALIZED_TRUE]), "0/1",
     "ImagePullBackOff", "2"),
    ("sidecar started and ready counts as ready",
     pod(init=[SIDECAR], init_statuses=[started(running(name="proxy"), True)], statuses=[running()],
         conditions=[READY_TRUE]), "2/2", "Running", "0"),
    ("sidecar started not ready",
     pod(init=[SIDECAR], init_statuses=[started(running(ready=False, name="proxy"), True)], statuses=[running()]),
     "1/2", "Running", "0"),
    ("sidecar not started keeps initializing",
     pod(phase="Pending", init=[SIDECAR], init_statuses=[started(running(ready=False, name="proxy"), False)],
         statuses=[waiting("PodInitializing")]), "0/2", "Init:0/1", "0"),
    ("sidecar restarts add to container restarts",
     pod(init=[SIDECAR], init_statuses=[started(running(restarts=2, finished=10 * MIN, name="proxy"), True)],
         statuses=[running(restarts=1, finished=30 * MIN)], conditions=[READY_TRUE]), "2/2", "Running",
     "3 (10m ago)"),
    ("plain init restarts are dropped once initialized",
     pod(init=[INIT_A], init_statuses=[{**terminated("Completed", name="init-a"), "restartCount": 3,
                                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(HOUR)}}}],
         statuses=[running()], conditions=[READY_TRUE]), "1/1", "Running", "0"),
    ("latest restart across containers", pod(statuses=[running(restarts=1, finished=2 * HOUR, name="a"),
                                                      running(restarts=2, finished=90, name="b")],
                                             containers=("a", "b"), conditions=[READY_TRUE]),
     "2/2", "Running", "3 (90s ago)"),
    ("restarts without last termination time", pod(statuses=[{**running(), "restartCount": 7}]), "1/1", "Running",
     "7"),
]


@pytest.mark.parametrize("obj,ready,status,restarts", [c[1:] for c in POD_CASES], ids=[c[0] for c in POD_CASES])
def test_pod_status(obj, ready, status, restarts):
    row = named("", "pods", obj)
    assert (row["Ready"], row["Status"], row["Restarts"]) == (ready, status, restarts)
    assert row["Name"] == "web-1" and row["Age"] == "5m"


@pytest.mark.parametrize("status,spec,expected", [
    ({}, {}, ["<none>", "<none>", "<none>", "<none>"]),
    ({"podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}], "nominatedNodeName": "n2"}, {"nodeName": "n1"},
     ["10.0.0.5", "n1", "n2", "<none>"]),
    ({"podIP": "10.0.0.9", "podIPs": [{"ip": "10.0.0.5"}]}, {}, ["10.0.0.9", "<none>", "<none>", "<none>"]),
    ({"conditions": [{"type": "example.com/a", "status": "True"}, {"type": "example.com/b", "status": "False"}]},
     {"readinessGates": [{"conditionType": "example.com/a"}, {"conditionType": "example.com/b"}]},
     ["<none>", "<none>", "<none>", "1/2"]),
], ids=["empty", "ips and nodes", "podIP wins over podIPs", "readiness gates"])
def test_pod_wide_cells(status, spec, expected):
    obj = {"metadata": meta(), "spec": {"containers": [], **spec}, "status": status}
    assert cells("", "pods", obj)[5:] == expected


@pytest.mark.parametrize("phase,expected", [
    ("Succeeded", [{"type": "Completed", "status": "True", "reason": "Succeeded",
                    "message": "The pod has completed successfully."}]),
    ("Failed", [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]),
    ("Running", None),
])
def test_pod_row_conditions(phase, expected):
    assert row_conditions("", "pods", {"status": {"phase": phase}}) == expected
    assert row_conditions("apps", "deployments", {"status": {"phase": phase}}) is None


# ---------------------------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------------------------

TEMPLATE = {"metadata": {"labels": {"app": "web", "tier": "fe"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1"}, {"name": "log", "image": "fluent"}]}}


def test_deployment():
    obj = {"metadata": meta("web"), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                                             "template": TEMPLATE},
           "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    assert cells("apps", "deployments", obj) == ["web", "2/3", 3, 2, "5m", "web,log", "nginx:1,fluent", "app=web"]


@pytest.mark.parametrize("selector,expected", [
    (None, ""),
    ({}, ""),
    ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["b", "a"]}]}, "env in (a,b)"),
    ({"matchExpressions": [{"key": "env", "operator": "Bogus"}]}, "<invalid>"),
], ids=["missing", "empty", "expressions", "invalid"])
def test_deployment_selector(selector, expected):
    obj = {"metadata": meta(), "spec": {"selector": selector}}
    assert named("apps", "deployments", obj)["Selector"] == expected


def test_deployment_replicas_default_to_one():
    assert named("apps", "deployments", {"metadata": meta(), "spec": {}})["Ready"] == "0/1"
    assert named("apps", "deployments", {"metadata": meta(), "spec": {"replicas": 0}})["Ready"] == "0/0"


def test_replicaset():
    obj = {"metadata": meta("web-abc"), "spec": {"replicas": 2, "selector": {"matchLabels": {"b": "2", "a": "1"}},
                                                 "template": TEMPLATE},
           "status": {"replicas": 2, "readyReplicas": 1}}
    assert cells("apps", "replicasets", obj) == ["web-abc", 2, 2, 1, "5m", "web,log", "nginx:1,fluent", "a=1,b=2"]


@pytest.mark.parametrize("selector,expected", [
    (None, "<none>"),
    ({}, "<none>"),
    ({"matchExpressions": [{"key": "x", "operator": "Exists"}, {"key": "y", "operator": "DoesNotExist"}]}, "x,!y"),
    ({"matchExpressions": [{"key": "x", "operator": "Nope"}]}, "<error>"),
], ids=["missing", "empty", "exists", "error"])
def test_format_label_selector(selector, expected):
    obj = {"metadata": meta(), "spec": {"selector": selector}}
    assert named("apps", "replicasets", obj)["Selector"] == expected


def test_replication_controller():
    obj = {"metadata": meta("rc"), "spec": {"replicas": 2, "selector": {"app": "web"}, "template": TEMPLATE},
           "status": {"replicas": 2, "readyReplicas": 2}}
    assert cells("", "replicationcontrollers", obj) == ["rc", 2, 2, 2, "5m", "web,log", "nginx:1,fluent", "app=web"]


def test_statefulset():
    obj = {"metadata": meta("db"), "spec": {"replicas": 3, "template": TEMPLATE}, "status": {"readyReplicas": 1}}
    assert cells("apps", "statefulsets", obj) == ["db", "1/3", "5m", "web,log", "nginx:1,fluent"]


def test_daemonset():
    template = {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{"name": "a", "image": "i"}]}}
    obj = {"metadata": meta("ds"), "spec": {"selector": {"matchLabels": {"app": "ds"}}, "template": template},
           "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                      "updatedNumberScheduled": 1, "numberAvailable": 2}}
    assert cells("apps", "daemonsets", obj) == ["ds", 3, 3, 2, 1, 2, "kubernetes.io/os=linux", "5m", "a", "i",
                                                "app=ds"]


def test_pod_template():
    obj = {"metadata": meta("pt"), "template": TEMPLATE}
    assert cells("", "podtemplates", obj) == ["pt", "web,log", "nginx:1,fluent", "app=web,tier=fe"]


@pytest.mark.parametrize("owners,expected", [
    ([], "<none>"),
    ([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": True}], "statefulset.apps/db"),
    ([{"apiVersion": "v1", "kind": "Pod", "name": "p", "controller": True}], "pod/p"),
    ([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds"}], "<none>"),
], ids=["none", "apps", "core", "not a controller"])
def test_controller_revision(owners, expected):
    obj = {"metadata": meta("rev", ownerReferences=owners), "revision": 4}
    assert cells("apps", "controllerrevisions", obj) == ["rev", expected, 4, "5m"]


# ---------------------------------------------------------------------------------------------------------------
# Jobs and cron jobs
# ---------------------------------------------------------------------------------------------------------------


def cond(kind: str, status: str = "True") -> dict:
    return {"type": kind, "status": status}


JOB_STATUS_CASES = [
    ("running", [], False, "Running"),
    ("complete", [cond("Complete")], False, "Complete"),
    ("failed", [cond("Failed")], False, "Failed"),
    ("terminating", [], True, "Terminating"),
    ("complete beats terminating", [cond("Complete")], True, "Complete"),
    ("failed beats terminating", [cond("FailureTarget"), cond("Failed")], True, "Failed"),
    ("suspended", [cond("Suspended")], False, "Suspended"),
    ("terminating beats suspended", [cond("Suspended")], True, "Terminating"),
    ("failure target", [cond("FailureTarget")], False, "FailureTarget"),
    ("suspended beats failure target", [cond("FailureTarget"), cond("Suspended")], False, "Suspended"),
    ("success criteria met is not a 1.32 status", [cond("SuccessCriteriaMet")], False, "Running"),
    ("false conditions are ignored", [cond("Complete", "False"), cond("Suspended", "False")], False, "Running"),
    ("first condition of a type decides", [cond("Complete", "False"), cond("Complete")], False, "Running"),
]


@pytest.mark.parametrize("conditions,deleting,expected", [c[1:] for c in JOB_STATUS_CASES],
                         ids=[c[0] for c in JOB_STATUS_CASES])
def test_job_status(conditions, deleting, expected):
    obj = {"metadata": meta("job"), "spec": {}, "status": {"conditions": conditions}}
    if deleting:
        obj["metadata"]["deletionTimestamp"] = ago(1)
    assert named("batch", "jobs", obj)["Status"] == expected


@pytest.mark.parametrize("spec,succeeded,expected", [
    ({"completions": 3, "parallelism": 2}, 2, "2/3"),
    ({"parallelism": 4}, 1, "1/1 of 4"),
    ({"parallelism": 1}, 0, "0/1"),
    ({}, 0, "0/1"),
], ids=["completions", "work queue", "single", "defaults"])
def test_job_completions(spec, succeeded, expected):
    obj = {"metadata": meta(), "spec": spec, "status": {"succeeded": succeeded}}
    assert named("batch", "jobs", obj)["Completions"] == expected


@pytest.mark.parametrize("status,expected", [
    ({}, ""),
    ({"startTime": ago(5 * MIN)}, "5m"),
    ({"startTime": ago(10 * MIN), "completionTime": ago(10 * MIN - 90)}, "90s"),
], ids=["not started", "running", "finished"])
def test_job_duration(status, expected):
    assert named("batch", "jobs", {"metadata": meta(), "spec": {}, "status": status})["Duration"] == expected


def test_job_wide():
    obj = {"metadata": meta("job"), "spec": {"completions": 1, "template": TEMPLATE,
                                             "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}}},
           "status": {"succeeded": 1, "conditions": [cond("Complete")], "startTime": ago(60),
                      "completionTime": ago(30)}}
    assert cells("batch", "jobs", obj) == ["job", "Complete", "1/1", "30s", "5m", "web,log", "nginx:1,fluent",
                                           "batch.kubernetes.io/controller-uid=u"]


@pytest.mark.parametrize("spec,status,expected", [
    ({"schedule": "*/5 * * * *"}, {}, ["*/5 * * * *", "<none>", "False", 0, "<none>"]),
    ({"schedule": "@hourly", "timeZone": "Etc/UTC", "suspend": True},
     {"active": [{"name": "a"}, {"name": "b"}], "lastScheduleTime": ago(3 * MIN)},
     ["@hourly", "Etc/UTC", "True", 2, "3m"]),
], ids=["defaults", "everything"])
def test_cronjob(spec, status, expected):
    spec = {**spec, "jobTemplate": {"spec": {"template": TEMPLATE}}}
    row = cells("batch", "cronjobs", {"metadata": meta("cj"), "spec": spec, "status": status})
    assert row[1:6] == expected
    assert row[6:] == ["5m", "web,log", "nginx:1,fluent", "<none>"]


# ---------------------------------------------------------------------------------------------------------------
# Services and networking
# ---------------------------------------------------------------------------------------------------------------


def service(spec: dict, status: dict | None = None) -> dict:
    return {"metadata": meta("svc"), "spec": spec, "status": status or {}}


SERVICE_CASES = [
    ("cluster ip", service({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                            "ports": [{"port": 80, "protocol": "TCP"}], "selector": {"app": "web"}}),
     ["svc", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "5m", "app=web"]),
    ("cluster ip with external ips", service({"type": "ClusterIP", "clusterIPs": ["10.96.0.11"],
                                              "externalIPs": ["1.2.3.4", "5.6.7.8"],
                                              "ports": [{"port": 53, "protocol": "UDP"}]}),
     ["svc", "ClusterIP", "10.96.0.11", "1.2.3.4,5.6.7.8", "53/UDP", "5m", "<none>"]),
    ("headless", service({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}),
     ["svc", "ClusterIP", "None", "<none>", "<none>", "5m", "<none>"]),
    ("type and protocol default", service({"clusterIP": "10.96.0.12", "ports": [{"port": 8080}]}),
     ["svc", "ClusterIP", "10.96.0.12", "<none>", "8080/TCP", "5m", "<none>"]),
    ("dual stack shows the first", service({"type": "ClusterIP", "clusterIPs": ["fd00::1", "10.96.0.1"]}),
     ["svc", "ClusterIP", "fd00::1", "<none>", "<none>", "5m", "<none>"]),
    ("node port", service({"type": "NodePort", "clusterIPs": ["10.96.0.13"],
                           "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"},
                                     {"port": 443, "nodePort": 30001, "protocol": "TCP"}]}),
     ["svc", "NodePort", "10.96.0.13", "<none>", "80:30080/TCP,443:30001/TCP", "5m", "<none>"]),
    ("load balancer pending", service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.14"],
                                       "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}),
     ["svc", "LoadBalancer", "10.96.0.14", "<pending>", "80:31000/TCP", "5m", "<none>"]),
    ("load balancer ingress sorted and unique",
     service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.15"]},
             {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"},
                                           {"ip": "203.0.113.9"}, {"ip": "198.51.100.1", "hostname": "x"}]}}),
     ["svc", "LoadBalancer", "10.96.0.15", "198.51.100.1,203.0.113.9,lb.example.com", "<none>", "5m", "<none>"]),
    ("load balancer with external ips", service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.16"],
                                                 "externalIPs": ["9.9.9.9"]},
                                                {"loadBalancer": {"ingress": [{"ip": "1.1.1.1"}]}}),
     ["svc", "LoadBalancer", "10.96.0.16", "1.1.1.1,9.9.9.9", "<none>", "5m", "<none>"]),
    ("load balancer only external ips", service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.17"],
                                                 "externalIPs": ["9.9.9.9"]}),
     ["svc", "LoadBalancer", "10.96.0.17", "9.9.9.9", "<none>", "5m", "<none>"]),
    ("external name", service({"type": "ExternalName", "externalName": "db.example.com"}),
     ["svc", "ExternalName", "<none>", "db.example.com", "<none>", "5m", "<none>"]),
    ("unknown type", service({"type": "Weird", "clusterIPs": ["10.96.0.18"]}),
     ["svc", "Weird", "10.96.0.18", "<unknown>", "<none>", "5m", "<none>"]),
]


@pytest.mark.parametrize("obj,expected", [c[1:] for c in SERVICE_CASES], ids=[c[0] for c in SERVICE_CASES])
def test_service(obj, expected):
    assert cells("", "services", obj) == expected


def test_endpoints():
    def addresses(*ips):
        return [{"ip": ip} for ip in ips]

    assert cells("", "endpoints", {"metadata": meta("e")}) == ["e", "<none>", "5m"]
    obj = {"metadata": meta("e"), "subsets": [{"addresses": addresses("10.0.0.1", "fd00::2"),
                                               "ports": [{"port": 80}]}]}
    assert cells("", "endpoints", obj)[1] == "10.0.0.1:80,[fd00::2]:80"
    obj = {"metadata": meta("e"), "subsets": [{"addresses": addresses("10.0.0.1", "10.0.0.2"),
                                               "ports": [{"port": 80}, {"port": 443}]}]}
    assert cells("", "endpoints", obj)[1] == "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."
    obj = {"metadata": meta("e"), "subsets": [{"addresses": addresses("10.0.0.1", "10.0.0.2")}]}
    assert cells("", "endpoints", obj)[1] == "10.0.0.1,10.0.0.2"
    obj = {"metadata": meta("e"), "subsets": [{"notReadyAddresses": addresses("10.0.0.1"), "ports": [{"port": 1}]}]}
    assert cells("", "endpoints", obj)[1] == ""


def test_endpoint_slice():
    obj = {"metadata": meta("s"), "addressType": "IPv4",
           "ports": [{"port": 80}, {"name": "dns"}, {}, {"port": 9}],
           "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3", "10.0.0.4"]}]}
    assert cells("discovery.k8s.io", "endpointslices", obj) == [
        "s", "IPv4", "80,dns,* + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", "5m"]
    obj = {"metadata": meta("s"), "addressType": "IPv6", "ports": [], "endpoints": []}
    assert cells("discovery.k8s.io", "endpointslices", obj) == ["s", "IPv6", "<unset>", "<unset>", "5m"]


@pytest.mark.parametrize("spec,status,expected", [
    ({}, {}, ["<none>", "*", "", "80"]),
    ({"ingressClassName": "nginx", "rules": [{"host": "a.com"}, {}, {"host": "b.com"}], "tls": [{"hosts": ["a.com"]}]},
     {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}, ["nginx", "a.com,b.com", "1.2.3.4", "80, 443"]),
    ({"rules": [{"host": "a"}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]}, {},
     ["<none>", "a,b,c + 2 more...", "", "80"]),
], ids=["empty", "class hosts tls", "many hosts"])
def test_ingress(spec, status, expected):
    row = cells("networking.k8s.io", "ingresses", {"metadata": meta("ing"), "spec": spec, "status": status})
    assert row == ["ing", *expected, "5m"]


@pytest.mark.parametrize("params,expected", [
    (None, "<none>"),
    ({"kind": "IngressParameters", "apiGroup": "k8s.example.com", "name": "p"}, "IngressParameters.k8s.example.com/p"),
    ({"kind": "ConfigMap", "name": "cm"}, "ConfigMap/cm"),
], ids=["none", "group", "core"])
def test_ingress_class(params, expected):
    spec = {"controller": "example.com/ingress"}
    if params is not None:
        spec["parameters"] = params
    assert cells("networking.k8s.io", "ingressclasses", {"metadata": meta("ic"), "spec": spec}) == [
        "ic", "example.com/ingress", expected, "5m"]


def test_network_policy():
    obj = {"metadata": meta("np"), "spec": {"podSelector": {"matchLabels": {"role": "db"}}}}
    assert cells("networking.k8s.io", "networkpolicies", obj) == ["np", "role=db", "5m"]
    obj = {"metadata": meta("np"), "spec": {"podSelector": {}}}
    assert cells("networking.k8s.io", "networkpolicies", obj) == ["np", "<none>", "5m"]


# ---------------------------------------------------------------------------------------------------------------
# Nodes and simple core kinds
# ---------------------------------------------------------------------------------------------------------------


def node(conditions=(), labels=None, unschedulable=False, addresses=(), info=None) -> dict:
    return {"metadata": meta("n1", labels=labels or {}), "spec": {"unschedulable": unschedulable},
            "status": {"conditions": list(conditions), "addresses": list(addresses),
                       "nodeInfo": info or {"kubeletVersion": "v1.32.0"}}}


NODE_CASES = [
    ("ready", node([cond("MemoryPressure", "False"), cond("Ready")]), "Ready", "<none>"),
    ("not ready", node([cond("Ready", "False")]), "NotReady", "<none>"),
    ("ready unknown", node([cond("Ready", "Unknown")]), "NotReady", "<none>"),
    ("no ready condition", node([cond("DiskPressure", "False")]), "Unknown", "<none>"),
    ("cordoned", node([cond("Ready")], unschedulable=True), "Ready,SchedulingDisabled", "<none>"),
    ("cordoned without conditions", node(unschedulable=True), "Unknown,SchedulingDisabled", "<none>"),
    ("control plane", node([cond("Ready")], labels={"node-role.kubernetes.io/control-plane": ""}), "Ready",
     "control-plane"),
    ("roles sorted and merged", node([cond("Ready")], labels={"node-role.kubernetes.io/worker": "",
                                                              "node-role.kubernetes.io/gpu": "true",
                                                              "kubernetes.io/role": "edge",
                                                              "node-role.kubernetes.io/": ""}),
     "Ready", "edge,gpu,worker"),
    ("empty legacy role label", node([cond("Ready")], labels={"kubernetes.io/role": ""}), "Ready", "<none>"),
    ("legacy and new role deduplicated", node([cond("Ready")], labels={"kubernetes.io/role": "master",
                                                                       "node-role.kubernetes.io/master": ""}),
     "Ready", "master"),
]


@pytest.mark.parametrize("obj,status,roles", [c[1:] for c in NODE_CASES], ids=[c[0] for c in NODE_CASES])
def test_node_status_and_roles(obj, status, roles):
    row = named("", "nodes", obj)
    assert (row["Status"], row["Roles"], row["Version"]) == (status, roles, "v1.32.0")


def test_node_wide():
    obj = node([cond("Ready")], addresses=[{"type": "Hostname", "address": "n1"},
                                           {"type": "InternalIP", "address": "192.168.0.10"},
                                           {"type": "InternalIP", "address": "192.168.0.11"},
                                           {"type": "ExternalIP", "address": "203.0.113.10"}],
               info={"kubeletVersion": "v1.32.1", "osImage": "Debian GNU/Linux 12 (bookworm)",
                     "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.22"})
    assert cells("", "nodes", obj)[4:] == ["v1.32.1", "192.168.0.10", "203.0.113.10",
                                           "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://1.7.22"]
    assert cells("", "nodes", node())[5:] == ["<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]


def test_simple_core_kinds():
    assert cells("", "namespaces", {"metadata": meta("ns"), "status": {"phase": "Terminating"}}) == [
        "ns", "Terminating", "5m"]
    assert cells("", "namespaces", {"metadata": meta("ns")}) == ["ns", "Active", "5m"]
    assert cells("", "configmaps", {"metadata": meta("cm"), "data": {"a": "1", "b": "2"},
                                    "binaryData": {"c": "AA=="}}) == ["cm", 3, "5m"]
    assert cells("", "secrets", {"metadata": meta("s"), "type": "kubernetes.io/tls",
                                 "data": {"tls.crt": "", "tls.key": ""}}) == ["s", "kubernetes.io/tls", 2, "5m"]
    assert cells("", "secrets", {"metadata": meta("s")}) == ["s", "Opaque", 0, "5m"]
    assert cells("", "serviceaccounts", {"metadata": meta("default"), "secrets": [{"name": "t"}]}) == [
        "default", 1, "5m"]


@pytest.mark.parametrize("conditions,expected", [
    ([], ["Unknown", "", ""]),
    ([{"type": "Healthy", "status": "True", "message": "ok"}], ["Healthy", "ok", ""]),
    ([{"type": "Healthy", "status": "False", "message": "", "error": "dial tcp: refused"}],
     ["Unhealthy", "", "dial tcp: refused"]),
], ids=["unknown", "healthy", "unhealthy"])
def test_component_status(conditions, expected):
    assert cells("", "componentstatuses", {"metadata": meta("etcd-0"), "conditions": conditions}) == [
        "etcd-0", *expected]


def test_resource_quota():
    obj = {"metadata": meta("q"), "status": {
        "hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "2Gi", "limits.cpu": "4000m", "cpu": "1"},
        "used": {"pods": "3", "requests.cpu": "500m", "limits.cpu": "1"}}}
    assert cells("", "resourcequotas", obj) == [
        "q", "cpu: 0/1, pods: 3/10, requests.cpu: 500m/2", "limits.cpu: 1/4, limits.memory: 0/2Gi", "5m"]


# ---------------------------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------------------------

EVENT_CASES = [
    ("core event",
     ("", {"metadata": meta("web.1"), "type": "Normal", "reason": "Scheduled",
           "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{web}"},
           "source": {"component": "default-scheduler"}, "message": "Successfully assigned\n",
           "firstTimestamp": ago(10 * MIN), "lastTimestamp": ago(2 * MIN), "count": 4}),
     ["2m", "Normal", "Scheduled", "pod/web", "spec.containers{web}", "default-scheduler", "Successfully assigned",
      "10m", 4, "web.1"]),
    ("no last timestamp uses first",
     ("", {"metadata": meta("e"), "involvedObject": {"kind": "Node", "name": "n1"},
           "source": {"component": "kubelet", "host": "n1"}, "firstTimestamp": ago(HOUR), "count": 1}),
     ["60m", "", "", "node/n1", "", "kubelet, n1", "", "60m", 1, "e"]),
    ("event time only, singleton",
     ("", {"metadata": meta("e"), "involvedObject": {"kind": "Deployment"}, "eventTime": micro_ago(30),
           "reportingComponent": "deployment-controller", "reportingInstance": "cp-1"}),
     ["30s", "", "", "deployment", "", "deployment-controller, cp-1", "", "30s", 1, "e"]),
    ("series",
     ("", {"metadata": meta("e"), "involvedObject": {"kind": "Pod", "name": "p"}, "eventTime": micro_ago(HOUR),
           "series": {"count": 12, "lastObservedTime": micro_ago(90)}, "count": 3}),
     ["90s", "", "", "pod/p", "", "", "", "60m", 12, "e"]),
    ("nothing set",
     ("", {"metadata": meta("e")}),
     ["<unknown>", "", "", "", "", "", "", "<unknown>", 1, "e"]),
    ("events.k8s.io shape",
     ("events.k8s.io", {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("ev"),
                        "type": "Warning", "reason": "BackOff", "note": "  Back-off restarting  ",
                        "regarding": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{c}"},
                        "reportingController": "kubelet", "reportingInstance": "n1",
                        "deprecatedFirstTimestamp": ago(DAY), "deprecatedLastTimestamp": ago(5),
                        "deprecatedCount": 20, "eventTime": None}),
     ["5s", "Warning", "BackOff", "pod/p", "spec.containers{c}", "kubelet, n1", "Back-off restarting", "24h", 20,
      "ev"]),
    ("events.k8s.io deprecated source wins",
     ("events.k8s.io", {"apiVersion": "events.k8s.io/v1", "metadata": meta("ev"),
                        "regarding": {"kind": "Pod", "name": "p"}, "eventTime": micro_ago(40),
                        "deprecatedSource": {"component": "kubelet"}, "reportingController": "other"}),
     ["40s", "", "", "pod/p", "", "kubelet", "", "40s", 1, "ev"]),
]


@pytest.mark.parametrize("group_obj,expected", [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES])
def test_event(group_obj, expected):
    group, obj = group_obj
    assert cells(group, "events", obj) == expected


def test_event_columns_shared_by_both_groups():
    assert PRINTERS[("", "events")][0] == PRINTERS[("events.k8s.io", "events")][0]


# ---------------------------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------------------------


def test_persistent_volume():
    obj = {"metadata": meta("pv1"), "spec": {
        "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Delete", "claimRef": {"namespace": "ns", "name": "data"},
        "storageClassName": "fast", "volumeMode": "Block"}, "status": {"phase": "Bound"}}
    assert cells("", "persistentvolumes", obj) == [
        "pv1", "10Gi", "RWO,RWX", "Delete", "Bound", "ns/data", "fast", "<unset>", "", "5m", "Block"]


def test_persistent_volume_terminating_and_beta_class():
    obj = {"metadata": meta("pv1", deletionTimestamp=ago(1),
                            annotations={"volume.beta.kubernetes.io/storage-class": "legacy"}),
           "spec": {"capacity": {"storage": "1024Mi"}, "storageClassName": "fast",
                    "accessModes": ["ReadWriteOncePod", "ReadOnlyMany"], "volumeAttributesClassName": "gold"},
           "status": {"phase": "Released", "reason": "Why"}}
    assert cells("", "persistentvolumes", obj) == [
        "pv1", "1Gi", "ROX,RWOP", "Retain", "Terminating", "", "legacy", "gold", "Why", "5m", "Filesystem"]


@pytest.mark.parametrize("spec,status,expected", [
    ({"storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}, {"phase": "Pending"},
     ["Pending", "", "", "", "standard", "<unset>"]),
    ({"volumeName": "pv-1", "storageClassName": "standard", "volumeMode": "Filesystem"},
     {"phase": "Bound", "capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"]},
     ["Bound", "pv-1", "5Gi", "RWO", "standard", "<unset>"]),
    ({"volumeName": "pv-2"}, {"phase": "Bound"}, ["Bound", "pv-2", "0", "", "", "<unset>"]),
], ids=["pending", "bound", "bound without capacity"])
def test_persistent_volume_claim(spec, status, expected):
    row = cells("", "persistentvolumeclaims", {"metadata": meta("data"), "spec": spec, "status": status})
    assert row == ["data", *expected, "5m", "Filesystem"]


@pytest.mark.parametrize("obj,expected", [
    ({"metadata": meta("standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
      "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"},
     ["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", False, "5m"]),
    ({"metadata": meta("old", annotations={"storageclass.beta.kubernetes.io/is-default-class": "true"}),
      "provisioner": "p", "reclaimPolicy": "Retain", "allowVolumeExpansion": True},
     ["old (default)", "p", "Retain", "Immediate", True, "5m"]),
    ({"metadata": meta("fast", annotations={"storageclass.kubernetes.io/is-default-class": "false"}),
      "provisioner": "p"}, ["fast", "p", "Delete", "Immediate", False, "5m"]),
], ids=["default", "beta default", "not default"])
def test_storage_class(obj, expected):
    assert cells("storage.k8s.io", "storageclasses", obj) == expected


def test_csi_kinds():
    driver = {"metadata": meta("csi.example.com"), "spec": {
        "attachRequired": False, "podInfoOnMount": True, "tokenRequests": [{"audience": "a"}, {"audience": "b"}],
        "volumeLifecycleModes": ["Persistent", "Ephemeral"], "storageCapacity": True}}
    assert cells("storage.k8s.io", "csidrivers", driver) == [
        "csi.example.com", False, True, True, "a,b", False, "Persistent,Ephemeral", "5m"]
    assert cells("storage.k8s.io", "csinodes", {"metadata": meta("n1"), "spec": {"drivers": [{}, {}]}}) == [
        "n1", 2, "5m"]
    assert cells("storage.k8s.io", "csistoragecapacities", {"metadata": meta("c"), "storageClassName": "fast",
                                                            "capacity": "1000Mi"}) == ["c", "fast", "1000Mi"]
    attachment = {"metadata": meta("va"), "spec": {"attacher": "csi.example.com", "nodeName": "n1",
                                                   "source": {"persistentVolumeName": "pv1"}},
                  "status": {"attached": True}}
    assert cells("storage.k8s.io", "volumeattachments", attachment) == [
        "va", "csi.example.com", "pv1", "n1", True, "5m"]


# ---------------------------------------------------------------------------------------------------------------
# Autoscaling and policy
# ---------------------------------------------------------------------------------------------------------------


def resource_metric(name: str, utilization: int | None = None, average: str | None = None) -> dict:
    target: dict = {"type": "Utilization" if average is None else "AverageValue"}
    if utilization is not None:
        target["averageUtilization"] = utilization
    if average is not None:
        target["averageValue"] = average
    return {"type": "Resource", "resource": {"name": name, "target": target}}


def resource_status(name: str, utilization: int | None = None, average: str | None = None) -> dict:
    current: dict = {}
    if utilization is not None:
        current["averageUtilization"] = utilization
    if average is not None:
        current["averageValue"] = average
    return {"type": "Resource", "resource": {"name": name, "current": current}}


HPA_CASES = [
    ("cpu utilization", [resource_metric("cpu", 80)], [resource_status("cpu", 50, "250m")], "cpu: 50%/80%"),
    ("cpu unknown", [resource_metric("cpu", 80)], [], "cpu: <unknown>/80%"),
    ("status without utilization", [resource_metric("cpu", 80)], [resource_status("cpu", average="1")],
     "cpu: <unknown>/80%"),
    ("utilization target missing", [{"type": "Resource", "resource": {"name": "cpu", "target": {}}}], [],
     "cpu: <unknown>/<auto>"),
    ("memory average value", [resource_metric("memory", average="200Mi")],
     [resource_status("memory", average="104857600")], "memory: 104857600/200Mi"),
    ("quantities print canonically", [resource_metric("memory", average="0.5Gi")],
     [resource_status("memory", average="1024Ki")], "memory: 1Mi/512Mi"),
    ("memory average value unknown", [resource_metric("memory", average="1024Mi")], [], "memory: <unknown>/1Gi"),
    ("pods", [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"averageValue": "1k"}}}],
     [{"type": "Pods", "pods": {"current": {"averageValue": "500"}}}], "500/1k"),
    ("pods unknown", [{"type": "Pods", "pods": {"target": {"averageValue": "1000m"}}}], [], "<unknown>/1"),
    ("object value", [{"type": "Object", "object": {"target": {"value": "10"}}}],
     [{"type": "Object", "object": {"current": {"value": "7"}}}], "7/10"),
    ("object average", [{"type": "Object", "object": {"target": {"averageValue": "2"}}}],
     [{"type": "Object", "object": {"current": {"value": "7"}}}], "<unknown>/2 (avg)"),
    ("external average", [{"type": "External", "external": {"target": {"averageValue": "30"}}}],
     [{"type": "External", "external": {"current": {"averageValue": "20"}}}], "20/30 (avg)"),
    ("external value unknown", [{"type": "External", "external": {"target": {"value": "5"}}}], [], "<unknown>/5"),
    ("container resource", [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 60}}}],
     [{"type": "ContainerResource", "containerResource": {"name": "cpu", "current": {"averageUtilization": 75}}}],
     "cpu: 75%/60%"),
    ("unknown type", [{"type": "Bogus"}], [], "<unknown type>"),
    ("more than two", [resource_metric("cpu", 80), resource_metric("memory", 70), resource_metric("x", 1)],
     [resource_status("cpu", 10)], "cpu: 10%/80%, memory: <unknown>/70% + 1 more..."),
    ("empty list", [], [], "<none>"),
    ("missing list defaults to 80% cpu", None, [], "cpu: <unknown>/80%"),
]


@pytest.mark.parametrize("metrics,current,expected", [c[1:] for c in HPA_CASES], ids=[c[0] for c in HPA_CASES])
def test_hpa_targets(metrics, current, expected):
    spec: dict = {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 10}
    if metrics is not None:
        spec["metrics"] = metrics
    obj = {"apiVersion": "autoscaling/v2", "metadata": meta("web"), "spec": spec,
           "status": {"currentReplicas": 3, "currentMetrics": current}}
    assert cells("autoscaling", "horizontalpodautoscalers", obj) == [
        "web", "Deployment/web", expected, "2", 10, 3, "5m"]


@pytest.mark.parametrize("spec,status,expected", [
    ({"targetCPUUtilizationPercentage": 50}, {"currentCPUUtilizationPercentage": 30}, "cpu: 30%/50%"),
    ({"targetCPUUtilizationPercentage": 50}, {}, "cpu: <unknown>/50%"),
    ({}, {}, "cpu: <unknown>/80%"),
], ids=["target and current", "target only", "implicit"])
def test_hpa_v1_shape(spec, status, expected):
    obj = {"apiVersion": "autoscaling/v1", "metadata": meta("web"),
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 4, **spec},
           "status": status}
    assert cells("autoscaling", "horizontalpodautoscalers", obj) == [
        "web", "Deployment/web", expected, "1", 4, 0, "5m"]


@pytest.mark.parametrize("spec,expected", [
    ({"minAvailable": 2}, ["2", "N/A"]),
    ({"maxUnavailable": "25%"}, ["N/A", "25%"]),
    ({}, ["N/A", "N/A"]),
], ids=["min int", "max percent", "neither"])
def test_pod_disruption_budget(spec, expected):
    obj = {"metadata": meta("pdb"), "spec": spec, "status": {"disruptionsAllowed": 1}}
    assert cells("policy", "poddisruptionbudgets", obj) == ["pdb", *expected, 1, "5m"]


# ---------------------------------------------------------------------------------------------------------------
# RBAC, certificates, coordination, scheduling
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("plural", ["rolebindings", "clusterrolebindings"])
def test_bindings(plural):
    obj = {"metadata": meta("b"), "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                              "name": "view"},
           "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
                        {"kind": "User", "name": "bob"}, {"kind": "ServiceAccount", "namespace": "ns", "name": "sa"},
                        {"kind": "Other", "name": "ignored"}]}
    assert cells("rbac.authorization.k8s.io", plural, obj) == [
        "b", "ClusterRole/view", "5m", "alice, bob", "devs", "ns/sa"]
    columns = PRINTERS[("rbac.authorization.k8s.io", plural)][0]
    what = "roleBinding" if plural == "rolebindings" else "clusterRoleBinding"
    assert columns[3]["description"] == f"Users in the {what}"


@pytest.mark.parametrize("conditions,certificate,expected", [
    ([], "", "Pending"),
    ([{"type": "Approved"}], "", "Approved"),
    ([{"type": "Approved"}], "LS0tLS1CRUdJTg==", "Approved,Issued"),
    ([{"type": "Approved"}, {"type": "Denied"}], "", "Denied"),
    ([{"type": "Approved"}, {"type": "Failed"}], "", "Approved,Failed"),
    ([{"type": "Failed"}], "", "Pending,Failed"),
], ids=["pending", "approved", "issued", "denied wins", "failed", "pending failed"])
def test_csr_condition(conditions, certificate, expected):
    obj = {"metadata": meta("csr"), "spec": {"signerName": "kubernetes.io/kube-apiserver-client",
                                             "username": "alice", "expirationSeconds": 86400},
           "status": {"conditions": conditions, "certificate": certificate}}
    assert cells("certificates.k8s.io", "certificatesigningrequests", obj) == [
        "csr", "5m", "kubernetes.io/kube-apiserver-client", "alice", "24h", expected]


def test_csr_defaults():
    obj = {"metadata": meta("csr"), "spec": {}}
    assert cells("certificates.k8s.io", "certificatesigningrequests", obj) == [
        "csr", "5m", "<none>", "", "<none>", "Pending"]


def test_lease_priority_runtime_class():
    assert cells("coordination.k8s.io", "leases", {"metadata": meta("l"), "spec": {"holderIdentity": "h_1"}}) == [
        "l", "h_1", "5m"]
    assert cells("scheduling.k8s.io", "priorityclasses", {"metadata": meta("system-node-critical"),
                                                          "value": 2000001000, "globalDefault": False,
                                                          "preemptionPolicy": "Never"}) == [
        "system-node-critical", 2000001000, False, "5m", "Never"]
    assert cells("node.k8s.io", "runtimeclasses", {"metadata": meta("gvisor"), "handler": "runsc"}) == [
        "gvisor", "runsc", "5m"]


# ---------------------------------------------------------------------------------------------------------------
# Admission, flow control, aggregation
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("plural", ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"])
def test_webhook_configurations(plural):
    obj = {"metadata": meta("wh"), "webhooks": [{"name": "a.example.com"}, {"name": "b.example.com"}]}
    assert cells("admissionregistration.k8s.io", plural, obj) == ["wh", 2, "5m"]


def test_validating_admission_policy():
    obj = {"metadata": meta("vap"), "spec": {"validations": [{"expression": "true"}],
                                             "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"}}}
    assert cells("admissionregistration.k8s.io", "validatingadmissionpolicies", obj) == [
        "vap", 1, "v1/ConfigMap", "5m"]


@pytest.mark.parametrize("param_ref,expected", [
    (None, "<unset>"),
    ({"name": "cfg", "namespace": "ns"}, "ns/cfg"),
    ({"name": "cfg"}, "*/cfg"),
    ({"selector": {"matchLabels": {"b": "2", "a": "1"},
                   "matchExpressions": [{"key": "k", "operator": "In", "values": ["x", "y"]}]}},
     "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{"
     "LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}"),
    ({"selector": {}},
     "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}"),
    ({}, "<unset>"),
], ids=["none", "namespaced", "any namespace", "selector", "empty selector", "empty ref"])
def test_validating_admission_policy_binding(param_ref, expected):
    spec: dict = {"policyName": "vap"}
    if param_ref is not None:
        spec["paramRef"] = param_ref
    obj = {"metadata": meta("vapb"), "spec": spec}
    assert cells("admissionregistration.k8s.io", "validatingadmissionpolicybindings", obj) == [
        "vapb", "vap", expected, "5m"]


def test_flow_schema():
    obj = {"metadata": meta("fs"), "spec": {"priorityLevelConfiguration": {"name": "workload-low"},
                                            "matchingPrecedence": 9000, "distinguisherMethod": {"type": "ByUser"}},
           "status": {"conditions": [{"type": "Dangling", "status": "False"}]}}
    assert cells("flowcontrol.apiserver.k8s.io", "flowschemas", obj) == [
        "fs", "workload-low", 9000, "ByUser", "5m", "False"]


def test_flow_schema_list_order():
    key = LIST_SORT_KEYS[("flowcontrol.apiserver.k8s.io", "flowschemas")]
    items = [{"metadata": {"name": n}, "spec": {"matchingPrecedence": p}}
             for n, p in [("b", 100), ("catch-all", 10000), ("a", 100), ("exempt", 1), ("d", None)]]
    assert [i["metadata"]["name"] for i in sorted(items, key=key)] == ["exempt", "a", "b", "d", "catch-all"]


@pytest.mark.parametrize("spec,expected", [
    ({"type": "Exempt", "exempt": {}}, ["Exempt", "<none>", "<none>", "<none>", "<none>"]),
    ({"type": "Limited", "limited": {"nominalConcurrencyShares": 100, "limitResponse": {
        "type": "Queue", "queuing": {"queues": 128, "handSize": 6, "queueLengthLimit": 50}}}},
     ["Limited", 100, 128, 6, 50]),
    ({"type": "Limited", "limited": {"limitResponse": {"type": "Reject"}}}, ["Limited", 30, "<none>", "<none>",
                                                                            "<none>"]),
], ids=["exempt", "queuing", "reject"])
def test_priority_level_configuration(spec, expected):
    obj = {"metadata": meta("pl"), "spec": spec}
    assert cells("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", obj) == ["pl", *expected, "5m"]


@pytest.mark.parametrize("spec,conditions,expected", [
    ({}, [{"type": "Available", "status": "True", "reason": "Local"}], ["Local", "True"]),
    ({"service": {"namespace": "kube-system", "name": "metrics-server"}},
     [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}],
     ["kube-system/metrics-server", "False (MissingEndpoints)"]),
    ({}, [], ["Local", "Unknown"]),
    ({}, [{"type": "Available", "status": "Unknown"}], ["Local", "Unknown"]),
], ids=["local", "unavailable", "no condition", "unknown without reason"])
def test_api_service(spec, conditions, expected):
    obj = {"metadata": meta("v1.apps"), "spec": spec, "status": {"conditions": conditions}}
    assert cells("apiregistration.k8s.io", "apiservices", obj) == ["v1.apps", *expected, "5m"]
