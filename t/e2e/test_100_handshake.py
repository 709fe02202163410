"""Handshake: ProvAuthAcceptExpired lets expired-but-otherwise-valid device
certificates through and leaves every other verdict to mod_ssl."""
import pytest

from clients import get

# mod_ssl's own lines for certificates it refuses or tolerates
SSL_VERIFY_NOISE = [r"AH02039", r"AH02008", r"AH02261", r"AH02042", r"SSL Library Error",
                    r"AH02040", r"AH01630"]


@pytest.fixture
def ssl_noise(expect_log):
    expect_log.extend(SSL_VERIFY_NOISE + [r"PA00101"])


class TestStockModSsl:
    """What operators meet today, for comparison (no mod_provauth loaded)."""

    def test_stock_rejects_expired_device_at_handshake_even_with_optional_no_ca(
            self, pki, stock_httpd, ssl_noise):
        reply = get(pki, stock_httpd.ports["stock_noca"], "/open/shared.cfg", "expired")
        assert reply.rejected, f"expected a failed handshake, got {reply}"

    def test_stock_accepts_self_signed_device_under_optional_no_ca(
            self, pki, stock_httpd, ssl_noise):
        reply = get(pki, stock_httpd.ports["stock_noca"], "/open/shared.cfg", "selfsigned")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_stock_require_rejects_expired_device(self, pki, stock_httpd, ssl_noise):
        reply = get(pki, stock_httpd.ports["stock_require"], "/open/shared.cfg", "expired")
        assert reply.rejected, f"expected a failed handshake, got {reply}"


class TestModuleLoadedButNotConfigured:
    def test_unconfigured_vhost_still_rejects_expired_like_stock(
            self, pki, provauth_httpd, ssl_noise):
        reply = get(pki, provauth_httpd.ports["unconfigured"], "/open/shared.cfg", "expired")
        assert reply.rejected, f"expected a failed handshake, got {reply}"

    def test_unconfigured_vhost_serves_valid_device(self, pki, provauth_httpd):
        reply = get(pki, provauth_httpd.ports["unconfigured"], "/open/shared.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"


@pytest.mark.parametrize("vhost", ["noca", "require", "optional"])
class TestAcceptExpired:
    def test_expired_device_completes_handshake_and_is_granted(
            self, pki, provauth_httpd, vhost):
        reply = get(pki, provauth_httpd.ports[vhost], "/dev/0004f2000001.cfg", "expired")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)
        assert int(reply.headers["x-provauth-days-left"]) < 0, str(reply)

    def test_accepted_expired_certificate_reads_success_in_ssl_client_verify(
            self, pki, provauth_httpd, vhost):
        reply = get(pki, provauth_httpd.ports[vhost], "/dev/0004f2000001.cfg", "expired")
        assert reply.headers.get("x-ssl-client-verify") == "SUCCESS", str(reply)

    def test_valid_device_is_granted_as_valid(self, pki, provauth_httpd, vhost):
        reply = get(pki, provauth_httpd.ports[vhost], "/dev/0004f2000001.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "VALID", str(reply)
        assert reply.headers.get("x-ssl-client-verify") == "SUCCESS", str(reply)
        assert int(reply.headers["x-provauth-days-left"]) > 3000, str(reply)

    def test_not_yet_valid_device_completes_handshake(self, pki, provauth_httpd, vhost):
        reply = get(pki, provauth_httpd.ports[vhost], "/dev/0004f2000001.cfg", "notyet")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "NOT_YET_VALID", str(reply)

    def test_valid_leaf_under_expired_issuing_ca_is_expired(
            self, pki, provauth_httpd, vhost):
        reply = get(pki, provauth_httpd.ports[vhost], "/dev/0004f2000001.cfg", "oldca")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)


class TestOtherFailuresStayModSslDecisions:
    @pytest.mark.parametrize("vhost", ["require", "optional"])
    @pytest.mark.parametrize("device", ["selfsigned", "selfsigned-expired",
                                        "wrongvendor", "wrongvendor-expired",
                                        "noclientauth"])
    def test_untrusted_devices_fail_handshake_where_mod_ssl_verifies(
            self, pki, provauth_httpd, ssl_noise, vhost, device):
        reply = get(pki, provauth_httpd.ports[vhost], "/open/shared.cfg", device)
        assert reply.rejected, f"expected a failed handshake, got {reply}"

    def test_optional_no_ca_still_lets_self_signed_through_the_handshake_but_denies(
            self, pki, provauth_httpd, ssl_noise):
        reply = get(pki, provauth_httpd.ports["noca"],
                    ["/open/shared.cfg", "/dev/0004f2000004.cfg"], "selfsigned")
        assert [r.status for r in reply] == [200, 403], [str(r) for r in reply]
        assert reply[1].headers["x-provauth-status"] == "FAILED", str(reply[1])

    def test_device_without_client_auth_purpose_fails_handshake_even_with_optional_no_ca(
            self, pki, provauth_httpd, ssl_noise):
        reply = get(pki, provauth_httpd.ports["noca"], "/open/shared.cfg", "noclientauth")
        assert reply.rejected, f"expected a failed handshake, got {reply}"

    def test_expired_self_signed_under_optional_no_ca_is_failed_not_expired(
            self, pki, provauth_httpd, ssl_noise):
        reply = get(pki, provauth_httpd.ports["noca"], "/dev/0004f2000005.cfg",
                    "selfsigned-expired")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reply.headers["x-provauth-status"] == "FAILED", str(reply)
        assert "self-signed" in reply.headers["x-provauth-error"], str(reply)
        assert reply.headers.get("x-ssl-client-verify") != "SUCCESS", str(reply)


class TestIntermediatesForTheHandshake:
    def test_leaf_only_device_passes_require_with_configured_intermediates(
            self, pki, provauth_httpd):
        reply = get(pki, provauth_httpd.ports["require"], "/dev/0004f2000001.cfg",
                    "expired", chain=False)
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)

    def test_leaf_only_device_fails_require_without_intermediates(
            self, pki, provauth_httpd, ssl_noise):
        reply = get(pki, provauth_httpd.ports["noint"], "/dev/0004f2000001.cfg",
                    "valid", chain=False)
        assert reply.rejected, f"expected a failed handshake, got {reply}"

    def test_full_chain_device_passes_without_intermediates(self, pki, provauth_httpd):
        reply = get(pki, provauth_httpd.ports["noint"], "/dev/0004f2000001.cfg", "expired")
        assert reply.status == 200, f"expected 200, got {reply}"


class TestSni:
    def test_vhost_with_accept_expired_on_lets_expired_in(self, pki, provauth_httpd):
        reply = get(pki, provauth_httpd.ports["sni"], "/dev/0004f2000001.cfg", "expired",
                    sni="a.test")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_vhost_with_accept_expired_off_keeps_stock_rejection(
            self, pki, provauth_httpd, ssl_noise):
        reply = get(pki, provauth_httpd.ports["sni"], "/dev/0004f2000001.cfg", "expired",
                    sni="b.test")
        assert reply.rejected, f"expected a failed handshake, got {reply}"

    def test_valid_device_passes_both_vhosts(self, pki, provauth_httpd):
        for name in ["a.test", "b.test"]:
            reply = get(pki, provauth_httpd.ports["sni"], "/dev/0004f2000001.cfg",
                        "valid", sni=name)
            assert reply.status == 200, f"{name}: expected 200, got {reply}"
