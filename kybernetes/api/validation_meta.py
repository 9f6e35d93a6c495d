"""Validation of ``metadata`` (ObjectMeta), labels, annotations and label selectors, as upstream does it.

Every object's metadata goes through the same checks on create (upstream ``ValidateObjectMeta``): a name (or a
``generateName``) in the format the type asks for, a namespace exactly when the type is namespaced, valid label
keys and values, valid annotation keys within 256 KiB in total, well-formed owner references and finalizer names.
On update (``ValidateObjectMetaUpdate``) the name, namespace, uid and creation/deletion timestamps are immutable, the
generation may not go down, a resourceVersion is required and no finalizer may be added once deletion started.

Core-group validation adds one rule to both: a finalizer without a ``/`` must be one of the standard names
(``kubernetes``, ``orphan``, ``foregroundDeletion``); :func:`object_meta` and :func:`object_meta_update` take
``kube_finalizers`` for that. Label selectors (``ValidateLabelSelector``) live here too because every workload uses
them.
"""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation_common import (
    FIELD_IMMUTABLE,
    GoLiteral,
    NameFunc,
    as_dict,
    as_list,
    as_str,
    go_string_slice,
    go_time,
    is_int,
    label_value,
    name_is_dns_label,
    nonnegative,
    qualified_name,
    sem_equal,
)
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_forbidden,
    field_invalid,
    field_required,
    field_too_long,
    go_quote,
)
from kybernetes.machinery.labels import selector_from_dict

__all__ = [
    "validate_labels",
    "validate_label_name",
    "validate_annotations",
    "validate_label_selector",
    "label_selector_ok",
    "object_meta",
    "object_meta_update",
    "template_object_meta",
]

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def validate_label_name(key: Any, path: FieldPath) -> list[FieldError]:
    """ValidateLabelName: ``key`` must be a qualified name."""
    key = key if isinstance(key, str) else ""
    return [field_invalid(path, key, msg) for msg in qualified_name(key)]


def validate_labels(labels: Any, path: FieldPath) -> list[FieldError]:
    """ValidateLabels: every key a qualified name, every value a label value (errors on the map's path)."""
    errs: list[FieldError] = []
    for k, v in sorted(as_dict(labels).items()):
        errs += validate_label_name(k, path)
        v = v if isinstance(v, str) else ""
        errs += [field_invalid(path, v, msg) for msg in label_value(v)]
    return errs


def validate_annotations(annotations: Any, path: FieldPath) -> list[FieldError]:
    """ValidateAnnotations: keys are qualified names (case-insensitive), total size at most 256 KiB."""
    errs: list[FieldError] = []
    total = 0
    for k, v in sorted(as_dict(annotations).items()):
        errs += [field_invalid(path, k, msg) for msg in qualified_name(k.lower())]
        total += len(k.encode()) + len(v.encode() if isinstance(v, str) else b"")
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(field_too_long(path, "", TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def validate_label_selector(sel: Any, path: FieldPath, *, allow_invalid_label_value: bool = False) -> list[FieldError]:
    """ValidateLabelSelector (metav1): matchLabels as labels, each expression's operator, key and values."""
    if not isinstance(sel, dict):
        return []
    errs = validate_labels(sel.get("matchLabels"), path.child("matchLabels"))
    for i, expr in enumerate(as_list(sel.get("matchExpressions"))):
        ep = path.child("matchExpressions").index(i)
        expr = as_dict(expr)
        op = expr.get("operator", "")
        values = as_list(expr.get("values"))
        if op in ("In", "NotIn"):
            if not values:
                errs.append(field_required(ep.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    field_forbidden(ep.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
                )
        else:
            errs.append(field_invalid(ep.child("operator"), op, "not a valid selector operator"))
        errs += validate_label_name(expr.get("key", ""), ep.child("key"))
        if not allow_invalid_label_value:
            for j, v in enumerate(values):
                v = v if isinstance(v, str) else ""
                errs += [field_invalid(ep.child("values").index(j), v, msg) for msg in label_value(v)]
    return errs


def label_selector_ok(sel: Any) -> bool:
    """Whether LabelSelectorAsSelector succeeds for ``sel`` (None succeeds: it selects nothing)."""
    if sel is None:
        return True
    try:
        selector_from_dict(sel)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# Owner references, finalizers, managed fields
# ---------------------------------------------------------------------------------------------------------------


def _go_ptr_bool(v: Any) -> str:
    return "(*bool)(nil)" if not isinstance(v, bool) else f"&{str(v).lower()}"


def _go_owner_ref(ref: dict) -> str:
    return (
        "v1.OwnerReference{APIVersion:%s, Kind:%s, Name:%s, UID:%s, Controller:%s, BlockOwnerDeletion:%s}"
        % (
            go_quote(as_str(ref.get("apiVersion"))),
            go_quote(as_str(ref.get("kind"))),
            go_quote(as_str(ref.get("name"))),
            go_quote(as_str(ref.get("uid"))),
            _go_ptr_bool(ref.get("controller")),
            _go_ptr_bool(ref.get("blockOwnerDeletion")),
        )
    )


def _owner_references(refs: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    first_controller = ""
    refs = as_list(refs)
    for ref in refs:
        ref = as_dict(ref)
        api_version = as_str(ref.get("apiVersion"))
        kind = as_str(ref.get("kind"))
        parts = api_version.split("/")
        if len(parts) == 1:
            group, version = "", parts[0]
        elif len(parts) == 2:
            group, version = parts
        else:
            group, version = "", ""
        if not version:
            errs.append(field_invalid(path.child("apiVersion"), api_version, "version must not be empty"))
        if not kind:
            errs.append(field_invalid(path.child("kind"), kind, "must not be empty"))
        if not as_str(ref.get("name")):
            errs.append(field_invalid(path.child("name"), as_str(ref.get("name")), "must not be empty"))
        if not as_str(ref.get("uid")):
            errs.append(field_invalid(path.child("uid"), as_str(ref.get("uid")), "must not be empty"))
        if (group, version, kind) == ("", "v1", "Event"):
            errs.append(field_invalid(path, GoLiteral(_go_owner_ref(ref)), "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller") is True:
            cur = f"{kind}/{as_str(ref.get('name'))}"
            if first_controller:
                shown = GoLiteral("[]v1.OwnerReference{" + ", ".join(_go_owner_ref(as_dict(r)) for r in refs) + "}")
                errs.append(
                    field_invalid(
                        path,
                        shown,
                        'Only one reference can have Controller set to true. Found "true" in references for '
                        f"{first_controller} and {cur}",
                    )
                )
            else:
                first_controller = cur
    return errs


def _finalizers(finalizers: list, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for f in finalizers:
        f = f if isinstance(f, str) else ""
        errs += [field_invalid(path, f, msg) for msg in qualified_name(f)]
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        errs.append(
            field_invalid(path, go_string_slice(finalizers), "finalizer orphan and foregroundDeletion cannot be both set")
        )
    return errs


def kube_finalizer_name(name: Any, path: FieldPath) -> list[FieldError]:
    """validateKubeFinalizerName: a finalizer without a '/' must be a standard one."""
    name = name if isinstance(name, str) else ""
    if "/" not in name and name not in _STANDARD_FINALIZERS:
        return [field_invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified")]
    return []


def _go_rune(ch: str) -> str:
    code = ord(ch)
    return f"U+{code:04X}"


def _field_manager(manager: str, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    if len(manager) > 128:
        errs.append(field_too_long(path, manager, 128))
    pos = 0
    for ch in manager:
        if not ch.isprintable():
            errs.append(field_invalid(path, manager, f"invalid character {_go_rune(ch)} (at position {pos})"))
        pos += len(ch.encode())
    return errs


def _managed_fields(entries: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, e in enumerate(as_list(entries)):
        e = as_dict(e)
        p = path.index(i)
        op = as_str(e.get("operation"))
        if op not in ("Apply", "Update"):
            errs.append(field_invalid(p.child("operation"), op, "must be `Apply` or `Update`"))
        ft = as_str(e.get("fieldsType"))
        if ft and ft != "FieldsV1":
            errs.append(field_invalid(p.child("fieldsType"), ft, "must be `FieldsV1`"))
        errs += _field_manager(as_str(e.get("manager")), p.child("manager"))
        sub = as_str(e.get("subresource"))
        if len(sub) > 256:
            errs.append(field_too_long(p.child("subresource"), sub, 256))
    return errs


# ---------------------------------------------------------------------------------------------------------------
# ObjectMeta
# ---------------------------------------------------------------------------------------------------------------

_META = FieldPath("metadata")


def object_meta(
    meta: Any,
    namespaced: bool | None,
    name_fn: NameFunc,
    path: FieldPath = _META,
    *,
    kube_finalizers: bool = True,
) -> list[FieldError]:
    """ValidateObjectMeta for a new object. ``namespaced`` None skips the namespace rule (unknown scope)."""
    meta = as_dict(meta)
    errs: list[FieldError] = []
    gen_name = as_str(meta.get("generateName"))
    if gen_name:
        errs += [field_invalid(path.child("generateName"), gen_name, msg) for msg in name_fn(gen_name, True)]
    name = as_str(meta.get("name"))
    if not name:
        errs.append(field_required(path.child("name"), "name or generateName is required"))
    else:
        errs += [field_invalid(path.child("name"), name, msg) for msg in name_fn(name, False)]
    ns = as_str(meta.get("namespace"))
    if namespaced is True:
        if not ns:
            errs.append(field_required(path.child("namespace"), ""))
        else:
            errs += [field_invalid(path.child("namespace"), ns, msg) for msg in name_is_dns_label(ns, False)]
    elif namespaced is False and ns:
        errs.append(field_forbidden(path.child("namespace"), "not allowed on this type"))
    errs += nonnegative(meta.get("generation"), path.child("generation"))
    errs += validate_labels(meta.get("labels"), path.child("labels"))
    errs += validate_annotations(meta.get("annotations"), path.child("annotations"))
    errs += _owner_references(meta.get("ownerReferences"), path.child("ownerReferences"))
    finalizers = as_list(meta.get("finalizers"))
    errs += _finalizers(finalizers, path.child("finalizers"))
    errs += _managed_fields(meta.get("managedFields"), path.child("managedFields"))
    if kube_finalizers:
        for i, f in enumerate(finalizers):
            errs += kube_finalizer_name(f, path.child("finalizers").index(i))
    return errs


def _ptr_int(v: Any) -> Any:
    return v if is_int(v) else "null"


def object_meta_update(new: Any, old: Any, path: FieldPath = _META, *, kube_finalizers: bool = True) -> list[FieldError]:
    """ValidateObjectMetaUpdate."""
    new, old = as_dict(new), as_dict(old)
    errs: list[FieldError] = []
    new_fin = as_list(new.get("finalizers"))
    if old.get("deletionTimestamp") is not None:
        extra = sorted({f for f in new_fin if isinstance(f, str)} - {f for f in as_list(old.get("finalizers")) if isinstance(f, str)})
        if extra:
            errs.append(
                field_forbidden(
                    path.child("finalizers"),
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    + go_string_slice(extra).text,
                )
            )
    rv = as_str(new.get("resourceVersion"))
    if not rv:
        errs.append(field_invalid(path.child("resourceVersion"), rv, "must be specified for an update"))
    new_gen = new.get("generation") if is_int(new.get("generation")) else 0
    old_gen = old.get("generation") if is_int(old.get("generation")) else 0
    if new_gen < old_gen:
        errs.append(field_invalid(path.child("generation"), new_gen, "must not be decremented"))
    for key in ("name", "namespace", "uid"):
        nv, ov = as_str(new.get(key)), as_str(old.get(key))
        if nv != ov:
            errs.append(field_invalid(path.child(key), nv, FIELD_IMMUTABLE))
    nct, oct_ = new.get("creationTimestamp"), old.get("creationTimestamp")
    if not sem_equal(nct, oct_):
        errs.append(field_invalid(path.child("creationTimestamp"), go_time(nct or "0001-01-01T00:00:00Z"), FIELD_IMMUTABLE))
    ndt, odt = new.get("deletionTimestamp"), old.get("deletionTimestamp")
    if ndt != odt:
        errs.append(field_invalid(path.child("deletionTimestamp"), go_time(ndt), FIELD_IMMUTABLE))
    ngp, ogp = new.get("deletionGracePeriodSeconds"), old.get("deletionGracePeriodSeconds")
    if ngp != ogp:
        errs.append(field_invalid(path.child("deletionGracePeriodSeconds"), _ptr_int(ngp), FIELD_IMMUTABLE))
    errs += validate_labels(new.get("labels"), path.child("labels"))
    errs += validate_annotations(new.get("annotations"), path.child("annotations"))
    errs += _owner_references(new.get("ownerReferences"), path.child("ownerReferences"))
    errs += _managed_fields(new.get("managedFields"), path.child("managedFields"))
    if kube_finalizers:
        for i, f in enumerate(new_fin):
            errs += kube_finalizer_name(f, path.child("finalizers").index(i))
    return errs


_OBJECT_META_FIELDS = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
)


def template_object_meta(meta: Any, path: FieldPath) -> list[FieldError]:
    """ValidateTemplateObjectMeta (ephemeral volume claim templates): only labels and annotations may be set."""
    meta = as_dict(meta)
    errs = validate_annotations(meta.get("annotations"), path.child("annotations"))
    errs += validate_labels(meta.get("labels"), path.child("labels"))
    for k in _OBJECT_META_FIELDS:
        if k in ("labels", "annotations"):
            continue
        if meta.get(k) not in (None, "", 0, [], {}, False):
            errs.append(field_forbidden(path.child(k), "cannot be set"))
    return errs
