"""Service account tokens and the review resources, through real kubectl and the official Python client.

``kubectl create token`` (the TokenRequest API) issues JWTs that authenticate as the service account while it (and
the object the token is bound to) exists; ``kubectl auth whoami`` (SelfSubjectReview) names the user;
``kubectl auth can-i`` (SelfSubjectAccessReview, SelfSubjectRulesReview) answers as upstream's AlwaysAllow mode;
TokenReview, SubjectAccessReview and LocalSubjectAccessReview answer or refuse as upstream; the ``bindings``
resource binds a pod; the issuer discovery documents verify the tokens; ``--as``/``--as-group`` (the
``Impersonate-*`` headers) change the user as upstream's impersonation filter does.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from kubernetes import client as kclient
from kubernetes import config as kconfig
from kubernetes.client.rest import ApiException

from tests.conftest import Cluster, kubectl_binary

pytestmark = pytest.mark.kubectl

ISSUER = "https://kubernetes.default.svc.cluster.local"


@pytest.fixture(scope="module")
def kubectl() -> str:
    exe = kubectl_binary(32)
    if exe is None:
        pytest.skip("kubectl.1.32 is not installed")
    return exe


@pytest.fixture(scope="module")
def api(cluster: Cluster) -> kclient.ApiClient:
    c = kconfig.new_client_from_config(str(cluster.kubeconfig))
    yield c
    c.close()


@pytest.fixture
def ns(api: kclient.ApiClient) -> str:
    name = f"sa-{uuid.uuid4().hex[:8]}"
    kclient.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def run(kubectl: str, cluster: Cluster, *args: str, token: str = "", check: bool = True) -> subprocess.CompletedProcess:
    if token:  # only the token: no client certificate
        conn = ["--server", cluster.url, "--certificate-authority", str(cluster.ca), "--token", token]
    else:
        conn = ["--kubeconfig", str(cluster.kubeconfig)]
    out = subprocess.run([kubectl, *conn, *args], capture_output=True, text=True, timeout=60)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def whoami(kubectl: str, cluster: Cluster, token: str = "") -> dict:
    out = run(kubectl, cluster, "auth", "whoami", "-o", "json", token=token)
    return json.loads(out.stdout)["status"]["userInfo"]


def get_json(cluster: Cluster, path: str, token: str) -> tuple[int, dict]:
    ctx = ssl.create_default_context(cafile=str(cluster.ca))
    req = urllib.request.Request(cluster.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def post_json(cluster: Cluster, path: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """POST as the admin (its static token) without a client library's own checks of the body."""
    admin = (cluster.data_dir / "tls" / "tokens.csv").read_text().split(",")[0]
    ctx = ssl.create_default_context(cafile=str(cluster.ca))
    req = urllib.request.Request(cluster.url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json",
                                          **(headers or {})})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def make_pod(api: kclient.ApiClient, ns: str, name: str, sa: str = "default") -> dict:
    body = {"metadata": {"name": name}, "spec": {"serviceAccountName": sa,
                                                  "containers": [{"name": "c", "image": "busybox"}]}}
    return api.sanitize_for_serialization(kclient.CoreV1Api(api).create_namespaced_pod(ns, body))


def test_whoami_for_the_admin(kubectl: str, cluster: Cluster) -> None:
    user = whoami(kubectl, cluster)
    assert user["username"] == "admin"
    assert user["groups"] == ["system:masters", "system:authenticated"]
    out = run(kubectl, cluster, "auth", "whoami")
    assert out.stdout.split("\n")[1].split() == ["Username", "admin"]


def test_created_token_authenticates_as_the_service_account(kubectl: str, cluster: Cluster,
                                                            api: kclient.ApiClient, ns: str) -> None:
    run(kubectl, cluster, "create", "serviceaccount", "robot", "-n", ns)
    sa = kclient.CoreV1Api(api).read_namespaced_service_account("robot", ns)
    token = run(kubectl, cluster, "create", "token", "robot", "-n", ns).stdout.strip()
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == ISSUER and claims["aud"] == [ISSUER]
    assert claims["sub"] == f"system:serviceaccount:{ns}:robot"
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert claims["kubernetes.io"] == {"namespace": ns, "serviceaccount": {"name": "robot", "uid": sa.metadata.uid}}

    user = whoami(kubectl, cluster, token)
    assert user["username"] == f"system:serviceaccount:{ns}:robot"
    assert user["uid"] == sa.metadata.uid
    assert user["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    assert user["extra"] == {"authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"]}
    # the token reaches resources (no RBAC yet: every authenticated user may)
    names = run(kubectl, cluster, "get", "serviceaccounts", "-n", ns, "-o", "name", token=token).stdout.split()
    assert "serviceaccount/robot" in names

    # --duration: longer tokens as asked, too short ones refused as upstream refuses them
    long = run(kubectl, cluster, "create", "token", "robot", "-n", ns, "--duration", "2h").stdout.strip()
    lc = jwt.decode(long, options={"verify_signature": False})
    assert lc["exp"] - lc["iat"] == 7200
    short = run(kubectl, cluster, "create", "token", "robot", "-n", ns, "--duration", "5m", check=False)
    assert short.returncode != 0
    assert "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes" \
        in short.stderr, short.stderr
    missing = run(kubectl, cluster, "create", "token", "nobody", "-n", ns, check=False)
    assert missing.returncode != 0 and 'serviceaccounts "nobody" not found' in missing.stderr, missing.stderr

    # deleting the service account (or recreating it: a new UID) ends the token
    run(kubectl, cluster, "delete", "serviceaccount", "robot", "-n", ns)
    assert get_json(cluster, "/api", token)[0] == 401
    run(kubectl, cluster, "create", "serviceaccount", "robot", "-n", ns)
    assert get_json(cluster, "/api", token)[0] == 401
    assert get_json(cluster, "/api", run(kubectl, cluster, "create", "token", "robot", "-n", ns)
                    .stdout.strip())[0] == 200


def test_token_bound_to_a_pod_lives_as_long_as_the_pod(kubectl: str, cluster: Cluster, api: kclient.ApiClient,
                                                       ns: str) -> None:
    run(kubectl, cluster, "create", "serviceaccount", "runner", "-n", ns)
    pod = make_pod(api, ns, "worker", sa="runner")
    make_pod(api, ns, "other", sa="default")
    bind = ("create", "token", "runner", "-n", ns, "--bound-object-kind", "Pod")
    token = run(kubectl, cluster, *bind, "--bound-object-name", "worker").stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["kubernetes.io"]["pod"] == {"name": "worker", "uid": pod["metadata"]["uid"]}
    user = whoami(kubectl, cluster, token)
    assert user["extra"]["authentication.kubernetes.io/pod-name"] == ["worker"]
    assert user["extra"]["authentication.kubernetes.io/pod-uid"] == [pod["metadata"]["uid"]]
    # a pod of another service account cannot carry this one's token; a stale UID is a conflict
    other = run(kubectl, cluster, *bind, "--bound-object-name", "other", check=False)
    assert other.returncode != 0
    assert ('cannot bind token for serviceaccount "runner" to pod running with different serviceaccount name.'
            in other.stderr), other.stderr
    wrong = run(kubectl, cluster, *bind, "--bound-object-name", "worker", "--bound-object-uid", "0000", check=False)
    assert wrong.returncode != 0
    assert "the UID in the bound object reference (0000) does not match the UID in record" in wrong.stderr
    gone = run(kubectl, cluster, *bind, "--bound-object-name", "ghost", check=False)
    assert gone.returncode != 0 and 'pods "ghost" not found' in gone.stderr, gone.stderr
    # the kubelet's kube-api-access duration (3607 s) bound to a pod: a year, with a warning time (extended)
    ext = run(kubectl, cluster, *bind, "--bound-object-name", "worker", "--duration", "3607s", "-o", "json")
    answer = json.loads(ext.stdout)
    ec = jwt.decode(answer["status"]["token"], options={"verify_signature": False})
    assert ec["exp"] - ec["iat"] == 365 * 24 * 3600 and ec["kubernetes.io"]["warnafter"] == ec["iat"] + 3607
    assert answer["spec"]["expirationSeconds"] == 3607
    assert answer["metadata"]["name"] == "runner" and answer["metadata"]["namespace"] == ns
    # a terminating or deleted pod ends the token
    kclient.CoreV1Api(api).delete_namespaced_pod("worker", ns, grace_period_seconds=0)
    assert get_json(cluster, "/api", token)[0] == 401


def test_token_review(cluster: Cluster, api: kclient.ApiClient, kubectl: str, ns: str) -> None:
    authn = kclient.AuthenticationV1Api(api)
    run(kubectl, cluster, "create", "serviceaccount", "reviewer", "-n", ns)
    token = run(kubectl, cluster, "create", "token", "reviewer", "-n", ns).stdout.strip()
    r = authn.create_token_review({"spec": {"token": token}})
    assert r.status.authenticated is True
    assert r.status.user.username == f"system:serviceaccount:{ns}:reviewer"
    assert r.status.audiences == [ISSUER]
    # a token for another audience is no good for the API server, but a review for that audience accepts it
    other = run(kubectl, cluster, "create", "token", "reviewer", "-n", ns, "--audience", "vault").stdout.strip()
    assert get_json(cluster, "/api", other)[0] == 401
    r = authn.create_token_review({"spec": {"token": other, "audiences": ["vault"]}})
    assert r.status.authenticated is True and r.status.audiences == ["vault"]
    r = authn.create_token_review({"spec": {"token": other}})
    assert not r.status.authenticated
    assert r.status.error == f'token audiences ["vault"] is invalid for the target audiences ["{ISSUER}"]'
    r = authn.create_token_review({"spec": {"token": "not-a-token"}})
    assert not r.status.authenticated and r.status.error == "invalid bearer token"
    code, status = post_json(cluster, "/apis/authentication.k8s.io/v1/tokenreviews",
                             {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {}})
    assert code == 400 and status["message"] == "token is required for TokenReview in authentication", status
    # a tampered token: signature check
    head, body, sig = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = f"system:serviceaccount:{ns}:default"
    for key, alg in ((rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
                     ("a-shared-secret-that-is-not-the-key", "HS256")):
        forged = jwt.encode(claims, key, algorithm=alg, headers={"kid": jwt.get_unverified_header(token)["kid"]})
        assert get_json(cluster, "/api", forged)[0] == 401
        assert not authn.create_token_review({"spec": {"token": forged}}).status.authenticated
    assert get_json(cluster, "/api", f"{head}.{body[:-2]}AA.{sig}")[0] == 401


def test_discovery_documents_verify_tokens(cluster: Cluster, kubectl: str, ns: str) -> None:
    run(kubectl, cluster, "create", "serviceaccount", "default", "-n", ns, check=False)  # no controller manager here
    token = run(kubectl, cluster, "create", "token", "default", "-n", ns).stdout.strip()
    code, conf = get_json(cluster, "/.well-known/openid-configuration", token)
    assert code == 200
    assert conf["issuer"] == ISSUER and conf["jwks_uri"] == f"https://127.0.0.1:{cluster.port}/openid/v1/jwks"
    assert conf["id_token_signing_alg_values_supported"] == ["RS256"]
    code, jwks = get_json(cluster, "/openid/v1/jwks", token)
    assert code == 200 and len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kid"] == jwt.get_unverified_header(token)["kid"]
    public = jwt.PyJWK(key).key
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=ISSUER, issuer=ISSUER)
    assert claims["sub"] == f"system:serviceaccount:{ns}:default"
    assert get_json(cluster, "/openid/v1/jwks", "")[0] == 401


def test_can_i_and_access_reviews(kubectl: str, cluster: Cluster, api: kclient.ApiClient) -> None:
    assert run(kubectl, cluster, "auth", "can-i", "create", "pods").stdout.strip() == "yes"
    assert run(kubectl, cluster, "auth", "can-i", "get", "/logs").stdout.strip() == "yes"
    rules = run(kubectl, cluster, "auth", "can-i", "--list").stdout.splitlines()
    assert rules[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert rules[1].split() == ["*.*", "[]", "[]", "[*]"]
    authz = kclient.AuthorizationV1Api(api)
    sar = authz.create_subject_access_review({"spec": {"user": "someone", "resourceAttributes": {
        "verb": "delete", "resource": "nodes"}}})
    assert sar.status.allowed is True
    with pytest.raises(ApiException) as e:
        authz.create_subject_access_review({"spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}})
    assert e.value.status == 422 and "at least one of user or group must be specified" in e.value.body
    with pytest.raises(ApiException) as e:
        authz.create_subject_access_review({"spec": {"user": "u"}})
    assert e.value.status == 422
    assert "exactly one of nonResourceAttributes or resourceAttributes must be specified" in e.value.body
    with pytest.raises(ApiException) as e:
        authz.create_namespaced_local_subject_access_review("default", {"metadata": {"namespace": "default"}, "spec": {
            "user": "u", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "other"}}})
    assert e.value.status == 422 and "must match metadata.namespace" in e.value.body
    lsar = authz.create_namespaced_local_subject_access_review("default", {"metadata": {"namespace": "default"},
                                                                           "spec": {"user": "u", "resourceAttributes": {
                                                                               "verb": "get", "resource": "pods",
                                                                               "namespace": "default"}}})
    assert lsar.status.allowed is True


def test_bindings_resource_binds_a_pod(kubectl: str, cluster: Cluster, api: kclient.ApiClient, ns: str,
                                       tmp_path: Path) -> None:
    make_pod(api, ns, "loose")
    body = tmp_path / "binding.json"
    body.write_text(json.dumps({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "loose"},
                                "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}}))
    raw = ("create", "--raw", f"/api/v1/namespaces/{ns}/bindings", "-f", str(body))
    run(kubectl, cluster, *raw)
    assert kclient.CoreV1Api(api).read_namespaced_pod("loose", ns).spec.node_name == "node-a"
    again = run(kubectl, cluster, *raw, check=False)
    assert again.returncode != 0 and 'pod loose is already assigned to node "node-a"' in again.stderr, \
        again.stderr


def test_unserved_virtual_resources_answer_cleanly(kubectl: str, cluster: Cluster) -> None:
    out = run(kubectl, cluster, "get", "componentstatuses", check=False)
    assert out.returncode != 0 and "InternalError" not in out.stderr
    assert "not served yet" in out.stderr, out.stderr


def test_signing_key_survives_in_the_data_dir(cluster: Cluster) -> None:
    key = Path(cluster.data_dir) / "tls" / "sa.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----")


def test_impersonation(kubectl: str, cluster: Cluster) -> None:
    user = json.loads(run(
        kubectl, cluster, "auth", "whoami", "--as", "jane", "--as-group", "devs", "--as-uid", "42", "-o", "json"
    ).stdout)["status"]["userInfo"]
    assert user == {"username": "jane", "uid": "42", "groups": ["devs", "system:authenticated"]}
    user = json.loads(run(kubectl, cluster, "auth", "whoami", "--as", "system:serviceaccount:kube-system:x",
                          "-o", "json").stdout)["status"]["userInfo"]
    assert user == {"username": "system:serviceaccount:kube-system:x",
                    "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                               "system:authenticated"]}
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    code, answer = post_json(cluster, "/apis/authentication.k8s.io/v1/selfsubjectreviews", review,
                             {"Impersonate-User": "ann", "Impersonate-Extra-Scopes.example.com%2Fteam": "a",
                              "Impersonate-Group": "system:unauthenticated"})
    assert code == 201
    assert answer["status"]["userInfo"] == {"username": "ann", "groups": ["system:unauthenticated"],
                                            "extra": {"scopes.example.com/team": ["a"]}}
    code, status = post_json(cluster, "/apis/authentication.k8s.io/v1/selfsubjectreviews", review,
                             {"Impersonate-Group": "devs"})
    assert code == 400 and "without impersonating a user" in status["message"], status
