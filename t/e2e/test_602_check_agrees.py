"""provauth-check gives the module's verdict: for every device of the test PKI
and several trust configurations of the running module, its status, error
(hint included), days left, MAC and Require provauth-mac decision equal what
the module exports (PROVAUTH_STATUS, PROVAUTH_ERROR, PROVAUTH_DAYS_LEFT,
PROVAUTH_MAC) and does."""
import json
import os
import shutil
import subprocess

import pytest

from clients import get, tls_context

CHECK = os.environ.get("PROVAUTH_CHECK") or shutil.which("provauth-check")

CISCO_RULE = ["--mac-from", "CN", "SEP([0-9A-Fa-f]{12})$"]


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630", r"AH02039", r"AH02008", r"AH02040",
                       r"AH02261", r"AH02262"])


@pytest.fixture(scope="module")
def check():
    if not CHECK or not os.access(CHECK, os.X_OK):
        pytest.skip("no provauth-check (set PROVAUTH_CHECK)")
    return CHECK


def verdicts(check, pki, files, *args):
    """provauth-check --json on files: a result per file, in order."""
    result = subprocess.run([check, "--json", *args, *files], capture_output=True,
                            text=True)
    assert result.returncode in (0, 1), (
        f"provauth-check exit {result.returncode}:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout)["results"]


def connect_as(pki, device, chain=True):
    """A client context presenting the device, SHA-1 certificates included."""
    ctx = tls_context(pki)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(pki.chain(device) if chain else pki.cert(device), pki.key)
    return ctx


def header(value):
    """A variable as the Header directive shows it: '(null)' when unset."""
    return "(null)" if value is None else value


def compare(pki, server, check, port_key, scenarios, chain=True,
            refusal_is_verdict=True):
    """Request each scenario's path with every device over one connection, run
    provauth-check with the scenario's options on the same files, and return
    every difference.  refusal_is_verdict: the vhost refuses a handshake only
    for a chain no provauth directory would trust (not for, say, a SHA-1
    signature below its security level)."""
    devices = sorted(pki.devices)
    files = [pki.chain(d) if chain else pki.cert(d) for d in devices]
    cli = {name: verdicts(check, pki, files, *args) for name, (_, args) in
           scenarios.items()}
    differences = []
    for i, device in enumerate(devices):
        paths = [path for path, _ in scenarios.values()]
        replies = get(pki, server.ports[port_key], paths,
                      context=connect_as(pki, device, chain))
        replies = replies if isinstance(replies, list) else [replies]
        for (name, (path, args)), reply in zip(scenarios.items(), replies):
            mine = cli[name][i]
            if reply.rejected:
                # Refused at the handshake: the module never grants it.
                if refusal_is_verdict and (mine["granted"] or mine["status"] != "FAILED"):
                    differences.append(f"{device} {name}: handshake refused, "
                                       f"provauth-check says {mine['status']}")
                continue
            granted = reply.status != 403
            module = (reply.headers.get("x-provauth-status"),
                      reply.headers.get("x-provauth-error"),
                      reply.headers.get("x-provauth-mac"),
                      reply.headers.get("x-provauth-days-left"), granted)
            trusted = mine["status"] in ("VALID", "EXPIRED", "NOT_YET_VALID")
            expected = (mine["status"], header(mine["error"]),
                        header(mine["mac"] if trusted else None),
                        str(mine["days_left"]), mine["granted"])
            if module != expected:
                differences.append(f"{device} {name} {path}:\n  module          {module}"
                                   f"\n  provauth-check  {expected}")
    return differences


def trust_args(pki, ca, crl=None):
    args = ["--ca", pki.path(ca), "--intermediates", pki.path("all-intermediates.pem")]
    return args + (["--crl", pki.path(crl)] if crl else [])


@pytest.mark.parametrize("chain", [True, False], ids=["chain", "leaf-only"])
def test_device_verdicts_equal_the_modules_in_each_trust_configuration(
        pki, provauth_httpd, check, denials, chain):
    # The legacy vhost (optional_no_ca, SECLEVEL=0) lets every device through
    # the handshake; its directories trust the vhost's roots, Poly's root
    # only, and the vhost's roots with Poly's CRLs.
    scenarios = {
        "vhost anchors": ("/dev/0004f2000001.cfg", trust_args(pki, "vendor-roots.pem")),
        "poly anchors": ("/poly/0004f2000001.cfg", trust_args(pki, "poly-root.pem")),
        "with CRLs": ("/crl/0004f2000001.cfg",
                      trust_args(pki, "vendor-roots.pem", "poly-crl.pem")),
    }
    differences = compare(pki, provauth_httpd, check, "legacy", scenarios, chain)
    assert not differences, "\n".join(differences)


def test_require_provauth_mac_decisions_equal_the_modules(pki, provauth_httpd, check,
                                                          denials):
    poly = trust_args(pki, "poly-root.pem")
    roots = trust_args(pki, "vendor-roots.pem")
    scenarios = {
        "own file": ("/polycom/0004f2000001.cfg",
                     poly + ["--path", "/polycom/0004f2000001.cfg"]),
        "shared file": ("/polycom/y000000000028.cfg",
                        poly + ["--path", "/polycom/y000000000028.cfg"]),
        "cisco rule": ("/cisco/SEP001122334455.cnf.xml",
                       roots + CISCO_RULE + ["--path", "/cisco/SEP001122334455.cnf.xml"]),
        "whole path": ("/tree/0004f2000001/phone.cfg",
                       roots + ["--whole-path", "--path", "/tree/0004f2000001/phone.cfg"]),
    }
    # The mac vhost keeps OpenSSL's security level: legacy-sha1 never gets in.
    differences = compare(pki, provauth_httpd, check, "mac", scenarios,
                          refusal_is_verdict=False)
    assert not differences, "\n".join(differences)


def test_every_device_was_compared(pki, provauth_httpd, check, denials):
    """The comparisons above are only as good as the devices that reach the
    module: on the legacy vhost all but the wrong-purpose one do."""
    rejected = [d for d in sorted(pki.devices)
                if get(pki, provauth_httpd.ports["legacy"], "/open/shared.cfg",
                       context=connect_as(pki, d)).rejected]
    assert rejected == ["noclientauth"], rejected
