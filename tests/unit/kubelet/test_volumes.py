"""Volume payloads (pure) and the volume manager on a scratch directory: configMap, secret, downwardAPI,
projected (with a TokenRequest), emptyDir (disk and tmpfs), hostPath type checks, subPath, teardown."""

from __future__ import annotations

import base64
import os
import socket

import pytest

from kybernetes.kubelet.volumes import (
    VolumeError, VolumeManager, configmap_payload, container_mounts, downward_payload, emptydir_over_limit,
    format_map, hosts_file, resolve_subpath, secret_payload,
)

CM = {"metadata": {"name": "cfg"}, "data": {"a": "1", "b.txt": "two"}, "binaryData": {"bin": base64.b64encode(b"\0\1")
                                                                                       .decode()}}
SECRET = {"metadata": {"name": "s"}, "data": {"user": base64.b64encode(b"admin").decode()}}


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_configmap_payload_all_keys_items_modes_optional():
    assert configmap_payload({"name": "cfg"}, CM) == {"a": (b"1", 0o644), "b.txt": (b"two", 0o644),
                                                      "bin": (b"\0\1", 0o644)}
    assert configmap_payload({"name": "cfg", "defaultMode": 0o400, "items": [
        {"key": "a", "path": "dir/a.conf"}, {"key": "b.txt", "path": "b", "mode": 0o600}]}, CM) == \
        {"dir/a.conf": (b"1", 0o400), "b": (b"two", 0o600)}
    with pytest.raises(VolumeError, match='configmap "cfg" not found'):
        configmap_payload({"name": "cfg"}, None)
    assert configmap_payload({"name": "cfg", "optional": True}, None) == {}
    with pytest.raises(VolumeError, match="configmap references non-existent config key: zz"):
        configmap_payload({"name": "cfg", "items": [{"key": "zz", "path": "z"}]}, CM)
    assert configmap_payload({"name": "cfg", "optional": True, "items": [{"key": "zz", "path": "z"}]}, CM) == {}


def test_secret_payload():
    assert secret_payload({"secretName": "s"}, SECRET) == {"user": (b"admin", 0o644)}
    with pytest.raises(VolumeError, match='secret "s" not found'):
        secret_payload({"secretName": "s"}, None)
    with pytest.raises(VolumeError, match="references non-existent secret key: pw"):
        secret_payload({"secretName": "s", "items": [{"key": "pw", "path": "pw"}]}, SECRET)


def test_downward_payload():
    pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"b": "2", "a": 'say "hi"'},
                        "annotations": {"x": "y"}},
           "spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": "64Mi"},
                                                               "requests": {"cpu": "250m"}}}]}}
    items = [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
             {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
             {"path": "one", "fieldRef": {"fieldPath": "metadata.annotations['x']"}, "mode": 0o400},
             {"path": "mem", "resourceFieldRef": {"containerName": "c", "resource": "limits.memory",
                                                  "divisor": "1Mi"}},
             {"path": "cpu", "resourceFieldRef": {"containerName": "c", "resource": "requests.cpu",
                                                  "divisor": "1m"}},
             {"path": "cpulim", "resourceFieldRef": {"containerName": "c", "resource": "limits.cpu"}}]
    out = downward_payload(items, pod, default_mode=0o644, node_allocatable={"cpu": "4"})
    assert out["name"] == (b"p", 0o644)
    assert out["labels"][0] == b'a="say \\"hi\\""\nb="2"'
    assert out["one"] == (b"y", 0o400)
    assert out["mem"][0] == b"64" and out["cpu"][0] == b"250" and out["cpulim"][0] == b"4"
    assert format_map({}) == ""


def test_subpath_stays_inside_the_volume(tmp_path):
    vol = tmp_path / "vol"
    vol.mkdir()
    (tmp_path / "secret").mkdir()
    os.symlink(str(tmp_path / "secret"), vol / "escape")
    assert resolve_subpath(str(vol), "a/b") == str(vol / "a" / "b") and (vol / "a" / "b").is_dir()
    for bad in ("../x", "/etc", "a/../../x", "escape"):
        with pytest.raises(VolumeError):
            resolve_subpath(str(vol), bad)


def test_container_mounts(tmp_path):
    vol = tmp_path / "v"
    vol.mkdir()
    pod = {"metadata": {"name": "p"}}
    c = {"name": "c", "terminationMessagePath": "/dev/termination-log", "volumeMounts": [
        {"name": "v", "mountPath": "/data", "readOnly": True, "mountPropagation": "HostToContainer"},
        {"name": "v", "mountPath": "/sub", "subPathExpr": "$(POD)/logs"}]}
    mounts = container_mounts(pod, c, {"v": str(vol)}, [("POD", "p1")], etc_hosts="/x/etc-hosts",
                              termination_log="/x/tl")
    assert [(m.container_path, m.host_path, m.readonly, m.propagation) for m in mounts] == [
        ("/data", str(vol), True, "PROPAGATION_HOST_TO_CONTAINER"),
        ("/sub", str(vol / "p1" / "logs"), False, "PROPAGATION_PRIVATE"),
        ("/etc/hosts", "/x/etc-hosts", False, "PROPAGATION_PRIVATE"),
        ("/dev/termination-log", "/x/tl", False, "PROPAGATION_PRIVATE")]
    with pytest.raises(VolumeError):
        container_mounts(pod, {"name": "c", "volumeMounts": [{"name": "nope", "mountPath": "/n"}]}, {}, [],
                         etc_hosts=None, termination_log=None)


def test_hosts_file():
    pod = {"metadata": {"name": "web-0", "namespace": "ns"},
           "spec": {"hostname": "web-0", "subdomain": "web", "hostAliases": [{"ip": "1.2.3.4",
                                                                              "hostnames": ["a", "b"]}]}}
    text = hosts_file(pod, ["10.42.0.7"], cluster_domain="cluster.local")
    assert text.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert "10.42.0.7\tweb-0.web.ns.svc.cluster.local\tweb-0\n" in text
    assert text.endswith("# Entries added by HostAliases.\n1.2.3.4\ta\tb\n")
    host = hosts_file({"metadata": {"name": "h"}, "spec": {"hostNetwork": True}}, [], cluster_domain="c",
                      host_hosts="127.0.0.1 localhost\n")
    assert host == "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n"


def lookup(objs):
    return lambda ns, name: objs.get(name)


def pod_with(*volumes, uid="pod-uid"):
    return {"metadata": {"name": "p", "namespace": "ns", "uid": uid},
            "spec": {"volumes": list(volumes), "containers": [{"name": "c"}]}}


async def test_manager_configmap_update_is_atomic_and_teardown_removes_everything(tmp_path):
    vm = VolumeManager(tmp_path)
    cms = {"cfg": {"data": {"k": "v1"}}}
    pod = pod_with({"name": "cfg", "configMap": {"name": "cfg"}}, {"name": "scratch", "emptyDir": {}})
    state = await vm.setup(pod, configmaps=lookup(cms), secrets=lookup({}))
    path = state.paths["cfg"]
    assert path == str(tmp_path / "pods/pod-uid/volumes/kubernetes.io~configmap/cfg")
    assert open(os.path.join(path, "k")).read() == "v1"
    assert os.stat(state.paths["scratch"]).st_mode & 0o777 == 0o777
    cms["cfg"] = {"data": {"k": "v2", "new": "x"}}
    await vm.setup(pod, configmaps=lookup(cms), secrets=lookup({}))
    assert open(os.path.join(path, "k")).read() == "v2" and os.path.islink(os.path.join(path, "new"))
    vm.teardown("pod-uid")
    assert not (tmp_path / "pods" / "pod-uid").exists()


async def test_manager_errors_name_the_volume(tmp_path):
    vm = VolumeManager(tmp_path)
    with pytest.raises(VolumeError, match='MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found'):
        await vm.setup(pod_with({"name": "cfg", "configMap": {"name": "nope"}}), configmaps=lookup({}),
                       secrets=lookup({}))
    with pytest.raises(VolumeError, match="is not supported"):
        await vm.setup(pod_with({"name": "pvc", "persistentVolumeClaim": {"claimName": "x"}}),
                       configmaps=lookup({}), secrets=lookup({}))


async def test_host_path_types(tmp_path):
    vm = VolumeManager(tmp_path / "root")
    d, f = tmp_path / "made-dir", tmp_path / "sub" / "made-file"
    sock_path = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock_path))
    try:
        st = await vm.setup(pod_with({"name": "d", "hostPath": {"path": str(d), "type": "DirectoryOrCreate"}},
                                     {"name": "f", "hostPath": {"path": str(f), "type": "FileOrCreate"}},
                                     {"name": "s", "hostPath": {"path": str(sock_path), "type": "Socket"}},
                                     {"name": "any", "hostPath": {"path": str(tmp_path / "missing")}}),
                            configmaps=lookup({}), secrets=lookup({}))
    finally:
        s.close()
    assert d.is_dir() and f.is_file() and st.paths["d"] == str(d)
    for type_, what in (("Directory", "a directory"), ("File", "a file"), ("CharDevice", "a character device")):
        with pytest.raises(VolumeError, match=f"hostPath type check failed: .* is not {what}"):
            target = f if type_ == "Directory" else d
            await vm.setup(pod_with({"name": "x", "hostPath": {"path": str(target), "type": type_}}),
                           configmaps=lookup({}), secrets=lookup({}))


async def test_projected_with_token_request(tmp_path):
    requests = []

    async def request_token(ns, sa, body):
        requests.append((ns, sa, body))
        return {"status": {"token": f"tok{len(requests)}", "expirationTimestamp": "2099-01-01T00:00:00Z"}}

    now = [1000.0]
    vm = VolumeManager(tmp_path, request_token=request_token, clock=lambda: now[0])
    pod = pod_with({"name": "api", "projected": {"defaultMode": 0o640, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600, "audience": "api"}},
        {"configMap": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"secret": {"name": "s"}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}})
    pod["spec"]["serviceAccountName"] = "robot"
    st = await vm.setup(pod, configmaps=lookup({"ca": {"data": {"ca.crt": "PEM"}}}), secrets=lookup({"s": SECRET}))
    path = st.paths["api"]
    assert sorted(n for n in os.listdir(path) if not n.startswith("..")) == ["ca.crt", "namespace", "token", "user"]
    assert open(os.path.join(path, "token")).read() == "tok1"
    assert os.stat(os.path.join(path, "token")).st_mode & 0o777 == 0o640
    ns, sa, body = requests[0]
    assert (ns, sa) == ("ns", "robot") and body["spec"]["audiences"] == ["api"]
    assert body["spec"]["boundObjectRef"] == {"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "pod-uid"}
    await vm.setup(pod, configmaps=lookup({"ca": {"data": {"ca.crt": "PEM"}}}), secrets=lookup({"s": SECRET}))
    assert len(requests) == 1  # cached
    now[0] += 0.81 * 3600
    await vm.setup(pod, configmaps=lookup({"ca": {"data": {"ca.crt": "PEM"}}}), secrets=lookup({"s": SECRET}))
    assert len(requests) == 2 and open(os.path.join(path, "token")).read() == "tok2"
    vm.teardown("pod-uid")


async def test_token_unavailable_is_a_clear_error(tmp_path):
    vm = VolumeManager(tmp_path)
    with pytest.raises(VolumeError, match="service account tokens are not available"):
        await vm.setup(pod_with({"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}),
                       configmaps=lookup({}), secrets=lookup({}))


async def test_emptydir_size_limit_detection(tmp_path):
    vm = VolumeManager(tmp_path)
    pod = pod_with({"name": "e", "emptyDir": {"sizeLimit": "64Ki"}})
    st = await vm.setup(pod, configmaps=lookup({}), secrets=lookup({}))
    assert emptydir_over_limit(pod, st.paths) is None
    with open(os.path.join(st.paths["e"], "big"), "wb") as f:
        f.write(os.urandom(128 * 1024))
    assert emptydir_over_limit(pod, st.paths) == ("e", "64Ki")
    vm.teardown("pod-uid")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting tmpfs needs root")
async def test_memory_emptydir_is_a_sized_tmpfs_and_is_unmounted(tmp_path):
    vm = VolumeManager(tmp_path)
    pod = pod_with({"name": "m", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}})
    st = await vm.setup(pod, configmaps=lookup({}), secrets=lookup({}))
    path = st.paths["m"]
    try:
        assert vm.mounter.is_mounted(path)
        assert os.statvfs(path).f_blocks * os.statvfs(path).f_frsize == 1024 * 1024
        await vm.setup(pod, configmaps=lookup({}), secrets=lookup({}))  # idempotent: not mounted twice
        assert len(vm.mounter.mounts_under(path)) == 1
    finally:
        vm.teardown("pod-uid")
    assert not vm.mounter.is_mounted(path) and not os.path.exists(path)
