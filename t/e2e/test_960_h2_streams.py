"""HTTP/2 streams share their connection's certificate and verdict cache:
many streams in flight at once, to directories with different trust
configurations and to files of different phones, each get the answer a
connection of their own would get.  A per-request decision must not leak
into a concurrent stream (a grant for the phone's own file into another
phone's, a trusted verdict under one root into a directory pinned to
another)."""
import pytest

from attack_server import ATTACKER, DENIALS, VICTIM, h2_available, h2_streams, request

pytestmark = pytest.mark.skipif(not h2_available(),
                                reason="mod_http2 or python3-h2 not installed")

PATHS = [f"/cfg/{ATTACKER}.cfg", f"/cfg/{VICTIM}.cfg", f"/pinned/{ATTACKER}.cfg",
         f"/pinned/{VICTIM}.cfg", f"/yea/{ATTACKER}.cfg", "/open/shared.cfg",
         f"/dav/{VICTIM}-phone.cfg", f"/cfg/{ATTACKER}.cfg;{VICTIM}",
         f"/am/{VICTIM}/{ATTACKER}", "/cfg/000000000000.cfg"]


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS + [r"AH00128"])


def one_connection_each(pki, server, device):
    return [request(pki, server, "GET", path, device)[0] for path in PATHS]


@pytest.mark.parametrize("device", ["attacker", "yealink", "selfsigned", "expired"])
def test_streams_in_flight_get_the_answers_of_separate_connections(
        pki, attack_httpd, denials, device):
    expected = one_connection_each(pki, attack_httpd, device)
    requests = [("localhost", path) for path in PATHS] * 5
    got = h2_streams(pki, attack_httpd, device, "atk", "localhost", requests)
    assert got == expected * 5, f"{device}: separately {expected}, as streams {got}"


def test_control_the_answers_differ_by_device_and_path(pki, attack_httpd, denials):
    attacker = one_connection_each(pki, attack_httpd, "attacker")
    yealink = one_connection_each(pki, attack_httpd, "yealink")
    assert attacker[:5] == [200, 403, 200, 403, 403], attacker
    assert attacker != yealink, (attacker, yealink)
