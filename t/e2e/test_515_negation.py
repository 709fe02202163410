"""`Require not` and <RequireNone> over the provauth providers, with real
devices: a grant negated is a refusal, logged as PA00101 with "negated:"
and the reason the provider granted; a denial negated is neutral.
`Require not provauth-device` refuses trusted devices (valid, expired) and
serves any other client; a block list (`Require provauth-mac` with a negated
`provauth-allowlist`, as `Require not` and as <RequireNone>) refuses a listed
device its own file, serves an unlisted one only its own, and lets nothing
through for a device without a MAC or without trust.  Internal errors under
a negation are not tested here: test_959 reaches one from a client, and
t/unit/test_decision.c checks that every internal-error path ends as an
error, never as a denial."""
import pytest

from clients import get
from subreq_client import LogWatch
from subreq_server import ATTACKER, VICTIM


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


def fetch(pki, server, path, device):
    return get(pki, server.ports["sub"], path, device)


class TestNotProvauthDevice:
    @pytest.mark.parametrize("device", ["valid", "expired"])
    def test_trusted_device_is_refused(self, pki, subreq_httpd, denials, device):
        watch = LogWatch(subreq_httpd)
        reply = fetch(pki, subreq_httpd, "/notdev/page.html", device)
        assert reply.status == 403, f"expected 403, got {reply}"
        assert watch.wait_for(r"PA00101: denied by Require provauth-device: negated: "
                              r"a trusted device"), "\n".join(watch.lines())

    @pytest.mark.parametrize("device", [None, "selfsigned", "wrongvendor"])
    def test_anything_but_a_trusted_device_is_served(self, pki, subreq_httpd, device):
        reply = fetch(pki, subreq_httpd, "/notdev/page.html", device)
        assert reply.status == 200, f"expected 200, got {reply}"


class TestBlockList:
    @pytest.mark.parametrize("directory", ["blocked", "blocknone"])
    def test_listed_device_is_refused_its_own_file(self, pki, subreq_httpd, denials,
                                                   directory):
        watch = LogWatch(subreq_httpd)
        reply = fetch(pki, subreq_httpd, f"/{directory}/{VICTIM}.cfg", "valid")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert watch.wait_for(r"PA00101: denied by Require provauth-allowlist: negated: "
                              r"MAC " + VICTIM + " is in the allow-list"), \
            "\n".join(watch.lines())

    @pytest.mark.parametrize("directory", ["blocked", "blocknone"])
    def test_unlisted_device_gets_its_own_file(self, pki, subreq_httpd, directory):
        reply = fetch(pki, subreq_httpd, f"/{directory}/{ATTACKER}.cfg", "attacker")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_unlisted_device_still_only_gets_its_own_file(self, pki, subreq_httpd,
                                                          denials):
        reply = fetch(pki, subreq_httpd, f"/blocked/{VICTIM}.cfg", "attacker")
        assert reply.status == 403, f"expected 403, got {reply}"

    @pytest.mark.parametrize("device", ["cn-empty", "selfsigned"])
    def test_device_without_a_mac_or_trust_is_not_let_through_by_the_negation(
            self, pki, subreq_httpd, denials, device):
        reply = fetch(pki, subreq_httpd, f"/blocked/{ATTACKER}.cfg", device)
        assert reply.status == 403, f"expected 403, got {reply}"
