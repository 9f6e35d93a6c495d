"""Validation of the ``batch`` group: Jobs and CronJobs (upstream ``pkg/apis/batch/validation`` of 1.32).

A Job's pod template must restart ``OnFailure`` or ``Never``; counts are non-negative; indexed jobs need
``completions``; pod failure and success policies have their own rules. Unless ``manualSelector`` is true the API
server generates the selector and the ``controller-uid``/``job-name`` template labels before validation
(:func:`generate_job_selector` does that, upstream's ``generateSelector``), and validation then insists they are
there. On update the selector, completion mode and policies are immutable, and the pod template too except for
scheduling directives of suspended jobs that never started.

A CronJob needs a schedule that ``robfig/cron`` accepts (see ``validation_cron``), a valid time zone, history
limits >= 0, a job template whose selector is left to the server, and (on create) a name of at most 52
characters, leaving room for the 11-character suffix of the jobs it creates.
"""

from __future__ import annotations

import re
from typing import Any

from kybernetes.api.validation_common import (
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    dns1123_label,
    go_label_selector,
    go_string_map,
    go_struct,
    immutable,
    is_domain_prefixed_path,
    is_int,
    name_is_dns_subdomain,
    nonnegative,
    normalize,
    qualified_name,
)
from kybernetes.api.validation_cron import load_location_error, parse_standard_error
from kybernetes.api.validation_meta import label_selector_ok, object_meta, object_meta_update, validate_label_selector
from kybernetes.api.validation_pod import pod_template_spec
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_invalid,
    field_not_supported,
    field_required,
    field_too_long,
    field_too_many,
    OMITTED,
)
from kybernetes.machinery.labels import selector_from_dict

__all__ = [
    "generate_job_selector",
    "validate_job",
    "validate_job_update",
    "validate_cron_job",
    "validate_cron_job_update",
]

_SPEC = FieldPath("spec")
_META = FieldPath("metadata")
LEGACY_UID_LABEL = "controller-uid"
LEGACY_NAME_LABEL = "job-name"
UID_LABEL = "batch.kubernetes.io/controller-uid"
NAME_LABEL = "batch.kubernetes.io/job-name"
_MAX_PARALLELISM_INDEXED = 100000
_MAX_FAILED_INDEXES = 100_000
_COMPLETIONS_SOFT_LIMIT = 100_000
_PARALLELISM_HIGH = 10_000
_MAX_FAILED_HIGH = 10_000
_POLICY_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
_EXIT_OPS = ("In", "NotIn")
_CONDITION_STATUSES = ("False", "True", "Unknown")
_TZ_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def generate_job_selector(job: dict) -> None:
    """Upstream's ``generateSelector`` (job strategy PrepareForCreate): unless ``spec.manualSelector`` is true, add
    the job-name and controller-uid labels to the pod template and select on the controller uid. Mutates ``job``;
    needs ``metadata.name`` and ``metadata.uid`` to be set."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector") is True:
        return
    meta = as_dict(job.get("metadata"))
    name, uid = as_str(meta.get("name")), as_str(meta.get("uid"))
    tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
    labels = tmeta.get("labels")
    if not isinstance(labels, dict):
        labels = tmeta["labels"] = {}
    for key in (LEGACY_NAME_LABEL, NAME_LABEL):
        labels.setdefault(key, name)
    for key in (LEGACY_UID_LABEL, UID_LABEL):
        labels.setdefault(key, uid)
    sel = spec.get("selector")
    if not isinstance(sel, dict):
        sel = spec["selector"] = {}
    ml = sel.get("matchLabels")
    if not isinstance(ml, dict):
        ml = sel["matchLabels"] = {}
    ml.setdefault(UID_LABEL, uid)


def _has_label(meta: dict, path: FieldPath, key: str, expected: str) -> list[FieldError]:
    labels = meta.get("labels")
    lp = path.child("labels").key(key)
    if not isinstance(labels, dict) or key not in labels:
        return [field_required(lp, f"must be '{expected}'")]
    if labels[key] != expected:
        return [field_invalid(lp, go_string_map(labels), f"must be '{expected}'")]
    return []


def _generated_selector(job: dict, require_prefixed: bool) -> list[FieldError]:
    spec = as_dict(job.get("spec"))
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    meta = as_dict(job.get("metadata"))
    uid, name = as_str(meta.get("uid")), as_str(meta.get("name"))
    errs: list[FieldError] = []
    if not uid:
        errs.append(field_required(_META.child("uid"), ""))
    tmeta = as_dict(as_dict(spec.get("template")).get("metadata"))
    tp = _SPEC.child("template", "metadata")
    errs += _has_label(tmeta, tp, LEGACY_UID_LABEL, uid)
    errs += _has_label(tmeta, tp, LEGACY_NAME_LABEL, name)
    expected = {LEGACY_UID_LABEL: uid, LEGACY_NAME_LABEL: name}
    if require_prefixed:
        errs += _has_label(tmeta, tp, UID_LABEL, uid)
        errs += _has_label(tmeta, tp, NAME_LABEL, name)
        expected.update({UID_LABEL: uid, NAME_LABEL: name})
    sel = spec.get("selector")
    if label_selector_ok(sel) and not selector_from_dict(sel).matches(expected):
        errs.append(field_invalid(_SPEC.child("selector"), go_label_selector(sel), "`selector` not auto-generated"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Failure and success policies
# ---------------------------------------------------------------------------------------------------------------


def _pod_failure_policy(spec: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    rules = as_list(as_dict(spec.get("podFailurePolicy")).get("rules"))
    rp = path.child("rules")
    if len(rules) > 20:
        errs.append(field_too_many(rp, len(rules), 20))
    tspec = as_dict(as_dict(spec.get("template")).get("spec"))
    names = {as_str(as_dict(c).get("name")) for k in ("containers", "initContainers") for c in as_list(tspec.get(k))}
    for i, rule in enumerate(rules):
        rule = as_dict(rule)
        p = rp.index(i)
        action = as_str(rule.get("action"))
        ap = p.child("action")
        if not action:
            errs.append(field_required(ap, 'valid values: ["Count" "FailIndex" "FailJob" "Ignore"]'))
        elif action == "FailIndex":
            if spec.get("backoffLimitPerIndex") is None:
                errs.append(field_invalid(ap, action, "requires the backoffLimitPerIndex to be set"))
        elif action not in _POLICY_ACTIONS:
            errs.append(field_not_supported(ap, action, _POLICY_ACTIONS))
        oec = rule.get("onExitCodes")
        opc = as_list(rule.get("onPodConditions"))
        if isinstance(oec, dict):
            ep = p.child("onExitCodes")
            op = as_str(oec.get("operator"))
            if not op:
                errs.append(field_required(ep.child("operator"), 'valid values: ["In" "NotIn"]'))
            elif op not in _EXIT_OPS:
                errs.append(field_not_supported(ep.child("operator"), op, _EXIT_OPS))
            cn = oec.get("containerName")
            if isinstance(cn, str) and cn not in names:
                errs.append(field_invalid(ep.child("containerName"), cn, "must be one of the container or initContainer names in the pod template"))
            values = [as_int(v) for v in as_list(oec.get("values"))]
            vp = ep.child("values")
            if not values:
                errs.append(field_invalid(vp, GoLiteral("[]int32(nil)" if oec.get("values") is None else "[]int32{}"), "at least one value is required"))
            elif len(values) > 255:
                errs.append(field_too_many(vp, len(values), 255))
            seen: set[int] = set()
            ordered = True
            for j, v in enumerate(values):
                if op == "In" and v == 0:
                    errs.append(field_invalid(vp.index(j), v, "must not be 0 for the In operator"))
                if v in seen:
                    errs.append(field_duplicate(vp.index(j), v))
                seen.add(v)
                if j > 0 and values[j - 1] > v:
                    ordered = False
            if not ordered:
                errs.append(field_invalid(vp, GoLiteral("[]int32{" + ", ".join(map(str, values)) + "}"), "must be ordered"))
        if opc:
            cp = p.child("onPodConditions")
            if len(opc) > 20:
                errs.append(field_too_many(cp, len(opc), 20))
            for j, pat in enumerate(opc):
                pat = as_dict(pat)
                pp = cp.index(j)
                t = as_str(pat.get("type"))
                errs += [field_invalid(pp.child("type"), t, m) for m in qualified_name(t)]
                st = as_str(pat.get("status"))
                if not st:
                    errs.append(field_required(pp.child("status"), 'valid values: ["False" "True" "Unknown"]'))
                elif st not in _CONDITION_STATUSES:
                    errs.append(field_not_supported(pp.child("status"), st, _CONDITION_STATUSES))
        if oec is not None and opc:
            errs.append(field_invalid(p, OMITTED, "specifying both OnExitCodes and OnPodConditions is not supported"))
        if oec is None and not opc:
            errs.append(field_invalid(p, OMITTED, "specifying one of OnExitCodes and OnPodConditions is required"))
    return errs


def _parse_interval(text: str, completions: int) -> tuple[int, int, str | None]:
    parts = text.split("-")
    if len(parts) > 2:
        return 0, 0, f'the fragment "{text}" violates the requirement that an index interval can have at most two parts separated by \'-\''
    try:
        x = int(parts[0])
    except ValueError:
        return 0, 0, f'cannot convert string to integer for index: "{parts[0]}"'
    if x >= completions:
        return 0, 0, f'too large index: "{parts[0]}"'
    if len(parts) > 1:
        try:
            y = int(parts[1])
        except ValueError:
            return 0, 0, f'cannot convert string to integer for index: "{parts[1]}"'
        if y >= completions:
            return 0, 0, f'too large index: "{parts[1]}"'
        if x >= y:
            return 0, 0, f"non-increasing order, previous: {x}, current: {y}"
        return x, y, None
    return x, x, None


def _indexes_format(text: str, completions: int) -> tuple[int, str | None]:
    if not text:
        return 0, None
    last = None
    total = 0
    for interval in text.split(","):
        x, y, err = _parse_interval(interval, completions)
        if err:
            return 0, err
        if last is not None and last >= x:
            return 0, f"non-increasing order, previous: {last}, current: {x}"
        total += y - x + 1
        last = y
    return total, None


def _success_policy(spec: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    rules = as_list(as_dict(spec.get("successPolicy")).get("rules"))
    rp = path.child("rules")
    if not rules:
        errs.append(field_required(rp, "at least one rules must be specified when the successPolicy is specified"))
    if len(rules) > 20:
        errs.append(field_too_many(rp, len(rules), 20))
    completions = as_int(spec.get("completions"))
    for i, rule in enumerate(rules):
        rule = as_dict(rule)
        p = rp.index(i)
        sc, si = rule.get("succeededCount"), rule.get("succeededIndexes")
        if sc is None and si is None:
            errs.append(field_required(p, "at least one of succeededCount or succeededIndexes must be specified"))
        total = 0
        if isinstance(si, str):
            sip = p.child("succeededIndexes")
            if len(si) > 64 * 1024:
                errs.append(field_too_long(sip, si, 64 * 1024))
            total, err = _indexes_format(si, completions)
            if err:
                errs.append(field_invalid(sip, si, f"error parsing succeededIndexes: {err}"))
        if is_int(sc):
            scp = p.child("succeededCount")
            errs += nonnegative(sc, scp)
            if sc > completions:
                errs.append(field_invalid(scp, sc, f"must be less than or equal to {completions} (the number of specified completions)"))
            if si is not None and sc > total:
                errs.append(field_invalid(scp, sc, f"must be less than or equal to {total} (the number of indexes in the specified succeededIndexes field)"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Job specs
# ---------------------------------------------------------------------------------------------------------------


def _job_spec_common(spec: dict, path: FieldPath) -> list[FieldError]:
    """validateJobSpec (shared by Jobs and CronJob job templates)."""
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex"):
        if spec.get(key) is not None:
            errs += nonnegative(as_int(spec.get(key)), path.child(key))
    if spec.get("maxFailedIndexes") is not None:
        errs += nonnegative(as_int(spec.get("maxFailedIndexes")), path.child("maxFailedIndexes"))
        if spec.get("backoffLimitPerIndex") is None:
            errs.append(field_required(path.child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
    mb = spec.get("managedBy")
    if isinstance(mb, str):
        errs += is_domain_prefixed_path(path.child("managedBy"), mb)
        if len(mb) > 63:
            errs.append(field_too_long(path.child("managedBy"), mb, 63))
    cm = spec.get("completionMode")
    parallelism, completions = spec.get("parallelism"), spec.get("completions")
    mfi, blpi = spec.get("maxFailedIndexes"), spec.get("backoffLimitPerIndex")
    if isinstance(cm, str):
        if cm not in ("NonIndexed", "Indexed"):
            errs.append(field_not_supported(path.child("completionMode"), cm, ("NonIndexed", "Indexed")))
        if cm == "Indexed":
            if completions is None:
                errs.append(field_required(path.child("completions"), "when completion mode is Indexed"))
            if is_int(parallelism) and parallelism > _MAX_PARALLELISM_INDEXED:
                errs.append(field_invalid(path.child("parallelism"), parallelism, f"must be less than or equal to {_MAX_PARALLELISM_INDEXED} when completion mode is Indexed"))
            if is_int(completions) and is_int(mfi) and mfi > completions:
                errs.append(field_invalid(path.child("maxFailedIndexes"), mfi, "must be less than or equal to completions"))
            if is_int(mfi) and mfi > _MAX_FAILED_INDEXES:
                errs.append(field_invalid(path.child("maxFailedIndexes"), mfi, f"must be less than or equal to {_MAX_FAILED_INDEXES}"))
            if is_int(completions) and completions > _COMPLETIONS_SOFT_LIMIT and blpi is not None:
                if mfi is None:
                    errs.append(field_required(path.child("maxFailedIndexes"), f"must be specified when completions is above {_COMPLETIONS_SOFT_LIMIT}"))
                if is_int(parallelism) and parallelism > _PARALLELISM_HIGH:
                    errs.append(field_invalid(path.child("parallelism"), parallelism, f"must be less than or equal to {_PARALLELISM_HIGH} when completions are above {_COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"))
                if is_int(mfi) and mfi > _MAX_FAILED_HIGH:
                    errs.append(field_invalid(path.child("maxFailedIndexes"), mfi, f"must be less than or equal to {_MAX_FAILED_HIGH} when completions are above {_COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"))
    if cm is None or cm == "NonIndexed":
        if blpi is not None:
            errs.append(field_invalid(path.child("backoffLimitPerIndex"), as_int(blpi), "requires indexed completion mode"))
        if mfi is not None:
            errs.append(field_invalid(path.child("maxFailedIndexes"), as_int(mfi), "requires indexed completion mode"))
    if isinstance(spec.get("podFailurePolicy"), dict):
        errs += _pod_failure_policy(spec, path.child("podFailurePolicy"))
    if isinstance(spec.get("successPolicy"), dict):
        if cm != "Indexed":
            errs.append(field_invalid(path.child("successPolicy"), go_struct("batch.SuccessPolicy", spec["successPolicy"]), "requires indexed completion mode"))
        else:
            errs += _success_policy(spec, path.child("successPolicy"))
    prp = spec.get("podReplacementPolicy")
    if isinstance(prp, str):
        if spec.get("podFailurePolicy") is not None:
            if prp != "Failed":
                errs.append(field_not_supported(path.child("podReplacementPolicy"), prp, ["Failed"]))
        elif prp not in ("Failed", "TerminatingOrFailed"):
            errs.append(field_not_supported(path.child("podReplacementPolicy"), prp, ("Failed", "TerminatingOrFailed")))
    errs += pod_template_spec(spec.get("template"), path.child("template"))
    rp = as_str(as_dict(as_dict(spec.get("template")).get("spec")).get("restartPolicy"))
    rpp = path.child("template", "spec", "restartPolicy")
    if rp in ("Always", ""):
        errs.append(field_required(rpp, 'valid values: "OnFailure", "Never"'))
    elif rp not in ("OnFailure", "Never"):
        errs.append(field_not_supported(rpp, rp, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and rp != "Never":
        errs.append(field_invalid(rpp, rp, 'only "Never" is supported when podFailurePolicy is specified'))
    return errs


def _job_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    """ValidateJobSpec: the common rules, a selector, and a template matching it."""
    errs = _job_spec_common(spec, path)
    sel = spec.get("selector")
    if sel is None:
        errs.append(field_required(path.child("selector"), ""))
    else:
        errs += validate_label_selector(sel, path.child("selector"))
    if label_selector_ok(sel):
        labels = as_dict(as_dict(spec.get("template")).get("metadata")).get("labels")
        if not selector_from_dict(sel).matches(as_dict(labels)):
            errs.append(field_invalid(path.child("template", "metadata", "labels"), go_string_map(labels), "`selector` does not match template `labels`"))
    return errs


def _validate_job(job: dict, require_prefixed: bool) -> list[FieldError]:
    meta = as_dict(job.get("metadata"))
    spec = as_dict(job.get("spec"))
    errs = object_meta(meta, True, name_is_dns_subdomain)
    errs += _generated_selector(job, require_prefixed)
    errs += _job_spec(spec, _SPEC)
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and is_int(completions) and completions > 0:
        host = f"{as_str(meta.get('name'))}-{completions - 1}"
        if dns1123_label(host):
            errs.append(field_invalid(_META.child("name"), as_str(meta.get("name")), f"will not able to create pod with invalid DNS label: {host}"))
    return errs


def validate_job(job: dict) -> list[FieldError]:
    """Job strategy Validate (ValidateJob with prefixed labels required)."""
    return _validate_job(job, True)


def _completions(spec: dict, old: dict, path: FieldPath) -> list[FieldError]:
    nc, oc = spec.get("completions"), old.get("completions")
    shown = nc if is_int(nc) else "null"
    if spec.get("completionMode") != "Indexed":
        return [] if nc == oc else [field_invalid(path, shown, "field is immutable")]
    if nc == oc or nc is None:
        return []
    if nc != spec.get("parallelism"):
        return [field_invalid(path, shown, "can only be modified in tandem with spec.parallelism")]
    return []


def _template_update(spec: dict, old: dict, path: FieldPath, allow_scheduling: bool) -> list[FieldError]:
    tmpl, otmpl = as_dict(spec.get("template")), as_dict(old.get("template"))
    if allow_scheduling:
        otmpl = dict(otmpl)
        ometa = dict(as_dict(otmpl.get("metadata")))
        ospec = dict(as_dict(otmpl.get("spec")))
        nmeta, nspec = as_dict(tmpl.get("metadata")), as_dict(tmpl.get("spec"))
        naff, oaff = nspec.get("affinity"), ospec.get("affinity")
        if naff is None and isinstance(oaff, dict):
            oaff = dict(oaff)
            oaff.pop("nodeAffinity", None)
            ospec["affinity"] = oaff if normalize(oaff) else None
        elif isinstance(naff, dict) and oaff is None:
            ospec["affinity"] = {"nodeAffinity": naff.get("nodeAffinity")}
        elif isinstance(naff, dict) and isinstance(oaff, dict):
            ospec["affinity"] = dict(oaff, nodeAffinity=naff.get("nodeAffinity"))
        for key in ("nodeSelector", "tolerations", "schedulingGates"):
            ospec[key] = nspec.get(key)
        for key in ("annotations", "labels"):
            ometa[key] = nmeta.get(key)
        otmpl["metadata"], otmpl["spec"] = ometa, ospec
    if normalize(tmpl) == normalize(otmpl):
        return []
    return [field_invalid(path.child("template"), go_struct("core.PodTemplateSpec", tmpl), "field is immutable")]


def validate_job_update(new: dict, old: dict) -> list[FieldError]:
    """Job strategy ValidateUpdate: ValidateJob on the new object, then ValidateJobUpdate."""
    ospec = as_dict(old.get("spec"))
    olabels = as_dict(as_dict(as_dict(ospec.get("template")).get("metadata")).get("labels"))
    require_prefixed = NAME_LABEL in olabels and UID_LABEL in olabels
    allow_scheduling = ospec.get("suspend") is True and as_dict(old.get("status")).get("startTime") is None
    errs = _validate_job(new, require_prefixed)
    errs += object_meta_update(new.get("metadata"), old.get("metadata"))
    spec = as_dict(new.get("spec"))
    errs += _job_spec(spec, _SPEC)
    errs += _completions(spec, ospec, _SPEC.child("completions"))
    errs += immutable(spec.get("selector"), ospec.get("selector"), _SPEC.child("selector"), go_label_selector(spec.get("selector")))
    errs += _template_update(spec, ospec, _SPEC, allow_scheduling)
    errs += immutable(spec.get("completionMode"), ospec.get("completionMode"), _SPEC.child("completionMode"), spec.get("completionMode") or "null")
    errs += immutable(spec.get("podFailurePolicy"), ospec.get("podFailurePolicy"), _SPEC.child("podFailurePolicy"), go_struct("batch.PodFailurePolicy", spec.get("podFailurePolicy")) if spec.get("podFailurePolicy") is not None else "null")
    blpi = spec.get("backoffLimitPerIndex")
    errs += immutable(blpi, ospec.get("backoffLimitPerIndex"), _SPEC.child("backoffLimitPerIndex"), blpi if blpi is not None else "null")
    mb = spec.get("managedBy")
    errs += immutable(mb, ospec.get("managedBy"), _SPEC.child("managedBy"), mb if mb is not None else "null")
    sp = spec.get("successPolicy")
    errs += immutable(sp, ospec.get("successPolicy"), _SPEC.child("successPolicy"), go_struct("batch.SuccessPolicy", sp) if sp is not None else "null")
    return errs


# ---------------------------------------------------------------------------------------------------------------
# CronJobs
# ---------------------------------------------------------------------------------------------------------------


def _time_zone(tz: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(tz, str):
        return []
    if not tz:
        return [field_invalid(path, tz, "timeZone must be nil or non-empty string")]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.fullmatch(part):
            return [field_invalid(path, tz, f"unknown time zone {tz}")]
    errs = []
    if tz.lower() == "local":
        errs.append(field_invalid(path, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    err = load_location_error(tz)
    if err is not None:
        errs.append(field_invalid(path, tz, err))
    return errs


def job_template_spec(tmpl: Any, path: FieldPath) -> list[FieldError]:
    """ValidateJobTemplateSpec: job rules on the template, whose selector the controller generates."""
    tmpl = as_dict(tmpl)
    spec = as_dict(tmpl.get("spec"))
    errs = _job_spec_common(spec, path.child("spec"))
    if spec.get("selector") is not None:
        errs.append(field_invalid(path.child("spec", "selector"), go_label_selector(spec.get("selector")), "`selector` will be auto-generated"))
    if spec.get("manualSelector") is True:
        errs.append(field_not_supported(path.child("spec", "manualSelector"), True, ["nil", "false"]))
    return errs


def _cron_spec(spec: dict, old: dict | None, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    schedule = as_str(spec.get("schedule"))
    sp = path.child("schedule")
    if not schedule:
        errs.append(field_required(sp, ""))
    else:
        allow_tz = old is not None and "TZ" in as_str(old.get("schedule"))
        err = parse_standard_error(schedule)
        if err is not None:
            errs.append(field_invalid(sp, schedule, err))
        if allow_tz and "TZ" in schedule and spec.get("timeZone") is not None:
            errs.append(field_invalid(sp, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
        elif not allow_tz and "TZ" in schedule:
            errs.append(field_invalid(sp, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    if spec.get("startingDeadlineSeconds") is not None:
        errs += nonnegative(as_int(spec.get("startingDeadlineSeconds")), path.child("startingDeadlineSeconds"))
    if old is None or old.get("timeZone") != spec.get("timeZone"):
        errs += _time_zone(spec.get("timeZone"), path.child("timeZone"))
    cp = as_str(spec.get("concurrencyPolicy"))
    if not cp:
        errs.append(field_required(path.child("concurrencyPolicy"), ""))
    elif cp not in ("Allow", "Forbid", "Replace"):
        errs.append(field_not_supported(path.child("concurrencyPolicy"), cp, ("Allow", "Forbid", "Replace")))
    errs += job_template_spec(spec.get("jobTemplate"), path.child("jobTemplate"))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        if spec.get(key) is not None:
            errs += nonnegative(as_int(spec.get(key)), path.child(key))
    return errs


def validate_cron_job(cj: dict) -> list[FieldError]:
    """ValidateCronJobCreate."""
    meta = as_dict(cj.get("metadata"))
    errs = object_meta(meta, True, name_is_dns_subdomain)
    errs += _cron_spec(as_dict(cj.get("spec")), None, _SPEC)
    name = as_str(meta.get("name"))
    if len(name) > 52:
        errs.append(field_invalid(_META.child("name"), name, "must be no more than 52 characters"))
    return errs


def validate_cron_job_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateCronJobUpdate (the 52-character name limit is not re-checked)."""
    errs = object_meta_update(new.get("metadata"), old.get("metadata"))
    return errs + _cron_spec(as_dict(new.get("spec")), as_dict(old.get("spec")), _SPEC)

