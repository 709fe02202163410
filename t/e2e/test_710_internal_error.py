"""An internal error while verifying denies or errors, never grants.

The fault is injected through the test build of the module
(mod_provauth_testhooks.so, made by `make check` with -DPROVAUTH_TEST_HOOKS,
never installed): started with PROVAUTH_TEST_FAULT=verify, every verification
reports an internal error after filling its verdict, which for these
trusted phones reads VALID.  Whatever grants on such a verdict is a slip.
Against an installed module (the package test) these tests are skipped."""
import os
import time

import pytest

import slips
from clients import get

TRUSTED = {"VALID", "EXPIRED", "NOT_YET_VALID"}
# The directories and what they require; each holds the valid phone's file.
DIRS = {
    "device": ["Require provauth-device"],
    "mac": ["Require provauth-mac"],
    "allow": ["Require provauth-allowlist {root}/allow.txt"],
    "crl": ["ProvAuthCRLFile {poly_crl}", "Require provauth-device"],  # no shortcut
    "pinned": ["ProvAuthCACertificateFile {poly_root}", "Require provauth-device"],
    "notdevice": ["<RequireAll>", "    Require all granted",
                  "    Require not provauth-device", "</RequireAll>"],
    "open": ["Require all granted"],
}
FILE = "0004f2000001.cfg"


def hooks_module():
    path = os.environ.get("PROVAUTH_TEST_HOOKS_MODULE")
    if not path:
        # A subset run with PROVAUTH_MODULE only: the test build sits beside it.
        path = os.path.join(os.path.dirname(os.environ.get("PROVAUTH_MODULE", "")),
                            "mod_provauth_testhooks.so")
        if not os.path.exists(path):
            pytest.skip("no mod_provauth_testhooks.so (built by make check; never "
                        "installed, so skipped against an installed module)")
    assert os.path.exists(path), f"PROVAUTH_TEST_HOOKS_MODULE={path} does not exist"
    return os.path.abspath(path)


@pytest.fixture(scope="module")
def faulty_httpd(workdir, pki):
    module = hooks_module()
    dirs = "".join(slips.directory(name, *lines) for name, lines in DIRS.items())
    extra = "\n".join(["    ProvAuthAcceptExpired On",
                       f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"])
    body = slips.vhost(pki, "noca", "optional_no_ca", extra, dirs) \
        .replace("{poly_crl}", pki.path("poly-crl.pem")) \
        .replace("{poly_root}", pki.path("poly-root.pem"))
    root = os.path.join(workdir, "faulty")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "allow.txt"), "w") as out:
        out.write("0004f2000001\n")
    server = slips.start(workdir, "faulty", body, ["noca"],
                         files=[f"{name}/{FILE}" for name in DIRS], module=module,
                         env={"PROVAUTH_TEST_FAULT": "verify"})
    yield server
    slips.stop(server)


@pytest.fixture
def errors(expect_log):
    # 403 with PA00102 today; 500 with PA00102 once providers answer
    # AUTHZ_GENERAL_ERROR; mod_authz_core's own lines either way.
    expect_log.extend([r"PA0010[12]", r"AH016\d\d"])


def assert_refused(reply, what):
    assert reply.status not in (0, 200), f"{what}: expected 403 or 500, got {reply}"
    assert reply.status in (403, 500), f"{what}: expected 403 or 500, got {reply}"
    assert reply.headers.get("x-provauth-status") not in TRUSTED, \
        f"{what}: a trusted status was exported: {reply}"
    assert reply.headers.get("x-provauth-mac") == "(null)", \
        f"{what}: a MAC was exported: {reply}"


def test_server_answers_where_no_provauth_requirement_runs(pki, faulty_httpd):
    """Control: the fault is in verification only."""
    reply = get(pki, faulty_httpd.ports["noca"], f"/open/{FILE}", "valid")
    assert reply.status == 200, f"expected 200, got {reply}"


@pytest.mark.parametrize("directory", ["device", "mac", "allow", "crl", "pinned"])
def test_internal_error_never_grants(pki, faulty_httpd, errors, directory):
    path = f"/{directory}/{FILE}"
    reply = get(pki, faulty_httpd.ports["noca"], path, "valid")
    assert_refused(reply, path)
    time.sleep(0.2)  # the log line follows the response
    lines = [line for line in faulty_httpd.read_log().splitlines()
             if "PA00102" in line and f'uri "{path}"' in line]
    assert lines, f"expected a PA00102 line for {path}"


def test_internal_error_on_every_keep_alive_request(pki, faulty_httpd, errors):
    """A failed verification is not cached as a verdict: each request tries
    again, and each is refused while the fault lasts.  An internal error is
    answered 500, on which httpd closes the connection, so each request
    comes on a connection of its own."""
    for attempt in range(3):
        reply = get(pki, faulty_httpd.ports["noca"], f"/device/{FILE}", "valid")
        assert_refused(reply, f"request {attempt + 1}")
        if reply.status == 500:
            assert reply.headers.get("connection") == "close", str(reply)


def test_internal_error_is_no_grant_under_require_not(pki, faulty_httpd, errors):
    reply = get(pki, faulty_httpd.ports["noca"], f"/notdevice/{FILE}", "valid")
    assert_refused(reply, "Require not provauth-device")
