"""CRLs fail closed, and the per-connection verdict cache keys on every part
of a directory's trust configuration: one connection (keep-alive or HTTP/2)
asking directories that differ only in their CRLs, or only in their
intermediates, gets each directory's own verdict."""
import subprocess

import pytest

import slips
from clients import get
from httpd import BASE_MODULES, module_available

HAS_H2 = module_available("http2")

CRL_DIRS = (
    slips.directory("any", "Require provauth-device")
    + slips.directory("pinned", "ProvAuthCACertificateFile {poly_root}",
                      "Require provauth-device")
    + slips.directory("pinned-crl", "ProvAuthCACertificateFile {poly_root}",
                      "ProvAuthCRLFile {poly_crl}", "Require provauth-device")
    + slips.directory("pinned-yealink", "ProvAuthCACertificateFile {yea_root}",
                      "Require provauth-device")
    + slips.directory("vhost-crl", "ProvAuthCRLFile {poly_crl}", "Require provauth-device")
    + slips.directory("yealink-crl", "ProvAuthCACertificateFile {yea_root}",
                      "ProvAuthCRLFile {poly_crl}", "Require provauth-device"))

# No intermediates for the vhost: a phone sending only its leaf verifies
# (with optional_no_ca's tolerance) nowhere but where a directory adds them.
INTERMEDIATE_DIRS = (
    slips.directory("with-int", "ProvAuthIntermediateFile {poly_int}",
                    "Require provauth-device")
    + slips.directory("no-int", "Require provauth-device"))

FILES = [f"{d}/shared.cfg" for d in ["any", "pinned", "pinned-crl", "pinned-yealink",
                                     "vhost-crl", "yealink-crl", "with-int", "no-int"]]


@pytest.fixture(scope="module")
def crl_httpd(workdir, pki):
    accept = "    ProvAuthAcceptExpired On"
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    h2 = "    Protocols h2 http/1.1" if HAS_H2 else ""
    body = (slips.vhost(pki, "noca", "optional_no_ca", "\n".join([accept, intermediates, h2]),
                        CRL_DIRS)
            + slips.vhost(pki, "noint", "optional_no_ca", accept, INTERMEDIATE_DIRS))
    for key, name in [("poly_root", "poly-root.pem"), ("yea_root", "yealink-root.pem"),
                      ("poly_crl", "poly-crl.pem"), ("poly_int", "poly-intermediates.pem")]:
        body = body.replace("{" + key + "}", pki.path(name))
    modules = BASE_MODULES + (["http2"] if HAS_H2 else [])
    server = slips.start(workdir, "crlkeys", body, ["noca", "noint"], files=FILES,
                         modules=modules,
                         allowed=[r"PA00005: the virtual host localhost \(.*\) has no"])
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


@pytest.mark.parametrize("directory", ["vhost-crl", "yealink-crl"])
def test_device_whose_issuing_ca_has_no_crl_in_the_file_is_refused(
        pki, crl_httpd, refusals, directory):
    """ProvAuthCRLFile holds Poly's CRLs only: a Yealink phone cannot be
    checked for revocation there, so it is refused (fail closed), whether
    the anchors are the vhost's or the directory's own."""
    reply = get(pki, crl_httpd.ports["noca"], f"/{directory}/shared.cfg", "yealink")
    assert reply.status == 403, f"expected 403, got {reply}"
    assert reply.headers["x-provauth-status"] == "FAILED", str(reply)
    assert reply.headers["x-provauth-error"].startswith(
        "unable to get certificate CRL"), str(reply)


def test_device_whose_issuing_ca_has_a_crl_passes(pki, crl_httpd):
    """Control: Poly's phone, not revoked, passes the same directory."""
    reply = get(pki, crl_httpd.ports["noca"], "/vhost-crl/shared.cfg", "valid")
    assert reply.status == 200, f"expected 200, got {reply}"


def test_keep_alive_revoked_device_refused_where_the_same_anchors_have_a_crl(
        pki, crl_httpd, refusals):
    replies = get(pki, crl_httpd.ports["noca"],
                  ["/pinned/shared.cfg", "/pinned-crl/shared.cfg", "/pinned/shared.cfg",
                   "/pinned-crl/shared.cfg"], "revoked")
    assert [r.status for r in replies] == [200, 403, 200, 403], [str(r) for r in replies]
    assert replies[1].headers["x-provauth-error"] == "certificate revoked", str(replies[1])


@pytest.mark.parametrize("device, statuses", [("yealink", [200, 403, 200]),
                                               ("valid", [403, 200, 403])])
def test_keep_alive_directories_pinned_to_different_roots_each_decide(
        pki, crl_httpd, refusals, device, statuses):
    """Both directories have anchors of their own (and nothing else): only
    the anchors tell their trust configurations apart."""
    replies = get(pki, crl_httpd.ports["noca"],
                  ["/pinned-yealink/shared.cfg", "/pinned/shared.cfg",
                   "/pinned-yealink/shared.cfg"], device)
    assert [r.status for r in replies] == statuses, [str(r) for r in replies]


def test_keep_alive_leaf_only_device_refused_where_no_intermediates_are_configured(
        pki, crl_httpd, refusals):
    replies = get(pki, crl_httpd.ports["noint"],
                  ["/with-int/shared.cfg", "/no-int/shared.cfg", "/with-int/shared.cfg"],
                  "valid", chain=False)
    assert [r.status for r in replies] == [200, 403, 200], [str(r) for r in replies]
    assert "unable to get local issuer" in replies[1].headers["x-provauth-error"], \
        str(replies[1])


def curl_one_connection(pki, port, paths, device):
    """GET each path with one curl over HTTP/2; (status, error header, new
    connections) per path."""
    cmd = ["curl", "-s", "--http2", "--max-time", "20",
           "--cacert", pki.path("server-ca.pem"),
           "--resolve", f"localhost:{port}:127.0.0.1",
           "--cert", pki.chain(device), "--key", pki.key,
           "-w", "%{http_code} %{http_version} %{num_connects} %header{x-provauth-error}\n"]
    for path in paths:
        cmd += ["-o", "/dev/null", f"https://localhost:{port}{path}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line.split(" ", 3) for line in result.stdout.splitlines() if line]
    assert len(lines) == len(paths), result.stdout + result.stderr
    return lines


@pytest.mark.skipif(not HAS_H2, reason="mod_http2 not installed")
def test_http2_revoked_device_refused_where_the_same_anchors_have_a_crl(
        pki, crl_httpd, refusals):
    lines = curl_one_connection(pki, crl_httpd.ports["noca"],
                                ["/pinned/shared.cfg", "/pinned-crl/shared.cfg",
                                 "/pinned/shared.cfg"], "revoked")
    assert [line[1] for line in lines] == ["2"] * 3, lines
    assert [line[2] for line in lines] == ["1", "0", "0"], f"expected one connection: {lines}"
    assert [line[0] for line in lines] == ["200", "403", "200"], lines
    assert lines[1][3] == "certificate revoked", lines
