"""Pod cgroups on an imitated cgroup v1 tree (plain directories): QoS layout, limits written, removal."""

from __future__ import annotations

import os

import pytest

from kybernetes.kubelet.cgroups import (
    CgroupManager, milli_cpu_to_quota, milli_cpu_to_shares, pod_cgroup_name, pod_requests,
)

from .builders import container, pod


@pytest.fixture
def tree(tmp_path):
    for ctrl in ("cpu,cpuacct", "memory", "pids", "cpuset"):
        (tmp_path / ctrl).mkdir()
    os.symlink("cpu,cpuacct", tmp_path / "cpu")
    os.symlink("cpu,cpuacct", tmp_path / "cpuacct")
    (tmp_path / "cpuset" / "cpuset.cpus").write_text("0-1\n")
    (tmp_path / "cpuset" / "cpuset.mems").write_text("0\n")
    return tmp_path


def guaranteed():
    r = {"requests": {"cpu": "500m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "64Mi"}}
    return pod(container("a", resources=r), uid="g1")


def burstable():
    return pod(container("a", resources={"requests": {"cpu": "250m"}}),
               container("b", resources={"requests": {"cpu": "250m"}, "limits": {"memory": "128Mi"}}), uid="b1")


def test_names_and_conversions():
    assert pod_cgroup_name(guaranteed()) == "/kubepods/podg1"
    assert pod_cgroup_name(burstable()) == "/kubepods/burstable/podb1"
    assert pod_cgroup_name(pod(uid="e1")) == "/kubepods/besteffort/pode1"
    assert milli_cpu_to_shares(0) == 2 and milli_cpu_to_shares(1000) == 1024 and milli_cpu_to_shares(1) == 2
    assert milli_cpu_to_quota(0) == 0 and milli_cpu_to_quota(500) == 50000 and milli_cpu_to_quota(5) == 1000
    assert pod_requests(burstable()) == (500, None, None)
    init = pod(container("a", resources={"requests": {"cpu": "100m"}}),
               init=(container("i", resources={"requests": {"cpu": "2"}}),))
    assert pod_requests(init)[0] == 2000


def test_pod_cgroups_created_limited_and_removed(tree):
    m = CgroupManager(tree, node_cpu_milli=2000, pod_pids_limit=1024)
    assert len(m.controllers()) == 4  # cpu and cpuacct are one hierarchy
    assert m.ensure_pod(guaranteed()) == "/kubepods/podg1"
    assert m.ensure_pod(burstable()) == "/kubepods/burstable/podb1"
    cpu = tree / "cpu,cpuacct" / "kubepods"
    assert (cpu / "cpu.shares").read_text() == "2048"
    assert (cpu / "besteffort" / "cpu.shares").read_text() == "2"
    assert (cpu / "burstable" / "cpu.shares").read_text() == "512"
    assert (cpu / "podg1" / "cpu.shares").read_text() == "512"
    assert (cpu / "podg1" / "cpu.cfs_quota_us").read_text() == "50000"
    assert (tree / "memory" / "kubepods" / "podg1" / "memory.limit_in_bytes").read_text() == str(64 * 1024 * 1024)
    assert not (tree / "memory" / "kubepods" / "burstable" / "podb1" / "memory.limit_in_bytes").exists()
    assert (tree / "pids" / "kubepods" / "podg1" / "pids.max").read_text() == "1024"
    assert (tree / "cpuset" / "kubepods" / "podg1" / "cpuset.cpus").read_text() == "0-1"
    assert sorted(m.pod_cgroups()) == ["b1", "g1"]
    (tree / "memory" / "kubepods" / "podg1" / "container1").mkdir()  # left by the runtime
    assert m.remove_pod(guaranteed(), kill=False)
    assert m.remove_pod(burstable(), kill=False)
    assert (cpu / "burstable" / "cpu.shares").read_text() == "2"
    assert m.pod_cgroups() == []
    assert not (tree / "memory" / "kubepods" / "podg1").exists()


def test_disabled_manager_touches_nothing(tree):
    m = CgroupManager(tree, enabled=False)
    assert m.ensure_pod(guaranteed()) == "/kubepods/podg1"
    assert not (tree / "memory" / "kubepods").exists()
    assert m.remove_pod(guaranteed())


def test_cgroup_root_prefix_and_orphans(tree):
    m = CgroupManager(tree, cgroup_root="/kyb-test")
    assert m.ensure_pod(guaranteed()) == "/kyb-test/kubepods/podg1"
    assert pod_cgroup_name(burstable(), "/kyb-test/") == "/kyb-test/kubepods/burstable/podb1"
    assert (tree / "memory" / "kyb-test" / "kubepods" / "podg1").is_dir()
    assert m.pod_cgroups() == ["g1"] and CgroupManager(tree).pod_cgroups() == []
    assert m.remove_orphan("g1") and m.pod_cgroups() == []
