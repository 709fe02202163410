"""mod_status's server-status shows the module's counters, in its HTML page
and in `?auto` for the monitoring that scrapes it: handshakes rescued from
expiry, requests by status, denials by reason, registry size and misses."""
import pytest

from fleet import MIX, MIX_LOG, FleetServer


@pytest.fixture(scope="module")
def fleet(workdir, pki):
    server = FleetServer(workdir, pki, "fleet-mod-status").start()
    server.send_mix()
    server.wait_for(lambda doc: len(doc["devices"]) >= len(MIX))
    yield server
    server.stop()


@pytest.fixture
def expect_log():
    return list(MIX_LOG)


def test_auto_report_counts_the_mix(fleet):
    auto = fleet.server_status()
    # each phone asked twice; the expired, the not-yet-valid and the pinned
    # expired phone needed the handshake's forgiveness of their dates
    assert auto["ProvAuthHandshakesRescued"] == "3"
    assert auto["ProvAuthRequestsValid"] == str(2 * 4)    # valid, yealink, attacker, cn-colons
    assert auto["ProvAuthRequestsExpired"] == "2"
    assert auto["ProvAuthRequestsNotYetValid"] == "2"
    assert auto["ProvAuthRequestsFailed"] == str(2 * 3)
    assert auto["ProvAuthRequestsPinned"] == "2"
    assert auto["ProvAuthDenialsUntrusted"] == str(2 * 3)
    assert auto["ProvAuthDenialsMACNotInPath"] == "2"
    assert auto["ProvAuthDenialsNoCertificate"] == "0"
    assert auto["ProvAuthWouldDeny"] == "2"
    assert auto["ProvAuthRegistry"] == "on"
    assert auto["ProvAuthRegistryRecords"] == str(len(MIX))
    assert auto["ProvAuthRegistryWrites"] == str(len(MIX))
    assert auto["ProvAuthRegistryMisses"] == "0"
    # mod_status's own lines are still there
    assert "Total Accesses" in auto and "BusyWorkers" in auto


def test_request_without_certificate_is_counted_by_reason(fleet):
    before = fleet.server_status()
    fleet.get("/polycom/0004f2000001.cfg")     # curl, no client certificate
    after = fleet.server_status()
    assert int(after["ProvAuthRequestsNoCertificate"]) == \
        int(before["ProvAuthRequestsNoCertificate"]) + 1
    assert int(after["ProvAuthDenialsNoCertificate"]) == \
        int(before["ProvAuthDenialsNoCertificate"]) + 1
    assert after["ProvAuthRegistryRecords"] == before["ProvAuthRegistryRecords"]


def test_html_report_has_a_section_of_its_own(fleet):
    page = fleet.get("/server-status")
    assert "<h2>mod_provauth</h2>" in page
    assert "TLS handshakes rescued from expiry</td><td>3</td>" in page
    assert "registry records</td><td>" in page
