"""The kubelet against a real API server with the in-memory runtime: node registration, the pod lifecycle
(init containers, restarts and CrashLoopBackOff, probes, termination, deletion), volumes kept current, restart
safety, orphans, static and mirror pods, image pull errors, logs."""

from __future__ import annotations

import os

from kybernetes.client.rest import resource_path
from kybernetes.cri.api import ContainerState, SandboxState

from .conftest import running_kubelet


def cond(pod, ctype):
    return next((c for c in (pod.get("status") or {}).get("conditions") or () if c["type"] == ctype), {})


async def test_node_registration_status_and_lease(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        node = await env.client.get(resource_path("", "v1", "nodes", name=env.node))
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/hostname"] == env.node and labels["kubernetes.io/os"] == "linux"
        assert labels["kubernetes.io/arch"] in ("amd64", "arm64")
        st = node["status"]
        assert st["capacity"]["pods"] == "110" and int(st["capacity"]["cpu"]) >= 1
        assert st["capacity"]["memory"].endswith("Ki") and "ephemeral-storage" in st["allocatable"]
        assert [c["type"] for c in st["conditions"]] == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
        ready = st["conditions"][3]
        assert (ready["status"], ready["reason"], ready["message"]) == ("True", "KubeletReady",
                                                                        "kubelet is posting ready status")
        assert st["addresses"] == [{"type": "InternalIP", "address": "192.0.2.10"},
                                   {"type": "Hostname", "address": env.node}]
        info = st["nodeInfo"]
        assert info["containerRuntimeVersion"] == "fake://0.1" and info["kubeletVersion"] == "v1.32.0"
        assert info["operatingSystem"] == "linux" and info["kernelVersion"]
        assert st["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
        assert st["images"] and st["images"][0]["names"][0].startswith("busybox")
        lease_path = resource_path("coordination.k8s.io", "v1", "leases", "kube-node-lease", env.node)
        lease = await env.client.get(lease_path)
        assert lease["spec"]["holderIdentity"] == env.node and lease["spec"]["leaseDurationSeconds"] == 40
        assert lease["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]
        first = lease["spec"]["renewTime"]
        await env.until(lambda: _renewed(env, lease_path, first), timeout=10)


async def _renewed(env, path, first):
    return (await env.client.get(path))["spec"]["renewTime"] != first


async def test_pod_runs_with_init_containers_env_and_volumes(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.client.create(resource_path("", "v1", "configmaps", env.ns), {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"greeting": "hi",
                                                                                          "file.txt": "v1"}})
        await env.create_pod("web", {
            "initContainers": [{"name": "init", "image": "busybox", "command": ["exit", "0"]}],
            "containers": [
                {"name": "app", "image": "busybox", "imagePullPolicy": "IfNotPresent", "command": ["sleep"],
                 "args": ["$(WHO)"], "workingDir": "/work",
                 "env": [{"name": "A", "value": "x"}, {"name": "WHO", "value": "$(A)-y"},
                         {"name": "G", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "greeting"}}},
                         {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                 "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}, {"name": "data", "mountPath": "/d"}],
                 "resources": {"requests": {"cpu": "100m", "memory": "32Mi"}}},
                {"name": "side", "image": "busybox"}],
            "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}, {"name": "data", "emptyDir": {}}]})
        pod = await env.until(lambda: _running_ready(env, "web"))
        st = pod["status"]
        assert st["podIP"].startswith("10.88.0.") and st["hostIP"] == "192.0.2.10" and st["startTime"]
        assert st["qosClass"] == "Burstable"
        assert [c["type"] for c in st["conditions"]] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                                         "ContainersReady", "PodScheduled"]
        assert all(c["status"] == "True" for c in st["conditions"])
        init = st["initContainerStatuses"][0]
        assert init["state"]["terminated"]["reason"] == "Completed" and init["ready"] is True
        app = next(c for c in st["containerStatuses"] if c["name"] == "app")
        assert app["containerID"].startswith("fake://") and app["ready"] and app["started"]
        assert app["imageID"].startswith("sha256:") and app["restartCount"] == 0
        # what the runtime was asked
        rt = env.runtime
        sb_config = rt.calls_of("run_pod_sandbox")[0][1]
        uid = pod["metadata"]["uid"]
        assert sb_config.cgroup_parent == f"/kubepods/burstable/pod{uid}"
        assert sb_config.labels["io.kubernetes.pod.uid"] == uid and sb_config.hostname == "web"
        assert sb_config.dns_config.servers == ["10.43.0.10"]
        assert sb_config.dns_config.searches[:3] == [f"{env.ns}.svc.cluster.local", "svc.cluster.local",
                                                     "cluster.local"]
        assert sb_config.log_directory == str(tmp_path / "logs" / f"{env.ns}_web_{uid}")
        created = {c[2].name: c[2] for c in rt.calls_of("create_container")}
        assert list(created)[:2] == ["init", "app"]  # init first
        cfg = created["app"]
        env_vars = dict((kv.key, kv.value) for kv in cfg.envs)
        assert env_vars["WHO"] == "x-y" and env_vars["G"] == "hi" and env_vars["IP"] == st["podIP"]
        assert env_vars["KUBERNETES_SERVICE_HOST"]  # service links of the kubernetes Service
        assert cfg.args == ["x-y"] and cfg.working_dir == "/work" and cfg.log_path == "app/0.log"
        assert cfg.labels["io.kubernetes.container.name"] == "app"
        assert cfg.resources.cpu_shares == 102 and cfg.resources.oom_score_adj > 0
        mounts = {m.container_path: m.host_path for m in cfg.mounts}
        assert open(os.path.join(mounts["/etc/cfg"], "file.txt")).read() == "v1"
        assert mounts["/etc/hosts"].endswith("/etc-hosts") and "/dev/termination-log" in mounts
        assert f"{st['podIP']}\tweb" in open(mounts["/etc/hosts"]).read()
        assert (tmp_path / "cgroup" / "cpu,cpuacct" / "kubepods" / "burstable" / f"pod{uid}").is_dir()
        reasons = {e["reason"] for e in await env.events("web")}
        assert {"Pulled", "Created", "Started"} <= reasons
        # the mounted ConfigMap follows its source
        await env.client.patch(resource_path("", "v1", "configmaps", env.ns, "cfg"), {"data": {"file.txt": "v2"}})
        await env.until(lambda: open(os.path.join(mounts["/etc/cfg"], "file.txt")).read() == "v2", timeout=10)


async def _running_ready(env, name):
    pod = await env.get_pod(name)
    if (pod.get("status") or {}).get("phase") == "Running" and cond(pod, "Ready").get("status") == "True":
        return pod
    return None


async def test_crash_loop_back_off_and_restart_counts(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("crash", {"containers": [{"name": "c", "image": "busybox", "command": ["exit", "3"]}]})
        seen = set()

        async def looping():
            cs = await env.container_status("crash", "c")
            state = cs.get("state") or {}
            if "waiting" in state:
                seen.add(state["waiting"].get("reason"))
                msg = state["waiting"].get("message", "")
                if state["waiting"].get("reason") == "CrashLoopBackOff":
                    assert msg.startswith("back-off ") and "restarting failed container=c pod=crash_" in msg
            return cs.get("restartCount", 0) >= 3 and cs

        cs = await env.until(looping, timeout=30)
        assert "CrashLoopBackOff" in seen
        last = cs["lastState"]["terminated"]
        assert last["exitCode"] == 3 and last["reason"] == "Error" and last["containerID"].startswith("fake://")
        assert (await env.phase("crash")) == "Running"
        attempts = [c.config.attempt for c in env.runtime.by_name("c")]
        assert len(attempts) <= 3 and attempts == sorted(attempts)  # old instances pruned, newest kept
        events = await env.events("crash")
        assert any(e["reason"] == "BackOff" and e["message"].startswith("Back-off restarting failed container c")
                   for e in events)


async def test_restart_policy_never_succeeds_and_cleans_up_after_itself(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        pod = await env.create_pod("job", {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "busybox",
                                                           "command": ["run-then-exit", "0.3", "0"]}]})
        uid = pod["metadata"]["uid"]
        await env.until(lambda: _phase_is(env, "job", "Succeeded"))
        cs = await env.container_status("job", "c")
        assert cs["state"]["terminated"]["reason"] == "Completed" and cs["ready"] is False
        pod = await env.get_pod("job")
        assert cond(pod, "Ready")["reason"] == "PodCompleted"
        sb = next(iter(env.runtime.sandboxes.values()))
        await env.until(lambda: sb.state == SandboxState.SANDBOX_NOTREADY)
        await env.until(lambda: not (tmp_path / "root" / "pods" / uid).exists())
        await env.until(lambda: not (tmp_path / "cgroup" / "memory" / "kubepods" / "besteffort" / f"pod{uid}")
                        .exists())
        assert env.runtime.containers  # kept for logs until the pod is deleted
        await env.client.delete(env.pod_path("job"))
        await env.until(lambda: env.gone("job"))
        await env.until(lambda: not env.runtime.containers and not env.runtime.sandboxes)
        await env.until(lambda: not (tmp_path / "logs" / f"{env.ns}_job_{uid}").exists())


async def _phase_is(env, name, phase):
    return (await env.phase(name)) == phase


async def test_graceful_deletion_runs_pre_stop_then_stops_and_deletes(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("svc", {"terminationGracePeriodSeconds": 7, "containers": [
            {"name": "c", "image": "busybox",
             "lifecycle": {"preStop": {"exec": {"command": ["drain"]}},
                           "postStart": {"exec": {"command": ["warm"]}}}}]})
        await env.until(lambda: _running_ready(env, "svc"))
        cid = env.runtime.running("c")[0].id
        assert ("exec_sync", cid, ["warm"]) in env.runtime.calls
        await env.client.delete(env.pod_path("svc"), {"gracePeriodSeconds": 4})
        await env.until(lambda: env.gone("svc"))
        assert ("exec_sync", cid, ["drain"]) in env.runtime.calls
        stops = [c for c in env.runtime.calls_of("stop_container") if c[1] == cid]
        assert stops and 2 <= stops[0][2] <= 4  # what is left of the 4 s after preStop, at least 2
        pre = env.runtime.calls.index(("exec_sync", cid, ["drain"]))
        assert env.runtime.calls.index(stops[0]) > pre
        await env.until(lambda: not env.runtime.containers and not env.runtime.sandboxes)
        events = await env.events("svc")
        assert any(e["reason"] == "Killing" and e["message"] == "Stopping container c" for e in events)


async def test_liveness_failure_restarts_and_readiness_drives_ready(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        probe = {"periodSeconds": 1, "failureThreshold": 1}
        await env.create_pod("probed", {"containers": [
            {"name": "c", "image": "busybox",
             "livenessProbe": {"exec": {"command": ["alive"]}, **probe},
             "readinessProbe": {"exec": {"command": ["ready"]}, **probe}}]})
        await env.until(lambda: _running_ready(env, "probed"))
        env.runtime.exec_results["ready"] = 1
        await env.until(lambda: _ready_is(env, "probed", "False"))
        pod = await env.get_pod("probed")
        assert cond(pod, "Ready")["message"] == "containers with unready status: [c]"
        env.runtime.exec_results["ready"] = 0
        await env.until(lambda: _ready_is(env, "probed", "True"))
        ready = cond(await env.get_pod("probed"), "Ready")
        assert "reason" not in ready and "message" not in ready  # removed, not merged into the True condition
        first = env.runtime.running("c")[0].id
        env.runtime.exec_results["alive"] = 1
        cs = await env.until(lambda: _restarted(env, "probed", "c"))
        assert cs["lastState"]["terminated"]["exitCode"] == 143 and cs["containerID"] != f"fake://{first}"
        events = await env.events("probed")
        assert any(e["reason"] == "Unhealthy" and e["message"].startswith("Liveness probe failed: unhealthy")
                   for e in events)
        assert any(e["reason"] == "Killing" and e["message"] == "Container c failed liveness probe, will be restarted"
                   for e in events)


async def _ready_is(env, name, value):
    return cond(await env.get_pod(name), "Ready").get("status") == value


async def _restarted(env, name, container):
    cs = await env.container_status(name, container)
    return cs if cs.get("restartCount", 0) >= 1 and "running" in (cs.get("state") or {}) else None


async def test_restarted_kubelet_adopts_running_containers_and_removes_orphans(kyb, tmp_path):
    from .conftest import new_kubelet

    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("keep", {"containers": [{"name": "c", "image": "busybox"}]})
        await env.until(lambda: _running_ready(env, "keep"))
        before = await env.container_status("keep", "c")
        starts = len(env.runtime.calls_of("start_container"))
        await env.kubelet.stop()
        # while the kubelet is down: a pod it ran is force-deleted, another container appears without a pod
        orphan = await env.create_pod("orphan", {"containers": [{"name": "o", "image": "busybox"}]})
        env.kubelet = new_kubelet(env.client, env.runtime, tmp_path, env.node)
        await env.kubelet.start()
        await env.until(lambda: _running_ready(env, "orphan"))
        await env.kubelet.stop()
        await env.client.delete(env.pod_path("orphan"), {"gracePeriodSeconds": 0})
        await env.until(lambda: env.gone("orphan"))
        env.kubelet = new_kubelet(env.client, env.runtime, tmp_path, env.node)
        await env.kubelet.start()
        uid = orphan["metadata"]["uid"]
        await env.until(lambda: not any(c.config.labels["io.kubernetes.pod.uid"] == uid
                                        for c in env.runtime.containers.values()))
        await env.until(lambda: not (tmp_path / "root" / "pods" / uid).exists())
        after = await env.container_status("keep", "c")
        assert after["containerID"] == before["containerID"] and after["restartCount"] == 0
        assert after["state"]["running"]["startedAt"] == before["state"]["running"]["startedAt"]
        keep_starts = [c for c in env.runtime.calls_of("start_container")[starts:]
                       if env.runtime.containers.get(c[1]) and env.runtime.containers[c[1]].config.name == "c"]
        assert keep_starts == []  # adopted, never restarted
        assert (await env.phase("keep")) == "Running"


async def test_static_pod_runs_with_a_mirror_pod(kyb, tmp_path):
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "static.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: static, namespace: NS}\n"
        "spec:\n  containers: [{name: c, image: busybox, imagePullPolicy: IfNotPresent}]\n")
    async with running_kubelet(kyb, tmp_path, pod_manifest_path="") as env:
        (manifests / "static.yaml").write_text((manifests / "static.yaml").read_text().replace("NS", env.ns))
        await env.kubelet.stop()
        from .conftest import new_kubelet

        env.kubelet = new_kubelet(env.client, env.runtime, tmp_path, env.node, pod_manifest_path=str(manifests))
        await env.kubelet.start()
        name = f"static-{env.node}"
        mirror = await env.until(lambda: _running_ready(env, name))
        ann = mirror["metadata"]["annotations"]
        assert ann["kubernetes.io/config.mirror"] == ann["kubernetes.io/config.hash"]
        assert ann["kubernetes.io/config.source"] == "file"
        assert mirror["metadata"]["ownerReferences"][0]["kind"] == "Node"
        static_uid = ann["kubernetes.io/config.hash"]
        assert mirror["metadata"]["uid"] != static_uid
        assert env.runtime.running("c")[0].config.labels["io.kubernetes.pod.uid"] == static_uid
        # a deleted mirror pod comes back; the static pod keeps running
        await env.client.delete(env.pod_path(name))
        await env.until(lambda: _new_mirror(env, name, mirror["metadata"]["uid"]))
        assert len(env.runtime.calls_of("start_container")) == 1
        # removing the manifest stops the pod and deletes its mirror
        (manifests / "static.yaml").unlink()
        await env.until(lambda: env.gone(name))
        await env.until(lambda: not env.runtime.containers and not env.runtime.sandboxes)


async def _new_mirror(env, name, old_uid):
    pod = await env.get_pod(name)
    return pod["metadata"]["uid"] != old_uid and (pod.get("status") or {}).get("phase") == "Running"


async def test_image_pull_failures_back_off(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("img", {"containers": [{"name": "c", "image": "nothere:1.0"}]})
        seen = set()

        async def both():
            cs = await env.container_status("img", "c")
            seen.add(((cs.get("state") or {}).get("waiting") or {}).get("reason"))
            return {"ErrImagePull", "ImagePullBackOff"} <= seen

        await env.until(both)
        assert (await env.phase("img")) == "Pending"
        events = await env.events("img")
        assert any(e["reason"] == "Failed" and e["message"].startswith('Failed to pull image "nothere:1.0"')
                   for e in events)
        assert any(e["reason"] == "BackOff" and e["message"] == 'Back-off pulling image "nothere:1.0"'
                   for e in events)


async def test_missing_sources_wait_then_start(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("needs", {
            "containers": [{"name": "c", "image": "busybox",
                            "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "k"}}}],
                            "volumeMounts": [{"name": "v", "mountPath": "/v"}]}],
            "volumes": [{"name": "v", "configMap": {"name": "later"}}]})
        await env.until(lambda: _has_event(env, "needs", "FailedMount",
                                           'MountVolume.SetUp failed for volume "v" : configmap "later" not found'))
        await env.client.create(resource_path("", "v1", "configmaps", env.ns), {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "later"}, "data": {"a": "b"}})
        cs = await env.until(lambda: _waiting(env, "needs", "c", "CreateContainerConfigError"))
        assert cs["state"]["waiting"]["message"] == 'secret "sec" not found'
        await env.client.create(resource_path("", "v1", "secrets", env.ns), {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"}, "stringData": {"k": "s3cret"}})
        await env.until(lambda: _running_ready(env, "needs"))
        cfg = env.runtime.running("c")[0].config
        assert ("K", "s3cret") in [(kv.key, kv.value) for kv in cfg.envs]


async def _has_event(env, name, reason, message):
    return any(e["reason"] == reason and e["message"] == message for e in await env.events(name))


async def _waiting(env, name, container, reason):
    cs = await env.container_status(name, container)
    return cs if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == reason else None


async def test_spec_change_restarts_the_container(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("upd", {"containers": [{"name": "c", "image": "busybox"}]})
        await env.until(lambda: _running_ready(env, "upd"))
        first = env.runtime.running("c")[0].id
        await env.client.patch(env.pod_path("upd"), {"spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}},
                               "strategic")
        cs = await env.until(lambda: _image_is(env, "upd", "c", "busybox:1.36"))
        assert cs["restartCount"] == 1 and cs["containerID"] != f"fake://{first}"
        assert any(e["message"] == "Container c definition changed, will be restarted"
                   for e in await env.events("upd"))


async def _image_is(env, name, container, image):
    cs = await env.container_status(name, container)
    return cs if cs.get("image") == image and "running" in (cs.get("state") or {}) else None


async def test_emptydir_over_its_size_limit_evicts_the_pod(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path, sync_frequency=0.3) as env:
        pod = await env.create_pod("fat", {"containers": [{"name": "c", "image": "busybox"}],
                                           "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "64Ki"}}]})
        await env.until(lambda: _running_ready(env, "fat"))
        d = tmp_path / "root" / "pods" / pod["metadata"]["uid"] / "volumes" / "kubernetes.io~empty-dir" / "scratch"
        (d / "big").write_bytes(os.urandom(256 * 1024))
        await env.until(lambda: _phase_is(env, "fat", "Failed"))
        st = (await env.get_pod("fat"))["status"]
        assert st["reason"] == "Evicted"
        assert st["message"] == 'Usage of EmptyDir volume "scratch" exceeds the limit "64Ki". '
        # as upstream's syncTerminatingPod, the Failed status is posted before the containers are killed
        await env.until(lambda: not env.runtime.running(), timeout=10)


async def test_logs_served_for_current_and_previous_instances(kyb, tmp_path):
    from kybernetes.kubelet.server import container_log_id

    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("talk", {"containers": [{"name": "c", "image": "busybox",
                                                      "command": ["run-then-exit", "0.3", "1"]}]})
        await env.until(lambda: _restarted(env, "talk", "c"))
        pod = env.kubelet.pod_by_name(env.ns, "talk")
        status = env.kubelet.pod_status(pod)
        current = await env.kubelet.log_file(pod, container_log_id(status, "c", "talk", False))
        previous = await env.kubelet.log_file(pod, container_log_id(status, "c", "talk", True))
        assert current.endswith("/c/1.log") or current.endswith("/c/2.log")
        assert "started c attempt 0" in open(previous).read() or previous.endswith("/c/1.log")
        assert current != previous and os.path.exists(current)
        cid = container_log_id(status, "c", "talk", False)
        assert await env.kubelet.container_running(cid) == (env.runtime.containers[cid].state ==
                                                            ContainerState.CONTAINER_RUNNING)


async def test_service_account_token_projection_without_token_request_api(kyb, tmp_path):
    async with running_kubelet(kyb, tmp_path) as env:
        await env.create_pod("tok", {"containers": [{"name": "c", "image": "busybox"}], "volumes": [
            {"name": "api", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]})
        events = await env.until(lambda: _events_with(env, "tok", "FailedMount"))
        assert events[0]["message"].startswith('MountVolume.SetUp failed for volume "api" : ')
        assert "TokenRequest" in events[0]["message"] or "failed to fetch token" in events[0]["message"]
        assert (await env.phase("tok")) == "Pending"


async def _events_with(env, name, reason):
    return [e for e in await env.events(name) if e["reason"] == reason]
