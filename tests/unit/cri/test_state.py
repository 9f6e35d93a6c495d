"""Records and CRI dataclasses survive a round trip through JSON."""

from __future__ import annotations

from kybernetes.cri.api import (Capability, ContainerConfig, DNSConfig, ImageSpec, KeyValue,
                                LinuxSandboxSecurityContext, Mount, NamespaceMode, NamespaceOption,
                                PodSandboxConfig, PortMapping)
from kybernetes.cri.state import ContainerRecord, SandboxRecord, StateStore, decode, encode


def test_dataclass_round_trip():
    sc = PodSandboxConfig(name="p", uid="u", namespace="n", dns_config=DNSConfig(servers=["1.1.1.1"]),
                          port_mappings=[PortMapping(container_port=80, host_port=8080)],
                          security_context=LinuxSandboxSecurityContext(
                              namespace_options=NamespaceOption(network=NamespaceMode.NODE)))
    back = decode(PodSandboxConfig, encode(sc))
    assert back == sc and isinstance(back.security_context.namespace_options.network, NamespaceMode)
    cc = ContainerConfig(name="c", image=ImageSpec("busybox"), envs=[KeyValue("a", "b")],
                         mounts=[Mount("/a", "/b", readonly=True)])
    cc.security_context.capabilities = Capability(add_capabilities=["NET_ADMIN"])
    assert decode(ContainerConfig, encode(cc)) == cc
    assert decode(ContainerConfig, {**encode(cc), "unknown": 1}) == cc


def test_store(tmp_path):
    store = StateStore(tmp_path)
    store.save_sandbox(SandboxRecord(id="s1", config={}, created_at=1, ips=["10.0.0.2"]))
    store.save_container(ContainerRecord(id="c1", sandbox_id="s1", config={}, image="busybox", image_ref="sha256:x",
                                         created_at=2, bundle="/b", image_layers=["sha256:l"]))
    again = StateStore(tmp_path)
    assert [s.ips for s in again.load_sandboxes()] == [["10.0.0.2"]]
    assert [c.image_layers for c in again.load_containers()] == [["sha256:l"]]
    store.delete_sandbox("s1")
    assert again.load_sandboxes() == []
