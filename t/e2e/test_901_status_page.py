"""The status handler's HTML page, rendered by a real headless browser
(Debian's chromium): its sections are there, certificate fields an attacker
chose are shown as text, and the browser reports no script or policy error.
The screenshot stays in the test's work directory (PROVAUTH_KEEP=1 keeps it)."""
import os
import re
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

import pki as pki_module
from fleet import MIX, MIX_LOG, FleetServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL_CN = '<img src=x onerror="alert(1)">0004f20000ee'


@pytest.fixture(scope="module")
def fleet(workdir, pki):
    server = FleetServer(workdir, pki, "fleet-page").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def evil_device(pki):
    """A self-signed certificate whose subject is markup."""
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "<b>Evil & Co</b>"),
                      x509.NameAttribute(NameOID.COMMON_NAME, EVIL_CN)])
    cert = pki_module._build(name, pki.device_key, None, pki_module.NOW - pki_module.DAY,
                             pki_module.NOW + pki_module.YEAR, ca=False,
                             eku=[x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH])
    pki.devices["evil"] = cert
    pki._write("evil.crt", [cert])
    pki._write("evil.chain.pem", [cert])
    return "evil"


@pytest.fixture(scope="module")
def page_ready(fleet, evil_device):
    fleet.send_mix(MIX + [(evil_device, "/polycom/0004f2000001.cfg", 403, "FAILED")])
    fleet.wait_for(lambda doc: len(doc["devices"]) >= len(MIX) + 1)
    return fleet


@pytest.fixture
def expect_log():
    return list(MIX_LOG)


def chromium(fleet, *args):
    # As root the browser's sandbox is unavailable; the page is our own.
    cmd = [CHROMIUM, "--headless=new", "--disable-gpu", "--no-first-run",
           "--ignore-certificate-errors", "--enable-logging=stderr", "--v=0",
           "--window-size=1400,1600", *args,
           f"https://127.0.0.1:{fleet.port}/provauth-status"]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, HOME=os.path.join(fleet.root, "chromium-home")))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/deps test)")
def test_page_renders_in_a_real_browser_without_script_errors(page_ready):
    shot = os.path.join(page_ready.root, "provauth-status.png")
    result = chromium(page_ready, f"--screenshot={shot}")
    assert os.path.exists(shot) and os.path.getsize(shot) > 10000, result.stderr[-3000:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert not console, "the browser reported:\n" + "\n".join(console)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/deps test)")
def test_rendered_page_has_every_section_and_escapes_certificate_fields(page_ready):
    result = chromium(page_ready, "--dump-dom")
    dom = result.stdout
    for heading in ["Devices by vendor and status", "Certificate expiry",
                    "Expired or expiring within 90 days", "Denials in the last 7 days",
                    "Enrollment candidates", "Would-be denials"]:
        assert heading in dom, f"{heading!r} missing from the rendered page"
    for mac in ["0004f2000001", "0004f2000002", "0004f20000aa", "0004f2000004"]:
        assert mac in dom
    assert "Would-be denials (report-only) (1)" in dom and "0004f200000d" in dom
    # the pin line of the self-signed phone that claims a MAC
    assert re.search(r"<code>0004f2000004 [0-9a-f]{64}</code>", dom)
    # markup from a certificate is text, never elements
    assert "<img" not in dom and "<b>Evil" not in dom
    assert "&lt;img src=x onerror=" in dom
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in dom


def test_page_headers_allow_no_script_and_no_caching(page_ready):
    result = subprocess.run(["curl", "-s", "-D", "-", "-o", os.devnull, "--cacert",
                             page_ready.pki.path("server-ca.pem"), "--resolve",
                             f"localhost:{page_ready.port}:127.0.0.1",
                             f"https://localhost:{page_ready.port}/provauth-status"],
                            capture_output=True, text=True, check=True)
    headers = result.stdout.lower()
    assert "content-type: text/html; charset=utf-8" in headers
    assert "content-security-policy: default-src 'none'; style-src 'unsafe-inline'" in headers
    assert "x-content-type-options: nosniff" in headers
    assert "cache-control: no-store" in headers
