"""ProvAuthReportOnly On: a Require provauth-* line that would refuse a
request grants it instead, logs PA00120 (the would-be PA00101, marked as
not enforced) and sets PROVAUTH_WOULD_DENY; what would be granted is
unchanged and logs nothing; the other variables stay truthful; an internal
error is still an error."""
import os
import re
import time

import pytest

from clients import get
from conftest import module_path
from httpd import BASE_MODULES, Httpd, free_port, make_world_readable, module_available

def serial_hex(cert):
    """The serial as the module writes it (OpenSSL's BN_bn2hex: upper case,
    an even number of digits)."""
    digits = f"{cert.serial_number:X}"
    return digits if len(digits) % 2 == 0 else "0" + digits


VICTIM, ATTACKER = "0004f2000001", "0004f20000aa"

FILES = {
    "ro/dev": [f"{VICTIM}.cfg"],
    "ro/poly": [f"{VICTIM}.cfg", f"{ATTACKER}.cfg", "000000000000.cfg"],
    "ro/poly/enforced": [f"{VICTIM}.cfg"],
    "ro/allow": [f"{VICTIM}.cfg", f"{ATTACKER}.cfg"],
    "ro/not": ["page.html"],
    "ro/err": [f"{VICTIM}.cfg"],
    "ro/recipe": [f"{VICTIM}.cfg", f"{ATTACKER}.cfg"],
    "vh": [f"{VICTIM}.cfg"],
    "ht": [f"{VICTIM}.cfg"],
}


@pytest.fixture(scope="module")
def report_httpd(workdir, pki):
    ports = {"ro": free_port(), "vh": free_port()}
    modules = BASE_MODULES + (["rewrite"] if module_available("rewrite") else [])
    tls = f"""
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5
    ProvAuthAcceptExpired On
    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"""
    rewrite = ""
    if module_available("rewrite"):
        # A path whose PATH_INFO is not the tail of the URL: the served path
        # cannot be determined, an internal error of Require provauth-mac.
        rewrite = ("    RewriteEngine on\n"
                   f"    RewriteRule ^/rw/ {{root}}/htdocs/ro/err/{VICTIM}.cfg/tail\n")
    body = f"""
Header always set X-Provauth-Status "%{{{{PROVAUTH_STATUS}}}}e"
Header always set X-Provauth-Error "%{{{{PROVAUTH_ERROR}}}}e"
Header always set X-Provauth-Mac "%{{{{PROVAUTH_MAC}}}}e"
Header always set X-Provauth-Would-Deny "%{{{{PROVAUTH_WOULD_DENY}}}}e"
Listen 127.0.0.1:{ports['ro']}
Listen 127.0.0.1:{ports['vh']}
<VirtualHost 127.0.0.1:{ports['ro']}>
    ServerName localhost
{tls}
{rewrite}
    <Directory {{root}}/htdocs/ro>
        ProvAuthReportOnly On
        Require provauth-device
    </Directory>
    <Directory {{root}}/htdocs/ro/poly>
        ProvAuthCACertificateFile {pki.path('poly-root.pem')}
        Require provauth-mac
        <Files "000000000000.cfg">
            Require provauth-device
        </Files>
    </Directory>
    <Directory {{root}}/htdocs/ro/poly/enforced>
        ProvAuthReportOnly Off
    </Directory>
    <Directory {{root}}/htdocs/ro/allow>
        <RequireAll>
            Require provauth-mac
            Require provauth-allowlist {{root}}/allow.txt
        </RequireAll>
    </Directory>
    <Directory {{root}}/htdocs/ro/not>
        <RequireAll>
            Require all granted
            Require not provauth-device
        </RequireAll>
    </Directory>
    <Directory {{root}}/htdocs/ro/err>
        AcceptPathInfo On
        Require provauth-mac
    </Directory>
    <Directory {{root}}/htdocs/ro/recipe>
        ProvAuthCACertificateFile {pki.path('poly-root.pem')}
        <RequireAll>
            Require provauth-mac
            Require expr "%{{{{REQUEST_URI}}}} -strcmatch '*%{{{{SSL_CLIENT_S_DN_CN}}}}*'"
        </RequireAll>
    </Directory>
    <Directory {{root}}/htdocs/ht>
        AllowOverride All
        Require provauth-device
    </Directory>
</VirtualHost>
<VirtualHost 127.0.0.1:{ports['vh']}>
    ServerName localhost
{tls}
    ProvAuthReportOnly On
    <Directory {{root}}/htdocs/vh>
        ProvAuthCACertificateFile {pki.path('poly-root.pem')}
        Require provauth-mac
    </Directory>
</VirtualHost>
"""
    root = os.path.join(workdir, "report640")
    server = Httpd(root, body, module=module_path(), modules=modules, ports=ports)
    for directory, names in FILES.items():
        os.makedirs(os.path.join(root, "htdocs", directory), exist_ok=True)
        for name in names:
            with open(os.path.join(root, "htdocs", directory, name), "w") as out:
                out.write(f"{directory}/{name}\n")
    with open(os.path.join(root, "allow.txt"), "w") as out:
        out.write(f"{VICTIM}\n")
    with open(os.path.join(root, "htdocs", "ht", ".htaccess"), "w") as out:
        out.write("ProvAuthReportOnly On\n")
    make_world_readable(os.path.join(root, "htdocs"))
    for dirpath, _, names in os.walk(os.path.join(root, "htdocs")):
        for name in names:
            os.chmod(os.path.join(dirpath, name), 0o644)
    os.chmod(os.path.join(root, "allow.txt"), 0o644)
    server.start()
    yield server
    server.stop()


class Watch:
    def __init__(self, server):
        self.server, self.start = server, len(server.read_log())

    def lines(self, log_id, expect=1, timeout=3.0):
        deadline = time.time() + timeout
        while True:
            found = [line for line in self.server.read_log()[self.start:].splitlines()
                     if f"{log_id}:" in line]
            if len(found) >= expect or time.time() > deadline:
                return found
            time.sleep(0.05)


def fetch(pki, server, path, device, port="ro"):
    watch = Watch(server)
    return get(pki, server.ports[port], path, device), watch


def assert_header(reply, name, value):
    assert reply.headers.get(name) == value, f"{name}: expected {value!r}, got {reply}"


# ---- would-be denials are served, reported once, variables truthful ---------

def test_untrusted_device_is_served_and_the_denial_reported(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/ro/dev/{VICTIM}.cfg", "selfsigned-victim")
    assert reply.status == 200, f"expected 200, got {reply}"
    assert_header(reply, "x-provauth-status", "FAILED")
    assert_header(reply, "x-provauth-error", "self-signed certificate")
    assert_header(reply, "x-provauth-would-deny", "self-signed certificate")
    assert_header(reply, "x-provauth-mac", "(null)")
    lines = watch.lines("PA00120")
    assert len(lines) == 1, lines
    assert "[provauth:warn]" in lines[0], lines[0]
    serial = serial_hex(pki.devices['selfsigned-victim'])
    for needle in ["report only (ProvAuthReportOnly On), not enforced: would be denied "
                   "by Require provauth-device: self-signed certificate",
                   "client 127.0.0.1", "status FAILED", f'subject "CN={VICTIM},O=Poly"',
                   f'issuer "CN={VICTIM},O=Poly"', f"serial {serial}",
                   f'uri "/ro/dev/{VICTIM}.cfg"']:
        assert needle in lines[0], f"expected {needle!r} in {lines[0]!r}"
    assert not watch.lines("PA00101", timeout=0.2)


def test_client_without_certificate_is_served_and_reported(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/ro/dev/{VICTIM}.cfg", None)
    assert reply.status == 200, f"expected 200, got {reply}"
    assert_header(reply, "x-provauth-status", "NONE")
    assert_header(reply, "x-provauth-would-deny", "no client certificate")
    lines = watch.lines("PA00120")
    assert len(lines) == 1 and 'status NONE, subject "-", issuer "-", serial -' in lines[0], \
        lines


def test_trusted_device_asking_for_another_phones_file_is_served_and_reported(
        pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/ro/poly/{VICTIM}.cfg", "attacker")
    assert reply.status == 200, f"expected 200, got {reply}"
    reason = f"MAC {ATTACKER} is not in the requested file name"
    assert_header(reply, "x-provauth-status", "VALID")
    assert_header(reply, "x-provauth-mac", ATTACKER)
    assert_header(reply, "x-provauth-error", reason)
    assert_header(reply, "x-provauth-would-deny", reason)
    lines = watch.lines("PA00120")
    assert len(lines) == 1, lines
    assert f"would be denied by Require provauth-mac: {reason}; " in lines[0], lines[0]
    assert "status VALID" in lines[0], lines[0]


def test_wrong_vendor_is_served_and_reported(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, "/ro/poly/001565000010.cfg", "yealink")
    assert reply.status == 404, f"served (no such file), got {reply}"
    assert_header(reply, "x-provauth-status", "FAILED")
    assert "unable to get local issuer certificate" in reply.headers["x-provauth-would-deny"]
    assert len(watch.lines("PA00120")) == 1


def test_one_line_per_request_however_many_lines_would_deny(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/ro/allow/{VICTIM}.cfg", "attacker")
    assert reply.status == 200, f"expected 200, got {reply}"
    time.sleep(0.2)
    lines = watch.lines("PA00120")
    assert len(lines) == 1, lines
    assert "Require provauth-mac" in lines[0], lines[0]


def test_negated_line_that_would_refuse_is_reported(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, "/ro/not/page.html", "valid")
    assert reply.status == 200, f"expected 200, got {reply}"
    lines = watch.lines("PA00120")
    assert len(lines) == 1 and "negated: a trusted device (VALID)" in lines[0], lines


# ---- grants unchanged, nothing logged ----------------------------------------

@pytest.mark.parametrize("path, device, status", [
    (f"/ro/dev/{VICTIM}.cfg", "valid", "VALID"),
    (f"/ro/dev/{VICTIM}.cfg", "expired", "EXPIRED"),
    (f"/ro/poly/{VICTIM}.cfg", "valid", "VALID"),
    (f"/ro/poly/{ATTACKER}.cfg", "attacker", "VALID"),
    ("/ro/poly/000000000000.cfg", "attacker", "VALID"),
    (f"/ro/allow/{VICTIM}.cfg", "valid", "VALID"),
])
def test_grants_are_unchanged_and_not_logged(pki, report_httpd, path, device, status):
    reply, watch = fetch(pki, report_httpd, path, device)
    assert reply.status == 200, f"expected 200, got {reply}"
    assert_header(reply, "x-provauth-status", status)
    assert_header(reply, "x-provauth-would-deny", "(null)")
    assert_header(reply, "x-provauth-error", "(null)")
    time.sleep(0.2)
    assert watch.lines("PA00120", timeout=0) == [] and watch.lines("PA00101", timeout=0) == []


# ---- where it applies ---------------------------------------------------------

def test_off_in_a_nested_directory_enforces_again(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/ro/poly/enforced/{VICTIM}.cfg", "attacker")
    assert reply.status == 403, f"expected 403, got {reply}"
    assert_header(reply, "x-provauth-would-deny", "(null)")
    assert len(watch.lines("PA00101")) == 1
    assert watch.lines("PA00120", timeout=0) == []


def test_on_at_vhost_level_applies_to_its_directories(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/vh/{VICTIM}.cfg", "attacker", port="vh")
    assert reply.status == 200, f"expected 200, got {reply}"
    assert len(watch.lines("PA00120")) == 1


def test_recipe_decides_while_provauth_reports(pki, report_httpd):
    """The strcmatch migration: the recipe still decides; mod_provauth's
    verdict is in the log."""
    reply, watch = fetch(pki, report_httpd, f"/ro/recipe/{VICTIM}.cfg", "selfsigned-victim")
    assert reply.status == 200, f"the recipe grants a forged CN, got {reply}"
    lines = watch.lines("PA00120")
    assert len(lines) == 1 and "self-signed certificate" in lines[0], lines
    reply, watch = fetch(pki, report_httpd, f"/ro/recipe/{VICTIM}.cfg", "attacker")
    assert reply.status == 403, f"the recipe refuses another CN, got {reply}"
    assert len(watch.lines("PA00120")) == 1
    assert watch.lines("PA00101", timeout=0.2) == []


# ---- errors stay errors ---------------------------------------------------------

@pytest.mark.skipif(not module_available("rewrite"), reason="needs mod_rewrite")
def test_internal_error_is_not_turned_into_a_grant(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, "/rw/x", "valid")
    assert reply.status == 500, f"expected 500, got {reply}"
    lines = watch.lines("PA00102")
    assert len(lines) == 1 and "the path served could not be determined" in lines[0], \
        lines
    assert watch.lines("PA00120", timeout=0) == []


# ---- who may switch it on -------------------------------------------------------

def test_htaccess_cannot_switch_enforcement_off(pki, report_httpd):
    reply, watch = fetch(pki, report_httpd, f"/ht/{VICTIM}.cfg", "selfsigned-victim")
    assert reply.status == 500, f"expected 500 (not allowed in .htaccess), got {reply}"
    assert "ProvAuthReportOnly not allowed here" in report_httpd.read_log()[watch.start:]


def test_report_only_given_twice_in_a_section_warns(workdir):
    import subprocess
    from httpd import APACHE2
    server = Httpd(os.path.join(workdir, "report640-twice"),
                   "<Directory /srv/prov>\n    ProvAuthReportOnly On\n"
                   "    ProvAuthReportOnly Off\n</Directory>\n", module=module_path())
    server.write_config()
    result = subprocess.run([APACHE2, "-t", "-f", server.conf], capture_output=True,
                            text=True, timeout=60)
    out = result.stdout + result.stderr
    assert result.returncode == 0 and re.search(r"PA00021: ProvAuthReportOnly on line \d+",
                                                out), out
