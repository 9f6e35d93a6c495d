"""Validation of writes to ``pods/status``, as upstream's ``ValidatePodStatusUpdate`` does it.

A status write cannot change the pod spec: the status strategy copies the stored spec over the incoming one before
validation runs. So, unlike :func:`kybernetes.api.validation_pod.validate_pod_update`, nothing here re-validates
the spec. What is checked, in upstream's order:

* ``metadata``: the usual update rules (immutable name/uid/timestamps, resourceVersion required, labels,
  annotations, finalizers) and the pod-specific annotation rules: the mirror-pod and AppArmor annotations may not be
  added, changed or removed, and the pod-specific annotations must still be valid;
* custom pod conditions: a type other than ``PodScheduled``/``Ready``/``Initialized`` must be a qualified name
  (reported, as upstream does, under ``metadata.conditions[i].Type``);
* ``spec.nodeName`` may not change (reported under ``status.nodeName``), ``status.nominatedNodeName`` must be a
  valid node name when it changes, ``status.qosClass`` is immutable;
* container state transitions: unless the restart policy is ``Always``, a terminated container may not become
  non-terminated (``OnFailure`` lets a failed one restart; restartable init containers, i.e. sidecars, may always
  restart; ephemeral containers never restart);
* ``status.resourceClaimStatuses`` entries must name an entry of ``spec.resourceClaims``, once each;
* ``status.podIPs`` and ``status.hostIPs``: valid addresses, no duplicates, at most one per IP family, and
  ``hostIPs[0]`` equal to ``hostIP``.

About ``podIP``: upstream's internal PodStatus has no ``podIP`` field. Decoding a v1 status makes ``podIP``
authoritative: when it is set and differs from ``podIPs[0]`` (or ``podIPs`` is empty), ``podIPs`` becomes
``[{"ip": podIP}]``. So a mismatch is not an error; :func:`effective_pod_ips` gives the list that upstream would
validate and store, and validation runs on it.

Feature gates follow Kubernetes 1.32 defaults. Off by default, hence skipped: ``containerStatuses[*].user``
(SupplementalGroupsPolicy) and ``containerStatuses[*].allocatedResourcesStatus`` (ResourceHealthStatus); upstream
drops both fields before validation. DynamicResourceAllocation is off too: upstream then drops
``resourceClaimStatuses`` unless the stored spec already has ``resourceClaims``, so they are validated only then.

Everything here is pure and safe to call concurrently; inputs are not modified.
"""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation_common import (
    GoLiteral,
    as_dict,
    as_list,
    as_str,
    immutable,
    name_is_dns_subdomain,
    parse_ip_sloppy,
    qualified_name,
    valid_ip,
)
from kybernetes.api.validation_meta import object_meta_update
from kybernetes.api.validation_pod import pod_specific_annotation_updates
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_internal_error,
    field_invalid,
    go_quote,
)

__all__ = ["effective_pod_ips", "validate_pod_status_update"]

_META = FieldPath("metadata")
_STATUS = FieldPath("status")
_SYSTEM_CONDITIONS = frozenset({"PodScheduled", "Ready", "Initialized"})


# ---------------------------------------------------------------------------------------------------------------
# Annotations
# ---------------------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------------------
# Conditions and container states
# ---------------------------------------------------------------------------------------------------------------


def _pod_conditions(conditions: Any, path: FieldPath) -> list[FieldError]:
    """validatePodConditions: custom condition types must be qualified names."""
    errs: list[FieldError] = []
    for i, c in enumerate(as_list(conditions)):
        ctype = as_str(as_dict(c).get("type"))
        if ctype in _SYSTEM_CONDITIONS:
            continue
        errs += [field_invalid(path.index(i).child("Type"), ctype, m) for m in qualified_name(ctype)]
    return errs


def _terminated(status: Any) -> dict | None:
    t = as_dict(as_dict(status).get("state")).get("terminated")
    return t if isinstance(t, dict) else None


def _state_transitions(new: Any, old: Any, path: FieldPath, restart_policy: str, sidecars: frozenset[str] = frozenset()) -> list[FieldError]:
    """ValidateContainerStateTransition / ValidateInitContainerStateTransition: unless the policy is Always, a
    container terminated in ``old`` may not be reported non-terminated in ``new`` (matched by name; the path indexes
    the old list). OnFailure exempts non-zero exits; containers named in ``sidecars`` are exempt."""
    if restart_policy == "Always":
        return []
    news = [as_dict(s) for s in as_list(new)]
    errs: list[FieldError] = []
    for i, o in enumerate(as_list(old)):
        o = as_dict(o)
        term = _terminated(o)
        if term is None:
            continue
        code = term.get("exitCode")
        if restart_policy == "OnFailure" and isinstance(code, int) and code != 0:
            continue
        name = as_str(o.get("name"))
        if name in sidecars:
            continue
        for n in news:
            if as_str(n.get("name")) == name and _terminated(n) is None:
                errs.append(field_forbidden(path.index(i).child("state"), "may not be transitioned to non-terminated state"))
    return errs


def _sidecar_names(spec: dict) -> frozenset[str]:
    """Names of restartable init containers (``restartPolicy: Always``); the first container of a name decides."""
    out: dict[str, bool] = {}
    for c in as_list(spec.get("initContainers")):
        c = as_dict(c)
        out.setdefault(as_str(c.get("name")), c.get("restartPolicy") == "Always")
    return frozenset(n for n, restartable in out.items() if restartable)


def _resource_claim_statuses(statuses: Any, claims: Any, path: FieldPath) -> list[FieldError]:
    """validatePodResourceClaimStatuses."""
    names = {as_str(as_dict(c).get("name")) for c in as_list(claims)}
    seen: set[str] = set()
    errs: list[FieldError] = []
    for i, s in enumerate(as_list(statuses)):
        s = as_dict(s)
        np = path.index(i).child("name")
        name = as_str(s.get("name"))
        if name not in names:
            errs.append(field_invalid(np, name, "must match the name of an entry in `spec.resourceClaims`"))
        if name in seen:
            errs.append(field_duplicate(np, name))
        seen.add(name)
        rcn = s.get("resourceClaimName")
        if isinstance(rcn, str):
            errs += [field_invalid(np, rcn, m) for m in name_is_dns_subdomain(rcn)]
    return errs


# ---------------------------------------------------------------------------------------------------------------
# IP addresses
# ---------------------------------------------------------------------------------------------------------------


def effective_pod_ips(status: Any) -> list[dict]:
    """The ``podIPs`` upstream keeps after decoding a v1 status: ``[{"ip": podIP}]`` when ``podIP`` is set and
    ``podIPs`` is empty or starts with another address, else ``podIPs`` as given. Does not modify ``status``."""
    status = as_dict(status)
    pod_ip = as_str(status.get("podIP"))
    ips = as_list(status.get("podIPs"))
    if pod_ip and (not ips or as_str(as_dict(ips[0]).get("ip")) != pod_ip):
        return [{"ip": pod_ip}]
    return ips


def _go_ip_struct(type_name: str, entry: Any) -> GoLiteral:
    return GoLiteral(f"core.{type_name}{{IP:{go_quote(as_str(as_dict(entry).get('ip')))}}}")


def _go_ip_slice(type_name: str, entries: list) -> GoLiteral:
    return GoLiteral(f"[]core.{type_name}{{" + ", ".join(_go_ip_struct(type_name, e).text for e in entries) + "}")


def _dual_stack(ips: list[str], path: FieldPath) -> tuple[bool, list[FieldError]]:
    """netutils.IsDualStackIPStrings: (one of each family, errors for an unparsable address)."""
    v4 = v6 = False
    for ip in ips:
        addr = parse_ip_sloppy(ip)
        if addr is None:
            return False, [field_internal_error(path, "failed to check for dual stack with error:ip <nil> is invalid")]
        if addr.version == 6:
            v6 = True
        else:
            v4 = True
    return v4 and v6, []


def _pod_ips(status: dict) -> list[FieldError]:
    """validatePodIPs (on the effective list, see :func:`effective_pod_ips`)."""
    path = _STATUS.child("podIPs")
    entries = effective_pod_ips(status)
    ips = [as_str(as_dict(e).get("ip")) for e in entries]
    errs: list[FieldError] = []
    for i, ip in enumerate(ips):
        errs += valid_ip(path.index(i), ip)
    if len(ips) > 1:
        dual, derrs = _dual_stack(ips, path)
        errs += derrs
        if not dual or len(ips) > 2:
            errs.append(field_invalid(path, _go_ip_slice("PodIP", entries), "may specify no more than one IP for each IP family"))
        seen: set[str] = set()
        for i, ip in enumerate(ips):
            if ip in seen:
                errs.append(field_duplicate(path.index(i), _go_ip_struct("PodIP", entries[i])))
            seen.add(ip)
    return errs


def _host_ips(status: dict) -> list[FieldError]:
    """validateHostIPs: note upstream checks duplicates before the family rule here (the reverse of podIPs)."""
    entries = as_list(status.get("hostIPs"))
    if not entries:
        return []
    path = _STATUS.child("hostIPs")
    ips = [as_str(as_dict(e).get("ip")) for e in entries]
    errs: list[FieldError] = []
    if as_str(status.get("hostIP")) != ips[0]:
        errs.append(field_invalid(path.index(0).child("ip"), ips[0], "must be equal to `hostIP`"))
    for i, ip in enumerate(ips):
        errs += valid_ip(path.index(i), ip)
    if len(ips) > 1:
        seen: set[str] = set()
        for i, ip in enumerate(ips):
            if ip in seen:
                errs.append(field_duplicate(path.index(i), _go_ip_struct("HostIP", entries[i])))
            seen.add(ip)
        dual, derrs = _dual_stack(ips, path)
        errs += derrs
        if not dual or len(ips) > 2:
            errs.append(field_invalid(path, _go_ip_slice("HostIP", entries), "may specify no more than one IP for each IP family"))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------------------


def validate_pod_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePodStatusUpdate: the errors of writing ``new`` over the stored ``old`` through ``pods/status``.

    Both are defaulted v1 Pod dicts; ``new.spec`` is expected to equal ``old.spec`` already (the strategy's job), so
    the spec is not validated. Returns an empty list when the write is allowed; never raises on malformed input."""
    new_meta, old_meta = as_dict(new.get("metadata")), as_dict(old.get("metadata"))
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    new_status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))

    errs = object_meta_update(new_meta, old_meta, _META)
    errs += pod_specific_annotation_updates(new, old, _META.child("annotations"))
    errs += _pod_conditions(new_status.get("conditions"), _META.child("conditions"))

    if as_str(new_spec.get("nodeName")) != as_str(old_spec.get("nodeName")):
        errs.append(field_forbidden(_STATUS.child("nodeName"), "may not be changed directly"))
    nnn = as_str(new_status.get("nominatedNodeName"))
    if nnn and nnn != as_str(old_status.get("nominatedNodeName")):
        errs += [field_invalid(_STATUS.child("nominatedNodeName"), nnn, m) for m in name_is_dns_subdomain(nnn)]
    errs += immutable(as_str(new_status.get("qosClass")), as_str(old_status.get("qosClass")), _STATUS.child("qosClass"))

    restart_policy = as_str(old_spec.get("restartPolicy"))
    errs += _state_transitions(
        new_status.get("containerStatuses"), old_status.get("containerStatuses"), _STATUS.child("containerStatuses"), restart_policy
    )
    errs += _state_transitions(
        new_status.get("initContainerStatuses"),
        old_status.get("initContainerStatuses"),
        _STATUS.child("initContainerStatuses"),
        restart_policy,
        _sidecar_names(old_spec),
    )
    errs += _state_transitions(
        new_status.get("ephemeralContainerStatuses"),
        old_status.get("ephemeralContainerStatuses"),
        _STATUS.child("ephemeralContainerStatuses"),
        "Never",
    )
    if as_list(old_spec.get("resourceClaims")):
        errs += _resource_claim_statuses(
            new_status.get("resourceClaimStatuses"), new_spec.get("resourceClaims"), _STATUS.child("resourceClaimStatuses")
        )
    errs += _pod_ips(new_status)
    errs += _host_ips(new_status)
    return errs
