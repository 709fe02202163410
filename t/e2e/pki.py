"""Test PKI for the end-to-end suite, generated at test time.

Two vendors (root -> policy CA -> issuing CA -> devices), a server CA, and
one device for every status the module distinguishes.  Nothing here is
committed: every key and certificate is written into a temporary directory.
"""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.utcnow().replace(microsecond=0)
DAY = datetime.timedelta(days=1)
YEAR = 365 * DAY
EXPIRED_2024 = datetime.datetime(2024, 12, 1)


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn, org):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Issuer:
    """A CA: its certificate and key."""

    def __init__(self, cert, key):
        self.cert, self.key = cert, key


def _build(subject, key, issuer, not_before, not_after, ca, eku=None,
           algorithm=None, serial=None):
    signer = issuer if issuer is not None else Issuer(None, key)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(signer.cert.subject if signer.cert else subject)
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   signer.key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            key_cert_sign=True, crl_sign=True, encipher_only=False,
            decipher_only=False), critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(signer.key, algorithm or hashes.SHA256())


def corrupt_pem(label="CERTIFICATE"):
    """A PEM block whose base64 is not a `label`, made at test time (the test
    sources hold no PEM armour)."""
    dashes = "-" * 5
    return (f"{dashes}BEGIN {label}{dashes}\nnot base64 !!\n"
            f"{dashes}END {label}{dashes}\n")


def _pem(cert):
    cert = cert.cert if isinstance(cert, Issuer) else cert
    return cert.public_bytes(serialization.Encoding.PEM)


class Pki:
    """Writes the whole test PKI below `directory` and answers paths."""

    # device name -> (CN, issuing CA attribute, options)
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.device_key = _key()
        self._write_key("device.key", self.device_key)

        # Vendor "Poly": root -> policy CA -> issuing CA
        self.poly_root = self._ca("Poly Test Root CA", "Poly", None)
        self.poly_policy = self._ca("Poly Test Policy CA", "Poly", self.poly_root)
        self.poly_issuing = self._ca("Poly Test Issuing CA", "Poly", self.poly_policy)
        # An issuing CA of the same vendor that has itself expired.
        self.poly_issuing_old = self._ca("Poly Test Issuing CA 2009", "Poly",
                                         self.poly_policy,
                                         not_before=datetime.datetime(2009, 1, 1),
                                         not_after=EXPIRED_2024)
        # Vendor "Yealink": root -> issuing CA
        self.yea_root = self._ca("Yealink Test Root CA", "Yealink", None)
        self.yea_issuing = self._ca("Yealink Test Issuing CA", "Yealink", self.yea_root)
        # A vendor nobody on this server trusts
        self.other_root = self._ca("Other Vendor Root CA", "Other", None)
        self.other_issuing = self._ca("Other Vendor Issuing CA", "Other", self.other_root)
        # Server side
        self.server_ca = self._ca("Provisioning Test Server CA", "ISP", None)

        self.files = {}
        self._write("poly-root.pem", [self.poly_root])
        self._write("yealink-root.pem", [self.yea_root])
        self._write("vendor-roots.pem", [self.poly_root, self.yea_root])
        self._write("poly-intermediates.pem",
                    [self.poly_issuing, self.poly_policy, self.poly_issuing_old])
        self._write("all-intermediates.pem",
                    [self.poly_issuing, self.poly_policy, self.poly_issuing_old,
                     self.yea_issuing])
        self._write("server-ca.pem", [self.server_ca])

        self.devices = {}
        valid_dates = (NOW - YEAR, NOW + 10 * YEAR)
        self._device("valid", "0004f2000001", self.poly_issuing, *valid_dates)
        self._device("expired", "0004f2000002", self.poly_issuing,
                     datetime.datetime(2009, 12, 1), EXPIRED_2024)
        self._device("notyet", "0004f2000003", self.poly_issuing,
                     NOW + YEAR, NOW + 15 * YEAR)
        self._device("selfsigned", "0004f2000004", None, *valid_dates)
        self._device("selfsigned-expired", "0004f2000005", None,
                     datetime.datetime(2009, 12, 1), EXPIRED_2024)
        self._device("wrongvendor", "0004f2000006", self.other_issuing, *valid_dates)
        self._device("wrongvendor-expired", "0004f2000007", self.other_issuing,
                     datetime.datetime(2009, 12, 1), EXPIRED_2024)
        self._device("revoked", "0004f2000008", self.poly_issuing, *valid_dates)
        self._device("revoked-expired", "0004f2000009", self.poly_issuing,
                     datetime.datetime(2009, 12, 1), EXPIRED_2024)
        self._device("noclientauth", "0004f200000a", self.poly_issuing,
                     *valid_dates, eku=[ExtendedKeyUsageOID.SERVER_AUTH])
        self._device("oldca", "0004f200000b", self.poly_issuing_old,
                     datetime.datetime(2010, 1, 1), NOW + 5 * YEAR)
        self._device("legacy-sha1", "0004f200000c", self.poly_issuing,
                     *valid_dates, algorithm=hashes.SHA1())
        self._device("yealink", "001565000010", self.yea_issuing, *valid_dates)
        # For MAC authorization
        self._device("attacker", "0004f20000aa", self.poly_issuing, *valid_dates)
        self._device("selfsigned-victim", "0004f2000001", None, *valid_dates)
        self._device("cn-empty", "", self.poly_issuing, *valid_dates,
                     subject=x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Poly"),
                                        x509.NameAttribute(NameOID.COMMON_NAME, "",
                                                           _validate=False)]))
        self._device("cn-star", "*", self.poly_issuing, *valid_dates)
        self._device("cn-multiple", "0004f20000aa", self.poly_issuing, *valid_dates,
                     subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "0004f20000aa"),
                                        x509.NameAttribute(NameOID.COMMON_NAME, "0004f2000001")]))
        self._device("cn-colons", "00:04:F2:00:00:0D", self.poly_issuing, *valid_dates)
        self._device("cisco", "CP-7945G-SEP001122334455", self.poly_issuing, *valid_dates)
        self._device("yealink-expired", "001565000011", self.yea_issuing,
                     datetime.datetime(2009, 12, 1), EXPIRED_2024)

        # One CRL per issuing CA, as vendors publish them, in one file.
        self._crl("poly-crl.pem", [
            (self.poly_issuing, [self.devices["revoked"], self.devices["revoked-expired"]]),
            (self.poly_issuing_old, [])])
        self._crl("yealink-crl.pem", [(self.yea_issuing, [])])
        self._crl("poly-crl-stale.pem", [(self.poly_issuing, [self.devices["revoked"]])],
                  next_update=NOW - 10 * DAY)
        self._server_cert()

    # -- helpers ---------------------------------------------------------
    def path(self, name):
        return os.path.join(self.dir, name)

    def _write(self, name, certs):
        with open(self.path(name), "wb") as out:
            for cert in certs:
                out.write(_pem(cert))

    def _write_key(self, name, key):
        with open(self.path(name), "wb") as out:
            out.write(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()))

    def _ca(self, cn, org, issuer, not_before=None, not_after=None):
        key = _key()
        cert = _build(_name(cn, org), key, issuer, not_before or NOW - 5 * YEAR,
                      not_after or NOW + 20 * YEAR, ca=True)
        return Issuer(cert, key)

    def _device(self, name, mac, issuer, not_before, not_after,
                eku=(ExtendedKeyUsageOID.CLIENT_AUTH,), algorithm=None, subject=None):
        org = issuer.cert.subject.get_attributes_for_oid(
            NameOID.ORGANIZATION_NAME)[0].value if issuer else "Poly"
        subject = subject or _name(mac, org)
        cert = _build(subject, self.device_key, issuer, not_before,
                      not_after, ca=False, eku=list(eku), algorithm=algorithm)
        self.devices[name] = cert
        chain = [cert]
        ca = issuer
        while ca is not None and ca.cert.issuer != ca.cert.subject:
            chain.append(ca.cert)
            ca = self._issuer_of(ca)
        self._write(f"{name}.crt", [cert])
        self._write(f"{name}.chain.pem", chain)

    def _issuer_of(self, ca):
        for other in (self.poly_root, self.poly_policy, self.poly_issuing,
                      self.poly_issuing_old, self.yea_root, self.yea_issuing,
                      self.other_root, self.other_issuing):
            if other.cert.subject == ca.cert.issuer:
                return other
        return None

    def _crl(self, name, issued, next_update=None):
        with open(self.path(name), "wb") as out:
            for issuer, revoked_certs in issued:
                builder = (x509.CertificateRevocationListBuilder()
                           .issuer_name(issuer.cert.subject)
                           .last_update(NOW - 40 * DAY if next_update else NOW - DAY)
                           .next_update(next_update or NOW + 30 * DAY))
                for cert in revoked_certs:
                    builder = builder.add_revoked_certificate(
                        x509.RevokedCertificateBuilder()
                        .serial_number(cert.serial_number)
                        .revocation_date(NOW - DAY).build())
                crl = builder.sign(issuer.key, hashes.SHA256())
                out.write(crl.public_bytes(serialization.Encoding.PEM))

    def _server_cert(self):
        key = _key()
        names = ["localhost", "a.test", "b.test"]
        cert = (x509.CertificateBuilder()
                .subject_name(_name("localhost", "ISP"))
                .issuer_name(self.server_ca.cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(NOW - DAY)
                .not_valid_after(NOW + YEAR)
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DNSName(n) for n in names]
                    + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                    critical=False)
                .add_extension(x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.server_ca.key, hashes.SHA256()))
        self._write("server.crt", [cert])
        self._write_key("server.key", key)

    def cert(self, device):
        """Leaf-only certificate file of a device."""
        return self.path(f"{device}.crt")

    def chain(self, device):
        """Leaf plus the intermediates the device sends (not the root)."""
        return self.path(f"{device}.chain.pem")

    @property
    def key(self):
        return self.path("device.key")

    # -- made on demand (tests of slips in the security checks, test_7xx) --
    def make_device(self, name, cn, issuer=None, eku=None):
        """Another device certificate, valid for years, signed by `issuer`
        (default: Poly's issuing CA), written as name.crt/name.chain.pem."""
        self._device(name, cn, issuer or self.poly_issuing, NOW - YEAR, NOW + 10 * YEAR,
                     eku=eku or (ExtendedKeyUsageOID.CLIENT_AUTH,))
        return self.devices[name]

    def make_ca(self, cn, org, issuer, key=None, eku=None):
        """A CA certificate, optionally for an existing key (a re-issued CA)
        and with an extendedKeyUsage (which also restricts what it issues)."""
        key = key or _key()
        cert = _build(_name(cn, org), key, issuer, NOW - 5 * YEAR, NOW + 20 * YEAR,
                      ca=True, eku=eku)
        return Issuer(cert, key)

    def write(self, name, certs):
        """Write certificates (or CAs) as one PEM file; returns its path."""
        self._write(name, certs)
        return self.path(name)
