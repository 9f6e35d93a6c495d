"""Subresources with their own shapes: ``scale`` (autoscaling/v1 Scale), ``pods/binding`` and ``pods/eviction``.

- scale: GET answers a Scale built from the parent's ``spec.replicas``, ``status.replicas`` and selector; PUT and
  PATCH (patch types as for any resource) change only the parent's ``spec.replicas``, conditional on the Scale's
  resourceVersion when given.
- binding: sets ``spec.nodeName`` of an unbound pod and marks it PodScheduled (409 if already bound).
- eviction: checks the PodDisruptionBudgets that select the pod (429 when one allows no disruption, as upstream)
  and then deletes the pod with the eviction's delete options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from kybernetes.api.catalogue import ResourceInfo
from kybernetes.machinery import errors
from kybernetes.machinery.labels import selector_from_dict

from .negotiation import json_response, read_body
from .registry import DeleteOptions, now_rfc3339

if TYPE_CHECKING:
    from .handlers import ResourceAPI

__all__ = ["serve_scale", "serve_binding", "serve_eviction"]


def _selector_string(info: ResourceInfo, obj: dict) -> str:
    spec = obj.get("spec") or {}
    sel = spec.get("selector")
    if info.plural == "replicationcontrollers":
        sel = {"matchLabels": sel or {}}
    if not sel:
        return ""
    try:
        return str(selector_from_dict(sel))
    except ValueError:
        return ""


def to_scale(info: ResourceInfo, obj: dict) -> dict:
    md = obj.get("metadata") or {}
    status: dict[str, Any] = {"replicas": (obj.get("status") or {}).get("replicas", 0)}
    sel = _selector_string(info, obj)
    if sel:
        status["selector"] = sel
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in md},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": status,
    }


async def serve_scale(api: ResourceAPI, request: web.BaseRequest, info: ResourceInfo, namespace: str, name: str,
                      verb: str) -> web.Response:
    reg = api.registry_for(info)
    if verb == "get":
        return json_response(to_scale(info, api._from_storage(info, await reg.get(namespace, name))))
    from .handlers import _dry_run

    dry = _dry_run(request)
    body, ctype = await read_body(request)
    precondition: list[str | None] = [None]

    def new_replicas(current_scale: dict) -> int:
        if verb == "update":
            scale = body
        else:
            scale = api._apply_patch(_SCALE_INFO, ctype, current_scale, body)
        if not isinstance(scale, dict):
            raise errors.bad_request("Scale must be an object")
        if scale.get("kind") not in (None, "Scale"):
            raise errors.bad_request(f"the kind of the data ({scale.get('kind')}) is not Scale")
        precondition[0] = (scale.get("metadata") or {}).get("resourceVersion") or None
        if verb == "update" and precondition[0] and precondition[0] != current_scale["metadata"].get(
                "resourceVersion"):
            raise errors.conflict(info.group, info.plural, name, errors.OPTIMISTIC_LOCK_ERROR_MSG)
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool):
            raise errors.bad_request(f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
                                     f'{type(replicas).__name__} into Go struct field ScaleSpec.spec.replicas of '
                                     f'type int32')
        if replicas < 0:
            raise errors.invalid("autoscaling", "Scale", name, [errors.field_invalid(
                "spec.replicas", replicas, "must be greater than or equal to 0")])
        return replicas

    def mutate(current: dict | None) -> dict:
        assert current is not None
        served = api._from_storage(info, current)
        replicas = new_replicas(to_scale(info, served))
        served.setdefault("spec", {})["replicas"] = replicas
        return api._to_storage(info, served)

    stored, _ = await reg.update(namespace, name, mutate, dry_run=dry)
    return json_response(to_scale(info, api._from_storage(info, stored)))


class _ScaleInfo:
    group = "autoscaling"
    version = "v1"
    kind = "Scale"


_SCALE_INFO: Any = _ScaleInfo()


def _success(code: int = 201) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}


async def serve_binding(api: ResourceAPI, request: web.BaseRequest, info: ResourceInfo, namespace: str,
                        name: str, body: Any = None) -> web.Response:
    """POST pods/{name}/binding (and the ``bindings`` resource, which the caller maps here with the ``body`` it
    read)."""
    if body is None:
        body, _ = await read_body(request)
    if not isinstance(body, dict):
        raise errors.bad_request("Binding must be an object")
    target = body.get("target") or {}
    node = target.get("name", "")
    bname = (body.get("metadata") or {}).get("name") or name
    if bname != name:
        raise errors.bad_request(f"the name of the object ({bname}) does not match the name on the URL ({name})")
    if not node:
        raise errors.invalid("", "Binding", name, [errors.field_required("target.name", "")])
    if target.get("kind") not in (None, "", "Node"):
        raise errors.invalid("", "Binding", name, [errors.field_not_supported("target.kind", target.get("kind"),
                                                                               ["Node", "<empty>"])])
    from .handlers import _dry_run

    dry = _dry_run(request)
    pods = api.registries[("", "pods")]

    def mutate(current: dict | None) -> dict:
        assert current is not None
        md = current["metadata"]
        if md.get("deletionTimestamp"):
            raise errors.conflict("", "pods/binding", name, f"pod {name} is being deleted, cannot be assigned to a host")
        spec = current.setdefault("spec", {})
        if spec.get("nodeName"):
            raise errors.conflict("", "pods/binding", name,
                                  f'pod {name} is already assigned to node "{spec["nodeName"]}"')
        spec["nodeName"] = node
        ann = (body.get("metadata") or {}).get("annotations") or {}
        if ann:
            md.setdefault("annotations", {}).update(ann)
        status = current.setdefault("status", {})
        conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": now_rfc3339()})
        status["conditions"] = conds
        return current

    await pods.update(namespace, name, mutate, subresource="binding", dry_run=dry)
    return json_response(_success(), 201)


_PDB_MSG = "Cannot evict pod as it would violate the pod's disruption budget."


async def serve_eviction(api: ResourceAPI, request: web.BaseRequest, info: ResourceInfo, namespace: str,
                         name: str) -> web.Response:
    body, _ = await read_body(request)
    if not isinstance(body, dict):
        raise errors.bad_request("Eviction must be an object")
    ename = (body.get("metadata") or {}).get("name") or name
    if ename != name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    pods = api.registries[("", "pods")]
    pod = await pods.get(namespace, name)
    opts_body = body.get("deleteOptions") or {}
    opts = DeleteOptions(
        grace_period_seconds=opts_body.get("gracePeriodSeconds"),
        propagation_policy=opts_body.get("propagationPolicy"),
        precondition_uid=(opts_body.get("preconditions") or {}).get("uid"),
        precondition_rv=(opts_body.get("preconditions") or {}).get("resourceVersion"),
        dry_run=bool(opts_body.get("dryRun")) or bool(request.query.getall("dryRun", [])),
    )
    phase = (pod.get("status") or {}).get("phase")
    md = pod["metadata"]
    ignore_pdb = phase in ("Succeeded", "Failed", "Pending") or bool(md.get("deletionTimestamp"))
    if not ignore_pdb:
        pdbs_reg = api.registries.get(("policy", "poddisruptionbudgets"))
        matching = []
        if pdbs_reg is not None:
            labels = md.get("labels") or {}
            for pdb in (await pdbs_reg.list(namespace)).items:
                sel = (pdb.get("spec") or {}).get("selector")
                if sel is None:
                    continue
                try:
                    if selector_from_dict(sel).matches(labels):
                        matching.append(pdb)
                except ValueError:
                    continue
        if len(matching) > 1:
            raise errors.internal_error(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
        if matching:
            pdb = matching[0]
            pmd = pdb["metadata"]
            status = pdb.get("status") or {}
            if status.get("observedGeneration", 0) < pmd.get("generation", 1):
                raise _too_many(f"The disruption budget {pmd['name']} is still being processed by the server.")
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in (pod.get("status") or {}).get("conditions") or ())
            policy = (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") or "IfHealthyBudget"
            if not ready and (policy == "AlwaysAllow" or (
                    status.get("desiredHealthy", 0) > 0
                    and status.get("currentHealthy", 0) >= status.get("desiredHealthy", 0))):
                # an unhealthy pod does not count towards the budget: evict it without taking a disruption,
                # as long as it is still the pod that was checked
                opts.precondition_rv = opts.precondition_rv or md.get("resourceVersion")
                await pods.delete(namespace, name, opts)
                return json_response(_success(), 201)
            if status.get("disruptionsAllowed", 0) <= 0:
                raise _too_many(
                    f"The disruption budget {pmd['name']} needs {status.get('desiredHealthy', 0)} healthy pods and "
                    f"has {status.get('currentHealthy', 0)} currently")
            if not opts.dry_run:
                def take(cur: dict | None) -> dict:
                    assert cur is not None
                    st = cur.setdefault("status", {})
                    if st.get("disruptionsAllowed", 0) <= 0:
                        raise _too_many(f"The disruption budget {pmd['name']} needs "
                                        f"{st.get('desiredHealthy', 0)} healthy pods and has "
                                        f"{st.get('currentHealthy', 0)} currently")
                    st["disruptionsAllowed"] -= 1
                    st.setdefault("disruptedPods", {})[name] = now_rfc3339()
                    return cur

                await pdbs_reg.update(namespace, pmd["name"], take, subresource="status")  # type: ignore[union-attr]
    await pods.delete(namespace, name, opts)
    return json_response(_success(), 201)


def _too_many(cause_message: str) -> errors.StatusError:
    err = errors.too_many_requests(_PDB_MSG)
    details = dict(err.details or {})
    details["causes"] = [{"reason": "DisruptionBudget", "message": cause_message}]
    err.details = details
    return err

