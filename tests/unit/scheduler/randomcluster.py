"""Random nodes and pods for the equivalence tests of the scheduler's fast paths (bulk arrays, memoization).

Everything the fast paths special-case shows up: nodes without cpu or memory, nodes whose numbers are too large
for exact array arithmetic, full nodes, taints of every effect, cordoned nodes, host ports in use, extended
resources, images; pods with and without requests, zero requests, huge requests, tolerations, node selectors,
host ports, extended resources and init containers.  Pods are drawn from small choice sets so that many are
identical (memoization must then answer for them).
"""

from __future__ import annotations

import random
from typing import Any

HUGE_MEMORY = "8Ei"  # 2**63 bytes: beyond exact array arithmetic
GPU = "example.com/gpu"

_TAINTS = [
    {"key": "dedicated", "value": "infra", "effect": "NoSchedule"},
    {"key": "spot", "value": "true", "effect": "PreferNoSchedule"},
    {"key": "maintenance", "effect": "NoExecute"},
    {"key": "gpu", "value": "yes", "effect": "PreferNoSchedule"},
]
_TOLERATIONS = [
    {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"},
    {"key": "spot", "operator": "Exists"},
    {"operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def node(rng: random.Random, name: str) -> dict[str, Any]:
    alloc: dict[str, str] = {"pods": rng.choice(["0", "1", "3", "110"])}
    cpu = rng.choice([None, "0", "1", "4", "500m", "32", "-1" if rng.random() < 0.2 else "2"])
    if cpu is not None:
        alloc["cpu"] = cpu
    mem = rng.choice([None, "0", "1Gi", "32Gi", "256Gi", HUGE_MEMORY if rng.random() < 0.3 else "64Gi"])
    if mem is not None:
        alloc["memory"] = mem
    if rng.random() < 0.3:
        alloc["ephemeral-storage"] = rng.choice(["0", "10Gi", "100Gi"])
    if rng.random() < 0.2:
        alloc[GPU] = rng.choice(["0", "1", "4"])
    spec: dict[str, Any] = {}
    if rng.random() < 0.3:
        spec["taints"] = rng.sample(_TAINTS, rng.randint(1, 2))
    if rng.random() < 0.1:
        spec["unschedulable"] = True
    status: dict[str, Any] = {"allocatable": alloc}
    if rng.random() < 0.2:
        status["images"] = [{"names": ["docker.io/library/busybox:latest"], "sizeBytes": 500 * 1024 * 1024}]
    labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": rng.choice(["a", "b", "c"]),
              "disk": rng.choice(["ssd", "hdd"])}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}, "spec": spec,
            "status": status}


def pod(rng: random.Random, name: str, *, node_name: str = "", namespace: str = "ns") -> dict[str, Any]:
    req: dict[str, str] = {}
    cpu = rng.choice([None, None, "0", "100m", "100m", "1", "3"])
    if cpu is not None:
        req["cpu"] = cpu
    mem = rng.choice([None, "0", "500Mi", "500Mi", "20Gi", HUGE_MEMORY if rng.random() < 0.05 else "1Gi"])
    if mem is not None:
        req["memory"] = mem
    if rng.random() < 0.1:
        req["ephemeral-storage"] = rng.choice(["1Gi", "50Gi"])
    if rng.random() < 0.1:
        req[GPU] = "1"
    c: dict[str, Any] = {"name": "c", "image": rng.choice(["busybox", "registry.k8s.io/pause:3.10"])}
    if req:
        c["resources"] = {"requests": req}
    if rng.random() < 0.15:
        c["ports"] = [{"containerPort": 80, "hostPort": rng.choice([80, 8080])}]
    spec: dict[str, Any] = {"schedulerName": "default-scheduler", "priority": 0, "containers": [c]}
    if rng.random() < 0.1:
        spec["initContainers"] = [{"name": "init", "image": "busybox",
                                   "resources": {"requests": {"cpu": "2", "memory": "1Gi"}}}]
    if rng.random() < 0.4:
        spec["tolerations"] = rng.sample(_TOLERATIONS, rng.randint(1, 2))
    if rng.random() < 0.2:
        spec["nodeSelector"] = {"disk": rng.choice(["ssd", "hdd"])}
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "resourceVersion": "1",
                         "labels": {"app": rng.choice(["web", "db"])}},
            "spec": spec, "status": {"phase": "Running" if node_name else "Pending"}}
