"""Event aggregation: identical events within 10 minutes bump count/lastTimestamp instead of creating Events."""

import re

from kybernetes.client.events import EventCorrelator, make_event


class Clock:
    def __init__(self, t=1_700_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def pod(name="web", uid="u1"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ns", "uid": uid}}


def ev(clock, obj=None, reason="Started", message="started container", type_="Normal"):
    return make_event(obj or pod(), type_, reason, message, component="kubelet", host="node-1", now=clock())


def test_make_event_shape_and_name():
    e = ev(Clock())
    assert re.fullmatch(r"web\.[0-9a-f]{16}", e["metadata"]["name"])
    assert e["metadata"]["namespace"] == "ns"
    assert e["involvedObject"] == {"kind": "Pod", "namespace": "ns", "name": "web", "uid": "u1", "apiVersion": "v1"}
    assert e["source"] == {"component": "kubelet", "host": "node-1"}
    assert e["count"] == 1 and e["firstTimestamp"] == e["lastTimestamp"] == "2023-11-14T22:13:20Z"


def test_cluster_scoped_object_events_go_to_default():
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "x"}}
    assert ev(Clock(), node)["metadata"]["namespace"] == "default"


def test_same_event_within_window_is_patched_with_count():
    clock = Clock()
    c = EventCorrelator(clock=clock)
    first = c.observe(ev(clock))
    assert first.action == "create"
    clock.t += 30
    second = c.observe(ev(clock))
    assert second.action == "patch"
    assert second.name == first.name and second.namespace == "ns"
    assert second.patch == {"count": 2, "lastTimestamp": "2023-11-14T22:13:50Z", "message": "started container"}
    assert second.event["firstTimestamp"] == "2023-11-14T22:13:20Z"
    clock.t += 30
    assert c.observe(ev(clock)).patch["count"] == 3


def test_different_reason_message_or_object_creates_new_event():
    clock = Clock()
    c = EventCorrelator(clock=clock)
    assert c.observe(ev(clock)).action == "create"
    assert c.observe(ev(clock, reason="Killing")).action == "create"
    assert c.observe(ev(clock, message="other")).action == "create"
    assert c.observe(ev(clock, pod(uid="u2"))).action == "create"
    assert c.observe(ev(clock, type_="Warning")).action == "create"


def test_after_ten_minutes_a_new_event_is_created():
    clock = Clock()
    c = EventCorrelator(clock=clock)
    first = c.observe(ev(clock))
    clock.t += 601
    later = c.observe(ev(clock))
    assert later.action == "create" and later.name != first.name
    clock.t += 599
    assert c.observe(ev(clock)).action == "patch"


def test_forget_starts_over():
    clock = Clock()
    c = EventCorrelator(clock=clock)
    e = ev(clock)
    c.observe(e)
    c.forget(e)
    assert c.observe(ev(clock)).action == "create"


async def test_recorder_creates_then_patches_on_the_server(kyb):
    from kybernetes.client.events import EventRecorder
    from kybernetes.client.rest import RESTClient, resource_path

    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c:
        obj = await c.create(resource_path("", "v1", "configmaps", "default"),
                             {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ev-target"}})
        obj.setdefault("kind", "ConfigMap")
        clock = Clock()
        rec = EventRecorder(c, "test-controller", "host-1", clock=clock)
        first = await rec.record(obj, "Normal", "Synced", "synced ok")
        assert first["count"] == 1 and first["involvedObject"]["uid"] == obj["metadata"]["uid"]
        clock.t += 5
        rec.event(obj, "Normal", "Synced", "synced ok")
        rec.event(obj, "Warning", "Failed", "boom")
        await rec.flush()
        await rec.close()
        listed = await c.list(resource_path("", "v1", "events", "default"),
                              {"fieldSelector": "involvedObject.name=ev-target"})
        by_reason = {e["reason"]: e for e in listed["items"]}
        assert set(by_reason) == {"Synced", "Failed"}
        synced = by_reason["Synced"]
        assert synced["metadata"]["name"] == first["metadata"]["name"]
        assert synced["count"] == 2 and synced["lastTimestamp"] == "2023-11-14T22:13:25Z"
        assert synced["firstTimestamp"] == "2023-11-14T22:13:20Z"
        assert by_reason["Failed"]["type"] == "Warning" and by_reason["Failed"]["count"] == 1
