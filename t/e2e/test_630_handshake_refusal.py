"""A phone the handshake refuses for its dates alone, on a vhost that uses
mod_provauth without ProvAuthAcceptExpired On, gets one PA00121 line naming
it (subject, MAC, issuer, notAfter) and the directive that would admit it;
mod_ssl's own line names neither."""
import os
import re
import time

import pytest

from clients import get
from conftest import module_path
from httpd import Httpd, free_port

def serial_hex(cert):
    """The serial as the module writes it (OpenSSL's BN_bn2hex: upper case,
    an even number of digits)."""
    digits = f"{cert.serial_number:X}"
    return digits if len(digits) % 2 == 0 else "0" + digits


LOG_ID = "PA00121"


def _vhost(pki, port, name, extra):
    return f"""
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName {name}
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5
{extra}
    <Directory {{root}}/htdocs>
        Require provauth-device
    </Directory>
</VirtualHost>
"""


@pytest.fixture(scope="module")
def refusal_httpd(workdir, pki):
    ports = {"off": free_port(), "on": free_port(), "unused": free_port()}
    intermediates = f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}"
    body = (_vhost(pki, ports["off"], "off.test", intermediates)
            + _vhost(pki, ports["on"], "on.test",
                     intermediates + "\n    ProvAuthAcceptExpired On"))
    # A vhost that does not use the module at all: no line of ours.
    body += f"""
Listen 127.0.0.1:{ports['unused']}
<VirtualHost 127.0.0.1:{ports['unused']}>
    ServerName unused.test
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5
</VirtualHost>
"""
    server = Httpd(os.path.join(workdir, "refusal630"), body, module=module_path(),
                   ports=ports)
    os.makedirs(os.path.join(server.root, "htdocs"), exist_ok=True)
    with open(os.path.join(server.root, "htdocs", "0004f2000002.cfg"), "w") as out:
        out.write("cfg\n")
    os.chmod(os.path.join(server.root, "htdocs", "0004f2000002.cfg"), 0o644)
    server.start()
    yield server
    server.stop()


def refusal_lines(server, start, expect, timeout=5.0):
    """Our lines written since start; waits for `expect` of them (the line is
    written when the refused connection is released)."""
    deadline = time.time() + timeout
    while True:
        lines = [line for line in server.read_log()[start:].splitlines()
                 if f"{LOG_ID}:" in line]
        if len(lines) >= expect or time.time() > deadline:
            return lines
        time.sleep(0.05)


def attempt(pki, server, vhost, device):
    start = len(server.read_log())
    reply = get(pki, server.ports[vhost], "/0004f2000002.cfg", device)
    return reply, start


def test_expired_device_refused_at_handshake_is_named_with_the_fix(pki, refusal_httpd):
    reply, start = attempt(pki, refusal_httpd, "off", "expired")
    assert reply.rejected, f"expected a refused handshake, got {reply}"
    lines = refusal_lines(refusal_httpd, start, 1)
    assert len(lines) == 1, lines
    line = lines[0]
    assert "[provauth:error]" in line, line
    for needle in ["TLS handshake refused: the device certificate has expired",
                   'device subject "CN=0004f2000002,O=Poly"', "MAC 0004f2000002",
                   'issuer "CN=Poly Test Issuing CA,O=Poly"',
                   f"serial {serial_hex(pki.devices['expired'])}",
                   "notAfter 2024-12-01 00:00:00 UTC", "client 127.0.0.1",
                   "ProvAuthAcceptExpired On in the virtual host off.test",
                   refusal_httpd.conf]:
        assert needle in line, f"expected {needle!r} in {line!r}"


def test_device_under_an_expired_issuing_ca_names_that_ca(pki, refusal_httpd):
    reply, start = attempt(pki, refusal_httpd, "off", "oldca")
    assert reply.rejected, f"expected a refused handshake, got {reply}"
    lines = refusal_lines(refusal_httpd, start, 1)
    assert len(lines) == 1, lines
    assert re.search(r'its CA "CN=Poly Test Issuing CA 2009,O=Poly" \(depth 1\) has '
                     r'expired \(notAfter 2024-12-01 00:00:00 UTC\); device subject '
                     r'"CN=0004f200000b,O=Poly", MAC 0004f200000b', lines[0]), lines[0]


def test_device_not_yet_valid_is_named(pki, refusal_httpd):
    reply, start = attempt(pki, refusal_httpd, "off", "notyet")
    assert reply.rejected, f"expected a refused handshake, got {reply}"
    lines = refusal_lines(refusal_httpd, start, 1)
    assert len(lines) == 1, lines
    assert "the device certificate is not yet valid (notBefore " in lines[0], lines[0]
    assert 'device subject "CN=0004f2000003,O=Poly"' in lines[0], lines[0]


@pytest.mark.parametrize("vhost, device", [
    ("on", "expired"),                 # admitted: nothing to say
    ("unused", "expired"),             # not our vhost
    ("off", "selfsigned-expired"),     # not genuine: a worse fault came first
    ("off", "wrongvendor-expired"),
    ("off", "valid"),
])
def test_no_line_where_the_directive_would_not_help(pki, refusal_httpd, vhost, device):
    reply, start = attempt(pki, refusal_httpd, vhost, device)
    if vhost == "on" or device == "valid":
        assert reply.status == 200, f"expected 200, got {reply}"
    # the refused connection is released by the time the next one is served
    get(pki, refusal_httpd.ports[vhost], "/0004f2000002.cfg", "valid")
    assert refusal_lines(refusal_httpd, start, 1, timeout=0.5) == []
