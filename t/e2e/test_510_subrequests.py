"""Sub-requests and internal redirects: mod_rewrite, ErrorDocument,
DirectoryIndex, MultiViews and type maps, server-side includes.  httpd skips
authorization for a sub-request or internal redirect whose directory
configuration equals its parent's; whatever such a request serves must
still be authorized against the MAC rules where it lands."""
import pytest

from subreq_client import LogWatch, dav
from subreq_server import ATTACKER, EXPIRED, VICTIM


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


def secret(path):
    """What the test tree holds in a file (see subreq_server.subreq_files)."""
    return f"secret of {path}\n".encode()


VICTIM_CFG = secret(f"rw/{VICTIM}.cfg")


class TestPerDirectoryRewrite:
    def test_rewrite_to_the_phones_own_file_is_served(self, pki, subreq_httpd):
        status, _, body = dav(pki, subreq_httpd, "GET",
                              f"/rw/{ATTACKER}.latest?file={ATTACKER}.cfg", "attacker")
        assert status == 200, f"expected 200, got {status}"
        assert body == secret(f"rw/{ATTACKER}.cfg")

    def test_rewrite_from_the_own_name_to_the_victims_file_is_refused(
            self, pki, subreq_httpd, denials):
        watch = LogWatch(subreq_httpd)
        status, _, body = dav(pki, subreq_httpd, "GET",
                              f"/rw/{ATTACKER}.latest?file={VICTIM}.cfg", "attacker")
        assert status == 403, f"expected 403, got {status}"
        assert VICTIM_CFG not in body
        lines = watch.wait_for(r'PA00101: denied by Require provauth-mac: .*uri "/rw/'
                               + VICTIM + r'\.cfg".*internal redirect')
        assert len(lines) == 1, "\n".join(watch.lines())

    def test_server_level_rewrite_is_judged_by_its_target(self, pki, subreq_httpd,
                                                          denials):
        status, _, body = dav(pki, subreq_httpd, "GET",
                              f"/pt/{ATTACKER}/{VICTIM}.cfg", "attacker")
        assert status == 403, f"expected 403, got {status}"
        assert VICTIM_CFG not in body

    def test_server_level_rewrite_to_the_own_file(self, pki, subreq_httpd):
        status, _, _ = dav(pki, subreq_httpd, "GET", f"/pt/{VICTIM}/{ATTACKER}.cfg",
                           "attacker")
        assert status == 200, f"expected 200, got {status}"


class TestErrorDocument:
    def test_error_document_of_another_phone_is_not_served(self, pki, subreq_httpd,
                                                           denials):
        watch = LogWatch(subreq_httpd)
        status, _, body = dav(pki, subreq_httpd, "GET", f"/err/{ATTACKER}-missing.cfg",
                              "attacker")
        assert status == 404, f"expected 404, got {status}"
        assert secret(f"err/{VICTIM}.cfg") not in body
        assert watch.wait_for(r'PA00101: .*uri "/err/' + VICTIM + r'\.cfg"'), \
            "\n".join(watch.lines())

    def test_error_document_the_phone_may_read_is_served(self, pki, subreq_httpd):
        status, _, body = dav(pki, subreq_httpd, "GET", f"/err/{VICTIM}-missing.cfg",
                              "valid")
        assert status == 404, f"expected 404, got {status}"
        assert body == secret(f"err/{VICTIM}.cfg")


class TestDirectoryIndex:
    def test_index_in_the_phones_own_directory(self, pki, subreq_httpd):
        status, _, body = dav(pki, subreq_httpd, "GET", f"/idx/{EXPIRED}/", "expired")
        assert status == 200, f"expected 200, got {status}"
        assert body == secret(f"idx/{EXPIRED}/phone.cfg")

    def test_index_in_another_phones_directory_is_not_served(self, pki, subreq_httpd,
                                                             denials):
        status, _, body = dav(pki, subreq_httpd, "GET", f"/idx/{ATTACKER}/", "attacker")
        assert status in (403, 404), f"expected 403/404, got {status}"
        assert secret(f"idx/{VICTIM}/phone.cfg") not in body


class TestNegotiation:
    def test_multiviews_finds_the_phones_own_file(self, pki, subreq_httpd):
        status, _, body = dav(pki, subreq_httpd, "GET", f"/mv/{ATTACKER}", "attacker")
        assert status == 200, f"expected 200, got {status}"
        assert body == secret(f"mv/{ATTACKER}.cfg")

    def test_multiviews_for_the_victims_name_is_refused(self, pki, subreq_httpd,
                                                        denials):
        status, _, body = dav(pki, subreq_httpd, "GET", f"/mv/{VICTIM}", "attacker")
        assert status == 403, f"expected 403, got {status}"
        assert secret(f"mv/{VICTIM}.cfg") not in body

    @pytest.mark.parametrize("path", [f"/mvmap/{ATTACKER}.var", f"/mvmap/{ATTACKER}"])
    def test_type_map_of_the_own_name_pointing_at_the_victim_is_refused(
            self, pki, subreq_httpd, denials, expect_log, path):
        expect_log.append(r"AH00690|AH00687")   # mod_negotiation: no acceptable variant
        status, _, body = dav(pki, subreq_httpd, "GET", path, "attacker")
        assert status in (403, 404, 406), f"expected a refusal, got {status}"
        assert secret(f"mvmap/{VICTIM}.cfg") not in body


class TestServerSideInclude:
    def test_include_of_another_phones_file_is_refused(self, pki, subreq_httpd,
                                                       denials, expect_log):
        expect_log.append(r"unable to include")   # mod_include, no id
        page = f"/ssi/{ATTACKER}.shtml"
        put = dav(pki, subreq_httpd, "PUT", f"/ssi/{VICTIM}.cfg", "valid",
                  body=b"victim's secret\n")[0]
        assert put in (201, 204)
        put = dav(pki, subreq_httpd, "PUT", page, "attacker",
                  body=f'<!--#include virtual="{VICTIM}.cfg" -->\n'.encode())[0]
        assert put in (201, 204)
        status, _, body = dav(pki, subreq_httpd, "GET", page, "attacker")
        assert status == 200, f"expected 200, got {status}"
        assert b"victim's secret" not in body

    def test_include_of_the_phones_own_file(self, pki, subreq_httpd):
        page = f"/ssi/{ATTACKER}-own.shtml"
        dav(pki, subreq_httpd, "PUT", f"/ssi/{ATTACKER}.cfg", "attacker", body=b"mine\n")
        dav(pki, subreq_httpd, "PUT", page, "attacker",
            body=f'<!--#include virtual="{ATTACKER}.cfg" -->\n'.encode())
        status, _, body = dav(pki, subreq_httpd, "GET", page, "attacker")
        assert status == 200, f"expected 200, got {status}"
        assert b"mine" in body
