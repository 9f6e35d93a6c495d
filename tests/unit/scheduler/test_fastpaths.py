"""The scheduler's fast paths change nothing: on random clusters, with the default plugins, scheduling the same
pods with the bulk array paths, with memoization only, and with neither gives the same bindings (in the same
order, with the same random tie-breaks), the same failure messages and the same sampling rotation."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from kybernetes.scheduler.config import default_config
from kybernetes.scheduler.scheduler import Scheduler
from tests.unit.scheduler import randomcluster


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def create(self, path: str, body: dict, params: Any = None) -> dict:
        self.calls.append(("POST", path, body))
        return body

    async def patch(self, path: str, body: Any, patch_type: str = "merge", params: Any = None) -> dict:
        self.calls.append(("PATCH", path, body))
        return {}

    async def delete(self, path: str, body: Any = None, params: Any = None) -> dict:
        self.calls.append(("DELETE", path, body))
        return {}

    def bindings(self) -> list[tuple[str, str]]:
        return [(c[2]["metadata"]["name"], c[2]["target"]["name"]) for c in self.calls if c[1].endswith("/binding")]

    def failures(self) -> list[tuple[str, str]]:
        return [(c[2]["involvedObject"]["name"], c[2]["message"]) for c in self.calls
                if c[0] == "POST" and c[1].endswith("/events") and c[2]["reason"] == "FailedScheduling"]


def make(variant: str, percentage: int | None) -> tuple[Scheduler, FakeClient, list[int]]:
    cfg = default_config()
    cfg.leader_election.leader_elect = False
    if percentage is not None:
        cfg.percentage_of_nodes_to_score = percentage
    client = FakeClient()
    s = Scheduler(client, cfg, rng=random.Random(11))  # type: ignore[arg-type]
    for fwk in s.profiles.values():
        fwk.plugins["DefaultPreemption"].rand = random.Random(5)  # its candidate offset is random
        if variant in ("plain", "memo"):
            fwk._filter_batch_plugins = []
        if variant == "plain":
            fwk._filter_memo_plugins = []
            fwk._score_memo_plugins = set()
    bulk_calls = [0]
    inner = s._filter_in_bulk

    def counting(*args: Any) -> Any:
        bulk_calls[0] += 1
        return inner(*args)
    s._filter_in_bulk = counting  # type: ignore[method-assign]
    return s, client, bulk_calls


async def run(variant: str, seed: int, nodes: int, bound: int, pending: int, percentage: int | None) -> dict:
    rng = random.Random(seed)
    s, client, bulk_calls = make(variant, percentage)
    names = [f"n{i:04d}" for i in range(nodes)]
    for name in names:
        n = randomcluster.node(rng, name)
        s.node_informer.store[name] = n
        s._on_node_add(n)
    for i in range(bound):
        p = randomcluster.pod(rng, f"bound-{i}", node_name=rng.choice(names))
        s.pod_informer.store[f"ns/bound-{i}"] = p
        s._on_pod_add(p)
    for i in range(pending):
        p = randomcluster.pod(rng, f"p-{i}")
        if rng.random() < 0.1:
            p["spec"]["priority"] = 1000  # may preempt: nominated pods take the node-by-node path
        s.pod_informer.store[f"ns/p-{i}"] = p
        s._on_pod_add(p)
        if i % 7 == 6:  # schedule in batches, as pods arrive
            await settle(s)
        if i % 50 == 49:  # and the cluster changes meanwhile: a node's pods go, a node is relabelled
            gone = rng.choice(list(s.pod_informer.store))
            s._on_pod_delete(s.pod_informer.store.pop(gone))
            name = rng.choice(names)
            old = s.node_informer.store[name]
            new = {**old, "metadata": {**old["metadata"], "labels": {**old["metadata"]["labels"], "disk": "ssd"}}}
            s.node_informer.store[name] = new
            s._on_node_update(old, new)
    await settle(s)
    out = {"bindings": client.bindings(), "failures": client.failures(), "start": s.next_start_node_index,
           "bulk": bulk_calls[0]}
    await s.stop()
    return out


async def settle(s: Scheduler) -> None:
    while (qpi := s.queue.pop_nowait()) is not None:
        s.schedule_one(qpi)
    for _ in range(3):
        await asyncio.gather(*list(s._background), return_exceptions=True)
    await asyncio.sleep(0)


@pytest.mark.parametrize("seed,nodes,bound,pending,percentage", [
    (1, 300, 400, 250, None),  # sampling: fewer nodes examined than exist
    (2, 150, 300, 200, None),
    (3, 40, 60, 120, 100),  # every node examined, many failures
    (4, 600, 200, 150, 20),
])
async def test_bulk_memo_and_plain_paths_schedule_identically(seed, nodes, bound, pending, percentage):
    plain = await run("plain", seed, nodes, bound, pending, percentage)
    memo = await run("memo", seed, nodes, bound, pending, percentage)
    bulk = await run("bulk", seed, nodes, bound, pending, percentage)
    assert plain["bulk"] == memo["bulk"] == 0 and bulk["bulk"] >= 10
    assert len(plain["bindings"]) > 20 and plain["failures"]  # the clusters exercise both outcomes
    for other in (memo, bulk):
        assert other["bindings"] == plain["bindings"]
        assert other["failures"] == plain["failures"]
        assert other["start"] == plain["start"]
