"""Review of the time-parser dedupe (1aba64e): provauth-report reads the
provauth_fleet access log, whose LogFormat writes the time with its zone
(%z).  docs/provauth-report.md: "Lines in other formats are skipped and
counted on standard error."  A log whose time has no zone (a LogFormat
without %z: the server's local time) is such another format; read as UTC
it would shift last_seen and not_after by the server's UTC offset without
a word.  Before the dedupe the reader required the zone."""
import json
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.environ.get("PROVAUTH_REPORT") or shutil.which("provauth-report") or \
    os.path.join(HERE, "..", "..", "provauth-report")

pytestmark = pytest.mark.skipif(not os.path.exists(REPORT),
                                reason="provauth-report is not built")

FIELDS = ('192.0.2.7 200 "VALID" "0004f2000001" "100" "0A1B" '
          '"CN=Poly Issuing CA,O=Poly" "CN=0004f2000001,O=Poly" "-" "-" '
          '"GET /polycom/0004f2000001.cfg HTTP/1.1"')


def run(tmp_path, when):
    log = tmp_path / "fleet.log"
    log.write_text(f"{when} {FIELDS}\n")
    return subprocess.run([REPORT, "--json", "--now", "2025-11-25T00:00:00Z",
                           "--log", str(log)], capture_output=True, text=True, timeout=60)


def test_a_time_with_its_zone_is_read(tmp_path):
    result = run(tmp_path, "2025-11-24T18:00:00+0100")
    assert result.returncode == 0, result.stderr
    devices = json.loads(result.stdout)["devices"]
    assert [d["last_seen"] for d in devices] == ["2025-11-24T17:00:00Z"]


@pytest.mark.parametrize("when", ["2025-11-24T18:00:00", "2025-11-24"])
def test_a_time_without_zone_is_another_format_and_skipped(tmp_path, when):
    result = run(tmp_path, when)
    devices = json.loads(result.stdout)["devices"] if result.stdout else []
    assert devices == [], f"'{when}' read as UTC: {devices}"
    assert "skipped" in result.stderr, result.stderr
