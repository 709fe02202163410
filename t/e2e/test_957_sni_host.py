"""SNI against Host, in every spelling a client can choose: two name-based
virtual hosts on one port, b.test first (the default: no SNI, unknown Host)
without ProvAuthAcceptExpired, a.test with it.  An expired phone that
handshakes with SNI a.test is served only by a.test: Host b.test, an IP
literal, a Host with a port or in another case, a trailing dot, and HTTP/2
streams whose :authority names another virtual host on a coalesced
connection all end at b.test's policy.  Valid phones are served everywhere
(the control: the requests themselves are fine)."""
import pytest

from attack_server import DENIALS, EXPIRED, VICTIM, h2_available, h2_streams
from tls_session import Client

A_HOSTS = ["a.test", "A.TEST", "a.test.", "a.test:{port}", "A.test:{port}"]
OTHER_HOSTS = ["b.test", "B.TEST", "b.test.", "b.test:{port}", "b.test:443",
               "127.0.0.1", "127.0.0.1:{port}", "[::1]", "localhost", "c.test",
               "a.test.b.test"]


@pytest.fixture
def refused(expect_log):
    expect_log.extend(DENIALS + [r"PA00110", r"PA00111"])


def own(device):
    return f"/cfg/{EXPIRED if device == 'expired' else VICTIM}.cfg"


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
class TestHostSpellings:
    @pytest.mark.parametrize("host", A_HOSTS)
    @pytest.mark.parametrize("device", ["expired", "valid"])
    def test_host_of_the_handshakes_virtual_host_is_served(self, pki, attack_httpd, tls,
                                                           host, device):
        port = attack_httpd.ports["atksni"]
        reply = Client(pki, device, tls).get(port, own(device), sni="a.test",
                                             host=host.format(port=port))
        assert reply.status == 200, f"Host {host}: {reply}"

    @pytest.mark.parametrize("host", OTHER_HOSTS)
    def test_expired_phone_is_refused_any_other_virtual_host(self, pki, attack_httpd,
                                                             refused, tls, host):
        port = attack_httpd.ports["atksni"]
        reply = Client(pki, "expired", tls).get(port, own("expired"), sni="a.test",
                                                host=host.format(port=port))
        assert reply.status == 421, f"Host {host}: {reply}"

    @pytest.mark.parametrize("host", OTHER_HOSTS)
    def test_control_valid_phone_is_served_there(self, pki, attack_httpd, tls, host):
        port = attack_httpd.ports["atksni"]
        reply = Client(pki, "valid", tls).get(port, own("valid"), sni="a.test",
                                              host=host.format(port=port))
        assert reply.status == 200, f"Host {host}: {reply}"

    def test_without_sni_the_default_virtual_host_decides_the_handshake(
            self, pki, attack_httpd, expect_log, tls):
        expect_log.extend([r"AH02039|AH02008|AH02261|SSL Library Error|AH02276"])
        port = attack_httpd.ports["atksni"]
        reply = Client(pki, "expired", tls).get(port, own("expired"), sni=None,
                                                host="a.test")
        assert reply.status == 0, f"b.test's handshake accepted an expired phone: {reply}"
        reply = Client(pki, "valid", tls).get(port, own("valid"), sni=None, host="a.test")
        assert reply.status == 200, str(reply)

    def test_sni_in_another_case(self, pki, attack_httpd, tls):
        port = attack_httpd.ports["atksni"]
        reply = Client(pki, "expired", tls).get(port, own("expired"), sni="A.TEST",
                                                host="a.test")
        assert reply.status == 200, str(reply)


@pytest.mark.skipif(not h2_available(), reason="mod_http2 or python3-h2 not installed")
class TestHttp2Coalescing:
    AUTHORITIES = ["a.test", "b.test", "a.test", "127.0.0.1", "a.test"]

    def test_expired_phone_streams_for_other_virtual_hosts_are_refused(
            self, pki, attack_httpd, refused):
        got = h2_streams(pki, attack_httpd, "expired", "atksni", "a.test",
                         [(a, own("expired")) for a in self.AUTHORITIES])
        assert [s == 200 for s in got] == [a == "a.test" for a in self.AUTHORITIES], got
        assert all(s in (200, 421) for s in got), got

    def test_control_valid_phone_streams_are_all_served(self, pki, attack_httpd):
        got = h2_streams(pki, attack_httpd, "valid", "atksni", "a.test",
                         [(a, own("valid")) for a in self.AUTHORITIES])
        assert got == [200] * len(self.AUTHORITIES), got
