"""Pinned self-signed phones (issue 11): ProvAuthPinnedDeviceFile trusts one
certificate for one MAC (PINNED), under optional_no_ca and under require;
impostors and mismatched pins are refused; removing a pin and a graceful
restart refuses the phone; pins compose with allow-lists and passwords; the
enrollment line (PA00130) of an unpinned phone, pasted into the file,
admits it; a pin of one virtual host is not borrowed through SNI (PA00131)."""
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from clients import Reply
from conftest import COMMON, PHONE_PASSWORD, PHONE_USER, tls_vhost
from httpd import make_world_readable
from pki import EXPIRED_2024, NOW, YEAR, _build, _key, _name
from tls_session import graceful, start_server, stop_server

CHECK = os.environ.get("PROVAUTH_CHECK") or shutil.which("provauth-check")

# Self-signed phones of this file: name -> (MAC, expired?)
PHONES = {
    "old": ("0004f2000a05", True),        # pinned, expired in 2024
    "other": ("0004f2000a06", False),     # pinned, current
    "new": ("0004f2000a07", False),       # not pinned: the enrollment candidate
    "impostor": ("0004f2000a05", False),  # old's MAC, another key
}
FILES = ["0004f2000a05.cfg", "0004f2000a06.cfg", "0004f2000a07.cfg"]
DIRS = ["pinned", "allow", "pwany", "pwall", "wrongmac", "nopins", "vendor"]

# mod_ssl's lines for refused handshakes and authz refusals; AH01882: Debian's
# mod_ssl built against a newer OpenSSL, at every (graceful) start.
NOISE = [r"AH01630", r"AH01797", r"AH02039", r"AH02008", r"AH02261", r"AH01882"]
UNRELATED_PIN = "0004f2000a99 " + ":".join(["00"] * 31 + ["01"])


class Phones:
    """The phones' certificates and keys, written below `directory`."""

    def __init__(self, directory, pki):
        os.makedirs(directory, exist_ok=True)
        self.dir = directory
        self.certs = {}
        for name, (mac, expired) in PHONES.items():
            key = _key()
            not_before, not_after = ((NOW.replace(year=2009), EXPIRED_2024) if expired
                                     else (NOW - YEAR, NOW + 10 * YEAR))
            cert = _build(_name(mac, "Poly"), key, None, not_before, not_after, ca=False,
                          eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
            self.certs[name] = cert
            with open(self.cert(name), "wb") as out:
                out.write(cert.public_bytes(serialization.Encoding.PEM))
            with open(self.key(name), "wb") as out:
                out.write(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.TraditionalOpenSSL,
                                            serialization.NoEncryption()))
        self.pki = pki
        self.contexts = {}

    def cert(self, name):
        return os.path.join(self.dir, f"{name}.crt")

    def key(self, name):
        return os.path.join(self.dir, f"{name}.key")

    def fingerprint(self, name):
        """As `openssl x509 -fingerprint -sha256` prints it."""
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256",
                              "-in", self.cert(name)], capture_output=True, text=True,
                             check=True).stdout
        return out.strip().split("=", 1)[1]

    def pin_line(self, name, mac=None):
        return f"{mac or PHONES[name][0]} {self.fingerprint(name)}"

    def context(self, name, tls=None):
        """One context per device and TLS version: Python resumes only the
        sessions of the context that made them."""
        if (name, tls) not in self.contexts:
            self.contexts[(name, tls)] = self._context(name, tls)
        return self.contexts[(name, tls)]

    def _context(self, name, tls):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(self.pki.path("server-ca.pem"))
        if name in self.certs:
            ctx.load_cert_chain(self.cert(name), self.key(name))
        elif name is not None:       # a device of the suite's PKI
            ctx.load_cert_chain(self.pki.chain(name), self.pki.key)
        if tls:
            ctx.minimum_version = ctx.maximum_version = tls
        return ctx


def request(phones, port, path, device, sni="localhost", host=None, auth=None,
            session=None, tls=None):
    """One GET on a connection of its own; a Reply (status 0 when refused)."""
    headers = {"Host": host or sni}
    if auth:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    ctx = phones.context(device, tls)
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock = ctx.wrap_socket(raw, server_hostname=sni, session=session)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.sock = sock
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                      session_reused=sock.session_reused)
        request.last_session = sock.session
        conn.close()
        return reply
    except (ssl.SSLError, OSError, http.client.HTTPException) as err:
        return Reply(error=f"{type(err).__name__}: {err}")


def pinned_dir(name, require, pins="{root}/pins.txt"):
    return f"""
    <Directory {{root}}/htdocs/{name}>
        ProvAuthPinnedDeviceFile {pins}
{require}
    </Directory>"""


def body(pki):
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    accept = "    ProvAuthAcceptExpired On\n" + intermediates
    auth = ("        AuthType Basic\n        AuthName provisioning\n"
            "        AuthUserFile {root}/htpasswd\n")
    dirs = (pinned_dir("pinned", "        Require provauth-mac")
            + pinned_dir("allow", "        <RequireAll>\n"
                         "            Require provauth-mac\n"
                         "            Require provauth-allowlist {root}/allow800.txt\n"
                         "        </RequireAll>")
            + pinned_dir("pwany", auth + "        <RequireAny>\n"
                         "            Require provauth-mac\n"
                         "            Require valid-user\n"
                         "        </RequireAny>")
            + pinned_dir("pwall", auth + "        <RequireAll>\n"
                         "            Require provauth-mac\n"
                         "            Require valid-user\n"
                         "        </RequireAll>")
            + pinned_dir("wrongmac", "        Require provauth-device",
                         pins="{root}/wrongmac.txt")
            + pinned_dir("vendor", "        Require provauth-mac")
            + """
    <Directory {root}/htdocs/nopins>
        Require provauth-device
    </Directory>""")
    text = COMMON + "Listen 127.0.0.1:{noca}\nListen 127.0.0.1:{require}\n"
    text += "Listen 127.0.0.1:{sni}\n"
    text += tls_vhost(pki, "noca", "optional_no_ca", accept, dirs)
    text += tls_vhost(pki, "require", "require", accept, dirs)
    # One port, two names, equal mod_ssl settings: pins only in a.test.
    text += tls_vhost(pki, "sni", "require", accept, dirs, server_name="a.test")
    text += tls_vhost(pki, "sni", "require", accept, """
    <Directory {root}/htdocs/nopins>
        Require provauth-device
    </Directory>""", server_name="b.test")
    return text


@pytest.fixture(scope="module")
def phones(workdir, pki):
    return Phones(os.path.join(workdir, "phones800"), pki)


def write_pins(server, lines, name="pins.txt"):
    with open(os.path.join(server.root, name), "w") as out:
        out.write("# pinned self-signed phones\n" + "".join(f"{line}\n" for line in lines))


@pytest.fixture(scope="module")
def server(workdir, pki, phones):
    root = os.path.join(workdir, "pin800")
    os.makedirs(root, exist_ok=True)
    base = [phones.pin_line("old"), phones.pin_line("other")]
    with open(os.path.join(root, "pins.txt"), "w") as out:
        out.write("".join(f"{line}\n" for line in base))
    with open(os.path.join(root, "wrongmac.txt"), "w") as out:
        out.write(phones.pin_line("old", mac="0004f2000a99") + "\n")
    with open(os.path.join(root, "allow800.txt"), "w") as out:
        out.write("0004f2000a05\n")
    server = start_server(workdir, "pin800", body(pki), ["noca", "require", "sni"])
    for directory in DIRS:
        path = os.path.join(server.root, "htdocs", directory)
        os.makedirs(path, exist_ok=True)
        for name in FILES + ["0004f2000001.cfg"]:
            with open(os.path.join(path, name), "w") as out:
                out.write(f"{directory}/{name}\n")
    make_world_readable(os.path.join(server.root, "htdocs"))
    server.base_pins = base
    yield server
    stop_server(server)


@pytest.fixture
def noise(expect_log):
    expect_log.extend(NOISE + [r"PA00101", r"PA00130"])
    return expect_log


def wait_for_line(server, pattern, timeout=3.0, since=0):
    """Lines of the error log (from offset since) matching pattern."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        hits = [line for line in server.read_log()[since:].splitlines()
                if re.search(pattern, line)]
        if hits:
            return hits
        time.sleep(0.05)
    return []


# ---- a pinned phone gets its own file and no other -----------------------

@pytest.mark.parametrize("port", ["noca", "require"])
def test_pinned_self_signed_expired_phone_gets_its_own_file(server, phones, noise, port):
    reply = request(phones, server.ports[port], "/pinned/0004f2000a05.cfg", "old")
    assert reply.status == 200, str(reply)
    assert reply.headers["x-provauth-status"] == "PINNED", str(reply)
    assert reply.headers["x-provauth-mac"] == "0004f2000a05", str(reply)
    assert reply.headers["x-provauth-error"] == "(null)", str(reply)
    assert int(reply.headers["x-provauth-days-left"]) < 0, str(reply)
    # The verify result of a pinned leaf: as for a trusted one.
    assert reply.headers["x-ssl-client-verify"] == "SUCCESS", str(reply)


@pytest.mark.parametrize("port", ["noca", "require"])
def test_pinned_phone_does_not_get_another_phones_file(server, phones, noise, port):
    for other in ["0004f2000a06.cfg", "0004f2000001.cfg"]:
        reply = request(phones, server.ports[port], f"/pinned/{other}", "old")
        assert reply.status == 403, f"{other}: {reply}"
        assert reply.headers["x-provauth-status"] == "PINNED", str(reply)
        assert reply.headers["x-provauth-error"] == \
            "MAC 0004f2000a05 is not in the requested file name", str(reply)


@pytest.mark.parametrize("tls", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_pinned_session_is_not_resumed(server, phones, noise, tls):
    port = server.ports["noca"]
    # Control: a vendor device's session is resumed.
    request(phones, port, "/vendor/0004f2000001.cfg", "valid", tls=tls)
    control = request(phones, port, "/vendor/0004f2000001.cfg", "valid",
                      session=request.last_session, tls=tls)
    assert control.status == 200 and control.session_reused, str(control)
    first = request(phones, port, "/pinned/0004f2000a05.cfg", "old", tls=tls)
    second = request(phones, port, "/pinned/0004f2000a05.cfg", "old",
                     session=request.last_session, tls=tls)
    assert first.status == second.status == 200, f"{first} {second}"
    assert not second.session_reused, "a pinned phone's session was resumed"
    assert second.headers["x-ssl-client-verify"] == "SUCCESS", str(second)


# ---- impostors and mismatched pins ---------------------------------------

def test_impostor_with_the_pinned_mac_is_refused_at_request_time(server, phones, noise):
    since = len(server.read_log())
    reply = request(phones, server.ports["noca"], "/pinned/0004f2000a05.cfg", "impostor")
    assert reply.status == 403, str(reply)
    assert reply.headers["x-provauth-status"] == "FAILED", str(reply)
    error = reply.headers["x-provauth-error"]
    assert error.startswith("MAC 0004f2000a05 is pinned to another certificate in "
                            f"{server.root}/pins.txt (this one's SHA-256 fingerprint is "
                            f"{phones.fingerprint('impostor')})"), error
    assert reply.headers["x-provauth-mac"] == "(null)", str(reply)
    assert reply.headers["x-ssl-client-verify"] != "SUCCESS", str(reply)
    assert wait_for_line(server, r"PA00101: denied by Require provauth-mac: MAC "
                                 r"0004f2000a05 is pinned to another certificate",
                         since=since)


def test_impostor_with_the_pinned_mac_is_refused_at_the_handshake(server, phones, noise):
    reply = request(phones, server.ports["require"], "/pinned/0004f2000a05.cfg",
                    "impostor")
    assert reply.rejected, f"the handshake accepted the impostor: {reply}"


def test_pinned_certificate_presented_with_another_mac_is_refused(server, phones, noise):
    # wrongmac.txt pins old's certificate for 0004f2000a99.
    reply = request(phones, server.ports["noca"], "/wrongmac/0004f2000a05.cfg", "old")
    assert reply.status == 403, str(reply)
    assert reply.headers["x-provauth-status"] == "FAILED", str(reply)
    assert reply.headers["x-provauth-error"] == (
        f"certificate pinned for MAC 0004f2000a99 in {server.root}/wrongmac.txt, "
        "but it carries MAC 0004f2000a05"), str(reply)


def test_pins_apply_only_where_the_directive_does(server, phones, noise):
    reply = request(phones, server.ports["noca"], "/nopins/0004f2000a05.cfg", "old")
    assert reply.status == 403, str(reply)
    assert reply.headers["x-provauth-error"] == "self-signed certificate", str(reply)


def test_vendor_device_keeps_its_own_status_where_pins_apply(server, phones, noise):
    reply = request(phones, server.ports["noca"], "/vendor/0004f2000001.cfg", "valid")
    assert reply.status == 200, str(reply)
    assert reply.headers["x-provauth-status"] == "VALID", str(reply)
    assert reply.headers["x-ssl-client-verify"] == "SUCCESS", str(reply)


# ---- composing with allow-lists and passwords ----------------------------

def test_pins_compose_with_allow_lists(server, phones, noise):
    listed = request(phones, server.ports["noca"], "/allow/0004f2000a05.cfg", "old")
    unlisted = request(phones, server.ports["noca"], "/allow/0004f2000a06.cfg", "other")
    assert listed.status == 200 and listed.headers["x-provauth-status"] == "PINNED", \
        str(listed)
    assert unlisted.status == 403, str(unlisted)
    assert unlisted.headers["x-provauth-error"] == \
        f"MAC 0004f2000a06 is not in the allow-list {server.root}/allow800.txt", \
        str(unlisted)


def test_pins_compose_with_passwords(server, phones, noise, expect_log):
    expect_log.append(r"AH01618|AH01617|AH01614")
    credentials = f"{PHONE_USER}:{PHONE_PASSWORD}"
    port = server.ports["noca"]
    # RequireAny: the pin alone, or the password alone for an unpinned phone.
    assert request(phones, port, "/pwany/0004f2000a05.cfg", "old").status == 200
    assert request(phones, port, "/pwany/0004f2000a07.cfg", "new").status == 401
    assert request(phones, port, "/pwany/0004f2000a07.cfg", "new",
                   auth=credentials).status == 200
    # RequireAll: both.
    assert request(phones, port, "/pwall/0004f2000a05.cfg", "old").status == 401
    assert request(phones, port, "/pwall/0004f2000a05.cfg", "old",
                   auth=credentials).status == 200
    assert request(phones, port, "/pwall/0004f2000a07.cfg", "new",
                   auth=credentials).status == 403


# ---- removing a pin; enrolling a phone -----------------------------------

def test_removing_the_pin_and_a_graceful_restart_refuses_the_phone(server, phones, noise):
    try:
        # The handshake knows every pin file of the virtual host: take the
        # certificate out of wrongmac.txt too.
        write_pins(server, [phones.pin_line("other")])
        write_pins(server, [UNRELATED_PIN], name="wrongmac.txt")
        graceful(server)
        reply = request(phones, server.ports["noca"], "/pinned/0004f2000a05.cfg", "old")
        assert reply.status == 403, str(reply)
        assert reply.headers["x-provauth-error"] == "self-signed certificate", str(reply)
        assert request(phones, server.ports["require"], "/pinned/0004f2000a05.cfg",
                       "old").rejected
        # The other pin still holds.
        assert request(phones, server.ports["require"], "/pinned/0004f2000a06.cfg",
                       "other").status == 200
    finally:
        write_pins(server, server.base_pins)
        write_pins(server, [phones.pin_line("old", mac="0004f2000a99")],
                   name="wrongmac.txt")
        graceful(server)
    assert request(phones, server.ports["require"], "/pinned/0004f2000a05.cfg",
                   "old").status == 200


def test_enrollment_line_pasted_into_the_file_admits_the_phone(server, phones, noise):
    port = server.ports["noca"]
    since = len(server.read_log())
    reply = request(phones, port, "/pinned/0004f2000a07.cfg", "new")
    assert reply.status == 403, str(reply)
    assert request(phones, server.ports["require"], "/pinned/0004f2000a07.cfg",
                   "new").rejected
    lines = wait_for_line(server, r"PA00130: .*0004f2000a07", since=since)
    assert len(lines) == 1, lines
    line = lines[0]
    expected = phones.pin_line("new")
    for needle in ["denied by Require provauth-mac: self-signed certificate, not pinned",
                   "MAC 0004f2000a07", f"SHA-256 fingerprint {phones.fingerprint('new')}",
                   'uri "/pinned/0004f2000a07.cfg"']:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert line.endswith(f"add to {server.root}/pins.txt the line: {expected}"), line
    # Exactly one line for the refused request: no PA00101 besides it.
    assert not wait_for_line(server, r"PA00101", timeout=0.2, since=since)
    pasted = line.rsplit(" the line: ", 1)[1]
    # provauth-check --pin prints the same line.
    if CHECK:
        result = subprocess.run([CHECK, "--pin", phones.cert("new")], capture_output=True,
                                text=True)
        assert result.returncode == 0 and result.stdout == pasted + "\n", result
    try:
        write_pins(server, server.base_pins + [pasted])
        graceful(server)
        for port_key in ["noca", "require"]:
            reply = request(phones, server.ports[port_key], "/pinned/0004f2000a07.cfg",
                            "new")
            assert reply.status == 200, f"{port_key}: {reply}"
            assert reply.headers["x-provauth-status"] == "PINNED", str(reply)
    finally:
        write_pins(server, server.base_pins)
        graceful(server)


def test_no_enrollment_line_where_no_pins_apply(server, phones, noise):
    since = len(server.read_log())
    reply = request(phones, server.ports["noca"], "/nopins/0004f2000a07.cfg", "new")
    assert reply.status == 403, str(reply)
    assert wait_for_line(server, r"PA00101: .*uri \"/nopins/0004f2000a07.cfg\"",
                         since=since)
    assert not wait_for_line(server, r"PA00130", timeout=0.3, since=since)


# ---- a pin is not borrowed through SNI ------------------------------------

def test_pin_of_one_virtual_host_is_not_borrowed_through_sni(server, phones, noise,
                                                             expect_log):
    expect_log.append(r"PA00131")
    port = server.ports["sni"]
    own = request(phones, port, "/pinned/0004f2000a05.cfg", "old", sni="a.test")
    assert own.status == 200, str(own)
    borrowed = request(phones, port, "/nopins/0004f2000a05.cfg", "old", sni="a.test",
                       host="b.test")
    assert borrowed.status == 421, str(borrowed)
    lines = wait_for_line(server, r"PA00131: refused with 421")
    assert lines and "Host b.test" in lines[-1] and "SNI a.test" in lines[-1], lines
    # Directly, b.test refuses the phone at its handshake.
    assert request(phones, port, "/nopins/0004f2000a05.cfg", "old", sni="b.test").rejected


# ---- provauth-check agrees ---------------------------------------------------

@pytest.fixture
def check():
    if not CHECK:
        pytest.skip("no provauth-check (set PROVAUTH_CHECK)")
    return CHECK


def test_provauth_check_pins_and_judges_as_the_module(server, phones, pki, check):
    pins = os.path.join(server.root, "pins.txt")
    ca = ["--ca", pki.path("vendor-roots.pem")]
    result = subprocess.run([check, "--pin", phones.cert("old"), phones.cert("other")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == server.base_pins, result.stdout
    for name, status, code in [("old", "PINNED", 0), ("impostor", "FAILED", 1),
                               ("new", "FAILED", 1)]:
        result = subprocess.run([check, *ca, "--pinned", pins, "--json",
                                 phones.cert(name)], capture_output=True, text=True)
        assert result.returncode == code, result
        import json
        verdict = json.loads(result.stdout)["results"][0]
        assert verdict["status"] == status, verdict
        if name == "new":
            assert verdict["pin_line"] == phones.pin_line("new"), verdict
        if name == "impostor":
            assert verdict["error"].startswith("MAC 0004f2000a05 is pinned to another "
                                               "certificate"), verdict
    # A certificate without a MAC cannot be pinned.
    result = subprocess.run([check, "--pin", pki.cert("cn-star")], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "no MAC to pin it for" in result.stderr, result
