"""Accept-expired is never borrowed through SNI: a request is served under the
ProvAuthAcceptExpired policy of the virtual host that serves it.  Two
name-based virtual hosts on one port with equal mod_ssl client-auth settings,
a.test accepting expired certificates and b.test not (issue 9, item 3)."""
import pytest

from clients import curl
from conftest import COMMON, tls_vhost
from httpd import BASE_MODULES, module_available
from tls_session import Client, start_server, stop_server

TLS = ["1.2", "1.3"]

DIRS = """
    <Directory {root}/htdocs/sslv>
        Require ssl-verify-client
    </Directory>
    <Directory {root}/htdocs/dev>
        Require provauth-device
    </Directory>"""

PATHS = ["/dev/0004f2000001.cfg", "/sslv/0004f2000001.cfg", "/open/shared.cfg"]


HTTP2 = module_available("http2")


def body(pki):
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    if HTTP2:
        intermediates += "\n    Protocols h2 http/1.1"
    accept = "    ProvAuthAcceptExpired On\n" + intermediates
    body = COMMON
    for key, verify in [("sni", "require"), ("sni_noca", "optional_no_ca")]:
        body += f"Listen 127.0.0.1:{{{key}}}\n"
        # a.test first: the default virtual host of the port (no SNI)
        body += tls_vhost(pki, key, verify, accept, DIRS, server_name="a.test")
        body += tls_vhost(pki, key, verify, intermediates, DIRS, server_name="b.test")
    return body


@pytest.fixture(scope="module")
def server(workdir, pki):
    server = start_server(workdir, "sni522", body(pki), ["sni", "sni_noca"],
                          extra_dirs=["sslv"],
                          modules=BASE_MODULES + (["http2"] if HTTP2 else []))
    yield server
    stop_server(server)


@pytest.fixture
def refused_log(expect_log):
    """The lines a borrowed policy leaves: ours, one per refused request."""
    expect_log.extend([r"PA00110", r"PA00111"])
    return expect_log


def statuses(replies):
    return [r.status for r in (replies if isinstance(replies, list) else [replies])]


@pytest.mark.parametrize("port", ["sni", "sni_noca"])
@pytest.mark.parametrize("tls", TLS)
class TestFullHandshake:
    def test_expired_device_is_served_where_sni_and_host_agree(self, server, pki, port, tls):
        replies = Client(pki, "expired", tls).get(server.ports[port], PATHS, sni="a.test")
        assert statuses(replies) == [200, 200, 200], [str(r) for r in replies]
        assert replies[1].headers["x-ssl-client-verify"] == "SUCCESS", str(replies[1])

    def test_expired_device_with_sni_a_and_host_b_is_refused_421(
            self, server, pki, refused_log, port, tls):
        # (httpd closes a connection after a refusal at this stage.)
        client = Client(pki, "expired", tls)
        replies = [client.get(server.ports[port], path, sni="a.test", host="b.test")
                   for path in PATHS]
        assert statuses(replies) == [421, 421, 421], [str(r) for r in replies]

    def test_refusal_is_logged_with_why(self, server, pki, refused_log, port, tls):
        server.new_log_lines()
        Client(pki, "expired", tls).get(server.ports[port], "/dev/0004f2000001.cfg",
                                        sni="a.test", host="b.test")
        server.settle()
        lines = [line for line in server.new_log_lines() if "PA00110" in line]
        assert len(lines) == 1, lines
        for part in ["[provauth:error]", "SNI a.test", "Host b.test", "ProvAuthAcceptExpired On",
                     "outside its validity period", "CN=0004f2000002",
                     'uri "/dev/0004f2000001.cfg"']:
            assert part in lines[0], lines[0]

    def test_valid_device_with_sni_a_and_host_b_is_served(self, server, pki, port, tls):
        replies = Client(pki, "valid", tls).get(server.ports[port], PATHS,
                                                sni="a.test", host="b.test")
        assert statuses(replies) == [200, 200, 200], [str(r) for r in replies]

    def test_expired_issuing_ca_counts_too(self, server, pki, refused_log, port, tls):
        reply = Client(pki, "oldca", tls).get(server.ports[port], "/dev/0004f2000001.cfg",
                                              sni="a.test", host="b.test")
        assert reply.status == 421, str(reply)

    def test_no_sni_default_vhost_a_and_host_b_is_refused(
            self, server, pki, refused_log, port, tls):
        client = Client(pki, "expired", tls)
        assert client.get(server.ports[port], "/dev/0004f2000001.cfg", sni=None,
                          host="a.test").status == 200
        reply = client.get(server.ports[port], "/dev/0004f2000001.cfg", sni=None,
                           host="b.test")
        assert reply.status == 421, str(reply)

    def test_keep_alive_request_switching_host_is_refused(
            self, server, pki, refused_log, port, tls):
        replies = Client(pki, "expired", tls).get(
            server.ports[port], ["/dev/0004f2000001.cfg"] * 2, sni="a.test",
            host=["a.test", "b.test"])
        assert statuses(replies) == [200, 421], [str(r) for r in replies]


@pytest.mark.skipif(not HTTP2, reason="mod_http2 not installed")
class TestHttp2:
    """Streams run on secondary connections; the TLS state is the primary's."""

    def test_expired_device_h2_stream_for_host_b_is_refused(self, server, pki, refused_log):
        reply = curl(pki, server.ports["sni"], "/dev/0004f2000001.cfg", "expired",
                     http2=True, sni="a.test", extra=["-H", "Host: b.test"])
        assert (reply.status, reply.http_version) == (421, "2"), str(reply)

    def test_expired_device_h2_stream_for_host_a_is_served(self, server, pki):
        reply = curl(pki, server.ports["sni"], "/dev/0004f2000001.cfg", "expired",
                     http2=True, sni="a.test")
        assert (reply.status, reply.http_version) == (200, "2"), str(reply)


@pytest.mark.parametrize("tls", TLS)
class TestResumedSession:
    """A resumed connection verified nothing: the chain's dates decide."""

    def resumed(self, server, pki, device, tls, host):
        client = Client(pki, device, tls)
        first = client.get(server.ports["sni"], "/dev/0004f2000001.cfg", sni="a.test")
        assert first.status == 200, str(first)
        second = client.get(server.ports["sni"], "/dev/0004f2000001.cfg", sni="a.test",
                            host=host, resume=True)
        assert second.session_reused, f"expected a resumed session: {second}"
        return second

    def test_expired_device_resumed_with_host_b_is_refused(
            self, server, pki, refused_log, tls):
        server.new_log_lines()
        reply = self.resumed(server, pki, "expired", tls, "b.test")
        assert reply.status == 421, str(reply)
        server.settle()
        lines = [line for line in server.new_log_lines() if "PA00111" in line]
        assert len(lines) == 1 and "chain is EXPIRED" in lines[0], lines

    def test_expired_issuing_ca_resumed_with_host_b_is_refused(
            self, server, pki, refused_log, tls):
        assert self.resumed(server, pki, "oldca", tls, "b.test").status == 421

    def test_expired_device_resumed_with_host_a_is_served(self, server, pki, tls):
        reply = self.resumed(server, pki, "expired", tls, "a.test")
        assert reply.status == 200, str(reply)
        assert reply.headers["x-ssl-client-verify"] == "SUCCESS", str(reply)

    def test_valid_device_resumed_with_host_b_is_served(self, server, pki, tls):
        reply = self.resumed(server, pki, "valid", tls, "b.test")
        assert reply.status == 200, str(reply)
        assert reply.headers["x-provauth-status"] == "VALID", str(reply)
