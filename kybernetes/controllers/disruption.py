"""The disruption controller: PodDisruptionBudget status, which the eviction API consults before evicting.

For each PodDisruptionBudget it recomputes, from the pods its selector picks in its namespace (a missing selector
picks none, an empty one all):

- ``expectedPods`` and ``desiredHealthy``:
  - ``maxUnavailable`` (int or percent): expected = the summed scale of the pods' controllers; desired = expected
    minus maxUnavailable (a percent of expected, rounded up), never below 0;
  - ``minAvailable`` as an int: desired = that number, expected = the number of selected pods;
  - ``minAvailable`` as a percent: expected = the summed scale, desired = the percent of it, rounded up;
  the scale of a controller is read as upstream does: a ReplicationController's, a StatefulSet's or a
  ReplicaSet's ``spec.replicas`` (a Deployment's for a ReplicaSet a Deployment controls), else the owner's
  ``scale`` subresource (any kind that has one, custom resources included).  Pods without a controller are
  "unmanaged": they count for nothing and a Warning event ``UnmanagedPods`` says so;
- ``currentHealthy``: selected pods that are Ready, not being deleted and not listed in ``disruptedPods``;
- ``disruptedPods``: the eviction API adds a pod when it approves its eviction; the entry is dropped once the pod
  is being deleted or gone, or two minutes after the eviction (event ``NotDeleted``); the budget is looked at again
  when the earliest entry expires;
- ``disruptionsAllowed`` = currentHealthy - desiredHealthy (0 when negative or when nothing is expected);
- ``observedGeneration`` and the ``DisruptionAllowed`` condition: True/``SufficientPods`` when disruptions are
  allowed, False/``InsufficientPods`` otherwise.

When the computation fails (a pod's controller cannot be found, an owner without a scale subresource, a bad
percent) the controller fails safe: ``disruptionsAllowed`` 0 and DisruptionAllowed False with reason
``SyncFailed`` and the error as message; observedGeneration is left as it was.  The status is written only when it
changed.

A second loop resets stale ``DisruptionTarget`` pod conditions: a pod marked True (by an eviction or a taint
manager) that is still not being deleted two minutes later gets the condition set to False.

``unhealthyPodEvictionPolicy`` (IfHealthyBudget / AlwaysAllow) is not read here: it decides at eviction time, in
the API server's eviction subresource, whether a not-Ready pod may be evicted although the budget is exhausted.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import time
from datetime import datetime, timezone
from typing import Any

from kybernetes.api.catalogue import builtin_catalogue
from kybernetes.client.informer import INDEX_NAMESPACE, object_key
from kybernetes.client.rest import resource_path
from kybernetes.client.workqueue import SHUTDOWN, WorkQueue
from kybernetes.controllers.base import Controller, ControllerContext, is_conflict, is_not_found
from kybernetes.machinery.labels import selector_from_dict

__all__ = ["DisruptionController", "DELETION_TIMEOUT", "STALE_POD_DISRUPTION_TIMEOUT", "scaled_value",
           "disruption_allowed_condition", "set_condition", "count_healthy", "build_disrupted_pods"]

log = logging.getLogger(__name__)

DELETION_TIMEOUT = 120.0  # seconds an evicted pod has to start terminating before it counts again
STALE_POD_DISRUPTION_TIMEOUT = 120.0
CONDITION_TYPE = "DisruptionAllowed"
REASON_SUFFICIENT = "SufficientPods"
REASON_INSUFFICIENT = "InsufficientPods"
REASON_SYNC_FAILED = "SyncFailed"
_CATALOGUE = builtin_catalogue()


class ExpectedCountError(Exception):
    """The budget's expected pod count cannot be computed (upstream fails safe on these)."""


def _now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int as is, ``"N%"`` of ``total`` (rounded up or down); raises
    ExpectedCountError for other strings."""
    if isinstance(value, bool):
        raise ExpectedCountError(f"invalid value for IntOrString: invalid type: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if not value.endswith("%"):
            raise ExpectedCountError("invalid value for IntOrString: invalid type: string is not a percentage")
        try:
            pct = int(value[:-1])
        except ValueError:
            raise ExpectedCountError(f"invalid value for IntOrString: invalid value {value!r}") from None
        exact = pct * total / 100
        return int(math.ceil(exact)) if round_up else int(math.floor(exact))
    raise ExpectedCountError(f"invalid value for IntOrString: {value!r}")


def _is_ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def count_healthy(pods: list[dict[str, Any]], disrupted: dict[str, str], now: float) -> int:
    """Ready pods that are neither being deleted nor (recently) approved for eviction."""
    n = 0
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        t = _parse_time(disrupted.get(meta.get("name", "")))
        if t is not None and t + DELETION_TIMEOUT > now:
            continue
        if _is_ready(pod):
            n += 1
    return n


def build_disrupted_pods(pods: list[dict[str, Any]], disrupted: dict[str, str] | None,
                         now: float) -> tuple[dict[str, str], float | None, list[dict[str, Any]]]:
    """The disruptedPods map to keep (entries of live, not-terminating pods within the deletion timeout), the
    earliest time an entry expires, and the pods whose entry expired without a deletion."""
    kept: dict[str, str] = {}
    recheck: float | None = None
    expired: list[dict[str, Any]] = []
    if not disrupted:
        return kept, recheck, expired
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        when = disrupted.get(meta.get("name", ""))
        if when is None:
            continue
        t = _parse_time(when)
        expected = (t if t is not None else 0.0) + DELETION_TIMEOUT
        if expected < now:
            expired.append(pod)
        else:
            recheck = expected if recheck is None else min(recheck, expected)
            kept[meta["name"]] = when
    return kept, recheck, expired


def set_condition(conditions: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """apimeta.SetStatusCondition on a copy: replace the condition of the same type, keeping its
    lastTransitionTime unless the status changes; new conditions get the current time."""
    out = [dict(c) for c in conditions]
    for c in out:
        if c.get("type") == new["type"]:
            if c.get("status") != new["status"]:
                c["status"] = new["status"]
                c["lastTransitionTime"] = new.get("lastTransitionTime") or _now_rfc3339()
            for k in ("reason", "message", "observedGeneration"):
                c[k] = new.get(k, "" if k != "observedGeneration" else 0)
            if not c.get("observedGeneration"):
                c.pop("observedGeneration", None)
            return out
    cond = dict(new)
    cond.setdefault("lastTransitionTime", _now_rfc3339())
    if not cond.get("observedGeneration"):
        cond.pop("observedGeneration", None)
    out.append(cond)
    return out


def disruption_allowed_condition(status: dict[str, Any]) -> dict[str, Any]:
    """The DisruptionAllowed condition ``status`` calls for (pdbhelper.UpdateDisruptionAllowedCondition)."""
    allowed = (status.get("disruptionsAllowed") or 0) > 0
    return {"type": CONDITION_TYPE, "status": "True" if allowed else "False",
            "reason": REASON_SUFFICIENT if allowed else REASON_INSUFFICIENT, "message": "",
            "observedGeneration": status.get("observedGeneration") or 0}


def _conditions_up_to_date(pdb: dict[str, Any]) -> bool:
    status = pdb.get("status") or {}
    cond = next((c for c in status.get("conditions") or () if c.get("type") == CONDITION_TYPE), None)
    if cond is None or (status.get("observedGeneration") or 0) != (pdb["metadata"].get("generation") or 0):
        return False
    if (status.get("disruptionsAllowed") or 0) > 0:
        return cond.get("status") == "True" and cond.get("reason") == REASON_SUFFICIENT
    return cond.get("status") == "False" and cond.get("reason") == REASON_INSUFFICIENT


def _controller_ref(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def _group_of(api_version: str) -> tuple[str, str]:
    if "/" in api_version:
        g, v = api_version.split("/", 1)
        return g, v
    return "", api_version


class DisruptionController(Controller):
    """Keeps PodDisruptionBudget status current (see the module docstring).  Keys are PDB keys; a second queue
    holds pod keys whose DisruptionTarget condition may have gone stale."""

    name = "disruption"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.pods = ctx.informer("", "v1", "pods")
        self.pdbs = ctx.informer("policy", "v1", "poddisruptionbudgets")
        self.rcs = ctx.informer("", "v1", "replicationcontrollers")
        self.rss = ctx.informer("apps", "v1", "replicasets")
        self.deployments = ctx.informer("apps", "v1", "deployments")
        self.statefulsets = ctx.informer("apps", "v1", "statefulsets")
        self.recorder = ctx.recorder("controllermanager")
        self.stale_timeout = float(ctx.options.get("stale_pod_disruption_timeout", STALE_POD_DISRUPTION_TIMEOUT))
        self.pod_queue = WorkQueue(name="stale_pod_disruption")
        self._selectors: dict[str, tuple[str, Any]] = {}
        self.pdbs.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                    on_delete=self._pdb_deleted)
        self.pods.add_event_handler(on_add=self._pod_changed, on_update=lambda old, new: self._pod_changed(new),
                                    on_delete=self._pod_deleted)
        for inf in (self.rcs, self.rss, self.deployments, self.statefulsets):
            inf.add_event_handler(on_update=self._workload_updated, on_delete=self._workload_changed,
                                  on_add=self._workload_changed)

    # -- handlers (only enqueue) ----------------------------------------------------------------------------------

    def _selector(self, pdb: dict[str, Any]) -> Any:
        """The PDB's compiled selector (None selects nothing), cached per resourceVersion; raises ValueError."""
        key = object_key(pdb)
        rv = pdb["metadata"].get("resourceVersion", "")
        cached = self._selectors.get(key)
        if cached is not None and cached[0] == rv:
            return cached[1]
        sel = (pdb.get("spec") or {}).get("selector")
        compiled = selector_from_dict(sel) if sel is not None else None
        self._selectors[key] = (rv, compiled)
        return compiled

    def _pdbs_for_pod(self, pod: dict[str, Any]) -> list[dict[str, Any]]:
        meta = pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        out = []
        for pdb in self.pdbs.by_index(INDEX_NAMESPACE, meta.get("namespace", "")):
            try:
                sel = self._selector(pdb)
            except ValueError:
                continue
            if sel is not None and sel.matches(labels):
                out.append(pdb)
        return out

    def _pdb_for_pod(self, pod: dict[str, Any]) -> dict[str, Any] | None:
        pdbs = self._pdbs_for_pod(pod)
        if not pdbs:
            return None
        if len(pdbs) > 1:
            meta = pod["metadata"]
            msg = (f'Pod "{meta.get("namespace")}"/"{meta.get("name")}" matches multiple PodDisruptionBudgets.  '
                   f'Chose "{pdbs[0]["metadata"]["name"]}" arbitrarily.')
            self.recorder.event(pod, "Warning", "MultiplePodDisruptionBudgets", msg)
        return pdbs[0]

    def _pdb_deleted(self, pdb: dict[str, Any]) -> None:
        self._selectors.pop(object_key(pdb), None)
        self.enqueue(pdb)

    def _pod_changed(self, pod: dict[str, Any]) -> None:
        pdb = self._pdb_for_pod(pod)
        if pdb is not None:
            self.enqueue(pdb)
        has, after = self._stale_disruption(pod)
        if has:
            self.pod_queue.add_after(object_key(pod), after)

    def _pod_deleted(self, pod: dict[str, Any]) -> None:
        pdb = self._pdb_for_pod(pod)
        if pdb is not None:
            self.enqueue(pdb)

    def _workload_changed(self, obj: dict[str, Any]) -> None:
        for pdb in self.pdbs.by_index(INDEX_NAMESPACE, (obj.get("metadata") or {}).get("namespace", "")):
            self.enqueue(pdb)

    def _workload_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if (old.get("spec") or {}).get("replicas") != (new.get("spec") or {}).get("replicas") or \
                _controller_ref(old) != _controller_ref(new):
            self._workload_changed(new)

    # -- running ---------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await super().start()
        self.spawn(self._pod_worker(), name="disruption-stale-pods")

    async def stop(self) -> None:
        self.pod_queue.shut_down()
        await super().stop()

    async def _pod_worker(self) -> None:
        while True:
            key = await self.pod_queue.get()
            if key is SHUTDOWN:
                return
            try:
                await self.sync_stale_pod(str(key))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried with back-off
                log.warning("disruption: clearing DisruptionTarget of %s failed: %s", key, exc)
                self.pod_queue.add_rate_limited(key)
            else:
                self.pod_queue.forget(key)
            finally:
                self.pod_queue.done(key)

    # -- stale DisruptionTarget conditions -------------------------------------------------------------------------

    def _stale_disruption(self, pod: dict[str, Any]) -> tuple[bool, float]:
        """(has a DisruptionTarget=True condition that may go stale, seconds until it is stale)."""
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            return False, 0.0
        status = pod.get("status") or {}
        cond = next((c for c in status.get("conditions") or () if c.get("type") == "DisruptionTarget"), None)
        if cond is None or cond.get("status") != "True" or cond.get("reason") == "TerminationByKubelet" or \
                status.get("phase") in ("Succeeded", "Failed"):
            return False, 0.0
        since = _parse_time(cond.get("lastTransitionTime")) or time.time()
        return True, max(0.0, self.stale_timeout - (time.time() - since))

    async def sync_stale_pod(self, key: str) -> None:
        """Set a stale DisruptionTarget condition of pod ``key`` to False.  Raises StatusError to retry."""
        pod = self.pods.get(key)
        if pod is None:
            return
        has, after = self._stale_disruption(pod)
        if not has:
            return
        if after > 0:
            self.pod_queue.add_after(key, after)
            return
        ns, _, name = key.partition("/")
        body = {"metadata": {"uid": pod["metadata"].get("uid")},
                "status": {"conditions": [{"type": "DisruptionTarget", "status": "False",
                                           "lastTransitionTime": _now_rfc3339()}]}}
        try:
            await self.client.patch(resource_path("", "v1", "pods", ns, name, "status"), body, "strategic")
        except Exception as exc:  # noqa: BLE001
            if not is_not_found(exc):
                raise

    # -- expected counts -------------------------------------------------------------------------------------------

    async def _scale_of(self, ref: dict[str, Any], namespace: str) -> tuple[str, int] | None:
        """(uid, replicas) of the controller ``ref`` names, trying upstream's finders in order; None when none
        finds it.  Raises ExpectedCountError for an owner kind that cannot be scaled."""
        group, version = _group_of(ref.get("apiVersion", ""))
        kind, name, uid = ref.get("kind"), ref.get("name", ""), ref.get("uid")
        key = f"{namespace}/{name}"
        replicas = lambda o: int(((o.get("spec") or {}).get("replicas", 1)))  # noqa: E731
        if kind == "ReplicationController" and group == "":
            rc = self.rcs.get(key)
            if rc is not None and rc["metadata"].get("uid") == uid:
                return uid, replicas(rc)
        if kind == "ReplicaSet" and group in ("apps", "extensions"):
            rs = self.rss.get(key)
            if rs is not None and rs["metadata"].get("uid") == uid:
                owner = _controller_ref(rs)
                if owner is not None and owner.get("kind") == "Deployment":
                    if _group_of(owner.get("apiVersion", ""))[0] in ("apps", "extensions"):
                        dep = self.deployments.get(f"{namespace}/{owner.get('name')}")
                        if dep is not None and dep["metadata"].get("uid") == owner.get("uid"):
                            return dep["metadata"]["uid"], replicas(dep)
                else:
                    return uid, replicas(rs)
        if kind == "StatefulSet" and group == "apps":
            ss = self.statefulsets.get(key)
            if ss is not None and ss["metadata"].get("uid") == uid:
                return uid, replicas(ss)
        return await self._generic_scale(group, version, kind or "", name, uid, namespace)

    async def _resource_for(self, group: str, version: str, kind: str) -> tuple[str, bool]:
        """(plural, has a scale subresource) of a kind, from the built-in catalogue or discovery."""
        info = _CATALOGUE.by_kind(group, version, kind)
        if info is not None:
            return info.plural, info.subresource("scale") is not None
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            doc = await self.client.get(path)
        except Exception as exc:  # noqa: BLE001
            if is_not_found(exc):
                raise ExpectedCountError(f'no matches for kind "{kind}" in version "{group}/{version}"') from None
            raise
        names = [r.get("name", "") for r in doc.get("resources") or ()]
        for r in doc.get("resources") or ():
            if r.get("kind") == kind and "/" not in r.get("name", ""):
                return r["name"], f"{r['name']}/scale" in names
        raise ExpectedCountError(f'no matches for kind "{kind}" in version "{group}/{version}"')

    async def _generic_scale(self, group: str, version: str, kind: str, name: str, uid: str | None,
                             namespace: str) -> tuple[str, int] | None:
        plural, scalable = await self._resource_for(group, version, kind)
        try:
            scale = await self.client.get(resource_path(group, version, plural, namespace, name, "scale"))
        except Exception as exc:  # noqa: BLE001
            if not is_not_found(exc):
                raise
            if not scalable:
                gr = f"{plural}.{group}" if group else plural
                raise ExpectedCountError(f"{gr} does not implement the scale subresource") from None
            return None
        if (scale.get("metadata") or {}).get("uid") != uid:
            return None
        return uid or "", int((scale.get("spec") or {}).get("replicas") or 0)

    async def _expected_scale(self, pods: list[dict[str, Any]]) -> tuple[int, list[str]]:
        scales: dict[str, int] = {}
        seen: set[str] = set()
        unmanaged: list[str] = []
        for pod in pods:
            ref = _controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in seen:
                continue
            found = await self._scale_of(ref, pod["metadata"].get("namespace", ""))
            if found is None:
                raise ExpectedCountError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            seen.add(ref.get("uid"))
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    async def expected_counts(self, pdb: dict[str, Any], pods: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
        """(expectedPods, desiredHealthy, unmanaged pod names) for ``pdb``; raises ExpectedCountError."""
        spec = pdb.get("spec") or {}
        expected = desired = 0
        unmanaged: list[str] = []
        if spec.get("maxUnavailable") is not None:
            expected, unmanaged = await self._expected_scale(pods)
            desired = max(0, expected - scaled_value(spec["maxUnavailable"], expected, True))
        elif spec.get("minAvailable") is not None:
            min_available = spec["minAvailable"]
            if isinstance(min_available, int) and not isinstance(min_available, bool):
                desired, expected = min_available, len(pods)
            else:
                expected, unmanaged = await self._expected_scale(pods)
                desired = scaled_value(min_available, expected, True)
        return expected, desired, unmanaged

    # -- sync ------------------------------------------------------------------------------------------------------

    def _pods_for(self, pdb: dict[str, Any]) -> list[dict[str, Any]]:
        selector = self._selector(pdb)
        if selector is None:
            return []
        return [p for p in self.pods.by_index(INDEX_NAMESPACE, pdb["metadata"].get("namespace", ""))
                if selector.matches((p.get("metadata") or {}).get("labels") or {})]

    async def sync(self, key: str) -> None:
        """Recompute the status of PDB ``key``; on a failed computation fail safe.  Raises to retry (conflicts and
        write errors)."""
        pdb = self.pdbs.get(key)
        if pdb is None:
            return
        try:
            await self._try_sync(pdb)
        except Exception as exc:
            if is_conflict(exc):
                raise
            log.info("disruption: failed to sync %s: %s", key, exc)
            await self._fail_safe(pdb, exc)

    async def _try_sync(self, pdb: dict[str, Any]) -> None:
        try:
            pods = self._pods_for(pdb)
        except ValueError as exc:
            self.recorder.event(pdb, "Warning", "NoPods", f"Failed to get pods: {exc}")
            raise
        if not pods:
            self.recorder.event(pdb, "Normal", "NoPods", "No matching pods found")
        try:
            expected, desired, unmanaged = await self.expected_counts(pdb, pods)
        except ExpectedCountError as exc:
            self.recorder.event(pdb, "Warning", "CalculateExpectedPodCountFailed",
                                f"Failed to calculate the number of expected pods: {exc}")
            raise
        if unmanaged:
            self.recorder.event(
                pdb, "Warning", "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: {_selector_text(pdb)}) were found to be "
                "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in "
                "undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB "
                "to an integer value.")
        now = time.time()
        status = pdb.get("status") or {}
        disrupted, recheck, expired = build_disrupted_pods(pods, status.get("disruptedPods"), now)
        for pod in expired:
            ns = pdb["metadata"].get("namespace")
            # Upstream names the namespace twice here; kept for identical event text.
            self.recorder.event(pod, "Warning", "NotDeleted",
                                f"Pod was expected by PDB {ns}/{ns} to be deleted but it wasn't")
        healthy = count_healthy(pods, disrupted, now)
        await self._update_status(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            self.enqueue_after(pdb, max(0.0, recheck - now))

    async def _update_status(self, pdb: dict[str, Any], healthy: int, desired: int, expected: int,
                             disrupted: dict[str, str]) -> None:
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        status = pdb.get("status") or {}
        generation = pdb["metadata"].get("generation") or 0
        if (status.get("currentHealthy", 0) == healthy and status.get("desiredHealthy", 0) == desired
                and status.get("expectedPods", 0) == expected and status.get("disruptionsAllowed", 0) == allowed
                and (status.get("disruptedPods") or {}) == disrupted
                and (status.get("observedGeneration") or 0) == generation and _conditions_up_to_date(pdb)):
            return
        new_status: dict[str, Any] = {"observedGeneration": generation, "disruptionsAllowed": allowed,
                                      "currentHealthy": healthy, "desiredHealthy": desired,
                                      "expectedPods": expected}
        if disrupted:
            new_status["disruptedPods"] = disrupted
        new_status["conditions"] = set_condition(status.get("conditions") or [],
                                                 disruption_allowed_condition(new_status))
        await self._write(pdb, new_status)

    async def _fail_safe(self, pdb: dict[str, Any], err: BaseException) -> None:
        """disruptionsAllowed 0 and DisruptionAllowed False/SyncFailed (observedGeneration untouched)."""
        status = copy.deepcopy(pdb.get("status") or {})
        status["disruptionsAllowed"] = 0
        status["conditions"] = set_condition(status.get("conditions") or [], {
            "type": CONDITION_TYPE, "status": "False", "reason": REASON_SYNC_FAILED, "message": str(err),
            "observedGeneration": status.get("observedGeneration") or 0})
        if status == (pdb.get("status") or {}):
            return
        await self._write(pdb, status)

    async def _write(self, pdb: dict[str, Any], status: dict[str, Any]) -> None:
        meta = pdb["metadata"]
        body = copy.deepcopy(pdb)
        body["status"] = status
        await self.client.update(resource_path("policy", "v1", "poddisruptionbudgets", meta.get("namespace", ""),
                                               meta["name"], "status"), body)


def _selector_text(pdb: dict[str, Any]) -> str:
    """The selector as Go's %v prints a *LabelSelector (its generated String method)."""
    sel = (pdb.get("spec") or {}).get("selector") or {}
    labels = "".join(f"{k}: {v}," for k, v in sorted((sel.get("matchLabels") or {}).items()))
    exprs = "".join(f"LabelSelectorRequirement{{Key:{e.get('key')},Operator:{e.get('operator')},"
                    f"Values:[{' '.join(e.get('values') or [])}],}}," for e in sel.get("matchExpressions") or [])
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")
