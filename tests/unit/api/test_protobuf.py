"""Tests of the Kubernetes protobuf codec (kybernetes.api.protobuf).

Four layers of evidence:

* bodies captured from real kubectl 1.32 typed commands (``-v=10`` logs them as a hex dump; 1.33 sends the same
  bytes), each with the JSON Go prints for the same object (``--dry-run=client -o json``, or kubectl 1.31's JSON
  body where the command has no client dry run): decode must give that JSON and encode must give the bytes back;
* hand-built bytes for the envelope, each special type and each error;
* round trips of realistic objects of every kind the server stores, written in the form Go prints them;
* (with kubectl 1.32 installed) a stub API server that answers typed kubectl commands with our protobuf encoding
  of rich objects: kubectl's Go code decodes them and prints JSON, which must equal the object we encoded.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from kybernetes.api import protobuf as pb
from kybernetes.api.protobuf import ProtobufError, decode, encode
from kybernetes.api.protobuf_fields import KINDS, MESSAGES, SPECIAL

ROOT = Path(__file__).resolve().parents[3]


def kubectl_132() -> str | None:
    exe = shutil.which("kubectl.1.32")
    if exe:
        return os.path.realpath(exe)
    k = shutil.which("kubectl")
    if k:
        p = Path(os.path.realpath(k)).parent / "kubectl.1.32"
        if p.exists():
            return str(p)
    return None


# --------------------------------------------------------------------------------------------------------------
# Wire helpers for hand-built messages.

def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def vfield(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def lfield(number: int, payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return (b"k8s\x00" + lfield(1, lfield(1, api_version) + lfield(2, kind)) + lfield(2, raw)
            + lfield(3, b"") + lfield(4, b""))


EMPTY_META = b"".join(lfield(n, b"") for n in (2, 3, 4, 5, 6)) + vfield(7, 0) + lfield(8, b"")


def meta(name: str) -> bytes:
    """An ObjectMeta as Go writes it for an object with only a name."""
    return lfield(1, name) + EMPTY_META


# --------------------------------------------------------------------------------------------------------------
# Bodies kubectl 1.32 sent (hex of the -v=10 dump) and Go's JSON for the same object.  Captured with a scratch
# `kyb apiserver` and `kubectl.1.32 <args> --dry-run=server -v=10`; `bin.dat` held bytes(range(0, 256, 7)).
KUBECTL_1_32_BODIES = {
    "configmap": (
        'create configmap cm1 --from-literal=a=b --from-literal=c= --from-file=bin=bin.dat',
        "6b3873000a0f0a0276311209436f6e6669674d617012520a130a03636d3112001a0022002a0032003800420012060a016112"
        "016212050a016312001a2c0a0362696e122500070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9"
        "e0e7eef5fc1a002200",
        '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm1","creationTimestamp":null},"data":{"a":"b","c":""},"binaryData":{"bin":"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/A=="}}',
    ),
    "secret": (
        'create secret generic s1 --from-literal=user=admin --from-literal=pw=s3cr3t --type=Opaque',
        "6b3873000a0c0a027631120653656372657412390a120a02733112001a0022002a00320038004200120c0a02707712067333"
        "63723374120d0a0475736572120561646d696e1a064f70617175651a002200",
        '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1","creationTimestamp":null},"data":{"pw":"czNjcjN0","user":"YWRtaW4="},"type":"Opaque"}',
    ),
    "secret_empty_value": (
        'create secret generic se --from-literal=e=',
        "6b3873000a0c0a0276311206536563726574121d0a120a02736512001a0022002a00320038004200120"
        "50a016512001a001a002200",
        '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"se","creationTimestamp":null},"data":{"e":""}}',
    ),
    "secret_tls_dockercfg": (
        'create secret docker-registry reg --docker-server=r.example --docker-username=u --docker-password=p',
        "6b3873000a0c0a02763112065365637265741291010a130a0372656712001a0022002a00320038004200125a0a112e646f63"
        "6b6572636f6e6669676a736f6e12457b226175746873223a7b22722e6578616d706c65223a7b22757365726e616d65223a22"
        "75222c2270617373776f7264223a2270222c2261757468223a2264547077227d7d7d1a1e6b756265726e657465732e696f2f"
        "646f636b6572636f6e6669676a736f6e1a002200",
        '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg","creationTimestamp":null},"data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmV4YW1wbGUiOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19"},"type":"kubernetes.io/dockerconfigjson"}',
    ),
    "deployment": (
        'create deployment web --image=nginx:1.27 --replicas=3 --port=80',
        "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412bd010a1f0a0377656212001a0022002a003200380042"
        "005a0a0a036170701203776562128b010803120c0a0a0a0361707012037765621a710a1c0a0012001a0022002a0032003800"
        "42005a0a0a036170701203776562125112330a056e67696e78120a6e67696e783a312e32372a00320a0a001000185022002a"
        "0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a"
        "00280038001a0c0800100018002000280038001a002200",
        '{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}}',
    ),
    "deployment_zero": (
        'create deployment zero --image=busybox --replicas=0 -- sleep 3600',
        "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a210a047a65726f12001a0022002a0032003800"
        "42005a0b0a0361707012047a65726f128d010800120d0a0b0a0361707012047a65726f1a720a1d0a0012001a0022002a0032"
        "00380042005a0b0a0361707012047a65726f125112330a0762757379626f78120762757379626f781a05736c6565701a0433"
        "3630302a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c201"
        "0022020a00280038001a0c0800100018002000280038001a002200",
        '{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"zero","creationTimestamp":null,"labels":{"app":"zero"}},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"zero"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"zero"}},"spec":{"containers":[{"name":"busybox","image":"busybox","command":["sleep","3600"],"resources":{}}]}},"strategy":{}},"status":{}}',
    ),
    "namespace": (
        'create namespace team-a',
        "6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d6112001a0022002a0032003800420012001a"
        "020a001a002200",
        '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"team-a","creationTimestamp":null},"spec":{},"status":{}}',
    ),
    "service": (
        'create service clusterip svc1 --tcp=80:8080 --tcp=443',
        "6b3873000a0d0a0276311207536572766963651286010a210a047376633112001a0022002a003200380042005a0b0a036170"
        "70120473766331125d0a1b0a0738302d38303830120354435018502207080010903f1a0028000a180a033434331203544350"
        "18bb032207080010bb031a002800120b0a036170701204737663311a002209436c757374657249503a00420052005a006000"
        "68001a020a001a002200",
        '{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc1","creationTimestamp":null,"labels":{"app":"svc1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080},{"name":"443","protocol":"TCP","port":443,"targetPort":443}],"selector":{"app":"svc1"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}',
    ),
    "service_nodeport": (
        'create service nodeport np1 --tcp=80:http --node-port=30080',
        "6b3873000a0d0a027631120753657276696365126d0a1f0a036e703112001a0022002a003200380042005a0a0a0361707012"
        "036e703112460a200a0738302d6874747012035443501850220a080110001a04687474702880eb01120a0a0361707012036e"
        "70311a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200",
        '{"kind":"Service","apiVersion":"v1","metadata":{"name":"np1","creationTimestamp":null,"labels":{"app":"np1"}},"spec":{"ports":[{"name":"80-http","protocol":"TCP","port":80,"targetPort":"http","nodePort":30080}],"selector":{"app":"np1"},"type":"NodePort"},"status":{"loadBalancer":{}}}',
    ),
    "service_external": (
        'create service externalname ext1 --external-name=example.com',
        "6b3873000a0d0a027631120753657276696365125d0a210a046578743112001a0022002a003200380042005a0b0a03617070"
        "1204657874311234120b0a036170701204657874311a00220c45787465726e616c4e616d653a004200520b6578616d706c65"
        "2e636f6d5a00600068001a020a001a002200",
        '{"kind":"Service","apiVersion":"v1","metadata":{"name":"ext1","creationTimestamp":null,"labels":{"app":"ext1"}},"spec":{"selector":{"app":"ext1"},"type":"ExternalName","externalName":"example.com"},"status":{"loadBalancer":{}}}',
    ),
    "job": (
        'create job j1 --image=busybox -- echo hi',
        "6b3873000a0f0a0862617463682f763112034a6f621284010a120a026a3112001a0022002a00320038004200126432620a10"
        "0a0012001a0022002a00320038004200124e122b0a026a31120762757379626f781a046563686f1a0268692a0042006a0072"
        "00800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000"
        "280030003a001a002200",
        '{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j1","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"j1","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"Never"}}},"status":{}}',
    ),
    "cronjob": (
        'create cronjob cj1 --image=busybox --schedule=*/5 * * * * --restart=OnFailure -- date',
        "6b3873000a130a0862617463682f7631120743726f6e4a6f6212a7010a130a03636a3112001a0022002a0032003800420012"
        "8d010a0b2a2f35202a202a202a202a1a002a7c0a130a03636a3112001a0022002a00320038004200126532630a100a001200"
        "1a0022002a00320038004200124f12280a03636a31120762757379626f781a04646174652a0042006a007200800100880100"
        "900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200",
        '{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj1","creationTimestamp":null},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"cj1","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"cj1","image":"busybox","command":["date"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}',
    ),
    "role": (
        'create role r1 --verb=get,list --resource=pods,deployments.apps --resource-name=a',
        "6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c65124f0a120a027231"
        "12001a0022002a0032003800420012160a036765740a046c69737412001a04706f647322016112210a036765740a046c6973"
        "741204617070731a0b6465706c6f796d656e74732201611a002200",
        '{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r1","creationTimestamp":null},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"resourceNames":["a"]},{"verbs":["get","list"],"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["a"]}]}',
    ),
    "rolebinding": (
        'create rolebinding rb1 --role=r1 --user=alice --group=devs --serviceaccount=default:sa1',
        "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712"
        "b6010a130a0372623112001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a6174696f"
        "6e2e6b38732e696f1a05616c6963652200122a0a0547726f75701219726261632e617574686f72697a6174696f6e2e6b3873"
        "2e696f1a0464657673220012200a0e536572766963654163636f756e7412001a03736131220764656661756c741a250a1972"
        "6261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a0272311a002200",
        '{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"rb1","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"devs"},{"kind":"ServiceAccount","name":"sa1","namespace":"default"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r1"}}',
    ),
    "clusterrole": (
        'create clusterrole cr1 --verb=get --non-resource-url=/healthz --verb=get',
        "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c6512"
        "260a130a0363723112001a0022002a00320038004200120f0a036765742a082f6865616c74687a1a002200",
        '{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr1","creationTimestamp":null},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}',
    ),
    "clusterrole_agg": (
        'create clusterrole cr2 --aggregation-rule=rbac.example.com/aggregate=true',
        "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c6512"
        "3d0a130a0363723212001a0022002a003200380042001a260a240a220a1a726261632e6578616d706c652e636f6d2f616767"
        "7265676174651204747275651a002200",
        '{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr2","creationTimestamp":null},"rules":null,"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate":"true"}}]}}',
    ),
    "clusterrolebinding": (
        'create clusterrolebinding crb1 --clusterrole=cr1 --user=bob',
        "6b3873000a320a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311212436c7573746572526f6c6542"
        "696e64696e67126f0a140a046372623112001a0022002a0032003800420012280a04557365721219726261632e617574686f"
        "72697a6174696f6e2e6b38732e696f1a03626f6222001a2d0a19726261632e617574686f72697a6174696f6e2e6b38732e69"
        "6f120b436c7573746572526f6c651a036372311a002200",
        '{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"crb1","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr1"}}',
    ),
    "serviceaccount": (
        'create serviceaccount sa1',
        "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a"
        "002200",
        '{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa1","creationTimestamp":null}}',
    ),
    "quota": (
        'create quota q1 --hard=cpu=1000m,memory=1Gi,pods=10,requests.storage=0.5Gi --scopes=NotTerminating',
        "6b3873000a130a027631120d5265736f7572636551756f746112700a120a02713112001a0022002a0032003800420012580a"
        "0a0a0363707512030a01310a0f0a066d656d6f727912050a033147690a0c0a04706f647312040a0231300a1b0a1072657175"
        "657374732e73746f7261676512070a053531324d69120e4e6f745465726d696e6174696e671a001a002200",
        '{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q1","creationTimestamp":null},"spec":{"hard":{"cpu":"1","memory":"1Gi","pods":"10","requests.storage":"512Mi"},"scopes":["NotTerminating"]},"status":{}}',
    ),
    "priorityclass": (
        'create priorityclass high --value=1000 --description=important --preemption-policy=Never',
        "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c617373122d0a140a0468"
        "69676812001a0022002a0032003800420010e80718002209696d706f7274616e742a054e657665721a002200",
        '{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"high","creationTimestamp":null},"value":1000,"description":"important","preemptionPolicy":"Never"}',
    ),
    "priorityclass_default": (
        'create priorityclass zero --value=0 --global-default=true',
        "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312320a140a047a"
        "65726f12001a0022002a003200380042001000180122002a14507265656d70744c6f7765725072696f726974791a002200",
        '{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"zero","creationTimestamp":null},"value":0,"globalDefault":true,"preemptionPolicy":"PreemptLowerPriority"}',
    ),
    "pdb": (
        'create poddisruptionbudget pdb1 --selector=app=web --min-available=50%',
        "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123d0a140a04706462311200"
        "1a0022002a0032003800420012190a09080110001a03353025120c0a0a0a0361707012037765621a0a080018002000280030"
        "001a002200",
        '{"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb1","creationTimestamp":null},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"web"}}},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}',
    ),
    "pdb_int": (
        'create poddisruptionbudget pdb2 --selector=app=web --max-unavailable=1',
        "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123a0a140a04706462321200"
        "1a0022002a003200380042001216120c0a0a0a0361707012037765621a06080010011a001a0a080018002000280030001a00"
        "2200",
        '{"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb2","creationTimestamp":null},"spec":{"selector":{"matchLabels":{"app":"web"}},"maxUnavailable":1},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}',
    ),
    "ingress": (
        'create ingress ing1 --class=nginx --rule=foo.com/bar*=svc1:8080,tls=my-cert --rule=/path=svc2:http --default-backend=defsvc:80 --annotation=a=b',
        "6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e677265737312ae010a1c0a04696e67311200"
        "1a0022002a0032003800420062060a01611201621289010a10220e0a0664656673766312040a00105012120a07666f6f2e63"
        "6f6d12076d792d636572741a2e0a07666f6f2e636f6d12230a210a1f0a042f626172120f220d0a047376633112050a001090"
        "3f1a065072656669781a2a0a0012260a240a220a052f70617468121222100a047376633212080a046874747010001a054578"
        "61637422056e67696e781a020a001a002200",
        '{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing1","creationTimestamp":null,"annotations":{"a":"b"}},"spec":{"ingressClassName":"nginx","defaultBackend":{"service":{"name":"defsvc","port":{"number":80}}},"tls":[{"hosts":["foo.com"],"secretName":"my-cert"}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/bar","pathType":"Prefix","backend":{"service":{"name":"svc1","port":{"number":8080}}}}]}},{"http":{"paths":[{"path":"/path","pathType":"Exact","backend":{"service":{"name":"svc2","port":{"name":"http"}}}}]}}]},"status":{"loadBalancer":{}}}',
    ),
    "token": (
        'create token sa1 --duration=10m --audience=api --bound-object-kind=Pod --bound-object-name=p1 --bound-object-uid=1234',
        "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412370a10"
        "0a0012001a0022002a00320038004200121d0a036170691a130a03506f64120276311a02703122043132333420d8041a040a"
        "0012001a002200",
        '{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"audiences":["api"],"expirationSeconds":600,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p1","uid":"1234"}},"status":{"token":"","expirationTimestamp":null}}',
    ),
    "can_i": (
        'auth can-i list pods.metrics.k8s.io --subresource=log -n ns1',
        "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373"
        "526576696577124b0a100a0012001a0022002a00320038004200122d0a2b0a036e733112046c6973741a0022002a13706f64"
        "732e6d6574726963732e6b38732e696f32036c6f673a001a08080012001a0020001a002200",
        '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"ns1","verb":"list","resource":"pods.metrics.k8s.io","subresource":"log"}},"status":{"allowed":false}}',
    ),
    "autoscale": (
        'autoscale deployment web --min=2 --max=5 --cpu-percent=80 --dry-run=server',
        "6b3873000a290a0e6175746f7363616c696e672f76311217486f72697a6f6e74616c506f644175746f7363616c6572123f0a"
        "130a0377656212001a0022002a0032003800420012220a1a0a0a4465706c6f796d656e7412037765621a07617070732f7631"
        "1002180520501a04180020001a002200",
        '{"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v1","metadata":{"name":"web","creationTimestamp":null},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":80},"status":{"currentReplicas":0,"desiredReplicas":0}}',
    ),
    "drain_delete": (
        'drain node1 --force --disable-eviction --grace-period=7 --timeout=5s',
        "6b3873000a130a027631120d44656c6574654f7074696f6e73120208071a002200",
        '{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":7}',
    ),
    "can_i_nonresource": (
        'auth can-i get /logs/',
        "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373"
        "526576696577122d0a100a0012001a0022002a00320038004200120f120d0a062f6c6f67732f12036765741a08080012001a"
        "0020001a002200",
        '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"nonResourceAttributes":{"path":"/logs/","verb":"get"}},"status":{"allowed":false}}',
    ),
}


# --------------------------------------------------------------------------------------------------------------
# Captured kubectl 1.32 bodies.

def test_kubectl_bodies_cover_the_typed_commands() -> None:
    kinds = {decode(bytes.fromhex(h))["kind"] for _a, h, _j in KUBECTL_1_32_BODIES.values()}
    assert kinds >= {"ConfigMap", "Secret", "Deployment", "Namespace", "Service", "Job", "CronJob", "Role",
                     "RoleBinding", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "ResourceQuota",
                     "PriorityClass", "PodDisruptionBudget", "Ingress", "TokenRequest", "SelfSubjectAccessReview",
                     "HorizontalPodAutoscaler", "DeleteOptions"}


@pytest.mark.parametrize("name", sorted(KUBECTL_1_32_BODIES))
def test_decode_kubectl_body(name: str) -> None:
    _args, hexdata, expected = KUBECTL_1_32_BODIES[name]
    assert decode(bytes.fromhex(hexdata)) == json.loads(expected)


@pytest.mark.parametrize("name", sorted(KUBECTL_1_32_BODIES))
def test_encode_gives_kubectl_bytes(name: str) -> None:
    _args, hexdata, expected = KUBECTL_1_32_BODIES[name]
    assert encode(json.loads(expected)).hex() == hexdata


def test_zero_replicas_survive() -> None:
    """replicas is a pointer: an explicit 0 is on the wire and must not be mistaken for 'unset'."""
    obj = decode(bytes.fromhex(KUBECTL_1_32_BODIES["deployment_zero"][1]))
    assert obj["spec"]["replicas"] == 0
    assert "paused" not in obj["spec"] and "minReadySeconds" not in obj["spec"]


# --------------------------------------------------------------------------------------------------------------
# The envelope and the field rules, byte by byte.

def test_envelope_minimal_namespace() -> None:
    # NamespaceStatus.phase is a value string: Go writes it even when empty.
    data = envelope("v1", "Namespace", lfield(1, meta("ns1")) + lfield(2, b"") + lfield(3, lfield(1, "")))
    assert decode(data) == {"kind": "Namespace", "apiVersion": "v1",
                            "metadata": {"name": "ns1", "creationTimestamp": None}, "spec": {}, "status": {}}
    assert encode(decode(data)) == data


def test_value_fields_take_their_zero_when_absent() -> None:
    """Go always writes value fields, but a sparse writer may not: the JSON is the same either way."""
    data = envelope("v1", "Namespace", b"")
    assert decode(data) == {"kind": "Namespace", "apiVersion": "v1", "metadata": {"creationTimestamp": None},
                            "spec": {}, "status": {}}


def test_non_omitempty_scalar_zero_is_kept_and_omitempty_zero_dropped() -> None:
    # ContainerPort: containerPort (3) has no omitempty, hostPort (2) has.
    port = vfield(2, 0) + vfield(3, 0)
    container = lfield(1, "c") + lfield(6, port)
    spec = lfield(2, container)
    pod = envelope("v1", "Pod", lfield(1, meta("p")) + lfield(2, spec))
    got = decode(pod)
    c = got["spec"]["containers"][0]
    assert c["ports"] == [{"containerPort": 0}]
    assert c["resources"] == {}
    assert got["spec"]["containers"][0]["name"] == "c"


def test_nil_slice_without_omitempty_is_null() -> None:
    # PodSpec.containers has no omitempty; Role.rules neither.
    pod = decode(envelope("v1", "Pod", b""))
    assert pod["spec"]["containers"] is None
    role = decode(envelope("rbac.authorization.k8s.io/v1", "Role", lfield(1, meta("r"))))
    assert role == {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
                    "metadata": {"name": "r", "creationTimestamp": None}, "rules": None}


def test_pointer_scalars_present_only_when_sent() -> None:
    spec_with = vfield(1, 0) + vfield(7, 1)           # replicas=0 (pointer), paused=true
    d = decode(envelope("apps/v1", "Deployment", lfield(2, spec_with)))
    assert d["spec"]["replicas"] == 0 and d["spec"]["paused"] is True
    d = decode(envelope("apps/v1", "Deployment", lfield(2, vfield(7, 0))))
    assert "replicas" not in d["spec"] and "paused" not in d["spec"]


def test_negative_int32_and_int64() -> None:
    # ObjectMeta.generation is int64; Container port numbers int32 written as 10-byte varints when negative.
    m = lfield(1, "x") + vfield(7, -5)
    d = decode(envelope("v1", "ConfigMap", lfield(1, m)))
    assert d["metadata"]["generation"] == -5
    assert encode(d) == envelope("v1", "ConfigMap", lfield(1, lfield(1, "x") + EMPTY_META[:-4] + vfield(7, -5)
                                                           + lfield(8, b"")))


def test_inline_fields_spread_into_parent() -> None:
    # Volume{name=1, volumeSource=2 (inline){emptyDir=2{medium=1}}}
    volume = lfield(1, "v") + lfield(2, lfield(2, lfield(1, "Memory")))
    pod = decode(envelope("v1", "Pod", lfield(2, lfield(1, volume))))
    assert pod["spec"]["volumes"] == [{"name": "v", "emptyDir": {"medium": "Memory"}}]
    assert decode(encode(pod)) == pod


def test_map_entries_and_bytes() -> None:
    raw = lfield(2, lfield(1, "k") + lfield(2, b"\x00\xff")) + lfield(2, lfield(1, "e"))
    secret = decode(envelope("v1", "Secret", lfield(1, meta("s")) + raw))
    assert secret["data"] == {"k": base64.b64encode(b"\x00\xff").decode(), "e": None}   # nil []byte
    again = encode(secret)
    assert decode(again) == secret


def test_packed_and_unpacked_repeated_scalars() -> None:
    """PodSecurityContext.supplementalGroups (4) is a repeated int64: Go writes it unpacked, readers accept both."""
    msg = "k8s.io.api.core.v1.PodSecurityContext"
    packed = lfield(4, varint(1) + varint(300) + varint(-7))
    unpacked = vfield(4, 1) + vfield(4, 300) + vfield(4, -7)
    assert pb.decode_message(packed, msg) == {"supplementalGroups": [1, 300, -7]}
    assert pb.decode_message(unpacked, msg) == {"supplementalGroups": [1, 300, -7]}
    assert pb.decode_message(packed + unpacked, msg) == {"supplementalGroups": [1, 300, -7] * 2}
    assert pb.encode_message({"supplementalGroups": [1, 300, -7]}, msg) == unpacked
    with pytest.raises(ProtobufError, match="varint"):
        pb.decode_message(lfield(4, b"\x80"), msg)


# --------------------------------------------------------------------------------------------------------------
# Special types.

def _decode_special(mtype: str, data: bytes):
    return pb._decode_special(SPECIAL[mtype], data, "t")


TIME = "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
MICRO = "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"
DURATION = "k8s.io.apimachinery.pkg.apis.meta.v1.Duration"
QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"
INTSTR = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
RAWEXT = "k8s.io.apimachinery.pkg.runtime.RawExtension"
FIELDSV1 = "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param(b"", None, id="empty-is-zero-time-null"),
    pytest.param(vfield(1, 1136214245) + vfield(2, 0), "2006-01-02T15:04:05Z", id="seconds"),
    pytest.param(vfield(1, 1136214245) + vfield(2, 999999999), "2006-01-02T15:04:05Z", id="nanos-dropped"),
    pytest.param(vfield(1, -62135596800), None, id="go-zero-time"),
    pytest.param(vfield(1, 0), "1970-01-01T00:00:00Z", id="epoch"),
])
def test_time(data: bytes, expected: str | None) -> None:
    assert _decode_special(TIME, data) == expected


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param(b"", None, id="empty"),
    pytest.param(vfield(1, 1136214245) + vfield(2, 123456789), "2006-01-02T15:04:05.123456Z", id="micro"),
    pytest.param(vfield(1, 1136214245), "2006-01-02T15:04:05.000000Z", id="whole-second"),
])
def test_micro_time(data: bytes, expected: str | None) -> None:
    assert _decode_special(MICRO, data) == expected


def test_time_encoding_round_trips_offsets_and_fractions() -> None:
    enc = pb._encode_special("time", "2006-01-02T17:04:05+02:00", "t")
    assert enc == vfield(1, 1136214245) + vfield(2, 0)
    enc = pb._encode_special("microtime", "2006-01-02T15:04:05.123456Z", "t")
    assert enc == vfield(1, 1136214245) + vfield(2, 123456000)
    assert pb._encode_special("time", None, "t") == b""
    with pytest.raises(ProtobufError, match="RFC 3339"):
        pb._encode_special("time", "yesterday", "t")


@pytest.mark.parametrize(("nanos", "text"), [
    (0, "0s"), (1, "1ns"), (1500, "1.5µs"), (2_000_000, "2ms"), (1_500_000_000, "1.5s"), (60 * 10**9, "1m0s"),
    (3600 * 10**9, "1h0m0s"), ((2 * 3600 + 3 * 60 + 4) * 10**9 + 5 * 10**8, "2h3m4.5s"), (-90 * 10**9, "-1m30s"),
])
def test_duration(nanos: int, text: str) -> None:
    assert _decode_special(DURATION, vfield(1, nanos)) == text
    assert pb.parse_duration(text) == nanos
    assert pb._encode_special("duration", text, "t") == vfield(1, nanos)


@pytest.mark.parametrize(("written", "canonical"), [
    ("100m", "100m"), ("1000m", "1"), ("0.5", "500m"), ("1024Mi", "1Gi"), ("1e3", "1e3"), ("0", "0"),
])
def test_quantity(written: str, canonical: str) -> None:
    assert _decode_special(QUANTITY, lfield(1, written)) == canonical
    assert pb._encode_special("quantity", written, "t") == lfield(1, canonical)


def test_quantity_absent_is_zero_and_garbage_is_an_error() -> None:
    assert _decode_special(QUANTITY, b"") == "0"
    with pytest.raises(ProtobufError):
        _decode_special(QUANTITY, lfield(1, "lots"))


def test_int_or_string() -> None:
    assert _decode_special(INTSTR, vfield(1, 0) + vfield(2, 8080) + lfield(3, "")) == 8080
    assert _decode_special(INTSTR, vfield(1, 1) + vfield(2, 0) + lfield(3, "http")) == "http"
    assert _decode_special(INTSTR, b"") == 0
    assert pb._encode_special("intorstring", "25%", "t") == vfield(1, 1) + vfield(2, 0) + lfield(3, "25%")
    assert pb._encode_special("intorstring", 3, "t") == vfield(1, 0) + vfield(2, 3) + lfield(3, "")
    with pytest.raises(ProtobufError, match="IntOrString"):
        _decode_special(INTSTR, vfield(1, 7))


def test_raw_extension_and_fields_v1() -> None:
    assert _decode_special(RAWEXT, lfield(1, b'{"a":[1,2]}')) == {"a": [1, 2]}
    assert _decode_special(RAWEXT, b"") is None
    inner = envelope("v1", "Namespace", lfield(1, meta("n")))
    assert _decode_special(RAWEXT, lfield(1, inner))["metadata"]["name"] == "n"
    assert _decode_special(FIELDSV1, lfield(1, b'{"f:metadata":{}}')) == {"f:metadata": {}}
    with pytest.raises(ProtobufError, match="not JSON"):
        _decode_special(RAWEXT, lfield(1, b"\x01\x02"))


def test_named_string_list_is_a_bare_array() -> None:
    # authentication.v1.UserInfo.extra: map<string, ExtraValue{repeated string items = 1}>
    user = lfield(1, "alice") + lfield(4, lfield(1, "scopes") + lfield(2, lfield(1, "a") + lfield(1, "b")))
    review = lfield(2, lfield(1, "tok")) + lfield(3, vfield(1, 1) + lfield(2, user))
    got = decode(envelope("authentication.k8s.io/v1", "TokenReview", review))
    assert got["status"]["user"] == {"username": "alice", "extra": {"scopes": ["a", "b"]}}
    assert decode(encode(got)) == got


# --------------------------------------------------------------------------------------------------------------
# Errors.

def test_bad_magic() -> None:
    with pytest.raises(ProtobufError, match="k8s"):
        decode(b'{"kind":"Pod"}')


@pytest.mark.parametrize(("api_version", "kind"), [("v1", "Nope"), ("apps/v9", "Deployment"), ("", "")])
def test_unknown_kind(api_version: str, kind: str) -> None:
    with pytest.raises(ProtobufError):
        decode(envelope(api_version, kind, b""))
    assert not pb.supports(api_version, kind)


def test_unknown_field_number_is_an_error_not_dropped() -> None:
    data = envelope("v1", "ConfigMap", lfield(1, meta("x")) + lfield(99, "surprise"))
    with pytest.raises(ProtobufError, match="unknown field number 99"):
        decode(data)
    nested = envelope("apps/v1", "Deployment", lfield(2, vfield(8, 1)))       # DeploymentSpec has no field 8
    with pytest.raises(ProtobufError, match=r"spec.*unknown field number 8"):
        decode(nested)


def test_wrong_wire_type() -> None:
    data = envelope("v1", "ConfigMap", vfield(1, 5))       # metadata must be length-delimited
    with pytest.raises(ProtobufError, match="wire type"):
        decode(data)
    with pytest.raises(ProtobufError, match="wire type"):
        decode(b"k8s\x00" + b"\x0b")                       # start-group


@pytest.mark.parametrize("cut", [5, 12, 30, 40])
def test_truncated(cut: int) -> None:
    full = bytes.fromhex(KUBECTL_1_32_BODIES["configmap"][1])
    with pytest.raises(ProtobufError):
        decode(full[:cut])


def test_malformed_varint_and_length() -> None:
    with pytest.raises(ProtobufError, match="varint"):
        decode(b"k8s\x00" + b"\xff" * 11)
    with pytest.raises(ProtobufError, match="past the end"):
        decode(b"k8s\x00" + b"\x0a\x7f" + b"x")


def test_content_encoding_is_refused() -> None:
    data = (b"k8s\x00" + lfield(1, lfield(1, "v1") + lfield(2, "ConfigMap")) + lfield(2, b"")
            + lfield(3, "gzip"))
    with pytest.raises(ProtobufError, match="gzip"):
        decode(data)


def test_invalid_utf8_string() -> None:
    with pytest.raises(ProtobufError, match="UTF-8"):
        decode(envelope("v1", "ConfigMap", lfield(1, lfield(1, b"\xff\xfe"))))


def test_encode_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ProtobufError, match="'bogus'"):
        encode({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "bogus": 1})
    with pytest.raises(ProtobufError, match="expected a string"):
        encode({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 5}})
    with pytest.raises(ProtobufError, match="int32"):
        encode({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2**31}})
    with pytest.raises(ProtobufError, match="base64"):
        encode({"apiVersion": "v1", "kind": "Secret", "data": {"k": "not base64!"}})
    with pytest.raises(ProtobufError, match="no protobuf message"):
        encode({"apiVersion": "example.com/v1", "kind": "Widget"})


# --------------------------------------------------------------------------------------------------------------
# Realistic objects of every stored kind, in the form Go prints them: decode(encode(x)) == x.

def om(name: str, namespace: str | None = "default", **extra) -> dict:
    m = {"name": name}
    if namespace:
        m["namespace"] = namespace
    m.update({"uid": f"uid-{name}", "resourceVersion": "42", "creationTimestamp": "2024-05-06T07:08:09Z"})
    m.update(extra)
    return m


def pod_spec() -> dict:
    """A PodSpec that touches many nested types (Go's print form: value fields present, zeros kept)."""
    return {
        "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "pvc1"}},
            {"name": "cfg", "configMap": {"name": "cm1", "items": [{"key": "a", "path": "a.txt", "mode": 420}],
                                          "defaultMode": 420}},
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "proj", "projected": {"sources": [
                {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}},
                {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"apiVersion": "v1",
                                                                           "fieldPath": "metadata.labels"}}]}},
            ], "defaultMode": 420}},
        ],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", "true"], "resources": {},
                            "restartPolicy": "Always"}],
        "containers": [{
            "name": "app", "image": "example/app:1.0", "command": ["/app"], "args": ["--port=8080"],
            "workingDir": "/srv",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                      {"containerPort": 9090, "hostPort": 9090, "protocol": "UDP", "hostIP": "0.0.0.0"}],
            "envFrom": [{"prefix": "CFG_", "configMapRef": {"name": "cm1", "optional": True}}],
            "env": [
                {"name": "PLAIN", "value": "x"},
                {"name": "EMPTY"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
                {"name": "CPU", "valueFrom": {"resourceFieldRef": {"containerName": "app",
                                                                   "resource": "limits.cpu", "divisor": "1m"}}},
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s1", "key": "pw", "optional": False}}},
            ],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi", "nvidia.com/gpu": "1"},
                          "requests": {"cpu": "100m", "memory": "64Mi"}},
            "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
            "volumeMounts": [{"name": "data", "mountPath": "/data", "subPath": "app"},
                             {"name": "cfg", "readOnly": True, "mountPath": "/etc/app",
                              "mountPropagation": "HostToContainer"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
                                          "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                              "initialDelaySeconds": 3, "timeoutSeconds": 1, "periodSeconds": 10,
                              "successThreshold": 1, "failureThreshold": 3},
            "readinessProbe": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 1, "periodSeconds": 5,
                               "successThreshold": 1, "failureThreshold": 3},
            "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30,
                             "terminationGracePeriodSeconds": 0},
            "lifecycle": {"preStop": {"sleep": {"seconds": 5}},
                          "postStart": {"exec": {"command": ["echo", "hi"]}}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
            "securityContext": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}, "privileged": False,
                                "runAsUser": 1000, "runAsNonRoot": True, "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}},
            "stdin": True, "tty": True,
        }],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "activeDeadlineSeconds": 0,
        "dnsPolicy": "ClusterFirst", "nodeSelector": {"kubernetes.io/os": "linux"},
        "serviceAccountName": "app", "serviceAccount": "app", "automountServiceAccountToken": False,
        "hostNetwork": True,
        "securityContext": {"runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4000, 0],
                            "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
        "imagePullSecrets": [{"name": "regcred"}],
        "hostname": "app-0", "subdomain": "apps",
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 10, "preference": {"matchFields": [{"key": "metadata.name", "operator": "NotIn",
                                                                    "values": ["n1"]}]}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                                    "topologyKey": "kubernetes.io/hostname"}}]},
        },
        "schedulerName": "default-scheduler",
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                         "tolerationSeconds": 300}, {"operator": "Exists"}],
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db"]}],
        "priorityClassName": "high", "priority": 1000,
        "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]},
        "readinessGates": [{"conditionType": "example.com/ready"}],
        "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
        "overhead": {"cpu": "10m"},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                       "labelSelector": {"matchExpressions": [
                                           {"key": "app", "operator": "Exists"}]}}],
        "os": {"name": "linux"},
    }


def template(labels: dict) -> dict:
    return {"metadata": {"creationTimestamp": None, "labels": labels}, "spec": pod_spec()}


SELECTOR = {"matchLabels": {"app": "web"}}
CONDITION_TIMES = {"lastTransitionTime": "2024-05-06T07:08:10Z"}


def objects() -> dict[str, dict]:
    """One realistic object per kind, keyed by a test id."""
    t = template({"app": "web"})
    objs = {
        "namespace": {"kind": "Namespace", "apiVersion": "v1",
                      "metadata": om("team-a", None, labels={"kubernetes.io/metadata.name": "team-a"}),
                      "spec": {"finalizers": ["kubernetes"]},
                      "status": {"phase": "Terminating", "conditions": [
                          {"type": "NamespaceDeletionDiscoveryFailure", "status": "False",
                           "lastTransitionTime": "2024-05-06T07:08:10Z", "reason": "ResourcesDiscovered",
                           "message": "All resources successfully discovered"}]}},
        "configmap": {"kind": "ConfigMap", "apiVersion": "v1", "metadata": om("cm1"), "immutable": False,
                      "data": {"a": "1", "b": ""}, "binaryData": {"bin": base64.b64encode(b"\x00\x01").decode()}},
        "secret": {"kind": "Secret", "apiVersion": "v1",
                   "metadata": om("s1", annotations={"kubernetes.io/service-account.name": "x"},
                                  ownerReferences=[{"apiVersion": "v1", "kind": "ServiceAccount", "name": "x",
                                                    "uid": "u", "controller": True, "blockOwnerDeletion": False}],
                                  finalizers=["f1"], generation=3, deletionGracePeriodSeconds=0,
                                  deletionTimestamp="2024-05-06T08:00:00Z"),
                   "data": {"pw": "czNjcjN0"}, "type": "Opaque"},
        "service": {"kind": "Service", "apiVersion": "v1", "metadata": om("svc1", labels={"app": "web"}),
                    "spec": {"ports": [{"name": "http", "protocol": "TCP", "appProtocol": "http", "port": 80,
                                        "targetPort": "http", "nodePort": 30080},
                                       {"name": "m", "protocol": "TCP", "port": 9090, "targetPort": 9090}],
                             "selector": {"app": "web"}, "clusterIP": "10.43.0.10", "clusterIPs": ["10.43.0.10"],
                             "type": "LoadBalancer", "sessionAffinity": "ClientIP",
                             "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                             "externalTrafficPolicy": "Local", "healthCheckNodePort": 31000,
                             "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                             "allocateLoadBalancerNodePorts": True, "internalTrafficPolicy": "Cluster"},
                    "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ipMode": "VIP", "ports": [
                        {"port": 80, "protocol": "TCP"}]}]},
                        "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,
                                        "lastTransitionTime": "2024-05-06T07:08:10Z", "reason": "r",
                                        "message": ""}]}},
        "serviceaccount": {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": om("sa1"),
                           "secrets": [{"name": "tok"}], "imagePullSecrets": [{"name": "reg"}],
                           "automountServiceAccountToken": False},
        "pod": {"kind": "Pod", "apiVersion": "v1", "metadata": om("p1", labels={"app": "web"}),
                "spec": {**pod_spec(), "nodeName": "node1"},
                "status": {"phase": "Running", "conditions": [
                    {"type": "Ready", "status": "True", "lastProbeTime": None, **CONDITION_TIMES}],
                    "hostIP": "10.0.0.5", "hostIPs": [{"ip": "10.0.0.5"}], "podIP": "10.42.0.7",
                    "podIPs": [{"ip": "10.42.0.7"}], "startTime": "2024-05-06T07:08:09Z", "qosClass": "Burstable",
                    "containerStatuses": [{"name": "app", "state": {"running": {"startedAt": "2024-05-06T07:08:11Z"}},
                                           "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                                        "startedAt": None,
                                                                        "finishedAt": "2024-05-06T07:08:10Z",
                                                                        "containerID": "containerd://1"}},
                                           "ready": True, "restartCount": 1, "image": "example/app:1.0",
                                           "imageID": "sha256:abc", "containerID": "containerd://2",
                                           "started": True}]}},
        "podtemplate": {"kind": "PodTemplate", "apiVersion": "v1", "metadata": om("pt"), "template": t},
        "replicationcontroller": {"kind": "ReplicationController", "apiVersion": "v1", "metadata": om("rc"),
                                  "spec": {"replicas": 2, "selector": {"app": "web"}, "template": t},
                                  "status": {"replicas": 2, "readyReplicas": 2}},
        "resourcequota": {"kind": "ResourceQuota", "apiVersion": "v1", "metadata": om("q"),
                          "spec": {"hard": {"cpu": "4", "pods": "10"}, "scopes": ["NotTerminating"],
                                   "scopeSelector": {"matchExpressions": [
                                       {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}},
                          "status": {"hard": {"cpu": "4"}, "used": {"cpu": "0"}}},
        "limitrange": {"kind": "LimitRange", "apiVersion": "v1", "metadata": om("lr"),
                       "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "default": {"cpu": "500m"},
                                            "defaultRequest": {"cpu": "100m"},
                                            "maxLimitRequestRatio": {"cpu": "10"}}]}},
        "endpoints": {"kind": "Endpoints", "apiVersion": "v1", "metadata": om("svc1"),
                      "subsets": [{"addresses": [{"ip": "10.42.0.7", "nodeName": "node1",
                                                  "targetRef": {"kind": "Pod", "namespace": "default",
                                                                "name": "p1", "uid": "u"}}],
                                   "notReadyAddresses": [{"ip": "10.42.0.8"}],
                                   "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]},
        "node": {"kind": "Node", "apiVersion": "v1", "metadata": om("node1", None, labels={"a": "b"}),
                 "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"], "unschedulable": True,
                          "taints": [{"key": "k", "value": "v", "effect": "NoSchedule",
                                      "timeAdded": "2024-05-06T07:08:09Z"}]},
                 "status": {"capacity": {"cpu": "2", "memory": "8Gi", "pods": "110"},
                            "allocatable": {"cpu": "1900m", "memory": "7Gi", "pods": "110"},
                            "conditions": [{"type": "Ready", "status": "True",
                                            "lastHeartbeatTime": "2024-05-06T07:08:09Z",
                                            "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "KubeletReady",
                                            "message": "ok"}],
                            "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}],
                            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                            "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b",
                                         "kernelVersion": "6.1", "osImage": "Debian", "containerRuntimeVersion":
                                         "containerd://1.7", "kubeletVersion": "v1.32.0",
                                         "kubeProxyVersion": "", "operatingSystem": "linux",
                                         "architecture": "amd64"},
                            "images": [{"names": ["nginx:1.27"], "sizeBytes": 70000000}]}},
        "event": {"kind": "Event", "apiVersion": "v1", "metadata": om("p1.17"),
                  "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p1", "uid": "u",
                                     "apiVersion": "v1", "resourceVersion": "1", "fieldPath": "spec.containers{app}"},
                  "reason": "Pulled", "message": "pulled", "source": {"component": "kubelet", "host": "node1"},
                  "firstTimestamp": "2024-05-06T07:08:09Z", "lastTimestamp": "2024-05-06T07:08:19Z",
                  "count": 2, "type": "Normal", "eventTime": "2024-05-06T07:08:09.123456Z",
                  "series": {"count": 2, "lastObservedTime": "2024-05-06T07:08:19.000001Z"},
                  "reportingComponent": "kubelet", "reportingInstance": "node1"},
        "events.k8s.io-event": {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": om("e2"),
                                "eventTime": "2024-05-06T07:08:09.123456Z", "reportingController": "kubelet",
                                "reportingInstance": "node1", "action": "Pull", "reason": "Pulled",
                                "regarding": {"kind": "Pod", "name": "p1"}, "note": "n", "type": "Normal",
                                "deprecatedFirstTimestamp": None, "deprecatedLastTimestamp": None,
                                "deprecatedSource": {}},
        "pvc": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": om("pvc1"),
                "spec": {"accessModes": ["ReadWriteOnce"], "selector": SELECTOR,
                         "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "local",
                         "volumeMode": "Filesystem", "dataSourceRef": {"kind": "VolumeSnapshot", "name": "snap",
                                                                       "apiGroup": "snapshot.storage.k8s.io"}},
                "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}},
        "deployment": {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": om("web", generation=2),
                       "spec": {"replicas": 0, "selector": SELECTOR, "template": t,
                                "strategy": {"type": "RollingUpdate",
                                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
                                "minReadySeconds": 5, "revisionHistoryLimit": 10, "paused": True,
                                "progressDeadlineSeconds": 600},
                       "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
                                  "readyReplicas": 3, "availableReplicas": 3, "conditions": [
                                      {"type": "Available", "status": "True", "lastUpdateTime":
                                       "2024-05-06T07:08:10Z", **CONDITION_TIMES, "reason": "MinimumReplicasAvailable",
                                       "message": "Deployment has minimum availability."}],
                                  "collisionCount": 0}},
        "replicaset": {"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": om(
                           "web-1", ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                      "uid": "u", "controller": True, "blockOwnerDeletion": True}],
                           annotations={"deployment.kubernetes.io/revision": "1"}),
                       "spec": {"replicas": 3, "selector": SELECTOR, "template": t},
                       "status": {"replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1}},
        "statefulset": {"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": om("db"),
                        "spec": {"replicas": 1, "selector": SELECTOR, "template": t,
                                 "volumeClaimTemplates": [{"metadata": {"name": "data", "creationTimestamp": None},
                                                           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {
                                                               "requests": {"storage": "1Gi"}}},
                                                           "status": {}}],
                                 "serviceName": "db", "podManagementPolicy": "OrderedReady",
                                 "updateStrategy": {"type": "RollingUpdate",
                                                    "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
                                 "revisionHistoryLimit": 10,
                                 "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                                          "whenScaled": "Delete"},
                                 "ordinals": {"start": 0}},
                        "status": {"replicas": 1, "availableReplicas": 1, "currentRevision": "db-1"}},
        "daemonset": {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": om("agent"),
                      "spec": {"selector": SELECTOR, "template": t,
                               "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
                                   "maxUnavailable": 1, "maxSurge": 0}}, "revisionHistoryLimit": 10},
                      "status": {"currentNumberScheduled": 1, "numberMisscheduled": 0, "desiredNumberScheduled": 1,
                                 "numberReady": 1}},
        "job": {"kind": "Job", "apiVersion": "batch/v1", "metadata": om("j1"),
                "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6, "selector": SELECTOR,
                         "manualSelector": False, "template": {**t, "spec": {**pod_spec(),
                                                                             "restartPolicy": "Never"}},
                         "ttlSecondsAfterFinished": 100, "completionMode": "NonIndexed", "suspend": False,
                         "podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {
                             "operator": "In", "values": [1, 42]}}]},
                         "podReplacementPolicy": "TerminatingOrFailed"},
                "status": {"conditions": [{"type": "Complete", "status": "True",
                                           "lastProbeTime": "2024-05-06T07:08:10Z", **CONDITION_TIMES}],
                           "startTime": "2024-05-06T07:08:09Z", "completionTime": "2024-05-06T07:08:10Z",
                           "succeeded": 1, "terminating": 0, "ready": 0,
                           "uncountedTerminatedPods": {}}},
        "cronjob": {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": om("cj"),
                    "spec": {"schedule": "*/5 * * * *", "timeZone": "Etc/UTC", "startingDeadlineSeconds": 30,
                             "concurrencyPolicy": "Forbid", "suspend": True,
                             "jobTemplate": {"metadata": {"creationTimestamp": None},
                                             "spec": {"template": {**t, "spec": {**pod_spec(),
                                                                                 "restartPolicy": "OnFailure"}}}},
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1},
                    "status": {"active": [{"kind": "Job", "name": "cj-1", "namespace": "default"}],
                               "lastScheduleTime": "2024-05-06T07:05:00Z"}},
        "hpa-v1": {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": om("web"),
                   "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                            "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80},
                   "status": {"currentReplicas": 1, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 90,
                              "lastScaleTime": "2024-05-06T07:08:09Z"}},
        "hpa-v2": {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2", "metadata": om("web"),
                   "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                            "minReplicas": 1, "maxReplicas": 5, "metrics": [
                                {"type": "Resource", "resource": {"name": "cpu", "target": {
                                    "type": "Utilization", "averageUtilization": 80}}},
                                {"type": "Pods", "pods": {"metric": {"name": "qps", "selector": SELECTOR},
                                                          "target": {"type": "AverageValue",
                                                                     "averageValue": "1k"}}}],
                            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                                                       "policies": [{"type": "Percent", "value": 100,
                                                                     "periodSeconds": 15}]}}},
                   "status": {"currentReplicas": 1, "desiredReplicas": 2, "currentMetrics": [
                       {"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "100m",
                                                                                    "averageUtilization": 90}}}],
                       "conditions": [{"type": "AbleToScale", "status": "True", **CONDITION_TIMES,
                                       "reason": "ReadyForNewScale"}]}},
        "pdb": {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": om("pdb1"),
                "spec": {"minAvailable": "50%", "selector": SELECTOR, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
                "status": {"observedGeneration": 1, "disruptedPods": {"p1": "2024-05-06T07:08:09Z"},
                           "disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 3,
                           "conditions": [{"type": "DisruptionAllowed", "status": "False", "observedGeneration": 1,
                                           **CONDITION_TIMES, "reason": "InsufficientPods", "message": ""}]}},
        "eviction": {"kind": "Eviction", "apiVersion": "policy/v1",
                     "metadata": {"name": "p1", "namespace": "default", "creationTimestamp": None},
                     "deleteOptions": {"gracePeriodSeconds": 0, "preconditions": {"uid": "u", "resourceVersion": "9"},
                                       "propagationPolicy": "Foreground", "dryRun": ["All"]}},
        "role": {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": om("r1"),
                 "rules": [{"verbs": ["get", "list"], "apiGroups": ["", "apps"], "resources": ["pods"],
                            "resourceNames": ["a"]}]},
        "rolebinding": {"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": om("rb"),
                        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                                     {"kind": "ServiceAccount", "name": "sa1", "namespace": "default"}],
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r1"}},
        "clusterrole": {"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1",
                        "metadata": om("cr", None),
                        "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
                        "aggregationRule": {"clusterRoleSelectors": [SELECTOR]}},
        "clusterrolebinding": {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                               "metadata": om("crb", None),
                               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                           "name": "cr"}},
        "ingress": {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": om("ing"),
                    "spec": {"ingressClassName": "nginx",
                             "defaultBackend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket",
                                                             "name": "static"}},
                             "tls": [{"hosts": ["foo.com"], "secretName": "cert"}],
                             "rules": [{"host": "foo.com", "http": {"paths": [
                                 {"path": "/", "pathType": "Prefix", "backend": {"service": {
                                     "name": "svc1", "port": {"number": 80}}}},
                                 {"path": "/api", "pathType": "Exact", "backend": {"service": {
                                     "name": "svc2", "port": {"name": "http"}}}}]}}]},
                    "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}},
        "networkpolicy": {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": om("np"),
                          "spec": {"podSelector": SELECTOR, "ingress": [{"ports": [
                              {"protocol": "TCP", "port": 80, "endPort": 90}, {"port": "http"}],
                              "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                                       {"namespaceSelector": {}, "podSelector": SELECTOR}]}],
                              "egress": [{}], "policyTypes": ["Ingress", "Egress"]}},
        "priorityclass": {"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "metadata": om("hi", None),
                          "value": 0, "globalDefault": True, "description": "d", "preemptionPolicy": "Never"},
        "lease": {"kind": "Lease", "apiVersion": "coordination.k8s.io/v1", "metadata": om("node1",
                                                                                      "kube-node-lease"),
                  "spec": {"holderIdentity": "node1", "leaseDurationSeconds": 40,
                           "acquireTime": "2024-05-06T07:08:09.000000Z", "renewTime": "2024-05-06T07:08:19.654321Z",
                           "leaseTransitions": 0, "strategy": "OldestEmulationVersion",
                           "preferredHolder": "node2"}},
        "endpointslice": {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                          "metadata": om("svc1-abc", labels={"kubernetes.io/service-name": "svc1"}),
                          "addressType": "IPv4",
                          "endpoints": [{"addresses": ["10.42.0.7"], "conditions": {"ready": True, "serving": True,
                                                                                    "terminating": False},
                                         "targetRef": {"kind": "Pod", "name": "p1", "namespace": "default"},
                                         "nodeName": "node1", "zone": "a", "hints": {"forZones": [{"name": "a"}]},
                                         "deprecatedTopology": {"x": "y"}}],
                          "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "appProtocol": "http"}]},
        "tokenrequest": {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                         "metadata": {"name": "sa1", "namespace": "default", "creationTimestamp": None},
                         "spec": {"audiences": ["api"], "expirationSeconds": 3600,
                                  "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p1", "uid": "u"}},
                         "status": {"token": "eyJ...", "expirationTimestamp": "2024-05-06T08:08:09Z"}},
        "tokenreview": {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                        "metadata": {"creationTimestamp": None},
                        "spec": {"token": "abc", "audiences": ["api"]},
                        "status": {"authenticated": True, "user": {"username": "system:serviceaccount:d:s",
                                                                   "uid": "u", "groups": ["system:authenticated"],
                                                                   "extra": {"authentication.kubernetes.io/pod-name":
                                                                             ["p1"]}},
                                   "audiences": ["api"]}},
        "selfsubjectaccessreview": {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                                    "metadata": {"creationTimestamp": None},
                                    "spec": {"resourceAttributes": {"namespace": "d", "verb": "list",
                                                                    "group": "apps", "resource": "deployments",
                                                                    "fieldSelector": {"rawSelector": "a=b"},
                                                                    "labelSelector": {"requirements": [
                                                                        {"key": "x", "operator": "In",
                                                                         "values": ["1"]}]}}},
                                    "status": {"allowed": True, "reason": "RBAC: allowed"}},
        "subjectaccessreview": {"kind": "SubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                                "metadata": {"creationTimestamp": None},
                                "spec": {"nonResourceAttributes": {"path": "/metrics", "verb": "get"},
                                         "user": "bob", "groups": ["g"], "uid": "u",
                                         "extra": {"scopes": ["a", "b"], "empty": None}},
                                "status": {"allowed": False, "denied": True, "evaluationError": "e"}},
        "scale": {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": om("web"),
                  "spec": {"replicas": 2}, "status": {"replicas": 3, "selector": "app=web"}},
        "deleteoptions": {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 30,
                          "orphanDependents": False, "propagationPolicy": "Background",
                          "ignoreStoreReadErrorWithClusterBreakingPotential": True},
        "status": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": 'pods "x" not found', "reason": "NotFound",
                   "details": {"name": "x", "kind": "pods", "causes": [{"reason": "FieldValueInvalid",
                                                                        "message": "m", "field": "spec"}],
                               "retryAfterSeconds": 1}, "code": 404},
        "csr": {"kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1",
                "metadata": om("csr", None),
                "spec": {"request": base64.b64encode(b"-----BEGIN CERTIFICATE REQUEST-----").decode(),
                         "signerName": "kubernetes.io/kube-apiserver-client", "expirationSeconds": 86400,
                         "usages": ["client auth"], "username": "u", "extra": {"k": ["v"]}},
                "status": {"certificate": base64.b64encode(b"cert").decode()}},
        "controllerrevision": {"kind": "ControllerRevision", "apiVersion": "apps/v1", "metadata": om("db-1"),
                               "data": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}},
                               "revision": 1},
    }
    objs["podlist"] = {"kind": "PodList", "apiVersion": "v1",
                       "metadata": {"resourceVersion": "99", "continue": "c", "remainingItemCount": 0},
                       "items": [{k: v for k, v in objs["pod"].items() if k not in ("kind", "apiVersion")}]}
    objs["deploymentlist"] = {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {},
                              "items": [{k: v for k, v in objs["deployment"].items()
                                         if k not in ("kind", "apiVersion")}]}
    objs["managedfields"] = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": om(
        "mf", managedFields=[{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
                              "time": "2024-05-06T07:08:09Z", "fieldsType": "FieldsV1",
                              "fieldsV1": {"f:data": {"f:a": {}}}, "subresource": "status"}])}
    return objs


OBJECTS = objects()


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_round_trip(name: str) -> None:
    obj = OBJECTS[name]
    data = encode(obj)
    assert data[:4] == b"k8s\x00"
    assert decode(data) == obj
    assert encode(decode(data)) == data


def test_round_trip_covers_the_required_kinds() -> None:
    kinds = {o["kind"] for o in OBJECTS.values()}
    assert kinds >= {"Namespace", "ConfigMap", "Secret", "Service", "ServiceAccount", "Pod", "PodTemplate",
                     "ReplicationController", "ResourceQuota", "LimitRange", "Endpoints", "Node", "Event",
                     "PersistentVolumeClaim", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                     "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Eviction", "Role",
                     "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Ingress", "NetworkPolicy",
                     "PriorityClass", "Lease", "EndpointSlice", "TokenRequest", "SelfSubjectAccessReview",
                     "SubjectAccessReview", "TokenReview", "Scale", "DeleteOptions", "Status", "PodList",
                     "DeploymentList"}


def test_encode_does_not_mutate() -> None:
    obj = OBJECTS["pod"]
    before = copy.deepcopy(obj)
    encode(obj)
    assert obj == before


def test_supports_and_kinds_table() -> None:
    for api_version, kind in [("v1", "Pod"), ("apps/v1", "DeploymentList"), ("autoscaling/v2",
                              "HorizontalPodAutoscaler"), ("policy/v1", "Eviction"), ("v1", "Status"),
                              ("batch/v1", "DeleteOptions"), ("authentication.k8s.io/v1", "TokenRequest")]:
        assert pb.supports(api_version, kind), (api_version, kind)
    assert all(message in MESSAGES for message in KINDS.values())
    # Field names where the JSON name differs from the proto name come from the Go tags.
    fields = MESSAGES["k8s.io.api.authentication.v1.BoundObjectReference"]
    assert fields[4][0] == "uid"
    assert MESSAGES["k8s.io.api.networking.v1.IngressClassParametersReference"][1][0] == "apiGroup"


# --------------------------------------------------------------------------------------------------------------
# The generator.

def _generator():
    spec = importlib.util.spec_from_file_location("gen_protobuf_fields", ROOT / "scripts" / "gen_protobuf_fields.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gen_protobuf_fields"] = mod
    spec.loader.exec_module(mod)
    return mod


PROTO_SNIPPET = '''
// A made-up file in the shape go-to-protobuf writes.
syntax = "proto2";

package example.v1;

import "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto";

option go_package = "v1";

/* block comment with a message Fake { } inside */
message Widget {
  // +optional
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;

  optional WidgetSpec spec = 2;

  map<string, string> labels_by_zone = 3;

  repeated int32 ports = 4;

  message Inner {
    optional string name = 1;
  }

  optional Inner inner = 5;
}

message WidgetSpec {
  optional string mode = 7;

  map<string, Widget.Inner> inners = 8;
}
'''


def test_generator_parses_proto_text() -> None:
    gen = _generator()
    messages, refs = gen.messages_from_proto_text(PROTO_SNIPPET)
    names = set(messages) | {"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    for f, scope in refs:
        f.type_name = gen._lookup(f.type_name, scope, names)
    gen._mark_maps(messages)
    w = {f.number: (f.name, f.kind, f.type_name, f.repeated) for f in messages["example.v1.Widget"].fields}
    assert w == {
        1: ("metadata", "message", "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", False),
        2: ("spec", "message", "example.v1.WidgetSpec", False),
        3: ("labels_by_zone", "map", "example.v1.Widget.LabelsByZoneEntry", False),
        4: ("ports", "int32", None, True),
        5: ("inner", "message", "example.v1.Widget.Inner", False),
    }
    assert messages["example.v1.Widget.LabelsByZoneEntry"].map_entry
    entry = messages["example.v1.WidgetSpec.InnersEntry"]
    assert [(f.name, f.number, f.type_name) for f in entry.fields] == [("key", 1, None),
                                                                      ("value", 2, "example.v1.Widget.Inner")]
    assert "example.v1.Fake" not in messages


@pytest.mark.skipif(kubectl_132() is None, reason="kubectl 1.32 is not installed")
def test_generated_table_is_current(tmp_path: Path) -> None:
    """Regenerating from kubectl 1.32 gives the committed table (the data is not edited by hand)."""
    gen = _generator()
    out = tmp_path / "fields.py"
    assert gen.main(["--kubectl", kubectl_132(), "-o", str(out)]) == 0
    committed = (ROOT / "kybernetes" / "api" / "protobuf_fields.py").read_text()
    assert out.read_text() == committed


# --------------------------------------------------------------------------------------------------------------
# Go's own decoder: kubectl 1.32 reads our encoding of rich objects and prints them back as JSON.

GO_CASES = [
    # (kubectl arguments, object the stub answers with, how to compare)
    (["create", "deployment", "web", "--image=nginx"], "deployment", "json"),
    (["create", "configmap", "cm1"], "configmap", "json"),
    (["create", "secret", "generic", "s1"], "secret", "json"),
    (["create", "namespace", "team-a"], "namespace", "json"),
    (["create", "service", "clusterip", "svc1", "--tcp=80"], "service", "json"),
    (["create", "serviceaccount", "sa1"], "serviceaccount", "json"),
    (["create", "job", "j1", "--image=busybox"], "job", "json"),
    (["create", "cronjob", "cj", "--image=busybox", "--schedule=* * * * *"], "cronjob", "json"),
    (["create", "role", "r1", "--verb=get", "--resource=pods"], "role", "json"),
    (["create", "rolebinding", "rb", "--role=r1", "--user=alice"], "rolebinding", "json"),
    (["create", "clusterrole", "cr", "--verb=get", "--resource=pods"], "clusterrole", "json"),
    (["create", "clusterrolebinding", "crb", "--clusterrole=cr"], "clusterrolebinding", "json"),
    (["create", "quota", "q", "--hard=cpu=1"], "resourcequota", "json"),
    (["create", "priorityclass", "hi", "--value=1"], "priorityclass", "json"),
    (["create", "poddisruptionbudget", "pdb1", "--selector=app=web", "--min-available=1"], "pdb", "json"),
    (["create", "ingress", "ing", "--rule=foo.com/=svc1:80"], "ingress", "json"),
    (["create", "token", "sa1"], "tokenrequest", "token"),
    (["auth", "can-i", "list", "deployments.apps"], "selfsubjectaccessreview", "yes"),
]


def _strip_managed(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    obj.get("metadata", {}).pop("managedFields", None)
    return obj


@pytest.mark.kubectl
@pytest.mark.skipif(kubectl_132() is None, reason="kubectl 1.32 is not installed")
async def test_kubectl_decodes_our_encoding(tmp_path: Path) -> None:
    from aiohttp import web

    from kybernetes.api import discovery
    from kybernetes.api.catalogue import builtin_catalogue

    cat = builtin_catalogue()
    state: dict = {}
    received: list[tuple[str, str | None, bytes]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/")
        parts = path.split("/")
        if request.method == "GET":
            if path == "/version":
                return web.json_response({"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
            if path == "/api":
                return web.json_response(discovery.api_versions("127.0.0.1"))
            if path == "/apis":
                return web.json_response(discovery.api_group_list(cat))
            if path == "/api/v1":
                return web.json_response(discovery.api_resource_list(cat, "", "v1"))
            if len(parts) == 4 and parts[1] == "apis":
                doc = discovery.api_resource_list(cat, parts[2], parts[3])
                if doc:
                    return web.json_response(doc)
            if len(parts) == 3 and parts[1] == "apis":
                doc = discovery.api_group(cat, parts[2])
                if doc:
                    return web.json_response(doc)
        if not path.startswith(("/api/", "/apis/")):
            return web.Response(status=404)
        received.append((request.method, request.content_type, await request.read()))
        return web.Response(status=201 if request.method == "POST" else 200, body=encode(state["reply"]),
                            content_type=pb.CONTENT_TYPE)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    base = [kubectl_132(), f"--kubeconfig={kubeconfig}", f"--server=http://127.0.0.1:{port}",
            f"--cache-dir={tmp_path / 'cache'}"]
    failures = []
    try:
        for args, name, how in GO_CASES:
            obj = _strip_managed(OBJECTS[name])
            state["reply"] = obj
            extra = ["--dry-run=server", "-o", "json"] if how == "json" else []
            proc = await asyncio.create_subprocess_exec(*base, *args, *extra, stdout=asyncio.subprocess.PIPE,
                                                        stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            if proc.returncode != 0:
                failures.append(f"{' '.join(args)}: rc {proc.returncode}: {err.decode()[-500:]}")
                continue
            assert received and received[-1][1] == pb.CONTENT_TYPE, args
            if how == "json":
                printed = json.loads(out)
                if printed != obj:
                    failures.append(f"{' '.join(args)}: kubectl printed {json.dumps(printed)}\n"
                                    f"    expected {json.dumps(obj)}")
            elif how == "token":
                if out.decode().strip() != obj["status"]["token"]:
                    failures.append(f"create token printed {out!r}")
            elif out.decode().strip() != "yes":
                failures.append(f"auth can-i printed {out!r}")
    finally:
        await runner.cleanup()
    assert not failures, "\n".join(failures)
