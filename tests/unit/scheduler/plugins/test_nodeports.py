"""NodePorts (cases after upstream's node_ports_test.go TestNodePorts)."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.nodeports import NAME, NodePorts, wanted_host_ports
from tests.unit.scheduler.plugins.builders import container, make_node, make_pod, node_info

REASON = "node(s) didn't have free ports for the requested pod ports"


def port_pod(*specs: str, init: list | None = None):
    """Ports as "proto/hostIP/port" ("" hostIP means unset)."""
    ports = []
    for s in specs:
        proto, ip, port = s.split("/")
        p = {"containerPort": int(port), "hostPort": int(port), "protocol": proto}
        if ip:
            p["hostIP"] = ip
        ports.append(p)
    return make_pod(container(ports=ports), init=init)


CASES = [
    ("other port", ["UDP/127.0.0.1/9090"], ["UDP/127.0.0.1/8080"], True),
    ("same udp port", ["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/8080"], False),
    ("same tcp port", ["TCP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], False),
    ("different host ip", ["TCP/127.0.0.1/8080"], ["TCP/127.0.0.2/8080"], True),
    ("different protocol", ["UDP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], True),
    ("second udp port conflict", ["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/8080"], False),
    ("first tcp port conflict", ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"], ["TCP/127.0.0.1/8001"], False),
    ("first tcp port conflict due to 0.0.0.0 hostIP", ["TCP/0.0.0.0/8001"], ["TCP/127.0.0.1/8001"], False),
    ("TCP hostPort conflict due to 0.0.0.0 hostIP", ["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
     ["TCP/127.0.0.1/8001"], False),
    ("second tcp port conflict to 0.0.0.0 hostIP", ["TCP/10.0.10.10/8001"], ["TCP/0.0.0.0/8001"], False),
    ("second different protocol", ["UDP/0.0.0.0/8001"], ["TCP/0.0.0.0/8001"], True),
    ("UDP hostPort conflict due to 0.0.0.0 hostIP", ["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"],
     ["UDP/127.0.0.1/8001"], False),
    ("unset hostIP and protocol mean 0.0.0.0 and TCP", ["TCP//8001"], ["TCP/127.0.0.1/8001"], False),
    ("node without ports in use", ["TCP//8001"], [], True),
]


@pytest.mark.parametrize("wanted, existing, fits", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_filter(wanted, existing, fits):
    pl = NodePorts()
    state, pi = CycleState(), PodInfo(port_pod(*wanted))
    _, st = pl.pre_filter(state, pi)
    assert st.is_success()
    ni = node_info(make_node("n"), *([port_pod(*existing)] if existing else []))
    got = pl.filter(state, pi, ni)
    if fits:
        assert got.is_success()
    else:
        assert got.code == Code.UNSCHEDULABLE and got.reasons == [REASON]


def test_pod_without_host_ports_skips():
    pod = make_pod(container(ports=[{"containerPort": 80}]))
    _, st = NodePorts().pre_filter(CycleState(), PodInfo(pod))
    assert st.code == Code.SKIP


def test_sidecar_ports_count_but_plain_init_container_ports_do_not():
    sidecar = container(ports=[{"containerPort": 81, "hostPort": 81}], restart_policy="Always")
    plain = container(ports=[{"containerPort": 82, "hostPort": 82}])
    pod = make_pod(container(), init=[sidecar, plain])
    assert wanted_host_ports(pod) == (("0.0.0.0", "TCP", 81),)


def test_filter_without_pre_filter_is_an_error():
    st = NodePorts().filter(CycleState(), PodInfo(port_pod("TCP//80")), node_info(make_node("n")))
    assert st.code == Code.ERROR and "PreFilterNodePorts" in st.message()


def test_plugin_identity():
    pl = NodePorts()
    assert pl.name == NAME == "NodePorts"
    assert pl.extension_points == ("pre_filter", "filter")
    assert pl.events_to_register() == [ClusterEvent("Pod", ActionType.DELETE), ClusterEvent("Node", ActionType.ADD)]
