"""Per-directory SSLVerifyClient: the certificate arrives in a TLS 1.2
renegotiation or through TLS 1.3 post-handshake authentication, in a virtual
host that asks for none in its handshake.  The decisions must be those of a
handshake: the phone gets its own file, not another phone's; an untrusted
certificate that optional_no_ca lets through is refused; the verdict of an
earlier request on the connection (no certificate yet) is not reused.
Expired phones are refused there by mod_ssl (a documented limitation,
warned about at startup by PA00003)."""
import http.client
import socket
import ssl

import pytest

from attack_server import ATTACKER, DENIALS, EXPIRED, VICTIM, secret
from clients import tls_context

TLS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

# mod_ssl's lines: the renegotiation, its failures, what optional_no_ca
# tolerates.
RENEG_NOISE = [r"AH02261", r"AH02225", r"SSL Library Error", r"AH02039", r"AH02008",
               r"AH10158", r"AH02263", r"AH02262", r"AH02224", r"AH02229"]


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS + RENEG_NOISE)


def session(pki, server, device, paths, tls):
    """GET each path on one connection to the renegotiating virtual host;
    a (status, body) per path, (0, error) from the first failure on."""
    ctx = tls_context(pki, device)
    ctx.minimum_version = ctx.maximum_version = TLS[tls]
    if tls == "1.3":
        ctx.post_handshake_auth = True
    results = []
    try:
        raw = socket.create_connection(("127.0.0.1", server.ports["atkreneg"]), timeout=10)
        conn = http.client.HTTPConnection("127.0.0.1", timeout=10)
        conn.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        for path in paths:
            conn.request("GET", path, headers={"Host": "localhost"})
            resp = conn.getresponse()
            results.append((resp.status, resp.read()))
        conn.close()
    except (ssl.SSLError, OSError, http.client.HTTPException) as err:
        results.append((0, str(err).encode()))
    results += [(0, b"not sent")] * (len(paths) - len(results))
    return results


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
class TestCertificateAfterTheHandshake:
    def test_phone_gets_its_own_file(self, pki, attack_httpd, tls):
        [(status, body)] = session(pki, attack_httpd, "attacker",
                                   [f"/cfg/{ATTACKER}.cfg"], tls)
        assert (status, body) == (200, secret(f"cfg/{ATTACKER}.cfg")), status

    def test_phone_is_refused_another_phones_file(self, pki, attack_httpd, denials, tls):
        [(status, body)] = session(pki, attack_httpd, "attacker", [f"/cfg/{VICTIM}.cfg"],
                                   tls)
        assert status == 403 and b"secret" not in body, status

    @pytest.mark.parametrize("device", ["selfsigned-victim", "wrongvendor"])
    def test_untrusted_certificate_with_the_victims_mac_is_refused(
            self, pki, attack_httpd, denials, device, tls):
        results = session(pki, attack_httpd, device, [f"/cfg/{VICTIM}.cfg",
                                                      "/dev/firmware.ld"], tls)
        for status, body in results:
            assert status in (0, 403) and b"secret" not in body, results

    def test_verdict_without_a_certificate_is_not_reused(self, pki, attack_httpd,
                                                         denials, tls):
        # First a request that needs no certificate, then one that asks for
        # it, then another phone's file, all on one connection.
        results = session(pki, attack_httpd, "attacker",
                          ["/open/shared.cfg", f"/cfg/{ATTACKER}.cfg",
                           f"/cfg/{VICTIM}.cfg", f"/cfg/{ATTACKER}.cfg"], tls)
        assert [status for status, _ in results] == [200, 200, 403, 200], results

    def test_device_directory_needs_a_trusted_certificate(self, pki, attack_httpd, tls):
        [(status, body)] = session(pki, attack_httpd, "valid", ["/dev/firmware.ld"], tls)
        assert (status, body) == (200, secret("dev/firmware.ld")), status

    def test_expired_phone_is_refused_by_mod_ssl(self, pki, attack_httpd, denials,
                                                 expect_log, tls):
        # Documented: per-directory SSLVerifyClient is mod_ssl's alone.
        expect_log.append(r"AH02276|AH02222|certificate has expired")
        [(status, body)] = session(pki, attack_httpd, "expired", [f"/cfg/{EXPIRED}.cfg"],
                                   tls)
        assert status in (0, 403) and b"secret" not in body, status
