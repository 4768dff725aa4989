"""The lab's certificate authority and certificates, made fresh at lab-up.

The probe trusts the CA through ``NETVIGIL_PROBE__CA_BUNDLE`` and the helper through
``--ca-bundle``; nothing outside the lab ever sees these keys (they live in the lab's run dir and
are deleted with it). Besides the good server certificate, three bad ones reproduce OONI's
``badSSL...`` scenarios: expired, signed by an unknown CA, and issued for another name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BAD_KINDS = ("expired", "unknown-authority", "wrong-name")
WRONG_NAME = "wrong-name.invalid"  # what the wrong-name certificate is issued for


@dataclass(frozen=True)
class KeyPair:
    cert_pem: Path  # certificate chain (leaf + issuer)
    key_pem: Path


@dataclass(frozen=True)
class LabCertificates:
    ca_pem: Path  # the CA certificate the probe and helper trust
    server: KeyPair  # valid for every lab name
    bad: dict[str, KeyPair] = field(default_factory=dict)  # BAD_KINDS -> pair

    @property
    def cert_pem(self) -> Path:
        return self.server.cert_pem

    @property
    def key_pem(self) -> Path:
        return self.server.key_pem


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netvigil censorship lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca(common_name: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    dns_names: list[str],
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names])
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _write(
    directory: Path,
    stem: str,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    issuer: x509.Certificate,
) -> KeyPair:
    pem = serialization.Encoding.PEM
    pair = KeyPair(directory / f"{stem}-chain.pem", directory / f"{stem}-key.pem")
    pair.cert_pem.write_bytes(cert.public_bytes(pem) + issuer.public_bytes(pem))
    pair.key_pem.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pair.key_pem.chmod(0o600)
    return pair


def make_certificates(directory: Path, dns_names: list[str]) -> LabCertificates:
    """Write the lab CA, a server certificate valid for ``dns_names``, and the bad ones."""
    now = dt.datetime.now(dt.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("netvigil lab CA", now)
    ca_pem = directory / "ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    valid = (now - dt.timedelta(hours=1), now + dt.timedelta(days=2))
    key, cert = _leaf(ca_key, ca_cert, dns_names, *valid)
    server = _write(directory, "server", key, cert, ca_cert)
    bad: dict[str, KeyPair] = {}
    key, cert = _leaf(
        ca_key, ca_cert, dns_names, now - dt.timedelta(days=20), now - dt.timedelta(days=10)
    )
    bad["expired"] = _write(directory, "expired", key, cert, ca_cert)
    other_key, other_ca = _ca("some other CA", now)  # never trusted by anyone in the lab
    key, cert = _leaf(other_key, other_ca, dns_names, *valid)
    bad["unknown-authority"] = _write(directory, "unknown-authority", key, cert, other_ca)
    key, cert = _leaf(ca_key, ca_cert, [WRONG_NAME], *valid)
    bad["wrong-name"] = _write(directory, "wrong-name", key, cert, ca_cert)
    return LabCertificates(ca_pem, server, bad)
