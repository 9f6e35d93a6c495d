"""The pod network's configuration: the generated conflist, CNI_ARGS, result parsing and the guard table."""

from __future__ import annotations

import pytest

from kybernetes.cri.api import PortMapping
from kybernetes.cri.cni import CNINetwork, NetworkConfig, result_ips


def network(tmp_path, **kw) -> CNINetwork:
    return CNINetwork(NetworkConfig(**kw), tmp_path)


def test_default_conflist_is_dual_stack_bridge_with_portmap(tmp_path):
    net = network(tmp_path)
    conf = net._conflist
    bridge, portmap = conf["plugins"]
    assert (conf["cniVersion"], conf["name"]) == ("1.0.0", "kybernetes")
    assert bridge["bridge"] == "kyb0" and bridge["isGateway"] and bridge["hairpinMode"] and not bridge["ipMasq"]
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.42.0.0/24"}], [{"subnet": "fd42:6b79:6200::/64"}]]
    assert bridge["ipam"]["routes"] == [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]
    assert bridge["ipam"]["dataDir"] == str(tmp_path / "cni")
    assert portmap["capabilities"] == {"portMappings": True}
    rc = net._runtime_config([PortMapping(container_port=80, host_port=8080, host_ip="127.0.0.1"),
                              PortMapping(container_port=81)])
    assert rc == {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp",
                                    "hostIP": "127.0.0.1"}]}
    pc = net._plugin_conf(portmap, {"ips": []}, rc)
    assert pc["runtimeConfig"] == rc and pc["prevResult"] == {"ips": []} and pc["name"] == "kybernetes"
    assert "runtimeConfig" not in net._plugin_conf(bridge, None, rc)
    assert [p["type"] for p in net._plugins({})] == ["bridge"]  # portmap only with mappings
    assert CNINetwork.cni_args("ns", "p", "u", "s") == (
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=s;K8S_POD_UID=u")


def test_result_ips_v4_first():
    result = {"ips": [{"address": "fd42:6b79:6200::5/64"}, {"address": "10.42.0.5/24"}]}
    assert result_ips(result) == ["10.42.0.5", "fd42:6b79:6200::5"]
    assert result_ips(None) == []


def test_validation_refuses_the_uplink_network(tmp_path):
    with pytest.raises(ValueError, match="fd00::/64"):
        network(tmp_path, subnets=["10.42.0.0/24", "fd00::/64"])
    with pytest.raises(ValueError, match="bridge name"):
        network(tmp_path, bridge="a-very-long-bridge-name")


def test_guard_drops_cluster_and_pod_traffic_on_the_uplink(tmp_path, monkeypatch):
    net = network(tmp_path, subnets=["10.42.0.0/24", "fd42:6b79:6200::/64"],
                  cluster_cidrs=["10.42.0.0/16", "fd42:6b79:6200::/56"])
    monkeypatch.setattr(net, "_uplinks", lambda: ["eth0"])
    rules = net.guard_ruleset()
    assert 'oifname { "eth0" } ip daddr { 10.42.0.0/16, 10.42.0.0/24 } drop' in rules
    assert 'oifname { "eth0" } ip6 daddr { fd42:6b79:6200::/56, fd42:6b79:6200::/64 } drop' in rules
    assert 'oifname { "eth0" } ip saddr { 10.42.0.0/24 } drop' in rules
    assert "type filter hook postrouting priority 0; policy accept;" in rules
    assert rules.startswith("table inet kyb-cri-kyb0 {}\ndelete table inet kyb-cri-kyb0\n")
    net.config.allow_egress = True
    assert "saddr" not in net.guard_ruleset()
