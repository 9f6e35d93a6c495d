"""Node arrays: each column holds exactly its NodeInfo's numbers (too large ones flagged inexact), and the cache
keeps the snapshot's arrays in step with its NodeInfos through every kind of change."""

from __future__ import annotations

import random

import numpy as np

from kybernetes.scheduler.cache import SchedulerCache
from kybernetes.scheduler.nodearrays import (FLAG_IMAGES, FLAG_INEXACT, FLAG_PORTS, FLAG_SCALAR, FLAG_TAINTS,
                                             FLAG_UNSCHEDULABLE, NodeArrays, NodeList, exact)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from tests.unit.scheduler import randomcluster


def random_node_infos(seed: int, n: int) -> list[NodeInfo]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ni = NodeInfo(randomcluster.node(rng, f"n{i}"))
        for j in range(rng.randint(0, 4)):
            ni.add_pod(PodInfo(randomcluster.pod(rng, f"p{i}-{j}", node_name=ni.name)))
        out.append(ni)
    return out


def test_columns_hold_the_node_infos_numbers():
    nodes = random_node_infos(1, 300)
    a = NodeArrays(nodes)
    assert a.size == 300
    inexact = 0
    for i, ni in enumerate(nodes):
        al, rq, nz = ni.allocatable, ni.requested, ni.non_zero_requested
        values = (al.milli_cpu, al.memory, al.ephemeral_storage, al.allowed_pods, rq.milli_cpu, rq.memory,
                  rq.ephemeral_storage, nz.milli_cpu, nz.memory, len(ni.pods))
        flags = int(a.flags[i])
        assert bool(flags & FLAG_TAINTS) == bool(ni.taints)
        assert bool(flags & FLAG_UNSCHEDULABLE) == ni.unschedulable
        assert bool(flags & FLAG_PORTS) == bool(ni.used_ports)
        assert bool(flags & FLAG_IMAGES) == bool(ni.image_sizes)
        assert bool(flags & FLAG_SCALAR) == bool(al.scalar or rq.scalar)
        if not exact(*values):
            inexact += 1
            assert flags & FLAG_INEXACT
            assert a.free_pods[i] == 0 and a.alloc_cpu[i] == 0 and a.alloc_memory[i] == 0
            continue
        assert not flags & FLAG_INEXACT
        got = (a.alloc_cpu[i], a.alloc_memory[i], a.alloc_ephemeral[i], a.alloc_pods[i], a.req_cpu[i],
               a.req_memory[i], a.req_ephemeral[i], a.nz_cpu[i], a.nz_memory[i], a.num_pods[i])
        assert tuple(int(v) for v in got) == values
        assert (a.free_cpu[i], a.free_memory[i], a.free_ephemeral[i], a.free_pods[i]) == (
            al.milli_cpu - rq.milli_cpu, al.memory - rq.memory, al.ephemeral_storage - rq.ephemeral_storage,
            al.allowed_pods - len(ni.pods))
    assert 0 < inexact < 300  # the generator makes some nodes too large for arrays


def test_exact_limit():
    assert exact(0, -5, 2**52 - 1) and not exact(2**52) and not exact(1, -(2**52))


def test_empty_and_flag_queries():
    assert NodeArrays([]).size == 0
    nodes = random_node_infos(2, 50)
    a = NodeArrays(nodes)
    rows = np.array([i for i, ni in enumerate(nodes) if not ni.taints], dtype=np.intp)
    assert not a.any_flagged(FLAG_TAINTS, rows)
    assert a.any_flagged(FLAG_TAINTS) == any(ni.taints for ni in nodes)
    assert list(a.flagged(FLAG_UNSCHEDULABLE)) == [ni.unschedulable for ni in nodes]
    nl = NodeList([nodes[i] for i in rows], a, rows)
    assert isinstance(nl, list) and len(nl) == len(rows) and nl.arrays is a


def test_snapshot_builds_arrays_on_first_use_and_set_nodes_drops_them():
    nodes = random_node_infos(3, 10)
    snap = Snapshot(nodes)
    a = snap.node_arrays()
    assert snap.node_arrays() is a and a.size == 10
    snap.set_nodes(nodes[:5])
    assert snap.arrays is None and snap.node_arrays().size == 5


def test_cache_keeps_snapshot_arrays_in_step():
    rng = random.Random(7)
    cache = SchedulerCache()
    snap = Snapshot()
    names = [f"n{i}" for i in range(40)]
    for name in names:
        cache.add_node(randomcluster.node(rng, name))
    bound: list[dict] = []
    assumed: list[PodInfo] = []
    seq = 0
    kept_row_by_row = 0
    for step in range(300):
        r = rng.random()
        seq += 1
        if r < 0.3:
            p = randomcluster.pod(rng, f"b{seq}", node_name=rng.choice(names))
            cache.add_pod(p)
            bound.append(p)
        elif r < 0.45 and bound:
            cache.remove_pod(bound.pop(rng.randrange(len(bound))))
        elif r < 0.6:
            pi = PodInfo(randomcluster.pod(rng, f"a{seq}"))
            cache.assume_pod(pi, rng.choice(names))
            assumed.append(pi)
        elif r < 0.7 and assumed:
            cache.forget_pod(assumed.pop(rng.randrange(len(assumed))))
        elif r < 0.8 and assumed:  # the informer confirms an assumed pod, maybe on another node
            pi = assumed.pop(rng.randrange(len(assumed)))
            cache.add_pod({**pi.pod, "spec": {**pi.pod["spec"], "nodeName": rng.choice(names)}})
        elif r < 0.9:
            cache.update_node(None, randomcluster.node(rng, rng.choice(names)))
        elif r < 0.95:  # a node goes (its pods stay until deleted) and maybe comes back
            name = rng.choice(names)
            cache.remove_node({"metadata": {"name": name}})
            if rng.random() < 0.5:
                cache.add_node(randomcluster.node(rng, name))
        else:
            names.append(f"extra{seq}")
            cache.add_node(randomcluster.node(rng, names[-1]))
        if step % 3 == 0:
            had = snap.arrays
            cache.update_snapshot(snap)
            if had is not None and snap.arrays is had:
                kept_row_by_row += 1
            if rng.random() < 0.7:  # arrays exist (kept row by row) or not (rebuilt later)
                snap.node_arrays().without(FLAG_TAINTS)  # a flag mask kept up to date with them
            if snap.arrays is not None:
                fresh = NodeArrays(snap.node_info_list)
                assert np.array_equal(snap.arrays.data, fresh.data), step
                for flag in (FLAG_TAINTS, FLAG_PORTS):
                    assert np.array_equal(snap.arrays.without(flag), fresh.without(flag)), step
    assert kept_row_by_row > 20
