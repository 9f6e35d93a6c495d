"""The OCI spec builder: args from the image, env, users, capabilities, namespaces, mounts, resources."""

from __future__ import annotations

import pytest

from kybernetes.cri.api import (Capability, ContainerConfig, ImageSpec, KeyValue, LinuxContainerResources, Mount,
                                NamespaceMode, NamespaceOption, PodSandboxConfig, RuntimeError_)
from kybernetes.cri.oci import (ALL_CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, SandboxNamespaces,
                                build_spec, process_args, resolve_user)

IMAGE = {"Entrypoint": ["/entry"], "Cmd": ["default-arg"], "Env": ["PATH=/bin", "A=image"], "WorkingDir": "/w",
         "User": "app"}


@pytest.fixture
def rootfs(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\napp:x:1001:\nextra:x:2000:app,other\n")
    return str(tmp_path)


def spec(rootfs, cfg: ContainerConfig, ns: SandboxNamespaces | None = None, image=IMAGE, **sandbox):
    sc = PodSandboxConfig(name="p", uid="u", namespace="ns", **sandbox)
    ns = ns or SandboxNamespaces(netns_path="/run/netns/kyb-x", ipc_path="/ipc", shm_path="/shm",
                                 hostname_file="/f/hostname", resolv_conf="/f/resolv.conf", hosts_file="/f/hosts")
    return build_spec(container_id="c1", config=cfg, sandbox_config=sc, sandbox=ns, image_config=image,
                      rootfs=rootfs, cgroups_path="/kybernetes/podu/c1", hostname="p")


def cfg(**kw) -> ContainerConfig:
    return ContainerConfig(name="c", image=ImageSpec("busybox"), **kw)


@pytest.mark.parametrize("command,args,expected", [
    pytest.param([], [], ["/entry", "default-arg"], id="image-entrypoint-and-cmd"),
    pytest.param([], ["x"], ["/entry", "x"], id="args-replace-cmd"),
    pytest.param(["/bin/sh"], [], ["/bin/sh"], id="command-drops-cmd"),
    pytest.param(["/bin/sh"], ["-c", "true"], ["/bin/sh", "-c", "true"], id="both"),
])
def test_process_args(command, args, expected):
    assert process_args(cfg(command=command, args=args), IMAGE) == expected


def test_process_args_empty_is_an_error():
    with pytest.raises(RuntimeError_, match="no command"):
        process_args(cfg(), {})


def test_users(rootfs):
    assert resolve_user(rootfs, "") == (0, 0, [])
    assert resolve_user(rootfs, "app") == (1000, 1001, [2000])
    assert resolve_user(rootfs, "1000:extra") == (1000, 2000, [])
    assert resolve_user(rootfs, "4242") == (4242, 0, [])
    with pytest.raises(RuntimeError_, match="unable to find user nobody"):
        resolve_user(rootfs, "nobody")


def test_process_section(rootfs):
    s = spec(rootfs, cfg(envs=[KeyValue("A", "mine"), KeyValue("B", "b")]))
    p = s["process"]
    assert p["args"] == ["/entry", "default-arg"]
    assert p["env"] == ["PATH=/bin", "A=mine", "HOSTNAME=p", "B=b"]
    assert p["cwd"] == "/w"
    assert p["user"] == {"uid": 1000, "gid": 1001, "additionalGids": [2000]}
    assert p["terminal"] is False and p["noNewPrivileges"] is False
    assert p["capabilities"]["bounding"] == DEFAULT_CAPABILITIES
    assert s["hostname"] == "p" and s["root"] == {"path": rootfs, "readonly": False}

    c = cfg(working_dir="/x")
    c.security_context.run_as_user = 5
    c.security_context.run_as_group = 6
    c.security_context.no_new_privs = True
    c.security_context.readonly_rootfs = True
    c.security_context.capabilities = Capability(add_capabilities=["NET_ADMIN"], drop_capabilities=["CAP_KILL"])
    s = spec(rootfs, c)
    assert s["process"]["user"] == {"uid": 5, "gid": 6}
    assert s["process"]["cwd"] == "/x" and s["process"]["noNewPrivileges"] is True
    caps = s["process"]["capabilities"]["effective"]
    assert "CAP_NET_ADMIN" in caps and "CAP_KILL" not in caps
    assert s["root"]["readonly"] is True

    c = cfg()
    c.security_context.capabilities = Capability(add_capabilities=["CHOWN"], drop_capabilities=["ALL"])
    assert spec(rootfs, c)["process"]["capabilities"]["permitted"] == ["CAP_CHOWN"]


def test_namespaces_and_mounts(rootfs):
    c = cfg(mounts=[Mount("/data", "/srv/x", readonly=True),
                    Mount("/shared", "/srv/y", propagation="PROPAGATION_BIDIRECTIONAL")])
    s = spec(rootfs, c)
    ns = {n["type"]: n.get("path") for n in s["linux"]["namespaces"]}
    assert ns == {"mount": None, "network": "/run/netns/kyb-x", "uts": None, "pid": None, "ipc": "/ipc"}
    by_dest = {m["destination"]: m for m in s["mounts"]}
    assert by_dest["/data"]["options"] == ["rbind", "rprivate", "ro"]
    assert by_dest["/shared"]["options"] == ["rbind", "rshared", "rw"]
    assert s["linux"]["rootfsPropagation"] == "rshared"
    assert by_dest["/dev/shm"]["source"] == "/shm"
    assert by_dest["/etc/resolv.conf"]["source"] == "/f/resolv.conf"
    assert "ro" in by_dest["/sys"]["options"] and "ro" in by_dest["/sys/fs/cgroup"]["options"]
    assert s["linux"]["maskedPaths"] == DEFAULT_MASKED_PATHS
    assert s["linux"]["cgroupsPath"] == "/kybernetes/podu/c1"

    # host network/pid/ipc: no such namespaces, no hostname; pod pid namespace joined by path
    c = cfg(mounts=[Mount("/etc/hosts", "/srv/hosts")])
    c.security_context.namespace_options = NamespaceOption(network=NamespaceMode.NODE, pid=NamespaceMode.NODE,
                                                           ipc=NamespaceMode.NODE)
    s = spec(rootfs, c, SandboxNamespaces(hostname_file="/f/hostname", hosts_file="/f/hosts"))
    assert [n["type"] for n in s["linux"]["namespaces"]] == ["mount"]
    assert "hostname" not in s
    hosts = [m for m in s["mounts"] if m["destination"] == "/etc/hosts"]
    assert [m["source"] for m in hosts] == ["/srv/hosts"]  # the kubelet's file wins
    c = cfg()
    c.security_context.namespace_options = NamespaceOption(pid=NamespaceMode.POD)
    s = spec(rootfs, c, SandboxNamespaces(netns_path="/n", pid_path="/proc/9/ns/pid"))
    assert {"type": "pid", "path": "/proc/9/ns/pid"} in s["linux"]["namespaces"]


def test_resources_sysctls_and_privileged(rootfs):
    c = cfg(resources=LinuxContainerResources(cpu_shares=512, cpu_quota=50000, cpu_period=100000,
                                              memory_limit_in_bytes=8 << 20, pids_limit=10, oom_score_adj=500))
    s = spec(rootfs, c, sysctls={"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shm_rmid_forced": "1"})
    r = s["linux"]["resources"]
    assert r["cpu"] == {"shares": 512, "quota": 50000, "period": 100000}
    assert r["memory"]["limit"] == 8 << 20 and r["pids"] == {"limit": 10}
    assert r["devices"] == [{"allow": False, "access": "rwm"}]
    assert s["process"]["oomScoreAdj"] == 500
    assert s["linux"]["sysctl"] == {"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shm_rmid_forced": "1"}

    c = cfg()
    c.security_context.privileged = True
    s = spec(rootfs, c)
    assert s["process"]["capabilities"]["bounding"] == ALL_CAPABILITIES
    assert "maskedPaths" not in s["linux"] and s["linux"]["resources"]["devices"] == [{"allow": True,
                                                                                        "access": "rwm"}]
    assert any(d["path"] == "/dev/null" for d in s["linux"]["devices"])
    assert "ro" not in {m["destination"]: m for m in s["mounts"]}["/sys"]["options"]
