"""provauth-report, the fleet view: it merges two servers' JSON and an access
log per device (latest seen wins, counts add up, an untrusted certificate
never merges into the device whose MAC it claims), prints the table, CSV,
JSON and a self-contained HTML page, and as a monitoring plugin its exit
codes and status line match the fixture (t/e2e/fixtures/report, evaluated
--now 2026-01-01T00:00:00Z).  Then the same against two live servers over
HTTPS and the access log the package's LogFormat writes."""
import csv
import io
import json
import os
import re
import shutil

import pytest

from fleet import MIX, MIX_LOG, FleetServer, cert_fingerprint

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.environ.get("PROVAUTH_REPORT") or shutil.which("provauth-report") or \
    os.path.join(HERE, "..", "..", "provauth-report")
FIXTURES = os.path.join(HERE, "fixtures", "report")
A, B, LOG = (os.path.join(FIXTURES, name) for name in ("server-a.json", "server-b.json",
                                                       "fleet.log"))
NOW = ["--now", "2026-01-01T00:00:00Z"]

pytestmark = pytest.mark.skipif(not os.path.exists(REPORT),
                                reason="provauth-report is not built")


def report(*args):
    import subprocess
    return subprocess.run([REPORT, *args], capture_output=True, text=True, timeout=60)


def merged(*extra):
    result = report("--json", *NOW, A, B, "--log", LOG, *extra)
    assert result.returncode == 0, result.stderr
    return {d["key"]: d for d in json.loads(result.stdout)["devices"]}, result


def test_two_servers_and_a_log_merge_per_device():
    devices, result = merged()
    assert set(devices) == {"0004f2000101", "0004f2000102", "0004f2000103", "0004f2000104",
                            "001565000105", "ee" * 32}
    phone = devices["0004f2000101"]
    # server B saw it last: its client; both servers' requests counted
    assert phone["client"] == "10.0.0.2" and phone["granted"] == 7
    assert phone["first_seen"] == "2025-11-01T08:00:00Z"
    assert phone["last_seen"] == "2025-12-31T12:00:00Z"
    # the log's later request wins what it knows, the JSON keeps the rest
    seen_in_log = devices["0004f2000102"]
    assert seen_in_log["client"] == "10.0.0.3" and seen_in_log["granted"] == 2
    assert seen_in_log["last_seen"] == "2025-12-31T23:00:00Z"
    assert seen_in_log["not_after"] == "2026-01-21T00:00:00Z"
    assert seen_in_log["fingerprint"] == "02" * 32
    # only in the log: the issuing CA's organization stands in for the vendor
    only_log = devices["001565000105"]
    assert only_log["status"] == "EXPIRED" and only_log["vendor"] == "Yealink"
    assert only_log["days_left"] == -6
    # the impostor claiming 0004f2000101 stays apart, untrusted
    impostor = devices["ee" * 32]
    assert impostor["trusted"] is False and impostor["mac"] == "0004f2000101"
    assert impostor["denied"] == 3
    assert "1 access log lines are not in the provauth_fleet format" in result.stderr


def test_table_is_sorted_by_urgency():
    result = report(*NOW, A, B, "--log", LOG)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["DEVICE", "VENDOR", "STATUS", "URGENCY"]
    order = [line.split()[0] for line in lines[1:-1]]
    assert order[0] == "~0004f2000101"                      # refused
    assert order[1:3] == ["0004f2000103", "001565000105"]   # expired, longest ago first
    assert order[3:] == ["0004f2000101", "0004f2000102", "0004f2000104"]   # by days left
    assert lines[-1] == "6 devices from 3 sources"


def test_csv_has_every_field_and_disarms_formulas(tmp_path):
    evil = dict(json.load(open(A)))
    evil["devices"] = [dict(evil["devices"][3], subject="=HYPERLINK(\"http://x\")")]
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(evil))
    result = report("--csv", *NOW, str(path))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1 and rows[0]["subject"].startswith("'=HYPERLINK")
    result = report("--csv", *NOW, A, B, "--log", LOG)
    rows = {row["device"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["0004f2000103"]["forgave_expiry"] == "1"
    assert rows["0004f2000101"]["days_left"] == "10"
    assert rows["0004f2000101"]["granted"] == "7"


def test_html_page_is_self_contained_with_a_chart_per_vendor(tmp_path):
    result = report("--html", *NOW, A, B, "--log", LOG)
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count("<svg") == 2                     # Poly and Yealink
    assert "Poly: 4 trusted devices, 1 expired, 2 expiring within 90 days" in page
    assert "<title>2026-01: 2 devices</title>" in page
    (tmp_path / "fleet.html").write_text(page)


@pytest.mark.parametrize("args, code, state", [
    (["--warn", "30", "--crit", "14"], 2, "CRITICAL"),
    (["--warn", "30", "--crit", "14", "--ignore-expired"], 2, "CRITICAL"),
    (["--warn", "30", "--crit", "5", "--ignore-expired"], 1, "WARNING"),
    (["--warn", "5", "--crit", "2", "--ignore-expired"], 0, "OK"),
    (["--warn", "5", "--crit", "2"], 2, "CRITICAL"),
])
def test_plugin_exit_codes_match_the_fixture(args, code, state):
    result = report(*args, *NOW, A, B, "--log", LOG)
    assert result.returncode == code, result.stdout + result.stderr
    line = result.stdout.strip()
    assert "\n" not in line
    assert line.startswith(f"PROVAUTH {state} - ")
    status, perfdata = line.split(" | ")
    assert "6 devices (5 trusted) from 3 sources" in status
    fields = dict(item.split("=", 1) for item in perfdata.split())
    assert fields["devices"] == "6;;;0" and fields["expired"] == "2;;;0"
    assert fields["min_days_left"].startswith("-214;")   # 0004f2000103: June 2025


def test_plugin_is_unknown_without_its_sources_and_on_bad_usage():
    result = report("--warn", "5", "--crit", "2", "--ignore-expired", *NOW, A,
                    os.path.join(FIXTURES, "missing.json"))
    assert result.returncode == 3 and result.stdout.startswith("PROVAUTH UNKNOWN")
    assert "could not read" in result.stdout
    # a CRITICAL fleet stays CRITICAL even with a source missing
    result = report("--warn", "30", "--crit", "14", *NOW, A,
                    os.path.join(FIXTURES, "missing.json"))
    assert result.returncode == 2
    assert report("--warn", "14", "--crit", "30", A).returncode == 3
    assert report("--warn", "30", A).returncode == 3


def test_usage_errors_and_unreadable_sources():
    assert report().returncode == 2
    assert report("--bogus", A).returncode == 2
    assert report("--now", "yesterday", A).returncode == 2
    # a second --now would count from the first one: refused, as --at is
    twice = report("--now", "+1", "--now", "+2", A)
    assert twice.returncode == 2 and "--now given twice" in twice.stderr
    result = report(A, os.path.join(FIXTURES, "missing.json"))
    assert result.returncode == 1 and "missing.json" in result.stderr
    result = report(LOG)                                  # a log given as JSON
    assert result.returncode == 1 and "not a provauth-status JSON document" in result.stderr
    assert "an access log goes with --log" in result.stderr
    help_text = report("--help").stdout
    man = open(os.path.join(HERE, "..", "..", "tools", "provauth-report.1")).read()
    for option in re.findall(r"--[a-z-]+", help_text):
        assert option.replace("-", r"\-") in man, f"{option} is not in the man page"


# ---- live: two servers over HTTPS and the access log they write ----------

@pytest.fixture(scope="module")
def servers(workdir, pki):
    a = FleetServer(workdir, pki, "fleet-report-a").start()
    b = FleetServer(workdir, pki, "fleet-report-b").start()
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def expect_log():
    return list(MIX_LOG)


def test_live_servers_and_their_access_log_merge(servers, pki):
    a, b = servers
    a.send_mix(MIX[:5], times=1)
    b.send_mix(MIX[3:], times=2)        # the yealink and self-signed phones on both
    a.wait_for(lambda doc: len(doc["devices"]) >= 5)
    b.wait_for(lambda doc: len(doc["devices"]) >= len(MIX) - 3)
    result = report("--json", "--cacert", pki.path("server-ca.pem"),
                    f"https://localhost:{a.port}/provauth-status",
                    f"https://localhost:{b.port}/provauth-status?json",
                    "--log", os.path.join(a.root, "fleet.log"), "--curl",
                    shutil.which("curl"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    devices = {d["key"]: d for d in doc["devices"]}
    assert len(doc["sources"]) == 3
    assert len(devices) == len(MIX)
    yealink = devices["001565000010"]
    # one request on A, two on B, and A's log line again
    assert yealink["granted"] == 1 + 2 + 1 and yealink["vendor"] == "Yealink"
    impostor = devices[cert_fingerprint(pki, "selfsigned-victim")]
    assert impostor["trusted"] is False and devices["0004f2000001"]["denied"] == 0
    # the plugin over the same sources: the expired phone makes it CRITICAL
    plugin = report("--warn", "30", "--crit", "14", "--cacert", pki.path("server-ca.pem"),
                    f"https://localhost:{a.port}/provauth-status",
                    f"https://localhost:{b.port}/provauth-status")
    assert plugin.returncode == 2 and plugin.stdout.startswith("PROVAUTH CRITICAL")


def test_unreachable_server_is_reported_not_fatal(servers, pki):
    a, _ = servers
    result = report("--cacert", pki.path("server-ca.pem"), "--timeout", "5",
                    f"https://localhost:{a.port}/provauth-status", "https://127.0.0.1:1/")
    assert result.returncode == 1
    assert "https://127.0.0.1:1/" in result.stderr
