"""CrashLoopBackOff bookkeeping: first restart free, then 10 s doubling to 5 min, reset after 10 quiet minutes."""

import pytest

from kybernetes.kubelet.backoff import Backoff, format_duration


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_first_failure_restarts_at_once_then_doubles_up_to_the_cap():
    clock = Clock()
    b = Backoff(clock=clock)
    assert not b.in_backoff_since("k", clock.t)
    seen = []
    for _ in range(8):
        seen.append(b.next("k"))
        finished = clock.t  # the container dies right away
        assert b.in_backoff_since("k", finished)
        assert b.remaining("k", finished) == pytest.approx(seen[-1])
        clock.t += seen[-1] - 0.5
        assert b.in_backoff_since("k", finished)
        clock.t += 1
        assert not b.in_backoff_since("k", finished)
    assert seen == [10, 20, 40, 80, 160, 300, 300, 300]


def test_reset_after_twice_the_maximum_without_restarts():
    clock = Clock()
    b = Backoff(clock=clock)
    for _ in range(4):
        b.next("k")
    assert b.get("k") == 80
    clock.t += 599
    assert b.next("k") == 160  # still within 10 minutes of the last restart
    clock.t += 601
    assert not b.in_backoff_since("k", clock.t)  # expired: not in back-off even right after an exit
    assert b.next("k") == 10


def test_keys_are_independent_and_forgettable():
    clock = Clock()
    b = Backoff(clock=clock)
    b.next("pod_ns_uid1_a")
    b.next("pod_ns_uid1_a")
    b.next("pod_ns_uid2_a")
    assert b.get("pod_ns_uid1_a") == 20 and b.get("pod_ns_uid2_a") == 10
    b.forget_prefix("pod_ns_uid1_")
    assert b.get("pod_ns_uid1_a") == 0 and b.get("pod_ns_uid2_a") == 10
    clock.t += 601
    b.gc()
    assert b.get("pod_ns_uid2_a") == 0


def test_in_backoff_since_update_for_image_pulls():
    clock = Clock()
    b = Backoff(clock=clock)
    assert not b.in_backoff_since_update("img")
    b.next("img")
    assert b.in_backoff_since_update("img")
    clock.t += 10.5
    assert not b.in_backoff_since_update("img")


@pytest.mark.parametrize("secs,text", [(10, "10s"), (59, "59s"), (80, "1m20s"), (300, "5m0s"), (3661, "1h1m1s")])
def test_go_duration_format(secs, text):
    assert format_duration(secs) == text
