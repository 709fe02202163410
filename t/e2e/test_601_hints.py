"""Denial reasons that say what to fix: each configuration mistake that used
to read like an attack gets a hint in its PA00101 line (and PROVAUTH_ERROR):
the issuer that was not found and the directive that would hold it, the
ProvAuthMACFrom line for a Cisco-style CN, a <Files> section with
provauth-device for a shared file under provauth-mac."""
import os
import re

import pytest
from cryptography.hazmat.primitives import serialization

from clients import get, tls_context
import slips

PEM = serialization.Encoding.PEM


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


def hints_dirs(pki, files):
    poly_root = f"ProvAuthCACertificateFile {pki.path('poly-root.pem')}"
    all_int = f"ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    return (slips.directory("nointermediates", poly_root, "Require provauth-device")
            + slips.directory("issuinganchor", f"ProvAuthCACertificateFile {files['issuing']}",
                              f"ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}",
                              "Require provauth-device")
            + slips.directory("poly", poly_root, all_int, "Require provauth-device")
            + slips.directory("wrongcrl", poly_root, all_int,
                              f"ProvAuthCRLFile {pki.path('yealink-crl.pem')}",
                              "Require provauth-device")
            + slips.directory("macs", poly_root, all_int, "Require provauth-mac"))


@pytest.fixture(scope="module")
def hints_httpd(workdir, pki):
    root = os.path.join(workdir, "hints")
    files = {"issuing": os.path.join(workdir, "hints-issuing-ca.pem"),
             "with-root": os.path.join(workdir, "hints-wrongvendor-with-root.pem")}
    with open(files["issuing"], "wb") as out:
        out.write(pki.poly_issuing.cert.public_bytes(PEM))
    with open(files["with-root"], "wb") as out:
        out.write(open(pki.chain("wrongvendor"), "rb").read())
        out.write(pki.other_root.cert.public_bytes(PEM))
    for directory in ["nointermediates", "issuinganchor", "poly", "wrongcrl", "macs"]:
        os.makedirs(os.path.join(root, "htdocs", directory), exist_ok=True)
    # No vhost-level ProvAuthIntermediateFile: the mistake under test.
    server = slips.start(workdir, "hints",
                         slips.vhost(pki, "hints", "optional_no_ca", "    ProvAuthAcceptExpired On",
                                     hints_dirs(pki, files)),
                         ["hints"])
    server.files = files
    yield server
    slips.stop(server)


def denial_line(server, uri):
    """The PA00101 line of the request for uri."""
    server.settle()
    lines = [line for line in server.read_log().splitlines()
             if "PA00101" in line and f'uri "{uri}"' in line]
    assert lines, f"no PA00101 line for {uri} in {server.error_log}"
    return lines[-1]


def refused(pki, server, uri, device, chain=True, context=None):
    reply = get(pki, server.ports["hints"], uri, device, chain=chain, context=context)
    assert reply.status == 403, f"{uri}: expected 403, got {reply}"
    return reply, denial_line(server, uri)


def assert_mentions(text, *needles):
    for needle in needles:
        assert needle in text, f"expected {needle!r} in:\n{text}"


def test_missing_intermediate_names_the_issuing_ca_and_provauthintermediatefile(
        pki, hints_httpd, denials):
    reply, line = refused(pki, hints_httpd, "/nointermediates/0004f2000001.cfg", "valid",
                          chain=False)
    hint = ("unable to get local issuer certificate: issuer 'CN=Poly Test Issuing CA,"
            "O=Poly' of the device certificate is not among this directory's trust "
            "anchors and intermediates (an issuing CA belongs in ProvAuthIntermediateFile")
    assert_mentions(line, "denied by Require provauth-device: " + hint)
    assert_mentions(reply.headers["x-provauth-error"], hint)


def test_issuing_ca_as_anchor_says_the_root_belongs_in_provauthcacertificatefile(
        pki, hints_httpd, denials):
    _, line = refused(pki, hints_httpd, "/issuinganchor/0004f2000001.cfg", "valid")
    assert_mentions(line, "unable to get issuer certificate: the trust anchor "
                    "'CN=Poly Test Issuing CA,O=Poly' is not a root CA",
                    "ProvAuthCACertificateFile holds the vendor's root CA, "
                    "ProvAuthIntermediateFile the CAs below it")


def test_other_vendors_root_is_named_with_provauthcacertificatefile(
        pki, hints_httpd, denials):
    _, line = refused(pki, hints_httpd, "/poly/001565000010.cfg", "yealink")
    assert_mentions(line, "issuer 'CN=Yealink Test Root CA,O=Yealink' of "
                    "'CN=Yealink Test Issuing CA,O=Yealink' is not among this "
                    "directory's trust anchors and intermediates (a root CA belongs "
                    "in ProvAuthCACertificateFile")


def test_root_sent_by_the_device_is_named(pki, hints_httpd, denials):
    ctx = tls_context(pki)
    ctx.load_cert_chain(hints_httpd.files["with-root"], pki.key)
    _, line = refused(pki, hints_httpd, "/poly/0004f2000006.cfg", "wrongvendor",
                      context=ctx)
    assert_mentions(line, "self-signed certificate in certificate chain: root "
                    "'CN=Other Vendor Root CA,O=Other' sent by the device is not among "
                    "this directory's trust anchors")


def test_missing_crl_names_the_issuer_and_provauthcrlfile(pki, hints_httpd, denials):
    _, line = refused(pki, hints_httpd, "/wrongcrl/0004f2000001.cfg", "valid")
    assert_mentions(line, "unable to get certificate CRL: no CRL issued by "
                    "'CN=Poly Test Issuing CA,O=Poly' in ProvAuthCRLFile")


def test_cisco_cn_without_provauthmacfrom_gets_the_line_to_add(pki, hints_httpd,
                                                               denials):
    reply, line = refused(pki, hints_httpd, "/macs/SEP001122334455.cnf.xml", "cisco")
    hint = ("no MAC: CN 'CP-7945G-SEP001122334455' is not a MAC address (it holds "
            "MAC 001122334455: read it with ProvAuthMACFrom CN SEP([0-9A-Fa-f]{12})$)")
    assert_mentions(line, "denied by Require provauth-mac: " + hint + "; client")
    assert_mentions(reply.headers["x-provauth-error"], hint)


@pytest.mark.parametrize("name", ["000000000000.cfg", "y000000000028.cfg", "sip.ld"])
def test_shared_file_under_provauth_mac_suggests_files_with_provauth_device(
        pki, hints_httpd, denials, name):
    _, line = refused(pki, hints_httpd, f"/macs/{name}", "valid")
    assert_mentions(line, f"denied by Require provauth-mac: MAC 0004f2000001 is not in "
                    f"the requested file name ('{name}' names no device: if every phone "
                    f"may read it, allow it with <Files {name}> Require provauth-device "
                    "</Files>)")


def test_another_devices_file_gets_no_hint(pki, hints_httpd, denials):
    _, line = refused(pki, hints_httpd, "/macs/0004f20000aa.cfg", "valid")
    assert re.search(r"MAC 0004f2000001 is not in the requested file name; client ",
                     line), line
