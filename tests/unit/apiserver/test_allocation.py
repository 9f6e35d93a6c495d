"""ServiceAllocator: ClusterIPs and NodePorts as upstream's allocators hand them out."""

import ipaddress

import pytest

from kybernetes.apiserver.allocation import ServiceAllocator
from kybernetes.machinery.errors import StatusError


def svc(name="s", **spec):
    return {"metadata": {"name": name}, "spec": {"ports": [{"port": 80, "protocol": "TCP"}], **spec}}


def test_single_stack_allocates_from_the_range():
    a = ServiceAllocator(["10.43.0.0/16"])
    s = svc()
    a.allocate(s).commit()
    ip = s["spec"]["clusterIP"]
    assert s["spec"]["clusterIPs"] == [ip]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.43.0.0/16")
    assert s["spec"]["ipFamilies"] == ["IPv4"] and s["spec"]["ipFamilyPolicy"] == "SingleStack"


def test_requested_ip_taken_and_out_of_range():
    a = ServiceAllocator(["10.43.0.0/16"])
    a.allocate(svc(clusterIP="10.43.0.10")).commit()
    with pytest.raises(StatusError) as e:
        a.allocate(svc("t", clusterIP="10.43.0.10"))
    assert e.value.code == 422 and "provided IP is already allocated" in e.value.message
    with pytest.raises(StatusError) as e:
        a.allocate(svc("u", clusterIP="10.0.0.1"))
    assert "is not in the valid range. The range of valid IPs is 10.43.0.0/16" in e.value.message


def test_dual_stack_policies():
    a = ServiceAllocator(["10.43.0.0/16", "fd42::/112"])
    s = svc(ipFamilyPolicy="PreferDualStack")
    a.allocate(s).commit()
    assert s["spec"]["ipFamilies"] == ["IPv4", "IPv6"]
    assert ":" in s["spec"]["clusterIPs"][1]
    single = ServiceAllocator(["10.43.0.0/16"])
    with pytest.raises(StatusError):
        single.allocate(svc(ipFamilyPolicy="RequireDualStack"))
    p = svc(ipFamilyPolicy="PreferDualStack")
    single.allocate(p).commit()
    assert p["spec"]["ipFamilies"] == ["IPv4"]


def test_headless_and_external_name_hold_nothing():
    a = ServiceAllocator(["10.43.0.0/30"])  # two usable addresses
    h = svc(clusterIP="None")
    a.allocate(h).commit()
    assert h["spec"]["clusterIPs"] == ["None"]
    e = svc("e", type="ExternalName", externalName="example.com")
    a.allocate(e).commit()
    assert "clusterIP" not in e["spec"]
    assert not a.ranges[0].used


def test_node_ports_allocated_kept_and_released():
    a = ServiceAllocator(["10.43.0.0/16"])
    s = svc(type="NodePort")
    a.allocate(s).commit()
    port = s["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767 and port in a.ports.used
    # an update that keeps the port carries it over; a switch to ClusterIP frees it once committed
    same = svc(type="NodePort", clusterIP=s["spec"]["clusterIP"], clusterIPs=s["spec"]["clusterIPs"])
    a.allocate(same, s).commit()
    assert same["spec"]["ports"][0]["nodePort"] == port
    back = svc(type="ClusterIP", clusterIP=s["spec"]["clusterIP"], clusterIPs=s["spec"]["clusterIPs"])
    res = a.allocate(back, same)
    assert port in a.ports.used  # still held until the write is stored
    res.commit()
    assert port not in a.ports.used


def test_failed_write_returns_its_reservation():
    a = ServiceAllocator(["10.43.0.0/16"])
    s = svc(type="NodePort")
    res = a.allocate(s)
    res.undo()
    assert not a.ranges[0].used and not a.ports.used


def test_delete_releases_and_load_restores():
    a = ServiceAllocator(["10.43.0.0/16"])
    s = svc(type="NodePort")
    a.allocate(s).commit()
    b = ServiceAllocator(["10.43.0.0/16"])
    b.load([s])
    with pytest.raises(StatusError):
        b.allocate(svc("t", clusterIP=s["spec"]["clusterIP"]))
    a.release(s)
    assert not a.ranges[0].used and not a.ports.used
