"""Edges of the checks that were only unit-tested, against a real apache2:
a file named exactly <MAC>; `Require provauth-mac path` with the MAC as the
last component; a MAC only in a directory name under last-segment matching;
CNs of 11 and 13 hex digits; allow-list entries sharing a hash bucket; and
the TLS client purpose enforced by re-validation."""
import pytest

import slips
from clients import get, tls_context
from cryptography.x509.oid import ExtendedKeyUsageOID

VICTIM = "0004f2000001"      # the valid phone's MAC
ATTACKER = "0004f20000aa"    # another genuine phone

MAC_DIRS = (slips.directory("macs", "Require provauth-mac")
            + slips.directory("macfile", "Require provauth-mac")
            + slips.directory("pathmode", "Require provauth-mac path")
            + slips.directory("lastseg", "Require provauth-mac")
            + slips.directory("allowcoll", "Require provauth-allowlist {root}/collide.txt")
            + slips.directory("cisco", 'ProvAuthMACFrom CN "SEP([0-9A-Fa-f]{{12}})$"',
                              "Require provauth-mac"))
PURPOSE_DIRS = (slips.directory("purpose-good", "ProvAuthIntermediateFile {poly_int}",
                                "Require provauth-device")
                + slips.directory("purpose-bad", "ProvAuthIntermediateFile {restricted_int}",
                                  "Require provauth-device"))
FILES = [f"macs/{VICTIM}.cfg", f"macfile/{VICTIM}", f"macfile/{ATTACKER}",
         f"pathmode/{VICTIM}", f"pathmode/{ATTACKER}", f"pathmode/devices/{VICTIM}",
         f"lastseg/{VICTIM}/phone.cfg", f"lastseg/{VICTIM}/{VICTIM}.cfg",
         "allowcoll/shared.cfg", "macs/001122334455.cfg", "cisco/SEP001122334455.cnf.xml", "purpose-good/shared.cfg", "purpose-bad/shared.cfg"]

# CNs that are almost a MAC: a slip in the digit count would read the
# victim's MAC from them (its first or last 12 digits, or padded).
NEAR_MACS = {"cn-11-digits": "004f2000001", "cn-13-digits-head": "0004f20000010",
             "cn-13-digits-tail": "10004f2000001"}


def allowlist_slot(mac, mask):
    """The bucket provauth_allowlist.c gives a MAC (its key, MAC + 1, through
    splitmix64's finalizer) in a table of mask + 1 slots."""
    full = (1 << 64) - 1
    key = int(mac, 16) + 1
    key ^= key >> 30
    key = (key * 0xbf58476d1ce4e5b9) & full
    key ^= key >> 27
    key = (key * 0x94d049bb133111eb) & full
    key ^= key >> 31
    return key & mask


def colliding_macs(listed, count, mask=15):
    """`count` Poly MACs other than `listed` that share its bucket."""
    found = []
    for n in range(0x100, 0x100000):
        mac = f"0004f2{n:06x}"
        if mac != listed and allowlist_slot(mac, mask) == allowlist_slot(listed, mask):
            found.append(mac)
            if len(found) == count:
                return found
    raise AssertionError("no colliding MACs found")


# An allow-list of two lines has 16 slots.  The second listed MAC shares the
# first one's bucket (found by probing); the unlisted one shares it too.
LISTED_SECOND, UNLISTED = colliding_macs(VICTIM, 2)


@pytest.fixture(scope="module")
def edges_httpd(workdir, pki):
    for name, cn in NEAR_MACS.items():
        pki.make_device(name, cn)
    pki.make_device("collide-listed", LISTED_SECOND)
    pki.make_device("collide-unlisted", UNLISTED)
    # Poly's issuing CA re-issued (same name, same key) for server
    # authentication only: a chain through it may not authenticate clients.
    restricted = pki.make_ca("Poly Test Issuing CA", "Poly", pki.poly_policy,
                             key=pki.poly_issuing.key,
                             eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    assert restricted.cert.subject == pki.poly_issuing.cert.subject
    restricted_int = pki.write("poly-intermediates-serverauth.pem",
                               [restricted, pki.poly_policy])
    extra = "\n".join(["    ProvAuthAcceptExpired On",
                       f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"])
    body = (slips.vhost(pki, "mac", "optional_no_ca", extra, MAC_DIRS)
            # No intermediates for this vhost: a phone sending only its leaf
            # gets through optional_no_ca's tolerance, and re-validation builds
            # its chain from the directory's intermediates alone.
            + slips.vhost(pki, "noint", "optional_no_ca", "    ProvAuthAcceptExpired On",
                          PURPOSE_DIRS))
    body = body.replace("{poly_int}", pki.path("poly-intermediates.pem")) \
               .replace("{restricted_int}", restricted_int)
    import os
    root = os.path.join(workdir, "edges")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "collide.txt"), "w") as out:
        out.write(f"{VICTIM}\n{LISTED_SECOND}\n")
    server = slips.start(workdir, "edges", body, ["mac", "noint"], files=FILES,
                         allowed=[r"PA00005: the virtual host localhost \(.*\) has no"])
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


def mac_get(pki, server, path, device):
    return get(pki, server.ports["mac"], path, device)


class TestFileNamedExactlyTheMac:
    def test_own_file_named_exactly_the_mac_is_served(self, pki, edges_httpd):
        reply = mac_get(pki, edges_httpd, f"/macfile/{VICTIM}", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_another_phones_file_named_exactly_its_mac_is_refused(
            self, pki, edges_httpd, refusals):
        reply = mac_get(pki, edges_httpd, f"/macfile/{VICTIM}", "attacker")
        assert reply.status == 403, f"expected 403, got {reply}"


class TestPathModeWithTheMacLast:
    @pytest.mark.parametrize("path", [f"/pathmode/{VICTIM}", f"/pathmode/devices/{VICTIM}"])
    def test_mac_as_the_last_component_is_served_to_its_phone(
            self, pki, edges_httpd, path):
        reply = mac_get(pki, edges_httpd, path, "valid")
        assert reply.status == 200, f"{path}: expected 200, got {reply}"

    @pytest.mark.parametrize("path", [f"/pathmode/{VICTIM}", f"/pathmode/devices/{VICTIM}"])
    def test_mac_as_the_last_component_is_refused_to_another(
            self, pki, edges_httpd, refusals, path):
        reply = mac_get(pki, edges_httpd, path, "attacker")
        assert reply.status == 403, f"{path}: expected 403, got {reply}"
        assert reply.headers["x-provauth-error"] == (
            f"MAC {ATTACKER} is not in the requested path"), str(reply)


class TestLastSegmentOnly:
    def test_mac_only_in_a_directory_name_does_not_grant(self, pki, edges_httpd, refusals):
        reply = mac_get(pki, edges_httpd, f"/lastseg/{VICTIM}/phone.cfg", "valid")
        assert reply.status == 403, f"expected 403, got {reply}"
        # the reason, then a hint (Require provauth-mac path)
        assert reply.headers["x-provauth-error"].startswith(
            f"MAC {VICTIM} is not in the requested file name"), str(reply)

    def test_mac_in_the_file_name_below_it_grants(self, pki, edges_httpd):
        reply = mac_get(pki, edges_httpd, f"/lastseg/{VICTIM}/{VICTIM}.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"


class TestMacDigitCount:
    @pytest.mark.parametrize("device", sorted(NEAR_MACS))
    def test_cn_with_eleven_or_thirteen_hex_digits_is_no_mac(
            self, pki, edges_httpd, refusals, device):
        reply = mac_get(pki, edges_httpd, f"/macs/{VICTIM}.cfg", device)
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reply.headers["x-provauth-status"] == "VALID", str(reply)
        assert reply.headers["x-provauth-mac"] == "(null)", str(reply)
        assert reply.headers["x-provauth-error"] == (
            f"no MAC: CN '{NEAR_MACS[device]}' is not a MAC address"), str(reply)

    def test_control_twelve_digits_is_the_mac(self, pki, edges_httpd):
        reply = mac_get(pki, edges_httpd, f"/macs/{VICTIM}.cfg", "valid")
        assert reply.status == 200, f"expected 200, got {reply}"


class TestMacRulesOnOneConnection:
    """The MAC is read once per connection AND rule: a Cisco-style CN yields
    a MAC through the directory's regex, and none where the CN itself must
    be the MAC, in whichever order one connection asks."""

    CISCO = "/cisco/SEP001122334455.cnf.xml"
    PLAIN = "/macs/001122334455.cfg"

    @pytest.mark.parametrize("order", ["regex-first", "plain-first"])
    def test_each_rule_reads_its_own_mac(self, pki, edges_httpd, refusals, order):
        paths = [self.CISCO, self.PLAIN] if order == "regex-first" else [self.PLAIN, self.CISCO]
        replies = mac_get(pki, edges_httpd, paths, "cisco")
        by_path = dict(zip(paths, replies))
        assert by_path[self.CISCO].status == 200, str(by_path[self.CISCO])
        assert by_path[self.CISCO].headers["x-provauth-mac"] == "001122334455"
        assert by_path[self.PLAIN].status == 403, str(by_path[self.PLAIN])
        assert "is not a MAC address" in by_path[self.PLAIN].headers["x-provauth-error"]


class TestAllowListBuckets:
    """0004f2000001 and a second listed MAC share a bucket (the second is
    found by probing); an unlisted MAC shares it too."""

    @pytest.mark.parametrize("device", ["valid", "collide-listed"])
    def test_listed_macs_sharing_a_bucket_are_granted(self, pki, edges_httpd, device):
        reply = mac_get(pki, edges_httpd, "/allowcoll/shared.cfg", device)
        assert reply.status == 200, f"{device}: expected 200, got {reply}"

    def test_unlisted_mac_in_a_listed_macs_bucket_is_refused(
            self, pki, edges_httpd, refusals):
        reply = mac_get(pki, edges_httpd, "/allowcoll/shared.cfg", "collide-unlisted")
        assert reply.status == 403, f"expected 403, got {reply}"
        assert "is not in the allow-list" in reply.headers["x-provauth-error"], str(reply)


class TestClientPurpose:
    def test_leaf_only_phone_is_granted_through_its_issuing_ca(self, pki, edges_httpd):
        """Control for the next test: the same phone, the usual issuing CA."""
        reply = get(pki, edges_httpd.ports["noint"], "/purpose-good/shared.cfg", "valid",
                    chain=False)
        assert reply.status == 200, f"expected 200, got {reply}"

    def test_chain_through_a_server_auth_only_ca_is_refused(self, pki, edges_httpd,
                                                            refusals):
        """Re-validation checks the TLS client purpose of the whole chain it
        builds: here the directory's only issuing CA is for serverAuth."""
        reply = get(pki, edges_httpd.ports["noint"], "/purpose-bad/shared.cfg", "valid",
                    chain=False)
        assert reply.status == 403, f"expected 403, got {reply}"
        assert reply.headers["x-provauth-error"] == "unsuitable certificate purpose", \
            str(reply)

    def test_server_auth_only_phone_certificate_is_refused(self, pki, edges_httpd,
                                                           refusals):
        """A phone certificate for serverAuth only never gets past mod_ssl's
        handshake, whatever SSLVerifyClient says (so re-validation's purpose
        check is reached only through a CA of the chain, as above)."""
        reply = get(pki, edges_httpd.ports["noint"], "/purpose-good/shared.cfg",
                    context=tls_context(pki, "noclientauth"))
        assert reply.rejected, f"expected a failed handshake, got {reply}"
