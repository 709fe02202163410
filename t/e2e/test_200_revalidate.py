"""Re-validation at request time: chains checked ignoring time against the
directory's trust anchors, classified, exported and logged; Require
provauth-device grants only trusted statuses."""
import re
import time

import pytest

from clients import curl, get, plain_get, s_client
from httpd import module_available

DENIAL = r"PA00101"


@pytest.fixture
def denials(expect_log):
    expect_log.extend([DENIAL, r"AH01630", r"AH02039", r"AH02008", r"AH02040"])


def denial_lines(server, needle):
    time.sleep(0.2)
    return [line for line in server.read_log().splitlines()
            if "PA00101" in line and needle in line]


@pytest.mark.parametrize("device, status, reason", [
    ("selfsigned", "FAILED", "self-signed"),
    ("selfsigned-expired", "FAILED", "self-signed"),
    ("wrongvendor-expired", "FAILED", "unable to get local issuer"),
    ("wrongvendor", "FAILED", "unable to get local issuer"),
])
def test_untrusted_devices_are_denied_with_their_reason(
        pki, provauth_httpd, denials, device, status, reason):
    reply = get(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg", device)
    assert reply.status == 403, f"expected 403, got {reply}"
    assert reply.headers["x-provauth-status"] == status, str(reply)
    assert reason in reply.headers["x-provauth-error"], str(reply)


def test_wrong_vendor_device_trusted_by_vhost_is_granted_where_vhost_anchors_apply(
        pki, provauth_httpd):
    reply = get(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg", "yealink")
    assert reply.status == 200, f"expected 200, got {reply}"


def test_per_directory_anchors_refuse_the_other_vendor(pki, provauth_httpd, denials):
    poly = get(pki, provauth_httpd.ports["noca"], "/poly/0004f2000001.cfg", "valid")
    yealink = get(pki, provauth_httpd.ports["noca"], "/poly/0004f2000001.cfg", "yealink")
    assert poly.status == 200, f"Poly device under /poly/: expected 200, got {poly}"
    assert yealink.status == 403, f"Yealink device under /poly/: expected 403, got {yealink}"
    assert "unable to get local issuer" in yealink.headers["x-provauth-error"]


def test_per_directory_anchors_on_one_connection(pki, provauth_httpd, denials):
    """One keep-alive connection, two trust configurations, two verdicts."""
    replies = get(pki, provauth_httpd.ports["noca"],
                  ["/dev/0004f2000001.cfg", "/poly/0004f2000001.cfg",
                   "/dev/0004f2000001.cfg"], "yealink")
    assert [r.status for r in replies] == [200, 403, 200], [str(r) for r in replies]


@pytest.mark.parametrize("device", ["revoked", "revoked-expired"])
def test_revoked_device_is_denied_even_when_expired(pki, provauth_httpd, denials, device):
    reply = get(pki, provauth_httpd.ports["noca"], "/crl/0004f2000001.cfg", device)
    assert reply.status == 403, f"expected 403, got {reply}"
    assert reply.headers["x-provauth-error"] == "certificate revoked", str(reply)


def test_unrevoked_device_passes_the_crl_directory(pki, provauth_httpd):
    reply = get(pki, provauth_httpd.ports["noca"], "/crl/0004f2000001.cfg", "expired")
    assert reply.status == 200, f"expected 200, got {reply}"


def test_no_client_certificate_is_denied_as_none(pki, provauth_httpd, denials):
    reply = get(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg")
    assert reply.status == 403, f"expected 403, got {reply}"
    assert reply.headers["x-provauth-status"] == "NONE", str(reply)


def test_plain_http_is_denied(provauth_httpd, denials):
    reply = plain_get(provauth_httpd.ports["plain"], "/dev/0004f2000001.cfg")
    assert reply.status == 403, f"expected 403, got {reply}"


def test_variables_are_set_where_no_provauth_require_runs(pki, provauth_httpd):
    reply = get(pki, provauth_httpd.ports["noca"], "/open/shared.cfg", "expired")
    assert reply.status == 200, f"expected 200, got {reply}"
    assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)


def test_denial_is_logged_once_with_id_client_certificate_uri_and_reason(
        pki, provauth_httpd, denials):
    reply = get(pki, provauth_httpd.ports["noca"], "/dev/shared.cfg?x=1",
                "selfsigned-expired")
    assert reply.status == 403, f"expected 403, got {reply}"
    lines = denial_lines(provauth_httpd, 'CN=0004f2000005,O=Poly", serial')
    lines = [line for line in lines if 'uri "/dev/shared.cfg"' in line]
    assert len(lines) == 1, "expected one denial line, got:\n" + "\n".join(lines)
    line = lines[0]
    for needle in ["client 127.0.0.1", "status FAILED", 'uri "/dev/shared.cfg"',
                   "self-signed certificate", 'subject "CN=0004f2000005,O=Poly"',
                   'issuer "CN=0004f2000005,O=Poly"']:
        assert needle in line, f"expected {needle!r} in: {line}"
    assert re.search(r"serial [0-9A-F]+", line), line


def test_keep_alive_requests_share_one_verdict(pki, provauth_httpd):
    replies = get(pki, provauth_httpd.ports["noca"],
                  ["/dev/0004f2000001.cfg"] * 20, "expired")
    assert [r.status for r in replies] == [200] * 20, [str(r) for r in replies]


def test_resumed_session_is_revalidated_with_configured_intermediates(
        pki, provauth_httpd):
    from clients import tls_context
    ctx = tls_context(pki, "expired", chain=True)
    first = get(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg",
                context=ctx)
    session = get.last_session
    second = get(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg",
                 context=ctx, session=session)
    assert first.status == 200, str(first)
    assert second.session_reused, "expected the TLS session to be resumed"
    assert second.status == 200, f"expected 200 after resumption, got {second}"
    assert second.headers["x-provauth-status"] == "EXPIRED", str(second)


def test_curl_expired_device(pki, provauth_httpd):
    reply = curl(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg", "expired")
    assert reply.status == 200, f"expected 200, got {reply}"
    assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)


@pytest.mark.skipif(not module_available("http2"), reason="mod_http2 not installed")
def test_http2_streams_use_the_primary_connection_verdict(pki, provauth_httpd, denials):
    ok = curl(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg", "expired",
              http2=True)
    assert ok.http_version == "2", f"expected HTTP/2, got {ok.http_version}"
    assert ok.status == 200, f"expected 200, got {ok}"
    bad = curl(pki, provauth_httpd.ports["noca"], "/dev/0004f2000001.cfg",
               "selfsigned-expired", http2=True)
    assert bad.status == 403, f"expected 403, got {bad}"


@pytest.mark.skipif(not module_available("http2"), reason="mod_http2 not installed")
def test_http2_many_parallel_streams(pki, provauth_httpd):
    urls = [f"https://localhost:{provauth_httpd.ports['noca']}/dev/0004f2000001.cfg"] * 30
    import subprocess
    result = subprocess.run(
        ["curl", "-s", "--http2", "--parallel", "--parallel-max", "30",
         "--cacert", pki.path("server-ca.pem"),
         "--resolve", f"localhost:{provauth_httpd.ports['noca']}:127.0.0.1",
         "--cert", pki.chain("expired"), "--key", pki.key,
         "-w", "%{http_code} %{http_version}\n"]
        + [arg for url in urls for arg in ("-o", "/dev/null", url)],
        capture_output=True, text=True)
    codes = result.stdout.split("\n")
    assert [c for c in codes if c] == ["200 2"] * 30, result.stdout + result.stderr


def test_legacy_sha1_device_over_tls_1_0(pki, provauth_httpd):
    reply = s_client(pki, provauth_httpd.ports["legacy"], "/dev/0004f2000001.cfg",
                     "legacy-sha1", legacy=True)
    assert reply.status == 200, f"expected 200, got {reply}"
    assert reply.headers["x-provauth-status"] == "VALID", str(reply)


def test_legacy_expired_device_over_tls_1_0_with_python(pki, provauth_httpd):
    reply = get(pki, provauth_httpd.ports["legacy"], "/dev/0004f2000001.cfg",
                "expired", legacy=True)
    assert reply.status == 200, f"expected 200, got {reply}"
    assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize("vhost", ["noaccept", "noca"])
@pytest.mark.parametrize("device", ["selfsigned", "wrongvendor", "selfsigned-victim"])
def test_what_optional_no_ca_tolerates_is_refused_on_every_tls_version(
        pki, provauth_httpd, denials, tls, vhost, device):
    """mod_ssl resets the verify result per request on TLS <= 1.2: the module
    must re-verify, never trust the handshake's leftovers."""
    import ssl as _ssl
    from clients import tls_context
    ctx = tls_context(pki, device)
    version = _ssl.TLSVersion.TLSv1_2 if tls == "1.2" else _ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = version
    replies = get(pki, provauth_httpd.ports[vhost],
                  ["/dev/0004f2000001.cfg", "/dev/0004f2000001.cfg"], context=ctx)
    assert [r.status for r in replies] == [403, 403], [str(r) for r in replies]
    assert replies[0].headers["x-provauth-status"] == "FAILED", str(replies[0])


def test_mod_ssl_no_crl_for_cert_ok_is_honoured(pki, provauth_httpd):
    """SSLCARevocationCheck chain no_crl_for_cert_ok: CAs without a CRL are
    accepted by mod_ssl, so re-validation with mod_ssl's store accepts them."""
    for device in ["valid", "expired", "yealink"]:
        reply = get(pki, provauth_httpd.ports["modsslcrl"], "/dev/0004f2000001.cfg",
                    device)
        assert reply.status == 200, f"{device}: expected 200, got {reply}"


def test_mod_ssl_crl_still_refuses_revoked_device(pki, provauth_httpd, denials):
    reply = get(pki, provauth_httpd.ports["modsslcrl"], "/dev/0004f2000001.cfg",
                "revoked")
    assert reply.status != 200, f"expected a refusal, got {reply}"


def test_vhost_without_intermediates_is_warned_about_resumption(provauth_httpd):
    port = provauth_httpd.ports["noint"]
    lines = [line for line in provauth_httpd.read_log().splitlines()
             if "PA00005" in line]
    conf_lines = open(provauth_httpd.conf).read().splitlines()
    noint_line = next(i + 1 for i, line in enumerate(conf_lines)
                      if line.strip() == f"<VirtualHost 127.0.0.1:{port}>")
    assert any(f"httpd.conf:{noint_line})" in line for line in lines), "\n".join(lines)
