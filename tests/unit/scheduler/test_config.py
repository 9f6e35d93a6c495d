"""KubeSchedulerConfiguration: upstream's v1 defaults, plugin-set merging, plugin args and validation messages."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.config import (API_VERSION, KIND, ConfigError, PluginRef, default_config, load_config,
                                         num_feasible_nodes_to_find, parse_config, parse_duration)


def cfg(**fields):
    return {"apiVersion": API_VERSION, "kind": KIND, **fields}


def multipoint(profile):
    return [(r.name, r.weight) for r in profile.plugin_set("multiPoint").enabled]


def test_defaults():
    c = default_config()
    assert c.parallelism == 16
    assert c.percentage_of_nodes_to_score == 0
    assert (c.pod_initial_backoff_seconds, c.pod_max_backoff_seconds) == (1, 10)
    le = c.leader_election
    assert (le.leader_elect, le.lease_duration, le.renew_deadline, le.retry_period) == (True, 15.0, 10.0, 2.0)
    assert (le.resource_namespace, le.resource_name, le.resource_lock) == ("kube-system", "kube-scheduler", "leases")
    assert [p.scheduler_name for p in c.profiles] == ["default-scheduler"]
    mp = dict(multipoint(c.profiles[0]))
    assert mp["TaintToleration"] == 3 and mp["NodeAffinity"] == 2 and mp["PodTopologySpread"] == 2
    assert mp["InterPodAffinity"] == 2 and mp["NodeResourcesFit"] == 1
    assert mp["NodeResourcesBalancedAllocation"] == 1 and mp["ImageLocality"] == 1
    assert list(mp)[:4] == ["SchedulingGates", "PrioritySort", "NodeUnschedulable", "NodeName"]
    assert list(mp)[-1] == "DefaultBinder"


def test_default_plugin_args():
    args = default_config().profiles[0].plugin_config
    assert args["NodeResourcesFit"] == {"scoringStrategy": {"type": "LeastAllocated", "resources": [
        {"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]}}
    assert args["PodTopologySpread"]["defaultingType"] == "System"
    assert args["InterPodAffinity"]["hardPodAffinityWeight"] == 1
    assert args["DefaultPreemption"] == {"minCandidateNodesPercentage": 10, "minCandidateNodesAbsolute": 100}
    assert args["NodeResourcesBalancedAllocation"]["resources"] == [{"name": "cpu", "weight": 1},
                                                                      {"name": "memory", "weight": 1}]
    assert "PrioritySort" not in args


def test_empty_document_and_single_unnamed_profile_get_default_name():
    assert parse_config(None).profiles[0].scheduler_name == "default-scheduler"
    c = parse_config(cfg(profiles=[{"pluginConfig": []}]))
    assert c.profiles[0].scheduler_name == "default-scheduler"


def test_configured_args_are_completed_with_defaults():
    c = parse_config(cfg(profiles=[{"pluginConfig": [
        {"name": "NodeResourcesFit", "args": {"apiVersion": API_VERSION, "kind": "NodeResourcesFitArgs",
                                              "scoringStrategy": {"type": "MostAllocated"}}},
        {"name": "PodTopologySpread", "args": {"defaultingType": "List", "defaultConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}]}},
    ]}]))
    args = c.profiles[0].plugin_config
    assert args["NodeResourcesFit"] == {"scoringStrategy": {"type": "MostAllocated", "resources": [
        {"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]}}
    assert args["PodTopologySpread"]["defaultConstraints"][0]["maxSkew"] == 1
    assert args["InterPodAffinity"]["hardPodAffinityWeight"] == 1  # untouched plugins still defaulted


def test_merge_disable_all_scores_and_enable_one():
    c = parse_config(cfg(profiles=[{"schedulerName": "default-scheduler", "plugins": {
        "score": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeResourcesFit", "weight": 5}]},
    }}]))
    score = c.profiles[0].plugin_set("score")
    assert score.disabled == ["*"]
    assert score.enabled == [PluginRef("NodeResourcesFit", 5)]
    assert len(c.profiles[0].plugin_set("multiPoint").enabled) > 10  # multiPoint defaults stay


def test_merge_reconfigures_default_in_place_and_appends_new():
    c = parse_config(cfg(profiles=[{"plugins": {"multiPoint": {
        "enabled": [{"name": "ImageLocality", "weight": 7}, {"name": "MyPlugin"}],
        "disabled": [{"name": "NodePorts"}]}}}]))
    mp = multipoint(c.profiles[0])
    names = [n for n, _ in mp]
    assert ("ImageLocality", 7) in mp
    assert names.index("ImageLocality") < names.index("DefaultBinder")  # replaced where the default was
    assert names[-1] == "MyPlugin"
    assert "NodePorts" not in names


def test_multipoint_disable_all():
    c = parse_config(cfg(profiles=[{"plugins": {"multiPoint": {
        "disabled": [{"name": "*"}], "enabled": [{"name": "PrioritySort"}, {"name": "DefaultBinder"}]}}}]))
    assert multipoint(c.profiles[0]) == [("PrioritySort", None), ("DefaultBinder", None)]


def test_two_profiles():
    c = parse_config(cfg(profiles=[{"schedulerName": "default-scheduler"},
                                   {"schedulerName": "other", "percentageOfNodesToScore": 30}]))
    assert [p.scheduler_name for p in c.profiles] == ["default-scheduler", "other"]
    assert c.profile("other").percentage_of_nodes_to_score == 30
    assert c.profile("nope") is None


def test_durations_and_leader_election():
    c = parse_config(cfg(leaderElection={"leaderElect": False, "leaseDuration": "30s", "renewDeadline": "20s",
                                         "retryPeriod": "500ms"}))
    le = c.leader_election
    assert (le.leader_elect, le.lease_duration, le.renew_deadline, le.retry_period) == (False, 30.0, 20.0, 0.5)


@pytest.mark.parametrize("doc, message", [
    pytest.param(cfg(percentageOfNodesToScore=101),
                 "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]", id="percentage"),
    pytest.param(cfg(podInitialBackoffSeconds=0),
                 "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0", id="initial-backoff"),
    pytest.param(cfg(podInitialBackoffSeconds=5, podMaxBackoffSeconds=2),
                 "podMaxBackoffSeconds: Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds",
                 id="max-backoff"),
    pytest.param(cfg(parallelism=0),
                 "parallelism: Invalid value: 0: should be an integer value greater than zero", id="parallelism"),
    pytest.param(cfg(profiles=[{"schedulerName": "a"}, {"schedulerName": "a"}]),
                 'profiles[1].schedulerName: Duplicate value: "a"', id="duplicate-profile"),
    pytest.param(cfg(profiles=[{"schedulerName": "a"}, {}]),
                 "profiles[1].schedulerName: Required value", id="unnamed-second-profile"),
    pytest.param(cfg(profiles=[{"percentageOfNodesToScore": -1}]),
                 "profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]",
                 id="profile-percentage"),
    pytest.param(cfg(foo=1), 'unknown field "foo"', id="unknown-field"),
    pytest.param(cfg(profiles=[{"plugins": {"filtre": {}}}]), 'unknown field "profiles[0].plugins.filtre"',
                 id="unknown-point"),
    pytest.param({"apiVersion": "kubescheduler.config.k8s.io/v1beta3", "kind": KIND},
                 'no kind "KubeSchedulerConfiguration" is registered for version '
                 '"kubescheduler.config.k8s.io/v1beta3"', id="old-version"),
    pytest.param(cfg(profiles=[{"pluginConfig": [{"name": "NodeResourcesFit", "args": {
        "scoringStrategy": {"type": "Spread"}}}]}]),
                 'profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: "Spread": supported '
                 'values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"', id="scoring-type"),
    pytest.param(cfg(profiles=[{"pluginConfig": [{"name": "NodeResourcesFit", "args": {
        "scoringStrategy": {"type": "RequestedToCapacityRatio"}}}]}]),
                 "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Required value: must "
                 "be specified when type is RequestedToCapacityRatio", id="rtcr-missing"),
    pytest.param(cfg(profiles=[{"pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {
        "type": "RequestedToCapacityRatio", "requestedToCapacityRatio": {"shape": [
            {"utilization": 50, "score": 5}, {"utilization": 10, "score": 11}]}}}}]}]),
                 "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: "
                 "Invalid value: 10: values must be sorted in increasing order", id="rtcr-shape"),
    pytest.param(cfg(profiles=[{"pluginConfig": [{"name": "PodTopologySpread", "args": {
        "defaultConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}}]}]),
                 'profiles[0].pluginConfig[0].args.defaultingType: Invalid value: "System": when '
                 '.defaultConstraints are not empty', id="pts-system-with-constraints"),
    pytest.param(cfg(profiles=[{"pluginConfig": [{"name": "NodeResourcesFit"}, {"name": "NodeResourcesFit"}]}]),
                 'profiles[0].pluginConfig[1]: Duplicate value: "NodeResourcesFit"', id="duplicate-args"),
    pytest.param(cfg(profiles=[{"pluginConfig": [{"name": "InterPodAffinity", "args": {
        "hardPodAffinityWeight": 101}}]}]),
                 "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101: not in valid range "
                 "[0, 100]", id="hard-affinity-weight"),
    pytest.param(cfg(profiles=[{"schedulerName": "a"}, {"schedulerName": "b", "plugins": {
        "queueSort": {"enabled": [{"name": "Other"}], "disabled": [{"name": "*"}]}}}]),
                 "profiles[1].plugins.queueSort: Invalid value:", id="queue-sort-differs"),
    pytest.param(cfg(leaderElection={"leaseDuration": "1x"}),
                 'leaderElection.leaseDuration: Invalid value: "1x": time: invalid duration "1x"', id="duration"),
    pytest.param(cfg(extenders=[{"urlPrefix": "http://x"}]), "extenders: Forbidden:", id="extenders"),
])
def test_invalid(doc, message):
    with pytest.raises(ConfigError) as ei:
        parse_config(doc)
    assert message in str(ei.value), str(ei.value)


def test_all_errors_reported_together():
    with pytest.raises(ConfigError) as ei:
        parse_config(cfg(percentageOfNodesToScore=200, podInitialBackoffSeconds=-1))
    assert len(ei.value.errors) == 2
    assert str(ei.value).startswith("[")


def test_load_config_file(tmp_path):
    f = tmp_path / "sched.yaml"
    f.write_text(f"""apiVersion: {API_VERSION}
kind: {KIND}
percentageOfNodesToScore: 40
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
""")
    c = load_config(f)
    assert c.percentage_of_nodes_to_score == 40
    assert c.profile("bin-packing").plugin_config["NodeResourcesFit"]["scoringStrategy"]["type"] == "MostAllocated"
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: [\n")
    with pytest.raises(ConfigError, match="couldn't decode"):
        load_config(bad)
    with pytest.raises(ConfigError, match="unable to read config file"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize("text, seconds", [("15s", 15.0), ("1m30s", 90.0), ("250ms", 0.25), ("0", 0.0),
                                           ("1h", 3600.0), ("1.5s", 1.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "15", "s", "1x", "1s2"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("percentage, nodes, expected", [
    (0, 50, 50),        # below 100 nodes: all
    (0, 100, 100),
    (0, 500, 230),      # 50 - 500/125 = 46%
    (0, 1000, 420),     # 42%
    (0, 5000, 500),     # 10%
    (0, 6000, 300),     # 50 - 48 = 2% -> at least 5%
    (0, 20000, 1000),
    (30, 1000, 300),
    (5, 1000, 100),     # at least 100 nodes
    (100, 5000, 5000),
])
def test_num_feasible_nodes_to_find(percentage, nodes, expected):
    assert num_feasible_nodes_to_find(percentage, nodes) == expected
