"""WorkQueue: de-duplication, re-queue while processing, delays and rate limiting on a fake clock."""

import asyncio

import pytest

from kybernetes.client.workqueue import (
    SHUTDOWN,
    BucketRateLimiter,
    FakeClock,
    ItemExponentialFailureRateLimiter,
    WorkQueue,
    default_controller_rate_limiter,
)


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def test_add_deduplicates_and_keeps_fifo_order():
    q = WorkQueue(clock=FakeClock())
    for k in ["a", "b", "a", "c", "b"]:
        q.add(k)
    assert len(q) == 3
    assert [await q.get(), await q.get(), await q.get()] == ["a", "b", "c"]


async def test_key_added_while_processing_is_requeued_once_after_done():
    q = WorkQueue(clock=FakeClock())
    q.add("a")
    assert await q.get() == "a"
    q.add("a")
    q.add("a")
    assert len(q) == 0, "a key being processed must not be handed to a second worker"
    q.done("a")
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    assert len(q) == 0


async def test_get_waits_for_add():
    q = WorkQueue(clock=FakeClock())
    getter = asyncio.create_task(q.get())
    await settle()
    assert not getter.done()
    q.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_add_after_releases_the_key_when_the_clock_passes_the_delay():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("late", 5)
    q.add_after("early", 2)
    getter = asyncio.create_task(q.get())
    await settle()
    clock.advance(1.9)
    await settle()
    assert not getter.done()
    clock.advance(0.2)
    assert await asyncio.wait_for(getter, 1) == "early"
    assert len(q) == 0
    clock.advance(3)
    assert await asyncio.wait_for(q.get(), 1) == "late"


async def test_add_after_keeps_the_earlier_time():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("k", 10)
    q.add_after("k", 1)
    q.add_after("k", 20)
    clock.advance(1)
    assert await asyncio.wait_for(q.get(), 1) == "k"
    q.done("k")
    clock.advance(100)
    await settle()
    assert len(q) == 0


def test_item_exponential_backoff_doubles_from_5ms_to_1000s():
    rl = ItemExponentialFailureRateLimiter()
    delays = [rl.when("k") for _ in range(20)]
    assert delays[:4] == pytest.approx([0.005, 0.01, 0.02, 0.04])
    assert delays[-1] == 1000.0
    assert rl.num_requeues("k") == 20
    assert rl.when("other") == 0.005
    rl.forget("k")
    assert rl.num_requeues("k") == 0 and rl.when("k") == 0.005


def test_token_bucket_allows_burst_then_10_per_second():
    clock = FakeClock()
    rl = BucketRateLimiter(10, 100, clock=clock)
    assert all(rl.when(i) == 0 for i in range(100))
    assert rl.when("x") == pytest.approx(0.1)
    assert rl.when("y") == pytest.approx(0.2)
    clock.advance(1.0)
    # 1 s refills 10 tokens, 2 of which pay the debt
    assert [rl.when(i) for i in range(8)] == [0] * 8
    assert rl.when("z") == pytest.approx(0.1)


async def test_add_rate_limited_uses_the_longer_delay_and_forget_resets():
    clock = FakeClock()
    q = WorkQueue(clock=clock, rate_limiter=default_controller_rate_limiter(clock))
    for _ in range(3):
        q.add_rate_limited("k")  # 5, 10, 20 ms; earliest (5 ms) wins
    assert q.num_requeues("k") == 3
    clock.advance(0.004)
    await settle()
    assert len(q) == 0
    clock.advance(0.002)
    assert await asyncio.wait_for(q.get(), 1) == "k"
    q.forget("k")
    assert q.num_requeues("k") == 0


async def test_shut_down_drains_then_returns_sentinel_to_all_waiters():
    q = WorkQueue(clock=FakeClock())
    q.add("a")
    q.add_after("never", 10)
    q.shut_down()
    q.add("b")
    assert await q.get() == "a"
    waiters = [asyncio.create_task(q.get()) for _ in range(3)]
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [SHUTDOWN] * 3


async def test_shut_down_wakes_blocked_getters():
    q = WorkQueue(clock=FakeClock())
    getter = asyncio.create_task(q.get())
    await settle()
    q.shut_down()
    assert await asyncio.wait_for(getter, 1) is SHUTDOWN
