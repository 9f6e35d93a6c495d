"""The Job's rules for failures and successes: pod failure policy, success policy, and pod-failure back-off.

**Pod failure policy** (``spec.podFailurePolicy.rules``): the first rule matching a failed pod decides.  A rule
matches on exit codes (``In``/``NotIn`` over the non-zero exit code of a terminated container, optionally only
of the named container; regular containers are looked at before init containers) or on pod conditions (type and
status).  Its action is ``FailJob`` (fail the whole Job with reason ``PodFailurePolicy``), ``FailIndex`` (fail
that index of a Job with ``backoffLimitPerIndex``), ``Ignore`` (do not count the failure against any limit) or
``Count`` (count it, the default when no rule matches).

**Success policy** (``spec.successPolicy.rules``, Indexed Jobs): a rule is met when its ``succeededIndexes`` have
all succeeded, or at least ``succeededCount`` of them (or of all indexes when no set is given).

**Back-off**: after consecutive pod failures new pods wait ``base * 2^(failures-1)`` seconds (10 s doubling,
capped at 10 minutes upstream) counted from the last failure.  A success resets the count.  :class:`BackoffRecord`
is what the controller remembers per Job; with ``backoffLimitPerIndex`` the count comes from the failed pod's
annotations instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kybernetes.controllers.job_indexes import Intervals
from kybernetes.controllers.job_util import pod_finish_time

__all__ = [
    "ACTION_FAIL_JOB", "ACTION_FAIL_INDEX", "ACTION_IGNORE", "ACTION_COUNT", "PolicyMatch", "match_pod_failure_policy",
    "match_success_policy", "BackoffRecord", "next_backoff_record", "remaining_backoff", "DEFAULT_BACKOFF",
    "MAX_BACKOFF",
]

ACTION_FAIL_JOB = "FailJob"
ACTION_FAIL_INDEX = "FailIndex"
ACTION_IGNORE = "Ignore"
ACTION_COUNT = "Count"

DEFAULT_BACKOFF = 10.0
MAX_BACKOFF = 600.0


# -- pod failure policy ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PolicyMatch:
    """The verdict of the pod failure policy on one failed pod.

    ``fail_job_message`` is set when a FailJob rule matched; ``count_failed`` is False only for Ignore;
    ``action`` is the matched rule's action (None when no rule matched)."""

    fail_job_message: str | None
    count_failed: bool
    action: str | None


_NO_MATCH = PolicyMatch(None, True, None)


def _matching_container(statuses: Sequence[dict[str, Any]], req: dict[str, Any]) -> dict[str, Any] | None:
    name = req.get("containerName")
    values = req.get("values") or []
    op = req.get("operator")
    for cs in statuses:
        terminated = (cs.get("state") or {}).get("terminated")
        if not terminated:
            continue  # still running or terminating: no exit code to match
        if name is not None and name != cs.get("name"):
            continue
        code = terminated.get("exitCode", 0)
        if code == 0:
            continue
        if (op == "In" and code in values) or (op == "NotIn" and code not in values):
            return cs
    return None


def _matching_condition(status: dict[str, Any], patterns: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    for cond in status.get("conditions") or ():
        for p in patterns:
            if cond.get("type") == p.get("type") and cond.get("status") == p.get("status", "True"):
                return cond
    return None


def match_pod_failure_policy(policy: dict[str, Any] | None, pod: dict[str, Any]) -> PolicyMatch:
    """Match a failed ``pod`` against ``policy`` (see the module docstring).  Pure."""
    if not policy:
        return _NO_MATCH
    status = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    for index, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            req = rule["onExitCodes"]
            cs = _matching_container(status.get("containerStatuses") or [], req) or \
                _matching_container(status.get("initContainerStatuses") or [], req)
            if cs is None:
                continue
            if action == ACTION_FAIL_JOB:
                code = cs["state"]["terminated"].get("exitCode", 0)
                msg = (f"Container {cs.get('name')} for pod {meta.get('namespace')}/{meta.get('name')} failed with "
                       f"exit code {code} matching {action} rule at index {index}")
                return PolicyMatch(msg, True, action)
        elif rule.get("onPodConditions") is not None:
            cond = _matching_condition(status, rule["onPodConditions"])
            if cond is None:
                continue
            if action == ACTION_FAIL_JOB:
                msg = (f"Pod {meta.get('namespace')}/{meta.get('name')} has condition {cond.get('type')} matching "
                       f"{action} rule at index {index}")
                return PolicyMatch(msg, True, action)
        else:
            continue
        if action == ACTION_IGNORE:
            return PolicyMatch(None, False, action)
        if action in (ACTION_COUNT, ACTION_FAIL_INDEX):
            return PolicyMatch(None, True, action)
    return _NO_MATCH


# -- success policy --------------------------------------------------------------------------------------------------

def _overlap_count(rule: Intervals, succeeded: Intervals) -> int:
    count = 0
    for first, last in rule.items:
        for sfirst, slast in succeeded.items:
            overlap = min(last, slast) - max(first, sfirst) + 1
            if overlap > 0:
                count += overlap
    return count


def match_success_policy(policy: dict[str, Any] | None, completions: int,
                         succeeded: Intervals) -> str | None:
    """The SuccessCriteriaMet message (``"Matched rules at index N"``) of the first met rule, or None.  Pure."""
    if not policy or not len(succeeded):
        return None
    for index, rule in enumerate(policy.get("rules") or ()):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = Intervals.parse(rule["succeededIndexes"], completions)
            if not len(required):
                continue
            contains = _overlap_count(required, succeeded)
            if contains == required.total() or (count is not None and contains >= count):
                return f"Matched rules at index {index}"
        elif count is not None and succeeded.total() >= count:
            return f"Matched rules at index {index}"
    return None


# -- back-off --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BackoffRecord:
    """Consecutive pod failures since the last success, and when the last of them happened (epoch seconds)."""

    failures_after_last_success: int = 0
    last_failure_time: float | None = None


def next_backoff_record(old: BackoffRecord, new_succeeded: Sequence[dict[str, Any]],
                        new_failed: Sequence[dict[str, Any]]) -> BackoffRecord:
    """Fold newly finished pods into ``old``: failures after the latest new success are counted; a success with
    no later failure resets the record.  Pure."""
    failed_times = sorted(pod_finish_time(p) for p in new_failed)
    if not new_succeeded:
        if not failed_times:
            return old
        return BackoffRecord(old.failures_after_last_success + len(failed_times), failed_times[-1])
    last_success = max(pod_finish_time(p) for p in new_succeeded)
    later = [t for t in failed_times if t > last_success]
    if not later:
        return BackoffRecord()
    return BackoffRecord(len(later), later[-1])


def remaining_backoff(failures: int, last_failure_time: float | None, now: float, base: float = DEFAULT_BACKOFF,
                      cap: float = MAX_BACKOFF) -> float:
    """Seconds still to wait before creating a pod after ``failures`` consecutive failures (0 when none).  Pure."""
    if failures <= 0 or last_failure_time is None:
        return 0.0
    delay = base
    for _ in range(1, failures):
        delay *= 2
        if delay >= cap:
            delay = cap
            break
    delay = min(delay, cap)
    elapsed = now - last_failure_time
    return 0.0 if delay < elapsed else delay - elapsed
