"""Container environment: precedence, $(VAR) expansion, field and resource references, service links."""

import base64

import pytest

from kybernetes.kubelet.envvars import EnvError, container_env, expand, expand_command, service_env

POD = {"metadata": {"name": "p", "namespace": "ns", "uid": "u-1", "labels": {"app": "web"}},
       "spec": {"nodeName": "n1", "serviceAccountName": "default"},
       "status": {"podIP": "10.42.0.5", "podIPs": [{"ip": "10.42.0.5"}, {"ip": "fd42::5"}], "hostIP": "192.0.2.1"}}
CM = {"metadata": {"name": "cfg"}, "data": {"A": "1", "B": "two", "bad key": "x"}}
SECRET = {"metadata": {"name": "sec"}, "data": {"PASS": base64.b64encode(b"s3cret").decode()}}


def lookups():
    return ({("ns", "cfg"): CM}.get, {("ns", "sec"): SECRET}.get)


def env_of(container, **kw):
    cms, secs = lookups()
    return dict(container_env(POD, container, configmaps=lambda ns, n: cms((ns, n)),
                              secrets=lambda ns, n: secs((ns, n)), **kw))


def test_expand_rules():
    table = {"A": "x", "B": "y"}.get
    assert expand("$(A)-$(B)", table) == "x-y"
    assert expand("$$(A)", table) == "$(A)"
    assert expand("$(C)", table) == "$(C)"
    assert expand("$(A", table) == "$(A"
    assert expand("a$b", table) == "a$b"


def test_precedence_and_expansion():
    warnings = []
    env = env_of({"envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "P_"}],
                  "env": [{"name": "P_A", "value": "override"}, {"name": "X", "value": "$(P_A)/$(P_B)/$(NOPE)"},
                          {"name": "S", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "PASS"}}},
                          {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                          {"name": "IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
                          {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}]},
                 warn=warnings.append)
    assert env["P_A"] == "override" and env["P_B"] == "two"
    assert env["X"] == "override/two/$(NOPE)"
    assert env["S"] == "s3cret" and env["NODE"] == "n1" and env["IPS"] == "10.42.0.5,fd42::5" and env["APP"] == "web"
    assert "P_bad key" not in env and warnings and "P_bad key" in warnings[0]


def test_missing_sources():
    with pytest.raises(EnvError, match='configmap "nope" not found'):
        env_of({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}]})
    with pytest.raises(EnvError, match="couldn't find key Z in ConfigMap ns/cfg"):
        env_of({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "Z"}}}]})
    assert "A" not in env_of({"env": [{"name": "A", "valueFrom": {
        "secretKeyRef": {"name": "nope", "key": "k", "optional": True}}}]})


def test_resource_field_refs():
    c = {"name": "c", "resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "250m"}},
         "env": [{"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                 {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
                 {"name": "CPUR", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu"}}},
                 {"name": "LCPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}]}
    env = env_of(c, node_allocatable={"cpu": "2", "memory": "8Gi"})
    assert env["MEM"] == "64" and env["CPU"] == "250" and env["CPUR"] == "1" and env["LCPU"] == "2"


def test_service_links():
    svc = {"metadata": {"name": "redis-master"},
           "spec": {"clusterIP": "10.43.0.11", "ports": [{"name": "db", "port": 6379, "protocol": "TCP"}]}}
    env = service_env([svc])
    assert env["REDIS_MASTER_SERVICE_HOST"] == "10.43.0.11" and env["REDIS_MASTER_SERVICE_PORT"] == "6379"
    assert env["REDIS_MASTER_SERVICE_PORT_DB"] == "6379"
    assert env["REDIS_MASTER_PORT"] == "tcp://10.43.0.11:6379"
    assert env["REDIS_MASTER_PORT_6379_TCP_ADDR"] == "10.43.0.11"
    assert service_env([{"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}}]) == {}
    kube = {"metadata": {"name": "kubernetes"}, "spec": {"clusterIP": "10.43.0.1", "ports": [{"name": "https",
                                                                                            "port": 443}]}}
    pod_nolinks = {**POD, "spec": {**POD["spec"], "enableServiceLinks": False}}
    env = dict(container_env(pod_nolinks, {"env": [{"name": "U", "value": "$(KUBERNETES_SERVICE_HOST)"}]},
                             configmaps=lambda *a: None, secrets=lambda *a: None, services=[svc],
                             master_services=[kube]))
    assert env["U"] == "10.43.0.1" and "REDIS_MASTER_SERVICE_HOST" not in env


def test_expand_command():
    assert expand_command(["sh", "-c", "echo $(A) $$(A)"], [("A", "1")]) == ["sh", "-c", "echo 1 $(A)"]
