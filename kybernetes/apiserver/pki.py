"""The cluster's public key infrastructure: a CA made at first start, the serving and client certificates it signs.

Layout under ``<data-dir>/tls/``: ``ca.crt``/``ca.key`` (the cluster CA), ``serving.crt``/``serving.key`` (the API
server's HTTPS certificate, with every name and address clients use), ``admin.crt``/``admin.key`` (a client
certificate for user ``admin`` in group ``system:masters``), ``tokens.csv`` (static bearer tokens:
``token,user,uid,"group1,group2"`` as upstream's ``--token-auth-file``), ``sa.key`` (the RSA key that signs service
account tokens, as upstream's ``--service-account-signing-key-file``). Files are created once and reused, so a
restart keeps every credential valid. The admin kubeconfig is written to ``<data-dir>/kubeconfig/admin.yaml``.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kybernetes.machinery.kubeconfig import add_local_socket

from .authn import read_token_file

__all__ = ["ClusterPKI", "ensure_pki", "write_kubeconfig", "admin_token"]

_VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class ClusterPKI:
    """Paths of the cluster's credentials (all files exist once ``ensure_pki`` returned)."""

    dir: Path
    ca_cert: Path
    ca_key: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    kubelet_client_cert: Path
    kubelet_client_key: Path
    token_file: Path
    sa_key: Path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _make_ca(pki: ClusterPKI) -> None:
    key = _new_key()
    now = dt.datetime.now(dt.timezone.utc)
    name = _name(f"kybernetes-ca@{int(now.timestamp())}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(pki.ca_key, _key_pem(key))
    pki.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _sign(
    pki: ClusterPKI,
    *,
    cn: str,
    orgs: tuple[str, ...] = (),
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    server: bool,
    cert_path: Path,
    key_path: Path,
) -> None:
    ca_key = _load_key(pki.ca_key)
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = _new_key()
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, orgs))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if dns or ips:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _serving_names(extra_ips: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dns = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]
    host = socket.gethostname()
    if host and host not in dns:
        dns.append(host)
    ips = ["127.0.0.1", "::1", *extra_ips]
    return tuple(dns), tuple(dict.fromkeys(ips))


def ensure_pki(data_dir: Path, *, service_ips: tuple[str, ...] = (), bind_address: str = "") -> ClusterPKI:
    """Create whatever credentials are missing under ``<data_dir>/tls`` and return their paths.

    Idempotent; existing files are kept. The serving certificate is re-issued when an address it must carry
    (the first service IPs, the bind address) is new.
    """
    d = data_dir / "tls"
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    pki = ClusterPKI(
        dir=d,
        ca_cert=d / "ca.crt",
        ca_key=d / "ca.key",
        serving_cert=d / "serving.crt",
        serving_key=d / "serving.key",
        admin_cert=d / "admin.crt",
        admin_key=d / "admin.key",
        kubelet_client_cert=d / "kubelet-client.crt",
        kubelet_client_key=d / "kubelet-client.key",
        token_file=d / "tokens.csv",
        sa_key=d / "sa.key",
    )
    if not (pki.ca_cert.exists() and pki.ca_key.exists()):
        _make_ca(pki)
        for p in (pki.serving_cert, pki.admin_cert, pki.kubelet_client_cert):
            p.unlink(missing_ok=True)
    extra = tuple(service_ips)
    if bind_address and bind_address not in ("0.0.0.0", "::"):
        extra += (bind_address,)
    dns, ips = _serving_names(extra)
    if not pki.serving_cert.exists() or not _has_ips(pki.serving_cert, ips):
        _sign(pki, cn="kube-apiserver", dns=dns, ips=ips, server=True,
              cert_path=pki.serving_cert, key_path=pki.serving_key)
    if not pki.admin_cert.exists():
        _sign(pki, cn="admin", orgs=("system:masters",), server=False,
              cert_path=pki.admin_cert, key_path=pki.admin_key)
    if not pki.kubelet_client_cert.exists():
        _sign(pki, cn="kube-apiserver-kubelet-client", orgs=("system:masters",), server=False,
              cert_path=pki.kubelet_client_cert, key_path=pki.kubelet_client_key)
    if not pki.token_file.exists():
        token = secrets.token_hex(24)
        _write_private(pki.token_file, f'{token},admin,admin-token,"system:masters"\n'.encode())
    if not pki.sa_key.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(pki.sa_key, key.private_bytes(serialization.Encoding.PEM,
                                                     serialization.PrivateFormat.TraditionalOpenSSL,
                                                     serialization.NoEncryption()))
    return pki


def _has_ips(cert_path: Path, ips: tuple[str, ...]) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    return all(str(ipaddress.ip_address(i)) in have for i in ips)


def write_kubeconfig(
    path: Path, *, server: str, pki: ClusterPKI, user: str = "admin", cluster: str = "kybernetes",
    local_socket: Path | None = None,
) -> Path:
    """Write a kubeconfig with the CA and the admin client certificate embedded; returns ``path``.

    With ``local_socket`` (the API server's Unix socket), the cluster and the user also carry a
    ``kybernetes.io/local-socket`` extension: the socket's path, and the admin's bearer token to present on it
    (there is no TLS there). Kybernetes' own components then use the socket on this machine; kubectl and other
    clients ignore extensions."""

    def b64(p: Path) -> str:
        return base64.b64encode(p.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": b64(pki.ca_cert)}}],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(pki.admin_cert),
                    "client-key-data": b64(pki.admin_key),
                },
            }
        ],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
        "current-context": cluster,
        "preferences": {},
    }
    if local_socket is not None:
        token = admin_token(pki)
        if token:
            add_local_socket(config["clusters"][0]["cluster"], config["users"][0]["user"], path=str(local_socket),
                             token=token)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(path, yaml.safe_dump(config, sort_keys=False).encode())
    return path


def admin_token(pki: ClusterPKI) -> str:
    """The bearer token of user ``admin`` in the token file ("" when there is none)."""
    try:
        tokens = read_token_file(pki.token_file)
    except OSError:
        return ""
    return next((token for token, user in tokens.items() if user.name == "admin"), "")
