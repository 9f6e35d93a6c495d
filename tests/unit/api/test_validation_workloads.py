"""Tests for workload validation: Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job and
CronJob, on create and on update (``kybernetes.api.validation``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import generate_job_selector, validate, validate_update

STS_FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)
NO_MATCH = "`selector` does not match template `labels`"


def prepare(obj: dict, group: str, kind: str) -> dict:
    obj = copy.deepcopy(obj)
    apply_defaults(obj, group, "v1", kind)
    if kind == "Job":
        generate_job_selector(obj)
    return obj


def errors(obj: dict, group: str, kind: str) -> list[tuple[str, str, str]]:
    return [(e.field, e.type, e.error_body()) for e in validate(prepare(obj, group, kind), group, "v1", kind)]


def update_errors(new: dict, old: dict, group: str, kind: str) -> list[tuple[str, str, str]]:
    found = validate_update(prepare(new, group, kind), prepare(old, group, kind), group, "v1", kind)
    return [(e.field, e.type, e.error_body()) for e in found]


def template(restart: str | None = None, labels: dict | None = None) -> dict:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx:1.25"}]}
    if restart:
        spec["restartPolicy"] = restart
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels}, "spec": spec}


def deployment(**spec: Any) -> dict:
    base = {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template()}
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": base}


def stored(obj: dict, group: str, kind: str) -> dict:
    """``obj`` as the server stored it (defaulted, with uid and resourceVersion): what clients send back."""
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("uid", "u1")
    obj["metadata"].update(resourceVersion="3", creationTimestamp="2024-01-01T00:00:00Z")
    return prepare(obj, group, kind)


# --- Deployment -------------------------------------------------------------------------------------------------


def test_deployment_valid() -> None:
    assert errors(deployment(), "apps", "Deployment") == []


def test_deployment_negative_replicas() -> None:
    assert errors(deployment(replicas=-1), "apps", "Deployment") == [
        ("spec.replicas", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0")
    ]


def test_deployment_selector_required_and_matching() -> None:
    obj = deployment()
    del obj["spec"]["selector"]
    assert errors(obj, "apps", "Deployment") == [
        ("spec.selector", "FieldValueRequired", "Required value"),
        ("spec.template.metadata.labels", "FieldValueInvalid", f'Invalid value: map[string]string{{"app":"web"}}: {NO_MATCH}'),
    ]
    obj = deployment(selector={"matchLabels": {"app": "other"}})
    assert errors(obj, "apps", "Deployment") == [
        ("spec.template.metadata.labels", "FieldValueInvalid", f'Invalid value: map[string]string{{"app":"web"}}: {NO_MATCH}')
    ]


def test_deployment_empty_selector() -> None:
    assert errors(deployment(selector={}), "apps", "Deployment") == [
        (
            "spec.selector",
            "FieldValueInvalid",
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
        )
    ]


def test_deployment_template_restart_policy_always_only() -> None:
    obj = deployment(template=template("Never"))
    assert errors(obj, "apps", "Deployment") == [
        ("spec.template.spec.restartPolicy", "FieldValueNotSupported", 'Unsupported value: "Never": supported values: "Always"')
    ]


def test_deployment_rolling_update_both_zero() -> None:
    obj = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert errors(obj, "apps", "Deployment") == [
        (
            "spec.strategy.rollingUpdate.maxUnavailable",
            "FieldValueInvalid",
            'Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
        )
    ]
    obj = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%", "maxUnavailable": 0}})
    assert [f for f, _, _ in errors(obj, "apps", "Deployment")] == ["spec.strategy.rollingUpdate.maxUnavailable"]


def test_deployment_percent_formats_and_limits() -> None:
    obj = deployment(
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "150x", "maxUnavailable": "120%"}},
        minReadySeconds=700,
        revisionHistoryLimit=-2,
    )
    assert errors(obj, "apps", "Deployment") == [
        (
            "spec.strategy.rollingUpdate.maxSurge",
            "FieldValueInvalid",
            "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150x\"}: a valid percent string must be a "
            "numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ),
        (
            "spec.strategy.rollingUpdate.maxUnavailable",
            "FieldValueInvalid",
            'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
        ),
        ("spec.revisionHistoryLimit", "FieldValueInvalid", "Invalid value: -2: must be greater than or equal to 0"),
        ("spec.progressDeadlineSeconds", "FieldValueInvalid", "Invalid value: 600: must be greater than minReadySeconds"),
    ]


def test_deployment_recreate_with_rolling_update() -> None:
    obj = deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}})
    assert errors(obj, "apps", "Deployment") == [
        ("spec.strategy.rollingUpdate", "FieldValueForbidden", "Forbidden: may not be specified when strategy `type` is 'Recreate'")
    ]


def test_deployment_unknown_strategy_type() -> None:
    found = errors(deployment(strategy={"type": "Foo"}), "apps", "Deployment")
    assert found == [
        (
            "spec.strategy",
            "FieldValueNotSupported",
            'Unsupported value: apps.DeploymentStrategy{Type:"Foo", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: '
            'supported values: "Recreate", "RollingUpdate"',
        )
    ]


def test_deployment_invalid_selector_expression() -> None:
    obj = deployment(selector={"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "a", "operator": "In"}]})
    found = errors(obj, "apps", "Deployment")
    assert found[0] == (
        "spec.selector.matchExpressions[0].values",
        "FieldValueRequired",
        "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    )
    assert found[1][0] == "spec.selector"
    assert found[1][2].endswith(": invalid label selector")


def test_deployment_selector_immutable() -> None:
    old = stored(deployment(), "apps", "Deployment")
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "x"}}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    assert update_errors(new, old, "apps", "Deployment") == [
        (
            "spec.selector",
            "FieldValueInvalid",
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, '
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
        )
    ]


def test_deployment_template_and_replicas_mutable() -> None:
    old = stored(deployment(), "apps", "Deployment")
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert update_errors(new, old, "apps", "Deployment") == []


# --- ReplicaSet / ReplicationController ---------------------------------------------------------------------------


def test_replica_set_valid_and_invalid() -> None:
    rs = {"metadata": {"name": "rs", "namespace": "default"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template()}}
    assert errors(rs, "apps", "ReplicaSet") == []
    rs["spec"]["replicas"] = -3
    rs["spec"]["minReadySeconds"] = -1
    assert errors(rs, "apps", "ReplicaSet") == [
        ("spec.replicas", "FieldValueInvalid", "Invalid value: -3: must be greater than or equal to 0"),
        ("spec.minReadySeconds", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
    ]


def test_replication_controller() -> None:
    rc = {"metadata": {"name": "rc", "namespace": "default"}, "spec": {"replicas": 1, "selector": {"app": "web"}, "template": template()}}
    assert errors(rc, "", "ReplicationController") == []
    rc["spec"]["selector"] = {"app": "other"}
    assert errors(rc, "", "ReplicationController") == [
        ("spec.template.metadata.labels", "FieldValueInvalid", f'Invalid value: map[string]string{{"app":"web"}}: {NO_MATCH}')
    ]


# --- StatefulSet ------------------------------------------------------------------------------------------------


def statefulset(**spec: Any) -> dict:
    base = {"serviceName": "nginx", "replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template()}
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": base}


def test_statefulset_forbidden_update() -> None:
    old = stored(statefulset(), "apps", "StatefulSet")
    new = copy.deepcopy(old)
    new["spec"]["serviceName"] = "other"
    new["spec"]["replicas"] = 3
    assert update_errors(new, old, "apps", "StatefulSet") == [("spec", "FieldValueForbidden", STS_FORBIDDEN)]


def test_statefulset_allowed_update() -> None:
    old = stored(statefulset(), "apps", "StatefulSet")
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 3
    new["spec"]["minReadySeconds"] = 10
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    new["spec"]["updateStrategy"] = {"type": "OnDelete"}
    assert update_errors(new, old, "apps", "StatefulSet") == []


def test_statefulset_policies() -> None:
    obj = statefulset(podManagementPolicy="Foo", updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 1}})
    assert errors(obj, "apps", "StatefulSet") == [
        ("spec.podManagementPolicy", "FieldValueInvalid", "Invalid value: \"Foo\": must be 'OrderedReady' or 'Parallel'"),
        (
            "spec.updateStrategy.rollingUpdate",
            "FieldValueInvalid",
            "Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: "
            "only allowed for updateStrategy 'RollingUpdate'",
        ),
    ]


def test_statefulset_negative_partition_and_replicas() -> None:
    obj = statefulset(replicas=-1, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": -1}})
    assert errors(obj, "apps", "StatefulSet") == [
        ("spec.updateStrategy.rollingUpdate.partition", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.replicas", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
    ]


def test_statefulset_claim_templates() -> None:
    claim = {"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    assert errors(statefulset(volumeClaimTemplates=[claim]), "apps", "StatefulSet") == []
    # Upstream leaves claim templates unchecked (the controller finds out when it creates the claims).
    bad = {"metadata": {"name": "www"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    assert errors(statefulset(volumeClaimTemplates=[bad]), "apps", "StatefulSet") == []


# --- DaemonSet ---------------------------------------------------------------------------------------------------


def daemonset(**spec: Any) -> dict:
    base = {"selector": {"matchLabels": {"app": "web"}}, "template": template()}
    base.update(spec)
    return {"metadata": {"name": "ds", "namespace": "default"}, "spec": base}


def test_daemonset_valid() -> None:
    assert errors(daemonset(), "apps", "DaemonSet") == []


def test_daemonset_rolling_update_both_zero() -> None:
    obj = daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert errors(obj, "apps", "DaemonSet") == [
        ("spec.updateStrategy.rollingUpdate.maxUnavailable", "FieldValueRequired", "Required value: cannot be 0 when maxSurge is 0")
    ]


def test_daemonset_selector_immutable() -> None:
    old = stored(daemonset(), "apps", "DaemonSet")
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "y"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "y"}
    found = update_errors(new, old, "apps", "DaemonSet")
    assert [(f, t) for f, t, _ in found] == [("spec.selector", "FieldValueInvalid")]
    assert found[0][2].endswith(": field is immutable")


# --- Job ---------------------------------------------------------------------------------------------------------


def job(**spec: Any) -> dict:
    base = {"template": template("Never", labels={}), "backoffLimit": 4}
    base.update(spec)
    return {"metadata": {"name": "pi", "namespace": "default", "uid": "8e6b1c4f-0000-4000-8000-000000000001"}, "spec": base}


def test_job_selector_generation() -> None:
    obj = prepare(job(), "batch", "Job")
    uid = "8e6b1c4f-0000-4000-8000-000000000001"
    assert obj["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert obj["spec"]["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": uid,
        "job-name": "pi",
    }
    assert validate(obj, "batch", "v1", "Job") == []


def test_job_negative_counts() -> None:
    found = errors(job(backoffLimit=-1, completions=-1, parallelism=-2), "batch", "Job")
    assert found == [
        ("spec.parallelism", "FieldValueInvalid", "Invalid value: -2: must be greater than or equal to 0"),
        ("spec.completions", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.backoffLimit", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
    ]


def test_job_restart_policy() -> None:
    assert errors(job(template=template("Always", labels={})), "batch", "Job") == [
        ("spec.template.spec.restartPolicy", "FieldValueRequired", 'Required value: valid values: "OnFailure", "Never"')
    ]
    assert errors(job(template=template("OnFailure", labels={})), "batch", "Job") == []


def test_job_manual_selector_must_match() -> None:
    obj = job(manualSelector=True, selector={"matchLabels": {"a": "b"}})
    assert errors(obj, "batch", "Job") == [
        ("spec.template.metadata.labels", "FieldValueInvalid", f"Invalid value: map[string]string{{}}: {NO_MATCH}")
    ]


def test_job_completion_mode_and_ttl() -> None:
    assert errors(job(completionMode="Indexed", completions=3), "batch", "Job") == []
    assert errors(job(completionMode="Foo", ttlSecondsAfterFinished=-1), "batch", "Job") == [
        ("spec.ttlSecondsAfterFinished", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.completionMode", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "NonIndexed", "Indexed"'),
    ]


def test_job_update_immutable_fields() -> None:
    old = stored(job(), "batch", "Job")
    new = copy.deepcopy(old)
    new["spec"]["completions"] = 3
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:2"
    found = update_errors(new, old, "batch", "Job")
    assert found[0] == ("spec.completions", "FieldValueInvalid", "Invalid value: 3: field is immutable")
    assert found[1][:2] == ("spec.template", "FieldValueInvalid")
    assert found[1][2].startswith("Invalid value: core.PodTemplateSpec{")
    assert found[1][2].endswith(": field is immutable")
    assert len(found) == 2


def test_job_update_parallelism_and_suspend_mutable() -> None:
    old = stored(job(), "batch", "Job")
    new = copy.deepcopy(old)
    new["spec"]["parallelism"] = 4
    new["spec"]["suspend"] = True
    assert update_errors(new, old, "batch", "Job") == []


# --- CronJob -----------------------------------------------------------------------------------------------------


def cronjob(name: str = "hello", **spec: Any) -> dict:
    base = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template("OnFailure", labels={})}}}
    base.update(spec)
    return {"metadata": {"name": name, "namespace": "default"}, "spec": base}


def test_cronjob_valid_schedules() -> None:
    for schedule in ["*/5 * * * *", "@hourly", "@every 5m", "0 0 1 JAN MON", "0 12 * * 1-5"]:
        assert errors(cronjob(schedule=schedule), "batch", "CronJob") == [], schedule


@pytest.mark.parametrize(
    ("schedule", "messages"),
    [
        ("* * * * * *", ["expected exactly 5 fields, found 6: [* * * * * *]"]),
        ("bad", ["expected exactly 5 fields, found 1: [bad]"]),
        ("61 * * * *", ["end of range (61) above maximum (59): 61"]),
        ("TZ=UTC * * * * *", ["cannot use TZ or CRON_TZ in schedule, use timeZone field instead"]),
        (
            "CRON_TZ=Bad/Zone * * * * *",
            [
                "provided bad location Bad/Zone: unknown time zone Bad/Zone",
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ],
        ),
    ],
)
def test_cronjob_schedule_errors(schedule: str, messages: list[str]) -> None:
    assert errors(cronjob(schedule=schedule), "batch", "CronJob") == [
        ("spec.schedule", "FieldValueInvalid", f'Invalid value: "{schedule}": {m}') for m in messages
    ]


def test_cronjob_schedule_required() -> None:
    assert errors(cronjob(schedule=""), "batch", "CronJob") == [("spec.schedule", "FieldValueRequired", "Required value")]


def test_cronjob_policies_and_limits() -> None:
    found = errors(cronjob(concurrencyPolicy="Sometimes", successfulJobsHistoryLimit=-1, failedJobsHistoryLimit=-1), "batch", "CronJob")
    assert found == [
        ("spec.concurrencyPolicy", "FieldValueNotSupported", 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'),
        ("spec.successfulJobsHistoryLimit", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.failedJobsHistoryLimit", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
    ]


def test_cronjob_name_length_and_time_zone() -> None:
    name = "x" * 53
    assert errors(cronjob(name=name, timeZone="Mars/Base"), "batch", "CronJob") == [
        ("spec.timeZone", "FieldValueInvalid", 'Invalid value: "Mars/Base": unknown time zone Mars/Base'),
        ("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": must be no more than 52 characters'),
    ]
    assert errors(cronjob(name="x" * 52, timeZone="Europe/Berlin"), "batch", "CronJob") == []


def test_cronjob_job_template_restart_policy() -> None:
    obj = cronjob(jobTemplate={"spec": {"template": template("Always", labels={})}})
    assert errors(obj, "batch", "CronJob") == [
        ("spec.jobTemplate.spec.template.spec.restartPolicy", "FieldValueRequired", 'Required value: valid values: "OnFailure", "Never"')
    ]


def test_cronjob_job_template_selector_forbidden() -> None:
    obj = cronjob(jobTemplate={"spec": {"selector": {"matchLabels": {"a": "b"}}, "template": template("OnFailure", labels={})}})
    assert errors(obj, "batch", "CronJob") == [
        (
            "spec.jobTemplate.spec.selector",
            "FieldValueInvalid",
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, '
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated",
        )
    ]


def test_cronjob_update_keeps_schedule_rules() -> None:
    old = stored(cronjob(), "batch", "CronJob")
    new = copy.deepcopy(old)
    new["spec"]["schedule"] = "bad"
    assert update_errors(new, old, "batch", "CronJob") == [
        ("spec.schedule", "FieldValueInvalid", 'Invalid value: "bad": expected exactly 5 fields, found 1: [bad]')
    ]
    new["spec"]["schedule"] = "0 * * * *"
    assert update_errors(new, old, "batch", "CronJob") == []
