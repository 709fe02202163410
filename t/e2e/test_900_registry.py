"""The device registry, through the status handler's JSON: after a mix of
phones each device has one record with the right fields, written once per
connection; an untrusted certificate claiming a trusted phone's MAC never
touches that phone's record; records survive a graceful restart."""
import os
import subprocess
import time

import pytest

from fleet import (ISO, MIX, MIX_LOG, FleetServer, by_key, cert_fingerprint,
                   devices_with_mac)
from httpd import APACHE2
from tls_session import graceful


@pytest.fixture(scope="module")
def fleet(workdir, pki):
    server = FleetServer(workdir, pki, "fleet-registry").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def after_mix(fleet):
    """The registry once every phone of the mix has been recorded."""
    fleet.mix_replies = fleet.send_mix()
    expected = len(MIX)
    return fleet.wait_for(lambda doc: len(doc["devices"]) >= expected
                          and sum(d["granted"] + d["denied"] for d in doc["devices"])
                          >= 2 * expected)


@pytest.fixture
def expect_log():
    return list(MIX_LOG)


def test_the_mix_gets_what_it_always_got(fleet, after_mix):
    for device, _, code, status in MIX:
        for reply in fleet.mix_replies[device]:
            assert reply.status == code, f"{device}: {reply}"
            assert reply.headers.get("x-provauth-status") == status, f"{device}: {reply}"


def test_each_device_has_one_record_keyed_by_mac_or_fingerprint(pki, after_mix):
    records = by_key(after_mix)
    assert len(after_mix["devices"]) == len(MIX), after_mix["devices"]
    for mac in ["0004f2000001", "0004f2000002", "0004f2000003", "001565000010",
                "0004f20000aa", "0004f2000005", "0004f200000d"]:
        assert records[mac]["key_kind"] == "mac" and records[mac]["trusted"], records[mac]
    for device in ["selfsigned", "wrongvendor", "selfsigned-victim"]:
        record = records[cert_fingerprint(pki, device)]
        assert record["key_kind"] == "fingerprint" and not record["trusted"], record
        assert record["status"] == "FAILED", record


def test_valid_phone_record_has_every_field(pki, after_mix):
    record = by_key(after_mix)["0004f2000001"]
    cert = pki.devices["valid"]
    assert record["status"] == "VALID" and record["urgency"] == "ok"
    assert record["mac"] == "0004f2000001"
    assert record["fingerprint"] == cert_fingerprint(pki, "valid")
    assert int(record["serial"], 16) == cert.serial_number
    assert record["issuer"] == "CN=Poly Test Issuing CA,O=Poly"
    assert record["root"] == "CN=Poly Test Root CA,O=Poly"
    assert record["vendor"] == "Poly"
    assert record["subject"] == "CN=0004f2000001,O=Poly"
    assert record["not_after"] == cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 3640 <= record["days_left"] <= 3650
    assert ISO.match(record["first_seen"]) and ISO.match(record["last_seen"])
    assert record["first_seen"] <= record["last_seen"]
    assert (record["granted"], record["denied"], record["would_deny"]) == (2, 0, 0)
    assert record["last_denied"] is None and record["last_reason"] is None
    assert record["client"] == "127.0.0.1"
    assert record["forgave_expiry"] is False and record["self_signed"] is False


def test_expired_and_not_yet_valid_phones_needed_expiry_forgiveness(after_mix):
    records = by_key(after_mix)
    expired, notyet = records["0004f2000002"], records["0004f2000003"]
    assert expired["status"] == "EXPIRED" and expired["urgency"] == "expired"
    assert expired["days_left"] < -300 and expired["not_after"] == "2024-12-01T00:00:00Z"
    assert expired["forgave_expiry"] is True and expired["granted"] == 2
    assert notyet["status"] == "NOT_YET_VALID" and notyet["forgave_expiry"] is True


def test_second_vendor_is_its_own_vendor(after_mix):
    record = by_key(after_mix)["001565000010"]
    assert record["vendor"] == "Yealink" and record["root"] == "CN=Yealink Test Root CA,O=Yealink"


def test_pinned_self_signed_phone_is_trusted_by_its_mac(pki, after_mix):
    record = by_key(after_mix)["0004f2000005"]
    assert record["status"] == "PINNED" and record["trusted"] and record["urgency"] == "ok"
    assert record["self_signed"] is True and record["granted"] == 2
    assert record["fingerprint"] == cert_fingerprint(pki, "selfsigned-expired")
    assert record["days_left"] < 0 and record["not_after"] == "2024-12-01T00:00:00Z"


def test_self_signed_phone_is_an_enrollment_candidate(pki, after_mix):
    record = by_key(after_mix)[cert_fingerprint(pki, "selfsigned")]
    assert record["mac"] == "0004f2000004"          # the MAC it claims
    assert record["self_signed"] is True
    assert record["root"] == record["subject"] == record["issuer"]
    assert record["denied"] == 2 and record["granted"] == 0
    assert record["last_reason"].startswith("self-signed certificate")
    assert record["urgency"] == "refused" and ISO.match(record["last_denied"])


def test_foreign_vendor_chain_ends_at_its_own_ca(pki, after_mix):
    record = by_key(after_mix)[cert_fingerprint(pki, "wrongvendor")]
    assert record["vendor"] == "Other" and "Other Vendor" in record["root"]
    assert record["last_reason"].startswith("unable to get local issuer certificate")
    assert record["self_signed"] is False


def test_untrusted_certificate_claiming_a_mac_never_overwrites_its_record(pki, after_mix):
    claims = devices_with_mac(after_mix, "0004f2000001")
    trusted = [d for d in claims if d["trusted"]]
    impostors = [d for d in claims if not d["trusted"]]
    assert len(trusted) == 1 and len(impostors) == 1, claims
    genuine = trusted[0]
    assert genuine["fingerprint"] == cert_fingerprint(pki, "valid")
    assert genuine["status"] == "VALID" and genuine["denied"] == 0
    assert genuine["last_reason"] is None
    assert impostors[0]["key"] == cert_fingerprint(pki, "selfsigned-victim")


def test_genuine_phone_asking_for_another_phones_file_is_recorded_as_denied(after_mix):
    record = by_key(after_mix)["0004f20000aa"]
    assert record["status"] == "VALID" and record["denied"] == 2 and record["granted"] == 0
    assert record["last_reason"] == "MAC 0004f20000aa is not in the requested file name"
    assert record["urgency"] == "refused"


def test_report_only_refusals_are_recorded_as_would_be_denials(after_mix):
    record = by_key(after_mix)["0004f200000d"]
    assert record["status"] == "VALID" and record["urgency"] == "would-be-refused"
    assert (record["granted"], record["denied"], record["would_deny"]) == (0, 0, 2)
    assert record["last_reason"].startswith("MAC 0004f200000d is not in the requested")
    assert record["last_denied"] is None


def test_one_write_per_connection_whatever_its_request_count(fleet, after_mix):
    before = fleet.registry()["counters"]["registry_writes"]
    fleet.send_mix([MIX[0]], times=5)
    doc = fleet.wait_for(lambda d: d["counters"]["registry_writes"] > before)
    time.sleep(0.5)
    doc = fleet.registry()
    assert doc["counters"]["registry_writes"] == before + 1
    assert by_key(doc)["0004f2000001"]["granted"] == 2 + 5
    assert doc["counters"]["registry_misses"] == 0


def test_records_survive_a_graceful_restart(fleet, after_mix, expect_log):
    expect_log.append(r"AH01882")   # mod_ssl's build/runtime OpenSSL note, at restart
    before = by_key(fleet.registry())
    log = fleet.httpd.read_log()
    graceful(fleet.httpd)
    after = by_key(fleet.registry())
    assert after.keys() == before.keys()
    for key, record in before.items():
        for field in ["first_seen", "last_seen", "granted", "denied", "status"]:
            assert after[key][field] == record[field], (key, field)
    assert "PA00073" in fleet.httpd.read_log()[len(log):]


def test_records_survive_a_restart_too(fleet, after_mix, expect_log):
    expect_log.append(r"AH01882")
    before = by_key(fleet.registry())
    log = fleet.httpd.read_log()
    restarted = log.count("resuming normal operations")
    subprocess.run([APACHE2, "-f", fleet.httpd.conf, "-k", "restart"], check=True,
                   capture_output=True)
    deadline = time.time() + 15
    while fleet.httpd.read_log().count("resuming normal operations") <= restarted:
        assert time.time() < deadline, "no restart"
        time.sleep(0.05)
    after = by_key(fleet.registry())
    assert after.keys() == before.keys()
    assert all(after[k]["granted"] == before[k]["granted"] for k in before)


def test_status_handler_answers_get_only(fleet):
    reply = subprocess.run(["curl", "-s", "-o", os.devnull, "-w", "%{http_code}", "-X",
                            "POST", "--cacert", fleet.pki.path("server-ca.pem"),
                            "--resolve", f"localhost:{fleet.port}:127.0.0.1",
                            f"https://localhost:{fleet.port}/provauth-status?json"],
                           capture_output=True, text=True)
    assert reply.stdout == "405"
