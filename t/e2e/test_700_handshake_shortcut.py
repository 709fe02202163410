"""The handshake-reuse shortcut: a directory pinned to one vendor's root may
take over the handshake's verification only when the chain the handshake
VERIFIED ends at that very root: not when the chain the phone SENT merely
contains it, and not when the verified chain ends at another root that only
shares its name."""
import pytest

import slips
from clients import get, tls_context

DEVICE_DIRS = (slips.directory("poly", "ProvAuthCACertificateFile {poly_root}",
                               "Require provauth-device")
               + slips.directory("any", "Require provauth-device"))


@pytest.fixture(scope="module")
def shortcut_httpd(workdir, pki):
    # Vendor B (Yealink) appends vendor A's (Poly's) public root to what it sends.
    leaf = pki.devices["yealink"]
    pki.write("yealink-appends-poly-root.chain.pem",
              [leaf, pki.yea_issuing, pki.poly_root])
    # A root named exactly like Poly's, with another key, that the vhost also
    # trusts (say, another vendor's CA that copied the name), and its device.
    rogue_root = pki.make_ca("Poly Test Root CA", "Poly", None)
    rogue_issuing = pki.make_ca("Rogue Issuing CA", "Poly", rogue_root)
    pki.make_device("rogue-named-root", "0004f20000bb", rogue_issuing)
    assert rogue_root.cert.subject == pki.poly_root.cert.subject
    roots = pki.write("roots-with-namesake.pem",
                      [pki.poly_root, pki.yea_root, rogue_root])
    accept = (f"    ProvAuthAcceptExpired On\n"
              f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}")
    body = (slips.vhost(pki, "noca", "optional_no_ca", accept, DEVICE_DIRS, ca_file=roots)
            + slips.vhost(pki, "require", "require", accept, DEVICE_DIRS, ca_file=roots))
    body = body.replace("{poly_root}", pki.path("poly-root.pem"))
    server = slips.start(workdir, "shortcut", body, ["noca", "require"],
                         files=["poly/shared.cfg", "any/shared.cfg"])
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


VHOSTS = ["noca", "require"]
TLS = {"1.2": "TLSv1_2", "1.3": "TLSv1_3"}


def context(pki, device, tls):
    import ssl
    ctx = tls_context(pki, device)
    version = getattr(ssl.TLSVersion, TLS[tls])
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


@pytest.mark.parametrize("tls", sorted(TLS))
@pytest.mark.parametrize("vhost", VHOSTS)
def test_pinned_directory_refuses_other_vendor_that_appends_the_pinned_root(
        pki, shortcut_httpd, refusals, vhost, tls):
    """Yealink's phone, trusted by the vhost, sends Poly's root after its own
    chain: the handshake verifies it to Yealink's root, so Poly's directory
    must re-validate, and refuse (the shortcut must read the verified chain,
    never the chain sent)."""
    replies = get(pki, shortcut_httpd.ports[vhost], ["/any/shared.cfg", "/poly/shared.cfg"],
                  context=context(pki, "yealink-appends-poly-root", tls))
    assert [r.status for r in replies] == [200, 403], [str(r) for r in replies]
    assert replies[0].headers["x-provauth-status"] == "VALID", str(replies[0])
    assert replies[1].headers["x-provauth-status"] == "FAILED", str(replies[1])
    assert "unable to get local issuer" in replies[1].headers["x-provauth-error"], \
        str(replies[1])


@pytest.mark.parametrize("vhost", VHOSTS)
def test_pinned_directory_still_takes_its_own_vendor(pki, shortcut_httpd, vhost):
    """Control: the pinned root's own device passes, shortcut or not."""
    reply = get(pki, shortcut_httpd.ports[vhost], "/poly/shared.cfg", "valid")
    assert reply.status == 200, f"expected 200, got {reply}"
    assert reply.headers["x-provauth-status"] == "VALID", str(reply)


@pytest.mark.parametrize("tls", sorted(TLS))
@pytest.mark.parametrize("vhost", VHOSTS)
def test_root_with_the_pinned_roots_name_but_another_key_does_not_pass(
        pki, shortcut_httpd, refusals, vhost, tls):
    """The vhost trusts a second "Poly Test Root CA" with another key; its
    device verifies cleanly in the handshake, but Poly's directory pins the
    real root: anchors "contain" a root by content, never by name."""
    replies = get(pki, shortcut_httpd.ports[vhost], ["/any/shared.cfg", "/poly/shared.cfg"],
                  context=context(pki, "rogue-named-root", tls))
    assert [r.status for r in replies] == [200, 403], [str(r) for r in replies]
    assert replies[1].headers["x-provauth-status"] == "FAILED", str(replies[1])
    assert replies[1].headers["x-provauth-mac"] == "(null)", str(replies[1])
