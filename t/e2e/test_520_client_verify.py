"""SSL_CLIENT_VERIFY never reads SUCCESS for a certificate that is untrusted
apart from its dates: not on the first connection, not on a resumed one, TLS
1.2 or 1.3; `Require ssl-verify-client` never grants it.  Vendor-issued
expired devices keep SUCCESS, resumed too (issue 9, item 2)."""
import os
import tempfile

import pytest

from conftest import COMMON, tls_vhost
from tls_session import Client, s_client, start_server, stop_server

UNTRUSTED = ["selfsigned-expired", "wrongvendor-expired"]
TLS = ["1.2", "1.3"]

# mod_ssl's lines for what optional_no_ca tolerates, and authz refusals
NOISE = [r"AH02039", r"AH02008", r"AH01630", r"PA00101"]

DIRS = """
    <Directory {root}/htdocs/sslv>
        Require ssl-verify-client
    </Directory>
    <Directory {root}/htdocs/dev>
        Require provauth-device
    </Directory>"""


def body(pki):
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    return (COMMON + "Listen 127.0.0.1:{accept}\nListen 127.0.0.1:{noaccept}\n"
            + tls_vhost(pki, "accept", "optional_no_ca",
                        "    ProvAuthAcceptExpired On\n" + intermediates, DIRS)
            # The module loaded, the vhost not accepting expired certificates:
            # mod_ssl's own optional_no_ca leniency.
            + tls_vhost(pki, "noaccept", "optional_no_ca", intermediates, DIRS))


@pytest.fixture(scope="module")
def server(workdir, pki):
    server = start_server(workdir, "verify520", body(pki), ["accept", "noaccept"],
                          extra_dirs=["sslv"])
    yield server
    stop_server(server)


@pytest.fixture
def noise(expect_log):
    expect_log.extend(NOISE)


def first_and_resumed(server, pki, device, tls, path, port="accept"):
    client = Client(pki, device, tls)
    first = client.get(server.ports[port], path)
    assert client.session is not None, f"no session to resume after {first}"
    return first, client.get(server.ports[port], path, resume=True)


@pytest.mark.parametrize("tls", TLS)
@pytest.mark.parametrize("device", UNTRUSTED)
class TestUntrustedExpired:
    def test_ssl_client_verify_is_never_success_first_or_resumed(
            self, server, pki, noise, device, tls):
        first, second = first_and_resumed(server, pki, device, tls, "/open/shared.cfg")
        for reply in (first, second):
            assert reply.status == 200, f"optional_no_ca lets it in: {reply}"
            verify = reply.headers.get("x-ssl-client-verify")
            assert verify != "SUCCESS", f"{device} TLS {tls}: {reply}"
            assert verify == "GENEROUS" or verify.startswith("FAILED:"), str(reply)

    def test_first_verdict_names_the_real_fault_not_the_dates(
            self, server, pki, noise, device, tls):
        reply = Client(pki, device, tls).get(server.ports["accept"], "/open/shared.cfg")
        verify = reply.headers.get("x-ssl-client-verify")
        # TLS 1.2: mod_ssl resets the verify result per request and says
        # GENEROUS; TLS 1.3 keeps the handshake's result: the real fault.
        if tls == "1.3":
            assert "expired" not in verify and verify.startswith("FAILED:"), str(reply)
        else:
            assert verify == "GENEROUS", str(reply)

    def test_session_whose_verification_was_tolerated_is_not_resumed(
            self, server, pki, noise, device, tls):
        _, second = first_and_resumed(server, pki, device, tls, "/open/shared.cfg")
        assert second.status == 200 and not second.session_reused, str(second)

    def test_require_ssl_verify_client_refuses_first_and_resumed(
            self, server, pki, noise, device, tls):
        first, second = first_and_resumed(server, pki, device, tls,
                                          "/sslv/0004f2000001.cfg")
        assert (first.status, second.status) == (403, 403), f"{first} {second}"

    def test_require_provauth_device_refuses_first_and_resumed(
            self, server, pki, noise, device, tls):
        first, second = first_and_resumed(server, pki, device, tls,
                                          "/dev/0004f2000001.cfg")
        assert (first.status, second.status) == (403, 403), f"{first} {second}"
        assert second.headers["x-provauth-status"] == "FAILED", str(second)


@pytest.mark.parametrize("tls", TLS)
class TestVendorExpiredKeepsSuccess:
    def test_success_on_first_and_resumed_connection(self, server, pki, tls):
        first, second = first_and_resumed(server, pki, "expired", tls, "/sslv/0004f2000001.cfg")
        assert second.session_reused, f"the session must stay resumable: {second}"
        for reply in (first, second):
            assert reply.status == 200, str(reply)
            assert reply.headers.get("x-ssl-client-verify") == "SUCCESS", str(reply)

    def test_expired_issuing_ca_keeps_success_resumed(self, server, pki, tls):
        first, second = first_and_resumed(server, pki, "oldca", tls, "/dev/0004f2000001.cfg")
        assert second.session_reused, str(second)
        for reply in (first, second):
            assert reply.status == 200, str(reply)
            assert reply.headers.get("x-ssl-client-verify") == "SUCCESS", str(reply)
            assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)


@pytest.mark.parametrize("tls", TLS)
def test_valid_device_session_is_resumed_with_success(server, pki, tls):
    first, second = first_and_resumed(server, pki, "valid", tls, "/sslv/0004f2000001.cfg")
    assert second.session_reused, str(second)
    assert [r.headers.get("x-ssl-client-verify") for r in (first, second)] \
        == ["SUCCESS", "SUCCESS"], f"{first} {second}"


class TestBeyondStock:
    """Stock mod_ssl reads SUCCESS on a resumed TLS 1.2 session that
    optional_no_ca let through (it resets the verify result per request and
    GENEROUS is remembered per connection only).  Where mod_provauth is
    loaded, such sessions are not resumed."""

    def test_stock_mod_ssl_reads_success_on_resumed_tls12_self_signed(
            self, stock_httpd, pki, noise):
        client = Client(pki, "selfsigned", "1.2")
        first = client.get(stock_httpd.ports["stock_noca"], "/open/shared.cfg")
        second = client.get(stock_httpd.ports["stock_noca"], "/open/shared.cfg", resume=True)
        assert first.headers.get("x-ssl-client-verify") == "GENEROUS", str(first)
        assert second.session_reused, str(second)
        assert second.headers.get("x-ssl-client-verify") == "SUCCESS", str(second)

    @pytest.mark.parametrize("tls", TLS)
    @pytest.mark.parametrize("port", ["accept", "noaccept"])
    def test_self_signed_is_never_success_where_the_module_is_loaded(
            self, server, pki, noise, tls, port):
        first, second = first_and_resumed(server, pki, "selfsigned", tls,
                                          "/sslv/0004f2000001.cfg", port)
        assert not second.session_reused, str(second)
        for reply in (first, second):
            assert reply.status == 403, str(reply)
            assert reply.headers.get("x-ssl-client-verify") != "SUCCESS", str(reply)


@pytest.mark.parametrize("tls", TLS)
class TestOpensslSClient:
    """The same with another client: `openssl s_client -sess_out/-sess_in`."""

    def run(self, server, pki, device, tls):
        with tempfile.TemporaryDirectory() as tmp:
            session = os.path.join(tmp, "session.pem")
            first = s_client(pki, server.ports["accept"], "/sslv/0004f2000001.cfg",
                             device, tls, sess_out=session)
            assert os.path.exists(session), f"s_client saved no session: {first}"
            second = s_client(pki, server.ports["accept"], "/sslv/0004f2000001.cfg",
                              device, tls, sess_in=session)
        return first, second

    @pytest.mark.parametrize("device", UNTRUSTED)
    def test_untrusted_expired_refused_and_not_resumed(self, server, pki, noise, device, tls):
        first, second = self.run(server, pki, device, tls)
        assert not second.session_reused, str(second)
        for reply in (first, second):
            assert reply.status == 403, str(reply)
            assert reply.headers.get("x-ssl-client-verify") != "SUCCESS", str(reply)

    def test_vendor_expired_resumed_with_success(self, server, pki, tls):
        first, second = self.run(server, pki, "expired", tls)
        assert second.session_reused, str(second)
        for reply in (first, second):
            assert reply.status == 200, str(reply)
            assert reply.headers.get("x-ssl-client-verify") == "SUCCESS", str(reply)


def test_denials_are_logged_under_the_module_name(server, pki, noise):
    """`LogLevel provauth:...` must reach the request messages too."""
    server.new_log_lines()
    reply = Client(pki, "selfsigned-expired", "1.3").get(server.ports["accept"],
                                                         "/dev/0004f2000001.cfg")
    assert reply.status == 403, str(reply)
    server.settle()
    lines = [line for line in server.new_log_lines() if "PA00101" in line]
    assert len(lines) == 1 and "[provauth:error]" in lines[0], lines
