"""The kubelet's HTTPS serving certificate.

``--tls-cert-file``/``--tls-private-key-file`` name a certificate to use as is.  Without them the kubelet makes one
under ``<root-dir>/pki/`` (``kubelet.crt``/``kubelet.key``) at start:

- signed by the cluster CA when it can read the CA's key (``--cluster-ca-key``, e.g. ``<data-dir>/tls/ca.key`` of
  ``kyb server`` on the same machine; the CA certificate comes with the kubeconfig or ``--cluster-ca-cert``): subject
  ``CN=system:node:<node>, O=system:nodes``, server auth, the node name, ``localhost`` and the node's addresses
  (plus 127.0.0.1 and ::1) as subject alternative names.  The API server then verifies it with the cluster CA;
- otherwise self-signed, as upstream's kubelet does without a certificate (the API server must then skip
  verification of the kubelet, or be given that certificate).

An existing certificate is kept while it is still valid, signed by the same CA and carries every address needed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["ensure_serving_cert"]

_VALIDITY = dt.timedelta(days=365)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _sans(node_name: str, ips: Sequence[str]) -> tuple[list[str], list[str]]:
    dns = list(dict.fromkeys([node_name, "localhost"]))
    addrs = list(dict.fromkeys([str(ipaddress.ip_address(i)) for i in [*ips, "127.0.0.1", "::1"]]))
    return dns, addrs


def _usable(cert_path: Path, key_path: Path, ca: x509.Certificate | None, dns: list[str], ips: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return False
    now = dt.datetime.now(dt.timezone.utc)
    if cert.not_valid_after_utc < now + dt.timedelta(days=30):
        return False
    if ca is not None and cert.issuer != ca.subject:
        return False
    if ca is None and cert.issuer != cert.subject:
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have_ips = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    have_dns = set(san.get_values_for_type(x509.DNSName))
    return set(ips) <= have_ips and set(dns) <= have_dns


def ensure_serving_cert(directory: str | os.PathLike[str], *, node_name: str, ips: Sequence[str],
                        ca_cert_pem: bytes | None, ca_key_path: str | None) -> tuple[str, str, bool]:
    """Make sure ``<directory>/kubelet.crt``/``kubelet.key`` exist and fit; returns (cert path, key path,
    signed by the cluster CA).  The CA signs when ``ca_key_path`` is readable and ``ca_cert_pem`` given."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    cert_path, key_path = d / "kubelet.crt", d / "kubelet.key"
    ca_cert = ca_key = None
    if ca_cert_pem and ca_key_path:
        try:
            ca_key = serialization.load_pem_private_key(Path(ca_key_path).read_bytes(), password=None)
            ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
        except (OSError, ValueError):
            ca_cert = ca_key = None
    dns, addrs = _sans(node_name, ips)
    if _usable(cert_path, key_path, ca_cert, dns, addrs):
        return str(cert_path), str(key_path), ca_cert is not None
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"system:node:{node_name}")])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + _VALIDITY)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
               .add_extension(x509.SubjectAlternativeName(
                   [*(x509.DNSName(n) for n in dns), *(x509.IPAddress(ipaddress.ip_address(i)) for i in addrs)]),
                   critical=False))
    if ca_cert is not None and ca_key is not None:
        builder = builder.issuer_name(ca_cert.subject).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    else:
        cert = builder.issuer_name(subject).sign(key, hashes.SHA256())
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path), ca_cert is not None
