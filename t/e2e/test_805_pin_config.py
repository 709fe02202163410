"""ProvAuthPinnedDeviceFile and ProvAuthCRLCheck at `apache2 -t`: every
malformed pin file stops the configuration naming the file and the line, an
empty one warns (PA00060) once however many sections name it, bad
ProvAuthCRLCheck arguments are refused, and .htaccess cannot name a pin
file (issue 11)."""
import os
import subprocess

import pytest

from conftest import module_path
from httpd import APACHE2, Httpd

FP = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:" \
     "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"
FP_HEX = FP.replace(":", "").lower()
OTHER_FP = "fe" * 32


def configtest(workdir, name, body):
    server = Httpd(os.path.join(workdir, "config805", name), body, module=module_path())
    server.write_config()
    result = subprocess.run([APACHE2, "-t", "-f", server.conf], capture_output=True,
                            text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr, server.conf


def write(workdir, name, text):
    path = os.path.join(workdir, "config805", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(text)
    return path


def pinned(path, where="<Directory /srv/prov>"):
    closing = "</" + where[1:].split()[0] + ">"
    return f"{where}\n    ProvAuthPinnedDeviceFile {path}\n{closing}\n"


@pytest.mark.parametrize("text, line, message", [
    ("0004f2000a05\n", 1, "'0004f2000a05' is not '<MAC> <SHA-256 fingerprint>'"),
    (f"# ok\n0004f2000a05 {FP} extra\n", 2, "is not '<MAC> <SHA-256 fingerprint>'"),
    (f"0004f200zz05 {FP}\n", 1, "'0004f200zz05' is not a MAC address"),
    (f"\n\n0004f2000a05 {FP[:-3]}\n", 3, "is not a SHA-256 fingerprint"),
    ("0004f2000a05 " + "ab" * 20 + "\n", 1, "is not a SHA-256 fingerprint"),  # SHA-1
    (f"0004f2000a05 {FP}\n00:04:f2:00:0a:05 {OTHER_FP}\n", 2,
     "MAC 0004f2000a05 is already pinned to another fingerprint on line 1"),
    (f"0004f2000a05 {FP}\n# moved\n0004f2000a06 {FP_HEX}\n", 3,
     f"fingerprint {FP} is already pinned for MAC 0004f2000a05 on line 1"),
])
def test_malformed_pin_file_stops_configtest_naming_file_and_line(workdir, text, line,
                                                                  message):
    path = write(workdir, f"bad-{abs(hash(text))}.txt", text)
    code, out, conf = configtest(workdir, f"bad-{abs(hash(text))}", pinned(path))
    assert code != 0, f"expected apache2 -t to fail:\n{out}"
    for needle in ["ProvAuthPinnedDeviceFile: ", f"'{path}' line {line}: ", message,
                   conf]:
        assert needle in out, f"expected {needle!r} in:\n{out}"


def test_missing_pin_file_stops_configtest(workdir):
    path = os.path.join(workdir, "config805", "absent.txt")
    code, out, _ = configtest(workdir, "absent", pinned(path))
    assert code != 0 and f"ProvAuthPinnedDeviceFile: cannot read '{path}'" in out, out


def test_good_pin_file_in_every_context_passes(workdir):
    path = write(workdir, "good.txt",
                 f"# approved\n0004f2000a05 {FP}   # desk 12\r\n\n"
                 f"0004.F200.0A06\t{OTHER_FP.upper()}\n0004f2000a05 {FP_HEX}\n")
    body = (f"ProvAuthPinnedDeviceFile {path}\n"
            f"<VirtualHost 127.0.0.1:9>\n    ProvAuthPinnedDeviceFile {path}\n"
            + pinned(path).replace("\n", "\n    ") + "</VirtualHost>\n"
            + pinned(path, "<Location /prov>"))
    code, out, _ = configtest(workdir, "good", body)
    assert code == 0, out
    assert "PA000" not in out, out


def test_empty_pin_file_warns_once(workdir):
    path = write(workdir, "empty.txt", "# nobody approved yet\n\n")
    code, out, conf = configtest(workdir, "empty",
                                 pinned(path) + pinned(path, "<Location /prov>"))
    assert code == 0, f"an empty pin file is a warning, not an error:\n{out}"
    lines = [line for line in out.splitlines() if "PA00060" in line]
    assert len(lines) == 1, f"expected one PA00060 line:\n{out}"
    for needle in ["ProvAuthPinnedDeviceFile: ", f"'{path}'", conf, "no entries",
                   "no device is pinned", "PA00130"]:
        assert needle in lines[0], f"expected {needle!r} in {lines[0]!r}"


def test_pin_file_named_twice_in_a_section_warns(workdir):
    path = write(workdir, "twice.txt", f"0004f2000a05 {FP}\n")
    code, out, _ = configtest(workdir, "twice",
                              "<Directory /srv/prov>\n"
                              f"    ProvAuthPinnedDeviceFile {path}\n"
                              f"    ProvAuthPinnedDeviceFile {path}\n</Directory>\n")
    assert code == 0 and "PA00021: ProvAuthPinnedDeviceFile" in out, out


@pytest.mark.parametrize("args, message", [
    ("full", "ProvAuthCRLCheck: 'full' is not none, leaf or chain"),
    ("leaf no_crl", "ProvAuthCRLCheck: 'no_crl' is not no_crl_for_cert_ok"),
    ("", "ProvAuthCRLCheck takes 1-2 arguments"),
    ("chain no_crl_for_cert_ok extra", "ProvAuthCRLCheck takes 1-2 arguments"),
])
def test_bad_crl_check_arguments_stop_configtest(workdir, args, message):
    code, out, _ = configtest(workdir, f"crlcheck-{abs(hash(args))}",
                              f"<Directory /srv/prov>\n    ProvAuthCRLCheck {args}\n"
                              "</Directory>\n")
    assert code != 0 and message in out, out


@pytest.mark.parametrize("args", ["none", "leaf", "chain", "LEAF", "leaf no_crl_for_cert_ok",
                                  "chain no_crl_for_cert_ok"])
def test_crl_check_arguments_pass_in_every_context(workdir, args):
    body = (f"ProvAuthCRLCheck {args}\n<VirtualHost 127.0.0.1:9>\n"
            f"    ProvAuthCRLCheck {args}\n</VirtualHost>\n"
            f"<Directory /srv/prov>\n    ProvAuthCRLCheck {args}\n</Directory>\n")
    code, out, _ = configtest(workdir, f"crlcheck-ok-{abs(hash(args))}", body)
    assert code == 0, out
    assert "PA000" not in out, out


def test_pin_file_is_refused_in_htaccess(workdir, pki, expect_log):
    from tls_session import start_server, stop_server
    from clients import get
    expect_log.extend([r"AH00529", r"ProvAuthPinnedDeviceFile not allowed here"])
    path = write(workdir, "ht.txt", f"0004f2000a05 {FP}\n")
    body = f"""
Listen 127.0.0.1:{{tls}}
<VirtualHost 127.0.0.1:{{tls}}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5
    <Directory {{root}}/htdocs/ht>
        AllowOverride All
        Require all granted
    </Directory>
</VirtualHost>
"""
    server = start_server(workdir, "ht805", body, ["tls"], extra_dirs=["ht"])
    try:
        htaccess = os.path.join(server.root, "htdocs", "ht", ".htaccess")
        with open(htaccess, "w") as out:
            out.write(f"ProvAuthPinnedDeviceFile {path}\n")
        os.chmod(htaccess, 0o644)
        reply = get(pki, server.ports["tls"], "/ht/0004f2000001.cfg", "valid")
        assert reply.status == 500, str(reply)
        server.settle()
        assert "ProvAuthPinnedDeviceFile not allowed here" in server.read_log()
    finally:
        stop_server(server)
