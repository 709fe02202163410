"""Every subject field an attacker could get into a certificate that chains to
a trusted vendor: a CN with an embedded NUL, in BMPString or UniversalString,
with non-ASCII look-alike digits, two CNs in one RDN, blanks, a MAC inside a
longer value, mixed separators, 13 digits, and another phone's MAC in places
that are not the CN (subjectAltName, O, serialNumber).  None may yield the
victim's MAC; the controls show the usual spellings of a MAC (case,
separators, a UTF8String or T61String CN) still name their phone."""
import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from attack_server import DENIALS, VICTIM, request, secret
from clients import tls_context

OTHER = "0004f20000aa"   # a MAC the tests below never give away


def cn(value, kind=None):
    if kind is None:
        return x509.NameAttribute(NameOID.COMMON_NAME, value, _validate=False)
    return x509.NameAttribute(NameOID.COMMON_NAME, value, _type=kind, _validate=False)


def org(value="Poly"):
    return x509.NameAttribute(NameOID.ORGANIZATION_NAME, value)


# name -> (subject attributes or RDNs, subjectAltName DNS names)
REFUSED = {
    "nul-after": ([org(), cn(VICTIM + "\x00" + OTHER)], []),
    "nul-before": ([org(), cn("\x00" + VICTIM)], []),
    "bmp": ([org(), cn(VICTIM, _ASN1Type.BMPString)], []),
    "universal": ([org(), cn(VICTIM, _ASN1Type.UniversalString)], []),
    "fullwidth": ([org(), cn("\uff10\uff10\uff10\uff14\uff46\uff12\uff10\uff10\uff10\uff10"
                             "\uff10\uff11")], []),
    "multi-rdn": ([x509.RelativeDistinguishedName([cn(VICTIM), cn(OTHER)])], []),
    "leading-blank": ([org(), cn(" " + VICTIM)], []),
    "trailing-blank": ([org(), cn(VICTIM + " ")], []),
    "newline": ([org(), cn(VICTIM + "\n")], []),
    "prefix": ([org(), cn("x" + VICTIM)], []),
    "suffix": ([org(), cn(VICTIM + "x")], []),
    "thirteen": ([org(), cn("0" + VICTIM)], []),
    "mixed-separators": ([org(), cn("00:04-f2:00:00:01")], []),
    "no-cn-but-serial": ([org(), x509.NameAttribute(NameOID.SERIAL_NUMBER, VICTIM)], []),
    "no-cn-but-san": ([org()], [VICTIM]),
}
# name -> (subject attributes, SAN, the MAC it must yield)
GRANTED = {
    "upper": ([org(), cn(VICTIM.upper())], [], VICTIM),
    "colons": ([org(), cn("00:04:F2:00:00:01")], [], VICTIM),
    "dashes": ([org(), cn("00-04-f2-00-00-01")], [], VICTIM),
    "dots": ([org(), cn("0004.f200.0001")], [], VICTIM),
    "utf8": ([org(), cn(VICTIM, _ASN1Type.UTF8String)], [], VICTIM),
    "t61": ([org(), cn(VICTIM, _ASN1Type.T61String)], [], VICTIM),
    "other-mac-in-san": ([org(), cn(OTHER)], [VICTIM], OTHER),
    "other-mac-in-o": ([org(VICTIM), cn(OTHER)], [], OTHER),
}


def make_cert(pki, directory, name, subject, san):
    now = datetime.datetime.utcnow()
    issuer = pki.poly_issuing
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name(subject))
               .issuer_name(issuer.cert.subject)
               .public_key(pki.device_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                              False))
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), False)
    cert = builder.sign(issuer.key, hashes.SHA256())
    path = os.path.join(directory, f"{name}.chain.pem")
    with open(path, "wb") as out:
        for item in (cert, issuer.cert, pki.poly_policy.cert):
            out.write(item.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def certs(pki, workdir):
    directory = os.path.join(workdir, "certs958")
    os.makedirs(directory, exist_ok=True)
    made = {}
    for name, (subject, san) in REFUSED.items():
        made[name] = make_cert(pki, directory, name, subject, san)
    for name, (subject, san, _) in GRANTED.items():
        made[name] = make_cert(pki, directory, name, subject, san)
    return made


def fetch(pki, server, chain, path):
    """GET with a certificate chain file and the test PKI's device key."""
    context = tls_context(pki)
    context.load_cert_chain(chain, pki.key)
    return request(pki, server, "GET", path, None, context=context)


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_field_yields_no_mac(pki, attack_httpd, certs, denials, name):
    for mac in (VICTIM, OTHER):
        status, headers, body = fetch(pki, attack_httpd, certs[name], f"/cfg/{mac}.cfg")
        assert status == 403, f"{name}, /cfg/{mac}.cfg: expected 403, got {status}"
        assert b"secret" not in body
        assert "no MAC" in headers.get("x-provauth-error", ""), headers
        assert headers.get("x-provauth-status") == "VALID", headers    # trusted, no MAC


@pytest.mark.parametrize("name", sorted(GRANTED))
def test_control_spelling_names_its_phone_only(pki, attack_httpd, certs, denials, name):
    mac = GRANTED[name][2]
    other = OTHER if mac == VICTIM else VICTIM
    status, headers, body = fetch(pki, attack_httpd, certs[name], f"/cfg/{mac}.cfg")
    assert (status, body) == (200, secret(f"cfg/{mac}.cfg")), f"{name}: {status} {headers}"
    assert headers.get("x-provauth-mac") == mac
    status, _, _ = fetch(pki, attack_httpd, certs[name], f"/cfg/{other}.cfg")
    assert status == 403, f"{name}: /cfg/{other}.cfg gave {status}"
