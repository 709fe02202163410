"""A CRL past its nextUpdate (PA00004) is reported where an administrator
looks: in the error log after a plain `apache2 -k start`, once (httpd reads
the configuration twice at a start, and the first pass's console is gone by
the time anyone reads it), under `apache2 -t`, and again at a graceful
restart, once each time, naming the directive and the file."""
import os
import subprocess
import time

from conftest import module_path
from httpd import APACHE2, Httpd, free_port

STALE = "poly-crl-stale.pem"


def body(pki, port):
    """A TLS virtual host and two sections naming the same stale CRL file:
    the file is loaded, and reported, once."""
    return f"""
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName stale.test
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}
    <Directory {{root}}/htdocs/a>
        ProvAuthCRLFile {pki.path(STALE)}
        Require provauth-device
    </Directory>
    <Directory {{root}}/htdocs/b>
        ProvAuthCRLFile {pki.path(STALE)}
        Require provauth-device
    </Directory>
</VirtualHost>
"""


def stale_lines(text):
    return [line for line in text.splitlines() if "PA00004:" in line]


def assert_names_the_file(line, pki):
    for needle in ["ProvAuthCRLFile", f"'{pki.path(STALE)}'", "CN=Poly Test Issuing CA",
                   "nextUpdate"]:
        assert needle in line, f"expected {needle!r} in {line!r}"


def test_stale_crl_is_in_the_error_log_after_a_plain_start_once(workdir, pki):
    port = free_port()
    server = Httpd(os.path.join(workdir, "config625", "start"), body(pki, port),
                   module=module_path(), ports={"https": port})
    server.start()
    try:
        log = server.read_log()
        lines = stale_lines(log)
        assert len(lines) == 1, f"expected one PA00004 line after start:\n{log}"
        assert "[provauth:warn]" in lines[0], lines[0]
        assert_names_the_file(lines[0], pki)

        subprocess.run([APACHE2, "-f", server.conf, "-k", "graceful"], check=True,
                       capture_output=True)
        deadline = time.time() + 15
        while log.count("resuming normal operations") < 2 and time.time() < deadline:
            time.sleep(0.1)
            log = server.read_log()
    finally:
        server.stop()
    lines = stale_lines(log)
    assert len(lines) == 2, f"expected PA00004 once more after graceful:\n{log}"
    assert_names_the_file(lines[1], pki)


def test_stale_crl_is_reported_once_by_configtest(workdir, pki):
    server = Httpd(os.path.join(workdir, "config625", "configtest"),
                   body(pki, free_port()), module=module_path())
    result = server.configtest()
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    lines = stale_lines(out)
    assert len(lines) == 1, f"expected one PA00004 line from -t:\n{out}"
    assert_names_the_file(lines[0], pki)
    assert "Syntax OK" in out, out
