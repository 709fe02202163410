"""The verdict cache is keyed by the certificate: when a connection's peer
certificate changes (TLS 1.2 renegotiation for a <Location> with its own
SSLVerifyClient, the client presenting another certificate), the new one
never inherits the first one's verdict or MAC.

The client is pyOpenSSL, which can change the certificate of a live
connection before the server's renegotiation request."""
import socket
import struct

import pytest

import slips

SSL = pytest.importorskip("OpenSSL.SSL")
crypto = pytest.importorskip("OpenSSL.crypto")

# Each directory's files are asked for first; its again/ subdirectory is a
# <Location> that makes mod_ssl renegotiate (optional_no_ca -> require), with
# the same trust configuration inherited from the directory.
DIRS = (slips.directory("mac", "Require provauth-mac")
        + slips.directory("pinned", "ProvAuthCACertificateFile {poly_root}",
                          "Require provauth-device")
        + """
    <Location /mac/again/>
        SSLVerifyClient require
    </Location>
    <Location /pinned/again/>
        SSLVerifyClient require
    </Location>""")
FILES = ["mac/0004f2000001.cfg", "mac/again/0004f2000001.cfg", "mac/again/0004f20000aa.cfg",
         "pinned/shared.cfg", "pinned/again/shared.cfg"]


@pytest.fixture(scope="module")
def reneg_httpd(workdir, pki):
    extra = "\n".join(["    ProvAuthAcceptExpired On",
                       f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}",
                       "    SSLProtocol -all +TLSv1.2"])
    body = slips.vhost(pki, "reneg", "optional_no_ca", extra, DIRS) \
        .replace("{poly_root}", pki.path("poly-root.pem"))
    server = slips.start(workdir, "reneg", body, ["reneg"], files=FILES)
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


class Connection:
    """One TLS 1.2 connection presenting a device's leaf (the vhost's
    intermediates complete the chain); HTTP/1.1 keep-alive over it."""

    def __init__(self, pki, port, device):
        self.pki = pki
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        ctx.load_verify_locations(pki.path("server-ca.pem"))
        ctx.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: ok)
        ctx.use_privatekey_file(pki.key)
        ctx.use_certificate_file(pki.cert(device))
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        # pyOpenSSL wants a blocking socket; the kernel bounds each wait.
        sock.setblocking(True)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 10, 0))
        self.conn = SSL.Connection(ctx, sock)
        self.conn.set_tlsext_host_name(b"localhost")
        self.conn.set_connect_state()
        self.conn.do_handshake()
        self.buffer = b""

    def present(self, device):
        """The certificate the next (re)negotiation sends."""
        with open(self.pki.cert(device), "rb") as pem:
            self.conn.use_certificate(crypto.load_certificate(crypto.FILETYPE_PEM,
                                                              pem.read()))

    def _more(self):
        data = self.conn.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buffer += data

    def get(self, path):
        """(status, headers) of GET path."""
        self.conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more()
        self.buffer = self.buffer[length:]
        return int(lines[0].split()[1]), headers

    def renegotiations(self):
        return self.conn.total_renegotiations()

    def close(self):
        try:
            self.conn.shutdown()
        except SSL.Error:
            pass
        self.conn.close()


def test_second_certificate_does_not_inherit_the_first_ones_mac(
        pki, reneg_httpd, refusals):
    """Phone ..01 is served its file; the connection then renegotiates with
    phone ..aa's certificate, which must be refused ..01's file and served
    its own."""
    conn = Connection(pki, reneg_httpd.ports["reneg"], "valid")
    try:
        first = conn.get("/mac/0004f2000001.cfg")
        conn.present("attacker")
        second = conn.get("/mac/again/0004f2000001.cfg")
        third = conn.get("/mac/again/0004f20000aa.cfg")
        renegotiations = conn.renegotiations()
    finally:
        conn.close()
    assert first[0] == 200, f"first certificate, own file: {first}"
    assert first[1]["x-provauth-mac"] == "0004f2000001", first
    assert renegotiations == 1, "expected the server to renegotiate once"
    assert second[0] == 403, f"second certificate, first one's file: {second}"
    assert second[1]["x-provauth-mac"] == "0004f20000aa", second
    assert third[0] == 200, f"second certificate, own file: {third}"


def test_second_certificate_does_not_inherit_the_first_ones_verdict(
        pki, reneg_httpd, refusals):
    """Poly's phone passes the directory pinned to Poly's root; after
    renegotiating with Yealink's phone (trusted by the vhost, so mod_ssl's
    `require` lets it through) the same directory refuses."""
    conn = Connection(pki, reneg_httpd.ports["reneg"], "valid")
    try:
        first = conn.get("/pinned/shared.cfg")
        conn.present("yealink")
        second = conn.get("/pinned/again/shared.cfg")
        renegotiations = conn.renegotiations()
    finally:
        conn.close()
    assert first[0] == 200, f"Poly's phone: {first}"
    assert renegotiations == 1, "expected the server to renegotiate once"
    assert second[0] == 403, f"Yealink's phone after renegotiation: {second}"
    assert second[1]["x-provauth-status"] == "FAILED", second
    assert "unable to get local issuer" in second[1]["x-provauth-error"], second
