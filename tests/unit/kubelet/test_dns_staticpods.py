"""Pod DNS configuration by dnsPolicy, and static pod manifests (naming, uid, defaults, mirror pods, rescans)."""

from __future__ import annotations

import pytest

from kybernetes.kubelet.dns import HostResolv, parse_resolv_conf, pod_dns_config
from kybernetes.kubelet.staticpods import ANNOTATION_MIRROR, StaticPodSource, is_mirror, load_manifest, mirror_pod

HOST = parse_resolv_conf("# comment\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch corp.example\n"
                         "options edns0\n")


def p(policy=None, host_network=False, dns_config=None):
    spec = {"hostNetwork": host_network}
    if policy:
        spec["dnsPolicy"] = policy
    if dns_config:
        spec["dnsConfig"] = dns_config
    return {"metadata": {"name": "x", "namespace": "ns"}, "spec": spec}


def test_parse_resolv_conf():
    assert HOST == HostResolv(["1.1.1.1", "8.8.8.8"], ["corp.example"], ["edns0"])


def test_cluster_first():
    cfg, warn = pod_dns_config(p(), cluster_dns=["10.43.0.10"], cluster_domain="cluster.local", host=HOST)
    assert cfg.servers == ["10.43.0.10"] and warn is None
    assert cfg.searches == ["ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"]
    assert cfg.options == ["ndots:5"]


@pytest.mark.parametrize("policy,host_network,servers", [
    ("Default", False, ["1.1.1.1", "8.8.8.8"]),
    ("ClusterFirst", True, ["1.1.1.1", "8.8.8.8"]),
    ("ClusterFirstWithHostNet", True, ["10.43.0.10"]),
    ("None", False, []),
])
def test_policies(policy, host_network, servers):
    cfg, _ = pod_dns_config(p(policy, host_network), cluster_dns=["10.43.0.10"], cluster_domain="c.l", host=HOST)
    assert cfg.servers == servers


def test_no_cluster_dns_falls_back_and_dns_config_merges():
    cfg, warn = pod_dns_config(p(dns_config={"nameservers": ["9.9.9.9"], "searches": ["extra"],
                                             "options": [{"name": "ndots", "value": "2"}, {"name": "rotate"}]}),
                               cluster_dns=[], cluster_domain="cluster.local", host=HOST)
    assert "Falling back" in warn and cfg.servers == ["1.1.1.1", "8.8.8.8", "9.9.9.9"]
    assert cfg.searches == ["corp.example", "extra"] and cfg.options == ["edns0", "ndots:2", "rotate"]


MANIFEST = """
apiVersion: v1
kind: Pod
metadata:
  name: etcd
  labels: {tier: control-plane}
spec:
  containers:
  - name: etcd
    image: busybox
    command: [sleep, "3600"]
"""


def test_load_manifest():
    pod = load_manifest(MANIFEST, node_name="n1")
    meta = pod["metadata"]
    assert meta["name"] == "etcd-n1" and meta["namespace"] == "default" and len(meta["uid"]) == 32
    assert meta["annotations"]["kubernetes.io/config.hash"] == meta["uid"]
    assert meta["annotations"]["kubernetes.io/config.source"] == "file"
    assert pod["spec"]["nodeName"] == "n1" and pod["spec"]["restartPolicy"] == "Always"
    assert {"operator": "Exists", "effect": "NoExecute"} in pod["spec"]["tolerations"]
    assert load_manifest(MANIFEST, node_name="n1")["metadata"]["uid"] == meta["uid"]  # stable
    assert load_manifest(MANIFEST, node_name="n2")["metadata"]["uid"] != meta["uid"]
    assert load_manifest(MANIFEST.replace("3600", "60"), node_name="n1")["metadata"]["uid"] != meta["uid"]
    for bad in ("kind: Service\napiVersion: v1\nmetadata: {name: x}", "a: [", MANIFEST + "---\n" + MANIFEST,
                MANIFEST.replace("image: busybox", "image: ''")):
        with pytest.raises(ValueError):
            load_manifest(bad, node_name="n1")


def test_mirror_pod():
    pod = load_manifest(MANIFEST, node_name="n1")
    m = mirror_pod(pod, node_uid="node-uid")
    assert "uid" not in m["metadata"] and "status" not in m and is_mirror(m) and not is_mirror(pod)
    assert m["metadata"]["annotations"][ANNOTATION_MIRROR] == pod["metadata"]["uid"]
    assert m["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": "n1",
                                                 "uid": "node-uid", "controller": True}]


def test_source_scan(tmp_path):
    src = StaticPodSource(str(tmp_path), "n1", on_change=lambda a, r: None)
    (tmp_path / "etcd.yaml").write_text(MANIFEST)
    (tmp_path / ".hidden.yaml").write_text(MANIFEST)
    (tmp_path / "broken.yaml").write_text("kind: [")
    added, removed = src.scan()
    assert [x["metadata"]["name"] for x in added] == ["etcd-n1"] and removed == []
    assert src.scan() == ([], [])
    old_uid = added[0]["metadata"]["uid"]
    (tmp_path / "etcd.yaml").write_text(MANIFEST.replace("3600", "60"))
    added, removed = src.scan()
    assert removed[0]["metadata"]["uid"] == old_uid and added[0]["metadata"]["uid"] != old_uid
    (tmp_path / "etcd.yaml").unlink()
    added, removed = src.scan()
    assert added == [] and len(removed) == 1 and src.pods == {}
