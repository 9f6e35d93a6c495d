"""Validation of RBAC objects (``rbac.authorization.k8s.io``): Roles, ClusterRoles and their bindings.

RBAC names only need to be valid path segments (no ``/``, ``%``, ``.`` or ``..``). A policy rule needs verbs and
either non-resource URLs (cluster roles only, and then nothing else) or API groups plus resources. A binding refers
to a Role or ClusterRole of the RBAC group, and that reference may never change; its subjects are users, groups or
service accounts (which need a namespace in cluster-wide bindings). Upstream validates the object before the
metadata update rules for these types, and this module keeps that order.
"""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation_common import (
    GoLiteral,
    as_dict,
    as_list,
    as_str,
    go_label_selector,
    go_string_slice,
    name_is_dns_subdomain,
    path_segment_name,
)
from kybernetes.api.validation_meta import label_selector_ok, object_meta, object_meta_update, validate_label_selector
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_invalid,
    field_not_supported,
    field_required,
    go_quote,
)

RBAC_GROUP = "rbac.authorization.k8s.io"


def _policy_rule(rule: dict, namespaced: bool, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    if not as_list(rule.get("verbs")):
        errs.append(field_required(path.child("verbs"), "verbs must contain at least one value"))
    urls = as_list(rule.get("nonResourceURLs"))
    if urls:
        if namespaced:
            errs.append(field_invalid(path.child("nonResourceURLs"), go_string_slice(urls), "namespaced rules cannot apply to non-resource URLs"))
        if as_list(rule.get("apiGroups")) or as_list(rule.get("resources")) or as_list(rule.get("resourceNames")):
            errs.append(field_invalid(path.child("nonResourceURLs"), go_string_slice(urls), "rules cannot apply to both regular resources and non-resource URLs"))
        return errs
    if not as_list(rule.get("apiGroups")):
        errs.append(field_required(path.child("apiGroups"), "resource rules must supply at least one api group"))
    if not as_list(rule.get("resources")):
        errs.append(field_required(path.child("resources"), "resource rules must supply at least one resource"))
    return errs


def _rules(obj: dict, namespaced: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, rule in enumerate(as_list(obj.get("rules"))):
        errs += _policy_rule(as_dict(rule), namespaced, FieldPath("rules").index(i))
    return errs


def validate_role(role: dict) -> list[FieldError]:
    return object_meta(role.get("metadata"), True, path_segment_name) + _rules(role, True)


def validate_role_update(new: dict, old: dict) -> list[FieldError]:
    return validate_role(new) + object_meta_update(new.get("metadata"), old.get("metadata"))


def validate_cluster_role(role: dict, allow_invalid_label_value: bool = False) -> list[FieldError]:
    errs = object_meta(role.get("metadata"), False, path_segment_name) + _rules(role, False)
    agg = role.get("aggregationRule")
    if isinstance(agg, dict):
        sp = FieldPath("aggregationRule", "clusterRoleSelectors")
        sels = as_list(agg.get("clusterRoleSelectors"))
        if not sels:
            errs.append(field_required(sp, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
        for i, sel in enumerate(sels):
            errs += validate_label_selector(as_dict(sel), sp.index(i), allow_invalid_label_value=allow_invalid_label_value)
            if not label_selector_ok(as_dict(sel)):
                errs.append(field_invalid(sp.index(i), go_label_selector(sel), "invalid label selector."))
    return errs


def validate_cluster_role_update(new: dict, old: dict) -> list[FieldError]:
    old_bad = any(validate_label_selector(as_dict(s), FieldPath("x")) for s in as_list(as_dict(old.get("aggregationRule")).get("clusterRoleSelectors")))
    return validate_cluster_role(new, old_bad) + object_meta_update(new.get("metadata"), old.get("metadata"))


def _subject(s: dict, namespaced: bool, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    name = as_str(s.get("name"))
    if not name:
        errs.append(field_required(path.child("name"), ""))
    kind = as_str(s.get("kind"))
    group = as_str(s.get("apiGroup"))
    if kind == "ServiceAccount":
        if name:
            errs += [field_invalid(path.child("name"), name, m) for m in name_is_dns_subdomain(name)]
        if group:
            errs.append(field_not_supported(path.child("apiGroup"), group, [""]))
        if not namespaced and not as_str(s.get("namespace")):
            errs.append(field_required(path.child("namespace"), ""))
    elif kind in ("User", "Group"):
        if not name:
            errs.append(field_invalid(path.child("name"), name, f"{kind.lower()} name cannot be empty"))
        if group != RBAC_GROUP:
            errs.append(field_not_supported(path.child("apiGroup"), group, [RBAC_GROUP]))
    else:
        errs.append(field_not_supported(path.child("kind"), kind, ["ServiceAccount", "User", "Group"]))
    return errs


def _binding(b: dict, namespaced: bool) -> list[FieldError]:
    errs = object_meta(b.get("metadata"), namespaced, path_segment_name)
    ref = as_dict(b.get("roleRef"))
    group = as_str(ref.get("apiGroup"))
    if group != RBAC_GROUP:
        errs.append(field_not_supported(FieldPath("roleRef", "apiGroup"), group, [RBAC_GROUP]))
    kind = as_str(ref.get("kind"))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if kind not in kinds:
        errs.append(field_not_supported(FieldPath("roleRef", "kind"), kind, kinds))
    name = as_str(ref.get("name"))
    if not name:
        errs.append(field_required(FieldPath("roleRef", "name"), ""))
    else:
        errs += [field_invalid(FieldPath("roleRef", "name"), name, m) for m in path_segment_name(name)]
    for i, s in enumerate(as_list(b.get("subjects"))):
        errs += _subject(as_dict(s), namespaced, FieldPath("subjects").index(i))
    return errs


def _go_role_ref(ref: Any) -> GoLiteral:
    ref = as_dict(ref)
    return GoLiteral(
        "rbac.RoleRef{APIGroup:%s, Kind:%s, Name:%s}"
        % (go_quote(as_str(ref.get("apiGroup"))), go_quote(as_str(ref.get("kind"))), go_quote(as_str(ref.get("name"))))
    )


def _role_ref_update(new: dict, old: dict) -> list[FieldError]:
    key = ("apiGroup", "kind", "name")
    nr, or_ = as_dict(new.get("roleRef")), as_dict(old.get("roleRef"))
    if tuple(as_str(nr.get(k)) for k in key) != tuple(as_str(or_.get(k)) for k in key):
        return [field_invalid(FieldPath("roleRef"), _go_role_ref(nr), "cannot change roleRef")]
    return []


def validate_role_binding(b: dict) -> list[FieldError]:
    return _binding(b, True)


def validate_role_binding_update(new: dict, old: dict) -> list[FieldError]:
    return _binding(new, True) + object_meta_update(new.get("metadata"), old.get("metadata")) + _role_ref_update(new, old)


def validate_cluster_role_binding(b: dict) -> list[FieldError]:
    return _binding(b, False)


def validate_cluster_role_binding_update(new: dict, old: dict) -> list[FieldError]:
    return _binding(new, False) + object_meta_update(new.get("metadata"), old.get("metadata")) + _role_ref_update(new, old)
