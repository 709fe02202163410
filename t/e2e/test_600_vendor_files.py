"""Trust files as vendors publish them: DER roots, intermediates and CRLs, PEM
bundles with text around the blocks, PKCS#7 bundles, in a running server;
and the files that can never work (a directory, a private key) stop
`apache2 -t` with a precise message."""
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from clients import get
import slips
from conftest import module_path
from httpd import BASE_MODULES, Httpd

DER = serialization.Encoding.DER


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


def pem_blocks(path, label):
    """The PEM blocks of one kind in a file, each as bytes."""
    text = open(path).read()
    end = f"-----END {label}-----"
    return [(block.strip() + "\n" + end + "\n").encode()
            for block in text.split(end) if block.strip()]


def write_der_certs(path, certs):
    with open(path, "wb") as out:
        for cert in certs:
            out.write(cert.public_bytes(DER))


def write_der_crls(path, pem_path):
    with open(path, "wb") as out:
        for block in pem_blocks(pem_path, "X509 CRL"):
            out.write(x509.load_pem_x509_crl(block).public_bytes(DER))


@pytest.fixture(scope="module")
def vendor_files(workdir, pki):
    """The Poly trust files in the forms vendors publish."""
    root = os.path.join(workdir, "vendor-files")
    os.makedirs(root, exist_ok=True)
    files = {name: os.path.join(root, name) for name in
             ["poly-root.crt", "poly-intermediates.der", "poly-crl.crl",
              "roots-bundle.pem", "poly-roots.p7b"]}
    write_der_certs(files["poly-root.crt"], [pki.poly_root.cert])
    write_der_certs(files["poly-intermediates.der"],
                    [pki.poly_issuing.cert, pki.poly_policy.cert, pki.poly_issuing_old.cert])
    write_der_crls(files["poly-crl.crl"], pki.path("poly-crl.pem"))
    with open(files["roots-bundle.pem"], "w") as out:
        out.write("# Vendor roots, as downloaded\n")
        for issuer in (pki.poly_root, pki.yea_root):
            out.write(f"subject={issuer.cert.subject.rfc4514_string()}\n")
            out.write(issuer.cert.public_bytes(serialization.Encoding.PEM).decode())
            out.write("\n")
    with open(files["poly-roots.p7b"], "wb") as out:
        out.write(pkcs7.serialize_certificates([pki.poly_root.cert], DER))
    return files


def vendor_dirs(files):
    """One section per file format: DER root, intermediates and CRL; a PEM
    bundle of roots; a PKCS#7 bundle."""
    return (slips.directory("der", f"ProvAuthCACertificateFile {files['poly-root.crt']}",
                            f"ProvAuthIntermediateFile {files['poly-intermediates.der']}",
                            f"ProvAuthCRLFile {files['poly-crl.crl']}",
                            "Require provauth-device")
            + slips.directory("bundle", f"ProvAuthCACertificateFile {files['roots-bundle.pem']}",
                              "Require provauth-device")
            + slips.directory("p7b", f"ProvAuthCACertificateFile {files['poly-roots.p7b']}",
                              "Require provauth-device"))


@pytest.fixture(scope="module")
def vendor_httpd(workdir, pki, vendor_files):
    extra = "\n".join(["    ProvAuthAcceptExpired On",
                       f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"])
    server = slips.start(workdir, "vendor",
                         slips.vhost(pki, "vendor", "optional_no_ca", extra,
                                     vendor_dirs(vendor_files)),
                         ["vendor"], files=[f"{d}/phone.cfg" for d in ("der", "bundle", "p7b")])
    yield server
    slips.stop(server)


def fetch(pki, server, path, device, chain=False):
    return get(pki, server.ports["vendor"], path, device, chain=chain)


class TestDerFilesInADirectory:
    def test_device_sending_only_its_leaf_chains_through_der_root_and_intermediates(
            self, pki, vendor_httpd):
        reply = fetch(pki, vendor_httpd, "/der/phone.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "VALID", str(reply)

    def test_der_crl_revokes(self, pki, vendor_httpd, denials):
        reply = fetch(pki, vendor_httpd, "/der/phone.cfg", "revoked")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reply.headers["x-provauth-error"] == "certificate revoked", str(reply)

    def test_der_crls_cover_every_issuing_ca_in_the_file(self, pki, vendor_httpd):
        reply = fetch(pki, vendor_httpd, "/der/phone.cfg", "oldca")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)

    def test_der_root_trusts_only_its_vendor(self, pki, vendor_httpd, denials):
        reply = fetch(pki, vendor_httpd, "/der/phone.cfg", "yealink", chain=True)
        assert reply.status == 403, f"expected 403, got {reply}"


class TestBundles:
    @pytest.mark.parametrize("device", ["valid", "yealink"])
    def test_pem_bundle_with_text_trusts_every_root_in_it(self, pki, vendor_httpd,
                                                          device):
        reply = fetch(pki, vendor_httpd, "/bundle/phone.cfg", device, chain=True)
        assert reply.status == 200, f"{device}: expected 200, got {reply}"

    def test_pkcs7_bundle_is_read(self, pki, vendor_httpd, denials):
        poly = fetch(pki, vendor_httpd, "/p7b/phone.cfg", "valid", chain=True)
        yealink = fetch(pki, vendor_httpd, "/p7b/phone.cfg", "yealink", chain=True)
        assert (poly.status, yealink.status) == (200, 403), (str(poly), str(yealink))


def configtest(workdir, name, body):
    server = Httpd(os.path.join(workdir, "config-600", name), body, module=module_path(),
                   modules=BASE_MODULES)
    result = server.configtest()
    return result.returncode, result.stdout + result.stderr, server.conf


def test_der_trust_files_pass_configtest(workdir, vendor_files):
    code, out, _ = configtest(workdir, "der-good", f"""
<Directory /srv/prov/polycom>
    ProvAuthCACertificateFile {vendor_files['poly-root.crt']}
    ProvAuthIntermediateFile {vendor_files['poly-intermediates.der']}
    ProvAuthCRLFile {vendor_files['poly-crl.crl']}
    Require provauth-device
</Directory>
""")
    assert code == 0 and "Syntax OK" in out, f"exit {code}:\n{out}"


@pytest.mark.parametrize("directive", ["ProvAuthCACertificateFile",
                                       "ProvAuthIntermediateFile", "ProvAuthCRLFile"])
def test_directory_given_as_file_fails_configtest_saying_is_a_directory(
        workdir, pki, directive):
    code, out, conf = configtest(workdir, f"dir-{directive}",
                                 f"<Directory /srv/prov>\n    {directive} {pki.dir}\n"
                                 "</Directory>\n")
    assert code != 0, f"expected apache2 -t to fail, got exit 0:\n{out}"
    for needle in [directive, f"'{pki.dir}' is a directory", conf]:
        assert needle in out, f"expected {needle!r} in:\n{out}"
    assert "no certificate in" not in out, out


@pytest.mark.parametrize("directive", ["ProvAuthCACertificateFile",
                                       "ProvAuthIntermediateFile", "ProvAuthCRLFile"])
def test_file_with_a_private_key_fails_configtest(workdir, pki, directive):
    path = os.path.join(workdir, "config-600", "server-with-key.pem")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(open(pki.path("server.crt")).read())
        out.write(open(pki.path("server.key")).read())
    code, out, _ = configtest(workdir, f"key-{directive}",
                              f"<Directory /srv/prov>\n    {directive} {path}\n"
                              "</Directory>\n")
    assert code != 0, f"expected apache2 -t to fail, got exit 0:\n{out}"
    for needle in [directive, f"'{path}' holds a private key"]:
        assert needle in out, f"expected {needle!r} in:\n{out}"


def test_crl_file_given_as_anchors_says_what_it_holds(workdir, pki):
    code, out, _ = configtest(workdir, "crl-as-ca",
                              "<Directory /srv/prov>\n    ProvAuthCACertificateFile "
                              f"{pki.path('poly-crl.pem')}\n</Directory>\n")
    assert code != 0 and "(it holds 2 CRLs)" in out, f"exit {code}:\n{out}"
