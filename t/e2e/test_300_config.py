"""Bad configuration stops `apache2 -t` (and start) with the directive and the
file named; good configuration passes."""
import os

import pytest

from conftest import module_path
from httpd import BASE_MODULES, Httpd
from pki import corrupt_pem


def configtest(workdir, name, body, modules=None):
    server = Httpd(os.path.join(workdir, "config", name), body, module=module_path(),
                   modules=modules)
    result = server.configtest()
    return result.returncode, result.stdout + result.stderr, server.conf


def test_good_configuration_passes(workdir, pki):
    code, out, _ = configtest(workdir, "good", f"""
ProvAuthAcceptExpired On
ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}
<Directory /srv/prov/polycom>
    ProvAuthCACertificateFile {pki.path('poly-root.pem')}
    ProvAuthCRLFile {pki.path('poly-crl.pem')}
    Require provauth-device
</Directory>
""")
    assert code == 0, f"expected Syntax OK, got exit {code}:\n{out}"
    assert "Syntax OK" in out, out


@pytest.mark.parametrize("directive, content, message", [
    ("ProvAuthCACertificateFile", None, "cannot open"),
    ("ProvAuthCACertificateFile", "crl", "no certificate in"),
    ("ProvAuthCACertificateFile", "text", "no certificate in"),
    ("ProvAuthCACertificateFile", "garbage", "cannot parse PEM"),
    ("ProvAuthIntermediateFile", None, "cannot open"),
    ("ProvAuthIntermediateFile", "empty", "no certificate in"),
    ("ProvAuthCRLFile", None, "cannot open"),
    ("ProvAuthCRLFile", "cert", "no CRL in"),
])
def test_bad_trust_file_fails_configtest_naming_directive_and_file(
        workdir, pki, directive, content, message):
    name = f"{directive}-{content}"
    path = os.path.join(workdir, "config", f"{name}.pem")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if content is not None:
        with open(path, "w") as out:
            out.write({
                "crl": open(pki.path("poly-crl.pem")).read(),
                "cert": open(pki.path("poly-root.pem")).read(),
                "text": "just some text\n",
                "empty": "",
                "garbage": corrupt_pem("CERTIFICATE"),
            }[content])
    code, out, conf = configtest(workdir, name, f"""
<Directory /srv/prov>
    {directive} {path}
</Directory>
""")
    assert code != 0, f"expected apache2 -t to fail, got exit 0:\n{out}"
    for needle in [directive, path, message, conf]:
        assert needle in out, f"expected {needle!r} in:\n{out}"


def test_directives_without_mod_ssl_fail_configtest(workdir):
    modules = [m for m in BASE_MODULES if m not in ("ssl", "socache_shmcb")]
    code, out, conf = configtest(workdir, "nossl", "ProvAuthAcceptExpired On\n",
                                 modules=modules)
    assert code != 0, f"expected apache2 -t to fail, got exit 0:\n{out}"
    for needle in ["PA00001", "ProvAuthAcceptExpired", conf, "mod_ssl is not loaded"]:
        assert needle in out, f"expected {needle!r} in:\n{out}"


def test_require_without_mod_ssl_fails_configtest(workdir):
    modules = [m for m in BASE_MODULES if m not in ("ssl", "socache_shmcb")]
    code, out, _ = configtest(workdir, "nossl-require",
                              "<Location />\n    Require provauth-device\n</Location>\n",
                              modules=modules)
    assert code != 0 and "Require provauth-device" in out, out


def test_require_provauth_device_takes_no_arguments(workdir):
    code, out, _ = configtest(workdir, "require-args",
                              "<Location />\n    Require provauth-device yes\n</Location>\n")
    assert code != 0 and "takes no arguments" in out, out


def test_accept_expired_is_not_allowed_in_directory(workdir):
    code, out, _ = configtest(workdir, "accept-in-dir",
                              "<Directory /srv>\n    ProvAuthAcceptExpired On\n</Directory>\n")
    assert code != 0 and "ProvAuthAcceptExpired" in out, out


@pytest.mark.parametrize("line, message", [
    ("ProvAuthMACFrom noSuchAttribute", "unknown certificate subject attribute"),
    ("ProvAuthMACFrom sha256", "unknown certificate subject attribute"),
    # (braces doubled: the config body is a format string)
    ('ProvAuthMACFrom CN "SEP([0-9a-f]{{12}}"', "bad regular expression"),
    ('ProvAuthMACFrom CN "SEP[0-9a-f]{{12}}"', "no capture group"),
    ("Require provauth-mac somewhere", "takes no argument or 'path'"),
    ("Require provauth-allowlist", "takes one file name"),
    ("Require provauth-allowlist /nonexistent/allow.txt", "/nonexistent/allow.txt"),
])
def test_bad_mac_configuration_fails_configtest(workdir, line, message):
    name = "mac-" + str(abs(hash(line)))
    code, out, conf = configtest(workdir, name,
                                 f"<Directory /srv/prov>\n    {line}\n</Directory>\n")
    assert code != 0, f"expected apache2 -t to fail, got exit 0:\n{out}"
    assert message in out and conf in out, f"expected {message!r} and {conf!r} in:\n{out}"


def test_allowlist_with_a_bad_line_names_file_and_line(workdir):
    path = os.path.join(workdir, "config", "bad-allowlist.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write("# customer A\n0004f2000001\n\n0004f200000\n")
    code, out, _ = configtest(workdir, "bad-allowlist",
                              f"<Directory /srv/prov>\n    Require provauth-allowlist "
                              f"{path}\n</Directory>\n")
    assert code != 0, out
    assert f"'{path}' line 4: '0004f200000' is not a MAC address" in out, out


def test_good_mac_configuration_passes(workdir):
    path = os.path.join(workdir, "config", "good-allowlist.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write("0004f2000001\n00-04-F2-00-00-02  # desk\n0004.f200.0003\n")
    code, out, _ = configtest(workdir, "good-mac", f"""
<Directory /srv/prov/cisco>
    ProvAuthMACFrom CN "SEP([0-9A-Fa-f]{{{{12}}}})"
    Require provauth-mac
</Directory>
<Directory /srv/prov/tree>
    ProvAuthMACFrom UID
    <RequireAll>
        Require provauth-mac path
        Require provauth-allowlist {path}
    </RequireAll>
</Directory>
""")
    assert code == 0, out


def test_stale_crl_is_a_warning_naming_directive_and_file(workdir, pki):
    code, out, _ = configtest(workdir, "stale-crl", f"""
<Directory /srv/prov>
    ProvAuthCRLFile {pki.path('poly-crl-stale.pem')}
</Directory>
""")
    assert code == 0, out
    for needle in ["PA00004", "ProvAuthCRLFile", pki.path("poly-crl-stale.pem"),
                   "CN=Poly Test Issuing CA"]:
        assert needle in out, f"expected {needle!r} in:\n{out}"


def test_accept_expired_without_vhost_client_auth_warns_at_startup(workdir, pki):
    """Per-directory SSLVerifyClient is mod_ssl's alone: say so."""
    from httpd import free_port
    port = free_port()
    server = Httpd(os.path.join(workdir, "config", "warn-noverify"), f"""
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName warn.test
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    ProvAuthAcceptExpired On
</VirtualHost>
""", module=module_path(), ports={"https": port})
    server.start()
    try:
        log = server.read_log()
    finally:
        server.stop()
    lines = [line for line in log.splitlines() if "PA00003" in line]
    assert len(lines) == 1, log
    assert "warn.test" in lines[0] and server.conf in lines[0], lines[0]


def test_allowlist_in_htaccess_is_refused(workdir, pki):
    from clients import get
    from httpd import free_port
    port = free_port()
    root = os.path.join(workdir, "config", "htaccess")
    server = Httpd(root, f"""
AccessFileName .htaccess
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5
    <Directory {{root}}/htdocs>
        AllowOverride AuthConfig
    </Directory>
</VirtualHost>
""", module=module_path(), ports={"https": port})
    with open(os.path.join(root, "htdocs", ".htaccess"), "w") as out:
        out.write(f"Require provauth-allowlist {root}/allow.txt\n")
    with open(os.path.join(root, "allow.txt"), "w") as out:
        out.write("0004f2000001\n")
    with open(os.path.join(root, "htdocs", "0004f2000001.cfg"), "w") as out:
        out.write("cfg\n")
    os.chmod(os.path.join(root, "htdocs", ".htaccess"), 0o644)
    os.chmod(os.path.join(root, "htdocs", "0004f2000001.cfg"), 0o644)
    server.start()
    try:
        reply = get(pki, port, "/0004f2000001.cfg", "valid")
        log = server.read_log()
    finally:
        server.stop()
    assert reply.status == 500, f"expected 500, got {reply}"
    assert "cannot be used in .htaccess files" in log, log
