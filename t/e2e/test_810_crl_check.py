"""ProvAuthCRLCheck none | leaf | chain [no_crl_for_cert_ok], as mod_ssl's
SSLCARevocationCheck, in a real apache2: each mode against a CRL file that
lacks one issuing CA's CRL, against a revoked device and a revoked CA; the
default is unchanged; a pinned phone needs no CRL; startup warns once per CA
without a CRL where the check is strict (PA00061), and only there (issue 11)."""
import os
import re
import shutil
import subprocess

import pytest

from clients import get
from conftest import COMMON, tls_vhost
from tls_session import start_server, stop_server

NO_CRL = "unable to get certificate CRL"
REVOKED = "certificate revoked"

# directory -> (ProvAuthCRLCheck arguments or None, CRL file)
DIRS = {
    "default": (None, "missing-old"),
    "leaf": ("leaf", "missing-old"),
    "leafok": ("leaf no_crl_for_cert_ok", "missing-old-copy1"),
    "chain": ("chain", "chain-no-root"),
    "chainfull": ("chain", "chain-full"),
    "chainok": ("chain no_crl_for_cert_ok", "missing-old-copy2"),
    "chainca": ("chain", "ca-revoked"),
    "leafca": ("leaf", "ca-revoked"),
    "none": ("none", "missing-old-copy3"),
    "pinned": ("chain", "chain-no-root"),
}

# directory -> {device: expected reason, or None for granted}
EXPECTED = {
    "default": {"valid": None, "revoked": REVOKED, "oldca": NO_CRL},
    "leaf": {"valid": None, "revoked": REVOKED, "oldca": NO_CRL},
    "leafok": {"valid": None, "revoked": REVOKED, "oldca": None},
    # OpenSSL checks from the device up: its own revocation is found first.
    "chain": {"valid": NO_CRL, "revoked": REVOKED, "oldca": NO_CRL},
    "chainfull": {"valid": None, "revoked": REVOKED, "oldca": None},
    "chainok": {"valid": None, "revoked": REVOKED, "oldca": None},
    "chainca": {"valid": None, "revoked": REVOKED, "oldca": REVOKED},
    "leafca": {"valid": None, "revoked": REVOKED, "oldca": None},
    "none": {"valid": None, "revoked": None, "oldca": None},
}


def write_crls(pki):
    p = pki
    revoked = [p.devices["revoked"]]
    files = {
        "missing-old": [(p.poly_issuing, revoked)],
        "chain-no-root": [(p.poly_issuing, revoked), (p.poly_issuing_old, []),
                          (p.poly_policy, [])],
        "chain-full": [(p.poly_issuing, revoked), (p.poly_issuing_old, []),
                       (p.poly_policy, []), (p.poly_root, [])],
        "ca-revoked": [(p.poly_issuing, revoked), (p.poly_issuing_old, []),
                       (p.poly_policy, [p.poly_issuing_old.cert]), (p.poly_root, [])],
    }
    for name, issued in files.items():
        p._crl(f"crl810-{name}.pem", issued)
    for copy in ["copy1", "copy2", "copy3"]:
        shutil.copy(p.path("crl810-missing-old.pem"),
                    p.path(f"crl810-missing-old-{copy}.pem"))


def body(pki, root_pins):
    dirs = ""
    for name, (check, crl_file) in DIRS.items():
        lines = [f"ProvAuthCACertificateFile {pki.path('poly-root.pem')}",
                 f"ProvAuthCRLFile {pki.path(f'crl810-{crl_file}.pem')}"]
        if check:
            lines.append(f"ProvAuthCRLCheck {check}")
        if name == "pinned":
            lines.append(f"ProvAuthPinnedDeviceFile {root_pins}")
        lines.append("Require provauth-device")
        dirs += (f"\n    <Directory {{root}}/htdocs/{name}>\n        "
                 + "\n        ".join(lines) + "\n    </Directory>")
    return (COMMON + "Listen 127.0.0.1:{tls}\n"
            + tls_vhost(pki, "tls", "optional_no_ca",
                        "    ProvAuthAcceptExpired On\n"
                        f"    ProvAuthIntermediateFile {pki.path('poly-intermediates.pem')}",
                        dirs))


@pytest.fixture(scope="module")
def server(workdir, pki):
    write_crls(pki)
    pins = os.path.join(workdir, "pins810.txt")
    fingerprint = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256",
                                  "-in", pki.cert("selfsigned")], capture_output=True,
                                 text=True, check=True).stdout.strip().split("=", 1)[1]
    with open(pins, "w") as out:
        out.write(f"0004f2000004 {fingerprint}\n")
    server = start_server(workdir, "crl810", body(pki, pins), ["tls"],
                          extra_dirs=list(DIRS))
    yield server
    stop_server(server)


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


CASES = [(directory, device, reason) for directory, devices in EXPECTED.items()
         for device, reason in devices.items()]


@pytest.mark.parametrize("directory, device, reason", CASES,
                         ids=[f"{d}-{v}" for d, v, _ in CASES])
def test_crl_check_mode(server, pki, denials, directory, device, reason):
    reply = get(pki, server.ports["tls"], f"/{directory}/0004f2000001.cfg", device)
    if reason is None:
        assert reply.status == 200, f"{directory}/{device}: {reply}"
        assert reply.headers["x-provauth-status"] in ("VALID", "EXPIRED"), str(reply)
    else:
        assert reply.status == 403, f"{directory}/{device}: {reply}"
        assert reply.headers["x-provauth-status"] == "FAILED", str(reply)
        assert reply.headers["x-provauth-error"].startswith(reason), str(reply)


def test_missing_crl_hint_names_the_ca_and_no_crl_for_cert_ok(server, pki, denials):
    reply = get(pki, server.ports["tls"], "/chain/0004f2000001.cfg", "valid")
    error = reply.headers["x-provauth-error"]
    assert "no CRL issued by 'CN=Poly Test Root CA,O=Poly' in ProvAuthCRLFile" in error, \
        error
    assert "no_crl_for_cert_ok" in error, error


def test_pinned_phone_needs_no_crl(server, pki, denials):
    reply = get(pki, server.ports["tls"], "/pinned/0004f2000004.cfg", "selfsigned")
    assert reply.status in (200, 404), str(reply)
    assert reply.headers["x-provauth-status"] == "PINNED", str(reply)
    # ... while a vendor device there is held to the strict chain check.
    reply = get(pki, server.ports["tls"], "/pinned/0004f2000001.cfg", "valid")
    assert reply.status == 403 and reply.headers["x-provauth-error"].startswith(NO_CRL), \
        str(reply)


def test_startup_warns_once_per_ca_without_crl_where_strict(server, pki):
    lines = [line for line in server.read_log().splitlines() if "PA00061" in line]
    # Two configuration passes at start; the warnings come from the one that runs.
    old = [line for line in lines if "crl810-missing-old.pem'" in line]
    assert len(old) == 1, "\n".join(lines)
    assert "no CRL issued by 'CN=Poly Test Issuing CA 2009,O=Poly'" in old[0], old
    assert "every device certificate issued by it is refused" in old[0], old
    assert "[provauth:warn]" in old[0], old
    no_root = [line for line in lines if "crl810-chain-no-root.pem'" in line]
    assert len(no_root) == 1, "\n".join(lines)
    assert re.search(r"ProvAuthCRLCheck chain\) but .* no CRL issued by "
                     r"'CN=Poly Test Root CA,O=Poly'", no_root[0]), no_root
    for lenient in ["copy1", "copy2", "copy3", "chain-full", "ca-revoked"]:
        assert not [line for line in lines if lenient in line], "\n".join(lines)


CHECK = os.environ.get("PROVAUTH_CHECK") or shutil.which("provauth-check")


@pytest.mark.skipif(not CHECK, reason="no provauth-check (set PROVAUTH_CHECK)")
@pytest.mark.parametrize("directory", list(EXPECTED))
def test_provauth_check_crl_check_agrees_with_the_module(server, pki, directory):
    import json
    check, crl_file = DIRS[directory]
    args = [CHECK, "--ca", pki.path("poly-root.pem"), "--intermediates",
            pki.path("poly-intermediates.pem"), "--crl",
            pki.path(f"crl810-{crl_file}.pem"), "--json"]
    if check:
        args += ["--crl-check", *check.split()]
    devices = list(EXPECTED[directory])
    result = subprocess.run(args + [pki.chain(device) for device in devices],
                            capture_output=True, text=True)
    assert result.returncode in (0, 1), result
    for device, verdict in zip(devices, json.loads(result.stdout)["results"]):
        reason = EXPECTED[directory][device]
        if reason is None:
            assert verdict["granted"], (device, verdict)
        else:
            assert verdict["status"] == "FAILED" and verdict["reason"].startswith(reason), \
                (device, verdict)
