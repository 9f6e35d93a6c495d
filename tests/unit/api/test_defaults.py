"""Tests for kybernetes.api.defaults: upstream 1.32's defaulting of the documentation's example manifests.

Each case feeds a manifest from the Kubernetes documentation (tasks and tutorials) through ``apply_defaults`` and
compares the whole object with what upstream 1.32 answers after a create, minus what registry strategies and
admission add on top (server metadata, Service cluster IPs and IP families, Job selectors and controller-uid
labels, status resets).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from kybernetes.api.defaults import FEATURE_GATES_1_32, apply_defaults, image_pull_policy


def defaulted(manifest: str, *, gates: dict[str, bool] | None = None) -> dict:
    obj = yaml.safe_load(manifest)
    group, _, version = obj["apiVersion"].rpartition("/")
    apply_defaults(obj, group, version, obj["kind"], gates=gates)
    return obj


def load(text: str) -> dict:
    return yaml.safe_load(text)


# The pod-spec defaults every template of a documented manifest below gets.
POD_SPEC_DEFAULTS = """
dnsPolicy: ClusterFirst
schedulerName: default-scheduler
securityContext: {}
terminationGracePeriodSeconds: 30
"""

CONTAINER_DEFAULTS = {"resources": {}, "terminationMessagePath": "/dev/termination-log",
                      "terminationMessagePolicy": "File"}


# ---------------------------------------------------------------------------------------------------------------
# The documentation's manifests and what upstream 1.32 returns for them.

NGINX_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""

NGINX_DEPLOYMENT_DEFAULTED = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  progressDeadlineSeconds: 600
  replicas: 3
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: nginx
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: nginx
    spec:
      containers:
      - image: nginx:1.14.2
        imagePullPolicy: IfNotPresent
        name: nginx
        ports:
        - containerPort: 80
          protocol: TCP
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
"""

SIMPLE_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: nginx
    image: nginx:1.14.2
    ports:
    - containerPort: 80
"""

SIMPLE_POD_DEFAULTED = """
apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - image: nginx:1.14.2
    imagePullPolicy: IfNotPresent
    name: nginx
    ports:
    - containerPort: 80
      protocol: TCP
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
"""

JOB_PI = """
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
"""

JOB_PI_DEFAULTED = """
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  backoffLimit: 4
  completionMode: NonIndexed
  completions: 1
  manualSelector: false
  parallelism: 1
  podReplacementPolicy: TerminatingOrFailed
  suspend: false
  template:
    metadata:
      creationTimestamp: null
    spec:
      containers:
      - command:
        - perl
        - -Mbignum=bpi
        - -wle
        - print bpi(2000)
        image: perl:5.34.0
        imagePullPolicy: IfNotPresent
        name: pi
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Never
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
"""

CRONJOB_HELLO = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
"""

CRONJOB_HELLO_DEFAULTED = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  concurrencyPolicy: Allow
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata:
      creationTimestamp: null
    spec:
      template:
        metadata:
          creationTimestamp: null
        spec:
          containers:
          - command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            name: hello
            resources: {}
            terminationMessagePath: /dev/termination-log
            terminationMessagePolicy: File
          dnsPolicy: ClusterFirst
          restartPolicy: OnFailure
          schedulerName: default-scheduler
          securityContext: {}
          terminationGracePeriodSeconds: 30
  schedule: '* * * * *'
  successfulJobsHistoryLimit: 3
  suspend: false
"""

STATEFULSET_WEB = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.21
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
"""

STATEFULSET_WEB_DEFAULTED = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  podManagementPolicy: OrderedReady
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: nginx
  serviceName: nginx
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: nginx
    spec:
      containers:
      - image: registry.k8s.io/nginx-slim:0.21
        imagePullPolicy: IfNotPresent
        name: nginx
        ports:
        - containerPort: 80
          name: web
          protocol: TCP
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - mountPath: /usr/share/nginx/html
          name: www
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
  updateStrategy:
    rollingUpdate:
      partition: 0
    type: RollingUpdate
  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      creationTimestamp: null
      name: www
    spec:
      accessModes:
      - ReadWriteOnce
      resources:
        requests:
          storage: 1Gi
      volumeMode: Filesystem
    status:
      phase: Pending
"""

DAEMONSET_FLUENTD = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
"""

DAEMONSET_FLUENTD_DEFAULTED = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      creationTimestamp: null
      labels:
        name: fluentd-elasticsearch
    spec:
      containers:
      - image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
        imagePullPolicy: IfNotPresent
        name: fluentd-elasticsearch
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - mountPath: /var/log
          name: varlog
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
      tolerations:
      - effect: NoSchedule
        key: node-role.kubernetes.io/control-plane
        operator: Exists
      - effect: NoSchedule
        key: node-role.kubernetes.io/master
        operator: Exists
      volumes:
      - hostPath:
          path: /var/log
          type: ""
        name: varlog
  updateStrategy:
    rollingUpdate:
      maxSurge: 0
      maxUnavailable: 1
    type: RollingUpdate
"""

PVC_TASK = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
"""

PVC_TASK_DEFAULTED = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  accessModes:
  - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
  storageClassName: manual
  volumeMode: Filesystem
status:
  phase: Pending
"""

PV_TASK = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
"""

PV_TASK_DEFAULTED = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  accessModes:
  - ReadWriteOnce
  capacity:
    storage: 10Gi
  hostPath:
    path: /mnt/data
    type: ""
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  volumeMode: Filesystem
status:
  phase: Pending
"""

INGRESS_MINIMAL = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: minimal-ingress
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: nginx-example
  rules:
  - http:
      paths:
      - path: /testpath
        pathType: Prefix
        backend:
          service:
            name: test
            port:
              number: 80
"""

NETWORK_POLICY_DOCS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    - namespaceSelector:
        matchLabels:
          project: myproject
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - protocol: TCP
      port: 5978
"""

HPA_PHP_APACHE = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
"""

SERVICE_CLUSTER_IP = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
"""

SERVICE_CLUSTER_IP_DEFAULTED = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  internalTrafficPolicy: Cluster
  ports:
  - port: 80
    protocol: TCP
    targetPort: 9376
  selector:
    app.kubernetes.io/name: MyApp
  sessionAffinity: None
  type: ClusterIP
"""

SERVICE_NODE_PORT = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - port: 80
      targetPort: 80
      nodePort: 30007
"""

SERVICE_NODE_PORT_DEFAULTED = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports:
  - nodePort: 30007
    port: 80
    protocol: TCP
    targetPort: 80
  selector:
    app.kubernetes.io/name: MyApp
  sessionAffinity: None
  type: NodePort
"""

SERVICE_LOAD_BALANCER = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
    - ip: 192.0.2.127
"""

SERVICE_LOAD_BALANCER_DEFAULTED = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  allocateLoadBalancerNodePorts: true
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports:
  - port: 80
    protocol: TCP
    targetPort: 9376
  selector:
    app.kubernetes.io/name: MyApp
  sessionAffinity: None
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
    - ip: 192.0.2.127
      ipMode: VIP
"""

SERVICE_EXTERNAL_NAME = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
  namespace: prod
spec:
  type: ExternalName
  externalName: my.database.example.com
"""

SERVICE_EXTERNAL_NAME_DEFAULTED = """
apiVersion: v1
kind: Service
metadata:
  name: my-service
  namespace: prod
spec:
  externalName: my.database.example.com
  sessionAffinity: None
  type: ExternalName
"""

SERVICE_HEADLESS = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
"""

SERVICE_HEADLESS_DEFAULTED = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  clusterIP: None
  internalTrafficPolicy: Cluster
  ports:
  - name: web
    port: 80
    protocol: TCP
    targetPort: 80
  selector:
    app: nginx
  sessionAffinity: None
  type: ClusterIP
"""

DOCUMENTED = {
    "nginx-deployment": (NGINX_DEPLOYMENT, NGINX_DEPLOYMENT_DEFAULTED),
    "simple-pod": (SIMPLE_POD, SIMPLE_POD_DEFAULTED),
    "job-pi": (JOB_PI, JOB_PI_DEFAULTED),
    "cronjob-hello": (CRONJOB_HELLO, CRONJOB_HELLO_DEFAULTED),
    "statefulset-web": (STATEFULSET_WEB, STATEFULSET_WEB_DEFAULTED),
    "daemonset-fluentd": (DAEMONSET_FLUENTD, DAEMONSET_FLUENTD_DEFAULTED),
    "pvc-task": (PVC_TASK, PVC_TASK_DEFAULTED),
    "pv-task": (PV_TASK, PV_TASK_DEFAULTED),
    "ingress-minimal": (INGRESS_MINIMAL, INGRESS_MINIMAL),
    "networkpolicy-docs": (NETWORK_POLICY_DOCS, NETWORK_POLICY_DOCS),
    "hpa-php-apache": (HPA_PHP_APACHE, HPA_PHP_APACHE),
    "service-clusterip": (SERVICE_CLUSTER_IP, SERVICE_CLUSTER_IP_DEFAULTED),
    "service-nodeport": (SERVICE_NODE_PORT, SERVICE_NODE_PORT_DEFAULTED),
    "service-loadbalancer": (SERVICE_LOAD_BALANCER, SERVICE_LOAD_BALANCER_DEFAULTED),
    "service-externalname": (SERVICE_EXTERNAL_NAME, SERVICE_EXTERNAL_NAME_DEFAULTED),
    "service-headless": (SERVICE_HEADLESS, SERVICE_HEADLESS_DEFAULTED),
}


@pytest.mark.parametrize("manifest, expected", DOCUMENTED.values(), ids=DOCUMENTED.keys())
def test_documented_manifest_matches_upstream(manifest: str, expected: str) -> None:
    assert defaulted(manifest) == load(expected)


@pytest.mark.parametrize("manifest", [m for m, _ in DOCUMENTED.values()], ids=DOCUMENTED.keys())
def test_defaulting_is_idempotent(manifest: str) -> None:
    once = defaulted(manifest)
    twice = copy.deepcopy(once)
    group, _, version = once["apiVersion"].rpartition("/")
    apply_defaults(twice, group, version, once["kind"])
    assert twice == once


def test_defaulted_values_are_not_shared_between_objects() -> None:
    first, second = defaulted(NGINX_DEPLOYMENT), defaulted(NGINX_DEPLOYMENT)
    first["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 1000
    first["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] = {"cpu": "1"}
    assert second == load(NGINX_DEPLOYMENT_DEFAULTED)


# ---------------------------------------------------------------------------------------------------------------
# core/v1 Pods and pod templates

@pytest.mark.parametrize("image, policy", [
    ("nginx", "Always"),
    ("nginx:latest", "Always"),
    ("nginx:1.14.2", "IfNotPresent"),
    ("docker.io/library/nginx", "Always"),
    ("registry.k8s.io/nginx-slim:0.21", "IfNotPresent"),
    ("localhost:5000/app", "Always"),
    ("localhost:5000/app:v1", "IfNotPresent"),
    ("[::1]:5000/app:latest", "Always"),
    ("busybox@sha256:" + "a" * 64, "IfNotPresent"),
    ("busybox:latest@sha256:" + "a" * 64, "Always"),
    ("busybox:latest@sha256:" + "a" * 63, "IfNotPresent"),  # a bad digest fails parsing: no tag seen
    ("Nginx", "IfNotPresent"),  # repository names must be lowercase: does not parse
    ("MyRegistry/app", "Always"),  # an uppercase first component is a registry host
    ("a" * 64, "IfNotPresent"),  # a bare image ID is refused
    ("", "IfNotPresent"),
    (None, "IfNotPresent"),
])
def test_image_pull_policy_follows_the_tag(image: object, policy: str) -> None:
    assert image_pull_policy(image) == policy


def test_pod_copies_limits_to_missing_requests_but_templates_do_not() -> None:
    pod = {"spec": {"containers": [{"name": "a", "image": "a:1",
                                    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                                                  "requests": {"cpu": "250m"}}}],
                    "initContainers": [{"name": "i", "image": "i:1", "resources": {"limits": {"cpu": "1"}}}],
                    "ephemeralContainers": [{"name": "e", "image": "e:1",
                                             "resources": {"limits": {"cpu": "1"}}}]}}
    template = copy.deepcopy(pod)
    apply_defaults(pod, "", "v1", "Pod")
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "250m", "memory": "128Mi"}
    assert pod["spec"]["initContainers"][0]["resources"]["requests"] == {"cpu": "1"}
    assert "requests" not in pod["spec"]["ephemeralContainers"][0]["resources"]
    rs = {"spec": {"template": template}}
    apply_defaults(rs, "apps", "v1", "ReplicaSet")
    assert rs["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "250m"}
    assert "enableServiceLinks" not in rs["spec"]["template"]["spec"]
    assert rs["spec"]["replicas"] == 1


def test_host_network_pod_gets_host_ports() -> None:
    pod = {"spec": {"hostNetwork": True,
                    "containers": [{"name": "a", "image": "a:1",
                                    "ports": [{"containerPort": 80}, {"containerPort": 53, "hostPort": 5353}]}]}}
    apply_defaults(pod, "", "v1", "Pod")
    ports = pod["spec"]["containers"][0]["ports"]
    assert ports == [{"containerPort": 80, "hostPort": 80, "protocol": "TCP"},
                     {"containerPort": 53, "hostPort": 5353, "protocol": "TCP"}]
    template = {"template": {"spec": {"hostNetwork": True, "containers": [
        {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]}]}}}
    apply_defaults(template, "", "v1", "PodTemplate")
    assert template["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_pod_keeps_values_the_user_set() -> None:
    pod = load("""
spec:
  dnsPolicy: Default
  restartPolicy: OnFailure
  schedulerName: my-scheduler
  securityContext: {runAsUser: 1000}
  terminationGracePeriodSeconds: 0
  enableServiceLinks: false
  containers:
  - name: a
    image: a
    imagePullPolicy: Never
    terminationMessagePath: /tmp/msg
    terminationMessagePolicy: FallbackToLogsOnError
    resources: {requests: {cpu: 100m}}
""")
    expected = copy.deepcopy(pod)
    apply_defaults(pod, "", "v1", "Pod")
    assert pod == expected


def test_probes_and_lifecycle_hooks() -> None:
    pod = load("""
spec:
  containers:
  - name: a
    image: a:1
    livenessProbe:
      httpGet: {port: 8080}
    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 5
    startupProbe:
      grpc: {port: 2379}
      failureThreshold: 30
    lifecycle:
      postStart:
        httpGet: {port: 80, path: /hook}
      preStop:
        exec: {command: [sleep, "5"]}
""")
    apply_defaults(pod, "", "v1", "Pod")
    container = pod["spec"]["containers"][0]
    assert container["livenessProbe"] == {"httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"},
                                          "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                                          "failureThreshold": 3}
    assert container["readinessProbe"] == {"tcpSocket": {"port": 8080}, "timeoutSeconds": 1, "periodSeconds": 5,
                                           "successThreshold": 1, "failureThreshold": 3}
    assert container["startupProbe"] == {"grpc": {"port": 2379, "service": ""}, "timeoutSeconds": 1,
                                         "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 30}
    assert container["lifecycle"] == {"postStart": {"httpGet": {"port": 80, "path": "/hook", "scheme": "HTTP"}},
                                      "preStop": {"exec": {"command": ["sleep", "5"]}}}


def test_volume_sources() -> None:
    pod = load("""
spec:
  containers:
  - name: a
    image: a:1
    env:
    - name: NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: PLAIN
      value: x
  volumes:
  - name: scratch
  - name: cache
    emptyDir: {medium: Memory}
  - name: secret
    secret: {secretName: s}
  - name: config
    configMap: {name: c, defaultMode: 0400}
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef: {fieldPath: metadata.labels}
  - name: all-in-one
    projected:
      sources:
      - serviceAccountToken: {path: token}
      - downwardAPI:
          items:
          - path: name
            fieldRef: {fieldPath: metadata.name}
      - configMap: {name: c}
  - name: host
    hostPath: {path: /var/log, type: Directory}
  - name: iscsi
    iscsi: {targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0}
  - name: rbd
    rbd: {monitors: ["10.0.0.1:6789"], image: foo}
  - name: azure
    azureDisk: {diskName: d, diskURI: "https://example/d.vhd"}
  - name: scaleio
    scaleIO: {gateway: "https://gw", system: s, secretRef: {name: s}}
  - name: claim
    ephemeral:
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
""")
    apply_defaults(pod, "", "v1", "Pod")
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["scratch"] == {"name": "scratch", "emptyDir": {}}
    assert volumes["cache"] == {"name": "cache", "emptyDir": {"medium": "Memory"}}
    assert volumes["secret"]["secret"] == {"secretName": "s", "defaultMode": 420}
    assert volumes["config"]["configMap"] == {"name": "c", "defaultMode": 0o400}
    assert volumes["info"]["downwardAPI"] == {"defaultMode": 420, "items": [
        {"path": "labels", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}}]}
    assert volumes["all-in-one"]["projected"] == {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
        {"downwardAPI": {"items": [{"path": "name", "fieldRef": {"apiVersion": "v1",
                                                                  "fieldPath": "metadata.name"}}]}},
        {"configMap": {"name": "c"}}]}
    assert volumes["host"]["hostPath"] == {"path": "/var/log", "type": "Directory"}
    assert volumes["iscsi"]["iscsi"]["iscsiInterface"] == "default"
    assert volumes["rbd"]["rbd"] == {"monitors": ["10.0.0.1:6789"], "image": "foo", "pool": "rbd",
                                     "user": "admin", "keyring": "/etc/ceph/keyring"}
    assert volumes["azure"]["azureDisk"] == {"diskName": "d", "diskURI": "https://example/d.vhd",
                                             "cachingMode": "ReadWrite", "fsType": "ext4", "readOnly": False,
                                             "kind": "Shared"}
    assert volumes["scaleio"]["scaleIO"]["storageMode"] == "ThinProvisioned"
    assert volumes["scaleio"]["scaleIO"]["fsType"] == "xfs"
    assert volumes["claim"]["ephemeral"]["volumeClaimTemplate"] == {
        "metadata": {"creationTimestamp": None},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                 "volumeMode": "Filesystem"}}
    env = pod["spec"]["containers"][0]["env"]
    assert env == [{"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
                   {"name": "PLAIN", "value": "x"}]


def test_image_volume_pull_policy_only_behind_its_alpha_gate() -> None:
    def pod() -> dict:
        return {"spec": {"containers": [{"name": "a", "image": "a:1"}],
                         "volumes": [{"name": "v", "image": {"reference": "quay.io/x/y"}}]}}
    off = pod()
    apply_defaults(off, "", "v1", "Pod")
    assert off["spec"]["volumes"][0] == {"name": "v", "image": {"reference": "quay.io/x/y"}}
    on = pod()
    apply_defaults(on, "", "v1", "Pod", gates={"ImageVolume": True})
    assert on["spec"]["volumes"][0]["image"]["pullPolicy"] == "Always"


@pytest.mark.parametrize("given, stored", [
    ("100m", "100m"),
    ("0.1", "100m"),
    ("1000m", "1"),
    (2, "2"),
    ("0.0001", "1m"),  # rounded up to milli-units
    ("1n", "1m"),
    ("1.5Gi", "1536Mi"),
    ("1024Mi", "1Gi"),
    ("1e3", "1e3"),
    ("lots", "lots"),  # unparseable values are validation's business
])
def test_resource_quantities_are_rounded_up_to_milli_and_canonical(given: object, stored: str) -> None:
    pod = {"spec": {"containers": [{"name": "a", "image": "a:1", "resources": {"requests": {"cpu": given}}}],
                    "overhead": {"cpu": given}}}
    apply_defaults(pod, "", "v1", "Pod")
    assert pod["spec"]["containers"][0]["resources"]["requests"]["cpu"] == stored
    assert pod["spec"]["overhead"]["cpu"] == stored


def test_pod_status_resource_lists_are_rounded() -> None:
    pod = {"spec": {"containers": [{"name": "a", "image": "a:1"}]},
           "status": {"containerStatuses": [{"name": "a", "allocatedResources": {"cpu": "0.5"},
                                             "resources": {"limits": {"memory": "1024Mi"}}}]}}
    apply_defaults(pod, "", "v1", "Pod")
    assert pod["status"]["containerStatuses"][0] == {"name": "a", "allocatedResources": {"cpu": "500m"},
                                                     "resources": {"limits": {"memory": "1Gi"}}}


def test_replication_controller_takes_selector_and_labels_from_template() -> None:
    rc = load("""
apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
""")
    apply_defaults(rc, "", "v1", "ReplicationController")
    assert rc["metadata"]["labels"] == {"app": "nginx"}
    assert rc["spec"]["selector"] == {"app": "nginx"}
    assert rc["spec"]["replicas"] == 1
    assert rc["spec"]["template"]["metadata"]["creationTimestamp"] is None
    assert rc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    rc["spec"]["template"]["metadata"]["labels"]["tier"] = "web"  # not aliased
    assert rc["spec"]["selector"] == {"app": "nginx"}


def test_pod_template_object() -> None:
    obj = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
           "template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}
    apply_defaults(obj, "", "v1", "PodTemplate")
    assert obj["template"] == {"metadata": {"creationTimestamp": None}, "spec": {
        **load(POD_SPEC_DEFAULTS), "restartPolicy": "Always",
        "containers": [{"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent", **CONTAINER_DEFAULTS}]}}


# ---------------------------------------------------------------------------------------------------------------
# core/v1 other kinds

def test_service_client_ip_affinity_and_target_port() -> None:
    svc = load("""
spec:
  sessionAffinity: ClientIP
  externalIPs: [198.51.100.32]
  ports:
  - port: 8080
  - port: 53
    protocol: UDP
    targetPort: dns
""")
    apply_defaults(svc, "", "v1", "Service")
    assert svc["spec"] == {
        "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
        "type": "ClusterIP", "externalIPs": ["198.51.100.32"], "externalTrafficPolicy": "Cluster",
        "internalTrafficPolicy": "Cluster",
        "ports": [{"port": 8080, "protocol": "TCP", "targetPort": 8080},
                  {"port": 53, "protocol": "UDP", "targetPort": "dns"}]}


def test_service_none_affinity_drops_affinity_config() -> None:
    svc = {"spec": {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}, "ports": [{"port": 80}]}}
    apply_defaults(svc, "", "v1", "Service")
    assert "sessionAffinityConfig" not in svc["spec"]


def test_load_balancer_ip_mode_follows_its_gate() -> None:
    svc = load(SERVICE_LOAD_BALANCER)
    apply_defaults(svc, "", "v1", "Service", gates={"LoadBalancerIPMode": False})
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": "192.0.2.127"}]


def test_persistent_volume_claim_keeps_given_mode_and_rounds_sizes() -> None:
    pvc = {"spec": {"volumeMode": "Block", "resources": {"requests": {"storage": "0.5Gi"}}}}
    apply_defaults(pvc, "", "v1", "PersistentVolumeClaim")
    assert pvc == {"spec": {"volumeMode": "Block", "resources": {"requests": {"storage": "512Mi"}}},
                   "status": {"phase": "Pending"}}


def test_namespace_secret_endpoints_node() -> None:
    ns = {"metadata": {"name": "prod", "labels": {"team": "a"}}}
    apply_defaults(ns, "", "v1", "Namespace")
    assert ns == {"metadata": {"name": "prod", "labels": {"team": "a", "kubernetes.io/metadata.name": "prod"}},
                  "status": {"phase": "Active"}}
    generated = {"metadata": {"generateName": "tmp-"}}
    apply_defaults(generated, "", "v1", "Namespace")
    assert generated == {"metadata": {"generateName": "tmp-"}, "status": {"phase": "Active"}}

    secret = {"metadata": {"name": "s"}, "data": {}}
    apply_defaults(secret, "", "v1", "Secret")
    assert secret["type"] == "Opaque"

    endpoints = {"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}, {"port": 53,
                                                                                        "protocol": "UDP"}]}]}
    apply_defaults(endpoints, "", "v1", "Endpoints")
    assert endpoints["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]

    node = {"status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}
    apply_defaults(node, "", "v1", "Node")
    assert node["status"]["allocatable"] == {"cpu": "4", "memory": "8Gi", "pods": "110"}
    node["status"]["capacity"]["cpu"] = "8"
    assert node["status"]["allocatable"]["cpu"] == "4"


def test_limit_range_container_defaults() -> None:
    lr = load("""
spec:
  limits:
  - type: Container
    max: {cpu: "2", memory: 1Gi}
    min: {cpu: 100m, memory: 64Mi}
    default: {cpu: "1"}
  - type: Pod
    max: {cpu: "4"}
""")
    apply_defaults(lr, "", "v1", "LimitRange")
    container, pod = lr["spec"]["limits"]
    assert container["default"] == {"cpu": "1", "memory": "1Gi"}
    assert container["defaultRequest"] == {"cpu": "1", "memory": "1Gi"}
    assert pod == {"type": "Pod", "max": {"cpu": "4"}}


def test_persistent_volume_sources() -> None:
    pv = {"spec": {"capacity": {"storage": "5Gi"}, "persistentVolumeReclaimPolicy": "Delete",
                   "rbd": {"monitors": ["m"], "image": "i"}}}
    apply_defaults(pv, "", "v1", "PersistentVolume")
    assert pv == {"spec": {"capacity": {"storage": "5Gi"}, "persistentVolumeReclaimPolicy": "Delete",
                           "volumeMode": "Filesystem",
                           "rbd": {"monitors": ["m"], "image": "i", "pool": "rbd", "user": "admin",
                                   "keyring": "/etc/ceph/keyring"}},
                  "status": {"phase": "Pending"}}


# ---------------------------------------------------------------------------------------------------------------
# apps/v1

def test_deployment_recreate_strategy_has_no_rolling_update() -> None:
    dep = {"spec": {"replicas": 0, "strategy": {"type": "Recreate"}, "template": {"spec": {"containers": []}}}}
    apply_defaults(dep, "apps", "v1", "Deployment")
    assert dep["spec"]["strategy"] == {"type": "Recreate"}
    assert dep["spec"]["replicas"] == 0


def test_deployment_partial_rolling_update() -> None:
    dep = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1}}, "template": {}}}
    apply_defaults(dep, "apps", "v1", "Deployment")
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate",
                                       "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}


def test_statefulset_update_strategies() -> None:
    on_delete = {"spec": {"updateStrategy": {"type": "OnDelete"}, "template": {}}}
    apply_defaults(on_delete, "apps", "v1", "StatefulSet")
    assert on_delete["spec"]["updateStrategy"] == {"type": "OnDelete"}
    # An explicit RollingUpdate without parameters stays without them, as upstream's defaulter leaves it.
    rolling = {"spec": {"updateStrategy": {"type": "RollingUpdate"}, "template": {}}}
    apply_defaults(rolling, "apps", "v1", "StatefulSet")
    assert rolling["spec"]["updateStrategy"] == {"type": "RollingUpdate"}
    partial = {"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}},
                        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}, "template": {}}}
    apply_defaults(partial, "apps", "v1", "StatefulSet")
    assert partial["spec"]["updateStrategy"]["rollingUpdate"] == {"maxUnavailable": 2, "partition": 0}
    assert partial["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Delete",
                                                                       "whenScaled": "Retain"}


def test_statefulset_retention_policy_follows_its_gate() -> None:
    sts = defaulted(STATEFULSET_WEB, gates={"StatefulSetAutoDeletePVC": False})
    assert "persistentVolumeClaimRetentionPolicy" not in sts["spec"]
    assert FEATURE_GATES_1_32["StatefulSetAutoDeletePVC"] is True


def test_daemonset_on_delete() -> None:
    ds = {"spec": {"updateStrategy": {"type": "OnDelete"}, "revisionHistoryLimit": 3, "template": {}}}
    apply_defaults(ds, "apps", "v1", "DaemonSet")
    assert ds["spec"]["updateStrategy"] == {"type": "OnDelete"}
    assert ds["spec"]["revisionHistoryLimit"] == 3


# ---------------------------------------------------------------------------------------------------------------
# batch/v1

def test_job_completions_and_parallelism() -> None:
    only_parallelism = {"spec": {"parallelism": 3, "template": {}}}
    apply_defaults(only_parallelism, "batch", "v1", "Job")
    assert "completions" not in only_parallelism["spec"]
    only_completions = {"spec": {"completions": 5, "template": {}}}
    apply_defaults(only_completions, "batch", "v1", "Job")
    assert only_completions["spec"]["parallelism"] == 1
    assert only_completions["spec"]["backoffLimit"] == 6


def test_job_pod_failure_policy_changes_replacement_default() -> None:
    job = load("""
spec:
  completionMode: Indexed
  completions: 3
  backoffLimitPerIndex: 1
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
    - action: FailJob
      onExitCodes: {operator: In, values: [42]}
  template:
    metadata:
      labels: {app: work}
    spec:
      restartPolicy: Never
      containers: [{name: a, image: a:1}]
""")
    apply_defaults(job, "batch", "v1", "Job")
    spec = job["spec"]
    assert spec["podReplacementPolicy"] == "Failed"
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"] == [{"type": "DisruptionTarget",
                                                                        "status": "True"}]
    assert spec["backoffLimit"] == 2**31 - 1
    assert spec["completionMode"] == "Indexed"
    assert spec["parallelism"] == 1
    assert job["metadata"]["labels"] == {"app": "work"}


def test_job_replacement_policy_follows_its_gate() -> None:
    job = defaulted(JOB_PI, gates={"JobPodReplacementPolicy": False})
    assert "podReplacementPolicy" not in job["spec"]


def test_job_keeps_its_own_labels() -> None:
    job = {"metadata": {"labels": {"mine": "yes"}},
           "spec": {"template": {"metadata": {"labels": {"app": "x"}}}}}
    apply_defaults(job, "batch", "v1", "Job")
    assert job["metadata"]["labels"] == {"mine": "yes"}


# ---------------------------------------------------------------------------------------------------------------
# autoscaling

def test_hpa_v2_defaults_min_replicas_and_cpu_metric() -> None:
    hpa = {"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                    "maxReplicas": 5}}
    apply_defaults(hpa, "autoscaling", "v2", "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in hpa["spec"]


def test_hpa_v2_behavior_is_completed_when_given() -> None:
    hpa = load("""
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: d}
  maxReplicas: 5
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
""")
    apply_defaults(hpa, "autoscaling", "v2", "HorizontalPodAutoscaler")
    assert hpa["spec"]["behavior"] == load("""
scaleDown:
  policies:
  - periodSeconds: 15
    type: Percent
    value: 100
  selectPolicy: Max
  stabilizationWindowSeconds: 300
scaleUp:
  policies:
  - periodSeconds: 15
    type: Pods
    value: 4
  - periodSeconds: 15
    type: Percent
    value: 100
  selectPolicy: Max
  stabilizationWindowSeconds: 0
""")


def test_hpa_v1_defaults_only_min_replicas() -> None:
    hpa = {"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5}}
    apply_defaults(hpa, "autoscaling", "v1", "HorizontalPodAutoscaler")
    assert hpa["spec"] == {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5,
                           "minReplicas": 1}


# ---------------------------------------------------------------------------------------------------------------
# networking, discovery, rbac, storage, scheduling, node, authentication

def test_network_policy_policy_types_and_port_protocols() -> None:
    deny = {"spec": {"podSelector": {}}}
    apply_defaults(deny, "networking.k8s.io", "v1", "NetworkPolicy")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    egress = load("""
spec:
  egress:
  - ports:
    - port: 53
    - port: 53
      protocol: UDP
""")
    apply_defaults(egress, "networking.k8s.io", "v1", "NetworkPolicy")
    assert egress["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [
        {"ports": [{"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]}


def test_ingress_class_parameters_scope() -> None:
    ic = {"spec": {"controller": "example.com/c", "parameters": {"kind": "P", "name": "p"}}}
    apply_defaults(ic, "networking.k8s.io", "v1", "IngressClass")
    assert ic["spec"]["parameters"]["scope"] == "Cluster"


def test_endpoint_slice_ports() -> None:
    eps = {"addressType": "IPv4", "endpoints": [], "ports": [{"port": 80}]}
    apply_defaults(eps, "discovery.k8s.io", "v1", "EndpointSlice")
    assert eps["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]


@pytest.mark.parametrize("kind", ["RoleBinding", "ClusterRoleBinding"])
def test_rbac_binding_api_groups(kind: str) -> None:
    binding = load("""
subjects:
- kind: User
  name: jane
- kind: Group
  name: devs
- kind: ServiceAccount
  name: default
  namespace: default
roleRef:
  kind: Role
  name: pod-reader
""")
    apply_defaults(binding, "rbac.authorization.k8s.io", "v1", kind)
    assert [s.get("apiGroup") for s in binding["subjects"]] == ["rbac.authorization.k8s.io",
                                                               "rbac.authorization.k8s.io", None]
    assert binding["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"


def test_storage_kinds() -> None:
    sc = {"provisioner": "example.com/p"}
    apply_defaults(sc, "storage.k8s.io", "v1", "StorageClass")
    assert sc == {"provisioner": "example.com/p", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"}

    driver = {"spec": {"attachRequired": False}}
    apply_defaults(driver, "storage.k8s.io", "v1", "CSIDriver")
    assert driver["spec"] == {"attachRequired": False, "podInfoOnMount": False, "storageCapacity": False,
                              "fsGroupPolicy": "ReadWriteOnceWithFSType", "volumeLifecycleModes": ["Persistent"],
                              "requiresRepublish": False, "seLinuxMount": False}

    attachment = {"spec": {"attacher": "a", "nodeName": "n", "source": {"inlineVolumeSpec": {
        "capacity": {"storage": "1.5Gi"}, "hostPath": {"path": "/x"}}}}}
    apply_defaults(attachment, "storage.k8s.io", "v1", "VolumeAttachment")
    assert attachment["spec"]["source"]["inlineVolumeSpec"] == {"capacity": {"storage": "1536Mi"},
                                                                "hostPath": {"path": "/x", "type": ""}}


def test_priority_class_runtime_class_token_request() -> None:
    pc = {"value": 1000}
    apply_defaults(pc, "scheduling.k8s.io", "v1", "PriorityClass")
    assert pc["preemptionPolicy"] == "PreemptLowerPriority"

    rc = {"handler": "runc", "overhead": {"podFixed": {"cpu": "0.25"}}}
    apply_defaults(rc, "node.k8s.io", "v1", "RuntimeClass")
    assert rc["overhead"]["podFixed"] == {"cpu": "250m"}

    tr = {"spec": {"audiences": ["api"]}}
    apply_defaults(tr, "authentication.k8s.io", "v1", "TokenRequest")
    assert tr["spec"]["expirationSeconds"] == 3600


# ---------------------------------------------------------------------------------------------------------------
# admissionregistration, flowcontrol, apiextensions, apiregistration

def test_webhook_configurations() -> None:
    config = load("""
webhooks:
- name: w.example.com
  clientConfig:
    service: {namespace: default, name: hook}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
  sideEffects: None
  admissionReviewVersions: [v1]
""")
    validating = copy.deepcopy(config)
    apply_defaults(validating, "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration")
    webhook = validating["webhooks"][0]
    assert webhook["clientConfig"]["service"]["port"] == 443
    assert webhook["rules"][0]["scope"] == "*"
    assert {k: webhook[k] for k in ("failurePolicy", "matchPolicy", "namespaceSelector", "objectSelector",
                                    "timeoutSeconds", "sideEffects")} == {
        "failurePolicy": "Fail", "matchPolicy": "Equivalent", "namespaceSelector": {}, "objectSelector": {},
        "timeoutSeconds": 10, "sideEffects": "None"}
    assert "reinvocationPolicy" not in webhook
    apply_defaults(config, "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration")
    assert config["webhooks"][0]["reinvocationPolicy"] == "Never"


def test_validating_admission_policy_and_binding() -> None:
    policy = load("""
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= 5"
""")
    apply_defaults(policy, "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy")
    assert policy["spec"]["failurePolicy"] == "Fail"
    match = policy["spec"]["matchConstraints"]
    assert (match["matchPolicy"], match["namespaceSelector"], match["objectSelector"]) == ("Equivalent", {}, {})
    assert match["resourceRules"][0]["scope"] == "*"

    binding = {"spec": {"policyName": "p", "validationActions": ["Deny"]}}
    apply_defaults(binding, "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding")
    assert binding == {"spec": {"policyName": "p", "validationActions": ["Deny"]}}
    binding["spec"]["matchResources"] = {"excludeResourceRules": [{"resources": ["pods"]}]}
    apply_defaults(binding, "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding")
    assert binding["spec"]["matchResources"] == {"excludeResourceRules": [{"resources": ["pods"], "scope": "*"}],
                                                 "matchPolicy": "Equivalent", "namespaceSelector": {},
                                                 "objectSelector": {}}


def test_flowcontrol() -> None:
    schema = {"spec": {"priorityLevelConfiguration": {"name": "p"}}}
    apply_defaults(schema, "flowcontrol.apiserver.k8s.io", "v1", "FlowSchema")
    assert schema["spec"]["matchingPrecedence"] == 1000

    limited = {"spec": {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}}}
    apply_defaults(limited, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration")
    assert limited["spec"]["limited"] == {"nominalConcurrencyShares": 30, "lendablePercent": 0, "limitResponse": {
        "type": "Queue", "queuing": {"handSize": 8, "queues": 64, "queueLengthLimit": 50}}}
    zero_shares = {"spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 0,
                                                           "limitResponse": {"type": "Reject"}}}}
    apply_defaults(zero_shares, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration")
    assert zero_shares["spec"]["limited"]["nominalConcurrencyShares"] == 0

    exempt = {"spec": {"type": "Exempt", "exempt": {}}}
    apply_defaults(exempt, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration")
    assert exempt["spec"]["exempt"] == {"nominalConcurrencyShares": 0, "lendablePercent": 0}


def test_custom_resource_definition_and_api_service() -> None:
    crd = load("""
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1beta1
    served: true
    storage: false
  - name: v1
    served: true
    storage: true
""")
    apply_defaults(crd, "apiextensions.k8s.io", "v1", "CustomResourceDefinition")
    assert crd["spec"]["names"] == {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"],
                                    "singular": "crontab", "listKind": "CronTabList"}
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert crd["status"] == {"storedVersions": ["v1"]}

    api = {"spec": {"group": "metrics.k8s.io", "version": "v1beta1",
                    "service": {"namespace": "kube-system", "name": "metrics-server"}}}
    apply_defaults(api, "apiregistration.k8s.io", "v1", "APIService")
    assert api["spec"]["service"]["port"] == 443


# ---------------------------------------------------------------------------------------------------------------
# Dispatch and robustness

def test_lists_default_each_item() -> None:
    items = {"apiVersion": "v1", "kind": "SecretList", "items": [{"metadata": {"name": "a"}},
                                                                 {"metadata": {"name": "b"}, "type": "x"}]}
    apply_defaults(items, "", "v1", "SecretList")
    assert [item["type"] for item in items["items"]] == ["Opaque", "x"]


@pytest.mark.parametrize("group, version, kind", [
    ("", "v1", "ConfigMap"), ("", "v1", "ServiceAccount"), ("coordination.k8s.io", "v1", "Lease"),
    ("policy", "v1", "PodDisruptionBudget"), ("apps", "v1beta1", "Deployment"), ("example.com", "v1", "Widget"),
])
def test_kinds_without_defaults_are_unchanged(group: str, version: str, kind: str) -> None:
    obj = {"metadata": {"name": "x"}, "spec": {"template": {}}, "data": {}}
    apply_defaults(obj, group, version, kind)
    assert obj == {"metadata": {"name": "x"}, "spec": {"template": {}}, "data": {}}


@pytest.mark.parametrize("group, version, kind", [
    ("", "v1", "Pod"), ("apps", "v1", "Deployment"), ("apps", "v1", "StatefulSet"), ("batch", "v1", "CronJob"),
    ("", "v1", "Service"), ("autoscaling", "v2", "HorizontalPodAutoscaler"), ("", "v1", "Namespace"),
])
def test_malformed_objects_do_not_raise(group: str, version: str, kind: str) -> None:
    for obj in ({"spec": "nope"}, {"spec": {"template": [], "containers": "x", "ports": [1, None],
                                            "volumeClaimTemplates": ["x"], "behavior": 3}},
                {"spec": {"template": {"spec": {"containers": [None, {"image": 5, "resources": "x",
                                                                       "ports": "x"}]}}}},
                {"metadata": None, "spec": None, "status": "x"}):
        apply_defaults(copy.deepcopy(obj), group, version, kind)
    apply_defaults("not an object", group, version, kind)  # type: ignore[arg-type]
