from kybernetes.scheduler.framework import Code
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.schedulinggates import SchedulingGates


def test_gated_pods_wait():
    p = SchedulingGates()
    assert p.pre_enqueue(PodInfo({"metadata": {"name": "a"}, "spec": {}})).is_success()
    st = p.pre_enqueue(PodInfo({"metadata": {"name": "a"},
                                "spec": {"schedulingGates": [{"name": "x"}, {"name": "y"}]}}))
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE and st.reasons == ["waiting for scheduling gates: [x y]"]
