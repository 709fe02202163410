"""Sub-requests, internal redirects and server-level URL mappings that lead
from a URL a phone may use to another phone's file: ErrorDocument (403 and
404, same and other directory), an index name in another directory,
MultiViews, mod_include (file, virtual, fsize, flastmod), mod_autoindex,
server-level RewriteRule (to a file, with [PT], from the query string) and
AliasMatch.  Each has a control showing the same mechanism serves the
phone's own file."""
import pytest

from attack_server import ATTACKER, DENIALS, VICTIM, request, secret

VICTIM_CFG = secret(f"cfg/{VICTIM}.cfg")


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS)


def get(pki, server, path, device="attacker"):
    return request(pki, server, "GET", path, device)


class TestErrorDocument:
    @pytest.mark.parametrize("path", [f"/e403/{VICTIM}.cfg",          # 403
                                      f"/e403/{ATTACKER}-missing.cfg",  # 404
                                      f"/eother/{ATTACKER}-missing.cfg"])
    def test_error_document_of_another_phone_is_not_served(self, pki, attack_httpd,
                                                           denials, path):
        status, _, body = get(pki, attack_httpd, path)
        assert status in (403, 404), f"{path}: {status}"
        assert b"secret of" not in body, f"{path} served {body!r}"

    def test_control_error_document_the_phone_may_read(self, pki, attack_httpd):
        status, _, body = get(pki, attack_httpd, f"/e403/{VICTIM}-missing.cfg", "valid")
        assert (status, body) == (404, secret(f"e403/{VICTIM}.cfg"))


class TestDirectoryIndex:
    def test_index_name_in_another_directory_is_not_served(self, pki, attack_httpd,
                                                           denials):
        status, _, body = get(pki, attack_httpd, f"/idx/{ATTACKER}/")
        assert status in (403, 404), status
        assert VICTIM_CFG not in body

    def test_control_index_the_phone_may_read(self, pki, attack_httpd):
        status, _, body = get(pki, attack_httpd, f"/idx/{VICTIM}/", "valid")
        assert (status, body) == (200, VICTIM_CFG)


class TestMultiViews:
    def test_variant_of_another_phone_is_not_served(self, pki, attack_httpd, denials):
        status, _, body = get(pki, attack_httpd, f"/mv/{VICTIM}")
        assert status == 403 and b"secret" not in body, f"{status} {body!r}"

    def test_control_own_variant(self, pki, attack_httpd):
        status, _, body = get(pki, attack_httpd, f"/mv/{ATTACKER}")
        assert (status, body) == (200, secret(f"mv/{ATTACKER}.cfg"))


class TestInclude:
    @pytest.mark.parametrize("page", ["file", "virtual", "other-dir", "fsize"])
    def test_include_of_another_phones_file_shows_nothing_of_it(
            self, pki, attack_httpd, denials, expect_log, page):
        expect_log.append(r"unable to (include|lookup information|get information)")
        status, _, body = get(pki, attack_httpd, f"/inc/{ATTACKER}-{page}.shtml")
        assert status == 200, f"{page}: {status}"
        assert b"secret" not in body, body
        assert b"[an error occurred" in body, body
        # fsize/flastmod of the victim's file would give its size and date
        assert f" {len(secret(f'inc/{VICTIM}.cfg'))} ".encode() not in body, body

    def test_control_include_of_the_own_file(self, pki, attack_httpd):
        status, _, body = get(pki, attack_httpd, f"/inc/{ATTACKER}-own.shtml")
        own = secret(f"inc/{ATTACKER}.cfg")
        assert status == 200 and own in body, body
        assert f"[ {len(own)} ]".encode() in body, body


class TestAutoindex:
    def test_listing_leaves_out_other_phones_files(self, pki, attack_httpd, denials):
        status, _, body = get(pki, attack_httpd, "/ai/")
        assert status == 200, status
        assert f"{ATTACKER}.cfg".encode() in body, body        # control
        assert f"{VICTIM}.cfg".encode() not in body, body


class TestServerLevelMappings:
    """The URL names the attacker; what it is mapped to is the victim's file."""

    @pytest.mark.parametrize("path", [
        f"/drop/{VICTIM}/{ATTACKER}",                 # RewriteRule to a file
        f"/ptdrop/{VICTIM}/{ATTACKER}",               # RewriteRule [PT]
        f"/am/{VICTIM}/{ATTACKER}",                   # AliasMatch
        f"/am/{VICTIM}-{ATTACKER}",
        f"/qs/{ATTACKER}.cfg?mac={VICTIM}",           # the query string picks the file
    ])
    def test_mapping_to_another_phones_file_is_refused(self, pki, attack_httpd, denials,
                                                       path):
        status, _, body = get(pki, attack_httpd, path)
        assert status == 403, f"{path}: expected 403, got {status}"
        assert VICTIM_CFG not in body

    def test_refusal_names_the_mapping(self, pki, attack_httpd, denials):
        attack_httpd.new_log_lines()
        get(pki, attack_httpd, f"/drop/{VICTIM}/{ATTACKER}")
        attack_httpd.settle()
        lines = [line for line in attack_httpd.new_log_lines() if "PA00101" in line]
        assert len(lines) == 1, lines
        assert ("MAC 0004f20000aa is in the requested file name, but the file it is "
                "mapped to is named after another device") in lines[0], lines[0]

    @pytest.mark.parametrize("path", [f"/drop/{ATTACKER}/{ATTACKER}",
                                      f"/ptdrop/{ATTACKER}/{ATTACKER}",
                                      f"/am/{ATTACKER}",
                                      f"/qs/{ATTACKER}.cfg?mac={ATTACKER}"])
    def test_control_mapping_to_the_own_file(self, pki, attack_httpd, path):
        status, _, body = get(pki, attack_httpd, path)
        assert (status, body) == (200, secret(f"cfg/{ATTACKER}.cfg")), path

    def test_control_mapping_of_the_own_name_to_a_shared_file(self, pki, attack_httpd):
        # The placeholder 000000000000 names no device (and its <Files>
        # section opens it to every phone).
        status, _, body = get(pki, attack_httpd, f"/am/000000000000/{ATTACKER}")
        assert (status, body) == (200, secret("cfg/000000000000.cfg"))
