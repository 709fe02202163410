"""Device-to-file authorization: the MAC comes from the certificate only and
must be in the requested file name (or path); allow-lists; vendor pinning per
directory; certificate AND password."""
import base64
import http.client
import ssl

import pytest

from clients import get, tls_context
from conftest import PHONE_PASSWORD, PHONE_USER


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630", r"AH01618", r"AH01617", r"AH02039",
                       r"AH02008"])


def request(pki, server, method, path, device, body=None, auth=None):
    ctx = tls_context(pki, device)
    conn = http.client.HTTPSConnection("127.0.0.1", server.ports["mac"], context=ctx,
                                       timeout=10)
    headers = {"Host": "localhost"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(
            f"{auth[0]}:{auth[1]}".encode()).decode()
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}
    except (ssl.SSLError, OSError) as err:
        return 0, {"error": str(err)}
    finally:
        conn.close()


def status_of(pki, server, path, device):
    return get(pki, server.ports["mac"], path, device)


class TestOwnFile:
    @pytest.mark.parametrize("path", ["/polycom/0004f2000001.cfg",
                                      "/polycom/0004F2000001-phone.cfg",
                                      "/POLYCOM/../polycom/0004f2000001.cfg"])
    def test_device_gets_its_own_file(self, pki, provauth_httpd, path):
        reply = status_of(pki, provauth_httpd, path, "valid")
        assert reply.status == 200, f"{path}: expected 200, got {reply}"
        assert reply.headers["x-provauth-mac"] == "0004f2000001", str(reply)

    def test_expired_device_gets_its_own_file(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/yealink/001565000011.cfg",
                          "yealink-expired")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-status"] == "EXPIRED", str(reply)

    def test_mac_written_with_colons_in_the_cn_is_normalized(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/polycom/0004f200000d.cfg", "cn-colons")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-mac"] == "0004f200000d", str(reply)


class TestOtherDevicesFile:
    @pytest.mark.parametrize("path", [
        "/polycom/0004f2000001.cfg",
        "/polycom/0004F2000001-phone.cfg",
        "/polycom/0004f2000001.cfg?mac=0004f20000aa",
        "/polycom/0004f20000aa/../0004f2000001.cfg",
        "/polycom/%30004f2000001.cfg",
        "/polycom/./0004f2000001.cfg",
    ])
    def test_another_devices_file_is_denied(self, pki, provauth_httpd, denials, path):
        reply = status_of(pki, provauth_httpd, path, "attacker")
        assert reply.status == 403, f"{path}: expected 403, got {reply}"
        assert reply.headers["x-provauth-error"] == (
            "MAC 0004f20000aa is not in the requested file name"), str(reply)

    def test_mac_after_the_file_name_does_not_open_another_file(
            self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd,
                          "/polycom/0004f2000001.cfg/0004f20000aa", "attacker")
        assert reply.status != 200, f"expected no file, got {reply}"

    def test_encoded_slash_does_not_reach_another_file(self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd,
                          "/polycom/0004f20000aa%2F..%2F0004f2000001.cfg", "attacker")
        assert reply.status in (403, 404), f"expected 403/404, got {reply}"

    def test_hex_looking_shared_file_is_not_granted_by_mac(self, pki, provauth_httpd,
                                                           denials):
        reply = status_of(pki, provauth_httpd, "/polycom/y000000000028.cfg", "attacker")
        assert reply.status == 403, f"expected 403, got {reply}"

    def test_put_to_own_log_is_allowed_and_to_another_is_denied(
            self, pki, provauth_httpd, denials):
        own, _ = request(pki, provauth_httpd, "PUT", "/logs/0004f2000001-app.log",
                         "valid", body=b"boot log\n")
        other, _ = request(pki, provauth_httpd, "PUT", "/logs/0004f2000001-app.log",
                           "attacker", body=b"overwritten\n")
        assert own in (201, 204), f"own upload: expected 201/204, got {own}"
        assert other == 403, f"upload over another device's log: expected 403, got {other}"


class TestCertificatesWithoutAMac:
    @pytest.mark.parametrize("device, reason", [
        ("cn-empty", "empty CN"),
        ("cn-star", "CN '*' is not a MAC address"),
        ("cn-multiple", "more than one CN"),
    ])
    def test_trusted_certificate_without_one_mac_is_denied(
            self, pki, provauth_httpd, denials, device, reason):
        reply = status_of(pki, provauth_httpd, "/polycom/0004f2000001.cfg", device)
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reason in reply.headers["x-provauth-error"], str(reply)
        assert reply.headers["x-provauth-mac"] == "(null)", str(reply)

    def test_self_signed_certificate_with_a_victims_mac_is_denied(
            self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd, "/polycom/0004f2000001.cfg",
                          "selfsigned-victim")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reply.headers["x-provauth-status"] == "FAILED", str(reply)
        assert reply.headers["x-provauth-mac"] == "(null)", str(reply)


class TestSharedFiles:
    def test_shared_file_via_files_section_is_served_to_any_device(self, pki,
                                                                   provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/polycom/000000000000.cfg", "attacker")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_shared_file_still_needs_a_trusted_device(self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd, "/polycom/000000000000.cfg", "selfsigned")
        assert reply.status == 403, f"expected 403, got {reply}"

    def test_yealink_common_file_via_filesmatch(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/yealink/y000000000028.cfg", "yealink")
        assert reply.status == 200, f"expected 200, got {reply}"


class TestVendorPinning:
    def test_yealink_device_gets_its_file_under_yealink(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/yealink/001565000010.cfg", "yealink")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_poly_device_is_refused_under_yealink_even_for_its_own_mac(
            self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd, "/yealink/0004f2000001.cfg", "valid")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert "unable to get local issuer" in reply.headers["x-provauth-error"]

    def test_yealink_device_is_refused_under_polycom(self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd, "/polycom/000000000000.cfg", "yealink")
        assert reply.status == 403, f"expected 403, got {reply}"


class TestMacFromRegex:
    def test_cisco_style_cn_yields_its_mac(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/cisco/SEP001122334455.cnf.xml", "cisco")
        assert reply.status == 200, f"expected 200, got {reply}"
        assert reply.headers["x-provauth-mac"] == "001122334455", str(reply)

    def test_cisco_style_device_is_refused_another_file(self, pki, provauth_httpd,
                                                        denials):
        reply = status_of(pki, provauth_httpd, "/cisco/SEP0004f2000001.cnf.xml", "cisco")
        assert reply.status == 403, f"expected 403, got {reply}"

    def test_plain_mac_cn_does_not_match_the_cisco_pattern(self, pki, provauth_httpd,
                                                           denials):
        reply = status_of(pki, provauth_httpd, "/cisco/SEP0004f2000001.cnf.xml", "valid")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert "does not match" in reply.headers["x-provauth-error"], str(reply)


class TestPathMatching:
    def test_directory_per_device_is_granted_to_its_device(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/tree/0004f2000001/phone.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_directory_of_another_device_is_denied(self, pki, provauth_httpd, denials):
        reply = status_of(pki, provauth_httpd, "/tree/0004f2000001/phone.cfg", "attacker")
        assert reply.status == 403, f"expected 403, got {reply}"


class TestAllowList:
    def test_listed_device_is_granted(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/allow/0004f2000001.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_entry_written_with_colons_matches(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/allow/0004f200000d.cfg", "cn-colons")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_unlisted_device_is_denied_for_its_own_file(self, pki, provauth_httpd,
                                                        denials):
        reply = status_of(pki, provauth_httpd, "/allow/0004f20000aa.cfg", "attacker")
        assert reply.status == 403, f"expected 403, got {reply}"


class TestCertificateAndPassword:
    def test_device_without_password_is_asked_for_one(self, pki, provauth_httpd,
                                                      denials):
        status, headers = request(pki, provauth_httpd, "GET", "/mfa/0004f2000001.cfg",
                                  "valid")
        assert status == 401, f"expected 401, got {status}"
        assert "www-authenticate" in headers

    def test_device_with_password_gets_its_file(self, pki, provauth_httpd):
        status, _ = request(pki, provauth_httpd, "GET", "/mfa/0004f2000001.cfg", "valid",
                            auth=(PHONE_USER, PHONE_PASSWORD))
        assert status == 200, f"expected 200, got {status}"

    def test_wrong_password_is_refused(self, pki, provauth_httpd, denials):
        status, _ = request(pki, provauth_httpd, "GET", "/mfa/0004f2000001.cfg", "valid",
                            auth=(PHONE_USER, "wrong"))
        assert status == 401, f"expected 401, got {status}"

    @pytest.mark.parametrize("auth", [None, (PHONE_USER, PHONE_PASSWORD)])
    def test_other_device_is_forbidden_with_or_without_password(
            self, pki, provauth_httpd, denials, auth):
        status, _ = request(pki, provauth_httpd, "GET", "/mfa/0004f2000001.cfg",
                            "attacker", auth=auth)
        assert status == 403, f"expected 403, got {status}"


class TestPasswordFallback:
    """RequireAny: a device's own file by certificate, or by password."""

    def test_other_device_with_password_is_granted_and_nothing_is_logged(
            self, pki, provauth_httpd):
        status, _ = request(pki, provauth_httpd, "GET", "/fallback/0004f2000001.cfg",
                            "attacker", auth=(PHONE_USER, PHONE_PASSWORD))
        assert status == 200, f"expected 200, got {status}"
        # error_log_guard fails the test if a PA00101 line was written

    def test_other_device_without_password_is_asked_for_one(
            self, pki, provauth_httpd, expect_log):
        expect_log.append(r"AH01618|AH01617")
        status, _ = request(pki, provauth_httpd, "GET", "/fallback/0004f2000001.cfg",
                            "attacker")
        assert status == 401, f"expected 401, got {status}"


    def test_handler_refusal_after_an_overridden_denial_is_not_logged_as_ours(
            self, pki, provauth_httpd, expect_log):
        expect_log.append(r"AH00132|AH00035")  # httpd's own: permission denied
        status, _ = request(pki, provauth_httpd, "GET",
                            "/fallback/0004f2000001-locked.cfg", "attacker",
                            auth=(PHONE_USER, PHONE_PASSWORD))
        assert status == 403, f"expected 403, got {status}"
        # error_log_guard fails the test if a PA00101 line was written


class TestStaleCrl:
    def test_revoked_device_is_denied_even_by_a_stale_crl(self, pki, provauth_httpd,
                                                          denials):
        reply = status_of(pki, provauth_httpd, "/stalecrl/0004f2000001.cfg", "revoked")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reply.headers["x-provauth-error"] == "certificate revoked", str(reply)

    def test_unrevoked_device_passes_a_stale_crl(self, pki, provauth_httpd):
        reply = status_of(pki, provauth_httpd, "/stalecrl/0004f2000001.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"


class TestPathInfo:
    def _get(self, pki, server, path, device):
        return get(pki, server.ports["noaccept"], path, device)

    def test_own_file_with_accept_path_info(self, pki, provauth_httpd):
        reply = self._get(pki, provauth_httpd, "/pathinfo/0004f2000001.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_own_mac_as_path_info_does_not_open_another_file(self, pki, provauth_httpd,
                                                             denials):
        reply = self._get(pki, provauth_httpd,
                          "/pathinfo/0004f2000001.cfg/0004f20000aa", "attacker")
        assert reply.status == 403, f"expected 403, got {reply}"
