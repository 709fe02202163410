"""`apache2 -t` names the mistakes that load fine and then refuse phones:
a CA file without the vendor's root, a vhost without intermediates, one
that asks for certificates but refuses expired phones, one that never asks,
intermediates that are roots or devices, an SSLVerifyDepth too short for the
chain.  Each warning has its id, the vhost, the directive, the file and line
and the fix; good configurations (the examples in conf/, the suite's own)
stay silent; the same checks run at start and graceful restart."""
import os
import re
import subprocess
import time

import pytest

from conftest import module_path
from httpd import APACHE2, BASE_MODULES, Httpd, free_port, module_available

HERE = os.path.dirname(os.path.abspath(__file__))
CONF_DIR = os.path.join(HERE, "..", "..", "conf")
DIAGNOSTIC_IDS = ["PA00003", "PA00005", "PA00040", "PA00041", "PA00042", "PA00043",
                  "PA00044", "PA00045", "PA00046"]


def configtest(workdir, name, body, modules=None):
    server = Httpd(os.path.join(workdir, "config620", name), body, module=module_path(),
                   modules=modules)
    server.write_config()
    result = subprocess.run([APACHE2, "-t", "-f", server.conf], capture_output=True,
                            text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr, server.conf


def lines_with(out, log_id):
    return [line for line in out.splitlines() if f"{log_id}:" in line]


def line_of(conf, start, nth=1):
    with open(conf) as text:
        hits = [no for no, line in enumerate(text, 1) if line.strip().startswith(start)]
    return hits[nth - 1]


def assert_mentions(line, needles):
    for needle in needles:
        assert needle in line, f"expected {needle!r} in {line!r}"


def vhost(pki, name="prov.test", verify="optional_no_ca", extra="", dirs="",
          ca_file="vendor-roots.pem"):
    verify_line = f"    SSLVerifyClient {verify}" if verify else ""
    ca_line = f"    SSLCACertificateFile {pki.path(ca_file)}" if ca_file else ""
    return f"""
<VirtualHost 127.0.0.1:9443>
    ServerName {name}
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
{ca_line}
{verify_line}
{extra}
{dirs}
</VirtualHost>
"""


def good_extra(pki, depth=5, accept="On"):
    return (f"    SSLVerifyDepth {depth}\n    ProvAuthAcceptExpired {accept}\n"
            f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}")


DEVICE_DIR = """
    <Directory /srv/prov>
        Require provauth-device
    </Directory>"""


def test_a_good_vhost_is_silent(workdir, pki):
    code, out, _ = configtest(workdir, "good", vhost(pki, extra=good_extra(pki),
                                                     dirs=DEVICE_DIR))
    assert code == 0, out
    assert "PA000" not in out, out


# ---- the CA file holds an intermediate, not the root -------------------------

def test_issuing_ca_as_trust_anchor_warns_naming_subject_and_fix(workdir, pki):
    path = pki.path("poly-intermediates.pem")
    code, out, conf = configtest(workdir, "ca-intermediate", vhost(
        pki, extra=good_extra(pki), dirs=f"""
    <Directory /srv/prov>
        ProvAuthCACertificateFile {path}
        Require provauth-device
    </Directory>"""))
    assert code == 0, f"a warning, not an error:\n{out}"
    lines = lines_with(out, "PA00040")
    assert len(lines) == 1, out
    assert_mentions(lines[0], [
        "ProvAuthCACertificateFile", f"'{path}'",
        f"line {line_of(conf, 'ProvAuthCACertificateFile')} of {conf}",
        "<VirtualHost> of " + conf, '"CN=Poly Test Issuing CA,O=Poly"',
        "issued by \"CN=Poly Test Policy CA,O=Poly\"", "self-signed root",
        "vendor's root certificate into this file", "into ProvAuthIntermediateFile"])


def test_ssl_ca_file_with_intermediates_only_warns_where_the_module_is_used(workdir,
                                                                            pki):
    path = pki.path("poly-intermediates.pem")
    code, out, conf = configtest(workdir, "sslca-intermediate",
                                 vhost(pki, extra=good_extra(pki), dirs=DEVICE_DIR,
                                       ca_file="poly-intermediates.pem")
                                 + vhost(pki, name="other.test",
                                         ca_file="poly-intermediates.pem"))
    assert code == 0, out
    lines = lines_with(out, "PA00040")
    assert len(lines) == 1, out
    assert_mentions(lines[0], ["SSLCACertificateFile", f"'{path}'",
                               f"line {line_of(conf, 'SSLCACertificateFile')} of {conf}",
                               "the virtual host prov.test", '"CN=Poly Test Issuing CA'])


def test_root_beside_its_intermediates_is_not_warned_about(workdir, pki):
    bundle = os.path.join(workdir, "config620", "root-and-intermediates.pem")
    os.makedirs(os.path.dirname(bundle), exist_ok=True)
    with open(bundle, "w") as out:
        out.write(open(pki.path("poly-intermediates.pem")).read()
                  + open(pki.path("poly-root.pem")).read())
    code, out, _ = configtest(workdir, "ca-bundle", vhost(
        pki, extra=good_extra(pki),
        dirs=f"    <Directory /srv/prov>\n        ProvAuthCACertificateFile {bundle}\n"
             "        Require provauth-device\n    </Directory>"))
    assert code == 0 and "PA00040" not in out, out


# ---- a directory pinned to a root the handshake does not trust (PA00046) ----

PINNED_DIR = """
    <Directory /srv/prov/polycom>
        ProvAuthCACertificateFile {root}
        Require provauth-device
    </Directory>"""


def test_pinned_root_missing_from_the_handshake_warns_under_require(workdir, pki):
    root = pki.path("poly-root.pem")
    code, out, conf = configtest(workdir, "pinned-require", vhost(
        pki, verify="require", extra=good_extra(pki), ca_file="yealink-root.pem",
        dirs=PINNED_DIR.format(root=root)))
    assert code == 0, out
    lines = lines_with(out, "PA00046")
    assert len(lines) == 1, out
    assert_mentions(lines[0], [
        f"ProvAuthCACertificateFile '{root}' (line "
        f"{line_of(conf, 'ProvAuthCACertificateFile')} of {conf})",
        'trusts "CN=Poly Test Root CA,O=Poly"', "the virtual host prov.test",
        f"SSLCACertificateFile '{pki.path('yealink-root.pem')}'",
        "SSLVerifyClient require", "add the root to SSLCACertificateFile"])


@pytest.mark.parametrize("verify, ca_file", [("optional_no_ca", "yealink-root.pem"),
                                             ("require", "vendor-roots.pem")])
def test_pinned_root_is_fine_where_the_handshake_does_not_refuse_it(workdir, pki, verify,
                                                                    ca_file):
    code, out, _ = configtest(workdir, f"pinned-{verify}-{ca_file}", vhost(
        pki, verify=verify, extra=good_extra(pki), ca_file=ca_file,
        dirs=PINNED_DIR.format(root=pki.path("poly-root.pem"))))
    assert code == 0 and "PA000" not in out, out


# ---- no ProvAuthIntermediateFile (PA00005), now at -t too --------------------

def test_vhost_without_intermediates_warns_at_configtest(workdir, pki):
    code, out, conf = configtest(workdir, "noint", vhost(
        pki, extra="    SSLVerifyDepth 5\n    ProvAuthAcceptExpired On", dirs=DEVICE_DIR))
    assert code == 0, out
    lines = lines_with(out, "PA00005")
    assert len(lines) == 1, out
    assert_mentions(lines[0], ["the virtual host prov.test",
                               f"{conf}:{line_of(conf, '<VirtualHost')})",
                               "has no ProvAuthIntermediateFile",
                               "add ProvAuthIntermediateFile"])


def test_vhost_not_using_the_module_is_not_checked(workdir, pki):
    code, out, _ = configtest(workdir, "unused", vhost(pki, verify="require"))
    assert code == 0 and "PA000" not in out, out


# ---- SSLVerifyClient without ProvAuthAcceptExpired (PA00041) ------------------

@pytest.mark.parametrize("mode", ["require", "optional", "optional_no_ca"])
def test_certificates_asked_for_without_accept_expired_warns(workdir, pki, mode):
    extra = (f"    SSLVerifyDepth 5\n"
             f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}")
    code, out, conf = configtest(workdir, f"noaccept-{mode}",
                                 vhost(pki, verify=mode, extra=extra, dirs=DEVICE_DIR))
    assert code == 0, out
    lines = lines_with(out, "PA00041")
    assert len(lines) == 1, out
    assert_mentions(lines[0], ["the virtual host prov.test",
                               f"SSLVerifyClient {mode}, line "
                               f"{line_of(conf, 'SSLVerifyClient')} of {conf}",
                               "expired", "ProvAuthAcceptExpired On",
                               "ProvAuthAcceptExpired Off"])


@pytest.mark.parametrize("accept", ["On", "Off"])
def test_accept_expired_said_either_way_is_silent(workdir, pki, accept):
    code, out, _ = configtest(workdir, f"accept-{accept}", vhost(
        pki, verify="require", extra=good_extra(pki, accept=accept), dirs=DEVICE_DIR))
    assert code == 0 and "PA000" not in out, out


def test_accept_expired_in_the_main_server_counts_for_the_vhost(workdir, pki):
    code, out, _ = configtest(workdir, "accept-main", "ProvAuthAcceptExpired On\n" + vhost(
        pki, verify="require",
        extra=f"    SSLVerifyDepth 5\n"
              f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}",
        dirs=DEVICE_DIR))
    assert code == 0 and "PA000" not in out, out


# ---- never asking for a certificate (PA00042) --------------------------------

@pytest.mark.parametrize("verify", ["none", None])
def test_vhost_that_never_asks_for_a_certificate_warns(workdir, pki, verify):
    code, out, conf = configtest(workdir, f"never-{verify}", vhost(
        pki, verify=verify,
        extra=f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}",
        dirs="""
    <Location /phones>
        Require provauth-mac
    </Location>"""))
    assert code == 0, out
    lines = lines_with(out, "PA00042")
    assert len(lines) == 1, out
    assert_mentions(lines[0], [
        "the virtual host prov.test", "never asks for a client certificate",
        "SSLVerifyClient none, line" if verify else "SSLVerifyClient is not set",
        f"Require provauth-mac ({conf}:{line_of(conf, 'Require provauth-mac')})",
        "status NONE", "SSLVerifyClient optional_no_ca"])


def test_per_directory_verify_client_counts_as_asking(workdir, pki):
    code, out, _ = configtest(workdir, "perdir-verify", vhost(
        pki, verify="none",
        extra=f"    SSLVerifyDepth 5\n"
              f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}",
        dirs="""
    <Location /phones>
        SSLVerifyClient require
        Require provauth-mac
    </Location>"""))
    assert code == 0 and "PA00042" not in out, out


def test_settings_from_includes_and_ifmodule_are_read(workdir, pki):
    """httpd splices Include and <IfModule> into the tree: read them there."""
    include = os.path.join(workdir, "config620", "client-auth.conf")
    os.makedirs(os.path.dirname(include), exist_ok=True)
    with open(include, "w") as out:
        out.write("<IfModule ssl_module>\n    SSLVerifyClient optional_no_ca\n"
                  "    SSLVerifyDepth 5\n</IfModule>\n")
    code, out, _ = configtest(workdir, "include", vhost(
        pki, verify=None,
        extra=f"    Include {include}\n    ProvAuthAcceptExpired On\n"
              f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}",
        dirs=DEVICE_DIR))
    assert code == 0 and "PA000" not in out, out


def test_verify_client_of_the_main_server_is_inherited(workdir, pki):
    code, out, _ = configtest(workdir, "main-verify",
                              "SSLVerifyClient optional_no_ca\nSSLVerifyDepth 5\n" + vhost(
                                  pki, verify=None, extra=good_extra(pki), dirs=DEVICE_DIR))
    assert code == 0 and "PA000" not in out, out


# ---- ProvAuthAcceptExpired On where no certificate is asked for (PA00003) ----

def test_accept_expired_without_vhost_verify_client_warns_at_configtest(workdir, pki):
    code, out, conf = configtest(workdir, "accept-noverify", vhost(
        pki, verify=None, extra=good_extra(pki)))
    assert code == 0, out
    lines = lines_with(out, "PA00003")
    assert len(lines) == 1, out
    assert_mentions(lines[0], ["ProvAuthAcceptExpired On for the virtual host prov.test",
                               conf, "SSLVerifyClient is not set",
                               "set SSLVerifyClient optional_no_ca"])


# ---- intermediates that are roots or devices (PA00043, PA00044) --------------

@pytest.mark.parametrize("content, log_id, subject, fix", [
    ("vendor-roots.pem", "PA00043", '"CN=Poly Test Root CA,O=Poly"',
     "put roots into ProvAuthCACertificateFile"),
    ("valid.chain.pem", "PA00044", '"CN=0004f2000001,O=Poly"', "remove it"),
])
def test_intermediates_that_are_roots_or_devices_warn(workdir, pki, content, log_id,
                                                      subject, fix):
    path = pki.path(content)
    code, out, conf = configtest(workdir, f"intermediates-{log_id}", vhost(
        pki, extra="    SSLVerifyDepth 5\n    ProvAuthAcceptExpired On", dirs=f"""
    <Directory /srv/prov>
        ProvAuthIntermediateFile {path}
        Require provauth-device
    </Directory>"""))
    assert code == 0, out
    lines = lines_with(out, log_id)
    assert len(lines) == 1, out
    assert_mentions(lines[0], ["ProvAuthIntermediateFile", f"'{path}'",
                               f"line {line_of(conf, 'ProvAuthIntermediateFile')} of {conf}",
                               subject, fix])


# ---- SSLVerifyDepth shorter than the vendor chain (PA00045) ------------------

@pytest.mark.parametrize("depth", [None, 2])
def test_verify_depth_shorter_than_the_chain_warns_with_the_depth_needed(workdir, pki,
                                                                         depth):
    extra = (f"    ProvAuthAcceptExpired On\n"
             f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}")
    if depth:
        extra += f"\n    SSLVerifyDepth {depth}"
    code, out, conf = configtest(workdir, f"depth-{depth}",
                                 vhost(pki, extra=extra, dirs=DEVICE_DIR))
    assert code == 0, out
    lines = lines_with(out, "PA00045")
    assert len(lines) == 1, out
    assert_mentions(lines[0], [
        "the virtual host prov.test", f"chains {depth or 1} deep",
        f"SSLVerifyDepth, line {line_of(conf, 'SSLVerifyDepth')} of {conf}" if depth
        else "mod_ssl's default is 1",
        pki.path("poly-intermediates.pem"), "device chains 3 deep", "AH02040",
        "set SSLVerifyDepth 3"])


def test_verify_depth_long_enough_is_silent(workdir, pki):
    code, out, _ = configtest(workdir, "depth-3", vhost(pki, extra=good_extra(pki, depth=3),
                                                        dirs=DEVICE_DIR))
    assert code == 0 and "PA000" not in out, out


# ---- good configurations stay silent -----------------------------------------

def _write_pem(path, *sources):
    with open(path, "w") as out:
        for source in sources:
            out.write(open(source).read())


def adapted_example(workdir, pki, name):
    """conf/<name> with its paths pointed at the test PKI and a scratch tree."""
    base = os.path.join(workdir, "config620", f"example-{name}")
    for sub in ["srv", "uploads", "logs"]:
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    yealink_int = os.path.join(base, "yealink-intermediates.pem")
    with open(yealink_int, "wb") as out:
        from cryptography.hazmat.primitives import serialization
        out.write(pki.yea_issuing.cert.public_bytes(serialization.Encoding.PEM))
    macs = os.path.join(base, "cisco-phones.macs")
    with open(macs, "w") as out:
        out.write("001122334455\n")
    text = open(os.path.join(CONF_DIR, name)).read()
    for old, new in [
            ("/etc/ssl/certs/provisioning.example.net.pem", pki.path("server.crt")),
            ("/etc/ssl/private/provisioning.example.net.key", pki.path("server.key")),
            ("/etc/apache2/provauth/vendor-roots.pem", pki.path("vendor-roots.pem")),
            ("/etc/apache2/provauth/polycom-intermediates.pem",
             pki.path("poly-intermediates.pem")),
            ("/etc/apache2/provauth/polycom-root.pem", pki.path("poly-root.pem")),
            ("/etc/apache2/provauth/polycom-crls.pem", pki.path("poly-crl.pem")),
            ("/etc/apache2/provauth/yealink-intermediates.pem", yealink_int),
            ("/etc/apache2/provauth/yealink-root.pem", pki.path("yealink-root.pem")),
            ("/etc/apache2/provauth/cisco-intermediates.pem",
             pki.path("poly-intermediates.pem")),
            ("/etc/apache2/provauth/cisco-roots.pem", pki.path("poly-root.pem")),
            ("/etc/apache2/provauth/cisco-phones.macs", macs),
            ("/srv/provisioning-uploads", os.path.join(base, "uploads")),
            ("/srv/provisioning", os.path.join(base, "srv")),
            ("${APACHE_LOG_DIR}", os.path.join(base, "logs"))]:
        text = text.replace(old, new)
    active = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert not [line for line in active if "/etc/apache2/provauth" in line], \
        "an example path was not adapted"
    return text.replace("{", "{{").replace("}", "}}")


@pytest.mark.parametrize("example", ["provauth-polycom.conf", "provauth-yealink.conf",
                                     "provauth-cisco.conf"])
def test_the_example_configurations_are_silent(workdir, pki, example):
    modules = BASE_MODULES + [m for m in ["alias", "dav", "dav_fs"] if module_available(m)]
    body = adapted_example(workdir, pki, example)
    if "Dav On" in body:
        body = f"DavLockDB {workdir}/config620/davlock\n" + body
    code, out, _ = configtest(workdir, f"example-{example}", body, modules=modules)
    assert code == 0, out
    assert "PA0" not in out, out


def test_the_suite_configuration_is_silent_but_for_what_it_does_on_purpose(
        provauth_httpd):
    result = subprocess.run([APACHE2, "-t", "-f", provauth_httpd.conf],
                            capture_output=True, text=True, timeout=60)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    on_purpose = [r"PA00005: the virtual host localhost .* has no",  # the noint vhost
                  r"PA00004: .*poly-crl-stale\.pem"]
    found = [line for line in out.splitlines() if re.search(r"PA000\d\d:", line)]
    unexpected = [line for line in found
                  if not any(re.search(pattern, line) for pattern in on_purpose)]
    assert not unexpected, "\n".join(unexpected)
    started = [line for line in provauth_httpd.read_log().splitlines()
               if any(f"{log_id}:" in line for log_id in DIAGNOSTIC_IDS)
               and "PA00005" not in line]
    assert not started, "\n".join(started)


# ---- at start and graceful restart too ----------------------------------------

def test_checks_run_at_start_and_at_graceful_restart(workdir, pki):
    port = free_port()
    body = f"Listen 127.0.0.1:{port}\n" + vhost(
        pki, verify="require", dirs=DEVICE_DIR.replace("/srv/prov", "{root}/htdocs"),
        extra=f"    SSLVerifyDepth 5\n"
              f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}"
    ).replace("127.0.0.1:9443", f"127.0.0.1:{port}")
    server = Httpd(os.path.join(workdir, "config620", "restart"), body,
                   module=module_path(), ports={"https": port})
    server.start()
    try:
        log = server.read_log()
        assert len(lines_with(log, "PA00041")) == 1, log
        subprocess.run([APACHE2, "-f", server.conf, "-k", "graceful"], check=True)
        deadline = time.time() + 15
        while log.count("resuming normal operations") < 2 and time.time() < deadline:
            time.sleep(0.1)
            log = server.read_log()
    finally:
        server.stop()
    lines = lines_with(log, "PA00041")
    assert len(lines) == 2, f"expected PA00041 again after graceful:\n{log}"
    assert all("[provauth:warn]" in line and "prov.test" in line for line in lines), lines
