"""A container's environment, computed as the kubelet does (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables).

Order and precedence: service links first (``<SVC>_SERVICE_HOST``... for the Services of the pod's namespace when
``enableServiceLinks`` is not false, and always those of the ``kubernetes`` Service in ``default``), then
``envFrom`` sources in order (ConfigMaps and Secrets, with ``prefix``; keys that are not valid variable names are
skipped and reported), then ``env`` entries in order; a later definition replaces an earlier one.  ``env`` values
may refer to variables defined before them (and to service variables) with ``$(NAME)``; ``$$`` escapes a dollar;
references to undefined names stay as written.  ``command`` and ``args`` are expanded with the final environment.

Sources are passed in as lookups so this module does no I/O: ``configmaps(ns, name)`` and ``secrets(ns, name)``
return the object or None.  Missing required sources raise :class:`EnvError` (the kubelet reports
CreateContainerConfigError with the message).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

from kybernetes.machinery.quantity import parse_quantity

__all__ = ["EnvError", "expand", "container_env", "service_env", "expand_command"]

Lookup = Callable[[str, str], "dict[str, Any] | None"]

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class EnvError(Exception):
    """A required ConfigMap/Secret/key is missing, or a field reference cannot be resolved."""


def expand(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace ``$(NAME)`` with ``lookup(NAME)`` when defined; ``$$`` -> ``$``; everything else unchanged."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "$" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end != -1:
                    name = text[i + 2:end]
                    val = lookup(name)
                    out.append(val if val is not None else text[i:end + 1])
                    i = end + 1
                    continue
                out.append(text[i:])  # unterminated reference: kept as written
                break
            out.append("$" + nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _service_name(name: str) -> str:
    return name.upper().replace("-", "_")


def service_env(services: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Docker-link style variables for Services with a ClusterIP (``None``/headless ones are skipped)."""
    env: dict[str, str] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP") or ""
        if not ip or ip == "None":
            continue
        name = _service_name((svc.get("metadata") or {}).get("name", ""))
        ports = spec.get("ports") or []
        env[f"{name}_SERVICE_HOST"] = ip
        if not ports:
            continue
        first = ports[0]
        env[f"{name}_SERVICE_PORT"] = str(first.get("port"))
        for p in ports:
            if p.get("name"):
                env[f"{name}_SERVICE_PORT_{_service_name(p['name'])}"] = str(p.get("port"))
        host = f"[{ip}]" if ":" in ip else ip
        proto0 = (first.get("protocol") or "TCP").lower()
        env[f"{name}_PORT"] = f"{proto0}://{host}:{first.get('port')}"
        for p in ports:
            proto = (p.get("protocol") or "TCP")
            prefix = f"{name}_PORT_{p.get('port')}_{proto.upper()}"
            env[prefix] = f"{proto.lower()}://{host}:{p.get('port')}"
            env[f"{prefix}_PROTO"] = proto.lower()
            env[f"{prefix}_PORT"] = str(p.get("port"))
            env[f"{prefix}_ADDR"] = ip
    return env


def _field_ref(pod: Mapping[str, Any], path: str) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    simple = {
        "metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": status.get("hostIP", ""), "status.podIP": status.get("podIP", ""),
        "status.hostIPs": ",".join(a.get("ip", "") for a in status.get("hostIPs") or ()),
        "status.podIPs": ",".join(a.get("ip", "") for a in status.get("podIPs") or ()),
    }
    if path in simple:
        return str(simple[path])
    if path == "metadata.labels":
        return "\n".join(f'{k}="{v}"' for k, v in sorted((meta.get("labels") or {}).items()))
    if path == "metadata.annotations":
        return "\n".join(f'{k}="{v}"' for k, v in sorted((meta.get("annotations") or {}).items()))
    raise EnvError(f"unsupported fieldPath: {path}")


def resource_field_value(container: Mapping[str, Any], ref: Mapping[str, Any],
                         node_allocatable: Mapping[str, str]) -> str:
    """``limits.cpu``/``requests.memory``... of a container divided by ``divisor`` and rounded up (limits fall
    back to the node's allocatable when the container sets none), as the downward API defines."""
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    res = (container.get("resources") or {}).get(kind) or {}
    raw = res.get(name)
    if raw is None and kind == "limits":
        raw = node_allocatable.get(name)
    if raw is None:
        raw = "0"
    divisor = ref.get("divisor") or ("1" if name != "cpu" else "1")
    value = Decimal(parse_quantity(raw).numerator) / Decimal(parse_quantity(raw).denominator)
    div = parse_quantity(divisor)
    div_d = Decimal(div.numerator) / Decimal(div.denominator)
    if div_d == 0:
        raise EnvError(f"invalid divisor {divisor!r}")
    return str(int((value / div_d).to_integral_value(rounding=ROUND_CEILING)))


def _decode_secret(secret: Mapping[str, Any], key: str) -> str | None:
    data = secret.get("data") or {}
    if key in data:
        return base64.b64decode(data[key]).decode("utf-8", "replace")
    return None


def container_env(pod: Mapping[str, Any], container: Mapping[str, Any], *, configmaps: Lookup, secrets: Lookup,
                  services: Sequence[Mapping[str, Any]] = (), master_services: Sequence[Mapping[str, Any]] = (),
                  node_allocatable: Mapping[str, str] | None = None,
                  warn: Callable[[str], None] | None = None) -> list[tuple[str, str]]:
    """The ordered (name, value) pairs for one container.  ``services`` are the Services of the pod's namespace
    (used when enableServiceLinks is not false), ``master_services`` the ``kubernetes`` Service of ``default``.
    Raises EnvError for a missing required source."""
    ns = (pod.get("metadata") or {}).get("namespace", "")
    spec = pod.get("spec") or {}
    env: dict[str, str] = {}
    svc_env: dict[str, str] = {}
    if spec.get("enableServiceLinks", True) is not False:
        svc_env.update(service_env(services))
    svc_env.update(service_env(master_services))
    for src in container.get("envFrom") or ():
        prefix = src.get("prefix") or ""
        if src.get("configMapRef"):
            ref = src["configMapRef"]
            cm = configmaps(ns, ref.get("name", ""))
            if cm is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'configmap "{ref.get("name", "")}" not found')
            items = dict(cm.get("data") or {})
        elif src.get("secretRef"):
            ref = src["secretRef"]
            sec = secrets(ns, ref.get("name", ""))
            if sec is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'secret "{ref.get("name", "")}" not found')
            items = {k: _decode_secret(sec, k) or "" for k in (sec.get("data") or {})}
        else:
            continue
        invalid = []
        for k, v in items.items():
            name = prefix + k
            if not _ENV_NAME.match(name):
                invalid.append(name)
                continue
            env[name] = v
        if invalid and warn is not None:
            invalid.sort()
            warn(f"Keys [{', '.join(invalid)}] from the EnvFrom were skipped since they are invalid "
                 "environment variable names.")
    for ev in container.get("env") or ():
        name = ev.get("name", "")
        if "value" in ev or "valueFrom" not in ev:
            raw = ev.get("value") or ""

            def look(ref: str) -> str | None:
                if ref in env:
                    return env[ref]
                return svc_env.get(ref)

            env[name] = expand(raw, look)
            continue
        vf = ev["valueFrom"] or {}
        if vf.get("fieldRef"):
            env[name] = _field_ref(pod, vf["fieldRef"].get("fieldPath", ""))
        elif vf.get("resourceFieldRef"):
            ref = vf["resourceFieldRef"]
            target = container
            if ref.get("containerName"):
                target = next((c for c in spec.get("containers") or () if c.get("name") == ref["containerName"]),
                              container)
            env[name] = resource_field_value(target, ref, node_allocatable or {})
        elif vf.get("configMapKeyRef"):
            ref = vf["configMapKeyRef"]
            cm = configmaps(ns, ref.get("name", ""))
            value = None if cm is None else (cm.get("data") or {}).get(ref.get("key", ""))
            if value is None and cm is not None:
                bin_ = (cm.get("binaryData") or {}).get(ref.get("key", ""))
                value = base64.b64decode(bin_).decode("utf-8", "replace") if bin_ is not None else None
            if value is None:
                if ref.get("optional"):
                    continue
                if cm is None:
                    raise EnvError(f'configmap "{ref.get("name", "")}" not found')
                raise EnvError(f'couldn\'t find key {ref.get("key", "")} in ConfigMap {ns}/{ref.get("name", "")}')
            env[name] = value
        elif vf.get("secretKeyRef"):
            ref = vf["secretKeyRef"]
            sec = secrets(ns, ref.get("name", ""))
            value = None if sec is None else _decode_secret(sec, ref.get("key", ""))
            if value is None:
                if ref.get("optional"):
                    continue
                if sec is None:
                    raise EnvError(f'secret "{ref.get("name", "")}" not found')
                raise EnvError(f'couldn\'t find key {ref.get("key", "")} in Secret {ns}/{ref.get("name", "")}')
            env[name] = value
    out = dict(svc_env)
    out.update(env)
    return list(out.items())


def expand_command(words: Sequence[str] | None, env: Sequence[tuple[str, str]]) -> list[str]:
    """``command``/``args`` with ``$(VAR)`` expanded from the container's final environment."""
    table = dict(env)
    return [expand(w, table.get) for w in words or ()]
